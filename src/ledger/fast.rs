//! The fast path for scoring: the ledger streamed into compact columns.
//!
//! [`scan`] reads the ledger the way `hindsight score` needs it and nothing
//! more. Questions and outcomes are read into columns (id, kind, deadline;
//! outcome date and value). A large file is cut at line ends into one part
//! per thread, and each part is read in 1 MB chunks by a line reader
//! ([`read_lines`]: fields cut at commas found with one SIMD pass a chunk);
//! a part holding a quote character or a lone carriage return is read again,
//! whole, by the csv crate's reader ([`read_records`]), which handles every
//! CSV form. Each row is checked by the same rules as [`super::load`] (one
//! [`Rows`] implementation per file kind, shared by both readers), and only
//! the question index, the interned forecaster, the date and P(yes) are
//! kept: 20 bytes a forecast while reading, plus 8 for the duplicate-id
//! check. Question ids are looked up 64 rows at a time in an
//! open-addressing table of packed ids, so that the cache misses of a batch
//! overlap. No `Forecast` structs, no per-row `String`s, no file held in
//! memory.
//!
//! The fast path never reports problems itself. When anything is not plainly
//! valid (a bad row, a header it does not handle, a duplicate forecast id or
//! even two ids with the same 64-bit hash) it answers `None`, and the caller
//! falls back to [`super::open`], which finds and explains every problem. So
//! on a ledger with errors the output is exactly the full loader's, and on a
//! clean ledger [`match_scan`] gives exactly the `ScoredSet` of
//! [`crate::matching::match_forecasts`] (tested in `tests/fast_path.rs`).
//! [`match_scan_columns`], what `hindsight score` uses, gives the same set
//! without the per-forecast status and row, and frees the scan's columns as
//! it goes, so that they and the scored set are not all held at once.

use std::fs::File;
use std::hash::BuildHasher;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::{FileKind, Ledger, Source, discover, table, with_snapshot};
use crate::matching::{MatchConfig, ScoredSet, Status, status_of};
use crate::model::{Direction, Kind, OutcomeValue, parse_iso_date, parse_probability};

/// Set this environment variable to any value to skip the fast path (for
/// comparisons and debugging): every command then uses the full loader.
pub const FULL_LOAD_ENV: &str = "HINDSIGHT_FULL_LOAD";

/// Forecast rows in columns, in ledger order (batch files by name, rows in
/// file order), a part per parallel read.
#[derive(Debug, Default)]
pub struct Part {
    pub question: Vec<u32>,
    /// Index into [`Scan::forecasters`].
    pub forecaster: Vec<u32>,
    pub made_on: Vec<NaiveDate>,
    /// P(yes), after the lexicon and `direction`.
    pub p: Vec<f64>,
}

/// A question's outcome (date and value), if any.
pub type Outcome = Option<(NaiveDate, OutcomeValue)>;

/// A clean ledger read for scoring.
#[derive(Debug)]
pub struct Scan {
    /// Settings and lexicon; `questions`, `outcomes` and `forecasts` are
    /// empty (see the fields below) and `files` lists the settings file only.
    pub ledger: Ledger,
    pub questions: Questions,
    /// Each question's outcome (date and value), if any.
    pub outcome: Vec<Outcome>,
    /// Forecaster names in byte order.
    pub forecasters: Vec<String>,
    pub parts: Vec<Part>,
    /// Warnings the full loader would report (settings, and forecasts made
    /// after their question closed or resolved).
    pub warnings: usize,
    /// Time from the start of the scan to the end of each phase.
    pub phases: Vec<(&'static str, std::time::Duration)>,
    /// Ledger files read (settings, questions, outcomes and batches).
    pub files: usize,
}

impl Scan {
    /// Number of forecasts in the ledger.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.p.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The counts the full loader gives the same (clean) ledger.
    pub fn counts(&self) -> super::Counts {
        super::Counts {
            questions: self.questions.len(),
            forecasts: self.len(),
            // A clean scan has at most one outcome row per question.
            outcomes: self.outcome.iter().filter(|o| o.is_some()).count(),
            files: self.files,
        }
    }
}

/// Read the ledger under `root` for scoring, or `None` when the full loader
/// must be used (the ledger has a problem, or something the fast path does
/// not handle, or a file could not be read; see the module documentation).
pub fn scan(root: &Path) -> Result<Option<Scan>> {
    if std::env::var_os(FULL_LOAD_ENV).is_some() {
        return Ok(None);
    }
    // An I/O error here is left to the full loader too, which reports it
    // with the file's name.
    with_snapshot(root, |root| Ok(scan_unlocked(root).unwrap_or(None)))
}

/// The columns of a forecast batch, resolved once from its header.
#[derive(Clone, Copy)]
struct Cols {
    width: usize,
    id: usize,
    question: usize,
    forecaster: usize,
    made_on: usize,
    probability: Option<usize>,
    verbal: Option<usize>,
    direction: Option<usize>,
    option: Option<usize>,
}

/// What every part's reader shares.
struct Ctx<'a> {
    ledger: &'a Ledger,
    qindex: QuestionIndex<'a>,
    binary: Vec<bool>,
}

/// Question id to index. Ids of up to 15 bytes (most) are packed with their
/// length into a 16-byte key and kept, with their index, in the slots of an
/// open-addressing table (linear probing, at most two thirds full): a
/// look-up is one probe of one slot, with no string to follow. Longer ids
/// are keyed by slices of the one buffer that holds all ids.
///
/// With hundreds of thousands of questions the table is larger than the
/// caches and a look-up waits for memory; [`QuestionIndex::get_many`] reads
/// the first slot of a whole batch of keys in one tight loop, so that the
/// processor waits for many of them at once.
struct QuestionIndex<'a> {
    slots: Vec<Slot>,
    long: FxHashMap<&'a str, u32>,
}

/// A packed id and its question index + 1 (0: an empty slot).
#[derive(Clone, Copy, Default, PartialEq)]
struct Slot {
    key: [u8; 16],
    index: u32,
}

