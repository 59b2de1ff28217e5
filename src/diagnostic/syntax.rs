//! TOML syntax errors as an editor can act on them: an unclosed multi-line
//! string is one error where it was opened (not dozens after it, nor at the
//! next `"""` far below), and a bare word where a value goes gets the hint to
//! quote it. Every file an editor writes is read through here.

use toml::Spanned;
use toml::de::DeTable;

use crate::diagnostic::{Diagnostic, FileDiagnostics};

/// The document, or `None` with its syntax errors in `report`; `help` says
/// where the format is described.
pub(crate) fn document<'i>(
    source: &'i str,
    help: &str,
    report: &mut FileDiagnostics,
) -> Option<Spanned<DeTable<'i>>> {
    match diagnose(source, help) {
        Ok(document) => Some(document),
        Err(errors) => {
            for diagnostic in errors {
                report.push(diagnostic);
            }
            None
        }
    }
}

/// Reads a whole file with `read`: its syntax first, then its fields, every
/// problem sorted into file order. The value is `None` when anything is wrong
/// (the report says what); the report also holds the warnings.
pub(crate) fn read<T>(
    path: &str,
    source: &str,
    help: &str,
    read: impl FnOnce(&DeTable<'_>, &mut Vec<Diagnostic>) -> Option<T>,
) -> (Option<T>, FileDiagnostics) {
    let mut report = FileDiagnostics::new(path, source);
    let Some(document) = document(source, help, &mut report) else {
        return (None, report);
    };
    let mut diagnostics = Vec::new();
    let value = read(document.get_ref(), &mut diagnostics);
    diagnostics.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    for diagnostic in diagnostics {
        report.push(diagnostic);
    }
    let value = value.filter(|_| report.error_count() == 0);
    (value, report)
}

fn diagnose<'i>(source: &'i str, help: &str) -> Result<Spanned<DeTable<'i>>, Vec<Diagnostic>> {
    let (document, errors) = DeTable::parse_recoverable(source);
    if errors.is_empty() {
        return Ok(document);
    }
    if let Some((open, quotes)) = unclosed_multiline_string(source) {
        return Err(vec![
            Diagnostic::error("this multi-line string is never closed")
                .at(open..open + 3)
                .label("opened here")
                .help(format!("end the text with {quotes} on a line of its own")),
        ]);
    }
    Err(errors
        .iter()
        .map(|error| {
            match error
                .span()
                .and_then(|span| bare_word(source, span.start).map(|w| (span, w)))
            {
                Some((span, (key, word))) => {
                    Diagnostic::error(format!("the value of `{key}` is not in quotes"))
                        .at(span)
                        .label("TOML reads a bare word as true, false or a number")
                        .help(format!("text is written in quotes: {key} = \"{word}\""))
                }
                None => {
                    Diagnostic::from_toml(error).help(format!("fix the TOML syntax first; {help}"))
                }
            }
        })
        .collect())
}

/// Where a `"""` or `'''` string opens that is never closed, and its quotes.
/// A string "closed" by the quotes that open the next key (`key = """`) is the
/// one left open: the editor forgot its end, not the next one's.
fn unclosed_multiline_string(source: &str) -> Option<(usize, &'static str)> {
    let bytes = source.as_bytes();
    let quotes_of = |quote: u8| if quote == b'"' { "\"\"\"" } else { "'''" };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'"' | b'\'') => {
                let triple = bytes.get(i..i + 3) == Some(&[quote; 3]);
                let delimiter: &[u8] = if triple {
                    &bytes[i..i + 3]
                } else {
                    &bytes[i..=i]
                };
                let open = i;
                i += delimiter.len();
                loop {
                    match bytes.get(i) {
                        None => return triple.then_some((open, quotes_of(quote))),
                        Some(b'\\') if quote == b'"' => i += 2,
                        Some(b'\n') if !triple => break,
                        Some(_) if bytes[i..].starts_with(delimiter) => {
                            if triple && opens_a_value(source, i) {
                                return Some((open, quotes_of(quote)));
                            }
                            i += delimiter.len();
                            // Up to two more quotes may end a multi-line string.
                            while triple && bytes.get(i) == Some(&quote) {
                                i += 1;
                            }
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the quotes at `at` follow `key =` on their line: they open a value.
fn opens_a_value(source: &str, at: usize) -> bool {
    let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let Some(key) = source[line_start..at].trim_end().strip_suffix('=') else {
        return false;
    };
    let key = key.trim();
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '"'))
}

/// `(key, word)` when the line at `offset` is `key = word` with an unquoted word.
fn bare_word(source: &str, offset: usize) -> Option<(&str, &str)> {
    let start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let end = source
        .get(offset..)?
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let (key, value) = source.get(start..end)?.split_once('=')?;
    let (key, value) = (key.trim(), value.trim());
    let word = value.chars().next()?.is_alphabetic()
        && !matches!(value, "true" | "false" | "inf" | "nan")
        && !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    word.then_some((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_left_open_is_the_one_before_the_next_keys_quotes() {
        let source = "intro = \"\"\"\nforgot to close\n\n[[tool]]\nname = \"A\"\ndescription = \"\"\"\nfine\n\"\"\"\n";
        assert_eq!(unclosed_multiline_string(source), Some((8, "\"\"\"")));
        let closed = "intro = \"\"\"\nclosed\n\"\"\"\nbottom = '''\nopen";
        assert_eq!(
            unclosed_multiline_string(closed),
            Some((closed.find("'''").unwrap(), "'''"))
        );
        assert_eq!(
            unclosed_multiline_string("a = \"\"\"x\"\"\"\nb = 1\n"),
            None
        );
    }
}
