//! One worker: takes a reader, composes the message, delivers it through its
//! relay (paced, retried with backoff on transient failures), and waits for the
//! outcome to be on disk before taking the next, so that a crash repeats at most
//! one delivery per worker.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::commit::Done;
use super::relays::{Refusal, Relays, Working};
use super::{Interrupt, IssueToSend, Options};
use crate::send::audience::WINDOW_CLOSED;
use crate::send::ledger::Outcome;
use crate::send::transport::{Class, Transport};
use crate::store::lists::Subscriber;

/// The wait before retry number `attempt` (1-based): exponential, with ±50 %
/// jitter so that retries from many workers do not arrive together, capped at
/// a minute.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
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

/// What the workers of one issue share.
pub(super) struct Shared<T> {
    pub(super) issue: Arc<IssueToSend>,
    pub(super) transports: Vec<Arc<T>>,
    pub(super) pacers: Arc<Vec<Pacer>>,
    pub(super) relays: Arc<Relays>,
    pub(super) options: Options,
    pub(super) interrupt: Interrupt,
    pub(super) jobs: tokio::sync::Mutex<Option<mpsc::Receiver<Subscriber>>>,
    /// Readers a relay took and gave back (it went down): tried first.
    pub(super) returned: Mutex<VecDeque<Subscriber>>,
    /// Wakes a worker waiting for the next reader when one is given back.
    pub(super) returned_one: tokio::sync::Notify,
    /// Readers taken and not yet recorded or given back: while there are some,
    /// a worker does not leave, in case they come back.
    pub(super) in_hand: std::sync::atomic::AtomicUsize,
    pub(super) done: mpsc::UnboundedSender<Done>,
    /// Readers whose refusals were withdrawn because a relay refused everyone.
    pub(super) withdrawn: Mutex<Vec<String>>,
    pub(super) ledger_failed: std::sync::atomic::AtomicBool,
    /// The send window closed while the run went on.
    pub(super) window_closed_in_run: std::sync::atomic::AtomicBool,
}

