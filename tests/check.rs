//! `hindsight check` on a clean fixture ledger and on one broken copy per rule:
//! each problem is reported with file, line, field and value, and the exit code
//! says whether the ledger is usable.

mod common;
use common::Workdir;

const Q: &str = "forecasts/questions.csv";
const F: &str = "forecasts/staff.csv";
const O: &str = "outcomes/outcomes.csv";

#[test]
fn clean_ledger_passes() {
    let w = Workdir::fixture("clean");
    let r = w.run(&["check"]);
    r.expect_code(0);
    assert!(
        r.stdout()
            .contains("ledger OK: 4 question(s), 6 forecast(s), 3 outcome(s)"),
        "{}",
        r.stdout()
    );
    assert_eq!(r.stderr(), "");
}

#[test]
fn shipped_ledger_passes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let r = Workdir::empty().run(&["--root", root, "check", "--strict"]);
    r.expect_code(0);
}

/// (what, file, find, replace, expected line prefix, expected text)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const ERRORS: &[Case] = &[
    (
        "missing column",
        Q,
        "question_id,title,kind,",
        "question_id,title,",
        "forecasts/questions.csv:1:",
        "missing required column(s): kind",
    ),
    (
        "unknown column",
        O,
        "source,note",
        "source,note,colour",
        "outcomes/outcomes.csv:1:",
        "unknown column(s): colour",
    ),
    (
        "empty required field",
        F,
        "f1,q1,Ann,",
        "f1,q1,,",
        "forecasts/staff.csv:2: forecaster:",
        "is empty (required)",
    ),
    (
        "empty question id",
        O,
        "q2,2019-07-01",
        ",2019-07-01",
        "outcomes/outcomes.csv:3: question_id:",
        "is empty",
    ),
    (
        "malformed date",
        F,
        "f1,q1,Ann,2019-02-01",
        "f1,q1,Ann,2019/02/01",
        "forecasts/staff.csv:2: made_on:",
        "'2019/02/01' is not a date in the form YYYY-MM-DD",
    ),
    (
        "impossible date",
        O,
        "q1,2019-06-01",
        "q1,2019-02-30",
        "outcomes/outcomes.csv:2: resolved_on:",
        "'2019-02-30' is not a real date",
    ),
    (
        "impossible closes_on",
        Q,
        "2019-01-01,2020-01-01,Resolves",
        "2019-01-01,2020-13-01,Resolves",
        "forecasts/questions.csv:2: closes_on:",
        "'2020-13-01' is not a real date",
    ),
    (
        "probability above 1",
        F,
        "Ann,2019-02-01,0.8",
        "Ann,2019-02-01,1.2",
        "forecasts/staff.csv:2: probability:",
        "1.2 is outside [0, 1]",
    ),
    (
        "probability negative",
        F,
        "Ann,2019-02-01,0.8",
        "Ann,2019-02-01,-0.1",
        "forecasts/staff.csv:2: probability:",
        "-0.1 is outside [0, 1]",
    ),
    (
        "probability not a number",
        F,
        "Ann,2019-02-01,0.8",
        "Ann,2019-02-01,high",
        "forecasts/staff.csv:2: probability:",
        "'high' is not a number",
    ),
    (
        "neither probability nor verbal",
        F,
        "Ann,2019-02-01,0.8",
        "Ann,2019-02-01,",
        "forecasts/staff.csv:2: probability:",
        "is empty and so is verbal",
    ),
    (
        "unknown verbal phrase",
        F,
        "cannot be ruled out",
        "cannot be rulled out",
        "forecasts/staff.csv:5: verbal:",
        "unknown phrase 'cannot be rulled out'; nearest known: 'cannot be ruled out'",
    ),
    (
        "unknown question in forecast",
        F,
        "f1,q1,",
        "f1,q9,",
        "forecasts/staff.csv:2: question_id:",
        "unknown question 'q9'",
    ),
    (
        "unknown question in outcome",
        O,
        "q3,2020-07-01",
        "q7,2020-07-01",
        "outcomes/outcomes.csv:4: question_id:",
        "unknown question 'q7'",
    ),
    (
        "duplicate question id",
        Q,
        "q2,Will B",
        "q1,Will B",
        "forecasts/questions.csv:3: question_id:",
        "duplicate id 'q1' (first defined on line 2)",
    ),
    (
        "invalid question id",
        Q,
        "q2,Will B",
        "Q 2,Will B",
        "forecasts/questions.csv:3: question_id:",
        "'Q 2' is not a valid id",
    ),
    (
        "duplicate forecast id",
        F,
        "f2,q2,Ann",
        "f1,q2,Ann",
        "forecasts/staff.csv:3: forecast_id:",
        "duplicate id 'f1' (first used at forecasts/staff.csv:2)",
    ),
    (
        "outcome not valid for a binary question",
        O,
        "q1,2019-06-01,yes",
        "q1,2019-06-01,maybe",
        "outcomes/outcomes.csv:2: outcome:",
        "'maybe' is not a binary outcome (yes, no or void)",
    ),
    (
        "two different outcomes",
        O,
        "q3,2020-07-01,yes,,",
        "q3,2020-07-01,yes,,\nq1,2019-06-02,no,,",
        "outcomes/outcomes.csv:5: outcome:",
        "two different outcomes for question 'q1': no here, yes at outcomes/outcomes.csv:2",
    ),
    (
        "closes_on before opens_on",
        Q,
        "2019-01-01,2020-01-01,Resolves",
        "2021-01-01,2020-01-01,Resolves",
        "forecasts/questions.csv:2: closes_on:",
        "2020-01-01 is before opens_on 2021-01-01",
    ),
    (
        "unknown question kind",
        Q,
        "q2,Will B happen by 2020-01-01?,binary",
        "q2,Will B happen by 2020-01-01?,boolean",
        "forecasts/questions.csv:3: kind:",
        "'boolean' is not a question kind",
    ),
    (
        "bad direction",
        F,
        "0.6,,no,",
        "0.6,,maybe,",
        "forecasts/staff.csv:6: direction:",
        "'maybe' is not a direction (yes or no)",
    ),
    (
        "wrong number of fields",
        O,
        "q2,2019-07-01,no,,",
        "q2,2019-07-01,no,,,extra",
        "outcomes/outcomes.csv:3:",
        "expected 5 fields (as in the header), found 6",
    ),
    (
        "option on a binary question",
        F,
        "f2,q2,Ann,2019-02-01,0.3,,,",
        "f2,q2,Ann,2019-02-01,0.3,,,red",
        "forecasts/staff.csv:3: option:",
        "'red' given for binary question 'q2'",
    ),
];

