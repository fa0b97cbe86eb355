//! On simulated, perfectly calibrated forecasters (y ~ Bernoulli(p)), each
//! calibration test must reject at close to its nominal rate: 1,000
//! replications at alpha = 0.05, with a fixed seed so the test is repeatable.
//! Binomial sd of the rate is sqrt(0.05 * 0.95 / 1000) = 0.0069; the accepted
//! band [0.025, 0.08] is about -3.6 to +4.3 sd. A miscalibrated forecaster must
//! be rejected almost always (power check), so the tests cannot pass by never
//! rejecting.

use hindsight::score::{corp_consistency, hosmer_lemeshow, spiegelhalter};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const REPS: usize = 1000;
const N: usize = 300;

fn simulate(rng: &mut ChaCha8Rng, distort: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<bool>) {
    let mut p = Vec::with_capacity(N);
    let mut y = Vec::with_capacity(N);
    for _ in 0..N {
        // Forecasts rounded to 0.01 as people write them, away from 0 and 1.
        let truth = (rng.random_range(0.02..0.98f64) * 100.0).round() / 100.0;
        y.push(rng.random::<f64>() < truth);
        p.push(distort(truth));
    }
    (p, y)
}

struct Rates {
    spiegelhalter: f64,
    /// Hosmer–Lemeshow with the contract's df = groups - 2.
    hl_contract: f64,
    /// Hosmer–Lemeshow with df = groups (forecasts not fitted to the data).
    hl_external: f64,
    corp: f64,
}

fn rates(distort: impl Fn(f64) -> f64 + Copy, seed: u64) -> Rates {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut sp, mut hl, mut hle, mut corp, mut hl_n) = (0, 0, 0, 0, 0);
    for r in 0..REPS {
        let (p, y) = simulate(&mut rng, distort);
        if spiegelhalter(&p, &y).unwrap().p < 0.05 {
            sp += 1;
        }
        if let Some(h) = hosmer_lemeshow(&p, &y, 10) {
            hl_n += 1;
            if h.p < 0.05 {
                hl += 1;
            }
            if h.p_external < 0.05 {
                hle += 1;
            }
        }
        if corp_consistency(&p, &y, 199, 0.9, r as u64)
            .unwrap()
            .p_value
            < 0.05
        {
            corp += 1;
        }
    }
    assert_eq!(hl_n, REPS);
    let r = |k: usize| k as f64 / REPS as f64;
    Rates {
        spiegelhalter: r(sp),
        hl_contract: r(hl),
        hl_external: r(hle),
        corp: r(corp),
    }
}

#[test]
fn calibrated_forecasters_are_rejected_at_the_nominal_rate() {
    let r = rates(|t| t, 2019);
    println!(
        "rejection rates at alpha 0.05 over {REPS} calibrated replications: Spiegelhalter {}, Hosmer-Lemeshow (df = groups) {}, Hosmer-Lemeshow (contract df = groups - 2) {}, CORP {}",
        r.spiegelhalter, r.hl_external, r.hl_contract, r.corp
    );
    for (name, rate) in [
        ("Spiegelhalter", r.spiegelhalter),
        ("Hosmer-Lemeshow (df = groups)", r.hl_external),
        ("CORP", r.corp),
    ] {
        assert!(
            (0.025..=0.08).contains(&rate),
            "{name} rejects calibrated forecasters at {rate}"
        );
    }
    // The contract's df = groups - 2 is anti-conservative for forecasts that
    // were not fitted to the outcomes: this is why reports use p_external.
    assert!(r.hl_contract > 0.09, "{}", r.hl_contract);
}

#[test]
fn overconfident_forecasters_are_rejected() {
    // Push every forecast away from 0.5: logit scaled by 2.5.
    let over = |t: f64| {
        let l = (t / (1.0 - t)).ln() * 2.5;
        1.0 / (1.0 + (-l).exp())
    };
    let r = rates(over, 7);
    println!(
        "rejection rates for overconfident forecasters: Spiegelhalter {}, Hosmer-Lemeshow (df = groups) {}, CORP {}",
        r.spiegelhalter, r.hl_external, r.corp
    );
    assert!(r.spiegelhalter > 0.95 && r.hl_external > 0.95 && r.corp > 0.9);
}
