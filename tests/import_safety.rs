//! Safe refusal and safe output: size limits on generated huge inputs, the
//! rejects file (formula-safe, fixable and importable again), `--partial`,
//! the error count on the terminal, exit codes, and batch and rejects paths
//! that cannot escape or damage the ledger.

mod common;

use common::Workdir;

const HEADER: &str = "question_id,forecaster,made_on,probability,quote\n";

#[test]
fn a_ten_megabyte_field_fails_with_a_located_message() {
    let w = Workdir::fixture("clean");
    let big = "x".repeat(10 << 20);
    w.write(
        "in/big.csv",
        &format!("{HEADER}q1,Ann,2019-03-01,0.5,ok\nq2,Ann,2019-03-01,0.5,{big}\n"),
    );
    let before = w.snapshot();
    let r = w.run(&["import", "forecasts", "in/big.csv"]);
    r.expect_code(2);
    r.expect_line(
        "in/big.csv:3:5:",
        "a field of 10485760 bytes, over the limit of 1 MiB per field",
    );
    assert_eq!(before, w.snapshot());
}

#[test]
fn a_million_columns_fail_with_a_located_message() {
    let w = Workdir::fixture("clean");
    let mut header = String::from(HEADER.trim_end());
    for i in 0..1_000_000 {
        header.push_str(&format!(",c{i}"));
    }
    w.write(
        "in/wide.csv",
        &format!("{header}\nq1,Ann,2019-03-01,0.5,x\n"),
    );
    let before = w.snapshot();
    let r = w.run(&["import", "forecasts", "in/wide.csv"]);
    r.expect_code(2);
    r.expect_line(
        "in/wide.csv:1:",
        "1000005 fields on one row, over the limit of 1000 columns",
    );
    assert_eq!(before, w.snapshot());
}

