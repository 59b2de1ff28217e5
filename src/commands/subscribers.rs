//! `verdict subscribers …`: manage the list and the suppression list, and lift
//! suppressions by reason and time range (`unsuppress`).

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::{LIST_FILE, Layout, SUPPRESSED_FILE};
use crate::store::lists::{
    self, Reason, Subscriber, Suppression, import, read_all, read_suppressions,
};

/// Manage the subscriber list and the suppression list.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Add one subscriber.
    Add {
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a subscriber from the list (without suppressing the address).
    Remove { email: String },
    /// Put an address on the suppression list: it is never mailed again.
    Unsubscribe { email: String },
    /// Lift the suppressions of one reason made in a time range (after a
    /// relay that refused everyone, say): each gets a row `unsuppressed`, the
    /// history stays, and those readers are due again for the issues they
    /// missed.
    Unsuppress {
        /// Which suppressions to lift.
        #[arg(long, value_enum)]
        reason: Lift,
        /// Suppressed at or after this time (RFC 3339, e.g. 2026-11-29T10:00:00Z).
        #[arg(long, value_name = "TIME")]
        since: String,
        /// Suppressed at or before this time (RFC 3339); now when absent.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Say what would be lifted and which issues would be due again; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import a CSV exported by another tool (all rows or none, unless --skip-invalid).
    Import {
        file: PathBuf,
        /// Import the valid rows and leave out the invalid ones.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Export the active subscribers as CSV (email, name, subscribed_at, and consent
    /// when any of them has it).
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// List the active subscribers.
    List,
}

/// The suppressions `unsuppress` can lift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lift {
    Unsubscribed,
    Bounced,
    Complained,
}

impl Lift {
    fn reason(self) -> Reason {
        match self {
            Lift::Unsubscribed => Reason::Unsubscribed,
            Lift::Bounced => Reason::Bounced,
            Lift::Complained => Reason::Complained,
        }
    }
}

pub(crate) fn execute(layout: &Layout, args: Args, now: DateTime<Utc>) -> Result<()> {
    Project::load(layout)?;
    let list_path = layout.list();
    match args.action {
        Action::Add { email, name } => {
            let email = lists::normalize_address(&email)?;
            if let Some(name) = &name
                && crate::diagnostic::text::has_control_char(name)
            {
                return Err(Error::usage(
                    "the name must be one line, without control characters",
                ));
            }
            let _lock = lists::lock(layout)?;
            if suppressed_addresses(layout)?.contains(&email) {
                return Err(Error::Usage(format!(
                    "{email} is on the suppression list ({SUPPRESSED_FILE}): it unsubscribed or bounced and is not added back"
                )));
            }
            let mut list = read_all(&list_path, LIST_FILE)?;
            if list.iter().any(|s| s.email == email) {
                crate::say!("{email} is already subscribed");
                return Ok(());
            }
            list.push(Subscriber {
                email: email.clone(),
                name,
                subscribed_at: Some(now),
                consent: Some("added by the editor".into()),
            });
            lists::write_list(&list_path, &list)?;
            crate::say!("added {email}");
        }
        Action::Remove { email } => {
            let email = lists::normalize_address(&email)?;
            let _lock = lists::lock(layout)?;
            let mut list = read_all(&list_path, LIST_FILE)?;
            let before = list.len();
            list.retain(|s| s.email != email);
            if list.len() == before {
                return Err(Error::Usage(format!("{email} is not on the list")));
            }
            lists::write_list(&list_path, &list)?;
            crate::say!("removed {email}");
        }
        Action::Unsubscribe { email } => {
            let email = lists::normalize_address(&email)?;
            let added = lists::suppress(
                layout,
                &[Suppression::now(
                    &email,
                    Reason::Unsubscribed,
                    "by the editor",
                )],
            )?;
            if added > 0 {
                crate::say!("{email} is unsubscribed");
            } else {
                crate::say!("{email} was already on the suppression list");
            }
        }
        Action::Unsuppress {
            reason,
            since,
            until,
            dry_run,
        } => {
            let since = parse_time("--since", &since)?;
            let until = until.map(|t| parse_time("--until", &t)).transpose()?;
            unsuppress(
                layout,
                reason.reason(),
                since,
                until.unwrap_or(now),
                dry_run,
                now,
            )?;
        }
        Action::Import { file, skip_invalid } => import_file(layout, &file, skip_invalid, now)?,
        Action::Export { out } => {
            let suppressed = suppressed_addresses(layout)?;
            let active: Vec<Subscriber> = read_all(&list_path, LIST_FILE)?
                .into_iter()
                .filter(|s| !suppressed.contains(&s.email))
                .collect();
            match out {
                Some(out) => {
                    crate::store::fs::write_atomic_with(&out, |w| lists::export_csv(w, &active))?;
                    tracing::info!(
                        "exported {} subscriber(s) to {}",
                        active.len(),
                        out.display()
                    );
                }
                None => match lists::export_csv(std::io::stdout().lock(), &active) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        return Err(Error::failed(e));
                    }
                    _ => {}
                },
            }
        }
        Action::List => {
            let suppressed = suppressed_addresses(layout)?;
            let mut count = 0;
            let mut out = std::io::stdout().lock();
            for s in read_all(&list_path, LIST_FILE)? {
                if suppressed.contains(&s.email) {
                    continue;
                }
                count += 1;
                if writeln!(out, "{}\t{}", s.email, s.name.as_deref().unwrap_or("")).is_err() {
                    return Ok(());
                }
            }
            tracing::info!(
                "{count} active subscriber(s), {} suppressed address(es)",
                suppressed.len()
            );
        }
    }
    Ok(())
}

