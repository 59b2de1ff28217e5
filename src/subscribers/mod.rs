//! The subscriber list (`subscribers/subscribers.csv`) and the suppression list
//! (`subscribers/suppressed.csv`): normalised addresses, streamed reads, atomic
//! writes under one lock.

mod list;

pub use list::{LIST_FILE, ListReader, RowError, Subscriber};

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
}
