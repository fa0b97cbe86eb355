//! Command-line definitions (clap derive). Syntax only: no work happens here;
//! each command in `cmd/` turns these into a plain configuration.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keep score on expert forecasts: check the ledger, import staff CSVs, score
/// forecasters (Brier, log, calibration, discrimination) and chart calibration.
#[derive(Debug, Parser)]
#[command(name = "hindsight", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Ledger folder (holds forecasts/, outcomes/, hindsight.toml).
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_ROOT",
        default_value = ".",
        value_name = "DIR"
    )]
    pub root: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the whole ledger and report every problem (exit 1 if any error).
    Check(CheckArgs),
    /// Add research staff's CSV files to the ledger, all or nothing.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Score every forecaster on resolved binary questions.
    Score(ScoreArgs),
    /// Draw charts.
    #[command(subcommand)]
    Chart(ChartCommand),
    /// The main job: check, score and write the monthly report (HTML, charts, JSON, CSV).
    Run(RunArgs),
    /// Show the verbal probability lexicon, or look a phrase up.
    Lexicon(LexiconArgs),
    /// Write a synthetic ledger with forecasters of known behaviour (for demos, tests, benchmarks).
    Synth(SynthArgs),
    /// Propose draft forecast rows from an article's text, for staff to review and import.
    Extract(ExtractArgs),
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The article: plain text, UTF-8 (any punctuation style).
    #[arg(value_name = "ARTICLE.txt")]
    pub article: PathBuf,
    /// Where the article was published (the drafts' `source`).
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// Publication date (the drafts' `made_on`).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub published: Option<NaiveDate>,
    /// Who is coding (the drafts' `recorded_by`).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Leave out drafts below this confidence (0 to 1).
    #[arg(long, default_value_t = 0.5, value_name = "X")]
    pub min_confidence: f64,
    /// Scale to map phrases on (default: the ledger's, or icd203).
    #[arg(long, value_name = "NAME")]
    pub scale: Option<String>,
    /// Draft CSV to write ("-" for standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder to write the ledger into (created; must not hold another ledger's CSV files).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of forecasters (cycling through calibrated, overconfident, underconfident, biased, chimp).
    #[arg(long, default_value_t = 50, value_name = "K")]
    pub forecasters: usize,
    /// Number of questions.
    #[arg(long, default_value_t = 1000, value_name = "Q")]
    pub questions: usize,
    /// Number of forecast rows.
    #[arg(long, default_value_t = 20000, value_name = "N")]
    pub forecasts: usize,
    /// Seed: the same flags give byte-identical files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Print only problems, not the summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import forecast rows (ledger columns, or the flat form with title and closes_on).
    Forecasts(ImportArgs),
    /// Import outcome rows (question_id, resolved_on, outcome, source, note).
    Outcomes(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV files to import.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Show what would be added; write nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Who is importing (change log; recorded_by for rows without one).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Batch file name in forecasts/ or outcomes/ (default: each input file's name).
    #[arg(long, value_name = "NAME")]
    pub batch: Option<String>,
    /// How to read dates like 03/04/2019 (refused without it).
    #[arg(long, value_enum, value_name = "ORDER")]
    pub date_order: Option<DateOrderArg>,
    /// Seconds to wait for another import to release the ledger lock.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub wait: u64,
    /// Write rejected rows (their original cells plus a reason column) to this CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub rejects: Option<PathBuf>,
    /// Import the good rows even when some are rejected (they go to --rejects).
    #[arg(long, requires = "rejects")]
    pub partial: bool,
    /// The input files' encoding (default: detected from a BOM, else UTF-8, else Windows-1252).
    #[arg(long, value_name = "ENCODING", value_parser = ["utf-8", "utf-16", "windows-1252"])]
    pub encoding: Option<String>,
    /// The input files' delimiter: comma, semicolon, tab, or the character itself (default: sniffed).
    #[arg(long, value_name = "DELIMITER")]
    pub delimiter: Option<String>,
    /// Refuse input files larger than this many bytes (default 256 MiB).
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub max_bytes: u64,
    /// Refuse input files with more data rows than this.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub max_rows: usize,
    /// Leave out an input column that hindsight does not know (repeatable).
    #[arg(long, value_name = "NAME")]
    pub ignore_column: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateOrderArg {
    Dmy,
    Mdy,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Options shared by everything that scores.
#[derive(Debug, Args, Clone)]
pub struct ScoringArgs {
    /// Score as of this date: only forecasts made and outcomes resolved by then.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Number of equal-width calibration bins (default 10, or hindsight.toml).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub bins: Option<u16>,
    /// Resamples for bootstrap intervals and tests (default 1000, or hindsight.toml; 0 skips them).
    #[arg(long, value_name = "N")]
    pub resamples: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub scoring: ScoringArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only this forecaster (exact name).
    #[arg(long, value_name = "NAME")]
    pub forecaster: Option<String>,
    /// Also show how the scores move when verbal phrases take the ends of
    /// their ranges or another scale's readings (JSON: `sensitivity`).
    #[arg(long)]
    pub sensitivity: bool,
}

#[derive(Debug, Subcommand)]
pub enum ChartCommand {
    /// Reliability diagram: forecast vs observed frequency per bin, with 95% Jeffreys intervals.
    Calibration(ChartArgs),
}

#[derive(Debug, Args)]
pub struct ChartArgs {
    #[command(flatten)]
    pub scoring: ScoringArgs,
    /// Only this forecaster (exact name); default all forecasters.
    #[arg(long, value_name = "NAME")]
    pub forecaster: Option<String>,
    /// PNG file to write.
    #[arg(short, long, value_name = "FILE.png")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Report for this month (scored as of its last day) into reports/YYYY-MM/.
    /// Default: the last complete month.
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month, conflicts_with = "as_of")]
    pub month: Option<NaiveDate>,
    /// Report as of this date instead, into reports/YYYY-MM-DD/.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Number of equal-width calibration bins (default 10, or hindsight.toml).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub bins: Option<u16>,
    /// Resamples for bootstrap intervals and tests (default 1000, or hindsight.toml).
    #[arg(long, value_name = "N")]
    pub resamples: Option<usize>,
    /// Reports folder (default: reports/ in the ledger).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LexiconArgs {
    /// Scale to read phrases on: icd203 (default), kent, phia, ipcc, survey
    /// (default: the ledger's hindsight.toml `scale`).
    #[arg(long, value_name = "NAME", global = true)]
    pub scale: Option<String>,
    #[command(subcommand)]
    pub command: Option<LexiconCommand>,
}

#[derive(Debug, Subcommand)]
pub enum LexiconCommand {
    /// Show how a phrase maps to a probability and where the mapping comes from.
    Lookup {
        /// The phrase, e.g. "cannot be ruled out".
        phrase: String,
    },
}

fn parse_month(s: &str) -> Result<NaiveDate, String> {
    hindsight::report::parse_month(s)
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    hindsight::model::parse_iso_date(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
