//! The sent-state ledger: one append-only file of JSON lines per issue under
//! `state/ledger/`, made durable with fsync in batches (group commit, `writer`)
//! before an outcome counts as done, read back into a compact index of hashed
//! addresses. `store::lock` keeps one `verdict send` per project.

mod writer;

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::store::lock::{LockError, SendLock};
pub use writer::Writer;

use crate::store::fs::FsError;

/// What happened to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The relay accepted the message.
    Delivered,
    /// Transient failures outlasted the retries; the next run tries again.
    Deferred,
    /// A permanent refusal of this reader; retried only with `--retry-failed`.
    Failed,
    /// The address does not exist: it went to the suppression list.
    Bounced,
    /// Given up on: deferred for too long, or the issue's send window closed.
    Expired,
    /// A refusal not acted on: the relay refused far more readers than any
    /// list has, so it was the relay's. Neither suppressed nor failed; the
    /// next run (or another relay) tries again.
    Held,
    /// The connection was lost after the message was sent, more times than
    /// retried: possibly delivered, never sent again.
    Uncertain,
}

impl Outcome {
    /// Whether a later run should leave this recipient alone.
    pub fn is_final(self, retry_failed: bool) -> bool {
        match self {
            Outcome::Delivered | Outcome::Expired | Outcome::Uncertain => true,
            Outcome::Failed | Outcome::Bounced => !retry_failed,
            Outcome::Deferred | Outcome::Held => false,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Deferred => "deferred",
            Outcome::Failed => "failed",
            Outcome::Bounced => "bounced",
            Outcome::Expired => "expired",
            Outcome::Held => "held",
            Outcome::Uncertain => "uncertain, possibly delivered",
        }
    }
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// The first message of the issue was attempted: the audience is fixed, and
    /// subscribers who join later get the next issue. `content` is a hash of the
    /// issue as rendered then, to notice edits after sending started.
    Start {
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
    },
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
    /// An earlier outcome is withdrawn: the recipient is pending again (an
    /// editor lifted the suppression that came from it).
    Reopened {
        email: String,
        at: DateTime<Utc>,
        reason: String,
    },
    /// Everyone whose outcome so far is not final (never tried, deferred,
    /// held) is expired: one record for a closed send window, whatever the
    /// list's size.
    #[serde(rename = "expired_rest")]
    ExpiredRest { at: DateTime<Utc>, reason: String },
    /// Every recipient has a final outcome.
    Complete { at: DateTime<Utc> },
}

/// Why a ledger cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("{}:{line}: unreadable record, the ledger is corrupt: {text}", path.display())]
    Corrupt {
        path: PathBuf,
        line: u64,
        text: String,
    },
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
    /// The content hash recorded when sending started.
    pub content: Option<String>,
    pub complete: bool,
    /// The last outcome per hashed address.
    pub outcomes: HashMap<u64, Outcome>,
    /// When each address still deferred or held was first deferred or held.
    pub deferred_since: HashMap<u64, DateTime<Utc>>,
    /// Addresses whose last outcome is a bounce (few): reconciled with the
    /// suppression list in case a crash came between the two.
    pub bounced: Vec<String>,
    /// Where the good records end, when the last line was damaged.
    pub good_len: Option<u64>,
    /// Everyone without a final outcome before it was expired then, and why.
    pub rest_expired: Option<(DateTime<Utc>, String)>,
}

impl Index {
    pub fn get(&self, email: &str) -> Option<Outcome> {
        self.outcome_of(address_key(email))
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.outcomes.values().filter(|o| **o == outcome).count()
    }

