//! `hindsight import`: normalization, idempotence, the flat form, all-or-nothing
//! refusal with located errors, dry runs, the change log and the lock.

mod common;
use common::Workdir;

const GOOD: &str = "\
Forecaster,Question_ID,Made_On,Probability,Quote,Verbal
Cleo,q1,15 March 2019,70%,\"It will, I think\",
Cleo,q2,\"March 16, 2019\",.25,,
Dan,q3,2019-03-17,,,highly likely
";

#[test]
fn imports_normalized_rows_and_is_idempotent() {
    let w = Workdir::fixture("clean");
    w.write("in/cleo.csv", GOOD);
    let r = w.run(&["import", "forecasts", "in/cleo.csv", "--by", "tester"]);
    r.expect_code(0);
    assert!(r.stdout().contains("added 3 forecast(s)"), "{}", r.stdout());
    let batch = w.read("forecasts/cleo.csv");
    let lines: Vec<&str> = batch.lines().collect();
    assert_eq!(
        lines[0],
        "forecast_id,question_id,forecaster,made_on,probability,verbal,direction,option,quote,source,recorded_by"
    );
    assert!(
        lines[1].ends_with(",q1,Cleo,2019-03-15,0.7,,,,\"It will, I think\",,tester"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(",q2,Cleo,2019-03-16,0.25,"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains(",q3,Dan,2019-03-17,,highly likely,"),
        "{}",
        lines[3]
    );
    assert!(lines[1].starts_with("f-"));
    w.run(&["check"]).expect_code(0);

    // Importing the same file again adds nothing and changes nothing but the log.
    let before = w.snapshot();
    let again = w.run(&["import", "forecasts", "in/cleo.csv"]);
    again.expect_code(0);
    assert!(
        again.stdout().contains("added 0 forecast(s)"),
        "{}",
        again.stdout()
    );
    assert!(
        again.stdout().contains("skipped 3 row(s)"),
        "{}",
        again.stdout()
    );
    assert_eq!(before, w.snapshot());

    // The change log names who, what and the input's hash.
    let log = w.read("forecasts/CHANGES.log");
    let entry: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(entry["user"], "tester");
    assert_eq!(entry["rows_added"], 3);
    assert_eq!(entry["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn forecast_ids_are_stable_across_ledgers() {
    let a = Workdir::fixture("clean");
    let b = Workdir::fixture("clean");
    for w in [&a, &b] {
        w.write("in/x.csv", GOOD);
        w.run(&["import", "forecasts", "in/x.csv"]).expect_code(0);
    }
    assert_eq!(a.read("forecasts/x.csv"), b.read("forecasts/x.csv"));
}

#[test]
fn flat_form_creates_and_checks_questions() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/flat.csv",
        "question_id,title,closes_on,forecaster,made_on,probability\n\
         new-q,Will X happen by 2019-12-31?,2019-12-31,Eve,2019-04-01,0.4\n\
         new-q,Will X happen by 2019-12-31?,2019-12-31,Fay,2019-04-02,0.6\n\
         ,Will Y happen?,2020-01-31,Eve,2019-04-01,10%\n",
    );
    let r = w.run(&["import", "forecasts", "in/flat.csv"]);
    r.expect_code(0);
    assert!(
        r.stdout()
            .contains("added 3 forecast(s), 2 new question(s)"),
        "{}",
        r.stdout()
    );
    let q = w.read("forecasts/questions.csv");
    assert!(
        q.contains("\nnew-q,Will X happen by 2019-12-31?,binary,,,2019-12-31,,\n"),
        "{q}"
    );
    assert!(
        q.contains("\nwill-y-happen,Will Y happen?,binary,,,2020-01-31,,\n"),
        "{q}"
    );
    w.run(&["check"]).expect_code(0);

    // A row that disagrees with the existing question is refused.
    w.write("in/bad.csv", "question_id,title,closes_on,forecaster,made_on,probability\nnew-q,Will X happen by 2019-12-31?,2020-06-30,Gus,2019-04-03,0.5\n");
    let before = w.snapshot();
    w.run(&["import", "forecasts", "in/bad.csv"])
        .expect_code(1)
        .expect_line(
            "in/bad.csv:2:3: closes_on:",
            "2020-06-30 differs from question 'new-q''s closes_on 2019-12-31",
        );
    assert_eq!(before, w.snapshot());
}

/// (what, kind, file content, expected exit code, expected prefix, expected text)
type Bad = (
    &'static str,
    &'static str,
    &'static str,
    i32,
    &'static str,
    &'static str,
);

const BAD: &[Bad] = &[
    (
        "unknown question",
        "forecasts",
        "question_id,forecaster,made_on,probability\nq9,Ann,2019-03-01,0.5\n",
        1,
        "in/bad.csv:2:1: question_id:",
        "unknown question 'q9'",
    ),
    (
        "probability out of range",
        "forecasts",
        "question_id,forecaster,made_on,probability\nq1,Ann,2019-03-01,120%\n",
        1,
        "in/bad.csv:2:4: probability:",
        "120% is outside 0-100%",
    ),
    (
        "ambiguous date",
        "forecasts",
        "question_id,forecaster,made_on,probability\nq1,Ann,03/04/2019,0.5\n",
        1,
        "in/bad.csv:2:3: made_on:",
        "'03/04/2019' is ambiguous",
    ),
    (
        "unknown phrase",
        "forecasts",
        "question_id,forecaster,made_on,verbal\nq1,Ann,2019-03-01,kinda maybe\n",
        1,
        "in/bad.csv:2:4: verbal:",
        "unknown phrase 'kinda maybe'",
    ),
    (
        "missing column",
        "forecasts",
        "question_id,made_on,probability\nq1,2019-03-01,0.5\n",
        2,
        "in/bad.csv:1:",
        "missing required column(s): forecaster",
    ),
    (
        "unknown column",
        "forecasts",
        "question_id,forecaster,made_on,probability,mood\nq1,Ann,2019-03-01,0.5,ok\n",
        2,
        "in/bad.csv:1:",
        "unknown column 'mood'",
    ),
    (
        "no probability column",
        "forecasts",
        "question_id,forecaster,made_on\nq1,Ann,2019-03-01\n",
        2,
        "in/bad.csv:1:",
        "missing required column(s): probability or verbal",
    ),
    (
        "id conflict",
        "forecasts",
        "forecast_id,question_id,forecaster,made_on,probability\nf1,q1,Ann,2019-02-01,0.9\n",
        1,
        "in/bad.csv:2:1: forecast_id:",
        "'f1' already exists with different content",
    ),
    (
        "outcome conflict",
        "outcomes",
        "question_id,resolved_on,outcome\nq1,2019-06-01,no\n",
        1,
        "in/bad.csv:2:3: outcome:",
        "question 'q1' is already resolved yes on 2019-06-01",
    ),
    (
        "bad outcome value",
        "outcomes",
        "question_id,resolved_on,outcome\nq4,2031-01-01,perhaps\n",
        1,
        "in/bad.csv:2:3: outcome:",
        "'perhaps' is not an outcome",
    ),
    (
        "bad outcome date",
        "outcomes",
        "question_id,resolved_on,outcome\nq4,31.02.2031,yes\n",
        1,
        "in/bad.csv:2:2: resolved_on:",
        "'31.02.2031' is not a real date",
    ),
    (
        "empty file",
        "forecasts",
        "",
        2,
        "in/bad.csv:",
        "file is empty",
    ),
];

#[test]
fn bad_rows_are_refused_and_the_ledger_is_byte_identical() {
    for (what, kind, content, code, prefix, text) in BAD {
        let w = Workdir::fixture("clean");
        w.write("in/bad.csv", content);
        let before = w.snapshot();
        let r = w.run(&["import", kind, "in/bad.csv"]);
        assert_eq!(
            r.code(),
            *code,
            "{what}: expected exit {code}\n{}\n{}",
            r.stdout(),
            r.stderr()
        );
        r.expect_line(prefix, text);
        assert!(r.stderr().contains("nothing was written"), "{what}");
        assert_eq!(before, w.snapshot(), "{what}: the ledger changed");
    }
}

#[test]
fn one_bad_row_stops_the_whole_import_and_every_bad_row_is_listed() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/mixed.csv",
        "question_id,forecaster,made_on,probability\nq1,Hal,2019-03-01,0.5\nq1,Hal,2019-13-01,0.5\nq2,,2019-03-01,0.5\nq3,Hal,2019-03-01,2\n",
    );
    let before = w.snapshot();
    let r = w.run(&["import", "forecasts", "in/mixed.csv"]);
    r.expect_code(1);
    r.expect_line("in/mixed.csv:3:3: made_on:", "2019-13-01");
    r.expect_line("in/mixed.csv:4:2: forecaster:", "is empty");
    r.expect_line("in/mixed.csv:5:4: probability:", "2 is outside [0, 1]");
    assert!(
        r.stderr()
            .contains("3 error(s) in 3 row(s); nothing was written"),
        "{}",
        r.stderr()
    );
    assert_eq!(before, w.snapshot());
}

