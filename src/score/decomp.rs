//! Calibration decompositions: binned Murphy and CORP (PAV isotonic).
//!
//! Also owns the contract's binning rule (equal-width bins whose edges are the
//! decimals k/bins) and the per-bin calibration table with Jeffreys intervals.

use serde::Serialize;

use super::interval::jeffreys;

/// The bin of probability `p` among `bins` equal-width bins [k/bins, (k+1)/bins),
/// 1.0 in the last bin.
///
/// # Remarks
/// Edges are compared as the doubles nearest the decimals k/bins, so a forecast
/// written `0.3` falls in [0.3, 0.4) even though 0.3·10 is not exactly 3 in
/// floating point.
///
/// ```
/// use hindsight::score::bin_index;
/// assert_eq!(bin_index(0.3, 10), 3);
/// assert_eq!(bin_index(0.7, 10), 7);
/// assert_eq!(bin_index(1.0, 10), 9);
/// assert_eq!(bin_index(0.0999999, 10), 0);
/// ```
pub fn bin_index(p: f64, bins: usize) -> usize {
    Binner::new(bins).index(p)
}

/// [`bin_index`] with the edges worked out once.
struct Binner {
    b: f64,
    /// `edges[k]` = k / bins.
    edges: Vec<f64>,
}

impl Binner {
    fn new(bins: usize) -> Binner {
        let b = bins as f64;
        Binner {
            b,
            edges: (0..=bins).map(|k| k as f64 / b).collect(),
        }
    }

    fn index(&self, p: f64) -> usize {
        let bins = self.edges.len() - 1;
        // A first guess (truncation is floor here: a negative or NaN p
        // gives 0), then corrected against the edges themselves.
        let mut k = ((p * self.b) as usize).min(bins - 1);
        while k + 1 < bins && p >= self.edges[k + 1] {
            k += 1;
        }
        while k > 0 && p < self.edges[k] {
            k -= 1;
        }
        k
    }
}

/// Binned Murphy decomposition of the Brier score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Murphy {
    pub reliability: f64,
    pub resolution: f64,
    pub uncertainty: f64,
    /// `brier - (reliability - resolution + uncertainty)`: the within-bin terms.
    pub residual: f64,
}

/// One non-empty calibration bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bin {
    pub bin_lo: f64,
    pub bin_hi: f64,
    pub n: usize,
    pub mean_forecast: f64,
    pub observed: f64,
    pub ci_lo: f64,
    pub ci_hi: f64,
}

/// Per-bin counts and sums: (n, Σp, Σy), the sums in forecast order.
pub(crate) type BinSums = Vec<(usize, f64, usize)>;

/// [`BinSums`] of a group of forecasts.
pub(crate) fn bin_sums(p: &[f64], y: &[bool], bins: usize) -> BinSums {
    let binner = Binner::new(bins);
    let mut acc = vec![(0usize, 0.0f64, 0usize); bins];
    for (&p, &y) in p.iter().zip(y) {
        let a = &mut acc[binner.index(p)];
        a.0 += 1;
        a.1 += p;
        a.2 += y as usize;
    }
    acc
}

/// [`bin_sums`] from forecasts pooled by value: each distinct p adds its
/// count, count × p and yes outcomes to its bin (the row sums up to
/// rounding), in O(distinct values).
pub(crate) fn bin_sums_groups(g: &super::Groups, bins: usize) -> BinSums {
    let binner = Binner::new(bins);
    let mut acc = vec![(0usize, 0.0f64, 0usize); bins];
    for ((&p, &n), &k) in g.p.iter().zip(&g.n).zip(&g.yes) {
        let a = &mut acc[binner.index(p)];
        a.0 += n as usize;
        a.1 += n as f64 * p;
        a.2 += k as usize;
    }
    acc
}

/// The calibration table: every non-empty bin in increasing order with its
/// mean forecast, observed frequency and 95% Jeffreys interval.
///
/// ```
/// use hindsight::score::calibration_bins;
/// let t = calibration_bins(&[0.31, 0.35, 0.9], &[true, false, true], 10);
/// assert_eq!(t.len(), 2);
/// assert_eq!((t[0].n, t[0].observed), (2, 0.5));
/// assert_eq!(t[1].ci_hi, 1.0); // k = n
/// ```
pub fn calibration_bins(p: &[f64], y: &[bool], bins: usize) -> Vec<Bin> {
    calibration_bins_from(&bin_sums(p, y, bins))
}

