//! One email per recipient from a rendered issue: headers (Message-ID, List-Id,
//! one-click List-Unsubscribe), the filled text and HTML parts, and DKIM.

use std::path::Path;
use std::sync::OnceLock;
use std::time::SystemTime;

use lettre::address::Envelope;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{
    self, ContentTransferEncoding, Header, HeaderName, HeaderValue, Headers,
};
use lettre::message::{Body, Mailbox, Mailboxes, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use crate::config::{Config, DkimAlgorithm};
use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::issue::Issue;
use crate::render::{Personalisation, RenderedIssue, Slot, Template, TemplatePart, escape_html};
use crate::unsubscribe::Signer;

/// Headers the DKIM signature covers (those absent from a message are skipped).
/// Content-Type is left out: lettre writes it after signing, so it cannot be covered.
pub const SIGNED_HEADERS: [&str; 10] = [
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
];

/// A message ready for a transport.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Without angle brackets.
    pub message_id: String,
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

/// A template's quoted-printable body, encoded once per issue: per recipient only
/// the slot values are encoded and the pieces joined.
#[derive(Debug, Clone)]
struct EncodedBody {
    pieces: Vec<Piece>,
    escape_html: bool,
    literal_len: usize,
}

#[derive(Debug, Clone)]
enum Piece {
    Encoded(Vec<u8>),
    Slot(Slot),
}

/// Ends an encoded piece with a soft line break (invisible once decoded) unless
/// it ends a line already, so that the next piece starts a new encoded line and
/// pieces encoded apart join into valid quoted-printable.
fn end_line(encoded: &mut Vec<u8>) {
    if !encoded.is_empty() && !encoded.ends_with(b"\r\n") {
        encoded.extend_from_slice(b"=\r\n");
    }
}

/// Quoted-printable as lettre writes it: CRLF line ends, then RFC 2045 encoding.
fn quoted_printable(text: &str) -> Vec<u8> {
    let mut crlf = String::with_capacity(text.len() + text.len() / 32);
    let mut previous = '\0';
    for c in text.chars() {
        if c == '\n' && previous != '\r' {
            crlf.push('\r');
        }
        crlf.push(c);
        previous = c;
    }
    quoted_printable::encode(crlf)
}

impl EncodedBody {
    fn new(template: &Template) -> Self {
        let mut pieces = Vec::new();
        for part in template.parts() {
            match part {
                TemplatePart::Literal(text) => {
                    let mut encoded = quoted_printable(text);
                    end_line(&mut encoded);
                    pieces.push(Piece::Encoded(encoded));
                }
                TemplatePart::Slot(slot) => pieces.push(Piece::Slot(slot)),
            }
        }
        let literal_len = pieces
            .iter()
            .map(|p| match p {
                Piece::Encoded(bytes) => bytes.len(),
                Piece::Slot(_) => 0,
            })
            .sum();
        EncodedBody {
            pieces,
            escape_html: template.escapes_html(),
            literal_len,
        }
    }

    /// The encoded body for one recipient.
    fn fill(&self, person: &Personalisation<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.literal_len + 512);
        self.fill_into(person, &mut out);
        out
    }

    /// Appends the encoded body for one recipient to `out`.
    fn fill_into(&self, person: &Personalisation<'_>, out: &mut Vec<u8>) {
        for piece in &self.pieces {
            match piece {
                Piece::Encoded(bytes) => out.extend_from_slice(bytes),
                Piece::Slot(slot) => {
                    let value = person.value(*slot);
                    let value = if self.escape_html {
                        escape_html(&value).into()
                    } else {
                        value
                    };
                    let mut encoded = quoted_printable(&value);
                    end_line(&mut encoded);
                    out.extend_from_slice(&encoded);
                }
            }
        }
    }
}

/// Where the per-recipient parts go in a message formatted once per issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    To,
    MessageId,
    Date,
    ListUnsubscribe,
    TextBody,
    HtmlBody,
}

#[derive(Debug)]
enum SkeletonPiece {
    Bytes(Vec<u8>),
    Hole(Hole),
}

/// A whole message as lettre formats it, made once per issue with placeholders,
/// cut where the per-recipient header lines and bodies go. Filling it is a few
/// copies instead of building and formatting a message for every recipient.
#[derive(Debug)]
struct Skeleton {
    pieces: Vec<SkeletonPiece>,
    fixed_len: usize,
}

