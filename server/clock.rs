//! Time: one clock. Instants are stored in UTC (a `NaiveDateTime` column means UTC); every date a
//! person sees or a rule uses — "today", the JP year, due dates, certificate dates, reminders,
//! report and plan years — is decided in the person's agency time zone: WIB (`Asia/Jakarta`),
//! WITA (`Asia/Makassar`) or WIT (`Asia/Jayapura`). People without an agency, and agencies that
//! never chose, follow the platform default (the `time_zone` setting, `Asia/Jakarta`).
//!
//! The functions here are pure: they take the instant they decide about (`at`), so tests never
//! depend on the wall clock. [`Clock`] is where a handler gets "now"; tests may build the app with
//! a fixed one (`Config::clock`), production always reads the system clock.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::db::schema::{agencies, certificates, recognition_letters, users};
use crate::db::{DbConnection, DbError};

/// The three time zones of Indonesia.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Zone {
    /// Waktu Indonesia Barat, UTC+7.
    Wib,
    /// Waktu Indonesia Tengah, UTC+8.
    Wita,
    /// Waktu Indonesia Timur, UTC+9.
    Wit,
}

/// What an agency setting or `time_zone` accepts.
pub const ACCEPTED: &str = "Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)";

impl Zone {
    pub const ALL: [Zone; 3] = [Zone::Wib, Zone::Wita, Zone::Wit];

