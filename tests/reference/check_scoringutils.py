#!/usr/bin/env python3
"""Compare expected-scoringutils.json with the Brier / log-score table in the
scoringutils data README (values shown to 5 decimals).

    python3 tests/reference/check_scoringutils.py README.md expected-scoringutils.json
"""
import json
import re
import sys

readme, expected = sys.argv[1], sys.argv[2]
table = {}
for line in open(readme, encoding="utf-8"):
    m = re.match(r"^\|\s*([^|]+?)\s*\|\s*([0-9.]+)\s*\|\s*([0-9.]+)\s*\|\s*$", line)
    if m:
        table[m.group(1)] = (m.group(2), m.group(3))
doc = json.load(open(expected, encoding="utf-8"))
ours = {"overall": doc["overall"]}
ours.update({f["forecaster"]: f for f in doc["forecasters"]})
assert set(table) == set(ours), (sorted(table), sorted(ours))
bad = 0
for who, (b, l) in table.items():
    rb, rl = f"{ours[who]['brier']:.5f}", f"{ours[who]['log_score']:.5f}"
    ok = rb == b and rl == l
    bad += not ok
    print(f"  {'ok ' if ok else 'BAD'} {who:<24} brier {rb} (README {b})  log {rl} (README {l})")
print("scoringutils README table: all agree to 5 decimals" if not bad else f"{bad} rows DISAGREE")
sys.exit(1 if bad else 0)
