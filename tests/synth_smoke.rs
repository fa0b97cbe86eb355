//! Smoke test: a 2,000-forecast synthetic ledger is checked clean and scored
//! by the real binary, and the JSON accounts for every forecast.

mod common;

use common::Workdir;
use hindsight::synth::{SynthConfig, write_synthetic_ledger};

#[test]
fn synthetic_ledger_scores_as_json() {
    let w = Workdir::empty();
    let cfg = SynthConfig {
        forecasters: 10,
        questions: 200,
        forecasts: 2_000,
        seed: 11,
    };
    let s = write_synthetic_ledger(w.path(), &cfg).unwrap();
    w.run(&["check"]).expect_code(0);
    let run = w.run(&["score", "--format", "json"]);
    run.expect_code(0);
    let doc = run.json();
    assert_eq!(doc["overall"]["n"], s.scored);
    let forecasters = doc["forecasters"].as_array().unwrap();
    assert_eq!(forecasters.len(), cfg.forecasters);
    let n: u64 = forecasters.iter().map(|f| f["n"].as_u64().unwrap()).sum();
    assert_eq!(n as usize, s.scored);
    assert_eq!(doc["unscored"]["pending"], s.on_unresolved);
    assert_eq!(doc["unscored"]["void"], s.on_void);
    // Every forecaster is ranked and has a Brier score; the chimps are worse
    // than the calibrated forecasters.
    let brier = |kind: &str| {
        let v: Vec<f64> = forecasters
            .iter()
            .filter(|f| f["forecaster"].as_str().unwrap().ends_with(kind))
            .map(|f| f["brier"].as_f64().unwrap())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(forecasters.iter().all(|f| f["ranked"] == true));
    assert!(brier("calibrated") < brier("chimp"));
}

#[test]
fn synth_command_writes_a_ledger_that_checks_and_runs() {
    let w = Workdir::empty();
    let r = w.run(&[
        "synth",
        "--out",
        "led",
        "--forecasters",
        "6",
        "--questions",
        "200",
        "--forecasts",
        "1500",
        "--seed",
        "9",
    ]);
    r.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(summary["forecasts"], 1500);
    w.run(&["--root", "led", "check"]).expect_code(0);
    let j = w
        .run(&[
            "--root",
            "led",
            "score",
            "--format",
            "json",
            "--resamples",
            "0",
        ])
        .expect_code(0)
        .json();
    assert_eq!(j["forecasters"].as_array().unwrap().len(), 6);
    // Writing into a folder that holds another ledger's files is refused.
    w.write(
        "led/forecasts/staff.csv",
        "forecast_id,question_id,forecaster,made_on,probability\n",
    );
    w.run(&["synth", "--out", "led", "--forecasts", "10"])
        .expect_code(2);
    assert!(w.file("led/forecasts/staff.csv").is_file());
}
