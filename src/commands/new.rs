//! `verdict new`: scaffold the next issue file with every field and a comment on each.

use std::fmt::Write as _;

use chrono::{Days, NaiveDate};

use crate::author::issue::{parse_file_name, slugify};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;

/// Scaffold the next issue comparing two (or three) tools.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tools to compare, e.g. `verdict new Axolotl "Mistral Medium 3"`.
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
    let slug = slugify(&args.tools.join(" vs "));
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
    crate::store::fs::write_atomic(&path, scaffold(&args.tools, &ids).as_bytes())?;
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

fn scaffold(tools: &[String], reviewers: &[&str]) -> String {
    let mut out = String::new();
    let title = tools.join(" vs ");
    let _ = write!(
        out,
        r#"# An issue of the newsletter. `verdict check` points at anything missing;
# `verdict preview` shows the email. Markdown works in intro, description and bottom_line.

# The Subject line: one line, at most 78 characters.
subject = {subject}
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
        let _ = write!(
            out,
            r#"
[[tool]]
# The tool's name and, optionally, its version.
name = {name}
version = ""
# A category such as "Developer Tools".
category = ""
# A one-line pitch.
tagline = ""
# The entry pricing tier: "Free", "Paid", "Freemium", ...
pricing = ""
# The tool's web address.
link = "https://"
# What it is and why it matters, Markdown.
description = """
"""
# The readers' vote in percent (0 to 100); leave it out to show "—".
# community_vote = 50
"#,
            name = quoted(tool),
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
