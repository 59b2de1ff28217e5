//! The sent-state ledger: one append-only file of JSON lines per issue under
//! `state/ledger/`, made durable with fsync in batches (group commit) before an
//! outcome counts as done. Read back into a compact index of hashed addresses.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::fs::FsError;

/// The ledger folder inside `state/`.
pub const LEDGER_DIR: &str = "ledger";

/// What happened to one recipient in one attempt series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The relay accepted the message.
    Delivered,
    /// Transient failures outlasted the retries; the next run tries again.
    Deferred,
    /// A permanent (5xx) refusal; retried only with `--retry-failed`.
    Failed,
    /// A permanent "no such user": the address went to the suppression list.
    Bounced,
}

impl Outcome {
    /// Whether a later run should leave this recipient alone.
    pub fn is_final(self, retry_failed: bool) -> bool {
        match self {
            Outcome::Delivered => true,
            Outcome::Failed | Outcome::Bounced => !retry_failed,
            Outcome::Deferred => false,
        }
    }
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// The issue started sending; subscribers who joined later do not get it.
    Start { at: DateTime<Utc> },
    /// One recipient's outcome.
    Outcome {
        email: String,
        outcome: Outcome,
        /// The relay's last reply, e.g. "250 2.0.0 Ok" or "550 5.1.1 no such user".
        reply: String,
        attempts: u32,
        at: DateTime<Utc>,
        message_id: String,
    },
    /// Every recipient has a final outcome.
    Complete { at: DateTime<Utc> },
}

/// The ledger file of an issue.
pub fn path(state_dir: &Path, issue_id: &str) -> PathBuf {
    state_dir.join(LEDGER_DIR).join(format!("{issue_id}.log"))
}

/// A fixed-key hash of a normalised address. The index keeps 8 bytes per
/// recipient instead of the address (a collision needs ~2^32 recipients).
pub fn address_key(email: &str) -> u64 {
    let mut hasher =
        std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().build_hasher();
    hasher.write(email.as_bytes());
    hasher.finish()
}

/// What the ledger says about an issue, rebuilt from the file.
#[derive(Debug, Default, Clone)]
pub struct Index {
    pub started: Option<DateTime<Utc>>,
    pub complete: bool,
    /// The last outcome per hashed address.
    pub outcomes: HashMap<u64, Outcome>,
    /// Bytes of the last line if it was torn (no newline or unreadable).
    pub torn_tail: usize,
}

impl Index {
    pub fn get(&self, email: &str) -> Option<Outcome> {
        self.outcomes.get(&address_key(email)).copied()
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.outcomes.values().filter(|o| **o == outcome).count()
    }
}

/// Reads every record, calling `each` for it; a torn last line is skipped.
/// Returns the length of the torn tail (0 when the file ends cleanly).
pub fn read(path: &Path, mut each: impl FnMut(Record)) -> Result<usize, FsError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(FsError::new("cannot read", path, e)),
    };
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| FsError::new("cannot read", path, e))?;
        if n == 0 {
            return Ok(0);
        }
        let complete_line = line.ends_with(b"\n");
        match serde_json::from_slice::<Record>(line.trim_ascii_end()) {
            Ok(record) if complete_line => each(record),
            // A record torn by a crash can only be the last one: appends are sequential.
            _ if !complete_line => return Ok(n),
            Ok(_) | Err(_) => {
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
                if rest.iter().all(u8::is_ascii_whitespace) {
                    return Ok(n);
                }
                return Err(FsError::new(
                    "corrupt record in",
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "unreadable line: {}",
                            String::from_utf8_lossy(line.trim_ascii_end())
                        ),
                    ),
                ));
            }
        }
    }
}

/// Rebuilds the index of an issue from its ledger.
pub fn load(state_dir: &Path, issue_id: &str) -> Result<Index, FsError> {
    let mut index = Index::default();
    index.torn_tail = read(&path(state_dir, issue_id), |record| match record {
        Record::Start { at } => {
            index.started.get_or_insert(at);
        }
        Record::Outcome { email, outcome, .. } => {
            index.complete = false;
            index.outcomes.insert(address_key(&email), outcome);
        }
        Record::Complete { .. } => index.complete = true,
    })?;
    Ok(index)
}

/// Whether the issue is sent to everyone, reading only the end of its ledger so
/// that a run with nothing to do stays cheap whatever the list's size.
pub fn is_complete(state_dir: &Path, issue_id: &str) -> bool {
    last_record(&path(state_dir, issue_id)).is_some_and(|r| matches!(r, Record::Complete { .. }))
}