fn parse_time(flag: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Error::usage(format!(
                "{flag} {text} is not a time: {e}; expected RFC 3339 such as 2026-11-29T10:00:00Z"
            ))
        })
}

/// Lifts the suppressions with `reason` made from `since` to `until`: each
/// address's last row must be one of them (a later suppression for another
/// reason stands). The issues they missed are reopened first, under the send
/// lock, so that a crash between the two leaves them suppressed, and the
/// command can be run again.
fn unsuppress(
    layout: &Layout,
    reason: Reason,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    if until < since {
        return Err(Error::usage(format!(
            "--until {until} is before --since {since}: nothing can be in between"
        )));
    }
    let _send = if dry_run {
        None
    } else {
        Some(crate::send::ledger::SendLock::acquire(&layout.send_lock())?)
    };
    let _lock = lists::lock(layout)?;
    let entries = read_suppressions(&layout.suppressed(), SUPPRESSED_FILE)?;
    let mut last: BTreeMap<&str, &Suppression> = BTreeMap::new();
    for entry in &entries {
        last.insert(entry.email.as_str(), entry);
    }
    let lifted: Vec<&Suppression> = last
        .into_values()
        .filter(|e| e.reason == reason && e.at.is_some_and(|at| since <= at && at <= until))
        .collect();
    let range = format!(
        "{} between {} and {}",
        reason.label(),
        since.to_rfc3339(),
        until.to_rfc3339()
    );
    if lifted.is_empty() {
        crate::say!("no address is suppressed as {range}: nothing to lift");
        return Ok(());
    }
    let missed = missed_issues(layout, &lifted)?;
    let verb = if dry_run { "would lift" } else { "lifting" };
    crate::say!("{verb} {} suppression(s), {range}:", lifted.len());
    for entry in &lifted {
        crate::say!(
            "  {}\t{}\t{}",
            entry.email,
            entry.at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            crate::send::transport::escape_reply(&entry.detail)
        );
    }
    for (issue, emails) in &missed {
        crate::say!(
            "{issue}: {} reader(s) {} due again",
            emails.len(),
            if dry_run { "would be" } else { "are" }
        );
    }
    if dry_run {
        crate::say!("dry run: nothing was changed");
        return Ok(());
    }
    let why = format!("suppression lifted by the editor ({range})");
    for (issue, emails) in &missed {
        crate::send::ledger::reopen(&layout.ledger(issue), emails, now, &why)?;
    }
    let rows: Vec<Suppression> = lifted
        .iter()
        .map(|entry| Suppression {
            email: entry.email.clone(),
            reason: Reason::Unsuppressed,
            at: Some(now),
            detail: why.clone(),
        })
        .collect();
    lists::append_suppressions(&layout.suppressed(), &rows)?;
    crate::say!(
        "lifted {} suppression(s); the earlier rows stay in {SUPPRESSED_FILE} as history{}",
        rows.len(),
        if missed.is_empty() {
            String::new()
        } else {
            "; `verdict send` delivers the issues they missed".to_string()
        }
    );
    Ok(())
}

