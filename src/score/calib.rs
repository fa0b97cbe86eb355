//! Calibration tests and recalibration fits: Spiegelhalter's z, Hosmer–Lemeshow
//! over the contract's bins, the logistic calibration line and calibration in
//! the large, and Brier skill against the "chimp" (always 0.5).

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::decomp::{BinSums, bin_sums};

/// Brier skill against always forecasting 0.5 (Brier 0.25).
///
/// ```
/// use hindsight::score::brier_skill_chimp;
/// assert_eq!(brier_skill_chimp(0.125), 0.5);
/// ```
pub fn brier_skill_chimp(brier: f64) -> f64 {
    1.0 - brier / 0.25
}

/// A z statistic with its two-sided normal p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ZTest {
    pub z: f64,
    pub p: f64,
}

fn two_sided_normal_p(z: f64) -> f64 {
    let n = Normal::standard();
    (2.0 * n.sf(z.abs())).min(1.0)
}

/// Spiegelhalter's calibration test.
///
/// # Formula
/// `z = Σ (y - p)(1 - 2p) / sqrt(Σ (1 - 2p)^2 p (1 - p))`, p-value two-sided
/// from the standard normal.
///
/// # Remarks
/// Uses the forecasts as given (no clamping). `None` when the denominator is 0
/// (every forecast is 0, ½ or 1) or the input is empty.
///
/// ```
/// use hindsight::score::spiegelhalter;
/// let t = spiegelhalter(&[0.2, 0.8], &[false, true]).unwrap();
/// // numerator (0 - 0.2)(0.6) + (1 - 0.8)(-0.6) = -0.24, denominator sqrt(2 * 0.36 * 0.16):
/// // these forecasts are less extreme than the outcomes, so z < 0.
/// assert!((t.z + 0.24 / (2.0f64 * 0.36 * 0.16).sqrt()).abs() < 1e-12);
/// assert!(spiegelhalter(&[0.5], &[true]).is_none());
/// ```
pub fn spiegelhalter(p: &[f64], y: &[bool]) -> Option<ZTest> {
    let (mut num, mut den) = (0.0, 0.0);
    for (&p, &y) in p.iter().zip(y) {
        let o = if y { 1.0 } else { 0.0 };
        let w = 1.0 - 2.0 * p;
        num += (o - p) * w;
        den += w * w * p * (1.0 - p);
    }
    spiegelhalter_from(num, den)
}

/// [`spiegelhalter`] from forecasts pooled by value: per distinct p with n
/// forecasts and k yes, the numerator adds (k - n p)(1 - 2p) and the
/// denominator n (1 - 2p)^2 p (1 - p) (the row sums up to rounding).
pub(crate) fn spiegelhalter_groups(g: &super::Groups) -> Option<ZTest> {
    let (mut num, mut den) = (0.0, 0.0);
    for ((&p, &n), &k) in g.p.iter().zip(&g.n).zip(&g.yes) {
        let w = 1.0 - 2.0 * p;
        num += (k as f64 - n as f64 * p) * w;
        den += n as f64 * (w * w * p * (1.0 - p));
    }
    spiegelhalter_from(num, den)
}

/// The test from its numerator and denominator sums.
fn spiegelhalter_from(num: f64, den: f64) -> Option<ZTest> {
    if den <= 0.0 || !den.is_finite() {
        return None;
    }
    let z = num / den.sqrt();
    Some(ZTest {
        z,
        p: two_sided_normal_p(z),
    })
}

/// Hosmer–Lemeshow test result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HosmerLemeshow {
    pub statistic: f64,
    /// groups − 2, as the data contract defines it (the classical df for a
    /// model fitted to the same data).
    pub df: usize,
    /// Chi-square p with `df`.
    pub p: f64,
    pub groups: usize,
    /// groups: the df for forecasts that were not fitted to these outcomes
    /// (external validation), as for every forecaster scored here.
    pub df_external: usize,
    /// Chi-square p with `df_external`; holds its nominal level for
    /// calibrated forecasters, where `p` rejects too often.
    pub p_external: f64,
}

