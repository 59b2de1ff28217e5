//! The relays of a run: each one's health (judged by its recent attempts, see
//! `judge`; down after connection failures in a row or a refusal of the sender;
//! degraded while sick, probed again later), its daily cap, and its share of the
//! audience by weight among the healthy ones.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::RelaySettings;
use super::caps::Reservation;
use super::judge::{Judge, JudgeSettings};
use super::worker::Job;

/// At most this many readers a relay deferred are kept, to retry elsewhere if
/// it turns out sick; the others wait for the next run.
const DEFERRED_KEPT: usize = 10_000;

/// How a relay is doing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Health {
    #[default]
    Healthy,
    /// Mostly deferrals, timeouts or lost connections: it takes no new
    /// readers and is probed again later in the run.
    Degraded(String),
    /// It refused far more readers than any list has: out for the run, and
    /// those refusals are held, not acted on.
    Refusing(String),
    /// Unreachable, or it refuses the sender, the login or TLS: out for the run.
    Down(String),
}

impl Health {
    /// Why the relay is not healthy.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Health::Healthy => None,
            Health::Degraded(reason) | Health::Refusing(reason) | Health::Down(reason) => {
                Some(reason)
            }
        }
    }

    /// The state in a word.
    pub fn label(&self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Degraded(_) => "degraded",
            Health::Refusing(_) => "refusing",
            Health::Down(_) => "down",
        }
    }
}

/// How one relay fared, for the report and the relay book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayStatus {
    pub name: String,
    /// Delivered this run.
    pub delivered: u64,
    /// The calendar day and what the relay delivered on it, this run and before.
    pub day_count: (chrono::NaiveDate, u64),
    pub health: Health,
    /// Its daily cap ran out during the run.
    pub capped: bool,
}

/// When a degraded relay is tried again.
struct Probe {
    next: Instant,
    wait: Duration,
    /// A worker is trying it now.
    taken: bool,
}

/// One relay's state during a run.
pub(super) struct Relay {
    pub(super) settings: RelaySettings,
    health: Mutex<Health>,
    /// Refusing or down: it takes no more readers this run.
    out: AtomicBool,
    degraded: AtomicBool,
    probe: Mutex<Probe>,
    /// The first and the longest wait between probes.
    probe_waits: (Duration, Duration),
    /// Its daily cap ran out.
    capped: AtomicBool,
    /// Readers it took, for sharing by weight.
    taken: AtomicU64,
    pub(super) delivered: AtomicU64,
    /// Its workers still running: a relay without any takes no share.
    working: AtomicU64,
    /// Connection failures in a row, reset by any accepted message.
    unreachable: AtomicU64,
    pub(super) judge: Mutex<Judge>,
    /// Readers it deferred this run.
    deferred: Mutex<Vec<Job>>,
}

/// What a worker may do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    /// Take a reader.
    Take,
    /// Try one reader through a degraded relay.
    Probe,
    /// The relay is out, or the run is stopping.
    Leave,
}

impl Relay {
    fn new(settings: RelaySettings, judge: JudgeSettings, stall: Duration) -> Relay {
        let first = (stall / 10).clamp(Duration::from_secs(1), Duration::from_secs(30));
        let longest = (stall / 3).max(first);
        let delivered_before = settings.cap.delivered_so_far();
        Relay {
            settings,
            health: Mutex::new(Health::Healthy),
            out: AtomicBool::new(false),
            degraded: AtomicBool::new(false),
            probe: Mutex::new(Probe {
                next: Instant::now(),
                wait: first,
                taken: false,
            }),
            probe_waits: (first, longest),
            capped: AtomicBool::new(false),
            taken: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            working: AtomicU64::new(0),
            unreachable: AtomicU64::new(0),
            judge: Mutex::new(Judge::new(judge, delivered_before)),
            deferred: Mutex::new(Vec::new()),
        }
    }

    /// Whether the relay takes no more readers this run (out or capped).
    pub(super) fn is_out(&self) -> bool {
        self.out.load(Ordering::SeqCst) || self.capped.load(Ordering::SeqCst)
    }

    /// Whether it is refusing or down.
    pub(super) fn is_down(&self) -> bool {
        self.out.load(Ordering::SeqCst)
    }

