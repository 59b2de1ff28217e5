//! The run's one "now": the moment it was given (`VERDICT_NOW` or the clock),
//! moved on by the time the run has taken on tokio's clock (paused in tests).
//! Every time a run writes (ledger, suppression list, relay book) or decides by
//! (send window, give-up, daily caps) comes from here.

use chrono::{DateTime, Utc};

/// The clock of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    began: DateTime<Utc>,
    started: tokio::time::Instant,
}

impl RunClock {
    /// A clock that reads `now` at this instant.
    pub fn starting(now: DateTime<Utc>) -> RunClock {
        RunClock {
            began: now,
            started: tokio::time::Instant::now(),
        }
    }

    /// The moment the run began.
    pub fn began(&self) -> DateTime<Utc> {
        self.began
    }

    /// Now, as the run counts it.
    pub fn now(&self) -> DateTime<Utc> {
        self.began + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}
