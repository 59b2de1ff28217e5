//! The suppression list: addresses that must never be mailed again (unsubscribed,
//! bounced). Appended to under the subscribers lock, so that `verdict serve` and
//! `verdict send` can both add to it while the other runs; it always wins.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::fs::FsError;

/// The suppression list's path inside a project.
pub const SUPPRESSED_FILE: &str = "subscribers/suppressed.csv";

const HEADER: &str = "email,reason,at,detail\n";

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    Unsubscribed,
    Bounced,
}

/// One entry of the suppression list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub email: String,
    pub reason: Reason,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub detail: String,
}

/// Reads every entry; a line torn by a crash at the end is ignored.
pub fn read(path: &Path) -> Result<Vec<Suppression>, FsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(FsError::new("cannot read", path, e)),
    };
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(complete.as_bytes());
    let mut entries = Vec::new();
    for row in reader.deserialize::<Suppression>() {
        let mut entry = row.map_err(|e| {
            FsError::new(
                "unreadable entry in",
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            )
        })?;
        entry.email = super::normalize_address(&entry.email).unwrap_or(entry.email);
        entries.push(entry);
    }
    Ok(entries)
}

/// The normalised addresses on the list.
pub fn addresses(path: &Path) -> Result<HashSet<String>, FsError> {
    Ok(read(path)?.into_iter().map(|s| s.email).collect())
}

/// Adds an entry durably (fsync) unless the address is already suppressed.
/// Returns whether it was added. The caller holds the subscribers lock.
pub fn append(path: &Path, entry: &Suppression) -> Result<bool, FsError> {
    if read(path)?.iter().any(|s| s.email == entry.email) {
        return Ok(false);
    }
    append_unchecked(path, std::slice::from_ref(entry))?;
    Ok(true)
}

/// Appends entries without checking for duplicates (callers that already know).
pub fn append_unchecked(path: &Path, entries: &[Suppression]) -> Result<(), FsError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::fs::create_dir_all(dir)?;
    let existing = std::fs::read(path).unwrap_or_default();
    let mut file = crate::fs::open_append(path)?;
    let fail = |e| FsError::new("cannot write", path, e);
    if let Some(end) = existing.iter().rposition(|b| *b == b'\n') {
        // Cut a line torn by an earlier crash so that the new entry starts clean.
        if end + 1 < existing.len() {
            file.set_len(end as u64 + 1).map_err(fail)?;
        }
    } else {
        file.set_len(0).map_err(fail)?;
    }
    let mut buffer = Vec::new();
    if existing.iter().rposition(|b| *b == b'\n').is_none() {
        buffer.extend_from_slice(HEADER.as_bytes());
    }
    {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut buffer);
        for entry in entries {
            writer
                .serialize(entry)
                .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
        }
        writer.flush().map_err(fail)?;
    }
    file.write_all(&buffer)
        .and_then(|()| file.sync_data())
        .map_err(fail)?;
    crate::fs::sync_dir(dir).map_err(fail)
}