#[test]
fn dry_run_shows_rows_and_writes_nothing() {
    let w = Workdir::fixture("clean");
    w.write("in/cleo.csv", GOOD);
    let before = w.snapshot();
    let r = w.run(&["import", "forecasts", "--dry-run", "in/cleo.csv"]);
    r.expect_code(0);
    assert!(
        r.stdout().contains("dry run: would add 3 forecast(s)"),
        "{}",
        r.stdout()
    );
    assert!(r.stdout().contains("q2 Cleo p=0.25"), "{}", r.stdout());
    assert_eq!(before, w.snapshot());
}

#[test]
fn outcomes_import_normalizes_values() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/res.csv",
        "Question_ID,Resolved_On,Outcome,Source\nq4,1 January 2030,TRUE,https://example.org\n",
    );
    w.run(&["import", "outcomes", "in/res.csv"]).expect_code(0);
    assert_eq!(
        w.read("outcomes/res.csv"),
        "question_id,resolved_on,outcome,source,note\nq4,2030-01-01,yes,https://example.org,\n"
    );
    // Same record again: skipped.
    let before = w.snapshot();
    w.run(&["import", "outcomes", "in/res.csv"]).expect_code(0);
    assert_eq!(before.len(), w.snapshot().len());
    assert_eq!(
        w.read("outcomes/res.csv"),
        "question_id,resolved_on,outcome,source,note\nq4,2030-01-01,yes,https://example.org,\n"
    );
}

