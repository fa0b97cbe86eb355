#!/usr/bin/env python3
"""Score a hindsight ledger with polars, printing the data contract's JSON
(the SUMMARY keys overall and per forecaster).

    python3 bench/score_polars.py LEDGER_DIR > scores.json

Same inputs and matching rule as score_pandas.py. The per-row work is done in
polars (lazy scan, joins, group-bys); AUC and the PAV fit for CORP run in
Python over the distinct forecast values of each group (aggregated by polars
first, so at most a few hundred values per group: probabilities are written
to 0.01), and the Jeffreys intervals use scipy's beta.ppf.
Benchmark code: it does not validate the ledger.
"""
import glob
import os
import sys

import numpy as np
import polars as pl
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINS, LOG_CLAMP, MIN_N, write_doc  # noqa: E402

ALL = "\x00all"   # group key for the overall summary


def scan(paths, cols):
    frames = [pl.scan_csv(p, infer_schema=False).select(
        [c for c in cols if c in pl.scan_csv(p, infer_schema=False).collect_schema()])
        for p in paths]
    return pl.concat(frames, how="diagonal")


def matched(root):
    q = scan([os.path.join(root, "forecasts", "questions.csv")],
             ["question_id", "kind", "closes_on"])
    batches = [p for p in sorted(glob.glob(os.path.join(root, "forecasts", "*.csv")))
               if os.path.basename(p) != "questions.csv"]
    f = scan(batches, ["question_id", "forecaster", "made_on", "probability", "direction"])
    if "direction" not in f.collect_schema():
        f = f.with_columns(pl.lit(None, dtype=pl.String).alias("direction"))
    o = (scan(sorted(glob.glob(os.path.join(root, "outcomes", "*.csv"))),
              ["question_id", "resolved_on", "outcome"])
         .sort("resolved_on").unique("question_id", keep="first"))
    p = pl.col("probability").str.strip_chars().cast(pl.Float64)
    no = pl.col("direction").fill_null("").str.strip_chars().str.to_lowercase() == "no"
    m = (f.with_columns(p=pl.when(no).then((1.0 - p).round(12)).otherwise(p))
         .join(q, on="question_id", how="left")
         .join(o, on="question_id", how="left"))
    late = pl.col("made_on") > pl.col("closes_on")
    status = (pl.when(late).then(pl.lit("made_after_close"))
              .when(pl.col("outcome").is_null()).then(pl.lit("pending"))
              .when(pl.col("outcome") == "void").then(pl.lit("void"))
              .when(pl.col("made_on") >= pl.col("resolved_on")).then(pl.lit("made_after_resolution"))
              .otherwise(pl.lit("scored")))
    return m.with_columns(status=status)