    /// The tz database name, as stored: `Asia/Jakarta`.
    pub fn name(self) -> &'static str {
        match self {
            Zone::Wib => "Asia/Jakarta",
            Zone::Wita => "Asia/Makassar",
            Zone::Wit => "Asia/Jayapura",
        }
    }

    /// The label people read beside a time: `WIB`.
    pub fn label(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }

    /// One of the three tz names (or their labels, any case); anything else is refused.
    pub fn parse(s: &str) -> Option<Zone> {
        let s = s.trim();
        Zone::ALL
            .into_iter()
            .find(|z| z.name().eq_ignore_ascii_case(s) || z.label().eq_ignore_ascii_case(s))
    }

    fn tz(self) -> Tz {
        match self {
            Zone::Wib => chrono_tz::Asia::Jakarta,
            Zone::Wita => chrono_tz::Asia::Makassar,
            Zone::Wit => chrono_tz::Asia::Jayapura,
        }
    }

    /// The wall-clock time here of a stored UTC instant.
    pub fn local(self, at: NaiveDateTime) -> NaiveDateTime {
        self.tz().from_utc_datetime(&at).naive_local()
    }

    /// The date here of a stored UTC instant.
    pub fn date_of(self, at: NaiveDateTime) -> NaiveDate {
        self.local(at).date()
    }

    /// "Today" here at the instant `at` (UTC).
    pub fn today(self, at: NaiveDateTime) -> NaiveDate {
        self.date_of(at)
    }

    /// The calendar (JP) year here of a stored UTC instant.
    pub fn year_of(self, at: NaiveDateTime) -> i32 {
        self.date_of(at).year()
    }

    /// The UTC instant at which local midnight starts `day` here.
    pub fn day_start(self, day: NaiveDate) -> NaiveDateTime {
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        // Indonesia keeps no daylight saving time: every local time exists exactly once
        self.tz()
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(midnight)
    }

    /// `[start, end)` in UTC of the local day `day`, for queries over stored instants.
    pub fn day_bounds(self, day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
        (
            self.day_start(day),
            self.day_start(day.succ_opt().unwrap_or(day)),
        )
    }

    /// `[start, end)` in UTC of the local calendar year `year`.
    pub fn year_bounds(self, year: i32) -> (NaiveDateTime, NaiveDateTime) {
        let jan1 = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default();
        (self.day_start(jan1(year)), self.day_start(jan1(year + 1)))
    }

    /// A stored instant as a local time with its label: `23:30 WIT`.
    pub fn time_label(self, at: NaiveDateTime) -> String {
        format!("{} {}", self.local(at).format("%H:%M"), self.label())
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

static PLATFORM: RwLock<Zone> = RwLock::new(Zone::Wib);

/// The zone of people without an agency and of agencies that never chose one (the `time_zone`
/// setting; set once when the app starts).
pub fn platform_default() -> Zone {
    *PLATFORM.read().unwrap_or_else(|e| e.into_inner())
}

pub fn set_platform_default(zone: Zone) {
    *PLATFORM.write().unwrap_or_else(|e| e.into_inner()) = zone;
}

/// An agency's stored choice (`NULL`: the platform default; an unknown value is read as the
/// default too, it cannot be written).
pub fn zone_of_stored(stored: Option<&str>) -> Zone {
    stored
        .and_then(Zone::parse)
        .unwrap_or_else(platform_default)
}

/// The zone of an agency; `None` (no agency) is the platform default.
pub fn zone_of_agency(conn: &mut DbConnection, agency_id: Option<i64>) -> Result<Zone, DbError> {
    let Some(id) = agency_id else {
        return Ok(platform_default());
    };
    let stored: Option<Option<String>> = agencies::table
        .find(id)
        .select(agencies::time_zone)
        .first(conn)
        .optional()?;
    Ok(zone_of_stored(stored.flatten().as_deref()))
}

/// Pin the zone of certificates and letters issued before records carried one (the migration
/// gave them their agency's zone where the agency had chosen one): the platform default as it is
/// now. From then on their dates no longer follow a settings change. Idempotent; several servers
/// may run it at once. Returns how many records were pinned.
pub fn pin_record_zones(conn: &mut DbConnection) -> Result<usize, DbError> {
    let zone = platform_default().name();
    let certs = diesel::update(certificates::table.filter(certificates::time_zone.is_null()))
        .set(certificates::time_zone.eq(zone))
        .execute(conn)?;
    let letters =
        diesel::update(recognition_letters::table.filter(recognition_letters::time_zone.is_null()))
            .set(recognition_letters::time_zone.eq(zone))
            .execute(conn)?;
    Ok(certs + letters)
}

/// The zone of a person: their agency's.
pub fn zone_of_user(conn: &mut DbConnection, user_id: i64) -> Result<Zone, DbError> {
    let agency: Option<Option<i64>> = users::table
        .find(user_id)
        .select(users::agency_id)
        .first(conn)
        .optional()?;
    zone_of_agency(conn, agency.flatten())
}

/// The zone of each of many people (absent from the map: the platform default).
pub fn zones_of_users(
    conn: &mut DbConnection,
    user_ids: &[i64],
) -> Result<HashMap<i64, Zone>, DbError> {
    let mut out = HashMap::new();
    for chunk in user_ids.chunks(500) {
        let rows: Vec<(i64, Option<String>)> = users::table
            .left_join(agencies::table.on(users::agency_id.eq(agencies::id.nullable())))
            .filter(users::id.eq_any(chunk))
            .select((users::id, agencies::time_zone.nullable()))
            .load(conn)?;
        for (id, z) in rows {
            out.insert(id, zone_of_stored(z.as_deref()));
        }
    }
    Ok(out)
}

/// Where "now" comes from. Production: the system clock. Tests may build the app with
/// [`Clock::fixed`] (through `Config::clock`, which no setting can change; only a debug build of
/// `cakap serve` reads `CAKAP_TEST_CLOCK`, for tests of whole server processes) so that a date
/// decision at 03:18 WIB or on New Year's night can be checked on any day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<NaiveDateTime>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that always reads `at` (UTC). For tests only.
    pub fn fixed(at: NaiveDateTime) -> Clock {
        Clock { fixed: Some(at) }
    }

    /// Now, in UTC.
    pub fn now(&self) -> NaiveDateTime {
        self.fixed.unwrap_or_else(|| Utc::now().naive_utc())
    }

    pub fn now_utc(&self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.now())
    }
}

/// Instants in JSON: a stored UTC `NaiveDateTime` written as RFC 3339 in UTC
/// (`2026-12-06T13:54:53.015747Z`), never naive — a client reads a time without an offset as its
/// own local time, which in WIB puts a deadline seven hours off. For `#[serde(serialize_with)]`.
pub mod rfc3339 {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::Serializer;

