//! Builds each recipient's message from one rendering of an issue: the shared
//! headers and encoded bodies made once, the per-recipient lines and slots filled.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use lettre::Address;
use lettre::address::Envelope;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use super::body::EncodedBody;
use super::dkim::{BodyPlan, DkimSigner};
use super::signing_pool::SigningPool;
use super::skeleton::{Hole, RecipientLines, Skeleton, SkeletonError, raw_header};
use super::{Outgoing, list_id};
use crate::author::issue::Issue;
use crate::author::render::{Personalisation, RenderedIssue};
use crate::project::config::Config;
use crate::store::tokens::{Keys, hex};

/// Why a message could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid address {email}: {reason}")]
    Address { email: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error(transparent)]
    Skeleton(#[from] SkeletonError),
    #[error("cannot sign the message: the DKIM key {0}")]
    Sign(#[from] super::dkim::KeyError),
    #[error(
        "cannot sign the message: signing stopped with a crash (a bug in verdict; please report it). `verdict send --retry-failed` tries this reader again"
    )]
    SigningCrashed,
}

/// The header naming the reader a redirected copy was made for.
pub(crate) const REDIRECT_HEADER: &str = "X-Verdict-Intended-Recipient";

/// A reader's message filled in, before any signature.
struct Filled {
    outgoing: Outgoing,
    /// Room left before the header for the signature fields, so that joining
    /// them does not copy the message (see [`Composer::signature_len`]).
    headroom: usize,
    /// Where the body starts in the bytes.
    body_start: usize,
    /// The ranges of the body the reader's slots took (DKIM hashes the rest
    /// from pieces prepared once).
    slots: Vec<std::ops::Range<usize>>,
    date: SystemTime,
}

impl Filled {
    /// The header fields as filled, without the headroom.
    fn header(&self) -> &[u8] {
        &self.outgoing.bytes[self.headroom..self.body_start]
    }

    fn body(&self) -> &[u8] {
        &self.outgoing.bytes[self.body_start..]
    }

    /// The message with its signature fields first, written into the
    /// headroom: in place when they fill it exactly, as they do once the
    /// composer has seen one signed message (their length only changes with
    /// the keys).
    fn signed(mut self, signatures: &[u8]) -> Outgoing {
        self.outgoing
            .bytes
            .splice(..self.headroom, signatures.iter().copied());
        self.outgoing
    }

    /// The message as filled, unsigned.
    fn unsigned(mut self) -> Outgoing {
        self.outgoing.bytes.drain(..self.headroom);
        self.outgoing
    }
}

/// Builds each recipient's message. It owns what it needs so that concurrent
/// senders can share it.
pub struct Composer {
    issue_id: String,
    subject: String,
    text_body: EncodedBody,
    html_body: EncodedBody,
    keys: Keys,
    unsubscribe_base: String,
    from: Mailbox,
    /// The envelope sender: the bounce address, or From.
    bounce: Address,
    /// When the bounce address asks for signed return paths (a `+` in its
    /// local part): the parts before and after the reader's tag.
    return_path: Option<(String, String)>,
    reply_to: Option<Mailbox>,
    list_id: String,
    list_unsubscribe_mailto: String,
    domain: String,
    date: Option<SystemTime>,
    /// One MIME boundary per issue: random unless pinned.
    boundary: String,
    /// Makes the skeleton's placeholders and markers unguessable.
    nonce: String,
    dkim: Option<Arc<DkimSigner>>,
    skeleton: OnceLock<Result<Skeleton, SkeletonError>>,
    /// The body's shape for DKIM's body hash, made with the skeleton.
    body_plan: OnceLock<BodyPlan>,
    /// RSA signatures are made on threads of their own, one per core.
    signing: SigningPool,
    /// The length of the last signature fields made: the headroom left before
    /// the next message, so that its signatures join it without a copy.
    signature_len: AtomicUsize,
    /// The length of the longest message filled, less its headroom: the next
    /// one's buffer is made that long and some, so that it does not grow
    /// (by a copy into twice the room) while filling, as it did when sized by
    /// the literals alone; a reader's slots take several kilobytes, more with
    /// a longer address (it is in every link).
    message_len: AtomicUsize,
    /// The site's root, where vote links point; none without a site.
    vote_base: Option<url::Url>,
    tools: usize,
}

