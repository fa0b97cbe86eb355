//! Property tests of the scoring identities and bounds on random forecasts.

use hindsight::score::{auc, bin_index, brier, calibration_bins, corp, log_score, murphy, pav};
use proptest::prelude::*;

/// Forecast sets with many ties and the extreme values 0 and 1, as people write them.
fn forecasts() -> impl Strategy<Value = (Vec<f64>, Vec<bool>)> {
    prop::collection::vec(
        (
            prop_oneof![
                (0u32..=20).prop_map(|k| k as f64 / 20.0),
                (0u32..=1000).prop_map(|k| k as f64 / 1000.0),
                Just(0.0),
                Just(1.0),
            ],
            any::<bool>(),
        ),
        1..300,
    )
    .prop_map(|v| v.into_iter().unzip())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn murphy_terms_sum_to_brier((p, y) in forecasts(), bins in 1usize..25) {
        let m = murphy(&p, &y, bins).unwrap();
        let bs = brier(&p, &y).unwrap();
        prop_assert!((m.reliability - m.resolution + m.uncertainty + m.residual - bs).abs() < 1e-12);
        prop_assert!(m.reliability >= 0.0 && m.resolution >= 0.0 && m.uncertainty >= 0.0);
        prop_assert!(m.uncertainty <= 0.25);
    }

    #[test]
    fn corp_terms_sum_to_brier((p, y) in forecasts()) {
        let c = corp(&p, &y).unwrap();
        let bs = brier(&p, &y).unwrap();
        prop_assert!((c.miscalibration - c.discrimination + c.uncertainty - bs).abs() < 1e-12,
            "mcb {} dsc {} unc {} bs {}", c.miscalibration, c.discrimination, c.uncertainty, bs);
        prop_assert!(c.miscalibration >= 0.0 && c.discrimination >= 0.0);
        prop_assert!(c.discrimination <= c.uncertainty + 1e-15);
    }

    #[test]
    fn pav_is_monotone_and_preserves_counts((p, y) in forecasts()) {
        let blocks = pav(&p, &y);
        prop_assert_eq!(blocks.iter().map(|b| b.n).sum::<u64>(), p.len() as u64);
        prop_assert_eq!(blocks.iter().map(|b| b.yes).sum::<u64>(), y.iter().filter(|&&v| v).count() as u64);
        for w in blocks.windows(2) {
            prop_assert!(w[0].value() < w[1].value(), "not strictly increasing: {:?}", w);
            prop_assert!(w[0].p_hi < w[1].p_lo);
        }
    }

    #[test]
    fn recalibrating_never_hurts_and_calibrated_forecasts_have_no_miscalibration((p, y) in forecasts()) {
        // Replacing each forecast by its PAV value gives a forecast with MCB = 0.
        let blocks = pav(&p, &y);
        let recal: Vec<f64> = p.iter().map(|&x| blocks.iter().find(|b| b.p_lo <= x && x <= b.p_hi).unwrap().value()).collect();
        let c = corp(&recal, &y).unwrap();
        prop_assert!(c.miscalibration < 1e-12, "{}", c.miscalibration);
        prop_assert!(brier(&recal, &y).unwrap() <= brier(&p, &y).unwrap() + 1e-15);
    }

    #[test]
    fn auc_is_a_probability_and_flips_with_the_forecasts((p, y) in forecasts()) {
        match auc(&p, &y) {
            None => prop_assert!(y.iter().all(|&v| v) || y.iter().all(|&v| !v)),
            Some(a) => {
                prop_assert!((0.0..=1.0).contains(&a));
                let flipped: Vec<f64> = p.iter().map(|x| 1.0 - x).collect();
                prop_assert!((auc(&flipped, &y).unwrap() - (1.0 - a)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn scores_are_bounded((p, y) in forecasts()) {
        let bs = brier(&p, &y).unwrap();
        prop_assert!((0.0..=1.0).contains(&bs));
        let (ls, _) = log_score(&p, &y, 0.001).unwrap();
        prop_assert!(ls >= 0.0 && ls <= -(0.001f64).ln() + 1e-12);
    }

    #[test]
    fn calibration_bins_cover_every_forecast((p, y) in forecasts(), bins in 1usize..25) {
        let t = calibration_bins(&p, &y, bins);
        prop_assert_eq!(t.iter().map(|b| b.n).sum::<usize>(), p.len());
        for b in &t {
            prop_assert!(b.bin_lo <= b.mean_forecast + 1e-12 && b.mean_forecast <= b.bin_hi + 1e-12);
            prop_assert!(0.0 <= b.ci_lo && b.ci_lo <= b.observed && b.observed <= b.ci_hi && b.ci_hi <= 1.0,
                "{:?}", b);
        }
        for w in t.windows(2) {
            prop_assert!(w[0].bin_hi <= w[1].bin_lo);
        }
    }

    #[test]
    fn decimal_bin_edges_land_in_their_own_bin(bins in 1usize..200, k in 0usize..200) {
        let k = k % bins;
        let text = format!("{}", k as f64 / bins as f64);
        let p: f64 = text.parse().unwrap();
        prop_assert_eq!(bin_index(p, bins), k);
    }
}