/// Hosmer–Lemeshow goodness of fit over the contract's equal-width bins.
///
/// # Formula
/// Over bins k whose mean forecast f̄_k is strictly between 0 and 1:
/// `H = Σ (O_k - n_k f̄_k)^2 / (n_k f̄_k (1 - f̄_k))`, O_k the number of yes;
/// df = groups − 2; p = chi-square survival function (the data contract's
/// definition). Also df_external = groups and its p_external.
///
/// # Remarks
/// `None` when fewer than 3 bins can be used (df < 1). The groups − 2 df is
/// right for a logistic model fitted to the same data; forecasts made in
/// advance are not fitted, and the statistic is then close to chi-square with
/// `groups` df. With df = groups − 2 a calibrated forecaster is rejected far
/// too often (12.6% instead of 5% in `tests/calibration_simulation.rs`), so
/// reports use `p_external`. With few forecasts per bin the chi-square
/// approximation is rough either way.
///
/// ```
/// use hindsight::score::hosmer_lemeshow;
/// let p = [0.15, 0.15, 0.45, 0.45, 0.85, 0.85];
/// let y = [false, false, true, false, true, true];
/// let hl = hosmer_lemeshow(&p, &y, 10).unwrap();
/// assert_eq!((hl.groups, hl.df), (3, 1));
/// assert!(hosmer_lemeshow(&p[..4], &y[..4], 10).is_none());
/// ```
pub fn hosmer_lemeshow(p: &[f64], y: &[bool], bins: usize) -> Option<HosmerLemeshow> {
    hosmer_lemeshow_from(&bin_sums(p, y, bins))
}

/// [`hosmer_lemeshow`] from the bin sums.
pub(crate) fn hosmer_lemeshow_from(sums: &BinSums) -> Option<HosmerLemeshow> {
    let mut stat = 0.0;
    let mut groups = 0;
    for &(n, sp, o) in sums {
        if n == 0 {
            continue;
        }
        let m = n as f64;
        let fbar = sp / m;
        if !(fbar > 0.0 && fbar < 1.0) {
            continue;
        }
        let e = m * fbar;
        stat += (o as f64 - e).powi(2) / (e * (1.0 - fbar));
        groups += 1;
    }
    if groups < 3 {
        return None;
    }
    let df = groups - 2;
    let p = ChiSquared::new(df as f64).ok()?.sf(stat);
    let p_external = ChiSquared::new(groups as f64).ok()?.sf(stat);
    Some(HosmerLemeshow {
        statistic: stat,
        df,
        p,
        groups,
        df_external: groups,
        p_external,
    })
}

/// Intercept and slope of the logistic calibration line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationLine {
    pub intercept: f64,
    pub slope: f64,
}

fn logit_clamped(p: f64, c: f64) -> f64 {
    let q = p.clamp(c, 1.0 - c);
    (q / (1.0 - q)).ln()
}

fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// Maximum-likelihood logistic regression of y on logit(p):
/// `logit P(y = 1) = a + b · logit(p)`, p clamped to [c, 1 − c].
///
/// # Remarks
/// A perfectly calibrated forecaster has a = 0, b = 1; b < 1 means
/// overconfident forecasts, b > 1 underconfident. `None` when y or the
/// clamped logit is constant, when the classes are (quasi-)completely
/// separated (the estimate diverges), or when Newton's method does not
/// converge.
///
/// ```
/// use hindsight::score::calibration_line;
/// let p = [0.1, 0.3, 0.5, 0.7, 0.9, 0.2, 0.8, 0.6];
/// let y = [false, false, true, true, true, true, false, false];
/// let fit = calibration_line(&p, &y, 0.001).unwrap();
/// assert!(fit.slope.is_finite());
/// assert!(calibration_line(&[0.2, 0.8], &[false, true], 0.001).is_none()); // separated
/// ```
pub fn calibration_line(p: &[f64], y: &[bool], clamp: f64) -> Option<CalibrationLine> {
    calibration_line_groups(&super::Groups::new(p, y), clamp)
}

/// Distinct clamped logits with their yes and no counts. Forecasts that the
/// clamp maps to one value stay separate entries (same x): the sums are the
/// same either way.
fn logit_points(g: &super::Groups, clamp: f64) -> Vec<(f64, f64, f64)> {
    g.p.iter()
        .zip(&g.n)
        .zip(&g.yes)
        .map(|((&p, &n), &k)| (logit_clamped(p, clamp), k as f64, (n - k) as f64))
        .collect()
}

