//! The fast loading path (`ledger::fast`) against the full loader: on every
//! clean ledger it gives exactly the same `ScoredSet` and warning count, and
//! `hindsight score --format json` prints byte-identical JSON through either
//! path, with one thread or several; on a broken ledger it steps aside.

mod common;
use common::Workdir;

use std::path::Path;
use std::process::Command;

use hindsight::ledger::{self, fast};
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::synth::{SynthConfig, write_synthetic_ledger};

/// Assert the fast path reads `root` exactly as the full loader does.
fn same_as_full_loader(root: &Path) {
    let scan = fast::scan(root)
        .unwrap()
        .expect("the fast path should take a clean ledger");
    let full = ledger::open(root).unwrap();
    assert_eq!(full.errors(), 0);
    assert_eq!(scan.warnings, full.diagnostics.len(), "warnings");
    assert_eq!(scan.len(), full.forecasts.len(), "forecasts");
    assert_eq!(scan.counts(), full.counts(), "check's counts");
    // `check` says the same through either path.
    let fast_check = hindsight_in(root, &["check"], &[]);
    assert_eq!(fast_check.0, Some(0));
    assert_eq!(
        fast_check,
        hindsight_in(root, &["check"], &[("HINDSIGHT_FULL_LOAD", "1")]),
        "check"
    );
    let mut names: Vec<String> = full
        .forecasts
        .iter()
        .map(|f| f.forecaster.to_string())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(scan.forecasters, names);
    assert_eq!(scan.ledger.settings, full.settings);
    let mut dates: Vec<_> = full.forecasts.iter().map(|f| f.made_on).collect();
    dates.sort();
    let mut configs = vec![MatchConfig::default()];
    if let Some(mid) = dates.get(dates.len() / 2) {
        configs.push(MatchConfig {
            as_of: Some(*mid),
            forecaster: None,
        });
    }
    for name in names.iter().take(2).chain([&"nobody".to_string()]) {
        configs.push(MatchConfig {
            as_of: None,
            forecaster: Some(name.clone()),
        });
    }
    for c in &configs {
        let a = fast::match_scan(&scan, c);
        let mut b = match_forecasts(&full, c);
        assert!(a == b, "ScoredSet differs for {c:?}");
        // The scoring-only match: the same set without statuses and rows,
        // and the scan's forecast columns freed.
        let mut again = fast::scan(root).unwrap().unwrap();
        let columns = fast::match_scan_columns(&mut again, c);
        assert!(again.parts.is_empty());
        b.status = Vec::new();
        b.forecast = Vec::new();
        assert!(columns == b, "scoring-only ScoredSet differs for {c:?}");
    }
}

fn synth(dir: &Path, forecasts: usize) {
    write_synthetic_ledger(
        dir,
        &SynthConfig {
            forecasters: 40,
            questions: 3000,
            forecasts,
            seed: 11,
        },
    )
    .unwrap();
}

const BATCH: &str = "forecasts/synthetic.csv";

#[test]
fn fixtures_and_the_shipped_ledger_read_the_same() {
    same_as_full_loader(Path::new(env!("CARGO_MANIFEST_DIR")));
    for name in ["clean", "reference-ledger", "scoringutils-ledger"] {
        same_as_full_loader(Workdir::fixture(name).path());
    }
}

#[test]
fn warnings_are_counted_like_the_full_loader() {
    let w = Workdir::fixture("clean");
    w.edit(
        "forecasts/staff.csv",
        "f1,q1,Ann,2019-02-01",
        "f1,q1,Ann,2019-06-01",
    );
    w.append(
        "forecasts/questions.csv",
        "q5,Will E happen by 2019-01-31?,binary,,,2019-01-31,,\n",
    );
    w.append("forecasts/staff.csv", "f7,q5,Bob,2019-02-01,0.5,,,,,,\n");
    w.append("outcomes/outcomes.csv", "q5,2019-12-01,no,,\n");
    let scan = fast::scan(w.path()).unwrap().unwrap();
    assert_eq!(scan.warnings, 2);
    same_as_full_loader(w.path());
    // A repeated outcome record (a warning when its date differs) is left
    // to the full loader, and scoring goes on through it.
    w.append("outcomes/outcomes.csv", "q5,2019-12-05,no,,\n");
    assert!(fast::scan(w.path()).unwrap().is_none());
    assert_eq!(ledger::open(w.path()).unwrap().diagnostics.len(), 3);
    let j = w.run(&["score", "--format", "json"]).expect_code(0).json();
    assert_eq!(j["unscored"]["made_after_close"], 1);
}

