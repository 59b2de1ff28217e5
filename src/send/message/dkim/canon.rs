//! Relaxed canonicalisation (RFC 6376 3.4.2 for header fields, 3.4.4 for the
//! body). The body is canonicalised as a stream of pieces; a piece that does not
//! change from one reader to the next is canonicalised once per issue
//! ([`CanonicalPiece`]) and only hashed per reader.

use sha2::{Digest, Sha256};

/// What a canonical body is written to: a hash, or bytes kept for later.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// Where the canonicaliser stands between two pieces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct State {
    /// Line ends read and not yet written: held back because empty lines at
    /// the end of the body are dropped.
    line_ends: usize,
    /// The current line has content.
    mid_line: bool,
    /// Whitespace read and not yet written (one SP if more content follows).
    space: bool,
    /// A CR read: a line end if LF follows.
    cr: bool,
    /// Some content was written.
    wrote: bool,
}

impl State {
    fn at_line_start(&self) -> bool {
        !self.mid_line && !self.space && !self.cr
    }
}

/// The relaxed canonical form of a body, fed piece by piece.
pub struct RelaxedBody<S: Sink> {
    sink: S,
    state: State,
    /// Output of the byte-by-byte path, written to the sink in one go.
    buffer: Vec<u8>,
}

/// A piece of body canonicalised on its own, as if it started a line: what it
/// writes and where it leaves the canonicaliser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CanonicalPiece {
    out: Vec<u8>,
    end: State,
}

impl CanonicalPiece {
    pub fn new(raw: &[u8]) -> CanonicalPiece {
        let mut body = RelaxedBody::new(Vec::new());
        body.raw(raw);
        body.flush();
        CanonicalPiece {
            end: body.state,
            out: body.sink,
        }
    }
}

impl RelaxedBody<Sha256> {
    /// A canonicaliser that hashes with SHA-256.
    pub fn sha256() -> Self {
        RelaxedBody::new(Sha256::new())
    }

    /// The body hash (`bh=`).
    pub fn hash(mut self) -> [u8; 32] {
        self.finish();
        self.sink.finalize().into()
    }
}

impl<S: Sink> RelaxedBody<S> {
    pub fn new(sink: S) -> Self {
        RelaxedBody {
            sink,
            state: State::default(),
            buffer: Vec::new(),
        }
    }

    /// Canonicalises raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            if self.state.cr {
                self.state.cr = false;
                if byte == b'\n' {
                    self.line_end();
                    at += 1;
                    continue;
                }
                self.content(b"\r");
            }
            match byte {
                b' ' | b'\t' => self.state.space = true,
                b'\r' => self.state.cr = true,
                b'\n' => self.line_end(),
                _ => {
                    // Bytes other than whitespace pass as they are: a run at once.
                    let rest = &bytes[at..];
                    let run = rest.iter().position(|&b| is_space(b)).unwrap_or(rest.len());
                    self.content(&rest[..run]);
                    at += run;
                    continue;
                }
            }
            at += 1;
        }
        self.flush();
    }

    /// Adds a piece canonicalised beforehand; `raw` is the same piece as sent,
    /// used when the piece does not start a line here.
    pub fn piece(&mut self, piece: &CanonicalPiece, raw: &[u8]) {
        if !self.state.at_line_start() {
            self.raw(raw);
            return;
        }
        if piece.out.is_empty() {
            self.state = State {
                line_ends: self.state.line_ends + piece.end.line_ends,
                wrote: self.state.wrote,
                ..piece.end
            };
            return;
        }
        self.write_line_ends();
        self.sink.put(&piece.out);
        self.state = State {
            wrote: true,
            ..piece.end
        };
    }

    fn line_end(&mut self) {
        self.state.line_ends += 1;
        self.state.mid_line = false;
        self.state.space = false;
    }

    fn content(&mut self, run: &[u8]) {
        if self.state.line_ends > 0 {
            for _ in 0..self.state.line_ends {
                self.buffer.extend_from_slice(b"\r\n");
            }
            self.state.line_ends = 0;
        }
        if self.state.space {
            self.buffer.push(b' ');
            self.state.space = false;
        }
        self.buffer.extend_from_slice(run);
        self.state.mid_line = true;
        self.state.wrote = true;
    }

    fn flush(&mut self) {
        if !self.buffer.is_empty() {
            self.sink.put(&self.buffer);
            self.buffer.clear();
        }
    }

    fn write_line_ends(&mut self) {
        for _ in 0..self.state.line_ends {
            self.sink.put(b"\r\n");
        }
        self.state.line_ends = 0;
    }

    /// Ends the body: one line end after the last content, none for an empty body.
    pub fn finish(&mut self) {
        if self.state.cr {
            self.state.cr = false;
            self.content(b"\r");
        }
        self.flush();
        if self.state.wrote {
            self.sink.put(b"\r\n");
        }
        self.state = State::default();
    }

    /// The canonical bytes, for a canonicaliser writing to bytes.
    pub fn into_sink(mut self) -> S {
        self.finish();
        self.sink
    }
}

/// A body's shape, made once per issue: literal pieces canonicalised ahead,
/// and the slots that each reader fills.
#[derive(Debug, Clone, Default)]
pub struct BodyPlan {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    /// A literal: its canonical form and its length as sent.
    Literal(CanonicalPiece, usize),
    Slot,
}

impl BodyPlan {
    /// The next piece of the body is this literal.
    pub fn literal(&mut self, raw: &[u8]) {
        if !raw.is_empty() {
            self.parts
                .push(Part::Literal(CanonicalPiece::new(raw), raw.len()));
        }
    }

