//! The subscriber list file: streamed, lenient reads (columns found by name,
//! optional ones may be left out, a complete last row may lack its newline)
//! that locate every bad row; appends of one row through the append log; atomic,
//! sorted rewrites.

use std::fs::File;
use std::io::{BufReader, Take};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::normalize_address;
use super::problems::{ListError, RowProblem, extra_fields, into_result, optional_date};
use crate::store::append_log::{AppendLog, Snapshot};
use crate::store::fs::FsError;

/// The header verdict writes.
pub(super) const HEADER: &str = "email,name,subscribed_at,consent";

/// One subscriber as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Normalised (see [`normalize_address`]).
    pub email: String,
    pub name: Option<String>,
    /// When they joined: an issue that started sending before this does not go
    /// to them. Absent in a hand-written row: a subscriber from before.
    pub subscribed_at: Option<DateTime<Utc>>,
    /// How consent was given (double opt-in, import, by the editor).
    pub consent: Option<String>,
}

/// Which column holds what.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    email: usize,
    name: Option<usize>,
    subscribed_at: Option<usize>,
    consent: Option<usize>,
}

impl Columns {
    /// The columns a header row names; `None` without an `email` column.
    pub fn from_header(headers: &csv::StringRecord) -> Option<Columns> {
        let find = |name: &str| {
            headers.iter().position(|h| {
                h.trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(name)
            })
        };
        Some(Columns {
            email: find("email")?,
            name: find("name"),
            subscribed_at: find("subscribed_at"),
            consent: find("consent"),
        })
    }
}

const HEADER_HELP: &str = "the first row names the columns: email, and optionally name, subscribed_at and consent; import lists from other tools with `verdict subscribers import`";

/// Streams the list row by row, so that memory does not grow with its length.
pub struct ListReader {
    reader: csv::Reader<BufReader<Take<File>>>,
    columns: Columns,
    /// The header row: no row may have more fields than it names.
    header: csv::StringRecord,
    record: csv::StringRecord,
    /// The header's names that no column of the model reads.
    unread: Vec<String>,
}

/// The columns the list model reads.
pub const COLUMNS: [&str; 4] = ["email", "name", "subscribed_at", "consent"];

impl ListReader {
    /// Opens the list; a missing file is an empty list. A header without an
    /// email column is a located error.
    pub fn open(path: &Path, shown: &str) -> Result<Option<ListReader>, ListError> {
        match super::snapshot(path)? {
            Some(snapshot) => ListReader::from_snapshot(&snapshot, path, shown).map(Some),
            None => Ok(None),
        }
    }

    /// Reads the rows of a snapshot of the list (so that several passes read
    /// one version, whatever is appended meanwhile).
    pub fn from_snapshot(
        snapshot: &Snapshot,
        path: &Path,
        shown: &str,
    ) -> Result<ListReader, ListError> {
        let mut reader = super::csv_rows(snapshot, path)?;
        let header_problem = |message: String| {
            into_result(
                path,
                shown,
                &[RowProblem::error(0, "", message, HEADER_HELP)],
            )
        };
        let headers = match reader.headers() {
            Ok(headers) => headers.clone(),
            Err(e) => {
                header_problem(format!("the header row cannot be read: {e}"))?;
                csv::StringRecord::new()
            }
        };
        let Some(columns) = Columns::from_header(&headers) else {
            header_problem("the header row names no `email` column".into())?;
            return Err(ListError::Fs(FsError::new(
                "cannot read",
                path,
                std::io::Error::other("no email column"),
            )));
        };
        let unread = headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}'))
            .filter(|h| !COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(h)))
            .map(str::to_string)
            .collect();
        Ok(ListReader {
            reader,
            columns,
            header: headers,
            record: csv::StringRecord::new(),
            unread,
        })
    }

    /// The header's names that verdict does not read (a typo, or notes of the editor's).
    pub fn unread_columns(&self) -> &[String] {
        &self.unread
    }

    /// Where the row last read starts, in bytes.
    pub fn record_start(&self) -> usize {
        self.record.position().map_or(0, |p| p.byte() as usize)
    }

    /// The next row, or the problem with it; blank lines are skipped.
    fn row(&mut self) -> Option<Result<Subscriber, RowProblem>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(error) => {
                    let start = error.position().map_or(0, |p| p.byte() as usize);
                    return Some(Err(RowProblem::error(
                        start,
                        "",
                        format!("unreadable row: {error}"),
                        "each row is email,name,subscribed_at,consent in CSV, UTF-8",
                    )));
                }
            }
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if let Some(problem) = extra_fields(&self.record, &self.header) {
                return Some(Err(problem));
            }
            return Some(parse_row(&self.record, self.columns));
        }
    }
}

