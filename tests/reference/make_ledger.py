#!/usr/bin/env python3
"""Write the deterministic synthetic reference ledger.

    python3 tests/reference/make_ledger.py [OUT_DIR]

OUT_DIR defaults to tests/fixtures/reference-ledger (relative to the repo root,
found from this file's location).  The output depends only on SEED and on
numpy's PCG64 Generator, so re-running it reproduces the files byte for byte.

What is in it (see README.md next to this file):
  * ~3,000 binary questions (plus a few with no outcome and a few void ones);
  * 6 forecasters with distinct behaviour, each answering a random subset;
  * probabilities written the way people round them (0.05 / 0.01 / 0.1 steps,
    some with 3 decimals, a few with a trailing zero like "0.30", "1.0", "0"),
    a few rows written with direction=no (P(yes) = 1 - written value);
  * ~1% rows that must not be scored (pending, void, made after close,
    made on/after resolution), each with exactly one reason.
"""
import csv
import datetime as dt
import os
import sys
from decimal import Decimal

import numpy as np

SEED = 20240611
N_QUESTIONS = 3000          # questions with a yes/no outcome
N_PENDING_Q = 25            # questions with no outcome row
N_VOID_Q = 15               # questions resolved `void`
START = dt.date(2015, 1, 1)

FORECASTERS = [
    # name, share of questions answered
    ("Ada Calibrated", 0.72),
    ("Bo Overconfident", 0.70),
    ("Cy Underconfident", 0.68),
    ("Di Biased Up", 0.70),
    ("Ed Sharp", 0.66),
    ("Zoë Chimp", 0.72),
]

TOPICS = ["election", "ceasefire", "summit", "sanctions", "default", "referendum",
          "launch", "merger", "strike", "treaty", "recession", "coup"]
PLACES = ["Ruritania", "Freedonia", "Latveria", "Genovia", "Elbonia", "Qurac",
          "Sokovia", "Wakanda", "Zubrowka", "Kh\u00e1nh H\u00f2a"]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    return np.log(p / (1.0 - p))


def write_prob(rng, p):
    """Round p the way a person would and return the decimal string."""
    p = float(min(max(p, 0.0), 1.0))
    u = rng.random()
    if u < 0.50:
        step = Decimal("0.05")
    elif u < 0.82:
        step = Decimal("0.01")
    elif u < 0.94:
        step = Decimal("0.1")
    else:
        step = Decimal("0.001")
    d = (Decimal(repr(p)) / step).to_integral_value() * step
    d = min(max(d, Decimal(0)), Decimal(1))
    s = format(d.normalize(), "f")          # "0.3", "0.35", "0.125", "1", "0"
    # a few trailing-zero spellings as a spreadsheet might write them
    v = rng.random()
    if s in ("0", "1") and v < 0.5:
        s += ".0"
    elif "." in s and len(s) == 3 and v < 0.05:
        s += "0"                              # "0.30"
    return s


def behaviour(name, rng, q):
    """The forecaster's P(yes) for a question whose true probability is q."""
    lq = logit(np.clip(q, 1e-4, 1 - 1e-4))
    if name.startswith("Ada"):        # well calibrated: small noise on the truth
        return sigmoid(lq + rng.normal(0, 0.15))
    if name.startswith("Bo"):         # overconfident: stretched logit
        return sigmoid(1.9 * lq + rng.normal(0, 0.3))
    if name.startswith("Cy"):         # underconfident: shrunk logit
        return sigmoid(0.45 * lq + rng.normal(0, 0.15))
    if name.startswith("Di"):         # biased up
        return sigmoid(lq + 0.9 + rng.normal(0, 0.2))
    if name.startswith("Ed"):         # sharp: often says 0 or 1
        if rng.random() < 0.45:
            if rng.random() < 0.9:       # mostly right when certain
                return 1.0 if q > 0.5 else 0.0
            return 0.0 if q > 0.5 else 1.0
        return sigmoid(1.3 * lq + rng.normal(0, 0.3))
    if name.startswith("Zo"):         # chimp: near 0.5, almost no information
        return 0.5 + 0.03 * (q - 0.5) + rng.normal(0, 0.06)
    raise ValueError(name)


def iso(d):
    return d.isoformat()


