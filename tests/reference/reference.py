#!/usr/bin/env python3
"""Independent reference implementation of hindsight's SUMMARY scores.

    python3 tests/reference/reference.py LEDGER_DIR OUT_JSON

Reads a ledger (forecasts/questions.csv, every other forecasts/*.csv, every
outcomes/*.csv) with the csv module, applies the data contract's matching rule
(no --as-of), and writes the contract's JSON document with, per summary, the
SUMMARY keys plus an "extras" object (calibration tests and comparisons).

Everything is computed with numpy / scipy / scikit-learn as the primary
implementation and cross-checked against hand formulas and exact rational
arithmetic (fractions.Fraction); any disagreement beyond the stated tolerance
aborts with an AssertionError.  The checks are printed to stdout.

See README.md beside this file for the readings chosen where the contract is
ambiguous.
"""
import csv
import glob
import json
import math
import os
import sys
import warnings
from fractions import Fraction

import numpy as np
import scipy
import sklearn
from scipy import optimize, stats
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

BINS = 10
LOG_CLAMP = 0.001
MIN_SAMPLE = 5          # contract default minimum sample size for `ranked`

warnings.simplefilter("error")   # any library warning is a failure here


# --------------------------------------------------------------------------- ledger

def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def load_ledger(root):
    qpath = os.path.join(root, "forecasts", "questions.csv")
    questions = {}
    for r in read_csv(qpath):
        qid = r["question_id"]
        assert qid not in questions, f"duplicate question {qid}"
        questions[qid] = r
    forecasts = []
    for path in sorted(glob.glob(os.path.join(root, "forecasts", "*.csv"))):
        if os.path.basename(path) == "questions.csv":
            continue
        forecasts.extend(read_csv(path))
    outcomes = {}
    for path in sorted(glob.glob(os.path.join(root, "outcomes", "*.csv"))):
        for r in read_csv(path):
            qid = r["question_id"]
            assert qid in questions, f"outcome for unknown question {qid}"
            assert qid not in outcomes, f"two outcomes for {qid}"
            assert r["outcome"] in ("yes", "no", "void"), r
            outcomes[qid] = r
    return questions, forecasts, outcomes


def p_yes(row):
    """Exact P(yes) as a Fraction from the decimal string (direction=no -> 1 - p)."""
    s = row["probability"].strip()
    assert s, f"verbal-only rows are not supported by the reference: {row}"
    p = Fraction(s)                       # exact: Fraction("0.3") == 3/10
    d = (row.get("direction") or "yes").strip().lower()
    assert d in ("yes", "no"), row
    if d == "no":
        p = 1 - p
    assert 0 <= p <= 1, row
    return p


def match(questions, forecasts, outcomes):
    """Split forecasts into scored rows and unscored counts (contract order of reasons)."""
    scored = []
    unscored = {"pending": 0, "void": 0, "made_after_close": 0, "made_after_resolution": 0}
    for f in forecasts:
        q = questions[f["question_id"]]
        assert q["kind"] == "binary", q
        o = outcomes.get(f["question_id"])
        if o is None:
            unscored["pending"] += 1
        elif o["outcome"] == "void":
            unscored["void"] += 1
        elif not f["made_on"] <= q["closes_on"]:          # ISO dates compare as strings
            unscored["made_after_close"] += 1
        elif not f["made_on"] < o["resolved_on"]:
            unscored["made_after_resolution"] += 1
        else:
            pf = p_yes(f)
            scored.append({"forecaster": f["forecaster"], "question_id": f["question_id"],
                           "pf": pf, "p": float(pf), "y": 1 if o["outcome"] == "yes" else 0})
    return scored, unscored


# --------------------------------------------------------------------------- helpers

CHECKS = []       # (what, max abs deviation seen)


def check(what, a, b, tol):
    if a is None or b is None:
        assert a is None and b is None, (what, a, b)
        return
    d = abs(float(a) - float(b))
    assert d <= tol, f"CHECK FAILED {what}: {a!r} vs {b!r} (|d|={d:g} > {tol:g})"
    for i, (w, m) in enumerate(CHECKS):
        if w == what:
            CHECKS[i] = (w, max(m, d))
            break
    else:
        CHECKS.append((what, d))


