//! Sending one issue: a producer streams the audience, a pool of workers composes
//! and delivers (paced, retried with backoff), and one writer thread group-commits
//! each outcome to the ledger before anyone counts it as done.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use crate::audience::{self, RetryFailed, Tally};
use crate::error::{Error, Result};
use crate::ledger::{self, Outcome, Record};
use crate::message::Composer;
use crate::subscribers::{self, Reason, Subscriber};
use crate::transport::{Failure, Transport};

/// How a run sends.
#[derive(Debug, Clone)]
pub struct Options {
    pub concurrency: usize,
    /// Messages per second; 0 is unpaced.
    pub rate: f64,
    pub max_attempts: u32,
    /// The first retry delay; doubled per attempt, with jitter.
    pub retry_delay: Duration,
    /// Stop after this many recipients.
    pub limit: Option<u64>,
    pub retry_failed: RetryFailed,
    pub progress: ProgressStyle,
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressStyle {
    /// A progress bar (a terminal).
    Bar,
    /// A plain line every few seconds (cron, logs).
    Lines,
    Quiet,
}

/// What one run did for one issue.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub issue_id: String,
    pub tally: Tally,
    pub delivered: u64,
    pub failed: u64,
    pub bounced: u64,
    pub deferred: u64,
    pub retries: u64,
    /// Left for a later run by `--limit`.
    pub not_attempted: u64,
    /// Every recipient now has a final outcome.
    pub complete: bool,
    pub elapsed: Duration,
}

impl Report {
    /// Recipients this run could not deliver.
    pub fn undelivered(&self) -> u64 {
        self.failed + self.bounced + self.deferred
    }

    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            (self.delivered as f64 / seconds).round()
        } else {
            0.0
        };
        let mut line = format!(
            "{}: delivered {}, already sent {}, suppressed {}, failed {}, bounced {}, deferred {}, retries {}",
            self.issue_id,
            self.delivered,
            self.tally.already_sent,
            self.tally.suppressed,
            self.failed,
            self.bounced,
            self.deferred,
            self.retries,
        );
        if self.tally.joined_later > 0 {
            line.push_str(&format!(
                ", joined after sending started {}",
                self.tally.joined_later
            ));
        }
        if self.not_attempted > 0 {
            line.push_str(&format!(", left for the next run {}", self.not_attempted));
        }
        line.push_str(&format!(" in {seconds:.1} s ({rate} msg/s)"));
        line
    }
}

/// One recipient's outcome on its way to the ledger.
struct Done {
    email: String,
    outcome: Outcome,
    reply: String,
    attempts: u32,
    message_id: String,
    committed: oneshot::Sender<bool>,
}

#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    failed: AtomicU64,
    bounced: AtomicU64,
    deferred: AtomicU64,
    retries: AtomicU64,
}

impl Counters {
    fn add(&self, outcome: Outcome, attempts: u32) {
        let counter = match outcome {
            Outcome::Delivered => &self.delivered,
            Outcome::Failed => &self.failed,
            Outcome::Bounced => &self.bounced,
            Outcome::Deferred => &self.deferred,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.retries
            .fetch_add(u64::from(attempts.saturating_sub(1)), Ordering::Relaxed);
    }

    fn done(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
            + self.failed.load(Ordering::Relaxed)
            + self.bounced.load(Ordering::Relaxed)
            + self.deferred.load(Ordering::Relaxed)
    }
}

/// Stops the run: the first reason wins.
#[derive(Default)]
struct Stop {
    stopped: AtomicBool,
    reason: Mutex<Option<String>>,
    /// Connection failures in a row, reset by any delivery.
    unreachable_streak: AtomicU64,
    delivered_any: AtomicBool,
}

impl Stop {
    /// Counts a connection failure; stops the run once so many came in a row,
    /// before any delivery, that the relay must be down: the next run resumes.
    fn connection_failed(&self, limit: u64, reply: &str) {
        let streak = self.unreachable_streak.fetch_add(1, Ordering::SeqCst) + 1;
        if streak >= limit && !self.delivered_any.load(Ordering::SeqCst) {
            self.stop(format!(
                "the relay looks unreachable ({streak} failed connections in a row): {reply}"
            ));
        }
    }

    fn delivered(&self) {
        self.unreachable_streak.store(0, Ordering::SeqCst);
        self.delivered_any.store(true, Ordering::SeqCst);
    }

