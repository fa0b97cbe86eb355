//! Safe writing: atomic file replacement, multi-file transactions and the
//! ledger lock.
//!
//! Owns the guarantees every writer relies on: a file is replaced whole or not
//! at all (temporary file in the same folder, fsync, rename, fsync of the
//! folder); a set of files is replaced all together or not at all (a
//! [`Transaction`]: every new file staged as a fsynced temporary, then a
//! journal listing the renames, then the renames, then the journal removed; a
//! journal left by a crash is rolled forward by [`recover`] before anyone reads
//! or writes the ledger again); and only one writer works on a ledger at a
//! time, with readers kept out while it does (an exclusive or shared lock on
//! `.hindsight.lock` in the ledger root). It does not decide what to write.
//!
//! `HINDSIGHT_FAULT_AT=N` makes the process abort at the N-th write step of a
//! transaction (see [`fault_point`]); tests use it to prove that a crash at any
//! step leaves the old ledger or the new one, never a mixture.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::hex;

/// The journal of a transaction being committed, in the ledger root.
pub const JOURNAL_FILE: &str = ".hindsight-journal";
/// Prefix of a transaction's temporary files.
const TXN_PREFIX: &str = ".hindsight-txn-";
/// Folders (relative to the root) where transactions stage files.
const TXN_DIRS: &[&str] = &["", "forecasts", "outcomes"];

/// A test hook: with `HINDSIGHT_FAULT_AT=N` in the environment the process
/// aborts (as if killed: no clean-up runs) when it reaches the N-th write step.
/// Inert when the variable is unset. Every step of [`Transaction`] calls it.
pub fn fault_point(step: &str) {
    static TARGET: OnceLock<Option<u64>> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let target = TARGET.get_or_init(|| {
        std::env::var("HINDSIGHT_FAULT_AT")
            .ok()
            .and_then(|v| v.trim().parse().ok())
    });
    if let Some(n) = *target {
        let k = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
        if k == n {
            eprintln!(
                "hindsight: HINDSIGHT_FAULT_AT={}: aborting at write step {} ({})",
                n, k, step
            );
            std::process::abort();
        }
    }
}

/// One file of a transaction: staged at `temp`, renamed to `target` on commit
/// (both relative to the ledger root).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Entry {
    temp: PathBuf,
    target: PathBuf,
    sha256: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Journal {
    version: u32,
    renames: Vec<Entry>,
}

/// Several files replaced together: all of them or none, even across a crash
/// (with the next [`recover`]). Staged files are removed if the transaction is
/// dropped without [`Transaction::commit`].
#[derive(Debug)]
pub struct Transaction {
    root: PathBuf,
    staged: Vec<Entry>,
    done: bool,
}

/// A name part unlikely to repeat: hashed from the process id, the time and
/// a counter (files are created with `create_new`, so a clash fails safely).
fn random_suffix() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!(
        "{}-{}-{}",
        std::process::id(),
        t,
        N.fetch_add(1, Ordering::SeqCst)
    );
    hex(&Sha256::digest(seed.as_bytes())[..8])
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

impl Transaction {
    /// Start a transaction on the ledger at `root` (the caller holds its lock).
    pub fn new(root: &Path) -> Transaction {
        Transaction {
            root: root.to_path_buf(),
            staged: Vec::new(),
            done: false,
        }
    }

    /// Stage the new content of `rel` (relative to the root): written to a
    /// temporary file in the same folder, with the target's permissions, and
    /// fsynced. Nothing visible changes yet.
    pub fn stage(&mut self, rel: &Path, bytes: &[u8]) -> Result<()> {
        let target = self.root.join(rel);
        let dir = parent_dir(&target).to_path_buf();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let name = format!("{}{}.tmp", TXN_PREFIX, random_suffix());
        let temp_rel = parent_dir(rel).join(&name);
        let temp = dir.join(&name);
        fault_point("create temporary file");
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_context(|| format!("creating {}", temp.display()))?;
        self.staged.push(Entry {
            temp: temp_rel,
            target: rel.to_path_buf(),
            sha256: hex(&Sha256::digest(bytes)),
        });
        let half = bytes.len() / 2;
        f.write_all(&bytes[..half])
            .with_context(|| format!("writing {}", temp.display()))?;
        fault_point("write temporary file (half written)");
        f.write_all(&bytes[half..])
            .with_context(|| format!("writing {}", temp.display()))?;
        let perms = match std::fs::metadata(&target) {
            Ok(m) => m.permissions(),
            Err(_) => default_permissions(&f)?,
        };
        f.set_permissions(perms)
            .with_context(|| format!("setting permissions of {}", temp.display()))?;
        fault_point("fsync temporary file");
        f.sync_all()
            .with_context(|| format!("syncing {}", temp.display()))?;
        Ok(())
    }