impl Iterator for ListReader {
    type Item = Result<Subscriber, RowProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        self.row()
    }
}

/// One row of the list, read with the columns its header names.
pub fn parse_row(record: &csv::StringRecord, columns: Columns) -> Result<Subscriber, RowProblem> {
    let start = record.position().map_or(0, |p| p.byte() as usize);
    let field = |i: Option<usize>| {
        i.and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let raw_email = record.get(columns.email).unwrap_or("");
    let email = normalize_address(raw_email).map_err(|e| {
        RowProblem::error(
            start,
            raw_email,
            e.to_string(),
            "expected an address such as reader@example.com",
        )
    })?;
    let name = field(columns.name).map(str::to_string);
    if let Some(name) = &name
        && crate::diagnostic::text::has_control_char(name)
    {
        return Err(RowProblem::error(
            start,
            name.as_str(),
            "the name contains a line break or control character, which would reach the To header",
            "write the name on one line",
        ));
    }
    let subscribed_at = optional_date(start, field(columns.subscribed_at))?;
    Ok(Subscriber {
        email,
        name,
        subscribed_at,
        consent: field(columns.consent).map(str::to_string),
    })
}

/// Every subscriber of the list at `path` (none if it does not exist); any bad
/// row is a located error and nothing is returned.
pub fn read_all(path: &Path, shown: &str) -> Result<Vec<Subscriber>, ListError> {
    let mut subscribers = Vec::new();
    let mut problems = Vec::new();
    for row in ListReader::open(path, shown)?.into_iter().flatten() {
        match row {
            Ok(subscriber) => subscribers.push(subscriber),
            Err(problem) => problems.push(problem),
        }
    }
    into_result(path, shown, &problems)?;
    Ok(subscribers)
}

/// Appends one subscriber (a confirmed sign-up) without rewriting the list, so
/// that it costs the same whatever the list's length; sends keep their memory
/// flat (only the rows after the sorted ones are remembered). The caller holds
/// the subscribers lock. A list whose header has no `consent` column is
/// rewritten once with one, so that how consent was given is kept.
pub fn append_subscriber(
    path: &Path,
    shown: &str,
    subscriber: &Subscriber,
) -> Result<(), ListError> {
    let header = match super::snapshot(path)? {
        Some(snapshot) => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(
                    snapshot
                        .reader()
                        .map_err(|e| FsError::new("cannot read", path, e))?,
                );
            let mut header = csv::StringRecord::new();
            match reader.read_record(&mut header) {
                Ok(true) => Some(header),
                _ => None,
            }
        }
        None => None,
    };
    let columns: Vec<String> = header
        .iter()
        .flatten()
        .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    if !columns.iter().any(|c| c == "consent") {
        let mut all = read_all(path, shown)?;
        all.push(subscriber.clone());
        write_list(path, &all)?;
        return Ok(());
    }
    let at = subscriber
        .subscribed_at
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default();
    let row: Vec<&str> = columns
        .iter()
        .map(|column| match column.as_str() {
            "email" => subscriber.email.as_str(),
            "name" => subscriber.name.as_deref().unwrap_or(""),
            "subscribed_at" => at.as_str(),
            "consent" => subscriber.consent.as_deref().unwrap_or(""),
            _ => "",
        })
        .collect();
    let line = super::csv_line(&row)
        .map_err(|e| FsError::new("cannot write", path, std::io::Error::other(e.to_string())))?;
    AppendLog::append(path, super::list_kind(HEADER), [line])?;
    Ok(())
}