#[test]
fn large_batches_read_in_parallel_parts_give_the_same_rows() {
    let w = Workdir::empty();
    synth(w.path(), 120_000);
    let size = std::fs::metadata(w.file(BATCH)).unwrap().len();
    assert!(size > 5 << 20, "big enough to be split: {size}");
    same_as_full_loader(w.path());
    // Windows line ends, a byte order mark, blank lines, spaces and a
    // second batch with verbal phrases and direction = no.
    let text = w
        .read(BATCH)
        .replace('\n', "\r\n")
        .replacen("\r\n", "\r\n\r\n", 3);
    w.write(BATCH, &format!("\u{feff}{text}\r\n  \r\n"));
    w.write(
        "forecasts/z-extra.csv",
        "forecast_id,question_id,forecaster,made_on,probability,verbal,direction\n\
         x1,q000001, Zed ,2014-01-01,,likely,\n\
         x2,q000002,Zed,2014-01-01,0.25,,NO\n\
         x3,q000003,f0001 calibrated,2014-01-01,,almost certainly,no\n",
    );
    same_as_full_loader(w.path());
}

/// A questions file large enough to be read in parallel parts, and the
/// same with a quoted title (read whole by the csv reader).
#[test]
fn large_questions_files_read_in_parts_give_the_same_questions() {
    let w = Workdir::empty();
    write_synthetic_ledger(
        w.path(),
        &SynthConfig {
            forecasters: 20,
            questions: 60_000,
            forecasts: 30_000,
            seed: 5,
        },
    )
    .unwrap();
    let questions = "forecasts/questions.csv";
    let size = std::fs::metadata(w.file(questions)).unwrap().len();
    assert!(size > 5 << 20, "big enough to be split: {size}");
    same_as_full_loader(w.path());
    let text = w.read(questions);
    let at = text.len() * 3 / 4;
    let at = at + text[at..].find("Synthetic question").unwrap();
    w.write(
        questions,
        &format!(
            "{}\"Quoted, \"\"synthetic\"\"\" {}",
            &text[..at],
            &text[at..]
        ),
    );
    same_as_full_loader(w.path());
    // One bad row in the last part: the full loader's.
    let text = w.read(questions);
    let at = text.len() * 9 / 10;
    let at = at + text[at..].find(",binary,").unwrap();
    w.write(
        questions,
        &format!("{},binery,{}", &text[..at], &text[at + 8..]),
    );
    assert!(fast::scan(w.path()).unwrap().is_none());
    assert!(ledger::open(w.path()).unwrap().errors() > 0);
}

#[test]
fn old_mac_line_ends_are_left_to_the_full_loader_and_read_the_same() {
    // Lone carriage returns end the lines, with one stray line feed at the
    // end: the rows before it must not be mistaken for a header.
    let w = Workdir::fixture("clean");
    let text = w.read("forecasts/staff.csv").replace('\n', "\r");
    w.write("forecasts/staff.csv", &format!("{text}\n"));
    assert!(fast::scan(w.path()).unwrap().is_none());
    let full = ledger::open(w.path()).unwrap();
    assert_eq!(full.errors(), 0);
    assert_eq!(full.forecasts.len(), 6);
    let j = w.run(&["score", "--format", "json"]).expect_code(0).json();
    let clean = Workdir::fixture("clean");
    assert_eq!(
        j,
        clean
            .run(&["score", "--format", "json"])
            .expect_code(0)
            .json()
    );
}