impl<'a> QuestionIndex<'a> {
    /// `None` when two questions have one id (the full loader reports it).
    ///
    /// Built in parallel: the table is cut into one run of slots per
    /// thread, and each thread inserts the keys whose probe starts in its
    /// run; a key whose probe would leave the run is inserted afterwards,
    /// with the long ids. (Linear probing finds every key whatever the
    /// order of insertion.)
    fn new(questions: &'a Questions) -> Option<QuestionIndex<'a>> {
        let n = questions.len();
        let size = (n + n / 2).max(8);
        let mut slots = vec![Slot::default(); size];
        let runs = rayon::current_num_threads().clamp(1, size);
        let mut pieces = Vec::with_capacity(runs);
        let mut rest: &mut [Slot] = &mut slots;
        for r in 0..runs {
            let (lo, hi) = (size * r / runs, size * (r + 1) / runs);
            let (piece, tail) = rest.split_at_mut(hi - lo);
            pieces.push((lo, piece));
            rest = tail;
        }
        let overflow: Vec<Option<Vec<u32>>> = pieces
            .into_par_iter()
            .map(|(lo, piece)| {
                let mut overflow = Vec::new();
                for i in 0..n {
                    let Some(key) = pack(questions.id(i)) else {
                        continue;
                    };
                    let home = home_in(&key, size);
                    if home < lo || home >= lo + piece.len() {
                        continue;
                    }
                    let mut s = home - lo;
                    loop {
                        let Some(slot) = piece.get_mut(s) else {
                            overflow.push(i as u32);
                            break;
                        };
                        if slot.index == 0 {
                            *slot = Slot {
                                key,
                                index: i as u32 + 1,
                            };
                            break;
                        }
                        if slot.key == key {
                            return None;
                        }
                        s += 1;
                    }
                }
                Some(overflow)
            })
            .collect();
        let mut index = QuestionIndex {
            slots,
            long: FxHashMap::default(),
        };
        for list in overflow {
            for i in list? {
                let key = pack(questions.id(i as usize))?;
                let mut s = index.home(&key);
                loop {
                    let slot = &mut index.slots[s];
                    if slot.index == 0 {
                        *slot = Slot { key, index: i + 1 };
                        break;
                    }
                    if slot.key == key {
                        return None;
                    }
                    s = index.next(s);
                }
            }
        }
        for i in 0..n {
            let id = questions.id(i);
            if pack(id).is_none() && index.long.insert(id, i as u32).is_some() {
                return None;
            }
        }
        Some(index)
    }

    fn home(&self, key: &[u8; 16]) -> usize {
        home_in(key, self.slots.len())
    }

    fn next(&self, s: usize) -> usize {
        if s + 1 == self.slots.len() { 0 } else { s + 1 }
    }

    /// Probe from slot `s` (whose content is `first`) for `key`.
    fn probe(&self, key: &[u8; 16], mut s: usize, mut slot: Slot) -> Option<u32> {
        loop {
            if slot.index == 0 {
                return None;
            }
            if slot.key == *key {
                return Some(slot.index - 1);
            }
            s = self.next(s);
            slot = self.slots[s];
        }
    }

    fn get(&self, id: &str) -> Option<u32> {
        match pack(id) {
            Some(key) => {
                let s = self.home(&key);
                self.probe(&key, s, self.slots[s])
            }
            None => self.long.get(id).copied(),
        }
    }

    /// Look up packed keys (at most [`LOOKUP_BATCH`]) into `out`; `false`
    /// when one is not a question.
    fn get_many(&self, keys: &[[u8; 16]], out: &mut [u32]) -> bool {
        let mut home = [0usize; LOOKUP_BATCH];
        let mut first = [Slot::default(); LOOKUP_BATCH];
        // Independent loads, one per key: their cache misses overlap.
        for ((key, h), f) in keys.iter().zip(&mut home).zip(&mut first) {
            *h = self.home(key);
            *f = self.slots[*h];
        }
        for (((key, &h), &f), o) in keys.iter().zip(&home).zip(&first).zip(out) {
            match self.probe(key, h, f) {
                Some(q) => *o = q,
                None => return false,
            }
        }
        true
    }
}

/// The slot of a table of `size` where a key's probe starts: a
/// multiplicative hash of both halves, mapped onto the table by its high
/// bits.
fn home_in(key: &[u8; 16], size: usize) -> usize {
    let k = u128::from_le_bytes(*key);
    let (lo, hi) = (k as u64, (k >> 64) as u64);
    let h = (lo.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ hi).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    ((h as u128 * size as u128) >> 64) as usize
}

/// Keys looked up together by [`QuestionIndex::get_many`].
const LOOKUP_BATCH: usize = 64;

/// Up to 15 bytes and the length in 16 bytes (one-to-one on such strings).
fn pack(id: &str) -> Option<[u8; 16]> {
    let b = id.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut key = [0u8; 16];
    key[..b.len()].copy_from_slice(b);
    key[15] = b.len() as u8;
    Some(key)
}

/// A part as read, with its own forecaster numbering and forecast-id hashes.
#[derive(Default)]
struct RawPart {
    part: Part,
    names: Vec<String>,
    hashes: Vec<u64>,
}

fn scan_unlocked(root: &Path) -> Result<Option<Scan>> {
    let t0 = std::time::Instant::now();
    let mut phases = Vec::new();
    let (mut settings, mut questions_file, mut outcome_files, mut batches) =
        (Vec::new(), None, Vec::new(), Vec::new());
    let found = discover(root)?;
    let files = found.len();
    for (kind, rel) in found {
        match kind {
            FileKind::Settings => settings.push(Source {
                kind,
                bytes: std::fs::read(root.join(&rel))?,
                path: rel,
            }),
            FileKind::Questions => questions_file = Some(rel),
            FileKind::Outcomes => outcome_files.push(rel),
            FileKind::Forecasts => batches.push(rel),
        }
    }
    // Settings and lexicon through the full loader (one small file).
    let ledger = super::load(&settings);
    if ledger.errors() > 0 {
        return Ok(None);
    }
    let mut warnings = ledger.diagnostics.len();
    let Some(questions_file) = questions_file.filter(|q| root.join(q).is_file()) else {
        return Ok(None);
    };
    let Some(questions) = read_questions(&root.join(&questions_file), &questions_file)? else {
        return Ok(None);
    };
    phases.push(("questions", t0.elapsed()));
    let Some(qindex) = QuestionIndex::new(&questions) else {
        return Ok(None);
    };
    phases.push(("question index", t0.elapsed()));
    let ctx = Ctx {
        ledger: &ledger,
        qindex,
        binary: questions.kind.iter().map(|&k| k == Kind::Binary).collect(),
    };
    // Outcomes are not needed to read forecasts: both side by side.
    let (outcome, raw) = rayon::join(
        || -> Result<Option<Vec<Outcome>>> {
            let mut outcome = vec![None; questions.len()];
            for rel in &outcome_files {
                let abs = root.join(rel);
                if read_outcomes(&abs, rel, &questions, &ctx.qindex, &mut outcome)?.is_none() {
                    return Ok(None);
                }
            }
            Ok(Some(outcome))
        },
        || -> Result<Option<Vec<RawPart>>> {
            let mut raw: Vec<RawPart> = Vec::new();
            for rel in &batches {
                match read_batch(&root.join(rel), rel, &ctx)? {
                    Some(parts) => raw.extend(parts),
                    None => return Ok(None),
                }
            }
            Ok(Some(raw))
        },
    );
    let (Some(outcome), Some(mut raw)) = (outcome?, raw?) else {
        return Ok(None);
    };
    phases.push(("outcomes and forecast batches", t0.elapsed()));
    // Forecast ids must be unique. Two ids with one hash (a duplicate, or a
    // one-in-10^12 collision) send the ledger to the full loader, which
    // compares the ids themselves.
    let lists: Vec<Vec<u64>> = raw
        .iter_mut()
        .map(|r| std::mem::take(&mut r.hashes))
        .collect();
    if any_equal(lists) {
        return Ok(None);
    }
    phases.push(("duplicate-id check", t0.elapsed()));
    // Forecasters numbered in name order across all parts.
    let mut forecasters: Vec<String> = raw.iter().flat_map(|r| r.names.iter().cloned()).collect();
    forecasters.sort_unstable();
    forecasters.dedup();
    // Each part renumbered and its timing warnings counted (the full
    // loader's, whatever the as-of date), the parts side by side.
    let (parts, counts): (Vec<Part>, Vec<usize>) = raw
        .into_par_iter()
        .map(|r| {
            let map: Vec<u32> = r
                .names
                .iter()
                .map(|n| forecasters.binary_search(n).unwrap_or(0) as u32)
                .collect();
            let mut part = r.part;
            for w in &mut part.forecaster {
                *w = map[*w as usize];
            }
            let mut warnings = 0;
            for (&q, &made) in part.question.iter().zip(&part.made_on) {
                let q = q as usize;
                if made > questions.closes_on[q] {
                    warnings += 1;
                } else if let Some((resolved_on, value)) = outcome[q]
                    && value != OutcomeValue::Void
                    && made >= resolved_on
                {
                    warnings += 1;
                }
            }
            (part, warnings)
        })
        .unzip();
    drop(ctx);
    warnings += counts.iter().sum::<usize>();
    Ok(Some(Scan {
        ledger,
        questions,
        outcome,
        forecasters,
        parts,
        warnings,
        phases,
        files,
    }))
}

/// Whether two of the values are equal. The values (uniform hashes) of each
/// list are grouped in place by their top byte, and each of the 256 buckets
/// (that group's slice of every list) is checked with a table of its own,
/// small enough for a core's cache; buckets are checked in parallel.
fn any_equal(lists: Vec<Vec<u64>>) -> bool {
    // Short lists (a ledger of many small batch files) are pooled into one,
    // so that the 256 slices kept per list stay few; long ones are not
    // copied.
    const SHORT: usize = 1 << 16;
    let (mut lists, short): (Vec<Vec<u64>>, Vec<Vec<u64>>) =
        lists.into_iter().partition(|l| l.len() >= SHORT);
    if !short.is_empty() {
        lists.push(short.concat());
    }
    // Each list is put in bucket order in place (no copy), side by side.
    let starts: Vec<[usize; 257]> = lists.par_iter_mut().map(|l| by_top_byte(l)).collect();
    let buckets: Vec<Vec<&[u64]>> = (0..256)
        .map(|b| {
            lists
                .iter()
                .zip(&starts)
                .map(|(l, s)| &l[s[b]..s[b + 1]])
                .collect()
        })
        .collect();
    buckets.into_par_iter().any(|slices| {
        let bucket = slices.iter().flat_map(|s| s.iter()).copied();
        let len: usize = slices.iter().map(|s| s.len()).sum();
        // Open addressing at most half full, keyed by the next bits; a
        // stored value is never 0 here (0 marks an empty slot; a 0 hash is
        // compared on its own).
        let size = (2 * len).next_power_of_two().max(16);
        let mut table = vec![0u64; size];
        let shift = 64 - size.trailing_zeros();
        let mut zero = false;
        for h in bucket {
            if h == 0 {
                if zero {
                    return true;
                }
                zero = true;
                continue;
            }
            let mut s = ((h << 8) >> shift) as usize;
            loop {
                match table[s] {
                    0 => {
                        table[s] = h;
                        break;
                    }
                    v if v == h => return true,
                    _ => s = (s + 1) & (size - 1),
                }
            }
        }
        false
    })
}

/// Reorder `v` in place so that values are grouped by their top byte, in
/// increasing order (one pass of an in-place radix sort: each value is
/// swapped straight into its group); returns where each group starts, and
/// the length last.
fn by_top_byte(v: &mut [u64]) -> [usize; 257] {
    let mut start = [0usize; 257];
    for &h in v.iter() {
        start[(h >> 56) as usize + 1] += 1;
    }
    for b in 0..256 {
        start[b + 1] += start[b];
    }
    let mut next = start;
    for b in 0..256 {
        while next[b] < start[b + 1] {
            let t = (v[next[b]] >> 56) as usize;
            if t == b {
                next[b] += 1;
            } else {
                v.swap(next[b], next[t]);
                next[t] += 1;
            }
        }
    }
    start
}

/// Batches below this size are read by one thread.
const SPLIT_BYTES: u64 = 4 << 20;

/// Read one forecast batch into parts, or `None` for the full loader.
/// A file's header, read by the full loader's own table reader so that every
/// header rule is the same, and the offset of its first data row; `None`
/// when the full loader should read the file (a header it reports on, or one
/// this reader does not handle: quoted, or no line end).
fn read_header(
    file: &mut File,
    rel: &Path,
    spec: table::Spec,
) -> Result<Option<(table::Table, u64)>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let newline = loop {
        let k = file.read(&mut buf)?;
        if k == 0 {
            break None;
        }
        let seen = head.len();
        head.extend_from_slice(&buf[..k]);
        if let Some(i) = memchr::memchr(b'\n', &head[seen..]) {
            break Some(seen + i);
        }
        if head.len() > 1 << 20 {
            return Ok(None);
        }
    };
    let Some(newline) = newline else {
        return Ok(None);
    };
    head.truncate(newline + 1);
    let line = table::strip_bom(&head);
    // One record: no quotes, and no carriage return but the one of a final
    // "\r\n" (a file with lone-\r line ends would hold rows here).
    let content = line.strip_suffix(b"\r\n").unwrap_or(line);
    if line.trim_ascii().is_empty() || line.contains(&b'"') || content.contains(&b'\r') {
        return Ok(None);
    }
    match table::read(rel, line, Some(spec), &[]) {
        (Some(t), diags) if diags.is_empty() && t.rows.is_empty() => {
            Ok(Some((t, newline as u64 + 1)))
        }
        _ => Ok(None),
    }
}

