//! Scoring: pure numeric code over columnar slices.
//!
//! Owns the proper scores (Brier, log), discrimination (AUC), the Murphy and
//! CORP decompositions, calibration bins with Jeffreys intervals, and the
//! [`Summary`] that bundles them for one group of forecasts. It does no I/O and
//! knows nothing of CSV, the command line or rendering. Inputs are `&[f64]`
//! probabilities and `&[bool]` outcomes of equal length.

mod binary;
mod calib;
mod compare;
mod decomp;
mod interval;
mod resample;

pub use binary::{auc, auc_groups, base_rate, brier, brier_skill, log_score};
pub use calib::{
    CalibrationLine, HosmerLemeshow, ZTest, brier_skill_chimp, calibration_in_the_large,
    calibration_in_the_large_groups, calibration_line, calibration_line_groups, hosmer_lemeshow,
    spiegelhalter,
};
pub use compare::{Pairwise, QuestionScores, holm, pairwise, question_scores, relative_skill};
pub use decomp::{
    Bin, Corp, GroupBlock, Murphy, PavBlock, bin_index, calibration_bins, corp, corp_groups,
    murphy, pav, pav_grouped, pav_grouped_into,
};
pub use interval::{beta_quantile, jeffreys};
pub use resample::{
    CorpConsistency, Groups, bootstrap_brier_ci, bootstrap_question_sums, corp_consistency,
    corp_consistency_groups, derive_seed, quantile_sorted, question_sums,
};

use rayon::prelude::*;
use serde::Serialize;

/// Scoring parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub bins: usize,
    pub log_clamp: f64,
    /// Resamples for the CORP consistency test and bootstrap intervals (0: skip them).
    pub resamples: usize,
    /// Base seed for every random draw.
    pub seed: u64,
    /// Compute the CORP consistency band (`Summary::corp_band`, for charts).
    pub corp_band: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            bins: 10,
            log_clamp: 0.001,
            resamples: 1000,
            seed: 20190315,
            corp_band: true,
        }
    }
}

/// Everything the data contract's SUMMARY holds for one group of forecasts.
/// Field order is the JSON key order: the contract's keys first, then the
/// calibration tests and comparisons added with the monthly reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub brier: Option<f64>,
    pub log_score: Option<f64>,
    pub base_rate: Option<f64>,
    pub brier_skill: Option<f64>,
    pub auc: Option<f64>,
    pub murphy: Option<Murphy>,
    pub corp: Option<Corp>,
    pub calibration: Vec<Bin>,
    /// 1 - brier / 0.25: skill against always saying 50%.
    pub brier_skill_chimp: Option<f64>,
    pub spiegelhalter: Option<ZTest>,
    pub hosmer_lemeshow: Option<HosmerLemeshow>,
    pub calibration_line: Option<CalibrationLine>,
    pub calibration_in_the_large: Option<f64>,
    /// Share of consistency resamples with miscalibration >= the observed one.
    pub corp_test_p: Option<f64>,
    /// 95% bootstrap interval of brier, resampling questions.
    pub brier_ci: Option<[f64; 2]>,
    /// How many forecasts the log score clamped to [c, 1 - c].
    pub log_clamped: usize,
    /// Number of distinct questions.
    pub questions: usize,
    /// 90% CORP consistency band per distinct forecast value (for charts).
    #[serde(skip)]
    pub corp_band: Vec<(f64, f64, f64)>,
}

/// Score one group of forecasts, each its own question (see [`summarize_grouped`]).
///
/// ```
/// use hindsight::score::{summarize, Params};
/// let s = summarize(&[0.8, 0.3], &[true, false], Params::default());
/// assert_eq!(s.n, 2);
/// assert!((s.brier.unwrap() - 0.065).abs() < 1e-15);
/// assert_eq!(s.auc, Some(1.0));
/// let empty = summarize(&[], &[], Params::default());
/// assert_eq!(empty.brier, None);
/// ```
pub fn summarize(p: &[f64], y: &[bool], params: Params) -> Summary {
    let q: Vec<u32> = (0..p.len() as u32).collect();
    summarize_grouped(p, y, &q, params, params.seed)
}

