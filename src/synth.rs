//! Synthetic ledgers of any size, for benchmarks and tests.
//!
//! Writes a ledger in the data contract's format (`forecasts/questions.csv`,
//! `forecasts/synthetic.csv`, `outcomes/synthetic.csv`) whose forecasters have
//! known behaviour, so that the scores hindsight computes on it can be judged:
//!
//! * every question has a latent true probability `q` (logit-normal), and its
//!   outcome is drawn from it; about 2% of questions are left unresolved and
//!   1% are resolved `void`;
//! * forecasters cycle through five kinds ([`Behaviour`]): well calibrated,
//!   overconfident, underconfident, biased upwards and a random "chimp";
//! * probabilities are written the way people round them: mostly to 0.05 or
//!   0.1, some to 0.01, with the odd 0 and 1;
//! * every forecast is made on or after its question opened, on or before it
//!   closed and strictly before it resolved, so every forecast on a resolved,
//!   non-void question is scored.
//!
//! Output depends only on the [`SynthConfig`]: the generator is a
//! self-contained xoshiro256** seeded through SplitMix64 and every value is
//! written from integers (hundredths, day numbers), so the files are
//! byte-identical for a seed on a given platform. (`exp`, `ln` and `sin_cos`
//! come from the platform's maths library; a last-bit difference there could,
//! rarely, move a forecast to the next hundredth on another OS.) Forecast rows
//! are streamed through a `BufWriter` without being held in memory; only a
//! few bytes per question are kept.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of forecasters (cycling through the five [`Behaviour`]s).
    pub forecasters: usize,
    /// Number of questions.
    pub questions: usize,
    /// Number of forecast rows.
    pub forecasts: usize,
    /// Seed: the same configuration gives byte-identical files.
    pub seed: u64,
}

/// The behaviour of a synthetic forecaster, given the latent probability `q`
/// of the event (in logit space, `l = logit q`, with `e` Gaussian noise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// `sigmoid(l + e)`, e ~ N(0, 0.15): close to the truth.
    Calibrated,
    /// `sigmoid(1.8 l + e)`, e ~ N(0, 0.3): too extreme.
    Overconfident,
    /// `sigmoid(0.5 l + e)`, e ~ N(0, 0.15): too close to 0.5.
    Underconfident,
    /// `sigmoid(l + 0.8 + e)`, e ~ N(0, 0.2): too high.
    Biased,
    /// Uniform on [0, 1], whatever the question.
    Chimp,
}

impl Behaviour {
    /// The kinds in the order forecasters cycle through them.
    pub const ALL: [Behaviour; 5] = [
        Behaviour::Calibrated,
        Behaviour::Overconfident,
        Behaviour::Underconfident,
        Behaviour::Biased,
        Behaviour::Chimp,
    ];

    /// The kind of the `i`-th forecaster (0-based).
    pub fn of_forecaster(i: usize) -> Behaviour {
        Behaviour::ALL[i % Behaviour::ALL.len()]
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::Calibrated => "calibrated",
            Behaviour::Overconfident => "overconfident",
            Behaviour::Underconfident => "underconfident",
            Behaviour::Biased => "biased",
            Behaviour::Chimp => "chimp",
        }
    }

    /// P(yes) this forecaster states (before rounding) when the latent
    /// probability has logit `l`.
    fn forecast(self, rng: &mut Rng, l: f64) -> f64 {
        match self {
            Behaviour::Calibrated => sigmoid(l + 0.15 * rng.normal()),
            Behaviour::Overconfident => sigmoid(1.8 * l + 0.3 * rng.normal()),
            Behaviour::Underconfident => sigmoid(0.5 * l + 0.15 * rng.normal()),
            Behaviour::Biased => sigmoid(l + 0.8 + 0.2 * rng.normal()),
            Behaviour::Chimp => rng.f64(),
        }
    }
}

