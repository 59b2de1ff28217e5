//! The relays of a run: each one's health (down after connection failures in a
//! row, a refusal of the sender, or identical refusals in a row), its daily cap,
//! and its share of the audience by weight.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::caps::Reservation;
use super::{IDENTICAL_REFUSALS_STOP, RelaySettings};

/// How one relay fared, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayStatus {
    pub name: String,
    /// Delivered this run.
    pub delivered: u64,
    /// The calendar day and what the relay delivered on it, this run and before.
    pub day_count: (chrono::NaiveDate, u64),
    /// Why it was taken out of the run, if it was.
    pub down: Option<String>,
    /// Its daily cap ran out during the run.
    pub capped: bool,
}

/// One relay's state during a run.
pub(super) struct Relay {
    pub(super) settings: RelaySettings,
    down: Mutex<Option<String>>,
    out: AtomicBool,
    /// Its daily cap ran out.
    capped: AtomicBool,
    /// Readers it took, for sharing by weight.
    taken: AtomicU64,
    pub(super) delivered: AtomicU64,
    /// Its workers still running: a relay without any takes no share.
    working: AtomicU64,
    /// Connection failures in a row, reset by any delivery.
    unreachable: AtomicU64,
    /// The last permanent refusals in a row with the same reply.
    refusals: Mutex<Refusals>,
}

#[derive(Default)]
struct Refusals {
    reply: String,
    addresses: Vec<String>,
}

/// What a permanent refusal did to the relay.
pub(super) enum Refusal {
    /// Record it against the reader.
    Record,
    /// The relay refuses everyone alike: it is now down, and these readers'
    /// earlier refusals (this one not recorded) must be withdrawn.
    RelayRefusesAll(Vec<String>),
}

impl Relay {
    pub(super) fn new(settings: RelaySettings) -> Relay {
        Relay {
            settings,
            down: Mutex::new(None),
            out: AtomicBool::new(false),
            capped: AtomicBool::new(false),
            taken: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            working: AtomicU64::new(0),
            unreachable: AtomicU64::new(0),
            refusals: Mutex::new(Refusals::default()),
        }
    }

    /// Whether the relay takes no more readers this run (down or capped).
    pub(super) fn is_out(&self) -> bool {
        self.out.load(Ordering::SeqCst) || self.capped.load(Ordering::SeqCst)
    }

    pub(super) fn is_down(&self) -> bool {
        self.out.load(Ordering::SeqCst)
    }

    /// Takes the relay out of the run; the first reason wins.
    pub(super) fn take_down(&self, reason: String) {
        self.down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(reason);
        self.out.store(true, Ordering::SeqCst);
    }

    pub(super) fn down_reason(&self) -> Option<String> {
        self.down.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reserves one message of the daily cap: `None` while the cap is full
    /// but messages in flight may give their places back.
    pub(super) fn reserve(&self, now: DateTime<Utc>) -> Option<bool> {
        match self.settings.cap.reserve(now) {
            Reservation::Reserved => Some(true),
            Reservation::Full => None,
            Reservation::Spent => {
                self.capped.store(true, Ordering::SeqCst);
                Some(false)
            }
        }
    }

    /// Gives back a reservation whose message was not delivered.
    pub(super) fn release(&self) {
        self.settings.cap.release();
    }

    /// A delivery, counted against the daily cap.
    pub(super) fn delivered(&self, now: DateTime<Utc>) {
        self.settings.cap.delivered(now);
        self.delivered.fetch_add(1, Ordering::SeqCst);
    }

    /// An accepted message: the relay is up and not refusing everyone.
    pub(super) fn healthy(&self) {
        self.unreachable.store(0, Ordering::SeqCst);
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        refusals.addresses.clear();
    }

    /// A connection that failed; enough in a row (more than one per
    /// connection) and the relay is down.
    pub(super) fn unreachable(&self, reply: &str) -> bool {
        let streak = self.unreachable.fetch_add(1, Ordering::SeqCst) + 1;
        let limit = (self.settings.concurrency as u64 + 2).max(3);
        if streak >= limit {
            self.take_down(format!(
                "{} looks down ({streak} failed connections in a row): {}",
                self.settings.name,
                crate::send::transport::escape_reply(reply)
            ));
        }
        self.is_down()
    }

    /// A permanent refusal of a reader with `reply`.
    pub(super) fn refused(&self, email: &str, reply: &str) -> Refusal {
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        if refusals.reply != reply {
            refusals.reply = reply.to_string();
            refusals.addresses.clear();
        }
        refusals.addresses.push(email.to_string());
        if refusals.addresses.len() < IDENTICAL_REFUSALS_STOP {
            return Refusal::Record;
        }
        let addresses = std::mem::take(&mut refusals.addresses);
        drop(refusals);
        self.take_down(format!(
            "{} refused {} readers in a row with the same reply, so it refuses the newsletter, not the readers: {}",
            self.settings.name,
            addresses.len(),
            crate::send::transport::escape_reply(reply)
        ));
        Refusal::RelayRefusesAll(addresses)
    }

    /// Anything but a permanent refusal breaks a run of identical ones.
    pub(super) fn not_refused(&self) {
        self.refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .addresses
            .clear();
    }

    pub(super) fn status(&self, now: DateTime<Utc>) -> RelayStatus {
        RelayStatus {
            name: self.settings.name.clone(),
            delivered: self.delivered.load(Ordering::SeqCst),
            day_count: self.settings.cap.delivered_on(now),
            down: self.down_reason(),
            capped: self.capped.load(Ordering::SeqCst) && !self.is_down(),
        }
    }
}

/// All relays of a run.
pub(super) struct Relays {
    pub(super) all: Vec<Relay>,
    /// Woken when a relay takes a reader or leaves the run.
    changed: Notify,
}

impl Relays {
    pub(super) fn new(settings: Vec<RelaySettings>) -> Relays {
        Relays {
            all: settings.into_iter().map(Relay::new).collect(),
            changed: Notify::new(),
        }
    }

