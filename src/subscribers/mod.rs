//! The subscriber list (`subscribers/subscribers.csv`) and the suppression list
//! (`subscribers/suppressed.csv`): normalised addresses, streamed reads, atomic
//! writes under one lock.

pub mod import;
mod list;
pub mod suppression;

use std::fs::File;
use std::path::Path;

pub use list::{
    LIST_FILE, ListReader, RowError, Subscriber, is_sorted, validate as validate_list,
    write as write_list, write_csv,
};
pub use suppression::{Reason, SUPPRESSED_FILE, Suppression};

use crate::fs::FsError;

/// Validates and normalises an address: trimmed and lower-cased, so that the same
/// mailbox written in two cases is one subscriber.
pub fn normalize_address(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("the address is empty".into());
    }
    if crate::config::control_char_offset(trimmed).is_some()
        || trimmed.contains(char::is_whitespace)
    {
        return Err(format!(
            "`{}` contains spaces or control characters",
            trimmed.escape_debug()
        ));
    }
    let lower = trimmed.to_lowercase();
    lower
        .parse::<lettre::Address>()
        .map_err(|e| format!("`{trimmed}` is not a valid email address ({e})"))?;
    Ok(lower)
}

/// Held while any subscriber file is changed; released on drop.
pub struct ListLock(File);

impl Drop for ListLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Waits for the subscribers lock of a project.
pub fn lock(root: &Path) -> Result<ListLock, FsError> {
    let path = root.join("subscribers/.lock");
    crate::fs::create_dir_all(path.parent().expect("has a parent"))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| FsError::new("cannot open", &path, e))?;
    file.lock()
        .map_err(|e| FsError::new("cannot lock", &path, e))?;
    Ok(ListLock(file))
}

/// Suppresses an address durably, under the lock. Returns whether it was new.
pub fn suppress(root: &Path, email: &str, reason: Reason, detail: &str) -> Result<bool, FsError> {
    let _lock = lock(root)?;
    suppression::append(
        &root.join(SUPPRESSED_FILE),
        &Suppression {
            email: email.to_string(),
            reason,
            at: chrono::Utc::now(),
            detail: detail.to_string(),
        },
    )
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
    }

    #[test]
    fn suppression_survives_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(SUPPRESSED_FILE);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            "email,reason,at,detail\na@example.com,unsubscribed,2026-01-01T00:00:00Z,x\nb@exam",
        )
        .unwrap();
        assert_eq!(suppression::addresses(&file).unwrap().len(), 1);
        assert!(suppress(dir.path(), "c@example.com", Reason::Bounced, "550 5.1.1").unwrap());
        assert!(!suppress(dir.path(), "c@example.com", Reason::Bounced, "again").unwrap());
        let entries = suppression::read(&file).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].reason, Reason::Bounced);
    }
}
