//! The yearly development plan of an ASN, drafted by their supervisor: a JP target and planned
//! courses and outside activities. Its fulfilment is never entered by hand: a planned course is
//! done when the person completed it that year, a planned activity when an approved activity of
//! that kind ended that year, and the JP come from the yearly tally.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::jp;
use super::kinds::KINDS;
use crate::db::schema::{
    activities, completions, course_versions, courses, development_plans, plan_items,
};
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Item {
    pub id: i64,
    pub course_id: Option<i64>,
    pub course_slug: Option<String>,
    pub activity_kind: Option<String>,
    pub title: String,
    pub planned_jp: i32,
    /// Planned cost in rupiah (a course: its fee when planned, unless the supervisor entered
    /// another figure; an activity: what the supervisor entered, else 0).
    pub planned_cost: i64,
    pub done: bool,
}

/// A planned item as stored, with its course's slug (see [`get`]).
#[derive(Queryable, Selectable)]
#[diesel(table_name = plan_items, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct ItemRow {
    id: i64,
    course_id: Option<i64>,
    #[diesel(select_expression = courses::slug.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<courses::slug>)]
    course_slug: Option<String>,
    activity_kind: Option<String>,
    title: String,
    planned_jp: i32,
    planned_cost: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Plan {
    pub id: i64,
    pub user_id: i64,
    pub year: i32,
    pub target_jp: i32,
    pub note: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub updated_at: NaiveDateTime,
    pub items: Vec<Item>,
    /// JP earned this year (completions and approved activities), planned or not.
    pub earned_jp: i64,
    pub items_done: usize,
    /// The sum of the items' planned costs.
    pub planned_cost: i64,
}

/// Which planned items are fulfilled: courses by completion; activities one-to-one by kind (each
/// approved activity fulfils at most one planned activity of its kind).
pub fn fulfil(
    items: &[(Option<i64>, Option<String>)],
    completed_courses: &[i64],
    approved_kinds: &[String],
) -> Vec<bool> {
    let mut kinds: Vec<&String> = approved_kinds.iter().collect();
    items
        .iter()
        .map(|(course, kind)| match (course, kind) {
            (Some(c), _) => completed_courses.contains(c),
            (None, Some(k)) => match kinds.iter().position(|x| *x == k) {
                Some(i) => {
                    kinds.remove(i);
                    true
                }
                None => false,
            },
            (None, None) => false,
        })
        .collect()
}

/// A person's plan for a year, with its fulfilment.
pub fn get(conn: &mut DbConnection, user_id: i64, year: i32) -> Result<Option<Plan>, DbError> {
    let head: Option<(i64, i32, String, NaiveDateTime)> = development_plans::table
        .filter(development_plans::user_id.eq(user_id))
        .filter(development_plans::year.eq(year))
        .select((
            development_plans::id,
            development_plans::target_jp,
            development_plans::note,
            development_plans::updated_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, target_jp, note, updated_at)) = head else {
        return Ok(None);
    };
    let rows: Vec<ItemRow> = plan_items::table
        .left_join(courses::table.on(courses::id.nullable().eq(plan_items::course_id)))
        .filter(plan_items::plan_id.eq(id))
        .order(plan_items::id)
        .select(ItemRow::as_select())
        .load(conn)?;
    let (from, to) = jp::year_bounds(year);
    // completions are instants: the year is the person's, in their agency's zone
    let (at_from, at_to) = jp::instant_bounds(crate::clock::zone_of_user(conn, user_id)?, year);
    let completed: Vec<i64> = completions::table
        .filter(completions::user_id.eq(user_id))
        .filter(completions::completed_at.ge(at_from))
        .filter(completions::completed_at.lt(at_to))
        .select(completions::course_id)
        .load(conn)?;
    let kinds: Vec<String> = activities::table
        .filter(activities::user_id.eq(user_id))
        .filter(activities::status.eq("approved"))
        .filter(activities::ended_at.ge(from))
        .filter(activities::ended_at.lt(to))
        .select(activities::kind)
        .load(conn)?;
    let keys: Vec<(Option<i64>, Option<String>)> = rows
        .iter()
        .map(|r| (r.course_id, r.activity_kind.clone()))
        .collect();
    let done = fulfil(&keys, &completed, &kinds);
    let items: Vec<Item> = rows
        .into_iter()
        .zip(done)
        .map(|(r, done)| Item {
            id: r.id,
            course_id: r.course_id,
            course_slug: r.course_slug,
            activity_kind: r.activity_kind,
            title: r.title,
            planned_jp: r.planned_jp,
            planned_cost: r.planned_cost,
            done,
        })
        .collect();
    let items_done = items.iter().filter(|i| i.done).count();
    let planned_cost = items
        .iter()
        .fold(0i64, |a, i| a.saturating_add(i.planned_cost));
    Ok(Some(Plan {
        planned_cost,
        id,
        user_id,
        year,
        target_jp,
        note,
        updated_at,
        items,
        earned_jp: jp::earned(conn, user_id, year)?,
        items_done,
    }))
}

/// Create or update the plan's target and note; returns its id.
pub fn save(
    conn: &mut DbConnection,
    user_id: i64,
    year: i32,
    target_jp: i32,
    note: &str,
    by: i64,
) -> Result<i64, DbError> {
    crate::db::transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let existing: Option<i64> = development_plans::table
            .filter(development_plans::user_id.eq(user_id))
            .filter(development_plans::year.eq(year))
            .select(development_plans::id)
            .first(conn)
            .optional()?;
        match existing {
            Some(id) => {
                diesel::update(development_plans::table.find(id))
                    .set((
                        development_plans::target_jp.eq(target_jp),
                        development_plans::note.eq(note),
                        development_plans::updated_by.eq(Some(by)),
                        development_plans::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                Ok(id)
            }
            None => Ok(diesel::insert_into(development_plans::table)
                .values((
                    development_plans::user_id.eq(user_id),
                    development_plans::year.eq(year),
                    development_plans::target_jp.eq(target_jp),
                    development_plans::note.eq(note),
                    development_plans::updated_by.eq(Some(by)),
                    development_plans::updated_at.eq(now),
                ))
                .returning(development_plans::id)
                .get_result(conn)?),
        }
    })
}