    /// Whether every relay is out of the run.
    pub(super) fn all_out(&self) -> bool {
        self.all.iter().all(Relay::is_out)
    }

    /// Whether relay `r` may take the next reader now: its share of what the
    /// relays still in the run took is not ahead of its weight (one reader of
    /// slack, so that relays of equal weight alternate).
    fn may_take(&self, r: usize) -> bool {
        // A relay whose workers all left (nothing more for them) is not ahead
        // of anyone: the others must not wait for it to catch up.
        let active: Vec<&Relay> = self
            .all
            .iter()
            .filter(|relay| !relay.is_out() && relay.working.load(Ordering::SeqCst) > 0)
            .collect();
        let total_weight: u64 = active
            .iter()
            .map(|relay| u64::from(relay.settings.weight))
            .sum();
        let total_taken: u64 = active
            .iter()
            .map(|relay| relay.taken.load(Ordering::SeqCst))
            .sum();
        let relay = &self.all[r];
        let taken = relay.taken.load(Ordering::SeqCst);
        let weight = u64::from(relay.settings.weight);
        total_weight == 0 || taken * total_weight <= total_taken * weight + total_weight
    }

    /// Waits until relay `r` may take a reader by weight; false when it is out.
    pub(super) async fn admit(&self, r: usize, stopping: impl Fn() -> bool) -> bool {
        loop {
            let relay = &self.all[r];
            if relay.is_out() || stopping() {
                return false;
            }
            if self.may_take(r) {
                return true;
            }
            // A relay that never takes again wakes nobody: look again soon.
            let _ = tokio::time::timeout(
                std::time::Duration::from_millis(20),
                self.changed.notified(),
            )
            .await;
        }
    }

    /// Waits a little for something to change (a relay took a reader, gave a
    /// place back or left); false when the run is stopping.
    pub(super) async fn wait_for_change(&self, stopping: impl Fn() -> bool) -> bool {
        if stopping() {
            return false;
        }
        let _ = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            self.changed.notified(),
        )
        .await;
        !stopping()
    }

    /// A worker of relay `r` starts; it counts until the guard is dropped.
    pub(super) fn working(self: &Arc<Self>, r: usize) -> Working {
        self.all[r].working.fetch_add(1, Ordering::SeqCst);
        Working {
            relays: self.clone(),
            r,
        }
    }

    /// Relay `r` took a reader.
    pub(super) fn took(&self, r: usize) {
        self.all[r].taken.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Something changed that may let other relays take readers.
    pub(super) fn wake(&self) {
        self.changed.notify_waiters();
    }
}

/// A running worker of one relay; when it leaves, the others are told.
pub(super) struct Working {
    relays: Arc<Relays>,
    r: usize,
}

impl Drop for Working {
    fn drop(&mut self) {
        self.relays.all[self.r]
            .working
            .fetch_sub(1, Ordering::SeqCst);
        self.relays.wake();
    }
}
