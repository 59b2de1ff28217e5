//! Sending one issue: a producer streams the audience, a pool of workers per
//! relay composes and delivers (shared by weight among the healthy relays,
//! paced, retried with backoff), each relay is judged by its recent attempts
//! (`judge`), and one writer thread group-commits each outcome to the ledger
//! before anyone counts it as done (`commit`). The run stops, leaving readers
//! pending, when every relay is down or refusing, when caps are spent, when no
//! relay made progress for a while, or when interrupted.

pub mod caps;
mod clock;
mod commit;
mod engine;
mod judge;
mod relays;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use caps::DailyCap;
pub use clock::RunClock;
pub use engine::Run;
pub use judge::JudgeSettings;
pub use relays::{Health, RelayStatus};

use crate::send::audience::{RetryFailed, Tally};
use crate::send::ledger::Outcome;
use crate::send::message::Composer;

/// How a run sends, whatever the relay.
#[derive(Debug, Clone)]
pub struct Options {
    pub max_attempts: u32,
    /// The first retry delay; doubled per attempt, with jitter.
    pub retry_delay: Duration,
    /// Stop after this many recipients.
    pub limit: Option<u64>,
    pub retry_failed: RetryFailed,
    /// Deferred readers are given up on after this long.
    pub give_up_after: chrono::Duration,
    /// The run's one "now".
    pub clock: RunClock,
    /// How relays are judged by their recent attempts.
    pub judge: JudgeSettings,
    /// With no reader settled for this long, the run stops.
    pub stall_after: Duration,
    /// Retries of a message whose connection was lost after the final dot.
    pub uncertain_retries: u32,
}

/// One relay of a run and its knobs.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// How the relay is named in messages (its transport without secrets).
    pub name: String,
    pub concurrency: usize,
    /// Messages per second; 0 is unpaced.
    pub rate: f64,
    /// Its daily cap, shared with whoever keeps the relay book.
    pub cap: Arc<DailyCap>,
    /// Its share of the audience, relative to the other relays'.
    pub weight: u32,
}

/// One issue to send.
pub struct IssueToSend {
    pub id: String,
    pub composer: Arc<Composer>,
    /// A hash of the issue as rendered, recorded when sending starts.
    pub content: String,
    /// Past this, nobody still pending gets the issue.
    pub not_after: Option<DateTime<Utc>>,
}

/// Told of progress as outcomes become durable.
pub trait Observer: Send + Sync {
    /// How many readers this run will try, known before the first is tried.
    fn planned(&self, _issue_id: &str, _total: u64) {}
    /// One more outcome is on disk.
    fn recorded(&self, _outcome: Outcome) {}
}

/// Why a run ended before everyone due was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// SIGINT or SIGTERM: the messages in flight were finished and recorded.
    Interrupted(Signal),
    /// Every relay is down or refuses the newsletter (the last reason given).
    RelaysDown(String),
    /// No reader got an outcome for `stall_after` (every relay sick).
    Stalled(String),
    /// Every relay's daily cap is spent: the next run continues.
    CapsSpent,
    /// The ledger could not be written.
    Ledger(String),
}

/// The signal that interrupted a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
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
    pub expired: u64,
    /// Refusals not acted on: their relay refused far too many, or delivered
    /// to nobody in the run.
    pub held: u64,
    /// Lost after the final dot: possibly delivered.
    pub uncertain: u64,
    /// The issue's send window (not_after) closed before everyone got it.
    pub window_closed: bool,
    pub retries: u64,
    /// Due but not tried this run (`--limit`, caps, a stop).
    pub not_attempted: u64,
    /// Every recipient now has a final outcome.
    pub complete: bool,
    pub elapsed: Duration,
    pub stopped: Option<Stopped>,
    /// Per relay: its name, what it delivered, and its health.
    pub relays: Vec<RelayStatus>,
}

impl Report {
    /// Recipients this run could not deliver (or cannot say it did).
    pub fn undelivered(&self) -> u64 {
        self.failed + self.bounced + self.deferred + self.held + self.uncertain
    }
}

/// Lets a command stop a run from outside (a signal handler): the run finishes
/// the messages in flight, records them, and ends.
#[derive(Clone, Default)]
pub struct Interrupt {
    set: Arc<AtomicBool>,
    signal: Arc<std::sync::Mutex<Option<Signal>>>,
}

impl Interrupt {
    pub fn trigger(&self, signal: Signal) {
        self.signal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(signal);
        self.set.store(true, Ordering::SeqCst);
    }

    pub fn signal(&self) -> Option<Signal> {
        if self.set.load(Ordering::SeqCst) {
            *self.signal.lock().unwrap_or_else(|e| e.into_inner())
        } else {
            None
        }
    }
}

/// Why an issue could not be sent at all.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Ledger(#[from] crate::send::ledger::LedgerError),
    #[error(transparent)]
    List(#[from] crate::store::lists::ListError),
    #[error(transparent)]
    Fs(#[from] crate::store::fs::FsError),
    #[error("{0}")]
    Internal(String),
}

#[cfg(test)]
mod tests;