impl Composer {
    pub fn new(config: &Config, issue: &Issue, rendered: RenderedIssue, keys: Keys) -> Self {
        Composer {
            issue_id: issue.id.clone(),
            subject: issue.subject.clone(),
            text_body: EncodedBody::new(&rendered.text),
            html_body: EncodedBody::new(&rendered.html),
            keys,
            unsubscribe_base: config.unsubscribe_url.to_string(),
            from: config.sender(),
            bounce: config
                .bounce_address
                .clone()
                .unwrap_or_else(|| config.from.email.clone()),
            return_path: config.bounce_address.as_ref().and_then(|address| {
                let (base, _) = address.user().split_once('+')?;
                Some((base.to_string(), address.domain().to_string()))
            }),
            reply_to: config.reply_to.clone(),
            list_id: list_id(config),
            list_unsubscribe_mailto: config.unsubscribe_mailto.to_string(),
            domain: config.sender_domain(),
            date: None,
            boundary: format!("verdict-{:032x}", rand::random::<u128>()),
            nonce: format!("{:032x}", rand::random::<u128>()),
            dkim: None,
            skeleton: OnceLock::new(),
            body_plan: OnceLock::new(),
            signing: SigningPool::default(),
            signature_len: AtomicUsize::new(0),
            message_len: AtomicUsize::new(0),
            vote_base: config.base_url.clone(),
            tools: issue.tools.len(),
        }
    }

    /// A reader's ship and skip links for each tool (none without a site).
    pub fn vote_links(&self, email: &str) -> Vec<(String, String)> {
        use crate::author::issue::Verdict;
        let Some(base) = &self.vote_base else {
            return Vec::new();
        };
        (0..self.tools)
            .map(|tool| {
                let link = |verdict| {
                    crate::web::votes::link(&self.keys, base, &self.issue_id, tool, verdict, email)
                };
                (link(Verdict::Ship), link(Verdict::Skip))
            })
            .collect()
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
        self.body_plan = OnceLock::new();
        self
    }

    /// Signs every message with these keys (none: unsigned).
    pub fn with_dkim(mut self, dkim: Option<Arc<DkimSigner>>) -> Self {
        self.dkim = dkim;
        self
    }

    /// Test copies: the subject starts with "[TEST]"; see [`Composer::for_rehearsal`].
    pub fn for_test_copies(self) -> Self {
        self.for_rehearsal("[TEST]")
    }

    /// Copies that are not the real thing (test copies, readers' copies
    /// redirected to the editor): the subject starts with `marker`, and every
    /// link is signed with a key of this process only, so that no unsubscribe,
    /// one-click or vote link in them can act on the real service.
    pub fn for_rehearsal(mut self, marker: &str) -> Self {
        self.subject = format!("{marker} {}", self.subject);
        self.keys = Keys::ephemeral();
        self.skeleton = OnceLock::new();
        self.body_plan = OnceLock::new();
        self
    }

    /// The unsubscribe address of a recipient.
    pub fn unsubscribe_url(&self, email: &str) -> String {
        self.keys.unsubscribe_url(&self.unsubscribe_base, email)
    }

    /// `List-Unsubscribe` (RFC 2369): the one-click link, and a mailto whose
    /// subject carries the reader's signed token, so that `verdict bounces
    /// import` can act on the request when it arrives by mail.
    fn list_unsubscribe(&self, email: &str, unsubscribe_url: &str) -> String {
        format!(
            "<{unsubscribe_url}>, <mailto:{}?subject=unsubscribe%20{}>",
            self.list_unsubscribe_mailto,
            self.keys.unsubscribe_words(email)
        )
    }

