//! `verdict send`: deliver every due issue (or those named) to everyone who has
//! not got it yet; test copies with `--to`; a forecast with `--dry-run`.

mod progress;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use self::progress::{Progress, ProgressStyle, summary};
use crate::author::issue::{Issue, parse_file_name};
use crate::author::render;
use crate::diagnostic::{FileDiagnostics, LoadError};
use crate::error::{Error, Result, exit};
use crate::project::Project;
use crate::project::config::{RelayConfig, bounds};
use crate::project::layout::Layout;
use crate::send::audience::{Audience, RetryFailed, Selection};
use crate::send::dispatch::{
    Interrupt, IssueToSend, Options, RelaySettings, Report, Run, Signal, Stopped,
};
use crate::send::ledger::{self, SendLock};
use crate::send::message::{self, Composer};
use crate::send::relay_book::{Keeper, RelayBook, next_day};
use crate::send::transport::{self, AnyTransport, Chosen, Class, Transport};
use crate::store::tokens::Keys;

/// Send every due issue, or the ones named. Safe to run from cron: it sends each
/// recipient an issue once, resumes after a crash, and exits 0 when nothing is due.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to send (ids, unique starts of ids or file names); all due issues when none is given.
    pub issues: Vec<String>,
    /// Send a test copy of the named issue to these addresses (repeat or separate
    /// with commas); the subject starts with [TEST] and nothing is recorded.
    #[arg(long, value_name = "ADDR", value_delimiter = ',')]
    pub to: Vec<String>,
    /// Deliver real readers' own copies of the named issue (their greeting, their
    /// links) all to ADDR, the reader named in a header; record nothing. Up to
    /// --limit readers (default 10) among those still due.
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

/// An issue that may be sent this run.
struct Candidate {
    issue: Issue,
}

