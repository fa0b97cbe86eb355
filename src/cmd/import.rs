//! `hindsight import forecasts|outcomes FILE...`: add staff CSVs to the ledger.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use hindsight::ledger::import::{ImportKind, ImportOptions, import};
use hindsight::ledger::normalize::DateOrder;
use hindsight::render::terminal_safe;

use crate::cli::{Cli, DateOrderArg, ImportArgs, ImportCommand};

pub fn run(cli: &Cli, cmd: &ImportCommand) -> Result<ExitCode> {
    let (kind, args): (ImportKind, &ImportArgs) = match cmd {
        ImportCommand::Forecasts(a) => (ImportKind::Forecasts, a),
        ImportCommand::Outcomes(a) => (ImportKind::Outcomes, a),
    };
    let opts = ImportOptions {
        dry_run: args.dry_run,
        by: args.by.clone(),
        date_order: args.date_order.map(|d| match d {
            DateOrderArg::Dmy => DateOrder::Dmy,
            DateOrderArg::Mdy => DateOrder::Mdy,
        }),
        batch: args.batch.clone(),
        wait: Duration::from_secs(args.wait),
    };
    let report = import(&cli.root, kind, &args.files, &opts)?;
    let what = match kind {
        ImportKind::Forecasts => "forecast(s)",
        ImportKind::Outcomes => "outcome(s)",
    };
    let mut out = String::new();
    let verb = if report.dry_run { "would add" } else { "added" };
    out.push_str(&format!(
        "{} {} {} {}, {} new question(s); skipped {} row(s) already in the ledger\n",
        if report.dry_run {
            "dry run:"
        } else {
            "import:"
        },
        verb,
        report.added.len(),
        what,
        report.new_questions.len(),
        report.skipped
    ));
    if report.dry_run {
        for q in &report.new_questions {
            out.push_str(&format!(
                "  + question {} (closes {}): {}\n",
                q.get("question_id"),
                q.get("closes_on"),
                terminal_safe(q.get("title"))
            ));
        }
        for r in &report.added {
            let line = match kind {
                ImportKind::Forecasts => format!(
                    "  + {} {} {} {} p={}{} ({}:{})",
                    r.file.display(),
                    r.get("forecast_id"),
                    r.get("question_id"),
                    terminal_safe(r.get("forecaster")),
                    if r.get("probability").is_empty() {
                        ""
                    } else {
                        r.get("probability")
                    },
                    if r.get("verbal").is_empty() {
                        String::new()
                    } else {
                        format!(" '{}'", terminal_safe(r.get("verbal")))
                    },
                    r.from.file.display(),
                    r.from.line
                ),
                ImportKind::Outcomes => format!(
                    "  + {} {} {} on {} ({}:{})",
                    r.file.display(),
                    r.get("question_id"),
                    r.get("outcome"),
                    r.get("resolved_on"),
                    r.from.file.display(),
                    r.from.line
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
    } else {
        for f in &report.files_written {
            out.push_str(&format!("  wrote {}\n", f.display()));
        }
    }
    super::print_stdout(out.as_bytes())?;
    for w in &report.warnings {
        eprintln!("{}", terminal_safe(&w.to_string()));
    }
    Ok(ExitCode::SUCCESS)
}
