//! Reading one CSV file into header-checked rows that keep their line numbers.
//!
//! Owns the column specs of the ledger files and the generic checks every CSV
//! gets: a UTF-8 BOM is dropped, headers are trimmed and matched without regard
//! to case, missing and unknown columns are named, rows with the wrong number of
//! fields are reported, and blank rows (including `,,,,` rows left by
//! spreadsheets) are skipped. It knows nothing of what the values mean.
//!
//! For imports it also owns the lenient layer beneath the columns: decoding
//! (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252), delimiter
//! sniffing (comma, semicolon, tab, or an Excel `sep=` line), and the size
//! limits that make a huge or hostile file fail with a located message
//! instead of exhausting memory ([`decode`], [`sniff_delimiter`], [`read_raw`]).

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use crate::error::{Diagnostic, Location, show};

/// The columns a kind of ledger file must and may have.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

pub const QUESTIONS: Spec = Spec {
    required: &["question_id", "title", "kind", "closes_on"],
    optional: &["options", "opens_on", "criteria", "tags"],
};

pub const FORECASTS: Spec = Spec {
    required: &["forecast_id", "question_id", "forecaster", "made_on"],
    optional: &[
        "probability",
        "verbal",
        "direction",
        "option",
        "quote",
        "source",
        "recorded_by",
    ],
};

pub const OUTCOMES: Spec = Spec {
    required: &["question_id", "resolved_on", "outcome"],
    optional: &["source", "note"],
};

/// One data row: its 1-based line number and its fields, indexed like the header.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

/// A parsed CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<String>,
    index: HashMap<String, usize>,
    pub rows: Vec<Row>,
}

impl Table {
    /// The column index of a (lower-case) column name.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// A row's value in a column, trimmed; "" when the column is absent.
    pub fn get<'a>(&self, row: &'a Row, name: &str) -> &'a str {
        match self.col(name) {
            Some(i) => row.fields.get(i).map(|s| s.trim()).unwrap_or(""),
            None => "",
        }
    }
}