/// Whether the file holds a UTF-8 byte order mark at offset `at`.
fn bom_at(file: &mut File, at: u64) -> Result<bool> {
    file.seek(SeekFrom::Start(at))?;
    let mut three = [0u8; 3];
    let mut got = 0;
    while got < 3 {
        match file.read(&mut three[got..])? {
            0 => break,
            k => got += k,
        }
    }
    Ok(got == 3 && three == *b"\xEF\xBB\xBF")
}

/// Whether a record is one the full loader reads as a row of `width` fields
/// of UTF-8 (`Some(false)`: a blank row it skips; `None`: a problem).
fn plain_row(rec: &csv::ByteRecord, width: usize) -> Option<bool> {
    if rec
        .iter()
        .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
    {
        return Some(false);
    }
    // Trailing empty cells beyond the header are harmless.
    if rec.len() < width
        || rec
            .iter()
            .skip(width)
            .any(|f| !f.iter().all(|b| b.is_ascii_whitespace()))
    {
        return None;
    }
    // Every cell must be UTF-8, used or not.
    if !rec.as_slice().is_ascii() && rec.iter().any(|f| std::str::from_utf8(f).is_err()) {
        return None;
    }
    Some(true)
}

/// Read the next row the full loader would read (blank rows skipped):
/// `Some(true)` a row, `Some(false)` the end, `None` a problem.
fn next_row<R: Read>(
    rdr: &mut csv::Reader<R>,
    rec: &mut csv::ByteRecord,
    width: usize,
) -> Option<bool> {
    loop {
        match rdr.read_byte_record(rec) {
            Ok(true) => {}
            Ok(false) => return Some(false),
            Err(_) => return None,
        }
        match plain_row(rec, width)? {
            true => return Some(true),
            false => continue,
        }
    }
}

/// Questions in columns: what matching needs.
#[derive(Debug, Default)]
pub struct Questions {
    /// The ids one after another (`ends[i]` is where id i ends).
    ids: String,
    ends: Vec<usize>,
    pub kind: Vec<Kind>,
    pub closes_on: Vec<NaiveDate>,
}

impl Questions {
    pub fn len(&self) -> usize {
        self.kind.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kind.is_empty()
    }