/// For each issue with a ledger, the lifted readers who missed it: refused in
/// it as a bad mailbox (the suppression came from there), or skipped by it
/// (it started sending after they were suppressed, and is done).
fn missed_issues(layout: &Layout, lifted: &[&Suppression]) -> Result<Vec<(String, Vec<String>)>> {
    use crate::send::ledger::{self, Outcome};
    let dir = layout.ledger_dir();
    let mut ids: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_suffix(".log").map(str::to_string)
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(crate::store::fs::FsError::new("cannot read", &dir, e).into()),
    };
    ids.sort();
    let mut missed = Vec::new();
    for id in ids {
        let index = ledger::load(&layout.ledger(&id)).map_err(Error::from)?;
        let emails: Vec<String> = lifted
            .iter()
            .filter(|entry| match index.get(&entry.email) {
                Some(Outcome::Bounced) => true,
                None => {
                    index.complete
                        && matches!((index.started, entry.at), (Some(started), Some(at)) if started >= at)
                }
                Some(_) => false,
            })
            .map(|entry| entry.email.clone())
            .collect();
        if !emails.is_empty() {
            missed.push((id, emails));
        }
    }
    Ok(missed)
}

fn suppressed_addresses(layout: &Layout) -> Result<HashSet<String>> {
    Ok(lists::suppressed_now(&read_suppressions(
        &layout.suppressed(),
        SUPPRESSED_FILE,
    )?))
}

fn import_file(layout: &Layout, file: &Path, skip_invalid: bool, now: DateTime<Utc>) -> Result<()> {
    let bytes =
        std::fs::read(file).map_err(|e| crate::store::fs::FsError::new("cannot read", file, e))?;
    let shown = file.display().to_string();
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            return Err(Error::Usage(format!(
                "{shown}: the file is not UTF-8 text; export the list as CSV (comma-separated, UTF-8) from your previous tool"
            )));
        }
    };
    let parsed = import::parse(&shown, &text, now);
    let invalid = parsed.report.error_count();
    if invalid > 0 {
        let nothing_left = parsed.subscribers.is_empty() && parsed.opted_out.is_empty();
        if !skip_invalid || nothing_left || parsed.structural > 0 {
            let mut report = parsed.report;
            report.push(crate::diagnostic::Diagnostic::error(if parsed.structural > 0 {
                format!(
                    "nothing was imported: {shown} is damaged where rows cannot be told apart; fix it (--skip-invalid would lose the rows it swallows)"
                )
            } else {
                format!(
                    "nothing was imported: {invalid} problem(s) in {shown}; fix them, or import the rest with --skip-invalid"
                )
            }));
            return Err(Error::invalid(report));
        }
    }
    // The rows skipped, and warnings (a date that could not be read).
    if !parsed.report.diagnostics.is_empty() {
        let styled = std::io::stderr().is_terminal();
        crate::log::to_stderr(format_args!("{}", parsed.report.render(styled)));
    }
    // Opt-outs first: a crash between the two writes leaves nobody mailed who
    // opted out, and the import can be run again.
    let opted_out = lists::suppress(layout, &parsed.opted_out)?;
    let _lock = lists::lock(layout)?;
    let list_path = layout.list();
    let suppressed = suppressed_addresses(layout)?;
    let mut list = read_all(&list_path, LIST_FILE)?;
    let existing: HashSet<String> = list.iter().map(|s| s.email.clone()).collect();
    let (mut added, mut already, mut suppressed_skipped) = (0, 0, 0);
    for subscriber in parsed.subscribers {
        if suppressed.contains(&subscriber.email) {
            suppressed_skipped += 1;
        } else if existing.contains(&subscriber.email) {
            already += 1;
        } else {
            added += 1;
            list.push(subscriber);
        }
    }
    if added > 0 {
        lists::write_list(&list_path, &list)?;
    }
    crate::say!(
        "imported {added} new subscriber(s); {already} already subscribed, {} duplicate row(s), {suppressed_skipped} suppressed and left out, {invalid} invalid row(s) skipped",
        parsed.duplicates
    );
    crate::say!("read {}", parsed.columns_read);
    if !parsed.knows_opt_outs {
        crate::say!(
            "note: {shown} has no column that says who opted out, so everyone in it was taken as subscribed; if your previous tool kept unsubscribes, bounces or complaints apart, import that export too (they go to the suppression list)"
        );
    }
    if !parsed.opted_out.is_empty() {
        let count = |reason: Reason| {
            parsed
                .opted_out
                .iter()
                .filter(|s| s.reason == reason)
                .count()
        };
        crate::say!(
            "{} opted out in {shown} and went to the suppression list, never to the list ({} unsubscribed, {} bounced, {} complained; {} new there)",
            parsed.opted_out.len(),
            count(Reason::Unsubscribed),
            count(Reason::Bounced),
            count(Reason::Complained),
            opted_out
        );
    }
    if parsed.unconfirmed > 0 {
        crate::say!(
            "{} never confirmed their sign-up and were left out",
            parsed.unconfirmed
        );
    }
    Ok(())
}