/// Rewrites the list atomically, sorted by address: a sorted list lets a send
/// drop duplicates by comparing neighbours, in constant memory.
pub fn write_list(path: &Path, subscribers: &[Subscriber]) -> Result<(), FsError> {
    crate::store::fs::write_atomic_with(path, |out| write_csv(out, subscribers, false))
}

/// The list as CSV for a spreadsheet or another tool: cells that a spreadsheet
/// would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a
/// leading `'` (OWASP's rule for CSV injection).
pub fn export_csv(out: impl std::io::Write, subscribers: &[Subscriber]) -> std::io::Result<()> {
    write_csv(out, subscribers, true)
}

fn write_csv(
    out: impl std::io::Write,
    subscribers: &[Subscriber],
    neutralise: bool,
) -> std::io::Result<()> {
    let mut sorted: Vec<&Subscriber> = subscribers.iter().collect();
    sorted.sort_by(|a, b| a.email.cmp(&b.email));
    let with_consent = subscribers.iter().any(|s| s.consent.is_some());
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = HEADER.split(',').collect();
    if !with_consent {
        header.pop();
    }
    writer.write_record(&header)?;
    let cell = |text: &str| -> String {
        if neutralise && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_string()
        }
    };
    for s in sorted {
        let at = s
            .subscribed_at
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_default();
        let mut row = vec![cell(&s.email), cell(s.name.as_deref().unwrap_or("")), at];
        if with_consent {
            row.push(cell(s.consent.as_deref().unwrap_or("")));
        }
        writer.write_record(&row)?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Subscriber>, ListError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("subscribers.csv");
        std::fs::write(&path, text).unwrap();
        read_all(&path, "subscribers/subscribers.csv")
    }

    #[test]
    fn hand_edits_without_optional_columns_or_final_newline_are_read() {
        let list = read("email\nA@Example.com\n\nb@example.com").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].email, "a@example.com");
        assert_eq!(list[0].subscribed_at, None);
        let list = read("name,email,notes\nAda,a@example.com,vip\n").unwrap();
        assert_eq!(list[0].name.as_deref(), Some("Ada"));
    }

    #[test]
    fn a_damaged_header_or_row_is_a_located_error() {
        let Err(ListError::Invalid(report)) = read("emial,name\na@example.com,A\n") else {
            panic!("a header without email must fail");
        };
        assert!(
            report
                .render(false)
                .contains("subscribers/subscribers.csv:1:1")
        );
        let Err(ListError::Invalid(report)) = read(
            "email,name,subscribed_at\na@example.com,A,2026-01-01T00:00:00Z\nnot an address,B,\nc@example.com,C,yesterday\n",
        ) else {
            panic!("bad rows must fail");
        };
        let rendered = report.render(false);
        assert_eq!(report.error_count(), 2, "{rendered}");
        assert!(rendered.contains(":3:1"), "{rendered}");
        assert!(rendered.contains(":4:17"), "{rendered}");
    }

    #[test]
    fn exports_neutralise_cells_a_spreadsheet_would_run() {
        let subscribers = vec![Subscriber {
            email: "-x@example.com".into(),
            name: Some("=HYPERLINK(\"http://evil.invalid\")".into()),
            subscribed_at: None,
            consent: None,
        }];
        let mut out = Vec::new();
        export_csv(&mut out, &subscribers).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("'-x@example.com,\"'=HYPERLINK("), "{text}");
    }
}