    fn apply(&mut self, record: Record) {
        match record {
            Record::Start { at, content } => {
                self.started.get_or_insert(at);
                if self.content.is_none() {
                    self.content = content;
                }
            }
            Record::Outcome {
                email, outcome, at, ..
            } => {
                self.complete = false;
                let key = address_key(&email);
                if matches!(outcome, Outcome::Deferred | Outcome::Held) {
                    self.deferred_since.entry(key).or_insert(at);
                } else {
                    self.deferred_since.remove(&key);
                }
                if self.outcomes.insert(key, outcome) == Some(Outcome::Bounced) {
                    self.bounced.retain(|b| *b != email);
                }
                if outcome == Outcome::Bounced {
                    self.bounced.push(email);
                }
            }
            Record::Reopened { email, .. } => {
                self.complete = false;
                let key = address_key(&email);
                self.outcomes.remove(&key);
                self.deferred_since.remove(&key);
                self.bounced.retain(|b| *b != email);
            }
            Record::ExpiredRest { at, reason } => {
                for outcome in self.outcomes.values_mut() {
                    if !outcome.is_final(false) {
                        *outcome = Outcome::Expired;
                    }
                }
                self.deferred_since.clear();
                self.rest_expired = Some((at, reason));
            }
            Record::Complete { .. } => self.complete = true,
        }
    }

    /// The outcome of a reader as the ledger has it, counting a reader never
    /// tried before the rest expired as expired.
    pub fn outcome_of(&self, key: u64) -> Option<Outcome> {
        match self.outcomes.get(&key) {
            Some(outcome) => Some(*outcome),
            None => self.rest_expired.as_ref().map(|_| Outcome::Expired),
        }
    }
}

/// Reads every record, calling `each` for it. A torn last line (no newline)
/// is never read; a last line that ends but does not parse (a crash that left
/// garbage, perhaps followed by blank lines) is skipped too, and its start is
/// returned: where the good records end, for the next writer to cut at. An
/// unreadable line with records after it is corruption, an error.
pub fn read(path: &Path, mut each: impl FnMut(Record)) -> Result<Option<u64>, LedgerError> {
    // The first unreadable line, waiting to see whether any record follows it.
    let mut damaged: Option<(u64, u64, String)> = None;
    crate::store::append_log::for_each_line::<LedgerError>(path, |line| {
        if line.bytes.trim_ascii().is_empty() {
            return Ok(());
        }
        if let Some((number, _, text)) = damaged.take() {
            return Err(LedgerError::Corrupt {
                path: path.to_path_buf(),
                line: number,
                text,
            });
        }
        match serde_json::from_slice::<Record>(line.bytes) {
            Ok(record) => each(record),
            Err(_) => {
                let text = String::from_utf8_lossy(line.bytes.trim_ascii_end())
                    .chars()
                    .take(120)
                    .collect();
                damaged = Some((line.number, line.start, text));
            }
        }
        Ok(())
    })?;
    Ok(damaged.map(|(_, start, _)| start))
}

/// Makes readers pending again in one issue's ledger (an editor lifted the
/// suppression that kept them from it): one `Reopened` record each, durable
/// before this returns. The caller holds the send lock.
pub fn reopen(
    path: &Path,
    emails: &[String],
    at: DateTime<Utc>,
    reason: &str,
) -> Result<(), LedgerError> {
    let index = load(path)?;
    let mut writer = Writer::open(path, index.good_len)?;
    for email in emails {
        writer.append(&Record::Reopened {
            email: email.clone(),
            at,
            reason: reason.to_string(),
        })?;
    }
    Ok(writer.commit()?)
}

/// Rebuilds the index of an issue from its ledger file.
pub fn load(path: &Path) -> Result<Index, LedgerError> {
    let mut index = Index::default();
    index.good_len = read(path, |record| index.apply(record))?;
    Ok(index)
}

/// Whether the issue is sent to everyone, reading only the end of its ledger so
/// that a run with nothing to do stays cheap whatever the list's size.
pub fn is_complete(path: &Path) -> bool {
    last_record(path).is_some_and(|r| matches!(r, Record::Complete { .. }))
}