    /// Add the questions of `other` after these.
    fn append(&mut self, other: Questions) {
        let at = self.ids.len();
        self.ids.push_str(&other.ids);
        self.ends.extend(other.ends.iter().map(|e| e + at));
        self.kind.extend(other.kind);
        self.closes_on.extend(other.closes_on);
    }

    pub fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.ids[start..self.ends[i]]
    }
}

/// Read the questions file by the full loader's rules, or `None`.
fn read_questions(abs: &Path, rel: &Path) -> Result<Option<Questions>> {
    let mut file = File::open(abs)?;
    let len = file.metadata()?.len();
    let Some((t, body)) = read_header(&mut file, rel, table::QUESTIONS)? else {
        return Ok(None);
    };
    let col = |n: &str| t.col(n);
    let cols = QuestionCols {
        id: col("question_id"),
        title: col("title"),
        kind: col("kind"),
        closes_on: col("closes_on"),
        opens_on: col("opens_on"),
        options: col("options"),
    };
    let width = t.headers.len();
    let Some(parts) = read_in_parts(abs, &mut file, body, len, width, |_, _| {
        QuestionRows::new(cols)
    })?
    else {
        return Ok(None);
    };
    let mut out = Questions::default();
    for part in parts {
        out.append(part);
    }
    Ok(Some(out))
}

/// The columns of the questions file that scoring reads or checks.
#[derive(Clone, Copy)]
struct QuestionCols {
    id: Option<usize>,
    title: Option<usize>,
    kind: Option<usize>,
    closes_on: Option<usize>,
    opens_on: Option<usize>,
    options: Option<usize>,
}

/// Checks question rows by the full loader's rules and keeps id, kind and
/// deadline.
struct QuestionRows {
    cols: QuestionCols,
    out: Questions,
}

impl QuestionRows {
    fn new(cols: QuestionCols) -> QuestionRows {
        QuestionRows {
            cols,
            out: Questions::default(),
        }
    }
}

impl Rows for QuestionRows {
    type Out = Questions;

    fn row<'r>(&mut self, cell: impl Fn(Option<usize>) -> Option<&'r str>) -> Option<()> {
        let c = self.cols;
        let id = cell(c.id)?;
        crate::model::check_question_id(id).ok()?;
        if cell(c.title)?.is_empty() {
            return None;
        }
        let kind = Kind::parse(cell(c.kind)?).ok()?;
        let closes_on = parse_iso_date(cell(c.closes_on)?).ok()?;
        let opens = cell(c.opens_on)?;
        if !opens.is_empty() && parse_iso_date(opens).ok()? > closes_on {
            return None;
        }
        let options = cell(c.options)?
            .split('|')
            .filter(|o| !o.trim().is_empty())
            .count();
        if matches!(kind, Kind::Categorical | Kind::Ordinal) && options < 2 {
            return None;
        }
        let q = &mut self.out;
        q.ids.push_str(id);
        q.ends.push(q.ids.len());
        q.kind.push(kind);
        q.closes_on.push(closes_on);
        Some(())
    }

    fn finish(self) -> Option<Questions> {
        Some(self.out)
    }
}

/// Read an outcomes file by the full loader's rules into `outcome` (by
/// question), or `None` (also for a second record of a question: the full
/// loader decides between repeats and conflicts).
fn read_outcomes(
    abs: &Path,
    rel: &Path,
    questions: &Questions,
    index: &QuestionIndex,
    outcome: &mut [Outcome],
) -> Result<Option<()>> {
    let mut file = File::open(abs)?;
    let len = file.metadata()?.len();
    let Some((t, body)) = read_header(&mut file, rel, table::OUTCOMES)? else {
        return Ok(None);
    };
    let cols = (t.col("question_id"), t.col("resolved_on"), t.col("outcome"));
    let width = t.headers.len();
    let rows = |_, _| OutcomeRows {
        cols,
        questions,
        index,
        out: Vec::new(),
    };
    let Some(parts) = read_in_parts(abs, &mut file, body, len, width, rows)? else {
        return Ok(None);
    };
    for (qi, date, value) in parts.into_iter().flatten() {
        match &mut outcome[qi as usize] {
            slot @ None => *slot = Some((date, value)),
            Some(_) => return Ok(None),
        }
    }
    Ok(Some(()))
}

/// Checks outcome rows by the full loader's rules and keeps each one's
/// question, date and value.
struct OutcomeRows<'a> {
    /// question_id, resolved_on and outcome.
    cols: (Option<usize>, Option<usize>, Option<usize>),
    questions: &'a Questions,
    index: &'a QuestionIndex<'a>,
    out: Vec<(u32, NaiveDate, OutcomeValue)>,
}

impl Rows for OutcomeRows<'_> {
    type Out = Vec<(u32, NaiveDate, OutcomeValue)>;

    fn row<'r>(&mut self, cell: impl Fn(Option<usize>) -> Option<&'r str>) -> Option<()> {
        let (c_q, c_date, c_value) = self.cols;
        let qi = self.index.get(cell(c_q)?)?;
        let date = parse_iso_date(cell(c_date)?).ok()?;
        let raw = cell(c_value)?;
        if raw.is_empty() || self.questions.kind[qi as usize] != Kind::Binary {
            return None;
        }
        self.out.push((qi, date, OutcomeValue::parse(raw).ok()?));
        Some(())
    }

    fn finish(self) -> Option<Self::Out> {
        Some(self.out)
    }
}

fn read_batch(abs: &Path, rel: &Path, ctx: &Ctx) -> Result<Option<Vec<RawPart>>> {
    let mut file = File::open(abs)?;
    let len = file.metadata()?.len();
    let Some((t, body)) = read_header(&mut file, rel, table::FORECASTS)? else {
        return Ok(None);
    };
    if t.col("probability").is_none() && t.col("verbal").is_none() {
        return Ok(None);
    }
    let req = |n: &str| t.col(n).unwrap_or(usize::MAX);
    let cols = Cols {
        width: t.headers.len(),
        id: req("forecast_id"),
        question: req("question_id"),
        forecaster: req("forecaster"),
        made_on: req("made_on"),
        probability: t.col("probability"),
        verbal: t.col("verbal"),
        direction: t.col("direction"),
        option: t.col("option"),
    };
    read_in_parts(abs, &mut file, body, len, cols.width, |from, to| {
        RowReader::new(cols, ctx, (to - from) as usize)
    })
}