    /// The envelope sender of a reader's copy: the bounce address, carrying
    /// the reader's signed tag when it asks for one (VERP), so that a bounce
    /// delivered there proves which reader it is about.
    pub fn return_path(&self, email: &str) -> Address {
        self.return_path
            .as_ref()
            .and_then(|(base, domain)| {
                let tag = self.keys.return_path_tag(email);
                Address::new(format!("{base}+{tag}"), domain).ok()
            })
            .unwrap_or_else(|| self.bounce.clone())
    }

    /// The message for one recipient; `email` is normalised.
    pub fn compose(&self, email: &str, name: Option<&str>) -> Result<Outgoing, ComposeError> {
        self.compose_with_id(
            email,
            name,
            self.keys.message_id(&self.issue_id, email, &self.domain),
        )
    }

    /// [`Composer::compose`] for a task that drives a connection: a message to
    /// sign with RSA is signed on a thread of the signing pool, so that
    /// the connections keep moving while signatures are computed. Unsigned and
    /// Ed25519-only messages are made in place: handing them to another thread
    /// costs more than making them (docs/BENCHMARKS.md).
    pub async fn compose_off_task(
        self: &Arc<Self>,
        email: &str,
        name: Option<&str>,
    ) -> Result<Outgoing, ComposeError> {
        if !self.dkim.as_ref().is_some_and(|dkim| dkim.is_costly()) {
            return self.compose(email, name);
        }
        let filled = self.fill(
            email,
            name,
            self.keys.message_id(&self.issue_id, email, &self.domain),
        )?;
        let composer = Arc::clone(self);
        // Only hashing and signing move: the message is filled and joined to
        // its signatures here, so that its buffers are made and freed on the
        // same threads (the allocator then keeps no memory for the pool).
        let (filled, signatures) = self
            .signing
            .run(move || {
                let signatures = composer.signatures(&filled);
                (filled, signatures)
            })
            .await
            .map_err(|_| ComposeError::SigningCrashed)?;
        Ok(filled.signed(&signatures?))
    }

    /// A test copy: the same message under a Message-ID of its own, so that the
    /// real delivery to the same inbox later is not taken for a duplicate.
    pub fn compose_test_copy(&self, email: &str) -> Result<Outgoing, ComposeError> {
        let nonce = hex(&rand::random::<[u8; 8]>());
        let id = format!(
            "test-{nonce}.{}",
            self.keys.message_id(&self.issue_id, email, &self.domain)
        );
        let mut outgoing = self.compose_with_id(email, None, id)?;
        // The plain bounce address: a bounce of a test copy is no reader's.
        outgoing.envelope =
            Envelope::new(Some(self.bounce.clone()), outgoing.envelope.to().to_vec())
                .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok(outgoing)
    }

    /// A reader's copy (their greeting) made for `to` instead: addressed to
    /// `to`, with links for `to` (inert, once [`Composer::for_rehearsal`]),
    /// under a Message-ID of its own, the reader named only in
    /// `X-Verdict-Intended-Recipient` (outside the DKIM signature).
    pub fn compose_redirected(
        &self,
        email: &str,
        name: Option<&str>,
        to: &str,
    ) -> Result<Outgoing, ComposeError> {
        let nonce = hex(&rand::random::<[u8; 8]>());
        let id = format!(
            "redirect-{nonce}.{}",
            self.keys.message_id(&self.issue_id, email, &self.domain)
        );
        let mut outgoing = self.compose_with_id(to, name, id)?;
        // The plain bounce address: a bounce of this copy is no reader's.
        outgoing.envelope =
            Envelope::new(Some(self.bounce.clone()), outgoing.envelope.to().to_vec())
                .map_err(|e| ComposeError::Build(e.to_string()))?;
        let mut bytes = format!("{REDIRECT_HEADER}: {email}\r\n").into_bytes();
        bytes.append(&mut outgoing.bytes);
        outgoing.bytes = bytes;
        Ok(outgoing)
    }

