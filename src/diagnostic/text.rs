//! Checks on text that ends up in an email header or on one line: control
//! characters (line breaks above all) and bidirectional overrides.

use std::ops::Range;

use crate::diagnostic::Diagnostic;

/// Where the first control character (line breaks included) is, if any.
pub(crate) fn control_char_offset(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|(_, c)| c.is_control())
        .map(|(i, _)| i)
}

/// Whether `text` holds a character that would break a header line.
pub(crate) fn has_control_char(text: &str) -> bool {
    control_char_offset(text).is_some()
}

/// Where the first Unicode bidirectional control is (U+202A–U+202E,
/// U+2066–U+2069, U+200E/F, U+061C): they can make a subject read other than it is.
pub(crate) fn bidi_control_offset(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|(_, c)| {
            matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        })
        .map(|(i, _)| i)
}

/// Whether `text` is a DNS name (a domain, a DKIM selector): dot-separated
/// labels of letters, digits and `-`, none empty, none over 63 characters.
pub fn is_dns_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// What is wrong with an address the mail library refused, in an editor's
/// words (the library says only "Invalid input").
pub(crate) fn address_problem(text: &str) -> String {
    let text = text.trim();
    let address = match text.rsplit_once('<') {
        Some((_, rest)) => match rest.strip_suffix('>') {
            Some(address) => address.trim(),
            None => return "the `<` before the address is not closed with `>`".into(),
        },
        None if text.contains('>') => return "a `>` without its `<`".into(),
        None => text,
    };
    match address.matches('@').count() {
        0 => return "it has no `@`".into(),
        1 => {}
        n => return format!("it has {n} `@` where an address has one"),
    }
    let (local, domain) = address.rsplit_once('@').unwrap_or_default();
    if local.is_empty() {
        "nothing comes before the `@`".into()
    } else if domain.is_empty() {
        "no domain comes after the `@`".into()
    } else if address.contains(char::is_whitespace) {
        "it contains a space".into()
    } else if !is_dns_name(domain) {
        format!("`{domain}` is not a domain name")
    } else {
        format!("`{local}` is not a valid name before the `@`")
    }
}

/// An error at `span` when `text` would put a line break or control character
/// into an email header.
pub(crate) fn header_safe(text: &str, span: Range<usize>) -> Result<(), Diagnostic> {
    match control_char_offset(text) {
        None => Ok(()),
        Some(_) => Err(Diagnostic::error(
            "a line break or control character would end up in an email header",
        )
        .at(span)
        .label("this text contains a control character")
        .help("write it on one line, without control characters")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_found() {
        assert_eq!(control_char_offset("ab\r\nc"), Some(2));
        assert_eq!(control_char_offset("plain"), None);
        assert_eq!(bidi_control_offset("a\u{202e}b"), Some(1));
        assert_eq!(bidi_control_offset("Ünïcödé"), None);
    }
}