/// Read the rows of bytes `body..len` of a file (the part after its
/// header) in parts, or `None` for the full loader. A large file is split at
/// line ends, one part per thread, and each part is read line by line
/// ([`read_lines`]); if a part holds a quote character (a line end could
/// then be inside a field) or a lone carriage return, the file is read
/// again with the csv crate's reader ([`read_records`]), in the same parts
/// only if it has no quote character at all. `rows(from, to)` makes the
/// row reader of a part.
fn read_in_parts<R: Rows>(
    abs: &Path,
    file: &mut File,
    body: u64,
    len: u64,
    width: usize,
    rows: impl Fn(u64, u64) -> R + Sync,
) -> Result<Option<Vec<R::Out>>>
where
    R::Out: Send,
{
    let threads = rayon::current_num_threads().max(1) as u64;
    let split = threads > 1 && len - body > SPLIT_BYTES;
    let ranges = match split {
        true => line_ranges(file, body, len, threads)?,
        false => vec![(body, len)],
    };
    let lines: Vec<Result<Option<Lines<R::Out>>>> = ranges
        .par_iter()
        .map(|&(from, to)| {
            let Some(reader) = part_reader(abs, from, to)? else {
                return Ok(None);
            };
            read_lines(reader, width, rows(from, to)).map(Some)
        })
        .collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut csv = false;
    for l in lines {
        match l? {
            Some(Lines::Read(part)) => out.push(part),
            Some(Lines::Csv) => csv = true,
            Some(Lines::Invalid) | None => {}
        }
    }
    if !csv {
        return Ok((out.len() == ranges.len()).then_some(out));
    }
    let ranges = match split && !has_quote(abs, body, len)? {
        true => ranges,
        false => vec![(body, len)],
    };
    let parts: Vec<Result<Option<R::Out>>> = ranges
        .par_iter()
        .map(|&(from, to)| {
            let Some(reader) = part_reader(abs, from, to)? else {
                return Ok(None);
            };
            let reader = BufReader::with_capacity(1 << 20, reader);
            Ok(read_records(reader, width, rows(from, to)))
        })
        .collect();
    parts.into_iter().collect::<Result<Option<Vec<_>>>>()
}

/// `body..len` cut into `parts` ranges at line ends.
fn line_ranges(file: &mut File, body: u64, len: u64, parts: u64) -> Result<Vec<(u64, u64)>> {
    let mut cuts = vec![body];
    for k in 1..parts {
        let at = body + (len - body) * k / parts;
        let cut = next_line_start(file, at, len)?;
        if cut > *cuts.last().unwrap_or(&body) && cut < len {
            cuts.push(cut);
        }
    }
    cuts.push(len);
    Ok(cuts.windows(2).map(|w| (w[0], w[1])).collect())
}

/// A reader of bytes `from..to` of the file, or `None` when they start
/// with a byte order mark (a reader starting there would drop it, while the
/// full loader keeps it as field content).
fn part_reader(abs: &Path, from: u64, to: u64) -> Result<Option<impl Read + use<>>> {
    let mut f = File::open(abs)?;
    if bom_at(&mut f, from)? {
        return Ok(None);
    }
    f.seek(SeekFrom::Start(from))?;
    Ok(Some(f.take(to - from)))
}

/// Whether the bytes `from..to` of the file hold a quote character.
fn has_quote(abs: &Path, from: u64, to: u64) -> Result<bool> {
    let threads = rayon::current_num_threads().max(1) as u64;
    let step = (to - from).div_ceil(threads);
    let found: Vec<Result<bool>> = (0..threads)
        .into_par_iter()
        .map(|k| {
            let (a, b) = (from + k * step, (from + (k + 1) * step).min(to));
            if a >= b {
                return Ok(false);
            }
            let mut f = File::open(abs)?;
            f.seek(SeekFrom::Start(a))?;
            let mut f = f.take(b - a);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let k = f.read(&mut buf)?;
                if k == 0 {
                    return Ok(false);
                }
                if memchr::memchr(b'"', &buf[..k]).is_some() {
                    return Ok(true);
                }
            }
        })
        .collect();
    for f in found {
        if f? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The offset just after the first `\n` at or after `at` (or `len`).
fn next_line_start(file: &mut File, at: u64, len: u64) -> Result<u64> {
    file.seek(SeekFrom::Start(at))?;
    let mut buf = [0u8; 8192];
    let mut pos = at;
    while pos < len {
        let k = file.read(&mut buf)?;
        if k == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..k]) {
            return Ok(pos + i as u64 + 1);
        }
        pos += k as u64;
    }
    Ok(len)
}

/// A field as the full loader sees it: UTF-8, trimmed ("" when absent).
fn cell(rec: &csv::ByteRecord, col: Option<usize>) -> Option<&str> {
    match col.and_then(|c| rec.get(c)) {
        Some(f) => std::str::from_utf8(f).ok().map(str::trim),
        None => Some(""),
    }
}

/// Checks rows one at a time and keeps what scoring needs.
trait Rows {
    type Out;
    /// Check one row and keep it; `cell` gives a column's trimmed text
    /// ("" for a column the row lacks; `None` if not UTF-8). `None` when the
    /// row is not plainly valid.
    fn row<'r>(&mut self, cell: impl Fn(Option<usize>) -> Option<&'r str>) -> Option<()>;
    /// What was read, or `None` when it is not plainly valid after all.
    fn finish(self) -> Option<Self::Out>;
}

/// Read every row with the csv crate's reader; `None` as soon as one is not
/// plainly valid.
fn read_records<R: Rows>(reader: impl Read, width: usize, mut rows: R) -> Option<R::Out> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    while next_row(&mut rdr, &mut rec, width)? {
        rows.row(|c| cell(&rec, c))?;
    }
    rows.finish()
}

/// What [`read_lines`] made of a part.
enum Lines<T> {
    Read(T),
    /// A row that is not plainly valid: the ledger is for the full loader.
    Invalid,
    /// A quote character or a carriage return other than in a `\r\n` line
    /// end: for the csv crate's reader.
    Csv,
}

/// Bytes read at a time by [`read_lines`].
const LINES_CHUNK: usize = 1 << 20;

/// Read rows into a part line by line, with fields cut at commas: the csv
/// crate's reading of text with no quote character and no carriage return
/// but in `\r\n` (it answers [`Lines::Csv`] on any), at a fraction of the
/// cost. Lines that are empty or hold only blank cells are skipped, as the
/// csv reader and [`plain_row`] skip them.
fn read_lines<R: Rows>(mut reader: impl Read, width: usize, mut rows: R) -> Result<Lines<R::Out>> {
    let mut buf: Vec<u8> = Vec::with_capacity(LINES_CHUNK + (64 << 10));
    let mut fields: Vec<(usize, usize)> = Vec::with_capacity(width + 1);
    loop {
        let seen = buf.len();
        let got = (&mut reader)
            .take(LINES_CHUNK as u64)
            .read_to_end(&mut buf)?;
        if memchr::memchr(b'"', &buf[seen..]).is_some() {
            return Ok(Lines::Csv);
        }
        let end = match got {
            0 => buf.len(),
            _ => match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                // A line longer than a chunk: read on.
                None => continue,
            },
        };
        // Whole lines: UTF-8 as a whole is UTF-8 cell by cell (commas and
        // line ends are ASCII); a line that is not is not a valid row.
        let Ok(text) = std::str::from_utf8(&buf[..end]) else {
            return Ok(Lines::Invalid);
        };
        let bytes = text.as_bytes();
        let crs = memchr::memchr_iter(b'\r', bytes).count();
        if crs > 0 && memchr::memmem::find_iter(bytes, b"\r\n").count() != crs {
            return Ok(Lines::Csv);
        }
        let mut take = |line: usize, stop: usize, fields: &mut Vec<(usize, usize)>| {
            // Every carriage return is in a "\r\n": drop it.
            let stop = if stop > line && bytes[stop - 1] == b'\r' {
                stop - 1
            } else {
                stop
            };
            let last = fields.last().map_or(line, |f| f.1 + 1);
            fields.push((last, stop));
            if stop == line {
                return Some(());
            }
            let blank =
                |&(a, b): &(usize, usize)| bytes[a..b].iter().all(|c| c.is_ascii_whitespace());
            if fields.iter().all(blank) {
                return Some(());
            }
            if fields.len() < width || !fields[width..].iter().all(blank) {
                return None;
            }
            rows.row(|c| {
                Some(match c.and_then(|c| fields.get(c)) {
                    Some(&(a, b)) => trim(&text[a..b]),
                    None => "",
                })
            })
        };
        let mut line = 0;
        fields.clear();
        for i in memchr::memchr2_iter(b',', b'\n', bytes) {
            if bytes[i] == b',' {
                let last = fields.last().map_or(line, |f| f.1 + 1);
                fields.push((last, i));
                continue;
            }
            if take(line, i, &mut fields).is_none() {
                return Ok(Lines::Invalid);
            }
            fields.clear();
            line = i + 1;
        }
        // The last line of the part, without a line end.
        if line < end && take(line, end, &mut fields).is_none() {
            return Ok(Lines::Invalid);
        }
        if got == 0 {
            break;
        }
        buf.drain(..end);
    }
    Ok(match rows.finish() {
        Some(part) => Lines::Read(part),
        None => Lines::Invalid,
    })
}