#[test]
fn a_byte_order_mark_where_a_reader_starts_is_left_to_the_full_loader() {
    // Found by review: a new csv reader drops a BOM at its start, the full
    // loader (one reader from the file's start) keeps it as content.
    let after_header = [
        (
            "forecasts/staff.csv",
            "forecast_id,question_id,forecaster,made_on,probability,verbal,direction,option,quote,source,recorded_by\n",
        ),
        (
            "forecasts/questions.csv",
            "question_id,title,kind,options,opens_on,closes_on,criteria,tags\n",
        ),
        (
            "outcomes/outcomes.csv",
            "question_id,resolved_on,outcome,source,note\n",
        ),
    ];
    for (file, header) in after_header {
        // A line holding only a BOM (an error for the full loader) and a BOM
        // glued to the first row.
        for insert in ["\u{feff}\n", "\u{feff}"] {
            let w = Workdir::fixture("clean");
            w.edit(file, header, &format!("{header}{insert}"));
            assert!(fast::scan(w.path()).unwrap().is_none(), "{file} {insert:?}");
            let fast = w.run(&["score", "--format", "json"]);
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_hindsight"));
            let full = cmd
                .env(fast::FULL_LOAD_ENV, "1")
                .args(["--root"])
                .arg(w.path())
                .args(["score", "--format", "json"])
                .output()
                .unwrap();
            assert_eq!(
                fast.code(),
                full.status.code().unwrap_or(-1),
                "{file} {insert:?}"
            );
            assert_eq!(
                fast.stdout(),
                String::from_utf8_lossy(&full.stdout),
                "{file} {insert:?}"
            );
        }
    }
    // At the point where a big batch is split between threads.
    let w = Workdir::empty();
    synth(w.path(), 120_000);
    let text = w.read(BATCH);
    let body = text.find('\n').unwrap() + 1;
    let len = std::fs::metadata(w.file(BATCH)).unwrap().len() as usize;
    // The split offsets: the body cut in equal parts, moved to the next line.
    let threads = rayon::current_num_threads().max(1);
    for k in 1..threads {
        let at = body + (len - body) * k / threads;
        let cut = at + text[at..].find('\n').unwrap() + 1;
        let w = Workdir::empty();
        synth(w.path(), 120_000);
        w.write(
            BATCH,
            &format!("{}\u{feff}\n{}", &text[..cut], &text[cut..]),
        );
        assert!(fast::scan(w.path()).unwrap().is_none(), "split {k}");
    }
}

#[test]
fn a_quoted_field_keeps_the_batch_in_one_part_and_reads_the_same() {
    let w = Workdir::empty();
    synth(w.path(), 120_000);
    // A quoted name with a comma and a line break, in the middle of the file.
    let text = w.read(BATCH);
    let mid = text[text.len() / 2..].find('\n').unwrap() + text.len() / 2 + 1;
    let row = "zz1,q000010,\"Doe,\nJane\",2014-05-05,0.4\n";
    w.write(BATCH, &format!("{}{}{}", &text[..mid], row, &text[mid..]));
    same_as_full_loader(w.path());
    let scan = fast::scan(w.path()).unwrap().unwrap();
    assert!(scan.forecasters.iter().any(|n| n == "Doe,\nJane"));
}

#[test]
fn problems_send_the_ledger_to_the_full_loader() {
    let w = Workdir::empty();
    synth(w.path(), 120_000);
    let text = w.read(BATCH);
    let first = text.lines().nth(1).unwrap().to_string();
    let last_line = text.lines().count();
    // A duplicate forecast id far from its first use, in another part.
    w.append(BATCH, &format!("{first}\n"));
    assert!(fast::scan(w.path()).unwrap().is_none());
    let r = w.run(&["score"]);
    r.expect_code(1);
    r.expect_line(
        &format!("{BATCH}:{}: forecast_id:", last_line + 1),
        "duplicate id",
    );
    // Each bad value too.
    for (from, to) in [
        (",0.", ",1.5"),
        (",20", ",x20"),
        (",f0001 calibrated,", ",,"),
        // A question id that is not in the questions file.
        (",q0", ",qx0"),
    ] {
        let w = Workdir::empty();
        synth(w.path(), 120_000);
        let text = w.read(BATCH);
        let at = text.len() * 3 / 4;
        let at = at + text[at..].find(from).unwrap();
        w.write(
            BATCH,
            &format!("{}{}{}", &text[..at], to, &text[at + from.len()..]),
        );
        assert!(fast::scan(w.path()).unwrap().is_none(), "{from} -> {to}");
        assert!(ledger::open(w.path()).unwrap().errors() > 0);
    }
}