def main(out):
    rng = np.random.Generator(np.random.PCG64(SEED))
    questions, outcomes, forecasts = [], [], []

    n_all = N_QUESTIONS + N_PENDING_Q + N_VOID_Q
    kinds = (["scored"] * N_QUESTIONS + ["pending"] * N_PENDING_Q + ["void"] * N_VOID_Q)
    order = rng.permutation(n_all)
    kinds = [kinds[i] for i in order]

    qinfo = []  # (qid, kind, opens, closes, resolved, outcome, q_true)
    for i, kind in enumerate(kinds):
        qid = f"q{i + 1:05d}"
        opens = START + dt.timedelta(days=int(rng.integers(0, 9 * 365)))
        closes = opens + dt.timedelta(days=int(rng.integers(30, 400)))
        q_true = float(rng.beta(0.9, 0.9))
        y = int(rng.random() < q_true)
        if kind == "scored":
            if y == 1 and rng.random() < 0.3:   # event happened before the deadline
                resolved = opens + dt.timedelta(days=int(rng.integers(10, (closes - opens).days + 1)))
            else:
                resolved = closes + dt.timedelta(days=int(rng.integers(0, 45)))
            outcome = "yes" if y else "no"
        elif kind == "void":
            resolved = closes + dt.timedelta(days=int(rng.integers(0, 45)))
            outcome = "void"
        else:
            resolved, outcome = None, None
        topic = TOPICS[int(rng.integers(len(TOPICS)))]
        place = PLACES[int(rng.integers(len(PLACES)))]
        title = f"Will {place} see a {topic} by {iso(closes)}?"
        if rng.random() < 0.03:
            title = f'Will the "{topic}" in {place}, as reported, happen by {iso(closes)}?'
        tags = "|".join(sorted({topic, "synthetic"}))
        questions.append({
            "question_id": qid, "title": title, "kind": "binary", "options": "",
            "opens_on": iso(opens), "closes_on": iso(closes),
            "criteria": "synthetic: resolves yes if the event happens by closes_on",
            "tags": tags,
        })
        if outcome is not None:
            outcomes.append({"question_id": qid, "resolved_on": iso(resolved),
                             "outcome": outcome, "source": "synthetic", "note": ""})
        qinfo.append((qid, kind, opens, closes, resolved, outcome, q_true))

    def add(name, q, made_on, p, note=""):
        s = write_prob(rng, p)
        direction = ""
        r = rng.random()
        if r < 0.03:                      # phrased about the event NOT happening
            direction = "no"
            s = format((Decimal(1) - Decimal(s)).normalize(), "f")
        elif r < 0.06:
            direction = "yes"
        quote = ""
        if rng.random() < 0.02:
            quote = f'"{s}", roughly, {note}'.strip().rstrip(",")
        forecasts.append({
            "question_id": q[0], "forecaster": name, "made_on": iso(made_on),
            "probability": s, "verbal": "", "direction": direction, "option": "",
            "quote": quote, "source": "synthetic", "recorded_by": "reference",
        })

    scored_q = [q for q in qinfo if q[1] == "scored"]
    for name, share in FORECASTERS:
        answered = set()
        for q in scored_q:
            if rng.random() >= share:
                continue
            qid, _, opens, closes, resolved, _, q_true = q
            last = min(closes, resolved - dt.timedelta(days=1))   # last scorable day
            if last < opens:
                continue
            span = (last - opens).days
            if rng.random() < 0.02:
                made = last                                   # edge: on closes_on or the day before resolution
            else:
                made = opens + dt.timedelta(days=int(rng.integers(0, span + 1)))
            add(name, q, made, behaviour(name, rng, q_true))
            answered.add(qid)

        # ~1% of rows that are not scored, each for exactly one reason, on questions
        # this forecaster did not otherwise answer
        free = [q for q in scored_q if q[0] not in answered]
        pick = rng.permutation(len(free))
        k = 0
        # made after close: made_on > closes_on (and before resolution)
        n_done = 0
        while n_done < 5 and k < len(pick):
            q = free[pick[k]]; k += 1
            qid, _, opens, closes, resolved, _, q_true = q
            if (resolved - closes).days >= 2:
                made = closes + dt.timedelta(days=int(rng.integers(1, (resolved - closes).days)))
                add(name, q, made, behaviour(name, rng, q_true), "late")
                n_done += 1
        # made on or after resolution (but not after close)
        n_done = 0
        while n_done < 5 and k < len(pick):
            q = free[pick[k]]; k += 1
            qid, _, opens, closes, resolved, _, q_true = q
            if resolved <= closes:
                if n_done % 2 == 0:
                    made = resolved                                 # edge: same day
                else:
                    made = resolved + dt.timedelta(days=int(rng.integers(0, (closes - resolved).days + 1)))
                add(name, q, made, behaviour(name, rng, q_true), "hindsight")
                n_done += 1
        # pending and void questions
        for kind, count in (("pending", 6), ("void", 4)):
            pool = [q for q in qinfo if q[1] == kind]
            for j in rng.permutation(len(pool))[:count]:
                q = pool[j]
                qid, _, opens, closes, resolved, _, q_true = q
                made = opens + dt.timedelta(days=int(rng.integers(0, (closes - opens).days + 1)))
                add(name, q, made, behaviour(name, rng, q_true))

    # shuffle rows so forecasters are interleaved, then give stable ids
    perm = rng.permutation(len(forecasts))
    forecasts = [forecasts[i] for i in perm]
    for i, f in enumerate(forecasts):
        f["forecast_id"] = f"f{i + 1:06d}"

    os.makedirs(os.path.join(out, "forecasts"), exist_ok=True)
    os.makedirs(os.path.join(out, "outcomes"), exist_ok=True)
    qcols = ["question_id", "title", "kind", "options", "opens_on", "closes_on", "criteria", "tags"]
    fcols = ["forecast_id", "question_id", "forecaster", "made_on", "probability", "verbal",
             "direction", "option", "quote", "source", "recorded_by"]
    ocols = ["question_id", "resolved_on", "outcome", "source", "note"]
    for path, cols, rows in ((os.path.join(out, "forecasts", "questions.csv"), qcols, questions),
                             (os.path.join(out, "forecasts", "batch.csv"), fcols, forecasts),
                             (os.path.join(out, "outcomes", "outcomes.csv"), ocols, outcomes)):
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    print(f"wrote {os.path.relpath(out)}: {len(questions)} questions ({N_QUESTIONS} resolved yes/no, "
          f"{N_VOID_Q} void, {N_PENDING_Q} without outcome), {len(forecasts)} forecasts, "
          f"{len(outcomes)} outcome rows")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "fixtures", "reference-ledger")
    main(os.path.normpath(sys.argv[1] if len(sys.argv) > 1 else default))