/// A forecast id as the full loader accepts it: not empty, and no
/// whitespace or control character (for ASCII: every byte above the space
/// and not DEL).
fn plain_id(id: &str) -> bool {
    if id.is_ascii() {
        !id.is_empty() && id.bytes().all(|b| b > b' ' && b != 0x7f)
    } else {
        !id.chars().any(|c| c.is_whitespace() || c.is_control())
    }
}

/// [`parse_iso_date`] with the dates of 1900-2099 remembered once read (a
/// ledger's forecasts fall on a few thousand days).
struct Dates {
    /// By ((year - 1900) * 12 + month - 1) * 32 + day.
    seen: Vec<Option<NaiveDate>>,
}

impl Default for Dates {
    fn default() -> Dates {
        Dates {
            seen: vec![None; 200 * 12 * 32],
        }
    }
}

impl Dates {
    fn parse(&mut self, s: &str) -> Option<NaiveDate> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0usize, |a, &c| {
                c.is_ascii_digit().then(|| a * 10 + (c - b'0') as usize)
            })
        };
        let slot = match b {
            [_, _, _, _, b'-', _, _, b'-', _, _] => {
                match (digits(0..4), digits(5..7), digits(8..10)) {
                    (Some(y @ 1900..=2099), Some(m @ 1..=12), Some(d @ 1..=31)) => {
                        Some(((y - 1900) * 12 + m - 1) * 32 + d)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(Some(date)) = slot.map(|i| self.seen[i]) {
            return Some(date);
        }
        let date = parse_iso_date(s).ok()?;
        if let Some(i) = slot {
            self.seen[i] = Some(date);
        }
        Some(date)
    }
}

/// `str::trim`, with a shortcut for a cell that starts and ends with an
/// ASCII character that is not blank (most cells).
fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [a, .., b] | [a @ b] if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Checks forecast rows one at a time and keeps them in columns.
struct RowReader<'a> {
    cols: Cols,
    ctx: &'a Ctx<'a>,
    out: RawPart,
    who: FxHashMap<String, u32>,
    phrases: FxHashMap<String, f64>,
    pending: Pending,
    dates: Dates,
}

impl<'a> RowReader<'a> {
    fn new(cols: Cols, ctx: &'a Ctx<'a>, bytes: usize) -> RowReader<'a> {
        let mut out = RawPart::default();
        // About 50 bytes a row in typical batches: reserve once.
        let guess = bytes / 48;
        out.part.question.reserve(guess);
        out.part.forecaster.reserve(guess);
        out.part.made_on.reserve(guess);
        out.part.p.reserve(guess);
        out.hashes.reserve(guess);
        RowReader {
            cols,
            ctx,
            out,
            who: FxHashMap::default(),
            phrases: FxHashMap::default(),
            pending: Pending::new(),
            dates: Dates::default(),
        }
    }
}

impl Rows for RowReader<'_> {
    type Out = RawPart;

    fn row<'r>(&mut self, cell: impl Fn(Option<usize>) -> Option<&'r str>) -> Option<()> {
        let (cols, ctx) = (self.cols, self.ctx);
        let id = cell(Some(cols.id))?;
        if !plain_id(id) {
            return None;
        }
        let question = cell(Some(cols.question))?;
        let has_option = !cell(cols.option)?.is_empty();
        // Short ids are looked up a batch at a time (see `get_many`), longer
        // ones now.
        let q = match pack(question) {
            Some(key) => {
                let pending = &mut self.pending;
                pending.keys[pending.len] = key;
                pending.rows[pending.len] = self.out.part.question.len() as u32;
                pending.option[pending.len] = has_option;
                pending.len += 1;
                0
            }
            None => {
                let q = ctx.qindex.get(question)?;
                if ctx.binary[q as usize] && has_option {
                    return None;
                }
                q
            }
        };
        let name = cell(Some(cols.forecaster))?;
        if name.is_empty() {
            return None;
        }
        let made_on = self.dates.parse(cell(Some(cols.made_on))?)?;
        let direction = match cell(cols.direction)? {
            "" | "yes" => Direction::Yes,
            "no" => Direction::No,
            other => Direction::parse(other).ok()?,
        };
        let number = cell(cols.probability)?;
        let p = if !number.is_empty() {
            match plain_decimal(number) {
                Some(v) => crate::model::Probability::new(v).ok()?,
                None => parse_probability(number).ok()?,
            }
        } else {
            let phrase = cell(cols.verbal)?;
            let point = match self.phrases.get(phrase) {
                Some(&v) => v,
                None => {
                    let (p, _) =
                        super::resolve_probability("", phrase, Direction::Yes, &ctx.ledger.lexicon)
                            .ok()?;
                    self.phrases.insert(phrase.to_string(), p.get());
                    p.get()
                }
            };
            crate::model::Probability::new(point).ok()?
        };
        let p = match direction {
            Direction::Yes => p,
            Direction::No => p.complement(),
        };
        let w = match self.who.get(name) {
            Some(&w) => w,
            None => {
                let w = self.out.names.len() as u32;
                self.out.names.push(name.to_string());
                self.who.insert(name.to_string(), w);
                w
            }
        };
        let out = &mut self.out;
        out.hashes.push(FxBuildHasher.hash_one(id));
        out.part.question.push(q);
        out.part.forecaster.push(w);
        out.part.made_on.push(made_on);
        out.part.p.push(p.get());
        if self.pending.len == LOOKUP_BATCH {
            self.pending.resolve(ctx, &mut out.part.question)?;
        }
        Some(())
    }

    /// The part, once the last look-ups are done.
    fn finish(mut self) -> Option<RawPart> {
        self.pending
            .resolve(self.ctx, &mut self.out.part.question)?;
        Some(self.out)
    }
}

/// Rows of a part waiting for their question look-up.
struct Pending {
    len: usize,
    keys: [[u8; 16]; LOOKUP_BATCH],
    /// Where each row is in the part.
    rows: [u32; LOOKUP_BATCH],
    /// Whether the row has an `option` (not allowed on a binary question).
    option: [bool; LOOKUP_BATCH],
}

impl Pending {
    fn new() -> Pending {
        Pending {
            len: 0,
            keys: [[0; 16]; LOOKUP_BATCH],
            rows: [0; LOOKUP_BATCH],
            option: [false; LOOKUP_BATCH],
        }
    }