/// Score one group of forecasts; `question` (one index per forecast) defines
/// the clusters that the bootstrap resamples; `seed` drives every random draw.
pub fn summarize_grouped(
    p: &[f64],
    y: &[bool],
    question: &[u32],
    params: Params,
    seed: u64,
) -> Summary {
    // Without resampling only the number of questions is needed.
    if params.resamples == 0 {
        return summarize_with(p, y, Questions::Count(distinct(question)), params, seed);
    }
    let scores = question_scores(p, y, question);
    summarize_with(p, y, Questions::Scores(&scores), params, seed)
}

/// What a summary needs of a group's questions: their [`question_scores`]
/// (the bootstrap's units), or only how many there are (no resampling).
enum Questions<'a> {
    Scores(&'a QuestionScores),
    Count(usize),
}

/// The number of distinct values (a bit per value up to the largest).
fn distinct(question: &[u32]) -> usize {
    let top = question.iter().max().map_or(0, |&q| q as usize + 1);
    let mut seen = vec![0u64; top.div_ceil(64)];
    for &q in question {
        seen[q as usize / 64] |= 1 << (q % 64);
    }
    seen.iter().map(|w| w.count_ones() as usize).sum()
}

/// [`summarize_grouped`] given the group's [`question_scores`].
fn summarize_with(
    p: &[f64],
    y: &[bool],
    questions: Questions,
    params: Params,
    seed: u64,
) -> Summary {
    // Forecasts pooled by distinct value once, the only pass over the rows:
    // every statistic works on the pooled counts (a few hundred values at
    // most for forecasts people write), with sums per distinct value that
    // equal the row sums up to rounding.
    let pooled = Groups::new(p, y);
    let brier_v = binary::brier_groups(&pooled);
    let yes: u64 = pooled.yes.iter().sum();
    let base = (!y.is_empty()).then(|| yes as f64 / y.len() as f64);
    let log = binary::log_score_groups(&pooled, params.log_clamp);
    // The bins of the calibration table, Murphy and Hosmer-Lemeshow.
    let bins = decomp::bin_sums_groups(&pooled, params.bins);
    let consistency = corp_consistency_groups(
        &pooled,
        params.resamples,
        0.9,
        derive_seed(seed, "corp"),
        params.corp_band,
    );
    // Per question sums: the number of questions and the bootstrap's units.
    let (count, sums): (usize, Vec<(f64, u64)>) = match questions {
        Questions::Scores(q) => (q.len(), q.iter().map(|&(_, s, n)| (s, n as u64)).collect()),
        Questions::Count(count) => (count, Vec::new()),
    };
    Summary {
        n: p.len(),
        brier: brier_v,
        log_score: log.map(|l| l.0),
        base_rate: base,
        brier_skill: match (brier_v, base) {
            (Some(b), Some(o)) => brier_skill(b, o),
            _ => None,
        },
        auc: auc_groups(&pooled),
        murphy: match (brier_v, base) {
            (Some(b), Some(o)) => decomp::murphy_from(&bins, b, o),
            _ => None,
        },
        corp: brier_v.and_then(|b| corp_groups(&pooled, b)),
        calibration: decomp::calibration_bins_from(&bins),
        brier_skill_chimp: brier_v.map(brier_skill_chimp),
        spiegelhalter: calib::spiegelhalter_groups(&pooled),
        hosmer_lemeshow: calib::hosmer_lemeshow_from(&bins),
        calibration_line: calibration_line_groups(&pooled, params.log_clamp),
        calibration_in_the_large: calibration_in_the_large_groups(&pooled, params.log_clamp),
        corp_test_p: consistency.as_ref().map(|c| c.p_value),
        // With one question every resample is that question: no interval.
        brier_ci: if count < 2 {
            None
        } else {
            bootstrap_question_sums(&sums, params.resamples, derive_seed(seed, "bootstrap"))
                .map(|(lo, hi)| [lo, hi])
        },
        log_clamped: log.map(|l| l.1).unwrap_or(0),
        questions: count,
        corp_band: consistency.map(|c| c.band).unwrap_or_default(),
    }
}

/// Scores for a whole scored set: overall and per forecaster.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub overall: Summary,
    /// In name order.
    pub forecasters: Vec<ForecasterScores>,
}

/// One forecaster's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecasterScores {
    pub forecaster: String,
    #[serde(flatten)]
    pub summary: Summary,
    /// Pairwise relative skill (scoringutils); lower is better; null when the
    /// forecaster shares no question with anyone.
    pub relative_skill: Option<f64>,
    /// Brier skill against a reference that forecasts the overall base rate on
    /// every question this forecaster answered.
    pub brier_skill_base_rate: Option<f64>,
    /// False when n is below the minimum sample size.
    pub ranked: bool,
}