    /// Make every staged file visible at once: write and fsync the journal,
    /// rename each file into place, fsync the folders, remove the journal.
    /// A crash before the journal is in place leaves the old ledger (the
    /// temporaries are removed by the next [`recover`]); a crash after it is
    /// rolled forward by the next [`recover`].
    pub fn commit(mut self) -> Result<()> {
        if self.staged.is_empty() {
            self.done = true;
            return Ok(());
        }
        let dirs = sync_dirs(&self.root);
        for d in dirs.iter().filter(|d| {
            self.staged
                .iter()
                .any(|e| self.root.join(parent_dir(&e.temp)) == **d)
        }) {
            fault_point("fsync folder of temporaries");
            sync_dir(d);
        }
        let journal = Journal {
            version: 1,
            renames: self.staged.clone(),
        };
        let text = serde_json::to_vec_pretty(&journal)?;
        let jtmp = self
            .root
            .join(format!("{}journal-{}.tmp", TXN_PREFIX, random_suffix()));
        fault_point("write journal");
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&jtmp)
                .with_context(|| format!("creating {}", jtmp.display()))?;
            f.write_all(&text)
                .with_context(|| format!("writing {}", jtmp.display()))?;
            fault_point("fsync journal");
            f.sync_all()
                .with_context(|| format!("syncing {}", jtmp.display()))?;
        }
        fault_point("rename journal into place");
        std::fs::rename(&jtmp, self.root.join(JOURNAL_FILE))
            .with_context(|| format!("writing {}", self.root.join(JOURNAL_FILE).display()))?;
        // From here on the transaction is decided: finish it now, or the next
        // command rolls it forward.
        self.done = true;
        fault_point("fsync ledger folder (journal)");
        sync_dir(&self.root);
        apply(&self.root, &journal)
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.done {
            for e in &self.staged {
                let _ = std::fs::remove_file(self.root.join(&e.temp));
            }
        }
    }
}

fn sync_dirs(root: &Path) -> Vec<PathBuf> {
    TXN_DIRS
        .iter()
        .map(|d| {
            if d.is_empty() {
                root.to_path_buf()
            } else {
                root.join(d)
            }
        })
        .collect()
}

/// Perform a journal's renames (skipping those already done), fsync the
/// folders, and remove the journal.
fn apply(root: &Path, journal: &Journal) -> Result<()> {
    let mut touched: Vec<PathBuf> = Vec::new();
    for e in &journal.renames {
        check_inside(&e.temp)?;
        check_inside(&e.target)?;
        let temp = root.join(&e.temp);
        let target = root.join(&e.target);
        if temp.exists() {
            let bytes =
                std::fs::read(&temp).with_context(|| format!("reading {}", temp.display()))?;
            if hex(&Sha256::digest(&bytes)) != e.sha256 {
                bail!(
                    "{}: the staged file {} is damaged (its SHA-256 does not match the journal); the ledger was left as it is: restore it from version control and remove {}",
                    JOURNAL_FILE,
                    e.temp.display(),
                    JOURNAL_FILE
                );
            }
            fault_point("rename staged file into place");
            std::fs::rename(&temp, &target)
                .with_context(|| format!("replacing {}", target.display()))?;
        } else {
            let bytes = std::fs::read(&target).ok();
            if bytes.map(|b| hex(&Sha256::digest(&b))) != Some(e.sha256.clone()) {
                bail!(
                    "{}: neither the staged file {} nor its finished copy {} is there; the ledger was left as it is: check it (hindsight check), then remove {}",
                    JOURNAL_FILE,
                    e.temp.display(),
                    e.target.display(),
                    JOURNAL_FILE
                );
            }
        }
        let dir = parent_dir(&target).to_path_buf();
        if !touched.contains(&dir) {
            touched.push(dir);
        }
    }
    for d in &touched {
        fault_point("fsync folder after renames");
        sync_dir(d);
    }
    fault_point("remove journal");
    std::fs::remove_file(root.join(JOURNAL_FILE))
        .with_context(|| format!("removing {}", root.join(JOURNAL_FILE).display()))?;
    fault_point("fsync ledger folder (journal removed)");
    sync_dir(root);
    Ok(())
}

/// A journal path must stay inside the ledger: relative, without `..`.
fn check_inside(p: &Path) -> Result<()> {
    use std::path::Component;
    if p.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(())
    } else {
        bail!(
            "{}: path {} leaves the ledger folder; refusing to use it",
            JOURNAL_FILE,
            p.display()
        )
    }
}

