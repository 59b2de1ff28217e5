//! The newsletter's time zone (`time_zone`): its calendar days, which relays'
//! daily caps count in, and its local time, in which the editor is told when
//! sending resumes. The IANA database is built in (jiff's bundled copy), so a
//! zone means the same on every machine, with or without tzdata installed.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, civil};

/// An IANA time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone(TimeZone);

impl Zone {
    pub fn utc() -> Zone {
        Zone(TimeZone::UTC)
    }

    /// The zone of an IANA name such as "Europe/Berlin" (in any case); none
    /// for a name the database does not know, and for the two it knows that
    /// are no place's: "Etc/Unknown" (jiff's own) and "Factory".
    pub fn named(name: &str) -> Option<Zone> {
        // The bundled database by name, so that no feature turned on elsewhere
        // makes this read the system's copy or the environment.
        let zone = TimeZoneDatabase::bundled().get(name).ok()?;
        match zone.iana_name() {
            Some(canonical) if !canonical.eq_ignore_ascii_case("Factory") => Some(Zone(zone)),
            _ => None,
        }
    }

    /// The calendar day of `now` here.
    pub fn day_of(&self, now: DateTime<Utc>) -> NaiveDate {
        naive_date(self.0.to_datetime(timestamp(now)).date())
    }

    /// When the next calendar day starts here, after `now`: its midnight, or
    /// the first moment of the day where a clock change skips midnight.
    pub fn next_day(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.0
            .to_datetime(timestamp(now))
            .date()
            .tomorrow()
            .and_then(|day| day.to_zoned_datetime(self.0.clone()))
            .ok()
            .and_then(|start| utc(start.timestamp()))
            .unwrap_or(now + chrono::Duration::days(1))
    }

    /// `at` as a local time to the minute, with the zone's abbreviation:
    /// "2026-11-30 00:00 CET".
    pub fn local_minute(&self, at: DateTime<Utc>) -> String {
        timestamp(at)
            .to_zoned_datetime(self.0.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.iana_name().unwrap_or("UTC"))
    }
}

/// chrono's instant as jiff's, held to jiff's range (years -9999 to 9999). A
/// leap second (chrono counts it as a second billion nanoseconds) is the last
/// instant of the second before.
fn timestamp(at: DateTime<Utc>) -> Timestamp {
    let nanos = i32::try_from(at.timestamp_subsec_nanos().min(999_999_999)).unwrap_or(0);
    Timestamp::new(at.timestamp(), nanos).unwrap_or(if at.timestamp() < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

fn utc(at: Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(at.subsec_nanosecond()).ok()?;
    DateTime::from_timestamp(at.as_second(), nanos)
}

fn naive_date(date: civil::Date) -> NaiveDate {
    let month = u32::try_from(date.month()).unwrap_or(1);
    let day = u32::try_from(date.day()).unwrap_or(1);
    NaiveDate::from_ymd_opt(date.year().into(), month, day).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn days_are_calendar_days_in_the_zone() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        // 23:30 UTC on the 28th is already the 29th in Berlin.
        let late = at("2026-11-28T23:30:00Z");
        assert_eq!(berlin.day_of(late).to_string(), "2026-11-29");
        assert_eq!(Zone::utc().day_of(late).to_string(), "2026-11-28");
        assert_eq!(
            berlin.next_day(late).to_rfc3339(),
            "2026-11-29T23:00:00+00:00"
        );
        assert_eq!(berlin.local_minute(late), "2026-11-29 00:30 CET");
        assert_eq!(
            berlin.local_minute(at("2026-07-01T12:00:00Z")),
            "2026-07-01 14:00 CEST"
        );
        assert_eq!(berlin.to_string(), "Europe/Berlin");
        assert_eq!(Zone::utc().to_string(), "UTC");
    }

    #[test]
    fn a_day_whose_midnight_a_clock_change_skips_starts_at_its_first_hour() {
        // Santiago moves its clocks from 00:00 to 01:00 on 2026-09-06.
        let santiago = Zone::named("America/Santiago").unwrap();
        let evening = at("2026-09-06T02:00:00Z"); // 22:00 on the 5th there
        assert_eq!(santiago.day_of(evening).to_string(), "2026-09-05");
        assert_eq!(
            santiago.local_minute(santiago.next_day(evening)),
            "2026-09-06 01:00 -03"
        );
    }

    #[test]
    fn names_are_the_databases_and_nothing_else() {
        for name in [
            "Europe/Berlni",
            "",
            "../../etc/passwd",
            "/usr/share/zoneinfo/Europe/Berlin",
            "Etc/Unknown",
            "Factory",
            "CET-1CEST,M3.5.0,M10.5.0/3",
        ] {
            assert!(Zone::named(name).is_none(), "{name}");
        }
        assert_eq!(
            Zone::named("america/new_york").unwrap().to_string(),
            "America/New_York"
        );
        assert_eq!(Zone::named("utc").unwrap(), Zone::utc());
    }

    #[test]
    fn a_leap_second_is_in_its_own_day() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        assert_eq!(Zone::utc().day_of(leap).to_string(), "2016-12-31");
        assert_eq!(berlin.day_of(leap).to_string(), "2017-01-01");
        assert_eq!(
            Zone::utc().next_day(leap).to_rfc3339(),
            "2017-01-01T00:00:00+00:00"
        );
    }
}
