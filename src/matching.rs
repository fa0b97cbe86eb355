//! Matching forecasts to questions and outcomes under the as-of rules.
//!
//! Owns the data contract's rule for which forecasts are scored: the question
//! has a non-void outcome, `made_on <= closes_on` and `made_on < resolved_on`;
//! with an as-of date only forecasts made and outcomes resolved on or before it
//! count. Produces a columnar [`ScoredSet`] (probabilities, outcomes, question
//! indices, grouped by forecaster) and a status for every forecast, so that each
//! unscored forecast is counted under its reason. It does not compute scores.

use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

use chrono::NaiveDate;
use serde::Serialize;

use crate::ledger::Ledger;
use crate::model::{Kind, OutcomeValue};

/// Why a forecast is or is not scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Scored,
    /// No outcome yet, or none by the as-of date.
    Pending,
    /// Made after the as-of date: not part of the as-of view at all (not
    /// counted anywhere), so a past report does not change when later
    /// forecasts arrive.
    AfterAsOf,
    Void,
    MadeAfterClose,
    MadeAfterResolution,
    /// The question is not binary; only binary questions are scored so far.
    NotBinary,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scored => "scored",
            Status::Pending => "pending",
            Status::AfterAsOf => "after_as_of",
            Status::Void => "void",
            Status::MadeAfterClose => "made_after_close",
            Status::MadeAfterResolution => "made_after_resolution",
            Status::NotBinary => "not_binary",
        }
    }
}

/// Counts of unscored forecasts by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Unscored {
    pub pending: usize,
    pub void: usize,
    pub made_after_close: usize,
    pub made_after_resolution: usize,
    pub not_binary: usize,
}

impl Unscored {
    /// Count a forecast under its reason (scored ones and those outside the
    /// as-of view are not counted here).
    pub fn count(&mut self, status: Status) {
        match status {
            Status::Pending => self.pending += 1,
            Status::Void => self.void += 1,
            Status::MadeAfterClose => self.made_after_close += 1,
            Status::MadeAfterResolution => self.made_after_resolution += 1,
            Status::NotBinary => self.not_binary += 1,
            Status::Scored | Status::AfterAsOf => {}
        }
    }

    /// Add another set of counts to these.
    pub fn add(&mut self, other: &Unscored) {
        self.pending += other.pending;
        self.void += other.void;
        self.made_after_close += other.made_after_close;
        self.made_after_resolution += other.made_after_resolution;
        self.not_binary += other.not_binary;
    }

    pub fn total(&self) -> usize {
        self.pending
            + self.void
            + self.made_after_close
            + self.made_after_resolution
            + self.not_binary
    }
}

/// What to match.
#[derive(Debug, Clone, Default)]
pub struct MatchConfig {
    pub as_of: Option<NaiveDate>,
    /// Only this forecaster's forecasts (exact name).
    pub forecaster: Option<String>,
}

/// Scored forecasts in columns, grouped by forecaster (names in sorted order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoredSet {
    pub forecasters: Vec<String>,
    /// `groups[i]` is the range of rows belonging to `forecasters[i]`.
    pub groups: Vec<Range<usize>>,
    /// P(yes) per scored forecast.
    pub p: Vec<f64>,
    /// Outcome per scored forecast (true = yes).
    pub y: Vec<bool>,
    /// Index into `Ledger::questions` per scored forecast.
    pub question: Vec<u32>,
    /// Index into `Ledger::forecasts` per scored forecast.
    pub forecast: Vec<u32>,
    /// Status of every forecast in the ledger (same order as `Ledger::forecasts`);
    /// forecasts filtered out by `MatchConfig::forecaster` are `None`.
    pub status: Vec<Option<Status>>,
    pub unscored: Unscored,
}

impl ScoredSet {
    pub fn len(&self) -> usize {
        self.p.len()
    }

    pub fn is_empty(&self) -> bool {
        self.p.is_empty()
    }
}

