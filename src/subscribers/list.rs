//! The subscriber list file: streamed reads and atomic rewrites.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::normalize_address;
use crate::fs::FsError;

/// The list's path inside a project.
pub const LIST_FILE: &str = "subscribers/subscribers.csv";

/// One subscriber as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    /// Normalised (see [`normalize_address`]).
    pub email: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub name: Option<String>,
    /// When they joined: an issue that started sending before this does not go to them.
    pub subscribed_at: DateTime<Utc>,
}

fn empty_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value: Option<String> = Option::deserialize(d)?;
    Ok(value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// A row that could not be read, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

/// Streams the list row by row, so that memory does not grow with its length.
pub struct ListReader {
    rows: csv::DeserializeRecordsIntoIter<BufReader<File>, Subscriber>,
}

impl ListReader {
    /// Opens the list; a missing file is an empty list.
    pub fn open(path: &Path) -> Result<Option<ListReader>, FsError> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FsError::new("cannot read", path, e)),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(BufReader::with_capacity(256 * 1024, file));
        Ok(Some(ListReader {
            rows: reader.into_deserialize(),
        }))
    }

    /// Every readable subscriber of the list at `path` (none if it does not exist).
    pub fn read_all(path: &Path) -> Result<Vec<Subscriber>, crate::Error> {
        let mut subscribers = Vec::new();
        for row in ListReader::open(path)?.into_iter().flatten() {
            match row {
                Ok(subscriber) => subscribers.push(subscriber),
                Err(error) => {
                    return Err(crate::Error::Usage(format!(
                        "{}:{}: {}; fix the row (verdict check lists every problem) before changing the list",
                        LIST_FILE, error.line, error.message
                    )));
                }
            }
        }
        Ok(subscribers)
    }
}

impl Iterator for ListReader {
    type Item = Result<Subscriber, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.next()?;
        Some(match row {
            Ok(mut subscriber) => match normalize_address(&subscriber.email) {
                Ok(email) => {
                    subscriber.email = email;
                    Ok(subscriber)
                }
                Err(message) => Err(RowError {
                    line: self
                        .rows
                        .reader()
                        .position()
                        .line()
                        .saturating_sub(1)
                        .max(2),
                    message,
                }),
            },
            Err(error) => Err(RowError {
                line: error.position().map_or(0, |p| p.line()),
                message: error.to_string(),
            }),
        })
    }
}

/// Rewrites the list atomically.
pub fn write(path: &Path, subscribers: &[Subscriber]) -> Result<(), FsError> {
    crate::fs::write_atomic_with(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["email", "name", "subscribed_at"])?;
        for s in subscribers {
            let at = s
                .subscribed_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            writer.write_record([
                s.email.as_str(),
                s.name.as_deref().unwrap_or(""),
                at.as_str(),
            ])?;
        }
        writer.flush()
    })
}
