//! The import fixture corpus (tests/fixtures/import/, made by make.py there):
//! every messy-but-reasonable file imports with exactly the expected values,
//! and every bad file is refused with its located error, the right exit code
//! and a byte-identical ledger.

mod common;

use std::path::Path;

use common::{FIXTURES, Workdir};
use hindsight::ledger::table;

/// Copy a fixture into the scratch ledger's in/ folder; returns its path there.
fn put(w: &Workdir, fixture: &str) -> String {
    let name = Path::new(fixture).file_name().unwrap().to_str().unwrap();
    let rel = format!("in/{name}");
    std::fs::create_dir_all(w.file("in")).unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("import").join(fixture),
        w.file(&rel),
    )
    .unwrap();
    rel
}

/// The rows of a ledger file as `col|col|...` strings of the given columns.
fn rows(w: &Workdir, rel: &str, cols: &[&str]) -> Vec<String> {
    let bytes = std::fs::read(w.file(rel)).unwrap();
    let (t, d) = table::read(Path::new(rel), &bytes, None, &[]);
    assert!(d.is_empty(), "{rel}: {d:?}");
    let t = t.unwrap();
    t.rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| t.get(r, c))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

const F: &[&str] = &[
    "question_id",
    "forecaster",
    "made_on",
    "probability",
    "verbal",
    "quote",
    "source",
    "recorded_by",
];

/// (fixture, extra arguments, expected rows as question|forecaster|made_on|probability|verbal|quote|source|recorded_by)
const GOOD: &[(&str, &[&str], &[&str])] = &[
    (
        "good/utf8-bom.csv",
        &[],
        &[
            "q1|Zoë Ångström|2019-03-15|0.7||||",
            "q2|Zoë Ångström|2019-03-16|0.25||||",
        ],
    ),
    (
        "good/utf8-plain.csv",
        &[],
        &[
            "q1|Łukasz Żółć|2019-03-15|0.6||||",
            "q3|نور|2019-03-17|0.9||||",
        ],
    ),
    (
        "good/utf16le-tab.csv",
        &[],
        &[
            "q1|Jürgen|2019-03-15|0.7||||",
            "q2|Jürgen|2019-03-16|0.4||||",
        ],
    ),
    ("good/utf16be.csv", &[], &["q1|Chloé|2019-03-15|0.55||||"]),
    (
        "good/windows-1252.csv",
        &[],
        &["q1|René Lévesque|2019-03-15|0.7||It’s worth €5||"],
    ),
    (
        "good/windows-1252.csv",
        &["--encoding", "windows-1252"],
        &["q1|René Lévesque|2019-03-15|0.7||It’s worth €5||"],
    ),
    (
        "good/semicolon-decimal-comma.csv",
        &[],
        &[
            "q1|Jörg|2019-03-15|0.7||||",
            "q2|Jörg|2019-03-16|0.25||||",
            "q3|Jörg|2019-03-17|0.125||||",
        ],
    ),
    (
        "good/semicolon-decimal-comma.csv",
        &["--delimiter", "semicolon"],
        &[
            "q1|Jörg|2019-03-15|0.7||||",
            "q2|Jörg|2019-03-16|0.25||||",
            "q3|Jörg|2019-03-17|0.125||||",
        ],
    ),
    ("good/sep-line.csv", &[], &["q1|Sep|2019-03-15|0.3||||"]),
    (
        "good/tab-separated.csv",
        &[],
        &["q1|Tab|2019-03-15|0.3||commas, inside||"],
    ),
    (
        "good/percentages.csv",
        &[],
        &[
            "q1|Pct|2019-03-01|0.7||||",
            "q1|Pct|2019-03-02|0.7||||",
            "q1|Pct|2019-03-03|0.7||||",
            "q1|Pct|2019-03-04|0.7||||",
            "q1|Pct|2019-03-05|0.075||||",
            "q1|Pct|2019-03-06|1||||",
        ],
    ),
    (
        "good/dates.csv",
        &[],
        &[
            "q1|Dates|2019-03-01|0.1||||",
            "q1|Dates|2019-03-02|0.2||||",
            "q1|Dates|2019-03-03|0.3||||",
            "q1|Dates|2019-03-04|0.4||||",
            "q1|Dates|2019-03-05|0.5||||",
            "q1|Dates|2019-03-16|0.6||||",
            "q1|Dates|2019-03-17|0.7||||",
            "q1|Dates|2019-03-18|0.8||||",
            "q1|Dates|2019-03-19|0.9||||",
            "q1|Dates|2019-03-20|0.15||||",
            "q1|Dates|2019-03-21|0.25||||",
            "q1|Dates|2019-04-01|0.35||||",
        ],
    ),
    (
        "good/dates-dmy.csv",
        &["--date-order", "dmy"],
        &["q1|Order|2019-04-03|0.5||||"],
    ),
    (
        "good/dates-dmy.csv",
        &["--date-order", "mdy"],
        &["q1|Order|2019-03-04|0.5||||"],
    ),
    (
        "good/aliases.csv",
        &[],
        &[
            "q1|Alias|2019-03-15||highly likely|said so|https://example.org/x|Kim",
            "q2|Alias|2019-03-16|0.4||||Kim",
        ],
    ),
    (
        "good/blank-rows-and-columns.csv",
        &[],
        &["q1|Blank|2019-03-15|0.2||||", "q2|Blank|2019-03-16|0.3||||"],
    ),
    (
        "good/quoted-multiline.csv",
        &[],
        &[
            "q1|Quoter|2019-03-15|0.7||He said \"no way\",\nthen, later, \"maybe\"|Book, p. 3|",
            "q2|Quoter|2019-03-16|0.2||=1+1 is not a formula here||",
        ],
    ),
    (
        "good/flat-form.csv",
        &[],
        &[
            "will-x-happen-by-2020-12-31|Flat|2019-05-01|0.6||||",
            "will-y-happen-by-2020-12-31|Flat|2019-05-02|0.1||||",
        ],
    ),
];

