//! Scoring: pure numeric code over columnar slices.
//!
//! Owns the proper scores (Brier, log), discrimination (AUC), the Murphy and
//! CORP decompositions, calibration bins with Jeffreys intervals, and the
//! [`Summary`] that bundles them for one group of forecasts. It does no I/O and
//! knows nothing of CSV, the command line or rendering. Inputs are `&[f64]`
//! probabilities and `&[bool]` outcomes of equal length.

mod binary;
mod decomp;
mod interval;

pub use binary::{auc, base_rate, brier, brier_skill, log_score};
pub use decomp::{Bin, Corp, Murphy, PavBlock, bin_index, calibration_bins, corp, murphy, pav};
pub use interval::{beta_quantile, jeffreys};

use serde::Serialize;

/// Scoring parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub bins: usize,
    pub log_clamp: f64,
}

/// Everything the data contract's SUMMARY holds for one group of forecasts.
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
    /// How many forecasts the log score clamped to [c, 1 - c].
    pub log_clamped: usize,
}

/// Score one group of forecasts.
///
/// ```
/// use hindsight::score::{summarize, Params};
/// let s = summarize(&[0.8, 0.3], &[true, false], Params { bins: 10, log_clamp: 0.001 });
/// assert_eq!(s.n, 2);
/// assert!((s.brier.unwrap() - 0.065).abs() < 1e-15);
/// assert_eq!(s.auc, Some(1.0));
/// let empty = summarize(&[], &[], Params { bins: 10, log_clamp: 0.001 });
/// assert_eq!(empty.brier, None);
/// ```
pub fn summarize(p: &[f64], y: &[bool], params: Params) -> Summary {
    let brier_v = brier(p, y);
    let base = base_rate(y);
    let log = log_score(p, y, params.log_clamp);
    Summary {
        n: p.len(),
        brier: brier_v,
        log_score: log.map(|l| l.0),
        base_rate: base,
        brier_skill: match (brier_v, base) {
            (Some(b), Some(o)) => brier_skill(b, o),
            _ => None,
        },
        auc: auc(p, y),
        murphy: murphy(p, y, params.bins),
        corp: corp(p, y),
        calibration: calibration_bins(p, y, params.bins),
        log_clamped: log.map(|l| l.1).unwrap_or(0),
    }
}

/// Scores for a whole scored set: overall and per forecaster.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub overall: Summary,
    /// (forecaster, summary, ranked) in name order; ranked = n >= min_n.
    pub forecasters: Vec<ForecasterScores>,
}

/// One forecaster's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecasterScores {
    pub forecaster: String,
    #[serde(flatten)]
    pub summary: Summary,
    /// False when n is below the minimum sample size.
    pub ranked: bool,
}

/// Score a matched set overall and per forecaster.
pub fn score_set(set: &crate::matching::ScoredSet, params: Params, min_n: usize) -> Scores {
    let overall = summarize(&set.p, &set.y, params);
    let forecasters = set
        .forecasters
        .iter()
        .zip(&set.groups)
        .map(|(name, r)| {
            let summary = summarize(&set.p[r.clone()], &set.y[r.clone()], params);
            ForecasterScores {
                forecaster: name.clone(),
                ranked: summary.n >= min_n,
                summary,
            }
        })
        .collect();
    Scores {
        overall,
        forecasters,
    }
}