impl<T: Transport> Shared<T> {
    fn stopping(&self) -> bool {
        self.interrupt.signal().is_some() || self.ledger_failed.load(Ordering::SeqCst)
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

    fn take_returned(&self) -> Option<Subscriber> {
        self.returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    /// The next reader: one given back by a relay that left, else the next from
    /// the producer; `None` when both are exhausted and nobody holds one that
    /// may still come back.
    async fn next_job(&self) -> Option<Subscriber> {
        loop {
            let job = match self.take_returned() {
                Some(job) => Some(job),
                None => {
                    let mut jobs = self.jobs.lock().await;
                    match jobs.as_mut() {
                        Some(queue) => tokio::select! {
                            job = queue.recv() => job,
                            () = self.returned_one.notified() => continue,
                        },
                        None => None,
                    }
                }
            };
            if let Some(job) = job.or_else(|| self.take_returned()) {
                self.in_hand.fetch_add(1, Ordering::SeqCst);
                return Some(job);
            }
            if self.in_hand.load(Ordering::SeqCst) == 0 {
                return None;
            }
            let _ =
                tokio::time::timeout(Duration::from_millis(50), self.returned_one.notified()).await;
        }
    }

    /// A reader taken is recorded or given back.
    fn settled(&self) {
        self.in_hand.fetch_sub(1, Ordering::SeqCst);
        self.returned_one.notify_one();
    }

    fn give_back(&self, subscriber: Subscriber) {
        self.returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(subscriber);
        self.settled();
        self.relays.wake();
    }

    /// Sends an outcome to the writer and waits until it is durable.
    async fn record(&self, done: Done, committed: oneshot::Receiver<bool>) -> bool {
        let sent = self.done.send(done).is_ok();
        self.settled();
        if !sent || !committed.await.unwrap_or(false) {
            self.ledger_failed.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }
}

/// What delivering to one reader came to.
enum Delivery {
    /// Record this outcome.
    Outcome(Outcome, String, u32),
    /// The reader was not tried after all (the relay left the run, or the run
    /// is stopping): give it back.
    GiveBack,
    /// The send window closed before the reader got the issue.
    Expired(u32),
}

/// A worker of relay `r`.
pub(super) async fn worker<T: Transport>(shared: Arc<Shared<T>>, r: usize, _working: Working) {
    let relay = &shared.relays.all[r];
    loop {
        if !shared.relays.admit(r, || shared.stopping()).await {
            return;
        }
        let reserved = loop {
            if let Some(reserved) = relay.reserve(shared.options.clock.now()) {
                break reserved;
            }
            // Full with messages in flight: one may give its place back.
            if !shared.relays.wait_for_change(|| shared.stopping()).await {
                return;
            }
        };
        if !reserved {
            shared.relays.wake();
            return;
        }
        let Some(subscriber) = shared.next_job().await else {
            relay.release();
            return;
        };
        if shared.stopping() || relay.is_out() {
            relay.release();
            shared.give_back(subscriber);
            return;
        }
        shared.relays.took(r);
        let message = match shared
            .issue
            .composer
            .compose(&subscriber.email, subscriber.name.as_deref())
        {
            Ok(message) => message,
            Err(error) => {
                // A reader whose message cannot be built (an address lettre will not
                // take) is a failure for that reader, not for the run.
                let (committed, wait) = oneshot::channel();
                relay.release();
                let done = Done::new(
                    &subscriber.email,
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
        let delivery = deliver(&shared, r, &subscriber, &message).await;
        let (outcome, reply, attempts) = match delivery {
            Delivery::Outcome(outcome, reply, attempts) => (outcome, reply, attempts),
            Delivery::GiveBack => {
                relay.release();
                shared.give_back(subscriber);
                return;
            }
            Delivery::Expired(attempts) => (Outcome::Expired, WINDOW_CLOSED.to_string(), attempts),
        };
        if outcome == Outcome::Delivered {
            relay.delivered(shared.options.clock.now());
        } else {
            // The cap counts deliveries only: a refused message gives its place back.
            relay.release();
        }
        shared.relays.wake();
        crate::debug!(
            "{}: {} after {attempts} attempt(s) through {}: {}",
            subscriber.email,
            outcome.label(),
            relay.settings.name,
            crate::send::transport::escape_reply(&reply)
        );
        let (committed, wait) = oneshot::channel();
        let done = Done::new(
            &subscriber.email,
            outcome,
            reply,
            attempts,
            message.message_id,
            shared.options.clock.now(),
            committed,
        );
        if !shared.record(done, wait).await {
            return;
        }
    }
}

/// Tries one reader through relay `r` until an outcome, or until the relay or
/// the run gives up on it.
async fn deliver<T: Transport>(
    shared: &Shared<T>,
    r: usize,
    subscriber: &Subscriber,
    message: &crate::send::message::Outgoing,
) -> Delivery {
    let relay = &shared.relays.all[r];
    let options = &shared.options;
    let mut attempts = 0u32;
    loop {
        if shared.stopping() && attempts == 0 {
            return Delivery::GiveBack;
        }
        shared.pacers[r].wait().await;
        if shared.window_closed() {
            return Delivery::Expired(attempts);
        }
        let sent = shared.transports[r].send(message).await;
        let failure = match sent {
            Ok(reply) => {
                relay.healthy();
                return Delivery::Outcome(Outcome::Delivered, reply, attempts + 1);
            }
            Err(failure) => failure,
        };
        crate::debug!(
            "{}: {} at {}: {}",
            subscriber.email,
            match failure.class {
                Class::Transient => "transient failure",
                Class::Unreachable => "relay unreachable",
                Class::Unusable => "relay refuses the sender",
                Class::BadMailbox => "no such mailbox",
                Class::Refused => "refused",
            },
            failure.stage,
            crate::send::transport::escape_reply(&failure.reply)
        );
        match failure.class {
            Class::Unusable => {
                relay.take_down(format!(
                    "{} refused the newsletter: {failure}",
                    relay.settings.name
                ));
                shared.relays.wake();
                return Delivery::GiveBack;
            }
            Class::Unreachable => {
                // Not the reader's fault: no attempt is counted against them.
                if relay.unreachable(&failure.reply) {
                    shared.relays.wake();
                    return Delivery::GiveBack;
                }
                if shared.stopping() {
                    return Delivery::GiveBack;
                }
                tokio::time::sleep(options.retry_delay.min(Duration::from_secs(1))).await;
            }
            Class::BadMailbox | Class::Refused => {
                if relay.is_down() {
                    return Delivery::GiveBack;
                }
                match relay.refused(&subscriber.email, &failure.reply) {
                    Refusal::Record => {}
                    Refusal::RelayRefusesAll(addresses) => {
                        shared
                            .withdrawn
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .extend(addresses);
                        shared.relays.wake();
                        return Delivery::GiveBack;
                    }
                }
                let outcome = if failure.class == Class::BadMailbox {
                    Outcome::Bounced
                } else {
                    Outcome::Failed
                };
                return Delivery::Outcome(outcome, failure.reply, attempts + 1);
            }
            Class::Transient => {
                attempts += 1;
                relay.not_refused();
                if attempts >= options.max_attempts || shared.stopping() {
                    return Delivery::Outcome(Outcome::Deferred, failure.reply, attempts);
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
