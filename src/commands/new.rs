//! `verdict new`: scaffold the next issue file with every field, a comment on
//! each from its definition, placeholders where the editor's words go, and what
//! the tool profiles in `tools/` know.

use std::fmt::Write as _;

use chrono::{Days, NaiveDate};

use crate::author::issue::{
    PLACEHOLDER, PLACEHOLDER_LINK, ToolProfile, fields, parse_file_name, slugify,
};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::fields::Table;
use crate::project::layout::Layout;
use crate::project::reference::{FileKind, SCHEMA_DIR};

/// Scaffold the next issue comparing two (or three) tools. A tool given by its
/// profile id in tools/ (or its profile's name) is filled from the profile.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tools to compare: profile ids (`verdict new axolotl mistral-medium-3`)
    /// or names of tools without a profile (`verdict new Axolotl "Mistral Medium 3"`).
    #[arg(required = true, num_args = 2..=crate::author::issue::MAX_TOOLS, value_name = "TOOL")]
    pub tools: Vec<String>,
    /// The issue date (YYYY-MM-DD); by default a week after the latest issue, or today.
    #[arg(long)]
    pub date: Option<NaiveDate>,
}

pub(crate) fn execute(layout: &Layout, args: Args) -> Result<()> {
    let project = Project::load(layout)?;
    let today = chrono::Local::now().date_naive();
    let date = match args.date {
        Some(date) => date,
        None => next_date(&project, today)?,
    };
    let tools: Vec<NewTool<'_>> = args
        .tools
        .iter()
        .map(|given| match project.tools.get(given).or_else(|| project.tools.named(given)) {
            Some(profile) => NewTool::Profile(profile),
            None => {
                if let Some(near) = crate::diagnostic::suggest(given, project.tools.ids()) {
                    crate::say!(
                        "note: no profile `{given}` in tools/ (did you mean `{near}`?); its fields are left to fill in"
                    );
                }
                NewTool::Named(given)
            }
        })
        .collect();
    for (i, tool) in tools.iter().enumerate() {
        if let Some(earlier) = tools[..i].iter().position(|other| other.is_same(tool)) {
            return Err(Error::Usage(format!(
                "`{}` and `{}` are the same tool ({}): a comparison needs different tools",
                args.tools[earlier],
                args.tools[i],
                tool.name()
            )));
        }
    }
    let names: Vec<&str> = tools.iter().map(NewTool::name).collect();
    let slug = slugify(&names.join(" vs "));
    if slug.is_empty() {
        return Err(Error::Usage(
            "the tool names need at least one letter or digit".into(),
        ));
    }
    let file_name = format!("{date}-{slug}.toml");
    parse_file_name(&file_name).map_err(Error::Usage)?;
    let path = layout.issues_dir().join(&file_name);
    if path.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; edit it, or pick another --date",
            layout.display(&path)
        )));
    }
    let ids: Vec<&str> = project.roster.ids().collect();
    // The schema line only where the schema is, so that no editor looks for a missing file.
    let issue_kind = FileKind::of("issues/");
    let schema = issue_kind
        .filter(|kind| layout.root().join(SCHEMA_DIR).join(kind.schema).is_file())
        .map(FileKind::schema_line);
    crate::store::fs::write_atomic(&path, scaffold(&tools, &ids, schema.as_deref()).as_bytes())?;
    crate::say!("{}", layout.display(&path));
    Ok(())
}

