//! `verdict status`: every issue's state and counts; `--failed` lists who was not
//! delivered (or only possibly) and the relay's reply; each relay's count for
//! the day and its health.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Utc};

use crate::diagnostic::LoadError;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;
use crate::send::audience::{Audience, RetryFailed, Selection};
use crate::send::ledger::{self, Outcome, Record};
use crate::send::relay_book::RelayBook;

/// Show every issue: draft, scheduled, due, sending or sent, with counts.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to show; all when none is given.
    pub issues: Vec<String>,
    /// List the recipients not delivered (failed, bounced, deferred, expired), with the relay's reply.
    #[arg(long)]
    pub failed: bool,
}

pub(crate) fn execute(layout: &Layout, args: Args, now: DateTime<Utc>) -> Result<()> {
    let project = Project::load(layout)?;
    let paths = project.select_issues(&args.issues)?;
    let mut out = Output::new();
    if paths.is_empty() {
        out.line("no issues yet: `verdict new TOOL-A TOOL-B` starts one");
        return Ok(());
    }
    let audience = Audience::open(layout)?;
    let mut invalid = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        let issue = match project.load_issue(&path) {
            Ok(parsed) => parsed.issue,
            Err(LoadError::Invalid(report)) => {
                out.line(&format!(
                    "{}: invalid (see `verdict check`)",
                    layout.display(&path)
                ));
                invalid.push(*report);
                continue;
            }
            Err(LoadError::Read(error)) => {
                failures.push(error.to_string());
                continue;
            }
        };
        let window_closed = issue
            .not_after
            .as_ref()
            .map(|n| n.value)
            .filter(|end| *end <= now);
        let ledger_path = layout.ledger(&issue.id);
        let index = match ledger::load(&ledger_path) {
            Ok(index) => index,
            Err(error) => {
                out.line(&format!("{}: unreadable ledger", issue.id));
                failures.push(error.to_string());
                continue;
            }
        };
        let selection = Selection {
            index: &index,
            cutoff: index.started,
            retry: &RetryFailed::No,
            give_up_before: Some(now - project.config.sending.give_up_after),
            window_closed: window_closed.is_some(),
        };
        let tally = audience.walk(&selection, |_| {})?;
        let waiting = index.count(Outcome::Deferred) + index.count(Outcome::Held);
        let untried = tally.to_send.saturating_sub(waiting as u64);
        let expired = tally.expired.max(index.count(Outcome::Expired) as u64);
        let state = match (issue.send_time(), index.started, index.complete) {
            _ if window_closed.is_some() && (!index.complete || expired > 0) => {
                format!(
                    "expired (its send window closed at {})",
                    window_closed.unwrap_or_default()
                )
            }
            (_, _, true) if expired > 0 => "sent (some given up on)".to_string(),
            (_, _, true) => "sent".to_string(),
            (_, Some(at), false) => {
                format!("sending (started {})", at.format("%Y-%m-%d %H:%M UTC"))
            }
            (None, None, _) => "draft".to_string(),
            (Some(at), None, _) if !issue.is_due(now) => {
                format!("scheduled for {at}")
            }
            (Some(at), None, _) => format!("due since {at}"),
        };
        let mut counts = format!(
            "delivered {}, failed {}, bounced {}, deferred {}, expired {expired}",
            index.count(Outcome::Delivered),
            index.count(Outcome::Failed),
            index.count(Outcome::Bounced),
            index.count(Outcome::Deferred),
        );
        for outcome in [Outcome::Held, Outcome::Uncertain] {
            let count = index.count(outcome);
            if count > 0 {
                counts.push_str(&format!(", {} {count}", outcome.label()));
            }
        }
        out.line(&format!(
            "{}: {state}; {counts}, not yet tried {untried}, remaining {}",
            issue.id, tally.to_send,
        ));
        let uncertain = index.count(Outcome::Uncertain);
        if uncertain > 0 && !args.failed {
            out.line(&format!(
                "  {uncertain} reader(s) uncertain: the connection was lost after their message was sent, so it may have arrived; it is not sent again. `verdict status {} --failed` lists them",
                issue.id
            ));
        }
        if index.count(Outcome::Held) > 0 {
            out.line("  held: refusals of a relay that refused far too many readers or delivered to nobody; nobody was suppressed for them, and the next run tries them again");
        }
        if let Some(started) = &index.content {
            let rendered = crate::author::render::render(&issue, project.context());
            if &crate::author::render::fingerprint(&rendered) != started && !index.complete {
                out.line("  note: the issue file changed after sending started; readers still due get the new version");
            }
        }
        if index.started.is_some() {
            for line in super::votes::lines(&project, &issue)? {
                out.line(&format!("  readers: {line}"));
            }
        }
        if args.failed {
            print_failed(&ledger_path, &mut out)?;
        }
        if out.closed {
            return Ok(());
        }
    }
    if args.issues.is_empty() {
        relay_lines(&project, now, &mut out)?;
        service_lines(&project, &mut out)?;
    }
    if !failures.is_empty() {
        return Err(Error::failed(failures.join("\n")));
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(invalid))
    }
}