/// Score a matched set overall and per forecaster.
pub fn score_set(set: &crate::matching::ScoredSet, params: Params, min_n: usize) -> Scores {
    let base = base_rate(&set.y);
    // The overall summary and the forecasters' run side by side; each
    // forecaster's random draws come from a seed derived from its name, so
    // the result does not depend on threads.
    let (overall, (mut forecasters, rel)) = rayon::join(
        || {
            summarize_grouped(
                &set.p,
                &set.y,
                &set.question,
                params,
                derive_seed(params.seed, ""),
            )
        },
        || {
            rayon::join(
                || -> Vec<ForecasterScores> {
                    (0..set.forecasters.len())
                        .into_par_iter()
                        .map(|g| score_forecaster(set, g, params, min_n, base))
                        .collect()
                },
                || compare::relative_skill_rows(&set.groups, &set.p, &set.y, &set.question),
            )
        },
    );
    for (f, r) in forecasters.iter_mut().zip(rel) {
        f.relative_skill = r;
    }
    Scores {
        overall,
        forecasters,
    }
}

/// One forecaster's scores (relative skill left for later).
fn score_forecaster(
    set: &crate::matching::ScoredSet,
    g: usize,
    params: Params,
    min_n: usize,
    base: Option<f64>,
) -> ForecasterScores {
    let (name, r) = (&set.forecasters[g], set.groups[g].clone());
    let (p, y, q) = (&set.p[r.clone()], &set.y[r.clone()], &set.question[r]);
    let summary = summarize_grouped(p, y, q, params, derive_seed(params.seed, name));
    let brier_skill_base_rate = match (summary.brier, base) {
        (Some(b), Some(o)) => {
            // Always saying o: (1 - o)^2 for each yes, o^2 for each no.
            let yes = y.iter().filter(|&&v| v).count() as f64;
            let no = y.len() as f64 - yes;
            let reference = (yes * (1.0 - o) * (1.0 - o) + no * o * o) / y.len() as f64;
            (reference > 0.0).then(|| 1.0 - b / reference)
        }
        _ => None,
    };
    ForecasterScores {
        forecaster: name.clone(),
        ranked: summary.n >= min_n,
        summary,
        relative_skill: None,
        brier_skill_base_rate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pooled sums (once per distinct value, times its count) agree
    /// with the row sums up to rounding, and the counts exactly, on any
    /// forecasts (on a grid, free, at 0 and 1, clamped or not).
    #[test]
    fn pooled_statistics_equal_the_row_statistics() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 300,
            ..ProptestConfig::default()
        });
        let value = prop_oneof![
            (0u32..=20).prop_map(|k| k as f64 / 20.0),
            0.0f64..=1.0,
            Just(0.0),
            Just(1.0),
            Just(0.0005),
        ];
        let rows = proptest::collection::vec((value, any::<bool>()), 0..400);
        runner
            .run(
                &(rows, prop_oneof![Just(0.0), Just(0.001), Just(0.01)]),
                |(rows, clamp)| {
                    let (p, y): (Vec<f64>, Vec<bool>) = rows.into_iter().unzip();
                    let g = Groups::new(&p, &y);
                    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
                        (Some(a), Some(b)) => {
                            a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
                        }
                        (a, b) => a == b,
                    };
                    prop_assert!(close(binary::brier_groups(&g), brier(&p, &y)));
                    let (a, b) = (
                        binary::log_score_groups(&g, clamp),
                        log_score(&p, &y, clamp),
                    );
                    prop_assert_eq!(a.map(|l| l.1), b.map(|l| l.1));
                    prop_assert!(close(a.map(|l| l.0), b.map(|l| l.0)), "{:?} {:?}", a, b);
                    let (a, b) = (calib::spiegelhalter_groups(&g), spiegelhalter(&p, &y));
                    prop_assert_eq!(a.is_some(), b.is_some());
                    if let (Some(a), Some(b)) = (a, b) {
                        // z divides by a sum that can be tiny: compare the parts.
                        prop_assert!((a.z - b.z).abs() <= 1e-9 * (1.0 + b.z.abs()), "{a:?} {b:?}");
                    }
                    let (a, b) = (
                        decomp::bin_sums_groups(&g, 10),
                        decomp::bin_sums(&p, &y, 10),
                    );
                    for (x, z) in a.iter().zip(&b) {
                        prop_assert_eq!((x.0, x.2), (z.0, z.2));
                        prop_assert!(close(Some(x.1), Some(z.1)));
                    }
                    Ok(())
                },
            )
            .unwrap();
    }

    /// Many equal forecasts: the pooled Brier score is a few roundings of
    /// n p^2 / n, where adding the rows one by one drifts.
    #[test]
    fn pooled_brier_does_not_drift_over_many_rows() {
        let n = 1_000_000;
        let p = vec![0.1; n];
        let y = vec![false; n];
        let pooled = binary::brier_groups(&Groups::new(&p, &y)).unwrap();
        assert!(
            (pooled - 0.1 * 0.1).abs() <= 4.0 * f64::EPSILON * 0.01,
            "{pooled}"
        );
        let rows = brier(&p, &y).unwrap();
        assert!(
            (pooled - 0.1 * 0.1).abs() < (rows - 0.1 * 0.1).abs(),
            "{pooled} {rows}"
        );
    }

    #[test]
    fn brier_interval_needs_two_questions() {
        let params = Params {
            resamples: 200,
            ..Params::default()
        };
        let one = summarize_grouped(&[0.3, 0.6], &[true, false], &[7, 7], params, 1);
        assert_eq!(one.questions, 1);
        assert_eq!(one.brier_ci, None);
        let two = summarize_grouped(&[0.3, 0.6], &[true, false], &[7, 8], params, 1);
        let [lo, hi] = two.brier_ci.unwrap();
        assert!(lo <= two.brier.unwrap() && two.brier.unwrap() <= hi);
    }

    /// Without resampling the questions are counted, not summed: the same
    /// count and every other key the same as with resampling.
    #[test]
    fn zero_resamples_count_the_same_questions() {
        let q: Vec<u32> = vec![5, 900, 5, 64, 63, 0, 900, 128];
        let p: Vec<f64> = (0..q.len()).map(|i| i as f64 / 10.0).collect();
        let y: Vec<bool> = (0..q.len()).map(|i| i % 3 == 0).collect();
        assert_eq!(distinct(&q), 6);
        assert_eq!(distinct(&[]), 0);
        let with = summarize_grouped(&p, &y, &q, Params::default(), 3);
        let without = summarize_grouped(
            &p,
            &y,
            &q,
            Params {
                resamples: 0,
                ..Params::default()
            },
            3,
        );
        assert_eq!(without.questions, 6);
        assert!(with.brier_ci.is_some() && without.brier_ci.is_none());
        assert_eq!(
            Summary {
                corp_test_p: None,
                brier_ci: None,
                corp_band: Vec::new(),
                ..with
            },
            Summary {
                corp_band: Vec::new(),
                ..without
            }
        );
    }

    #[test]
    fn zero_resamples_skip_the_random_parts() {
        let params = Params {
            resamples: 0,
            ..Params::default()
        };
        let s = summarize(&[0.3, 0.6, 0.9], &[true, false, true], params);
        assert_eq!((s.corp_test_p, s.brier_ci), (None, None));
        assert!(s.brier.is_some() && s.spiegelhalter.is_some());
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::*;
    use crate::matching::ScoredSet;

    /// The parallel per-forecaster path gives exactly what a plain sequential
    /// loop over the same groups gives.
    #[test]
    fn parallel_scoring_equals_the_sequential_path() {
        let mut set = ScoredSet::default();
        let mut x: u64 = 99;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for g in 0..9 {
            let start = set.p.len();
            for i in 0..(50 + 30 * g) {
                let t = (next() * 20.0).round() / 20.0;
                set.p.push(t);
                set.y.push(next() < t);
                set.question.push((i % 40) as u32);
                set.forecast.push(set.forecast.len() as u32);
            }
            set.forecasters.push(format!("F{g}"));
            set.groups.push(start..set.p.len());
        }
        let params = Params {
            resamples: 100,
            ..Params::default()
        };
        let scores = score_set(&set, params, 5);
        for (g, f) in scores.forecasters.iter().enumerate() {
            let r = set.groups[g].clone();
            let seq = summarize_grouped(
                &set.p[r.clone()],
                &set.y[r.clone()],
                &set.question[r],
                params,
                derive_seed(params.seed, &set.forecasters[g]),
            );
            assert_eq!(f.summary, seq, "forecaster {g}");
        }
        // And again: identical, run to run.
        assert_eq!(scores, score_set(&set, params, 5));
    }
}