#[test]
fn files_over_max_bytes_are_refused_before_being_read() {
    let w = Workdir::fixture("clean");
    let rows: String = (0..100)
        .map(|i| format!("q1,P{i},2019-03-01,0.5,\n"))
        .collect();
    w.write("in/rows.csv", &format!("{HEADER}{rows}"));
    let size = std::fs::metadata(w.file("in/rows.csv")).unwrap().len();
    let before = w.snapshot();
    let r = w.run(&["import", "forecasts", "--max-bytes", "1000", "in/rows.csv"]);
    r.expect_code(2);
    r.expect_line(
        "in/rows.csv:",
        &format!("is {size} bytes, over the limit of 1000 bytes for one input file (--max-bytes)"),
    );
    assert_eq!(before, w.snapshot());
    // The same file within the limit imports.
    w.run(&["import", "forecasts", "in/rows.csv"])
        .expect_code(0);

    // A 1 GiB file (sparse: it takes no disk) is refused at once by the default limit.
    let huge = w.file("huge.csv");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let started = std::time::Instant::now();
    let r = w.run(&["import", "forecasts", "huge.csv"]);
    r.expect_code(2);
    r.expect_line(
        "huge.csv:",
        "is 1073741824 bytes, over the limit of 268435456 bytes",
    );
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn max_rows_stops_reading() {
    let w = Workdir::fixture("clean");
    let rows: String = (0..10)
        .map(|i| format!("q1,P{i},2019-03-01,0.5,\n"))
        .collect();
    w.write("in/rows.csv", &format!("{HEADER}{rows}"));
    w.run(&["import", "forecasts", "--max-rows", "5", "in/rows.csv"])
        .expect_code(2)
        .expect_line(
            "in/rows.csv:7:",
            "more than 5 rows, the limit for one import",
        );
}

const MIXED: &str = "\
question_id,forecaster,made_on,probability,quote
q1,Good,2019-03-01,0.5,fine
q1,=HYPERLINK(\"http://evil\"),2019-03-02,-0.5,@SUM(A1)
q2,Good,2019-03-03,0.25,+1 more
q2,Bad,2019-99-99,0.5,\"tab\there\"
";

#[test]
fn rejects_file_lists_bad_rows_safely_and_can_be_fixed_and_imported() {
    let w = Workdir::fixture("clean");
    w.write("in/mixed.csv", MIXED);
    let before = w.snapshot();
    let r = w.run(&[
        "import",
        "forecasts",
        "--rejects",
        "out/rejects.csv",
        "in/mixed.csv",
    ]);
    r.expect_code(1);
    assert!(
        r.stderr()
            .contains("2 error(s) in 2 row(s); nothing was written"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr()
            .contains("2 rejected row(s) written to out/rejects.csv")
    );
    let mut after = w.snapshot();
    after.remove(std::path::Path::new("out/rejects.csv"));
    assert_eq!(
        before, after,
        "all or nothing: the good rows are not imported"
    );
    let rejects = w.read("out/rejects.csv");
    assert_eq!(
        rejects,
        "reason,question_id,forecaster,made_on,probability,quote\n\
         \"in/mixed.csv:3:4: probability: -0.5 is outside [0, 1]\",q1,\"'=HYPERLINK(\"\"http://evil\"\")\",2019-03-02,-0.5,'@SUM(A1)\n\
         in/mixed.csv:5:3: made_on: '2019-99-99' is not a real date,q2,Bad,2019-99-99,0.5,tab\there\n"
    );

    // Staff fix the rows in the rejects file and send it back with the original.
    w.write(
        "out/rejects.csv",
        &rejects
            .replace(",-0.5,", ",0.5,")
            .replace("2019-99-99", "2019-03-09"),
    );
    let r = w.run(&["import", "forecasts", "--batch", "mixed", "out/rejects.csv"]);
    r.expect_code(0);
    assert!(r.stdout().contains("added 2 forecast(s)"), "{}", r.stdout());
    let batch = w.read("forecasts/mixed.csv");
    // The neutralizing quote is taken off again: the ledger holds what staff wrote.
    assert!(
        batch.contains(",q1,\"=HYPERLINK(\"\"http://evil\"\")\",2019-03-02,0.5,,,,@SUM(A1),,"),
        "{batch}"
    );
    w.run(&["import", "forecasts", "in/mixed.csv"])
        .expect_code(1)
        .expect_line("in/mixed.csv:3:4: probability:", "outside");
}

#[test]
fn partial_imports_the_good_rows_and_sets_the_bad_ones_aside() {
    let w = Workdir::fixture("clean");
    w.write("in/mixed.csv", MIXED);
    let r = w.run(&[
        "import",
        "forecasts",
        "--partial",
        "--rejects",
        "rejects.csv",
        "in/mixed.csv",
    ]);
    r.expect_code(1);
    assert!(
        r.stdout()
            .contains("added 2 forecast(s), 0 new question(s); skipped 0 row(s) already in the ledger; left out 2 rejected row(s)"),
        "{}",
        r.stdout()
    );
    r.expect_line("in/mixed.csv:5:3: made_on:", "not a real date");
    assert_eq!(w.read("rejects.csv").lines().count(), 3);
    let batch = w.read("forecasts/mixed.csv");
    assert_eq!(batch.lines().count(), 3, "{batch}");
    assert!(
        batch.contains(",q2,Good,2019-03-03,0.25,,,,+1 more,,"),
        "{batch}"
    );
    let log = w.read("forecasts/CHANGES.log");
    assert!(log.contains(r#""rows_rejected":2"#), "{log}");
    w.run(&["check"]).expect_code(0);
    // --partial without --rejects would lose rows: refused.
    w.run(&["import", "forecasts", "--partial", "in/mixed.csv"])
        .expect_code(2);
}

#[test]
fn the_terminal_shows_twenty_errors_and_counts_the_rest() {
    let w = Workdir::fixture("clean");
    let rows: String = (0..35)
        .map(|i| format!("q1,P{i},2019-03-01,{}\n", 2 + i))
        .collect();
    w.write(
        "in/bad.csv",
        &format!("question_id,forecaster,made_on,probability\n{rows}"),
    );
    let r = w.run(&["import", "forecasts", "in/bad.csv"]);
    r.expect_code(1);
    let shown = r
        .stderr()
        .lines()
        .filter(|l| l.starts_with("in/bad.csv:"))
        .count();
    assert_eq!(shown, 20, "{}", r.stderr());
    assert!(
        r.stderr().contains("... and 15 more error(s)"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr().contains("35 error(s) in 35 row(s)"),
        "{}",
        r.stderr()
    );
}

#[test]
fn unusable_invocations_exit_2() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/ok.csv",
        "question_id,forecaster,made_on,probability\nq1,Ok,2019-03-01,0.5\n",
    );
    let before = w.snapshot();
    w.run(&["import", "forecasts", "in/missing.csv"])
        .expect_code(2)
        .expect_line("in/missing.csv:", "cannot be read");
    w.run(&["import", "forecasts", "--delimiter", "x", "in/ok.csv"])
        .expect_code(2);
    w.run(&["import", "forecasts", "--encoding", "ebcdic", "in/ok.csv"])
        .expect_code(2);
    w.run(&["import", "forecasts", "--rejects", "in/ok.csv", "in/ok.csv"])
        .expect_code(2);
    let r = w.run(&[
        "import",
        "forecasts",
        "--rejects",
        "forecasts/rej.csv",
        "in/ok.csv",
    ]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("would be read as ledger data"),
        "{}",
        r.stderr()
    );
    w.run(&["import", "forecasts", "in"]).expect_code(2);
    assert_eq!(before, w.snapshot());
}

#[test]
fn ignore_column_leaves_out_a_named_column_only() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/extra.csv",
        "question_id,forecaster,made_on,probability,Checked?\nq1,Ign,2019-03-01,0.5,yes\n",
    );
    w.run(&["import", "forecasts", "in/extra.csv"])
        .expect_code(2)
        .expect_line("in/extra.csv:1:5:", "--ignore-column 'Checked?'");
    w.run(&[
        "import",
        "forecasts",
        "--ignore-column",
        "checked",
        "in/extra.csv",
    ])
    .expect_code(0);
    w.run(&[
        "import",
        "forecasts",
        "--ignore-column",
        "nope",
        "in/extra.csv",
    ])
    .expect_code(2)
    .expect_line(
        "in/extra.csv:1:",
        "--ignore-column 'nope': there is no such column",
    );
}

#[test]
fn batch_names_from_input_names_cannot_leave_the_ledger() {
    let w = Workdir::fixture("clean");
    let content = "question_id,forecaster,made_on,probability\nq1,Esc,2019-03-01,0.5\n";
    w.write("in/x.csv", content);
    let outside = w.path().parent().unwrap().to_path_buf();
    let r = w.run(&[
        "import",
        "forecasts",
        "--batch",
        "../../../escaped",
        "in/x.csv",
    ]);
    r.expect_code(0);
    assert!(w.file("forecasts/escaped.csv").exists(), "{}", r.stdout());
    assert!(!outside.join("escaped.csv").exists());
    // A file name made of dots and slashes has no usable name.
    w.write("in/.../..csv", content);
    w.run(&["import", "forecasts", "in/.../..csv"])
        .expect_code(2)
        .expect_line("in/.../..csv:", "cannot name a batch file");
    w.write("in/y.csv", &content.replace("0.5", "0.6"));
    let r = w.run(&["import", "forecasts", "--batch", "/etc/passwd", "in/y.csv"]);
    r.expect_code(0);
    assert!(w.file("forecasts/etc-passwd.csv").exists());
    // Every file the imports wrote is inside the ledger's forecasts/ folder.
    for p in w.snapshot().keys() {
        let s = p.to_string_lossy();
        assert!(
            s.starts_with("forecasts/") || s.starts_with("in/") || s.starts_with("outcomes/"),
            "{s}"
        );
    }
}

#[test]
fn a_rejects_file_with_no_rejected_rows_is_just_a_header() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/ok.csv",
        "question_id,forecaster,made_on,probability\nq1,Ok,2019-03-01,0.5\n",
    );
    w.write("rejects.csv", "stale,rows\nfrom,before\n");
    w.run(&[
        "import",
        "forecasts",
        "--rejects",
        "rejects.csv",
        "in/ok.csv",
    ])
    .expect_code(0);
    assert_eq!(w.read("rejects.csv"), "reason\n");
}

