//! Importing research staff's CSV files into the ledger.
//!
//! Owns the import pipeline: read each input leniently (any of the encodings
//! and delimiters spreadsheets write, column names in any case and order and
//! under common aliases, spreadsheet dates, percentages and decimal commas),
//! normalize every row to the ledger's strict form, create or check questions
//! given in the flat form, assign content-derived forecast ids, skip rows
//! already in the ledger, refuse conflicting ones, and then write all or
//! nothing, as one transaction over every file touched, under the ledger lock.
//! Every bad row is reported with its input file, line, column and field, and
//! can be written to a rejects file for staff to fix and send again.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::normalize::{
    DateOrder, parse_date, parse_outcome_lenient, parse_probability_input, slugify,
};
use super::table::{self, Decoding, Limits, RawRecord, RawTable, Table};
pub use super::table::{InputEncoding, Problem};
use super::write::{LedgerLock, Transaction, recover};
use super::{FileKind, Ledger, QUESTIONS_FILE, Source, hex, load, read_sources_unlocked};
use crate::error::{Diagnostic, Location, show};
use crate::lexicon::{Lexicon, normalize as normalize_phrase};
use crate::model::{Direction, Kind, OutcomeValue, Stated, check_question_id};
use crate::render::csv_out::safe_cell;

pub const FORECAST_COLUMNS: &[&str] = &[
    "forecast_id",
    "question_id",
    "forecaster",
    "made_on",
    "probability",
    "verbal",
    "direction",
    "option",
    "quote",
    "source",
    "recorded_by",
];
pub const QUESTION_COLUMNS: &[&str] = &[
    "question_id",
    "title",
    "kind",
    "options",
    "opens_on",
    "closes_on",
    "criteria",
    "tags",
];
pub const OUTCOME_COLUMNS: &[&str] = &["question_id", "resolved_on", "outcome", "source", "note"];
/// Question columns a flat forecast file may carry.
const FLAT_COLUMNS: &[&str] = &[
    "title",
    "kind",
    "options",
    "opens_on",
    "closes_on",
    "criteria",
    "tags",
];

/// Review columns of a `hindsight extract` draft. A forecast import accepts
/// them and ignores them: they help a person decide, they are not stored.
pub const DRAFT_REVIEW_COLUMNS: &[&str] = &[
    "confidence",
    "found",
    "mapped_p",
    "mapped_low",
    "mapped_high",
    "scale",
    "sentence",
    "line",
    "note",
];

pub const CHANGES_LOG: &str = "forecasts/CHANGES.log";

/// The column a rejects file adds; ignored when such a file is imported again.
pub const REASON_COLUMN: &str = "reason";

/// Header names accepted for each forecast column (besides the column's own
/// name). Matching ignores case, spaces, underscores and punctuation, so
/// `Question ID`, `question-id` and `QuestionID` are all `question_id`.
pub const FORECAST_ALIASES: &[(&str, &[&str])] = &[
    ("forecast_id", &["forecast id", "fid"]),
    ("question_id", &["question id", "qid", "question slug"]),
    (
        "forecaster",
        &[
            "expert",
            "analyst",
            "predictor",
            "author",
            "forecaster name",
            "expert name",
        ],
    ),
    (
        "made_on",
        &[
            "date",
            "forecast date",
            "date made",
            "made",
            "date of forecast",
            "stated on",
            "published on",
        ],
    ),
    (
        "probability",
        &[
            "prob",
            "p",
            "p(yes)",
            "p yes",
            "probability yes",
            "probability (yes)",
        ],
    ),
    (
        "verbal",
        &[
            "phrase",
            "verbal probability",
            "wording",
            "estimative phrase",
        ],
    ),
    ("direction", &[]),
    ("option", &[]),
    ("quote", &["quotation", "statement", "excerpt"]),
    (
        "source",
        &["url", "link", "citation", "reference", "source url"],
    ),
    (
        "recorded_by",
        &["recorded by", "coder", "coded by", "entered by"],
    ),
    ("title", &["question title", "question text"]),
    ("kind", &["question kind", "question type", "type"]),
    ("options", &["choices"]),
    (
        "opens_on",
        &["opens", "open date", "opened on", "start date"],
    ),
    (
        "closes_on",
        &[
            "closes",
            "close date",
            "closing date",
            "deadline",
            "end date",
        ],
    ),
    ("criteria", &["resolution criteria"]),
    ("tags", &["tag", "topics"]),
];

/// Header names accepted for each outcome column.
pub const OUTCOME_ALIASES: &[(&str, &[&str])] = &[
    ("question_id", &["question id", "qid", "question slug"]),
    (
        "resolved_on",
        &[
            "date",
            "resolved",
            "resolution date",
            "date resolved",
            "resolved date",
        ],
    ),
    (
        "outcome",
        &["result", "resolution", "resolved as", "answer"],
    ),
    (
        "source",
        &["url", "link", "citation", "reference", "source url"],
    ),
    (
        "note",
        &["notes", "comment", "comments", "remark", "remarks"],
    ),
];

/// Header names that could mean more than one forecast column: refused, with
/// the candidates named, rather than guessed.
pub const AMBIGUOUS_FORECAST_HEADERS: &[(&str, &[&str])] = &[
    ("id", &["forecast_id", "question_id"]),
    ("question", &["question_id", "title"]),
    ("name", &["forecaster", "title"]),
    ("forecast", &["probability", "verbal"]),
    ("estimate", &["probability", "verbal"]),
    ("likelihood", &["probability", "verbal"]),
    ("chance", &["probability", "verbal"]),
];

/// Header names that could mean more than one outcome column.
pub const AMBIGUOUS_OUTCOME_HEADERS: &[(&str, &[&str])] = &[
    ("id", &["question_id", "a row number"]),
    ("question", &["question_id", "the question's title"]),
];

/// A header name reduced for matching: lower case, letters and digits only.
///
/// ```
/// use hindsight::ledger::import::header_key;
/// assert_eq!(header_key(" Question_ID "), "questionid");
/// assert_eq!(header_key("P(yes)"), "pyes");
/// ```
pub fn header_key(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// What is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Forecasts,
    Outcomes,
}

impl ImportKind {
    fn aliases(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            ImportKind::Forecasts => FORECAST_ALIASES,
            ImportKind::Outcomes => OUTCOME_ALIASES,
        }
    }

    fn ambiguous(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            ImportKind::Forecasts => AMBIGUOUS_FORECAST_HEADERS,
            ImportKind::Outcomes => AMBIGUOUS_OUTCOME_HEADERS,
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Forecasts => FORECAST_COLUMNS,
            ImportKind::Outcomes => OUTCOME_COLUMNS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ImportKind::Forecasts => "forecasts",
            ImportKind::Outcomes => "outcomes",
        }
    }
}

/// What a header cell means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Column(&'static str),
    Ambiguous(&'static [&'static str]),
    Ignored,
    Unknown,
}

fn meaning(kind: ImportKind, header: &str, ignore: &[String]) -> Meaning {
    let key = header_key(header);
    if key == REASON_COLUMN || ignore.iter().any(|i| header_key(i) == key) {
        return Meaning::Ignored;
    }
    // The review columns of `hindsight extract` drafts are read past.
    if kind == ImportKind::Forecasts && DRAFT_REVIEW_COLUMNS.iter().any(|c| header_key(c) == key) {
        return Meaning::Ignored;
    }
    for (column, names) in kind.aliases() {
        if header_key(column) == key || names.iter().any(|n| header_key(n) == key) {
            return Meaning::Column(column);
        }
    }
    for (name, candidates) in kind.ambiguous() {
        if header_key(name) == key {
            return Meaning::Ambiguous(candidates);
        }
    }
    Meaning::Unknown
}

