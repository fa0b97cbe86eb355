//! Safe writing: atomic file replacement and the ledger lock.
//!
//! Owns the two guarantees every writer relies on: a file is replaced whole or
//! not at all (temporary file in the same folder, fsync, rename, fsync of the
//! folder), and only one writer works on a ledger at a time (an exclusive lock
//! on `.hindsight.lock` in the ledger root). It does not decide what to write.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Replace `path` with `bytes` atomically.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
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
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An exclusive lock on a ledger, released when dropped.
#[derive(Debug)]
pub struct LedgerLock {
    _file: File,
}

pub const LOCK_FILE: &str = ".hindsight.lock";

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
        let start = Instant::now();
        loop {
            match file.try_lock() {
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
