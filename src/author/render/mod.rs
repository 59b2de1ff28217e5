//! Rendering an issue once into an HTML and a text template whose per-recipient
//! parts (greeting, unsubscribe link) are slots, filled cheaply for each reader.
//! Links to the tools are the same for every reader: counted links through
//! `verdict serve` (`[community] count_clicks`) or the tools' own, written in once.

mod html;
mod text;

use std::fmt::Write as _;

use crate::author::pieces::{Piece, Pieces};

use crate::author::issue::{Issue, MAX_TOOLS, Verdict};
use crate::project::config::Config;
use crate::project::templates::{Greeting, Roster, Theme};
use crate::store::tokens::{ClickFrom, Keys};

pub use text::WIDTH as TEXT_WIDTH;

/// Gmail clips messages whose HTML is larger than this many bytes.
pub const GMAIL_CLIP_BYTES: usize = 102 * 1024;

/// A part of the email that differs per recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// "Hi Name," or "Hi there,".
    Greeting,
    /// The recipient's address, in the footer's "sent to".
    Email,
    /// The recipient's signed one-click unsubscribe address.
    UnsubscribeUrl,
    /// The recipient's signed link to vote on a tool (by its place).
    Vote(u8, Verdict),
}

impl Slot {
    /// A number for the slot, as markers carry it.
    fn index(self) -> usize {
        match self {
            Slot::Greeting => 0,
            Slot::Email => 1,
            Slot::UnsubscribeUrl => 2,
            Slot::Vote(tool, verdict) => {
                3 + 2 * usize::from(tool) + usize::from(verdict == Verdict::Skip)
            }
        }
    }

    fn from_index(index: usize) -> Option<Slot> {
        match index {
            0 => Some(Slot::Greeting),
            1 => Some(Slot::Email),
            2 => Some(Slot::UnsubscribeUrl),
            n if n < 3 + 2 * MAX_TOOLS => {
                let verdict = if (n - 3) % 2 == 0 {
                    Verdict::Ship
                } else {
                    Verdict::Skip
                };
                u8::try_from((n - 3) / 2)
                    .ok()
                    .map(|tool| Slot::Vote(tool, verdict))
            }
            _ => None,
        }
    }
}

/// What fills the slots for one recipient.
#[derive(Debug, Clone)]
pub struct Personalisation<'a> {
    pub name: Option<&'a str>,
    pub email: &'a str,
    pub unsubscribe_url: &'a str,
    /// Per tool, the ship and skip links (empty when the newsletter has no site).
    pub votes: &'a [(String, String)],
}

impl Personalisation<'_> {
    /// The text a slot takes for this recipient (not escaped), greeting them
    /// as `greeting` says.
    pub fn value(&self, slot: Slot, greeting: &Greeting) -> std::borrow::Cow<'_, str> {
        match slot {
            Slot::Greeting => greeting.for_name(self.name).into(),
            Slot::Email => self.email.into(),
            Slot::UnsubscribeUrl => self.unsubscribe_url.into(),
            Slot::Vote(tool, verdict) => self
                .votes
                .get(usize::from(tool))
                .map(|(ship, skip)| match verdict {
                    Verdict::Ship => ship.as_str(),
                    Verdict::Skip => skip.as_str(),
                })
                .unwrap_or_default()
                .into(),
        }
    }
}

/// Rendered output with slots for the personal parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Pieces<String, Slot>,
    /// The same with every tool linked directly, when readers get counted
    /// links: what the issue's content is, whatever signs the links.
    direct: Option<Pieces<String, Slot>>,
    escape_html: bool,
    greeting: Greeting,
}

/// Where a link to one tool leads: its own address, and what readers get.
#[derive(Debug, Clone)]
struct ToolLink {
    direct: String,
    shown: String,
}

/// Marks where slots go while rendering. The nonce makes it impossible for an
/// editor's text to fake a slot.
struct Markers {
    nonce: String,
}

impl Markers {
    fn new() -> Self {
        Markers {
            nonce: format!("{:032x}", rand::random::<u128>()),
        }
    }

    fn marker(&self, slot: Slot) -> String {
        format!("\u{1}{}:{}\u{1}", self.nonce, slot.index())
    }

    /// Where the link to the tool at `index` goes (written in when split).
    fn tool_link(&self, index: usize) -> String {
        format!("\u{1}{}:t{index}\u{1}", self.nonce)
    }