const PLACEHOLDER_TO: &str = "to@placeholder.invalid";
const PLACEHOLDER_ID: &str = "id@placeholder.invalid";
const PLACEHOLDER_UNSUBSCRIBE: &str = "https://placeholder.invalid/unsubscribe";
const TEXT_MARKER: &[u8] = b"VERDICT-SKELETON-TEXT-BODY";
const HTML_MARKER: &[u8] = b"VERDICT-SKELETON-HTML-BODY";

/// A header as lettre writes it, "Name: encoded value\r\n".
fn header_line<H: Header>(header: H) -> String {
    let mut headers = Headers::new();
    headers.set(header);
    headers.to_string()
}

fn raw_header_line(value: HeaderValue) -> String {
    let mut headers = Headers::new();
    headers.insert_raw(value);
    headers.to_string()
}

/// The header lines that differ per recipient.
struct RecipientLines {
    to: String,
    message_id: String,
    date: String,
    list_unsubscribe: String,
}

impl RecipientLines {
    fn new(to: &Mailbox, message_id: &str, date: SystemTime, list_unsubscribe: &str) -> Self {
        RecipientLines {
            to: header_line(header::To::from(Mailboxes::from(to.clone()))),
            message_id: header_line(header::MessageId::from(format!("<{message_id}>"))),
            date: header_line(header::Date::new(date)),
            list_unsubscribe: raw_header_line(self::header(
                "List-Unsubscribe",
                list_unsubscribe.to_string(),
            )),
        }
    }

    fn get(&self, hole: Hole) -> Option<&str> {
        match hole {
            Hole::To => Some(&self.to),
            Hole::MessageId => Some(&self.message_id),
            Hole::Date => Some(&self.date),
            Hole::ListUnsubscribe => Some(&self.list_unsubscribe),
            Hole::TextBody | Hole::HtmlBody => None,
        }
    }
}

impl Skeleton {
    /// Cuts `formatted` at the placeholder lines of `lines` and at the body markers.
    fn cut(formatted: &[u8], lines: &RecipientLines) -> Result<Skeleton, String> {
        let mut holes: Vec<(usize, usize, Hole)> = Vec::new();
        for hole in [Hole::To, Hole::MessageId, Hole::Date, Hole::ListUnsubscribe] {
            let line = lines.get(hole).unwrap_or_default().as_bytes();
            let at =
                memchr::memmem::find(formatted, line).ok_or("a placeholder header is missing")?;
            holes.push((at, line.len(), hole));
        }
        for (marker, hole) in [(TEXT_MARKER, Hole::TextBody), (HTML_MARKER, Hole::HtmlBody)] {
            let at = memchr::memmem::find(formatted, marker).ok_or("a body marker is missing")?;
            holes.push((at, marker.len(), hole));
        }
        holes.sort_by_key(|(at, _, _)| *at);
        let mut pieces = Vec::new();
        let mut start = 0;
        for (at, len, hole) in holes {
            pieces.push(SkeletonPiece::Bytes(formatted[start..at].to_vec()));
            pieces.push(SkeletonPiece::Hole(hole));
            start = at + len;
        }
        pieces.push(SkeletonPiece::Bytes(formatted[start..].to_vec()));
        let fixed_len = pieces
            .iter()
            .map(|p| match p {
                SkeletonPiece::Bytes(bytes) => bytes.len(),
                SkeletonPiece::Hole(_) => 0,
            })
            .sum();
        Ok(Skeleton { pieces, fixed_len })
    }
}

/// Builds each recipient's message from one rendering of an issue. It owns what
/// it needs so that concurrent senders can share it.
pub struct Composer {
    issue_id: String,
    subject: String,
    text_body: EncodedBody,
    html_body: EncodedBody,
    signer: Signer,
    unsubscribe_base: String,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    list_id: String,
    list_unsubscribe_mailto: String,
    domain: String,
    date: Option<SystemTime>,
    /// One MIME boundary per issue: random unless pinned.
    boundary: String,
    dkim: Option<DkimConfig>,
    skeleton: OnceLock<Result<Skeleton, String>>,
}

