//! `hindsight synth`: write a synthetic ledger with forecasters of known behaviour.

use std::process::ExitCode;

use anyhow::Result;
use hindsight::synth::{SynthConfig, write_synthetic_ledger};

use crate::cli::SynthArgs;

pub fn run(args: &SynthArgs) -> Result<ExitCode> {
    let summary = write_synthetic_ledger(
        &args.out,
        &SynthConfig {
            forecasters: args.forecasters,
            questions: args.questions,
            forecasts: args.forecasts,
            seed: args.seed,
        },
    )?;
    let mut out = serde_json::to_string_pretty(&summary)?;
    out.push('\n');
    super::print_stdout(out.as_bytes())?;
    eprintln!(
        "wrote a synthetic ledger to {} (try: hindsight --root {} run --as-of 2030-12-31)",
        args.out.display(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
