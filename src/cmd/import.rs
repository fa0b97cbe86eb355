//! `hindsight import forecasts|outcomes FILE...`: add staff CSVs to the ledger.
//!
//! Exit codes: 0 imported, 1 rows rejected (nothing written, or with
//! `--partial` only the good rows), 2 an unusable invocation or input file
//! (or the ledger could not be read, locked or written).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use hindsight::ledger::import::{
    ImportFailed, ImportKind, ImportOptions, ImportReport, InputEncoding, Problem, RejectedRow,
    check_rejects_path, import, rejects_csv,
};
use hindsight::ledger::normalize::DateOrder;
use hindsight::ledger::table::Limits;
use hindsight::ledger::write::atomic_write;
use hindsight::render::terminal_safe;

use crate::cli::{Cli, DateOrderArg, ImportArgs, ImportCommand};

/// How many errors the terminal shows before "... and N more".
const SHOW: usize = 20;

fn parse_delimiter(d: &str) -> Result<u8> {
    Ok(match d {
        "comma" | "," => b',',
        "semicolon" | ";" => b';',
        "tab" | "\t" | "\\t" => b'\t',
        "pipe" | "|" => b'|',
        _ => bail!(
            "--delimiter {}: use comma, semicolon, tab or pipe",
            terminal_safe(d)
        ),
    })
}

pub fn run(cli: &Cli, cmd: &ImportCommand) -> Result<ExitCode> {
    let (kind, args): (ImportKind, &ImportArgs) = match cmd {
        ImportCommand::Forecasts(a) => (ImportKind::Forecasts, a),
        ImportCommand::Outcomes(a) => (ImportKind::Outcomes, a),
    };
    let delimiter = args.delimiter.as_deref().map(parse_delimiter).transpose()?;
    if let Some(r) = &args.rejects
        && let Err(e) = check_rejects_path(&cli.root, r, &args.files)
    {
        bail!("{}", e);
    }
    let opts = ImportOptions {
        dry_run: args.dry_run,
        by: args.by.clone(),
        date_order: args.date_order.map(|d| match d {
            DateOrderArg::Dmy => DateOrder::Dmy,
            DateOrderArg::Mdy => DateOrder::Mdy,
        }),
        batch: args.batch.clone(),
        wait: Duration::from_secs(args.wait),
        encoding: args.encoding.as_deref().map(|e| match e {
            "utf-8" => InputEncoding::Utf8,
            "utf-16" => InputEncoding::Utf16,
            _ => InputEncoding::Windows1252,
        }),
        delimiter,
        max_bytes: args.max_bytes,
        limits: Limits {
            max_rows: args.max_rows,
            ..Limits::default()
        },
        ignore_columns: args.ignore_column.clone(),
        partial: args.partial,
    };
    match import(&cli.root, kind, &args.files, &opts) {
        Ok(report) => succeeded(kind, &report, args.rejects.as_deref()),
        Err(e) => match e.downcast::<ImportFailed>() {
            Ok(failed) => refused(&failed, args.rejects.as_deref()),
            Err(e) => Err(e),
        },
    }
}

fn print_problems(problems: &[Problem]) {
    let errors: Vec<&Problem> = problems.iter().filter(|p| p.is_error()).collect();
    for p in errors.iter().take(SHOW) {
        eprintln!("{}", terminal_safe(&p.to_string()));
    }
    if errors.len() > SHOW {
        eprintln!("... and {} more error(s)", errors.len() - SHOW);
    }
}

fn print_notes(notes: &[Problem]) {
    for n in notes {
        eprintln!("{}", terminal_safe(&n.to_string()));
    }
}

/// Write the rejects file when asked; returns a line saying so.
fn write_rejects(path: Option<&Path>, rows: &[RejectedRow]) -> Result<Option<String>> {
    let Some(path) = path else { return Ok(None) };
    atomic_write(path, &rejects_csv(rows))?;
    Ok(Some(format!(
        "hindsight: {} rejected row(s) written to {}{}",
        rows.len(),
        terminal_safe(&path.display().to_string()),
        if rows.is_empty() {
            ""
        } else {
            " (fix them there and import that file)"
        }
    )))
}

fn refused(failed: &ImportFailed, rejects: Option<&Path>) -> Result<ExitCode> {
    print_notes(&failed.notes);
    print_problems(&failed.problems);
    let errors = failed.problems.iter().filter(|p| p.is_error()).count();
    let rows = failed.rejected.len();
    eprintln!(
        "hindsight: {} error(s){}; nothing was written",
        errors,
        if rows > 0 {
            format!(" in {} row(s)", rows)
        } else {
            String::new()
        }
    );
    if let Some(line) = write_rejects(rejects, &failed.rejected)? {
        eprintln!("{}", line);
    }
    Ok(ExitCode::from(if failed.unusable { 2 } else { 1 }))
}

fn succeeded(kind: ImportKind, report: &ImportReport, rejects: Option<&Path>) -> Result<ExitCode> {
    let what = match kind {
        ImportKind::Forecasts => "forecast(s)",
        ImportKind::Outcomes => "outcome(s)",
    };
    let mut out = String::new();
    let verb = if report.dry_run { "would add" } else { "added" };
    out.push_str(&format!(
        "{} {} {} {}, {} new question(s); skipped {} row(s) already in the ledger{}\n",
        if report.dry_run {
            "dry run:"
        } else {
            "import:"
        },
        verb,
        report.added.len(),
        what,
        report.new_questions.len(),
        report.skipped,
        if report.rejected.is_empty() {
            String::new()
        } else {
            format!("; left out {} rejected row(s)", report.rejected.len())
        }
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
                    r.get("probability"),
                    if r.get("verbal").is_empty() {
                        String::new()
                    } else {
                        format!(" '{}'", terminal_safe(r.get("verbal")))
                    },
                    terminal_safe(&r.from.file.display().to_string()),
                    r.from.line
                ),
                ImportKind::Outcomes => format!(
                    "  + {} {} {} on {} ({}:{})",
                    r.file.display(),
                    r.get("question_id"),
                    r.get("outcome"),
                    r.get("resolved_on"),
                    terminal_safe(&r.from.file.display().to_string()),
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
    print_notes(&report.notes);
    for w in &report.warnings {
        eprintln!("{}", terminal_safe(&w.to_string()));
    }
    print_problems(&report.problems);
    if let Some(line) = write_rejects(rejects, &report.rejected)? {
        eprintln!("{}", line);
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