impl Composer {
    pub fn new(config: &Config, issue: &Issue, rendered: RenderedIssue, signer: Signer) -> Self {
        let domain = config.from_domain();
        let mut from = config.from_mailbox();
        if from.name.is_none() {
            from.name = Some(config.name.get_ref().clone());
        }
        Composer {
            issue_id: issue.id.clone(),
            subject: issue.subject.clone(),
            text_body: EncodedBody::new(&rendered.text),
            html_body: EncodedBody::new(&rendered.html),
            signer,
            unsubscribe_base: config.unsubscribe_url.get_ref().clone(),
            from,
            reply_to: config.reply_to_mailbox(),
            list_id: list_id(config),
            list_unsubscribe_mailto: format!(
                "mailto:{}?subject=unsubscribe",
                config.unsubscribe_mailto_address()
            ),
            domain,
            date: None,
            boundary: format!("verdict-{:032x}", rand::random::<u128>()),
            dkim: None,
            skeleton: OnceLock::new(),
        }
    }

    /// Pins the Date header (golden tests); by default each message has the send time.
    pub fn with_date(mut self, date: SystemTime) -> Self {
        self.date = Some(date);
        self
    }

    /// Pins the MIME boundary (golden tests); by default it is random.
    pub fn with_boundary(mut self, boundary: impl Into<String>) -> Self {
        self.boundary = boundary.into();
        self.skeleton = OnceLock::new();
        self
    }

    pub fn with_dkim(mut self, dkim: Option<DkimConfig>) -> Self {
        self.dkim = dkim;
        self
    }

    /// The unsubscribe address of a recipient.
    pub fn unsubscribe_url(&self, email: &str) -> String {
        self.signer.url(&self.unsubscribe_base, email)
    }

    /// The message for one recipient; `email` is normalised.
    pub fn compose(&self, email: &str, name: Option<&str>) -> Result<Outgoing, String> {
        self.compose_with_id(email, name, message_id(&self.issue_id, email, &self.domain))
    }

    /// A test copy: the same message under a Message-ID of its own, so that the
    /// real delivery to the same inbox later is not taken for a duplicate.
    pub fn compose_test_copy(&self, email: &str) -> Result<Outgoing, String> {
        let nonce = format!("{:016x}", rand::random::<u64>());
        let id = format!(
            "test-{nonce}.{}",
            message_id(&self.issue_id, email, &self.domain)
        );
        self.compose_with_id(email, None, id)
    }

    fn compose_with_id(
        &self,
        email: &str,
        name: Option<&str>,
        message_id: String,
    ) -> Result<Outgoing, String> {
        let unsubscribe_url = self.unsubscribe_url(email);
        let person = Personalisation {
            name,
            email,
            unsubscribe_url: &unsubscribe_url,
        };
        let address: lettre::Address = email
            .parse()
            .map_err(|e| format!("invalid address {email}: {e}"))?;
        // A name with a line break never reaches a header (`check` reports it).
        let name = name
            .filter(|n| crate::config::control_char_offset(n).is_none())
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let to = Mailbox::new(name.map(str::to_string), address.clone());
        let date = self.date.unwrap_or_else(SystemTime::now);
        let list_unsubscribe = format!("<{unsubscribe_url}>, <{}>", self.list_unsubscribe_mailto);
        if let Some(dkim) = &self.dkim {
            // Signing needs lettre's message; the signature costs far more than building it.
            let mut message =
                self.lettre_message(to, &message_id, date, list_unsubscribe, &person)?;
            message.sign(dkim);
            return Ok(Outgoing {
                message_id,
                envelope: message.envelope().clone(),
                bytes: message.formatted(),
            });
        }
        let skeleton = self.skeleton().as_ref().map_err(Clone::clone)?;
        let lines = RecipientLines::new(&to, &message_id, date, &list_unsubscribe);
        let mut bytes = Vec::with_capacity(
            skeleton.fixed_len + self.text_body.literal_len + self.html_body.literal_len + 2048,
        );
        for piece in &skeleton.pieces {
            match piece {
                SkeletonPiece::Bytes(fixed) => bytes.extend_from_slice(fixed),
                SkeletonPiece::Hole(Hole::TextBody) => {
                    self.text_body.fill_into(&person, &mut bytes)
                }
                SkeletonPiece::Hole(Hole::HtmlBody) => {
                    self.html_body.fill_into(&person, &mut bytes)
                }
                SkeletonPiece::Hole(hole) => {
                    bytes.extend_from_slice(lines.get(*hole).unwrap_or_default().as_bytes())
                }
            }
        }
        let envelope = Envelope::new(Some(self.from.email.clone()), vec![address])
            .map_err(|e| e.to_string())?;
        Ok(Outgoing {
            message_id,
            envelope,
            bytes,
        })
    }

