//! The issue model: one weekly comparison of two or more tools, with the panel's
//! reviews and the arithmetic derived from them.

pub mod fields;
mod parse;
pub mod profile;

use chrono::{DateTime, FixedOffset, NaiveDate};
use sha2::Digest;

pub use crate::author::markdown::Markdown;
pub use crate::diagnostic::table_reader::Located;
pub use parse::{ParsedIssue, parse_file_name};
pub use profile::{ToolLogo, ToolProfile, ToolProfiles};

use crate::project::templates::Roster;

/// What an issue file names by id: the panelists of the roster and the tool
/// profiles.
#[derive(Debug, Clone, Copy)]
pub struct Catalog<'a> {
    pub roster: &'a Roster,
    pub tools: &'a ToolProfiles,
}

/// The kicker above an issue's title when its file sets none.
pub const DEFAULT_KICKER: &str = "AI tool comparison";

/// How `verdict new` marks the text an editor must write: "TODO: …", and a
/// link to the reserved host `todo.invalid`.
pub const PLACEHOLDER: &str = "TODO: ";
/// A link `verdict new` leaves for the editor to replace.
pub const PLACEHOLDER_LINK: &str = "https://todo.invalid/";
/// How messages describe the placeholders.
const PLACEHOLDER_HINT: &str = "\"TODO: …\" and https://todo.invalid/";

/// Whether a value is one of `verdict new`'s placeholders.
pub fn is_placeholder(text: &str) -> bool {
    let text = text.trim();
    text.starts_with(PLACEHOLDER.trim_end())
        || text.starts_with(PLACEHOLDER_LINK.trim_end_matches('/'))
}

/// The most tools one issue compares; more would not fit side by side at 600 px.
pub const MAX_TOOLS: usize = 3;

/// A validated issue, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The file stem, `YYYY-MM-DD-slug`: the issue's identity in the ledger and IDs.
    pub id: String,
    /// The date in the file name, shown in the header.
    pub date: NaiveDate,
    pub subject: String,
    /// The line above the title; `None` is [`DEFAULT_KICKER`].
    pub kicker: Option<String>,
    /// The headline; `None` is the tools' names, "A v1 vs B v2".
    pub headline: Option<String>,
    /// The inbox preview line.
    pub preheader: Option<String>,
    pub intro: Markdown,
    /// When the issue is due; `None` is a draft.
    pub send_at: Option<Located<DateTime<FixedOffset>>>,
    /// Past this moment nobody still waiting gets the issue (the send window).
    pub not_after: Option<Located<DateTime<FixedOffset>>>,
    pub bottom_line: Option<Markdown>,
    pub tools: Vec<Tool>,
}

/// One tool under comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    /// The id of the profile in `tools/` the issue named, if any.
    pub profile: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub category: String,
    pub tagline: String,
    /// The entry pricing tier as the vendor states it: Free, Paid, Freemium, …
    pub pricing: String,
    pub link: String,
    pub logo: Option<ToolLogo>,
    pub description: Markdown,
    /// Readers' vote in percent; `None` renders as "—".
    pub community_vote: Option<f64>,
    pub reviews: Vec<Review>,
}

/// One panelist's verdict on one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// A panelist id from `templates/panel.toml`.
    pub reviewer: String,
    pub verdict: Verdict,
    pub quote: String,
}

/// Would the panelist ship with this tool?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ship,
    Skip,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ship => "Ship",
            Verdict::Skip => "Skip",
        }
    }
}

impl Tool {
    /// Name and version, as headings show it: "Axolotl v0.16", and a version of
    /// several words in parentheses, "Mistral Medium 3 (72B Instruct)".
    pub fn display_name(&self) -> String {
        match self.version_label() {
            Some(version) => format!("{} {version}", self.name),
            None => self.name.clone(),
        }
    }

    /// The version as it follows the name everywhere: "v0.16", or a version of
    /// several words in parentheses, "(72B Instruct)".
    pub fn version_label(&self) -> Option<String> {
        match &self.version {
            Some(version) if version.contains(char::is_whitespace) => Some(format!("({version})")),
            Some(version) => Some(version.clone()),
            None => None,
        }
    }

    pub fn ship_count(&self) -> usize {
        self.reviews
            .iter()
            .filter(|r| r.verdict == Verdict::Ship)
            .count()
    }

    pub fn skip_count(&self) -> usize {
        self.reviews.len() - self.ship_count()
    }

    /// The panel's ship share in whole percent, rounded half up.
    pub fn ship_percent(&self) -> u32 {
        let total = self.reviews.len();
        if total == 0 {
            return 0;
        }
        ((self.ship_count() * 200 + total) / (total * 2)) as u32
    }

    /// The reviewer split as "ship–skip", e.g. "3–1".
    pub fn split(&self) -> String {
        format!("{}\u{2013}{}", self.ship_count(), self.skip_count())
    }