/// Strip a UTF-8 byte order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Normalize a header name: trimmed, lower case.
pub fn header_key(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// Parse CSV bytes. `spec` is checked when given: missing required columns are
/// errors (and no rows are returned), unknown columns are errors. `extra` lists
/// further columns allowed (e.g. the flat import form's question columns).
pub fn read(
    path: &Path,
    bytes: &[u8],
    spec: Option<Spec>,
    extra: &[&str],
) -> (Option<Table>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut rows = Vec::new();
    let table = read_each(
        path,
        bytes,
        spec,
        extra,
        &mut diags,
        |_, _| true,
        |_, row, _| rows.push(row),
    );
    (table.map(|t| Table { rows, ..t }), diags)
}

/// [`read`] without keeping the rows: `header` sees the table (headers, no
/// rows) first and returns whether it wants the rows; then each row that
/// reads cleanly is handed to `each` as it is read (when wanted: the rows
/// are read and checked either way, so every problem is reported). Problems go to
/// `diags`, the file's and the callers' alike. A file of millions of rows
/// is never held as cells.
pub fn read_each(
    path: &Path,
    bytes: &[u8],
    spec: Option<Spec>,
    extra: &[&str],
    diags: &mut Vec<Diagnostic>,
    header: impl FnOnce(&Table, &mut Vec<Diagnostic>) -> bool,
    mut each: impl FnMut(&Table, Row, &mut Vec<Diagnostic>),
) -> Option<Table> {
    let bytes = strip_bom(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = rdr.byte_records();
    let mut lines = LineCounter::default();
    let header_line;
    let headers: Vec<String> = match records.next() {
        None => {
            diags.push(Diagnostic::error(
                Location::file(path),
                "file is empty: expected a header row",
            ));
            return None;
        }
        Some(Err(e)) => {
            diags.push(csv_error(path, &e));
            return None;
        }
        Some(Ok(rec)) => {
            header_line = rec
                .position()
                .map(|p| lines.line_at(bytes, p.byte() as usize))
                .unwrap_or(1);
            rec.iter()
                .map(|f| header_key(&String::from_utf8_lossy(f)))
                .collect()
        }
    };
    let header_loc = Location::new(path, header_line);
    // Trailing empty header cells (spreadsheet exports) are ignored.
    let mut width = headers.len();
    while width > 0 && headers[width - 1].is_empty() {
        width -= 1;
    }
    let headers: Vec<String> = headers[..width].to_vec();
    let mut index = HashMap::default();
    let mut ok = true;
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            diags.push(Diagnostic::error(
                header_loc.clone(),
                format!("column {} has an empty header", i + 1),
            ));
            ok = false;
        } else if index.insert(h.clone(), i).is_some() {
            diags.push(Diagnostic::error(
                header_loc.clone(),
                format!("column {} appears twice", show(h)),
            ));
            ok = false;
        }
    }
    if let Some(spec) = spec {
        let missing: Vec<&str> = spec
            .required
            .iter()
            .copied()
            .filter(|c| !index.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            diags.push(Diagnostic::error(
                header_loc.clone(),
                format!(
                    "missing required column(s): {} (found: {})",
                    missing.join(", "),
                    headers.join(", ")
                ),
            ));
            ok = false;
        }
        let unknown: Vec<&str> = headers
            .iter()
            .map(|h| h.as_str())
            .filter(|h| {
                !h.is_empty()
                    && !spec.required.contains(h)
                    && !spec.optional.contains(h)
                    && !extra.contains(h)
            })
            .collect();
        if !unknown.is_empty() {
            let mut known: Vec<&str> = spec.required.to_vec();
            known.extend_from_slice(spec.optional);
            known.extend_from_slice(extra);
            diags.push(Diagnostic::error(
                header_loc.clone(),
                format!(
                    "unknown column(s): {} (known: {})",
                    unknown.join(", "),
                    known.join(", ")
                ),
            ));
        }
    }
    if !ok {
        return None;
    }
    let table = Table {
        headers,
        index,
        rows: Vec::new(),
    };
    let wanted = header(&table, diags);
    let headers = &table.headers;
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                diags.push(csv_error(path, &e));
                continue;
            }
        };
        let line = rec
            .position()
            .map(|p| lines.line_at(bytes, p.byte() as usize))
            .unwrap_or(0);
        if rec
            .iter()
            .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
        {
            continue;
        }
        let mut fields = Vec::with_capacity(rec.len());
        let mut bad_utf8 = false;
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s.to_string()),
                Err(_) => {
                    let name = headers.get(i).map(|s| s.as_str()).unwrap_or("?");
                    diags.push(Diagnostic::error(
                        Location::new(path, line).with_field(name),
                        format!(
                            "{} is not valid UTF-8 (save the file as UTF-8)",
                            show(&String::from_utf8_lossy(f))
                        ),
                    ));
                    bad_utf8 = true;
                    fields.push(String::new());
                }
            }
        }
        if bad_utf8 {
            continue;
        }
        // Trailing empty cells beyond the header are harmless.
        while fields.len() > width && fields.last().is_some_and(|f| f.trim().is_empty()) {
            fields.pop();
        }
        if fields.len() != width {
            let hint = if fields.iter().any(|f| f.contains('\n') || f.contains('\r')) {
                "; a quoted field here spans several lines: is a quote left unclosed?"
            } else {
                ""
            };
            diags.push(Diagnostic::error(
                Location::new(path, line),
                format!(
                    "expected {} fields (as in the header), found {}{}",
                    width,
                    fields.len(),
                    hint
                ),
            ));
            continue;
        }
        if wanted {
            each(&table, Row { line, fields }, diags);
        }
    }
    Some(table)
}

/// The csv crate's record positions count lines wrongly after blank lines (it
/// reports where it started reading, before skipping them). This finds the
/// record's real first line from its byte offset, in one pass over the file.
#[derive(Default)]
struct LineCounter {
    cursor: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        let mut start = offset.min(bytes.len());
        while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
            start += 1;
        }
        if start >= self.cursor {
            // A line ends at \n, \r\n, or a lone \r (old Mac exports).
            let chunk = &bytes[self.cursor..start];
            let lone_cr = |i: usize| {
                chunk[i] == b'\r' && bytes.get(self.cursor + i + 1).is_some_and(|&n| n != b'\n')
            };
            self.newlines += (0..chunk.len())
                .filter(|&i| chunk[i] == b'\n' || lone_cr(i))
                .count() as u64;
            self.cursor = start;
        }
        self.newlines + 1
    }
}

