//! Seeded resampling: the CORP consistency test and band, and bootstrap
//! intervals that resample questions (forecasts on one event are not
//! independent). Every function takes a seed and gives the same answer for
//! the same seed and input.

use rand::{Rng, RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::decomp::{GroupBlock, pav_grouped_sized};

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
        let mut index = ValueIndex::new();
        let mut g = Groups {
            p: Vec::new(),
            n: Vec::new(),
            yes: Vec::new(),
        };
        for (&v, &o) in p.iter().zip(y) {
            // +0.0 folds -0.0 into 0.0, as total_cmp-sorted pooling would not:
            // they are the same forecast.
            let v = v + 0.0;
            let k = index.get_or_insert(v.to_bits(), || {
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

    /// CORP miscalibration for outcome counts `yes`, and (when asked) the
    /// recalibrated value of each group; `stack` is working space.
    /// `total` is [`Groups::total`] (the same for every resample).
    fn mcb(
        &self,
        yes: &[u64],
        stack: &mut Vec<GroupBlock>,
        recal: Option<&mut Vec<f64>>,
        total: u64,
    ) -> f64 {
        pav_grouped_sized(&self.n, yes, stack, total);
        let mut sse_recal = 0.0;
        for b in stack.iter() {
            sse_recal += b.yes as f64 * (b.n - b.yes) as f64 / b.n as f64;
        }
        if let Some(recal) = recal {
            recal.clear();
            for b in stack.iter() {
                let v = b.yes as f64 / b.n as f64;
                recal.extend(std::iter::repeat_n(v, b.last + 1 - b.first));
            }
        }
        ((self.sse(yes) - sse_recal) / total as f64).max(0.0)
    }

    /// An upper bound of [`Groups::mcb`] for outcome counts `yes`, without
    /// PAV: the recalibrated fit pools groups, and pooling never lowers the
    /// squared error, so the error of the recalibrated values is at least
    /// that of each group's own mean, Σ k (n - k) / n. `inv_n` holds 1 / n
    /// per group. Rounding aside (the caller leaves a margin for it), the
    /// true miscalibration is at most this. Also returns the squared error of
    /// p over the total (the scale of the rounding).
    fn mcb_bound(&self, yes: &[u64], inv_n: &[f64], total: u64) -> (f64, f64) {
        let (mut sse, mut own) = (0.0, 0.0);
        for (((&p, &n), &k), &inv) in self.p.iter().zip(&self.n).zip(yes).zip(inv_n) {
            let (kf, rest) = (k as f64, (n - k) as f64);
            sse += kf * (1.0 - p) * (1.0 - p) + rest * p * p;
            own += kf * rest * inv;
        }
        ((sse - own) / total as f64, sse / total as f64)
    }
}

/// Distinct values (by their bits) to their index in order of first
/// appearance: open addressing with linear probing, at most half full. A
/// group's forecasts take a few dozen or hundred values, so the table stays
/// in the fastest cache and a look-up is a multiply, a load and a compare.
struct ValueIndex {
    keys: Vec<u64>,
    /// `u32::MAX`: an empty slot.
    values: Vec<u32>,
    len: usize,
}

impl ValueIndex {
    fn new() -> ValueIndex {
        ValueIndex {
            keys: vec![0; 64],
            values: vec![u32::MAX; 64],
            len: 0,
        }
    }

    fn slot(&self, key: u64) -> usize {
        let bits = self.keys.len().trailing_zeros();
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    fn get_or_insert(&mut self, key: u64, new: impl FnOnce() -> u32) -> u32 {
        let mask = self.keys.len() - 1;
        let mut s = self.slot(key);
        loop {
            match self.values[s] {
                u32::MAX => break,
                v if self.keys[s] == key => return v,
                _ => s = (s + 1) & mask,
            }
        }
        let v = new();
        self.keys[s] = key;
        self.values[s] = v;
        self.len += 1;
        if 2 * self.len > self.keys.len() {
            self.grow();
        }
        v
    }

    fn grow(&mut self) {
        let old = std::mem::replace(
            self,
            ValueIndex {
                keys: vec![0; 2 * self.keys.len()],
                values: vec![u32::MAX; 2 * self.keys.len()],
                len: self.len,
            },
        );
        let mask = self.keys.len() - 1;
        for (&k, &v) in old.keys.iter().zip(&old.values) {
            if v != u32::MAX {
                let mut s = self.slot(k);
                while self.values[s] != u32::MAX {
                    s = (s + 1) & mask;
                }
                self.keys[s] = k;
                self.values[s] = v;
            }
        }
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
    corp_consistency_groups(&Groups::new(p, y), resamples, level, seed, true)
}

/// [`corp_consistency`] for forecasts already pooled by value.
///
/// With `band` false the band is left empty (it is only drawn in charts) and
/// the test costs less: resamples whose MCB* is clearly below the observed
/// value by a bound skip the PAV fit, and a group whose observed value is
/// beyond a proven tail bound of the null distribution (`ln_null_tail`:
/// the chance that any of the resamples reaches it is below 1e-15) gets
/// p = 0 without drawing, as a strongly miscalibrated forecaster with many
/// forecasts does.
pub fn corp_consistency_groups(
    g: &Groups,
    resamples: usize,
    level: f64,
    seed: u64,
    band: bool,
) -> Option<CorpConsistency> {
    if g.p.is_empty() || resamples == 0 {
        return None;
    }
    let total = g.total();
    let observed = g.mcb(&g.yes, &mut Vec::with_capacity(g.p.len()), None, total);
    let tol = 1e-12 * observed.abs().max(1e-300);
    // See below: the margin left for rounding between MCB* and its bound.
    let slack = 1e-9 + 1e-15 * g.p.len() as f64;
    // Without a band only the p-value is wanted. When the observed value is
    // so far in the tail of the null distribution that the chance of even
    // one of the resamples reaching it is below 1e-15 (a proven bound, see
    // `ln_null_tail`), the p-value is 0 without drawing: the same answer
    // the draws would give but with that chance. Squared errors are at most
    // 1, so `slack` covers the rounding of MCB* (as argued below).
    if !band {
        let threshold = observed - tol - slack * (1.0 + observed.abs());
        if ln_null_tail(g, threshold) + (resamples as f64).ln() < NEGLIGIBLE.ln() {
            return Some(CorpConsistency {
                p_value: 0.0,
                band: Vec::new(),
            });
        }
    }
    corp_draws(g, resamples, level, seed, band, observed, total)
}

/// The chance below which [`corp_consistency_groups`] treats the event
/// "some resample's MCB* reaches the observed value" as impossible.
const NEGLIGIBLE: f64 = 1e-15;

/// The resampling of [`corp_consistency_groups`], given the observed MCB.
fn corp_draws(
    g: &Groups,
    resamples: usize,
    level: f64,
    seed: u64,
    band: bool,
    observed: f64,
    total: u64,
) -> Option<CorpConsistency> {
    let mut recal = Vec::with_capacity(g.p.len());
    let mut stack = Vec::with_capacity(g.p.len());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // The binomials are the same in every resample: tabulate each once.
    let dists = Tables::new(
        g.p.iter()
            .zip(&g.n)
            .map(|(&p, &n)| DiscreteTable::binomial(n, p))
            .collect(),
    );
    let mut draws = vec![0u64; g.p.len()];
    let mut at_least = 0usize;
    let mut values: Vec<Vec<f64>> = if band {
        vec![Vec::with_capacity(resamples); g.p.len()]
    } else {
        Vec::new()
    };
    let tol = 1e-12 * observed.abs().max(1e-300);
    let inv_n: Vec<f64> = g.n.iter().map(|&n| 1.0 / n as f64).collect();
    // Without a band only whether MCB* reaches the observed value matters:
    // when a bound of MCB* (no PAV needed) stays clearly below it, so does
    // MCB*, and the PAV fit is skipped. Both share the squared error of p
    // (the same terms in the same order); the bound's own-mean error and
    // the fit's pooled error are each at most the squared error of p, and
    // each is a sum of at most d terms, so the rounding separates them by
    // less than 2 (d + 3) 2^-53 of that error: the margin is well above it.
    // The bound pays off when the observed value is far in the tail (a
    // miscalibrated forecaster); once, after the first 64 resamples, it has
    // skipped fewer than a quarter of those it was tried on, it is dropped
    // for good. Either way every resample is counted exactly as with the fit.
    let slack = 1e-9 + 1e-15 * g.p.len() as f64;
    let (mut tried, mut skipped) = (0usize, 0usize);
    for _ in 0..resamples {
        dists.sample_all(&mut rng, &mut draws);
        if !band && (tried < 64 || 4 * skipped >= tried) {
            tried += 1;
            let (bound, scale) = g.mcb_bound(&draws, &inv_n, total);
            if bound + slack * (scale + observed.abs()) < observed - tol {
                skipped += 1;
                continue;
            }
        }
        let m = g.mcb(&draws, &mut stack, band.then_some(&mut recal), total);
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

/// The sub-Gaussian variance proxy of a Bernoulli(p) draw (Kearns and Saul
/// 1998; optimal, Buldygin and Moskvichova 2013): E exp(λ (X - p)) ≤
/// exp(λ² s / 2) for every λ, with s = (1 - 2p) / (2 ln((1 - p) / p)),
/// 1/4 at p = 1/2 and 0 at p = 0 or 1. Between p(1 - p) and 1/4.
fn bernoulli_proxy(p: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 {
        0.0
    } else if (p - 0.5).abs() < 1e-4 {
        // s is largest at 1/2 (the formula is 0/0 there): 1/4 bounds it.
        0.25
    } else {
        (0.5 - p) / ((1.0 - p) / p).ln()
    }
}

/// An upper bound of ln P(MCB* ≥ `threshold`) when outcomes are drawn from
/// the forecasts (the null of the CORP test), without drawing.
///
/// # Formula
/// MCB* is at most B = Σ_j c_j (p_j - X_j / c_j)² / n (see
/// `Groups::mcb_bound`), with X_j ~ Binomial(c_j, p_j) the yes count of the
/// c_j forecasts of value p_j. B n = Σ W_j² with W_j = (X_j - c_j p_j) /
/// √c_j, a sum of c_j centred Bernoulli draws over √c_j: sub-Gaussian with
/// proxy s_j = [`bernoulli_proxy`]`(p_j)`. For such a W and t < 1 / (2 s),
/// E exp(t W²) ≤ (1 - 2 t s)^(-1/2) (write exp(t W²) as E_g exp(√(2t) g W)
/// over a standard normal g). Markov's inequality on exp(t B n) gives,
/// for every t in [0, 1 / (2 max s_j)),
///
///   ln P(B n ≥ a) ≤ -t a - ½ Σ_j ln(1 - 2 t s_j),  a = threshold · n,
///
/// which is convex in t; its minimum is found by bisection on the
/// derivative (any t gives a valid bound, so the search need not be exact).
/// 0 (no information) when a is not above Σ s_j, the mean of the bound's
/// right side at t = 0.
///
/// The bound is for exact binomial draws. The alias tables that make the
/// draws resolve probabilities to 2^-53, so a value p below about 1e-16 is
/// drawn "yes" with a chance up to 2^-53 instead of p: for a group with
/// such values the real chance that the draws would reach the threshold
/// can be a few times the bound (for one forecast p = 1e-18 that came true
/// and 66 resamples, 3.7e-15 against the bound's 1e-15).
fn ln_null_tail(g: &Groups, threshold: f64) -> f64 {
    let a = threshold * g.total() as f64;
    // A little above each proxy: a larger proxy is still a proxy, and the
    // bound must not rest on the last bits of a logarithm.
    let s: Vec<f64> =
        g.p.iter()
            .map(|&p| bernoulli_proxy(p) * (1.0 + 1e-9))
            .filter(|&s| s > 0.0)
            .collect();
    let s_max = s.iter().copied().fold(0.0, f64::max);
    if s_max == 0.0 {
        // Every forecast is 0 or 1: B* is 0 whatever is drawn.
        return if a > 0.0 { f64::NEG_INFINITY } else { 0.0 };
    }
    if a.is_nan() || a <= s.iter().sum::<f64>() {
        return 0.0;
    }
    let bound = |t: f64| -t * a - 0.5 * s.iter().map(|&s| (-2.0 * t * s).ln_1p()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 0.5 / s_max);
    for _ in 0..48 {
        let t = 0.5 * (lo + hi);
        let slope: f64 = s.iter().map(|&s| s / (1.0 - 2.0 * t * s)).sum::<f64>() - a;
        if slope < 0.0 {
            lo = t;
        } else {
            hi = t;
        }
    }
    bound(lo).min(0.0)
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

/// Several [`DiscreteTable`]s in one block of memory (columns one table
/// after another), for loops that draw from each in turn: one less pointer
/// to follow per draw, and the same draws as the tables themselves.
struct Tables {
    /// Per table: offset, first column, number of columns.
    tables: Vec<(u64, u32, u32)>,
    columns: Vec<(u64, u32)>,
}

impl Tables {
    fn new(tables: Vec<DiscreteTable>) -> Tables {
        let mut flat = Tables {
            tables: Vec::with_capacity(tables.len()),
            columns: Vec::with_capacity(tables.iter().map(|t| t.columns.len()).sum()),
        };
        for t in tables {
            let at = flat.columns.len() as u32;
            flat.tables.push((t.lo, at, t.columns.len() as u32));
            flat.columns.extend_from_slice(&t.columns);
        }
        flat
    }

    /// A table per key, made by `make`, built once per distinct key (tables
    /// with the same key share their columns): the same draws as
    /// [`Tables::new`] of every key's table, for less set-up when keys
    /// repeat (the bootstrap's Poisson means follow counts, which do).
    fn shared(keys: impl Iterator<Item = u64>, make: impl Fn(u64) -> DiscreteTable) -> Tables {
        let mut built: rustc_hash::FxHashMap<u64, (u64, u32, u32)> = Default::default();
        let mut flat = Tables {
            tables: Vec::new(),
            columns: Vec::new(),
        };
        for key in keys {
            let table = *built.entry(key).or_insert_with(|| {
                let t = make(key);
                let at = flat.columns.len() as u32;
                flat.columns.extend_from_slice(&t.columns);
                (t.lo, at, t.columns.len() as u32)
            });
            flat.tables.push(table);
        }
        flat
    }

    /// One draw from each table in turn into `out` (as many as there are
    /// tables): the same draws as [`Tables::sample`] for t = 0, 1, ...
    fn sample_all<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [u64]) {
        for (o, &(lo, at, len)) in out.iter_mut().zip(&self.tables) {
            *o = DiscreteTable::draw(
                lo,
                &self.columns[at as usize..at as usize + len as usize],
                rng,
            );
        }
    }

    #[cfg(test)]
    #[inline(always)]
    fn sample<R: Rng + ?Sized>(&self, t: usize, rng: &mut R) -> u64 {
        let (lo, at, len) = self.tables[t];
        DiscreteTable::draw(
            lo,
            &self.columns[at as usize..at as usize + len as usize],
            rng,
        )
    }
}

/// A threshold of 1 in [`DiscreteTable`]'s columns: 2^53.
const THRESHOLD_ONE: u64 = 1 << 53;

/// Draws from a discrete distribution (binomial or Poisson) with an alias
/// table (Walker; Vose's construction): one random number, one table entry
/// and one comparison per draw, after O(range) set-up, for distributions
/// drawn from many times.
///
/// # Remarks
/// The probabilities are computed by the ratio recurrence from the mode and
/// normalized; values whose probability is below 1e-18 of the mode's are left
/// out (their total is far below the 2^-53 resolution of a uniform draw).
/// One 64-bit draw r gives both the column, floor(r m / 2^64), and the
/// uniform compared with its threshold, the rest of r m (resolution m / 2^64).
#[derive(Debug, Clone)]
pub struct DiscreteTable {
    lo: u64,
    /// Per column: the threshold below which the column's own value is
    /// drawn, and the alias drawn otherwise. The threshold t in [0, 1] is
    /// kept as ceil(t 2^53): a 53-bit uniform k 2^-53 is below t exactly
    /// when k is below it, so the draw compares integers.
    columns: Vec<(u64, u32)>,
}

impl DiscreteTable {
    /// Binomial(n, p).
    pub fn binomial(n: u64, p: f64) -> DiscreteTable {
        let p = p.clamp(0.0, 1.0);
        if n == 0 || p == 0.0 || p == 1.0 {
            return DiscreteTable::constant(if p == 1.0 { n } else { 0 });
        }
        let (q, odds) = (1.0 - p, p / (1.0 - p));
        let mode = (((n + 1) as f64 * p).floor() as u64).min(n);
        DiscreteTable::from_mode(
            mode,
            n,
            |k| (n - k) as f64 / (k + 1) as f64 * odds,
            |k| k as f64 / (n - k + 1) as f64 * (q / p),
        )
    }

    /// Poisson(mu).
    pub fn poisson(mu: f64) -> DiscreteTable {
        if !(mu > 0.0 && mu.is_finite()) {
            return DiscreteTable::constant(0);
        }
        DiscreteTable::from_mode(
            mu.floor() as u64,
            u64::MAX,
            |k| mu / (k + 1) as f64,
            |k| k as f64 / mu,
        )
    }

    fn constant(v: u64) -> DiscreteTable {
        DiscreteTable {
            lo: v,
            columns: vec![(THRESHOLD_ONE, 0)],
        }
    }

    /// From the mode, with `up(k)` = P(k + 1) / P(k) and `down(k)` =
    /// P(k - 1) / P(k), on 0..=max.
    fn from_mode(
        mode: u64,
        max: u64,
        up: impl Fn(u64) -> f64,
        down: impl Fn(u64) -> f64,
    ) -> DiscreteTable {
        const CUT: f64 = 1e-18;
        let mut above = Vec::new();
        let (mut w, mut k) = (1.0, mode);
        while k < max {
            w *= up(k);
            if w < CUT {
                break;
            }
            above.push(w);
            k += 1;
        }
        let mut below = Vec::new();
        let (mut w, mut k) = (1.0, mode);
        while k > 0 {
            w *= down(k);
            if w < CUT {
                break;
            }
            below.push(w);
            k -= 1;
        }
        let lo = mode - below.len() as u64;
        let mut pmf: Vec<f64> = below.into_iter().rev().collect();
        pmf.push(1.0);
        pmf.extend(above);
        let total: f64 = pmf.iter().sum();
        let m = pmf.len();
        // Vose: columns scaled to mean 1; each small one is topped up from a
        // large one.
        let mut scaled: Vec<f64> = pmf.iter().map(|w| w / total * m as f64).collect();
        let mut columns: Vec<(f64, u32)> = (0..m).map(|i| (1.0, i as u32)).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..m).partition(|&i| scaled[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            columns[s] = (scaled[s], l as u32);
            scaled[l] = (scaled[l] + scaled[s]) - 1.0;
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left is 1 up to rounding: those columns keep their value.
        let columns = columns
            .into_iter()
            .map(|(t, alias)| ((t * THRESHOLD_ONE as f64).ceil() as u64, alias))
            .collect();
        DiscreteTable { lo, columns }
    }

    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        Self::draw(self.lo, &self.columns, rng)
    }

    /// One draw from the table with offset `lo` and these columns.
    #[inline(always)]
    fn draw<R: Rng + ?Sized>(lo: u64, columns: &[(u64, u32)], rng: &mut R) -> u64 {
        let x = rng.next_u64() as u128 * columns.len() as u128;
        let column = (x >> 64) as usize;
        // The uniform ((x mod 2^64) >> 11) 2^-53, compared as an integer.
        let u = (x as u64) >> 11;
        let (threshold, alias) = columns[column];
        // Column or alias without a branch: which one is a coin flip, and
        // a mispredicted branch costs more than the rest of the draw.
        let own = ((u < threshold) as u64).wrapping_neg();
        lo + (alias as u64 ^ ((column as u64 ^ alias as u64) & own))
    }

    /// The distribution function the table draws from, on lo, lo + 1, ...
    #[cfg(test)]
    fn cdf(&self) -> Vec<f64> {
        let m = self.columns.len() as f64;
        let mut pmf: Vec<f64> = self
            .columns
            .iter()
            .map(|c| c.0 as f64 / THRESHOLD_ONE as f64 / m)
            .collect();
        for c in &self.columns {
            pmf[c.1 as usize] += (1.0 - c.0 as f64 / THRESHOLD_ONE as f64) / m;
        }
        let mut acc = 0.0;
        pmf.iter()
            .map(|p| {
                acc += p;
                acc
            })
            .collect()
    }
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
    if p.is_empty() || resamples == 0 {
        return None;
    }
    bootstrap_question_sums(&question_sums(p, y, question), resamples, seed)
}

/// [`bootstrap_brier_ci`] from the per-question sums of [`question_sums`].
pub fn bootstrap_question_sums(
    sums: &[(f64, u64)],
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    bootstrap_clusters(sums, resamples, seed, Method::Auto)
}

/// How [`bootstrap_clusters`] draws a resample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Auto,
    /// Draw each question with replacement.
    Direct,
    /// Draw each question with replacement, counting draws per question,
    /// then sum (for many questions: cache-friendly).
    Counts,
    /// Draw multinomial counts of the distinct question values.
    Multinomial,
}

/// Above this many questions the bootstrap counts draws per question.
const COUNTS_ABOVE: usize = 1 << 15;

/// Resamples per block of [`bootstrap_clusters`] (each block has its own seed).
const BLOCK: usize = 250;

fn bootstrap_clusters(
    clusters: &[(f64, u64)],
    resamples: usize,
    seed: u64,
    method: Method,
) -> Option<(f64, f64)> {
    use rayon::prelude::*;
    let k = clusters.len();
    if k == 0 || resamples == 0 {
        return None;
    }
    // Distinct (S, n) values with how many questions have each.
    let mut sorted: Vec<(u64, u64)> = clusters.iter().map(|c| (c.1, c.0.to_bits())).collect();
    sorted.sort_unstable();
    let mut distinct: Vec<(f64, u64, u64)> = Vec::new();
    for run in sorted.chunk_by(|a, b| a == b) {
        distinct.push((f64::from_bits(run[0].1), run[0].0, run.len() as u64));
    }
    drop(sorted);
    // Poisson counts of each distinct value with total mean `lambda`, a
    // little below k so that they rarely overshoot; see below.
    let kf = k as f64;
    let lambda = (kf - 1.5 * kf.sqrt()).max(0.0);
    // Values held by a few questions only are pooled: one Poisson count for
    // the pool, then that many draws among its questions.
    let (distinct, rare): (Vec<_>, Vec<_>) = distinct.into_iter().partition(|d| d.2 > 3);
    let rare: Vec<(f64, u64)> = rare
        .into_iter()
        .flat_map(|(s, n, c)| std::iter::repeat_n((s, n), c as usize))
        .collect();
    let method = match method {
        // A tabulated Poisson draw costs about 4 direct draws (1.4 ns each);
        // the pool costs a direct draw per question in it, and about 1.5 √k
        // questions are drawn directly to top a resample up.
        Method::Auto
            if 4.0 * distinct.len() as f64 + (rare.len() as f64) + 2.0 * kf.sqrt() < kf =>
        {
            Method::Multinomial
        }
        // Beyond this many questions the sums no longer fit in a core's
        // cache, and a draw that reads them is a cache miss (about 20 ns).
        Method::Auto if k > COUNTS_ABOVE => Method::Counts,
        Method::Auto => Method::Direct,
        m => m,
    };
    // One Poisson table per distinct count (values held by as many
    // questions share one).
    let poisson = Tables::shared(
        distinct
            .iter()
            .filter(|_| method == Method::Multinomial)
            .map(|&(_, _, c)| c),
        |c| DiscreteTable::poisson(lambda * c as f64 / kf),
    );
    let pool = DiscreteTable::poisson(lambda * rare.len() as f64 / kf);
    let multinomial = method == Method::Multinomial;
    let block = |b: usize| -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, &b.to_string()));
        let count = BLOCK.min(resamples - b * BLOCK);
        let mut out = Vec::with_capacity(count);
        let mut m = vec![0u64; distinct.len()];
        let mut counts: Vec<u8> = if method == Method::Counts {
            vec![0; k]
        } else {
            Vec::new()
        };
        for _ in 0..count {
            // Squared-error sums in four lanes (four independent chains of
            // additions instead of one: the adds no longer wait on each
            // other), forecast counts as integers (exact).
            let mut s = [0.0f64; 4];
            let mut n = 0u64;
            if multinomial {
                // Independent Poisson(λ c_j / k) counts m_j of the distinct
                // values (the pooled rare values as one, then split among
                // their questions uniformly): given their total N they are N
                // independent draws of a question. Then k - N more draws, one question at a
                // time, make k independent draws: a multinomial resample,
                // whatever N was (N > k is redrawn, about 7% of the time).
                loop {
                    (s, n) = ([0.0; 4], 0);
                    // The draws first, then the sums (lane t mod 4 for
                    // value t): a loop with nothing but draws runs faster.
                    poisson.sample_all(&mut rng, &mut m);
                    let mut drawn = 0u64;
                    let mut lanes = m.chunks_exact(4).zip(distinct.chunks_exact(4));
                    for (c, v) in &mut lanes {
                        for l in 0..4 {
                            // Through i64 (the same value: counts are far
                            // below 2^63), which converts in one instruction.
                            s[l] += c[l] as i64 as f64 * v[l].0;
                            n += c[l] * v[l].1;
                            drawn += c[l];
                        }
                    }
                    let tail = distinct.len() - distinct.len() % 4;
                    for (l, (&c, v)) in m[tail..].iter().zip(&distinct[tail..]).enumerate() {
                        s[l] += c as i64 as f64 * v.0;
                        n += c * v.1;
                        drawn += c;
                    }
                    let mut lane = 0;
                    if !rare.is_empty() {
                        let m = pool.sample(&mut rng);
                        draw_uniform_n(&mut rng, rare.len(), m as usize, |i| {
                            let (vs, vn) = rare[i];
                            s[lane & 3] += vs;
                            n += vn;
                            lane += 1;
                        });
                        drawn += m;
                    }
                    if drawn <= k as u64 {
                        draw_uniform_n(&mut rng, k, k - drawn as usize, |i| {
                            let c = clusters[i];
                            s[lane & 3] += c.0;
                            n += c.1;
                            lane += 1;
                        });
                        break;
                    }
                }
            } else if method == Method::Counts {
                // Count the draws of each question in one byte each (half a
                // MB for 500,000 questions: it stays in cache), then add up
                // count × sum in one sequential pass. A count that would
                // pass 255 adds its question directly instead.
                counts.fill(0);
                let mut count = |i: usize| match counts[i].checked_add(1) {
                    Some(c) => counts[i] = c,
                    None => {
                        s[0] += clusters[i].0;
                        n += clusters[i].1;
                    }
                };
                draw_uniform(&mut rng, k, &mut count);
                let mut lanes = counts.chunks_exact(4).zip(clusters.chunks_exact(4));
                for (c, v) in &mut lanes {
                    for l in 0..4 {
                        s[l] += c[l] as f64 * v[l].0;
                        n += c[l] as u64 * v[l].1;
                    }
                }
                let tail = k - k % 4;
                for (&c, v) in counts[tail..].iter().zip(&clusters[tail..]) {
                    s[1] += c as f64 * v.0;
                    n += c as u64 * v.1;
                }
            } else {
                let mut lane = 0;
                draw_uniform(&mut rng, k, |i| {
                    s[lane & 3] += clusters[i].0;
                    n += clusters[i].1;
                    lane += 1;
                });
            }
            out.push(((s[0] + s[1]) + (s[2] + s[3])) / n as f64);
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

/// Call `f` with `k` independent uniform draws from 0..k (k < 2^32): two
/// from each 64-bit random number, each half mapped onto 0..k by Lemire's
/// multiply-shift, rejecting the few values that would make it uneven.
fn draw_uniform(rng: &mut Xoshiro256PlusPlus, k: usize, f: impl FnMut(usize)) {
    draw_uniform_n(rng, k, k, f)
}

/// Call `f` with `count` independent uniform draws from 0..k (k < 2^32), as
/// [`draw_uniform`] draws them.
fn draw_uniform_n(rng: &mut Xoshiro256PlusPlus, k: usize, count: usize, mut f: impl FnMut(usize)) {
    debug_assert!(k > 0 && k <= u32::MAX as usize);
    // 2^32 mod k: the rejection zone.
    let reject_below = (k as u32).wrapping_neg() % k as u32;
    let mut left = count;
    while left > 0 {
        let r = rng.next_u64();
        for half in [r as u32, (r >> 32) as u32] {
            let m = half as u64 * k as u64;
            if left > 0 && (m as u32) >= reject_below {
                f((m >> 32) as usize);
                left -= 1;
            }
        }
    }
}

/// Per question: (sum of squared errors, number of forecasts), ordered by question.
pub fn question_sums(p: &[f64], y: &[bool], question: &[u32]) -> Vec<(f64, u64)> {
    super::question_scores(p, y, question)
        .into_iter()
        .map(|(_, s, n)| (s, n as u64))
        .collect()
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
        // 3,000 questions over 7 common and 300 rare values: the multinomial draw and the
        // direct draw must give the same interval up to Monte Carlo error.
        // Every tenth question has a value of its own (the rare values drawn
        // question by question in the multinomial method).
        let clusters: Vec<(f64, u64)> = (0..3000)
            .map(|i| {
                if i % 10 == 0 {
                    (0.05 + i as f64 / 4000.0, 1)
                } else {
                    (((i * 37) % 7) as f64 / 10.0, 1 + (i % 7 == 3) as u64)
                }
            })
            .collect();
        let a = bootstrap_clusters(&clusters, 20_000, 5, Method::Direct).unwrap();
        let b = bootstrap_clusters(&clusters, 20_000, 5, Method::Multinomial).unwrap();
        let mean = clusters.iter().map(|c| c.0).sum::<f64>()
            / clusters.iter().map(|c| c.1 as f64).sum::<f64>();
        let width = a.1 - a.0;
        assert!(a.0 < mean && mean < a.1 && width > 0.0, "{a:?} {mean}");
        assert!((a.0 - b.0).abs() < 0.02 * width, "{a:?} {b:?}");
        assert!((a.1 - b.1).abs() < 0.02 * width, "{a:?} {b:?}");
        let c = bootstrap_clusters(&clusters, 20_000, 5, Method::Counts).unwrap();
        // Counting draws per question is the direct draw summed in another
        // order: the same random stream gives the same interval up to rounding.
        assert!(
            (a.0 - c.0).abs() < 1e-12 && (a.1 - c.1).abs() < 1e-12,
            "{a:?} {c:?}"
        );
        // Auto picks the multinomial here (7 common values, 300 rare, 3,000 questions).
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

    /// The bound that lets the test skip PAV is never below the
    /// miscalibration itself, and skipping gives exactly the p-value of
    /// fitting every resample (the band's path fits every one).
    #[test]
    fn corp_bound_is_above_the_miscalibration_and_skipping_changes_nothing() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 200,
            ..ProptestConfig::default()
        });
        let forecasts = proptest::collection::vec((0u32..=20, 0.0f64..1.0, 0.0f64..0.6), 1..300);
        runner
            .run(&(forecasts, any::<u64>()), |(rows, seed)| {
                // Forecasts on a 0.05 grid; outcomes drawn with a bias so that
                // some groups are far off calibration and some are not.
                let p: Vec<f64> = rows.iter().map(|r| r.0 as f64 / 20.0).collect();
                let y: Vec<bool> = rows
                    .iter()
                    .map(|r| r.1 < (r.0 as f64 / 20.0 + r.2).min(1.0))
                    .collect();
                let g = Groups::new(&p, &y);
                let total = g.total();
                let inv_n: Vec<f64> = g.n.iter().map(|&n| 1.0 / n as f64).collect();
                let mut stack = Vec::new();
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
                for _ in 0..20 {
                    let yes: Vec<u64> = g.n.iter().map(|&n| rng.random_range(0..=n)).collect();
                    let m = g.mcb(&yes, &mut stack, None, total);
                    let (bound, scale) = g.mcb_bound(&yes, &inv_n, total);
                    prop_assert!(m <= bound + 1e-12 * (scale + 1.0), "{m} {bound}");
                }
                let fast = corp_consistency_groups(&g, 200, 0.9, seed, false).unwrap();
                let full = corp_consistency_groups(&g, 200, 0.9, seed, true).unwrap();
                prop_assert_eq!(fast.p_value, full.p_value);
                Ok(())
            })
            .unwrap();
    }

    /// The Bernoulli proxy is a proxy: E exp(λ (X - p)) ≤ exp(λ² s / 2) on
    /// a grid of p and λ (both signs, up to |λ| = 40), and it lies between
    /// the variance p (1 - p) and Hoeffding's 1/4; hand values at 1/2 and
    /// 0.1 ((0.8 / (2 ln 9)).
    #[test]
    fn bernoulli_proxy_bounds_the_moment_generating_function() {
        assert_eq!(bernoulli_proxy(0.5), 0.25);
        assert!((bernoulli_proxy(0.1) - 0.8 / (2.0 * 9f64.ln())).abs() < 1e-15);
        assert_eq!(bernoulli_proxy(0.0), 0.0);
        assert_eq!(bernoulli_proxy(1.0), 0.0);
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            let s = bernoulli_proxy(p);
            assert!(s >= p * (1.0 - p) - 1e-15 && s <= 0.25, "p {p}: s {s}");
            for j in -400..=400 {
                let l = j as f64 / 10.0;
                let mgf = p * (l * (1.0 - p)).exp() + (1.0 - p) * (-l * p).exp();
                let cap = (l * l * s / 2.0).exp();
                assert!(mgf <= cap * (1.0 + 1e-12), "p {p} λ {l}: {mgf} > {cap}");
            }
        }
    }

    /// The tail bound holds against the exact distribution of the bound B
    /// (every yes count enumerated, Binomial probabilities multiplied) for
    /// small groups and large ones (far tails, where a proxy below the
    /// true one would give a bound under the exact chance) and every
    /// threshold on a grid; and it is not vacuous (under 1e-6 far in the
    /// tail of a large group, 0 in its bulk).
    #[test]
    fn null_tail_bound_is_above_the_exact_tail() {
        let cases: [&[(f64, u64)]; 7] = [
            &[(0.5, 400)],
            &[(0.1, 300)],
            &[(0.9, 50), (0.3, 60)],
            &[(0.5, 6)],
            &[(0.1, 5), (0.5, 3), (0.8, 4)],
            &[(0.02, 7), (0.3, 2), (0.97, 6)],
            &[(0.0, 4), (0.25, 8), (1.0, 2), (0.6, 5)],
        ];
        fn pmf(n: u64, p: f64, k: u64) -> f64 {
            let mut c = 1.0;
            for i in 0..k {
                c *= (n - i) as f64 / (i + 1) as f64;
            }
            c * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)
        }
        for case in cases {
            let g = Groups {
                p: case.iter().map(|c| c.0).collect(),
                n: case.iter().map(|c| c.1).collect(),
                yes: vec![0; case.len()],
            };
            let total = g.total() as f64;
            // Exact distribution of B over every combination of yes counts.
            let mut outcomes: Vec<(f64, f64)> = vec![(0.0, 1.0)];
            for (&p, &n) in g.p.iter().zip(&g.n) {
                let mut next = Vec::new();
                for &(b, w) in &outcomes {
                    for k in 0..=n {
                        let dev = n as f64 * p - k as f64;
                        next.push((b + dev * dev / n as f64 / total, w * pmf(n, p, k)));
                    }
                }
                outcomes = next;
            }
            for i in 0..=200 {
                let threshold = i as f64 / 200.0 * 0.5;
                let exact: f64 = outcomes
                    .iter()
                    .filter(|o| o.0 >= threshold)
                    .map(|o| o.1)
                    .sum();
                let bound = ln_null_tail(&g, threshold).exp();
                assert!(
                    exact <= bound * (1.0 + 1e-12) + 1e-300,
                    "{case:?} at {threshold}: exact {exact} > bound {bound}"
                );
            }
        }
        let big = Groups {
            p: vec![0.3, 0.5, 0.7],
            n: vec![400, 400, 400],
            yes: vec![0; 3],
        };
        assert!(ln_null_tail(&big, 0.02) < 1e-6f64.ln());
        assert_eq!(ln_null_tail(&big, 0.0001), 0.0);
    }

    /// The shortcut answers 0 only where the draws answer 0: groups from
    /// calibrated to far off, some large; it is taken for the far-off ones
    /// (the counter checks the test covers it) and never for a calibrated
    /// group.
    #[test]
    fn corp_shortcut_agrees_with_the_draws() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut taken = 0;
        for case in 0..120 {
            let n = [50usize, 400, 3000][case % 3];
            let bias = [0.0, 0.02, 0.05, 0.1, 0.2][case / 3 % 5];
            let p: Vec<f64> = (0..n)
                .map(|_| rng.random_range(0..=20) as f64 / 20.0)
                .collect();
            let y: Vec<bool> = p
                .iter()
                .map(|&v| rng.random::<f64>() < (v + bias).min(1.0))
                .collect();
            let g = Groups::new(&p, &y);
            let total = g.total();
            let observed = g.mcb(&g.yes, &mut Vec::new(), None, total);
            let short = corp_consistency_groups(&g, 500, 0.9, case as u64, false).unwrap();
            let drawn = corp_draws(&g, 500, 0.9, case as u64, false, observed, total).unwrap();
            let tol = 1e-12 * observed.abs().max(1e-300);
            let slack = 1e-9 + 1e-15 * g.p.len() as f64;
            let threshold = observed - tol - slack * (1.0 + observed.abs());
            if ln_null_tail(&g, threshold) + 500f64.ln() < NEGLIGIBLE.ln() {
                taken += 1;
                assert!(bias >= 0.05, "case {case}: shortcut on bias {bias}");
                assert_eq!(drawn.p_value, 0.0, "case {case}");
            }
            assert_eq!(short.p_value, drawn.p_value, "case {case}");
        }
        assert!(taken >= 8, "shortcut taken {taken} times");
    }

    /// The tables in one block draw exactly what each table draws on its
    /// own from the same random stream (binomials and Poissons of several
    /// sizes, a constant).
    #[test]
    fn tables_in_one_block_draw_as_each_table() {
        let each = vec![
            DiscreteTable::binomial(40, 0.3),
            DiscreteTable::poisson(7.5),
            DiscreteTable::binomial(3, 1.0),
            DiscreteTable::poisson(0.2),
            DiscreteTable::binomial(1000, 0.91),
        ];
        let flat = Tables::new(each.clone());
        let mut a = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut b = Xoshiro256PlusPlus::seed_from_u64(9);
        for r in 0..2000 {
            let t = r % each.len();
            assert_eq!(flat.sample(t, &mut a), each[t].sample(&mut b), "draw {r}");
        }
        assert_eq!(flat.sample(2, &mut a), 3);
    }

    /// Tables shared by key draw what a table per key draws (keys repeat,
    /// out of order), and `sample_all` draws what `sample` draws in turn.
    #[test]
    fn shared_tables_draw_as_a_table_per_key() {
        let keys = [5u64, 40, 5, 7, 40, 40, 1, 5];
        let make = |c: u64| DiscreteTable::poisson(0.9 * c as f64);
        let shared = Tables::shared(keys.iter().copied(), make);
        let each = Tables::new(keys.iter().map(|&c| make(c)).collect());
        assert!(shared.columns.len() < each.columns.len());
        let mut a = Xoshiro256PlusPlus::seed_from_u64(4);
        let mut b = Xoshiro256PlusPlus::seed_from_u64(4);
        let mut out = vec![0u64; keys.len()];
        for _ in 0..500 {
            shared.sample_all(&mut a, &mut out);
            for (t, &o) in out.iter().enumerate() {
                assert_eq!(o, each.sample(t, &mut b), "table {t}");
            }
        }
    }

    /// Pooling by value gives what counting in a sorted map gives, for a few
    /// values or thousands (the index grows many times), with -0.0 as 0.0.
    #[test]
    fn groups_pool_every_value_like_a_sorted_map() {
        let mut x: u64 = 5;
        for distinct in [1u64, 3, 40, 5000] {
            let mut p = Vec::new();
            let mut y = Vec::new();
            for i in 0..20_000u64 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = (x % distinct) as f64 / distinct as f64;
                p.push(if i % 97 == 0 && v == 0.0 { -0.0 } else { v });
                y.push(x.is_multiple_of(3));
            }
            let mut want: std::collections::BTreeMap<u64, (u64, u64)> = Default::default();
            for (&v, &o) in p.iter().zip(&y) {
                let e = want.entry((v + 0.0).to_bits()).or_default();
                e.0 += 1;
                e.1 += o as u64;
            }
            let g = Groups::new(&p, &y);
            let got: Vec<(u64, u64, u64)> =
                g.p.iter()
                    .zip(&g.n)
                    .zip(&g.yes)
                    .map(|((v, &n), &k)| (v.to_bits(), n, k))
                    .collect();
            let want: Vec<(u64, u64, u64)> =
                want.into_iter().map(|(b, (n, k))| (b, n, k)).collect();
            assert_eq!(got, want, "{distinct}");
        }
    }

    /// Exactly k draws, each in 0..k, evenly spread: over 2,000 calls with
    /// k = 7 every value's count is within 5 standard deviations of 2,000,
    /// and the chi-square statistic is below its 0.999 quantile (22.46, 6 df).
    #[test]
    fn uniform_draws_are_k_in_range_and_even() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let k = 7;
        let mut counts = [0u64; 7];
        for _ in 0..2000 {
            let mut drawn = 0;
            draw_uniform(&mut rng, k, |i| {
                counts[i] += 1;
                drawn += 1;
            });
            assert_eq!(drawn, k);
        }
        let expect = 2000.0;
        let sd = (14000.0_f64 * (1.0 / 7.0) * (6.0 / 7.0)).sqrt();
        let chi: f64 = counts
            .iter()
            .map(|&c| {
                assert!((c as f64 - expect).abs() < 5.0 * sd, "{counts:?}");
                (c as f64 - expect).powi(2) / expect
            })
            .sum();
        assert!(chi < 22.46, "{chi} {counts:?}");
        // One question: always 0.
        draw_uniform(&mut rng, 1, |i| assert_eq!(i, 0));
        // Any number of draws from a range of another size, none included;
        // an odd count uses half of the last random number.
        for (range, count) in [(5usize, 0usize), (5, 1), (3, 8), (1000, 333)] {
            let mut drawn = 0;
            draw_uniform_n(&mut rng, range, count, |i| {
                assert!(i < range);
                drawn += 1;
            });
            assert_eq!(drawn, count);
        }
        let mut hits = [0u64; 3];
        draw_uniform_n(&mut rng, 3, 30_001, |i| hits[i] += 1);
        let sd = (30_001.0_f64 * (1.0 / 3.0) * (2.0 / 3.0)).sqrt();
        assert!(
            hits.iter()
                .all(|&h| (h as f64 - 30_001.0 / 3.0).abs() < 5.0 * sd),
            "{hits:?}"
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
        let one = pool.install(|| bootstrap_clusters(&clusters, 1000, 3, Method::Counts));
        assert_eq!(one, bootstrap_clusters(&clusters, 1000, 3, Method::Counts));
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
    fn binomial_tables_match_the_distribution() {
        // The tabulated CDF against statrs everywhere and scipy at recorded
        // points; draws against the distribution's mean and median.
        use statrs::distribution::{Binomial as B, DiscreteCDF};
        for (n, p) in [
            (1u64, 0.3),
            (10, 0.5),
            (37, 0.01),
            (200, 0.93),
            (5000, 0.27),
        ] {
            let t = DiscreteTable::binomial(n, p);
            let exact = B::new(p, n).unwrap();
            // statrs' CDF (a regularized incomplete beta) is good to ~1e-10.
            let cdf = t.cdf();
            for (i, &c) in cdf.iter().enumerate() {
                let k = t.lo + i as u64;
                assert!((c - exact.cdf(k)).abs() < 1e-9, "{n} {p} {k}: {c}");
            }
            assert!((cdf.last().unwrap() - 1.0).abs() < 1e-14);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(n);
            let draws = 200_000;
            let mut mean = 0.0;
            let mut below = 0usize;
            let median = (0..=n).find(|&k| exact.cdf(k) >= 0.5).unwrap_or(n);
            for _ in 0..draws {
                let k = t.sample(&mut rng);
                assert!(k <= n);
                mean += k as f64 / draws as f64;
                below += (k <= median) as usize;
            }
            let sd = (n as f64 * p * (1.0 - p) / draws as f64).sqrt();
            assert!(
                (mean - n as f64 * p).abs() < 5.0 * sd + 1e-12,
                "{n} {p} mean {mean}"
            );
            let share = below as f64 / draws as f64;
            assert!((share - exact.cdf(median)).abs() < 0.005, "{n} {p} {share}");
        }
        // scipy.stats.binom.cdf(k, n, p), recorded (scipy 1.17.1).
        for (n, p, k, want) in [
            (10u64, 0.5, 3u64, 0.171875),
            (37, 0.01, 1, 0.9471219765474203),
            (200, 0.93, 180, 0.06916541758193583),
            (5000, 0.27, 1322, 0.19066899990725675),
            (5000, 0.27, 1400, 0.9457389261336279),
        ] {
            let t = DiscreteTable::binomial(n, p);
            let got = t.cdf()[(k - t.lo) as usize];
            assert!((got - want).abs() < 1e-13, "{n} {p} {k}: {got} vs {want}");
        }
        // Degenerate cases.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(DiscreteTable::binomial(9, 0.0).sample(&mut rng), 0);
        assert_eq!(DiscreteTable::binomial(9, 1.0).sample(&mut rng), 9);
        assert_eq!(DiscreteTable::binomial(0, 0.4).sample(&mut rng), 0);
    }

    #[test]
    fn seeds_differ_by_label() {
        assert_ne!(derive_seed(1, "Ann"), derive_seed(1, "Bob"));
        assert_eq!(derive_seed(1, "Ann"), derive_seed(1, "Ann"));
    }
}
