//! The subscriber list (`subscribers/subscribers.csv`) and the suppression list
//! (`subscribers/suppressed.csv`): normalised addresses, streamed and located
//! reads, atomic writes under one lock; `import` reads other tools' exports.

mod follow;
pub mod import;
mod problems;
mod subscribers;
mod suppression;

use std::fs::File;
use std::path::Path;

pub use follow::{Lists, Standing};
pub use problems::{ListError, RowProblem, report as problems_report};
pub use subscribers::{
    COLUMNS, Columns, ListReader, Subscriber, append_subscriber, export_csv, read_all, write_list,
};
pub use suppression::{
    Reason, Suppression, append_suppressions, read_suppressions, suppressed_now,
};

/// The parsers of one row of each list, for those that read rows one by one.
pub mod rows {
    pub use super::subscribers::parse_row as subscriber;
    pub use super::suppression::parse_row as suppression;
}

use crate::project::layout::Layout;
use crate::store::append_log::{self, Snapshot, Tail};
use crate::store::fs::FsError;

/// How the list files are appended to: data files anyone may read, with
/// their header. People type these files and may leave the last newline out,
/// so a last row without one is read like any other, unless a field in it is
/// cut: verdict quotes every field it appends, so a row torn by a crash ends
/// inside quotes, and is left out (and cut before the next append).
pub(crate) fn list_kind(header: &'static str) -> append_log::Kind {
    append_log::Kind {
        mode: 0o644,
        private_dir: false,
        header: Some(header),
        tail: LIST_TAIL,
    }
}

// An odd number of quotes leaves a quoted field open ("" inside one is even).
const LIST_TAIL: Tail =
    Tail::CompleteWhen(|_header, row| row.iter().filter(|b| **b == b'"').count() % 2 == 0);

/// A list file opened for reading its complete rows; `None` when it does not exist.
pub fn snapshot(path: &Path) -> Result<Option<Snapshot>, FsError> {
    Snapshot::open(path, LIST_TAIL)
}

/// A CSV reader of a snapshot's complete rows, the first of which is the header.
fn csv_rows(
    snapshot: &Snapshot,
    path: &Path,
) -> Result<csv::Reader<std::io::BufReader<std::io::Take<File>>>, FsError> {
    let rows = snapshot
        .reader()
        .map_err(|e| FsError::new("cannot read", path, e))?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(rows))
}

/// Where a torn last row starts (no newline, a quoted field left open), if
/// the list at `path` ends with one: readers leave it out.
pub fn torn_row(path: &Path) -> Result<Option<u64>, FsError> {
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FsError::new("cannot read", path, e)),
    };
    Ok(snapshot(path)?.and_then(|s| (s.len < len).then_some(s.len)))
}

/// One CSV row as a line to append, without its newline, every field quoted
/// (see [`list_kind`]).
fn csv_line(fields: &[&str]) -> Result<Vec<u8>, csv::Error> {
    let mut line = Vec::new();
    {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(&mut line);
        writer.write_record(fields)?;
        writer.flush()?;
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(line)
}

/// Why a string is not an address verdict can send to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AddressError(String);

/// Validates and normalises an address: trimmed and lower-cased, so that the same
/// mailbox written in two cases is one subscriber. A domain without a dot is
/// refused: nothing on the internet delivers to it.
pub fn normalize_address(raw: &str) -> Result<String, AddressError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(AddressError("the address is empty".into()));
    }
    if trimmed.len() > 254 {
        return Err(AddressError(
            "the address is longer than 254 characters".into(),
        ));
    }
    if crate::diagnostic::text::has_control_char(trimmed) || trimmed.contains(char::is_whitespace) {
        return Err(AddressError(format!(
            "`{}` contains spaces or control characters",
            trimmed.escape_debug()
        )));
    }
    let lower = trimmed.to_lowercase();
    lower.parse::<lettre::Address>().map_err(|_| {
        AddressError(format!(
            "`{trimmed}` is not a valid email address: {}; expected one such as name@example.com",
            crate::diagnostic::text::address_problem(trimmed)
        ))
    })?;
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return Ok(lower);
    };
    // Mail to a domain without a dot is undeliverable on the internet (ICANN
    // forbids MX records on top-level names): `eve@example` is a typo, or a
    // comma typed for a dot. A literal such as [192.0.2.1] is no domain name.
    if !domain.starts_with('[') && !domain.contains('.') {
        return Err(AddressError(format!(
            "`{trimmed}` has a domain without a dot, which no mail on the internet reaches; expected a full domain, as in name@example.com"
        )));
    }
    // One spelling per domain: an international one in Unicode, whether it
    // was written so or in punycode (xn--), so that both are one reader.
    if domain.is_ascii() && !domain.split('.').any(|label| label.starts_with("xn--")) {
        return Ok(lower);
    }
    match idna::domain_to_unicode(domain) {
        (unicode, Ok(())) => Ok(format!("{local}@{unicode}")),
        (_, Err(_)) => Err(AddressError(format!(
            "`{trimmed}` has a domain that is not a valid international name"
        ))),
    }
}

