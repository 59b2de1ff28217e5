//! What the relays did, across runs: messages delivered per relay per calendar
//! day in the newsletter's time zone (for daily caps), and which relay was last
//! found down and why. Kept in `state/relays.json`, written atomically.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::project::layout::Layout;
use crate::send::dispatch::RelayStatus;
use crate::store::fs::FsError;

/// The book of one project's relays.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelayBook {
    /// The calendar day the counts are for.
    pub day: Option<NaiveDate>,
    /// Messages delivered through each relay on that day.
    #[serde(default)]
    pub delivered: BTreeMap<String, u64>,
    /// Relays found down by the last run that used them, with when and why.
    #[serde(default)]
    pub down: BTreeMap<String, (DateTime<Utc>, String)>,
}

/// The calendar day of `now` in `zone`.
pub fn day_of(now: DateTime<Utc>, zone: chrono_tz::Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// When the next calendar day starts in `zone`, after `now`.
pub fn next_day(now: DateTime<Utc>, zone: chrono_tz::Tz) -> DateTime<Utc> {
    let tomorrow = day_of(now, zone).succ_opt().unwrap_or(NaiveDate::MAX);
    let midnight = tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight)
        .earliest()
        .map_or(now + chrono::Duration::days(1), |t| t.with_timezone(&Utc))
}

/// Why the book cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(
        "{path}:{line}:{column}: the relays' daily counts cannot be read ({reason}); repair the file, or delete it to count today from zero (a daily cap may then be exceeded today)"
    )]
    Damaged {
        path: String,
        line: usize,
        column: usize,
        reason: String,
    },
}

impl RelayBook {
    /// The book as of `now`: yesterday's counts are gone.
    pub fn load(
        layout: &Layout,
        now: DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) -> Result<RelayBook, BookError> {
        let path = layout.relay_book();
        let mut book: RelayBook = match crate::store::fs::read_optional(&path)? {
            None => RelayBook::default(),
            // Silently starting from zero could take a relay past its cap.
            Some(text) => serde_json::from_str(&text).map_err(|e| BookError::Damaged {
                path: layout.display(&path),
                line: e.line(),
                column: e.column(),
                reason: e.to_string(),
            })?,
        };
        let today = day_of(now, zone);
        if book.day != Some(today) {
            book.day = Some(today);
            book.delivered.clear();
        }
        Ok(book)
    }

    pub fn save(&self, layout: &Layout) -> Result<(), FsError> {
        crate::store::fs::create_private_dir(&layout.state_dir())?;
        let bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        crate::store::fs::write_atomic(&layout.relay_book(), &bytes)
    }

    /// What a relay with `cap` may still take today.
    pub fn remaining(&self, name: &str, cap: Option<u64>) -> Option<u64> {
        cap.map(|cap| cap.saturating_sub(self.delivered.get(name).copied().unwrap_or(0)))
    }
}

/// Keeps the book of a run: what the relays delivered this run is added to
/// the day's counts, and a run that goes on past midnight (in the zone)
/// counts what it delivers after it on the new day.
pub struct Keeper {
    book: RelayBook,
    zone: chrono_tz::Tz,
    /// Per relay, what the run had delivered when the book's day began (zero
    /// unless the run crossed midnight).
    at_day_start: BTreeMap<String, u64>,
    /// The counts of the book's day before this run's share of it.
    before: BTreeMap<String, u64>,
}

impl Keeper {
    pub fn new(book: RelayBook, zone: chrono_tz::Tz) -> Keeper {
        Keeper {
            before: book.delivered.clone(),
            book,
            zone,
            at_day_start: BTreeMap::new(),
        }
    }

    /// The book as of `now`, given how each relay has fared so far in the run:
    /// a relay found down is noted with why, one that delivered is no longer down.
    pub fn update(&mut self, statuses: &[RelayStatus], now: DateTime<Utc>) -> &RelayBook {
        let today = day_of(now, self.zone);
        if self.book.day.is_some_and(|day| day < today) {
            self.book.day = Some(today);
            self.before.clear();
            self.at_day_start = statuses
                .iter()
                .map(|s| (s.name.clone(), s.delivered))
                .collect();
        }
        for status in statuses {
            let earlier = self.before.get(&status.name).copied().unwrap_or(0);
            let since = self.at_day_start.get(&status.name).copied().unwrap_or(0);
            self.book.delivered.insert(
                status.name.clone(),
                earlier + status.delivered.saturating_sub(since),
            );
            match &status.down {
                Some(reason) => {
                    self.book
                        .down
                        .insert(status.name.clone(), (now, reason.clone()));
                }
                None if status.delivered > 0 => {
                    self.book.down.remove(&status.name);
                }
                None => {}
            }
        }
        &self.book
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_per_calendar_day_in_the_newsletters_zone() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let zone: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        // 23:30 UTC on the 28th is already the 29th in Berlin.
        let late: DateTime<Utc> = "2026-11-28T23:30:00Z".parse().unwrap();
        assert_eq!(day_of(late, zone).to_string(), "2026-11-29");
        assert_eq!(
            next_day(late, zone).to_rfc3339(),
            "2026-11-29T23:00:00+00:00"
        );
        let mut book = RelayBook::load(&layout, late, zone).unwrap();
        book.delivered.insert("primary".into(), 40);
        book.save(&layout).unwrap();
        let same_day = RelayBook::load(&layout, late + chrono::Duration::hours(5), zone).unwrap();
        assert_eq!(same_day.remaining("primary", Some(100)), Some(60));
        let next = RelayBook::load(&layout, late + chrono::Duration::hours(24), zone).unwrap();
        assert_eq!(next.remaining("primary", Some(100)), Some(100));
        std::fs::write(
            layout.relay_book(),
            "{\"day\": \"2026-11-29\", \"delivered\": {\"primary\": 4",
        )
        .unwrap();
        let error = RelayBook::load(&layout, late, zone)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("state/relays.json:1:"), "{error}");
        assert!(
            error.contains("delete it to count today from zero"),
            "{error}"
        );
    }

    #[test]
    fn a_run_past_midnight_counts_what_follows_on_the_new_day() {
        let zone = chrono_tz::Tz::UTC;
        let evening: DateTime<Utc> = "2026-11-28T23:59:00Z".parse().unwrap();
        let book = RelayBook {
            day: Some(day_of(evening, zone)),
            delivered: [("primary".to_string(), 30)].into(),
            down: BTreeMap::new(),
        };
        let mut keeper = Keeper::new(book, zone);
        let status = |delivered| RelayStatus {
            name: "primary".into(),
            delivered,
            down: None,
            capped: false,
        };
        assert_eq!(
            keeper.update(&[status(20)], evening).delivered["primary"],
            50
        );
        let night = evening + chrono::Duration::minutes(2);
        let book = keeper.update(&[status(25)], night);
        assert_eq!(book.day.unwrap().to_string(), "2026-11-29");
        assert_eq!(book.delivered["primary"], 0);
        let book = keeper.update(&[status(32)], night + chrono::Duration::minutes(1));
        assert_eq!(book.delivered["primary"], 7);
        let down = RelayStatus {
            down: Some("primary looks down".into()),
            ..status(32)
        };
        assert!(keeper.update(&[down], night).down.contains_key("primary"));
    }
}