    pub(super) fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::SeqCst)
    }

    pub(super) fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Why it is refusing or down.
    pub(super) fn down_reason(&self) -> Option<String> {
        match self.health() {
            Health::Refusing(reason) | Health::Down(reason) => Some(reason),
            Health::Healthy | Health::Degraded(_) => None,
        }
    }

    /// Takes the relay out of the run; the first reason wins. False when it
    /// was out already.
    fn leave(&self, health: Health) -> bool {
        let mut current = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if self.out.swap(true, Ordering::SeqCst) {
            return false;
        }
        *current = health;
        self.degraded.store(false, Ordering::SeqCst);
        true
    }

    /// Unreachable or refusing the sender: out for the run.
    pub(super) fn take_down(&self, reason: String) -> bool {
        self.leave(Health::Down(reason))
    }

    /// Refusing the newsletter: out for the run.
    pub(super) fn refuse_all(&self, reason: String) -> bool {
        self.leave(Health::Refusing(reason))
    }

    /// Sick: no new readers until a probe succeeds. True when it just became so.
    pub(super) fn degrade(&self, reason: String) -> bool {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_down() || self.degraded.swap(true, Ordering::SeqCst) {
            return false;
        }
        *health = Health::Degraded(reason);
        let mut probe = self.probe.lock().unwrap_or_else(|e| e.into_inner());
        probe.wait = self.probe_waits.0;
        probe.next = Instant::now() + probe.wait;
        probe.taken = false;
        true
    }

    /// A probe answered: the relay is back in the rotation.
    pub(super) fn recovered(&self) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if self.degraded.swap(false, Ordering::SeqCst) {
            *health = Health::Healthy;
            self.judge
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .recovered();
            crate::debug!(
                "{} answered a probe: back in the rotation",
                self.settings.name
            );
        }
        self.probe.lock().unwrap_or_else(|e| e.into_inner()).taken = false;
    }

    /// A probe did not get through: try again later, waiting longer.
    pub(super) fn probe_failed(&self) {
        let mut probe = self.probe.lock().unwrap_or_else(|e| e.into_inner());
        probe.taken = false;
        probe.wait = (probe.wait * 2).min(self.probe_waits.1);
        probe.next = Instant::now() + probe.wait;
    }

    /// Claims the next probe when it is due.
    fn take_probe(&self) -> Result<(), Instant> {
        let mut probe = self.probe.lock().unwrap_or_else(|e| e.into_inner());
        if probe.taken || Instant::now() < probe.next {
            return Err(probe.next.max(Instant::now() + Duration::from_millis(20)));
        }
        probe.taken = true;
        Ok(())
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

    /// The relay answered: it is reachable.
    pub(super) fn reachable(&self) {
        self.unreachable.store(0, Ordering::SeqCst);
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
                crate::send::transport::mask_addresses(reply)
            ));
        }
        self.is_down()
    }

    /// Keeps a reader it deferred, to retry elsewhere if it turns out sick.
    pub(super) fn deferred(&self, job: Job) {
        let mut deferred = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
        if deferred.len() < DEFERRED_KEPT {
            deferred.push(job);
        }
    }

    /// The readers it deferred this run, taken away.
    pub(super) fn take_deferred(&self) -> Vec<Job> {
        std::mem::take(&mut *self.deferred.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(super) fn status(&self, now: DateTime<Utc>) -> RelayStatus {
        RelayStatus {
            name: self.settings.name.clone(),
            delivered: self.delivered.load(Ordering::SeqCst),
            day_count: self.settings.cap.delivered_on(now),
            health: self.health(),
            capped: self.capped.load(Ordering::SeqCst) && !self.is_down(),
        }
    }
}

/// All relays of a run.
pub(super) struct Relays {
    pub(super) all: Vec<Relay>,
    /// Woken when a relay takes a reader, gives a place back or leaves.
    changed: Notify,
}

impl Relays {
    pub(super) fn new(
        settings: Vec<RelaySettings>,
        judge: JudgeSettings,
        stall: Duration,
    ) -> Relays {
        Relays {
            all: settings
                .into_iter()
                .map(|s| Relay::new(s, judge, stall))
                .collect(),
            changed: Notify::new(),
        }
    }

    /// Whether every relay is out of the run.
    pub(super) fn all_out(&self) -> bool {
        self.all.iter().all(Relay::is_out)
    }

    /// Whether relay `r` may take the next reader now: its share of what the
    /// healthy relays took is not ahead of its weight (one reader of slack, so
    /// that relays of equal weight alternate).
    fn may_take(&self, r: usize) -> bool {
        // A relay whose workers all left (nothing more for them), or that is
        // sick, is not ahead of anyone: the others must not wait for it.
        let active: Vec<&Relay> = self
            .all
            .iter()
            .filter(|relay| {
                !relay.is_out() && !relay.is_degraded() && relay.working.load(Ordering::SeqCst) > 0
            })
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

    /// Waits until relay `r` may take a reader by weight, or may be probed.
    pub(super) async fn admit(&self, r: usize, stopping: impl Fn() -> bool) -> Admission {
        loop {
            let relay = &self.all[r];
            if relay.is_out() || stopping() {
                return Admission::Leave;
            }
            let until = if relay.is_degraded() {
                match relay.take_probe() {
                    Ok(()) => return Admission::Probe,
                    Err(next) => next,
                }
            } else if self.may_take(r) {
                return Admission::Take;
            } else {
                // A relay that never takes again wakes nobody: look again soon.
                Instant::now() + Duration::from_millis(20)
            };
            let _ = tokio::time::timeout_at(
                until.min(Instant::now() + Duration::from_millis(250)),
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
        let _ = tokio::time::timeout(Duration::from_millis(20), self.changed.notified()).await;
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
