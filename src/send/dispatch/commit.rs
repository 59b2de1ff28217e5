//! The ledger writer thread: drains whatever outcomes are waiting, appends them,
//! fsyncs once for the batch, then lets their workers go on. The start record
//! goes with the first outcome, so a run that never reached a relay fixes nothing.
//! It counts each reader's last outcome of the run: a reader deferred or held
//! and then delivered through another relay counts once, as delivered.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::Observer;
use crate::send::ledger::{Outcome, Record, Writer};

/// One recipient's outcome on its way to the ledger.
pub(super) struct Done {
    email: String,
    outcome: Outcome,
    reply: String,
    attempts: u32,
    message_id: String,
    at: DateTime<Utc>,
    committed: Option<oneshot::Sender<bool>>,
}

impl Done {
    pub(super) fn new(
        email: &str,
        outcome: Outcome,
        reply: String,
        attempts: u32,
        message_id: String,
        at: DateTime<Utc>,
        committed: oneshot::Sender<bool>,
    ) -> Done {
        Done {
            email: email.to_string(),
            outcome,
            reply,
            attempts,
            message_id,
            at,
            committed: Some(committed),
        }
    }

    /// An outcome decided without sending (an expiry); nobody waits for it.
    pub(super) fn decided(email: &str, outcome: Outcome, reason: &str, at: DateTime<Utc>) -> Done {
        Done::noted(email, outcome, reason, 0, String::new(), at)
    }

    /// An outcome nobody waits for: it delivered nothing (a judged or held
    /// refusal, an expiry), so a crash before it is durable loses nothing.
    pub(super) fn noted(
        email: &str,
        outcome: Outcome,
        reply: &str,
        attempts: u32,
        message_id: String,
        at: DateTime<Utc>,
    ) -> Done {
        Done {
            email: email.to_string(),
            outcome,
            reply: reply.to_string(),
            attempts,
            message_id,
            at,
            committed: None,
        }
    }
}

/// Counts of durable outcomes.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) delivered: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) bounced: AtomicU64,
    pub(super) deferred: AtomicU64,
    pub(super) expired: AtomicU64,
    pub(super) held: AtomicU64,
    pub(super) uncertain: AtomicU64,
    pub(super) retries: AtomicU64,
    /// Woken by every outcome made durable, and by whoever watches the run.
    pub(super) activity: tokio::sync::Notify,
}

impl Counters {
    fn counter(&self, outcome: Outcome) -> &AtomicU64 {
        match outcome {
            Outcome::Delivered => &self.delivered,
            Outcome::Failed => &self.failed,
            Outcome::Bounced => &self.bounced,
            Outcome::Deferred => &self.deferred,
            Outcome::Expired => &self.expired,
            Outcome::Held => &self.held,
            Outcome::Uncertain => &self.uncertain,
        }
    }

    fn add(&self, outcome: Outcome, attempts: u32) {
        self.counter(outcome).fetch_add(1, Ordering::Relaxed);
        self.retries
            .fetch_add(u64::from(attempts.saturating_sub(1)), Ordering::Relaxed);
    }

    /// A reader's earlier outcome of this run no longer counts.
    fn replaced(&self, outcome: Outcome) {
        let _ = self
            .counter(outcome)
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Readers with a final outcome this run: what the stall watch counts as
    /// progress (not an uncertain one: a relay that cuts off every message
    /// after its final dot makes none).
    pub(super) fn settled(&self) -> u64 {
        [&self.delivered, &self.failed, &self.bounced, &self.expired]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    pub(super) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// What the writer hands back when the run is over.
pub(super) struct Committed {
    pub(super) writer: Writer,
    /// Addresses that bounced this run, to suppress once they are durable.
    pub(super) bounced: Vec<String>,
}

/// Runs the writer until every sender of outcomes is gone.
pub(super) fn run(
    mut writer: Writer,
    mut outcomes: mpsc::Receiver<Done>,
    mut start: Option<(DateTime<Utc>, String)>,
    counters: Arc<Counters>,
    observer: Arc<dyn Observer>,
) -> Result<Committed, crate::store::fs::FsError> {
    let mut bounced = Vec::new();
    // Readers whose outcome this run is not final yet (deferred, held): few.
    let mut pending: std::collections::HashMap<String, Outcome> = Default::default();
    while let Some(first) = outcomes.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < 4096 {
            match outcomes.try_recv() {
                Ok(done) => batch.push(done),
                Err(_) => break,
            }
        }
        let mut append_batch = || {
            if let Some((at, content)) = start.take() {
                writer.append(&Record::Start {
                    at,
                    content: Some(content),
                })?;
            }
            for done in &batch {
                writer.append(&Record::Outcome {
                    email: done.email.clone(),
                    outcome: done.outcome,
                    reply: done.reply.clone(),
                    attempts: done.attempts,
                    at: done.at,
                    message_id: done.message_id.clone(),
                })?;
            }
            writer.commit()
        };
        if let Err(error) = append_batch() {
            for done in batch {
                if let Some(committed) = done.committed {
                    let _ = committed.send(false);
                }
            }
            return Err(error);
        }
        for done in batch {
            if let Some(earlier) = pending.remove(&done.email) {
                counters.replaced(earlier);
            }
            if matches!(done.outcome, Outcome::Deferred | Outcome::Held) {
                pending.insert(done.email.clone(), done.outcome);
            }
            counters.add(done.outcome, done.attempts);
            counters.activity.notify_one();
            observer.recorded(done.outcome);
            if done.outcome == Outcome::Bounced {
                bounced.push(done.email);
            }
            if let Some(committed) = done.committed {
                let _ = committed.send(true);
            }
        }
    }
    Ok(Committed { writer, bounced })
}
