//! The DNS TXT record that publishes a DKIM key: its name, its value, and the
//! value cut into the 255-byte strings a TXT record is made of (RFC 1035 3.3.14).

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;

use super::key::{KeyError, PrivateKey};
use crate::project::config::DkimAlgorithm;

/// The longest string in a TXT record.
const TXT_STRING: usize = 255;

/// A key's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// `selector._domainkey.domain`, without the final dot.
    pub name: String,
    /// `v=DKIM1; k=rsa; p=...`.
    pub value: String,
}

impl KeyRecord {
    /// The record publishing `key` for `selector` at `domain`.
    pub fn new(domain: &str, selector: &str, key: &PrivateKey) -> Result<KeyRecord, KeyError> {
        let k = match key.algorithm() {
            DkimAlgorithm::Rsa => "rsa",
            DkimAlgorithm::Ed25519 => "ed25519",
        };
        Ok(KeyRecord {
            name: name(domain, selector),
            value: format!(
                "v=DKIM1; k={k}; p={}",
                BASE64_STANDARD.encode(key.public_key()?)
            ),
        })
    }

    /// The value in strings of at most 255 bytes (it is ASCII).
    pub fn strings(&self) -> Vec<&str> {
        let mut rest = self.value.as_str();
        let mut strings = Vec::new();
        while rest.len() > TXT_STRING {
            let (head, tail) = rest.split_at(TXT_STRING);
            strings.push(head);
            rest = tail;
        }
        strings.push(rest);
        strings
    }

    /// The value as DNS providers' forms and zone files take it: each string
    /// quoted, separated by a space.
    pub fn quoted(&self) -> String {
        self.strings()
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The record as a line of a zone file (RFC 1035).
    pub fn zone_line(&self) -> String {
        format!("{}. 3600 IN TXT {}", self.name, self.quoted())
    }
}

/// Where a key is published: `selector._domainkey.domain`.
pub fn name(domain: &str, selector: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

/// Whether a domain or selector is a DNS name (one home: the configuration
/// checks the same).
pub use crate::diagnostic::text::is_dns_name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_cut_into_strings_of_255_bytes() {
        let record = KeyRecord {
            name: name("example.com", "s1"),
            value: "x".repeat(600),
        };
        let strings = record.strings();
        assert_eq!(
            strings.iter().map(|s| s.len()).collect::<Vec<_>>(),
            [255, 255, 90]
        );
        assert_eq!(strings.concat(), record.value);
        assert!(
            record
                .zone_line()
                .starts_with("s1._domainkey.example.com. 3600 IN TXT \"xxx")
        );
        assert_eq!(record.quoted().matches('"').count(), 6);
    }

    #[test]
    fn dns_names_are_checked() {
        for good in ["example.com", "s2026", "mail-1.example.co.uk"] {
            assert!(is_dns_name(good), "{good}");
        }
        for bad in ["", "a..b", "-a.com", "a b", "a_b", "ex@mple.com", "é.com"] {
            assert!(!is_dns_name(bad), "{bad}");
        }
    }
}
