//! `verdict check`: validate configuration, templates, issues and both lists
//! without sending; errors fail the command, warnings only inform.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};

use crate::author::issue::ParsedIssue;
use crate::author::render::{self, GMAIL_CLIP_BYTES, Personalisation};
use crate::diagnostic::{Diagnostic, FileDiagnostics, LoadError};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::{LIST_FILE, Layout, SUPPRESSED_FILE};
use crate::store::lists::{ListError, ListReader, RowProblem, read_suppressions};

/// Validate verdict.toml, templates/, the issues (all, or those named), the
/// subscriber list and the suppression list. Exits 2 when anything is invalid.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to check (ids, unique starts of ids or file names); all when none is given.
    pub issues: Vec<String>,
}

pub fn execute(layout: &Layout, args: Args, now: DateTime<Utc>) -> Result<()> {
    let project = Project::load(layout)?;
    let mut reports: Vec<FileDiagnostics> = Vec::new();
    let mut usage = Vec::new();
    let paths = project.select_issues(&args.issues)?;
    let mut dates: std::collections::HashMap<chrono::NaiveDate, String> = Default::default();
    for path in &paths {
        match project.load_issue(path) {
            Ok(parsed) => {
                let same_day = dates.insert(parsed.issue.date, parsed.issue.id.clone());
                let mut report = lint_issue(&project, parsed, now);
                if let Some(other) = same_day {
                    report.push(
                        Diagnostic::warning(format!("{other} has the same date")).help(
                            "one issue a day: give one of them another date in its file name",
                        ),
                    );
                }
                reports.push(report);
            }
            Err(LoadError::Invalid(report)) => reports.push(*report),
            Err(LoadError::Read(e)) => return Err(e.into()),
        }
    }
    reports.extend(list_reports(layout)?);
    reports.push(theme_report(&project)?);
    reports.push(check_dkim(&project));
    if let Ok(env) = std::env::var(crate::send::transport::TRANSPORT_ENV)
        && let Err(e) = crate::send::transport::choose(None, Some(&env), &project.config.transport)
    {
        usage.push(e.to_string());
    }

    let styled = std::io::stderr().is_terminal();
    let (mut errors, mut warnings) = (usage.len(), 0);
    for message in &usage {
        eprintln!("error: {message}");
    }
    for report in &reports {
        errors += report.error_count();
        warnings += report.warning_count();
        if !report.diagnostics.is_empty() {
            eprint!("{}", report.render(styled));
        }
    }
    let summary = format!(
        "checked verdict.toml, templates, {} issue(s) and both lists: {errors} error(s), {warnings} warning(s)",
        paths.len()
    );
    if errors > 0 {
        Err(Error::Usage(summary))
    } else {
        crate::say!("{summary}");
        Ok(())
    }
}

