//! `hindsight score`: score every forecaster; table, JSON or CSV.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::render;
use hindsight::score::score_set;

use crate::cli::{Cli, Format, ScoreArgs};

pub fn run(cli: &Cli, args: &ScoreArgs) -> Result<ExitCode> {
    let t0 = std::time::Instant::now();
    let ledger = super::open_checked(&cli.root)?;
    let t_load = t0.elapsed();
    if let Some(name) = &args.forecaster {
        super::check_forecaster(&ledger, name)?;
    }
    let settings = super::settings_with(&ledger, args.scoring.bins, args.scoring.resamples);
    let config = MatchConfig {
        as_of: args.scoring.as_of,
        forecaster: args.forecaster.clone(),
    };
    let t1 = std::time::Instant::now();
    let set = match_forecasts(&ledger, &config);
    let t_match = t1.elapsed();
    let params = settings.params();
    let t2 = std::time::Instant::now();
    let scores = score_set(&set, params, settings.min_n);
    let t_score = t2.elapsed();
    if std::env::var_os("HINDSIGHT_TIMINGS").is_some() {
        eprintln!(
            "timings: load+check {:.3} s, match {:.3} s, score {:.3} s",
            t_load.as_secs_f64(),
            t_match.as_secs_f64(),
            t_score.as_secs_f64()
        );
    }
    let sens = args
        .sensitivity
        .then(|| hindsight::sensitivity::sensitivity(&ledger, &set, &scores));
    let mut out = Vec::new();
    match args.format {
        Format::Table => {
            out.extend_from_slice(render::table::render(&scores, settings.min_n).as_bytes());
            out.push(b'\n');
            out.extend_from_slice(super::coverage_line(&set).as_bytes());
            out.push(b'\n');
            if let Some(s) = &sens {
                out.push(b'\n');
                out.extend_from_slice(render::table::render_sensitivity(s).as_bytes());
                out.push(b'\n');
            }
        }
        Format::Json => render::json::write_scores(
            &mut out,
            &scores,
            &settings,
            args.scoring.as_of,
            &set.unscored,
            &super::lexicon_name(&ledger),
            sens.as_ref(),
        )?,
        Format::Csv => render::csv_out::write_scores(&mut out, &scores)?,
    }
    super::print_stdout(&out)?;
    // The process ends here: skip freeing millions of small allocations.
    std::mem::forget(ledger);
    Ok(ExitCode::SUCCESS)
}