    fn stop(&self, reason: String) {
        let mut slot = self.reason.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(reason);
        self.stopped.store(true, Ordering::SeqCst);
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Spaces sends evenly at a rate shared by all workers.
struct Pacer {
    interval: Option<Duration>,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    fn new(rate: f64) -> Self {
        Pacer {
            interval: (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate)),
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// The wait before retry number `attempt` (1-based): exponential, with ±50 % jitter
/// so that retries from many workers do not arrive together, capped at a minute.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exponential = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let jitter = 0.5 + rand::random::<f64>();
    exponential.mul_f64(jitter).min(Duration::from_secs(60))
}

/// Everything a run needs besides the issue.
pub struct Run<T> {
    pub root: PathBuf,
    pub state_dir: PathBuf,
    pub transport: Arc<T>,
    pub options: Options,
}

impl<T: Transport> Run<T> {
    /// Sends one issue to everyone still due to get it.
    pub async fn send_issue(&self, issue_id: &str, composer: Arc<Composer>) -> Result<Report> {
        let begun = Instant::now();
        let index = ledger::load(&self.state_dir, issue_id)?;
        let suppressed = audience::suppressed_keys(&self.root)?;
        let mut writer = ledger::Writer::open(&self.state_dir, issue_id, index.torn_tail)?;
        let started = match index.started {
            Some(at) => at,
            None => {
                let now = Utc::now();
                writer.append(&Record::Start { at: now });
                writer.commit()?;
                now
            }
        };

        let options = &self.options;
        let concurrency = options.concurrency.max(1);
        let (job_tx, job_rx) = mpsc::channel::<Subscriber>(concurrency * 4);
        let (done_tx, done_rx) = mpsc::unbounded_channel::<Done>();
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(Stop::default());
        let progress = Progress::start(options.progress, issue_id, counters.clone());

        let writer_thread = {
            let counters = counters.clone();
            let root = self.root.clone();
            let bar = progress.bar.clone();
            std::thread::spawn(move || {
                commit_outcomes(writer, done_rx, &counters, &root, bar.as_ref())
            })
        };

        let jobs = Arc::new(tokio::sync::Mutex::new(job_rx));
        let pacer = Arc::new(Pacer::new(options.rate));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            workers.spawn(worker(
                jobs.clone(),
                self.transport.clone(),
                composer.clone(),
                pacer.clone(),
                done_tx.clone(),
                stop.clone(),
                options.max_attempts.max(1),
                options.retry_delay,
                (concurrency as u64) * u64::from(options.max_attempts.max(1)),
            ));
        }
        // Only the workers hold the job queue: when they all stop, the producer's
        // next send fails instead of waiting for ever.
        drop(jobs);
        drop(done_tx);

        let producer = {
            let root = self.root.clone();
            let retry = options.retry_failed.clone();
            let limit = options.limit;
            let stop = stop.clone();
            let bar = progress.bar.clone();
            tokio::task::spawn_blocking(move || {
                let mut dispatched = 0u64;
                let mut not_attempted = 0u64;
                let tally = audience::walk(
                    &root,
                    &index,
                    &suppressed,
                    Some(started),
                    &retry,
                    |subscriber| {
                        if stop.is_stopped() || limit.is_some_and(|l| dispatched >= l) {
                            not_attempted += 1;
                            return;
                        }
                        if job_tx.blocking_send(subscriber).is_err() {
                            not_attempted += 1;
                            return;
                        }
                        dispatched += 1;
                        if let Some(bar) = &bar {
                            bar.set_length(dispatched);
                        }
                    },
                );
                tally.map(|t| (t, not_attempted))
            })
        };
        let produced = producer.await.map_err(Error::failed);
        while workers.join_next().await.is_some() {}
        let mut writer = writer_thread
            .join()
            .map_err(|_| Error::failed("the ledger writer stopped unexpectedly"))??;
        progress.finish();
        let (tally, not_attempted) = produced??;

        if let Some(reason) = stop.reason() {
            return Err(Error::Failed(format!(
                "{issue_id}: sending stopped: {reason}"
            )));
        }
        let mut report = Report {
            issue_id: issue_id.to_string(),
            tally,
            delivered: counters.delivered.load(Ordering::Relaxed),
            failed: counters.failed.load(Ordering::Relaxed),
            bounced: counters.bounced.load(Ordering::Relaxed),
            deferred: counters.deferred.load(Ordering::Relaxed),
            retries: counters.retries.load(Ordering::Relaxed),
            not_attempted,
            complete: false,
            elapsed: Duration::ZERO,
        };
        report.complete = report.deferred == 0 && not_attempted == 0;
        if report.complete {
            writer.append(&Record::Complete { at: Utc::now() });
            writer.commit()?;
        }
        report.elapsed = begun.elapsed();
        Ok(report)
    }
}

#[allow(clippy::too_many_arguments)]
async fn worker<T: Transport>(
    jobs: Arc<tokio::sync::Mutex<mpsc::Receiver<Subscriber>>>,
    transport: Arc<T>,
    composer: Arc<Composer>,
    pacer: Arc<Pacer>,
    done: mpsc::UnboundedSender<Done>,
    stop: Arc<Stop>,
    max_attempts: u32,
    retry_delay: Duration,
    unreachable_limit: u64,
) {
    loop {
        if stop.is_stopped() {
            return;
        }
        let Some(subscriber) = jobs.lock().await.recv().await else {
            return;
        };
        let message = match composer.compose(&subscriber.email, subscriber.name.as_deref()) {
            Ok(message) => message,
            Err(reason) => {
                stop.stop(format!(
                    "cannot compose the message to {}: {reason}",
                    subscriber.email
                ));
                return;
            }
        };
        let mut attempts = 0;
        let (outcome, reply) = loop {
            attempts += 1;
            pacer.wait().await;
            match transport.send(&message).await {
                Ok(reply) => {
                    stop.delivered();
                    break (Outcome::Delivered, reply);
                }
                Err(Failure::Fatal(reason)) => {
                    stop.stop(reason);
                    return;
                }
                Err(failure @ Failure::Permanent(_)) => {
                    let outcome = if failure.is_unknown_user() {
                        Outcome::Bounced
                    } else {
                        Outcome::Failed
                    };
                    break (outcome, failure.reply().to_string());
                }
                Err(failure @ (Failure::Transient(_) | Failure::Connection(_))) => {
                    let reply = failure.reply().to_string();
                    crate::debug!("{}: attempt {attempts} failed: {reply}", subscriber.email);
                    if matches!(failure, Failure::Connection(_)) {
                        stop.connection_failed(unreachable_limit, &reply);
                    }
                    if attempts >= max_attempts || stop.is_stopped() {
                        break (Outcome::Deferred, reply);
                    }
                    tokio::time::sleep(backoff(retry_delay, attempts)).await;
                }
            }
        };
        crate::debug!(
            "{}: {outcome:?} after {attempts} attempt(s): {reply}",
            subscriber.email
        );
        // Wait for the ledger before taking the next recipient: a crash can then
        // repeat at most one delivery per worker.
        let (committed, is_committed) = oneshot::channel();
        let sent = done.send(Done {
            email: subscriber.email,
            outcome,
            reply,
            attempts,
            message_id: message.message_id,
            committed,
        });
        if sent.is_err() || !is_committed.await.unwrap_or(false) {
            stop.stop("the ledger could not be written".into());
            return;
        }
    }
}

/// The writer thread: drains whatever outcomes are waiting, appends them, fsyncs
/// once for the batch, then lets their workers go on.
fn commit_outcomes(
    mut writer: ledger::Writer,
    mut outcomes: mpsc::UnboundedReceiver<Done>,
    counters: &Counters,
    root: &std::path::Path,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<ledger::Writer> {
    while let Some(first) = outcomes.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < 4096 {
            match outcomes.try_recv() {
                Ok(done) => batch.push(done),
                Err(_) => break,
            }
        }
        let now = Utc::now();
        for done in &batch {
            writer.append(&Record::Outcome {
                email: done.email.clone(),
                outcome: done.outcome,
                reply: done.reply.clone(),
                attempts: done.attempts,
                at: now,
                message_id: done.message_id.clone(),
            });
        }
        if let Err(error) = writer.commit() {
            for done in batch {
                let _ = done.committed.send(false);
            }
            return Err(error.into());
        }
        for done in batch {
            if done.outcome == Outcome::Bounced
                && let Err(error) =
                    subscribers::suppress(root, &done.email, Reason::Bounced, &done.reply)
            {
                eprintln!(
                    "warning: {} bounced but could not be suppressed: {error}",
                    done.email
                );
            }
            counters.add(done.outcome, done.attempts);
            if let Some(bar) = bar {
                bar.inc(1);
            }
            let _ = done.committed.send(true);
        }
    }
    Ok(writer)
}

/// Progress on a terminal (a bar) or in a log (a line every few seconds).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    fn start(style: ProgressStyle, issue_id: &str, counters: Arc<Counters>) -> Progress {
        match style {
            ProgressStyle::Quiet => Progress {
                bar: None,
                ticker: None,
            },
            ProgressStyle::Bar => {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_prefix(issue_id.to_string());
                Progress {
                    bar: Some(bar),
                    ticker: None,
                }
            }
            ProgressStyle::Lines => {
                let issue_id = issue_id.to_string();
                let ticker = tokio::spawn(async move {
                    let mut interval = tokio::time::interval(Duration::from_secs(5));
                    interval.tick().await;
                    let mut last = 0;
                    loop {
                        interval.tick().await;
                        let done = counters.done();
                        if done != last {
                            println!(
                                "{} {issue_id}: {} delivered, {} failed, {} deferred so far",
                                Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
                                counters.delivered.load(Ordering::Relaxed),
                                counters.failed.load(Ordering::Relaxed)
                                    + counters.bounced.load(Ordering::Relaxed),
                                counters.deferred.load(Ordering::Relaxed),
                            );
                            last = done;
                        }
                    }
                });
                Progress {
                    bar: None,
                    ticker: Some(ticker),
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4u32 {
            let nominal = 100.0 * f64::from(1u32 << (attempt - 1));
            let wait = backoff(base, attempt).as_secs_f64() * 1000.0;
            assert!(
                wait >= nominal * 0.5 && wait <= nominal * 1.5,
                "attempt {attempt}: {wait} ms"
            );
        }
        assert_eq!(
            backoff(Duration::from_secs(10), 30),
            Duration::from_secs(60)
        );
    }
}
