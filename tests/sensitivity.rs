//! `score --sensitivity`: scores when verbal forecasts take the ends of their
//! ranges or another scale's readings, checked against hand-computed values.

mod common;
use common::Workdir;

fn close(v: &serde_json::Value, x: f64) -> bool {
    (v.as_f64().unwrap() - x).abs() < 1e-12
}

#[test]
fn ranges_are_scored_as_worked_out_by_hand() {
    let w = Workdir::fixture("clean");
    let j = w
        .run(&["score", "-f", "json", "--sensitivity", "--resamples", "0"])
        .expect_code(0)
        .json();
    let s = &j["sensitivity"];
    assert_eq!(s["scale"], "icd203");
    assert_eq!(s["verbal_forecasts"], 2);
    // Ann: 0.8 on yes (0.04), 0.3 on no (0.09), 'likely' (0.55-0.80) on yes.
    let ann = &s["forecasters"][0];
    assert_eq!(ann["forecaster"], "Ann");
    assert!(close(
        &ann["brier_low"],
        (0.04 + 0.09 + 0.45f64.powi(2)) / 3.0
    ));
    assert!(close(&ann["brier_high"], (0.04 + 0.09 + 0.04) / 3.0));
    assert!(close(&ann["brier_best"], (0.04 + 0.09 + 0.04) / 3.0));
    assert!(close(
        &ann["brier_worst"],
        (0.04 + 0.09 + 0.45f64.powi(2)) / 3.0
    ));
    // Bob: 'cannot be ruled out' (0.05-0.45) on yes, 0.6 about "no" on no (0.16).
    let bob = &s["forecasters"][1];
    assert!(close(&bob["brier_low"], (0.95f64.powi(2) + 0.16) / 2.0));
    assert!(close(&bob["brier_high"], (0.55f64.powi(2) + 0.16) / 2.0));
    assert!(close(
        &s["overall"]["brier_low"],
        (0.04 + 0.09 + 0.2025 + 0.9025 + 0.16) / 5.0
    ));
    // The ledger's own scale reproduces the scores; numeric forecasts never move.
    assert!(close(
        &ann["by_scale"]["icd203"],
        ann["brier"].as_f64().unwrap()
    ));
    // IPCC reads 'likely' as 0.83 (0.66-1).
    assert!(close(
        &ann["by_scale"]["ipcc"],
        (0.04 + 0.09 + 0.17f64.powi(2)) / 3.0
    ));
    // Without --sensitivity the key is absent.
    let plain = w
        .run(&["score", "-f", "json", "--resamples", "0"])
        .expect_code(0)
        .json();
    assert!(plain.get("sensitivity").is_none());
}

#[test]
fn leaderboard_order_change_under_another_scale_is_reported() {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "min_n = 1\n");
    w.write(
        "forecasts/staff.csv",
        "forecast_id,question_id,forecaster,made_on,probability,verbal\nf1,q1,Ann,2019-02-01,,likely\nf2,q1,Bob,2019-02-01,0.7,\n",
    );
    // ICD 203: Ann 'likely' 0.675 on yes (0.105625) vs Bob 0.7 (0.09): Bob first.
    // IPCC: 'likely' 0.83 (0.0289): Ann first.
    let j = w
        .run(&["score", "-f", "json", "--sensitivity", "--resamples", "0"])
        .expect_code(0)
        .json();
    let s = &j["sensitivity"];
    assert_eq!(s["order_changes"]["ipcc"], true);
    assert_eq!(s["order_changes"]["kent"], false);
    assert_eq!(s["forecasters"][0]["rank_by_scale"]["icd203"], 2);
    assert_eq!(s["forecasters"][0]["rank_by_scale"]["ipcc"], 1);
    let table = w
        .run(&["score", "--sensitivity", "--resamples", "0"])
        .expect_code(0)
        .stdout();
    assert!(table.contains("ipcc: changes"), "{table}");
}

#[test]
fn extract_writes_drafts_that_import_once_reviewed() {
    let w = Workdir::fixture("clean");
    w.write(
        "article.txt",
        "Analysts are divided. “A test is very likely before the summit,” said Jane Roe, a researcher at the Institute.\n",
    );
    let r = w.run(&[
        "extract",
        "article.txt",
        "--published",
        "2019-03-01",
        "--source",
        "https://example.org/a",
        "-o",
        "draft.csv",
    ]);
    r.expect_code(0);
    let draft = w.read("draft.csv");
    let mut rows = csv::Reader::from_reader(draft.as_bytes());
    let header = rows.headers().unwrap().clone();
    let recs: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert_eq!(recs.len(), 1, "{draft}");
    let get = |name: &str| recs[0][header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(get("forecaster"), "Jane Roe");
    assert_eq!(get("verbal"), "very likely");
    // Import refuses the draft until a person fills in question_id...
    w.run(&["import", "forecasts", "draft.csv"])
        .expect_code(1)
        .expect_line("draft.csv:2:1: question_id:", "is empty");
    // ...and takes it once they have.
    w.write(
        "draft.csv",
        &draft.replacen("\n,Jane Roe", "\nq1,Jane Roe", 1),
    );
    w.run(&["import", "forecasts", "draft.csv"]).expect_code(0);
    w.run(&["check"]).expect_code(0);
}