/// Each question's outcome (resolved by `as_of` when given).
pub fn outcome_by_question(
    ledger: &Ledger,
    as_of: Option<NaiveDate>,
) -> Vec<Option<(NaiveDate, OutcomeValue)>> {
    let index: HashMap<&str, usize> = ledger.question_index();
    let mut out = vec![None; ledger.questions.len()];
    for o in &ledger.outcomes {
        if as_of.is_none_or(|d| o.resolved_on <= d)
            && let Some(&qi) = index.get(o.question_id.as_str())
        {
            out[qi] = Some((o.resolved_on, o.value));
        }
    }
    out
}

/// The contract's rule for one forecast made on `made_on` on a question of
/// `kind` closing on `closes_on`, whose outcome (resolved by the as-of date)
/// is `outcome`.
pub fn status_of(
    made_on: NaiveDate,
    kind: Kind,
    closes_on: NaiveDate,
    outcome: Option<(NaiveDate, OutcomeValue)>,
    as_of: Option<NaiveDate>,
) -> Status {
    if as_of.is_some_and(|d| made_on > d) {
        Status::AfterAsOf
    } else if kind != Kind::Binary {
        Status::NotBinary
    } else if made_on > closes_on {
        Status::MadeAfterClose
    } else {
        match outcome {
            None => Status::Pending,
            Some((_, OutcomeValue::Void)) => Status::Void,
            Some((resolved_on, _)) if made_on >= resolved_on => Status::MadeAfterResolution,
            Some(_) => Status::Scored,
        }
    }
}

/// Match the ledger's forecasts to outcomes.
pub fn match_forecasts(ledger: &Ledger, config: &MatchConfig) -> ScoredSet {
    let qindex = ledger.question_index();
    // Outcome by question index (one string lookup per outcome, none per forecast).
    let outcome_of = outcome_by_question(ledger, config.as_of);
    let mut set = ScoredSet {
        status: vec![None; ledger.forecasts.len()],
        ..ScoredSet::default()
    };
    // Forecasters interned in first-seen order; rows grouped per forecaster.
    let mut names: HashMap<&str, usize> = HashMap::default();
    let mut rows: Vec<Vec<(f64, bool, u32, u32)>> = Vec::new();
    for (fi, f) in ledger.forecasts.iter().enumerate() {
        if let Some(name) = &config.forecaster
            && *f.forecaster != **name
        {
            continue;
        }
        let Some(&qi) = qindex.get(&*f.question_id) else {
            continue;
        };
        let q = &ledger.questions[qi];
        let status = status_of(f.made_on, q.kind, q.closes_on, outcome_of[qi], config.as_of);
        if status == Status::Scored {
            let g = *names.entry(&*f.forecaster).or_insert_with(|| {
                rows.push(Vec::new());
                rows.len() - 1
            });
            let yes = matches!(outcome_of[qi], Some((_, OutcomeValue::Yes)));
            rows[g].push((f.probability.get(), yes, qi as u32, fi as u32));
        }
        set.unscored.count(status);
        set.status[fi] = Some(status);
    }
    // Groups in name order (byte order, as the JSON lists forecasters).
    let mut order: Vec<(&str, usize)> = names.into_iter().collect();
    order.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let total: usize = rows.iter().map(|r| r.len()).sum();
    set.p.reserve_exact(total);
    set.y.reserve_exact(total);
    set.question.reserve_exact(total);
    set.forecast.reserve_exact(total);
    for (name, g) in order {
        let start = set.p.len();
        for &(p, y, q, f) in &rows[g] {
            set.p.push(p);
            set.y.push(y);
            set.question.push(q);
            set.forecast.push(f);
        }
        set.forecasters.push(name.to_string());
        set.groups.push(start..set.p.len());
    }
    set
}

