//! A run: the relays with their pools and pacing, kept across the issues it
//! sends. Each issue goes through four phases: `reconcile` (make good what a
//! crash left between the ledger and the suppression list), `plan` (who is due;
//! a closed send window is settled here with one record), `run` (a producer
//! streaming the audience, the workers, a stall watch, the ledger writer, and
//! the judges' last word on refusals still waiting) and `settle` (what the
//! durable outcomes mean: suppressions, the report, done).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::commit::{self, Committed, Counters, Done};
use super::relays::Relays;
use super::worker::{Job, Pacer, Shared, worker};
use super::{
    DispatchError, Interrupt, IssueToSend, Observer, Options, RelaySettings, Report, Stopped,
};
use crate::project::layout::Layout;
use crate::send::audience::{Audience, Pick, RetryFailed, Selection, Tally, WINDOW_CLOSED};
use crate::send::ledger::{self, Index, Outcome, Record};
use crate::send::transport::Transport;
use crate::store::fs::FsError;
use crate::store::lists::{self, Reason, Suppression};

/// Everything a run needs besides the issues.
pub struct Run<T> {
    layout: Layout,
    transports: Vec<Arc<T>>,
    pacers: Arc<Vec<Pacer>>,
    relays: Arc<Relays>,
    options: Options,
    observer: Arc<dyn Observer>,
    interrupt: Interrupt,
}

/// Who is due for one issue this run.
struct Plan {
    /// When the issue started sending, fixing its audience.
    cutoff: Option<DateTime<Utc>>,
    give_up_before: Option<DateTime<Utc>>,
    window_closed: bool,
    tally: Tally,
    /// How many readers this run tries (the tally within `--limit`).
    to_try: u64,
}

impl Plan {
    fn selection<'a>(&self, index: &'a Index, retry: &'a RetryFailed) -> Selection<'a> {
        Selection {
            index,
            cutoff: self.cutoff,
            retry,
            give_up_before: self.give_up_before,
            window_closed: self.window_closed,
        }
    }
}

/// What the run phase leaves for settling.
struct Ran {
    committed: Result<Committed, FsError>,
    counters: Arc<Counters>,
    ledger_failed: bool,
    window_closed_in_run: bool,
    stalled: Option<String>,
}

impl<T: Transport> Run<T> {
    pub fn new(
        layout: Layout,
        relays: Vec<(RelaySettings, Arc<T>)>,
        options: Options,
        observer: Arc<dyn Observer>,
        interrupt: Interrupt,
    ) -> Run<T> {
        let pacers = relays.iter().map(|(s, _)| Pacer::new(s.rate)).collect();
        let (settings, transports): (Vec<_>, Vec<_>) = relays.into_iter().unzip();
        Run {
            layout,
            transports,
            pacers: Arc::new(pacers),
            relays: Arc::new(Relays::new(settings, options.judge, options.stall_after)),
            options,
            observer,
            interrupt,
        }
    }

    /// Ends idle connections of every relay.
    pub async fn close(&self) {
        for transport in &self.transports {
            transport.close().await;
        }
    }

    /// Sends one issue to everyone still due to get it.
    pub async fn send_issue(&self, issue: IssueToSend) -> Result<Report, DispatchError> {
        let begun = Instant::now();
        let path = self.layout.ledger(&issue.id);
        let index = ledger::load(&path)?;
        self.reconcile(&index)?;
        let plan = self.plan(&issue, &index)?;
        self.observer.planned(&issue.id, plan.to_try);
        let mut report = Report {
            issue_id: issue.id.clone(),
            tally: plan.tally.clone(),
            ..Report::default()
        };
        let mut writer = ledger::Writer::open(&path, index.good_len)?;
        if plan.window_closed || plan.tally.to_send == 0 && plan.tally.to_expire == 0 {
            // Nobody to try: settled with a few records, whatever the list's size.
            if !index.complete {
                let now = self.options.clock.now();
                if index.started.is_none() {
                    writer.append(&Record::Start {
                        at: now,
                        content: Some(issue.content.clone()),
                    })?;
                }
                if plan.window_closed {
                    writer.append(&Record::ExpiredRest {
                        at: now,
                        reason: WINDOW_CLOSED.into(),
                    })?;
                }
                writer.append(&Record::Complete { at: now })?;
                writer.commit()?;
            }
            report.expired = plan.tally.to_expire;
            report.window_closed = plan.window_closed;
            report.complete = true;
            report.relays = self.statuses();
            report.elapsed = begun.elapsed();
            return Ok(report);
        }
        let ran = self.run(issue, index, &plan, writer).await?;
        self.settle(report, &plan, ran, begun)
    }