/// Warnings that need the rendered email or the clock.
fn lint_issue(project: &Project, parsed: ParsedIssue, now: DateTime<Utc>) -> FileDiagnostics {
    let ParsedIssue {
        issue,
        mut warnings,
    } = parsed;
    let rendered = render::render(&issue, project.context());
    let sample = Personalisation {
        name: Some("Reader"),
        email: "reader@example.com",
        unsubscribe_url: project.config.unsubscribe_url.as_str(),
        votes: &[],
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
    let ledger = project.layout.ledger(&issue.id);
    if let Some(send_at) = &issue.send_at {
        let days = (send_at.value.date_naive() - issue.date).num_days();
        if days.abs() > 14 {
            warnings.push(
                Diagnostic::warning(format!(
                    "send_at is {} days {} the date in the file name ({})",
                    days.abs(),
                    if days > 0 { "after" } else { "before" },
                    issue.date
                ))
                .at(send_at.span.clone())
                .label("is this the right year or month?")
                .help("the file name's date is the issue's date in the email; send it around that day"),
            );
        }
    }
    if let Some(started) = crate::send::ledger::started_content(&ledger)
        && !crate::send::ledger::is_complete(&ledger)
        && started != render::fingerprint(&rendered)
    {
        warnings.push(
            Diagnostic::warning("the issue changed after it started sending")
                .help("readers still due get the new version and the others had the old one; undo the edit unless it fixes a mistake"),
        );
    }
    if let Some(send_at) = &issue.send_at
        && send_at.value < now
        && !crate::send::ledger::is_complete(&ledger)
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

/// Every problem in the subscriber list and the suppression list, located.
/// Duplicates are warnings: a send mails each address once.
fn list_reports(layout: &Layout) -> Result<Vec<FileDiagnostics>> {
    let mut reports = Vec::new();
    let list = layout.list();
    let mut problems: Vec<RowProblem> = Vec::new();
    match ListReader::open(&list, LIST_FILE) {
        Err(ListError::Invalid(report)) => reports.push(*report),
        Err(ListError::Fs(e)) => return Err(e.into()),
        Ok(Some(mut rows)) => {
            let mut seen = std::collections::HashSet::new();
            while let Some(row) = rows.next() {
                match row {
                    Ok(subscriber) => {
                        if !seen.insert(crate::send::ledger::address_key(&subscriber.email)) {
                            problems.push(
                                RowProblem::error(
                                    rows.record_start(),
                                    subscriber.email.as_str(),
                                    format!("{} is on the list twice", subscriber.email),
                                    "remove one of the rows: addresses are compared lower-cased; a send mails it once",
                                )
                                .warning(),
                            );
                        }
                    }
                    Err(problem) => problems.push(problem),
                }
            }
            if !problems.is_empty() {
                reports.push(crate::store::lists::problems_report(
                    &list, LIST_FILE, &problems,
                )?);
            }
        }
        Ok(None) => {}
    }
    match read_suppressions(&layout.suppressed(), SUPPRESSED_FILE) {
        Ok(_) => {}
        Err(ListError::Invalid(report)) => reports.push(*report),
        Err(ListError::Fs(e)) => return Err(e.into()),
    }
    Ok(reports)
}

/// Text colours of the theme that fall below WCAG AA contrast.
fn theme_report(project: &Project) -> Result<FileDiagnostics> {
    let source = crate::store::fs::read_to_string(&project.layout.theme())?;
    let mut report = FileDiagnostics::new(crate::project::layout::THEME_FILE, source);
    for low in project.theme.low_contrast() {
        report.push(
            Diagnostic::warning(format!("{low}, below WCAG AA (4.5:1)"))
                .help("darken the text colour or lighten its background, so that every reader can read it"),
        );
    }
    Ok(report)
}

/// Every DKIM key must load; each should align with the From domain, be
/// readable by its owner alone, and not be the only kind (Ed25519) that many
/// receivers cannot verify yet.
fn check_dkim(project: &Project) -> FileDiagnostics {
    use crate::project::config::DkimAlgorithm;
    let mut report = project.config.source.clone();
    let from = project.config.sender_domain();
    let mut algorithms = Vec::new();
    for dkim in &project.config.dkim {
        let key = match crate::send::message::dkim::load_key(dkim, &project.layout) {
            Ok(key) => key,
            Err(problem) => {
                report.push(problem);
                continue;
            }
        };
        algorithms.push(key.algorithm());
        let domain = &dkim.domain.value;
        if &from != domain && !from.ends_with(&format!(".{domain}")) {
            report.push(
                Diagnostic::warning(format!(
                    "the DKIM domain {domain} is not aligned with the From domain {from}"
                ))
                .at(dkim.domain.span.clone())
                .label("DMARC needs the signing domain to match the From domain")
                .help(format!(
                    "sign as {from} (or a parent domain of it), or send from an address at {domain}"
                )),
            );
        }
        if let Some(mode) = shared_mode(&project.layout.resolve(&dkim.key_file.value)) {
            report.push(
                Diagnostic::warning(format!(
                    "the DKIM key {} can be read by others (mode {mode:o})",
                    dkim.key_file.value.display()
                ))
                .at(dkim.key_file.span.clone())
                .label("whoever reads it can sign mail as your domain")
                .help(format!("chmod 600 {}", dkim.key_file.value.display())),
            );
        }
    }
    if !algorithms.is_empty() && !algorithms.contains(&DkimAlgorithm::Rsa) {
        let at = project.config.dkim[0].selector.span.clone();
        report.push(
            Diagnostic::warning("every DKIM key is Ed25519, which many receivers do not verify yet")
                .at(at)
                .help("sign with an RSA key as well (RFC 8463 advises both): `verdict dkim keygen --selector NAME --algorithm rsa`"),
        );
    }
    report
}

/// The permission bits of a file that group or others may read.
fn shared_mode(path: &std::path::Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