/// A week after the latest issue, but never before today.
fn next_date(project: &Project, today: NaiveDate) -> Result<NaiveDate> {
    let latest = project
        .issue_paths()?
        .iter()
        .filter_map(|p| {
            p.file_name()?
                .to_str()
                .and_then(|n| parse_file_name(n).ok())
        })
        .map(|(_, date)| date)
        .max();
    Ok(latest
        .and_then(|d| d.checked_add_days(Days::new(7)))
        .filter(|d| *d > today)
        .unwrap_or(today))
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A tool of the new issue: a profile, or only a name.
enum NewTool<'a> {
    Profile(&'a ToolProfile),
    Named(&'a str),
}

impl NewTool<'_> {
    fn name(&self) -> &str {
        match self {
            NewTool::Profile(profile) => &profile.name,
            NewTool::Named(name) => name,
        }
    }

    /// The same profile, or the same name in any case, as `check` sees it.
    fn is_same(&self, other: &NewTool<'_>) -> bool {
        if let (NewTool::Profile(a), NewTool::Profile(b)) = (self, other)
            && a.id == b.id
        {
            return true;
        }
        self.name().trim().to_lowercase() == other.name().trim().to_lowercase()
    }
}

/// A line `key = value` for a field: commented out when the profile gives it
/// (uncommented, it changes it for this issue only), else `blank` to fill in.
fn field(out: &mut String, key: &str, doc: &str, from_profile: Option<&str>, blank: &str) {
    let _ = writeln!(out, "{doc}");
    match from_profile {
        Some(value) => {
            let _ = writeln!(out, "# {key} = {}", quoted(value));
        }
        None => {
            let _ = writeln!(out, "{key} = {blank}");
        }
    }
}

/// A comment line from a key's definition: what README says of it.
fn comment(table: &Table, key: &str) -> String {
    let doc = table.field(key).map_or("", |f| f.doc);
    let mut doc = doc.to_string();
    if let Some(first) = doc.get(..1) {
        doc.replace_range(..1, &first.to_uppercase());
    }
    if !doc.ends_with(['.', '…', '?', '!', ')']) {
        doc.push('.');
    }
    format!("# {doc}")
}

fn todo(what: &str) -> String {
    quoted(&format!("{PLACEHOLDER}{what}"))
}

/// The issue file, every field commented from its definition, the words to
/// write marked as placeholders that `verdict check` points at.
fn scaffold(tools: &[NewTool<'_>], reviewers: &[&str], schema: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(line) = schema {
        let _ = writeln!(out, "{line}");
    }
    let root = &fields::ROOT;
    let title = tools
        .iter()
        .map(NewTool::name)
        .collect::<Vec<_>>()
        .join(" vs ");
    let _ = write!(
        out,
        r#"# An issue of the newsletter, a draft until it has a send_at. Replace every
# "TODO: …" and {link}; `verdict check` points at any left, and
# `verdict preview ISSUE --serve` shows the email as you write. Markdown works in
# intro, description and bottom_line.

{subject_doc}
subject = {subject}
{kicker_doc}
# kicker = "AI TOOL COMPARISON"
{title_doc}
# title = {title}
{preheader_doc}
preheader = {preheader}
{intro_doc} Markdown.
intro = """
TODO: why these tools, this week.
"""
{send_at_doc} A datetime with an offset.
# send_at = 2026-01-01T09:00:00+00:00
{bottom_line_doc} Markdown; optional.
bottom_line = """
TODO: which one to ship with, and when.
"""
"#,
        link = PLACEHOLDER_LINK,
        subject_doc = comment(root, "subject"),
        subject = quoted(&format!("{title}: which one should you ship with?")),
        kicker_doc = comment(root, "kicker"),
        title_doc = comment(root, "title"),
        title = quoted(&title),
        preheader_doc = comment(root, "preheader"),
        preheader = todo("the line inboxes show after the subject"),
        intro_doc = comment(root, "intro"),
        send_at_doc = comment(root, "send_at"),
        bottom_line_doc = comment(root, "bottom_line"),
    );
    let tool = &fields::TOOL;
    for new_tool in tools {
        out.push_str("\n[[tool]]\n");
        let profile = match new_tool {
            NewTool::Profile(profile) => {
                let _ = writeln!(
                    out,
                    "# From tools/{}.toml: a commented line is the profile's; uncomment it to\n# change it for this issue only.\ntool = {}",
                    profile.id,
                    quoted(&profile.id)
                );
                Some(*profile)
            }
            NewTool::Named(_) => None,
        };
        field(
            &mut out,
            "name",
            &comment(tool, "name"),
            profile.map(|p| p.name.as_str()),
            &quoted(new_tool.name()),
        );
        let _ = writeln!(out, "{}\n# version = \"v1.0\"", comment(tool, "version"));
        field(
            &mut out,
            "category",
            &comment(tool, "category"),
            profile.and_then(|p| p.category.as_deref()),
            &todo("a category such as Developer Tools"),
        );
        field(
            &mut out,
            "tagline",
            &comment(tool, "tagline"),
            profile.and_then(|p| p.tagline.as_deref()),
            &todo("a one-line pitch"),
        );
        field(
            &mut out,
            "pricing",
            &comment(tool, "pricing"),
            profile.and_then(|p| p.pricing.as_deref()),
            &todo("Free, Paid or Freemium"),
        );
        field(
            &mut out,
            "link",
            &comment(tool, "link"),
            profile.and_then(|p| p.link.as_deref()),
            &quoted(PLACEHOLDER_LINK),
        );
        let _ = write!(
            out,
            r#"{description_doc} Markdown.
description = """
TODO: what it is and why it matters.
"""
{vote_doc}
# community_vote = 50
"#,
            description_doc = comment(tool, "description"),
            vote_doc = comment(tool, "community_vote"),
        );
        let review = &fields::REVIEW;
        for reviewer in reviewers {
            let _ = write!(
                out,
                r#"
# One review per panelist (ids from templates/panel.toml); delete those who sat out.
[[tool.review]]
reviewer = {reviewer}
{verdict_doc} "ship" or "skip".
verdict = "ship"
{quote_doc}
quote = """
TODO: the panelist's words.
"""
"#,
                reviewer = quoted(reviewer),
                verdict_doc = comment(review, "verdict"),
                quote_doc = comment(review, "quote"),
            );
        }
    }
    out
}
