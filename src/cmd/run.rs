//! `hindsight run`: the main job. Check, score and chart into reports/<date>/.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::report::{ReportInput, write_report};
use hindsight::score::score_set;

use crate::cli::{Cli, RunArgs};

pub fn run(cli: &Cli, args: &RunArgs) -> Result<ExitCode> {
    let ledger = super::open_checked(&cli.root)?;
    let settings = super::settings_with(&ledger, args.bins);
    let as_of = args
        .as_of
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let set = match_forecasts(
        &ledger,
        &MatchConfig {
            as_of: Some(as_of),
            forecaster: None,
        },
    );
    let params = settings.params();
    let scores = score_set(&set, params, settings.min_n);
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| cli.root.join("reports"))
        .join(as_of.to_string());
    let files = write_report(
        &dir,
        &ReportInput {
            ledger: &ledger,
            set: &set,
            scores: &scores,
            settings: &settings,
            as_of,
            lexicon: super::lexicon_name(&ledger),
        },
    )?;
    let mut out = hindsight::render::table::render(&scores, settings.min_n);
    out.push('\n');
    out.push_str(&super::coverage_line(&set));
    out.push_str(&format!("\nReport written to {}/:", dir.display()));
    for f in files {
        out.push_str(&format!(" {}", f.display()));
    }
    out.push('\n');
    super::print_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
