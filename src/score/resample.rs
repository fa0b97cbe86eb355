//! Seeded resampling: the CORP consistency test and band, and bootstrap
//! intervals that resample questions (forecasts on one event are not
//! independent). Every function takes a seed and gives the same answer for
//! the same seed and input.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use super::decomp::pav_grouped;

/// A seed derived from a base seed and a label (e.g. a forecaster's name), so
/// that each group's random stream does not depend on which other groups exist.
pub fn derive_seed(base: u64, label: &str) -> u64 {
    // FNV-1a, then mixed with the base seed by SplitMix64's finalizer.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in label.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    let mut z = base ^ h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

/// Forecasts pooled by distinct probability, in increasing order.
#[derive(Debug, Clone)]
pub struct Groups {
    pub p: Vec<f64>,
    pub n: Vec<u64>,
    pub yes: Vec<u64>,
}

impl Groups {
    pub fn new(p: &[f64], y: &[bool]) -> Groups {
        let mut idx: Vec<u32> = (0..p.len() as u32).collect();
        idx.sort_unstable_by(|&a, &b| p[a as usize].total_cmp(&p[b as usize]));
        let mut g = Groups {
            p: Vec::new(),
            n: Vec::new(),
            yes: Vec::new(),
        };
        for i in idx {
            let (v, o) = (p[i as usize], y[i as usize] as u64);
            if g.p.last() == Some(&v) {
                *g.n.last_mut().unwrap_or(&mut 0) += 1;
                *g.yes.last_mut().unwrap_or(&mut 0) += o;
            } else {
                g.p.push(v);
                g.n.push(1);
                g.yes.push(o);
            }
        }
        g
    }

    fn total(&self) -> u64 {
        self.n.iter().sum()
    }

    /// Σ (p - y)^2 for outcome counts `yes`.
    fn sse(&self, yes: &[u64]) -> f64 {
        self.p
            .iter()
            .zip(&self.n)
            .zip(yes)
            .map(|((&p, &n), &k)| k as f64 * (1.0 - p) * (1.0 - p) + (n - k) as f64 * p * p)
            .sum()
    }

    /// CORP miscalibration for outcome counts `yes`, and the recalibrated
    /// value of each group.
    fn mcb(&self, yes: &[u64], recal: &mut Vec<f64>) -> f64 {
        let blocks = pav_grouped(&self.n, yes);
        recal.clear();
        let mut sse_recal = 0.0;
        for b in &blocks {
            let v = b.yes as f64 / b.n as f64;
            sse_recal += b.yes as f64 * (b.n - b.yes) as f64 / b.n as f64;
            for _ in b.first..=b.last {
                recal.push(v);
            }
        }
        ((self.sse(yes) - sse_recal) / self.total() as f64).max(0.0)
    }
}

/// The CORP consistency resampling result.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpConsistency {
    /// Share of resamples whose miscalibration is at least the observed one.
    pub p_value: f64,
    /// Consistency band per distinct forecast value: (p, lo, hi), the given
    /// central interval of the recalibrated value when outcomes are drawn as
    /// y* ~ Bernoulli(p).
    pub band: Vec<(f64, f64, f64)>,
}

/// CORP miscalibration test and consistency band.
///
/// # Formula
/// Draw y* ~ Bernoulli(p) for every forecast (`resamples` times), refit PAV,
/// and compute MCB*. The p-value is the share of MCB* ≥ the observed MCB
/// (the contract's definition, without the +1 correction). The band at each
/// distinct p is the central `level` interval of the recalibrated values.
///
/// # Remarks
/// Draws are made per distinct p as Binomial(count, p), which has the same
/// distribution as the individual Bernoulli draws and costs O(distinct p) per
/// resample. `None` for empty input or zero resamples.
pub fn corp_consistency(
    p: &[f64],
    y: &[bool],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<CorpConsistency> {
    if p.is_empty() || resamples == 0 {
        return None;
    }
    let g = Groups::new(p, y);
    let mut recal = Vec::with_capacity(g.p.len());
    let observed = g.mcb(&g.yes, &mut recal);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dists: Vec<Option<Binomial>> =
        g.p.iter()
            .zip(&g.n)
            .map(|(&p, &n)| Binomial::new(n, p.clamp(0.0, 1.0)).ok())
            .collect();
    let mut draws = vec![0u64; g.p.len()];
    let mut at_least = 0usize;
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); g.p.len()];
    let tol = 1e-12 * observed.abs().max(1e-300);
    for _ in 0..resamples {
        for (k, d) in draws.iter_mut().zip(&dists) {
            *k = d.as_ref().map(|d| d.sample(&mut rng)).unwrap_or(0);
        }
        let m = g.mcb(&draws, &mut recal);
        if m >= observed - tol {
            at_least += 1;
        }
        for (v, r) in values.iter_mut().zip(&recal) {
            v.push(*r);
        }
    }
    let lo_q = (1.0 - level) / 2.0;
    let band =
        g.p.iter()
            .zip(values.iter_mut())
            .map(|(&x, v)| {
                v.sort_unstable_by(f64::total_cmp);
                (x, quantile_sorted(v, lo_q), quantile_sorted(v, 1.0 - lo_q))
            })
            .collect();
    Some(CorpConsistency {
        p_value: at_least as f64 / resamples as f64,
        band,
    })
}

