//! Sensitivity of the scores to how verbal phrases are read.
//!
//! Owns re-scoring the matched forecasts with every verbal forecast set to the
//! low end, the point and the high end of its phrase's range, the best and
//! worst case over the ranges, and the readings of every built-in scale, and
//! whether the leaderboard order changes under another scale. Numeric
//! forecasts are never touched. Uses the lexicon, the matched set and `score`;
//! does no I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ledger::Ledger;
use crate::lexicon::{Entry, Lexicon, Scale};
use crate::matching::ScoredSet;
use crate::model::{Direction, Stated, snap};
use crate::score::{Scores, brier};

/// One row: a forecaster or all forecasters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRow {
    /// Null for the overall row.
    pub forecaster: Option<String>,
    pub n: usize,
    /// Scored forecasts that came from a phrase.
    pub verbal: usize,
    /// As scored (every phrase at its point on the ledger's scale).
    pub brier: Option<f64>,
    /// Every phrase at the low end of its range (then `direction`).
    pub brier_low: Option<f64>,
    /// Every phrase at the high end of its range.
    pub brier_high: Option<f64>,
    /// Each phrase at whichever end of its range scores best on the outcome.
    pub brier_best: Option<f64>,
    /// Each phrase at whichever end scores worst.
    pub brier_worst: Option<f64>,
    /// Brier with every phrase read on each built-in scale (point values).
    pub by_scale: BTreeMap<String, Option<f64>>,
    /// Leaderboard rank among ranked forecasters on each scale (null: not ranked).
    pub rank_by_scale: BTreeMap<String, Option<usize>>,
}

/// The sensitivity analysis (`sensitivity` in the JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    /// The scale the scores were computed on.
    pub scale: String,
    pub verbal_forecasts: usize,
    pub overall: SensitivityRow,
    pub forecasters: Vec<SensitivityRow>,
    /// For each other scale: does the ranked leaderboard order differ?
    pub order_changes: BTreeMap<String, bool>,
}

/// P(yes) from a phrase reading and a direction, rounded like the ledger's.
fn p_yes(v: f64, d: Direction) -> f64 {
    match d {
        Direction::Yes => v,
        Direction::No => snap(1.0 - v),
    }
}

/// Compute the sensitivity of `scores` (from `set`) to phrase readings.
pub fn sensitivity(ledger: &Ledger, set: &ScoredSet, scores: &Scores) -> Sensitivity {
    let lex = &ledger.lexicon;
    let scales: Vec<(Scale, Lexicon)> =
        Scale::ALL.iter().map(|&s| (s, lex.with_scale(s))).collect();
    let n = set.len();
    // Per scored forecast: the alternative P(yes) values.
    let mut low = set.p.clone();
    let mut high = set.p.clone();
    let mut best = set.p.clone();
    let mut worst = set.p.clone();
    let mut on_scale: Vec<Vec<f64>> = vec![set.p.clone(); scales.len()];
    let mut is_verbal = vec![false; n];
    for i in 0..n {
        let f = &ledger.forecasts[set.forecast[i] as usize];
        let Stated::Phrase { phrase, .. } = &f.stated else {
            continue;
        };
        let Some(e): Option<&Entry> = lex.lookup(phrase) else {
            continue;
        };
        is_verbal[i] = true;
        let (a, b) = (p_yes(e.low, f.direction), p_yes(e.high, f.direction));
        low[i] = a;
        high[i] = b;
        let (lo, hi) = (a.min(b), a.max(b));
        (best[i], worst[i]) = if set.y[i] { (hi, lo) } else { (lo, hi) };
        for (k, (_, l)) in scales.iter().enumerate() {
            if let Some(e) = l.lookup(phrase) {
                on_scale[k][i] = p_yes(e.point, f.direction);
            }
        }
    }
    let row = |name: Option<String>, r: std::ops::Range<usize>| -> SensitivityRow {
        let y = &set.y[r.clone()];
        let b = |v: &Vec<f64>| brier(&v[r.clone()], y);
        SensitivityRow {
            forecaster: name,
            n: r.len(),
            verbal: is_verbal[r.clone()].iter().filter(|&&v| v).count(),
            brier: b(&set.p),
            brier_low: b(&low),
            brier_high: b(&high),
            brier_best: b(&best),
            brier_worst: b(&worst),
            by_scale: scales
                .iter()
                .zip(&on_scale)
                .map(|((s, _), v)| (s.id().to_string(), b(v)))
                .collect(),
            rank_by_scale: BTreeMap::new(),
        }
    };
    let overall = row(None, 0..n);
    let mut forecasters: Vec<SensitivityRow> = set
        .forecasters
        .iter()
        .zip(&set.groups)
        .map(|(name, r)| row(Some(name.clone()), r.clone()))
        .collect();
    // Ranks of the ranked forecasters on each scale.
    let ranked: Vec<bool> = set
        .forecasters
        .iter()
        .map(|name| {
            scores
                .forecasters
                .iter()
                .any(|f| &f.forecaster == name && f.ranked)
        })
        .collect();
    let mut orders: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (s, _) in &scales {
        let id = s.id().to_string();
        let mut idx: Vec<usize> = (0..forecasters.len()).filter(|&g| ranked[g]).collect();
        idx.sort_by(|&a, &b| {
            let ba = forecasters[a].by_scale[&id].unwrap_or(f64::INFINITY);
            let bb = forecasters[b].by_scale[&id].unwrap_or(f64::INFINITY);
            ba.total_cmp(&bb).then(a.cmp(&b))
        });
        for (g, row) in forecasters.iter_mut().enumerate() {
            let rank = idx.iter().position(|&x| x == g).map(|p| p + 1);
            row.rank_by_scale.insert(id.clone(), rank);
        }
        orders.insert(id, idx);
    }
    let current = lex.scale().id().to_string();
    let base = orders.get(&current).cloned().unwrap_or_default();
    let order_changes = orders
        .iter()
        .filter(|(k, _)| **k != current)
        .map(|(k, v)| (k.clone(), *v != base))
        .collect();
    Sensitivity {
        scale: current,
        verbal_forecasts: is_verbal.iter().filter(|&&v| v).count(),
        overall,
        forecasters,
        order_changes,
    }
}