pub fn execute(layout: &Layout, args: Args, now: DateTime<Utc>) -> Result<()> {
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
        return send_test_copies(&project, &args);
    }
    if let Some(to) = &args.redirect_to {
        return send_redirected(&project, &args, to);
    }
    let retry_failed = match args.retry_failed.as_deref() {
        None => RetryFailed::No,
        Some("") => RetryFailed::All,
        Some(list) => RetryFailed::Only(
            list.split(',')
                .map(|a| crate::store::lists::normalize_address(a).map_err(Error::from))
                .collect::<Result<_>>()?,
        ),
    };
    let mut problems = Problems::default();
    let (candidates, next) = due_issues(&project, &args, &retry_failed, now, &mut problems)?;
    let result = if candidates.is_empty() {
        if !args.quiet && problems.is_empty() {
            crate::say!("{}", nothing_to_send(next, now));
        }
        Ok(())
    } else if args.dry_run {
        dry_run(&project, &args, &candidates, &retry_failed, now)
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
struct Problems {
    invalid: Vec<FileDiagnostics>,
    failures: Vec<String>,
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

/// The next issue scheduled after now: its id and send time.
type Scheduled = Option<(String, DateTime<chrono::FixedOffset>)>;

/// "nothing to send", and when the next issue is due, if one is scheduled.
fn nothing_to_send(next: Scheduled, now: DateTime<Utc>) -> String {
    match next {
        None => "nothing to send; no issue is scheduled (give one a send_at)".to_string(),
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

/// The issues to send, and the next one scheduled after now. An issue that
/// started sending stays due until it is complete, whatever its send_at says;
/// one that cannot be read is set aside.
fn due_issues(
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
            Some(at) if !(issue.is_published(now) || named && args.now) => {
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

fn dry_run(
    project: &Project,
    args: &Args,
    candidates: &[Candidate],
    retry_failed: &RetryFailed,
    now: DateTime<Utc>,
) -> Result<()> {
    let forced = transport::forced(args.transport.as_deref())?;
    if forced.is_none() && !project.config.relays.is_empty() {
        let book = RelayBook::load(&project.layout, now, project.config.time_zone)?;
        for relay in &project.config.relays {
            let cap = match book.remaining(&relay.name, relay.daily_cap) {
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

fn choose_transport(project: &Project, args: &Args) -> Result<Chosen> {
    let env = std::env::var(transport::TRANSPORT_ENV).ok();
    Ok(transport::choose(
        args.transport.as_deref(),
        env.as_deref(),
        &project.config.transport,
    )?)
}

/// The transport of test and redirected copies: the forced one, else the first
/// `[[relay]]`, else the configured transport.
fn open_transport(project: &Project, args: &Args, pool: u32) -> Result<AnyTransport> {
    if transport::forced(args.transport.as_deref())?.is_none()
        && let Some(relay) = project.config.relays.first()
    {
        return Ok(transport::open_spec(
            &project.config,
            &project.layout,
            &relay.transport,
            relay.password_file.as_deref(),
            pool,
            args.dangerous_accept_invalid_certs,
        )?);
    }
    let (_, transport) = transport::open_for(
        &project.config,
        &project.layout,
        args.transport.as_deref(),
        pool,
        args.dangerous_accept_invalid_certs,
    )?;
    Ok(transport)
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

/// The connections each relay may open: each takes a file descriptor, so all
/// together stay well inside the process's limit (some are needed for files).
fn usable_concurrency(asked: &[u32]) -> Vec<u32> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let room = limit.saturating_sub(64).max(1);
    let total: u64 = asked.iter().map(|&a| u64::from(a)).sum();
    if total <= room {
        return asked.to_vec();
    }
    tracing::info!(
        "note: concurrency {total} needs more open files than this process may have ({limit}); using {room} (raise it with `ulimit -n`)"
    );
    asked
        .iter()
        .map(|&a| (u64::from(a) * room / total).max(1) as u32)
        .collect()
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
    let zone = project.config.time_zone;
    let book = RelayBook::load(&project.layout, now, zone)?;
    let options = Options {
        max_attempts: sending.max_attempts,
        retry_delay: sending.retry_delay,
        limit: args.limit,
        retry_failed,
        give_up_after: sending.give_up_after,
        now,
    };
    let style = ProgressStyle::pick(args.quiet);
    let runtime = runtime()?;
    runtime.block_on(async {
        let relays = open_relays(project, args, &book)?;
        if !args.quiet {
            for (settings, transport) in &relays {
                match settings.remaining_today {
                    Some(left) => crate::say!(
                        "sending through {transport} ({} may take {left} more today)",
                        settings.name
                    ),
                    None if relays.len() > 1 => {
                        crate::say!("sending through {transport} ({})", settings.name)
                    }
                    None => crate::say!("sending through {transport}"),
                }
            }
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
        let run_clock = RunClock::new(now);
        let keeper = Arc::new(std::sync::Mutex::new(Keeper::new(book.clone(), zone)));
        let keeping = keep_book(
            project.layout.clone(),
            keeper.clone(),
            run.clone(),
            run_clock,
        );
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
        let statuses = run.relay_statuses();
        keeper
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .update(&statuses, run_clock.now())
            .save(&project.layout)?;
        outcome(&reports, next_day(run_clock.now(), zone), zone)
    })
}

/// The relays of this run: the forced transport alone, else the `[[relay]]`
/// tables with what each may still take today, else the configured transport.
fn open_relays(
    project: &Project,
    args: &Args,
    book: &RelayBook,
) -> Result<Vec<(RelaySettings, Arc<AnyTransport>)>> {
    let config = &project.config;
    let sending = &config.sending;
    let configured: Vec<RelayConfig> = match transport::forced(args.transport.as_deref())? {
        None if !config.relays.is_empty() => config.relays.clone(),
        forced => {
            let spec = forced.map_or_else(|| config.transport.clone(), |c| c.spec);
            vec![RelayConfig {
                name: spec.to_string(),
                transport: spec,
                rate: None,
                concurrency: None,
                daily_cap: None,
                weight: 1,
                password_file: None,
            }]
        }
    };
    let asked: Vec<u32> = configured
        .iter()
        .map(|r| {
            args.concurrency
                .or(r.concurrency)
                .unwrap_or(sending.concurrency)
        })
        .collect();
    let usable = usable_concurrency(&asked);
    configured
        .iter()
        .zip(usable)
        .map(|(relay, concurrency)| {
            let transport = transport::open_spec(
                config,
                &project.layout,
                &relay.transport,
                relay.password_file.as_deref(),
                concurrency,
                args.dangerous_accept_invalid_certs,
            )?;
            let settings = RelaySettings {
                name: relay.name.clone(),
                concurrency: concurrency as usize,
                rate: args.rate.or(relay.rate).unwrap_or(sending.rate),
                remaining_today: book.remaining(&relay.name, relay.daily_cap),
                weight: relay.weight,
            };
            Ok((settings, Arc::new(transport)))
        })
        .collect()
}

/// The run's "now": the moment it was given (VERDICT_NOW or the clock), moved
/// on by the time it has taken.
#[derive(Clone, Copy)]
struct RunClock {
    began: DateTime<Utc>,
    started: std::time::Instant,
}

impl RunClock {
    fn new(began: DateTime<Utc>) -> RunClock {
        RunClock {
            began,
            started: std::time::Instant::now(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.began + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

/// Writes the relays' counts every few seconds, so that a crash loses at most
/// that much of the daily caps' count.
fn keep_book(
    layout: Layout,
    keeper: Arc<std::sync::Mutex<Keeper>>,
    run: Arc<Run<AnyTransport>>,
    clock: RunClock,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(2));
        interval.tick().await;
        loop {
            interval.tick().await;
            let statuses = run.relay_statuses();
            let mut keeper = keeper.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(error) = keeper.update(&statuses, clock.now()).save(&layout) {
                crate::debug!("cannot write the relay book: {error}");
            }
        }
    })
}

/// The exit of a run, from what its issues' reports say.
fn outcome(reports: &[Report], resumes: DateTime<Utc>, zone: chrono_tz::Tz) -> Result<()> {
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
                resumes.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z")
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

fn send_test_copies(project: &Project, args: &Args) -> Result<()> {
    let [name] = args.issues.as_slice() else {
        return Err(Error::usage(
            "--to sends test copies of one issue: name it, e.g. verdict send ISSUE --to ADDR",
        ));
    };
    let addresses: Vec<String> = args
        .to
        .iter()
        .map(|a| crate::store::lists::normalize_address(a).map_err(Error::from))
        .collect::<Result<_>>()?;
    let issue = project.load_issue(&project.find_issue(name)?)?.issue;
    let keys = Keys::load(&project.layout)?;
    let (composer, _) = composer(project, &issue, &keys)?;
    let composer = composer.for_test_copies();
    let runtime = runtime()?;
    runtime.block_on(async {
        let transport = open_transport(project, args, 1)?;
        let mut failed = Vec::new();
        // A relay that cannot be reached or refuses the sender is the tool not
        // running (exit 1), as in a real send; a refused address is a delivery failure.
        let mut relay_failed = false;
        for email in &addresses {
            let message = composer.compose_test_copy(email)?;
            match transport.send(&message).await {
                Ok(reply) => crate::say!(
                    "test copy of {} sent to {email} through {transport}: {}",
                    issue.id,
                    transport::escape_reply(&reply)
                ),
                Err(failure) => {
                    relay_failed |= matches!(failure.class, Class::Unreachable | Class::Unusable);
                    failed.push(format!("{email}: {failure}"));
                }
            }
        }
        transport.close().await;
        let message = format!("test copy not delivered to {}", failed.join("; "));
        match (failed.is_empty(), relay_failed) {
            (true, _) => Ok(()),
            (false, true) => Err(Error::Failed(message)),
            (false, false) => Err(Error::Delivery(message)),
        }
    })
}

/// How many readers' copies `--redirect-to` delivers without `--limit`.
const REDIRECT_DEFAULT_LIMIT: u64 = 10;

fn send_redirected(project: &Project, args: &Args, to: &str) -> Result<()> {
    let [name] = args.issues.as_slice() else {
        return Err(Error::usage(
            "--redirect-to sends copies of one issue: name it, e.g. verdict send ISSUE --redirect-to ADDR",
        ));
    };
    let to = crate::store::lists::normalize_address(to)?;
    let issue = project.load_issue(&project.find_issue(name)?)?.issue;
    let limit = args.limit.unwrap_or(REDIRECT_DEFAULT_LIMIT);
    let index = ledger::load(&project.layout.ledger(&issue.id))?;
    let selection = Selection {
        index: &index,
        cutoff: index.started,
        retry: &RetryFailed::No,
        give_up_before: None,
        window_closed: false,
    };
    let mut readers = Vec::new();
    Audience::open(&project.layout)?.walk(&selection, |pick| {
        if let crate::send::audience::Pick::Send(reader) = pick
            && (readers.len() as u64) < limit
        {
            readers.push(reader);
        }
    })?;
    if readers.is_empty() {
        crate::say!(
            "{}: no reader is still due to get it; nothing to redirect",
            issue.id
        );
        return Ok(());
    }
    let keys = Keys::load(&project.layout)?;
    let (composer, _) = composer(project, &issue, &keys)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let transport = open_transport(project, args, 1)?;
        let mut failed = Vec::new();
        for reader in &readers {
            let message = composer.compose_redirected(&reader.email, reader.name.as_deref(), &to)?;
            match transport.send(&message).await {
                Ok(reply) => crate::say!(
                    "{}: {}'s copy sent to {to} through {transport}: {}",
                    issue.id,
                    reader.email,
                    transport::escape_reply(&reply)
                ),
                Err(failure) => failed.push(format!("{}'s copy: {failure}", reader.email)),
            }
        }
        transport.close().await;
        crate::say!(
            "{}: {} of {} copies delivered to {to}; nothing recorded (their links are the readers' own: do not unsubscribe or vote from them)",
            issue.id,
            readers.len() - failed.len(),
            readers.len()
        );
        if failed.is_empty() {
            Ok(())
        } else {
            Err(Error::Delivery(failed.join("; ")))
        }
    })
}
