//! `hindsight score`: score every forecaster; table, JSON or CSV.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::render;
use hindsight::score::score_set;

use crate::cli::{Cli, Format, ScoreArgs};

pub fn run(cli: &Cli, args: &ScoreArgs) -> Result<ExitCode> {
    let ledger = super::open_checked(&cli.root)?;
    if let Some(name) = &args.forecaster {
        super::check_forecaster(&ledger, name)?;
    }
    let settings = super::settings_with(&ledger, args.scoring.bins, args.scoring.resamples);
    let config = MatchConfig {
        as_of: args.scoring.as_of,
        forecaster: args.forecaster.clone(),
    };
    let set = match_forecasts(&ledger, &config);
    let params = settings.params();
    let scores = score_set(&set, params, settings.min_n);
    let mut out = Vec::new();
    match args.format {
        Format::Table => {
            out.extend_from_slice(render::table::render(&scores, settings.min_n).as_bytes());
            out.push(b'\n');
            out.extend_from_slice(super::coverage_line(&set).as_bytes());
            out.push(b'\n');
        }
        Format::Json => render::json::write_scores(
            &mut out,
            &scores,
            &settings,
            args.scoring.as_of,
            &set.unscored,
            super::lexicon_name(&ledger),
        )?,
        Format::Csv => render::csv_out::write_scores(&mut out, &scores)?,
    }
    super::print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}