fn csv_error(path: &Path, e: &csv::Error) -> Diagnostic {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    Diagnostic::error(Location::new(path, line), format!("unreadable CSV: {}", e))
}

/// A diagnostic about an input file that can also name the column (1-based,
/// as a spreadsheet counts them). Shown as `file:line:column: field: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub diagnostic: Diagnostic,
    pub column: Option<usize>,
}

impl Problem {
    pub fn new(diagnostic: Diagnostic, column: Option<usize>) -> Self {
        Problem { diagnostic, column }
    }

    pub fn is_error(&self) -> bool {
        self.diagnostic.is_error()
    }
}

impl From<Diagnostic> for Problem {
    fn from(d: Diagnostic) -> Self {
        Problem::new(d, None)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Some(col), true) = (self.column, self.diagnostic.location.line > 0) else {
            return self.diagnostic.fmt(f);
        };
        let loc = &self.diagnostic.location;
        write!(
            f,
            "{}:{}:{}:",
            loc.file.display().to_string().replace('\\', "/"),
            loc.line,
            col
        )?;
        if let Some(field) = &loc.field {
            write!(f, " {}:", field)?;
        }
        if !self.diagnostic.is_error() {
            write!(f, " warning:")?;
        }
        write!(f, " {}", self.diagnostic.message)
    }
}

/// Text encodings an import file may be declared to use (`--encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEncoding {
    Utf8,
    Utf16,
    Windows1252,
}

impl InputEncoding {
    pub fn name(self) -> &'static str {
        match self {
            InputEncoding::Utf8 => "utf-8",
            InputEncoding::Utf16 => "utf-16",
            InputEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// How an input file was decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// `detected`: chosen because the file is not valid UTF-8 (not declared).
    Windows1252 {
        detected: bool,
    },
}

impl Decoding {
    pub fn name(self) -> &'static str {
        match self {
            Decoding::Utf8 => "UTF-8",
            Decoding::Utf8Bom => "UTF-8 with BOM",
            Decoding::Utf16Le => "UTF-16LE",
            Decoding::Utf16Be => "UTF-16BE",
            Decoding::Windows1252 { .. } => "Windows-1252",
        }
    }
}

