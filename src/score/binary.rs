//! Proper scores and discrimination for binary forecasts over slices.
//!
//! `p[i]` is the forecast P(yes) and `y[i]` the outcome. Every function is
//! pure, allocates little, and returns `None` where the quantity is undefined
//! (empty input, one class only) rather than NaN.

/// Mean Brier score.
///
/// # Formula
/// `BS = (1/n) Σ (p_i - y_i)^2`, y in {0, 1}; 0 is perfect, 0.25 is always 0.5.
///
/// # Remarks
/// `None` for empty input. This is the 0-1 scale (some platforms quote twice it).
///
/// # Examples
/// ```
/// use hindsight::score::brier;
/// let bs = brier(&[0.9, 0.2], &[true, false]).unwrap();
/// assert!((bs - (0.01 + 0.04) / 2.0).abs() < 1e-15);
/// assert_eq!(brier(&[], &[]), None);
/// ```
pub fn brier(p: &[f64], y: &[bool]) -> Option<f64> {
    debug_assert_eq!(p.len(), y.len());
    if p.is_empty() {
        return None;
    }
    let sum: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| {
            let d = p - if y { 1.0 } else { 0.0 };
            d * d
        })
        .sum();
    Some(sum / p.len() as f64)
}

/// Mean log score (negative log likelihood) with clamping, and the number of
/// forecasts that were clamped.
///
/// # Formula
/// `LS = (1/n) Σ -ln(q_i)`, `q_i = p'_i` if `y_i = 1` else `1 - p'_i`, where
/// `p'_i = min(max(p_i, c), 1 - c)`.
///
/// # Remarks
/// Without the clamp a forecast of 0 or 1 that turns out wrong scores infinity.
/// `None` for empty input. `clamp` must be in (0, 0.5).
///
/// # Examples
/// ```
/// use hindsight::score::log_score;
/// let (ls, clamped) = log_score(&[0.8, 0.0], &[true, true], 0.001).unwrap();
/// assert!((ls - (-(0.8f64).ln() - (0.001f64).ln()) / 2.0).abs() < 1e-12);
/// assert_eq!(clamped, 1);
/// ```
pub fn log_score(p: &[f64], y: &[bool], clamp: f64) -> Option<(f64, usize)> {
    if p.is_empty() {
        return None;
    }
    let mut clamped = 0;
    let mut sum = 0.0;
    // Forecasts take few distinct values: each logarithm is remembered in a
    // small direct-mapped cache (same values, same order of addition). Every
    // entry holds a value's bits and its logarithm, from the start: 0 and
    // ln 0.
    let mut cache = [(0.0f64.to_bits(), 0.0f64.ln()); 256];
    for (&p, &y) in p.iter().zip(y) {
        let pc = p.clamp(clamp, 1.0 - clamp);
        if pc != p {
            clamped += 1;
        }
        let q = if y { pc } else { 1.0 - pc };
        let bits = q.to_bits();
        let slot = &mut cache[(bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize];
        if slot.0 != bits {
            *slot = (bits, q.ln());
        }
        sum -= slot.1;
    }
    Some((sum / p.len() as f64, clamped))
}

/// [`brier`] and [`log_score`] from forecasts pooled by value (`g`: each
/// distinct p with its number of forecasts and of yes outcomes): each term
/// is added once per distinct value, times its count, so the sums equal the
/// row sums up to rounding (and round less), in O(distinct values).
pub(crate) fn brier_groups(g: &super::Groups) -> Option<f64> {
    let total: u64 = g.n.iter().sum();
    if total == 0 {
        return None;
    }
    let sum: f64 =
        g.p.iter()
            .zip(&g.n)
            .zip(&g.yes)
            .map(|((&p, &n), &k)| k as f64 * (1.0 - p) * (1.0 - p) + (n - k) as f64 * p * p)
            .sum();
    Some(sum / total as f64)
}

/// [`log_score`] from pooled forecasts (see [`brier_groups`]); a value's
/// logarithms are taken only for outcomes it has.
pub(crate) fn log_score_groups(g: &super::Groups, clamp: f64) -> Option<(f64, usize)> {
    let total: u64 = g.n.iter().sum();
    if total == 0 {
        return None;
    }
    let (mut sum, mut clamped) = (0.0, 0u64);
    for ((&p, &n), &k) in g.p.iter().zip(&g.n).zip(&g.yes) {
        let pc = p.clamp(clamp, 1.0 - clamp);
        if pc != p {
            clamped += n;
        }
        if k > 0 {
            sum -= k as f64 * pc.ln();
        }
        if n > k {
            sum -= (n - k) as f64 * (1.0 - pc).ln();
        }
    }
    Some((sum / total as f64, clamped as usize))
}

/// Share of outcomes that were yes.
///
/// ```
/// use hindsight::score::base_rate;
/// assert_eq!(base_rate(&[true, false, false, false]), Some(0.25));
/// ```
pub fn base_rate(y: &[bool]) -> Option<f64> {
    if y.is_empty() {
        return None;
    }
    Some(y.iter().filter(|&&v| v).count() as f64 / y.len() as f64)
}

/// Brier skill score against climatology (always forecasting the base rate).
///
/// # Formula
/// `BSS = 1 - BS / (o (1 - o))`, o = base rate.
///
/// # Remarks
/// `None` when o is 0 or 1 (the reference scores 0, so skill is undefined).
///
/// ```
/// use hindsight::score::brier_skill;
/// assert_eq!(brier_skill(0.125, 0.5), Some(0.5));
/// assert_eq!(brier_skill(0.1, 1.0), None);
/// ```
pub fn brier_skill(brier: f64, base_rate: f64) -> Option<f64> {
    let unc = base_rate * (1.0 - base_rate);
    if unc <= 0.0 {
        None
    } else {
        Some(1.0 - brier / unc)
    }
}

/// Area under the ROC curve: the probability that a random yes-case got a
/// higher forecast than a random no-case, ties counting half (Mann-Whitney U
/// divided by n1 n0).
///
/// # Formula
/// `AUC = (Σ_{i: y=1} Σ_{j: y=0} [p_i > p_j] + ½ [p_i = p_j]) / (n1 n0)`,
/// computed by pooling equal forecasts (one hashing pass, then a sort of the
/// distinct values), with exact integer counting.
///
/// # Remarks
/// `None` when all outcomes are equal (or input is empty).
///
/// ```
/// use hindsight::score::auc;
/// assert_eq!(auc(&[0.9, 0.1, 0.5, 0.5], &[true, false, true, false]), Some(0.875));
/// assert_eq!(auc(&[0.3], &[true]), None);
/// ```
pub fn auc(p: &[f64], y: &[bool]) -> Option<f64> {
    let n1 = y.iter().filter(|&&v| v).count() as u64;
    let n0 = y.len() as u64 - n1;
    if n1 == 0 || n0 == 0 {
        return None;
    }
    auc_groups(&super::Groups::new(p, y))
}

/// [`auc`] for forecasts already pooled by value (O(distinct values)).
pub fn auc_groups(g: &super::Groups) -> Option<f64> {
    let n1: u64 = g.yes.iter().sum();
    let n0 = g.n.iter().sum::<u64>() - n1;
    if n1 == 0 || n0 == 0 {
        return None;
    }
    // Twice the numerator, in integers: 2·(pos above neg) + (pos tied with neg).
    let mut twice: u128 = 0;
    let mut neg_below: u64 = 0;
    for (&n, &a) in g.n.iter().zip(&g.yes) {
        let b = n - a;
        twice += 2 * a as u128 * neg_below as u128 + a as u128 * b as u128;
        neg_below += b;
    }
    Some(twice as f64 / (2.0 * n1 as f64 * n0 as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    #[test]
    fn brier_hand_cases() {
        // (p, y, expected) worked by hand.
        let cases: &[(&[f64], &[bool], f64)] = &[
            (&[1.0], &[true], 0.0),
            (&[0.0], &[true], 1.0),
            (&[0.5, 0.5], &[true, false], 0.25),
            (
                &[0.7, 0.2, 0.9],
                &[true, false, false],
                (0.09 + 0.04 + 0.81) / 3.0,
            ),
        ];
        for (p, y, want) in cases {
            let got = brier(p, y).unwrap();
            assert!((got - want).abs() < TOL, "{p:?} {y:?}: {got} vs {want}");
        }
    }

    #[test]
    fn log_score_hand_cases() {
        let (ls, c) = log_score(&[0.5, 0.5], &[true, false], 0.001).unwrap();
        assert!((ls - std::f64::consts::LN_2).abs() < TOL);
        assert_eq!(c, 0);
        let (ls, c) = log_score(&[1.0, 0.0], &[false, false], 0.01).unwrap();
        assert!((ls - (-(0.01f64).ln() - (0.99f64).ln()) / 2.0).abs() < TOL);
        assert_eq!(c, 2);
        assert!(log_score(&[], &[], 0.001).is_none());
    }

    #[test]
    fn auc_hand_cases() {
        // Perfect separation, reversed separation, all tied.
        assert_eq!(
            auc(&[0.8, 0.9, 0.1, 0.2], &[true, true, false, false]),
            Some(1.0)
        );
        assert_eq!(
            auc(&[0.1, 0.2, 0.8, 0.9], &[true, true, false, false]),
            Some(0.0)
        );
        assert_eq!(auc(&[0.4, 0.4, 0.4], &[true, false, false]), Some(0.5));
        // pos {0.6, 0.3}, neg {0.3, 0.1}: pairs (0.6>0.3)=1 (0.6>0.1)=1 (0.3=0.3)=.5 (0.3>0.1)=1 -> 3.5/4
        assert_eq!(
            auc(&[0.6, 0.3, 0.3, 0.1], &[true, true, false, false]),
            Some(0.875)
        );
        assert_eq!(auc(&[], &[]), None);
    }

    #[test]
    fn auc_matches_brute_force() {
        let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.1, 0.65, 0.4, 0.2];
        let y = [
            false, true, false, true, false, true, true, false, true, false,
        ];
        let mut num = 0.0;
        let mut den = 0.0;
        for i in 0..p.len() {
            for j in 0..p.len() {
                if y[i] && !y[j] {
                    den += 1.0;
                    num += if p[i] > p[j] {
                        1.0
                    } else if p[i] == p[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        assert!((auc(&p, &y).unwrap() - num / den).abs() < TOL);
    }

    #[test]
    fn skill_cases() {
        assert_eq!(brier_skill(0.25, 0.5), Some(0.0));
        assert_eq!(brier_skill(0.0, 0.3), Some(1.0));
        assert_eq!(brier_skill(0.1, 0.0), None);
    }
}