#[test]
fn appending_to_an_existing_batch_keeps_its_rows() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/staff.csv",
        "question_id,forecaster,made_on,probability\nq3,Ivy,2019-05-01,0.9\n",
    );
    let old = w.read("forecasts/staff.csv");
    w.run(&["import", "forecasts", "in/staff.csv"])
        .expect_code(0);
    let new = w.read("forecasts/staff.csv");
    assert!(
        new.starts_with(&old),
        "existing rows must be kept byte for byte"
    );
    assert!(
        new[old.len()..].contains(",q3,Ivy,2019-05-01,0.9,"),
        "{new}"
    );
    w.run(&["check"]).expect_code(0);
}

#[test]
fn a_held_lock_gives_a_clear_message() {
    let w = Workdir::fixture("clean");
    w.write("in/x.csv", GOOD);
    let lock =
        hindsight::ledger::write::LedgerLock::acquire(w.path(), std::time::Duration::ZERO).unwrap();
    let before = w.snapshot();
    let r = w.run(&["import", "forecasts", "--wait", "0", "in/x.csv"]);
    r.expect_code(2);
    assert!(
        r.stderr()
            .contains("another hindsight process is writing this ledger"),
        "{}",
        r.stderr()
    );
    assert_eq!(before, w.snapshot());
    drop(lock);
    w.run(&["import", "forecasts", "in/x.csv"]).expect_code(0);
}

