//! An agency's JPM thresholds and JP conversion table (settings with the usual defaults).
//!
//! - **JPM thresholds** (percent): a job-person match at or above `jpm_optimal` (default 80) is
//!   "memenuhi" (optimal), at or above `jpm_meets` (default 68) "masih memenuhi", below "kurang".
//!   Both 0–100, the upper above the lower. The band is computed when a profile is shown, never
//!   stored, so a change applies to every profile at once; the levels it reads (assessed levels,
//!   evidence) are records and are not touched.
//! - **JP conversion table**: JP per day for kinds of outside activity not measured in hours
//!   (default: seminar 4, workshop 5). When a learner records such an activity and leaves JP empty,
//!   JP = days (start to end, both counted) × the kind's JP per day, at most `kinds::MAX_JP`.
//!   The JP is computed once, when the activity is recorded, and stored with it: a later change of
//!   the table does not rewrite the JP of activities already recorded (as completions keep the JP
//!   of the version completed).
//!
//! Stored in `agency_jp_settings` (one row per agency; no row: the defaults).

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::kinds::{KINDS, MAX_JP};
use crate::db::json_text::JsonText;
use crate::db::schema::agency_jp_settings;
use crate::db::{audit, DbConnection, DbError};

pub const DEFAULT_OPTIMAL: i32 = 80;
pub const DEFAULT_MEETS: i32 = 68;
/// JP per day by activity kind, unless the agency sets its own table.
pub const DEFAULT_CONVERSION: [(&str, i32); 2] = [("seminar", 4), ("workshop", 5)];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JpSettings {
    /// Percent: at or above, the match is optimal (memenuhi).
    pub jpm_optimal: i32,
    /// Percent: at or above (and below optimal), the match still meets (masih memenuhi).
    pub jpm_meets: i32,
    /// Activity kind → JP per day.
    pub conversion: BTreeMap<String, i32>,
}

impl Default for JpSettings {
    fn default() -> Self {
        JpSettings {
            jpm_optimal: DEFAULT_OPTIMAL,
            jpm_meets: DEFAULT_MEETS,
            conversion: DEFAULT_CONVERSION
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
        }
    }
}

impl JpSettings {
    /// The JP of an activity of `kind` from `started` to `ended` (both days counted) by the
    /// conversion table; none when the kind has no row or the dates are backwards.
    pub fn jp_for(&self, kind: &str, started: NaiveDate, ended: NaiveDate) -> Option<i32> {
        let per_day = *self.conversion.get(kind)?;
        let days = (ended - started).num_days() + 1;
        if days < 1 {
            return None;
        }
        let jp = i64::from(per_day).saturating_mul(days);
        Some(jp.min(i64::from(MAX_JP)) as i32)
    }
}

/// A field of the settings form and the message key saying what is wrong with it.
pub type FieldError = (String, &'static str);

/// Read the form: thresholds as typed, and one JP-per-day entry per kind (empty: no row).
pub fn parse(
    optimal: &str,
    meets: &str,
    per_day: &[(String, String)],
) -> Result<JpSettings, Vec<FieldError>> {
    let mut errors = Vec::new();
    let pct = |s: &str| {
        s.trim()
            .parse::<i32>()
            .ok()
            .filter(|v| (0..=100).contains(v))
    };
    let o = pct(optimal);
    let m = pct(meets);
    if o.is_none() {
        errors.push(("jpm_optimal".to_string(), "jpsettings.error.percent"));
    }
    if m.is_none() {
        errors.push(("jpm_meets".to_string(), "jpsettings.error.percent"));
    }
    if let (Some(o), Some(m)) = (o, m) {
        if o <= m {
            errors.push(("jpm_optimal".to_string(), "jpsettings.error.order"));
        }
    }
    let mut conversion = BTreeMap::new();
    for (kind, text) in per_day {
        if !KINDS.contains(&kind.as_str()) {
            errors.push((format!("jpd_{kind}"), "jpsettings.error.kind"));
            continue;
        }
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        match t.parse::<i32>().ok().filter(|v| (1..=MAX_JP).contains(v)) {
            Some(v) => {
                conversion.insert(kind.clone(), v);
            }
            None => errors.push((format!("jpd_{kind}"), "jpsettings.error.per_day")),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(JpSettings {
        jpm_optimal: o.unwrap_or(DEFAULT_OPTIMAL),
        jpm_meets: m.unwrap_or(DEFAULT_MEETS),
        conversion,
    })
}

/// An agency's row of `agency_jp_settings`.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = agency_jp_settings, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Row {
    agency_id: i64,
    jpm_optimal: i32,
    jpm_meets: i32,
    conversion: JsonText<BTreeMap<String, i32>>,
}

impl From<Row> for JpSettings {
    fn from(r: Row) -> JpSettings {
        JpSettings {
            jpm_optimal: r.jpm_optimal,
            jpm_meets: r.jpm_meets,
            conversion: r.conversion.into_inner(),
        }
    }
}

/// The agency's settings (the defaults when it has none).
pub fn load(conn: &mut DbConnection, agency_id: i64) -> Result<JpSettings, DbError> {
    let row: Option<Row> = agency_jp_settings::table
        .find(agency_id)
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(JpSettings::from).unwrap_or_default())
}

/// The settings of several agencies (absent: defaults).
pub fn load_many(
    conn: &mut DbConnection,
    agency_ids: &[i64],
) -> Result<std::collections::HashMap<i64, JpSettings>, DbError> {
    let rows: Vec<Row> = agency_jp_settings::table
        .filter(agency_jp_settings::agency_id.eq_any(agency_ids))
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.agency_id, JpSettings::from(r)))
        .collect())
}

