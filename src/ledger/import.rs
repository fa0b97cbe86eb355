//! Importing research staff's CSV files into the ledger.
//!
//! Owns the import pipeline: read each input leniently (column names in any
//! case and order, spreadsheet dates and percentages), normalize every row to
//! the ledger's strict form, create or check questions given in the flat form,
//! assign content-derived forecast ids, skip rows already in the ledger, refuse
//! conflicting ones, and then write all or nothing under the ledger lock.
//! Every bad row is reported with its input file, line and field.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::normalize::{
    DateOrder, parse_date, parse_outcome_lenient, parse_probability_lenient, slugify,
};
use super::table::{self, Table};
use super::write::{LedgerLock, atomic_write};
use super::{FileKind, Ledger, QUESTIONS_FILE, Source, hex, load, read_sources};
use crate::error::{Diagnostic, Location, Rejected, show};
use crate::lexicon::normalize as normalize_phrase;
use crate::model::{Direction, Kind, OutcomeValue, Stated, check_question_id};

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

/// What is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Forecasts,
    Outcomes,
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
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            dry_run: false,
            by: None,
            date_order: None,
            batch: None,
            wait: Duration::from_secs(10),
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

/// Run an import of `files` into the ledger at `root`.
///
/// Returns `Err` carrying [`Rejected`] when any row is bad (nothing is written),
/// or another error when a file cannot be read or written.
pub fn import(
    root: &Path,
    kind: ImportKind,
    files: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let _lock = if opts.dry_run {
        None
    } else {
        Some(LedgerLock::acquire(root, opts.wait)?)
    };
    let mut sources = read_sources(root)?;
    let ledger = load(&sources);
    if ledger.errors() > 0 {
        let mut d: Vec<Diagnostic> = ledger
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        d.insert(
            0,
            Diagnostic::error(
                Location::file(root.join(QUESTIONS_FILE).parent().unwrap_or(root)),
                "the ledger itself has errors; fix them first (hindsight check) before importing",
            ),
        );
        return Err(Rejected(d).into());
    }
    let mut state = State::new(&ledger);
    let mut diags = Vec::new();
    let mut inputs = Vec::new();
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let batch = match &opts.batch {
            Some(b) => b.clone(),
            None => slugify(
                &file
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default(),
            ),
        };
        let batch = check_batch_name(&batch, kind)
            .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e))?;
        let target = match kind {
            ImportKind::Forecasts => Path::new("forecasts").join(format!("{}.csv", batch)),
            ImportKind::Outcomes => Path::new("outcomes").join(format!("{}.csv", batch)),
        };
        let (t, d) = match kind {
            ImportKind::Forecasts => {
                let spec = table::Spec {
                    required: &["question_id", "forecaster", "made_on"],
                    optional: FORECAST_COLUMNS,
                };
                let extra: Vec<&str> = FLAT_COLUMNS
                    .iter()
                    .chain(DRAFT_REVIEW_COLUMNS)
                    .copied()
                    .collect();
                table::read(file, &bytes, Some(spec), &extra)
            }
            ImportKind::Outcomes => table::read(file, &bytes, Some(table::OUTCOMES), &[]),
        };
        let had_header_errors = d.iter().any(|d| d.location.line == 1 && d.is_error());
        diags.extend(d);
        let Some(t) = t else { continue };
        if had_header_errors {
            continue;
        }
        if kind == ImportKind::Forecasts
            && t.col("probability").is_none()
            && t.col("verbal").is_none()
        {
            diags.push(Diagnostic::error(
                Location::new(file, 1),
                "missing column: forecasts need probability or verbal (or both)",
            ));
            continue;
        }
        match kind {
            ImportKind::Forecasts => state.forecast_rows(file, &t, &target, opts, &mut diags),
            ImportKind::Outcomes => state.outcome_rows(file, &t, &target, opts, &mut diags),
        }
        inputs.push((file.clone(), hex(&Sha256::digest(&bytes))));
    }
    if diags.iter().any(|d| d.is_error()) {
        return Err(Rejected(diags).into());
    }
    let mut report = ImportReport {
        added: state.added,
        new_questions: state.new_questions,
        skipped: state.skipped,
        files_written: Vec::new(),
        dry_run: opts.dry_run,
        warnings: Vec::new(),
    };
    if report.added.is_empty() && report.new_questions.is_empty() {
        return Ok(report);
    }
    // Compose the new contents of every file touched.
    let mut writes: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if !report.new_questions.is_empty() {
        let q = Path::new(QUESTIONS_FILE).to_path_buf();
        writes.push((
            q.clone(),
            compose(root, &q, QUESTION_COLUMNS, &report.new_questions)?,
        ));
    }
    let mut targets: Vec<PathBuf> = report.added.iter().map(|r| r.file.clone()).collect();
    targets.dedup();
    targets.sort();
    targets.dedup();
    let columns = match kind {
        ImportKind::Forecasts => FORECAST_COLUMNS,
        ImportKind::Outcomes => OUTCOME_COLUMNS,
    };
    for target in targets {
        let rows: Vec<AddedRow> = report
            .added
            .iter()
            .filter(|r| r.file == target)
            .cloned()
            .collect();
        writes.push((target.clone(), compose(root, &target, columns, &rows)?));
    }
    // Check the ledger as it would be: nothing is written unless it is clean.
    for (path, bytes) in &writes {
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
        let mut d: Vec<Diagnostic> = vec![Diagnostic::error(
            Location::file(root.join(QUESTIONS_FILE).parent().unwrap_or(root)),
            "the rows are valid one by one, but the ledger would not pass `hindsight check` with them:",
        )];
        d.extend(after.diagnostics.iter().filter(|d| d.is_error()).cloned());
        return Err(Rejected(d).into());
    }
    let known: HashSet<String> = ledger.diagnostics.iter().map(|d| d.to_string()).collect();
    report.warnings = after
        .diagnostics
        .into_iter()
        .filter(|d| !d.is_error() && !known.contains(&d.to_string()))
        .collect();
    if opts.dry_run {
        report.files_written = writes.into_iter().map(|(p, _)| p).collect();
        return Ok(report);
    }
    for (path, bytes) in &writes {
        atomic_write(&root.join(path), bytes)?;
        report.files_written.push(path.clone());
    }
    append_change_log(root, kind, &inputs, &report, opts)?;
    Ok(report)
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

