#!/usr/bin/env python3
"""Check that two scores documents agree on the data contract's SUMMARY keys.

    python3 bench/check_agree.py REFERENCE.json OTHER.json [TOL]

Compares n, brier, log_score, base_rate, brier_skill, auc, murphy, corp and
calibration, overall and per forecaster (matched by name), plus the unscored
counts. Numbers must agree within TOL (absolute, default 1e-9); null must
match null. Prints one line and exits 1 on any disagreement.
"""
import json
import sys

KEYS = ["n", "brier", "log_score", "base_rate", "brier_skill", "auc", "murphy", "corp",
        "calibration"]


def walk(a, b, path, tol, bad, worst):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b:
                bad.append(f"{path}.{k}: missing")
            else:
                walk(a[k], b[k], f"{path}.{k}", tol, bad, worst)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            bad.append(f"{path}: {len(a)} vs {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", tol, bad, worst)
    elif a is None or b is None:
        if a is not b:
            bad.append(f"{path}: {a!r} vs {b!r}")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        d = abs(a - b)
        worst[0] = max(worst[0], d)
        if d > tol:
            bad.append(f"{path}: {a!r} vs {b!r}")
    elif a != b:
        bad.append(f"{path}: {a!r} vs {b!r}")


def main():
    ref, other = (json.load(open(p)) for p in sys.argv[1:3])
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
    bad, worst = [], [0.0]
    pick = lambda s: {k: s.get(k) for k in KEYS}
    walk(pick(ref["overall"]), pick(other["overall"]), "overall", tol, bad, worst)
    walk(ref["unscored"], other["unscored"], "unscored", tol, bad, worst)
    theirs = {f["forecaster"]: f for f in other["forecasters"]}
    for f in ref["forecasters"]:
        if f["forecaster"] not in theirs:
            bad.append(f"forecaster {f['forecaster']!r} missing")
            continue
        walk(pick(f), pick(theirs[f["forecaster"]]), f["forecaster"], tol, bad, worst)
    if len(theirs) != len(ref["forecasters"]):
        bad.append(f"{len(ref['forecasters'])} vs {len(theirs)} forecasters")
    name = sys.argv[2]
    if bad:
        print(f"DISAGREE {name}: {len(bad)} difference(s), e.g. " + "; ".join(bad[:5]))
        sys.exit(1)
    print(f"agree {name}: {1 + len(ref['forecasters'])} summaries, max |diff| {worst[0]:.2e}")


if __name__ == "__main__":
    main()
