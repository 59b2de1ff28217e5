//! Which issues a run sends (those due, or those named) and, with `--dry-run`,
//! what it would send to how many.

use chrono::{DateTime, Utc};

use super::{Args, Problems};
use crate::author::issue::{Issue, parse_file_name};
use crate::diagnostic::LoadError;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::send::audience::{Audience, RetryFailed, Selection};
use crate::send::ledger;
use crate::send::relay_book::RelayBook;
use crate::send::transport::{self, Chosen};

/// An issue that may be sent this run.
pub(super) struct Candidate {
    pub(super) issue: Issue,
}

/// What `--retry-failed` asks for.
pub(super) fn retry_failed(args: &Args) -> Result<RetryFailed> {
    Ok(match args.retry_failed.as_deref() {
        None => RetryFailed::No,
        Some("") => RetryFailed::All,
        Some(list) => RetryFailed::Only(
            list.split(',')
                .map(|a| crate::store::lists::normalize_address(a).map_err(Error::from))
                .collect::<Result<_>>()?,
        ),
    })
}

/// The next issue scheduled after now: its id and send time.
pub(super) type Scheduled = Option<(String, DateTime<chrono::FixedOffset>)>;

/// "nothing to send", and when the next issue is due, if one is scheduled.
pub(super) fn nothing_to_send(next: Scheduled, now: DateTime<Utc>) -> String {
    match next {
        None => {
            "nothing to send; no later issue is scheduled (give the next one a send_at)".to_string()
        }
        Some((id, at)) => {
            let wait = at.with_timezone(&Utc) - now;
            let (days, hours, minutes) = (
                wait.num_days(),
                wait.num_hours() % 24,
                wait.num_minutes() % 60,
            );
            let within = match (days, hours) {
                (0, 0) => format!("{} min", minutes.max(1)),
                (0, hours) => format!("{hours} h {minutes} min"),
                (days, hours) => format!("{days} d {hours} h"),
            };
            format!(
                "nothing to send; next: {id} at {} (in {within})",
                at.format("%Y-%m-%d %H:%M %:z")
            )
        }
    }
}

/// The issues to send, in date order, and the next one scheduled after now.
/// An issue that started sending stays due until it is complete, whatever its
/// send_at says; one that cannot be read is set aside.
pub(super) fn due_issues(
    project: &Project,
    args: &Args,
    retry_failed: &RetryFailed,
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> Result<(Vec<Candidate>, Scheduled)> {
    let mut next: Scheduled = None;
    let named = !args.issues.is_empty();
    let layout = &project.layout;
    let mut candidates = Vec::new();
    for path in project.select_issues(&args.issues)? {
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| parse_file_name(n).ok())
            .map(|(id, _)| id);
        // A finished issue is skipped without reading it: a run with nothing to do
        // reads only issue names and ledger tails.
        let ledger_path = id.as_ref().map(|id| layout.ledger(id));
        if let Some(ledger_path) = &ledger_path
            && retry_failed == &RetryFailed::No
            && ledger::is_complete(ledger_path)
        {
            if named && !args.quiet {
                crate::say!("{}: already sent to everyone", id.unwrap_or_default());
            }
            continue;
        }
        let issue = match project.load_issue(&path) {
            Ok(parsed) => parsed.issue,
            Err(LoadError::Invalid(report)) => {
                problems.invalid.push(*report);
                continue;
            }
            Err(LoadError::Read(error)) => {
                problems.failures.push(error.to_string());
                continue;
            }
        };
        let started = ledger_path.as_deref().is_some_and(ledger::has_started);
        match issue.send_time() {
            _ if started => candidates.push(Candidate { issue }),
            None if named => {
                return Err(Error::usage(format!(
                    "{} is a draft: give it a send_at to send it, or send a test copy with --to",
                    issue.id
                )));
            }
            None => continue,
            Some(at) if !(issue.is_due(now) || named && args.now) => {
                if next.as_ref().is_none_or(|(_, first)| at < *first) {
                    next = Some((issue.id.clone(), at));
                }
                if named {
                    return Err(Error::usage(format!(
                        "{} is scheduled for {at}; add --now to send it now",
                        issue.id
                    )));
                }
                continue;
            }
            Some(_) => candidates.push(Candidate { issue }),
        }
    }
    Ok((candidates, next))
}

pub(super) fn dry_run(
    project: &Project,
    args: &Args,
    candidates: &[Candidate],
    retry_failed: &RetryFailed,
    now: DateTime<Utc>,
) -> Result<()> {
    let forced = transport::forced(args.transport.as_deref())?;
    if forced.is_none() && !project.config.relays.is_empty() {
        let zone = &project.config.time_zone;
        let book = RelayBook::load(&project.layout, now, zone)?;
        for relay in &project.config.relays {
            let cap = match book
                .cap(&relay.name, relay.daily_cap, zone, now)
                .remaining(now)
            {
                Some(left) => format!(", {left} more today"),
                None => String::new(),
            };
            crate::say!(
                "would send through {} ({}, weight {}{cap})",
                relay.transport,
                relay.name,
                relay.weight
            );
        }
    } else {
        let chosen = choose_transport(project, args)?;
        crate::say!(
            "would send through {} (from {})",
            chosen.spec,
            chosen.origin
        );
    }
    let audience = Audience::open(&project.layout)?;
    for candidate in candidates {
        let index = ledger::load(&project.layout.ledger(&candidate.issue.id))?;
        let selection = Selection {
            index: &index,
            cutoff: index.started,
            retry: retry_failed,
            give_up_before: Some(now - project.config.sending.give_up_after),
            window_closed: false,
        };
        let tally = audience.walk(&selection, |_| {})?;
        let limited = args.limit.map_or(tally.to_send, |l| l.min(tally.to_send));
        crate::say!(
            "{}: would send to {limited} recipient(s); {} already sent, {} failed before, {} suppressed, {} joined after sending started, {} to give up on",
            candidate.issue.id,
            tally.already_sent,
            tally.failed_before,
            tally.suppressed,
            tally.joined_later,
            tally.to_expire,
        );
    }
    Ok(())
}

pub(super) fn choose_transport(project: &Project, args: &Args) -> Result<Chosen> {
    let env = std::env::var(transport::TRANSPORT_ENV).ok();
    Ok(transport::choose(
        args.transport.as_deref(),
        env.as_deref(),
        &project.config.transport,
    )?)
}