/// Whether the ledger at `root` has a journal or staged temporaries left by an
/// interrupted writer.
pub fn needs_recovery(root: &Path) -> bool {
    root.join(JOURNAL_FILE).exists() || !stray_temporaries(root).is_empty()
}

fn stray_temporaries(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in sync_dirs(root) {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(TXN_PREFIX) {
                out.push(e.path());
            }
        }
    }
    out
}

/// Finish or undo an interrupted transaction. The caller holds the ledger's
/// exclusive lock. A journal is rolled forward (its renames completed);
/// temporaries not named by a journal are removed. Returns whether anything
/// was done.
pub fn recover(root: &Path) -> Result<bool> {
    let jpath = root.join(JOURNAL_FILE);
    let mut did = false;
    if jpath.exists() {
        let text = std::fs::read(&jpath).with_context(|| format!("reading {}", jpath.display()))?;
        let journal: Journal = serde_json::from_slice(&text).with_context(|| {
            format!(
                "{} is damaged; the ledger was left as it is: check it (hindsight check), then remove the journal",
                jpath.display()
            )
        })?;
        apply(root, &journal)?;
        did = true;
    }
    for t in stray_temporaries(root) {
        std::fs::remove_file(&t).with_context(|| format!("removing {}", t.display()))?;
        did = true;
    }
    if did {
        sync_dir(root);
    }
    Ok(did)
}