/// Whether a header cell names a column of either kind (for delimiter sniffing).
fn recognized(h: &str) -> bool {
    [ImportKind::Forecasts, ImportKind::Outcomes]
        .iter()
        .any(|&k| !matches!(meaning(k, h, &[]), Meaning::Unknown))
}

/// The closest known column to an unknown header, if it is close.
fn suggest_column(kind: ImportKind, header: &str) -> Option<&'static str> {
    let key = header_key(header);
    let mut best: Option<(f64, &'static str)> = None;
    for (column, names) in kind.aliases() {
        for n in names.iter().chain(std::iter::once(column)) {
            let score = strsim::normalized_levenshtein(&key, &header_key(n));
            if score >= 0.75 && best.is_none_or(|(b, _)| score > b) {
                best = Some((score, column));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Import settings.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub dry_run: bool,
    /// Who is importing (recorded in the change log and as `recorded_by` when a row has none).
    pub by: Option<String>,
    pub date_order: Option<DateOrder>,
    /// Batch (file stem) to add rows to; default: each input file's own name.
    pub batch: Option<String>,
    /// How long to wait for another writer's lock.
    pub wait: Duration,
    /// The inputs' encoding; default: detected.
    pub encoding: Option<InputEncoding>,
    /// The inputs' delimiter; default: sniffed (comma, semicolon or tab).
    pub delimiter: Option<u8>,
    /// Largest input file accepted, in bytes.
    pub max_bytes: u64,
    /// Field, column and row limits per input file.
    pub limits: Limits,
    /// Header names to leave out (each must be present).
    pub ignore_columns: Vec<String>,
    /// Import the good rows even when others are rejected (the caller writes
    /// the rejected ones to a rejects file).
    pub partial: bool,
}

/// The default `--max-bytes`: 256 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 256 << 20;

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            dry_run: false,
            by: None,
            date_order: None,
            batch: None,
            wait: Duration::from_secs(10),
            encoding: None,
            delimiter: None,
            max_bytes: DEFAULT_MAX_BYTES,
            limits: Limits::default(),
            ignore_columns: Vec::new(),
            partial: false,
        }
    }
}

/// One row that an import adds.
#[derive(Debug, Clone, PartialEq)]
pub struct AddedRow {
    /// Ledger file it goes to.
    pub file: PathBuf,
    /// Values by column name (canonical columns).
    pub values: Vec<(String, String)>,
    /// Input file and line it came from.
    pub from: Location,
}

impl AddedRow {
    pub fn get(&self, col: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == col)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// An input row that was not imported, with its original cells and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    pub file: PathBuf,
    pub line: u64,
    /// The input's header cells as written.
    pub header: Vec<String>,
    /// The canonical column of each header cell, when it has one.
    pub columns: Vec<Option<&'static str>>,
    /// The row's cells as written.
    pub fields: Vec<String>,
    /// Every problem with the row, located (`file:line:column: field: message`).
    pub reasons: Vec<String>,
    /// The input's delimiter (a rejects file keeps it, so decimal commas stay valid).
    pub delimiter: u8,
}

/// How one input file was read.
#[derive(Debug, Clone, PartialEq)]
pub struct InputInfo {
    pub file: PathBuf,
    pub sha256: String,
    pub encoding: &'static str,
    pub delimiter: char,
    pub rows: usize,
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub added: Vec<AddedRow>,
    pub new_questions: Vec<AddedRow>,
    /// Rows already in the ledger (or repeated in the input), skipped.
    pub skipped: usize,
    pub files_written: Vec<PathBuf>,
    pub dry_run: bool,
    /// Warnings the added rows bring (e.g. forecasts made after their
    /// question closed, which will never be scored), located in the ledger.
    pub warnings: Vec<Diagnostic>,
    /// Notes about how the inputs were read (e.g. an encoding detected).
    pub notes: Vec<Problem>,
    /// Rows left out (only with `partial`): the import went ahead without them.
    pub rejected: Vec<RejectedRow>,
    /// The problems of the rejected rows.
    pub problems: Vec<Problem>,
    pub inputs: Vec<InputInfo>,
}

/// Why an import wrote nothing.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} error(s); nothing was written", self.problems.iter().filter(|p| p.is_error()).count())]
pub struct ImportFailed {
    /// An input file (or the ledger) could not be used at all, as opposed to
    /// some of its rows being rejected.
    pub unusable: bool,
    pub problems: Vec<Problem>,
    /// The rows that were rejected, for a rejects file.
    pub rejected: Vec<RejectedRow>,
    pub notes: Vec<Problem>,
}

/// An input file read into columns: header meanings, rows, and how to read values.
struct Input {
    path: PathBuf,
    header: Vec<String>,
    columns: Vec<Option<&'static str>>,
    index: HashMap<&'static str, usize>,
    rows: Vec<RawRecord>,
    delimiter: u8,
    /// Semicolon- or tab-separated: `0,7` is a decimal.
    decimal_comma: bool,
    /// A hindsight rejects file: cells it neutralized for spreadsheets
    /// (`'=...`) are restored.
    unescape: bool,
}

impl Input {
    /// The column (0-based) holding a canonical column.
    fn col(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// A row's value in a canonical column, trimmed; "" when absent.
    fn get<'r>(&self, row: &'r RawRecord, name: &str) -> &'r str {
        let Some(v) = self.col(name).and_then(|i| row.fields.get(i)) else {
            return "";
        };
        let v = v.trim();
        if self.unescape
            && let Some(rest) = v.strip_prefix('\'')
            && rest.starts_with(['=', '+', '-', '@', '\t', '\r'])
        {
            return rest;
        }
        v
    }

    fn problem(&self, row: &RawRecord, field: &str, msg: String) -> Problem {
        Problem::new(
            Diagnostic::error(Location::new(&self.path, row.line).with_field(field), msg),
            self.col(field).map(|i| i + 1),
        )
    }

    fn reject(&self, row: &RawRecord, problems: &[Problem]) -> RejectedRow {
        RejectedRow {
            file: self.path.clone(),
            line: row.line,
            header: self.header.clone(),
            columns: self.columns.clone(),
            fields: row.fields.clone(),
            reasons: problems.iter().map(|p| p.to_string()).collect(),
            delimiter: self.delimiter,
        }
    }
}

