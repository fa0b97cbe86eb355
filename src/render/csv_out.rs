//! CSV output of scores: one row overall, then one per forecaster.
//!
//! Text cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) are prefixed with `'`; numeric cells
//! are written as plain numbers.

use std::io::Write;

use crate::score::{Scores, Summary};

/// Neutralize a text cell for spreadsheets (OWASP CSV injection guidance).
///
/// ```
/// use hindsight::render::csv_out::safe_cell;
/// assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(safe_cell("Ann"), "Ann");
/// ```
pub fn safe_cell(s: &str) -> String {
    guard(s).into_owned()
}

/// [`safe_cell`] without copying a cell that needs no guard.
pub fn guard(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{}", s).into(),
        _ => s.into(),
    }
}

const HEADER: &[&str] = &[
    "scope",
    "forecaster",
    "n",
    "ranked",
    "brier",
    "log_score",
    "base_rate",
    "brier_skill",
    "auc",
    "murphy_reliability",
    "murphy_resolution",
    "murphy_uncertainty",
    "murphy_residual",
    "corp_miscalibration",
    "corp_discrimination",
    "corp_uncertainty",
    "log_clamped",
];

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{}", x)).unwrap_or_default()
}

fn row(scope: &str, name: &str, ranked: &str, s: &Summary) -> Vec<String> {
    vec![
        scope.to_string(),
        safe_cell(name),
        s.n.to_string(),
        ranked.to_string(),
        num(s.brier),
        num(s.log_score),
        num(s.base_rate),
        num(s.brier_skill),
        num(s.auc),
        num(s.murphy.map(|m| m.reliability)),
        num(s.murphy.map(|m| m.resolution)),
        num(s.murphy.map(|m| m.uncertainty)),
        num(s.murphy.map(|m| m.residual)),
        num(s.corp.map(|c| c.miscalibration)),
        num(s.corp.map(|c| c.discrimination)),
        num(s.corp.map(|c| c.uncertainty)),
        s.log_clamped.to_string(),
    ]
}

/// Write scores as CSV.
pub fn write_scores<W: Write>(w: W, scores: &Scores) -> csv::Result<()> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    out.write_record(HEADER)?;
    out.write_record(row("overall", "", "", &scores.overall))?;
    for f in &scores.forecasters {
        out.write_record(row(
            "forecaster",
            &f.forecaster,
            if f.ranked { "true" } else { "false" },
            &f.summary,
        ))?;
    }
    out.flush()?;
    Ok(())
}
