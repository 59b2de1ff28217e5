//! `verdict check`: validate configuration, templates, issues and the subscriber
//! list without sending; errors fail the command, warnings only inform.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::Path;

use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::error::{Error, Result};
use crate::issue::ParsedIssue;
use crate::project::Project;
use crate::render::{self, GMAIL_CLIP_BYTES, Personalisation};
use crate::subscribers::{LIST_FILE, ListReader};

/// Validate verdict.toml, templates/, the issues (all, or those named) and the
/// subscriber list. Exits 2 when anything is invalid.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to check (paths, file names or ids); all when none is given.
    pub issues: Vec<String>,
}

pub fn execute(root: &Path, args: Args) -> Result<()> {
    let project = Project::load(root)?;
    let mut reports: Vec<FileDiagnostics> = Vec::new();
    let paths = project.select_issues(&args.issues)?;
    for path in &paths {
        match project.load_issue(path) {
            Ok(parsed) => reports.push(lint_issue(&project, parsed)),
            Err(Error::Invalid(mut found)) => reports.append(&mut found),
            Err(other) => return Err(other),
        }
    }
    reports.extend(check_subscribers(&project)?);

    let styled = std::io::stderr().is_terminal();
    let (mut errors, mut warnings) = (0, 0);
    for report in &reports {
        errors += report.error_count();
        warnings += report.warning_count();
        if !report.diagnostics.is_empty() {
            eprint!("{}", report.render(styled));
        }
    }
    let summary = format!(
        "checked {} issue(s) and the subscriber list: {errors} error(s), {warnings} warning(s)",
        paths.len()
    );
    if errors > 0 {
        Err(Error::Usage(summary))
    } else {
        println!("{summary}");
        Ok(())
    }
}

/// Warnings that need the rendered email or the clock.
fn lint_issue(project: &Project, parsed: ParsedIssue) -> FileDiagnostics {
    let ParsedIssue {
        issue,
        mut warnings,
    } = parsed;
    let rendered = render::render(&issue, project.context());
    let sample = Personalisation {
        name: Some("Reader"),
        email: "reader@example.com",
        unsubscribe_url: project.config.unsubscribe_url.get_ref(),
    };
    let html_size = rendered.html.fill(&sample).len();
    if html_size > GMAIL_CLIP_BYTES {
        warnings.push(
            Diagnostic::warning(format!(
                "the HTML is {} KB; Gmail clips messages over {} KB and hides the rest, footer included",
                html_size / 1024,
                GMAIL_CLIP_BYTES / 1024
            ))
            .help("shorten the descriptions or quotes"),
        );
    }
    if let Some(logo) = &project.theme.logo
        && logo.alt.trim().is_empty()
    {
        warnings.push(
            Diagnostic::warning("the logo in templates/theme.toml has no alt text")
                .help("set logo.alt: readers with images off see only the alt text"),
        );
    }
    if let Some(send_at) = &issue.send_at
        && send_at.value < chrono::Utc::now()
        && !crate::ledger::is_complete(&project.state_dir(), &issue.id)
    {
        warnings.push(
            Diagnostic::warning("send_at is in the past and the issue is not sent yet")
                .at(send_at.span.clone())
                .label("the next `verdict send` sends it at once")
                .help("set a future send_at to schedule it, or run `verdict send` to send it now"),
        );
    }
    warnings
}

/// Every unreadable row and every duplicate address in the list.
fn check_subscribers(project: &Project) -> Result<Vec<FileDiagnostics>> {
    let path = project.root.join(LIST_FILE);
    let Some(rows) = ListReader::open(&path)? else {
        return Ok(Vec::new());
    };
    let mut reports = Vec::new();
    let mut seen = HashSet::new();
    for row in rows {
        let problem = match row {
            Ok(subscriber) => {
                if let Err(d) = crate::config::header_safe(&toml::Spanned::new(
                    0..0,
                    subscriber.name.clone().unwrap_or_default(),
                )) {
                    Some((0, d.message))
                } else if !seen.insert(subscriber.email.clone()) {
                    Some((0, format!("{} is on the list twice", subscriber.email)))
                } else {
                    None
                }
            }
            Err(error) => Some((error.line, error.message)),
        };
        if let Some((line, message)) = problem {
            let mut report = FileDiagnostics::new(LIST_FILE, "");
            let location = if line > 0 {
                format!(" (line {line})")
            } else {
                String::new()
            };
            report.push(Diagnostic::error(format!("{message}{location}")));
            reports.push(report);
        }
    }
    Ok(reports)
}
