//! PROTOTYPE for the loading-path proposal in bench/RESULTS.md: how fast and
//! how small `hindsight score` could be if the forecast batches were read into
//! compact columns instead of one heap-heavy `Forecast` per row.
//!
//! Not used by the CLI. It applies the same per-row checks as
//! `ledger::load_forecasts` for numeric probabilities (forecast_id present,
//! without white space, unique; question known; forecaster present; made_on a
//! strict ISO date; direction; option empty on binary questions; probability
//! a number in [0, 1]) and the same timing warnings and matching rule, but:
//!
//! * each file's header is resolved to column indices once (no per-field
//!   `HashMap<String, usize>` look-up), rows stream through one reused
//!   `ByteRecord`, and no `Table` of `Vec<String>` rows is built;
//! * question ids and forecaster names are interned to `u32` once, so timing
//!   checks and matching index arrays instead of hashing strings again;
//! * locations are (file index, line) pairs; forecast ids live in one
//!   buffer and duplicates are found by sorting (hash, row) pairs; question
//!   ids are looked up in a map whose keys sit in one contiguous buffer.
//!
//! It then builds the same `ScoredSet` and calls the real `score_set`, and
//! (with `--verify`) checks that the scores equal those of the current path.
//!
//! ```sh
//! cargo run --release --example compact_load -- LEDGER_DIR [--verify] [--json]
//! ```

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use hindsight::ledger::{self, FileKind};
use hindsight::matching::{ScoredSet, Status, Unscored};
use hindsight::model::{Direction, Kind, OutcomeValue, parse_probability};
use hindsight::score::score_set;

/// An FxHash-style multiply-rotate hash with a final mix: much cheaper than
/// SipHash for short keys. The ledger is the user's own data, so HashDoS resistance is
/// not needed here.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        // Without a final mix the low bits (hashbrown's bucket index) would
        // depend only on the first bytes of the key ("s0000001" -> 's').
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z ^ (z >> 33)
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// Strict `YYYY-MM-DD` without chrono's format parser (same rule as
/// `model::parse_iso_date`: the shape, then a real calendar date).
fn fast_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let mut v = [0u32; 8];
    for (k, &i) in [0, 1, 2, 3, 5, 6, 8, 9].iter().enumerate() {
        let c = b[i];
        if !c.is_ascii_digit() {
            return None;
        }
        v[k] = (c - b'0') as u32;
    }
    let y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    NaiveDate::from_ymd_opt(y as i32, v[4] * 10 + v[5], v[6] * 10 + v[7])
}

/// Forecasts in columns.
#[derive(Default)]
struct Forecasts {
    question: Vec<u32>,
    forecaster: Vec<u32>,
    made_on: Vec<NaiveDate>,
    p: Vec<f64>,
    /// (file index, line) of each row.
    at: Vec<(u16, u32)>,
}

fn col(headers: &csv::ByteRecord, name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
}

