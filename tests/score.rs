//! `hindsight score`, `chart` and `run` on small ledgers: formats, filters,
//! as-of dates, charts that decode, and the report folder.

mod common;
use common::Workdir;

#[test]
fn table_shows_hand_computed_scores() {
    let w = Workdir::fixture("clean");
    let r = w.run(&["score"]);
    r.expect_code(0);
    let out = r.stdout();
    // Ann: (0.8, yes), (0.3, no), ('likely' 0.675, yes) -> (0.04 + 0.09 + 0.105625) / 3
    assert!(
        out.lines()
            .any(|l| l.contains("Ann *") && l.contains("0.0785")),
        "{out}"
    );
    // Bob: ('cannot be ruled out' 0.25, yes), (1 - 0.6, no) -> (0.5625 + 0.16) / 2 = 0.36125
    assert!(
        out.lines()
            .any(|l| l.contains("Bob *") && l.contains("0.3613")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("All forecasters") && l.contains("0.1916")),
        "{out}"
    );
    assert!(
        out.contains("Scored 5 forecast(s) by 2 forecaster(s). Not scored: 1 pending"),
        "{out}"
    );
}

#[test]
fn json_values_match_hand_computation() {
    let w = Workdir::fixture("clean");
    let j = w.run(&["score", "--format", "json"]).expect_code(0).json();
    let ann = &j["forecasters"][0];
    assert_eq!(ann["forecaster"], "Ann");
    assert_eq!(ann["n"], 3);
    let close = |v: &serde_json::Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-12;
    assert!(close(&ann["brier"], (0.04 + 0.09 + 0.105625) / 3.0));
    let log = -((0.8f64).ln() + (0.7f64).ln() + (0.675f64).ln()) / 3.0;
    assert!(close(&ann["log_score"], log));
    assert!(close(&ann["base_rate"], 2.0 / 3.0));
    assert_eq!(ann["auc"], 1.0);
    assert!(close(&j["overall"]["brier"], 0.191625));
    assert_eq!(j["unscored"]["pending"], 1);
    assert!(j["as_of"].is_null());
}

#[test]
fn as_of_turns_later_outcomes_and_forecasts_into_pending() {
    let w = Workdir::fixture("clean");
    // By 2019-02-15 Bob has forecast nothing and nothing has resolved: Ann's
    // three are pending; Bob's, made later, are not part of that view.
    let j = w
        .run(&["score", "-f", "json", "--as-of", "2019-02-15"])
        .expect_code(0)
        .json();
    assert_eq!(j["overall"]["n"], 0);
    assert!(j["overall"]["brier"].is_null());
    assert_eq!(j["unscored"]["pending"], 3);
    // By 2019-06-30 only q1 has resolved: Ann's 0.8 and Bob's 0.25.
    let j = w
        .run(&["score", "-f", "json", "--as-of", "2019-06-30"])
        .expect_code(0)
        .json();
    assert_eq!(j["overall"]["n"], 2);
    assert!((j["overall"]["brier"].as_f64().unwrap() - (0.04 + 0.5625) / 2.0).abs() < 1e-12);
    w.run(&["score", "--as-of", "2019-13-01"]).expect_code(2);
}

#[test]
fn forecaster_filter_and_unknown_names() {
    let w = Workdir::fixture("clean");
    let j = w
        .run(&["score", "-f", "json", "--forecaster", "Bob"])
        .expect_code(0)
        .json();
    assert_eq!(j["forecasters"].as_array().unwrap().len(), 1);
    assert_eq!(j["overall"]["n"], 2);
    let r = w.run(&["score", "--forecaster", "Bobb"]);
    r.expect_code(2);
    assert!(
        r.stderr()
            .contains("no forecaster named 'Bobb' in the ledger (nearest: 'Bob'"),
        "{}",
        r.stderr()
    );
}

#[test]
fn csv_output_has_a_row_per_forecaster_and_neutralizes_formulas() {
    let w = Workdir::fixture("clean");
    w.edit(
        "forecasts/staff.csv",
        "f4,q1,Bob,",
        "f4,q1,=cmd|' /C calc'!A0,",
    );
    w.edit(
        "forecasts/staff.csv",
        "f5,q2,Bob,",
        "f5,q2,=cmd|' /C calc'!A0,",
    );
    let r = w.run(&["score", "--format", "csv"]);
    r.expect_code(0);
    let out = r.stdout();
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "scope");
    assert!(headers.iter().any(|h| h == "corp_miscalibration"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][0], "overall");
    assert_eq!(&rows[0][4], "0.191625");
    assert!(rows.iter().any(|r| &r[1] == "'=cmd|' /C calc'!A0"), "{out}");
}

#[test]
fn bins_option_changes_the_calibration_table() {
    let w = Workdir::fixture("clean");
    let j = w
        .run(&["score", "-f", "json", "--bins", "2"])
        .expect_code(0)
        .json();
    assert_eq!(j["settings"]["bins"], 2);
    let bins = j["overall"]["calibration"].as_array().unwrap();
    // p = 0.3, 0.25, 0.4 in [0, 0.5); 0.8, 0.675 in [0.5, 1].
    assert_eq!(bins.len(), 2);
    assert_eq!(bins[0]["n"], 3);
    assert_eq!(bins[1]["n"], 2);
    w.run(&["score", "--bins", "0"]).expect_code(2);
}

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    // Not blank: some pixels are far from white.
    let dark = buf
        .chunks(3)
        .filter(|p| p.iter().map(|&c| c as u32).sum::<u32>() < 300)
        .count();
    assert!(dark > 1000, "{} looks blank", path.display());
    (info.width, info.height)
}