proptest::proptest! {
    /// The fast decimal reader gives exactly the value of the full loader's
    /// `parse_probability` (bit for bit) wherever it answers.
    #[test]
    fn plain_decimals_read_exactly_as_the_full_loader(
        int in "[0-9]{0,3}",
        frac in "[0-9]{0,14}",
        point in proptest::bool::ANY,
    ) {
        let s = if point { format!("{int}.{frac}") } else { format!("{int}{frac}") };
        let fast = fast::plain_decimal(&s);
        let full = s.parse::<f64>().ok().filter(|_| !s.is_empty() && s != ".");
        match fast {
            Some(v) => proptest::prop_assert_eq!(Some(v.to_bits()), full.map(f64::to_bits), "{}", s),
            None => proptest::prop_assert!(s.len() > 15 || s.is_empty() || s == "." || s.chars().filter(|c| c.is_ascii_digit()).count() > 15, "{}", s),
        }
        if let (Some(v), Ok(p)) = (fast, hindsight::model::parse_probability(&s)) {
            proptest::prop_assert_eq!(v.to_bits(), p.get().to_bits());
        }
    }
}

/// Run hindsight on `root` with `args` and extra environment: (exit code,
/// stdout, stderr).
fn hindsight_in(
    root: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hindsight"));
    cmd.arg("--root").arg(root).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), out.stdout, out.stderr)
}

fn score_json(root: &Path, env: &[(&str, &str)]) -> Vec<u8> {
    let args = ["score", "--format", "json", "--resamples", "200"];
    let (code, stdout, stderr) = hindsight_in(root, &args, env);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&stderr));
    stdout
}

#[test]
fn json_is_byte_identical_through_either_path_and_any_thread_count() {
    let w = Workdir::empty();
    synth(w.path(), 120_000);
    let fast = score_json(w.path(), &[]);
    assert!(fast.len() > 10_000);
    assert_eq!(fast, score_json(w.path(), &[(fast::FULL_LOAD_ENV, "1")]));
    assert_eq!(fast, score_json(w.path(), &[("RAYON_NUM_THREADS", "1")]));
    assert_eq!(fast, score_json(w.path(), &[("RAYON_NUM_THREADS", "3")]));
}

/// Bytes that trip CSV readers and the loaders' rules.
const TOKENS: &[&[u8]] = &[
    b"",
    b" ",
    b"\t",
    b"\xc2\xa0",
    b"\xef\xbb\xbf",
    b"\x0b",
    b"\r",
    b"\n",
    b"\r\n",
    b"\"",
    b",",
    b"\xff",
    b"\x00",
    b"\xe2\x80\x8b",
    b"no",
    b"NO",
    b"1.",
    b".5",
    b"x",
    b"q1",
    b"f1",
    b"2019-02-29",
    b"likely",
    b"|",
];

const FILES: [&str; 3] = [
    "forecasts/questions.csv",
    "forecasts/staff.csv",
    "outcomes/outcomes.csv",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(150))]
    /// Differential check on mutated copies of the clean ledger: whenever
    /// the fast path takes a ledger, the full loader finds no error in it and
    /// matches it to the same scored set, with the same warnings.
    #[test]
    fn mutated_ledgers_are_read_alike_or_left_to_the_full_loader(
        edits in proptest::collection::vec((0usize..3, 0.0f64..1.0, 0usize..24, 0u8..3), 1..4)
    ) {
        let w = Workdir::fixture("clean");
        mutate_and_compare(&w, edits)?;
    }

    /// The same on a batch without quote characters (read line by line,
    /// not by the csv crate's reader), edited in the batch only.
    #[test]
    fn mutated_quote_free_batches_are_read_alike_or_left_to_the_full_loader(
        edits in proptest::collection::vec((1usize..2, 0.0f64..1.0, 0usize..24, 0u8..3), 1..4)
    ) {
        let w = quote_free_clean();
        mutate_and_compare(&w, edits)?;
    }
}