    /// Whether everyone still due for `issue_id` is a reader a relay held in
    /// an earlier run. Such an issue is best sent after the others, so that
    /// each relay has shown whether it delivers before it is judged on them
    /// (see `judge`); any other issue keeps its date order.
    pub fn only_held_due(&self, issue_id: &str) -> Result<bool, DispatchError> {
        let index = ledger::load(&self.layout.ledger(issue_id))?;
        if index.count(Outcome::Held) == 0 {
            return Ok(false);
        }
        let selection = Selection {
            index: &index,
            cutoff: index.started,
            retry: &self.options.retry_failed,
            give_up_before: Some(self.options.clock.now() - self.options.give_up_after),
            window_closed: false,
        };
        let tally = Audience::open(&self.layout)?.walk(&selection, |_| {})?;
        Ok(tally.held > 0 && tally.held == tally.to_send)
    }

    /// Makes good what a crash left: a bounce on disk whose address is not on
    /// the suppression list yet.
    fn reconcile(&self, index: &Index) -> Result<(), DispatchError> {
        if index.bounced.is_empty() {
            return Ok(());
        }
        let audience = Audience::open(&self.layout)?;
        let at = self.options.clock.now();
        let unsuppressed: Vec<Suppression> = index
            .bounced
            .iter()
            .filter(|email| !audience.is_suppressed(email))
            .map(|email| bounced(email, "bounced (recorded in the ledger)", at))
            .collect();
        lists::suppress(&self.layout, &unsuppressed)?;
        Ok(())
    }

    /// Who is due, counted by one walk of the list.
    fn plan(&self, issue: &IssueToSend, index: &Index) -> Result<Plan, DispatchError> {
        let options = &self.options;
        let now = options.clock.now();
        let mut plan = Plan {
            cutoff: index.started,
            give_up_before: Some(now - options.give_up_after),
            window_closed: issue.not_after.is_some_and(|end| end <= now),
            tally: Tally::default(),
            to_try: 0,
        };
        let audience = Audience::open(&self.layout)?;
        plan.tally = audience.walk(&plan.selection(index, &options.retry_failed), |_| {})?;
        plan.to_try = options
            .limit
            .map_or(plan.tally.to_send, |l| l.min(plan.tally.to_send));
        Ok(plan)
    }

