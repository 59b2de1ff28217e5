//! Daily caps: how many messages a relay may still take on the newsletter's
//! calendar day. A cap starts from what the relay book says the relay delivered
//! earlier that day; a message reserves a place before it goes out, and its
//! outcome settles it (a delivery counts, anything else gives the place back);
//! at midnight in the newsletter's time zone the count starts again.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};

use crate::project::config::Zone;

/// One relay's daily cap during a run.
#[derive(Debug)]
pub struct DailyCap {
    /// Messages a day; `None` for no cap.
    limit: Option<u64>,
    zone: Zone,
    state: Mutex<Count>,
}

#[derive(Debug, Clone, Copy)]
struct Count {
    day: NaiveDate,
    /// Delivered on `day`, by earlier runs and this one.
    delivered: u64,
    /// Places taken by messages whose outcome is not known yet.
    reserved: u64,
}

/// What asking for a place came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    Reserved,
    /// The cap is full, but messages in flight may give their places back.
    Full,
    /// The cap is spent for the day.
    Spent,
}

impl DailyCap {
    /// A cap of `limit` a day, of which `delivered` were used on `day`.
    pub fn new(limit: Option<u64>, zone: Zone, day: NaiveDate, delivered: u64) -> DailyCap {
        DailyCap {
            limit,
            zone,
            state: Mutex::new(Count {
                day,
                delivered,
                reserved: 0,
            }),
        }
    }

    /// No cap at all.
    pub fn unlimited() -> DailyCap {
        DailyCap::new(None, Zone::utc(), NaiveDate::MIN, 0)
    }

    fn count(&self, now: DateTime<Utc>) -> std::sync::MutexGuard<'_, Count> {
        let mut count = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let today = self.zone.day_of(now);
        if count.day < today {
            count.day = today;
            count.delivered = 0;
        }
        count
    }

    /// Takes a place for one message, if there is one.
    pub fn reserve(&self, now: DateTime<Utc>) -> Reservation {
        let mut count = self.count(now);
        match self.limit {
            Some(limit) if count.delivered + count.reserved >= limit => {
                if count.reserved > 0 && count.delivered < limit {
                    Reservation::Full
                } else {
                    Reservation::Spent
                }
            }
            _ => {
                count.reserved += 1;
                Reservation::Reserved
            }
        }
    }

    /// Gives back the place of a message that was not delivered.
    pub fn release(&self) {
        let mut count = self.state.lock().unwrap_or_else(|e| e.into_inner());
        count.reserved = count.reserved.saturating_sub(1);
    }

    /// Counts a reserved message as delivered on the day of `now`.
    pub fn delivered(&self, now: DateTime<Utc>) {
        let mut count = self.count(now);
        count.reserved = count.reserved.saturating_sub(1);
        count.delivered += 1;
    }

    /// Delivered on the cap's day so far (at the start of a run: by earlier
    /// runs that day, as the relay book says).
    pub fn delivered_so_far(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .delivered
    }

    /// Whether the cap is spent for the day of `now`.
    pub fn is_spent(&self, now: DateTime<Utc>) -> bool {
        self.limit
            .is_some_and(|limit| self.count(now).delivered >= limit)
    }

    /// What the relay may still take on the day of `now`; `None` for no cap.
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<u64> {
        let count = self.count(now);
        self.limit
            .map(|limit| limit.saturating_sub(count.delivered + count.reserved))
    }

    /// The day of `now` and what the relay delivered on it, for the relay book.
    pub fn delivered_on(&self, now: DateTime<Utc>) -> (NaiveDate, u64) {
        let count = self.count(now);
        (count.day, count.delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_counted_when_delivered_and_given_back_otherwise() {
        let now: DateTime<Utc> = "2026-11-28T12:00:00Z".parse().unwrap();
        let cap = DailyCap::new(Some(3), Zone::utc(), Zone::utc().day_of(now), 1);
        assert_eq!(cap.reserve(now), Reservation::Reserved);
        assert_eq!(cap.reserve(now), Reservation::Reserved);
        assert_eq!(cap.reserve(now), Reservation::Full, "two in flight");
        // A refused message does not use up the day's quota.
        cap.release();
        assert_eq!(cap.remaining(now), Some(1));
        cap.delivered(now);
        assert_eq!(cap.reserve(now), Reservation::Reserved);
        cap.delivered(now);
        assert_eq!(cap.reserve(now), Reservation::Spent);
        assert!(cap.is_spent(now));
        assert_eq!(cap.delivered_on(now).1, 3);
    }

    #[test]
    fn a_run_past_midnight_counts_what_follows_on_the_new_day() {
        let zone = Zone::utc();
        let evening: DateTime<Utc> = "2026-11-28T23:59:00Z".parse().unwrap();
        let cap = DailyCap::new(Some(40), zone.clone(), zone.day_of(evening), 39);
        assert_eq!(cap.reserve(evening), Reservation::Reserved);
        let night = evening + chrono::Duration::minutes(2);
        // Delivered after midnight: it counts on the new day.
        cap.delivered(night);
        assert_eq!(
            cap.delivered_on(night),
            (zone.day_of(night), 1),
            "the new day starts from zero"
        );
        assert_eq!(cap.remaining(night), Some(39));
        assert!(!cap.is_spent(night));
    }
}
