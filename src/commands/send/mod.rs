//! `verdict send`: deliver every due issue (or those named) to everyone who has
//! not got it yet, through its relays (`relays`); which issues (`selection`,
//! with the `--dry-run` forecast); test and redirected copies (`copies`); what
//! the run shows (`progress`).

mod copies;
mod progress;
mod relays;
mod selection;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use self::progress::{Progress, ProgressStyle, summary};
use self::selection::Candidate;
use crate::author::issue::Issue;
use crate::author::render;
use crate::diagnostic::FileDiagnostics;
use crate::error::{Error, Result, exit};
use crate::project::Project;
use crate::project::config::Zone;
use crate::project::config::{Sending, bounds};
use crate::project::layout::Layout;
use crate::send::audience::{Audience, RetryFailed};
use crate::send::dispatch::{
    Interrupt, IssueToSend, JudgeSettings, Options, RelaySettings, Report, Run, RunClock, Signal,
    Stopped,
};
use crate::send::ledger::SendLock;
use crate::send::message::{self, Composer};
use crate::send::relay_book::RelayBook;
use crate::send::transport::{AnyTransport, Transport};
use crate::store::tokens::Keys;

/// Send every due issue, or the ones named. Safe to run from cron: it sends each
/// recipient an issue once, resumes after a crash, and exits 0 when nothing is due.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to send (ids, unique starts of ids or file names); all due issues when none is given.
    pub issues: Vec<String>,
    /// Send a test copy of the named issue to these addresses (repeat or separate
    /// with commas); the subject starts with [TEST], its links are inert, and
    /// nothing is recorded.
    #[arg(long, value_name = "ADDR", value_delimiter = ',')]
    pub to: Vec<String>,
    /// Deliver real readers' copies of the named issue (their greeting) all to
    /// ADDR, the reader named only in a header, the subject marked [REDIRECTED],
    /// every link inert; record nothing. Up to --limit readers (default 10)
    /// among those still due.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["to", "dry_run", "retry_failed"])]
    pub redirect_to: Option<String>,
    /// Say what would be sent, through which transport, to how many; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop after this many recipients (to warm up a new sending domain).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Retry recipients that failed permanently before: all, or with
    /// --retry-failed=ADDR,ADDR only those.
    #[arg(long, value_name = "ADDR,…", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub retry_failed: Option<String>,
    /// Send the named issues now even if their send_at is still ahead.
    #[arg(long)]
    pub now: bool,
    /// Where mail goes: outbox:DIR or an SMTP URL (overrides VERDICT_TRANSPORT,
    /// and verdict.toml's transport or [[relay]] tables).
    #[arg(long, value_name = "TRANSPORT")]
    pub transport: Option<String>,
    /// SMTP connections in use at once, per relay (overrides verdict.toml).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// Messages per second per relay, 0 for unpaced (overrides verdict.toml).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Print nothing when there is nothing to send (for cron).
    #[arg(long)]
    pub quiet: bool,
    /// Accept any TLS certificate from the relay. Dangerous: only for a test relay.
    #[arg(long)]
    pub dangerous_accept_invalid_certs: bool,
}

pub(crate) fn execute(layout: &Layout, args: Args, now: DateTime<Utc>) -> Result<()> {
    let project = Project::load(layout)?;
    if let Some(rate) = args.rate
        && !bounds::rate_ok(rate)
    {
        return Err(Error::usage(format!(
            "--rate must be 0 (unpaced) or from {} to {} messages per second",
            bounds::MIN_RATE,
            bounds::MAX_RATE
        )));
    }
    if let Some(concurrency) = args.concurrency
        && !(1..=bounds::MAX_CONCURRENCY).contains(&concurrency)
    {
        return Err(Error::usage(format!(
            "--concurrency must be from 1 to {}",
            bounds::MAX_CONCURRENCY
        )));
    }
    if !args.to.is_empty() {
        return copies::send_test_copies(&project, &args);
    }
    if let Some(to) = &args.redirect_to {
        return copies::send_redirected(&project, &args, to);
    }
    let retry_failed = selection::retry_failed(&args)?;
    let mut problems = Problems::default();
    let (candidates, next) =
        selection::due_issues(&project, &args, &retry_failed, now, &mut problems)?;
    let result = if candidates.is_empty() {
        // Issues named on the command line were each answered already.
        if !args.quiet && problems.is_empty() && args.issues.is_empty() {
            crate::say!("{}", selection::nothing_to_send(next, now));
        }
        Ok(())
    } else if args.dry_run {
        selection::dry_run(&project, &args, &candidates, &retry_failed, now)
    } else {
        send(
            &project,
            &args,
            candidates,
            retry_failed,
            now,
            &mut problems,
        )
    };
    problems.finish(result)
}