fn line_of_offset(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Decode an input file's bytes to text.
///
/// A byte order mark decides (UTF-8, UTF-16LE, UTF-16BE), and a declared
/// encoding that contradicts it is refused. Without one: valid UTF-8 is UTF-8,
/// anything else is Windows-1252 (reported as detected), unless `forced` says
/// otherwise. Workbooks saved by mistake (.xlsx, .xls) and files with NUL
/// bytes (binary, or UTF-16 without a BOM) are refused with a hint.
///
/// ```
/// use hindsight::ledger::table::{decode, Decoding};
/// use std::path::Path;
/// let (t, d) = decode(Path::new("a.csv"), b"caf\xe9", None).unwrap();
/// assert_eq!((t.as_ref(), d), ("café", Decoding::Windows1252 { detected: true }));
/// let (t, d) = decode(Path::new("a.csv"), b"\xff\xfea\0", None).unwrap();
/// assert_eq!((t.as_ref(), d), ("a", Decoding::Utf16Le));
/// ```
pub fn decode<'a>(
    path: &Path,
    bytes: &'a [u8],
    forced: Option<InputEncoding>,
) -> Result<(Cow<'a, str>, Decoding), Diagnostic> {
    let whole = |msg: String| Diagnostic::error(Location::file(path), msg);
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(whole(
            "is a ZIP archive, probably a spreadsheet workbook (.xlsx or .ods), not a CSV: save it as CSV (File > Save As > CSV UTF-8)".into(),
        ));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(whole(
            "is an Excel workbook (.xls), not a CSV: save it as CSV (File > Save As > CSV UTF-8)"
                .into(),
        ));
    }
    let nul_error = |at: usize| {
        Diagnostic::error(
            Location::new(path, line_of_offset(bytes, at)),
            "contains NUL bytes: this is not a text file, or it is UTF-16 without a byte order mark (try --encoding utf-16)",
        )
    };
    let (text, decoding) = if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let decoding = if enc == encoding_rs::UTF_8 {
            Decoding::Utf8Bom
        } else if enc == encoding_rs::UTF_16LE {
            Decoding::Utf16Le
        } else {
            Decoding::Utf16Be
        };
        let agrees = matches!(
            (forced, decoding),
            (None, _)
                | (Some(InputEncoding::Utf8), Decoding::Utf8Bom)
                | (
                    Some(InputEncoding::Utf16),
                    Decoding::Utf16Le | Decoding::Utf16Be
                )
        );
        if !agrees {
            return Err(whole(format!(
                "starts with a {} byte order mark, but --encoding {} was given: leave out --encoding",
                decoding.name(),
                forced.map(|f| f.name()).unwrap_or("")
            )));
        }
        let body = &bytes[bom..];
        let text = if decoding == Decoding::Utf8Bom {
            match std::str::from_utf8(body) {
                Ok(s) => Cow::Borrowed(s),
                Err(e) => {
                    return Err(Diagnostic::error(
                        Location::new(path, line_of_offset(bytes, bom + e.valid_up_to())),
                        "is not valid UTF-8 although it starts with a UTF-8 byte order mark: re-save it as CSV UTF-8",
                    ));
                }
            }
        } else {
            decode_utf16(path, enc, body)?
        };
        (text, decoding)
    } else {
        match forced {
            None | Some(InputEncoding::Utf8) => match std::str::from_utf8(bytes) {
                Ok(_) if forced.is_none() && bytes.contains(&0) => {
                    return Err(nul_error(bytes.iter().position(|&b| b == 0).unwrap_or(0)));
                }
                Ok(s) => (Cow::Borrowed(s), Decoding::Utf8),
                Err(e) if forced.is_some() => {
                    return Err(Diagnostic::error(
                        Location::new(path, line_of_offset(bytes, e.valid_up_to())),
                        "is not valid UTF-8 (--encoding utf-8 was given): re-save it as CSV UTF-8, or try --encoding windows-1252",
                    ));
                }
                Err(_) => {
                    if let Some(at) = bytes.iter().position(|&b| b == 0) {
                        return Err(nul_error(at));
                    }
                    let (t, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                    (t, Decoding::Windows1252 { detected: true })
                }
            },
            Some(InputEncoding::Windows1252) => {
                if let Some(at) = bytes.iter().position(|&b| b == 0) {
                    return Err(nul_error(at));
                }
                let (t, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                (t, Decoding::Windows1252 { detected: false })
            }
            Some(InputEncoding::Utf16) => {
                // No BOM: the zero bytes of ASCII text show the byte order.
                let sample = &bytes[..bytes.len().min(4096)];
                let even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
                let odd = sample
                    .iter()
                    .skip(1)
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count();
                let (enc, d) = if even > odd {
                    (encoding_rs::UTF_16BE, Decoding::Utf16Be)
                } else {
                    (encoding_rs::UTF_16LE, Decoding::Utf16Le)
                };
                (decode_utf16(path, enc, bytes)?, d)
            }
        }
    };
    if let Some(at) = text.find('\0') {
        return Err(Diagnostic::error(
            Location::new(path, line_of_offset(text.as_bytes(), at)),
            "contains a NUL character: this is not a text file (or not in the encoding it claims)",
        ));
    }
    Ok((text, decoding))
}

fn decode_utf16<'a>(
    path: &Path,
    enc: &'static encoding_rs::Encoding,
    body: &'a [u8],
) -> Result<Cow<'a, str>, Diagnostic> {
    match enc.decode_without_bom_handling_and_without_replacement(body) {
        Some(t) => Ok(Cow::Owned(t.into_owned())),
        None => Err(Diagnostic::error(
            Location::file(path),
            format!(
                "is not valid {} (an odd number of bytes or a broken surrogate pair): re-save it from the spreadsheet",
                enc.name()
            ),
        )),
    }
}

/// An Excel-style first line `sep=;` declaring the delimiter: the delimiter
/// and the text after that line.
pub fn sep_line(text: &str) -> Option<(u8, &str)> {
    let end = text.find(['\n', '\r']).unwrap_or(text.len());
    let first = text[..end].trim_matches(|c: char| c == ' ' || c == '"');
    let d = first.strip_prefix("sep=")?;
    let &[b] = d.as_bytes() else { return None };
    if !matches!(b, b',' | b';' | b'\t' | b'|') {
        return None;
    }
    let mut rest = &text[end..];
    rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
        .or_else(|| rest.strip_prefix('\r'))
        .unwrap_or(rest);
    Some((b, rest))
}