#[test]
fn every_good_fixture_imports_with_the_expected_values() {
    for (fixture, args, want) in GOOD {
        let w = Workdir::fixture("clean");
        let rel = put(&w, fixture);
        let mut a = vec!["import", "forecasts", rel.as_str()];
        a.extend_from_slice(args);
        let r = w.run(&a);
        r.expect_code(0);
        let stem = Path::new(&rel).file_stem().unwrap().to_str().unwrap();
        let got = rows(&w, &format!("forecasts/{stem}.csv"), F);
        assert_eq!(&got, want, "{fixture} {args:?}");
        w.run(&["check"]).expect_code(0);
        // Importing the same file again adds nothing.
        let before = w.snapshot();
        let again = w.run(&a);
        again.expect_code(0);
        assert!(
            again
                .stdout()
                .contains(&format!("skipped {} row(s)", want.len())),
            "{fixture}: {}",
            again.stdout()
        );
        assert_eq!(
            before,
            w.snapshot(),
            "{fixture}: a second import changed the ledger"
        );
    }
}

#[test]
fn detected_windows_1252_is_reported() {
    let w = Workdir::fixture("clean");
    let rel = put(&w, "good/windows-1252.csv");
    w.run(&["import", "forecasts", &rel])
        .expect_code(0)
        .expect_line("in/windows-1252.csv: warning:", "read as Windows-1252");
    let log = w.read("forecasts/CHANGES.log");
    assert!(log.contains(r#""encoding":"Windows-1252""#), "{log}");
}

#[test]
fn flat_form_fixture_creates_its_questions() {
    let w = Workdir::fixture("clean");
    let rel = put(&w, "good/flat-form.csv");
    w.run(&["import", "forecasts", &rel]).expect_code(0);
    let q = rows(
        &w,
        "forecasts/questions.csv",
        &["question_id", "title", "kind", "closes_on"],
    );
    assert_eq!(
        &q[q.len() - 2..],
        &[
            "will-x-happen-by-2020-12-31|Will X happen by 2020-12-31?|binary|2020-12-31",
            "will-y-happen-by-2020-12-31|Will Y happen by 2020-12-31?|binary|2020-12-31",
        ]
    );
}

#[test]
fn messy_outcomes_fixture_imports() {
    let w = Workdir::fixture("clean");
    let rel = put(&w, "good/outcomes-messy.csv");
    w.run(&["import", "outcomes", &rel]).expect_code(0);
    assert_eq!(
        w.read("outcomes/outcomes-messy.csv"),
        "question_id,resolved_on,outcome,source,note\nq4,2030-01-01,yes,https://example.org/q4,\n"
    );
}

/// (fixture, kind, extra arguments, exit code, stderr line prefix, text in that line)
type Bad = (
    &'static str,
    &'static str,
    &'static [&'static str],
    i32,
    &'static str,
    &'static str,
);

const BAD: &[Bad] = &[
    (
        "bad/ambiguous-date.csv",
        "forecasts",
        &[],
        1,
        "in/ambiguous-date.csv:2:3: made_on:",
        "'03/04/2019' is ambiguous (day/month or month/day?): pass --date-order dmy or mdy",
    ),
    (
        "bad/ambiguous-header.csv",
        "forecasts",
        &[],
        2,
        "in/ambiguous-header.csv:1:1:",
        "column 'ID' could mean forecast_id or question_id",
    ),
    (
        "bad/two-columns-one-meaning.csv",
        "forecasts",
        &[],
        2,
        "in/two-columns-one-meaning.csv:1:3:",
        "'Expert' (column 2) and 'Forecaster' (column 3) both mean forecaster",
    ),
    (
        "bad/unknown-column.csv",
        "forecasts",
        &[],
        2,
        "in/unknown-column.csv:1:5:",
        "unknown column 'Sorce' (did you mean source?)",
    ),
    (
        "bad/workbook.csv",
        "forecasts",
        &[],
        2,
        "in/workbook.csv:",
        "is a ZIP archive, probably a spreadsheet workbook",
    ),
    (
        "bad/utf16-without-bom.csv",
        "forecasts",
        &[],
        2,
        "in/utf16-without-bom.csv:1:",
        "contains NUL bytes",
    ),
    (
        "bad/decimal-comma-in-comma-file.csv",
        "forecasts",
        &[],
        1,
        "in/decimal-comma-in-comma-file.csv:2:4: probability:",
        "'0,7' has a decimal comma",
    ),
    (
        "bad/two-digit-year.csv",
        "forecasts",
        &[],
        1,
        "in/two-digit-year.csv:2:3: made_on:",
        "two-digit or missing year",
    ),
    (
        "bad/serial-date.csv",
        "forecasts",
        &[],
        1,
        "in/serial-date.csv:2:3: made_on:",
        "spreadsheet date serial number",
    ),
    (
        "bad/wrong-weekday.csv",
        "forecasts",
        &[],
        1,
        "in/wrong-weekday.csv:2:3: made_on:",
        "2019-03-15 was a Friday, not a Monday",
    ),
    (
        "bad/extra-field.csv",
        "forecasts",
        &[],
        1,
        "in/extra-field.csv:2:",
        "expected 4 fields (as in the header), found 5",
    ),
    (
        "bad/unclosed-quote.csv",
        "forecasts",
        &[],
        2,
        "in/unclosed-quote.csv:2:5:",
        "a quote opens a field here and is never closed",
    ),
    (
        "bad/phrase-in-probability.csv",
        "forecasts",
        &[],
        1,
        "in/phrase-in-probability.csv:2:4: probability:",
        "put phrases in a verbal column",
    ),
    (
        "bad/percent-over-100.csv",
        "forecasts",
        &[],
        1,
        "in/percent-over-100.csv:2:4: probability:",
        "120 % is outside 0-100%",
    ),
    (
        "bad/empty.csv",
        "forecasts",
        &[],
        2,
        "in/empty.csv:",
        "file is empty",
    ),
    (
        "bad/blank-lines-only.csv",
        "forecasts",
        &[],
        2,
        "in/blank-lines-only.csv:",
        "file is empty",
    ),
    (
        "bad/unnamed-column-with-values.csv",
        "forecasts",
        &[],
        2,
        "in/unnamed-column-with-values.csv:1:2:",
        "column 2 has no header but holds values (line 2: 'stray')",
    ),
    (
        "bad/missing-columns.csv",
        "forecasts",
        &[],
        2,
        "in/missing-columns.csv:1:",
        "missing required column(s): forecaster, made_on",
    ),
    (
        "bad/id-conflict.csv",
        "forecasts",
        &[],
        1,
        "in/id-conflict.csv:2:1: forecast_id:",
        "'f1' already exists with different content",
    ),
    (
        "bad/unknown-question.csv",
        "forecasts",
        &[],
        1,
        "in/unknown-question.csv:2:1: question_id:",
        "unknown question 'q99'",
    ),
    (
        "bad/not-a-real-date.csv",
        "forecasts",
        &[],
        1,
        "in/not-a-real-date.csv:2:3: made_on:",
        "'30 February 2019' is not a real date",
    ),
    (
        "bad/nul-bytes.csv",
        "forecasts",
        &[],
        2,
        "in/nul-bytes.csv:2:",
        "contains NUL bytes",
    ),
    (
        "bad/bom-contradicts-encoding.csv",
        "forecasts",
        &["--encoding", "windows-1252"],
        2,
        "in/bom-contradicts-encoding.csv:",
        "starts with a UTF-16LE byte order mark, but --encoding windows-1252 was given",
    ),
    (
        "bad/outcome-unknown-value.csv",
        "outcomes",
        &[],
        1,
        "in/outcome-unknown-value.csv:2:3: outcome:",
        "'perhaps' is not an outcome",
    ),
];

#[test]
fn every_bad_fixture_is_refused_with_a_located_error_and_the_ledger_is_unchanged() {
    for (fixture, kind, args, code, prefix, text) in BAD {
        let w = Workdir::fixture("clean");
        let rel = put(&w, fixture);
        let before = w.snapshot();
        let mut a = vec!["import", kind, rel.as_str()];
        a.extend_from_slice(args);
        let r = w.run(&a);
        assert_eq!(
            r.code(),
            *code,
            "{fixture}: expected exit {code}\n{}\n{}",
            r.stdout(),
            r.stderr()
        );
        r.expect_line(prefix, text);
        assert!(
            r.stderr().contains("nothing was written"),
            "{fixture}: {}",
            r.stderr()
        );
        assert_eq!(before, w.snapshot(), "{fixture}: the ledger changed");
    }
}

#[test]
fn every_fixture_is_covered_by_a_test() {
    for dir in ["good", "bad"] {
        for e in std::fs::read_dir(Path::new(FIXTURES).join("import").join(dir)).unwrap() {
            let name = format!("{dir}/{}", e.unwrap().file_name().to_string_lossy());
            let covered = GOOD.iter().any(|g| g.0 == name)
                || BAD.iter().any(|b| b.0 == name)
                || name == "good/outcomes-messy.csv";
            assert!(covered, "{name} is in the corpus but no test uses it");
        }
    }
}