/// [`calibration_bins`] from the bin sums.
pub(crate) fn calibration_bins_from(sums: &BinSums) -> Vec<Bin> {
    let bins = sums.len();
    sums.iter()
        .copied()
        .enumerate()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(k, (n, sp, sy))| {
            let (ci_lo, ci_hi) = jeffreys(sy as u64, n as u64);
            Bin {
                bin_lo: k as f64 / bins as f64,
                bin_hi: (k + 1) as f64 / bins as f64,
                n,
                mean_forecast: sp / n as f64,
                observed: sy as f64 / n as f64,
                ci_lo,
                ci_hi,
            }
        })
        .collect()
}

/// Binned Murphy decomposition.
///
/// # Formula
/// With bins k, counts n_k, mean forecast f̄_k, observed frequency ō_k and base
/// rate ō: `REL = (1/n) Σ n_k (f̄_k - ō_k)^2`, `RES = (1/n) Σ n_k (ō_k - ō)^2`,
/// `UNC = ō (1 - ō)`, `residual = BS - (REL - RES + UNC)`.
///
/// # Remarks
/// Binned, the identity is not exact: the residual holds the within-bin
/// variance and covariance terms (Stephenson, Coelho & Jolliffe 2008). It is 0
/// when every forecast in a bin is the same number. `None` for empty input.
///
/// ```
/// use hindsight::score::{brier, murphy};
/// let (p, y) = ([0.2, 0.2, 0.8, 0.8], [false, true, true, true]);
/// let m = murphy(&p, &y, 10).unwrap();
/// assert!(m.residual.abs() < 1e-15);
/// let bs = brier(&p, &y).unwrap();
/// assert!((m.reliability - m.resolution + m.uncertainty - bs).abs() < 1e-15);
/// ```
pub fn murphy(p: &[f64], y: &[bool], bins: usize) -> Option<Murphy> {
    let bs = super::brier(p, y)?;
    let obar = super::base_rate(y)?;
    murphy_from(&bin_sums(p, y, bins), bs, obar)
}

/// [`murphy`] from the bin sums, the Brier score and the base rate.
pub(crate) fn murphy_from(sums: &BinSums, bs: f64, obar: f64) -> Option<Murphy> {
    let n: usize = sums.iter().map(|s| s.0).sum();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let (mut rel, mut res) = (0.0, 0.0);
    for &(nk, sp, sy) in sums {
        if nk == 0 {
            continue;
        }
        let m = nk as f64;
        let fbar = sp / m;
        let ok = sy as f64 / m;
        rel += m * (fbar - ok) * (fbar - ok);
        res += m * (ok - obar) * (ok - obar);
    }
    let (rel, res, unc) = (rel / nf, res / nf, obar * (1.0 - obar));
    Some(Murphy {
        reliability: rel,
        resolution: res,
        uncertainty: unc,
        residual: bs - (rel - res + unc),
    })
}

/// CORP decomposition of the Brier score (Dimitriadis, Gneiting & Jordan 2021).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Corp {
    pub miscalibration: f64,
    pub discrimination: f64,
    pub uncertainty: f64,
}

/// A block of the PAV fit: forecasts with p in [p_lo, p_hi], their count and
/// number of yes outcomes; the recalibrated probability is `yes / n`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PavBlock {
    pub p_lo: f64,
    pub p_hi: f64,
    pub n: u64,
    pub yes: u64,
}

impl PavBlock {
    pub fn value(&self) -> f64 {
        self.yes as f64 / self.n as f64
    }
}

/// Pool-adjacent-violators isotonic regression of y on p (non-decreasing), with
/// equal p values pooled first. Returns the blocks in increasing order of p.
///
/// # Remarks
/// Exact: block means are compared as integer cross-products, so ties between
/// means never depend on rounding.
///
/// ```
/// use hindsight::score::pav;
/// let b = pav(&[0.1, 0.2, 0.3], &[true, false, true]);
/// // 0.1 -> yes and 0.2 -> no violate monotonicity and pool to 1/2.
/// assert_eq!(b.iter().map(|b| b.value()).collect::<Vec<_>>(), vec![0.5, 1.0]);
/// ```
pub fn pav(p: &[f64], y: &[bool]) -> Vec<PavBlock> {
    let g = super::resample::Groups::new(p, y);
    pav_grouped(&g.n, &g.yes)
        .into_iter()
        .map(|b| PavBlock {
            p_lo: g.p[b.first],
            p_hi: g.p[b.last],
            n: b.n,
            yes: b.yes,
        })
        .collect()
}

/// A PAV block over pooled groups: groups `first..=last`, with totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupBlock {
    pub first: usize,
    pub last: usize,
    pub n: u64,
    pub yes: u64,
}