/// The key links are signed with, and what the service noted about sign-ups.
fn service_lines(project: &Project, out: &mut Output) -> Result<()> {
    let keys = crate::store::tokens::Keys::load(&project.layout)?;
    out.line(&keys.in_use());
    if let Some(at) = crate::web::serve::last_capped(&project.layout.pending_signups())? {
        out.line(&format!(
            "sign-ups: the hourly cap of confirmation emails was reached at {} (raise [signup] per_hour if real readers wait)",
            at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    Ok(())
}

/// Today's count of each `[[relay]]` against its cap, and the relays the last
/// run found down.
fn relay_lines(project: &Project, now: DateTime<Utc>, out: &mut Output) -> Result<()> {
    let zone = &project.config.time_zone;
    let book = RelayBook::load(&project.layout, now, zone)?;
    // Without [[relay]] tables, the transport is the one relay; a note about
    // a transport no longer configured is history, not news.
    let transport = project.config.transport.to_string();
    if project.config.relays.is_empty() && !book.health.contains_key(&transport) {
        return Ok(());
    }
    out.line(&format!(
        "relays on {} ({zone}):",
        book.day.map(|d| d.to_string()).unwrap_or_default()
    ));
    let mut named: Vec<(String, Option<u64>)> = project
        .config
        .relays
        .iter()
        .map(|r| (r.name.clone(), r.daily_cap))
        .collect();
    if named.is_empty() {
        named.push((transport, None));
    }
    for (name, cap) in named {
        let delivered = book.delivered.get(&name).copied().unwrap_or(0);
        let count = match cap {
            Some(cap) if delivered >= cap => {
                format!(
                    "{delivered} of {cap} delivered today (cap spent; resumes {})",
                    zone.local_minute(zone.next_day(now))
                )
            }
            Some(cap) => format!("{delivered} of {cap} delivered today"),
            None => format!("{delivered} delivered today"),
        };
        out.line(&format!("  {name}: {count}"));
        let at = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match book.health.get(&name) {
            None => out.line("    health: not used yet"),
            Some(note) if note.reason.is_empty() => {
                out.line(&format!("    {} as of {}", note.state, at(&note.since)))
            }
            Some(note) => out.line(&format!(
                "    {} since {}: {}",
                note.state,
                at(&note.since),
                note.reason
            )),
        }
    }
    Ok(())
}

/// Standard output that ends quietly when the reader goes away
/// (`verdict status --failed | head -1`).
struct Output {
    stdout: std::io::Stdout,
    closed: bool,
}

impl Output {
    fn new() -> Output {
        Output {
            stdout: std::io::stdout(),
            closed: false,
        }
    }

    fn line(&mut self, text: &str) {
        if !self.closed && writeln!(self.stdout.lock(), "{text}").is_err() {
            self.closed = true;
        }
    }
}

/// Every address whose last outcome is not a delivery, with its last reply.
fn print_failed(path: &std::path::Path, out: &mut Output) -> Result<()> {
    let mut last: HashMap<String, (Outcome, String, u32)> = HashMap::new();
    let mut rest = None;
    ledger::read(path, |record| match record {
        Record::Outcome {
            email,
            outcome,
            reply,
            attempts,
            ..
        } => {
            last.insert(email, (outcome, reply, attempts));
        }
        Record::Reopened { email, .. } => {
            last.remove(&email);
        }
        Record::ExpiredRest { at, reason } => {
            for (outcome, _, _) in last.values_mut() {
                if !outcome.is_final(false) {
                    *outcome = Outcome::Expired;
                }
            }
            rest = Some((at, reason));
        }
        Record::Start { .. } | Record::Complete { .. } => {}
    })?;
    let mut failed: Vec<_> = last
        .into_iter()
        .filter(|(_, (o, _, _))| *o != Outcome::Delivered)
        .collect();
    failed.sort_by(|a, b| a.0.cmp(&b.0));
    for (email, (outcome, reply, attempts)) in failed {
        out.line(&format!(
            "  {email}\t{}\t{attempts} attempt(s)\t{}",
            outcome.label(),
            crate::send::transport::escape_reply(&reply)
        ));
    }
    if let Some((at, reason)) = rest {
        out.line(&format!(
            "  everyone else not yet delivered\texpired at {}\t{reason}",
            at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    Ok(())
}
