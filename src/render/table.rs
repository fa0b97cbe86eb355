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

/// The sensitivity table: each forecaster's Brier under other readings of
/// the phrases (no trailing newline).
pub fn render_sensitivity(s: &crate::sensitivity::Sensitivity) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let scales: Vec<String> = s.overall.by_scale.keys().cloned().collect();
    let mut header: Vec<String> = [
        "Forecaster",
        "n",
        "verbal",
        "Brier",
        "low",
        "high",
        "best",
        "worst",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.extend(scales.iter().cloned());
    t.set_header(header);
    let right = |v: String| Cell::new(v).set_alignment(CellAlignment::Right);
    let row = |name: String, r: &crate::sensitivity::SensitivityRow| {
        let mut cells = vec![
            Cell::new(name),
            right(r.n.to_string()),
            right(r.verbal.to_string()),
            right(fmt4(r.brier)),
            right(fmt4(r.brier_low)),
            right(fmt4(r.brier_high)),
            right(fmt4(r.brier_best)),
            right(fmt4(r.brier_worst)),
        ];
        for sc in &scales {
            let rank = r.rank_by_scale.get(sc).copied().flatten();
            let v = fmt4(r.by_scale.get(sc).copied().flatten());
            cells.push(right(match rank {
                Some(k) => format!("{} (#{})", v, k),
                None => v,
            }));
        }
        cells
    };
    for r in &s.forecasters {
        t.add_row(row(terminal_safe(r.forecaster.as_deref().unwrap_or("")), r));
    }
    t.add_row(row("All forecasters".to_string(), &s.overall));
    let changes: Vec<String> = s
        .order_changes
        .iter()
        .map(|(k, v)| format!("{}: {}", k, if *v { "changes" } else { "same" }))
        .collect();
    format!(
        "Sensitivity to how phrases are read ({} verbal forecasts; scored on {}):\n{}\nlow / high: every phrase at that end of its range; best / worst: each phrase at the end that scores best / worst on its outcome; scale columns: every phrase read on that scale (#rank among ranked forecasters).\nLeaderboard order vs {}: {}.",
        s.verbal_forecasts,
        s.scale,
        t,
        s.scale,
        if changes.is_empty() {
            "no other scale".to_string()
        } else {
            changes.join(", ")
        }
    )
}
