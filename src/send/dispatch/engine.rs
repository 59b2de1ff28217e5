//! A run: the relays with their pools and pacing, kept across the issues it
//! sends. Each issue goes through four phases: `reconcile` (make good what a
//! crash left between the ledger and the suppression list), `plan` (who is due),
//! `run` (a producer streaming the audience, the workers, the ledger writer) and
//! `settle` (what the durable outcomes mean: suppressions, the report, done).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::commit::{self, Committed, Counters, Done};
use super::relays::Relays;
use super::worker::{Pacer, Shared, worker};
use super::{
    DispatchError, Interrupt, IssueToSend, Observer, Options, RelaySettings, Report, Stopped,
};
use crate::project::layout::Layout;
use crate::send::audience::{Audience, Pick, RetryFailed, Selection, Tally};
use crate::send::ledger::{self, Index, Outcome, Record};
use crate::send::transport::Transport;
use crate::store::fs::FsError;
use crate::store::lists::{self, Reason, Subscriber, Suppression};

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
    /// Readers whose refusals were withdrawn because a relay refused everyone.
    withdrawn: Vec<String>,
    ledger_failed: bool,
    window_closed_in_run: bool,
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
            relays: Arc::new(Relays::new(settings)),
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
        if plan.tally.to_send == 0 && plan.tally.to_expire == 0 {
            if !index.complete {
                if index.started.is_none() {
                    writer.append(&Record::Start {
                        at: self.options.clock.now(),
                        content: Some(issue.content.clone()),
                    })?;
                }
                writer.append(&Record::Complete {
                    at: self.options.clock.now(),
                })?;
                writer.commit()?;
            }
            report.complete = true;
            report.relays = self.statuses();
            report.elapsed = begun.elapsed();
            return Ok(report);
        }
        let ran = self.run(issue, index, &plan, writer).await?;
        self.settle(report, &plan, ran, begun)
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
        let (job_tx, job_rx) = mpsc::channel::<Subscriber>(concurrency * 4);
        let (done_tx, done_rx) = mpsc::unbounded_channel::<Done>();
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
            withdrawn: Mutex::new(Vec::new()),
            ledger_failed: AtomicBool::new(false),
            window_closed_in_run: AtomicBool::new(false),
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
        let producer = self.produce(index, plan, shared.clone(), job_tx, done_tx);
        // When every worker has left (relays out, a stop), nobody takes jobs any
        // more: close the queue so that the producer does not wait for ever.
        let workers_done = async {
            while workers.join_next().await.is_some() {}
            shared.jobs.lock().await.take();
        };
        let (produced, ()) = tokio::join!(producer, workers_done);
        produced
            .map_err(|_| {
                DispatchError::Internal("the reader of the list stopped unexpectedly".into())
            })?
            .map_err(DispatchError::List)?;
        let withdrawn =
            std::mem::take(&mut *shared.withdrawn.lock().unwrap_or_else(|e| e.into_inner()));
        let ledger_failed = shared.ledger_failed.load(Ordering::SeqCst);
        let window_closed_in_run = shared.window_closed_in_run.load(Ordering::SeqCst);
        drop(shared);
        let committed = writer_thread.join().map_err(|_| {
            DispatchError::Internal("the ledger writer stopped unexpectedly".into())
        })?;
        Ok(Ran {
            committed,
            counters,
            withdrawn,
            ledger_failed,
            window_closed_in_run,
        })
    }

    /// The producer: walks the list on a thread of its own, expiring those past
    /// their time and queueing the rest for the workers.
    fn produce(
        &self,
        index: Index,
        plan: &Plan,
        shared: Arc<Shared<T>>,
        job_tx: mpsc::Sender<Subscriber>,
        done_tx: mpsc::UnboundedSender<Done>,
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
                audience.walk(&plan.selection(&index, &retry), |pick| match pick {
                    Pick::Expire(subscriber, reason) => {
                        let _ = done_tx.send(Done::decided(
                            &subscriber.email,
                            Outcome::Expired,
                            reason,
                            at,
                        ));
                    }
                    Pick::Send(subscriber) => {
                        let stopping = shared.interrupt.signal().is_some()
                            || shared.relays.all_out()
                            || shared.ledger_failed.load(Ordering::SeqCst);
                        if stopping || limit.is_some_and(|l| dispatched >= l) {
                            return;
                        }
                        if job_tx.blocking_send(subscriber).is_ok() {
                            dispatched += 1;
                        }
                    }
                })
            })();
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
            Ok(mut committed) => {
                // Refusals that turned out to be the relay's are not the readers'.
                for email in &ran.withdrawn {
                    committed.writer.append(&Record::Reopened {
                        email: email.clone(),
                        at: now,
                        reason: "the relay refused every reader alike".into(),
                    })?;
                    if let Some(at) = committed.bounced.iter().position(|b| b == email) {
                        committed.bounced.remove(at);
                        counters.bounced.fetch_sub(1, Ordering::Relaxed);
                    } else if counters.failed.load(Ordering::Relaxed) > 0 {
                        counters.failed.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                committed.writer.commit()?;
                bounced = committed.bounced;
                writer = Some(committed.writer);
            }
        }
        let suppressions: Vec<Suppression> =
            bounced.iter().map(|email| bounced_at(email, now)).collect();
        lists::suppress(&self.layout, &suppressions)?;

        report.delivered = Counters::get(&counters.delivered);
        report.failed = Counters::get(&counters.failed);
        report.bounced = Counters::get(&counters.bounced);
        report.deferred = Counters::get(&counters.deferred);
        report.expired = Counters::get(&counters.expired);
        report.retries = Counters::get(&counters.retries);
        report.window_closed = plan.window_closed || ran.window_closed_in_run;
        let expired_in_run = report.expired.saturating_sub(plan.tally.to_expire);
        let tried =
            report.delivered + report.failed + report.bounced + report.deferred + expired_in_run;
        report.not_attempted = plan.tally.to_send.saturating_sub(tried);
        if stopped.is_none() && report.not_attempted > 0 {
            stopped = self.why_stopped(ran.ledger_failed);
        }
        report.complete = report.deferred == 0 && report.not_attempted == 0 && stopped.is_none();
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
    fn why_stopped(&self, ledger_failed: bool) -> Option<Stopped> {
        if let Some(signal) = self.interrupt.signal() {
            return Some(Stopped::Interrupted(signal));
        }
        if ledger_failed {
            return Some(Stopped::Ledger("the ledger could not be written".into()));
        }
        if !self.relays.all_out() {
            return None;
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
