//! A published version's outline: its hash, title and modules in course order (slug, kind,
//! title, minutes, headings, quiz settings and question count).
//!
//! What a version holds is written once, when it is published or uploaded as a draft, and never
//! changed or deleted afterwards; only its status moves, and only from draft to published. So an
//! outline read once for a published version stays true for the life of the process, on every
//! server of a deployment: [`Outlines`] keeps them, and the course, module and progress reads of
//! every learner's page take the version's shape from here instead of three or four queries.
//! Drafts (an author's preview) are read afresh every time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;

use super::store::{ModuleSummary, QuizInfo};
use crate::db::schema::{course_versions, modules, questions};
use crate::db::{DbConnection, DbError};

/// How many versions are kept; past that the oldest-read half goes (a catalog of a few hundred
/// courses with a few versions each stays whole).
const KEEP: usize = 2048;

/// A version's shape.
#[derive(Debug)]
pub struct Outline {
    pub hash: String,
    pub title: String,
    pub published: bool,
    pub modules: Vec<OutlineModule>,
}

/// One module of an outline.
#[derive(Debug)]
pub struct OutlineModule {
    pub summary: ModuleSummary,
    /// The module's headings (each with its `level`); none when the stored list does not parse.
    pub headings: serde_json::Value,
    pub quiz: Option<QuizInfo>,
}

impl Outline {
    /// The module with this slug and its index.
    pub fn module(&self, slug: &str) -> Option<(usize, &OutlineModule)> {
        self.modules
            .iter()
            .enumerate()
            .find(|(_, m)| m.summary.slug == slug)
    }
}

/// The outlines this server has read (published versions only), by version id.
#[derive(Default)]
pub struct Outlines(Mutex<Kept>);

#[derive(Default)]
struct Kept {
    by_version: HashMap<i64, (u64, Arc<Outline>)>,
    reads: u64,
}

impl Outlines {
    /// The outline of version `version_id`; `None` when there is no such version.
    pub fn of(
        &self,
        conn: &mut DbConnection,
        version_id: i64,
    ) -> Result<Option<Arc<Outline>>, DbError> {
        if let Some(o) = self.kept(version_id) {
            return Ok(Some(o));
        }
        let Some(outline) = read(conn, version_id)? else {
            return Ok(None);
        };
        let outline = Arc::new(outline);
        if outline.published {
            let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
            make_room(&mut kept.by_version, KEEP);
            kept.reads += 1;
            let at = kept.reads;
            kept.by_version.insert(version_id, (at, outline.clone()));
        }
        Ok(Some(outline))
    }

    fn kept(&self, version_id: i64) -> Option<Arc<Outline>> {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.reads += 1;
        let at = kept.reads;
        kept.by_version.get_mut(&version_id).map(|(seen, o)| {
            *seen = at;
            o.clone()
        })
    }
}

/// Make room for one more when `kept` holds `keep` entries (each with when it was last read): the
/// least recently read half goes.
fn make_room<V>(kept: &mut HashMap<i64, (u64, V)>, keep: usize) {
    if kept.len() < keep {
        return;
    }
    let mut ages: Vec<u64> = kept.values().map(|(at, _)| *at).collect();
    ages.sort_unstable();
    let cut = ages[(ages.len() - 1) / 2];
    kept.retain(|_, (at, _)| *at > cut);
}

/// Read a version's outline: two queries, and one per quiz for its question count.
fn read(conn: &mut DbConnection, version_id: i64) -> Result<Option<Outline>, DbError> {
    let version: Option<(String, String, String)> = course_versions::table
        .find(version_id)
        .select((
            course_versions::hash,
            course_versions::title,
            course_versions::status,
        ))
        .first(conn)
        .optional()?;
    let Some((hash, title, status)) = version else {
        return Ok(None);
    };
    let rows: Vec<OutlineRow> = modules::table
        .filter(modules::version_id.eq(version_id))
        .order(modules::position)
        .select(OutlineRow::as_select())
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let quiz = if row.kind == "quiz" {
            Some(quiz_info(conn, &row)?)
        } else {
            None
        };
        out.push(OutlineModule {
            headings: serde_json::from_str(&row.headings)
                .unwrap_or(serde_json::Value::Array(vec![])),
            summary: ModuleSummary {
                id: row.id,
                slug: row.slug,
                title: row.title,
                kind: row.kind,
                minutes: row.minutes,
                position: row.position,
            },
            quiz,
        });
    }
    Ok(Some(Outline {
        hash,
        title,
        published: status == super::publish::Status::Published.code(),
        modules: out,
    }))
}

/// A module as its outline holds it, with its quiz settings as stored. The headings stay text:
/// ones that do not parse show as none.
#[derive(Queryable, Selectable)]
#[diesel(table_name = modules)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct OutlineRow {
    id: i64,
    slug: String,
    title: String,
    kind: String,
    minutes: Option<i32>,
    position: i32,
    headings: String,
    pass_mark: Option<i32>,
    attempts: Option<i32>,
    time_limit_minutes: Option<i32>,
    shuffle: Option<bool>,
    draw: Option<i32>,
    review: Option<String>,
}

/// A quiz module's settings (defaults filled in) and how many questions it has and asks.
fn quiz_info(conn: &mut DbConnection, row: &OutlineRow) -> Result<QuizInfo, DbError> {
    let count: i64 = questions::table
        .filter(questions::module_id.eq(row.id))
        .count()
        .get_result(conn)?;
    Ok(QuizInfo {
        pass_mark: row.pass_mark.unwrap_or(70),
        attempts: row.attempts.unwrap_or(0),
        time_limit_minutes: row.time_limit_minutes,
        shuffle: row.shuffle.unwrap_or(true),
        draw: row.draw,
        review: super::quiz::Review::from_stored(row.review.as_deref()),
        question_count: count,
        asked: row.draw.map(|d| (d as i64).min(count)).unwrap_or(count),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_keep_drops_the_least_recently_read_half() {
        let mut kept: HashMap<i64, (u64, ())> = HashMap::new();
        for id in 1..=4 {
            kept.insert(id, (id as u64, ()));
        }
        // version 1 was read last
        kept.get_mut(&1).unwrap().0 = 10;
        make_room(&mut kept, 5);
        assert_eq!(kept.len(), 4, "room left: nothing goes");
        make_room(&mut kept, 4);
        let mut left: Vec<i64> = kept.keys().copied().collect();
        left.sort_unstable();
        assert_eq!(left, vec![1, 4]);
    }
}