    fn compose_with_id(
        &self,
        email: &str,
        name: Option<&str>,
        message_id: String,
    ) -> Result<Outgoing, ComposeError> {
        let filled = self.fill(email, name, message_id)?;
        if self.dkim.is_none() {
            return Ok(filled.unsigned());
        }
        let signatures = self.signatures(&filled)?;
        Ok(filled.signed(&signatures))
    }

    /// A reader's message, filled in and not signed.
    fn fill(
        &self,
        email: &str,
        name: Option<&str>,
        message_id: String,
    ) -> Result<Filled, ComposeError> {
        let unsubscribe_url = self.unsubscribe_url(email);
        let votes = self.vote_links(email);
        let person = Personalisation {
            name,
            email,
            unsubscribe_url: &unsubscribe_url,
            votes: &votes,
        };
        let address = wire_address(email)?;
        // A name with a line break never reaches a header (`check` reports it).
        let name = name
            .filter(|n| !crate::diagnostic::text::has_control_char(n))
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let to = Mailbox::new(name.map(str::to_string), address.clone());
        let date = self.date.unwrap_or_else(SystemTime::now);
        let list_unsubscribe = self.list_unsubscribe(email, &unsubscribe_url);
        let skeleton = self.skeleton().as_ref().map_err(Clone::clone)?;
        let lines = RecipientLines::new(&to, &message_id, date, &list_unsubscribe);
        let headroom = if self.dkim.is_some() {
            self.signature_len.load(Ordering::Relaxed)
        } else {
            0
        };
        let literals = skeleton.header.literal_len()
            + skeleton.body.literal_len()
            + self.text_body.literal_len()
            + self.html_body.literal_len();
        // Another reader's slots may be longer (a longer address in every link).
        let expected = literals.max(self.message_len.load(Ordering::Relaxed)) + 2048;
        let mut bytes = Vec::with_capacity(headroom + expected);
        bytes.resize(headroom, 0);
        let line = |hole, out: &mut Vec<u8>| {
            out.extend_from_slice(lines.get(hole).unwrap_or_default().as_bytes());
        };
        skeleton.header.fill_into(&mut bytes, line);
        let body_start = bytes.len();
        let mut slots = Vec::new();
        let mut recorded = self.dkim.is_some().then_some(&mut slots);
        skeleton.body.fill_into(&mut bytes, |hole, out| {
            let start = out.len();
            match hole {
                Hole::TextBody => self
                    .text_body
                    .fill_into(&person, out, recorded.as_deref_mut()),
                Hole::HtmlBody => self
                    .html_body
                    .fill_into(&person, out, recorded.as_deref_mut()),
                hole => {
                    line(hole, out);
                    if let Some(slots) = recorded.as_deref_mut() {
                        slots.push(start..out.len());
                    }
                }
            }
        });
        for slot in &mut slots {
            *slot = slot.start - body_start..slot.end - body_start;
        }
        self.message_len
            .fetch_max(bytes.len() - headroom, Ordering::Relaxed);
        let envelope = Envelope::new(Some(self.return_path(email)), vec![address])
            .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok(Filled {
            outgoing: Outgoing {
                message_id,
                envelope,
                bytes,
            },
            headroom,
            body_start,
            slots,
            date,
        })
    }

    /// The DKIM signature fields of a filled message: the body hashed from
    /// the plan (only the reader's slots canonicalised here), the header
    /// fields as filled.
    fn signatures(&self, filled: &Filled) -> Result<Vec<u8>, ComposeError> {
        let Some(dkim) = &self.dkim else {
            return Ok(Vec::new());
        };
        let skeleton = self.skeleton().as_ref().map_err(Clone::clone)?;
        let plan = self.body_plan.get_or_init(|| self.plan(skeleton));
        let body_hash = plan.hash(filled.body(), &filled.slots);
        let time = filled
            .date
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signatures = dkim.sign(filled.header(), &body_hash, time)?;
        self.signature_len
            .store(signatures.len(), Ordering::Relaxed);
        Ok(signatures)
    }

