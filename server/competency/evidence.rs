//! Learning evidence: each completion (and each approved outside activity) records, per competency
//! it names, the level it targets. Written in the same transaction as its source.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{competency_evidence, course_versions};
use crate::db::{DbConnection, DbError};
use crate::events::Completion;

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    pub code: String,
    pub level: i32,
    /// `course` or `activity`.
    pub source_kind: String,
    pub source_id: i64,
    pub title: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub earned_at: NaiveDateTime,
}

/// Record the evidence of a completion (idempotent).
pub fn record_completion(conn: &mut DbConnection, c: &Completion) -> Result<usize, DbError> {
    if c.competencies.is_empty() {
        return Ok(0);
    }
    let title: String = course_versions::table
        .find(c.version_id)
        .select(course_versions::title)
        .first(conn)?;
    let mut n = 0;
    for (code, level) in &c.competencies {
        let exists: i64 = competency_evidence::table
            .filter(competency_evidence::source_kind.eq("course"))
            .filter(competency_evidence::source_id.eq(c.id))
            .filter(competency_evidence::code.eq(code))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            continue;
        }
        n += diesel::insert_into(competency_evidence::table)
            .values((
                competency_evidence::user_id.eq(c.user_id),
                competency_evidence::code.eq(code),
                competency_evidence::level.eq(level),
                competency_evidence::source_kind.eq("course"),
                competency_evidence::source_id.eq(c.id),
                competency_evidence::title.eq(&title),
                competency_evidence::earned_at.eq(c.completed_at),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

/// The evidence of each of `ids` (in [`of_user`]'s order), in one query per 500 people.
pub fn of_users(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Evidence>>, DbError> {
    let mut out: std::collections::HashMap<i64, Vec<Evidence>> = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, i32, String, i64, String, NaiveDateTime)> =
            competency_evidence::table
                .filter(competency_evidence::user_id.eq_any(chunk))
                .order((
                    competency_evidence::user_id,
                    competency_evidence::earned_at.desc(),
                    competency_evidence::id.desc(),
                ))
                .select((
                    competency_evidence::user_id,
                    competency_evidence::code,
                    competency_evidence::level,
                    competency_evidence::source_kind,
                    competency_evidence::source_id,
                    competency_evidence::title,
                    competency_evidence::earned_at,
                ))
                .load(conn)?;
        for (user, code, level, source_kind, source_id, title, earned_at) in rows {
            out.entry(user).or_default().push(Evidence {
                code,
                level,
                source_kind,
                source_id,
                title,
                earned_at,
            });
        }
    }
    Ok(out)
}

/// A person's evidence, newest first.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Evidence>, DbError> {
    let rows: Vec<(String, i32, String, i64, String, NaiveDateTime)> = competency_evidence::table
        .filter(competency_evidence::user_id.eq(user_id))
        .order((
            competency_evidence::earned_at.desc(),
            competency_evidence::id.desc(),
        ))
        .select((
            competency_evidence::code,
            competency_evidence::level,
            competency_evidence::source_kind,
            competency_evidence::source_id,
            competency_evidence::title,
            competency_evidence::earned_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(code, level, source_kind, source_id, title, earned_at)| Evidence {
                code,
                level,
                source_kind,
                source_id,
                title,
                earned_at,
            },
        )
        .collect())
}