#[test]
fn a_semicolon_file_gets_a_semicolon_rejects_file_that_imports_after_fixing() {
    let w = Workdir::fixture("clean");
    w.write(
        "in/de.csv",
        "Expert;Question ID;Date;P(yes)\nAnn;q1;03/04/2019;0,7\nBob;q2;15.03.2019;0,2\n",
    );
    w.run(&["import", "forecasts", "--rejects", "rej.csv", "in/de.csv"])
        .expect_code(1);
    let rej = w.read("rej.csv");
    assert!(
        rej.starts_with("reason;Expert;Question ID;Date;P(yes)\n"),
        "{rej}"
    );
    assert!(rej.ends_with(";Ann;q1;03/04/2019;0,7\n"), "{rej}");
    // Fixed (the date) and sent again with the good row: both go in.
    w.write("rej.csv", &rej.replace("03/04/2019", "03.04.2019"));
    w.write(
        "in/de.csv",
        "Expert;Question ID;Date;P(yes)\nBob;q2;15.03.2019;0,2\n",
    );
    let r = w.run(&[
        "import",
        "forecasts",
        "--batch",
        "de",
        "rej.csv",
        "in/de.csv",
    ]);
    r.expect_code(0);
    assert!(r.stdout().contains("added 2 forecast(s)"), "{}", r.stdout());
    assert!(
        w.read("forecasts/de.csv")
            .contains(",q1,Ann,2019-04-03,0.7,")
    );
}
