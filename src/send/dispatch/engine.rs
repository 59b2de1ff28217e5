//! A run: the relays with their pools and pacing, kept across the issues it
//! sends; for each issue a producer streaming the audience, the workers, the
//! ledger writer, and what is settled once the writer is done.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;
use tokio::sync::mpsc;

use super::commit::{self, Counters, Done};
use super::relays::Relays;
use super::worker::{Pacer, Shared, worker};
use super::{
    DispatchError, Interrupt, IssueToSend, Observer, Options, RelaySettings, Report, Stopped,
};
use crate::project::layout::Layout;
use crate::send::audience::{Audience, Pick, Selection};
use crate::send::ledger::{self, Outcome, Record};
use crate::send::transport::Transport;
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
        let options = &self.options;
        let path = self.layout.ledger(&issue.id);
        let index = ledger::load(&path)?;
        let mut audience = Audience::open(&self.layout)?;
        // A crash between a bounce's record and its suppression loses nothing.
        let unsuppressed: Vec<Suppression> = index
            .bounced
            .iter()
            .filter(|email| !audience.is_suppressed(email))
            .map(|email| {
                Suppression::now(email, Reason::Bounced, "bounced (recorded in the ledger)")
            })
            .collect();
        if !unsuppressed.is_empty() {
            lists::suppress(&self.layout, &unsuppressed)?;
            audience = Audience::open(&self.layout)?;
        }
        let selection = Selection {
            index: &index,
            cutoff: index.started,
            retry: &options.retry_failed,
            give_up_before: Some(options.now - options.give_up_after),
            window_closed: issue.not_after.is_some_and(|end| end <= options.now),
        };
        let plan = audience.walk(&selection, |_| {})?;
        let to_try = options.limit.map_or(plan.to_send, |l| l.min(plan.to_send));
        self.observer.planned(&issue.id, to_try);
        let mut report = Report {
            issue_id: issue.id.clone(),
            tally: plan.clone(),
            ..Report::default()
        };
        let mut writer = ledger::Writer::open(&path, index.good_len)?;
        if plan.to_send == 0 && plan.to_expire == 0 {
            if !index.complete {
                if index.started.is_none() {
                    writer.append(&Record::Start {
                        at: options.now,
                        content: Some(issue.content.clone()),
                    })?;
                }
                writer.append(&Record::Complete { at: Utc::now() })?;
                writer.commit()?;
            }
            report.complete = true;
            report.relays = self.statuses();
            report.elapsed = begun.elapsed();
            return Ok(report);
        }

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
            .then(|| (options.now, issue.content.clone()));
        let writer_thread = {
            let counters = counters.clone();
            let observer = self.observer.clone();
            std::thread::spawn(move || commit::run(writer, done_rx, start, counters, observer))
        };
        let issue = Arc::new(issue);
        let shared = Arc::new(Shared {
            issue: issue.clone(),
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
            began: tokio::time::Instant::now(),
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

        let producer = {
            let layout = self.layout.clone();
            let index = index.clone();
            let retry = options.retry_failed.clone();
            let give_up_before = selection.give_up_before;
            let window_closed = selection.window_closed;
            let limit = options.limit;
            let shared = shared.clone();
            let (produced, result) = tokio::sync::oneshot::channel();
            // A thread of its own rather than tokio's blocking pool: its reads block,
            // and a blocking-pool task would hold tokio's paused test clock still.
            std::thread::spawn(move || {
                let walked = (|| {
                    let audience = Audience::open(&layout)?;
                    let selection = Selection {
                        index: &index,
                        cutoff: index.started,
                        retry: &retry,
                        give_up_before,
                        window_closed,
                    };
                    let mut dispatched = 0u64;
                    audience.walk(&selection, |pick| match pick {
                        Pick::Expire(subscriber, reason) => {
                            let _ = done_tx.send(Done::decided(
                                &subscriber.email,
                                Outcome::Expired,
                                reason,
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
        };
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

        let mut stopped = None;
        let mut bounced = Vec::new();
        let mut writer = None;
        match committed {
            Err(error) => stopped = Some(Stopped::Ledger(error.to_string())),
            Ok(mut committed) => {
                // Refusals that turned out to be the relay's are not the readers'.
                for email in &withdrawn {
                    committed.writer.append(&Record::Reopened {
                        email: email.clone(),
                        at: Utc::now(),
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
        let suppressions: Vec<Suppression> = bounced
            .iter()
            .map(|email| {
                Suppression::now(email, Reason::Bounced, "no such mailbox (reply at sending)")
            })
            .collect();
        if !suppressions.is_empty() {
            lists::suppress(&self.layout, &suppressions)?;
        }

        report.delivered = Counters::get(&counters.delivered);
        report.failed = Counters::get(&counters.failed);
        report.bounced = Counters::get(&counters.bounced);
        report.deferred = Counters::get(&counters.deferred);
        report.expired = Counters::get(&counters.expired);
        report.retries = Counters::get(&counters.retries);
        report.window_closed = selection.window_closed || window_closed_in_run;
        let expired_in_run = report.expired.saturating_sub(plan.to_expire);
        let tried =
            report.delivered + report.failed + report.bounced + report.deferred + expired_in_run;
        report.not_attempted = plan.to_send.saturating_sub(tried);
        if stopped.is_none() && report.not_attempted > 0 {
            stopped = if let Some(signal) = self.interrupt.signal() {
                Some(Stopped::Interrupted(signal))
            } else if ledger_failed {
                Some(Stopped::Ledger("the ledger could not be written".into()))
            } else if self.relays.all_out() {
                match self.relays.all.iter().rev().find_map(|r| r.down_reason()) {
                    Some(reason) if self.relays.all.iter().all(|r| r.is_down()) => {
                        Some(Stopped::RelaysDown(reason))
                    }
                    _ => Some(Stopped::CapsSpent),
                }
            } else {
                None
            };
        }
        report.complete = report.deferred == 0 && report.not_attempted == 0 && stopped.is_none();
        if report.complete
            && let Some(writer) = &mut writer
        {
            writer.append(&Record::Complete { at: Utc::now() })?;
            writer.commit()?;
        }
        report.stopped = stopped;
        report.relays = self.statuses();
        report.elapsed = begun.elapsed();
        Ok(report)
    }

    /// How each relay has fared so far in this run.
    pub fn relay_statuses(&self) -> Vec<super::RelayStatus> {
        self.statuses()
    }

    fn statuses(&self) -> Vec<super::RelayStatus> {
        self.relays.all.iter().map(|r| r.status()).collect()
    }
}
