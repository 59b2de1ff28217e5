//! The locks that let one `verdict send` and one `verdict serve` run per
//! project: an OS file lock (released when the process dies, even by SIGKILL)
//! on `state/send.lock` or `state/serve.lock`, whose content says who holds it.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::store::fs::FsError;

/// Held while a send (or the service) runs; released on drop.
pub struct SendLock {
    file: File,
    /// Set when the previous holder died without releasing the lock.
    pub took_over: Option<String>,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another verdict {what} is running on this project ({holder}); it holds {}. {consequence}", path.display())]
    Held {
        /// `send` or `serve`, from the lock's name.
        what: String,
        holder: String,
        path: PathBuf,
        consequence: &'static str,
    },
    #[error(transparent)]
    Fs(#[from] FsError),
}

impl SendLock {
    /// Takes the lock, or says who holds it. A lock file still naming a holder
    /// (a run that was killed) is taken over, and the note says so.
    pub fn acquire(path: &Path) -> Result<SendLock, LockError> {
        if let Some(dir) = path.parent() {
            crate::store::fs::create_private_dir(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).read(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| FsError::new("cannot open", path, e))?;
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim().to_string();
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let what = path
                    .file_stem()
                    .map_or("process".into(), |s| s.to_string_lossy().into_owned());
                let consequence = if what == "send" {
                    "Nothing was sent by this run."
                } else {
                    "Two services on one project would keep two views of its lists: stop the other one first."
                };
                return Err(LockError::Held {
                    what,
                    consequence,
                    holder: if holder.is_empty() {
                        "another process".into()
                    } else {
                        holder
                    },
                    path: path.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(FsError::new("cannot lock", path, e).into());
            }
        }
        let me = format!(
            "pid {}, since {}",
            std::process::id(),
            Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        let _ = file.set_len(0).and_then(|()| file.write_all(me.as_bytes()));
        Ok(SendLock {
            file,
            took_over: (!holder.is_empty()).then_some(holder),
        })
    }
}

impl Drop for SendLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/send.lock");
        let first = SendLock::acquire(&path).unwrap();
        assert!(first.took_over.is_none());
        assert!(matches!(
            SendLock::acquire(&path),
            Err(LockError::Held { .. })
        ));
        drop(first);
        // A killed run leaves its name in the file, but the OS lock is gone.
        std::fs::write(&path, "pid 1, since 2026-01-01 00:00:00 UTC").unwrap();
        let next = SendLock::acquire(&path).unwrap();
        assert_eq!(
            next.took_over.as_deref(),
            Some("pid 1, since 2026-01-01 00:00:00 UTC")
        );
    }
}
