#!/usr/bin/env python3
"""Score a hindsight ledger the way a data scientist would with pandas and
scikit-learn, printing the data contract's JSON (the SUMMARY keys overall and
per forecaster).

    python3 bench/score_pandas.py LEDGER_DIR > scores.json

Reads forecasts/questions.csv, every other forecasts/*.csv and every
outcomes/*.csv; numeric probabilities only (no verbal phrases), `direction`
honoured. Applies the contract's matching rule (no --as-of). Per group:
brier_score_loss, log_loss on clamped p, roc_auc_score, IsotonicRegression for
CORP, numpy bincount for the Murphy bins and scipy's beta.ppf for the Jeffreys
intervals. Benchmark code: it does not validate the ledger.
"""
import glob
import os
import sys

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINS, LOG_CLAMP, MIN_N, bin_index, write_doc  # noqa: E402


def load(root):
    q = pd.read_csv(os.path.join(root, "forecasts", "questions.csv"), dtype=str,
                    keep_default_na=False, usecols=["question_id", "kind", "closes_on"])
    batches = [p for p in sorted(glob.glob(os.path.join(root, "forecasts", "*.csv")))
               if os.path.basename(p) != "questions.csv"]
    f = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in batches],
                  ignore_index=True)
    outs = sorted(glob.glob(os.path.join(root, "outcomes", "*.csv")))
    o = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False,
                               usecols=["question_id", "resolved_on", "outcome"]) for p in outs],
                  ignore_index=True)
    # Repeated records of one outcome: the earliest date counts.
    o = o.sort_values("resolved_on").drop_duplicates("question_id", keep="first")
    return q, f, o


def match(q, f, o):
    p = pd.to_numeric(f["probability"], errors="raise")
    if "direction" in f:
        no = f["direction"].str.strip().str.lower() == "no"
        p = p.where(~no, (1.0 - p).round(12))
    m = f[["forecaster", "question_id", "made_on"]].assign(p=p)
    m = m.merge(q, on="question_id", how="left").merge(o, on="question_id", how="left")
    resolved = m["outcome"].notna()
    void = m["outcome"] == "void"
    late = m["made_on"] > m["closes_on"]
    after = resolved & ~void & ~late & (m["made_on"] >= m["resolved_on"])
    pending = ~resolved & ~late
    scored = resolved & ~void & ~late & ~after
    unscored = {
        "pending": int(pending.sum()),
        "void": int((void & ~late).sum()),
        "made_after_close": int(late.sum()),
        "made_after_resolution": int(after.sum()),
        "not_binary": 0,
    }
    s = m.loc[scored, ["forecaster", "p", "outcome"]]
    s = s.assign(y=(s["outcome"] == "yes").astype(np.int8)).drop(columns="outcome")
    return s, unscored


def summary(p, y):
    n = len(p)
    out = {"n": n}
    if n == 0:
        return {**out, "brier": None, "log_score": None, "base_rate": None,
                "brier_skill": None, "auc": None, "murphy": None, "corp": None,
                "calibration": [], "log_clamped": 0}
    yf = y.astype(float)
    brier = brier_score_loss(y, p, labels=[0, 1]) if n else None
    pc = np.clip(p, LOG_CLAMP, 1 - LOG_CLAMP)
    out["brier"] = brier
    out["log_score"] = log_loss(y, pc, labels=[0, 1])
    br = yf.mean()
    unc = br * (1 - br)
    out["base_rate"] = br
    out["brier_skill"] = None if unc == 0 else 1 - brier / unc
    out["auc"] = None if unc == 0 else roc_auc_score(y, p)
    # Murphy decomposition and calibration table over the contract's bins.
    k = bin_index(p)
    nk = np.bincount(k, minlength=BINS)
    sp = np.bincount(k, weights=p, minlength=BINS)
    sy = np.bincount(k, weights=yf, minlength=BINS)
    used = nk > 0
    fbar = sp[used] / nk[used]
    obar = sy[used] / nk[used]
    rel = float(np.sum(nk[used] * (fbar - obar) ** 2)) / n
    res = float(np.sum(nk[used] * (obar - br) ** 2)) / n
    out["murphy"] = {"reliability": rel, "resolution": res, "uncertainty": unc,
                     "residual": brier - (rel - res + unc)}
    # CORP: PAV isotonic regression of y on p.
    rc = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(p, yf).predict(p)
    b_rc = float(np.mean((rc - yf) ** 2))
    out["corp"] = {"miscalibration": max(brier - b_rc, 0.0),
                   "discrimination": max(unc - b_rc, 0.0), "uncertainty": unc}
    ks = sy[used].astype(np.int64)
    ns = nk[used]
    lo = np.where(ks == 0, 0.0, stats.beta.ppf(0.025, ks + 0.5, ns - ks + 0.5))
    hi = np.where(ks == ns, 1.0, stats.beta.ppf(0.975, ks + 0.5, ns - ks + 0.5))
    out["calibration"] = [
        {"bin_lo": b / BINS, "bin_hi": (b + 1) / BINS, "n": int(c), "mean_forecast": fm,
         "observed": om, "ci_lo": l, "ci_hi": h}
        for b, c, fm, om, l, h in zip(np.nonzero(used)[0], ns, fbar, obar, lo, hi)]
    out["log_clamped"] = int(np.sum(pc != p))
    return out


def main():
    root = sys.argv[1]
    q, f, o = load(root)
    s, unscored = match(q, f, o)
    overall = summary(s["p"].to_numpy(), s["y"].to_numpy())
    forecasters = []
    for name, g in s.groupby("forecaster", sort=True):
        sm = summary(g["p"].to_numpy(), g["y"].to_numpy())
        forecasters.append({"forecaster": name, **sm, "ranked": sm["n"] >= MIN_N})
    write_doc(overall, forecasters, unscored)


if __name__ == "__main__":
    main()