/// Held while any subscriber file is changed; released on drop.
pub struct ListLock(File);

impl Drop for ListLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Waits for the subscribers lock of a project.
pub fn lock(layout: &Layout) -> Result<ListLock, FsError> {
    let path = layout.list_lock();
    crate::store::fs::create_dir_all(&layout.subscribers_dir())?;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .map_err(|e| FsError::new("cannot open", &path, e))?;
    file.lock()
        .map_err(|e| FsError::new("cannot lock", &path, e))?;
    Ok(ListLock(file))
}

/// Suppresses addresses durably, under the lock, skipping those already
/// suppressed. Returns how many were added.
pub fn suppress(layout: &Layout, entries: &[Suppression]) -> Result<usize, ListError> {
    let _lock = lock(layout)?;
    let path = layout.suppressed();
    let existing = suppressed_now(&read_suppressions(&path, "")?);
    let mut seen = std::collections::HashSet::new();
    let new: Vec<Suppression> = entries
        .iter()
        .filter(|e| !existing.contains(&e.email) && seen.insert(e.email.clone()))
        .cloned()
        .collect();
    append_suppressions(&path, &new)?;
    Ok(new.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_address("  Reader@Example.COM ").unwrap(),
            "reader@example.com"
        );
        assert!(normalize_address("no-at-sign").is_err());
        assert!(normalize_address("a@b.example\r\nBcc: x@y.example").is_err());
        assert!(normalize_address("").is_err());
        assert!(normalize_address("two words@example.com").is_err());
        assert!(normalize_address(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn a_domain_without_a_dot_is_refused_with_what_is_expected() {
        for dotless in ["dan@exmaple", "eve@example", "root@localhost"] {
            let error = normalize_address(dotless).unwrap_err().to_string();
            assert!(error.contains("domain without a dot"), "{dotless}: {error}");
            assert!(error.contains("name@example.com"), "{error}");
        }
        assert_eq!(
            normalize_address("eve@mail.example").unwrap(),
            "eve@mail.example"
        );
        // A literal is no domain name: the rule is not about it.
        assert!(normalize_address("ops@[2001:db8::1]").is_ok());
    }

    #[test]
    fn an_international_domain_is_one_reader_in_either_spelling() {
        assert_eq!(
            normalize_address("Leser@XN--BCHER-KVA.example").unwrap(),
            "leser@bücher.example"
        );
        assert_eq!(
            normalize_address("leser@Bücher.example").unwrap(),
            "leser@bücher.example"
        );
        assert!(normalize_address("leser@xn--zz-ppp.example").is_err());
    }

    #[test]
    fn suppression_survives_a_torn_last_line_and_repeats_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let file = layout.suppressed();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            "email,reason,at,detail\na@example.com,unsubscribed,2026-01-01T00:00:00Z,x\n\"b@example.com\",\"bou",
        )
        .unwrap();
        assert_eq!(read_suppressions(&file, "s.csv").unwrap().len(), 1);
        let entry = Suppression::now("c@example.com", Reason::Bounced, "550 5.1.1");
        assert_eq!(
            suppress(&layout, &[entry.clone(), entry.clone()]).unwrap(),
            1
        );
        assert_eq!(suppress(&layout, &[entry]).unwrap(), 0);
        let entries = read_suppressions(&file, "s.csv").unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].reason, Reason::Bounced);
    }
}
