//! `hindsight score`: score every forecaster; table, JSON or CSV.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::ledger::{self, Ledger, fast::Scan};
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::render;
use hindsight::score::score_set;

use crate::cli::{Cli, Format, ScoreArgs};

/// The ledger as one of the two loaders read it.
enum Loaded {
    /// The compact columns of `ledger::fast` (a clean ledger).
    Fast(Box<Scan>),
    /// The full model (a ledger with warnings the fast path left alone, or
    /// `--sensitivity`, which needs every forecast's text).
    Full(Box<Ledger>),
}

pub fn run(cli: &Cli, args: &ScoreArgs) -> Result<ExitCode> {
    let t0 = std::time::Instant::now();
    // Large ledgers load through the compact fast path; a ledger with any
    // problem (or --sensitivity) goes through the full loader, which reports
    // problems.
    let scan = match args.sensitivity {
        true => None,
        false => ledger::fast::scan(&cli.root)?,
    };
    let mut loaded = match scan {
        Some(scan) => {
            super::report_warnings(scan.warnings);
            Loaded::Fast(Box::new(scan))
        }
        None => Loaded::Full(Box::new(super::open_checked(&cli.root)?)),
    };
    let t_load = t0.elapsed();
    let mem_load = super::phase_memory();
    let base: &Ledger = match &loaded {
        Loaded::Fast(scan) => &scan.ledger,
        Loaded::Full(full) => full,
    };
    if let Some(name) = &args.forecaster {
        match &loaded {
            Loaded::Fast(scan) => {
                let names: Vec<&str> = scan.forecasters.iter().map(|s| s.as_str()).collect();
                super::check_forecaster_in(&names, name)?
            }
            Loaded::Full(full) => super::check_forecaster(full, name)?,
        }
    }
    let settings = super::settings_with(base, args.scoring.bins, args.scoring.resamples);
    let lexicon = super::lexicon_name(base);
    let config = MatchConfig {
        as_of: args.scoring.as_of,
        forecaster: args.forecaster.clone(),
    };
    let t1 = std::time::Instant::now();
    let set = match &mut loaded {
        // Scoring reads neither each forecast's status nor the row of each
        // scored one (they are counted in `set.unscored`), and the forecast
        // columns are in the scored set once matched.
        Loaded::Fast(scan) => ledger::fast::match_scan_columns(scan, &config),
        Loaded::Full(full) => match_forecasts(full, &config),
    };
    let t_match = t1.elapsed();
    let mem_match = super::phase_memory();
    // The consistency band is drawn in charts only.
    let params = hindsight::score::Params {
        corp_band: false,
        ..settings.params()
    };
    let t2 = std::time::Instant::now();
    let scores = score_set(&set, params, settings.min_n);
    let t_score = t2.elapsed();
    let mem_score = super::phase_memory();
    if std::env::var_os("HINDSIGHT_TIMINGS").is_some() {
        if let Loaded::Fast(scan) = &loaded {
            for (phase, at) in &scan.phases {
                eprintln!("  {phase}: done at {:.3} s", at.as_secs_f64());
            }
        }
        eprintln!(
            "timings: load+check {:.3} s ({} path), match {:.3} s, score {:.3} s; {}",
            t_load.as_secs_f64(),
            match loaded {
                Loaded::Fast(_) => "fast",
                Loaded::Full(_) => "full",
            },
            t_match.as_secs_f64(),
            t_score.as_secs_f64(),
            super::memory_line()
        );
        if !mem_load.is_empty() {
            eprintln!(
                "peak memory by phase: load {mem_load}, match {mem_match}, score {mem_score}"
            );
        }
    }
    let sens = match &loaded {
        Loaded::Full(full) if args.sensitivity => {
            Some(hindsight::sensitivity::sensitivity(full, &set, &scores))
        }
        _ => None,
    };
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
            &lexicon,
            sens.as_ref(),
        )?,
        Format::Csv => render::csv_out::write_scores(&mut out, &scores)?,
    }
    super::print_stdout(&out)?;
    // The process ends here: skip freeing millions of small allocations.
    std::mem::forget(loaded);
    std::mem::forget(set);
    Ok(ExitCode::SUCCESS)
}
