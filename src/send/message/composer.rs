//! Builds each recipient's message from one rendering of an issue: the shared
//! headers and encoded bodies made once, the per-recipient lines and slots filled.

use std::sync::OnceLock;
use std::time::SystemTime;

use lettre::Address;
use lettre::address::Envelope;
use lettre::message::dkim::DkimConfig;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use super::body::EncodedBody;
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
}

/// The header naming the reader a redirected copy was made for.
pub const REDIRECT_HEADER: &str = "X-Verdict-Intended-Recipient";

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
    reply_to: Option<Mailbox>,
    list_id: String,
    list_unsubscribe_mailto: String,
    domain: String,
    date: Option<SystemTime>,
    /// One MIME boundary per issue: random unless pinned.
    boundary: String,
    /// Makes the skeleton's placeholders and markers unguessable.
    nonce: String,
    dkim: Option<DkimConfig>,
    skeleton: OnceLock<Result<Skeleton, SkeletonError>>,
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
            reply_to: config.reply_to.clone(),
            list_id: list_id(config),
            list_unsubscribe_mailto: config.unsubscribe_mailto.to_string(),
            domain: config.sender_domain(),
            date: None,
            boundary: format!("verdict-{:032x}", rand::random::<u128>()),
            nonce: format!("{:032x}", rand::random::<u128>()),
            dkim: None,
            skeleton: OnceLock::new(),
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
        self
    }

    pub fn with_dkim(mut self, dkim: Option<DkimConfig>) -> Self {
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

    /// The message for one recipient; `email` is normalised.
    pub fn compose(&self, email: &str, name: Option<&str>) -> Result<Outgoing, ComposeError> {
        self.compose_with_id(
            email,
            name,
            self.keys.message_id(&self.issue_id, email, &self.domain),
        )
    }

    /// A test copy: the same message under a Message-ID of its own, so that the
    /// real delivery to the same inbox later is not taken for a duplicate.
    pub fn compose_test_copy(&self, email: &str) -> Result<Outgoing, ComposeError> {
        let nonce = hex(&rand::random::<[u8; 8]>());
        let id = format!(
            "test-{nonce}.{}",
            self.keys.message_id(&self.issue_id, email, &self.domain)
        );
        self.compose_with_id(email, None, id)
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
        if let Some(dkim) = &self.dkim {
            // Signing needs lettre's message; the signature costs far more than building it.
            let mut message = self.lettre_message(
                to,
                &message_id,
                date,
                list_unsubscribe,
                self.text_body.fill(&person),
                self.html_body.fill(&person),
            )?;
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
            skeleton.pieces.literal_len()
                + self.text_body.literal_len()
                + self.html_body.literal_len()
                + 2048,
        );
        skeleton
            .pieces
            .fill_into(&mut bytes, |hole, out| match hole {
                Hole::TextBody => self.text_body.fill_into(&person, out),
                Hole::HtmlBody => self.html_body.fill_into(&person, out),
                hole => out.extend_from_slice(lines.get(hole).unwrap_or_default().as_bytes()),
            });
        let envelope = Envelope::new(Some(self.from.email.clone()), vec![address])
            .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok(Outgoing {
            message_id,
            envelope,
            bytes,
        })
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

    /// The whole message built by lettre: the reference the skeleton is cut from,
    /// and what DKIM signs.
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

    #[test]
    fn international_domains_go_on_the_wire_as_punycode() {
        let address = wire_address("leser@bücher.example").unwrap();
        assert_eq!(address.to_string(), "leser@xn--bcher-kva.example");
        let address = wire_address("usér@example.com").unwrap();
        assert_eq!(address.user(), "usér");
    }
}
