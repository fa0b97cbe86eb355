//! The terminal table of scores.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::{fmt4, terminal_safe};
use crate::score::{ForecasterScores, Scores, Summary};

/// Forecasters in leaderboard order: ranked ones by Brier (best first), then
/// the unranked, each group by name for ties.
pub fn leaderboard(scores: &Scores) -> Vec<&ForecasterScores> {
    let mut v: Vec<&ForecasterScores> = scores.forecasters.iter().collect();
    v.sort_by(|a, b| {
        b.ranked
            .cmp(&a.ranked)
            .then(
                a.summary
                    .brier
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.summary.brier.unwrap_or(f64::INFINITY)),
            )
            .then(a.forecaster.cmp(&b.forecaster))
    });
    v
}

fn cells(name: String, s: &Summary) -> Vec<Cell> {
    let right = |t: String| Cell::new(t).set_alignment(CellAlignment::Right);
    vec![
        Cell::new(name),
        right(s.n.to_string()),
        right(fmt4(s.brier)),
        right(fmt4(s.log_score)),
        right(fmt4(s.brier_skill)),
        right(fmt4(s.auc)),
        right(fmt4(s.corp.map(|c| c.miscalibration))),
        right(fmt4(s.corp.map(|c| c.discrimination))),
        right(fmt4(s.corp.map(|c| c.uncertainty))),
    ]
}

/// Render the scores table as text (no trailing newline).
pub fn render(scores: &Scores, min_n: usize) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "Forecaster",
        "n",
        "Brier",
        "Log",
        "Brier skill",
        "AUC",
        "MCB",
        "DSC",
        "UNC",
    ]);
    let mut unranked = false;
    for f in leaderboard(scores) {
        let mut name = terminal_safe(&f.forecaster);
        if !f.ranked {
            name.push_str(" *");
            unranked = true;
        }
        t.add_row(cells(name, &f.summary));
    }
    t.add_row(cells("All forecasters".to_string(), &scores.overall));
    let mut out = t.to_string();
    out.push_str("\nBrier and Log: lower is better. Brier skill: vs always forecasting the base rate. AUC: 0.5 = no discrimination.\nMCB / DSC / UNC: CORP miscalibration, discrimination, uncertainty (Brier = MCB - DSC + UNC).");
    if unranked {
        out.push_str(&format!(
            "\n* fewer than {} scored forecasts: listed, not ranked.",
            min_n
        ));
    }
    out
}
