//! One worker: takes a reader, composes the message, delivers it through its
//! relay (paced, retried with backoff on transient failures), and sends nothing
//! more until the outcome is on disk, so that a crash repeats at most one
//! delivery per worker (the next reader's message is made meanwhile). Every
//! attempt is shown to the relay's judge: a hard refusal waits for its
//! judgement, a relay found refusing has those refusals held, and a sick one
//! hands its readers to the others.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::commit::Done;
use super::judge::{Attempt, Provisional, Verdict};
use super::relays::{Admission, Relays, Working};
use super::{Interrupt, IssueToSend, Options};
use crate::send::ledger::Outcome;
use crate::send::transport::{Class, Transport};
use crate::store::lists::Subscriber;

/// The wait before retry number `attempt` (1-based): exponential, with ±50 %
/// jitter so that retries from many workers do not arrive together, capped at
/// a minute.
pub(super) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exponential = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let jitter = 0.5 + rand::random::<f64>();
    exponential.mul_f64(jitter).min(Duration::from_secs(60))
}

/// Spaces sends evenly at a rate shared by a relay's workers.
pub(super) struct Pacer {
    interval: Option<Duration>,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    pub(super) fn new(rate: f64) -> Self {
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

/// One reader to send to.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub(super) subscriber: Subscriber,
    /// A relay held this reader's refusal in an earlier run: tried after
    /// everyone else, and a refusal now is judged at the end of the run.
    pub(super) held_before: bool,
    /// The reader failed or bounced before and `--retry-failed` tries again:
    /// a refusal now confirms what was judged then.
    pub(super) retried: bool,
}

/// What the workers of one issue share.
pub(super) struct Shared<T> {
    pub(super) issue: Arc<IssueToSend>,
    pub(super) transports: Vec<Arc<T>>,
    pub(super) pacers: Arc<Vec<Pacer>>,
    pub(super) relays: Arc<Relays>,
    pub(super) options: Options,
    pub(super) interrupt: Interrupt,
    pub(super) jobs: tokio::sync::Mutex<Option<mpsc::Receiver<Job>>>,
    /// Readers given back (a relay left, turned sick or refusing): tried first.
    pub(super) returned: Mutex<VecDeque<Job>>,
    /// Wakes a worker waiting for the next reader when one is given back.
    pub(super) returned_one: tokio::sync::Notify,
    /// Readers taken and not yet recorded or given back: while there are some,
    /// a worker does not leave, in case they come back.
    pub(super) in_hand: AtomicUsize,
    pub(super) done: mpsc::Sender<Done>,
    pub(super) ledger_failed: AtomicBool,
    /// The send window closed while the run went on: nobody more is tried.
    pub(super) window_closed_in_run: AtomicBool,
    /// Why the run stopped for lack of progress, once it did.
    pub(super) stalled: Mutex<Option<String>>,
    /// Workers waiting on the run's own threads (the list's reader, the
    /// ledger's writer): while there are some, the run is not stalled.
    pub(super) waiting_on_us: AtomicUsize,
    /// Outcomes counted as they become durable; its `activity` wakes the stall watch.
    pub(super) counters: Arc<super::commit::Counters>,
    /// The producer has walked the whole list.
    pub(super) produced_all: AtomicBool,
    /// Readers queued by the producer and not yet taken.
    pub(super) queued: AtomicUsize,
}

impl<T: Transport> Shared<T> {
    pub(super) fn stopping(&self) -> bool {
        self.interrupt.signal().is_some()
            || self.ledger_failed.load(Ordering::SeqCst)
            || self.window_closed_in_run.load(Ordering::SeqCst)
            || self
                .stalled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some()
    }

    /// Whether the issue's send window has closed by the run's now.
    fn window_closed(&self) -> bool {
        let Some(end) = self.issue.not_after else {
            return false;
        };
        let closed = end <= self.options.clock.now();
        if closed {
            self.window_closed_in_run.store(true, Ordering::SeqCst);
        }
        closed
    }

