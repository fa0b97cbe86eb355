//! Assembling a report folder from scores and charts.
//!
//! Owns the layout of `reports/<as-of date>/` (scores.json, scores.csv,
//! calibration.png, one chart per forecaster with enough forecasts, and
//! summary.md) and the chart data built from a summary. The folder is written
//! beside its final place and renamed into it, so a failed run never leaves a
//! half-written report. It computes no scores.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::ledger::Ledger;
use crate::ledger::normalize::slugify;
use crate::matching::{ScoredSet, pending_questions};
use crate::render::png::{ReliabilityBin, ReliabilityChart, render_reliability_png};
use crate::render::table::leaderboard;
use crate::render::{csv_out, fmt4, json};
use crate::score::{Scores, Summary};
use crate::settings::Settings;

/// The chart data for one summary.
pub fn reliability_chart(
    who: &str,
    s: &Summary,
    bins: usize,
    as_of: Option<NaiveDate>,
) -> ReliabilityChart {
    let mut histogram = vec![0usize; bins];
    for b in &s.calibration {
        let k = crate::score::bin_index(b.bin_lo, bins);
        histogram[k] += b.n;
    }
    let brier = s
        .brier
        .map(|b| format!("Brier {:.4}", b))
        .unwrap_or_else(|| "Brier –".into());
    let when = as_of.map(|d| format!(" · as of {}", d)).unwrap_or_default();
    ReliabilityChart {
        title: format!("Calibration — {}", who),
        subtitle: format!(
            "n = {} forecasts · {}{} · bars: 95% Jeffreys intervals",
            s.n, brier, when
        ),
        bins: s
            .calibration
            .iter()
            .map(|b| ReliabilityBin {
                bin_lo: b.bin_lo,
                bin_hi: b.bin_hi,
                n: b.n,
                mean_forecast: b.mean_forecast,
                observed: b.observed,
                ci_lo: b.ci_lo,
                ci_hi: b.ci_hi,
            })
            .collect(),
        histogram,
    }
}

/// Everything a report is made from.
pub struct ReportInput<'a> {
    pub ledger: &'a Ledger,
    pub set: &'a ScoredSet,
    pub scores: &'a Scores,
    pub settings: &'a Settings,
    pub as_of: NaiveDate,
    pub lexicon: &'a str,
}

/// File name stems for forecasters' charts: ASCII slugs, unique.
pub fn chart_names(names: &[&str]) -> Vec<String> {
    let mut used = HashSet::new();
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let base = match slugify(n) {
                s if s.is_empty() => format!("forecaster-{}", i + 1),
                s => s,
            };
            let mut name = base.clone();
            let mut k = 2;
            while !used.insert(name.clone()) {
                name = format!("{}-{}", base, k);
                k += 1;
            }
            format!("calibration-{}", name)
        })
        .collect()
}

/// Write the report into `dir` (replacing an earlier report for the same date).
/// Returns the files written, relative to `dir`.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".report-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
    let files = write_files(tmp.path(), input)?;
    let staged = tmp.keep();
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("replacing {}", dir.display()))?;
    }
    std::fs::rename(&staged, dir)
        .with_context(|| format!("moving the report into {}", dir.display()))?;
    Ok(files)
}