/// Quantile of sorted data by linear interpolation (R type 7, numpy default).
///
/// ```
/// use hindsight::score::quantile_sorted;
/// assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
/// assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.0), 1.0);
/// ```
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// 95% bootstrap interval of the mean Brier score, resampling questions.
///
/// # Formula
/// Each question q contributes its forecasts' squared errors (sum S_q over
/// n_q forecasts). A resample draws as many questions as there are, with
/// replacement, and computes Σ S_q / Σ n_q; the interval is the 2.5% and 97.5%
/// quantiles over `resamples` resamples.
///
/// # Remarks
/// `question` gives each forecast's question index (any integers). `None` for
/// empty input or zero resamples.
pub fn bootstrap_brier_ci(
    p: &[f64],
    y: &[bool],
    question: &[u32],
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    if p.is_empty() || resamples == 0 {
        return None;
    }
    let clusters = clusters(p, y, question);
    let k = clusters.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stats = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let (mut s, mut n) = (0.0, 0u64);
        for _ in 0..k {
            let c = clusters[rng.random_range(0..k)];
            s += c.0;
            n += c.1;
        }
        stats.push(s / n as f64);
    }
    stats.sort_unstable_by(f64::total_cmp);
    Some((
        quantile_sorted(&stats, 0.025),
        quantile_sorted(&stats, 0.975),
    ))
}

/// Per question: (sum of squared errors, number of forecasts), ordered by question.
fn clusters(p: &[f64], y: &[bool], question: &[u32]) -> Vec<(f64, u64)> {
    let mut idx: Vec<u32> = (0..p.len() as u32).collect();
    idx.sort_unstable_by_key(|&i| question[i as usize]);
    let mut out: Vec<(f64, u64)> = Vec::new();
    let mut last = None;
    for i in idx {
        let i = i as usize;
        let d = p[i] - if y[i] { 1.0 } else { 0.0 };
        if last == Some(question[i]) {
            if let Some(c) = out.last_mut() {
                c.0 += d * d;
                c.1 += 1;
            }
        } else {
            out.push((d * d, 1));
            last = Some(question[i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_answer_other_seed_other_draws() {
        let p: Vec<f64> = (0..200).map(|i| (i % 10) as f64 / 10.0 + 0.05).collect();
        let y: Vec<bool> = (0..200).map(|i| i % 3 == 0).collect();
        let q: Vec<u32> = (0..200).map(|i| i / 2).collect();
        let a = corp_consistency(&p, &y, 200, 0.9, 7).unwrap();
        let b = corp_consistency(&p, &y, 200, 0.9, 7).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            bootstrap_brier_ci(&p, &y, &q, 300, 1),
            bootstrap_brier_ci(&p, &y, &q, 300, 1)
        );
        assert_ne!(
            bootstrap_brier_ci(&p, &y, &q, 300, 1),
            bootstrap_brier_ci(&p, &y, &q, 300, 2)
        );
    }

    #[test]
    fn badly_miscalibrated_forecasts_fail_the_corp_test() {
        // Says 0.9 but only 10% happen.
        let p = vec![0.9; 100];
        let y: Vec<bool> = (0..100).map(|i| i < 10).collect();
        let t = corp_consistency(&p, &y, 500, 0.9, 3).unwrap();
        assert_eq!(t.p_value, 0.0);
        // The band at 0.9 is around 0.9.
        let (x, lo, hi) = t.band[0];
        assert_eq!(x, 0.9);
        assert!(lo > 0.8 && hi < 0.97 && lo <= 0.9 && 0.9 <= hi, "{lo} {hi}");
    }

    #[test]
    fn bootstrap_interval_contains_the_estimate_and_degenerates_when_certain() {
        let p = [0.2, 0.7, 0.4, 0.9, 0.1, 0.6];
        let y = [false, true, false, true, true, false];
        let q = [0, 1, 2, 3, 4, 5];
        let (lo, hi) = bootstrap_brier_ci(&p, &y, &q, 2000, 9).unwrap();
        let bs = crate::score::brier(&p, &y).unwrap();
        assert!(lo <= bs && bs <= hi, "{lo} {bs} {hi}");
        // One question only: every resample is that question.
        let (lo, hi) = bootstrap_brier_ci(&[0.3, 0.5], &[true, true], &[4, 4], 100, 1).unwrap();
        assert!((lo - 0.37).abs() < 1e-15 && (hi - 0.37).abs() < 1e-15);
    }

    #[test]
    fn seeds_differ_by_label() {
        assert_ne!(derive_seed(1, "Ann"), derive_seed(1, "Bob"));
        assert_eq!(derive_seed(1, "Ann"), derive_seed(1, "Ann"));
    }
}