/// Whether the issue ever started sending (its ledger has records).
pub fn has_started(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

/// The content hash recorded when the issue started sending (its first line),
/// read without loading the whole ledger.
pub fn started_content(path: &Path) -> Option<String> {
    match first_record(path)? {
        Record::Start { content, .. } => content,
        _ => None,
    }
}

/// When the issue started sending (its first line), read without loading the
/// whole ledger.
pub fn started_at(path: &Path) -> Option<DateTime<Utc>> {
    match first_record(path)? {
        Record::Start { at, .. } => Some(at),
        _ => None,
    }
}

fn first_record(path: &Path) -> Option<Record> {
    let file = File::open(path).ok()?;
    let mut first = String::new();
    BufReader::new(file).read_line(&mut first).ok()?;
    serde_json::from_str(first.trim_end()).ok()
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

#[cfg(test)]
mod tests {
    use std::io::Write;

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
        let file = dir.path().join("ledger/issue.log");
        let mut writer = Writer::open(&file, None).unwrap();
        writer
            .append(&Record::Start {
                at: Utc::now(),
                content: None,
            })
            .unwrap();
        writer
            .append(&outcome("a@example.com", Outcome::Delivered))
            .unwrap();
        writer.commit().unwrap();
        let mut raw = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        raw.write_all(br#"{"kind":"outcome","email":"b@exa"#)
            .unwrap();
        drop(raw);

        let index = load(&file).unwrap();
        assert_eq!(index.get("a@example.com"), Some(Outcome::Delivered));
        assert_eq!(index.get("b@example.com"), None);
        assert_eq!(
            index.good_len, None,
            "a tail without a newline is never read"
        );

        let mut writer = Writer::open(&file, index.good_len).unwrap();
        writer
            .append(&outcome("b@example.com", Outcome::Failed))
            .unwrap();
        writer.append(&Record::Complete { at: Utc::now() }).unwrap();
        writer.commit().unwrap();
        let index = load(&file).unwrap();
        assert_eq!(index.get("b@example.com"), Some(Outcome::Failed));
        assert_eq!(index.good_len, None);
        assert!(index.complete);
        assert!(is_complete(&file));
    }

    #[test]
    fn the_last_outcome_of_an_address_wins_and_reopening_withdraws_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("i.log");
        let mut writer = Writer::open(&file, None).unwrap();
        for record in [
            outcome("a@example.com", Outcome::Deferred),
            outcome("a@example.com", Outcome::Delivered),
            outcome("b@example.com", Outcome::Bounced),
            outcome("c@example.com", Outcome::Bounced),
            Record::Reopened {
                email: "c@example.com".into(),
                at: Utc::now(),
                reason: "the relay refused everyone alike".into(),
            },
        ] {
            writer.append(&record).unwrap();
        }
        writer.commit().unwrap();
        let index = load(&file).unwrap();
        assert_eq!(index.get("a@example.com"), Some(Outcome::Delivered));
        assert!(index.deferred_since.is_empty());
        assert_eq!(index.count(Outcome::Delivered), 1);
        assert_eq!(index.get("c@example.com"), None);
        assert_eq!(index.bounced, vec!["b@example.com".to_string()]);
        assert!(!is_complete(&file));
    }

    #[test]
    fn a_garbled_last_line_before_blank_lines_is_cut_exactly_where_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("i.log");
        let start = "{\"kind\":\"start\",\"at\":\"2026-01-01T00:00:00Z\"}\n";
        std::fs::write(&file, format!("{start}{{\"kind\":\"outc\u{0}\u{0}\n\n\n")).unwrap();
        let index = load(&file).unwrap();
        assert_eq!(index.good_len, Some(start.len() as u64));
        let mut writer = Writer::open(&file, index.good_len).unwrap();
        writer
            .append(&outcome("a@example.com", Outcome::Delivered))
            .unwrap();
        writer.commit().unwrap();
        let index = load(&file).unwrap();
        assert_eq!(index.get("a@example.com"), Some(Outcome::Delivered));
        assert_eq!(
            index.good_len, None,
            "the fragment did not merge with the new record"
        );
    }

    #[test]
    fn a_corrupt_line_in_the_middle_is_an_error_with_its_line_number() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("i.log");
        std::fs::write(
            &file,
            "{\"kind\":\"start\",\"at\":\"2026-01-01T00:00:00Z\"}\ngarbage\n{\"kind\":\"complete\",\"at\":\"2026-01-01T00:00:00Z\"}\n",
        )
        .unwrap();
        let error = load(&file).unwrap_err();
        assert!(
            matches!(error, LedgerError::Corrupt { line: 2, .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("i.log:2: unreadable record"),
            "{error}"
        );
    }
}