fn trimmed_width(rec: &csv::ByteRecord) -> usize {
    let mut w = rec.len();
    while w > 0 && rec[w - 1].iter().all(|b| b.is_ascii_whitespace()) {
        w -= 1;
    }
    w
}

fn blank_record(rec: &csv::ByteRecord) -> bool {
    rec.iter()
        .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
}

/// Choose the delimiter among comma, semicolon and tab from the start of the
/// text: the one whose header row has the most cells that `recognized`
/// accepts, then the one with more than one column whose rows agree with the
/// header's width most often. Ties go to comma, then semicolon.
pub fn sniff_delimiter(text: &str, recognized: &dyn Fn(&str) -> bool) -> u8 {
    let mut end = text.len().min(64 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text.as_bytes()[..end];
    let mut best = (b',', (0usize, false, 0usize, 0usize));
    for d in [b',', b';', b'\t'] {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(d)
            .from_reader(sample);
        let mut recs = rdr
            .byte_records()
            .map_while(Result::ok)
            .filter(|r| !blank_record(r))
            .take(50);
        let Some(header) = recs.next() else { continue };
        let width = trimmed_width(&header);
        let known = header
            .iter()
            .take(width)
            .filter(|f| recognized(&String::from_utf8_lossy(f)))
            .count();
        let consistent = recs.filter(|r| trimmed_width(r) == width).count();
        let score = (known, width > 1, consistent, width);
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

/// Limits on an input file's shape, so a hostile or broken file fails with a
/// located message rather than by exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_field_bytes: usize,
    pub max_columns: usize,
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 1 << 20,
            max_columns: 1000,
            max_rows: 200_000,
        }
    }
}

/// One input record: its first line and its fields as written (untrimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub line: u64,
    pub fields: Vec<String>,
}

/// An input file split into a header and records, before any column meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTable {
    pub header_line: u64,
    /// Header cells, trimmed; trailing empty cells dropped.
    pub header: Vec<String>,
    /// Non-blank records after the header; trailing empty cells beyond the
    /// header's width dropped. Their width may still differ from the header's.
    pub rows: Vec<RawRecord>,
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{} bytes", n)
    }
}

/// Where a quoted field opens and is never closed (so the rest of the file
/// would be read as one field): its byte offset and the field's 1-based
/// column. Follows the csv crate's reading of quotes: a quote opens a quoted
/// field only at the start of a field, `""` inside one is a quote.
pub fn unclosed_quote(text: &str, delimiter: u8) -> Option<(usize, usize)> {
    #[derive(PartialEq)]
    enum S {
        Start,
        Unquoted,
        Quoted,
    }
    let bytes = text.as_bytes();
    let mut s = S::Start;
    let mut open = (0, 0);
    let mut field = 1;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if s == S::Quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                s = S::Unquoted;
            }
        } else if b == b'\n' || b == b'\r' {
            field = 1;
            s = S::Start;
        } else if b == delimiter {
            field += 1;
            s = S::Start;
        } else if s == S::Start && b == b'"' {
            open = (i, field);
            s = S::Quoted;
        } else {
            s = S::Unquoted;
        }
        i += 1;
    }
    (s == S::Quoted).then_some(open)
}