/// Questions still open at the as-of date (no outcome by then), with the number
/// of forecasts made on them by then, ordered by deadline.
pub fn pending_questions(ledger: &Ledger, as_of: Option<NaiveDate>) -> Vec<(usize, usize)> {
    let resolved: std::collections::HashSet<&str> = ledger
        .outcomes
        .iter()
        .filter(|o| as_of.is_none_or(|d| o.resolved_on <= d))
        .map(|o| o.question_id.as_str())
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::default();
    for f in &ledger.forecasts {
        if as_of.is_none_or(|d| f.made_on <= d) {
            *counts.entry(&*f.question_id).or_default() += 1;
        }
    }
    let mut out: Vec<(usize, usize)> = ledger
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| !resolved.contains(q.id.as_str()))
        .filter_map(|(i, q)| counts.get(q.id.as_str()).map(|&n| (i, n)))
        .collect();
    out.sort_by_key(|&(i, _)| {
        (
            ledger.questions[i].closes_on,
            ledger.questions[i].id.clone(),
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{FileKind, Source, load};

    fn ledger(forecasts: &str, outcomes: &str) -> Ledger {
        let src = |kind, path: &str, text: String| Source {
            kind,
            path: path.into(),
            bytes: text.into_bytes(),
        };
        let l = load(&[
            src(
                FileKind::Questions,
                "forecasts/questions.csv",
                "question_id,title,kind,closes_on\nq,Q?,binary,2020-01-31\n".into(),
            ),
            src(
                FileKind::Forecasts,
                "forecasts/b.csv",
                format!(
                    "forecast_id,question_id,forecaster,made_on,probability\n{}",
                    forecasts
                ),
            ),
            src(
                FileKind::Outcomes,
                "outcomes/o.csv",
                format!("question_id,resolved_on,outcome\n{}", outcomes),
            ),
        ]);
        assert_eq!(l.errors(), 0, "{:?}", l.diagnostics);
        l
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// (made_on, outcome row, as-of, expected status): every boundary of the contract.
    #[test]
    fn boundaries_of_the_matching_rule() {
        let cases = [
            ("2020-01-31", "q,2020-02-05,yes", None, Status::Scored), // made on closes_on: scored
            (
                "2020-02-01",
                "q,2020-02-05,yes",
                None,
                Status::MadeAfterClose,
            ),
            (
                "2020-01-20",
                "q,2020-01-20,yes",
                None,
                Status::MadeAfterResolution,
            ), // made on the resolution day
            ("2020-01-19", "q,2020-01-20,yes", None, Status::Scored),
            ("2020-01-10", "q,2020-01-20,void", None, Status::Void),
            ("2020-01-10", "", None, Status::Pending),
            (
                "2020-01-10",
                "q,2020-01-20,no",
                Some("2020-01-20"),
                Status::Scored,
            ), // resolved on the as-of date
            (
                "2020-01-10",
                "q,2020-01-20,no",
                Some("2020-01-19"),
                Status::Pending,
            ),
            (
                "2020-01-10",
                "q,2020-01-20,no",
                Some("2020-01-10"),
                Status::Pending,
            ), // made on the as-of date
            (
                "2020-01-10",
                "q,2020-01-20,no",
                Some("2020-01-09"),
                Status::AfterAsOf,
            ),
            (
                "2020-02-01",
                "q,2020-01-20,yes",
                None,
                Status::MadeAfterClose,
            ), // after close and after resolution
        ];
        for (made, outcome, as_of, want) in cases {
            let l = ledger(&format!("f,q,A,{},0.3\n", made), &format!("{}\n", outcome));
            let set = match_forecasts(
                &l,
                &MatchConfig {
                    as_of: as_of.map(d),
                    forecaster: None,
                },
            );
            assert_eq!(
                set.status[0],
                Some(want),
                "made {made}, outcome '{outcome}', as of {as_of:?}"
            );
            assert_eq!(set.len(), (want == Status::Scored) as usize);
            let counted = set.unscored.total() + set.len();
            assert_eq!(counted, (want != Status::AfterAsOf) as usize);
        }
    }
}