fn field(rec: &csv::ByteRecord, c: Option<usize>) -> &str {
    c.and_then(|i| rec.get(i))
        .and_then(|f| std::str::from_utf8(f).ok())
        .unwrap_or("")
        .trim()
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let root = args
        .next()
        .context("usage: compact_load LEDGER_DIR [--verify] [--json]")?;
    let flags: Vec<String> = args.collect();
    let verify = flags.iter().any(|a| a == "--verify");
    let json = flags.iter().any(|a| a == "--json");
    let root = Path::new(&root);
    let t0 = Instant::now();

    // Questions and outcomes are small: the existing loader is fine for them.
    let small: Vec<ledger::Source> = ledger::read_sources(root)?
        .into_iter()
        .filter(|s| s.kind != FileKind::Forecasts)
        .collect();
    let base = ledger::load(&small);
    if base.errors() > 0 {
        bail!("questions/outcomes have errors");
    }
    // Question ids copied into one contiguous buffer, so that the key
    // compares of the look-ups below touch a few MB instead of strings
    // scattered over the whole heap (at 10M forecasts that was a third of the
    // time: a cache and TLB miss per look-up).
    let qarena: String = base.questions.iter().map(|q| q.id.as_str()).collect();
    let mut qindex: FxMap<&str, u32> = FxMap::default();
    qindex.reserve(base.questions.len());
    let mut at = 0;
    for (i, q) in base.questions.iter().enumerate() {
        qindex.insert(&qarena[at..at + q.id.len()], i as u32);
        at += q.id.len();
    }
    // Per question: its outcome (date, value), looked up once.
    let mut outcome: Vec<Option<(NaiveDate, OutcomeValue)>> = vec![None; base.questions.len()];
    for o in &base.outcomes {
        outcome[qindex[o.question_id.as_str()] as usize] = Some((o.resolved_on, o.value));
    }

    let mut f = Forecasts::default();
    let mut names: Vec<String> = Vec::new();
    let mut name_id: FxMap<String, u32> = FxMap::default();
    // Forecast ids in one buffer (row i is id_arena[id_end[i-1]..id_end[i]]),
    // with (hash, row) pairs for the duplicate check: sorting the pairs once
    // replaces ten million random inserts into a hash map.
    let mut id_arena = String::new();
    let mut id_end: Vec<usize> = Vec::new();
    let mut id_hash: Vec<(u64, u32)> = Vec::new();
    let hasher = std::hash::BuildHasherDefault::<Fx>::default();
    let mut errors = 0usize;
    let batches: Vec<_> = ledger::discover(root)?
        .into_iter()
        .filter(|(k, _)| *k == FileKind::Forecasts)
        .collect();
    for (fi, (_, rel)) in batches.iter().enumerate() {
        let file = std::fs::File::open(root.join(rel))?;
        let len = file.metadata()?.len() as usize;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
        let mut rec = csv::ByteRecord::new();
        if !rdr.read_byte_record(&mut rec)? {
            continue;
        }
        let headers = rec.clone();
        let [c_id, c_q, c_who, c_made, c_p, c_dir, c_opt] = [
            "forecast_id",
            "question_id",
            "forecaster",
            "made_on",
            "probability",
            "direction",
            "option",
        ]
        .map(|n| col(&headers, n));
        // A rough row count from the file size pre-sizes the columns and map.
        let guess = len / 40;
        id_end.reserve(guess);
        id_hash.reserve(guess);
        id_arena.reserve(guess * 10);
        f.p.reserve(guess);
        let mut line = 1u32;
        while rdr.read_byte_record(&mut rec)? {
            line = rec.position().map_or(line + 1, |p| p.line() as u32);
            let id = field(&rec, c_id);
            let qid = field(&rec, c_q);
            let who = field(&rec, c_who);
            let made = fast_date(field(&rec, c_made)).ok_or(());
            let dir = Direction::parse(field(&rec, c_dir));
            let p = parse_probability(field(&rec, c_p));
            let q = qindex.get(qid).copied();
            let bad_opt = !field(&rec, c_opt).is_empty()
                && q.is_some_and(|q| base.questions[q as usize].kind == Kind::Binary);
            let (Ok(made), Ok(dir), Ok(p), Some(q)) = (made, dir, p, q) else {
                errors += 1;
                continue;
            };
            if id.is_empty() || id.bytes().any(|b| b.is_ascii_whitespace()) || who.is_empty() {
                errors += 1;
                continue;
            }
            if bad_opt {
                errors += 1;
                continue;
            }
            id_hash.push((hasher.hash_one(id), f.p.len() as u32));
            id_arena.push_str(id);
            id_end.push(id_arena.len());
            let w = match name_id.get(who) {
                Some(&w) => w,
                None => {
                    let w = names.len() as u32;
                    names.push(who.to_string());
                    name_id.insert(who.to_string(), w);
                    w
                }
            };
            f.question.push(q);
            f.forecaster.push(w);
            f.made_on.push(made);
            f.p.push(match dir {
                Direction::Yes => p.get(),
                Direction::No => p.complement().get(),
            });
            f.at.push((fi as u16, line));
        }
    }
    // Duplicate ids: equal hashes are adjacent after sorting; compare those.
    id_hash.sort_unstable();
    let id_of = |r: u32| {
        let r = r as usize;
        &id_arena[if r == 0 { 0 } else { id_end[r - 1] }..id_end[r]]
    };
    for run in id_hash.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        for (k, a) in run.iter().enumerate() {
            if run[..k].iter().any(|b| id_of(b.1) == id_of(a.1)) {
                errors += 1; // duplicate id (the later row)
            }
        }
    }
    drop(id_hash);
    if errors > 0 {
        bail!("{errors} bad forecast rows");
    }
    let t_load = t0.elapsed();

    // Timing warnings and matching by index.
    let t1 = Instant::now();
    let mut warnings = 0usize;
    let mut unscored = Unscored::default();
    let mut status = Vec::with_capacity(f.p.len());
    let mut count = vec![0usize; names.len()];
    for i in 0..f.p.len() {
        let q = f.question[i] as usize;
        let made = f.made_on[i];
        let st = if made > base.questions[q].closes_on {
            Status::MadeAfterClose
        } else {
            match outcome[q] {
                None => Status::Pending,
                Some((_, OutcomeValue::Void)) => Status::Void,
                Some((r, _)) if made >= r => Status::MadeAfterResolution,
                Some(_) => Status::Scored,
            }
        };
        match st {
            Status::MadeAfterClose | Status::MadeAfterResolution => warnings += 1,
            _ => {}
        }
        match st {
            Status::Pending => unscored.pending += 1,
            Status::Void => unscored.void += 1,
            Status::MadeAfterClose => unscored.made_after_close += 1,
            Status::MadeAfterResolution => unscored.made_after_resolution += 1,
            _ => count[f.forecaster[i] as usize] += 1,
        }
        status.push(Some(st));
    }
    // Counting sort by forecaster name order.
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    order.sort_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
    let mut start = vec![0usize; names.len()];
    let mut set = ScoredSet {
        status,
        unscored,
        ..ScoredSet::default()
    };
    let mut at = 0;
    for &w in &order {
        start[w as usize] = at;
        set.forecasters.push(names[w as usize].clone());
        set.groups.push(at..at + count[w as usize]);
        at += count[w as usize];
    }
    set.p = vec![0.0; at];
    set.y = vec![false; at];
    set.question = vec![0; at];
    set.forecast = vec![0; at];
    for i in 0..f.p.len() {
        if set.status[i] != Some(Status::Scored) {
            continue;
        }
        let w = f.forecaster[i] as usize;
        let k = start[w];
        start[w] += 1;
        let q = f.question[i];
        set.p[k] = f.p[i];
        set.y[k] = outcome[q as usize].unwrap().1 == OutcomeValue::Yes;
        set.question[k] = q;
        set.forecast[k] = i as u32;
    }
    let t_match = t1.elapsed();
    let t2 = Instant::now();
    let params = base.settings.params();
    let scores = score_set(&set, params, base.settings.min_n);
    let t_score = t2.elapsed();
    if json {
        // The contract's JSON on stdout (as `hindsight score --format json`),
        // timings on stderr.
        let mut out = std::io::stdout().lock();
        hindsight::render::json::write_scores(
            &mut out,
            &scores,
            &base.settings,
            None,
            &set.unscored,
            "builtin",
            None,
        )?;
    }
    eprintln!(
        "forecasts {} scored {} forecasters {} warnings {}",
        f.p.len(),
        set.len(),
        set.forecasters.len(),
        warnings
    );
    for (name, d) in [
        ("load + check (compact)", t_load),
        ("timing checks + match", t_match),
        ("score_set", t_score),
    ] {
        eprintln!("{name:30} {:9.3} s", d.as_secs_f64());
    }
    let _ = (&f.at, id_of(0));
    if verify {
        let full = ledger::open(root)?;
        let set0 = hindsight::matching::match_forecasts(&full, &Default::default());
        let scores0 = score_set(&set0, params, full.settings.min_n);
        if scores0 != scores || set0.unscored != set.unscored || set0.forecast != set.forecast {
            bail!("compact path disagrees with ledger::open + match_forecasts");
        }
        eprintln!("verify: identical ScoredSet rows and scores to the current path");
    }
    Ok(())
}
