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
    /// Pool forecasts by distinct value in one pass (a hash of the value's
    /// bits), then sort the distinct values: O(n + d log d) for d values.
    pub fn new(p: &[f64], y: &[bool]) -> Groups {
        let mut index: rustc_hash::FxHashMap<u64, u32> = rustc_hash::FxHashMap::default();
        let mut g = Groups {
            p: Vec::new(),
            n: Vec::new(),
            yes: Vec::new(),
        };
        for (&v, &o) in p.iter().zip(y) {
            // +0.0 folds -0.0 into 0.0, as total_cmp-sorted pooling would not:
            // they are the same forecast.
            let v = v + 0.0;
            let k = *index.entry(v.to_bits()).or_insert_with(|| {
                g.p.push(v);
                g.n.push(0);
                g.yes.push(0);
                (g.p.len() - 1) as u32
            }) as usize;
            g.n[k] += 1;
            g.yes[k] += o as u64;
        }
        let mut order: Vec<u32> = (0..g.p.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| g.p[a as usize].total_cmp(&g.p[b as usize]));
        Groups {
            p: order.iter().map(|&i| g.p[i as usize]).collect(),
            n: order.iter().map(|&i| g.n[i as usize]).collect(),
            yes: order.iter().map(|&i| g.yes[i as usize]).collect(),
        }
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
    corp_consistency_groups(&Groups::new(p, y), resamples, level, seed)
}