/// PAV over groups already sorted by forecast value, given each group's count
/// and number of yes outcomes. Adjacent blocks whose means are out of order,
/// or equal, are merged, so block means are strictly increasing. Exact: means
/// are compared as integer cross-products.
pub fn pav_grouped(n: &[u64], yes: &[u64]) -> Vec<GroupBlock> {
    let mut stack = Vec::with_capacity(n.len());
    pav_grouped_into(n, yes, &mut stack);
    stack
}

/// [`pav_grouped`] into a given vector (cleared first), to reuse its memory.
pub fn pav_grouped_into(n: &[u64], yes: &[u64], stack: &mut Vec<GroupBlock>) {
    pav_grouped_sized(n, yes, stack, n.iter().sum());
}

/// [`pav_grouped_into`] given the total count (for repeated fits of the
/// same counts).
pub(crate) fn pav_grouped_sized(n: &[u64], yes: &[u64], stack: &mut Vec<GroupBlock>, total: u64) {
    // Counts below 2^32 in all: the cross products fit in 64 bits.
    if total < 1 << 32 {
        pav_blocks(n, yes, stack, |a, b, c, d| a * b >= c * d);
    } else {
        pav_blocks(n, yes, stack, |a, b, c, d| {
            a as u128 * b as u128 >= c as u128 * d as u128
        });
    }
}

/// Pool adjacent violators; `ge(a, b, c, d)` is a·b ≥ c·d without overflow.
fn pav_blocks(
    n: &[u64],
    yes: &[u64],
    stack: &mut Vec<GroupBlock>,
    ge: impl Fn(u64, u64, u64, u64) -> bool,
) {
    stack.clear();
    for (i, (&m, &k)) in n.iter().zip(yes).enumerate() {
        let mut block = GroupBlock {
            first: i,
            last: i,
            n: m,
            yes: k,
        };
        while let Some(prev) = stack.last() {
            if ge(prev.yes, block.n, block.yes, prev.n) {
                block = GroupBlock {
                    first: prev.first,
                    last: block.last,
                    n: prev.n + block.n,
                    yes: prev.yes + block.yes,
                };
                stack.pop();
            } else {
                break;
            }
        }
        stack.push(block);
    }
}

/// CORP decomposition.
///
/// # Formula
/// With r the PAV-recalibrated forecasts and S the mean Brier score:
/// `MCB = S(p) - S(r)`, `DSC = S(ō) - S(r)`, `UNC = S(ō) = ō (1 - ō)`, so that
/// `S(p) = MCB - DSC + UNC` exactly.
///
/// # Remarks
/// Both MCB and DSC are ≥ 0 in exact arithmetic (p and the constant ō are
/// themselves isotonic in p); rounding noise below zero is clamped to 0.
/// `None` for empty input.
///
/// ```
/// use hindsight::score::{brier, corp};
/// let (p, y) = ([0.1, 0.4, 0.6, 0.9], [false, true, false, true]);
/// let c = corp(&p, &y).unwrap();
/// let bs = brier(&p, &y).unwrap();
/// assert!((c.miscalibration - c.discrimination + c.uncertainty - bs).abs() < 1e-15);
/// ```
pub fn corp(p: &[f64], y: &[bool]) -> Option<Corp> {
    let bs = super::brier(p, y)?;
    corp_groups(&super::resample::Groups::new(p, y), bs)
}