    /// `t` (UTC) as `…Z`.
    pub fn text(t: &NaiveDateTime) -> String {
        t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    pub fn instant<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(t))
    }

    pub fn maybe_instant<S: Serializer>(
        t: &Option<NaiveDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&text(t)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn parse_accepts_the_three_zones_only() {
        assert_eq!(Zone::parse("Asia/Jakarta"), Some(Zone::Wib));
        assert_eq!(Zone::parse(" asia/makassar "), Some(Zone::Wita));
        assert_eq!(Zone::parse("WIT"), Some(Zone::Wit));
        assert_eq!(Zone::parse("Asia/Tokyo"), None);
        assert_eq!(Zone::parse("UTC"), None);
        assert_eq!(Zone::parse("+07:00"), None);
        assert_eq!(Zone::parse(""), None);
    }

    #[test]
    fn names_and_labels() {
        let names: Vec<_> = Zone::ALL.iter().map(|z| (z.name(), z.label())).collect();
        assert_eq!(
            names,
            [
                ("Asia/Jakarta", "WIB"),
                ("Asia/Makassar", "WITA"),
                ("Asia/Jayapura", "WIT")
            ]
        );
    }

    #[test]
    fn today_at_0318_wib_is_already_the_local_day() {
        // 03:18 WIB on 7 December is 20:18 UTC on 6 December
        let at = utc("2026-12-06 20:18");
        assert_eq!(Zone::Wib.today(at), day("2026-12-07"));
        assert_eq!(Zone::Wita.today(at), day("2026-12-07"));
        assert_eq!(Zone::Wit.today(at), day("2026-12-07"));
        // 16:59 UTC is still 6 December in WIB, already 7 December in WITA and WIT
        let at = utc("2026-12-06 16:59");
        assert_eq!(Zone::Wib.today(at), day("2026-12-06"));
        assert_eq!(Zone::Wita.today(at), day("2026-12-07"));
    }

    #[test]
    fn new_year_in_each_zone() {
        // 00:30 local on 1 January 2027 is still 31 December 2026 in UTC
        for (zone, at) in [
            (Zone::Wib, "2026-12-31 17:30"),
            (Zone::Wita, "2026-12-31 16:30"),
            (Zone::Wit, "2026-12-31 15:30"),
        ] {
            let at = utc(at);
            assert_eq!(at.year(), 2026);
            assert_eq!(zone.year_of(at), 2027, "{zone}");
            assert_eq!(zone.date_of(at), day("2027-01-01"), "{zone}");
            assert_eq!(zone.time_label(at), format!("00:30 {}", zone.label()));
        }
        // one minute before local midnight it is still the old year
        assert_eq!(Zone::Wit.year_of(utc("2026-12-31 14:59")), 2026);
    }

    #[test]
    fn year_bounds_are_local_midnights_in_utc() {
        assert_eq!(
            Zone::Wib.year_bounds(2027),
            (utc("2026-12-31 17:00"), utc("2027-12-31 17:00"))
        );
        assert_eq!(
            Zone::Wita.year_bounds(2027),
            (utc("2026-12-31 16:00"), utc("2027-12-31 16:00"))
        );
        assert_eq!(
            Zone::Wit.year_bounds(2027),
            (utc("2026-12-31 15:00"), utc("2027-12-31 15:00"))
        );
    }

    #[test]
    fn day_bounds_and_a_late_evening_in_wit() {
        // 23:30 WIT on 7 December is 14:30 UTC: dated 7 December in WIT
        let at = utc("2026-12-07 14:30");
        assert_eq!(Zone::Wit.date_of(at), day("2026-12-07"));
        assert_eq!(Zone::Wit.time_label(at), "23:30 WIT");
        // 00:30 WIT on 8 December is 15:30 UTC on 7 December: dated 8 December in WIT
        assert_eq!(
            Zone::Wit.date_of(utc("2026-12-07 15:30")),
            day("2026-12-08")
        );
        assert_eq!(
            Zone::Wit.day_bounds(day("2026-12-08")),
            (utc("2026-12-07 15:00"), utc("2026-12-08 15:00"))
        );
    }

    #[test]
    fn fixed_clock_reads_its_instant() {
        let at = utc("2026-12-06 20:18");
        assert_eq!(Clock::fixed(at).now(), at);
        assert_ne!(Clock::system().now(), at);
    }
}
