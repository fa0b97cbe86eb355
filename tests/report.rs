//! The monthly report: folder layout, reproducibility, the manifest, and
//! hostile ledger text that must not break or inject into the HTML page.

mod common;
use common::Workdir;

const HOSTILE: &str = "<script>alert('x')</script>\"onload=\"x";

fn hostile_ledger() -> Workdir {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "min_n = 1\nresamples = 50\n");
    let long = "Ω".repeat(5000);
    let rtl = "\u{202E}evil\u{202C} مرحبا";
    w.edit(
        "forecasts/staff.csv",
        "f4,q1,Bob,",
        &format!("f4,q1,\"{}\",", HOSTILE.replace('"', "\"\"")),
    );
    w.edit(
        "forecasts/staff.csv",
        "f5,q2,Bob,",
        &format!("f5,q2,\"{}\",", HOSTILE.replace('"', "\"\"")),
    );
    w.edit(
        "forecasts/staff.csv",
        "f1,q1,Ann,2019-02-01,0.8,,,,,,",
        &format!("f1,q1,Ann,2019-02-01,0.8,,,,\"{rtl}\",javascript:alert(1),"),
    );
    w.edit(
        "forecasts/questions.csv",
        "Will B happen by 2020-01-01?",
        &format!("{long} <img src=x onerror=alert(1)>"),
    );
    w
}

#[test]
fn monthly_report_has_every_file_and_is_reproducible() {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "min_n = 2\nresamples = 200\n");
    let r = w.run(&["run", "--month", "2019-07"]);
    r.expect_code(0);
    let dir = w.file("reports/2019-07");
    for f in [
        "scores.json",
        "scores.csv",
        "forecasts.csv",
        "pairwise.csv",
        "calibration.png",
        "calibration-ann.png",
        "summary.md",
        "index.html",
        "manifest.json",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}: {}", r.stdout());
    }
    let json: serde_json::Value =
        serde_json::from_str(&w.read("reports/2019-07/scores.json")).unwrap();
    assert_eq!(json["as_of"], "2019-07-31");
    // By 2019-07-31, q1 (2019-06-01) and q2 (2019-07-01) have resolved; q3 not yet.
    assert_eq!(json["overall"]["n"], 4);
    let html = w.read("reports/2019-07/index.html");
    assert!(html.contains("Resolved in July 2019"), "period heading");
    assert!(
        html.contains("Will B happen by 2020-01-01?"),
        "q2 resolved in July is listed"
    );
    assert!(
        html.contains("data:image/png;base64,"),
        "charts are embedded"
    );
    assert!(
        !html.contains("http://") && !html.contains("<script"),
        "self-contained, no scripts"
    );

    // The manifest records the tool, settings and every input's hash.
    let m: serde_json::Value =
        serde_json::from_str(&w.read("reports/2019-07/manifest.json")).unwrap();
    assert_eq!(m["month"], "2019-07");
    assert_eq!(m["settings"]["resamples"], 200);
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 4);
    assert!(
        inputs
            .iter()
            .all(|i| i["sha256"].as_str().unwrap().len() == 64)
    );
    // Every output's recorded hash is the hash of the file as written
    // (forecasts.csv is streamed to disk and hashed as read back).
    let outputs = m["outputs"].as_array().unwrap();
    assert!(outputs.iter().any(|o| o["file"] == "forecasts.csv"));
    for o in outputs {
        use sha2::Digest;
        let file = o["file"].as_str().unwrap();
        let bytes = std::fs::read(w.path().join(format!("reports/2019-07/{file}"))).unwrap();
        let want: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(o["sha256"].as_str().unwrap(), want, "{file}");
    }

    // More data arriving later (a later outcome and a later forecast) does not
    // change the past month's numbers.
    let before = w.read("reports/2019-07/scores.json");
    w.append("forecasts/staff.csv", "f9,q4,Cy,2019-09-01,0.9,,,,,,\n");
    w.append("outcomes/outcomes.csv", "q4,2019-10-01,no,,\n");
    w.run(&["run", "--month", "2019-07"]).expect_code(0);
    assert_eq!(before, w.read("reports/2019-07/scores.json"));
    let forecasts = w.read("reports/2019-07/forecasts.csv");
    assert!(forecasts.contains("f9,q4,"), "{forecasts}");
    // Listed as made after the as-of date, and the later outcome is not shown.
    let f9 = forecasts.lines().find(|l| l.starts_with("f9,")).unwrap();
    assert!(f9.contains(",after_as_of,") && !f9.contains(",no,"), "{f9}");
}

#[test]
fn hostile_ledger_text_is_escaped_in_every_output() {
    let w = hostile_ledger();
    w.run(&["check"]).expect_code(0);
    let r = w.run(&["run", "--as-of", "2021-01-01"]);
    r.expect_code(0);
    let html = w.read("reports/2021-01-01/index.html");
    assert!(!html.contains("<script>alert"), "script injected");
    assert!(!html.contains("<img src=x"), "tag injected");
    assert!(!html.contains("href=\"javascript:"), "javascript link");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;onload=&quot;x"));
    assert!(
        html.contains("<bdi>\u{202E}evil"),
        "right-to-left text is isolated"
    );
    assert_eq!(html.matches("<script").count(), 0);
    // Spreadsheet formulas are neutralized in the CSVs; JSON stays exact.
    let csv = w.read("reports/2021-01-01/forecasts.csv");
    assert!(
        !csv.lines()
            .any(|l| l.split(',').any(|c| c.starts_with('=')))
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.read("reports/2021-01-01/scores.json")).unwrap();
    assert!(
        json["forecasters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["forecaster"] == HOSTILE)
    );
    let md = w.read("reports/2021-01-01/summary.md");
    assert!(!md.contains("<script>"));
}

#[test]
fn default_run_reports_the_last_complete_month() {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "resamples = 20\n");
    let r = w.run(&["run"]);
    r.expect_code(0);
    let today = chrono::Local::now().date_naive();
    let last = hindsight::report::last_complete_month(today);
    assert!(
        w.file(&format!("reports/{}", last.format("%Y-%m")))
            .join("index.html")
            .is_file(),
        "{}",
        r.stdout()
    );
    w.run(&["run", "--month", "2019-13"]).expect_code(2);
    w.run(&["run", "--month", "2019-07", "--as-of", "2019-07-01"])
        .expect_code(2);
}

#[test]
fn run_never_deletes_a_folder_it_did_not_make() {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "resamples = 20\n");
    w.write("out/2019-12-31/thesis.txt", "precious");
    let r = w.run(&["run", "--as-of", "2019-12-31", "--out", "out"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("was not made by hindsight"),
        "{}",
        r.stderr()
    );
    assert_eq!(w.read("out/2019-12-31/thesis.txt"), "precious");
    // A report folder hindsight made is replaced.
    w.run(&["run", "--as-of", "2019-06-30", "--out", "out"])
        .expect_code(0);
    w.run(&["run", "--as-of", "2019-06-30", "--out", "out"])
        .expect_code(0);
    let leftovers: Vec<_> = std::fs::read_dir(w.file("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}