def bin_of(pf, bins=BINS):
    """Exact bin index: floor(p * bins), 1.0 in the last bin."""
    return min(math.floor(pf * bins), bins - 1)


def pav_exact(pf, y):
    """PAV on exact rationals, equal p pooled first. Returns recalibrated value per item."""
    groups = {}
    for a, b in zip(pf, y):
        s, n = groups.get(a, (0, 0))
        groups[a] = (s + b, n + 1)
    xs = sorted(groups)
    blocks = []       # [sum_y, n, [xs]]
    for x in xs:
        s, n = groups[x]
        blocks.append([Fraction(s), n, [x]])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s2, n2, x2 = blocks.pop()
            blocks[-1][0] += s2
            blocks[-1][1] += n2
            blocks[-1][2].extend(x2)
    value = {}
    for s, n, members in blocks:
        for x in members:
            value[x] = s / n
    return [value[a] for a in pf]


def logit(p):
    return np.log(p) - np.log1p(-p)


def expit(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_newton(x, y, offset=None, fit_slope=True):
    """Maximum likelihood for logit P(y) = a + b x (+ offset) by Newton's method.

    Returns (a, b) or None if it does not converge.  fit_slope=False fits a
    alone with b fixed at 1 (x then acts as an offset)."""
    a, b = 0.0, (1.0 if not fit_slope else 0.0)
    for it in range(200):
        eta = a + b * x
        mu = expit(eta)
        w = mu * (1 - mu)
        r = y - mu
        if fit_slope:
            g = np.array([r.sum(), (r * x).sum()])
            H = np.array([[w.sum(), (w * x).sum()], [(w * x).sum(), (w * x * x).sum()]])
            try:
                step = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                return None
            a, b = a + step[0], b + step[1]
            if not (np.isfinite(a) and np.isfinite(b)):
                return None
            if np.max(np.abs(step)) < 1e-13 * (1 + max(abs(a), abs(b))):
                return a, b
        else:
            g, h = r.sum(), w.sum()
            if h <= 0:
                return None
            step = g / h
            a += step
            if not np.isfinite(a):
                return None
            if abs(step) < 1e-13 * (1 + abs(a)):
                return a, b
    return None


def separated(x, y):
    """(Quasi-)complete separation for a single covariate with intercept."""
    x1, x0 = x[y == 1], x[y == 0]
    return x0.max() <= x1.min() or x1.max() <= x0.min()


# --------------------------------------------------------------------------- summary

def summary(rows, bins=BINS, clamp=LOG_CLAMP):
    pf = [r["pf"] for r in rows]
    p = np.array([r["p"] for r in rows], dtype=float)
    y = np.array([r["y"] for r in rows], dtype=int)
    yf = y.astype(float)
    n = len(rows)
    N = Fraction(n)
    out = {"n": n}

    # exact rationals for cross-checks
    ex_brier = sum((a - b) ** 2 for a, b in zip(pf, y)) / N
    ex_br = Fraction(int(y.sum()), n)

    # brier
    brier = float(brier_score_loss(y, p, labels=[0, 1]))
    check("brier sklearn vs numpy", brier, np.mean((p - yf) ** 2), 1e-15)
    check("brier sklearn vs exact", brier, ex_brier, 1e-15)
    out["brier"] = brier

    # log score
    pc = np.clip(p, clamp, 1 - clamp)
    ls = float(log_loss(y, pc, labels=[0, 1]))
    hand = -np.mean(np.where(y == 1, np.log(pc), np.log(1 - pc)))
    check("log sklearn vs numpy", ls, hand, 1e-14)
    check("log sklearn vs fsum", ls,
          -math.fsum(math.log(c) if t else math.log(1 - c) for c, t in zip(pc.tolist(), y.tolist())) / n,
          1e-14)
    out["log_score"] = ls

    # base rate, skill
    br = float(np.mean(yf))
    check("base_rate", br, ex_br, 1e-16)
    out["base_rate"] = br
    unc = br * (1 - br)
    out["brier_skill"] = None if br in (0.0, 1.0) else 1 - brier / unc

    # auc
    if br in (0.0, 1.0):
        out["auc"] = None
    else:
        auc = float(roc_auc_score(y, p))
        ranks = stats.rankdata(p)            # average ranks for ties
        n1 = int(y.sum()); n0 = n - n1
        mw = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
        check("auc sklearn vs Mann-Whitney", auc, mw, 1e-12)
        out["auc"] = auc

    # Murphy decomposition over exact bins
    kb = np.array([bin_of(a, bins) for a in pf])
    rel = res = 0.0
    cal = []
    ex_rel = ex_res = Fraction(0)
    ex_resid = Fraction(0)
    hl_stat, hl_groups = 0.0, 0
    for k in range(bins):
        m = kb == k
        nk = int(m.sum())
        if nk == 0:
            continue
        fbar = float(np.mean(p[m]))
        obar = float(np.mean(yf[m]))
        rel += nk * (fbar - obar) ** 2
        res += nk * (obar - br) ** 2
        # exact
        idx = np.nonzero(m)[0]
        efbar = sum(pf[i] for i in idx) / nk
        eobar = Fraction(int(y[m].sum()), nk)
        ex_rel += nk * (efbar - eobar) ** 2
        ex_res += nk * (eobar - ex_br) ** 2
        ex_resid += sum((pf[i] - efbar) ** 2 - 2 * (pf[i] - efbar) * int(y[i]) for i in idx)
        # calibration table
        ok = int(y[m].sum())
        lo = 0.0 if ok == 0 else float(stats.beta.ppf(0.025, ok + 0.5, nk - ok + 0.5))
        hi = 1.0 if ok == nk else float(stats.beta.ppf(0.975, ok + 0.5, nk - ok + 0.5))
        cal.append({"bin_lo": k / bins, "bin_hi": (k + 1) / bins, "n": nk,
                    "mean_forecast": fbar, "observed": obar, "ci_lo": lo, "ci_hi": hi})
        # Hosmer-Lemeshow (extras)
        if 0.0 < fbar < 1.0:
            hl_stat += (ok - nk * fbar) ** 2 / (nk * fbar * (1 - fbar))
            hl_groups += 1
    rel /= n
    res /= n
    resid = brier - (rel - res + unc)
    check("murphy reliability vs exact", rel, ex_rel / N, 1e-14)
    check("murphy resolution vs exact", res, ex_res / N, 1e-14)
    check("murphy residual vs exact within-bin term", resid, ex_resid / N, 1e-13)
    check("murphy identity rel-res+unc+residual = brier", rel - res + unc + resid, brier, 1e-15)
    check("murphy identity (exact rationals)",
          ex_rel / N - ex_res / N + ex_br * (1 - ex_br) + ex_resid / N, ex_brier, 0)
    out["murphy"] = {"reliability": rel, "resolution": res, "uncertainty": unc, "residual": resid}

    # CORP
    iso = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(p, yf)
    rc = iso.predict(p)
    brier_rc = float(np.mean((rc - yf) ** 2))
    brier_ref = float(np.mean((br - yf) ** 2))
    mcb = brier - brier_rc
    dsc = brier_ref - brier_rc
    ex_rc = pav_exact(pf, y.tolist())
    check("PAV sklearn vs exact (max |r|)", float(np.max(np.abs(rc - np.array([float(v) for v in ex_rc])))), 0, 1e-14)
    ex_brier_rc = sum((a - b) ** 2 for a, b in zip(ex_rc, y.tolist())) / N
    ex_mcb = ex_brier - ex_brier_rc
    ex_dsc = ex_br * (1 - ex_br) - ex_brier_rc
    check("corp miscalibration vs exact", mcb, ex_mcb, 1e-14)
    check("corp discrimination vs exact", dsc, ex_dsc, 1e-14)
    check("corp identity mcb-dsc+unc = brier", mcb - dsc + unc, brier, 1e-12)
    assert ex_mcb >= 0 and ex_dsc >= 0, "exact CORP terms negative"
    assert mcb >= -1e-15 and dsc >= -1e-15 and unc >= 0, ("CORP terms negative", mcb, dsc, unc)
    CORP_SIGNS.append((mcb, dsc, unc))
    out["corp"] = {"miscalibration": mcb, "discrimination": dsc, "uncertainty": unc}
    out["calibration"] = cal

    # ------------------------------------------------------------------ extras
    ex = {}
    ex["brier_skill_chimp"] = 1 - brier / 0.25

    num = float(np.sum((yf - p) * (1 - 2 * p)))
    den2 = float(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    if den2 == 0.0:
        ex["spiegelhalter"] = None
    else:
        z = num / math.sqrt(den2)
        ex["spiegelhalter"] = {"z": z, "p": float(2 * stats.norm.sf(abs(z)))}
        check("spiegelhalter p sf vs cdf", ex["spiegelhalter"]["p"],
              2 * (1 - stats.norm.cdf(abs(z))), 1e-12)

    df = hl_groups - 2
    if df < 1:
        ex["hosmer_lemeshow"] = None
    else:
        ex["hosmer_lemeshow"] = {"statistic": hl_stat, "df": df,
                                 "p": float(stats.chi2.sf(hl_stat, df)), "groups": hl_groups}

    x = logit(pc)
    if br in (0.0, 1.0) or np.all(x == x[0]) or separated(x, y):
        ex["calibration_line"] = None
    else:
        fit = logistic_newton(x, yf)
        if fit is None:
            ex["calibration_line"] = None
        else:
            a, b = fit
            # check 1: scipy minimize of the negative log-likelihood
            def nll(t):
                eta = t[0] + t[1] * x
                return float(np.sum(np.logaddexp(0, eta) - yf * eta))

            def grad(t):
                r = expit(t[0] + t[1] * x) - yf
                return np.array([r.sum(), (r * x).sum()])
            mres = optimize.minimize(nll, np.zeros(2), jac=grad, method="BFGS",
                                     options={"gtol": 1e-10, "maxiter": 10000})
            check("calibration_line intercept Newton vs scipy BFGS", a, mres.x[0], 1e-6)
            check("calibration_line slope Newton vs scipy BFGS", b, mres.x[1], 1e-6)
            # check 2: sklearn, unpenalised
            lr = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(x.reshape(-1, 1), y)
            check("calibration_line intercept Newton vs sklearn", a, lr.intercept_[0], 1e-6)
            check("calibration_line slope Newton vs sklearn", b, lr.coef_[0, 0], 1e-6)
            # check 3: score equations at the Newton solution
            r = yf - expit(a + b * x)
            check("calibration_line score eq (intercept)/n", r.sum() / n, 0, 1e-12)
            check("calibration_line score eq (slope)/n", (r * x).sum() / n, 0, 1e-12)
            ex["calibration_line"] = {"intercept": float(a), "slope": float(b)}

    if br in (0.0, 1.0):
        ex["calibration_in_the_large"] = None
    else:
        fit = logistic_newton(x, yf, fit_slope=False)
        assert fit is not None
        a = fit[0]
        f = lambda t: float(np.sum(yf - expit(t + x)))
        a2 = optimize.brentq(f, -50, 50, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        check("calibration_in_the_large Newton vs brentq", a, a2, 1e-10)
        check("calibration_in_the_large score eq /n", f(a) / n, 0, 1e-12)
        ex["calibration_in_the_large"] = float(a)

    out["extras"] = ex
    return out


def relative_skill(scored, names):
    """Per forecaster: geometric mean of r_ij over j sharing questions, plus r_ii = 1."""
    by = {nm: {} for nm in names}            # name -> qid -> list of squared errors
    byx = {nm: {} for nm in names}           # the same in exact rationals
    for r in scored:
        by[r["forecaster"]].setdefault(r["question_id"], []).append((r["p"] - r["y"]) ** 2)
        byx[r["forecaster"]].setdefault(r["question_id"], []).append((r["pf"] - r["y"]) ** 2)
    res = {}
    for i in names:
        logs = []
        shares_any = False
        for j in names:
            if j == i:
                continue
            shared = sorted(by[i].keys() & by[j].keys())
            if not shared:
                continue
            shares_any = True
            ei = [e for q in shared for e in by[i][q]]
            ej = [e for q in shared for e in by[j][q]]
            # fsum: correctly rounded, so independent of summation order
            mi, mj = math.fsum(ei) / len(ei), math.fsum(ej) / len(ej)
            check("relative_skill mean brier fsum vs numpy", mi, np.mean(ei), 1e-15)
            if mi == 0.0 or mj == 0.0:
                continue
            logs.append(math.log(mi / mj))
            xi = [e for q in shared for e in byx[i][q]]
            xj = [e for q in shared for e in byx[j][q]]
            check("relative_skill r_ij vs exact rationals", mi / mj,
                  (sum(xi) / len(xi)) / (sum(xj) / len(xj)), 1e-14)
        res[i] = math.exp(math.fsum(logs) / (len(logs) + 1)) if shares_any else None
    return res


CORP_SIGNS = []


def clean(o):
    """Convert numpy scalars to Python and refuse NaN / inf."""
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, list):
        return [clean(v) for v in o]
    if isinstance(o, (np.floating, float)):
        v = float(o)
        assert math.isfinite(v), o
        return v
    if isinstance(o, (np.integer,)):
        return int(o)
    return o


def main(root, out_path):
    print(f"reference.py: python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}")
    print(f"ledger: {root}")
    questions, forecasts, outcomes = load_ledger(root)
    scored, unscored = match(questions, forecasts, outcomes)
    names = sorted({r["forecaster"] for r in scored})
    print(f"questions {len(questions)}, forecast rows {len(forecasts)}, outcome rows {len(outcomes)}")
    print(f"scored {len(scored)}, unscored {unscored}")

    doc = {"as_of": None, "settings": {"bins": BINS, "log_clamp": LOG_CLAMP}}
    doc["overall"] = summary(scored)
    rs = relative_skill(scored, names)
    fl = []
    for nm in names:
        s = summary([r for r in scored if r["forecaster"] == nm])
        s["extras"]["relative_skill"] = rs[nm]
        s["extras"]["ranked"] = s["n"] >= MIN_SAMPLE
        fl.append({"forecaster": nm, **s})
    doc["forecasters"] = fl
    doc["unscored"] = unscored
    doc = clean(doc)
    with open(out_path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False))
        fh.write("\n")

    def fmt(v, w=9):
        return f"{'null':>{w}}" if v is None else f"{v:{w}.5f}"
    print()
    print(f"{'who':<24}{'n':>6}{'brier':>9}{'log':>9}{'base':>9}{'skill':>9}{'auc':>9}"
          f"{'rel':>9}{'res':>9}{'mcb':>9}{'dsc':>9}{'relskill':>9}")
    for who, s in [("overall", doc["overall"])] + [(f["forecaster"], f) for f in fl]:
        print(f"{who:<24}{s['n']:>6}{fmt(s['brier'])}{fmt(s['log_score'])}{fmt(s['base_rate'])}"
              f"{fmt(s['brier_skill'])}{fmt(s['auc'])}{fmt(s['murphy']['reliability'])}"
              f"{fmt(s['murphy']['resolution'])}{fmt(s['corp']['miscalibration'])}"
              f"{fmt(s['corp']['discrimination'])}{fmt(s['extras'].get('relative_skill'))}")
    print()
    print("independent checks (max |difference| over all summaries):")
    for what, d in CHECKS:
        print(f"  ok  {what:<58} {d:.3g}")
    print(f"  ok  all CORP terms >= 0 (min mcb {min(c[0] for c in CORP_SIGNS):.3g}, "
          f"min dsc {min(c[1] for c in CORP_SIGNS):.3g}); exact-rational mcb, dsc >= 0")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