    fn split(
        &self,
        rendered: &str,
        escape_html: bool,
        greeting: &Greeting,
        links: &[ToolLink],
    ) -> Template {
        let escaped = |text: &str| {
            if escape_html {
                self::escape_html(text)
            } else {
                text.to_string()
            }
        };
        // The reader's pieces and the directly linked ones, side by side.
        let (mut shown, mut direct) = (Vec::new(), Vec::new());
        let (mut shown_text, mut direct_text) = (String::new(), String::new());
        let mut rest = rendered;
        let prefix = format!("\u{1}{}:", self.nonce);
        while let Some(start) = rest.find(&prefix) {
            let after = &rest[start + prefix.len()..];
            let Some(end) = after.find('\u{1}') else {
                break;
            };
            shown_text.push_str(&rest[..start]);
            direct_text.push_str(&rest[..start]);
            let tag = &after[..end];
            let link = tag
                .strip_prefix('t')
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| links.get(n));
            if let Some(link) = link {
                shown_text.push_str(&escaped(&link.shown));
                direct_text.push_str(&escaped(&link.direct));
            } else if let Some(slot) = tag.parse::<usize>().ok().and_then(Slot::from_index) {
                shown.push(Piece::Literal(std::mem::take(&mut shown_text)));
                direct.push(Piece::Literal(std::mem::take(&mut direct_text)));
                shown.push(Piece::Slot(slot));
                direct.push(Piece::Slot(slot));
            }
            rest = &after[end + 1..];
        }
        shown_text.push_str(rest);
        direct_text.push_str(rest);
        shown.push(Piece::Literal(shown_text));
        direct.push(Piece::Literal(direct_text));
        let (pieces, direct) = (Pieces::new(shown), Pieces::new(direct));
        Template {
            direct: (direct != pieces).then_some(direct),
            pieces,
            escape_html,
            greeting: greeting.clone(),
        }
    }
}

impl Template {
    /// What a slot holds for one recipient, escaped for HTML when this is HTML.
    pub fn slot_value<'p>(
        &self,
        slot: Slot,
        person: &'p Personalisation<'_>,
    ) -> std::borrow::Cow<'p, str> {
        let value = person.value(slot, &self.greeting);
        if self.escape_html {
            escape_html(&value).into()
        } else {
            value
        }
    }

    /// The output for one recipient.
    pub fn fill(&self, person: &Personalisation<'_>) -> String {
        self.fill_pieces(&self.pieces, person)
    }

    /// The output for one recipient with every tool linked directly.
    fn fill_direct(&self, person: &Personalisation<'_>) -> String {
        self.fill_pieces(self.direct.as_ref().unwrap_or(&self.pieces), person)
    }

    fn fill_pieces(&self, pieces: &Pieces<String, Slot>, person: &Personalisation<'_>) -> String {
        let mut out = Vec::with_capacity(pieces.literal_len() + 256);
        pieces.fill_into(&mut out, |slot, out| {
            out.extend_from_slice(self.slot_value(slot, person).as_bytes());
        });
        // Literals are rendered text and slot values are strings: all UTF-8.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The literal text and the slots, for encoders that pre-process the literals
    /// once per issue.
    pub fn pieces(&self) -> &Pieces<String, Slot> {
        &self.pieces
    }
}

/// Escapes text for HTML, as the templates do.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let _ = maud::Escaper::new(&mut out).write_str(text);
    out
}

/// An issue rendered once, for every recipient.
#[derive(Debug, Clone)]
pub struct RenderedIssue {
    pub html: Template,
    pub text: Template,
}

/// Everything rendering needs besides the issue.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub config: &'a Config,
    pub theme: &'a Theme,
    pub roster: &'a Roster,
    /// The keys that sign counted links to the tools; without them (or
    /// without `count_clicks` or a site) tools are linked directly.
    pub clicks: Option<&'a Keys>,
}

/// Renders an issue's HTML and text once.
pub fn render(issue: &Issue, context: Context<'_>) -> RenderedIssue {
    let markers = Markers::new();
    let html = html::render(issue, context, &markers);
    let text = text::render(issue, context, &markers);
    let counted = context
        .clicks
        .filter(|_| context.config.community.count_clicks)
        .zip(context.config.site_root());
    let links: Vec<ToolLink> = issue
        .tools
        .iter()
        .enumerate()
        .map(|(index, tool)| ToolLink {
            direct: tool.link.clone(),
            shown: counted.as_ref().map_or_else(
                || tool.link.clone(),
                |(keys, site)| keys.click_url(site, &issue.id, index, ClickFrom::Email),
            ),
        })
        .collect();
    RenderedIssue {
        html: markers.split(&html, true, &context.theme.greeting, &links),
        text: markers.split(&text, false, &context.theme.greeting, &links),
    }
}

