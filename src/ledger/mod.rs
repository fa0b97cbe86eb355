//! The ledger: a folder of CSV files (questions, forecast batches, outcomes) and
//! an optional `hindsight.toml`.
//!
//! Owns finding the ledger's files, reading them into the checked domain model
//! with every problem reported as a located diagnostic (`load`), and writing
//! them back safely (`write`, `import`). It does not match or score.

pub mod fast;
pub mod import;
pub mod normalize;
pub mod table;
pub mod write;

use rustc_hash::FxBuildHasher;
use rustc_hash::FxHashMap as HashMap;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::error::{Diagnostic, Location, show};
use crate::lexicon::Lexicon;
use crate::model::{
    Direction, Forecast, Kind, Outcome, OutcomeValue, Probability, Question, Stated,
    check_question_id, parse_iso_date, parse_probability,
};
use crate::settings::{self, Settings};

/// What a ledger file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Questions,
    Forecasts,
    Outcomes,
    Settings,
}

/// A ledger file's content, with the path used in messages (relative to the root).
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: FileKind,
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

impl Source {
    pub fn sha256(&self) -> String {
        hex(&Sha256::digest(&self.bytes))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

pub const QUESTIONS_FILE: &str = "forecasts/questions.csv";
pub const SETTINGS_FILE: &str = "hindsight.toml";

/// List the ledger's files under `root`, in a stable order: settings, questions,
/// forecast batches by name, outcome files by name.
pub fn discover(root: &Path) -> Result<Vec<(FileKind, PathBuf)>> {
    let mut out = Vec::new();
    if root.join(SETTINGS_FILE).is_file() {
        out.push((FileKind::Settings, PathBuf::from(SETTINGS_FILE)));
    }
    let forecasts = root.join("forecasts");
    if !forecasts.is_dir() {
        anyhow::bail!(
            "{} is not a ledger: it has no forecasts/ folder (use --root DIR or HINDSIGHT_ROOT)",
            root.display()
        );
    }
    out.push((FileKind::Questions, PathBuf::from(QUESTIONS_FILE)));
    for name in csv_names(&forecasts)? {
        if name != "questions.csv" {
            out.push((FileKind::Forecasts, Path::new("forecasts").join(name)));
        }
    }
    let outcomes = root.join("outcomes");
    if outcomes.is_dir() {
        for name in csv_names(&outcomes)? {
            out.push((FileKind::Outcomes, Path::new("outcomes").join(name)));
        }
    }
    Ok(out)
}

fn csv_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        // `is_file` follows symbolic links, so a linked batch is read too.
        if name.to_ascii_lowercase().ends_with(".csv")
            && !name.starts_with('.')
            && entry.path().is_file()
        {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Read every ledger file under `root` into memory, as one consistent
/// snapshot: under the ledger's shared lock (so no import is half-way through
/// its renames), after rolling forward an import that a crash interrupted
/// (under the exclusive lock).
pub fn read_sources(root: &Path) -> Result<Vec<Source>> {
    with_snapshot(root, read_sources_unlocked)
}

/// Run `read` on a consistent snapshot of the ledger: under the shared lock
/// (so no import is half-way through its renames), after rolling forward an
/// import that a crash interrupted (under the exclusive lock).
pub fn with_snapshot<T>(root: &Path, read: impl Fn(&Path) -> Result<T>) -> Result<T> {
    if !root.join("forecasts").is_dir() {
        return read(root);
    }
    let recover = || -> Result<T> {
        let _lock = write::LedgerLock::acquire(root, write::READ_WAIT)?;
        write::recover(root)?;
        read(root)
    };
    if write::needs_recovery(root) {
        return recover();
    }
    let guard = write::LedgerLock::acquire_shared(root, write::READ_WAIT)?;
    if guard.is_some() && write::needs_recovery(root) {
        drop(guard);
        return recover();
    }
    let out = read(root);
    drop(guard);
    out
}

/// Read every ledger file under `root` into memory; the caller holds the lock.
pub fn read_sources_unlocked(root: &Path) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    for (kind, rel) in discover(root)? {
        let abs = root.join(&rel);
        let bytes = if kind == FileKind::Questions && !abs.exists() {
            anyhow::bail!(
                "{}: missing: a ledger needs forecasts/questions.csv",
                rel.display()
            );
        } else {
            std::fs::read(&abs).with_context(|| format!("reading {}", abs.display()))?
        };
        sources.push(Source {
            kind,
            path: rel,
            bytes,
        });
    }
    Ok(sources)
}

/// A checked ledger: what could be read, plus every problem found.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub settings: Settings,
    pub lexicon: Lexicon,
    pub questions: Vec<Question>,
    pub forecasts: Vec<Forecast>,
    pub outcomes: Vec<Outcome>,
    /// Every input file with its SHA-256, in discovery order.
    pub files: Vec<(PathBuf, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What `hindsight check` counts in a ledger (the rows that entered the
/// model, and the files read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub questions: usize,
    pub forecasts: usize,
    pub outcomes: usize,
    pub files: usize,
}

impl Ledger {
    pub fn counts(&self) -> Counts {
        Counts {
            questions: self.questions.len(),
            forecasts: self.forecasts.len(),
            outcomes: self.outcomes.len(),
            files: self.files.len(),
        }
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn question_index(&self) -> HashMap<&str, usize> {
        self.questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.as_str(), i))
            .collect()
    }
}

/// Read and check the ledger under `root`.
pub fn open(root: &Path) -> Result<Ledger> {
    Ok(load(&read_sources(root)?))
}

/// Check ledger sources and build the domain model. Rows with errors are left
/// out of the model; every problem is in `diagnostics`, sorted by file and line.
pub fn load(sources: &[Source]) -> Ledger {
    let mut ledger = Ledger {
        lexicon: Lexicon::builtin(),
        ..Ledger::default()
    };
    let mut diags = Vec::new();
    for s in sources {
        ledger.files.push((s.path.clone(), s.sha256()));
    }
    if let Some(s) = sources.iter().find(|s| s.kind == FileKind::Settings) {
        match std::str::from_utf8(table::strip_bom(&s.bytes)) {
            Ok(text) => {
                let (settings, lexicon, d) = settings::parse(text, &Location::file(&s.path));
                ledger.settings = settings;
                ledger.lexicon = lexicon;
                diags.extend(d);
            }
            Err(_) => diags.push(Diagnostic::error(
                Location::file(&s.path),
                "is not valid UTF-8",
            )),
        }
    }
    for s in sources.iter().filter(|s| s.kind == FileKind::Questions) {
        load_questions(s, &mut ledger, &mut diags);
    }
    let qindex: HashMap<String, usize> = ledger
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| (q.id.clone(), i))
        .collect();
    // Question rows that exist but have errors: forecasts on them are not
    // "unknown", the question row needs fixing.
    let invalid_questions = InvalidQuestions {
        sources,
        valid: &qindex,
        rows: std::cell::OnceCell::new(),
    };
    let batches: Vec<&Source> = sources
        .iter()
        .filter(|s| s.kind == FileKind::Forecasts)
        .collect();
    let mut seen_forecasts = SeenIds::default();
    // The question index of each forecast in the model.
    let mut question_of: Vec<usize> = Vec::new();
    for b in 0..batches.len() {
        load_forecasts(
            &batches,
            b,
            &qindex,
            &invalid_questions,
            &mut seen_forecasts,
            &mut question_of,
            &mut ledger,
            &mut diags,
        );
    }
    for s in sources.iter().filter(|s| s.kind == FileKind::Outcomes) {
        load_outcomes(s, &qindex, &invalid_questions, &mut ledger, &mut diags);
    }
    check_conflicting_outcomes(&mut ledger, &mut diags);
    check_timing(&ledger, &qindex, &question_of, &mut diags);
    diags.sort_by(|a, b| {
        (&a.location.file, a.location.line)
            .cmp(&(&b.location.file, b.location.line))
            .then(a.severity.cmp(&b.severity))
    });
    ledger.diagnostics = diags;
    ledger
}

fn required<'a>(
    t: &table::Table,
    row: &'a table::Row,
    name: &str,
    loc: &Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'a str> {
    let v = t.get(row, name);
    if v.is_empty() {
        diags.push(Diagnostic::error(
            loc.with_field(name),
            "is empty (required)",
        ));
        None
    } else {
        Some(v)
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split('|')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn load_questions(s: &Source, ledger: &mut Ledger, diags: &mut Vec<Diagnostic>) {
    let (t, d) = table::read(&s.path, &s.bytes, Some(table::QUESTIONS), &[]);
    diags.extend(d);
    let Some(t) = t else { return };
    let mut seen: HashMap<&str, u64> = HashMap::default();
    seen.reserve(t.rows.len());
    let file: std::sync::Arc<Path> = s.path.as_path().into();
    for row in &t.rows {
        let loc = Location::shared(file.clone(), row.line);
        let before = diags.len();
        let id = required(&t, row, "question_id", &loc, diags);
        if let Some(id) = id {
            if let Err(e) = check_question_id(id) {
                diags.push(Diagnostic::error(loc.with_field("question_id"), e));
            } else if let Some(first) = seen.get(id) {
                diags.push(Diagnostic::error(
                    loc.with_field("question_id"),
                    format!(
                        "duplicate id {} (first defined on line {})",
                        show(id),
                        first
                    ),
                ));
            } else {
                seen.insert(id, row.line);
            }
        }
        let title = required(&t, row, "title", &loc, diags);
        let kind = required(&t, row, "kind", &loc, diags).and_then(|k| {
            Kind::parse(k)
                .map_err(|e| diags.push(Diagnostic::error(loc.with_field("kind"), e)))
                .ok()
        });
        let closes_on = required(&t, row, "closes_on", &loc, diags).and_then(|v| {
            parse_iso_date(v)
                .map_err(|e| diags.push(Diagnostic::error(loc.with_field("closes_on"), e)))
                .ok()
        });
        let opens_raw = t.get(row, "opens_on");
        let opens_on = if opens_raw.is_empty() {
            None
        } else {
            match parse_iso_date(opens_raw) {
                Ok(d) => Some(d),
                Err(e) => {
                    diags.push(Diagnostic::error(loc.with_field("opens_on"), e));
                    None
                }
            }
        };
        if let (Some(o), Some(c)) = (opens_on, closes_on)
            && c < o
        {
            diags.push(Diagnostic::error(
                loc.with_field("closes_on"),
                format!("{} is before opens_on {}", c, o),
            ));
        }
        let options = split_list(t.get(row, "options"));
        if let Some(k) = kind
            && matches!(k, Kind::Categorical | Kind::Ordinal)
            && options.len() < 2
        {
            diags.push(Diagnostic::error(
                loc.with_field("options"),
                format!(
                    "a {} question needs at least two |-separated options",
                    k.as_str()
                ),
            ));
        }
        if diags.len() > before {
            continue;
        }
        if let (Some(id), Some(title), Some(kind), Some(closes_on)) = (id, title, kind, closes_on) {
            ledger.questions.push(Question {
                id: id.to_string(),
                title: title.to_string(),
                kind,
                options,
                opens_on,
                closes_on,
                criteria: t.get(row, "criteria").to_string(),
                tags: split_list(t.get(row, "tags")),
                location: loc,
            });
        }
    }
}

/// Resolve a forecast's stated probability: a number, or a phrase through the
/// lexicon, then `direction`. Errors name the field and value.
pub fn resolve_probability(
    probability: &str,
    verbal: &str,
    direction: Direction,
    lexicon: &Lexicon,
) -> Result<(Probability, Stated), (&'static str, String)> {
    let (p, stated) = if !probability.is_empty() {
        let p = parse_probability(probability).map_err(|e| ("probability", e))?;
        (p, Stated::Number(p.get()))
    } else if !verbal.is_empty() {
        match lexicon.lookup(verbal) {
            Some(e) => {
                let p = Probability::new(e.point).map_err(|e| ("verbal", e))?;
                (
                    p,
                    Stated::Phrase {
                        phrase: verbal.into(),
                        point: e.point,
                    },
                )
            }
            None => {
                let near = lexicon.suggest(verbal, 3);
                return Err((
                    "verbal",
                    format!(
                        "unknown phrase {}; nearest known: {} (add it to hindsight.toml [lexicon] to map it)",
                        show(verbal),
                        near.iter()
                            .map(|s| format!("'{}'", s))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    } else {
        return Err((
            "probability",
            "is empty and so is verbal: give a probability or an estimative phrase".to_string(),
        ));
    };
    let p = match direction {
        Direction::Yes => p,
        Direction::No => p.complement(),
    };
    Ok((p, stated))
}

/// Forecast ids seen so far, for the duplicate check, without a copy of
/// each id: a map from the id's hash to its first use, a forecast in the
/// model (whose id is read back to tell a repeat from another id with the
/// same hash) or a row left out of the model (kept here with its id).
#[derive(Default)]
struct SeenIds {
    /// Hash of the id -> its first use: a forecast's index, or [`LEFT_OUT`]
    /// and an index into `left_out`.
    by_hash: HashMap<u64, u64>,
    /// First uses whose row did not enter the model: id, batch and line.
    left_out: Vec<(Box<str>, usize, u64)>,
    /// Ids whose hash an earlier, different id already has (rare).
    collided: HashMap<Box<str>, u64>,
}

/// Where an id was first used.
enum Use {
    /// The forecast with this index in the model.
    Forecast(usize),
    /// A row (batch, line) that did not enter the model.
    LeftOut(usize, u64),
}

/// The hash [`SeenIds`] keys an id by.
fn id_hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

/// Marks a [`SeenIds::left_out`] index in a code.
const LEFT_OUT: u64 = 1 << 63;

impl SeenIds {
    /// The file and line where `id` (with hash `h`) was first used, if it was.
    fn first_use<'a>(
        &'a self,
        id: &str,
        h: u64,
        forecasts: &'a [Forecast],
        batches: &'a [&Source],
    ) -> Option<(&'a Path, u64)> {
        let at = |code: u64| -> (&'a str, &'a Path, u64) {
            if code & LEFT_OUT != 0 {
                let (id, b, line) = &self.left_out[(code & !LEFT_OUT) as usize];
                (id, &batches[*b].path, *line)
            } else {
                let f = &forecasts[code as usize];
                (&f.id, &f.location.file, f.location.line)
            }
        };
        let (first, path, line) = at(*self.by_hash.get(&h)?);
        if first == id {
            return Some((path, line));
        }
        self.collided.get(id).map(|&code| {
            let (_, path, line) = at(code);
            (path, line)
        })
    }

    /// Record the first use of `id` (with hash `h`; not seen before).
    fn record(&mut self, id: &str, h: u64, at: Use) {
        let code = match at {
            Use::Forecast(i) => i as u64,
            Use::LeftOut(b, line) => {
                self.left_out.push((id.into(), b, line));
                LEFT_OUT | (self.left_out.len() - 1) as u64
            }
        };
        match self.by_hash.entry(h) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(code);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(id.into(), code);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn load_forecasts(
    batches: &[&Source],
    b: usize,
    qindex: &HashMap<String, usize>,
    invalid: &InvalidQuestions,
    seen: &mut SeenIds,
    question_of: &mut Vec<usize>,
    ledger: &mut Ledger,
    diags: &mut Vec<Diagnostic>,
) {
    let s = batches[b];
    // Rows are handed over one by one as they are read and their cells
    // moved into the forecasts: the file is never held as cells beside the
    // model. Room for a forecast a line.
    let lines = memchr::memchr_iter(b'\n', &s.bytes).count() + 1;
    seen.by_hash.reserve(lines);
    ledger.forecasts.reserve(lines);
    let file: std::sync::Arc<Path> = s.path.as_path().into();
    let header = |t: &table::Table, diags: &mut Vec<Diagnostic>| {
        let ok = t.col("probability").is_some() || t.col("verbal").is_some();
        if !ok {
            diags.push(Diagnostic::error(
                Location::new(&s.path, 1),
                "missing column: a forecast batch needs probability or verbal (or both)",
            ));
        }
        ok
    };
    let each = |t: &table::Table, mut row: table::Row, diags: &mut Vec<Diagnostic>| {
        let loc = Location::shared(file.clone(), row.line);
        let before = diags.len();
        let id = required(t, &row, "forecast_id", &loc, diags);
        // The id and its hash, when this row is the id's first use.
        let mut first: Option<(&str, u64)> = None;
        if let Some(id) = id {
            let h = id_hash(id);
            if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                diags.push(Diagnostic::error(
                    loc.with_field("forecast_id"),
                    format!("{} contains white space", show(id)),
                ));
            } else if let Some((path, line)) = seen.first_use(id, h, &ledger.forecasts, batches) {
                diags.push(Diagnostic::error(
                    loc.with_field("forecast_id"),
                    format!(
                        "duplicate id {} (first used at {}{})",
                        show(id),
                        path.display(),
                        if line > 0 {
                            format!(":{}", line)
                        } else {
                            String::new()
                        }
                    ),
                ));
            } else {
                first = Some((id, h));
            }
        }
        // A first use is recorded once the row's fate is known: the forecast
        // it became, or the row left out.
        let left_out = |seen: &mut SeenIds| {
            if let Some((id, h)) = first {
                seen.record(id, h, Use::LeftOut(b, row.line));
            }
        };
        let qid = required(t, &row, "question_id", &loc, diags);
        let question = qid.and_then(|q| match qindex.get(q) {
            Some(&i) => Some(i),
            None => {
                diags.push(unknown_question(q, &loc, invalid));
                None
            }
        });
        let forecaster = required(t, &row, "forecaster", &loc, diags);
        let made_on = required(t, &row, "made_on", &loc, diags).and_then(|v| {
            parse_iso_date(v)
                .map_err(|e| diags.push(Diagnostic::error(loc.with_field("made_on"), e)))
                .ok()
        });
        let direction = match Direction::parse(t.get(&row, "direction")) {
            Ok(d) => Some(d),
            Err(e) => {
                diags.push(Diagnostic::error(loc.with_field("direction"), e));
                None
            }
        };
        let option = t.get(&row, "option");
        if let Some(qi) = question {
            let q = &ledger.questions[qi];
            if q.kind == Kind::Binary && !option.is_empty() {
                diags.push(Diagnostic::error(
                    loc.with_field("option"),
                    format!("{} given for binary question {}", show(option), show(&q.id)),
                ));
            }
        }
        let prob = direction.and_then(|dir| {
            resolve_probability(
                t.get(&row, "probability"),
                t.get(&row, "verbal"),
                dir,
                &ledger.lexicon,
            )
            .map_err(|(field, msg)| diags.push(Diagnostic::error(loc.with_field(field), msg)))
            .ok()
        });
        if diags.len() > before {
            left_out(seen);
            return;
        }
        // Every required value is present when no problem was reported.
        let (true, true, true, Some(made_on), Some(direction), Some((p, stated))) = (
            id.is_some(),
            qid.is_some(),
            forecaster.is_some(),
            made_on,
            direction,
            prob,
        ) else {
            left_out(seen);
            return;
        };
        if let Some((id, h)) = first {
            seen.record(id, h, Use::Forecast(ledger.forecasts.len()));
        }
        let mut take = |name: &str| -> Box<str> {
            match t.col(name).and_then(|i| row.fields.get_mut(i)) {
                Some(cell) => {
                    let v = std::mem::take(cell);
                    if v.trim().len() == v.len() {
                        v.into_boxed_str()
                    } else {
                        v.trim().into()
                    }
                }
                None => Box::default(),
            }
        };
        question_of.push(question.unwrap_or(0));
        ledger.forecasts.push(Forecast {
            id: take("forecast_id"),
            question_id: take("question_id"),
            forecaster: take("forecaster"),
            made_on,
            probability: p,
            stated,
            verbal: take("verbal"),
            direction,
            option: take("option"),
            quote: take("quote"),
            source: take("source"),
            recorded_by: take("recorded_by"),
            location: loc,
        });
    };
    table::read_each(
        &s.path,
        &s.bytes,
        Some(table::FORECASTS),
        &[],
        diags,
        header,
        each,
    );
}

fn load_outcomes(
    s: &Source,
    qindex: &HashMap<String, usize>,
    invalid: &InvalidQuestions,
    ledger: &mut Ledger,
    diags: &mut Vec<Diagnostic>,
) {
    let (t, d) = table::read(&s.path, &s.bytes, Some(table::OUTCOMES), &[]);
    diags.extend(d);
    let Some(t) = t else { return };
    let file: std::sync::Arc<Path> = s.path.as_path().into();
    for row in &t.rows {
        let loc = Location::shared(file.clone(), row.line);
        let before = diags.len();
        let qid = required(&t, row, "question_id", &loc, diags);
        let question = qid.and_then(|q| match qindex.get(q) {
            Some(&i) => Some(i),
            None => {
                diags.push(unknown_question(q, &loc, invalid));
                None
            }
        });
        let resolved_on = required(&t, row, "resolved_on", &loc, diags).and_then(|v| {
            parse_iso_date(v)
                .map_err(|e| diags.push(Diagnostic::error(loc.with_field("resolved_on"), e)))
                .ok()
        });
        let raw = required(&t, row, "outcome", &loc, diags);
        let value = match (raw, question) {
            (Some(v), Some(qi)) => {
                let q = &ledger.questions[qi];
                match q.kind {
                    Kind::Binary => OutcomeValue::parse(v)
                        .map_err(|e| diags.push(Diagnostic::error(loc.with_field("outcome"), e)))
                        .ok(),
                    k => {
                        diags.push(Diagnostic::error(
                            loc.with_field("outcome"),
                            format!(
                                "{}: outcomes of {} questions are not supported yet (question {})",
                                show(v),
                                k.as_str(),
                                show(&q.id)
                            ),
                        ));
                        None
                    }
                }
            }
            _ => None,
        };
        if diags.len() > before {
            continue;
        }
        if let (Some(qid), Some(resolved_on), Some(value)) = (qid, resolved_on, value) {
            ledger.outcomes.push(Outcome {
                question_id: qid.to_string(),
                resolved_on,
                value,
                source: t.get(row, "source").to_string(),
                note: t.get(row, "note").to_string(),
                location: loc,
            });
        }
    }
}

fn unknown_question(q: &str, loc: &Location, invalid: &InvalidQuestions) -> Diagnostic {
    let msg = match invalid.get(q) {
        Some(at) => format!(
            "question {} has errors in its own row ({}:{}); fix that row",
            show(q),
            at.file.display(),
            at.line
        ),
        None => format!("unknown question {} (not in {})", show(q), QUESTIONS_FILE),
    };
    Diagnostic::error(loc.with_field("question_id"), msg)
}

/// Question rows left out of the model because of errors, found only when a
/// forecast or outcome names a question that is not in the model (the
/// questions file is read a second time for that).
struct InvalidQuestions<'a> {
    sources: &'a [Source],
    valid: &'a HashMap<String, usize>,
    rows: std::cell::OnceCell<HashMap<String, Location>>,
}

impl InvalidQuestions<'_> {
    fn get(&self, q: &str) -> Option<&Location> {
        self.rows
            .get_or_init(|| invalid_question_rows(self.sources, self.valid))
            .get(q)
    }
}

/// Ids of question rows that were left out of the model because of errors.
fn invalid_question_rows(
    sources: &[Source],
    valid: &HashMap<String, usize>,
) -> HashMap<String, Location> {
    let mut out = HashMap::default();
    for s in sources.iter().filter(|s| s.kind == FileKind::Questions) {
        let (t, _) = table::read(&s.path, &s.bytes, None, &[]);
        let Some(t) = t else { continue };
        for row in &t.rows {
            let id = t.get(row, "question_id");
            if !id.is_empty() && !valid.contains_key(id) {
                out.entry(id.to_string())
                    .or_insert_with(|| Location::new(&s.path, row.line));
            }
        }
    }
    out
}

/// Two records for one question: the same value is a harmless repeat (the
/// earliest date counts); different values are an error and the question is
/// left unresolved.
fn check_conflicting_outcomes(ledger: &mut Ledger, diags: &mut Vec<Diagnostic>) {
    let mut first: HashMap<&str, usize> = HashMap::default();
    first.reserve(ledger.outcomes.len());
    let mut drop = vec![false; ledger.outcomes.len()];
    let mut conflicted: std::collections::HashSet<String> = Default::default();
    for (i, o) in ledger.outcomes.iter().enumerate() {
        match first.get(o.question_id.as_str()) {
            None => {
                first.insert(&o.question_id, i);
            }
            Some(&j) => {
                let a = &ledger.outcomes[j];
                if a.value != o.value {
                    diags.push(Diagnostic::error(
                        o.location.with_field("outcome"),
                        format!(
                            "two different outcomes for question {}: {} here, {} at {}:{}",
                            show(&o.question_id),
                            o.value.as_str(),
                            a.value.as_str(),
                            a.location.file.display(),
                            a.location.line
                        ),
                    ));
                    conflicted.insert(o.question_id.clone());
                } else if a.resolved_on != o.resolved_on {
                    diags.push(Diagnostic::warning(
                        o.location.with_field("resolved_on"),
                        format!(
                            "question {} already resolved {} on {} at {}:{}; the earlier date is used",
                            show(&o.question_id),
                            a.value.as_str(),
                            a.resolved_on,
                            a.location.file.display(),
                            a.location.line
                        ),
                    ));
                    if o.resolved_on < a.resolved_on {
                        drop[j] = true;
                        first.insert(&o.question_id, i);
                    } else {
                        drop[i] = true;
                    }
                } else {
                    drop[i] = true;
                }
            }
        }
    }
    let mut i = 0;
    ledger.outcomes.retain(|o| {
        let keep = !drop[i] && !conflicted.contains(&o.question_id);
        i += 1;
        keep
    });
}

/// Warnings for forecasts that can never be scored because of their dates.
fn check_timing(
    ledger: &Ledger,
    qindex: &HashMap<String, usize>,
    question_of: &[usize],
    diags: &mut Vec<Diagnostic>,
) {
    let mut outcome_of: Vec<Option<&Outcome>> = vec![None; ledger.questions.len()];
    for o in &ledger.outcomes {
        if let Some(&qi) = qindex.get(&o.question_id) {
            outcome_of[qi] = Some(o);
        }
    }
    for (f, &qi) in ledger.forecasts.iter().zip(question_of) {
        let q = &ledger.questions[qi];
        if f.made_on > q.closes_on {
            diags.push(Diagnostic::warning(
                f.location.with_field("made_on"),
                format!(
                    "{} is after question {} closed on {}: not scored",
                    f.made_on, q.id, q.closes_on
                ),
            ));
        } else if let Some(o) = outcome_of[qi]
            && o.value != OutcomeValue::Void
            && f.made_on >= o.resolved_on
        {
            diags.push(Diagnostic::warning(
                f.location.with_field("made_on"),
                format!(
                    "{} is on or after question {} resolved on {}: not scored",
                    f.made_on, q.id, o.resolved_on
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forecast(id: &str, file: &str, line: u64) -> Forecast {
        Forecast {
            id: id.into(),
            question_id: "q".into(),
            forecaster: "a".into(),
            made_on: chrono::NaiveDate::MIN,
            probability: Probability::new(0.5).unwrap(),
            stated: Stated::Number(0.5),
            verbal: "".into(),
            direction: Direction::Yes,
            option: "".into(),
            quote: "".into(),
            source: "".into(),
            recorded_by: "".into(),
            location: Location::new(file, line),
        }
    }

    /// Ids that share a hash are told apart by their text, whether the first
    /// use became a forecast or was left out; a repeat is found either way.
    #[test]
    fn seen_ids_tell_repeats_from_ids_with_one_hash() {
        let source = |path: &str| Source {
            kind: FileKind::Forecasts,
            path: path.into(),
            bytes: Vec::new(),
        };
        let (a, b) = (source("forecasts/a.csv"), source("forecasts/b.csv"));
        let batches = [&a, &b];
        let forecasts = vec![
            forecast("f1", "forecasts/a.csv", 2),
            forecast("f3", "forecasts/b.csv", 5),
        ];
        let mut seen = SeenIds::default();
        // Every id gets the same hash: all but the first collide.
        const H: u64 = 7;
        assert_eq!(seen.first_use("f1", H, &forecasts, &batches), None);
        seen.record("f1", H, Use::Forecast(0));
        assert_eq!(seen.first_use("f2", H, &forecasts, &batches), None);
        seen.record("f2", H, Use::LeftOut(1, 9));
        assert_eq!(seen.first_use("f3", H, &forecasts, &batches), None);
        seen.record("f3", H, Use::Forecast(1));
        let at = |id: &str| {
            seen.first_use(id, H, &forecasts, &batches)
                .map(|(p, l)| (p.to_path_buf(), l))
        };
        assert_eq!(at("f1"), Some(("forecasts/a.csv".into(), 2)));
        assert_eq!(at("f2"), Some(("forecasts/b.csv".into(), 9)));
        assert_eq!(at("f3"), Some(("forecasts/b.csv".into(), 5)));
        assert_eq!(at("f4"), None);
        // With their real hashes nothing collides.
        let mut seen = SeenIds::default();
        seen.record("f1", id_hash("f1"), Use::Forecast(0));
        assert!(seen.collided.is_empty());
        assert!(
            seen.first_use("f1", id_hash("f1"), &forecasts, &batches)
                .is_some()
        );
        assert!(
            seen.first_use("f2", id_hash("f2"), &forecasts, &batches)
                .is_none()
        );
    }
}
