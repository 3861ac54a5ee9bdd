//! A temporary directory of one run, removed when dropped: where an app's SQLite file goes, so
//! that a run never writes into the working directory nor reuses another run's file.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// Directories made by this process so far, to name the next one.
static MADE: AtomicU32 = AtomicU32::new(0);

/// A fresh directory under the system's temporary directory, removed with its contents when
/// dropped.
#[derive(Debug)]
pub(crate) struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Makes `pwh-loadtest-<what>-<pid>-<n>` under the temporary directory, empty.
    ///
    /// # Errors
    ///
    /// When it cannot be made.
    pub(crate) fn new(what: &str) -> io::Result<Self> {
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("pwh-loadtest-{what}-{}-{n}", std::process::id()));
        // A leftover of a process with the same PID: not ours to keep.
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }

    /// The SQLite file an app of this run uses (not made here: the app makes it).
    pub(crate) fn sqlite_file(&self) -> PathBuf {
        self.path.join("pwh.sqlite3")
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            eprintln!("warning: cannot remove {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_fresh_and_removed_when_dropped() {
        let dir = ScratchDir::new("test").unwrap();
        let path = dir.sqlite_file().parent().unwrap().to_path_buf();
        assert!(path.is_dir());
        assert!(path.starts_with(std::env::temp_dir()));
        std::fs::write(dir.sqlite_file(), b"x").unwrap();
        let other = ScratchDir::new("test").unwrap();
        assert_ne!(other.sqlite_file(), dir.sqlite_file());
        drop(dir);
        assert!(!path.exists());
    }
}