/// [`corp_consistency`] for forecasts already pooled by value.
pub fn corp_consistency_groups(
    g: &Groups,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<CorpConsistency> {
    if g.p.is_empty() || resamples == 0 {
        return None;
    }
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
            .map(|(&x, v)| (x, quantile_select(v, lo_q), quantile_select(v, 1.0 - lo_q)))
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

/// [`quantile_sorted`] without sorting all of `v` (it is reordered): two
/// selections, O(len) on average.
fn quantile_select(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
    if h == lo as f64 {
        return a;
    }
    let b = rest.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
    a + (h - lo as f64) * (b - a)
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
///
/// Two exact ways to draw a resample, chosen by the data: when the questions
/// take few distinct (S_q, n_q) values (one forecast per question on a 0.01
/// grid gives at most 101), the number of draws of each distinct value is
/// drawn as a multinomial (one binomial per value), which has the same
/// distribution as drawing the questions one by one and costs O(distinct
/// values) instead of O(questions). Resamples are drawn in fixed blocks, each
/// with its own seed, and blocks run in parallel: the result does not depend
/// on the number of threads.
pub fn bootstrap_brier_ci(
    p: &[f64],
    y: &[bool],
    question: &[u32],
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    bootstrap_clusters(&clusters(p, y, question), resamples, seed, Method::Auto)
}

/// How [`bootstrap_clusters`] draws a resample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Auto,
    /// Draw each question with replacement (what Auto does for many
    /// distinct values; named for the tests).
    #[cfg(test)]
    Direct,
    /// Draw multinomial counts of the distinct question values.
    Multinomial,
}

/// Resamples per block of [`bootstrap_clusters`] (each block has its own seed).
const BLOCK: usize = 250;

fn bootstrap_clusters(
    clusters: &[(f64, u64)],
    resamples: usize,
    seed: u64,
    method: Method,
) -> Option<(f64, f64)> {
    use rand_xoshiro::Xoshiro256PlusPlus;
    use rayon::prelude::*;
    let k = clusters.len();
    if k == 0 || resamples == 0 {
        return None;
    }
    // Distinct (S, n) values with how many questions have each.
    let mut sorted: Vec<(u64, u64)> = clusters.iter().map(|c| (c.1, c.0.to_bits())).collect();
    sorted.sort_unstable();
    let mut distinct: Vec<(f64, f64, u64)> = Vec::new();
    for run in sorted.chunk_by(|a, b| a == b) {
        distinct.push((f64::from_bits(run[0].1), run[0].0 as f64, run.len() as u64));
    }
    drop(sorted);
    let multinomial = match method {
        // A binomial draw costs about as much as 20 direct draws.
        Method::Auto => distinct.len() * 20 < k,
        m => m == Method::Multinomial,
    };
    let block = |b: usize| -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, &b.to_string()));
        let count = BLOCK.min(resamples - b * BLOCK);
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let (mut s, mut n) = (0.0, 0.0);
            if multinomial {
                // Counts of each distinct value: conditional binomials.
                let mut left = k as u64;
                let mut weight_left = k as u64;
                for &(vs, vn, c) in &distinct {
                    if left == 0 {
                        break;
                    }
                    let m = if c == weight_left {
                        left
                    } else {
                        Binomial::new(left, c as f64 / weight_left as f64)
                            .map(|d| d.sample(&mut rng))
                            .unwrap_or(0)
                    };
                    s += m as f64 * vs;
                    n += m as f64 * vn;
                    left -= m;
                    weight_left -= c;
                }
            } else {
                for _ in 0..k {
                    let c = clusters[rng.random_range(0..k)];
                    s += c.0;
                    n += c.1 as f64;
                }
            }
            out.push(s / n);
        }
        out
    };
    let blocks = resamples.div_ceil(BLOCK);
    // Small problems are not worth a thread hand-off.
    let mut stats: Vec<f64> = if multinomial || k * resamples < 1 << 22 {
        (0..blocks).flat_map(block).collect()
    } else {
        (0..blocks).into_par_iter().flat_map_iter(block).collect()
    };
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
    fn both_bootstrap_methods_draw_the_same_distribution() {
        // 3,000 questions over 7 distinct values: the multinomial draw and the
        // direct draw must give the same interval up to Monte Carlo error.
        let clusters: Vec<(f64, u64)> = (0..3000)
            .map(|i| (((i * 37) % 7) as f64 / 10.0, 1 + (i % 7 == 3) as u64))
            .collect();
        let a = bootstrap_clusters(&clusters, 20_000, 5, Method::Direct).unwrap();
        let b = bootstrap_clusters(&clusters, 20_000, 5, Method::Multinomial).unwrap();
        let mean = clusters.iter().map(|c| c.0).sum::<f64>()
            / clusters.iter().map(|c| c.1 as f64).sum::<f64>();
        let width = a.1 - a.0;
        assert!(a.0 < mean && mean < a.1 && width > 0.0, "{a:?} {mean}");
        assert!((a.0 - b.0).abs() < 0.02 * width, "{a:?} {b:?}");
        assert!((a.1 - b.1).abs() < 0.02 * width, "{a:?} {b:?}");
        // Auto picks the multinomial here (7 values, 3,000 questions).
        assert_eq!(
            bootstrap_clusters(&clusters, 500, 5, Method::Auto),
            bootstrap_clusters(&clusters, 500, 5, Method::Multinomial)
        );
        // The normal approximation agrees too: sd of the ratio by the delta method.
        let n_mean = clusters.iter().map(|c| c.1 as f64).sum::<f64>() / 3000.0;
        let var: f64 = clusters
            .iter()
            .map(|c| (c.0 - mean * c.1 as f64).powi(2))
            .sum::<f64>()
            / 3000.0;
        let sd = var.sqrt() / n_mean / 3000f64.sqrt();
        assert!(
            (width / (2.0 * 1.959964 * sd) - 1.0).abs() < 0.05,
            "{width} {sd}"
        );
    }

    #[test]
    fn bootstrap_does_not_depend_on_threads() {
        let clusters: Vec<(f64, u64)> = (0..20_000)
            .map(|i| ((i % 101) as f64 / 97.0, 1 + (i % 3) as u64))
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let one = pool.install(|| bootstrap_clusters(&clusters, 1000, 3, Method::Direct));
        assert_eq!(one, bootstrap_clusters(&clusters, 1000, 3, Method::Direct));
    }

    #[test]
    fn quantile_by_selection_equals_quantile_of_sorted() {
        let mut x: u64 = 5;
        for len in [1usize, 2, 3, 10, 999, 1000] {
            let v: Vec<f64> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 50) as f64 / 7.0
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            for q in [0.0, 0.025, 0.05, 0.5, 0.95, 0.975, 1.0] {
                let mut w = v.clone();
                assert_eq!(
                    quantile_select(&mut w, q),
                    quantile_sorted(&sorted, q),
                    "{len} {q}"
                );
            }
        }
    }

    #[test]
    fn seeds_differ_by_label() {
        assert_ne!(derive_seed(1, "Ann"), derive_seed(1, "Bob"));
        assert_eq!(derive_seed(1, "Ann"), derive_seed(1, "Ann"));
    }
}