/// Issues that could not be sent, kept while the others go out.
#[derive(Default)]
pub(super) struct Problems {
    pub(super) invalid: Vec<FileDiagnostics>,
    pub(super) failures: Vec<String>,
}

impl Problems {
    fn is_empty(&self) -> bool {
        self.invalid.is_empty() && self.failures.is_empty()
    }

    /// The run's result, worsened by the issues that could not be sent.
    fn finish(self, result: Result<()>) -> Result<()> {
        match result {
            Err(error) => {
                for failure in &self.failures {
                    tracing::error!("{failure}");
                }
                Err(error)
            }
            Ok(()) if !self.failures.is_empty() => Err(Error::failed(self.failures.join("\n"))),
            Ok(()) if !self.invalid.is_empty() => Err(Error::Invalid(self.invalid)),
            Ok(()) => Ok(()),
        }
    }
}

fn send(
    project: &Project,
    args: &Args,
    candidates: Vec<Candidate>,
    retry_failed: RetryFailed,
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> Result<()> {
    // Both lists are read whole first: a damaged one stops the run before
    // anything is sent or recorded.
    Audience::open(&project.layout)?;
    let lock = SendLock::acquire(&project.layout.send_lock())?;
    if let Some(previous) = &lock.took_over {
        tracing::info!(
            "note: the previous send ({previous}) ended without releasing the lock; taking it over"
        );
    }
    let keys = Keys::load(&project.layout)?;
    let sending = &project.config.sending;
    let zone = &project.config.time_zone;
    let book = RelayBook::load(&project.layout, now, zone)?;
    let style = ProgressStyle::pick(args.quiet);
    let runtime = runtime()?;
    runtime.block_on(async {
        let clock = RunClock::starting(now);
        let relays = relays::open_relays(project, args, &book, now)?;
        let options = options(sending, args, retry_failed, clock, &relays);
        if !args.quiet {
            relays::announce(&relays, now);
            crate::say!("{}", keys.in_use());
        }
        let interrupt = Interrupt::default();
        watch_signals(interrupt.clone());
        let progress = Arc::new(Progress::new(style));
        let transports: Vec<Arc<AnyTransport>> = relays.iter().map(|(_, t)| t.clone()).collect();
        let run = Arc::new(Run::new(
            project.layout.clone(),
            relays,
            options,
            progress.clone(),
            interrupt,
        ));
        let book = Arc::new(std::sync::Mutex::new(book));
        let keeping = relays::keep_book(project.layout.clone(), book.clone(), run.clone(), clock);
        // In date order, but an issue due only to readers held in an earlier
        // run goes last: by then the relays have shown whether they deliver.
        // (A ledger that cannot be read keeps its place; sending it says why.)
        let mut candidates = candidates;
        candidates.sort_by_cached_key(|c| run.only_held_due(&c.issue.id).unwrap_or(false));
        let mut reports: Vec<Report> = Vec::new();
        for candidate in &candidates {
            let (composer, fingerprint) = composer(project, &candidate.issue, &keys)?;
            let issue = IssueToSend {
                id: candidate.issue.id.clone(),
                composer: Arc::new(composer),
                content: fingerprint,
                not_after: candidate
                    .issue
                    .not_after
                    .as_ref()
                    .map(|n| n.value.with_timezone(&Utc)),
            };
            let ticker = progress.start(&candidate.issue.id);
            let report = run.send_issue(issue).await;
            progress.finish(ticker);
            let report = match report {
                Ok(report) => report,
                Err(error) => {
                    // One issue's broken ledger or list does not stop the others.
                    problems.failures.push(format!(
                        "{}: {}",
                        candidate.issue.id,
                        Error::from(error)
                    ));
                    continue;
                }
            };
            crate::say!("{}", summary(&report));
            let stopped = report.stopped.clone();
            reports.push(report);
            if stopped.is_some() {
                break;
            }
        }
        keeping.abort();
        run.close().await;
        for transport in &transports {
            transport.close().await;
        }
        let saved = relays::note_book(&project.layout, &book, &run, clock);
        let result = outcome(&reports, zone.next_day(clock.now()), zone);
        match saved {
            Ok(()) => result,
            Err(error) => {
                if let Err(other) = result {
                    tracing::error!("{other}");
                }
                Err(Error::failed(format!(
                    "{error}: every outcome is in the ledger, but the relays' counts for today are not saved, so a daily cap may be exceeded today"
                )))
            }
        }
    })
}

/// How the run sends, from `[sending]` and the command line.
fn options(
    sending: &Sending,
    args: &Args,
    retry_failed: RetryFailed,
    clock: RunClock,
    relays: &[(RelaySettings, Arc<AnyTransport>)],
) -> Options {
    Options {
        max_attempts: sending.max_attempts,
        retry_delay: sending.retry_delay,
        limit: args.limit,
        retry_failed,
        give_up_after: sending.give_up_after,
        clock,
        judge: JudgeSettings {
            window: sending.judge_window as usize,
            refusal_percent: sending.refusal_percent,
        },
        stall_after: relays::stall_after(sending.stall_after, relays),
        uncertain_retries: sending.uncertain_retries,
    }
}

/// The exit of a run, from what its issues' reports say.
fn outcome(reports: &[Report], resumes: DateTime<Utc>, zone: &Zone) -> Result<()> {
    let Some(last) = reports.last() else {
        return Ok(());
    };
    match &last.stopped {
        Some(Stopped::Interrupted(signal)) => {
            let (name, code) = match signal {
                Signal::Interrupt => ("SIGINT", exit::INTERRUPTED),
                Signal::Terminate => ("SIGTERM", exit::TERMINATED),
            };
            return Err(Error::Interrupted {
                message: format!(
                    "{}: stopped by {name} after finishing the messages in flight; {} left: run `verdict send` again to continue",
                    last.issue_id, last.not_attempted
                ),
                code,
            });
        }
        Some(Stopped::RelaysDown(reason)) => {
            return Err(Error::failed(format!(
                "{}: sending stopped: {reason}. {} reader(s) left pending; the next run resumes",
                last.issue_id, last.not_attempted
            )));
        }
        Some(Stopped::Stalled(reason)) => {
            return Err(Error::Stalled(format!(
                "{}: sending stopped: {reason}. {} reader(s) left pending; the next run resumes",
                last.issue_id, last.not_attempted
            )));
        }
        Some(Stopped::Ledger(reason)) => {
            return Err(Error::failed(format!(
                "{}: sending stopped: {reason}",
                last.issue_id
            )));
        }
        Some(Stopped::CapsSpent) => {
            crate::say!(
                "{}: every relay's daily cap is spent; {} reader(s) left; sending resumes with the next run from {}",
                last.issue_id,
                last.not_attempted,
                zone.local_minute(resumes)
            );
        }
        None => {}
    }
    let undelivered: Vec<&Report> = reports.iter().filter(|r| r.undelivered() > 0).collect();
    if undelivered.is_empty() {
        return Ok(());
    }
    let count: u64 = undelivered.iter().map(|r| r.undelivered()).sum();
    let hints: Vec<String> = undelivered
        .iter()
        .map(|r| format!("`verdict status {} --failed`", r.issue_id))
        .collect();
    Err(Error::Delivery(format!(
        "{count} recipient(s) not delivered this run; {} lists them",
        hints.join(" and ")
    )))
}

/// The first SIGINT or SIGTERM finishes the messages in flight and ends the run;
/// a second one ends the process at once.
fn watch_signals(interrupt: Interrupt) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        let mut seen = false;
        loop {
            let (received, code) = tokio::select! {
                _ = int.recv() => (Signal::Interrupt, exit::INTERRUPTED),
                _ = term.recv() => (Signal::Terminate, exit::TERMINATED),
            };
            if seen {
                tracing::info!(
                    "second signal: stopping at once; the next run resends at most the messages that were in flight"
                );
                std::process::exit(code);
            }
            seen = true;
            tracing::info!(
                "finishing the messages in flight, then stopping (signal again to stop at once)"
            );
            interrupt.trigger(received);
        }
    });
}

/// The composer of an issue as readers see it now (with the community vote),
/// and the fingerprint of the issue file's own content.
fn composer(project: &Project, issue: &Issue, keys: &Keys) -> Result<(Composer, String)> {
    let dkim = message::load_dkim(&project.config, &project.layout)?;
    let fingerprint = render::fingerprint(&render::render(issue, project.context()));
    let issue = crate::web::votes::with_community(
        &project.layout,
        issue,
        project.config.community.min_votes,
    )?;
    let rendered = render::render(&issue, project.context());
    Ok((
        Composer::new(&project.config, &issue, rendered, keys.clone()).with_dkim(dkim),
        fingerprint,
    ))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::failed)
}