#[test]
fn concurrent_imports_are_serialized_and_lose_nothing() {
    let w = Workdir::fixture("clean");
    let bin = assert_cmd::cargo::cargo_bin("hindsight");
    let mut children = Vec::new();
    for i in 0..6 {
        let rows: String = (0..20)
            .map(|k| {
                format!(
                    "q{},P{}-{},2019-03-{:02},0.{}\n",
                    1 + k % 3,
                    i,
                    k,
                    1 + k % 28,
                    1 + k % 9
                )
            })
            .collect();
        w.write(
            &format!("in/b{i}.csv"),
            &format!("question_id,forecaster,made_on,probability\n{rows}"),
        );
        // All into one batch file, so every import rewrites the same file.
        children.push(
            std::process::Command::new(&bin)
                .current_dir(w.path())
                .args([
                    "import",
                    "forecasts",
                    "--batch",
                    "shared",
                    "--wait",
                    "60",
                    &format!("in/b{i}.csv"),
                ])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let batch = w.read("forecasts/shared.csv");
    assert_eq!(batch.lines().count(), 1 + 6 * 20, "{batch}");
    w.run(&["check"]).expect_code(0);
    assert_eq!(w.read("forecasts/CHANGES.log").lines().count(), 6);
}

#[test]
fn option_rows_and_non_binary_questions_are_refused_at_the_input_location() {
    let w = Workdir::fixture("clean");
    w.append(
        "forecasts/questions.csv",
        "qc,Which colour?,categorical,red|blue,,2020-01-01,,\n",
    );
    w.run(&["check"]).expect_code(0);
    w.write("in/opt.csv", "question_id,forecaster,made_on,probability,option\nqc,Ann,2019-02-01,0.5,red\nqc,Ann,2019-02-01,0.5,blue\nq1,Ann,2019-02-02,0.5,red\n");
    let before = w.snapshot();
    let r = w.run(&["import", "forecasts", "in/opt.csv"]);
    r.expect_code(1);
    r.expect_line(
        "in/opt.csv:2:1: question_id:",
        "question 'qc' is categorical",
    );
    r.expect_line(
        "in/opt.csv:3:1: question_id:",
        "question 'qc' is categorical",
    );
    r.expect_line(
        "in/opt.csv:4:5: option:",
        "'red' given for binary question 'q1'",
    );
    assert_eq!(before, w.snapshot());
}

#[test]
fn an_explicit_id_cannot_smuggle_in_a_second_copy_of_a_forecast() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/dup.csv",
        "forecast_id,question_id,forecaster,made_on,probability\nzz,q1,Ann,2019-02-01,0.8\n",
    );
    let before = w.snapshot();
    w.run(&["import", "forecasts", "in/dup.csv"])
        .expect_code(1)
        .expect_line(
            "in/dup.csv:2:1: forecast_id:",
            "already in the ledger as 'f1'",
        );
    assert_eq!(before, w.snapshot());
}

#[test]
fn import_warns_about_rows_that_will_never_be_scored() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/late.csv",
        "question_id,forecaster,made_on,probability\nq1,Late,2025-01-01,0.5\n",
    );
    let r = w.run(&["import", "forecasts", "in/late.csv"]);
    r.expect_code(0);
    r.expect_line(
        "forecasts/late.csv:2: made_on: warning:",
        "after question q1 closed on 2020-01-01",
    );
}

#[test]
fn kind_mismatch_in_the_flat_form_is_refused() {
    let w = Workdir::fixture("clean");
    w.write("in/k.csv", "question_id,title,kind,closes_on,forecaster,made_on,probability\nq1,Will A happen by 2020-01-01?,ordinal,2020-01-01,Ann,2019-05-01,0.5\n");
    w.run(&["import", "forecasts", "in/k.csv"])
        .expect_code(1)
        .expect_line(
            "in/k.csv:2:3: kind:",
            "'ordinal' differs from question 'q1''s kind binary",
        );
}

#[cfg(unix)]
#[test]
fn imported_files_stay_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::fixture("clean");
    std::fs::set_permissions(
        w.file("forecasts/questions.csv"),
        std::fs::Permissions::from_mode(0o664),
    )
    .unwrap();
    w.write("in/flat.csv", "question_id,title,closes_on,forecaster,made_on,probability\nnq,New?,2020-01-01,Ann,2019-01-05,0.5\n");
    w.run(&["import", "forecasts", "in/flat.csv"])
        .expect_code(0);
    let mode = |p: &str| std::fs::metadata(w.file(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("forecasts/questions.csv"), 0o664);
    assert_eq!(mode("forecasts/flat.csv"), 0o644);
    assert_eq!(mode("forecasts/CHANGES.log"), 0o644);
}