def main():
    root = sys.argv[1]
    m = matched(root).collect()
    counts = dict(m.group_by("status").len().iter_rows())
    unscored = {k: int(counts.get(k, 0)) for k in
                ("pending", "void", "made_after_close", "made_after_resolution")}
    unscored["not_binary"] = 0
    s = (m.lazy().filter(pl.col("status") == "scored")
         .select("forecaster", "p", y=(pl.col("outcome") == "yes").cast(pl.Int64)))
    # Both the overall and the per-forecaster groups in one frame.
    s = pl.concat([s, s.with_columns(forecaster=pl.lit(ALL))])
    pc = pl.col("p").clip(LOG_CLAMP, 1 - LOG_CLAMP)
    # The contract's bin edges are the doubles nearest k/BINS. Polars turns
    # `k / 10` into `k * 0.1` (3 * 0.1 = 0.30000000000000004), which puts a
    # forecast of 0.3 in the wrong bin, so the edges are looked up instead.
    edges = {i: i / BINS for i in range(BINS + 1)}
    edge = lambda e: e.replace_strict(edges, return_dtype=pl.Float64)
    k0 = (pl.col("p") * BINS).floor().clip(0, BINS - 1).cast(pl.Int64)
    k1 = k0 + ((k0 + 1 < BINS) & (pl.col("p") >= edge(k0 + 1))).cast(pl.Int64)
    k = k1 - ((k1 > 0) & (pl.col("p") < edge(k1))).cast(pl.Int64)
    s = s.with_columns(
        se=(pl.col("p") - pl.col("y")) ** 2,
        ll=-pl.when(pl.col("y") == 1).then(pc.log()).otherwise((1 - pc).log()),
        clamped=(pc != pl.col("p")).cast(pl.Int64),
        bin=k,
    ).collect()
    top = s.group_by("forecaster").agg(
        n=pl.len(), brier=pl.col("se").mean(), log_score=pl.col("ll").mean(),
        base_rate=pl.col("y").mean(), log_clamped=pl.col("clamped").sum())
    bins = (s.group_by("forecaster", "bin")
            .agg(n=pl.len(), sp=pl.col("p").sum(), sy=pl.col("y").sum()).sort("forecaster", "bin"))
    vals = (s.group_by("forecaster", "p")
            .agg(n=pl.len(), yes=pl.col("y").sum()).sort("forecaster", "p"))
    by_bins = {key[0]: g for key, g in bins.group_by("forecaster")}
    by_vals = {key[0]: g for key, g in vals.group_by("forecaster")}
    out = {}
    for row in top.iter_rows(named=True):
        name = row["forecaster"]
        n, brier, br = row["n"], row["brier"], row["base_rate"]
        unc = br * (1 - br)
        d = {"n": n, "brier": brier, "log_score": row["log_score"], "base_rate": br,
             "brier_skill": None if unc == 0 else 1 - brier / unc}
        v = by_vals[name]
        cnt = v["n"].to_numpy().astype(np.int64)
        yes = v["yes"].to_numpy().astype(np.int64)
        no_ = cnt - yes
        n1, n0 = int(yes.sum()), int(no_.sum())
        if n1 and n0:
            below = np.concatenate(([0], np.cumsum(no_)[:-1]))
            twice = int(np.sum(2 * yes * below + yes * no_))
            d["auc"] = twice / (2.0 * n1 * n0)
        else:
            d["auc"] = None
        b = by_bins[name]
        nk, sp, sy = (b["n"].to_numpy(), b["sp"].to_numpy(), b["sy"].to_numpy())
        fbar, obar = sp / nk, sy / nk
        rel = float(np.sum(nk * (fbar - obar) ** 2)) / n
        res = float(np.sum(nk * (obar - br) ** 2)) / n
        d["murphy"] = {"reliability": rel, "resolution": res, "uncertainty": unc,
                       "residual": brier - (rel - res + unc)}
        # PAV over the distinct values (pooled first), exact integer comparisons.
        stack = []
        for c, s1 in zip(cnt.tolist(), yes.tolist()):
            while stack and stack[-1][1] * c >= s1 * stack[-1][0]:
                pc_, ps_ = stack.pop()
                c, s1 = c + pc_, s1 + ps_
            stack.append((c, s1))
        b_rc = sum(s1 * (c - s1) / c for c, s1 in stack) / n
        d["corp"] = {"miscalibration": max(brier - b_rc, 0.0),
                     "discrimination": max(unc - b_rc, 0.0), "uncertainty": unc}
        ks = sy.astype(np.int64)
        lo = np.where(ks == 0, 0.0, stats.beta.ppf(0.025, ks + 0.5, nk - ks + 0.5))
        hi = np.where(ks == nk, 1.0, stats.beta.ppf(0.975, ks + 0.5, nk - ks + 0.5))
        d["calibration"] = [
            {"bin_lo": kb / BINS, "bin_hi": (kb + 1) / BINS, "n": int(c), "mean_forecast": fm,
             "observed": om, "ci_lo": l, "ci_hi": h}
            for kb, c, fm, om, l, h in zip(b["bin"].to_list(), nk, fbar, obar, lo, hi)]
        d["log_clamped"] = row["log_clamped"]
        out[name] = d
    overall = out.pop(ALL)
    forecasters = [{"forecaster": nm, **out[nm], "ranked": out[nm]["n"] >= MIN_N}
                   for nm in sorted(out)]
    write_doc(overall, forecasters, unscored)


if __name__ == "__main__":
    main()
