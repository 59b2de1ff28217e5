//! The ledger writer thread: drains whatever outcomes are waiting, appends them,
//! fsyncs once for the batch, then lets their workers go on. The start record
//! goes with the first outcome, so a run that never reached a relay fixes nothing.

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
        Done {
            email: email.to_string(),
            outcome,
            reply: reason.to_string(),
            attempts: 0,
            message_id: String::new(),
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
    pub(super) retries: AtomicU64,
}

impl Counters {
    fn add(&self, outcome: Outcome, attempts: u32) {
        let counter = match outcome {
            Outcome::Delivered => &self.delivered,
            Outcome::Failed => &self.failed,
            Outcome::Bounced => &self.bounced,
            Outcome::Deferred => &self.deferred,
            Outcome::Expired => &self.expired,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.retries
            .fetch_add(u64::from(attempts.saturating_sub(1)), Ordering::Relaxed);
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
    mut outcomes: mpsc::UnboundedReceiver<Done>,
    mut start: Option<(DateTime<Utc>, String)>,
    counters: Arc<Counters>,
    observer: Arc<dyn Observer>,
) -> Result<Committed, crate::store::fs::FsError> {
    let mut bounced = Vec::new();
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
            counters.add(done.outcome, done.attempts);
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