fn write_files(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>> {
    let s = input.settings;
    let mut files = Vec::new();
    let mut buf = Vec::new();
    json::write_scores(
        &mut buf,
        input.scores,
        s,
        Some(input.as_of),
        &input.set.unscored,
        input.lexicon,
    )?;
    std::fs::write(dir.join("scores.json"), &buf)?;
    files.push(PathBuf::from("scores.json"));
    let mut buf = Vec::new();
    csv_out::write_scores(&mut buf, input.scores)?;
    std::fs::write(dir.join("scores.csv"), &buf)?;
    files.push(PathBuf::from("scores.csv"));

    let overall = reliability_chart(
        "all forecasters",
        &input.scores.overall,
        s.bins,
        Some(input.as_of),
    );
    render_reliability_png(&overall, &dir.join("calibration.png"))?;
    files.push(PathBuf::from("calibration.png"));
    let charted: Vec<&crate::score::ForecasterScores> = input
        .scores
        .forecasters
        .iter()
        .filter(|f| f.summary.n >= s.min_n)
        .collect();
    let names = chart_names(
        &charted
            .iter()
            .map(|f| f.forecaster.as_str())
            .collect::<Vec<_>>(),
    );
    let mut chart_of = Vec::new();
    for (f, name) in charted.iter().zip(&names) {
        let chart = reliability_chart(&f.forecaster, &f.summary, s.bins, Some(input.as_of));
        let file = format!("{}.png", name);
        render_reliability_png(&chart, &dir.join(&file))?;
        files.push(PathBuf::from(&file));
        chart_of.push((f.forecaster.clone(), file));
    }
    std::fs::write(dir.join("summary.md"), summary_md(input, &chart_of))?;
    files.push(PathBuf::from("summary.md"));
    Ok(files)
}

/// Escape ledger text for a Markdown table cell.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn summary_md(input: &ReportInput, charts: &[(String, String)]) -> String {
    let l = input.ledger;
    let set = input.set;
    let s = input.settings;
    let mut o = String::new();
    let _ = writeln!(o, "# hindsight report, as of {}\n", input.as_of);
    let _ = writeln!(
        o,
        "Ledger: {} questions, {} forecasts, {} outcomes. Scored: **{} forecasts** by {} forecasters on {} questions.\n",
        l.questions.len(),
        l.forecasts.len(),
        l.outcomes.len(),
        set.len(),
        set.forecasters.len(),
        set.question.iter().collect::<HashSet<_>>().len()
    );
    let _ = writeln!(o, "## Scores\n");
    let _ = writeln!(
        o,
        "Brier = mean (p − y)² (0 best, 0.25 = always 50%); log score = mean −ln q with p clamped to [{}, {}]; Brier skill against always forecasting the base rate; AUC 0.5 = no discrimination; MCB / DSC / UNC = CORP miscalibration, discrimination, uncertainty (Brier = MCB − DSC + UNC). Forecasters with fewer than {} scored forecasts are listed but not ranked.\n",
        s.log_clamp,
        1.0 - s.log_clamp,
        s.min_n
    );
    let _ = writeln!(
        o,
        "| # | Forecaster | n | Brier | Log | Brier skill | AUC | MCB | DSC | UNC |"
    );
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut rank = 0;
    let row = |o: &mut String, r: &str, name: &str, x: &Summary| {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r,
            name,
            x.n,
            fmt4(x.brier),
            fmt4(x.log_score),
            fmt4(x.brier_skill),
            fmt4(x.auc),
            fmt4(x.corp.map(|c| c.miscalibration)),
            fmt4(x.corp.map(|c| c.discrimination)),
            fmt4(x.corp.map(|c| c.uncertainty)),
        );
    };
    for f in leaderboard(input.scores) {
        let r = if f.ranked {
            rank += 1;
            rank.to_string()
        } else {
            "–".to_string()
        };
        row(&mut o, &r, &md(&f.forecaster), &f.summary);
    }
    row(&mut o, "", "**All forecasters**", &input.scores.overall);
    if input.scores.forecasters.iter().all(|f| !f.ranked) {
        let _ = writeln!(
            o,
            "\nNo forecaster has {} or more scored forecasts yet, so none is ranked; rows are ordered by Brier for reading only.",
            s.min_n
        );
    }
    let u = &set.unscored;
    let _ = writeln!(o, "\n## Forecasts not scored\n");
    let _ = writeln!(o, "| reason | forecasts |\n|---|---:|");
    for (what, n) in [
        (
            "pending (no outcome by the as-of date, or made after it)",
            u.pending,
        ),
        ("void question", u.void),
        ("made after the question closed", u.made_after_close),
        (
            "made on or after the resolution date",
            u.made_after_resolution,
        ),
        ("non-binary question (not scored yet)", u.not_binary),
    ] {
        let _ = writeln!(o, "| {} | {} |", what, n);
    }
    let pending = pending_questions(l, Some(input.as_of));
    let _ = writeln!(o, "\n## Pending questions\n");
    if pending.is_empty() {
        let _ = writeln!(o, "None: every question with a forecast has resolved.");
    } else {
        let _ = writeln!(
            o,
            "| closes on | question | forecasts | status |\n|---|---|---:|---|"
        );
        for (qi, n) in pending {
            let q = &l.questions[qi];
            let status = if q.closes_on < input.as_of {
                "deadline passed, outcome not recorded"
            } else {
                "open"
            };
            let _ = writeln!(
                o,
                "| {} | {} ({}) | {} | {} |",
                q.closes_on,
                md(&q.title),
                md(&q.id),
                n,
                status
            );
        }
    }
    let _ = writeln!(o, "\n## Charts\n");
    let _ = writeln!(
        o,
        "- [All forecasters](calibration.png)\n\n![Calibration, all forecasters](calibration.png)\n"
    );
    if charts.is_empty() {
        let _ = writeln!(
            o,
            "- No forecaster has {} or more scored forecasts, so there are no per-forecaster charts.",
            s.min_n
        );
    }
    for (name, file) in charts {
        let _ = writeln!(o, "- [{}]({})", md(name), file);
    }
    let _ = writeln!(
        o,
        "\n## Method\n\nSettings: {} calibration bins, log clamp {}, minimum n {}. Verbal phrases: {}. Files: scores.json (the data contract's JSON), scores.csv.",
        s.bins, s.log_clamp, s.min_n, input.lexicon
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_names_are_unique_safe_slugs() {
        let n = chart_names(&["Ann Lee", "ann lee", "../../etc", "Зоя", ""]);
        assert_eq!(n[0], "calibration-ann-lee");
        assert_eq!(n[1], "calibration-ann-lee-2");
        assert_eq!(n[2], "calibration-etc");
        assert_eq!(n[3], "calibration-forecaster-4");
        assert_eq!(n[4], "calibration-forecaster-5");
    }

    #[test]
    fn markdown_escaping() {
        assert_eq!(md("a|b<script>\n"), "a\\|b&lt;script&gt; ");
    }
}