    /// Streams the audience to the relays' workers and every outcome to the
    /// ledger writer, until everyone due was tried or the run stops.
    async fn run(
        &self,
        issue: IssueToSend,
        index: Index,
        plan: &Plan,
        writer: ledger::Writer,
    ) -> Result<Ran, DispatchError> {
        let options = &self.options;
        let concurrency: usize = self
            .relays
            .all
            .iter()
            .map(|r| r.settings.concurrency.max(1))
            .sum();
        let (job_tx, job_rx) = mpsc::channel::<Job>(concurrency * 4);
        // Bounded: a run holds a few batches of outcomes, whatever the list's size.
        let (done_tx, done_rx) = mpsc::channel::<Done>(4096);
        let counters = Arc::new(Counters::default());
        let start = index
            .started
            .is_none()
            .then(|| (options.clock.now(), issue.content.clone()));
        let writer_thread = {
            let counters = counters.clone();
            let observer = self.observer.clone();
            std::thread::spawn(move || commit::run(writer, done_rx, start, counters, observer))
        };
        let shared = Arc::new(Shared {
            issue: Arc::new(issue),
            transports: self.transports.clone(),
            pacers: self.pacers.clone(),
            relays: self.relays.clone(),
            options: options.clone(),
            interrupt: self.interrupt.clone(),
            jobs: tokio::sync::Mutex::new(Some(job_rx)),
            returned: Mutex::new(Default::default()),
            returned_one: tokio::sync::Notify::new(),
            in_hand: Default::default(),
            done: done_tx.clone(),
            ledger_failed: AtomicBool::new(false),
            window_closed_in_run: AtomicBool::new(false),
            stalled: Mutex::new(None),
            waiting_on_us: Default::default(),
            counters: counters.clone(),
            produced_all: AtomicBool::new(false),
            queued: Default::default(),
        });
        let mut workers = tokio::task::JoinSet::new();
        for (r, relay) in self.relays.all.iter().enumerate() {
            for _ in 0..relay.settings.concurrency.max(1) {
                // Counted before it is spawned, so that no other relay sees it
                // missing at the start.
                let working = self.relays.working(r);
                workers.spawn(worker(shared.clone(), r, working));
            }
        }
        let watch = tokio::spawn(watch_progress(shared.clone()));
        let producer = self.produce(index, plan, shared.clone(), job_tx, done_tx.clone());
        // When every worker has left (relays out, a stop), nobody takes jobs any
        // more: close the queue so that the producer does not wait for ever.
        let workers_done = async {
            while workers.join_next().await.is_some() {}
            shared.jobs.lock().await.take();
        };
        let (produced, ()) = tokio::join!(producer, workers_done);
        watch.abort();
        // Gone for sure (with its hold on the writer's queue) before the writer
        // is joined below.
        let _ = watch.await;
        produced
            .map_err(|_| {
                DispatchError::Internal("the reader of the list stopped unexpectedly".into())
            })?
            .map_err(DispatchError::List)?;
        self.last_word(&shared).await;
        let ledger_failed = shared.ledger_failed.load(Ordering::SeqCst);
        let window_closed_in_run = shared.window_closed_in_run.load(Ordering::SeqCst);
        let stalled = shared
            .stalled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        drop(shared);
        drop(done_tx);
        let committed = writer_thread.join().map_err(|_| {
            DispatchError::Internal("the ledger writer stopped unexpectedly".into())
        })?;
        Ok(Ran {
            committed,
            counters,
            ledger_failed,
            window_closed_in_run,
            stalled,
        })
    }

    /// The end of the run is the judgement of every refusal still waiting:
    /// held when its relay was refusing after all, acted on otherwise.
    async fn last_word(&self, shared: &Shared<T>) {
        let now = self.options.clock.now();
        for relay in &self.relays.all {
            let (refusing, waiting) = relay
                .judge
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .finish();
            if refusing && !waiting.is_empty() {
                relay.refuse_all(format!(
                    "{} refused {} reader(s), too large a share of the run to tell them from a relay that refuses the newsletter; held, nobody suppressed",
                    relay.settings.name,
                    waiting.len()
                ));
            }
            for (outcome, refusal) in waiting {
                let done = Done::noted(
                    &refusal.job.subscriber.email,
                    outcome,
                    &refusal.reply,
                    refusal.attempts,
                    refusal.message_id,
                    now,
                );
                if shared.done.send(done).await.is_err() {
                    shared.ledger_failed.store(true, Ordering::SeqCst);
                }
            }
        }
    }