/// [`calibration_line`] for forecasts already pooled by value: the same
/// likelihood, with each distinct forecast weighted by its yes and no counts,
/// so each Newton step costs O(distinct values) instead of O(n).
pub fn calibration_line_groups(g: &super::Groups, clamp: f64) -> Option<CalibrationLine> {
    let n: u64 = g.n.iter().sum();
    let n1: u64 = g.yes.iter().sum();
    if n1 == 0 || n1 == n {
        return None;
    }
    let pts = logit_points(g, clamp);
    let (xmin, xmax) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(v, _, _)| {
            (a.min(v), b.max(v))
        });
    if xmin == xmax {
        return None;
    }
    // (Quasi-)complete separation: one class entirely on one side.
    let (mut max0, mut min0, mut max1, mut min1) = (
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
    );
    for &(xi, w1, w0) in &pts {
        if w1 > 0.0 {
            max1 = max1.max(xi);
            min1 = min1.min(xi);
        }
        if w0 > 0.0 {
            max0 = max0.max(xi);
            min0 = min0.min(xi);
        }
    }
    if max0 <= min1 || max1 <= min0 {
        return None;
    }
    // log σ(t) = -softplus(-t), log(1 - σ(t)) = -softplus(t)
    let softplus = |u: f64| {
        if u > 0.0 {
            u + (-u).exp().ln_1p()
        } else {
            u.exp().ln_1p()
        }
    };
    let loglik = |a: f64, b: f64| -> f64 {
        let mut acc = Neumaier::default();
        for &(xi, w1, w0) in &pts {
            let t = a + b * xi;
            if w1 > 0.0 {
                acc.add(-w1 * softplus(-t));
            }
            if w0 > 0.0 {
                acc.add(-w0 * softplus(t));
            }
        }
        acc.sum()
    };
    let (mut a, mut b) = (0.0f64, 1.0f64);
    let mut ll = loglik(a, b);
    let mut last_gradient = f64::INFINITY;
    for _ in 0..100 {
        let mut acc: [Neumaier; 5] = Default::default();
        for &(xi, w1, w0) in &pts {
            let m = sigmoid(a + b * xi);
            // Σ over the point's forecasts of (y - m) and m (1 - m).
            let r = w1 * (1.0 - m) - w0 * m;
            let w = (w1 + w0) * m * (1.0 - m);
            acc[0].add(r);
            acc[1].add(r * xi);
            acc[2].add(w);
            acc[3].add(w * xi);
            acc[4].add(w * xi * xi);
        }
        let [g0, g1, h00, h01, h11] = acc.map(|v| v.sum());
        last_gradient = g0.abs().max(g1.abs());
        let det = h00 * h11 - h01 * h01;
        if det <= 0.0 || !det.is_finite() {
            return None;
        }
        let da = (h11 * g0 - h01 * g1) / det;
        let db = (h00 * g1 - h01 * g0) / det;
        // Step halving keeps the likelihood increasing.
        let mut step = 1.0;
        let (mut na, mut nb, mut nll);
        loop {
            na = a + step * da;
            nb = b + step * db;
            nll = loglik(na, nb);
            if nll >= ll - 1e-12 * ll.abs().max(1.0) || step < 1e-8 {
                break;
            }
            step *= 0.5;
        }
        let change = (na - a).abs().max((nb - b).abs());
        a = na;
        b = nb;
        ll = nll;
        if change < 1e-13 * (1.0 + a.abs().max(b.abs())) {
            return (a.is_finite() && b.is_finite()).then_some(CalibrationLine {
                intercept: a,
                slope: b,
            });
        }
    }
    // Converged to rounding noise even if the last steps did not shrink further.
    let converged = last_gradient.abs() <= 1e-9 * n as f64 && a.is_finite() && b.is_finite();
    converged.then_some(CalibrationLine {
        intercept: a,
        slope: b,
    })
}

/// Calibration in the large: the maximum-likelihood intercept a of
/// `logit P(y = 1) = a + logit(p)` (slope fixed at 1, p clamped to [c, 1 − c]).
///
/// # Remarks
/// a > 0: events happen more often than forecast; a < 0: less often. `None`
/// when y is constant (the estimate diverges).
///
/// ```
/// use hindsight::score::calibration_in_the_large;
/// // Forecasts of 0.5 with 3 of 4 yes: a = logit(0.75).
/// let a = calibration_in_the_large(&[0.5; 4], &[true, true, true, false], 0.001).unwrap();
/// assert!((a - 3f64.ln()).abs() < 1e-12);
/// ```
pub fn calibration_in_the_large(p: &[f64], y: &[bool], clamp: f64) -> Option<f64> {
    calibration_in_the_large_groups(&super::Groups::new(p, y), clamp)
}

/// [`calibration_in_the_large`] for forecasts already pooled by value.
pub fn calibration_in_the_large_groups(g: &super::Groups, clamp: f64) -> Option<f64> {
    let n: u64 = g.n.iter().sum();
    let n1: u64 = g.yes.iter().sum();
    if n1 == 0 || n1 == n {
        return None;
    }
    let pts = logit_points(g, clamp);
    let target = n1 as f64;
    let mut a = 0.0f64;
    let mut last_gradient = f64::INFINITY;
    for _ in 0..100 {
        // Neumaier-compensated sums: with millions of forecasts plain sums
        // carry enough rounding noise to stall a tight convergence test.
        let (mut s, mut w) = (Neumaier::default(), Neumaier::default());
        for &(xi, w1, w0) in &pts {
            let m = sigmoid(a + xi);
            let k = w1 + w0;
            s.add(k * m);
            w.add(k * m * (1.0 - m));
        }
        let (s, w) = (s.sum(), w.sum());
        if w <= 0.0 {
            return None;
        }
        last_gradient = target - s;
        let step = (last_gradient / w).clamp(-5.0, 5.0);
        a += step;
        if step.abs() <= 1e-13 * (1.0 + a.abs()) {
            return Some(a);
        }
    }
    // Converged to rounding noise even if the last steps did not shrink further.
    (last_gradient.abs() <= 1e-9 * n as f64).then_some(a)
}