/// Replace `path` with `bytes` atomically.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".hindsight-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    // Keep the file's permissions (a temporary file starts as 0600); a new
    // file gets the usual rw-r--r--.
    let perms = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => default_permissions(tmp.as_file())?,
    };
    tmp.as_file()
        .set_permissions(perms)
        .with_context(|| format!("setting permissions of {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("replacing {}", path.display()))?;
    sync_dir(dir);
    Ok(())
}

#[cfg(unix)]
fn default_permissions(_f: &File) -> Result<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions(f: &File) -> Result<std::fs::Permissions> {
    let mut p = f.metadata()?.permissions();
    p.set_readonly(false);
    Ok(p)
}

/// Make a rename durable (best effort: not every platform can sync a folder).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A lock on a ledger (exclusive for writers, shared for readers), released
/// when dropped.
#[derive(Debug)]
pub struct LedgerLock {
    _file: File,
}

pub const LOCK_FILE: &str = ".hindsight.lock";

/// How long a reader waits for a writer to finish.
pub const READ_WAIT: Duration = Duration::from_secs(60);

impl LedgerLock {
    /// Take the ledger's lock, waiting up to `wait` for another writer to finish.
    pub fn acquire(root: &Path, wait: Duration) -> Result<LedgerLock> {
        let path = root.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        Self::wait_for(file, &path, wait, false)
    }

    /// Take the lock for reading: shared with other readers, excluded while a
    /// writer holds it. `None` when the lock file cannot be opened (a
    /// read-only ledger nobody can be writing through this folder).
    pub fn acquire_shared(root: &Path, wait: Duration) -> Result<Option<LedgerLock>> {
        let path = root.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .or_else(|_| File::open(&path));
        match file {
            Ok(f) => Ok(Some(Self::wait_for(f, &path, wait, true)?)),
            Err(_) => Ok(None),
        }
    }

    fn wait_for(file: File, path: &Path, wait: Duration, shared: bool) -> Result<LedgerLock> {
        let start = Instant::now();
        loop {
            let got = if shared {
                file.try_lock_shared()
            } else {
                file.try_lock()
            };
            match got {
                Ok(()) => return Ok(LedgerLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if start.elapsed() >= wait {
                        bail!(
                            "another hindsight process is writing this ledger (it holds {}); waited {} s: try again when it has finished",
                            path.display(),
                            wait.as_secs()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        atomic_write(&p, b"one\n").unwrap();
        atomic_write(&p, b"two\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_kept_and_new_files_are_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        atomic_write(&p, b"one\n").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o664)).unwrap();
        atomic_write(&p, b"two\n").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o664
        );
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_transaction_replaces_every_file_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("forecasts")).unwrap();
        std::fs::write(root.join("forecasts/a.csv"), "old\n").unwrap();
        let mut t = Transaction::new(root);
        t.stage(Path::new("forecasts/a.csv"), b"new a\n").unwrap();
        t.stage(Path::new("forecasts/b.csv"), b"new b\n").unwrap();
        assert_eq!(
            std::fs::read(root.join("forecasts/a.csv")).unwrap(),
            b"old\n"
        );
        assert!(!root.join("forecasts/b.csv").exists());
        t.commit().unwrap();
        assert_eq!(
            std::fs::read(root.join("forecasts/a.csv")).unwrap(),
            b"new a\n"
        );
        assert_eq!(
            std::fs::read(root.join("forecasts/b.csv")).unwrap(),
            b"new b\n"
        );
        assert_eq!(names(&root.join("forecasts")), ["a.csv", "b.csv"]);
        assert!(!needs_recovery(root));
    }

    #[test]
    fn a_dropped_transaction_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("forecasts")).unwrap();
        {
            let mut t = Transaction::new(root);
            t.stage(Path::new("forecasts/b.csv"), b"new b\n").unwrap();
            assert!(needs_recovery(root));
        }
        assert!(names(&root.join("forecasts")).is_empty());
    }

    #[test]
    fn recover_rolls_a_journal_forward_and_removes_stray_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("forecasts")).unwrap();
        std::fs::write(root.join("forecasts/a.csv"), "old\n").unwrap();
        // As a crash after the journal and one of two renames leaves it.
        std::fs::write(root.join("forecasts/.hindsight-txn-1.tmp"), "new a\n").unwrap();
        std::fs::write(root.join("forecasts/b.csv"), "new b\n").unwrap();
        std::fs::write(root.join("forecasts/.hindsight-txn-9.tmp"), "stray").unwrap();
        let journal = Journal {
            version: 1,
            renames: vec![
                Entry {
                    temp: "forecasts/.hindsight-txn-1.tmp".into(),
                    target: "forecasts/a.csv".into(),
                    sha256: hex(&Sha256::digest(b"new a\n")),
                },
                Entry {
                    temp: "forecasts/.hindsight-txn-2.tmp".into(),
                    target: "forecasts/b.csv".into(),
                    sha256: hex(&Sha256::digest(b"new b\n")),
                },
            ],
        };
        std::fs::write(
            root.join(JOURNAL_FILE),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        assert!(recover(root).unwrap());
        assert_eq!(
            std::fs::read(root.join("forecasts/a.csv")).unwrap(),
            b"new a\n"
        );
        assert_eq!(names(&root.join("forecasts")), ["a.csv", "b.csv"]);
        assert!(!root.join(JOURNAL_FILE).exists());
        assert!(!recover(root).unwrap(), "nothing left to do");
    }

    #[test]
    fn recover_refuses_a_staged_file_that_does_not_match_its_journal() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("forecasts")).unwrap();
        std::fs::write(root.join("forecasts/a.csv"), "old\n").unwrap();
        std::fs::write(root.join("forecasts/.hindsight-txn-1.tmp"), "torn").unwrap();
        let journal = Journal {
            version: 1,
            renames: vec![Entry {
                temp: "forecasts/.hindsight-txn-1.tmp".into(),
                target: "forecasts/a.csv".into(),
                sha256: hex(&Sha256::digest(b"new a\n")),
            }],
        };
        std::fs::write(
            root.join(JOURNAL_FILE),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        let err = recover(root).unwrap_err().to_string();
        assert!(err.contains("is damaged"), "{err}");
        assert_eq!(
            std::fs::read(root.join("forecasts/a.csv")).unwrap(),
            b"old\n"
        );
    }

    #[test]
    fn readers_share_the_lock_and_a_writer_excludes_them() {
        let dir = tempfile::tempdir().unwrap();
        let r1 = LedgerLock::acquire_shared(dir.path(), Duration::ZERO).unwrap();
        let r2 = LedgerLock::acquire_shared(dir.path(), Duration::ZERO).unwrap();
        assert!(r1.is_some() && r2.is_some());
        assert!(LedgerLock::acquire(dir.path(), Duration::from_millis(100)).is_err());
        drop((r1, r2));
        let w = LedgerLock::acquire(dir.path(), Duration::ZERO).unwrap();
        let err = LedgerLock::acquire_shared(dir.path(), Duration::from_millis(100)).unwrap_err();
        assert!(
            err.to_string().contains("another hindsight process"),
            "{err}"
        );
        drop(w);
    }

    #[test]
    fn second_lock_waits_then_fails_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let first = LedgerLock::acquire(dir.path(), Duration::from_secs(0)).unwrap();
        let err = LedgerLock::acquire(dir.path(), Duration::from_millis(100)).unwrap_err();
        assert!(
            err.to_string().contains("another hindsight process"),
            "{err}"
        );
        drop(first);
        assert!(LedgerLock::acquire(dir.path(), Duration::from_secs(0)).is_ok());
    }
}
