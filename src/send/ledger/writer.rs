//! Appending to a ledger: records are buffered and made durable together with
//! one fsync (group commit); nothing counts as written before `commit` returns.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Record;
use crate::store::fs::FsError;

/// Appends records to one ledger file.
pub struct Writer {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
}

impl Writer {
    /// Opens a ledger for appending, cutting a torn last line first so that new
    /// records start on a line of their own. The ledger folder is private.
    pub fn open(path: &Path, torn_tail: usize) -> Result<Writer, FsError> {
        if let Some(dir) = path.parent() {
            crate::store::fs::create_private_dir(dir)?;
        }
        let file = crate::store::fs::open_append(path, 0o600)?;
        if torn_tail > 0 {
            let len = file
                .metadata()
                .map_err(|e| FsError::new("cannot read", path, e))?
                .len();
            file.set_len(len.saturating_sub(torn_tail as u64))
                .map_err(|e| FsError::new("cannot repair", path, e))?;
        }
        crate::store::fs::sync_dir_of(path)?;
        Ok(Writer {
            file,
            path: path.to_path_buf(),
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    /// Queues a record for the next commit.
    pub fn append(&mut self, record: &Record) {
        // Records are plain data (strings, numbers, dates): serialising cannot fail.
        if serde_json::to_writer(&mut self.buffer, record).is_ok() {
            self.buffer.push(b'\n');
        }
    }

    /// Writes the queued records and fsyncs them: one fsync for the whole batch.
    pub fn commit(&mut self) -> Result<(), FsError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&self.buffer)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| FsError::new("cannot write", &self.path, e))?;
        self.buffer.clear();
        Ok(())
    }
}