fn last_record(path: &Path) -> Option<Record> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(4096);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    tail.split(|b| *b == b'\n')
        .rev()
        .filter(|line| !line.is_empty())
        .find_map(|line| serde_json::from_slice(line).ok())
}

/// Appends records; nothing counts as written until [`Writer::commit`] returns.
pub struct Writer {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
}

impl Writer {
    /// Opens an issue's ledger for appending, cutting a torn last line first so
    /// that new records start on a line of their own.
    pub fn open(state_dir: &Path, issue_id: &str, torn_tail: usize) -> Result<Writer, FsError> {
        let path = path(state_dir, issue_id);
        let dir = path.parent().expect("ledger path has a parent");
        crate::fs::create_dir_all(dir)?;
        let file = crate::fs::open_append(&path)?;
        if torn_tail > 0 {
            let len = file
                .metadata()
                .map_err(|e| FsError::new("cannot read", &path, e))?
                .len();
            file.set_len(len.saturating_sub(torn_tail as u64))
                .map_err(|e| FsError::new("cannot repair", &path, e))?;
        }
        crate::fs::sync_dir(dir).map_err(|e| FsError::new("cannot sync", dir, e))?;
        Ok(Writer {
            file,
            path,
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    /// Queues a record for the next commit.
    pub fn append(&mut self, record: &Record) {
        serde_json::to_writer(&mut self.buffer, record).expect("records always serialise");
        self.buffer.push(b'\n');
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

/// The lock that lets one `verdict send` run per project; released on drop
/// (and by the operating system when the process dies, even by SIGKILL).
pub struct SendLock {
    file: File,
}

/// The lock file inside `state/`.
pub const LOCK_FILE: &str = "send.lock";

impl SendLock {
    /// Takes the lock, or says who holds it.
    pub fn acquire(state_dir: &Path) -> Result<SendLock, crate::Error> {
        crate::fs::create_dir_all(state_dir)?;
        let path = state_dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| FsError::new("cannot open", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process"
                } else {
                    holder
                };
                return Err(crate::Error::Locked(format!(
                    "another verdict send is running ({holder}); it holds {}. Nothing was sent by this run.",
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(FsError::new("cannot lock", &path, e).into());
            }
        }
        let holder = format!(
            "pid {}, since {}",
            std::process::id(),
            Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        let _ = file
            .set_len(0)
            .and_then(|()| file.write_all(holder.as_bytes()));
        Ok(SendLock { file })
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

    fn outcome(email: &str, outcome: Outcome) -> Record {
        Record::Outcome {
            email: email.into(),
            outcome,
            reply: "250 ok".into(),
            attempts: 1,
            at: Utc::now(),
            message_id: "id@example.com".into(),
        }
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Writer::open(dir.path(), "issue", 0).unwrap();
        writer.append(&Record::Start { at: Utc::now() });
        writer.append(&outcome("a@example.com", Outcome::Delivered));
        writer.commit().unwrap();
        let file = path(dir.path(), "issue");
        let mut raw = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        raw.write_all(br#"{"kind":"outcome","email":"b@exa"#)
            .unwrap();
        drop(raw);

        let index = load(dir.path(), "issue").unwrap();
        assert_eq!(index.get("a@example.com"), Some(Outcome::Delivered));
        assert_eq!(index.get("b@example.com"), None);
        assert!(index.torn_tail > 0);

        let mut writer = Writer::open(dir.path(), "issue", index.torn_tail).unwrap();
        writer.append(&outcome("b@example.com", Outcome::Failed));
        writer.append(&Record::Complete { at: Utc::now() });
        writer.commit().unwrap();
        let index = load(dir.path(), "issue").unwrap();
        assert_eq!(index.get("b@example.com"), Some(Outcome::Failed));
        assert_eq!(index.torn_tail, 0);
        assert!(index.complete);
        assert!(is_complete(dir.path(), "issue"));
    }

    #[test]
    fn the_last_outcome_of_an_address_wins() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Writer::open(dir.path(), "i", 0).unwrap();
        writer.append(&outcome("a@example.com", Outcome::Deferred));
        writer.append(&outcome("a@example.com", Outcome::Delivered));
        writer.commit().unwrap();
        let index = load(dir.path(), "i").unwrap();
        assert_eq!(index.get("a@example.com"), Some(Outcome::Delivered));
        assert_eq!(index.count(Outcome::Delivered), 1);
        assert!(!is_complete(dir.path(), "i"));
    }

    #[test]
    fn a_corrupt_line_in_the_middle_is_an_error_not_silence() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "i");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            "garbage\n{\"kind\":\"complete\",\"at\":\"2026-01-01T00:00:00Z\"}\n",
        )
        .unwrap();
        assert!(load(dir.path(), "i").is_err());
    }
}
