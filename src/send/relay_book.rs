//! What the relays did, across runs: messages delivered per relay on the
//! newsletter's calendar day (where daily caps start from, see
//! `dispatch::caps`), and each relay's health as the last run that used it left
//! it (healthy, degraded, refusing or down, since when and why). Kept in
//! `state/relays.json`, written atomically.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::project::config::Zone;
use crate::project::layout::Layout;
use crate::send::dispatch::caps::DailyCap;
use crate::send::dispatch::{Health, RelayStatus};
use crate::store::fs::FsError;

/// The book of one project's relays.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelayBook {
    /// The calendar day the counts are for.
    pub day: Option<NaiveDate>,
    /// Messages delivered through each relay on that day.
    #[serde(default)]
    pub delivered: BTreeMap<String, u64>,
    /// Each relay's health as the last run that used it left it.
    #[serde(default)]
    pub health: BTreeMap<String, HealthNote>,
    /// Relays found down, as books written before `health` kept them: read
    /// into `health`, never written.
    #[serde(default, skip_serializing)]
    down: BTreeMap<String, (DateTime<Utc>, String)>,
}

/// A relay's health, since when, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HealthNote {
    /// healthy, degraded, refusing or down.
    pub state: String,
    pub since: DateTime<Utc>,
    #[serde(default)]
    pub reason: String,
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
    pub fn load(layout: &Layout, now: DateTime<Utc>, zone: &Zone) -> Result<RelayBook, BookError> {
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
        for (name, (since, reason)) in std::mem::take(&mut book.down) {
            book.health.entry(name).or_insert(HealthNote {
                state: "down".into(),
                since,
                reason,
            });
        }
        let today = zone.day_of(now);
        if book.day != Some(today) {
            book.day = Some(today);
            book.delivered.clear();
        }
        Ok(book)
    }

    /// Writes the book atomically; a book that cannot be encoded or written
    /// is an error, never an empty file.
    pub fn save(&self, layout: &Layout) -> Result<(), FsError> {
        let path = layout.relay_book();
        crate::store::fs::create_private_dir(&layout.state_dir())?;
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| FsError::new("cannot encode", &path, e.into()))?;
        crate::store::fs::write_atomic(&path, &bytes)
    }

    /// The daily cap of relay `name` as of the book's day: what it delivered
    /// earlier that day counts against `limit`.
    pub fn cap(&self, name: &str, limit: Option<u64>, zone: &Zone, now: DateTime<Utc>) -> DailyCap {
        let day = self.day.unwrap_or_else(|| zone.day_of(now));
        let delivered = self.delivered.get(name).copied().unwrap_or(0);
        DailyCap::new(limit, zone.clone(), day, delivered)
    }

    /// Notes how the relays fared so far in a run: each one's count for its
    /// day and its health (a healthy relay that delivered nothing leaves its
    /// earlier note: nothing new is known).
    pub fn note(&mut self, statuses: &[RelayStatus], now: DateTime<Utc>) {
        for status in statuses {
            let (day, delivered) = status.day_count;
            if self.day.is_none_or(|d| d < day) {
                self.day = Some(day);
                self.delivered.clear();
            }
            if self.day == Some(day) {
                self.delivered.insert(status.name.clone(), delivered);
            }
            if status.health == Health::Healthy && status.delivered == 0 {
                continue;
            }
            let state = status.health.label();
            let since = match self.health.get(&status.name) {
                Some(note) if note.state == state => note.since,
                _ => now,
            };
            self.health.insert(
                status.name.clone(),
                HealthNote {
                    state: state.into(),
                    since,
                    reason: status.health.reason().unwrap_or_default().to_string(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_per_calendar_day_and_a_damaged_book_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let zone = &Zone::named("Europe/Berlin").unwrap();
        let late: DateTime<Utc> = "2026-11-28T23:30:00Z".parse().unwrap();
        let mut book = RelayBook::load(&layout, late, zone).unwrap();
        book.delivered.insert("primary".into(), 40);
        book.save(&layout).unwrap();
        let same_day = RelayBook::load(&layout, late + chrono::Duration::hours(5), zone).unwrap();
        let cap = same_day.cap("primary", Some(100), zone, late);
        assert_eq!(cap.remaining(late), Some(60));
        let tomorrow = late + chrono::Duration::hours(24);
        let next = RelayBook::load(&layout, tomorrow, zone).unwrap();
        let cap = next.cap("primary", Some(100), zone, tomorrow);
        assert_eq!(cap.remaining(tomorrow), Some(100));
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
    fn a_new_day_in_the_run_replaces_the_counts_of_the_old_one() {
        let zone = Zone::utc();
        let evening: DateTime<Utc> = "2026-11-28T23:59:00Z".parse().unwrap();
        let mut book = RelayBook {
            day: Some(zone.day_of(evening)),
            delivered: [("primary".to_string(), 30), ("other".to_string(), 3)].into(),
            ..RelayBook::default()
        };
        let status = |day, count| RelayStatus {
            name: "primary".into(),
            delivered: 5,
            day_count: (day, count),
            health: Health::Healthy,
            capped: false,
        };
        book.note(&[status(zone.day_of(evening), 35)], evening);
        assert_eq!(book.delivered["primary"], 35);
        let night = evening + chrono::Duration::minutes(2);
        book.note(&[status(zone.day_of(night), 2)], night);
        assert_eq!(book.day, Some(zone.day_of(night)));
        assert_eq!(book.delivered, [("primary".to_string(), 2)].into());
        let down = RelayStatus {
            health: Health::Down("primary looks down".into()),
            ..status(zone.day_of(night), 2)
        };
        book.note(std::slice::from_ref(&down), night);
        book.note(&[down], night + chrono::Duration::minutes(5));
        let note = &book.health["primary"];
        assert_eq!((note.state.as_str(), note.since), ("down", night));
        assert_eq!(note.reason, "primary looks down");
    }
}