#[derive(Default)]
struct Neumaier {
    sum: f64,
    c: f64,
}

impl Neumaier {
    fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.c += (self.sum - t) + v;
        } else {
            self.c += (v - t) + self.sum;
        }
        self.sum = t;
    }

    fn sum(&self) -> f64 {
        self.sum + self.c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spiegelhalter_hand_case() {
        // p = 0.25, 0.75 with outcomes no, no:
        // num = (0-.25)(.5) + (0-.75)(-.5) = -0.125 + 0.375 = 0.25
        // den = .25*.25*.75 + .25*.75*.25 = 0.09375
        let t = spiegelhalter(&[0.25, 0.75], &[false, false]).unwrap();
        assert!((t.z - 0.25 / 0.09375f64.sqrt()).abs() < 1e-14);
        // 2 * scipy.stats.norm.sf(0.8164965809277261) = 0.4142161782425252
        // (statrs' erfc agrees to about 1e-11)
        assert!((t.p - 0.4142161782425252).abs() < 1e-10, "{}", t.p);
    }

    #[test]
    fn hosmer_lemeshow_hand_case() {
        let p = [0.15, 0.15, 0.45, 0.45, 0.85, 0.85];
        let y = [false, false, true, false, true, true];
        let hl = hosmer_lemeshow(&p, &y, 10).unwrap();
        let term = |o: f64, n: f64, f: f64| (o - n * f).powi(2) / (n * f * (1.0 - f));
        let want = term(0.0, 2.0, 0.15) + term(1.0, 2.0, 0.45) + term(2.0, 2.0, 0.85);
        assert!((hl.statistic - want).abs() < 1e-12);
        // scipy.stats.chi2.sf(want, 1)
        let p1 = ChiSquared::new(1.0).unwrap().sf(want);
        assert!((hl.p - p1).abs() < 1e-15);
        // Bins of only 0s or only 1s are not used.
        let hl = hosmer_lemeshow(&[0.0, 0.0, 0.15, 0.45, 0.85, 1.0], &[false; 6], 10).unwrap();
        assert_eq!(hl.groups, 3);
    }

    #[test]
    fn calibration_line_recovers_a_known_line() {
        // Outcomes placed so that the data are exactly consistent with a known
        // fit is hard by hand; instead check the score equations hold.
        let p = [
            0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.35, 0.65,
        ];
        let y = [
            false, false, true, false, false, true, false, true, true, true, true, true, false,
        ];
        let fit = calibration_line(&p, &y, 0.001).unwrap();
        let (mut g0, mut g1) = (0.0, 0.0);
        for (&pi, &yi) in p.iter().zip(&y) {
            let x = logit_clamped(pi, 0.001);
            let r = yi as u8 as f64 - sigmoid(fit.intercept + fit.slope * x);
            g0 += r;
            g1 += r * x;
        }
        assert!(g0.abs() < 1e-12 && g1.abs() < 1e-12, "{g0} {g1}");
    }

    #[test]
    fn large_samples_converge() {
        // A million calibrated forecasts: both fits must converge (plain sums
        // once stalled on rounding noise here and returned None).
        let n = 1_000_000;
        let mut x: u64 = 7;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut p = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let t = (next() * 20.0).round() / 20.0;
            p.push(t);
            y.push(next() < t);
        }
        let a = calibration_in_the_large(&p, &y, 0.001).unwrap();
        assert!(a.abs() < 0.02, "{a}");
        let line = calibration_line(&p, &y, 0.001).unwrap();
        assert!((line.slope - 1.0).abs() < 0.05, "{line:?}");
    }

    #[test]
    fn undefined_cases_are_none() {
        assert!(calibration_line(&[0.3, 0.6], &[true, true], 0.001).is_none());
        assert!(calibration_line(&[0.3, 0.3, 0.3], &[true, false, true], 0.001).is_none());
        assert!(calibration_in_the_large(&[0.3, 0.6], &[false, false], 0.001).is_none());
        assert!(spiegelhalter(&[], &[]).is_none());
    }
}
