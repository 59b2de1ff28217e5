//! Reading the subscriber list as a stream of validated rows.

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
                    line: self.rows.reader().position().line(),
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