    /// The body as DKIM hashes it: the skeleton's body with each body's
    /// literals and slots in place of its markers.
    fn plan(&self, skeleton: &Skeleton) -> BodyPlan {
        use crate::author::pieces::Piece;
        let mut plan = BodyPlan::default();
        for piece in skeleton.body.iter() {
            let body = match piece {
                Piece::Literal(literal) => {
                    plan.literal(literal);
                    continue;
                }
                Piece::Slot(Hole::TextBody) => &self.text_body,
                Piece::Slot(Hole::HtmlBody) => &self.html_body,
                Piece::Slot(_) => {
                    plan.slot();
                    continue;
                }
            };
            for piece in body.pieces().iter() {
                match piece {
                    Piece::Literal(literal) => plan.literal(literal),
                    Piece::Slot(_) => plan.slot(),
                }
            }
        }
        plan
    }

    fn skeleton(&self) -> &Result<Skeleton, SkeletonError> {
        self.skeleton.get_or_init(|| {
            let placeholder = |what: &str| format!("{what}-{}", self.nonce);
            let to_address = Address::new(placeholder("to"), "placeholder.invalid")
                .map_err(|_| SkeletonError::new("placeholder address"))?;
            let to = Mailbox::new(None, to_address);
            let id = format!("{}@placeholder.invalid", placeholder("id"));
            let unsubscribe = format!("https://placeholder.invalid/{}", placeholder("u"));
            let text_marker = placeholder("VERDICT-TEXT-BODY").into_bytes();
            let html_marker = placeholder("VERDICT-HTML-BODY").into_bytes();
            let lines = RecipientLines::new(&to, &id, SystemTime::UNIX_EPOCH, &unsubscribe);
            let message = self
                .lettre_message(
                    to,
                    &id,
                    SystemTime::UNIX_EPOCH,
                    unsubscribe,
                    text_marker.clone(),
                    html_marker.clone(),
                )
                .map_err(|_| SkeletonError::new("placeholder message"))?;
            Skeleton::cut(&message.formatted(), &lines, &text_marker, &html_marker)
        })
    }