/// The name of the `i`-th forecaster (0-based): `f0001 calibrated`, ...
pub fn forecaster_name(i: usize, forecasters: usize) -> String {
    format!(
        "f{:0w$} {}",
        i + 1,
        Behaviour::of_forecaster(i).as_str(),
        w = id_width(forecasters, 4)
    )
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SynthSummary {
    pub questions: usize,
    pub forecasters: usize,
    pub forecasts: usize,
    /// Outcome rows written (yes + no + void).
    pub outcomes: usize,
    pub yes: usize,
    pub no: usize,
    pub void: usize,
    /// Questions with no outcome row.
    pub unresolved: usize,
    /// Forecasts on questions resolved yes or no: all of them are scored.
    pub scored: usize,
    /// Forecasts on void questions.
    pub on_void: usize,
    /// Forecasts on unresolved questions (pending).
    pub on_unresolved: usize,
    /// Forecasts written as exactly 0 or 1.
    pub certain: usize,
    /// The files written, relative to the output folder.
    pub files: Vec<PathBuf>,
}

pub const QUESTIONS_FILE: &str = "forecasts/questions.csv";
pub const FORECASTS_FILE: &str = "forecasts/synthetic.csv";
pub const OUTCOMES_FILE: &str = "outcomes/synthetic.csv";

/// First day questions open: 2010-01-01, as days since 1970-01-01.
const START_DAY: i32 = 14_610;

/// What is kept per question while forecasts are written.
#[derive(Debug, Clone, Copy)]
struct QInfo {
    /// logit of the latent probability.
    logit: f32,
    opens: i32,
    /// The last day a forecast on it may be made (closes_on, or the day before
    /// resolution when it resolved early).
    last: i32,
    state: QState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QState {
    Yes,
    No,
    Void,
    Unresolved,
}

/// Write a synthetic ledger under `out` (created if needed).
///
/// Refuses a folder whose `forecasts/` or `outcomes/` already hold other CSV
/// files, which would be mixed into the ledger; the three files it writes are
/// replaced. Each file is written to a temporary file and renamed into place.
///
/// ```
/// use hindsight::synth::{SynthConfig, write_synthetic_ledger};
/// let dir = tempfile::tempdir().unwrap();
/// let cfg = SynthConfig { forecasters: 5, questions: 20, forecasts: 100, seed: 7 };
/// let s = write_synthetic_ledger(dir.path(), &cfg).unwrap();
/// assert_eq!((s.questions, s.forecasts), (20, 100));
/// let ledger = hindsight::ledger::open(dir.path()).unwrap();
/// assert_eq!(ledger.errors(), 0);
/// ```
pub fn write_synthetic_ledger(out: &Path, cfg: &SynthConfig) -> Result<SynthSummary> {
    if cfg.forecasters == 0 || cfg.questions == 0 {
        bail!("a synthetic ledger needs at least one forecaster and one question");
    }
    if cfg.questions > u32::MAX as usize || cfg.forecasts > u32::MAX as usize {
        bail!("at most {} questions and forecasts", u32::MAX);
    }
    for dir in ["forecasts", "outcomes"] {
        let d = out.join(dir);
        std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        for entry in std::fs::read_dir(&d)? {
            let name = entry?.file_name().to_string_lossy().to_string();
            let ours = [QUESTIONS_FILE, FORECASTS_FILE, OUTCOMES_FILE]
                .iter()
                .any(|f| Path::new(f) == Path::new(dir).join(&name));
            if name.to_ascii_lowercase().ends_with(".csv") && !ours {
                bail!(
                    "{} already holds {}: write a synthetic ledger into an empty folder",
                    d.display(),
                    name
                );
            }
        }
    }
    let mut rng = Rng::new(cfg.seed);
    let mut summary = SynthSummary {
        questions: cfg.questions,
        forecasters: cfg.forecasters,
        forecasts: cfg.forecasts,
        outcomes: 0,
        yes: 0,
        no: 0,
        void: 0,
        unresolved: 0,
        scored: 0,
        on_void: 0,
        on_unresolved: 0,
        certain: 0,
        files: vec![
            PathBuf::from(QUESTIONS_FILE),
            PathBuf::from(FORECASTS_FILE),
            PathBuf::from(OUTCOMES_FILE),
        ],
    };
    let qw = id_width(cfg.questions, 6);
    let mut qinfo = Vec::with_capacity(cfg.questions);
    let mut line = Vec::with_capacity(256);

    // Questions and outcomes in one pass.
    let mut qfile = AtomicFile::create(out, QUESTIONS_FILE)?;
    let mut ofile = AtomicFile::create(out, OUTCOMES_FILE)?;
    qfile
        .w
        .write_all(b"question_id,title,kind,opens_on,closes_on,criteria,tags\n")?;
    ofile.w.write_all(b"question_id,resolved_on,outcome\n")?;
    for i in 0..cfg.questions {
        let logit = 1.6 * rng.normal();
        let q = sigmoid(logit);
        let opens = START_DAY + rng.below(10 * 365) as i32;
        let closes = opens + 30 + rng.below(400) as i32;
        let u = rng.f64();
        let yes = rng.f64() < q;
        let (state, resolved) = if u < 0.02 {
            (QState::Unresolved, None)
        } else if u < 0.03 {
            (QState::Void, Some(closes + 1 + rng.below(45) as i32))
        } else if yes && rng.f64() < 0.25 {
            // The event happened before the deadline: resolved early.
            let early = opens + 10 + rng.below((closes - opens - 10) as u64 + 1) as i32;
            (QState::Yes, Some(early))
        } else {
            let state = if yes { QState::Yes } else { QState::No };
            (state, Some(closes + 1 + rng.below(45) as i32))
        };
        let last = match resolved {
            Some(r) => closes.min(r - 1),
            None => closes,
        };
        qinfo.push(QInfo {
            logit: logit as f32,
            opens,
            last,
            state,
        });

        line.clear();
        push_qid(&mut line, i, qw);
        line.extend_from_slice(b",Synthetic question ");
        push_uint(&mut line, i as u64 + 1, 0);
        line.extend_from_slice(b",binary,");
        push_date(&mut line, opens);
        line.push(b',');
        push_date(&mut line, closes);
        line.extend_from_slice(b",synthetic; latent P(yes) = ");
        push_fixed4(&mut line, q);
        line.extend_from_slice(b",synthetic|");
        line.extend_from_slice(TAGS[i % TAGS.len()].as_bytes());
        line.push(b'\n');
        qfile.w.write_all(&line)?;

        if let Some(r) = resolved {
            line.clear();
            push_qid(&mut line, i, qw);
            line.push(b',');
            push_date(&mut line, r);
            line.extend_from_slice(match state {
                QState::Yes => b",yes\n".as_slice(),
                QState::No => b",no\n",
                _ => b",void\n",
            });
            ofile.w.write_all(&line)?;
            summary.outcomes += 1;
        }
        match state {
            QState::Yes => summary.yes += 1,
            QState::No => summary.no += 1,
            QState::Void => summary.void += 1,
            QState::Unresolved => summary.unresolved += 1,
        }
    }
    qfile.finish()?;
    ofile.finish()?;

    // Forecasts, streamed: forecaster i % K, a uniformly drawn question.
    let names: Vec<String> = (0..cfg.forecasters)
        .map(|i| forecaster_name(i, cfg.forecasters))
        .collect();
    let fw = id_width(cfg.forecasts, 7);
    let mut ffile = AtomicFile::create(out, FORECASTS_FILE)?;
    ffile
        .w
        .write_all(b"forecast_id,question_id,forecaster,made_on,probability\n")?;
    for i in 0..cfg.forecasts {
        let who = i % cfg.forecasters;
        let qi = rng.below(cfg.questions as u64) as usize;
        let q = qinfo[qi];
        let made = q.opens + rng.below((q.last - q.opens) as u64 + 1) as i32;
        let p = Behaviour::of_forecaster(who).forecast(&mut rng, q.logit as f64);
        let hundredths = round_like_a_person(&mut rng, p);
        match q.state {
            QState::Yes | QState::No => summary.scored += 1,
            QState::Void => summary.on_void += 1,
            QState::Unresolved => summary.on_unresolved += 1,
        }
        if hundredths == 0 || hundredths == 100 {
            summary.certain += 1;
        }
        line.clear();
        line.push(b's');
        push_uint(&mut line, i as u64 + 1, fw);
        line.push(b',');
        push_qid(&mut line, qi, qw);
        line.push(b',');
        line.extend_from_slice(names[who].as_bytes());
        line.push(b',');
        push_date(&mut line, made);
        line.push(b',');
        push_hundredths(&mut line, hundredths);
        line.push(b'\n');
        ffile.w.write_all(&line)?;
    }
    ffile.finish()?;
    Ok(summary)
}

const TAGS: [&str; 6] = [
    "election",
    "conflict",
    "economy",
    "diplomacy",
    "science",
    "health",
];

/// Round a probability the way people write them, in hundredths (0..=100):
/// 45% to a multiple of 0.05, 35% to 0.1, 20% to 0.01. Near-certain forecasts
/// (within 0.02 of 0 or 1) are sometimes written as the certainty itself.
fn round_like_a_person(rng: &mut Rng, p: f64) -> u32 {
    let p = p.clamp(0.0, 1.0);
    let u = rng.f64();
    let step = if u < 0.45 {
        5.0
    } else if u < 0.80 {
        10.0
    } else {
        1.0
    };
    let mut h = ((p * 100.0 / step).round() * step) as u32;
    // Rounding to 0.05 or 0.1 keeps very small probabilities off 0 half the
    // time; people who are nearly sure often just say "no chance".
    if !(0.02..=0.98).contains(&p) {
        if rng.f64() < 0.5 {
            h = if p < 0.5 { 0 } else { 100 };
        } else {
            h = h.clamp(1, 99);
        }
    }
    h.min(100)
}

/// A file written under a temporary name beside its target (not a `.csv`, so
/// never read as part of the ledger) and renamed into place by `finish`.
struct AtomicFile {
    w: BufWriter<File>,
    tmp: PathBuf,
    target: PathBuf,
}

impl AtomicFile {
    fn create(out: &Path, rel: &str) -> Result<AtomicFile> {
        let target = out.join(rel);
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let tmp = out.join(dir).join(format!(".{name}.synth-tmp"));
        let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(AtomicFile {
            w: BufWriter::with_capacity(1 << 20, file),
            tmp,
            target,
        })
    }

    fn finish(self) -> Result<()> {
        let file = self
            .w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {}", self.tmp.display()))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.target)
            .with_context(|| format!("renaming {} into place", self.tmp.display()))?;
        Ok(())
    }
}

/// Digits needed for `n`, at least `min`.
fn id_width(n: usize, min: usize) -> usize {
    let mut d = 1;
    let mut v = n;
    while v >= 10 {
        v /= 10;
        d += 1;
    }
    d.max(min)
}

fn push_qid(buf: &mut Vec<u8>, i: usize, width: usize) {
    buf.push(b'q');
    push_uint(buf, i as u64 + 1, width);
}

/// Decimal digits of `v`, zero-padded to `width`.
fn push_uint(buf: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut n = 0;
    loop {
        tmp[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for _ in n..width {
        buf.push(b'0');
    }
    buf.extend(tmp[..n].iter().rev());
}

/// A probability in hundredths as a person writes it: 0, 0.05, 0.3, 0.37, 1.
fn push_hundredths(buf: &mut Vec<u8>, h: u32) {
    match h {
        0 => buf.push(b'0'),
        100.. => buf.push(b'1'),
        _ => {
            buf.extend_from_slice(b"0.");
            buf.push(b'0' + (h / 10) as u8);
            if !h.is_multiple_of(10) {
                buf.push(b'0' + (h % 10) as u8);
            }
        }
    }
}

/// `x` in [0, 1] with four decimals (for the criteria text).
fn push_fixed4(buf: &mut Vec<u8>, x: f64) {
    let v = (x.clamp(0.0, 1.0) * 10_000.0).round() as u64;
    push_uint(buf, v / 10_000, 1);
    buf.push(b'.');
    push_uint(buf, v % 10_000, 4);
}

/// ISO date of a day number (days since 1970-01-01), without allocating.
fn push_date(buf: &mut Vec<u8>, days: i32) {
    let (y, m, d) = civil_from_days(days);
    push_uint(buf, y as u64, 4);
    buf.push(b'-');
    push_uint(buf, m as u64, 2);
    buf.push(b'-');
    push_uint(buf, d as u64, 2);
}

/// (year, month, day) of a day number (proleptic Gregorian; H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// xoshiro256** (Blackman & Vigna), seeded through SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
    /// A second normal deviate left over from the last Box-Muller pair.
    spare: Option<f64>,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for v in &mut s {
            *v = splitmix64(&mut sm);
        }
        Rng { s, spare: None }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), 53 random bits.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) (Lemire's multiply-shift; the bias is below
    /// n / 2^64, far under anything a benchmark could notice). `n` > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Standard normal deviate (Box-Muller, both values used).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.f64(); // (0, 1]: ln is finite
        let u2 = self.f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::{MatchConfig, match_forecasts};
    use crate::score::{Params, score_set};

    fn cfg(forecasters: usize, questions: usize, forecasts: usize, seed: u64) -> SynthConfig {
        SynthConfig {
            forecasters,
            questions,
            forecasts,
            seed,
        }
    }

    fn files(dir: &Path) -> Vec<Vec<u8>> {
        [QUESTIONS_FILE, FORECASTS_FILE, OUTCOMES_FILE]
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect()
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let c = cfg(7, 300, 5_000, 42);
        let (a, b, d) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let sa = write_synthetic_ledger(a.path(), &c).unwrap();
        let sb = write_synthetic_ledger(b.path(), &c).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(files(a.path()), files(b.path()));
        write_synthetic_ledger(d.path(), &SynthConfig { seed: 43, ..c }).unwrap();
        assert_ne!(files(a.path())[1], files(d.path())[1]);
        // Writing again into the same folder replaces the files, byte for byte.
        write_synthetic_ledger(a.path(), &c).unwrap();
        assert_eq!(files(a.path()), files(b.path()));
    }

    #[test]
    fn ledger_opens_clean_and_counts_match() {
        let c = cfg(10, 2_000, 20_000, 1);
        let dir = tempfile::tempdir().unwrap();
        let s = write_synthetic_ledger(dir.path(), &c).unwrap();
        let ledger = crate::ledger::open(dir.path()).unwrap();
        assert!(
            ledger.diagnostics.is_empty(),
            "{:?}",
            &ledger.diagnostics[..ledger.diagnostics.len().min(5)]
        );
        assert_eq!(ledger.questions.len(), c.questions);
        assert_eq!(ledger.forecasts.len(), c.forecasts);
        assert_eq!(ledger.outcomes.len(), s.outcomes);
        assert_eq!(s.yes + s.no + s.void + s.unresolved, c.questions);
        assert_eq!(s.outcomes, s.yes + s.no + s.void);
        assert_eq!(s.scored + s.on_void + s.on_unresolved, c.forecasts);
        // About 2% unresolved and 1% void.
        assert!((20..=60).contains(&s.unresolved), "{}", s.unresolved);
        assert!((5..=40).contains(&s.void), "{}", s.void);

        let set = match_forecasts(&ledger, &MatchConfig::default());
        assert_eq!(set.len(), s.scored);
        assert_eq!(set.unscored.pending, s.on_unresolved);
        assert_eq!(set.unscored.void, s.on_void);
        assert_eq!(set.unscored.made_after_close, 0);
        assert_eq!(set.unscored.made_after_resolution, 0);
        assert_eq!(set.forecasters.len(), c.forecasters);
        for (name, r) in set.forecasters.iter().zip(&set.groups) {
            let i: usize = name[1..5].parse::<usize>().unwrap() - 1;
            assert_eq!(name, &forecaster_name(i, c.forecasters));
            // Round robin: each forecaster has forecasts/K rows, ~97% scored.
            assert!(r.len() > 1_800 && r.len() <= 2_000, "{name}: {}", r.len());
        }
        // Dates: made_on within [opens_on, closes_on] and before resolved_on.
        let qi = ledger.question_index();
        for f in &ledger.forecasts {
            let q = &ledger.questions[qi[&*f.question_id]];
            assert!(q.opens_on.unwrap() <= f.made_on && f.made_on <= q.closes_on);
        }
    }

    #[test]
    fn behaviours_score_as_designed() {
        let c = cfg(5, 4_000, 50_000, 9);
        let dir = tempfile::tempdir().unwrap();
        write_synthetic_ledger(dir.path(), &c).unwrap();
        let ledger = crate::ledger::open(dir.path()).unwrap();
        let set = match_forecasts(&ledger, &MatchConfig::default());
        let params = Params {
            resamples: 0,
            ..Params::default()
        };
        let scores = score_set(&set, params, 5);
        let by = |kind: &str| {
            scores
                .forecasters
                .iter()
                .find(|f| f.forecaster.ends_with(kind))
                .unwrap()
                .summary
                .clone()
        };
        let (cal, over, under, biased, chimp) = (
            by("calibrated"),
            by("overconfident"),
            by("underconfident"),
            by("biased"),
            by("chimp"),
        );
        let b = |s: &crate::score::Summary| s.brier.unwrap();
        assert!(b(&cal) < b(&chimp), "{} vs {}", b(&cal), b(&chimp));
        for other in [&over, &under, &biased, &chimp] {
            assert!(b(&cal) < b(other), "{} vs {}", b(&cal), b(other));
        }
        // The chimp is near a third (uniform forecasts), with no discrimination.
        assert!((b(&chimp) - 1.0 / 3.0).abs() < 0.02, "{}", b(&chimp));
        assert!((chimp.auc.unwrap() - 0.5).abs() < 0.03);
        // The calibrated forecaster has the least miscalibration.
        let mcb = |s: &crate::score::Summary| s.corp.unwrap().miscalibration;
        for other in [&over, &under, &biased, &chimp] {
            assert!(mcb(&cal) < mcb(other), "{} vs {}", mcb(&cal), mcb(other));
        }
        assert!(mcb(&cal) < 0.005, "{}", mcb(&cal));
        // Biased up: says yes more often than it happens.
        let mean_p = |name: &str| {
            let i = set
                .forecasters
                .iter()
                .position(|f| f.ends_with(name))
                .unwrap();
            let r = set.groups[i].clone();
            set.p[r.clone()].iter().sum::<f64>() / r.len() as f64
        };
        assert!(mean_p("biased") > biased.base_rate.unwrap() + 0.05);
    }

    #[test]
    fn rounding_looks_human() {
        let c = cfg(5, 500, 20_000, 3);
        let dir = tempfile::tempdir().unwrap();
        let s = write_synthetic_ledger(dir.path(), &c).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FORECASTS_FILE)).unwrap();
        let (mut tenths, mut twentieths, mut hundredths) = (0usize, 0usize, 0usize);
        for line in text.lines().skip(1) {
            let p = line.rsplit(',').next().unwrap();
            let decimals = p.split('.').nth(1).map_or(0, str::len);
            match decimals {
                0 | 1 => tenths += 1,
                2 if p.ends_with('5') => twentieths += 1,
                _ => hundredths += 1,
            }
        }
        let n = c.forecasts as f64;
        assert!(tenths as f64 / n > 0.3, "{tenths}");
        assert!(twentieths as f64 / n > 0.15, "{twentieths}");
        assert!(
            (0.05..0.25).contains(&(hundredths as f64 / n)),
            "{hundredths}"
        );
        assert!(
            s.certain > 0 && (s.certain as f64) < 0.1 * n,
            "{}",
            s.certain
        );
    }

    #[test]
    fn refuses_a_folder_with_other_ledger_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("forecasts")).unwrap();
        std::fs::write(dir.path().join("forecasts/staff.csv"), "x\n").unwrap();
        let err = write_synthetic_ledger(dir.path(), &cfg(1, 1, 1, 1)).unwrap_err();
        assert!(err.to_string().contains("staff.csv"), "{err}");
        assert!(write_synthetic_ledger(dir.path(), &cfg(0, 1, 1, 1)).is_err());
    }

    #[test]
    fn dates_match_chrono() {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        // Every 997th day from 1000-01-01 to 9999-12-31 (four-digit years).
        for days in (-354_285..2_932_896)
            .step_by(997)
            .chain([0, START_DAY, 59, 60])
        {
            let mut buf = Vec::new();
            push_date(&mut buf, days);
            let want = epoch + chrono::Duration::days(days as i64);
            assert_eq!(String::from_utf8(buf).unwrap(), want.to_string(), "{days}");
        }
        assert_eq!(civil_from_days(START_DAY), (2010, 1, 1));
    }

    #[test]
    fn number_formats() {
        let show = |h| {
            let mut b = Vec::new();
            push_hundredths(&mut b, h);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(
            [0, 5, 30, 37, 99, 100].map(show),
            ["0", "0.05", "0.3", "0.37", "0.99", "1"]
        );
        let mut b = Vec::new();
        push_uint(&mut b, 42, 5);
        push_fixed4(&mut b, 0.12345);
        assert_eq!(b, b"000420.1235");
        assert_eq!(forecaster_name(0, 1000), "f0001 calibrated");
        assert_eq!(forecaster_name(10_004, 20_000), "f10005 chimp");
    }

    #[test]
    fn rng_is_xoshiro256starstar() {
        // First outputs for state [1, 2, 3, 4] (reference implementation).
        let mut r = Rng {
            s: [1, 2, 3, 4],
            spare: None,
        };
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, vec![11520, 0, 1509978240]);
        // SplitMix64 of 0 (reference value).
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        // Normal deviates have mean ~0 and variance ~1.
        let mut r = Rng::new(5);
        let xs: Vec<f64> = (0..100_000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
