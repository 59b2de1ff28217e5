//! `verdict check`: validate configuration, templates, issues and the subscriber
//! list without sending; errors fail the command, warnings only inform.

use std::io::IsTerminal;
use std::path::Path;

use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::error::{Error, Result};
use crate::issue::ParsedIssue;
use crate::project::Project;
use crate::render::{self, GMAIL_CLIP_BYTES, Personalisation};
use crate::subscribers::LIST_FILE;

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
    reports.push(check_dkim(&project));

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

/// Every problem in the subscriber list, located.
fn check_subscribers(project: &Project) -> Result<Vec<FileDiagnostics>> {
    let path = project.root.join(LIST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(crate::fs::FsError::new("cannot read", &path, e).into()),
    };
    Ok(vec![crate::subscribers::validate_list(LIST_FILE, &text)])
}

/// The DKIM key must load; its domain should align with the From domain.
fn check_dkim(project: &Project) -> FileDiagnostics {
    let mut report = project.config_source.clone();
    let Some(dkim) = &project.config.dkim else {
        return report;
    };
    if let Err(problems) =
        crate::message::load_dkim(&project.root, &project.config, &project.config_source)
    {
        return problems;
    }
    let from = project.config.from_domain();
    let domain = dkim.domain.get_ref().to_ascii_lowercase();
    if from != domain && !from.ends_with(&format!(".{domain}")) {
        report.push(
            Diagnostic::warning(format!(
                "the DKIM domain {domain} is not aligned with the From domain {from}"
            ))
            .at(dkim.domain.span())
            .label("DMARC needs the signing domain to match the From domain")
            .help(format!(
                "sign as {from} (or a parent domain of it), or send from an address at {domain}"
            )),
        );
    }
    report
}
