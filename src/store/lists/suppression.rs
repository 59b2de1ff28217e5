//! The suppression list: addresses that must never be mailed again
//! (unsubscribed, bounced, complained). Appended to under the subscribers lock by
//! `verdict serve` and `verdict send` alike; it always wins. It is a history: an
//! address that came back through a confirmed sign-up gets a `resubscribed` row
//! after its earlier ones, one whose suppression the editor lifted an
//! `unsuppressed` row, and an address is suppressed when its last row says so.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::normalize_address;
use super::problems::{ListError, RowProblem, extra_fields, into_result, optional_date};
use crate::store::append_log::AppendLog;
use crate::store::fs::FsError;

/// The header verdict writes.
pub(super) const HEADER: &str = "email,reason,at,detail";

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    Unsubscribed,
    Bounced,
    Complained,
    /// Came back through a confirmed sign-up: lifts the rows before it.
    Resubscribed,
    /// The editor lifted the suppression (`verdict subscribers unsuppress`):
    /// lifts the rows before it.
    Unsuppressed,
}

/// Every reason, in the order help lists them.
const REASONS: [Reason; 5] = [
    Reason::Unsubscribed,
    Reason::Bounced,
    Reason::Complained,
    Reason::Resubscribed,
    Reason::Unsuppressed,
];

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::Unsubscribed => "unsubscribed",
            Reason::Bounced => "bounced",
            Reason::Complained => "complained",
            Reason::Resubscribed => "resubscribed",
            Reason::Unsuppressed => "unsuppressed",
        }
    }

    /// Whether a row with this reason lifts the rows before it.
    pub fn lifts(self) -> bool {
        matches!(self, Reason::Resubscribed | Reason::Unsuppressed)
    }

    fn parse(text: &str) -> Option<Reason> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "unsubscribed" | "unsubscribe" | "manual" => Some(Reason::Unsubscribed),
            "bounced" | "bounce" => Some(Reason::Bounced),
            "complained" | "complaint" => Some(Reason::Complained),
            "resubscribed" => Some(Reason::Resubscribed),
            "unsuppressed" => Some(Reason::Unsuppressed),
            _ => None,
        }
    }
}

/// One entry of the suppression list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub email: String,
    pub reason: Reason,
    /// When; absent in a row added by hand.
    pub at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub detail: String,
}

impl Suppression {
    pub fn now(email: &str, reason: Reason, detail: &str) -> Suppression {
        Suppression {
            email: email.to_string(),
            reason,
            at: Some(Utc::now()),
            detail: detail.to_string(),
        }
    }
}

/// Reads every entry. Rows added by hand may leave out the reason, date and
/// detail. A last row left inside quotes is a write torn by a crash and is not
/// read (the lists' one policy, see `list_kind`).
/// Anything else unreadable is a located error.
pub fn read_suppressions(path: &Path, shown: &str) -> Result<Vec<Suppression>, ListError> {
    let Some(snapshot) = super::snapshot(path)? else {
        return Ok(Vec::new());
    };
    let mut reader = super::csv_rows(&snapshot, path)?;
    // A header that cannot be read sets no width: the rows are still checked
    // field by field.
    let header = reader.headers().cloned().unwrap_or_default();
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let start = e.position().map_or(0, |p| p.byte() as usize);
                problems.push(RowProblem::error(
                    start,
                    "",
                    format!("unreadable row: {e}"),
                    ROW_HELP,
                ));
                continue;
            }
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if let Some(problem) = extra_fields(&record, &header) {
            problems.push(problem);
            continue;
        }
        match parse_row(&record) {
            Ok(entry) => entries.push(entry),
            Err(problem) => problems.push(problem),
        }
    }
    into_result(path, shown, &problems)?;
    Ok(entries)
}

const ROW_HELP: &str = "each row is email,reason,at,detail; only the email is required";

/// One row of the suppression list: email, reason, at, detail, by position.
pub fn parse_row(record: &csv::StringRecord) -> Result<Suppression, RowProblem> {
    let start = record.position().map_or(0, |p| p.byte() as usize);
    let raw_email = record.get(0).unwrap_or("");
    let email = normalize_address(raw_email)
        .map_err(|e| RowProblem::error(start, raw_email, e.to_string(), ROW_HELP))?;
    let raw_reason = record.get(1).unwrap_or("");
    let reason = Reason::parse(raw_reason).ok_or_else(|| {
        let typed = raw_reason.trim().to_ascii_lowercase();
        let labels = REASONS.map(Reason::label);
        RowProblem::error(
            start,
            raw_reason,
            match crate::diagnostic::suggest(&typed, labels) {
                Some(near) => format!("unknown reason `{raw_reason}`: did you mean `{near}`?"),
                None => format!("unknown reason `{raw_reason}`"),
            },
            "expected unsubscribed, bounced, complained, resubscribed or unsuppressed",
        )
    })?;
    let at = optional_date(start, record.get(2))?;
    Ok(Suppression {
        email,
        reason,
        at,
        detail: record.get(3).unwrap_or("").to_string(),
    })
}

/// The addresses suppressed now: those whose last row does not lift the others.
pub fn suppressed_now(entries: &[Suppression]) -> std::collections::HashSet<String> {
    let mut now = std::collections::HashSet::new();
    for entry in entries {
        if entry.reason.lifts() {
            now.remove(&entry.email);
        } else {
            now.insert(entry.email.clone());
        }
    }
    now
}

/// Appends entries durably (fsync) without checking for duplicates; the caller
/// holds the subscribers lock. A read or write error is an error: the file is
/// never emptied for it.
pub fn append_suppressions(path: &Path, entries: &[Suppression]) -> Result<(), FsError> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries
        .iter()
        .map(|entry| {
            let at = entry
                .at
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_default();
            super::csv_line(&[
                entry.email.as_str(),
                entry.reason.label(),
                at.as_str(),
                entry.detail.as_str(),
            ])
            .map_err(|e| FsError::new("cannot write", path, std::io::Error::other(e.to_string())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    AppendLog::append(path, super::list_kind(HEADER), rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_typed_by_hand_is_read_and_kept_when_appending() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("suppressed.csv");
        std::fs::write(&file, "email,reason,at,detail\nHand@Example.com").unwrap();
        let entries = read_suppressions(&file, "s.csv").unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].email.as_str(), entries[0].reason),
            ("hand@example.com", Reason::Unsubscribed)
        );
        append_suppressions(
            &file,
            &[Suppression::now("b@example.com", Reason::Bounced, "x")],
        )
        .unwrap();
        let entries = read_suppressions(&file, "s.csv").unwrap();
        assert_eq!(entries.len(), 2, "the typed row survived");
    }

    #[test]
    fn a_bad_row_is_located_and_an_unreadable_file_is_never_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("suppressed.csv");
        std::fs::write(&file, "email,reason,at,detail\na@example.com,spam-trap,,\n").unwrap();
        let Err(ListError::Invalid(report)) = read_suppressions(&file, "s.csv") else {
            panic!("an unknown reason must fail");
        };
        assert!(
            report.render(false).contains("s.csv:2:15"),
            "{}",
            report.render(false)
        );
        // A folder where the file should be: reading fails, and nothing is truncated.
        let folder = dir.path().join("folder.csv");
        std::fs::create_dir(&folder).unwrap();
        assert!(
            append_suppressions(
                &folder,
                &[Suppression::now("c@example.com", Reason::Bounced, "")]
            )
            .is_err()
        );
    }
}