/// The settings of the agency of a person (defaults without agency).
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<JpSettings, DbError> {
    use crate::db::schema::users;
    let agency: Option<i64> = users::table
        .find(user_id)
        .select(users::agency_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    match agency {
        Some(a) => load(conn, a),
        None => Ok(JpSettings::default()),
    }
}

/// Store an agency's settings, with an audit entry, in one transaction.
pub fn save(
    conn: &mut DbConnection,
    agency_id: i64,
    s: &JpSettings,
    by: i64,
) -> Result<(), DbError> {
    let conversion = serde_json::to_string(&s.conversion)
        .map_err(|e| DbError::Internal(format!("conversion table: {e}")))?;
    crate::db::transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let changed = diesel::update(agency_jp_settings::table.find(agency_id))
            .set((
                agency_jp_settings::jpm_optimal.eq(s.jpm_optimal),
                agency_jp_settings::jpm_meets.eq(s.jpm_meets),
                agency_jp_settings::conversion.eq(&conversion),
                agency_jp_settings::updated_by.eq(Some(by)),
                agency_jp_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(agency_jp_settings::table)
                .values((
                    agency_jp_settings::agency_id.eq(agency_id),
                    agency_jp_settings::jpm_optimal.eq(s.jpm_optimal),
                    agency_jp_settings::jpm_meets.eq(s.jpm_meets),
                    agency_jp_settings::conversion.eq(&conversion),
                    agency_jp_settings::updated_by.eq(Some(by)),
                    agency_jp_settings::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            Some(by),
            "agency.jp_settings",
            &format!("agency:{agency_id}"),
            &format!(
                "jpm_optimal={} jpm_meets={} conversion={conversion}",
                s.jpm_optimal, s.jpm_meets
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn defaults_are_80_68_and_seminar_4_workshop_5() {
        let s = JpSettings::default();
        assert_eq!((s.jpm_optimal, s.jpm_meets), (80, 68));
        assert_eq!(s.jp_for("seminar", d(3, 2), d(3, 2)), Some(4));
        assert_eq!(s.jp_for("workshop", d(3, 2), d(3, 4)), Some(15));
        assert_eq!(s.jp_for("bimtek", d(3, 2), d(3, 4)), None);
        assert_eq!(s.jp_for("seminar", d(3, 4), d(3, 2)), None);
        assert_eq!(s.jp_for("seminar", d(1, 1), d(12, 31)), Some(MAX_JP));
    }

    #[test]
    fn the_form_is_checked() {
        let rows = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let ok = parse("85", "70", &rows(&[("seminar", "6"), ("workshop", "")])).unwrap();
        assert_eq!((ok.jpm_optimal, ok.jpm_meets), (85, 70));
        assert_eq!(ok.conversion.len(), 1);
        let keys = |r: Result<JpSettings, Vec<FieldError>>| -> Vec<(String, &'static str)> {
            r.unwrap_err()
        };
        assert_eq!(
            keys(parse("101", "x", &[])),
            [
                ("jpm_optimal".to_string(), "jpsettings.error.percent"),
                ("jpm_meets".to_string(), "jpsettings.error.percent")
            ]
        );
        assert_eq!(
            keys(parse("68", "68", &[])),
            [("jpm_optimal".to_string(), "jpsettings.error.order")]
        );
        assert_eq!(
            keys(parse("80", "68", &rows(&[("seminar", "0"), ("x", "1")]))),
            [
                ("jpd_seminar".to_string(), "jpsettings.error.per_day"),
                ("jpd_x".to_string(), "jpsettings.error.kind")
            ]
        );
        assert!(parse("80", "68", &rows(&[("seminar", "-2")])).is_err());
    }
}