/// Read an input file's bytes, refusing files over `max` bytes before
/// reading them (and files that grow past it while being read).
fn read_limited(path: &Path, max: u64) -> std::result::Result<Vec<u8>, Problem> {
    let whole = |msg: String| Problem::from(Diagnostic::error(Location::file(path), msg));
    let too_big = |n: u64| {
        whole(format!(
            "is {} bytes, over the limit of {} bytes for one input file (--max-bytes)",
            n, max
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| whole(format!("cannot be read: {}", e)))?;
    if let Ok(m) = file.metadata() {
        if m.is_dir() {
            return Err(whole("is a folder, not a CSV file".into()));
        }
        if m.len() > max {
            return Err(too_big(m.len()));
        }
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| whole(format!("cannot be read: {}", e)))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Decode, sniff and split an input file, then give its header cells their
/// meaning. Errors here make the whole file unusable.
fn read_input(
    kind: ImportKind,
    path: &Path,
    bytes: &[u8],
    opts: &ImportOptions,
    notes: &mut Vec<Problem>,
) -> std::result::Result<(Input, Decoding, u8), Vec<Problem>> {
    let (text, decoding) =
        table::decode(path, bytes, opts.encoding).map_err(|d| vec![Problem::from(d)])?;
    if let Decoding::Windows1252 { detected: true } = decoding {
        notes.push(Problem::from(Diagnostic::warning(
            Location::file(path),
            "is not UTF-8; read as Windows-1252 (pass --encoding if it is something else)",
        )));
    }
    let (delimiter, body, offset) = match (opts.delimiter, table::sep_line(&text)) {
        (d, Some((sep, rest))) => (d.unwrap_or(sep), rest, 1),
        (Some(d), None) => (d, text.as_ref(), 0),
        (None, None) => (table::sniff_delimiter(&text, &recognized), text.as_ref(), 0),
    };
    let raw = table::read_raw(path, body, delimiter, offset, &opts.limits).map_err(|p| vec![p])?;
    let input = map_header(kind, path, raw, delimiter, opts)?;
    Ok((input, decoding, delimiter))
}

fn map_header(
    kind: ImportKind,
    path: &Path,
    raw: RawTable,
    delimiter: u8,
    opts: &ImportOptions,
) -> std::result::Result<Input, Vec<Problem>> {
    let RawTable {
        header_line,
        header,
        rows,
    } = raw;
    let at = |col: Option<usize>, msg: String| {
        Problem::new(
            Diagnostic::error(Location::new(path, header_line), msg),
            col,
        )
    };
    let mut problems = Vec::new();
    let mut columns: Vec<Option<&'static str>> = Vec::with_capacity(header.len());
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut unescape = false;
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            // A column without a header: harmless when it is empty throughout.
            if let Some(r) = rows
                .iter()
                .find(|r| r.fields.get(i).is_some_and(|f| !f.trim().is_empty()))
            {
                problems.push(at(
                    Some(i + 1),
                    format!(
                        "column {} has no header but holds values (line {}: {}): name it, or delete it",
                        i + 1,
                        r.line,
                        show(r.fields[i].trim())
                    ),
                ));
            }
            columns.push(None);
            continue;
        }
        match meaning(kind, h, &opts.ignore_columns) {
            Meaning::Column(c) => {
                if let Some(&j) = index.get(c) {
                    problems.push(at(
                        Some(i + 1),
                        format!(
                            "{} (column {}) and {} (column {}) both mean {}: keep one of them",
                            show(&header[j]),
                            j + 1,
                            show(h),
                            i + 1,
                            c
                        ),
                    ));
                } else {
                    index.insert(c, i);
                }
                columns.push(Some(c));
            }
            Meaning::Ambiguous(candidates) => {
                problems.push(at(
                    Some(i + 1),
                    format!(
                        "column {} could mean {}: rename it to the column it holds",
                        show(h),
                        candidates.join(" or ")
                    ),
                ));
                columns.push(None);
            }
            Meaning::Ignored => {
                if header_key(h) == REASON_COLUMN {
                    unescape = true;
                }
                columns.push(None);
            }
            Meaning::Unknown => {
                let hint = match suggest_column(kind, h) {
                    Some(c) => format!(" (did you mean {}?)", c),
                    None => String::new(),
                };
                let known: Vec<&str> = kind
                    .columns()
                    .iter()
                    .chain(if kind == ImportKind::Forecasts {
                        FLAT_COLUMNS.iter()
                    } else {
                        [].iter()
                    })
                    .copied()
                    .collect();
                problems.push(at(
                    Some(i + 1),
                    format!(
                        "unknown column {}{}; known columns: {} (and their aliases); to leave it out, pass --ignore-column {}",
                        show(h),
                        hint,
                        known.join(", "),
                        show(h)
                    ),
                ));
                columns.push(None);
            }
        }
    }
    for ig in &opts.ignore_columns {
        if !header.iter().any(|h| header_key(h) == header_key(ig)) {
            problems.push(at(
                None,
                format!("--ignore-column {}: there is no such column", show(ig)),
            ));
        }
    }
    let has = |c: &str| index.contains_key(c);
    let mut missing: Vec<&str> = Vec::new();
    match kind {
        ImportKind::Forecasts => {
            if !has("question_id") && !has("title") {
                missing.push("question_id (or title, to create questions)");
            }
            for c in ["forecaster", "made_on"] {
                if !has(c) {
                    missing.push(c);
                }
            }
            if !has("probability") && !has("verbal") {
                missing.push("probability or verbal (or both)");
            }
        }
        ImportKind::Outcomes => {
            for c in ["question_id", "resolved_on", "outcome"] {
                if !has(c) {
                    missing.push(c);
                }
            }
        }
    }
    if !missing.is_empty() {
        problems.push(at(
            None,
            format!(
                "missing required column(s): {} (found: {})",
                missing.join(", "),
                header.join(", ")
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Input {
        path: path.to_path_buf(),
        header,
        columns,
        index,
        rows,
        delimiter,
        decimal_comma: delimiter != b',',
        unescape,
    })
}

fn batch_target(kind: ImportKind, file: &Path, opts: &ImportOptions) -> Result<PathBuf, String> {
    let batch = match &opts.batch {
        Some(b) => b.clone(),
        None => slugify(
            &file
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default(),
        ),
    };
    let batch = check_batch_name(&batch, kind)?;
    Ok(Path::new(kind.name()).join(format!("{}.csv", batch)))
}

/// The outcome of reading and checking one input file.
struct FileResult {
    input: Option<Input>,
    info: Option<InputInfo>,
    /// File-level problems (the file is unusable).
    fatal: Vec<Problem>,
    /// Row-level problems, and the rejected rows.
    problems: Vec<Problem>,
    rejected: Vec<RejectedRow>,
}

fn process_file(
    state: &mut State,
    kind: ImportKind,
    file: &Path,
    bytes: &[u8],
    target: &Path,
    opts: &ImportOptions,
    notes: &mut Vec<Problem>,
) -> FileResult {
    let mut out = FileResult {
        input: None,
        info: None,
        fatal: Vec::new(),
        problems: Vec::new(),
        rejected: Vec::new(),
    };
    let (input, decoding, delimiter) = match read_input(kind, file, bytes, opts, notes) {
        Ok(x) => x,
        Err(p) => {
            out.fatal = p;
            return out;
        }
    };
    let width = input.header.len();
    for row in &input.rows {
        let mut problems = Vec::new();
        if row.fields.len() != width {
            let hint = if row.fields.iter().any(|f| f.contains(['\n', '\r'])) {
                "; a quoted field here spans several lines: is a quote left unclosed?"
            } else {
                ""
            };
            problems.push(Problem::from(Diagnostic::error(
                Location::new(file, row.line),
                format!(
                    "expected {} fields (as in the header), found {}{}",
                    width,
                    row.fields.len(),
                    hint
                ),
            )));
        } else {
            problems = match kind {
                ImportKind::Forecasts => state.forecast_row(&input, row, target, opts),
                ImportKind::Outcomes => state.outcome_row(&input, row, target, opts),
            };
        }
        if !problems.is_empty() {
            out.rejected.push(input.reject(row, &problems));
            out.problems.extend(problems);
        }
    }
    out.info = Some(InputInfo {
        file: file.to_path_buf(),
        sha256: hex(&Sha256::digest(bytes)),
        encoding: decoding.name(),
        delimiter: delimiter as char,
        rows: input.rows.len(),
    });
    out.input = Some(input);
    out
}

/// What [`parse_bytes`] found in one input file.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub added: Vec<AddedRow>,
    pub new_questions: Vec<AddedRow>,
    pub skipped: usize,
    pub rejected: Vec<RejectedRow>,
    /// File-level problems: the file could not be used at all.
    pub fatal: Vec<Problem>,
    /// Row-level problems.
    pub problems: Vec<Problem>,
    pub notes: Vec<Problem>,
}

/// Parse one input file's bytes into normalized rows or located problems, as
/// an import into an empty ledger would (flat-form rows create their
/// questions). Touches no files; the fuzz target's entry point.
///
/// ```
/// use hindsight::ledger::import::{parse_bytes, ImportKind, ImportOptions};
/// use std::path::Path;
/// let p = parse_bytes(ImportKind::Forecasts, Path::new("a.csv"),
///     b"Expert;Title;Deadline;Date;P(yes)\nAnn;Will it rain?;2019-12-31;15.03.2019;0,7\n",
///     &ImportOptions::default());
/// assert!(p.fatal.is_empty() && p.problems.is_empty(), "{:?}", p.problems);
/// assert_eq!(p.added[0].get("probability"), "0.7");
/// assert_eq!(p.added[0].get("made_on"), "2019-03-15");
/// assert_eq!(p.new_questions[0].get("question_id"), "will-it-rain");
/// ```
pub fn parse_bytes(kind: ImportKind, path: &Path, bytes: &[u8], opts: &ImportOptions) -> Parsed {
    let ledger = Ledger {
        lexicon: Lexicon::builtin(),
        ..Ledger::default()
    };
    let mut state = State::new(&ledger);
    let mut notes = Vec::new();
    let target = match batch_target(kind, path, opts) {
        Ok(t) => t,
        Err(_) => Path::new(kind.name()).join("input.csv"),
    };
    let r = process_file(&mut state, kind, path, bytes, &target, opts, &mut notes);
    Parsed {
        added: state.added,
        new_questions: state.new_questions,
        skipped: state.skipped,
        rejected: r.rejected,
        fatal: r.fatal,
        problems: r.problems,
        notes,
    }
}

/// Run an import of `files` into the ledger at `root`.
///
/// Returns `Err` carrying [`ImportFailed`] when a file is unusable or any row
/// is bad (nothing is written; with `partial`, bad rows are left out and the
/// rest imported instead, and listed in the report), or another error when
/// the ledger cannot be read, locked or written.
pub fn import(
    root: &Path,
    kind: ImportKind,
    files: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let _lock = if opts.dry_run {
        None
    } else {
        let lock = LedgerLock::acquire(root, opts.wait)?;
        recover(root)?;
        Some(lock)
    };
    let mut sources = if opts.dry_run {
        super::read_sources(root)?
    } else {
        read_sources_unlocked(root)?
    };
    let ledger = load(&sources);
    if ledger.errors() > 0 {
        let mut problems: Vec<Problem> = vec![Problem::from(Diagnostic::error(
            Location::file(root.join(QUESTIONS_FILE).parent().unwrap_or(root)),
            "the ledger itself has errors; fix them first (hindsight check) before importing",
        ))];
        problems.extend(
            ledger
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .map(Problem::from),
        );
        return Err(ImportFailed {
            unusable: true,
            problems,
            rejected: Vec::new(),
            notes: Vec::new(),
        }
        .into());
    }
    let mut state = State::new(&ledger);
    let mut notes = Vec::new();
    let mut fatal = Vec::new();
    let mut problems = Vec::new();
    let mut rejected = Vec::new();
    let mut inputs = Vec::new();
    let mut read: Vec<Input> = Vec::new();
    for file in files {
        let target = match batch_target(kind, file, opts) {
            Ok(t) => t,
            Err(e) => {
                fatal.push(Problem::from(Diagnostic::error(Location::file(file), e)));
                continue;
            }
        };
        let bytes = match read_limited(file, opts.max_bytes) {
            Ok(b) => b,
            Err(p) => {
                fatal.push(p);
                continue;
            }
        };
        let r = process_file(&mut state, kind, file, &bytes, &target, opts, &mut notes);
        fatal.extend(r.fatal);
        problems.extend(r.problems);
        rejected.extend(r.rejected);
        inputs.extend(r.info);
        read.extend(r.input);
    }
    let unusable = !fatal.is_empty();
    if unusable || (!problems.is_empty() && !opts.partial) {
        fatal.extend(problems);
        return Err(ImportFailed {
            unusable,
            problems: fatal,
            rejected,
            notes,
        }
        .into());
    }
    let mut report = ImportReport {
        added: state.added,
        new_questions: state.new_questions,
        skipped: state.skipped,
        files_written: Vec::new(),
        dry_run: opts.dry_run,
        warnings: Vec::new(),
        notes,
        rejected,
        problems,
        inputs,
    };
    if report.added.is_empty() && report.new_questions.is_empty() {
        return Ok(report);
    }
    // Compose the new contents of every file touched.
    let existing = |path: &Path| -> Option<Vec<u8>> {
        sources
            .iter()
            .find(|s| s.path == path)
            .map(|s| s.bytes.clone())
    };
    let mut writes: Vec<(PathBuf, Vec<u8>, Vec<AddedRow>)> = Vec::new();
    if !report.new_questions.is_empty() {
        let q = Path::new(QUESTIONS_FILE).to_path_buf();
        let bytes = compose(existing(&q), &q, QUESTION_COLUMNS, &report.new_questions)?;
        writes.push((q, bytes, report.new_questions.clone()));
    }
    let mut targets: Vec<PathBuf> = report.added.iter().map(|r| r.file.clone()).collect();
    targets.sort();
    targets.dedup();
    for target in targets {
        let rows: Vec<AddedRow> = report
            .added
            .iter()
            .filter(|r| r.file == target)
            .cloned()
            .collect();
        let bytes = compose(existing(&target), &target, kind.columns(), &rows)?;
        writes.push((target, bytes, rows));
    }
    // Check the ledger as it would be: nothing is written unless it is clean.
    for (path, bytes, _) in &writes {
        match sources.iter_mut().find(|s| &s.path == path) {
            Some(s) => s.bytes = bytes.clone(),
            None => sources.push(Source {
                kind: if path.starts_with("outcomes") {
                    FileKind::Outcomes
                } else {
                    FileKind::Forecasts
                },
                path: path.clone(),
                bytes: bytes.clone(),
            }),
        }
    }
    let after = load(&sources);
    if after.errors() > 0 {
        return Err(recheck_failure(&after, &writes, &read, report).into());
    }
    let known: HashSet<String> = ledger.diagnostics.iter().map(|d| d.to_string()).collect();
    report.warnings = after
        .diagnostics
        .into_iter()
        .filter(|d| !d.is_error() && !known.contains(&d.to_string()))
        .collect();
    report.files_written = writes.iter().map(|(p, _, _)| p.clone()).collect();
    if opts.dry_run {
        return Ok(report);
    }
    let log = Path::new(CHANGES_LOG).to_path_buf();
    let log_abs = root.join(&log);
    let old_log = match std::fs::read(&log_abs) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", log_abs.display())),
    };
    let log_bytes = change_log(old_log, kind, &report, opts);
    let mut txn = Transaction::new(root);
    for (path, bytes, _) in &writes {
        txn.stage(path, bytes)?;
    }
    txn.stage(&log, &log_bytes)?;
    txn.commit()?;
    report.files_written.push(log);
    Ok(report)
}

/// The merged ledger would fail `check`: say so, locating each error at the
/// input row that brought it when it is one of the new rows.
fn recheck_failure(
    after: &Ledger,
    writes: &[(PathBuf, Vec<u8>, Vec<AddedRow>)],
    inputs: &[Input],
    report: ImportReport,
) -> ImportFailed {
    // Ledger line of each new row -> where it came from.
    let mut origin: HashMap<(PathBuf, u64), Location> = HashMap::new();
    for (path, bytes, rows) in writes {
        let (t, _) = table::read(path, bytes, None, &[]);
        let Some(t) = t else { continue };
        let first_new = t.rows.len().saturating_sub(rows.len());
        for (r, added) in t.rows[first_new..].iter().zip(rows) {
            origin.insert((path.clone(), r.line), added.from.clone());
        }
    }
    let mut problems: Vec<Problem> = vec![Problem::from(Diagnostic::error(
        Location::file("ledger"),
        "the rows are valid one by one, but the ledger would not pass `hindsight check` with them:",
    ))];
    let mut rejected = report.rejected;
    for d in after.diagnostics.iter().filter(|d| d.is_error()) {
        let key = (d.location.file.to_path_buf(), d.location.line);
        match origin.get(&key) {
            Some(from) => {
                let input = inputs.iter().find(|i| *i.path == *from.file);
                let field = d.location.field.clone().unwrap_or_default();
                let mut loc = from.clone();
                loc.field = d.location.field.clone();
                let p = Problem::new(
                    Diagnostic::error(
                        loc,
                        format!(
                            "{} (in the ledger it would be {}:{})",
                            d.message,
                            d.location.file.display(),
                            d.location.line
                        ),
                    ),
                    input.and_then(|i| i.col(&field)).map(|c| c + 1),
                );
                if let Some(input) = input
                    && let Some(row) = input.rows.iter().find(|r| r.line == from.line)
                {
                    rejected.push(input.reject(row, std::slice::from_ref(&p)));
                }
                problems.push(p);
            }
            None => problems.push(Problem::from(d.clone())),
        }
    }
    ImportFailed {
        unusable: false,
        problems,
        rejected,
        notes: report.notes,
    }
}

fn check_batch_name(batch: &str, kind: ImportKind) -> Result<String, String> {
    let slug = slugify(batch);
    if slug.is_empty() {
        return Err(format!(
            "{} cannot name a batch file: use --batch NAME",
            show(batch)
        ));
    }
    if kind == ImportKind::Forecasts && slug == "questions" {
        return Err("a forecast batch cannot be called 'questions': use --batch NAME".into());
    }
    Ok(slug)
}

/// Check a `--rejects` path before importing: it must not be one of the
/// inputs, nor a `.csv` inside the ledger's `forecasts/` or `outcomes/`
/// (where it would be read as ledger data).
pub fn check_rejects_path(root: &Path, rejects: &Path, inputs: &[PathBuf]) -> Result<(), String> {
    let canon = |p: &Path| -> PathBuf {
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = parent
            .canonicalize()
            .unwrap_or_else(|_| parent.to_path_buf());
        match p.file_name() {
            Some(n) => dir.join(n),
            None => dir,
        }
    };
    let r = canon(rejects);
    if inputs.iter().any(|i| canon(i) == r) {
        return Err(format!(
            "--rejects {}: that is an input file; name another file",
            rejects.display()
        ));
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    for d in ["forecasts", "outcomes"] {
        if r.parent() == Some(root.join(d).as_path()) {
            return Err(format!(
                "--rejects {}: inside the ledger's {}/ folder it would be read as ledger data; put it elsewhere",
                rejects.display(),
                d
            ));
        }
    }
    if r.is_dir() {
        return Err(format!("--rejects {}: is a folder", rejects.display()));
    }
    Ok(())
}

/// A rejects file: a `reason` column first (every problem of the row,
/// located), then the row's original cells, with the inputs' delimiter when
/// they share one (else a comma). When every rejected row comes
/// from inputs with one header, that header is kept; otherwise the columns
/// are the canonical names. Every text cell is neutralized for spreadsheets
/// (a leading `'` before `=`, `+`, `-`, `@`, tab, CR); plain numbers are kept.
/// Importing the fixed file again restores such cells and ignores `reason`.
pub fn rejects_csv(rows: &[RejectedRow]) -> Vec<u8> {
    let same_header = rows.windows(2).all(|w| w[0].header == w[1].header);
    // The inputs' delimiter when they share one: a semicolon file's decimal
    // commas stay valid when the fixed rows are imported again.
    let delimiter = match rows.first() {
        Some(r) if rows.iter().all(|x| x.delimiter == r.delimiter) => r.delimiter,
        _ => b',',
    };
    let mut out = Vec::new();
    {
        // Flexible: a rejected row may have more or fewer cells than its
        // header, and keeps them all. Writing to memory cannot fail otherwise.
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(&mut out);
        if same_header {
            let header: Vec<String> = std::iter::once(REASON_COLUMN.to_string())
                .chain(rows.first().map(|r| r.header.clone()).unwrap_or_default())
                .map(|h| cell(&h))
                .collect();
            let _ = w.write_record(&header);
            for r in rows {
                let rec: Vec<String> = std::iter::once(r.reasons.join("; "))
                    .chain(r.fields.iter().cloned())
                    .map(|c| cell(&c))
                    .collect();
                let _ = w.write_record(&rec);
            }
        } else {
            let mut cols: Vec<&str> = Vec::new();
            for r in rows {
                for c in r.columns.iter().flatten() {
                    if !cols.contains(c) {
                        cols.push(c);
                    }
                }
            }
            let header: Vec<String> = std::iter::once(REASON_COLUMN)
                .chain(cols.iter().copied())
                .map(|h| h.to_string())
                .collect();
            let _ = w.write_record(&header);
            for r in rows {
                let mut rec = vec![cell(&r.reasons.join("; "))];
                for c in &cols {
                    let v = r
                        .columns
                        .iter()
                        .position(|x| x == &Some(*c))
                        .and_then(|i| r.fields.get(i))
                        .map(|s| s.as_str())
                        .unwrap_or("");
                    rec.push(cell(v));
                }
                let _ = w.write_record(&rec);
            }
        }
        let _ = w.flush();
    }
    out
}

/// Forecasts in the ledger's own batch form (every column of a batch file,
/// values as the ledger holds them, the probability as it was stated): the
/// export that imports back to the same forecasts, ids included.
pub fn export_forecasts(forecasts: &[crate::model::Forecast]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = writer(&mut out);
        w.write_record(FORECAST_COLUMNS)?;
        for f in forecasts {
            let made = f.made_on.to_string();
            let prob = stated_prob(&f.stated);
            let dir = match f.direction {
                Direction::No => "no",
                Direction::Yes => "",
            };
            w.write_record([
                &*f.id,
                &f.question_id,
                &f.forecaster,
                &made,
                &prob,
                &f.verbal,
                dir,
                &f.option,
                &f.quote,
                &f.source,
                &f.recorded_by,
            ])?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// A cell for a CSV that people open in spreadsheets: numbers as they are,
/// text neutralized.
fn cell(s: &str) -> String {
    let t = s.trim();
    let number = !t.is_empty()
        && t.trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && t.parse::<f64>().is_ok();
    if number { s.to_string() } else { safe_cell(s) }
}

/// A stable forecast id derived from the forecast's content.
///
/// ```
/// use hindsight::ledger::import::derive_forecast_id;
/// let a = derive_forecast_id("q1", "Ann", "2019-03-15", "0.7", "", "yes", "");
/// assert_eq!(a, derive_forecast_id("q1", "Ann", "2019-03-15", "0.7", "", "yes", ""));
/// assert_ne!(a, derive_forecast_id("q1", "Ann", "2019-03-15", "0.8", "", "yes", ""));
/// // One row per option of a categorical question: different forecasts.
/// assert_ne!(
///     derive_forecast_id("q2", "Ann", "2019-03-15", "0.5", "", "yes", "red"),
///     derive_forecast_id("q2", "Ann", "2019-03-15", "0.5", "", "yes", "blue")
/// );
/// assert!(a.starts_with("f-") && a.len() == 14);
/// ```
pub fn derive_forecast_id(
    question_id: &str,
    forecaster: &str,
    made_on: &str,
    probability: &str,
    verbal: &str,
    direction: &str,
    option: &str,
) -> String {
    let key = content_key(
        question_id,
        forecaster,
        made_on,
        probability,
        verbal,
        direction,
        option,
    );
    let digest = Sha256::digest(key.as_bytes());
    format!("f-{}", &hex(&digest)[..12])
}

fn content_key(
    question_id: &str,
    forecaster: &str,
    made_on: &str,
    probability: &str,
    verbal: &str,
    direction: &str,
    option: &str,
) -> String {
    let dir = if direction.trim().eq_ignore_ascii_case("no") {
        "no"
    } else {
        "yes"
    };
    let prob = probability
        .trim()
        .parse::<f64>()
        .map(|p| format!("{}", p))
        .unwrap_or_default();
    [
        question_id.trim(),
        forecaster.trim(),
        made_on.trim(),
        &prob,
        &normalize_phrase(verbal),
        dir,
    ]
    .join("\u{1f}")
        // The option only when there is one, so binary forecasts keep their ids.
        + &if option.trim().is_empty() { String::new() } else { format!("\u{1f}{}", option.trim()) }
}

/// The new bytes of a ledger file with `rows` added: appended in the file's own
/// column order when it has every column needed, otherwise rewritten with the
/// missing columns added at the end. Existing rows keep their values.
fn compose(
    existing: Option<Vec<u8>>,
    rel: &Path,
    canonical: &[&str],
    rows: &[AddedRow],
) -> Result<Vec<u8>> {
    let mut header: Vec<String> = canonical.iter().map(|s| s.to_string()).collect();
    let mut old: Option<(Vec<u8>, Table)> = None;
    if let Some(bytes) = existing {
        let (t, _) = table::read(rel, &bytes, None, &[]);
        if let Some(t) = t {
            header = t.headers.clone();
            old = Some((bytes, t));
        }
    }
    let needed: Vec<&str> = canonical
        .iter()
        .copied()
        .filter(|c| rows.iter().any(|r| !r.get(c).is_empty()))
        .collect();
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    let mut out = Vec::new();
    match &old {
        Some((bytes, _)) if missing.is_empty() => {
            out.extend_from_slice(bytes);
            if !out.is_empty() && !out.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
        _ => {
            for m in &missing {
                if old.is_some() {
                    header.push(m.to_string());
                }
            }
            let mut w = writer(&mut out);
            w.write_record(&header)?;
            if let Some((_, t)) = &old {
                for r in &t.rows {
                    let rec: Vec<&str> = header
                        .iter()
                        .map(|h| {
                            t.col(h)
                                .and_then(|i| r.fields.get(i))
                                .map(|s| s.as_str())
                                .unwrap_or("")
                        })
                        .collect();
                    w.write_record(&rec)?;
                }
            }
            w.flush()?;
        }
    }
    {
        let mut w = writer(&mut out);
        for r in rows {
            let rec: Vec<&str> = header.iter().map(|h| r.get(h)).collect();
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// The change log with this import's entry appended: time, user, every input
/// with its SHA-256 and how it was read, rows added, skipped and rejected,
/// files written.
fn change_log(
    existing: Option<Vec<u8>>,
    kind: ImportKind,
    report: &ImportReport,
    opts: &ImportOptions,
) -> Vec<u8> {
    let mut bytes = existing.unwrap_or_default();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let user = opts
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let entry = serde_json::json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "user": user,
        "kind": kind.name(),
        "inputs": report.inputs.iter().map(|i| serde_json::json!({
            "file": i.file.display().to_string(),
            "sha256": i.sha256,
            "encoding": i.encoding,
            "delimiter": i.delimiter.to_string(),
            "rows": i.rows,
        })).collect::<Vec<_>>(),
        "rows_added": report.added.len(),
        "questions_added": report.new_questions.len(),
        "rows_skipped": report.skipped,
        "rows_rejected": report.rejected.len(),
        "files": report.files_written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    });
    bytes.extend_from_slice(entry.to_string().as_bytes());
    bytes.push(b'\n');
    bytes
}

fn writer(out: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

/// Import state: what the ledger has and what this import adds so far.
struct State<'a> {
    ledger: &'a Ledger,
    /// forecast id -> content key (ledger and accepted rows)
    forecast_ids: HashMap<String, (String, String)>,
    /// content key -> id
    forecast_keys: HashMap<String, String>,
    /// question id -> (title, closes_on, where)
    questions: HashMap<String, (String, NaiveDate, String)>,
    /// question id -> kind (ledger and accepted rows)
    kinds: HashMap<String, Kind>,
    /// question id -> (outcome, resolved_on, where)
    outcomes: HashMap<String, (OutcomeValue, NaiveDate, String)>,
    added: Vec<AddedRow>,
    new_questions: Vec<AddedRow>,
    skipped: usize,
}

fn stated_prob(s: &Stated) -> String {
    match s {
        Stated::Number(p) => format!("{}", p),
        Stated::Phrase { .. } => String::new(),
    }
}

fn here(loc: &Location) -> String {
    format!("{}:{}", loc.file.display(), loc.line)
}

impl<'a> State<'a> {
    fn new(ledger: &'a Ledger) -> Self {
        let mut s = State {
            ledger,
            forecast_ids: HashMap::new(),
            forecast_keys: HashMap::new(),
            questions: HashMap::new(),
            kinds: HashMap::new(),
            outcomes: HashMap::new(),
            added: Vec::new(),
            new_questions: Vec::new(),
            skipped: 0,
        };
        for f in &ledger.forecasts {
            let key = content_key(
                &f.question_id,
                &f.forecaster,
                &f.made_on.to_string(),
                &stated_prob(&f.stated),
                &f.verbal,
                f.direction.as_str(),
                &f.option,
            );
            s.forecast_ids
                .insert(f.id.to_string(), (key.clone(), here(&f.location)));
            s.forecast_keys.insert(key, f.id.to_string());
        }
        for q in &ledger.questions {
            s.kinds.insert(q.id.clone(), q.kind);
            s.questions.insert(
                q.id.clone(),
                (q.title.clone(), q.closes_on, here(&q.location)),
            );
        }
        for o in &ledger.outcomes {
            s.outcomes.insert(
                o.question_id.clone(),
                (o.value, o.resolved_on, here(&o.location)),
            );
        }
        s
    }

    /// Check one forecast row and, when it is good, add it (or count it as
    /// already there). Returns the row's problems.
    fn forecast_row(
        &mut self,
        t: &Input,
        row: &RawRecord,
        target: &Path,
        opts: &ImportOptions,
    ) -> Vec<Problem> {
        let mut diags: Vec<Problem> = Vec::new();
        let diags = &mut diags;
        let file = &t.path;
        {
            let loc = Location::new(file, row.line);
            let before = diags.len();
            let mut err = |field: &str, msg: String| diags.push(t.problem(row, field, msg));
            let title = t.get(row, "title");
            let closes_raw = t.get(row, "closes_on");
            let flat = !title.is_empty() || !closes_raw.is_empty();
            let mut qid = t.get(row, "question_id").to_lowercase();
            if qid.is_empty() && !title.is_empty() {
                qid = slugify(title);
            }
            if qid.is_empty() {
                err(
                    "question_id",
                    "is empty (required; or give title and closes_on to create the question)"
                        .into(),
                );
            } else if let Err(e) = check_question_id(&qid) {
                err("question_id", e);
            }
            let forecaster = t.get(row, "forecaster");
            if forecaster.is_empty() {
                err("forecaster", "is empty (required)".into());
            }
            let made_on = match t.get(row, "made_on") {
                "" => {
                    err("made_on", "is empty (required)".into());
                    None
                }
                v => parse_date(v, opts.date_order)
                    .map_err(|e| err("made_on", e))
                    .ok(),
            };
            let prob_raw = t.get(row, "probability");
            let verbal = t.get(row, "verbal");
            let probability = if prob_raw.is_empty() {
                String::new()
            } else {
                match parse_probability_input(prob_raw, t.decimal_comma) {
                    Ok(p) => format!("{}", p.get()),
                    Err(e) => {
                        let hint = if self.ledger.lexicon.lookup(prob_raw).is_some() {
                            " (it is an estimative phrase: put phrases in a verbal column)"
                        } else {
                            ""
                        };
                        err("probability", e + hint);
                        String::new()
                    }
                }
            };
            let direction = match Direction::parse(t.get(row, "direction")) {
                Ok(d) => Some(d),
                Err(e) => {
                    err("direction", e);
                    None
                }
            };
            if prob_raw.is_empty() && verbal.is_empty() {
                err(
                    "probability",
                    "is empty and so is verbal: give a probability or an estimative phrase".into(),
                );
            } else if prob_raw.is_empty() && self.ledger.lexicon.lookup(verbal).is_none() {
                let near = self.ledger.lexicon.suggest(verbal, 3);
                err(
                    "verbal",
                    format!(
                        "unknown phrase {}; nearest known: {} (add it to hindsight.toml [lexicon] to map it)",
                        show(verbal),
                        near.iter()
                            .map(|s| format!("'{}'", s))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            // The question: existing, or created from the flat form.
            let mut new_question: Option<AddedRow> = None;
            if !qid.is_empty() && check_question_id(&qid).is_ok() {
                let closes_on = if closes_raw.is_empty() {
                    None
                } else {
                    parse_date(closes_raw, opts.date_order)
                        .map_err(|e| err("closes_on", e))
                        .ok()
                };
                let kind_given = t.get(row, "kind");
                match self.questions.get(&qid) {
                    Some((etitle, eclose, at)) => {
                        if let (false, Some(k)) = (kind_given.is_empty(), self.kinds.get(&qid))
                            && Kind::parse(kind_given).ok() != Some(*k)
                        {
                            err(
                                "kind",
                                format!(
                                    "{} differs from question {}'s kind {} ({})",
                                    show(kind_given),
                                    show(&qid),
                                    k.as_str(),
                                    at
                                ),
                            );
                        }
                        if !title.is_empty() && title != etitle {
                            err(
                                "title",
                                format!(
                                    "{} differs from question {}'s title {} ({})",
                                    show(title),
                                    show(&qid),
                                    show(etitle),
                                    at
                                ),
                            );
                        }
                        if let Some(c) = closes_on
                            && c != *eclose
                        {
                            err(
                                "closes_on",
                                format!(
                                    "{} differs from question {}'s closes_on {} ({})",
                                    c,
                                    show(&qid),
                                    eclose,
                                    at
                                ),
                            );
                        }
                    }
                    None if flat => {
                        if title.is_empty() {
                            err(
                                "title",
                                "is empty: needed to create question ".to_string() + &show(&qid),
                            );
                        }
                        if closes_raw.is_empty() {
                            err(
                                "closes_on",
                                "is empty: needed to create question ".to_string() + &show(&qid),
                            );
                        }
                        let kind = match t.get(row, "kind") {
                            "" => Some(Kind::Binary),
                            k => Kind::parse(k).map_err(|e| err("kind", e)).ok(),
                        };
                        let opens_on = match t.get(row, "opens_on") {
                            "" => None,
                            v => parse_date(v, opts.date_order)
                                .map_err(|e| err("opens_on", e))
                                .ok(),
                        };
                        if let (Some(o), Some(c)) = (opens_on, closes_on)
                            && c < o
                        {
                            err("closes_on", format!("{} is before opens_on {}", c, o));
                        }
                        if let (Some(kind), Some(c), false) = (kind, closes_on, title.is_empty()) {
                            new_question = Some(AddedRow {
                                file: PathBuf::from(QUESTIONS_FILE),
                                values: vec![
                                    ("question_id".into(), qid.clone()),
                                    ("title".into(), title.to_string()),
                                    ("kind".into(), kind.as_str().into()),
                                    ("options".into(), t.get(row, "options").into()),
                                    (
                                        "opens_on".into(),
                                        opens_on.map(|d| d.to_string()).unwrap_or_default(),
                                    ),
                                    ("closes_on".into(), c.to_string()),
                                    ("criteria".into(), t.get(row, "criteria").into()),
                                    ("tags".into(), t.get(row, "tags").into()),
                                ],
                                from: loc.clone(),
                            });
                        }
                    }
                    None => err(
                        "question_id",
                        format!(
                            "unknown question {} (not in {}; add title and closes_on columns to create it)",
                            show(&qid),
                            QUESTIONS_FILE
                        ),
                    ),
                }
                // The option must fit the question's kind.
                let kind = self.kinds.get(&qid).copied().or_else(|| {
                    new_question
                        .as_ref()
                        .and_then(|q| Kind::parse(q.get("kind")).ok())
                });
                let option = t.get(row, "option");
                match kind {
                    Some(Kind::Binary) if !option.is_empty() => diags.push(t.problem(row, "option",
                        format!("{} given for binary question {}", show(option), show(&qid)),
                    )),
                    Some(k) if k != Kind::Binary => diags.push(t.problem(row, "question_id",
                        format!(
                            "question {} is {}: only binary questions can be imported and scored so far",
                            show(&qid),
                            k.as_str()
                        ),
                    )),
                    _ => {}
                }
            }
            if diags.len() > before {
                return std::mem::take(diags);
            }
            let (Some(made_on), Some(direction)) = (made_on, direction) else {
                return std::mem::take(diags);
            };
            let made = made_on.to_string();
            let dir_str = match (direction, t.get(row, "direction")) {
                (Direction::Yes, "") => "",
                (d, _) => d.as_str(),
            };
            let option = t.get(row, "option");
            let key = content_key(
                &qid,
                forecaster,
                &made,
                &probability,
                verbal,
                dir_str,
                option,
            );
            let given_id = t.get(row, "forecast_id");
            let id = if given_id.is_empty() {
                derive_forecast_id(
                    &qid,
                    forecaster,
                    &made,
                    &probability,
                    verbal,
                    dir_str,
                    option,
                )
            } else {
                given_id.to_string()
            };
            if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                diags.push(t.problem(
                    row,
                    "forecast_id",
                    format!("{} contains white space", show(&id)),
                ));
                return std::mem::take(diags);
            }
            if let Some((existing_key, at)) = self.forecast_ids.get(&id) {
                if *existing_key == key {
                    self.skipped += 1;
                } else {
                    diags.push(t.problem(row, "forecast_id",
                        format!("{} already exists with different content ({}): a conflict, not an update", show(&id), at),
                    ));
                }
                return std::mem::take(diags);
            }
            if let Some(existing) = self.forecast_keys.get(&key) {
                if given_id.is_empty() {
                    self.skipped += 1;
                } else {
                    let at = self
                        .forecast_ids
                        .get(existing)
                        .map(|x| x.1.clone())
                        .unwrap_or_default();
                    diags.push(t.problem(row, "forecast_id",
                        format!(
                            "{}: the same forecast is already in the ledger as {} ({}); a second copy would be scored twice",
                            show(&id),
                            show(existing),
                            at
                        ),
                    ));
                }
                return std::mem::take(diags);
            }
            if let Some(q) = new_question {
                if let Ok(k) = Kind::parse(q.get("kind")) {
                    self.kinds.insert(qid.clone(), k);
                }
                self.questions.insert(
                    qid.clone(),
                    (
                        title.to_string(),
                        q.get("closes_on").parse().unwrap_or(made_on),
                        here(&loc),
                    ),
                );
                self.new_questions.push(q);
            }
            self.forecast_ids
                .insert(id.clone(), (key.clone(), here(&loc)));
            self.forecast_keys.insert(key, id.clone());
            let recorded_by = match t.get(row, "recorded_by") {
                "" => opts.by.clone().unwrap_or_default(),
                v => v.to_string(),
            };
            self.added.push(AddedRow {
                file: target.to_path_buf(),
                values: vec![
                    ("forecast_id".into(), id),
                    ("question_id".into(), qid),
                    ("forecaster".into(), forecaster.into()),
                    ("made_on".into(), made),
                    ("probability".into(), probability),
                    ("verbal".into(), verbal.into()),
                    ("direction".into(), dir_str.into()),
                    ("option".into(), t.get(row, "option").into()),
                    ("quote".into(), t.get(row, "quote").into()),
                    ("source".into(), t.get(row, "source").into()),
                    ("recorded_by".into(), recorded_by),
                ],
                from: loc,
            });
        }
        std::mem::take(diags)
    }

    /// Check one outcome row and, when it is good, add it. Returns its problems.
    fn outcome_row(
        &mut self,
        t: &Input,
        row: &RawRecord,
        target: &Path,
        opts: &ImportOptions,
    ) -> Vec<Problem> {
        let mut diags: Vec<Problem> = Vec::new();
        let diags = &mut diags;
        let file = &t.path;
        {
            let loc = Location::new(file, row.line);
            let before = diags.len();
            let mut err = |field: &str, msg: String| diags.push(t.problem(row, field, msg));
            let qid = t.get(row, "question_id").to_lowercase();
            if qid.is_empty() {
                err("question_id", "is empty (required)".into());
            } else if !self.questions.contains_key(&qid) {
                err(
                    "question_id",
                    format!(
                        "unknown question {} (not in {})",
                        show(&qid),
                        QUESTIONS_FILE
                    ),
                );
            }
            let resolved_on = match t.get(row, "resolved_on") {
                "" => {
                    err("resolved_on", "is empty (required)".into());
                    None
                }
                v => parse_date(v, opts.date_order)
                    .map_err(|e| err("resolved_on", e))
                    .ok(),
            };
            let value = match t.get(row, "outcome") {
                "" => {
                    err("outcome", "is empty (required)".into());
                    None
                }
                v => parse_outcome_lenient(v).map_err(|e| err("outcome", e)).ok(),
            };
            if diags.len() > before {
                return std::mem::take(diags);
            }
            let (Some(resolved_on), Some(value)) = (resolved_on, value) else {
                return std::mem::take(diags);
            };
            if let Some((v, d, at)) = self.outcomes.get(&qid) {
                if *v == value && *d == resolved_on {
                    self.skipped += 1;
                } else {
                    diags.push(t.problem(
                        row,
                        "outcome",
                        format!(
                            "question {} is already resolved {} on {} ({}); this row says {} on {}",
                            show(&qid),
                            v.as_str(),
                            d,
                            at,
                            value.as_str(),
                            resolved_on
                        ),
                    ));
                }
                return std::mem::take(diags);
            }
            self.outcomes
                .insert(qid.clone(), (value, resolved_on, here(&loc)));
            self.added.push(AddedRow {
                file: target.to_path_buf(),
                values: vec![
                    ("question_id".into(), qid),
                    ("resolved_on".into(), resolved_on.to_string()),
                    ("outcome".into(), value.as_str().into()),
                    ("source".into(), t.get(row, "source").into()),
                    ("note".into(), t.get(row, "note").into()),
                ],
                from: loc,
            });
        }
        std::mem::take(diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_name_means_one_thing() {
        for kind in [ImportKind::Forecasts, ImportKind::Outcomes] {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for (column, names) in kind.aliases() {
                for n in names.iter().chain(std::iter::once(column)) {
                    let key = header_key(n);
                    if let Some(other) = seen.insert(key.clone(), column) {
                        assert_eq!(other, *column, "{n:?} names {other} and {column}");
                    }
                }
            }
            for (name, _) in kind.ambiguous() {
                assert!(
                    !seen.contains_key(&header_key(name)),
                    "{name} is both an alias and ambiguous"
                );
            }
        }
        assert_eq!(
            meaning(ImportKind::Forecasts, "P(yes)", &[]),
            Meaning::Column("probability")
        );
        assert_eq!(
            meaning(ImportKind::Forecasts, " Made-On ", &[]),
            Meaning::Column("made_on")
        );
        assert_eq!(
            meaning(ImportKind::Outcomes, "Date", &[]),
            Meaning::Column("resolved_on")
        );
        assert_eq!(
            meaning(ImportKind::Forecasts, "ID", &[]),
            Meaning::Ambiguous(&["forecast_id", "question_id"])
        );
        assert_eq!(
            meaning(ImportKind::Forecasts, "Reason", &[]),
            Meaning::Ignored
        );
        assert_eq!(
            meaning(ImportKind::Forecasts, "mood", &["Mood".into()]),
            Meaning::Ignored
        );
        assert_eq!(
            meaning(ImportKind::Forecasts, "mood", &[]),
            Meaning::Unknown
        );
    }
}
