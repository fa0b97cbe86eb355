"""Shared pieces of the benchmark's Python scorers (bench/score_*.py).

Only what both need and what is not the thing being compared: the contract's
bin rule (equal-width bins with decimal edges k/bins) and the JSON layout.
"""
import json
import math
import sys

BINS = 10
LOG_CLAMP = 0.001
MIN_N = 5


def bin_index(p, bins=BINS):
    """Vectorized contract bin rule (numpy array in, int array out): bin k is
    [k/bins, (k+1)/bins) with the edges the doubles nearest the decimals k/bins,
    1.0 in the last bin -- the same comparisons as hindsight's bin_index."""
    import numpy as np
    k = np.clip(np.floor(p * bins), 0, bins - 1).astype(np.int64)
    up = (k + 1 < bins) & (p >= (k + 1) / bins)
    k = k + up
    down = (k > 0) & (p < k / bins)
    return k - down


def clean(x):
    """JSON-safe: NaN/inf become null, numpy scalars plain numbers."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x
    try:
        f = float(x)
    except (TypeError, ValueError):
        return x
    if hasattr(x, "dtype") and x.dtype.kind in "iu":
        return int(x)
    return None if not math.isfinite(f) else f


def write_doc(overall, forecasters, unscored, out=sys.stdout):
    doc = {
        "as_of": None,
        "settings": {"bins": BINS, "log_clamp": LOG_CLAMP, "min_n": MIN_N},
        "overall": overall,
        "forecasters": forecasters,
        "unscored": unscored,
    }
    json.dump(clean(doc), out, indent=1)
    out.write("\n")
