//! Shared helpers for integration tests: a scratch ledger in a temporary
//! folder, running the real binary on it, and snapshots of the ledger's bytes.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A ledger in a temporary folder.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    /// An empty folder.
    pub fn empty() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A copy of a fixture ledger from tests/fixtures/NAME.
    pub fn fixture(name: &str) -> Workdir {
        let w = Workdir::empty();
        copy_dir(&Path::new(FIXTURES).join(name), w.path());
        w
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.file(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap()
    }

    /// Replace the first occurrence of `from` in a file; panics if absent so a
    /// test cannot silently test nothing.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    pub fn append(&self, rel: &str, line: &str) {
        let mut text = self.read(rel);
        text.push_str(line);
        self.write(rel, &text);
    }

    /// Run hindsight with this folder as the ledger root.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::cargo_bin("hindsight")
            .unwrap()
            .current_dir(self.path())
            .env_remove("HINDSIGHT_ROOT")
            .args(args)
            .output()
            .unwrap();
        Run {
            out,
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Every file under the folder with its bytes (ignoring the lock file).
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut m = BTreeMap::new();
        snap(self.path(), self.path(), &mut m);
        m
    }
}

fn snap(root: &Path, dir: &Path, m: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            snap(root, &p, m);
        } else if e.file_name() != ".hindsight.lock" {
            m.insert(
                p.strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read(&p).unwrap(),
            );
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The result of one run, with helpful failure messages.
pub struct Run {
    pub out: Output,
    pub args: Vec<String>,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).to_string()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).to_string()
    }

    /// Assert the exit code, printing both streams when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "hindsight {:?}: expected exit {}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            code,
            self.code(),
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Assert that stderr has a line starting with `prefix` and containing `rest`.
    pub fn expect_line(&self, prefix: &str, rest: &str) -> &Self {
        let err = self.stderr();
        assert!(
            err.lines()
                .any(|l| l.starts_with(prefix) && l.contains(rest)),
            "hindsight {:?}: no stderr line starting {:?} containing {:?}\n--- stderr\n{}",
            self.args,
            prefix,
            rest,
            err
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout()))
    }
}
