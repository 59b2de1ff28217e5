//! `verdict votes`: what readers did, per issue and tool: the community vote
//! and what readers see of it, and the clicks on the links to the tool.

use crate::diagnostic::LoadError;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;

/// Show what readers did, per issue and tool: their votes (ship and skip, and
/// the community percentage emails and pages show once a tool has [community]
/// min_votes) and how often the links to the tool were followed, from the
/// email and from the issue's page (counted by `verdict serve` in aggregate,
/// never per reader, and written every few seconds).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to show; all when none is given.
    pub issues: Vec<String>,
}

pub(crate) fn execute(layout: &Layout, args: Args) -> Result<()> {
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

/// One line per tool: the votes and what is shown, and the clicks (while
/// links are counted, or once any was).
pub(crate) fn lines(project: &Project, issue: &crate::author::issue::Issue) -> Result<Vec<String>> {
    use crate::web::votes::Shown;
    let min = project.config.community.min_votes;
    let tools = issue.tools.len();
    let tallies = crate::web::votes::tallies(&project.layout.votes(&issue.id), tools)?;
    let clicks = crate::web::clicks::read(&project.layout, &issue.id, tools)?;
    let show_clicks = project.config.community.count_clicks || clicks.iter().any(|c| c.total() > 0);
    Ok(issue
        .tools
        .iter()
        .zip(tallies)
        .zip(clicks)
        .map(|((tool, tally), clicks)| {
            let shown = match crate::web::votes::shown(tool, tally, min) {
                Shown::Set(_) => format!("{} (set in the issue file)", tool.community_label()),
                Shown::Tally(percent) => format!("{percent}%"),
                Shown::Waiting { min_votes } => format!(
                    "\u{2014} (shown from {min_votes} vote{})",
                    if min_votes == 1 { "" } else { "s" }
                ),
            };
            let mut line = format!(
                "{}: {} ship, {} skip: community {shown}",
                tool.display_name(),
                tally.ship,
                tally.skip,
            );
            if show_clicks {
                line.push_str(&format!(
                    "; {} (email {}, site {})",
                    crate::web::site::plural(clicks.total(), "click"),
                    clicks.email,
                    clicks.site
                ));
            }
            line
        })
        .collect())
}
