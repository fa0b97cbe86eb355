//! `hindsight check`: validate the whole ledger and report every problem.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::ledger;

use crate::cli::{CheckArgs, Cli};

pub fn run(cli: &Cli, args: &CheckArgs) -> Result<ExitCode> {
    let ledger = ledger::open(&cli.root)?;
    for d in &ledger.diagnostics {
        eprintln!("{}", hindsight::render::terminal_safe(&d.to_string()));
    }
    let errors = ledger.errors();
    let warnings = ledger.diagnostics.len() - errors;
    let failed = errors > 0 || (args.strict && warnings > 0);
    if !args.quiet || failed {
        let status = if failed { "FAILED" } else { "OK" };
        let line = format!(
            "ledger {}: {} question(s), {} forecast(s), {} outcome(s) in {} file(s); {} error(s), {} warning(s)\n",
            status,
            ledger.questions.len(),
            ledger.forecasts.len(),
            ledger.outcomes.len(),
            ledger.files.len(),
            errors,
            warnings
        );
        if failed {
            eprint!("{}", line);
        } else {
            super::print_stdout(line.as_bytes())?;
        }
    }
    // The process ends here: skip freeing millions of small allocations.
    std::mem::forget(ledger);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