    /// The producer: walks the list on a thread of its own, expiring those
    /// deferred for too long and queueing the rest for the workers, readers
    /// held in an earlier run last (so that a relay is judged on the others
    /// first).
    fn produce(
        &self,
        index: Index,
        plan: &Plan,
        shared: Arc<Shared<T>>,
        job_tx: mpsc::Sender<Job>,
        done_tx: mpsc::Sender<Done>,
    ) -> tokio::sync::oneshot::Receiver<Result<Tally, lists::ListError>> {
        let layout = self.layout.clone();
        let retry = self.options.retry_failed.clone();
        let plan = Plan {
            tally: Tally::default(),
            ..*plan
        };
        let limit = self.options.limit;
        let at = self.options.clock.now();
        let (produced, result) = tokio::sync::oneshot::channel();
        // A thread of its own rather than tokio's blocking pool: its reads block,
        // and a blocking-pool task would hold tokio's paused test clock still.
        std::thread::spawn(move || {
            let walked = (|| {
                let audience = Audience::open(&layout)?;
                let mut dispatched = 0u64;
                let mut held = Vec::new();
                let stopping = || shared.stopping() || shared.relays.all_out();
                let mut dispatch = |job: Job| {
                    if stopping() || limit.is_some_and(|l| dispatched >= l) {
                        return;
                    }
                    // Counted before it is sent, so that a worker never sees it
                    // taken before it was queued.
                    shared.queued.fetch_add(1, Ordering::SeqCst);
                    if job_tx.blocking_send(job).is_ok() {
                        dispatched += 1;
                    } else {
                        shared.queued.fetch_sub(1, Ordering::SeqCst);
                    }
                };
                let tally = audience.walk(&plan.selection(&index, &retry), |pick| match pick {
                    Pick::Expire(subscriber, reason) => {
                        let expired =
                            Done::decided(&subscriber.email, Outcome::Expired, reason, at);
                        let _ = done_tx.blocking_send(expired);
                    }
                    Pick::Send(subscriber)
                        if index.get(&subscriber.email) == Some(Outcome::Held) =>
                    {
                        held.push(subscriber);
                    }
                    Pick::Send(subscriber) => {
                        let retried = matches!(
                            index.get(&subscriber.email),
                            Some(Outcome::Failed | Outcome::Bounced)
                        );
                        dispatch(Job {
                            subscriber,
                            held_before: false,
                            retried,
                        })
                    }
                })?;
                for subscriber in held {
                    dispatch(Job {
                        subscriber,
                        held_before: true,
                        retried: false,
                    });
                }
                Ok(tally)
            })();
            shared.produced_all.store(true, Ordering::SeqCst);
            shared.relays.wake();
            let _ = produced.send(walked);
        });
        result
    }

    /// Acts on the durable outcomes (withdrawals, suppressions), says why the
    /// run stopped, and marks the issue complete when everyone has an outcome.
    fn settle(
        &self,
        mut report: Report,
        plan: &Plan,
        ran: Ran,
        begun: Instant,
    ) -> Result<Report, DispatchError> {
        let now = self.options.clock.now();
        let counters = &ran.counters;
        let mut stopped = None;
        let mut bounced = Vec::new();
        let mut writer = None;
        match ran.committed {
            Err(error) => stopped = Some(Stopped::Ledger(error.to_string())),
            Ok(committed) => {
                bounced = committed.bounced;
                writer = Some(committed.writer);
            }
        }
        // Only bounces that are durable and were judged reach this point.
        let suppressions: Vec<Suppression> =
            bounced.iter().map(|email| bounced_at(email, now)).collect();
        lists::suppress(&self.layout, &suppressions)?;

        report.delivered = Counters::get(&counters.delivered);
        report.failed = Counters::get(&counters.failed);
        report.bounced = Counters::get(&counters.bounced);
        report.deferred = Counters::get(&counters.deferred);
        report.expired = Counters::get(&counters.expired);
        report.held = Counters::get(&counters.held);
        report.uncertain = Counters::get(&counters.uncertain);
        report.retries = Counters::get(&counters.retries);
        report.window_closed = plan.window_closed || ran.window_closed_in_run;
        let expired_in_run = report.expired.saturating_sub(plan.tally.to_expire);
        let tried = report.delivered
            + report.failed
            + report.bounced
            + report.deferred
            + report.held
            + report.uncertain
            + expired_in_run;
        report.not_attempted = plan.tally.to_send.saturating_sub(tried);
        if ran.window_closed_in_run
            && stopped.is_none()
            && let Some(writer) = &mut writer
        {
            // The window closed during the run: everyone still pending expires
            // with one record.
            writer.append(&Record::ExpiredRest {
                at: now,
                reason: WINDOW_CLOSED.into(),
            })?;
            writer.commit()?;
            report.expired += report.not_attempted + report.deferred + report.held;
            report.not_attempted = 0;
            report.deferred = 0;
            report.held = 0;
        }
        if stopped.is_none() && report.not_attempted > 0 {
            stopped = self.why_stopped(ran.ledger_failed, ran.stalled);
        }
        report.complete = report.deferred == 0
            && report.held == 0
            && report.not_attempted == 0
            && stopped.is_none();
        if report.complete
            && let Some(writer) = &mut writer
        {
            writer.append(&Record::Complete { at: now })?;
            writer.commit()?;
        }
        report.stopped = stopped;
        report.relays = self.statuses();
        report.elapsed = begun.elapsed();
        Ok(report)
    }