#[test]
fn every_rule_is_reported_with_its_location() {
    for (what, file, find, replace, prefix, text) in ERRORS {
        let w = Workdir::fixture("clean");
        w.edit(file, find, replace);
        let r = w.run(&["check"]);
        assert_eq!(r.code(), 1, "{what}: expected exit 1\n{}", r.stderr());
        r.expect_line(prefix, text);
        assert!(
            r.stderr().contains("ledger FAILED"),
            "{what}: {}",
            r.stderr()
        );
        // Scoring refuses a broken ledger with the same located message.
        let s = w.run(&["score"]);
        assert_eq!(s.code(), 1, "{what}: score should refuse");
        s.expect_line(prefix, text);
    }
}

#[test]
fn all_problems_are_reported_not_just_the_first() {
    let w = Workdir::fixture("clean");
    w.edit(F, "Ann,2019-02-01,0.8", "Ann,2019-02-01,1.5");
    w.edit(F, "f2,q2,Ann,2019-02-01", "f2,q2,Ann,2019-02-31");
    w.edit(O, "q2,2019-07-01,no", "q2,2019-07-01,perhaps");
    let r = w.run(&["check"]);
    r.expect_code(1);
    r.expect_line("forecasts/staff.csv:2: probability:", "1.5");
    r.expect_line("forecasts/staff.csv:3: made_on:", "2019-02-31");
    r.expect_line("outcomes/outcomes.csv:3: outcome:", "perhaps");
    assert!(r.stderr().contains("3 error(s)"), "{}", r.stderr());
}

#[test]
fn a_batch_without_probability_columns_still_reports_its_bad_rows() {
    // A second batch with neither probability nor verbal, and a row with a
    // missing cell: both problems are reported, not only the header's.
    let w = Workdir::fixture("clean");
    w.write(
        "forecasts/more.csv",
        "forecast_id,question_id,forecaster,made_on\nm1,q1,Ann,2019-02-01\nm2,q1\n",
    );
    let r = w.run(&["check"]);
    r.expect_code(1);
    r.expect_line("forecasts/more.csv:1:", "needs probability or verbal");
    r.expect_line("forecasts/more.csv:3:", "expected 4 fields");
    assert!(r.stderr().contains("2 error(s)"), "{}", r.stderr());
}

