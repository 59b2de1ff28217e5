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

/// Rewrites the list atomically, sorted by address: a sorted list lets a send
/// drop duplicates by comparing neighbours, in constant memory.
pub fn write(path: &Path, subscribers: &[Subscriber]) -> Result<(), FsError> {
    crate::fs::write_atomic_with(path, |out| write_csv(out, subscribers))
}

/// Writes subscribers as CSV (`email,name,subscribed_at`, sorted by address), the
/// list's own format and what `export` prints.
pub fn write_csv(out: impl std::io::Write, subscribers: &[Subscriber]) -> std::io::Result<()> {
    let mut sorted: Vec<&Subscriber> = subscribers.iter().collect();
    sorted.sort_by(|a, b| a.email.cmp(&b.email));
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["email", "name", "subscribed_at"])?;
    for s in sorted {
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
}

/// Whether the list is in the order verdict writes it: addresses normalised and
/// ascending. Reads only the first column; cheap next to a send.
pub fn is_sorted(path: &Path) -> Result<bool, FsError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(FsError::new("cannot read", path, e)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::with_capacity(256 * 1024, file));
    let mut record = csv::ByteRecord::new();
    let mut previous: Vec<u8> = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(true),
            Ok(true) => {}
            Err(_) => return Ok(false),
        }
        let email = record.get(0).unwrap_or_default();
        let normalised = !email
            .iter()
            .any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace())
            && email.is_ascii();
        if !normalised || email < previous.as_slice() {
            return Ok(false);
        }
        previous.clear();
        previous.extend_from_slice(email);
    }
}

/// Every problem in the list file, located: unreadable rows, invalid addresses,
/// names with control characters (they would reach the To header), duplicates.
pub fn validate(path: &str, text: &str) -> crate::diagnostic::FileDiagnostics {
    use super::import::field_span;
    use crate::diagnostic::Diagnostic;
    let mut report = crate::diagnostic::FileDiagnostics::new(path, text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().cloned().unwrap_or_default();
    let expected = ["email", "name", "subscribed_at"];
    if headers.iter().collect::<Vec<_>>() != expected {
        let end = text.find('\n').unwrap_or(text.len());
        report.push(
            Diagnostic::error("the header row is not `email,name,subscribed_at`")
                .at(0..end)
                .help("verdict writes this file; import lists from other tools with `verdict subscribers import`"),
        );
        return report;
    }
    let mut seen = std::collections::HashMap::new();
    for row in reader.records() {
        let record = match row {
            Ok(record) => record,
            Err(error) => {
                let start = error
                    .position()
                    .map_or(0, |p| p.byte() as usize)
                    .min(text.len());
                report.push(Diagnostic::error(format!("unreadable row: {error}")).at(start..start));
                continue;
            }
        };
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let email = record.get(0).unwrap_or("");
        let name = record.get(1).unwrap_or("");
        match normalize_address(email) {
            Err(message) => report.push(
                Diagnostic::error(message)
                    .at(field_span(text, start, email))
                    .help("expected an address such as reader@example.com"),
            ),
            Ok(normalized) => {
                if let Some(first) = seen.insert(normalized.clone(), start) {
                    let (line, _) = crate::diagnostic::line_col(text, first);
                    report.push(
                        Diagnostic::error(format!("{normalized} is on the list twice"))
                            .at(field_span(text, start, email))
                            .label(format!("first on line {line}"))
                            .help("remove one of the rows: addresses are compared lower-cased"),
                    );
                }
            }
        }
        if crate::config::control_char_offset(name).is_some() {
            report.push(
                Diagnostic::error("the name contains a line break or control character, which would reach the To header")
                    .at(field_span(text, start, name))
                    .help("write the name on one line"),
            );
        }
        if let Some(at) = record.get(2)
            && DateTime::parse_from_rfc3339(at).is_err()
        {
            report.push(
                Diagnostic::error(format!("`{at}` is not a date and time"))
                    .at(field_span(text, start, at))
                    .help("expected RFC 3339, e.g. 2026-01-01T08:00:00Z"),
            );
        }
    }
    report
}
