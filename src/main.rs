//! The `hindsight` binary: parse the command line, dispatch to a subcommand,
//! print any error with its causes, and return the exit code (0 success,
//! 1 problems in the data, 2 unusable invocation or I/O failure).

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;
use hindsight::error::Rejected;
use hindsight::render::terminal_safe;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(a) => cmd::check::run(&cli, a),
        Command::Import(c) => cmd::import::run(&cli, c),
        Command::Score(a) => cmd::score::run(&cli, a),
        Command::Chart(c) => cmd::chart::run(&cli, c),
        Command::Run(a) => cmd::run::run(&cli, a),
        Command::Lexicon(a) => cmd::lexicon::run(&cli, a),
        Command::Synth(a) => cmd::synth::run(a),
        Command::Extract(a) => cmd::extract::run(&cli, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if let Some(Rejected(diags)) = e.downcast_ref::<Rejected>() {
                const SHOW: usize = 50;
                let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
                for d in errors.iter().take(SHOW) {
                    eprintln!("{}", terminal_safe(&d.to_string()));
                }
                if errors.len() > SHOW {
                    eprintln!("... and {} more error(s)", errors.len() - SHOW);
                }
                eprintln!("hindsight: {} error(s); nothing was written", errors.len());
                return ExitCode::from(1);
            }
            eprintln!("hindsight: error: {}", terminal_safe(&format!("{:#}", e)));
            ExitCode::from(2)
        }
    }
}