    /// The next piece of the body differs per reader.
    pub fn slot(&mut self) {
        self.parts.push(Part::Slot);
    }

    /// The body hash of `body`, filled from this plan, where `slots` are the
    /// ranges of `body` the slots took, in order. Only the slots are
    /// canonicalised here; a body that does not follow the plan is hashed
    /// byte by byte, so the hash is right either way.
    pub fn hash(&self, body: &[u8], slots: &[std::ops::Range<usize>]) -> [u8; 32] {
        let planned = self.hash_planned(body, slots);
        debug_assert!(planned.is_some(), "the body does not follow its plan");
        planned.unwrap_or_else(|| {
            let mut canonical = RelaxedBody::sha256();
            canonical.raw(body);
            canonical.hash()
        })
    }

    fn hash_planned(&self, body: &[u8], slots: &[std::ops::Range<usize>]) -> Option<[u8; 32]> {
        let mut canonical = RelaxedBody::sha256();
        let mut slots = slots.iter();
        let mut at = 0;
        for part in &self.parts {
            match part {
                Part::Literal(piece, len) => {
                    canonical.piece(piece, body.get(at..at + len)?);
                    at += len;
                }
                Part::Slot => {
                    let range = slots.next()?;
                    if range.start != at {
                        return None;
                    }
                    canonical.raw(body.get(range.clone())?);
                    at = range.end;
                }
            }
        }
        (at == body.len() && slots.next().is_none()).then(|| canonical.hash())
    }
}

/// Whitespace that relaxed canonicalisation folds into one space.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Appends one header field in relaxed form: the name in lower case, no space
/// around the colon, the value unfolded with runs of whitespace made one space
/// and none at either end, then CRLF (left off when `crlf` is false: the
/// signature's own field ends the signed data without it).
pub(super) fn relaxed_header(field: &[u8], crlf: bool, out: &mut Vec<u8>) {
    let (name, value) = match memchr::memchr(b':', field) {
        Some(colon) => (&field[..colon], &field[colon + 1..]),
        None => (field, &[][..]),
    };
    out.extend(name.trim_ascii_end().iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let mut words = value.split(|&b| is_space(b)).filter(|w| !w.is_empty());
    if let Some(first) = words.next() {
        out.extend_from_slice(first);
        for word in words {
            out.push(b' ');
            out.extend_from_slice(word);
        }
    }
    if crlf {
        out.extend_from_slice(b"\r\n");
    }
}

/// The header fields of a header block, each with its line ends and folds.
pub(super) fn header_fields(block: &[u8]) -> Vec<&[u8]> {
    let mut fields: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < block.len() {
        let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i + 1);
        let next_continues = matches!(block.get(end), Some(b' ' | b'\t'));
        if !next_continues {
            if end > start && !block[start..end].trim_ascii().is_empty() {
                fields.push(&block[start..end]);
            }
            start = end;
        }
        at = end;
    }
    fields
}

/// A field's name, as written.
pub(super) fn field_name(field: &[u8]) -> &[u8] {
    memchr::memchr(b':', field).map_or(field, |colon| field[..colon].trim_ascii_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(pieces: &[&[u8]]) -> Vec<u8> {
        let mut body = RelaxedBody::new(Vec::new());
        for piece in pieces {
            body.raw(piece);
        }
        body.into_sink()
    }

    #[test]
    fn bodies_are_canonicalised_as_rfc_6376_shows() {
        // RFC 6376 3.4.5's example body.
        assert_eq!(canonical(&[b" C \r\nD \t E\r\n\r\n\r\n"]), b" C\r\nD E\r\n");
        assert_eq!(canonical(&[b""]), b"");
        assert_eq!(canonical(&[b"\r\n\r\n"]), b"");
        assert_eq!(canonical(&[b"abc"]), b"abc\r\n");
        assert_eq!(canonical(&[b"a  \r\n\r\nb \r\n \r\n"]), b"a\r\n\r\nb\r\n");
        assert_eq!(canonical(&[b"a\rb\r\n"]), b"a\rb\r\n");
    }

    #[test]
    fn pieces_canonicalised_apart_join_into_the_whole() {
        let body: &[u8] =
            b"Hi  there,\r\n\r\n \t\r\n.dot line\r\n  indented   text\t\r\na\rlone\r\r\nend\r\n\r\n";
        let whole = canonical(&[body]);
        assert_eq!(
            String::from_utf8_lossy(&whole),
            "Hi there,\r\n\r\n\r\n.dot line\r\n indented text\r\na\rlone\r\r\nend\r\n"
        );
        for cut in 0..=body.len() {
            for second in cut..=body.len() {
                let parts = [&body[..cut], &body[cut..second], &body[second..]];
                assert_eq!(canonical(&parts), whole, "raw cut at {cut}, {second}");
                let mut mixed = RelaxedBody::new(Vec::new());
                for (i, part) in parts.iter().enumerate() {
                    if i == 1 {
                        mixed.raw(part);
                    } else {
                        mixed.piece(&CanonicalPiece::new(part), part);
                    }
                }
                assert_eq!(mixed.into_sink(), whole, "pieces cut at {cut}, {second}");
            }
        }
    }

    #[test]
    fn header_fields_are_unfolded_lowercased_and_trimmed() {
        let mut out = Vec::new();
        relaxed_header(b"Subject :  A  long\r\n\tsubject \r\n", true, &mut out);
        assert_eq!(out, b"subject:A long subject\r\n");
        let block = b"From: a@example.com\r\nSubject: one\r\n two\r\nTo: b@example.com\r\n";
        let fields = header_fields(block);
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[1], b"Subject: one\r\n two\r\n");
        assert_eq!(field_name(fields[2]), b"To");
    }
}
