//! `verdict check`: validate configuration, templates, tool profiles, issues
//! and both lists without sending; errors fail the command, warnings only inform.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};

use crate::author::issue::ParsedIssue;
use crate::author::issue::{Catalog, Issue, ToolProfiles};
use crate::author::render::{self, GMAIL_CLIP_BYTES, Personalisation};
use crate::diagnostic::{Diagnostic, FileDiagnostics, LoadError};
use crate::error::{Error, Result};
use crate::project::config::Config;
use crate::project::layout::{LIST_FILE, Layout, PANEL_FILE, SUPPRESSED_FILE};
use crate::project::templates::{Emails, Roster, Theme};
use crate::project::{Project, ProjectError};
use crate::store::lists::{ListError, ListReader, RowProblem, read_suppressions};

/// Validate every file verdict reads: verdict.toml, templates/ (theme, panel,
/// sign-up emails), the tool profiles in tools/, the issues (all, or those
/// named), the subscriber list and the suppression list. Exits 2 when anything
/// is invalid; warnings do not fail.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to check (ids, unique starts of ids or file names); all when none is given.
    pub issues: Vec<String>,
}

pub(crate) fn execute(layout: &Layout, args: Args, now: DateTime<Utc>) -> Result<()> {
    if !layout.config().is_file() {
        return Err(ProjectError::NotAProject(layout.root().display().to_string()).into());
    }
    // Every file is read, whatever the others hold, so that one run lists every problem.
    let mut reports: Vec<FileDiagnostics> = Vec::new();
    let config = kept(Config::load(layout), &mut reports)?;
    let theme = kept(Theme::load(layout), &mut reports)?;
    let roster = kept(Roster::load(layout), &mut reports)?;
    kept(Emails::load(layout), &mut reports)?;
    let tools = ToolProfiles::load(&layout.tools_dir())?;
    let mut usage = Vec::new();
    if let Some(config) = &config {
        reports.push(config_report(layout, config));
        // The state send reads: a damaged relay book stops a send, so check says so.
        if !config.relays.is_empty()
            && let Err(e) = crate::send::relay_book::RelayBook::load(layout, now, &config.time_zone)
        {
            usage.push(e.to_string());
        }
        if let Ok(env) = std::env::var(crate::send::transport::TRANSPORT_ENV)
            && let Err(e) = crate::send::transport::choose(None, Some(&env), &config.transport)
        {
            usage.push(e.to_string());
        }
    }
    if let Some(theme) = &theme {
        reports.push(theme_report(layout, theme)?);
    }
    let project = match (config, theme, roster) {
        (Some(config), Some(theme), Some(roster)) => Ok(Project {
            layout: layout.clone(),
            config,
            theme,
            roster,
            tools: tools.clone(),
            link_keys: Default::default(),
        }),
        (_, _, roster) => Err(roster),
    };
    let paths = layout.select_issues(&args.issues)?;
    let mut dates: std::collections::HashMap<chrono::NaiveDate, String> = Default::default();
    for path in &paths {
        let parsed = match &project {
            Ok(project) => project.load_issue(path),
            // The issues can still be read against the panel; the lints that
            // render the email wait until the other files are valid.
            Err(Some(roster)) => crate::diagnostic::read_source(path, &layout.display(path))
                .and_then(|source| {
                    let catalog = Catalog {
                        roster,
                        tools: &tools,
                    };
                    Ok(Issue::parse(&layout.display(path), &source, catalog)?)
                }),
            Err(None) => continue,
        };
        if let Ok(parsed) = &parsed
            && let Err(e) = crate::send::ledger::load(&layout.ledger(&parsed.issue.id))
        {
            // A corrupt ledger holds its issue back from every send.
            usage.push(e.to_string());
        }
        if let Ok(parsed) = &parsed
            && let Err(e) =
                crate::web::clicks::read(layout, &parsed.issue.id, parsed.issue.tools.len())
        {
            // Damaged counts stop the archive (the tool pages show them).
            usage.push(e.to_string());
        }
        match parsed {
            Ok(parsed) => {
                let same_day = dates.insert(parsed.issue.date, parsed.issue.id.clone());
                let mut report = match &project {
                    Ok(project) => lint_issue(project, parsed, now),
                    Err(_) => parsed.warnings,
                };
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
    let unchecked = matches!(project, Err(None)) && !paths.is_empty();
    // Every profile with problems, named by an issue or not yet.
    reports.extend(tools.invalid().cloned());
    reports.extend(list_reports(layout)?);

    let styled = std::io::stderr().is_terminal();
    let (mut errors, mut warnings) = (usage.len(), 0);
    for message in &usage {
        tracing::error!("{message}");
    }
    for report in &reports {
        errors += report.error_count();
        warnings += report.warning_count();
        if !report.diagnostics.is_empty() {
            crate::log::to_stderr(format_args!("{}", report.render(styled)));
        }
    }
    if unchecked {
        tracing::info!(
            "note: the issues are checked once {PANEL_FILE} is valid: they name its reviewers"
        );
    }
    let summary = format!(
        "checked verdict.toml, templates/, {} tool profile(s), {} issue(s) and both lists: {errors} error(s), {warnings} warning(s)",
        tools.ids().count(),
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
    // Measured with links as long as readers' (signed by keys of the moment).
    let keys = crate::store::tokens::Keys::ephemeral();
    let rendered = render::render(&issue, project.context_signed_by(Some(&keys)));
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
            for column in rows.unread_columns() {
                let near = crate::diagnostic::suggest(column, crate::store::lists::COLUMNS);
                problems.push(
                    RowProblem::error(
                        0,
                        column.as_str(),
                        match near {
                            Some(near) => format!("the column `{column}` is not read: did you mean `{near}`?"),
                            None => format!("the column `{column}` is not read"),
                        },
                        "verdict reads email, name, subscribed_at and consent; other columns are left as they are, and lost when verdict rewrites the list",
                    )
                    .warning(),
                );
            }
            if let Some(at) = crate::store::lists::torn_row(&list)? {
                problems.push(
                    RowProblem::error(
                        at as usize,
                        "",
                        "the last row has no line end and leaves a quoted field open: it is taken as a row torn by a crash and not read",
                        "close the quote and end the row with a line break if you typed it",
                    )
                    .warning(),
                );
            }
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
    if let Some(at) = crate::store::lists::torn_row(&layout.suppressed())? {
        let torn = RowProblem::error(
            at as usize,
            "",
            "the last row has no line end and leaves a quoted field open: it is taken as a row torn by a crash and not read",
            "close the quote and end the row with a line break if you typed it",
        )
        .warning();
        reports.push(crate::store::lists::problems_report(
            &layout.suppressed(),
            SUPPRESSED_FILE,
            &[torn],
        )?);
    }
    Ok(reports)
}

/// The kept result of reading one file: its problems go into `reports`.
fn kept<T>(
    loaded: std::result::Result<T, LoadError>,
    reports: &mut Vec<FileDiagnostics>,
) -> Result<Option<T>> {
    match loaded {
        Ok(value) => Ok(Some(value)),
        Err(LoadError::Invalid(report)) => {
            reports.push(*report);
            Ok(None)
        }
        Err(LoadError::Read(e)) => Err(e.into()),
    }
}

/// Text colours of the theme that fall below WCAG AA contrast.
fn theme_report(layout: &Layout, theme: &Theme) -> Result<FileDiagnostics> {
    let source = crate::store::fs::read_to_string(&layout.theme())?;
    let mut report = FileDiagnostics::new(crate::project::layout::THEME_FILE, source);
    for warning in theme.low_contrast() {
        report.push(warning);
    }
    Ok(report)
}

/// What verdict.toml raised without failing, and its DKIM keys: every one
/// must load; each should align with the From domain, be readable by its owner
/// alone, and not be the only kind (Ed25519) that many receivers cannot verify yet.
fn config_report(layout: &Layout, config: &Config) -> FileDiagnostics {
    use crate::project::config::DkimAlgorithm;
    let mut report = config.source.clone();
    report.diagnostics.extend(config.warnings.iter().cloned());
    let from = config.sender_domain();
    let mut algorithms = Vec::new();
    for dkim in &config.dkim {
        let key = match crate::send::message::dkim::load_key(dkim, layout) {
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
        if let Some(mode) = shared_mode(&layout.resolve(&dkim.key_file.value)) {
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
        let at = config.dkim[0].selector.span.clone();
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