    /// Look the waiting rows up and fill in their question; `None` when a
    /// question is unknown or binary with an option.
    fn resolve(&mut self, ctx: &Ctx, question: &mut [u32]) -> Option<()> {
        let n = std::mem::take(&mut self.len);
        let mut found = [0u32; LOOKUP_BATCH];
        if !ctx.qindex.get_many(&self.keys[..n], &mut found[..n]) {
            return None;
        }
        for i in 0..n {
            let q = found[i];
            if ctx.binary[q as usize] && self.option[i] {
                return None;
            }
            question[self.rows[i] as usize] = q;
        }
        Some(())
    }
}

/// A plain decimal (digits, at most one point, at most 15 digits) as the
/// nearest double, or `None` for anything else (left to
/// [`parse_probability`]). The digits form an integer m below 2^53 and the
/// value is m / 10^k with 10^k exact too, so the one correctly rounded
/// division gives exactly what `str::parse` gives.
pub fn plain_decimal(s: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (mut m, mut digits, mut frac, mut point) = (0u64, 0usize, 0usize, false);
    for &b in s.as_bytes() {
        match b {
            b'0'..=b'9' => {
                m = m * 10 + (b - b'0') as u64;
                digits += 1;
                frac += point as usize;
            }
            b'.' if !point => point = true,
            _ => return None,
        }
        if digits > 15 {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    // Up to three decimals and at most 1 (most probabilities): m / 10^k is
    // the same rational as j / 1000 with j = m · 10^(3 - k), and both
    // divisions round it the same way: read the table of j / 1000.
    if frac <= 3 {
        let j = m.saturating_mul([1000, 100, 10, 1][frac]);
        if j <= 1000 {
            return Some(THOUSANDTHS[j as usize]);
        }
    }
    Some(m as f64 / POW10[frac])
}

/// j / 1000 for j in 0..=1000, each the correctly rounded quotient.
static THOUSANDTHS: [f64; 1001] = {
    let mut t = [0.0; 1001];
    let mut j = 0;
    while j <= 1000 {
        t[j] = j as f64 / 1000.0;
        j += 1;
    }
    t
};

/// Match a scan's forecasts to outcomes: the same `ScoredSet` as
/// [`crate::matching::match_forecasts`] on the fully loaded ledger.
pub fn match_scan(scan: &Scan, config: &MatchConfig) -> ScoredSet {
    let matched = statuses(scan, config);
    place(scan, matched, true)
}

/// [`match_scan`] for scoring only: the scored columns, groups and
/// unscored counts, without each forecast's status and row (left empty),
/// and the scan's forecast columns freed as soon as they are read (dates
/// after the statuses, the rest after placing), so that the ledger's
/// columns and the scored set are not all held at once.
pub fn match_scan_columns(scan: &mut Scan, config: &MatchConfig) -> ScoredSet {
    let matched = statuses(scan, config);
    for part in &mut scan.parts {
        part.made_on = Vec::new();
    }
    let set = place(scan, matched, false);
    scan.parts = Vec::new();
    set
}

/// Each forecast's status and what placing the scored ones needs.
struct Statuses {
    status: Vec<Option<Status>>,
    /// Scored forecasts per forecaster.
    count: Vec<usize>,
    unscored: crate::matching::Unscored,
    /// Each question's outcome, as of the date matched.
    outcome: Vec<Outcome>,
}

/// Each forecast's status, and the scored ones counted per forecaster: the
/// parts side by side.
fn statuses(scan: &Scan, config: &MatchConfig) -> Statuses {
    let outcome: Vec<Outcome> = scan
        .outcome
        .iter()
        .map(|o| o.filter(|(d, _)| config.as_of.is_none_or(|a| *d <= a)))
        .collect();
    let only: Option<Option<u32>> = config
        .forecaster
        .as_ref()
        .map(|name| scan.forecasters.binary_search(name).ok().map(|i| i as u32));
    let forecasters = scan.forecasters.len();
    let mut status = vec![None; scan.len()];
    let mut slices = Vec::with_capacity(scan.parts.len());
    let mut rest: &mut [Option<Status>] = &mut status;
    for part in &scan.parts {
        let (head, tail) = rest.split_at_mut(part.p.len());
        slices.push(head);
        rest = tail;
    }
    let counted: Vec<(Vec<usize>, crate::matching::Unscored)> = scan
        .parts
        .par_iter()
        .zip(slices)
        .map(|(part, status)| {
            let mut count = vec![0usize; forecasters];
            let mut unscored = crate::matching::Unscored::default();
            for (i, st) in status.iter_mut().enumerate() {
                let w = part.forecaster[i];
                if only.is_some_and(|o| o != Some(w)) {
                    continue;
                }
                let qi = part.question[i] as usize;
                let s = status_of(
                    part.made_on[i],
                    scan.questions.kind[qi],
                    scan.questions.closes_on[qi],
                    outcome[qi],
                    config.as_of,
                );
                if s == Status::Scored {
                    count[w as usize] += 1;
                }
                unscored.count(s);
                *st = Some(s);
            }
            (count, unscored)
        })
        .collect();
    let mut count = vec![0usize; forecasters];
    let mut unscored = crate::matching::Unscored::default();
    for (c, u) in &counted {
        for (a, b) in count.iter_mut().zip(c) {
            *a += b;
        }
        unscored.add(u);
    }
    Statuses {
        status,
        count,
        unscored,
        outcome,
    }
}

/// The scored forecasts placed by forecaster; `rows`: whether to keep each
/// forecast's status and each scored forecast's row.
fn place(scan: &Scan, matched: Statuses, rows: bool) -> ScoredSet {
    let Statuses {
        status,
        count,
        unscored,
        outcome,
    } = matched;
    let forecasters = scan.forecasters.len();
    let mut set = ScoredSet {
        unscored,
        ..ScoredSet::default()
    };
    // Groups in name order (forecasters are numbered in that order), rows in
    // ledger order within a group: a counting sort. The output is cut into
    // runs of whole groups, one per thread; each thread reads every row and
    // places those of its groups.
    let mut start = vec![0usize; forecasters];
    let mut at = 0;
    for (w, &c) in count.iter().enumerate() {
        start[w] = at;
        if c > 0 {
            set.forecasters.push(scan.forecasters[w].clone());
            set.groups.push(at..at + c);
        }
        at += c;
    }
    set.p = vec![0.0; at];
    set.y = vec![false; at];
    set.question = vec![0; at];
    set.forecast = vec![0; if rows { at } else { 0 }];
    let threads = rayon::current_num_threads().max(1);
    let mut cuts = vec![0usize];
    for (w, &s) in start.iter().enumerate() {
        if s * threads >= at * cuts.len() && w > *cuts.last().unwrap_or(&0) {
            cuts.push(w);
        }
    }
    cuts.push(forecasters);
    let mut runs = Vec::new();
    let (mut p, mut y, mut q, mut f) = (
        &mut set.p[..],
        &mut set.y[..],
        &mut set.question[..],
        &mut set.forecast[..],
    );
    for c in cuts.windows(2) {
        let (lo, hi) = (c[0], c[1]);
        let len = count[lo..hi].iter().sum::<usize>();
        let (p1, p2) = p.split_at_mut(len);
        let (y1, y2) = y.split_at_mut(len);
        let (q1, q2) = q.split_at_mut(len);
        let (f1, f2) = f.split_at_mut(if rows { len } else { 0 });
        runs.push((lo, hi, p1, y1, q1, f1));
        (p, y, q, f) = (p2, y2, q2, f2);
    }
    let scored = &status;
    runs.into_par_iter().for_each(|(lo, hi, p, y, q, f)| {
        let base = start.get(lo).copied().unwrap_or(0);
        let mut next: Vec<usize> = start[lo..hi].iter().map(|s| s - base).collect();
        let mut fi = 0usize;
        for part in &scan.parts {
            for i in 0..part.p.len() {
                let w = part.forecaster[i] as usize;
                if w >= lo && w < hi && scored[fi + i] == Some(Status::Scored) {
                    let k = next[w - lo];
                    next[w - lo] += 1;
                    let qi = part.question[i];
                    p[k] = part.p[i];
                    y[k] = matches!(outcome[qi as usize], Some((_, OutcomeValue::Yes)));
                    q[k] = qi;
                    if rows {
                        f[k] = (fi + i) as u32;
                    }
                }
            }
            fi += part.p.len();
        }
    });
    if rows {
        set.status = status;
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions(ids: &[String]) -> Questions {
        let mut q = Questions::default();
        for id in ids {
            q.ids.push_str(id);
            q.ends.push(q.ids.len());
            q.kind.push(Kind::Binary);
            q.closes_on.push(NaiveDate::MIN);
        }
        q
    }

    /// Every decimal with up to three decimals and up to four digits reads
    /// exactly as `str::parse` reads it (the table and the division alike).
    #[test]
    fn short_decimals_read_exactly() {
        for m in 0..=9999u32 {
            for frac in 0..=3usize {
                let digits = format!("{m:0width$}", width = frac + 1);
                let (int, dec) = digits.split_at(digits.len() - frac);
                let text = match frac {
                    0 => int.to_string(),
                    _ => format!("{int}.{dec}"),
                };
                let want: f64 = text.parse().unwrap();
                assert_eq!(
                    plain_decimal(&text).map(f64::to_bits),
                    Some(want.to_bits()),
                    "{text}"
                );
            }
        }
        assert_eq!(plain_decimal(".5"), Some(0.5));
        assert_eq!(plain_decimal("1."), Some(1.0));
        assert_eq!(plain_decimal("."), None);
    }

    /// In-place grouping keeps every value and puts each in its group.
    #[test]
    fn grouping_by_top_byte_keeps_every_value_and_groups_them() {
        let mut x: u64 = 5;
        let mut v: Vec<u64> = (0..20_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Some groups empty, some crowded, repeats.
                if i % 3 == 0 {
                    x | (0xab << 56)
                } else if i % 7 == 0 {
                    42
                } else {
                    x
                }
            })
            .collect();
        let mut before = v.clone();
        let start = by_top_byte(&mut v);
        assert_eq!(start[0], 0);
        assert_eq!(start[256], v.len());
        for b in 0..256 {
            assert!(
                v[start[b]..start[b + 1]]
                    .iter()
                    .all(|h| (h >> 56) as usize == b)
            );
        }
        before.sort_unstable();
        v.sort_unstable();
        assert_eq!(before, v);
    }

    /// Equal values are found wherever they are (same list or not, same
    /// bucket or a full one, small lists pooled or not), and distinct
    /// values are never reported.
    #[test]
    fn any_equal_finds_exactly_the_repeats() {
        let mut x: u64 = 77;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let a: Vec<u64> = (0..50_000).map(|_| next()).collect();
        let b: Vec<u64> = (0..30_000).map(|_| next()).collect();
        // Many values in one bucket (same top byte).
        let c: Vec<u64> = (0..5_000).map(|_| (next() >> 8) | (7 << 56)).collect();
        assert!(!any_equal(vec![a.clone(), b.clone(), c.clone()]));
        assert!(!any_equal(vec![]));
        assert!(!any_equal(vec![vec![0], vec![1]]));
        assert!(any_equal(vec![a.clone(), b.clone(), vec![b[29_999]]]));
        assert!(any_equal(vec![a.clone(), vec![a[0]], b.clone()]));
        assert!(any_equal(vec![c.clone(), vec![c[4_321]]]));
        assert!(any_equal(vec![vec![0, 5], vec![0]]));
        let mut d = a.clone();
        d.push(a[12_345]);
        assert!(any_equal(vec![d]));
        // A long list (kept as it is) beside many one-value lists (pooled).
        let long: Vec<u64> = (0..70_000).map(|_| next()).collect();
        let singles: Vec<Vec<u64>> = (0..2_000).map(|_| vec![next()]).collect();
        let mut lists = vec![long.clone()];
        lists.extend(singles.iter().cloned());
        assert!(!any_equal(lists.clone()));
        lists.push(vec![long[69_999]]);
        assert!(any_equal(lists));
        let mut lists = singles.clone();
        lists.push(vec![singles[1_234][0]]);
        assert!(any_equal(lists));
        assert!(any_equal(vec![long.clone(), long]));
    }

    /// Every id is found, one at a time and in batches; ids that differ by a
    /// byte, a length or a few bytes past the packed part are not.
    #[test]
    fn question_index_finds_every_id_and_nothing_else() {
        let mut ids: Vec<String> = (0..5000).map(|i| format!("q{i:06}")).collect();
        ids.extend((0..300).map(|i| format!("a-much-longer-question-id-{i}")));
        ids.push("x".into());
        ids.push("exactly15bytes!".into());
        ids.push("exactly16bytes!!".into());
        let q = questions(&ids);
        let index = QuestionIndex::new(&q).unwrap();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(i as u32), "{id}");
        }
        let short: Vec<(usize, [u8; 16])> = ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| pack(id).map(|k| (i, k)))
            .collect();
        for chunk in short.chunks(LOOKUP_BATCH) {
            let keys: Vec<[u8; 16]> = chunk.iter().map(|c| c.1).collect();
            let mut out = vec![u32::MAX; keys.len()];
            assert!(index.get_many(&keys, &mut out));
            let want: Vec<u32> = chunk.iter().map(|c| c.0 as u32).collect();
            assert_eq!(out, want);
        }
        for missing in [
            "",
            "q",
            "q5000",
            "q005000",
            "q0000001",
            "Q000001",
            "q000001 ",
            "y",
            "exactly15bytes?",
            "exactly16bytes!?",
            "a-much-longer-question-id-300",
        ] {
            assert_eq!(index.get(missing), None, "{missing:?}");
            if let Some(key) = pack(missing) {
                let keys = [short[0].1, key, short[1].1];
                assert!(!index.get_many(&keys, &mut [0; 3]), "{missing:?}");
            }
        }
        // An id given twice, short or long: no index (the full loader
        // reports it).
        for twice in ["q000123", "a-much-longer-question-id-7"] {
            let mut dup = ids.clone();
            dup.push(twice.into());
            assert!(QuestionIndex::new(&questions(&dup)).is_none(), "{twice}");
        }
        // Built by many threads (many runs of slots, many keys whose probe
        // leaves its run): the same answers, and every repeated id found.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(13)
            .build()
            .unwrap();
        let index = pool.install(|| QuestionIndex::new(&q)).unwrap();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(i as u32), "{id}");
        }
        for twice in (0..5000).step_by(97) {
            let mut dup = ids.clone();
            dup.push(format!("q{twice:06}"));
            let qs = questions(&dup);
            assert!(
                pool.install(|| QuestionIndex::new(&qs)).is_none(),
                "{twice}"
            );
        }
    }
}
