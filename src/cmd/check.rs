//! `hindsight check`: validate the whole ledger and report every problem.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::ledger::{self, Counts};

use crate::cli::{CheckArgs, Cli};

pub fn run(cli: &Cli, args: &CheckArgs) -> Result<ExitCode> {
    // A ledger with nothing to report (no error, no warning) is counted by
    // the compact reader, which reads only clean ledgers: seconds, not
    // minutes, for millions of forecasts, and the same line. Anything else
    // goes through the full loader, which locates every problem.
    if let Some(scan) = ledger::fast::scan(&cli.root)?
        && scan.warnings == 0
    {
        let code = summarize(args, scan.counts(), 0, 0)?;
        // The process ends here: skip freeing the columns.
        std::mem::forget(scan);
        return Ok(code);
    }
    let ledger = ledger::open(&cli.root)?;
    for d in &ledger.diagnostics {
        eprintln!("{}", hindsight::render::terminal_safe(&d.to_string()));
    }
    let errors = ledger.errors();
    let warnings = ledger.diagnostics.len() - errors;
    let code = summarize(args, ledger.counts(), errors, warnings)?;
    // The process ends here: skip freeing millions of small allocations.
    std::mem::forget(ledger);
    Ok(code)
}

/// Print the summary line (stdout when the ledger passes, stderr when not)
/// and give the exit code.
fn summarize(args: &CheckArgs, n: Counts, errors: usize, warnings: usize) -> Result<ExitCode> {
    let failed = errors > 0 || (args.strict && warnings > 0);
    if !args.quiet || failed {
        let status = if failed { "FAILED" } else { "OK" };
        let line = format!(
            "ledger {}: {} question(s), {} forecast(s), {} outcome(s) in {} file(s); {} error(s), {} warning(s)\n",
            status, n.questions, n.forecasts, n.outcomes, n.files, errors, warnings
        );
        if failed {
            eprint!("{}", line);
        } else {
            super::print_stdout(line.as_bytes())?;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