    /// Whether there is nothing left to try: the list is walked, its queue
    /// taken, and nobody holds or gave back a reader.
    pub(super) fn exhausted(&self) -> bool {
        self.produced_all.load(Ordering::SeqCst) && self.queued.load(Ordering::SeqCst) == 0 && {
            // Read together under the lock a taker holds while it raises `in_hand`.
            let returned = self.returned.lock().unwrap_or_else(|e| e.into_inner());
            returned.is_empty() && self.in_hand.load(Ordering::SeqCst) == 0
        }
    }

    /// A reader given back, counted in hand before the lock is let go (see
    /// [`Shared::exhausted`]).
    fn take_returned(&self) -> Option<Job> {
        let mut returned = self.returned.lock().unwrap_or_else(|e| e.into_inner());
        let job = returned.pop_front();
        if job.is_some() {
            self.in_hand.fetch_add(1, Ordering::SeqCst);
        }
        job
    }

    /// The next reader: one given back, else the next from the producer;
    /// `None` when both are exhausted and nobody holds one that may still
    /// come back.
    async fn next_job(&self) -> Option<Job> {
        loop {
            if let Some(job) = self.take_returned() {
                return Some(job);
            }
            let mut jobs = self.jobs.lock().await;
            if let Some(queue) = jobs.as_mut() {
                let _ours = self.ours();
                let job = tokio::select! {
                    job = queue.recv() => job,
                    () = self.returned_one.notified() => continue,
                };
                if let Some(job) = job {
                    // In hand before it leaves the queue's count, so that
                    // nobody finds the run exhausted in between.
                    self.in_hand.fetch_add(1, Ordering::SeqCst);
                    self.queued.fetch_sub(1, Ordering::SeqCst);
                    return Some(job);
                }
            }
            drop(jobs);
            // Waits for a change, registered before looking so that none is
            // missed: a reader given back, or the last one in hand settled
            // (every waiter looks again). No timer: a worker polling would add
            // nothing, and under a paused clock (the tests) it would run the
            // clock on.
            let changed = self.returned_one.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(job) = self.take_returned() {
                return Some(job);
            }
            if self.in_hand.load(Ordering::SeqCst) == 0 {
                return None;
            }
            changed.await;
        }
    }

    /// A reader taken is recorded, given back or waiting for judgement.
    fn settled(&self) {
        if self.in_hand.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.returned_one.notify_waiters();
        }
    }

    /// Queues a reader for the other relays (or a later probe).
    fn hand_over(&self, job: Job) {
        self.returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
        self.returned_one.notify_one();
        self.relays.wake();
    }

    fn give_back(&self, job: Job) {
        self.hand_over(job);
        self.settled();
    }

