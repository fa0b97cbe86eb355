//! Reading one CSV file into header-checked rows that keep their line numbers.
//!
//! Owns the column specs of the ledger files and the generic checks every CSV
//! gets: a UTF-8 BOM is dropped, headers are trimmed and matched without regard
//! to case, missing and unknown columns are named, rows with the wrong number of
//! fields are reported, and blank rows (including `,,,,` rows left by
//! spreadsheets) are skipped. It knows nothing of what the values mean.

use std::collections::HashMap;
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
            return (None, diags);
        }
        Some(Err(e)) => {
            diags.push(csv_error(path, &e));
            return (None, diags);
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
    let mut index = HashMap::new();
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
        return (None, diags);
    }
    let mut rows = Vec::new();
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
        rows.push(Row { line, fields });
    }
    (
        Some(Table {
            headers,
            index,
            rows,
        }),
        diags,
    )
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
    fn empty_file() {
        let (t, d) = read(Path::new("o.csv"), b"", Some(OUTCOMES), &[]);
        assert!(t.is_none());
        assert!(msgs(&d)[0].contains("empty"));
    }
}
