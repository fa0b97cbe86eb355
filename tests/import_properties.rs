//! Property tests of the import round trips, and the fuzzer's findings kept
//! as regression tests.
//!
//! - Any forecasts written by hindsight (from a staff file in any accepted
//!   encoding, delimiter, header aliases, probability and date form, with
//!   hostile text: quotes, delimiters, newlines, formula characters) read back
//!   with exactly the values that were written.
//! - import -> export -> import is the identity: the exported batch imports
//!   into a fresh ledger as the same forecasts, ids included, and into the
//!   first ledger as nothing new.

mod common;

use std::path::{Path, PathBuf};

use common::{FIXTURES, Workdir};
use hindsight::ledger::import::{
    ImportKind, ImportOptions, InputEncoding, export_forecasts, import, parse_bytes, rejects_csv,
};
use hindsight::ledger::{self, Ledger};
use hindsight::model::{Direction, Forecast, Stated, check_question_id, parse_iso_date};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Row {
    question: &'static str,
    forecaster: String,
    day: u32,
    /// Probability in thousandths, or a phrase.
    prob: Result<u32, &'static str>,
    no: bool,
    quote: String,
    source: String,
}

#[derive(Debug, Clone)]
struct Style {
    delimiter: u8,
    encoding: u8,
    date_form: u8,
    prob_form: u8,
    aliases: bool,
}

const PHRASES: &[&str] = &["likely", "highly likely", "cannot be ruled out", "remote"];

fn text() -> impl Strategy<Value = String> {
    // Hostile but ordinary text: delimiters, quotes, line breaks, formula
    // starters, non-Latin letters; no NUL.
    proptest::string::string_regex("[a-zA-Zé€Ж中 ,;\t\"'=+@\n\r\\-]{0,12}").unwrap()
}

fn row() -> impl Strategy<Value = Row> {
    (
        prop::sample::select(vec!["q1", "q2", "q3", "q4"]),
        "[A-Za-zÉ][a-zé ]{0,8}",
        0u32..365,
        prop_oneof![
            (0u32..=1000).prop_map(Ok),
            prop::sample::select(PHRASES.to_vec()).prop_map(Err)
        ],
        any::<bool>(),
        text(),
        text(),
    )
        .prop_map(|(question, forecaster, day, prob, no, quote, source)| Row {
            question,
            forecaster,
            day,
            prob,
            no,
            quote,
            source,
        })
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop::sample::select(vec![b',', b';', b'\t']),
        0u8..5,
        0u8..4,
        0u8..4,
        any::<bool>(),
    )
        .prop_map(
            |(delimiter, encoding, date_form, prob_form, aliases)| Style {
                delimiter,
                encoding,
                date_form,
                prob_form,
                aliases,
            },
        )
}