    /// Counts a wait on the run's own threads until the guard is dropped.
    fn ours(&self) -> Ours<'_, T> {
        self.waiting_on_us.fetch_add(1, Ordering::SeqCst);
        self.counters.activity.notify_one();
        Ours(self)
    }

    /// Sends an outcome to the writer and waits until it is durable.
    async fn record(&self, done: Done, committed: oneshot::Receiver<bool>) -> bool {
        self.submit(done).await && self.durable(Some(committed)).await
    }

    /// Sends an outcome to the writer; [`Shared::durable`] waits for it.
    async fn submit(&self, done: Done) -> bool {
        let _ours = self.ours();
        let sent = self.done.send(done).await.is_ok();
        self.settled();
        if !sent {
            self.ledger_failed.store(true, Ordering::SeqCst);
        }
        sent
    }

    /// Waits until a submitted outcome is on disk (at once without one);
    /// false, and the run stops, when it never will be.
    async fn durable(&self, committed: Option<oneshot::Receiver<bool>>) -> bool {
        let Some(committed) = committed else {
            return true;
        };
        let _ours = self.ours();
        if !committed.await.unwrap_or(false) {
            self.ledger_failed.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Sends an outcome nobody waits for (it delivered nothing).
    async fn note(&self, email: &str, outcome: Outcome, reply: &str, attempts: u32, id: String) {
        let done = Done::noted(
            email,
            outcome,
            reply,
            attempts,
            id,
            self.options.clock.now(),
        );
        let _ours = self.ours();
        if self.done.send(done).await.is_err() {
            self.ledger_failed.store(true, Ordering::SeqCst);
        }
    }

    /// Shows an attempt of relay `r` to its judge and acts on the verdict.
    async fn judged(&self, r: usize, attempt: Attempt, reply: &str) -> Verdict {
        let (verdict, confirmed) = self.relays.all[r]
            .judge
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(attempt, reply);
        self.act_on(r, verdict, confirmed).await;
        verdict
    }

    /// A hard refusal through relay `r`, left to its judge.
    async fn refused(&self, r: usize, refusal: Provisional) {
        let (verdict, confirmed) = self.relays.all[r]
            .judge
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .refused(refusal);
        self.act_on(r, verdict, confirmed).await;
    }

    async fn act_on(&self, r: usize, verdict: Verdict, confirmed: Vec<Provisional>) {
        let relay = &self.relays.all[r];
        for refusal in confirmed {
            self.note(
                &refusal.job.subscriber.email,
                refusal.outcome,
                &refusal.reply,
                refusal.attempts,
                refusal.message_id,
            )
            .await;
        }
        match verdict {
            Verdict::Fine => {}
            Verdict::Refusing => {
                let (reason, held) = {
                    let mut judge = relay.judge.lock().unwrap_or_else(|e| e.into_inner());
                    (judge.describe(verdict), judge.take_provisional())
                };
                let reason = format!(
                    "{} refuses the newsletter, not the readers ({reason}); {} refusal(s) held, nobody suppressed",
                    relay.settings.name,
                    held.len()
                );
                if relay.refuse_all(reason) {
                    crate::debug!("{}", relay.down_reason().unwrap_or_default());
                }
                for refusal in held {
                    self.note(
                        &refusal.job.subscriber.email,
                        Outcome::Held,
                        &refusal.reply,
                        refusal.attempts,
                        refusal.message_id,
                    )
                    .await;
                    self.hand_over(refusal.job);
                }
                self.relays.wake();
            }
            Verdict::Sick => {
                let reason = relay
                    .judge
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .describe(verdict);
                let reason = format!("{} is sick: {reason}", relay.settings.name);
                if relay.degrade(reason) {
                    crate::debug!("{}", relay.health().reason().unwrap_or_default());
                    for job in relay.take_deferred() {
                        self.hand_over(job);
                    }
                }
                self.relays.wake();
            }
        }
    }
}

/// A worker waiting on the run's own threads.
struct Ours<'a, T: Transport>(&'a Shared<T>);

impl<T: Transport> Drop for Ours<'_, T> {
    fn drop(&mut self) {
        self.0.waiting_on_us.fetch_sub(1, Ordering::SeqCst);
        self.0.counters.activity.notify_one();
    }
}

/// What delivering to one reader came to.
enum Delivery {
    /// Record this outcome.
    Outcome(Outcome, String, u32),
    /// A hard refusal now with the relay's judge.
    Judged,
    /// The reader was not tried after all, or is to be tried through another
    /// relay: give it back.
    GiveBack,
}

/// A worker of relay `r`.
pub(super) async fn worker<T: Transport>(shared: Arc<Shared<T>>, r: usize, _working: Working) {
    let mut writing = None;
    work(&shared, r, &mut writing).await;
    shared.durable(writing).await;
}

