//! DKIM-Signature header fields (RFC 6376 3.5; ed25519-sha256 from RFC 8463):
//! one per configured key, over the relaxed header fields and a body hash
//! computed once for all of them.

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;

use super::canon::{RelaxedBody, field_name, header_fields, relaxed_header};
use super::key::{KeyError, PrivateKey};
use crate::project::config::DkimAlgorithm;

/// Headers the signatures cover, each once more than the message has it
/// ("over-signing"), so that nobody can add one (a second From, a Reply-To)
/// without breaking the signature.
pub const SIGNED_HEADERS: [&str; 11] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
];

/// The longest line the signature field is folded to.
const LINE: usize = 78;

/// A signing key and where its public half is published.
#[derive(Debug)]
pub struct DkimKey {
    /// The `d=` domain.
    pub domain: String,
    /// The `s=` selector.
    pub selector: String,
    pub key: PrivateKey,
}

impl DkimKey {
    fn tag(&self) -> &'static str {
        match self.key.algorithm() {
            DkimAlgorithm::Rsa => "rsa-sha256",
            DkimAlgorithm::Ed25519 => "ed25519-sha256",
        }
    }
}

/// Signs messages with every configured key.
#[derive(Debug)]
pub struct DkimSigner {
    keys: Vec<DkimKey>,
}

impl DkimSigner {
    pub fn new(keys: Vec<DkimKey>) -> Self {
        DkimSigner { keys }
    }

    pub fn keys(&self) -> &[DkimKey] {
        &self.keys
    }

    /// Whether signing costs more than composing (an RSA signature, some
    /// hundreds of microseconds) and so belongs off the tasks that drive
    /// connections; Ed25519 alone costs about as much as filling the message.
    pub fn is_costly(&self) -> bool {
        self.keys
            .iter()
            .any(|k| k.key.algorithm() == DkimAlgorithm::Rsa)
    }

    /// The signature fields for a message whose header fields are `header`
    /// (up to, not including, the empty line) and whose canonical body hashes
    /// to `body_hash`, signed at `time` (seconds since 1970). Each field ends
    /// with CRLF; they go before the message.
    pub fn sign(
        &self,
        header: &[u8],
        body_hash: &[u8; 32],
        time: u64,
    ) -> Result<Vec<u8>, KeyError> {
        let fields = header_fields(header);
        let mut names = Vec::with_capacity(2 * SIGNED_HEADERS.len());
        let mut signed = Vec::with_capacity(header.len());
        for name in SIGNED_HEADERS {
            // RFC 6376 5.4.2: repeated fields are signed from the last one up.
            for field in fields
                .iter()
                .rev()
                .filter(|f| field_name(f).eq_ignore_ascii_case(name.as_bytes()))
            {
                relaxed_header(field, true, &mut signed);
                names.push(name);
            }
            names.push(name);
        }
        let body_hash = BASE64_STANDARD.encode(body_hash);
        let mut out = Vec::with_capacity(self.keys.len() * 700);
        for key in &self.keys {
            let unsigned = unsigned_field(key, time, &names, &body_hash);
            let mut data = signed.clone();
            relaxed_header(unsigned.as_bytes(), false, &mut data);
            let signature = BASE64_STANDARD.encode(key.key.sign(&data)?);
            out.extend_from_slice(unsigned.as_bytes());
            let mut column = unsigned.len() - unsigned.rfind('\n').map_or(0, |i| i + 1);
            let mut rest = signature.as_str();
            while !rest.is_empty() {
                let room = LINE.saturating_sub(column).max(1).min(rest.len());
                let (line, tail) = rest.split_at(room);
                out.extend_from_slice(line.as_bytes());
                rest = tail;
                if !rest.is_empty() {
                    out.extend_from_slice(b"\r\n ");
                    column = 1;
                }
            }
            out.extend_from_slice(b"\r\n");
        }
        Ok(out)
    }

    /// Signs a whole formatted message, canonicalising its body byte by byte:
    /// for messages made one at a time (the composer's fast path hashes bodies
    /// from pieces prepared once per issue). Returns the message with the
    /// signatures before it.
    pub fn sign_message(&self, message: &[u8], time: u64) -> Result<Vec<u8>, KeyError> {
        let (header, body) = split(message);
        let mut canonical = RelaxedBody::sha256();
        canonical.raw(body);
        let mut signed = self.sign(header, &canonical.hash(), time)?;
        signed.extend_from_slice(message);
        Ok(signed)
    }
}

/// A message's header fields (with the CRLF of the last) and its body.
pub fn split(message: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memmem::find(message, b"\r\n\r\n") {
        Some(at) => (&message[..at + 2], &message[at + 4..]),
        None => (message, &[][..]),
    }
}

/// The signature field up to its empty `b=`, folded.
fn unsigned_field(key: &DkimKey, time: u64, names: &[&str], body_hash: &str) -> String {
    let mut field = Folded::new("DKIM-Signature:");
    field.word(&format!("v=1; a={};", key.tag()));
    field.word("c=relaxed/relaxed;");
    field.word(&format!("d={};", key.domain));
    field.word(&format!("s={};", key.selector));
    field.word(&format!("t={time};"));
    let last = names.len().saturating_sub(1);
    for (i, name) in names.iter().enumerate() {
        let mut word = String::with_capacity(name.len() + 3);
        if i == 0 {
            word.push_str("h=");
        }
        word.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        word.push(if i == last { ';' } else { ':' });
        // The list folds after a colon (RFC 6376 3.5 allows FWS there).
        field.glued(&word, i > 0);
    }
    field.word(&format!("bh={body_hash};"));
    field.word("b=");
    field.text
}

/// A header field folded at word boundaries to lines of at most [`LINE`].
struct Folded {
    text: String,
    column: usize,
}

impl Folded {
    fn new(name: &str) -> Self {
        Folded {
            text: name.to_string(),
            column: name.len(),
        }
    }

    /// A word after a space, or on a new line when it does not fit.
    fn word(&mut self, word: &str) {
        self.glued(word, false);
    }

    /// A word, joined without a space when `glued` and it fits.
    fn glued(&mut self, word: &str, glued: bool) {
        let gap = usize::from(!glued);
        if self.column + gap + word.len() > LINE {
            self.text.push_str("\r\n ");
            self.column = 1;
        } else if !glued {
            self.text.push(' ');
            self.column += 1;
        }
        self.text.push_str(word);
        self.column += word.len();
    }
}