#[test]
fn chart_writes_a_decodable_png() {
    let w = Workdir::fixture("clean");
    w.run(&["chart", "calibration", "-o", "all.png"])
        .expect_code(0);
    assert_eq!(png_size(&w.file("all.png")), (900, 900));
    w.run(&[
        "chart",
        "calibration",
        "--forecaster",
        "Ann",
        "-o",
        "ann.png",
    ])
    .expect_code(0);
    assert_eq!(png_size(&w.file("ann.png")), (900, 900));
    w.run(&[
        "chart",
        "calibration",
        "--forecaster",
        "Nobody",
        "-o",
        "x.png",
    ])
    .expect_code(2);
    assert!(!w.file("x.png").exists());
}

#[test]
fn run_writes_the_report_folder() {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "min_n = 3\n");
    let r = w.run(&["run", "--as-of", "2020-12-31"]);
    r.expect_code(0);
    let dir = w.file("reports/2020-12-31");
    for f in [
        "scores.json",
        "scores.csv",
        "calibration.png",
        "calibration-ann.png",
        "summary.md",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}: {}", r.stdout());
    }
    // Bob has 2 scored forecasts, below min_n = 3: no chart of his own.
    assert!(!dir.join("calibration-bob.png").exists());
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("scores.json")).unwrap()).unwrap();
    assert_eq!(j["as_of"], "2020-12-31");
    assert_eq!(j["forecasters"][0]["ranked"], true);
    assert_eq!(j["forecasters"][1]["ranked"], false);
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("| 1 | Ann | 3 | 0.0785"), "{md}");
    assert!(md.contains("| – | Bob | 2 | 0.3613"), "{md}");
    assert!(
        md.contains("| 2030-01-01 | Will D happen by 2030-01-01? (q4) | 1 | open |"),
        "{md}"
    );
    png_size(&dir.join("calibration.png"));
    // Running again replaces the folder without leftovers.
    w.run(&["run", "--as-of", "2020-12-31"]).expect_code(0);
    let entries = std::fs::read_dir(w.file("reports")).unwrap().count();
    assert_eq!(entries, 1);
}

#[test]
fn run_refuses_a_broken_ledger_and_writes_no_report() {
    let w = Workdir::fixture("clean");
    w.edit(
        "outcomes/outcomes.csv",
        "q1,2019-06-01,yes",
        "q1,2019-06-01,si",
    );
    w.run(&["run", "--as-of", "2020-12-31"])
        .expect_code(1)
        .expect_line("outcomes/outcomes.csv:2: outcome:", "'si'");
    assert!(!w.file("reports").exists());
}

#[test]
fn hostile_names_do_not_escape_the_report_folder_or_the_terminal() {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "min_n = 1\n");
    w.edit(
        "forecasts/staff.csv",
        "f4,q1,Bob,",
        "f4,q1,../../evil\u{1b}[31m|<b>,",
    );
    w.edit(
        "forecasts/staff.csv",
        "f5,q2,Bob,",
        "f5,q2,../../evil\u{1b}[31m|<b>,",
    );
    let r = w.run(&["run", "--as-of", "2020-12-31"]);
    r.expect_code(0);
    assert!(!r.stdout().contains('\u{1b}'));
    assert!(
        w.file("reports/2020-12-31/calibration-evil-31m-b.png")
            .is_file()
    );
    let md = w.read("reports/2020-12-31/summary.md");
    assert!(md.contains("../../evil\\[31m\\|&lt;b&gt;"), "{md}");
}

#[test]
fn lexicon_lookup() {
    let w = Workdir::fixture("clean");
    let r = w.run(&["lexicon", "lookup", "Cannot be ruled out"]);
    r.expect_code(0);
    assert!(
        r.stdout()
            .contains("'cannot be ruled out' -> P = 0.25 (range 0.05 to 0.45)"),
        "{}",
        r.stdout()
    );
    let r = w.run(&["lexicon", "lookup", "very likley"]);
    r.expect_code(1);
    assert!(
        r.stderr().contains("nearest known: 'very likely'"),
        "{}",
        r.stderr()
    );
    let r = w.run(&["lexicon"]);
    r.expect_code(0);
    assert!(r.stdout().contains("ICD 203"));
    // --scale lists that scale's own terms, as published.
    let kent = w
        .run(&["lexicon", "--scale", "kent"])
        .expect_code(0)
        .stdout();
    assert!(
        kent.contains("chances about even") && !kent.contains("roughly even chance"),
        "{kent}"
    );
    w.run(&["lexicon", "--scale", "nope"]).expect_code(2);
}

#[test]
fn broken_pipe_is_not_an_error() {
    let root = env!("CARGO_MANIFEST_DIR");
    let bin = assert_cmd::cargo::cargo_bin("hindsight");
    let mut child = std::process::Command::new(bin)
        .args(["--root", root, "lexicon"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(0),
        "{:?}",
        out
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
