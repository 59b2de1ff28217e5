//! Problems found in a list file while streaming it, turned into located
//! diagnostics only when there are some (the file is re-read for that).

use std::path::Path;

use crate::diagnostic::{Diagnostic, FileDiagnostics, Severity};
use crate::store::fs::FsError;

/// Why a list could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("{0}")]
    Invalid(Box<FileDiagnostics>),
}

impl ListError {
    /// The error for problems found while streaming `path`, if any is an error.
    pub fn from_problems(
        path: &Path,
        shown: &str,
        problems: &[RowProblem],
    ) -> Result<(), ListError> {
        into_result(path, shown, problems)
    }
}

/// One problem at one place of a list file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub severity: Severity,
    /// Byte offset of the record.
    pub record_start: usize,
    /// The offending field's text, to underline it; empty for the whole line.
    pub field: String,
    /// The offending field's place in the record, when its text alone would not
    /// find it (an empty field, or text that an earlier field also holds).
    pub field_index: Option<usize>,
    pub message: String,
    pub help: String,
}

impl RowProblem {
    pub fn error(
        record_start: usize,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        RowProblem {
            severity: Severity::Error,
            record_start,
            field: field.into(),
            field_index: None,
            message: message.into(),
            help: help.into(),
        }
    }

    /// Locates the problem at field `index` of its record.
    pub fn at_field(self, index: usize) -> Self {
        RowProblem {
            field_index: Some(index),
            ..self
        }
    }

    pub fn warning(self) -> Self {
        RowProblem {
            severity: Severity::Warning,
            ..self
        }
    }
}

/// An optional date cell of the record at `start`: RFC 3339, or a plain
/// date (the natural hand edit), taken as midnight UTC of that day.
pub(super) fn optional_date(
    start: usize,
    cell: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, RowProblem> {
    let Some(at) = cell.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) {
        return Ok(Some(at.with_timezone(&chrono::Utc)));
    }
    chrono::NaiveDate::parse_from_str(at, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|midnight| Some(midnight.and_utc()))
        .ok_or_else(|| {
            RowProblem::error(
                start,
                at,
                format!("`{at}` is not a date and time"),
                "expected RFC 3339 such as 2026-01-01T08:00:00Z, a date such as 2026-01-01 (midnight UTC), or nothing",
            )
        })
}

/// The problem with a row that has more fields than its header names (an
/// unquoted comma in a name, a comma typed for a dot in an address), located
/// at its first extra field: its fields would be read into the wrong columns.
pub(super) fn extra_fields(
    record: &csv::StringRecord,
    header: &csv::StringRecord,
) -> Option<RowProblem> {
    if header.is_empty() || record.len() <= header.len() {
        return None;
    }
    let start = record.position().map_or(0, |p| p.byte() as usize);
    let names: Vec<&str> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}'))
        .collect();
    Some(
        RowProblem::error(
            start,
            record.get(header.len()).unwrap_or(""),
            format!(
                "this row has {} fields, but the header has {}",
                record.len(),
                header.len()
            ),
            format!(
                "expected {} fields ({}), as the header has; remove the extra ones, or put a value that holds a comma in double quotes (\"Stone, Eve\")",
                header.len(),
                names.join(", ")
            ),
        )
        .at_field(header.len()),
    )
}

/// Renders problems against the file's text, located at their fields.
pub fn report(
    path: &Path,
    shown: &str,
    problems: &[RowProblem],
) -> Result<FileDiagnostics, FsError> {
    let text = crate::store::fs::read_optional(path)?.unwrap_or_default();
    let mut report = FileDiagnostics::new(shown, text.as_str());
    for problem in problems {
        let start = problem.record_start.min(text.len());
        let span = match problem.field_index {
            Some(index) => field_range(&text, record_start(&text, start), index),
            None => field_span(&text, start, &problem.field),
        };
        let diagnostic = match problem.severity {
            Severity::Error => Diagnostic::error(problem.message.clone()),
            Severity::Warning => Diagnostic::warning(problem.message.clone()),
        };
        report.push(diagnostic.at(span).help(problem.help.clone()));
    }
    Ok(report)
}

/// The error for problems, if any is an error.
pub(super) fn into_result(
    path: &Path,
    shown: &str,
    problems: &[RowProblem],
) -> Result<(), ListError> {
    if problems.iter().all(|p| p.severity != Severity::Error) {
        return Ok(());
    }
    Err(ListError::Invalid(Box::new(report(path, shown, problems)?)))
}

/// Where a field's raw text sits in the file, searching from its record's start.
pub(super) fn field_span(text: &str, record_start: usize, value: &str) -> std::ops::Range<usize> {
    let record_start = floor_boundary(text, record_start);
    let line_end = text[record_start..]
        .find('\n')
        .map_or(text.len(), |i| record_start + i);
    let line = &text[record_start..line_end];
    // A quoted value may span lines: find its first line.
    let first_line = value.split(['\r', '\n']).next().unwrap_or("");
    match (first_line.is_empty(), line.find(first_line)) {
        (false, Some(i)) => record_start + i..record_start + i + first_line.len(),
        _ => record_start..line_end.max(record_start),
    }
}

/// Where a record really starts: the csv reader may place it on the line end
/// before it (`\r\n` files), which would name the line above.
pub(super) fn record_start(text: &str, position: usize) -> usize {
    let mut start = position.min(text.len());
    while text[start..].starts_with(['\r', '\n']) {
        start += 1;
    }
    start
}

/// The bytes of field `index` of the record starting at `start`, found by
/// reading the record's own quoting, so that a value that also appears in an
/// earlier field (a status inside an address) is located in its column.
pub(super) fn field_range(text: &str, start: usize, index: usize) -> std::ops::Range<usize> {
    let bytes = text.as_bytes();
    let (mut i, mut field) = (start, 0);
    let mut field_start = start;
    let mut quoted = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' if quoted && bytes.get(i + 1) == Some(&b'"') => i += 1,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                if field == index {
                    return field_start..i;
                }
                field += 1;
                field_start = i + 1;
            }
            b'\r' | b'\n' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    if field == index {
        field_start..i
    } else {
        // Fewer fields than the header: the end of the row.
        i..i
    }
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}
