//! `hindsight run`: the main job. Check, score and write the report for a
//! month (default: the last complete month) or another as-of date.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::report::{Period, ReportInput, last_complete_month, write_report};
use hindsight::score::score_set;

use crate::cli::{Cli, RunArgs};

pub fn run(cli: &Cli, args: &RunArgs) -> Result<ExitCode> {
    let t0 = std::time::Instant::now();
    let ledger = super::open_checked(&cli.root)?;
    let t_load = t0.elapsed();
    let mem_load = super::phase_memory();
    let settings = super::settings_with(&ledger, args.bins, args.resamples);
    let period = match (args.month, args.as_of) {
        (Some(m), _) => Period {
            as_of: m,
            monthly: true,
        },
        (None, Some(d)) => Period {
            as_of: d,
            monthly: false,
        },
        (None, None) => Period {
            as_of: last_complete_month(chrono::Local::now().date_naive()),
            monthly: true,
        },
    };
    let set = match_forecasts(
        &ledger,
        &MatchConfig {
            as_of: Some(period.as_of),
            forecaster: None,
        },
    );
    let t_match = t0.elapsed();
    let mem_match = super::phase_memory();
    let scores = score_set(&set, settings.params(), settings.min_n);
    let t_score = t0.elapsed();
    let mem_score = super::phase_memory();
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| cli.root.join("reports"))
        .join(period.folder());
    let files = write_report(
        &dir,
        &ReportInput {
            ledger: &ledger,
            set: &set,
            scores: &scores,
            settings: &settings,
            period,
            lexicon: &super::lexicon_name(&ledger),
        },
    )?;
    if std::env::var_os("HINDSIGHT_TIMINGS").is_some() {
        let t_report = t0.elapsed();
        eprintln!(
            "timings: load+check {:.3} s, match {:.3} s, score {:.3} s, report {:.3} s; {}",
            t_load.as_secs_f64(),
            (t_match - t_load).as_secs_f64(),
            (t_score - t_match).as_secs_f64(),
            (t_report - t_score).as_secs_f64(),
            super::memory_line()
        );
        let mem_report = super::phase_memory();
        if !mem_load.is_empty() {
            eprintln!(
                "peak memory by phase: load {mem_load}, match {mem_match}, score {mem_score}, report {mem_report}"
            );
        }
    }
    let mut out = hindsight::render::table::render(&scores, settings.min_n);
    out.push('\n');
    out.push_str(&super::coverage_line(&set));
    out.push_str(&format!(
        "\nReport for {} written to {}/:",
        period.label(),
        dir.display()
    ));
    const SHOW: usize = 14;
    for f in files.iter().take(SHOW) {
        out.push_str(&format!(" {}", f.display()));
    }
    if files.len() > SHOW {
        out.push_str(&format!(" and {} more", files.len() - SHOW));
    }
    out.push_str(&format!(
        "\nOpen {}/index.html in a browser.\n",
        dir.display()
    ));
    super::print_stdout(out.as_bytes())?;
    // The process ends here: skip freeing millions of small allocations.
    std::mem::forget(ledger);
    Ok(ExitCode::SUCCESS)
}
