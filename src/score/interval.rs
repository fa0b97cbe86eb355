//! Interval estimates: the Jeffreys interval for a binomial proportion and the
//! beta quantile it needs.

use statrs::function::beta::{beta_reg, ln_beta};

/// Quantile of the Beta(a, b) distribution: the x with I_x(a, b) = q.
///
/// # Remarks
/// Safeguarded Newton iteration on statrs' regularized incomplete beta, kept
/// inside a shrinking bracket, to full double precision. Returns 0 for q <= 0
/// and 1 for q >= 1. `a` and `b` must be positive.
///
/// ```
/// use hindsight::score::beta_quantile;
/// // Beta(1, 1) is uniform.
/// assert!((beta_quantile(0.3, 1.0, 1.0) - 0.3).abs() < 1e-14);
/// // Beta(2, 1) has cdf x^2.
/// assert!((beta_quantile(0.25, 2.0, 1.0) - 0.5).abs() < 1e-14);
/// ```
pub fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 {
        return 1.0;
    }
    let lb = ln_beta(a, b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = a / (a + b);
    for _ in 0..200 {
        let f = beta_reg(a, b, x) - q;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let ln_pdf = (a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - lb;
        let pdf = ln_pdf.exp();
        let mut next = x - f / pdf;
        if !next.is_finite() || next <= lo || next >= hi {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.max(f64::MIN_POSITIVE)
            || hi - lo <= f64::EPSILON * hi
        {
            return next;
        }
        x = next;
    }
    x
}

/// 95% Jeffreys interval for k successes in n trials: the 0.025 and 0.975
/// quantiles of Beta(k + ½, n - k + ½), with the lower end 0 when k = 0 and the
/// upper end 1 when k = n.
///
/// ```
/// use hindsight::score::jeffreys;
/// let (lo, hi) = jeffreys(0, 5);
/// assert_eq!(lo, 0.0);
/// assert!(hi > 0.0 && hi < 0.5);
/// let (lo, hi) = jeffreys(5, 5);
/// assert_eq!(hi, 1.0);
/// assert!(lo > 0.5);
/// ```
pub fn jeffreys(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let a = k as f64 + 0.5;
    let b = (n - k) as f64 + 0.5;
    let lo = if k == 0 {
        0.0
    } else {
        beta_quantile(0.025, a, b)
    };
    let hi = if k == n {
        1.0
    } else {
        beta_quantile(0.975, a, b)
    };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_the_cdf() {
        for &(a, b) in &[
            (0.5, 10.5),
            (3.5, 7.5),
            (1.5, 1.5),
            (5000.5, 3000.5),
            (100.5, 1.5),
        ] {
            for &q in &[0.001, 0.025, 0.5, 0.975, 0.999] {
                let x = beta_quantile(q, a, b);
                assert!(
                    (beta_reg(a, b, x) - q).abs() < 1e-12,
                    "a {a} b {b} q {q} x {x}"
                );
            }
        }
    }

    #[test]
    fn jeffreys_matches_scipy_table() {
        // tests/reference/jeffreys.csv: scipy.stats.beta.ppf for 115 (k, n) pairs,
        // n from 1 to 100,000 (made by the script in tests/reference/README.md).
        let table = include_str!("../../tests/reference/jeffreys.csv");
        let mut worst: f64 = 0.0;
        for line in table.lines().skip(1) {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
            let (lo, hi) = jeffreys(v[0] as u64, v[1] as u64);
            worst = worst.max((lo - v[2]).abs()).max((hi - v[3]).abs());
            assert!(
                (lo - v[2]).abs() < 1e-10 && (hi - v[3]).abs() < 1e-10,
                "{line}: got {lo}, {hi}"
            );
        }
        assert!(worst < 1e-10);
    }

    #[test]
    fn jeffreys_matches_scipy() {
        // scipy 1.17.1: beta.ppf([0.025, 0.975], k + 0.5, n - k + 0.5)
        let cases = [
            (3, 10, 0.09269459393815316, 0.6058183181486713),
            (250, 1000, 0.22391109474754964, 0.27753363123662067),
            (1, 2, 0.06083027592009732, 0.9391697240799026),
        ];
        for (k, n, lo, hi) in cases {
            let (a, b) = jeffreys(k, n);
            assert!((a - lo).abs() < 1e-12, "{k}/{n}: {a} vs {lo}");
            assert!((b - hi).abs() < 1e-12, "{k}/{n}: {b} vs {hi}");
        }
        // Endpoints pinned by the contract; the other end still computed.
        let (lo, hi) = jeffreys(0, 7);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.29243617366230984).abs() < 1e-12);
        let (lo, hi) = jeffreys(1, 1);
        assert_eq!(hi, 1.0);
        assert!((lo - 0.14674631630957513).abs() < 1e-12);
    }
}
