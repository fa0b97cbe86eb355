//! `hindsight chart calibration`: a reliability diagram as PNG.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::report::{corp_overlay, reliability_chart};
use hindsight::score::summarize_grouped;

use crate::cli::{ChartArgs, ChartCommand, Cli};

pub fn run(cli: &Cli, cmd: &ChartCommand) -> Result<ExitCode> {
    let ChartCommand::Calibration(args) = cmd;
    calibration(cli, args)
}

fn calibration(cli: &Cli, args: &ChartArgs) -> Result<ExitCode> {
    let ledger = super::open_checked(&cli.root)?;
    if let Some(name) = &args.forecaster {
        super::check_forecaster(&ledger, name)?;
    }
    let settings = super::settings_with(&ledger, args.scoring.bins, args.scoring.resamples);
    let set = match_forecasts(
        &ledger,
        &MatchConfig {
            as_of: args.scoring.as_of,
            forecaster: args.forecaster.clone(),
        },
    );
    let params = settings.params();
    let summary = summarize_grouped(&set.p, &set.y, &set.question, params, params.seed);
    let who = args.forecaster.as_deref().unwrap_or("all forecasters");
    let chart = reliability_chart(who, &summary, settings.bins, args.scoring.as_of);
    // With the CORP (PAV) curve, its consistency band and MCB/DSC/UNC, as in reports.
    let corp = corp_overlay(&set, &summary);
    hindsight::render::png::render_reliability_corp_png(&chart, &corp, &args.output)?;
    eprintln!(
        "wrote {} ({} scored forecasts)",
        args.output.display(),
        summary.n
    );
    Ok(ExitCode::SUCCESS)
}
