//! hindsight's JSON against an independent implementation (numpy, scipy,
//! scikit-learn: tests/reference/reference.py, output recorded in
//! tests/reference/*.json) on a synthetic ledger of 12,705 forecasts and on the
//! scoringutils example ledger. Every SUMMARY number must agree to 1e-9.

mod common;
use common::{FIXTURES, Workdir};
use serde_json::Value;

const TOL: f64 = 1e-9;

fn compare(path: &str, got: &Value, want: &Value, diffs: &mut Vec<String>) {
    match (got, want) {
        (_, Value::Object(w)) => {
            for (k, v) in w {
                if k == "extras" {
                    continue;
                }
                match got.get(k) {
                    Some(g) => compare(&format!("{path}.{k}"), g, v, diffs),
                    None => diffs.push(format!("{path}.{k}: missing")),
                }
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                diffs.push(format!("{path}: {} items, expected {}", g.len(), w.len()));
                return;
            }
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                compare(&format!("{path}[{i}]"), a, b, diffs);
            }
        }
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            if (g - w).abs() > TOL {
                diffs.push(format!(
                    "{path}: {g} vs reference {w} (diff {:e})",
                    (g - w).abs()
                ));
            }
        }
        (g, w) => {
            if g != w {
                diffs.push(format!("{path}: {g} vs reference {w}"));
            }
        }
    }
}

fn check_against(ledger: &str, expected: &str) -> Value {
    let w = Workdir::empty();
    let root = format!("{FIXTURES}/{ledger}");
    let got = w
        .run(&["--root", &root, "score", "--format", "json"])
        .expect_code(0)
        .json();
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/reference/{expected}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let mut diffs = Vec::new();
    compare("overall", &got["overall"], &want["overall"], &mut diffs);
    compare(
        "forecasters",
        &got["forecasters"],
        &want["forecasters"],
        &mut diffs,
    );
    compare("unscored", &got["unscored"], &want["unscored"], &mut diffs);
    assert!(
        diffs.is_empty(),
        "{} difference(s) from the reference:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    got
}

/// The calibration tests and comparisons (issue 3), recorded by the reference
/// script under `extras`, are top-level keys of each summary in hindsight's JSON.
fn check_extras(got: &Value, want: &Value) {
    let mut diffs = Vec::new();
    let pairs = std::iter::once((&got["overall"], &want["overall"])).chain(
        got["forecasters"]
            .as_array()
            .unwrap()
            .iter()
            .zip(want["forecasters"].as_array().unwrap()),
    );
    let mut compared = 0;
    for (g, w) in pairs {
        let name = g
            .get("forecaster")
            .and_then(|v| v.as_str())
            .unwrap_or("overall")
            .to_string();
        for (k, v) in w["extras"].as_object().unwrap() {
            if k == "ranked" {
                continue;
            }
            compare(&format!("{name}.{k}"), &g[k.as_str()], v, &mut diffs);
            compared += 1;
        }
    }
    assert!(compared >= 25, "only {compared} extras compared");
    assert!(
        diffs.is_empty(),
        "{} difference(s) from the reference:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn synthetic_ledger_matches_scikit_learn_and_scipy() {
    let got = check_against("reference-ledger", "expected.json");
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/reference/expected.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    check_extras(&got, &want);
    assert_eq!(got["overall"]["n"], 12585);
    assert_eq!(got["forecasters"].as_array().unwrap().len(), 6);
}

#[test]
fn scoringutils_ledger_matches_reference_and_published_table() {
    let got = check_against("scoringutils-ledger", "expected-scoringutils.json");
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/reference/expected-scoringutils.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    check_extras(&got, &want);
    // The table in shared/data/scoringutils/README.md (5 decimals).
    let table = [
        ("EuroCOVIDhub-baseline", 0.19189, 0.59768),
        ("EuroCOVIDhub-ensemble", 0.24300, 0.67953),
        ("UMass-MechBayes", 0.24602, 0.68508),
        ("epiforecasts-EpiNow2", 0.25177, 0.69714),
    ];
    for (name, brier, log) in table {
        let f = got["forecasters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["forecaster"] == name)
            .unwrap();
        assert!(
            (f["brier"].as_f64().unwrap() - brier).abs() < 5e-6,
            "{name} brier"
        );
        assert!(
            (f["log_score"].as_f64().unwrap() - log).abs() < 5e-6,
            "{name} log"
        );
    }
    assert!((got["overall"]["brier"].as_f64().unwrap() - 0.23113).abs() < 5e-6);
}

#[test]
fn json_has_every_contract_key() {
    let w = Workdir::fixture("clean");
    let j = w.run(&["score", "--format", "json"]).expect_code(0).json();
    for top in ["as_of", "settings", "overall", "forecasters"] {
        assert!(j.get(top).is_some(), "missing {top}");
    }
    assert_eq!(j["settings"]["bins"], 10);
    assert_eq!(j["settings"]["log_clamp"], 0.001);
    let summaries = std::iter::once(&j["overall"]).chain(j["forecasters"].as_array().unwrap());
    for s in summaries {
        for k in [
            "n",
            "brier",
            "log_score",
            "base_rate",
            "brier_skill",
            "auc",
            "murphy",
            "corp",
            "calibration",
        ] {
            assert!(s.get(k).is_some(), "missing {k} in {s}");
        }
        for k in ["reliability", "resolution", "uncertainty", "residual"] {
            assert!(s["murphy"].get(k).is_some(), "murphy.{k}");
        }
        for k in ["miscalibration", "discrimination", "uncertainty"] {
            assert!(s["corp"].get(k).is_some(), "corp.{k}");
        }
        for b in s["calibration"].as_array().unwrap() {
            for k in [
                "bin_lo",
                "bin_hi",
                "n",
                "mean_forecast",
                "observed",
                "ci_lo",
                "ci_hi",
            ] {
                assert!(b.get(k).is_some(), "calibration.{k}");
            }
        }
    }
    assert_eq!(j["forecasters"][0]["forecaster"], "Ann");
    // Bob's two forecasts: (0.25, yes), (0.4, no) -> AUC 0, skill defined.
    assert_eq!(j["forecasters"][1]["auc"], 0.0);
    // Undefined values are null, never NaN: one forecaster, one outcome class.
    let one = w
        .run(&["score", "--format", "json", "--as-of", "2019-06-15"])
        .expect_code(0)
        .json();
    assert_eq!(one["as_of"], "2019-06-15");
    assert_eq!(one["overall"]["n"], 2);
    assert!(one["overall"]["auc"].is_null());
    assert!(one["overall"]["brier_skill"].is_null());
}
