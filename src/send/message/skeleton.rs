//! A whole message as lettre formats it, made once per issue with placeholders
//! and cut where the per-recipient header lines and bodies go. Filling it is a
//! few copies instead of building and formatting a message for every reader.
//!
//! The cut cannot be fooled by content: header placeholders are found only at
//! the start of a header line (a folded subject continues with a space), body
//! markers carry a random nonce and are looked for only after the headers.

use std::time::SystemTime;

use lettre::message::header::{self, Header, HeaderName, HeaderValue, Headers};
use lettre::message::{Mailbox, Mailboxes};

use crate::author::pieces::{Piece, Pieces};

/// Where the per-recipient parts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hole {
    To,
    MessageId,
    Date,
    ListUnsubscribe,
    TextBody,
    HtmlBody,
}

/// The header lines that differ per recipient, as lettre writes them.
pub(super) struct RecipientLines {
    to: String,
    message_id: String,
    date: String,
    list_unsubscribe: String,
}

/// A header as lettre writes it, "Name: encoded value\r\n".
fn header_line<H: Header>(header: H) -> String {
    let mut headers = Headers::new();
    headers.set(header);
    headers.to_string()
}

/// A header lettre has no type for.
pub(super) fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

impl RecipientLines {
    pub(super) fn new(
        to: &Mailbox,
        message_id: &str,
        date: SystemTime,
        list_unsubscribe: &str,
    ) -> Self {
        let mut headers = Headers::new();
        headers.insert_raw(raw_header("List-Unsubscribe", list_unsubscribe.to_string()));
        RecipientLines {
            to: header_line(header::To::from(Mailboxes::from(to.clone()))),
            message_id: header_line(header::MessageId::from(format!("<{message_id}>"))),
            date: header_line(header::Date::new(date)),
            list_unsubscribe: headers.to_string(),
        }
    }

    pub(super) fn get(&self, hole: Hole) -> Option<&str> {
        match hole {
            Hole::To => Some(&self.to),
            Hole::MessageId => Some(&self.message_id),
            Hole::Date => Some(&self.date),
            Hole::ListUnsubscribe => Some(&self.list_unsubscribe),
            Hole::TextBody | Hole::HtmlBody => None,
        }
    }
}

/// What is wrong with a formatted placeholder message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the message skeleton could not be cut: {0}")]
pub struct SkeletonError(&'static str);

impl SkeletonError {
    pub(super) fn new(what: &'static str) -> Self {
        SkeletonError(what)
    }
}

/// The formatted message in pieces: the header fields with the empty line that
/// ends them, and the body (which DKIM hashes apart).
#[derive(Debug)]
pub(super) struct Skeleton {
    pub(super) header: Pieces<Vec<u8>, Hole>,
    pub(super) body: Pieces<Vec<u8>, Hole>,
}

/// The one place `needle` occurs in `haystack[range]`, if exactly one.
fn only(haystack: &[u8], needle: &[u8], from: usize, to: usize) -> Option<usize> {
    let scope = haystack.get(from..to)?;
    let mut found = memchr::memmem::find_iter(scope, needle);
    let first = found.next()?;
    found.next().is_none().then_some(from + first)
}

impl Skeleton {
    /// Cuts `formatted` at the placeholder lines of `lines` and at the body markers.
    pub(super) fn cut(
        formatted: &[u8],
        lines: &RecipientLines,
        text_marker: &[u8],
        html_marker: &[u8],
    ) -> Result<Skeleton, SkeletonError> {
        let headers_end = memchr::memmem::find(formatted, b"\r\n\r\n")
            .ok_or(SkeletonError("no end of headers"))?
            + 2;
        // The buffer starts with a line break so that the first header is also
        // found at a line start.
        let mut framed = Vec::with_capacity(formatted.len() + 2);
        framed.extend_from_slice(b"\r\n");
        framed.extend_from_slice(formatted);
        let mut holes: Vec<(usize, usize, Hole)> = Vec::new();
        for hole in [Hole::To, Hole::MessageId, Hole::Date, Hole::ListUnsubscribe] {
            let line = lines.get(hole).unwrap_or_default();
            let needle = [b"\r\n".as_slice(), line.as_bytes()].concat();
            let at = only(&framed, &needle, 0, headers_end + 2)
                .ok_or(SkeletonError("a placeholder header is missing or repeated"))?;
            holes.push((at, line.len(), hole));
        }
        for (marker, hole) in [(text_marker, Hole::TextBody), (html_marker, Hole::HtmlBody)] {
            let at = only(&framed, marker, headers_end + 2, framed.len())
                .ok_or(SkeletonError("a body marker is missing or repeated"))?;
            holes.push((at - 2, marker.len(), hole));
        }
        holes.sort_by_key(|(at, _, _)| *at);
        // The body starts after the empty line, in the literal between the
        // last header placeholder and the first body marker.
        let body_start = headers_end + 2;
        let mut header = Vec::new();
        let mut body = Vec::new();
        let mut start = 0;
        for (at, len, hole) in holes {
            let part = if at < body_start {
                &mut header
            } else {
                if start < body_start {
                    header.push(Piece::Literal(formatted[start..body_start].to_vec()));
                    start = body_start;
                }
                &mut body
            };
            part.push(Piece::Literal(formatted[start..at].to_vec()));
            part.push(Piece::Slot(hole));
            start = at + len;
        }
        body.push(Piece::Literal(formatted[start..].to_vec()));
        Ok(Skeleton {
            header: Pieces::new(header),
            body: Pieces::new(body),
        })
    }
}