    fn skeleton(&self) -> &Result<Skeleton, String> {
        self.skeleton.get_or_init(|| {
            let to = Mailbox::new(None, PLACEHOLDER_TO.parse().map_err(|e| format!("{e}"))?);
            let lines = RecipientLines::new(
                &to,
                PLACEHOLDER_ID,
                SystemTime::UNIX_EPOCH,
                PLACEHOLDER_UNSUBSCRIBE,
            );
            let mut message = lettre::Message::builder();
            message = self.shared_headers(message);
            let message = message
                .to(to)
                .message_id(Some(format!("<{PLACEHOLDER_ID}>")))
                .date(SystemTime::UNIX_EPOCH)
                .raw_header(header(
                    "List-Unsubscribe",
                    PLACEHOLDER_UNSUBSCRIBE.to_string(),
                ))
                .multipart(self.alternative(TEXT_MARKER.to_vec(), HTML_MARKER.to_vec()))
                .map_err(|e| e.to_string())?;
            Skeleton::cut(&message.formatted(), &lines)
        })
    }

    /// The whole message built by lettre: the reference the skeleton is cut from,
    /// and what DKIM signs.
    fn lettre_message(
        &self,
        to: Mailbox,
        message_id: &str,
        date: SystemTime,
        list_unsubscribe: String,
        person: &Personalisation<'_>,
    ) -> Result<lettre::Message, String> {
        let message = self
            .shared_headers(lettre::Message::builder())
            .to(to)
            .message_id(Some(format!("<{message_id}>")))
            .date(date)
            .raw_header(header("List-Unsubscribe", list_unsubscribe));
        message
            .multipart(self.alternative(self.text_body.fill(person), self.html_body.fill(person)))
            .map_err(|e| e.to_string())
    }

    /// The headers every recipient's message shares, in lettre's builder order
    /// around the per-recipient ones.
    fn shared_headers(
        &self,
        builder: lettre::message::MessageBuilder,
    ) -> lettre::message::MessageBuilder {
        let mut builder = builder
            .from(self.from.clone())
            .subject(self.subject.clone())
            .raw_header(header("List-Id", self.list_id.clone()))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
    }