/// What to add to a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewItem {
    /// A published course by slug.
    Course(String),
    /// An outside activity: kind, title, JP.
    Activity(String, String, i32),
}

/// Why an item was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRefused {
    UnknownCourse,
    UnknownKind,
    BadTitle,
    BadJp,
    AlreadyPlanned,
}

crate::domain_error!(
    /// An item refused ([`ItemRefused`]) or the database failing.
    pub ItemError,
    ItemRefused
);

/// Add an item to a plan. `cost`: the planned cost the supervisor entered; none means the
/// course's fee at this moment (a course) or nothing (an activity).
pub fn add_item(
    conn: &mut DbConnection,
    plan_id: i64,
    item: &NewItem,
    cost: Option<i64>,
) -> Result<i64, ItemError> {
    let now = Utc::now().naive_utc();
    let (course_id, kind, title, jp, fee) = match item {
        NewItem::Course(slug) => {
            let found: Option<(i64, String, i32, i64)> = courses::table
                .inner_join(
                    course_versions::table
                        .on(courses::current_version_id.eq(course_versions::id.nullable())),
                )
                .filter(courses::slug.eq(slug.trim()))
                .filter(courses::archived.eq(false))
                .select((
                    courses::id,
                    course_versions::title,
                    course_versions::jp,
                    courses::fee,
                ))
                .first(conn)
                .optional()?;
            let Some((id, title, jp, fee)) = found else {
                return Err(ItemRefused::UnknownCourse.into());
            };
            let dup: i64 = plan_items::table
                .filter(plan_items::plan_id.eq(plan_id))
                .filter(plan_items::course_id.eq(Some(id)))
                .count()
                .get_result(conn)?;
            if dup > 0 {
                return Err(ItemRefused::AlreadyPlanned.into());
            }
            (Some(id), None, title, jp, fee)
        }
        NewItem::Activity(kind, title, jp) => {
            if !KINDS.contains(&kind.as_str()) {
                return Err(ItemRefused::UnknownKind.into());
            }
            let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
            if title.chars().count() < 3 || title.chars().count() > 200 {
                return Err(ItemRefused::BadTitle.into());
            }
            if !(1..=super::kinds::MAX_JP).contains(jp) {
                return Err(ItemRefused::BadJp.into());
            }
            (None, Some(kind.clone()), title, *jp, 0)
        }
    };
    let planned_cost = cost.unwrap_or(fee).max(0);
    let id = diesel::insert_into(plan_items::table)
        .values((
            plan_items::plan_id.eq(plan_id),
            plan_items::course_id.eq(course_id),
            plan_items::activity_kind.eq(kind),
            plan_items::title.eq(title),
            plan_items::planned_jp.eq(jp),
            plan_items::planned_cost.eq(planned_cost),
            plan_items::created_at.eq(now),
        ))
        .returning(plan_items::id)
        .get_result(conn)?;
    Ok(id)
}

pub fn remove_item(conn: &mut DbConnection, plan_id: i64, item_id: i64) -> Result<bool, DbError> {
    Ok(diesel::delete(
        plan_items::table
            .filter(plan_items::id.eq(item_id))
            .filter(plan_items::plan_id.eq(plan_id)),
    )
    .execute(conn)?
        == 1)
}

/// The plan as templates show it, beside the agency's JP target (what compliance is measured
/// against), so the two figures are explained rather than merely side by side.
pub fn view(p: &Plan, agency_target: i64) -> serde_json::Value {
    let pct = (p.earned_jp * 100 / i64::from(p.target_jp.max(1))).min(100);
    serde_json::json!({
        "year": p.year,
        "target_jp": p.target_jp,
        "agency_target": agency_target,
        "minimum": jp::MINIMUM,
        "below_agency": i64::from(p.target_jp) < agency_target,
        "earned_jp": p.earned_jp,
        "jp_pct": pct,
        "jp_reached": p.earned_jp >= i64::from(p.target_jp),
        "note": p.note,
        "planned_cost": super::budget::rupiah(p.planned_cost),
        "has_cost": p.planned_cost > 0,
        "items": p.items.iter().map(|i| serde_json::json!({
            "id": i.id,
            "planned_cost": super::budget::rupiah(i.planned_cost),
            "has_cost": i.planned_cost > 0,
            "title": i.title,
            "course_slug": i.course_slug,
            "kind_key": i.activity_kind.as_ref().map(|k| format!("activities.kind.{k}")),
            "planned_jp": i.planned_jp,
            "done": i.done,
        })).collect::<Vec<_>>(),
        "items_done": p.items_done,
        "items_total": p.items.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn courses_by_completion_activities_one_to_one_by_kind() {
        let items = vec![
            (Some(1), None),
            (Some(2), None),
            (None, Some("workshop".to_string())),
            (None, Some("workshop".to_string())),
            (None, Some("coaching".to_string())),
        ];
        let done = fulfil(&items, &[2, 9], &["workshop".into(), "seminar".into()]);
        assert_eq!(done, [false, true, true, false, false]);
        let done = fulfil(
            &items,
            &[1, 2],
            &["workshop".into(), "workshop".into(), "coaching".into()],
        );
        assert_eq!(done, [true, true, true, true, true]);
    }
}
