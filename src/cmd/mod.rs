//! One file per subcommand. Each turns its clap arguments into a plain
//! configuration, runs the library pipeline and returns an exit code. Shared
//! helpers (opening a checked ledger, writing to stdout) live here.

pub mod chart;
pub mod check;
pub mod extract;
pub mod import;
pub mod lexicon;
pub mod run;
pub mod score;
pub mod synth;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use hindsight::error::Rejected;
use hindsight::ledger::{self, Ledger};
use hindsight::matching::ScoredSet;
use hindsight::render::terminal_safe;
use hindsight::settings::Settings;

/// Open the ledger for scoring: any error stops the command (exit 1) with
/// every problem listed; warnings are printed and the command goes on.
pub fn open_checked(root: &Path) -> Result<Ledger> {
    let ledger = ledger::open(root)?;
    if ledger.errors() > 0 {
        return Err(Rejected(ledger.diagnostics.clone()).into());
    }
    report_warnings(ledger.diagnostics.len());
    Ok(ledger)
}

/// Say how many warnings the ledger has (the forecasts they concern are not scored).
pub fn report_warnings(warnings: usize) {
    if warnings > 0 {
        eprintln!(
            "hindsight: {} warning(s) in the ledger (see `hindsight check`); those forecasts are not scored",
            warnings
        );
    }
}

/// Apply command-line overrides to the ledger's settings.
pub fn settings_with(ledger: &Ledger, bins: Option<u16>, resamples: Option<usize>) -> Settings {
    let mut s = ledger.settings.clone();
    if let Some(b) = bins {
        s.bins = b as usize;
    }
    if let Some(r) = resamples {
        s.resamples = r;
    }
    s
}

/// Check that a forecaster named on the command line exists in the ledger.
pub fn check_forecaster(ledger: &Ledger, name: &str) -> Result<()> {
    let mut names: Vec<&str> = ledger.forecasts.iter().map(|f| &*f.forecaster).collect();
    names.sort();
    names.dedup();
    check_forecaster_in(&names, name)
}

/// [`check_forecaster`] over a sorted list of distinct names.
pub fn check_forecaster_in(names: &[&str], name: &str) -> Result<()> {
    if names.contains(&name) {
        return Ok(());
    }
    let mut scored: Vec<(f64, &str)> = names
        .iter()
        .map(|n| {
            (
                strsim::normalized_levenshtein(&n.to_lowercase(), &name.to_lowercase()),
                *n,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let near: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, n)| format!("'{}'", terminal_safe(n)))
        .collect();
    anyhow::bail!(
        "no forecaster named '{}' in the ledger{}",
        terminal_safe(name),
        if near.is_empty() {
            String::new()
        } else {
            format!(" (nearest: {})", near.join(", "))
        }
    )
}

/// The lexicon description recorded in outputs (scale and overrides).
pub fn lexicon_name(ledger: &Ledger) -> String {
    ledger.lexicon.describe()
}

/// A one-line account of what was and was not scored.
pub fn coverage_line(set: &ScoredSet) -> String {
    let u = &set.unscored;
    format!(
        "Scored {} forecast(s) by {} forecaster(s). Not scored: {} pending, {} void, {} made after close, {} made after resolution{}.",
        set.len(),
        set.forecasters.len(),
        u.pending,
        u.void,
        u.made_after_close,
        u.made_after_resolution,
        if u.not_binary > 0 {
            format!(", {} on non-binary questions", u.not_binary)
        } else {
            String::new()
        }
    )
}

/// Current and peak resident memory of this process (Linux; for
/// HINDSIGHT_TIMINGS), or an empty string where /proc is not available.
pub fn memory_line() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status_kb(&status, name);
    // The high-water mark may have been reset by `phase_memory`: the peak is
    // the larger of it and the phases' peaks.
    let hwm = field("VmHWM:").map(|kb| kb.max(PEAK_KB.load(Ordering::Relaxed)));
    let mib =
        |kb: Option<u64>| kb.map_or_else(|| "?".to_string(), |kb| format!("{} MiB", kb / 1024));
    format!("memory now {}, peak {}", mib(field("VmRSS:")), mib(hwm))
}

/// A field of /proc/self/status in KiB (`name` with its colon).
fn status_kb(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
}

/// The largest peak `phase_memory` has read (KiB).
static PEAK_KB: AtomicU64 = AtomicU64::new(0);

/// With HINDSIGHT_TIMINGS=memory: the peak resident memory since the last
/// call (Linux: read, then reset, the process's high-water mark), or an
/// empty string. Opt-in because the reset hides the whole run's peak from
/// an outside measurement such as `/usr/bin/time`.
pub fn phase_memory() -> String {
    if std::env::var_os("HINDSIGHT_TIMINGS").is_none_or(|v| v != "memory") {
        return String::new();
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status_kb(&status, "VmHWM:");
    if let Some(kb) = peak {
        PEAK_KB.fetch_max(kb, Ordering::Relaxed);
    }
    // "5" resets the high-water mark to the current resident size.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak.map(|kb| format!("{} MiB", kb / 1024))
        .unwrap_or_else(|| "?".to_string())
}

/// Write to stdout; a closed pipe (e.g. `| head`) is not an error.
pub fn print_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}