/// Split decoded text into a header and records with `delimiter`, keeping
/// each record's line number (`line_offset` lines were removed before `text`,
/// e.g. a `sep=` line). Stops with a located error at the first limit passed.
pub fn read_raw(
    path: &Path,
    text: &str,
    delimiter: u8,
    line_offset: u64,
    limits: &Limits,
) -> Result<RawTable, Problem> {
    let bytes = text.as_bytes();
    if let Some((at, col)) = unclosed_quote(text, delimiter) {
        return Err(Problem::new(
            Diagnostic::error(
                Location::new(path, line_of_offset(bytes, at) + line_offset),
                "a quote opens a field here and is never closed, so the rest of the file would be read as one field: close the quote (write a quote inside a quoted field as \"\")",
            ),
            Some(col),
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut lines = LineCounter::default();
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut rows = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0) + line_offset;
                return Err(Problem::new(
                    Diagnostic::error(Location::new(path, line), format!("unreadable CSV: {}", e)),
                    None,
                ));
            }
        }
        let line = rec
            .position()
            .map(|p| lines.line_at(bytes, p.byte() as usize))
            .unwrap_or(0)
            + line_offset;
        if rec.len() > limits.max_columns {
            return Err(Problem::new(
                Diagnostic::error(
                    Location::new(path, line),
                    format!(
                        "{} fields on one row, over the limit of {} columns",
                        rec.len(),
                        limits.max_columns
                    ),
                ),
                None,
            ));
        }
        if let Some((i, f)) = rec
            .iter()
            .enumerate()
            .find(|(_, f)| f.len() > limits.max_field_bytes)
        {
            let hint = if f.contains(&b'\n') || f.contains(&b'\r') {
                ": it spans several lines; is a quote left unclosed?"
            } else {
                ""
            };
            return Err(Problem::new(
                Diagnostic::error(
                    Location::new(path, line),
                    format!(
                        "a field of {} bytes, over the limit of {} per field{}",
                        f.len(),
                        human_bytes(limits.max_field_bytes),
                        hint
                    ),
                ),
                Some(i + 1),
            ));
        }
        if blank_record(&rec) {
            continue;
        }
        let cell = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
        match &header {
            None => {
                let width = trimmed_width(&rec);
                let h = rec
                    .iter()
                    .take(width)
                    .map(|f| {
                        cell(f)
                            .trim()
                            .trim_start_matches('\u{feff}')
                            .trim()
                            .to_string()
                    })
                    .collect();
                header = Some((line, h));
            }
            Some((_, h)) => {
                if rows.len() >= limits.max_rows {
                    return Err(Problem::new(
                        Diagnostic::error(
                            Location::new(path, line),
                            format!(
                                "more than {} rows, the limit for one import (--max-rows)",
                                limits.max_rows
                            ),
                        ),
                        None,
                    ));
                }
                let mut width = rec.len();
                while width > h.len() && rec[width - 1].iter().all(|b| b.is_ascii_whitespace()) {
                    width -= 1;
                }
                rows.push(RawRecord {
                    line,
                    fields: rec.iter().take(width).map(cell).collect(),
                });
            }
        }
    }
    match header {
        None => Err(Problem::new(
            Diagnostic::error(Location::file(path), "file is empty: expected a header row"),
            None,
        )),
        Some((header_line, header)) => Ok(RawTable {
            header_line,
            header,
            rows,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(d: &[Diagnostic]) -> Vec<String> {
        d.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn reads_rows_with_line_numbers_and_skips_blank_rows() {
        let text = "\u{feff}Question_ID,outcome,resolved_on\n a ,yes,2019-01-01\n,,\n\nb,\"multi\nline\",2019-01-02\n";
        let (t, d) = read(Path::new("o.csv"), text.as_bytes(), Some(OUTCOMES), &[]);
        assert!(d.is_empty(), "{:?}", msgs(&d));
        let t = t.unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.get(&t.rows[0], "question_id"), "a");
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(t.get(&t.rows[1], "outcome"), "multi\nline");
    }

    #[test]
    fn line_numbers_survive_blank_lines_and_crlf() {
        let text = "question_id,resolved_on,outcome\r\na,2019-01-01,yes\r\n\r\n\r\nb,\"x\r\ny\",z\r\nc,1,2\r\n\n\nd,1,2\n";
        let (t, d) = read(Path::new("o.csv"), text.as_bytes(), None, &[]);
        assert!(d.is_empty());
        let lines: Vec<u64> = t.unwrap().rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 5, 7, 10]);
    }

    #[test]
    fn header_after_blank_lines_and_cr_only_files_are_located() {
        let (_, d) = read(
            Path::new("o.csv"),
            b"\n\nquestion_id,resolved_on,outcome,colour\n",
            Some(OUTCOMES),
            &[],
        );
        assert!(
            d[0].to_string()
                .starts_with("o.csv:3: unknown column(s): colour"),
            "{}",
            d[0]
        );
        let (t, _) = read(
            Path::new("o.csv"),
            b"question_id,resolved_on,outcome\ra,1,2\rb,1,2\r",
            None,
            &[],
        );
        let lines: Vec<u64> = t.unwrap().rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3]);
        let (_, d) = read(
            Path::new("o.csv"),
            b"question_id,resolved_on,outcome\na,\"1,2\nb,1,2\n",
            Some(OUTCOMES),
            &[],
        );
        assert!(
            d[0].to_string().contains("is a quote left unclosed?"),
            "{}",
            d[0]
        );
    }

    #[test]
    fn names_missing_and_unknown_columns() {
        let (t, d) = read(
            Path::new("o.csv"),
            b"question_id,outcome,colour\n",
            Some(OUTCOMES),
            &[],
        );
        assert!(t.is_none());
        let m = msgs(&d);
        assert!(
            m[0].starts_with("o.csv:1: missing required column(s): resolved_on"),
            "{m:?}"
        );
        assert!(m[1].contains("unknown column(s): colour"), "{m:?}");
    }

    #[test]
    fn wrong_field_count_is_located() {
        let (_, d) = read(
            Path::new("o.csv"),
            b"question_id,resolved_on,outcome\na,2019-01-01,yes,extra\n",
            Some(OUTCOMES),
            &[],
        );
        assert_eq!(
            msgs(&d),
            vec!["o.csv:2: expected 3 fields (as in the header), found 4"]
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let (_, d) = read(
            Path::new("o.csv"),
            b"question_id,resolved_on,outcome\na\xff,2019-01-01,yes\n",
            Some(OUTCOMES),
            &[],
        );
        assert!(
            msgs(&d)[0].starts_with("o.csv:2: question_id:"),
            "{:?}",
            msgs(&d)
        );
    }

    #[test]
    fn sniffing_prefers_the_delimiter_that_names_known_columns() {
        let known = |h: &str| ["question_id", "forecaster", "made_on", "probability"].contains(&h);
        for (text, want) in [
            (
                "question_id,forecaster,made_on,probability\nq1,A,x,0.5\n",
                b',',
            ),
            (
                "question_id;forecaster;made_on;probability\nq1;A, B;x;0,5\n",
                b';',
            ),
            (
                "question_id\tforecaster\tmade_on\tprobability\nq1\tA;B,C\tx\t0.5\n",
                b'\t',
            ),
            // No known names: the delimiter that splits rows consistently.
            ("a;b;c\n1;2,5;3\n4;5;6\n", b';'),
            ("", b','),
        ] {
            assert_eq!(
                sniff_delimiter(text, &known) as char,
                want as char,
                "{text:?}"
            );
        }
    }

    #[test]
    fn unclosed_quotes_are_found_and_closed_ones_are_not() {
        for (text, want) in [
            ("a,b\n1,\"x\n2,3\n", Some((6, 2))),
            ("a,b\n1,\"x\"\"\n2\",3\n", None),
            ("a,b\n1,x\"y\n", None),
            ("\"a,b", Some((0, 1))),
            ("a,\"\"\"\"\n", None),
        ] {
            assert_eq!(unclosed_quote(text, b','), want, "{text:?}");
        }
    }

    #[test]
    fn decoding_table() {
        let p = Path::new("x.csv");
        let ok =
            |b: &[u8], f: Option<InputEncoding>| decode(p, b, f).map(|(t, d)| (t.into_owned(), d));
        assert_eq!(
            ok(b"\xEF\xBB\xBFa", None),
            Ok(("a".into(), Decoding::Utf8Bom))
        );
        assert_eq!(
            ok(b"\xFE\xFF\0a", None),
            Ok(("a".into(), Decoding::Utf16Be))
        );
        assert_eq!(
            ok(b"a\0b\0", Some(InputEncoding::Utf16)),
            Ok(("ab".into(), Decoding::Utf16Le))
        );
        assert_eq!(
            ok(b"\0a\0b", Some(InputEncoding::Utf16)),
            Ok(("ab".into(), Decoding::Utf16Be))
        );
        assert_eq!(
            ok(b"\x93q\x94", Some(InputEncoding::Windows1252)),
            Ok((
                "\u{201c}q\u{201d}".into(),
                Decoding::Windows1252 { detected: false }
            ))
        );
        assert!(decode(p, b"\xFF\xFEa", None).is_err(), "odd UTF-16");
        assert!(
            decode(p, b"ok\n\xe9", Some(InputEncoding::Utf8))
                .unwrap_err()
                .to_string()
                .starts_with("x.csv:2: is not valid UTF-8")
        );
    }

    #[test]
    fn empty_file() {
        let (t, d) = read(Path::new("o.csv"), b"", Some(OUTCOMES), &[]);
        assert!(t.is_none());
        assert!(msgs(&d)[0].contains("empty"));
    }
}