/// The new bytes of a ledger file with `rows` added: appended in the file's own
/// column order when it has every column needed, otherwise rewritten with the
/// missing columns added at the end. Existing rows keep their values.
fn compose(root: &Path, rel: &Path, canonical: &[&str], rows: &[AddedRow]) -> Result<Vec<u8>> {
    let abs = root.join(rel);
    let existing = if abs.exists() {
        Some(std::fs::read(&abs).with_context(|| format!("reading {}", abs.display()))?)
    } else {
        None
    };
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

fn writer(out: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

fn append_change_log(
    root: &Path,
    kind: ImportKind,
    inputs: &[(PathBuf, String)],
    report: &ImportReport,
    opts: &ImportOptions,
) -> Result<()> {
    let path = root.join(CHANGES_LOG);
    let mut bytes = if path.exists() {
        std::fs::read(&path)?
    } else {
        Vec::new()
    };
    let user = opts
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let entry = serde_json::json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "user": user,
        "kind": match kind { ImportKind::Forecasts => "forecasts", ImportKind::Outcomes => "outcomes" },
        "inputs": inputs.iter().map(|(p, h)| serde_json::json!({"file": p.display().to_string(), "sha256": h})).collect::<Vec<_>>(),
        "rows_added": report.added.len(),
        "questions_added": report.new_questions.len(),
        "rows_skipped": report.skipped,
        "files": report.files_written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    });
    bytes.extend_from_slice(entry.to_string().as_bytes());
    bytes.push(b'\n');
    atomic_write(&path, &bytes)
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
                .insert(f.id.clone(), (key.clone(), here(&f.location)));
            s.forecast_keys.insert(key, f.id.clone());
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

    fn forecast_rows(
        &mut self,
        file: &Path,
        t: &Table,
        target: &Path,
        opts: &ImportOptions,
        diags: &mut Vec<Diagnostic>,
    ) {
        for row in &t.rows {
            let loc = Location::new(file, row.line);
            let before = diags.len();
            let mut err = |field: &str, msg: String| {
                diags.push(Diagnostic::error(loc.with_field(field), msg))
            };
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
                match parse_probability_lenient(prob_raw) {
                    Ok(p) => format!("{}", p.get()),
                    Err(e) => {
                        err("probability", e);
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
                    Some(Kind::Binary) if !option.is_empty() => diags.push(Diagnostic::error(
                        loc.with_field("option"),
                        format!("{} given for binary question {}", show(option), show(&qid)),
                    )),
                    Some(k) if k != Kind::Binary => diags.push(Diagnostic::error(
                        loc.with_field("question_id"),
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
                continue;
            }
            let (Some(made_on), Some(direction)) = (made_on, direction) else {
                continue;
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
                diags.push(Diagnostic::error(
                    loc.with_field("forecast_id"),
                    format!("{} contains white space", show(&id)),
                ));
                continue;
            }
            if let Some((existing_key, at)) = self.forecast_ids.get(&id) {
                if *existing_key == key {
                    self.skipped += 1;
                } else {
                    diags.push(Diagnostic::error(
                        loc.with_field("forecast_id"),
                        format!("{} already exists with different content ({}): a conflict, not an update", show(&id), at),
                    ));
                }
                continue;
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
                    diags.push(Diagnostic::error(
                        loc.with_field("forecast_id"),
                        format!(
                            "{}: the same forecast is already in the ledger as {} ({}); a second copy would be scored twice",
                            show(&id),
                            show(existing),
                            at
                        ),
                    ));
                }
                continue;
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
    }

    fn outcome_rows(
        &mut self,
        file: &Path,
        t: &Table,
        target: &Path,
        opts: &ImportOptions,
        diags: &mut Vec<Diagnostic>,
    ) {
        for row in &t.rows {
            let loc = Location::new(file, row.line);
            let before = diags.len();
            let mut err = |field: &str, msg: String| {
                diags.push(Diagnostic::error(loc.with_field(field), msg))
            };
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
                continue;
            }
            let (Some(resolved_on), Some(value)) = (resolved_on, value) else {
                continue;
            };
            if let Some((v, d, at)) = self.outcomes.get(&qid) {
                if *v == value && *d == resolved_on {
                    self.skipped += 1;
                } else {
                    diags.push(Diagnostic::error(
                        loc.with_field("outcome"),
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
                continue;
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
    }
}