#[test]
fn late_forecasts_are_warnings_not_errors() {
    let w = Workdir::fixture("clean");
    // Made on the day the question resolved.
    w.edit(F, "f1,q1,Ann,2019-02-01", "f1,q1,Ann,2019-06-01");
    // A question that closed before the forecast was made.
    w.append(Q, "q5,Will E happen by 2019-01-31?,binary,,,2019-01-31,,\n");
    w.append(F, "f7,q5,Bob,2019-02-01,0.5,,,,,,\n");
    w.append(O, "q5,2019-12-01,no,,\n");
    let r = w.run(&["check"]);
    r.expect_code(0);
    r.expect_line(
        "forecasts/staff.csv:2: made_on: warning:",
        "on or after question q1 resolved on 2019-06-01: not scored",
    );
    r.expect_line(
        "forecasts/staff.csv:8: made_on: warning:",
        "after question q5 closed on 2019-01-31: not scored",
    );
    w.run(&["check", "--strict"]).expect_code(1);
    let j = w.run(&["score", "--format", "json"]).expect_code(0).json();
    assert_eq!(j["unscored"]["made_after_close"], 1);
    assert_eq!(j["unscored"]["made_after_resolution"], 1);
    assert_eq!(j["overall"]["n"], 4);
}

#[test]
fn unknown_verbal_phrase_can_be_mapped_in_hindsight_toml() {
    let w = Workdir::fixture("clean");
    w.edit(F, "cannot be ruled out", "a long shot");
    w.run(&["check"]).expect_code(1).expect_line(
        "forecasts/staff.csv:5: verbal:",
        "unknown phrase 'a long shot'",
    );
    w.write(
        "hindsight.toml",
        "[lexicon]\n\"a long shot\" = { p = 0.1, low = 0.05, high = 0.2, note = \"test\" }\n",
    );
    w.run(&["check"]).expect_code(0);
    let j = w
        .run(&["score", "--format", "json", "--forecaster", "Bob"])
        .expect_code(0)
        .json();
    // Bob: 0.1 on q1 (yes), 1 - 0.6 on q2 (no): ((0.9)^2 + 0.4^2) / 2
    let brier = j["overall"]["brier"].as_f64().unwrap();
    assert!((brier - (0.81 + 0.16) / 2.0).abs() < 1e-12, "{brier}");
}

#[test]
fn bad_settings_are_located() {
    let w = Workdir::fixture("clean");
    w.write("hindsight.toml", "bins = 0\n");
    w.run(&["check"])
        .expect_code(1)
        .expect_line("hindsight.toml:1: bins:", "not a whole number of bins");
}

#[test]
fn not_a_ledger_is_a_usage_error() {
    let w = Workdir::empty();
    let r = w.run(&["check"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("no forecasts/ folder"),
        "{}",
        r.stderr()
    );
}

#[test]
fn forecasts_on_a_broken_question_point_at_the_question_row() {
    let w = Workdir::fixture("clean");
    w.edit(
        Q,
        "q2,Will B happen by 2020-01-01?,binary,,2019-01-01,2020-01-01",
        "q2,Will B happen by 2020-01-01?,binary,,2021-01-01,2020-01-01",
    );
    let r = w.run(&["check"]);
    r.expect_code(1);
    r.expect_line("forecasts/questions.csv:3: closes_on:", "before opens_on");
    r.expect_line(
        "forecasts/staff.csv:3: question_id:",
        "question 'q2' has errors in its own row (forecasts/questions.csv:3)",
    );
    assert!(
        !r.stderr().contains("unknown question 'q2'"),
        "{}",
        r.stderr()
    );
}

#[cfg(unix)]
#[test]
fn a_batch_that_is_a_symbolic_link_is_read() {
    let w = Workdir::fixture("clean");
    std::fs::rename(w.file(F), w.file("staff-real.txt")).unwrap();
    std::os::unix::fs::symlink(w.file("staff-real.txt"), w.file(F)).unwrap();
    let r = w.run(&["check"]);
    r.expect_code(0);
    assert!(r.stdout().contains("6 forecast(s)"), "{}", r.stdout());
}