/// A hash of what an issue renders to (for a fixed reader, its tools linked
/// directly, so that neither the setting nor the key that signs counted links
/// changes it), recorded when it starts sending so that an edit made
/// afterwards can be noticed.
pub fn fingerprint(rendered: &RenderedIssue) -> String {
    use sha2::{Digest, Sha256};
    let person = Personalisation {
        name: None,
        email: "reader@example.invalid",
        unsubscribe_url: "https://example.invalid/unsubscribe",
        votes: &[],
    };
    let digest = Sha256::new()
        .chain_update(rendered.html.fill_direct(&person))
        .chain_update(rendered.text.fill_direct(&person))
        .finalize();
    crate::store::tokens::hex(&digest[..16])
}

/// The address of the web copy of an issue, when the newsletter has a site.
pub fn web_url(config: &Config, issue: &Issue) -> Option<String> {
    let base = config.base_url.as_ref()?.as_str().trim_end_matches('/');
    Some(format!("{base}/issues/{}.html", issue.id))
}

/// "26 November 2026".
fn long_date(issue: &Issue) -> String {
    issue.date.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_every_slot_and_escapes_html() {
        let markers = Markers::new();
        let rendered = format!(
            "<p>{}</p><a href=\"{}\">{}</a>",
            markers.marker(Slot::Greeting),
            markers.marker(Slot::UnsubscribeUrl),
            markers.marker(Slot::Email)
        );
        let template = markers.split(&rendered, true, &Greeting::default(), &[]);
        let person = Personalisation {
            name: Some("Ana <b>&"),
            email: "a@example.com",
            unsubscribe_url: "https://x.example/u?a=1&b=2",
            votes: &[],
        };
        assert_eq!(
            template.fill(&person),
            "<p>Hi Ana &lt;b&gt;&amp;,</p><a href=\"https://x.example/u?a=1&amp;b=2\">a@example.com</a>"
        );
        let person = Personalisation {
            name: None,
            ..person
        };
        assert!(template.fill(&person).starts_with("<p>Hi there,</p>"));
    }

    #[test]
    fn tools_go_through_the_counter_only_when_counting_and_the_fingerprint_stays_the_contents() {
        use crate::project::Project;
        use crate::project::layout::Layout;
        let project = Project::load(&Layout::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let path = project
            .find_issue("2026-11-26-axolotl-vs-mistral-medium-3")
            .unwrap();
        let issue = project.load_issue(&path).unwrap().issue;
        let keys = Keys::new("render-test-secret-0123456789", &[]).unwrap();
        let other = Keys::new("another-render-secret-0123456789", &[]).unwrap();
        let person = Personalisation {
            name: None,
            email: "a@example.com",
            unsubscribe_url: "https://verdicts.example.com/unsubscribe",
            votes: &[],
        };
        let counted = render(&issue, project.context_signed_by(Some(&keys)));
        let html = counted.html.fill(&person);
        let text = counted.text.fill(&person);
        let go = "https://verdicts.example.com/go?i=2026-11-26-axolotl-vs-mistral-medium-3";
        assert!(
            html.contains(&format!("href=\"{go}&amp;n=1&amp;t={}.", keys.key_id())),
            "{html}"
        );
        assert!(text.contains(&format!("Visit Mistral Medium 3: {go}&n=1&t=")));
        assert!(!html.contains("https://mistral.ai") && !text.contains("https://mistral.ai"));

        let direct = render(&issue, project.context_signed_by(None));
        assert!(
            direct
                .html
                .fill(&person)
                .contains("href=\"https://mistral.ai\"")
        );
        let resigned = render(&issue, project.context_signed_by(Some(&other)));
        assert_eq!(fingerprint(&counted), fingerprint(&direct));
        assert_eq!(fingerprint(&counted), fingerprint(&resigned));
        let mut moved = issue.clone();
        moved.tools[1].link = "https://mistral.ai/news".into();
        let moved = render(&moved, project.context_signed_by(Some(&keys)));
        assert_ne!(
            fingerprint(&moved),
            fingerprint(&counted),
            "a new link is an edit"
        );

        let mut config = project.config.clone();
        config.community.count_clicks = false;
        let off = Context {
            config: &config,
            ..project.context_signed_by(Some(&keys))
        };
        assert_eq!(render(&issue, off).html, direct.html);
        config.community.count_clicks = true;
        config.base_url = None;
        let no_site = Context {
            config: &config,
            ..project.context_signed_by(Some(&keys))
        };
        assert!(!render(&issue, no_site).text.fill(&person).contains("/go?"));
    }

    #[test]
    fn text_that_looks_like_a_marker_without_the_nonce_stays_text() {
        let markers = Markers::new();
        let rendered = "before \u{1}0000000000000000:0\u{1} after";
        let template = markers.split(rendered, false, &Greeting::default(), &[]);
        let person = Personalisation {
            name: Some("X"),
            email: "x@example.com",
            unsubscribe_url: "u",
            votes: &[],
        };
        assert_eq!(template.fill(&person), rendered);
    }
}
