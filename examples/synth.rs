//! Write a synthetic ledger (stand-in for the future `hindsight synth`).
//!
//! ```sh
//! cargo run --release --example synth -- --out DIR --forecasters 500 \
//!     --questions 50000 --forecasts 1000000 --seed 1
//! ```
//!
//! Prints what was written as JSON on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hindsight::synth::{SynthConfig, write_synthetic_ledger};

/// Write a synthetic ledger with forecasters of known behaviour.
#[derive(Debug, Parser)]
#[command(name = "synth")]
struct Args {
    /// Folder to write the ledger into (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of forecasters (cycling calibrated, overconfident, underconfident, biased, chimp).
    #[arg(long, default_value_t = 50, value_name = "K")]
    forecasters: usize,
    /// Number of questions.
    #[arg(long, default_value_t = 1_000, value_name = "Q")]
    questions: usize,
    /// Number of forecast rows.
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    forecasts: usize,
    /// Seed: the same flags give byte-identical files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let cfg = SynthConfig {
        forecasters: a.forecasters,
        questions: a.questions,
        forecasts: a.forecasts,
        seed: a.seed,
    };
    match write_synthetic_ledger(&a.out, &cfg) {
        Ok(summary) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&summary).expect("summary serializes")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("synth: {e:#}");
            ExitCode::from(2)
        }
    }
}
