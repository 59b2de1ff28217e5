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
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn warning(self) -> Self {
        RowProblem {
            severity: Severity::Warning,
            ..self
        }
    }
}

/// An optional RFC 3339 date cell of the record at `start`.
pub(super) fn optional_date(
    start: usize,
    cell: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, RowProblem> {
    let Some(at) = cell.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|at| Some(at.with_timezone(&chrono::Utc)))
        .map_err(|_| {
            RowProblem::error(
                start,
                at,
                format!("`{at}` is not a date and time"),
                "expected RFC 3339, e.g. 2026-01-01T08:00:00Z, or nothing",
            )
        })
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
        let span = field_span(&text, problem.record_start.min(text.len()), &problem.field);
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

fn floor_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}