fn date(day: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Duration::days(day as i64)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Write rows as a staff member's spreadsheet would; returns the bytes and
/// the encoding to declare (None: let hindsight detect it).
fn staff_file(rows: &[Row], s: &Style) -> (Vec<u8>, Option<InputEncoding>) {
    use chrono::Datelike;
    let header: Vec<&str> = if s.aliases {
        vec![
            "Question ID",
            "Expert",
            "Date",
            "P(yes)",
            "Phrase",
            "Direction",
            "Quotation",
            "URL",
        ]
    } else {
        vec![
            "question_id",
            "forecaster",
            "made_on",
            "probability",
            "verbal",
            "direction",
            "quote",
            "source",
        ]
    };
    let mut out = Vec::new();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(s.delimiter)
            .from_writer(&mut out);
        w.write_record(&header).unwrap();
        for (i, r) in rows.iter().enumerate() {
            let d = date(r.day);
            let made = match s.date_form {
                0 => d.to_string(),
                1 => format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year()),
                2 => format!("{} {}, {}", MONTHS[d.month0() as usize], d.day(), d.year()),
                _ => format!("{:02}.{:02}.{}", d.day(), d.month(), d.year()),
            };
            let (prob, verbal) = match r.prob {
                Ok(k) => {
                    let dec = format!("{}", k as f64 / 1000.0);
                    let p = match s.prob_form {
                        0 => dec,
                        1 => format!("{}%", k as f64 / 10.0),
                        2 => format!("{} %", k as f64 / 10.0),
                        _ if s.delimiter != b',' => dec.replace('.', ","),
                        _ => dec
                            .strip_prefix('0')
                            .filter(|t| t.starts_with('.'))
                            .map(str::to_string)
                            .unwrap_or(dec),
                    };
                    (p, String::new())
                }
                Err(phrase) => (String::new(), phrase.to_string()),
            };
            let forecaster = format!("{} {}", r.forecaster, i);
            w.write_record([
                r.question,
                &forecaster,
                &made,
                &prob,
                &verbal,
                if r.no { "no" } else { "" },
                &r.quote,
                &r.source,
            ])
            .unwrap();
        }
        w.flush().unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    match s.encoding {
        0 => (text.into_bytes(), None),
        1 => ([b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(), None),
        2 => {
            let mut b = vec![0xFF, 0xFE];
            b.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
            (b, None)
        }
        3 => {
            let mut b = vec![0xFE, 0xFF];
            b.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
            (b, None)
        }
        _ => {
            let (b, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
            if unmappable {
                (text.into_bytes(), None)
            } else {
                (b.into_owned(), Some(InputEncoding::Windows1252))
            }
        }
    }
}

fn open(w: &Workdir) -> Ledger {
    let l = ledger::open(w.path()).unwrap();
    assert_eq!(l.errors(), 0, "{:?}", l.diagnostics);
    l
}

fn batch(l: &Ledger, name: &str) -> Vec<Forecast> {
    let file = PathBuf::from(format!("forecasts/{name}.csv"));
    l.forecasts
        .iter()
        .filter(|f| *f.location.file == *file)
        .cloned()
        .map(|mut f| {
            f.location = hindsight::error::Location::file("");
            f
        })
        .collect()
}

fn run_import(
    w: &Workdir,
    file: &str,
    opts: &ImportOptions,
) -> hindsight::ledger::import::ImportReport {
    import(w.path(), ImportKind::Forecasts, &[w.file(file)], opts).unwrap_or_else(|e| {
        panic!(
            "{e:#}: {:?}",
            e.downcast_ref::<hindsight::ledger::import::ImportFailed>()
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn what_hindsight_writes_reads_back_and_import_export_import_is_the_identity(
        rows in prop::collection::vec(row(), 1..12),
        s in style(),
    ) {
        let a = Workdir::fixture("clean");
        let (bytes, encoding) = staff_file(&rows, &s);
        std::fs::create_dir_all(a.file("in")).unwrap();
        std::fs::write(a.file("in/staff-file.csv"), &bytes).unwrap();
        let opts = ImportOptions { encoding, ..ImportOptions::default() };
        let rep = run_import(&a, "in/staff-file.csv", &opts);
        prop_assert_eq!(rep.added.len(), rows.len());

        // Read back: exactly the values that were written.
        let la = open(&a);
        let got = batch(&la, "staff-file");
        prop_assert_eq!(got.len(), rows.len());
        for (i, (f, r)) in got.iter().zip(&rows).enumerate() {
            prop_assert_eq!(&*f.question_id, r.question);
            let want = format!("{} {}", r.forecaster, i);
            prop_assert_eq!(&*f.forecaster, want.trim());
            prop_assert_eq!(f.made_on, date(r.day));
            match r.prob {
                Ok(k) => {
                    prop_assert_eq!(&f.stated, &Stated::Number(k as f64 / 1000.0));
                    prop_assert_eq!(&*f.verbal, "");
                }
                Err(phrase) => prop_assert_eq!(&*f.verbal, phrase),
            }
            prop_assert_eq!(f.direction, if r.no { Direction::No } else { Direction::Yes });
            prop_assert_eq!(&*f.quote, r.quote.trim());
            prop_assert_eq!(&*f.source, r.source.trim());
        }

        // Importing the same file again adds nothing.
        let again = run_import(&a, "in/staff-file.csv", &opts);
        prop_assert_eq!((again.added.len(), again.skipped), (0, rows.len()));

        // Export, and import the export into a fresh ledger: the same forecasts.
        let export = export_forecasts(&got).unwrap();
        let b = Workdir::fixture("clean");
        std::fs::create_dir_all(b.file("in")).unwrap();
        std::fs::write(b.file("in/staff-file.csv"), &export).unwrap();
        run_import(&b, "in/staff-file.csv", &ImportOptions::default());
        let lb = open(&b);
        prop_assert_eq!(&batch(&lb, "staff-file"), &got);
        prop_assert_eq!(
            std::fs::read(a.file("forecasts/staff-file.csv")).unwrap(),
            std::fs::read(b.file("forecasts/staff-file.csv")).unwrap()
        );
        // ... and into the first ledger: nothing new.
        std::fs::write(a.file("in/export.csv"), &export).unwrap();
        let back = run_import(&a, "in/export.csv", &ImportOptions::default());
        prop_assert_eq!((back.added.len(), back.skipped), (0, rows.len()));
    }
}

/// The fuzz target's checks (fuzz/fuzz_targets/import.rs), run on every input
/// the fuzzer found a failure with.
fn fuzz_invariants(data: &[u8]) {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    for kind in [ImportKind::Forecasts, ImportKind::Outcomes] {
        let opts = ImportOptions {
            encoding: match (sel >> 1) & 3 {
                0 => None,
                1 => Some(InputEncoding::Utf8),
                2 => Some(InputEncoding::Utf16),
                _ => Some(InputEncoding::Windows1252),
            },
            ..ImportOptions::default()
        };
        let p = parse_bytes(kind, Path::new("fuzz.csv"), bytes, &opts);
        if !p.fatal.is_empty() {
            assert!(p.added.is_empty() && p.rejected.is_empty());
            continue;
        }
        for r in &p.added {
            match kind {
                ImportKind::Forecasts => {
                    check_question_id(r.get("question_id")).unwrap();
                    parse_iso_date(r.get("made_on")).unwrap();
                }
                ImportKind::Outcomes => {
                    parse_iso_date(r.get("resolved_on")).unwrap();
                }
            }
        }
        let out = rejects_csv(&p.rejected);
        // Written with the inputs' delimiter (here one input).
        let delimiter = p.rejected.first().map(|r| r.delimiter).unwrap_or(b',');
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(out.as_slice());
        assert_eq!(rdr.records().count(), p.rejected.len());
    }
}

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = Path::new(FIXTURES).join("import/fuzz-regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        fuzz_invariants(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn rejects_keep_every_cell_of_rows_with_too_many_or_too_few_fields() {
    // The fuzzer's first finding: the rejects writer refused records whose
    // width differed from the header's, and the file lost rows.
    let p = parse_bytes(
        ImportKind::Forecasts,
        Path::new("x.csv"),
        b"question_id,forecaster,made_on,probability\nq1,a\nq2,b,2019-01-01,0.5,extra,more\nq3,c,bad,0.5\n",
        &ImportOptions::default(),
    );
    assert_eq!(p.rejected.len(), 3);
    let out = String::from_utf8(rejects_csv(&p.rejected)).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[1].ends_with(",q1,a"), "{out}");
    assert!(
        lines[2].ends_with(",q2,b,2019-01-01,0.5,extra,more"),
        "{out}"
    );
}
