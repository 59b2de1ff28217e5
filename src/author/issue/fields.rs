//! The keys of an issue file, as the parser, `verdict new`, README's reference
//! and the JSON Schema know them.

use super::MAX_TOOLS;
use crate::project::fields::{Field, Kind, Table};

/// The top level of an issue file.
pub static ROOT: Table = Table {
    name: "issues/YYYY-MM-DD-slug.toml",
    doc: "One issue: a side-by-side comparison of two or three tools.",
    fields: &[
        Field::required(
            "subject",
            Kind::FilledLine,
            "\"Axolotl vs Mistral: which one should you ship with?\"",
            "the Subject line (check warns over 78 characters); also the page's title and the feed entry's",
        ),
        Field::otherwise(
            "kicker",
            Kind::FilledLine,
            "\"AI TOOL COMPARISON\"",
            "\"Open-weight models\"",
            "the line above the title in the email and on the page",
        ),
        Field::otherwise(
            "title",
            Kind::FilledLine,
            "the tools' names and versions, \"Axolotl v0.16 vs Mistral Medium 3 (72B Instruct)\"",
            "\"Axolotl vs Mistral: the rematch\"",
            "the headline of the email and the page",
        ),
        Field::optional(
            "preheader",
            Kind::Line,
            "\"Two tools, one panel, five verdicts.\"",
            "the preview line inboxes show after the subject",
        ),
        Field::required(
            "intro",
            Kind::Markdown,
            "\"This week: two tools that promise the same thing.\"",
            "the opening paragraphs",
        ),
        Field::optional(
            "send_at",
            Kind::Datetime,
            "2026-11-26T09:00:00+01:00",
            "when `verdict send` may send it; absent, the issue is a draft",
        ),
        Field::optional(
            "not_after",
            Kind::Datetime,
            "2026-11-27T09:00:00+01:00",
            "the send window closes: past it, nobody still pending gets the issue (recorded as expired)",
        ),
        Field::optional(
            "bottom_line",
            Kind::Markdown,
            "\"Ship with Axolotl if you build agents; wait on Mistral.\"",
            "the closing verdict",
        ),
        Field::tables("tool", &TOOL, 2, Some(MAX_TOOLS)),
    ],
};

/// A tool's logo, in an issue's `[[tool]]` and in its profile alike.
const LOGO: Field = Field::optional(
    "logo",
    Kind::Text,
    "\"https://axolotl.example.com/logo.svg\"",
    "a file in tools/ (.svg, .png, .jpg, .webp or .gif) or an https:// address of an image",
);

/// `[[tool]]`.
pub static TOOL: Table = Table {
    name: "[[tool]]",
    doc: "one per tool compared",
    fields: &[
        Field::optional(
            "tool",
            Kind::Id,
            "\"axolotl\"",
            "the id of its profile in tools/ (tools/ID.toml): the fields the profile gives may be left out here, and any written here wins for this issue",
        ),
        Field::otherwise(
            "name",
            Kind::FilledLine,
            "its profile's when `tool` names one (else required)",
            "\"Axolotl\"",
            "the tool's name",
        ),
        Field::optional(
            "version",
            Kind::Line,
            "\"v0.16\"",
            "shown after the name; several words are shown in parentheses",
        ),
        Field::otherwise(
            "category",
            Kind::FilledLine,
            "its profile's when `tool` names one (else required)",
            "\"Developer Tools\"",
            "the tool's category",
        ),
        Field::otherwise(
            "tagline",
            Kind::FilledLine,
            "its profile's when `tool` names one (else required)",
            "\"Fine-tuning without the yak shaving\"",
            "a one-line pitch",
        ),
        Field::otherwise(
            "pricing",
            Kind::FilledLine,
            "its profile's when `tool` names one (else required)",
            "\"Free\"",
            "the entry pricing tier: \"Free\", \"Paid\", \"Freemium\", …",
        ),
        Field::otherwise(
            "link",
            Kind::WebUrl,
            "its profile's when `tool` names one (else required)",
            "\"https://axolotl.example.com\"",
            "the tool's web address",
        ),
        LOGO,
        Field::required(
            "description",
            Kind::Markdown,
            "\"What it is and why it matters.\"",
            "what the tool is and why it matters",
        ),
        Field::otherwise(
            "community_vote",
            Kind::Number {
                min: 0.0,
                max: 100.0,
            },
            "the readers' tally once it has [community] min_votes votes, else \"—\"",
            "62",
            "the community vote in percent, overriding the readers' tally",
        ),
        Field::tables("review", &REVIEW, 1, None),
    ],
};

/// `[[tool.review]]`.
pub static REVIEW: Table = Table {
    name: "[[tool.review]]",
    doc: "one per panelist who reviewed the tool",
    fields: &[
        Field::required(
            "reviewer",
            Kind::Id,
            "\"skeptic\"",
            "a panelist's id from templates/panel.toml",
        ),
        Field::required(
            "verdict",
            Kind::Choice {
                options: &["ship", "skip"],
                any_case: true,
            },
            "\"ship\"",
            "would the panelist ship with it? The ship percentage and the split (3–1) are computed from these",
        ),
        Field::required(
            "quote",
            Kind::Text,
            "\"Solid defaults; the docs lag behind.\"",
            "the panelist's words",
        ),
    ],
};

/// A tool profile, `tools/ID.toml`: what stays true of a tool from issue to issue.
pub static PROFILE: Table = Table {
    name: "tools/ID.toml",
    doc: "One tool profile: an issue's [[tool]] names it with tool = \"ID\" and writes only what differs.",
    fields: &[
        Field::required("name", Kind::FilledLine, "\"Axolotl\"", "the tool's name"),
        Field::optional(
            "category",
            Kind::FilledLine,
            "\"Developer Tools\"",
            "the tool's category: it has a page of its own on the site",
        ),
        Field::optional(
            "tagline",
            Kind::FilledLine,
            "\"Fine-tuning without the yak shaving\"",
            "a one-line pitch",
        ),
        Field::optional(
            "pricing",
            Kind::FilledLine,
            "\"Free\"",
            "the entry pricing tier: \"Free\", \"Paid\", \"Freemium\", …",
        ),
        Field::optional(
            "link",
            Kind::WebUrl,
            "\"https://axolotl.example.com\"",
            "the tool's web address",
        ),
        LOGO,
    ],
};