    /// The whole message built by lettre: the reference the skeleton is cut from.
    fn lettre_message(
        &self,
        to: Mailbox,
        message_id: &str,
        date: SystemTime,
        list_unsubscribe: String,
        text: Vec<u8>,
        html: Vec<u8>,
    ) -> Result<lettre::Message, ComposeError> {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .subject(self.subject.clone())
            .raw_header(raw_header("List-Id", self.list_id.clone()))
            .raw_header(raw_header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let pre_encoded =
            |bytes| Body::dangerous_pre_encoded(bytes, ContentTransferEncoding::QuotedPrintable);
        builder
            .to(to)
            .message_id(Some(format!("<{message_id}>")))
            .date(date)
            .raw_header(raw_header("List-Unsubscribe", list_unsubscribe))
            .multipart(
                MultiPart::alternative()
                    .boundary(self.boundary.clone())
                    .singlepart(SinglePart::plain(pre_encoded(text)))
                    .singlepart(SinglePart::html(pre_encoded(html))),
            )
            .map_err(|e| ComposeError::Build(e.to_string()))
    }
}

/// The address as it goes on the wire: a non-ASCII domain in its punycode form
/// (IDNA); a non-ASCII local part stays, for relays that offer SMTPUTF8.
fn wire_address(email: &str) -> Result<Address, ComposeError> {
    let invalid = |reason: String| ComposeError::Address {
        email: email.to_string(),
        reason,
    };
    let (user, domain) = email
        .rsplit_once('@')
        .ok_or_else(|| invalid("no @".into()))?;
    let domain = if domain.is_ascii() {
        domain.to_string()
    } else {
        match url::Host::parse(domain) {
            Ok(url::Host::Domain(ascii)) => ascii,
            _ => {
                return Err(invalid(
                    "the domain is not a valid international name".into(),
                ));
            }
        }
    };
    Address::new(user, domain).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::project::Project;
    use crate::project::layout::Layout;

    pub(crate) fn demo_rendering() -> (Project, Issue, RenderedIssue) {
        let project = Project::load(&Layout::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let path = project
            .find_issue("2026-11-26-axolotl-vs-mistral-medium-3")
            .unwrap();
        let issue = project.load_issue(&path).unwrap().issue;
        let rendered = crate::author::render::render(&issue, project.context());
        (project, issue, rendered)
    }

    fn composer_for(project: &Project, issue: &Issue, rendered: RenderedIssue) -> Composer {
        let keys = Keys::new("unit-test-secret-0123456789", &[]).unwrap();
        Composer::new(&project.config, issue, rendered, keys)
            .with_date(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_683_600))
    }

    fn assert_skeleton_matches_lettre(composer: &Composer) {
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
            let votes = composer.vote_links(email);
            let person = Personalisation {
                name,
                email,
                unsubscribe_url: &url,
                votes: &votes,
            };
            let to = Mailbox::new(name.map(str::to_string), email.parse().unwrap());
            let list_unsubscribe = composer.list_unsubscribe(email, &url);
            let reference = composer
                .lettre_message(
                    to,
                    &fast.message_id,
                    composer.date.unwrap(),
                    list_unsubscribe,
                    composer.text_body.fill(&person),
                    composer.html_body.fill(&person),
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
    fn the_skeleton_path_writes_exactly_what_lettre_builds() {
        let (project, issue, rendered) = demo_rendering();
        assert_skeleton_matches_lettre(&composer_for(&project, &issue, rendered));
    }

    #[test]
    fn subjects_that_look_like_header_lines_or_markers_cannot_fool_the_skeleton() {
        let (project, mut issue, _) = demo_rendering();
        for subject in [
            "Weekly To: to@placeholder.invalid and more",
            "Date: Thu, 01 Jan 1970 00:00:00 +0000",
            "Tools Message-ID: <id@placeholder.invalid> List-Unsubscribe: <https://placeholder.invalid/unsubscribe>",
            "VERDICT-TEXT-BODY VERDICT-HTML-BODY VERDICT-SKELETON-TEXT-BODY",
            &format!(
                "Long subject {} Date: Thu, 01 Jan 1970 00:00:00 +0000",
                "word ".repeat(30)
            ),
        ] {
            issue.subject = subject.to_string();
            let rendered = crate::author::render::render(&issue, project.context());
            let composer = composer_for(&project, &issue, rendered);
            assert_skeleton_matches_lettre(&composer);
            let message = composer.compose("reader@example.com", None).unwrap();
            let parsed = mail_parser::MessageParser::default()
                .parse(&message.bytes)
                .unwrap();
            assert_eq!(parsed.subject(), Some(subject));
            assert_eq!(
                parsed.to().unwrap().first().unwrap().address(),
                Some("reader@example.com")
            );
        }
    }

    fn fixture_signer() -> Arc<DkimSigner> {
        use crate::send::message::dkim::{DkimKey, PrivateKey};
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dkim");
        let key = |file: &str, selector: &str| DkimKey {
            domain: "example.com".into(),
            selector: selector.into(),
            key: PrivateKey::parse(&std::fs::read(fixtures.join(file)).unwrap()).unwrap(),
        };
        Arc::new(DkimSigner::new(vec![
            key("rsa.pem", "rsa"),
            key("ed25519.key", "ed"),
        ]))
    }

    #[test]
    fn a_signed_message_is_the_unsigned_one_after_its_signatures() {
        let (project, mut issue, _) = demo_rendering();
        issue.subject = format!("{} and  a   tail", "Long subject ".repeat(12));
        let rendered = crate::author::render::render(&issue, project.context());
        let unsigned = composer_for(&project, &issue, rendered.clone());
        let signed = composer_for(&project, &issue, rendered).with_dkim(Some(fixture_signer()));
        let signed = signed.with_boundary(unsigned.boundary.clone());
        for (email, name) in [
            ("ml-team@example.com", Some("Équipe  ML")),
            ("readers@example.com", None),
        ] {
            let plain = unsigned.compose(email, name).unwrap().bytes;
            let message = signed.compose(email, name).unwrap().bytes;
            assert!(message.starts_with(b"DKIM-Signature: v=1; a=rsa-sha256;"));
            let first_header = memchr::memmem::find(&message, b"\r\nFrom: ").unwrap() + 2;
            assert_eq!(
                String::from_utf8_lossy(&message[first_header..]),
                String::from_utf8_lossy(&plain)
            );
            let signatures = String::from_utf8(message[..first_header].to_vec()).unwrap();
            assert_eq!(signatures.matches("DKIM-Signature:").count(), 2);
            assert!(signatures.contains("a=ed25519-sha256;"));
            for line in signatures.split("\r\n") {
                assert!(line.len() <= 78, "{line}");
            }
            // The body hash made from the plan is the one of the whole body.
            let (_, body) = crate::send::message::dkim::split(&plain);
            let mut whole = crate::send::message::dkim::RelaxedBody::sha256();
            whole.raw(body);
            use base64::Engine as _;
            let bh = base64::prelude::BASE64_STANDARD.encode(whole.hash());
            assert_eq!(signatures.matches(&format!("bh={bh};")).count(), 2);
        }
        // However much room was left before the header, the message is the same.
        let reference = signed.compose("readers@example.com", None).unwrap().bytes;
        for headroom in [0, 1, 10_000] {
            signed.signature_len.store(headroom, Ordering::Relaxed);
            let message = signed.compose("readers@example.com", None).unwrap().bytes;
            assert_eq!(
                String::from_utf8_lossy(&message),
                String::from_utf8_lossy(&reference)
            );
        }
    }

    #[test]
    fn a_message_is_filled_into_a_buffer_made_big_enough_for_it() {
        let (project, issue, rendered) = demo_rendering();
        let unsigned = composer_for(&project, &issue, rendered.clone());
        let signed = composer_for(&project, &issue, rendered).with_dkim(Some(fixture_signer()));
        let long = |n: usize| format!("reader{n}@{}example.org", "a-long-subdomain.".repeat(12));
        // A buffer that grew while filling has twice the room it needed.
        let roomy = |email: &str, message: &[u8], capacity: usize| {
            assert!(
                capacity * 2 < message.len() * 3,
                "{email}: {} bytes in room for {capacity}",
                message.len()
            );
        };
        for composer in [&unsigned, &signed] {
            // The first message of a run learns how long readers' slots are.
            composer.compose("first@example.com", None).unwrap();
            let message = composer.compose("a@example.com", None).unwrap().bytes;
            roomy("a@example.com", &message, message.capacity());
            // A far longer address than any before may need more room once;
            // the next ones have it, also after a short one.
            composer.compose(&long(1), Some("A Reader")).unwrap();
            for email in ["b@example.com".to_string(), long(2)] {
                let message = composer.compose(&email, Some("A Reader")).unwrap().bytes;
                roomy(&email, &message, message.capacity());
            }
        }
    }

    #[test]
    fn international_domains_go_on_the_wire_as_punycode() {
        let address = wire_address("leser@bücher.example").unwrap();
        assert_eq!(address.to_string(), "leser@xn--bcher-kva.example");
        let address = wire_address("usér@example.com").unwrap();
        assert_eq!(address.user(), "usér");
    }
}
