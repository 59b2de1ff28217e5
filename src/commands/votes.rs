//! `verdict votes`: the community vote per issue and tool, and what readers see.

use crate::diagnostic::LoadError;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;

/// Show the readers' votes: per issue and tool, ship and skip, and the community
/// percentage emails and pages show (once a tool has [community] min_votes).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to show; all when none is given.
    pub issues: Vec<String>,
}

pub fn execute(layout: &Layout, args: Args) -> Result<()> {
    let project = Project::load(layout)?;
    let mut invalid = Vec::new();
    for path in project.select_issues(&args.issues)? {
        let issue = match project.load_issue(&path) {
            Ok(parsed) => parsed.issue,
            Err(LoadError::Invalid(report)) => {
                invalid.push(*report);
                continue;
            }
            Err(LoadError::Read(e)) => return Err(e.into()),
        };
        crate::say!("{}", issue.id);
        for line in lines(&project, &issue)? {
            crate::say!("  {line}");
        }
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(invalid))
    }
}

/// One line per tool: the votes and what is shown.
pub fn lines(project: &Project, issue: &crate::author::issue::Issue) -> Result<Vec<String>> {
    let min = project.config.community.min_votes;
    let tallies = crate::web::votes::tallies(&project.layout.votes(&issue.id), issue.tools.len())?;
    let shown = crate::web::votes::with_community(&project.layout, issue, min)?;
    Ok(issue
        .tools
        .iter()
        .zip(tallies)
        .zip(&shown.tools)
        .map(|((tool, tally), shown)| {
            let source = if tool.community_vote.is_some() {
                " (set in the issue file)".to_string()
            } else if tally.total() < min {
                format!(" (shown from {min} votes)")
            } else {
                String::new()
            };
            format!(
                "{}: {} ship, {} skip: community {}{source}",
                tool.display_name(),
                tally.ship,
                tally.skip,
                shown.community_label()
            )
        })
        .collect())
}