/// The clean fixture with its one quoted cell unquoted: the fast path reads
/// its batch line by line.
fn quote_free_clean() -> Workdir {
    let w = Workdir::fixture("clean");
    let text = w.read(FILES[1]).replace(
        "\"it is \"\"likely\"\", she said\"",
        "it is likely she said",
    );
    assert!(!text.contains('"'));
    w.write(FILES[1], &text);
    w
}

/// Apply edits (file, where, token, insert / replace / remove) and check
/// that the fast path either leaves the ledger to the full loader or reads
/// it exactly alike.
fn mutate_and_compare(
    w: &Workdir,
    edits: Vec<(usize, f64, usize, u8)>,
) -> Result<(), proptest::test_runner::TestCaseError> {
    {
        for (file, at, token, op) in edits {
            let path = w.file(FILES[file]);
            let mut bytes = std::fs::read(&path).unwrap();
            let i = ((bytes.len() as f64) * at) as usize;
            let token = TOKENS[token];
            match op {
                0 => {
                    bytes.splice(i..i, token.iter().copied());
                }
                1 => {
                    let end = (i + token.len().max(1)).min(bytes.len());
                    bytes.splice(i..end, token.iter().copied());
                }
                _ => {
                    if i < bytes.len() {
                        bytes.remove(i);
                    }
                }
            }
            std::fs::write(&path, bytes).unwrap();
        }
        if let Some(scan) = fast::scan(w.path()).unwrap() {
            let full = ledger::open(w.path()).unwrap();
            proptest::prop_assert_eq!(full.errors(), 0);
            proptest::prop_assert_eq!(scan.warnings, full.diagnostics.len());
            proptest::prop_assert_eq!(scan.counts(), full.counts());
            for c in [
                MatchConfig::default(),
                MatchConfig {
                    as_of: chrono::NaiveDate::from_ymd_opt(2019, 6, 15),
                    forecaster: None,
                },
            ] {
                proptest::prop_assert!(fast::match_scan(&scan, &c) == match_forecasts(&full, &c));
            }
        }
    }
    Ok(())
}

/// Cases the line reader must read as the csv crate's reader does: blank
/// lines, lines of blank cells, blank cells past the header's width, cells
/// with Unicode or ASCII blanks around them, a last line without a line
/// end, Windows line ends. And cases it hands over: a lone carriage return
/// and a quote character.
#[test]
fn the_line_reader_reads_what_the_csv_reader_reads() {
    let base = quote_free_clean();
    let text = base.read(FILES[1]);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header = lines.remove(0);
    let cases = [
        format!("{header}\n\n{}\n   \n,,,,\n{}", lines.join("\n"), ""),
        format!("{header}\n{},, ,\t", lines.join(",,\n")),
        format!(
            "{header}\n{}",
            lines
                .join("\n")
                .replace(",0.", ",\u{a0}0.")
                .replace(",Ann,", ", Ann\u{b},")
        ),
        format!("{header}\r\n{}\r\n\r\n", lines.join("\r\n")),
    ];
    for (i, case) in cases.iter().enumerate() {
        let w = quote_free_clean();
        w.write(FILES[1], case);
        same_as_full_loader(w.path());
        let scan = fast::scan(w.path()).unwrap().unwrap();
        assert_eq!(scan.len(), lines.len(), "case {i}");
    }
    // A quote: the csv reader takes over and reads the same rows.
    let w = quote_free_clean();
    w.write(FILES[1], &text.replacen("she said", "she \"said\"", 1));
    same_as_full_loader(w.path());
    // A lone carriage return ends a row there for the csv reader too: the
    // rest of the row is a short row, left to the full loader to report.
    let w = quote_free_clean();
    w.write(FILES[1], &text.replacen(",0.8,", ",0.8,\r", 1));
    assert!(fast::scan(w.path()).unwrap().is_none());
    assert!(ledger::open(w.path()).unwrap().errors() > 0);
}