/// The worker's loop. `writing` is its last delivery's outcome on the way to
/// disk: meanwhile the next reader is taken and their message made (and
/// signed), and sent only once that outcome is durable, so that a crash
/// repeats at most one delivery per worker.
async fn work<T: Transport>(
    shared: &Arc<Shared<T>>,
    r: usize,
    writing: &mut Option<oneshot::Receiver<bool>>,
) {
    let relay = &shared.relays.all[r];
    loop {
        let leave = || shared.stopping() || shared.exhausted();
        let probe = match shared.relays.admit(r, leave).await {
            Admission::Leave => return,
            Admission::Take => false,
            Admission::Probe => true,
        };
        let reserved = loop {
            if let Some(reserved) = relay.reserve(shared.options.clock.now()) {
                break reserved;
            }
            // Full with messages in flight: one may give its place back.
            if !shared.relays.wait_for_change(|| shared.stopping()).await {
                break false;
            }
        };
        if !reserved {
            if probe {
                relay.probe_failed();
            }
            shared.relays.wake();
            return;
        }
        let Some(job) = shared.next_job().await else {
            relay.release();
            if probe {
                relay.probe_failed();
            }
            shared.relays.wake();
            return;
        };
        // Whether this relay may not send now: the run stops, or the relay is
        // out or sick (but for its probe).
        let barred = || shared.stopping() || relay.is_out() || (relay.is_degraded() && !probe);
        // Gives the reader back; whether the worker then leaves.
        let hand_back = |job: Job| {
            relay.release();
            shared.give_back(job);
            if probe {
                relay.probe_failed();
            }
            relay.is_out() || shared.stopping()
        };
        if barred() {
            if hand_back(job) {
                return;
            }
            continue;
        }
        shared.relays.took(r);
        let message = match shared
            .issue
            .composer
            .compose_off_task(&job.subscriber.email, job.subscriber.name.as_deref())
            .await
        {
            Ok(message) => message,
            Err(error) => {
                // A reader whose message cannot be built (an address lettre will not
                // take) is a failure for that reader, not for the run.
                relay.release();
                if probe {
                    relay.probe_failed();
                }
                let (committed, wait) = oneshot::channel();
                let done = Done::new(
                    &job.subscriber.email,
                    Outcome::Failed,
                    error.to_string(),
                    0,
                    String::new(),
                    shared.options.clock.now(),
                    committed,
                );
                if !shared.record(done, wait).await {
                    return;
                }
                continue;
            }
        };
        // The relay may have turned sick or been taken out meanwhile.
        if !shared.durable(writing.take()).await || barred() {
            if hand_back(job) {
                return;
            }
            continue;
        }
        let delivery = deliver(shared, r, &job, &message, probe).await;
        let (outcome, reply, attempts) = match delivery {
            Delivery::Outcome(outcome, reply, attempts) => (outcome, reply, attempts),
            Delivery::Judged => {
                relay.release();
                // The refusal says nothing of the relay's health: probed again later.
                if probe {
                    relay.probe_failed();
                }
                shared.settled();
                shared.relays.wake();
                continue;
            }
            Delivery::GiveBack => {
                // The next turn of the loop leaves if the relay is out.
                hand_back(job);
                continue;
            }
        };
        if outcome == Outcome::Delivered {
            relay.delivered(shared.options.clock.now());
        } else {
            // The cap counts deliveries only: a refused message gives its place back.
            relay.release();
        }
        if probe {
            match outcome {
                Outcome::Delivered => relay.recovered(),
                _ => relay.probe_failed(),
            }
        }
        shared.relays.wake();
        crate::debug!(
            "{}: {} after {attempts} attempt(s) through {}: {}",
            job.subscriber.email,
            outcome.label(),
            relay.settings.name,
            crate::send::transport::escape_reply(&reply)
        );
        let email = job.subscriber.email.clone();
        if outcome == Outcome::Deferred {
            relay.deferred(job);
        }
        let (committed, wait) = oneshot::channel();
        let done = Done::new(
            &email,
            outcome,
            reply,
            attempts,
            message.message_id,
            shared.options.clock.now(),
            committed,
        );
        if !shared.submit(done).await {
            return;
        }
        *writing = Some(wait);
    }
}

