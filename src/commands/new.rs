//! `verdict new`: scaffold the next issue file with every field and a comment on
//! each, taking what the tool profiles in `tools/` know.

use std::fmt::Write as _;

use chrono::{Days, NaiveDate};

use crate::author::issue::{ToolProfile, parse_file_name, slugify};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;

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

pub fn execute(layout: &Layout, args: Args) -> Result<()> {
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
    crate::store::fs::write_atomic(&path, scaffold(&tools, &ids).as_bytes())?;
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
}

/// A line `key = value` for a field, commented out when the profile gives it
/// (the issue may override it), blank to fill in when not.
fn field(out: &mut String, key: &str, comment: &str, from_profile: Option<&str>, blank: &str) {
    let _ = writeln!(out, "# {comment}");
    match from_profile {
        Some(value) => {
            let _ = writeln!(out, "# {key} = {}", quoted(value));
        }
        None => {
            let _ = writeln!(out, "{key} = {blank}");
        }
    }
}

fn scaffold(tools: &[NewTool<'_>], reviewers: &[&str]) -> String {
    let mut out = String::new();
    let title = tools
        .iter()
        .map(NewTool::name)
        .collect::<Vec<_>>()
        .join(" vs ");
    let _ = write!(
        out,
        r#"# An issue of the newsletter. `verdict check` points at anything missing;
# `verdict preview` shows the email. Markdown works in intro, description and bottom_line.

# The Subject line: one line, at most 78 characters.
subject = {subject}
# The line above the title on the page and in the email, and the title itself
# (by default the tools' names and versions).
# kicker = "AI tool comparison"
# title = "…"
# The preview line inboxes show after the subject.
preheader = ""
# The opening paragraph(s), Markdown.
intro = """
"""
# When `verdict send` may send it: a datetime with an offset. Leave it commented
# out while the issue is a draft.
# send_at = 2026-01-01T09:00:00+00:00
# The closing verdict, Markdown (optional).
bottom_line = """
"""
"#,
        subject = quoted(&format!("{title}: which one should you ship with?")),
    );
    for tool in tools {
        out.push_str("\n[[tool]]\n");
        let profile = match tool {
            NewTool::Profile(profile) => {
                let _ = writeln!(
                    out,
                    "# From tools/{}.toml; a commented line is the profile's, uncomment it to\n# change it for this issue only.\ntool = {}",
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
            "The tool's name and, optionally, its version.",
            profile.map(|p| p.name.as_str()),
            &quoted(tool.name()),
        );
        out.push_str("version = \"\"\n");
        field(
            &mut out,
            "category",
            "A category such as \"Developer Tools\".",
            profile.and_then(|p| p.category.as_deref()),
            "\"\"",
        );
        field(
            &mut out,
            "tagline",
            "A one-line pitch.",
            profile.and_then(|p| p.tagline.as_deref()),
            "\"\"",
        );
        field(
            &mut out,
            "pricing",
            "The entry pricing tier: \"Free\", \"Paid\", \"Freemium\", ...",
            profile.and_then(|p| p.pricing.as_deref()),
            "\"\"",
        );
        field(
            &mut out,
            "link",
            "The tool's web address.",
            profile.and_then(|p| p.link.as_deref()),
            "\"https://\"",
        );
        out.push_str(
            r#"# What it is and why it matters, Markdown.
description = """
"""
# The readers' vote in percent (0 to 100); leave it out to show "—".
# community_vote = 50
"#,
        );
        for reviewer in reviewers {
            let _ = write!(
                out,
                r#"
# One review per panelist (ids from templates/panel.toml); delete those who sat out.
[[tool.review]]
reviewer = {reviewer}
# "ship" or "skip".
verdict = "ship"
quote = """
"""
"#,
                reviewer = quoted(reviewer),
            );
        }
    }
    out
}