/// [`corp`] for forecasts already pooled by value, given their Brier score.
pub fn corp_groups(g: &super::resample::Groups, brier: f64) -> Option<Corp> {
    let n: u64 = g.n.iter().sum();
    if n == 0 {
        return None;
    }
    let obar = g.yes.iter().sum::<u64>() as f64 / n as f64;
    // Σ over a block of (r - y)^2 with r = s/m: s (m - s) / m.
    let sum: f64 = pav_grouped(&g.n, &g.yes)
        .iter()
        .map(|b| (b.yes as f64) * ((b.n - b.yes) as f64) / b.n as f64)
        .sum();
    let bs_recal = sum / n as f64;
    let unc = obar * (1.0 - obar);
    Some(Corp {
        miscalibration: (brier - bs_recal).max(0.0),
        discrimination: (unc - bs_recal).max(0.0),
        uncertainty: unc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_use_decimal_edges() {
        for (s, k) in [
            ("0", 0),
            ("0.1", 1),
            ("0.2", 2),
            ("0.3", 3),
            ("0.4", 4),
            ("0.5", 5),
            ("0.6", 6),
            ("0.7", 7),
            ("0.8", 8),
            ("0.9", 9),
            ("1", 9),
            ("0.29999", 2),
            ("0.99", 9),
        ] {
            let p: f64 = s.parse().unwrap();
            assert_eq!(bin_index(p, 10), k, "{s}");
        }
        // Every decimal k/bins lands in bin k for many bin counts.
        for bins in 1..=40usize {
            for k in 0..bins {
                let p: f64 = format!("{}", k as f64 / bins as f64).parse().unwrap();
                assert_eq!(bin_index(p, bins), k, "{k}/{bins}");
            }
        }
        assert_eq!(bin_index(0.35, 3), 1);
    }

    #[test]
    fn murphy_hand_case() {
        // Bins: [0.1,0.2): p 0.1,0.1 y 0,1 ; [0.9,1]: p 0.9 y 1.
        let p = [0.1, 0.1, 0.9];
        let y = [false, true, true];
        let m = murphy(&p, &y, 10).unwrap();
        let obar = 2.0 / 3.0;
        let rel = (2.0 * (0.1f64 - 0.5).powi(2) + (0.9f64 - 1.0).powi(2)) / 3.0;
        let res = (2.0 * (0.5f64 - obar).powi(2) + (1.0f64 - obar).powi(2)) / 3.0;
        assert!((m.reliability - rel).abs() < 1e-15);
        assert!((m.resolution - res).abs() < 1e-15);
        assert!((m.uncertainty - obar * (1.0 - obar)).abs() < 1e-15);
        assert!(m.residual.abs() < 1e-15);
    }

    #[test]
    fn pav_hand_cases() {
        // Already monotone: distinct p keep their own blocks, except that
        // adjacent blocks with equal means (0.5 and 0.8 both 1) merge.
        let b = pav(&[0.2, 0.2, 0.5, 0.8], &[false, false, true, true]);
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].n, b[0].yes, b[1].n, b[1].yes), (2, 0, 2, 2));
        let b = pav(&[0.2, 0.5, 0.8], &[false, true, false]);
        assert_eq!(b.len(), 2);
        assert_eq!((b[1].p_lo, b[1].p_hi, b[1].value()), (0.5, 0.8, 0.5));
        // Fully reversed: one block.
        let b = pav(&[0.1, 0.5, 0.9], &[true, true, false]);
        assert_eq!(b.len(), 1);
        assert!((b[0].value() - 2.0 / 3.0).abs() < 1e-15);
        // Cascade: 0.1->1, 0.2->1, 0.3->0 pools everything to 2/3.
        let b = pav(&[0.3, 0.1, 0.2], &[false, true, true]);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].p_lo, b[0].p_hi), (0.1, 0.3));
    }

    #[test]
    fn pav_on_huge_counts_uses_exact_wide_products() {
        // Counts past 2^32: the cross products need 128 bits.
        let big = 1u64 << 40;
        // Rates (2^39 + 1) / 2^40 then 2^39 / 2^40: decreasing, so pooled.
        let b = pav_grouped(&[big, big], &[big / 2 + 1, big / 2]);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].n, b[0].yes), (2 * big, big + 1));
        // Increasing by one count in 2^40: kept apart (a 64-bit product
        // would overflow here and could answer wrongly).
        let b = pav_grouped(&[big, big], &[big / 2, big / 2 + 1]);
        assert_eq!(b.len(), 2);
        // The same comparisons on small counts take the 64-bit path.
        assert_eq!(pav_grouped(&[4, 4], &[3, 2]).len(), 1);
        assert_eq!(pav_grouped(&[4, 4], &[2, 3]).len(), 2);
    }

    #[test]
    fn corp_hand_case() {
        // p = (0.2, 0.4, 0.6, 0.8), y = (0, 1, 0, 1): PAV pools 0.4/0.6 to 0.5.
        let p = [0.2, 0.4, 0.6, 0.8];
        let y = [false, true, false, true];
        let c = corp(&p, &y).unwrap();
        let bs = (0.04 + 0.36 + 0.36 + 0.04) / 4.0;
        let bs_recal = (0.0 + 0.25 + 0.25 + 0.0) / 4.0;
        assert!((c.miscalibration - (bs - bs_recal)).abs() < 1e-15);
        assert!((c.discrimination - (0.25 - bs_recal)).abs() < 1e-15);
        assert_eq!(c.uncertainty, 0.25);
    }

    #[test]
    fn calibration_table_hand_case() {
        let t = calibration_bins(&[0.05, 0.05, 0.75, 1.0], &[false, false, true, false], 4);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].bin_lo, t[0].bin_hi, t[0].n), (0.0, 0.25, 2));
        assert_eq!(t[0].ci_lo, 0.0);
        assert_eq!((t[1].bin_lo, t[1].n, t[1].observed), (0.75, 2, 0.5));
        assert!((t[1].mean_forecast - 0.875).abs() < 1e-15);
    }
}