/// Tries one reader through relay `r` until an outcome, or until the relay or
/// the run gives up on it. A probe is one attempt.
async fn deliver<T: Transport>(
    shared: &Shared<T>,
    r: usize,
    job: &Job,
    message: &crate::send::message::Outgoing,
    probe: bool,
) -> Delivery {
    let relay = &shared.relays.all[r];
    let options = &shared.options;
    let email = &job.subscriber.email;
    let mut attempts = 0u32;
    let mut uncertain = 0u32;
    loop {
        if shared.stopping() && attempts == 0 {
            return Delivery::GiveBack;
        }
        shared.pacers[r].wait().await;
        // Past the window nobody more is tried; the run expires the rest at once.
        if shared.window_closed() {
            return Delivery::GiveBack;
        }
        let sent = shared.transports[r].send(message).await;
        let failure = match sent {
            Ok(reply) => {
                relay.reachable();
                shared.judged(r, Attempt::Delivered, &reply).await;
                return Delivery::Outcome(Outcome::Delivered, reply, attempts + 1);
            }
            Err(failure) => failure,
        };
        crate::debug!(
            "{email}: {} at {}: {}",
            match failure.class {
                Class::Transient => "transient failure",
                Class::Unreachable => "relay unreachable",
                Class::Unusable => "relay refuses the sender",
                Class::BadMailbox => "no such mailbox",
                Class::Refused => "refused",
                Class::Uncertain => "no reply after the message",
            },
            failure.stage,
            crate::send::transport::escape_reply(&failure.reply)
        );
        match failure.class {
            Class::Unusable => {
                relay.take_down(format!(
                    "{} refused the newsletter: {}",
                    relay.settings.name,
                    crate::send::transport::mask_addresses(&failure.to_string())
                ));
                shared.relays.wake();
                return Delivery::GiveBack;
            }
            Class::Unreachable => {
                // Not the reader's fault: no attempt is counted against them.
                if relay.unreachable(&failure.reply) || shared.stopping() || probe {
                    shared.relays.wake();
                    return Delivery::GiveBack;
                }
                tokio::time::sleep(options.retry_delay.min(Duration::from_secs(1))).await;
            }
            Class::BadMailbox | Class::Refused => {
                relay.reachable();
                if relay.is_down() {
                    return Delivery::GiveBack;
                }
                let outcome = if failure.class == Class::BadMailbox {
                    Outcome::Bounced
                } else {
                    Outcome::Failed
                };
                let refusal = Provisional::new(
                    job.clone(),
                    outcome,
                    failure.reply,
                    attempts + 1,
                    message.message_id.clone(),
                );
                shared.refused(r, refusal).await;
                return Delivery::Judged;
            }
            Class::Transient => {
                relay.reachable();
                attempts += 1;
                shared.judged(r, Attempt::Transient, &failure.reply).await;
                // A sick relay's readers are tried through another one.
                if relay.is_degraded() || relay.is_out() || probe {
                    return Delivery::GiveBack;
                }
                if attempts >= options.max_attempts || shared.stopping() {
                    return Delivery::Outcome(Outcome::Deferred, failure.reply, attempts);
                }
                tokio::time::sleep(backoff(options.retry_delay, attempts)).await;
            }
            Class::Uncertain => {
                relay.reachable();
                attempts += 1;
                uncertain += 1;
                shared.judged(r, Attempt::Uncertain, &failure.reply).await;
                // The relay may have it: never deferred for ever.
                if uncertain > options.uncertain_retries || shared.stopping() || probe {
                    return Delivery::Outcome(Outcome::Uncertain, failure.reply, attempts);
                }
                tokio::time::sleep(backoff(options.retry_delay, attempts)).await;
            }
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
        assert_eq!(
            backoff(Duration::from_millis(600_000), u32::MAX),
            Duration::from_secs(60)
        );
    }
}
