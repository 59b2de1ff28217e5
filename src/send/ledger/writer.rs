//! Appending to a ledger: records are queued and made durable together with
//! one fsync (group commit, through `store::append_log`); nothing counts as
//! written before `commit` returns.

use std::path::Path;

use super::Record;
use crate::store::append_log::{AppendLog, Kind};
use crate::store::fs::FsError;

/// Appends records to one ledger file.
pub struct Writer {
    log: AppendLog,
}

impl Writer {
    /// Opens a ledger for appending in its private folder. `keep` is where the
    /// good records end when the reader found a damaged last line: the rest is
    /// cut so that new records start on a line of their own.
    pub fn open(path: &Path, keep: Option<u64>) -> Result<Writer, FsError> {
        Ok(Writer {
            log: AppendLog::open_keeping(path, Kind::PRIVATE_LOG, keep)?,
        })
    }

    /// Queues a record for the next commit.
    pub fn append(&mut self, record: &Record) -> Result<(), FsError> {
        self.log.push_json(record)
    }

    /// Writes the queued records and fsyncs them: one fsync for the whole batch.
    /// On failure the ledger is as it was before the batch.
    pub fn commit(&mut self) -> Result<(), FsError> {
        self.log.commit()
    }
}
