//! Crash safety of imports: the import binary is made to abort (as if killed)
//! at every write step in turn with `HINDSIGHT_FAULT_AT=N`; after each crash
//! the next command must find the ledger byte for byte either as it was before
//! the import or as a completed import leaves it, never a mixture, and
//! running the import again must complete it with nothing lost or duplicated.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Workdir, copy_dir};

type Snapshot = BTreeMap<PathBuf, Vec<u8>>;

/// Two inputs in the flat form: the import writes questions.csv, two batch
/// files and the change log in one transaction.
fn ledger_with_inputs() -> Workdir {
    let w = Workdir::fixture("clean");
    w.write(
        "in/north.csv",
        "Expert,Question_ID,Title,Deadline,Date,P(yes)\n\
         Ann,nq1,Will N1 happen by 2020-06-30?,2020-06-30,15 March 2019,70%\n\
         Bob,nq1,Will N1 happen by 2020-06-30?,2020-06-30,16 March 2019,.2\n\
         Ann,q1,,,2019-04-01,0.6\n",
    );
    w.write(
        "in/south.csv",
        "Expert;Question_ID;Title;Deadline;Date;P(yes)\n\
         Cleo;nq2;Will S1 happen by 2020-09-30?;2020-09-30;01.04.2019;0,35\n\
         Dan;nq1;Will N1 happen by 2020-06-30?;2020-06-30;02.04.2019;0,5\n",
    );
    w
}

fn copy(w: &Workdir) -> Workdir {
    let c = Workdir::empty();
    copy_dir(w.path(), c.path());
    c
}

const IMPORT: &[&str] = &[
    "import",
    "forecasts",
    "--by",
    "crash-test",
    "in/north.csv",
    "in/south.csv",
];

fn run(w: &Workdir, args: &[&str], fault_at: Option<usize>) -> Output {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("hindsight"));
    c.current_dir(w.path())
        .env_remove("HINDSIGHT_ROOT")
        .env_remove("HINDSIGHT_FAULT_AT")
        .args(args);
    if let Some(n) = fault_at {
        c.env("HINDSIGHT_FAULT_AT", n.to_string());
    }
    c.output().unwrap()
}

/// The ledger's bytes, with the change log's time stamps blanked (they differ
/// between runs).
fn snapshot(w: &Workdir) -> Snapshot {
    let mut s = w.snapshot();
    if let Some(log) = s.get_mut(Path::new("forecasts/CHANGES.log")) {
        let text = String::from_utf8(log.clone()).unwrap();
        let blanked: Vec<String> = text
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["time"] = serde_json::Value::Null;
                v.to_string()
            })
            .collect();
        *log = (blanked.join("\n") + "\n").into_bytes();
    }
    s
}

fn describe(s: &Snapshot, old: &Snapshot, new: &Snapshot) -> String {
    let mut out = String::new();
    for (p, b) in s {
        let tag = if old.get(p) == Some(b) {
            "old"
        } else if new.get(p) == Some(b) {
            "new"
        } else {
            "NEITHER"
        };
        out.push_str(&format!("  {} {}\n", tag, p.display()));
    }
    out
}

#[test]
fn a_crash_at_any_write_step_leaves_the_old_or_the_new_ledger() {
    let base = ledger_with_inputs();
    let old = snapshot(&base);
    let done = copy(&base);
    let r = run(&done, IMPORT, None);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let new = snapshot(&done);
    assert_ne!(old, new);
    assert_eq!(
        run(&done, &["check"], None).status.code(),
        Some(0),
        "the imported ledger checks clean"
    );

    let (mut saw_old, mut saw_new, mut steps) = (0, 0, 0);
    for n in 1..500 {
        let w = copy(&base);
        let r = run(&w, IMPORT, Some(n));
        let stderr = String::from_utf8_lossy(&r.stderr).to_string();
        if r.status.success() {
            // Past the last write step: the fault was never reached.
            assert!(n > 1, "HINDSIGHT_FAULT_AT=1 did not stop the import");
            assert_eq!(snapshot(&w), new);
            steps = n - 1;
            break;
        }
        assert!(
            stderr.contains(&format!("aborting at write step {}", n)),
            "step {n}: expected an injected abort, got exit {:?}\n{stderr}",
            r.status.code()
        );
        // The next command: a reader (check) or a writer (the same import),
        // alternately; each must first finish or undo the interrupted import.
        if n % 2 == 1 {
            let c = run(&w, &["check"], None);
            assert_eq!(
                c.status.code(),
                Some(0),
                "step {n}: check after the crash\n{}",
                String::from_utf8_lossy(&c.stderr)
            );
            let s = snapshot(&w);
            assert!(
                s == old || s == new,
                "step {n}: after the crash and recovery the ledger is neither old nor new:\n{}",
                describe(&s, &old, &new)
            );
            if s == old {
                saw_old += 1;
            } else {
                saw_new += 1;
            }
        }
        let again = run(&w, IMPORT, None);
        assert!(
            again.status.success(),
            "step {n}: importing again after the crash\n{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(
            snapshot(&w),
            new,
            "step {n}: importing again must complete the import exactly once"
        );
    }
    assert!(steps >= 15, "expected many write steps, found {steps}");
    assert!(
        saw_old > 0 && saw_new > 0,
        "crashes should land both before and after the commit point (old {saw_old}, new {saw_new})"
    );
    eprintln!("{steps} write steps; after a crash and a check: {saw_old} old, {saw_new} new");
}

#[test]
fn a_damaged_journal_stops_every_command_with_a_message() {
    let w = Workdir::fixture("clean");
    w.write(".hindsight-journal", "{ not json");
    let before = w.snapshot();
    let r = w.run(&["check"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains(".hindsight-journal is damaged"),
        "{}",
        r.stderr()
    );
    assert_eq!(before, w.snapshot());
    w.write(
        "in/x.csv",
        "question_id,forecaster,made_on,probability\nq1,Zed,2019-02-01,0.5\n",
    );
    w.run(&["import", "forecasts", "in/x.csv"]).expect_code(2);
}

#[test]
fn a_journal_cannot_move_files_outside_the_ledger() {
    let w = Workdir::fixture("clean");
    w.write(
        ".hindsight-journal",
        r#"{"version":1,"renames":[{"temp":"forecasts/.hindsight-txn-x.tmp","target":"../escaped.csv","sha256":"00"}]}"#,
    );
    w.write("forecasts/.hindsight-txn-x.tmp", "x\n");
    let r = w.run(&["check"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("leaves the ledger folder"),
        "{}",
        r.stderr()
    );
    assert!(!w.path().parent().unwrap().join("escaped.csv").exists());
}