    /// Why readers were left untried, when it was not `--limit`.
    fn why_stopped(&self, ledger_failed: bool, stalled: Option<String>) -> Option<Stopped> {
        if let Some(signal) = self.interrupt.signal() {
            return Some(Stopped::Interrupted(signal));
        }
        if ledger_failed {
            return Some(Stopped::Ledger("the ledger could not be written".into()));
        }
        if !self.relays.all_out() {
            return stalled.map(Stopped::Stalled);
        }
        match self.relays.all.iter().rev().find_map(|r| r.down_reason()) {
            Some(reason) if self.relays.all.iter().all(|r| r.is_down()) => {
                Some(Stopped::RelaysDown(reason))
            }
            _ => Some(Stopped::CapsSpent),
        }
    }

    /// How each relay has fared so far in this run.
    pub fn relay_statuses(&self) -> Vec<super::RelayStatus> {
        self.statuses()
    }

    fn statuses(&self) -> Vec<super::RelayStatus> {
        let now = self.options.clock.now();
        self.relays.all.iter().map(|r| r.status(now)).collect()
    }
}

/// Stops the run when no reader got a final outcome for `stall_after` (every
/// relay sick, or silent): the rest is left to the next run. Waiting on the
/// run's own reader or writer is not the relays' stall. Event-driven, with one
/// deadline and no ticks: on tokio's paused test clock an idle runtime jumps to
/// its next timer, and a ticking one would race the run's time ahead of the
/// reader and writer threads.
async fn watch_progress<T: Transport>(shared: Arc<Shared<T>>) {
    let stall = shared.options.stall_after;
    let counters = &shared.counters;
    let mut settled = counters.settled();
    let mut deadline = tokio::time::Instant::now() + stall;
    loop {
        if shared.waiting_on_us.load(Ordering::SeqCst) > 0 {
            counters.activity.notified().await;
            deadline = tokio::time::Instant::now() + stall;
            continue;
        }
        let woken = tokio::time::timeout_at(deadline, counters.activity.notified())
            .await
            .is_ok();
        let now_settled = counters.settled();
        if now_settled != settled || shared.waiting_on_us.load(Ordering::SeqCst) > 0 {
            settled = now_settled;
            deadline = tokio::time::Instant::now() + stall;
            continue;
        }
        if woken {
            continue;
        }
        let health: Vec<String> = shared
            .relays
            .all
            .iter()
            .map(|relay| match relay.health().reason() {
                Some(reason) => reason.to_string(),
                None => format!("{} is {}", relay.settings.name, relay.health().label()),
            })
            .collect();
        let reason = format!(
            "no reader got an outcome for {} s ({})",
            stall.as_secs(),
            health.join("; ")
        );
        *shared.stalled.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
        shared.relays.wake();
        return;
    }
}

/// A bounce at sending, for the suppression list.
fn bounced_at(email: &str, at: DateTime<Utc>) -> Suppression {
    bounced(email, "no such mailbox (reply at sending)", at)
}

fn bounced(email: &str, detail: &str, at: DateTime<Utc>) -> Suppression {
    Suppression {
        email: email.to_string(),
        reason: Reason::Bounced,
        at: Some(at),
        detail: detail.to_string(),
    }
}