    fn alternative(&self, text: Vec<u8>, html: Vec<u8>) -> MultiPart {
        let pre_encoded =
            |bytes| Body::dangerous_pre_encoded(bytes, ContentTransferEncoding::QuotedPrintable);
        MultiPart::alternative()
            .boundary(self.boundary.clone())
            .singlepart(SinglePart::plain(pre_encoded(text)))
            .singlepart(SinglePart::html(pre_encoded(html)))
    }
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// A stable Message-ID for an issue and a recipient, on the newsletter's domain.
/// The address is hashed so that the ID does not reveal it.
pub fn message_id(issue_id: &str, email: &str, domain: &str) -> String {
    let digest = Sha256::new()
        .chain_update(issue_id.as_bytes())
        .chain_update([0])
        .chain_update(email.as_bytes())
        .finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex: String = digest[..12]
        .iter()
        .flat_map(|b| {
            [
                HEX[usize::from(b >> 4)] as char,
                HEX[usize::from(b & 15)] as char,
            ]
        })
        .collect();
    format!("{issue_id}.{hex}@{domain}")
}

/// `List-Id: Name <label.domain>` (RFC 2919).
pub fn list_id(config: &Config) -> String {
    let label: String = config
        .name
        .get_ref()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let label = if label.is_empty() {
        "newsletter".to_string()
    } else {
        label
    };
    format!(
        "{} <{label}.{}>",
        config.name.get_ref(),
        config.from_domain()
    )
}

/// Reads the DKIM key named in the configuration. Problems are located at the
/// `key_file` line of `verdict.toml`.
pub fn load_dkim(
    root: &Path,
    config: &Config,
    config_file: &FileDiagnostics,
) -> Result<Option<DkimConfig>, FileDiagnostics> {
    let Some(dkim) = &config.dkim else {
        return Ok(None);
    };
    let fail = |message: String| {
        let mut report = config_file.clone();
        report.push(
            Diagnostic::error(message)
                .at(dkim.key_file.span())
                .help("expected a PEM RSA private key (PKCS#1) or, for ed25519, the base64 of the 32-byte private key"),
        );
        report
    };
    let path = crate::fs::resolve(root, dkim.key_file.get_ref());
    let pem = std::fs::read_to_string(&path).map_err(|e| {
        fail(format!(
            "cannot read the DKIM key {}: {e}",
            dkim.key_file.get_ref()
        ))
    })?;
    let algorithm = match dkim.algorithm {
        DkimAlgorithm::Rsa => DkimSigningAlgorithm::Rsa,
        DkimAlgorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
    };
    let key = DkimSigningKey::new(pem.trim(), algorithm).map_err(|_| {
        fail(format!(
            "the DKIM key {} cannot be parsed",
            dkim.key_file.get_ref()
        ))
    })?;
    let headers = SIGNED_HEADERS
        .iter()
        .filter(|h| **h != "Reply-To" || config.reply_to.is_some())
        .map(|h| HeaderName::new_from_ascii_str(h))
        .collect();
    Ok(Some(DkimConfig::new(
        dkim.selector.clone(),
        dkim.domain.get_ref().clone(),
        key,
        headers,
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_rendering() -> (crate::project::Project, Issue, RenderedIssue) {
        let project =
            crate::project::Project::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        let path = project
            .find_issue("2026-11-26-axolotl-vs-mistral-medium-3")
            .unwrap();
        let issue = project.load_issue(&path).unwrap().issue;
        let rendered = crate::render::render(&issue, project.context());
        (project, issue, rendered)
    }

    fn demo_composer() -> Composer {
        let (project, issue, rendered) = demo_rendering();
        let signer = Signer::new("unit-test-secret-0123456789", &[]).unwrap();
        Composer::new(&project.config, &issue, rendered, signer)
            .with_date(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_683_600))
    }

    #[test]
    fn the_skeleton_path_writes_exactly_what_lettre_builds() {
        let composer = demo_composer();
        for (email, name) in [
            ("ml-team@example.com", Some("Équipe ML")),
            ("readers@example.com", None),
            (
                "a.very.long.address.for.folding.tests@subdomain.example.org",
                Some("A Name, With \"Quotes\" and = signs"),
            ),
        ] {
            let fast = composer.compose(email, name).unwrap();
            let url = composer.unsubscribe_url(email);
            let person = Personalisation {
                name,
                email,
                unsubscribe_url: &url,
            };
            let to = Mailbox::new(name.map(str::to_string), email.parse().unwrap());
            let list_unsubscribe = format!("<{url}>, <{}>", composer.list_unsubscribe_mailto);
            let reference = composer
                .lettre_message(
                    to,
                    &fast.message_id,
                    composer.date.unwrap(),
                    list_unsubscribe,
                    &person,
                )
                .unwrap();
            assert_eq!(
                String::from_utf8(fast.bytes).unwrap(),
                String::from_utf8(reference.formatted()).unwrap()
            );
            assert_eq!(&fast.envelope, reference.envelope());
        }
    }

    #[test]
    fn bodies_encoded_in_pieces_decode_to_the_filled_template() {
        let (_, _, rendered) = demo_rendering();
        let long_url = format!(
            "https://verdicts.example.com/unsubscribe?u={}&t=x=y",
            "a".repeat(200)
        );
        for person in [
            Personalisation {
                name: Some("Équipe ML = <b>&</b>"),
                email: "ml-team@example.com",
                unsubscribe_url: &long_url,
            },
            Personalisation {
                name: None,
                email: "a@example.com",
                unsubscribe_url: "https://x.example/u",
            },
        ] {
            for (template, encoded) in [
                (&rendered.text, EncodedBody::new(&rendered.text)),
                (&rendered.html, EncodedBody::new(&rendered.html)),
            ] {
                let bytes = encoded.fill(&person);
                for line in bytes.split(|b| *b == b'\n') {
                    assert!(line.len() <= 77, "line of {} octets", line.len());
                    assert!(line.is_ascii());
                }
                let decoded =
                    quoted_printable::decode(&bytes, quoted_printable::ParseMode::Robust).unwrap();
                let expected = template
                    .fill(&person)
                    .replace("\r\n", "\n")
                    .replace('\n', "\r\n");
                assert_eq!(String::from_utf8(decoded).unwrap(), expected);
            }
        }
    }
}