    /// The community vote as shown: "62%" or "—".
    pub fn community_label(&self) -> String {
        match self.community_vote {
            Some(vote) => format!("{}%", format_percent(vote)),
            None => "\u{2014}".to_string(),
        }
    }

    pub fn review_by(&self, reviewer: &str) -> Option<&Review> {
        self.reviews.iter().find(|r| r.reviewer == reviewer)
    }

    /// Who the tool is across issues: its profile id, or else its name as a
    /// slug (so that a tool written out in full joins its profile of that id).
    pub fn key(&self) -> String {
        match &self.profile {
            Some(id) => id.clone(),
            None => match slugify(&self.name) {
                slug if slug.is_empty() => format!(
                    "tool-{}",
                    crate::store::tokens::hex(&sha2::Sha256::digest(self.name.as_bytes())[..6])
                ),
                slug => slug,
            },
        }
    }
}

/// Lowercase ASCII words joined by `-`: issue slugs and List-Id labels.
pub fn slugify(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// A percentage without a trailing ".0".
fn format_percent(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

impl Issue {
    /// The headline: the file's `title`, or else "A v1 vs B v2".
    pub fn title(&self) -> String {
        match &self.headline {
            Some(title) => title.clone(),
            None => self
                .tools
                .iter()
                .map(Tool::display_name)
                .collect::<Vec<_>>()
                .join(" vs "),
        }
    }

    /// The line above the title.
    pub fn kicker(&self) -> &str {
        self.kicker.as_deref().unwrap_or(DEFAULT_KICKER)
    }

    /// Whether its send time has come by `now`, which makes it due to send.
    /// (What is published is the project's to say: an issue sent early with
    /// `--now` is out too; see `Project::is_published`.)
    pub fn is_due(&self, now: DateTime<chrono::Utc>) -> bool {
        self.send_time().is_some_and(|at| at <= now)
    }

    /// Reviewer ids in roster order, each once, for the scorecard rows.
    pub fn reviewers<'r>(
        &self,
        roster: &'r Roster,
    ) -> Vec<&'r crate::project::templates::Panelist> {
        roster
            .panelists
            .iter()
            .filter(|p| {
                self.tools
                    .iter()
                    .any(|t| t.review_by(p.id.get_ref()).is_some())
            })
            .collect()
    }

    pub fn send_time(&self) -> Option<DateTime<FixedOffset>> {
        self.send_at.as_ref().map(|s| s.value)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn tool_with(verdicts: &[Verdict]) -> Tool {
        tool("T", "c", verdicts, None)
    }

    /// A tool with one review per verdict, for tests.
    pub(crate) fn tool(
        name: &str,
        category: &str,
        verdicts: &[Verdict],
        community_vote: Option<f64>,
    ) -> Tool {
        Tool {
            profile: None,
            name: name.into(),
            version: None,
            category: category.into(),
            tagline: "t".into(),
            pricing: "Free".into(),
            link: "https://example.com".into(),
            logo: None,
            description: Markdown::default(),
            community_vote,
            reviews: verdicts
                .iter()
                .enumerate()
                .map(|(i, v)| Review {
                    reviewer: format!("r{i}"),
                    verdict: *v,
                    quote: "q".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn three_ship_one_skip_is_75_percent_and_3_1() {
        use Verdict::*;
        let tool = tool_with(&[Ship, Skip, Ship, Ship]);
        assert_eq!(tool.ship_percent(), 75);
        assert_eq!(tool.split(), "3\u{2013}1");
    }

    #[test]
    fn percent_rounds_half_up() {
        use Verdict::*;
        assert_eq!(tool_with(&[Ship, Skip, Skip]).ship_percent(), 33);
        assert_eq!(tool_with(&[Ship, Ship, Skip]).ship_percent(), 67);
        assert_eq!(tool_with(&[Ship, Skip]).ship_percent(), 50);
        assert_eq!(tool_with(&[Skip, Skip]).ship_percent(), 0);
        assert_eq!(tool_with(&[Ship]).ship_percent(), 100);
    }

    #[test]
    fn slugs_are_lowercase_ascii_words() {
        assert_eq!(
            slugify("Axolotl vs Mistral Medium 3 (72B)"),
            "axolotl-vs-mistral-medium-3-72b"
        );
        assert_eq!(slugify("  Ünïcode -- Tool "), "n-code-tool");
    }

    #[test]
    fn community_vote_absent_is_a_dash() {
        let mut tool = tool_with(&[Verdict::Ship]);
        assert_eq!(tool.community_label(), "\u{2014}");
        tool.community_vote = Some(62.0);
        assert_eq!(tool.community_label(), "62%");
        tool.community_vote = Some(62.5);
        assert_eq!(tool.community_label(), "62.5%");
    }
}
