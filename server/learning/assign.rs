//! Assignment: a supervisor assigns a course to their staff, an agency admin to a person, a unit
//! (with its sub-units) or a position of their agency, with an optional due date.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::enroll::{self, EnrollError, Refused};
use crate::accounts::orgs::{self, AgencyId, PositionId, UnitId};
use crate::accounts::rights::{self, AdminScope};
use crate::accounts::users::{self as accounts_users, User};
use crate::db::schema::{enrollments, positions, units, users};
use crate::db::{DbConnection, DbError};

/// Who receives an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Person(i64),
    /// A unit and every unit below it.
    Unit(i64),
    Position(i64),
    /// Everyone whose supervisor is this person.
    TeamOf(i64),
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Outcome {
    /// Newly enrolled.
    pub enrolled: usize,
    /// Already enrolled: now marked as assigned, with the due date.
    pub updated: usize,
    /// Already completed the course.
    pub completed: usize,
    /// Refused (e.g. prerequisites missing), with the person's name.
    pub refused: Vec<(String, String)>,
    /// For a course with a fee: the most negative remaining budget (planned costs counted) of the
    /// agencies of the people newly enrolled, when below zero — a warning, not a refusal.
    pub budget_shortfall: Option<i64>,
}

crate::domain_error!(
    /// Assigning a course: refused (as enrolling is), or the database failed.
    pub AssignError,
    Refused
);

crate::domain_error!(
    /// Assigning as the form asks: refused (the i18n key says why), or the database failed.
    pub FormError,
    &'static str
);

/// The target a form names (`team`, `person` by e-mail, `unit` or `position` by id), checked
/// against what `asker` may assign to: their own staff, or people, units and positions of what
/// they administer (`rights::admin_scope`). Also returns the agency the people are limited to (an
/// agency administrator's unit or position). A refusal is an i18n key.
pub fn resolve_target(
    conn: &mut DbConnection,
    asker: &User,
    kind: &str,
    email: &str,
    unit_id: &str,
    position_id: &str,
) -> Result<(Target, Option<i64>), FormError> {
    let scope = rights::admin_scope(asker);
    let target = match (kind, scope) {
        ("team", _) => Target::TeamOf(asker.id),
        ("person", _) => {
            let Some(p) = accounts_users::find_by_email(conn, email)? else {
                return Err(FormError::Refused("learning.assign.person_unknown"));
            };
            let own_staff = p.supervisor_id == Some(asker.id);
            let in_agency = scope.is_some_and(|s| s.covers(p.agency_id));
            if !own_staff && !in_agency {
                return Err(FormError::Refused("learning.assign.person_not_yours"));
            }
            Target::Person(p.id)
        }
        ("unit", Some(scope)) => {
            let id: i64 = unit_id.trim().parse().unwrap_or(0);
            let yours = match scope {
                AdminScope::Agency(a) => orgs::unit_in_agency(conn, AgencyId(a), UnitId(id))?,
                AdminScope::Platform => unit_agency(conn, id)?.is_some(),
            };
            if !yours {
                return Err(FormError::Refused("learning.assign.not_yours"));
            }
            Target::Unit(id)
        }
        ("position", Some(scope)) => {
            let id: i64 = position_id.trim().parse().unwrap_or(0);
            let yours = match scope {
                AdminScope::Agency(a) => {
                    orgs::position_in_agency(conn, AgencyId(a), PositionId(id))?
                }
                AdminScope::Platform => position_agency(conn, id)?.is_some(),
            };
            if !yours {
                return Err(FormError::Refused("learning.assign.not_yours"));
            }
            Target::Position(id)
        }
        _ => return Err(FormError::Refused("learning.assign.not_yours")),
    };
    let limit = match target {
        Target::TeamOf(_) | Target::Person(_) => None,
        // an administrator's unit or position: only the people of what they administer
        _ => scope.and_then(AdminScope::agency),
    };
    Ok((target, limit))
}

/// The agency of a unit, if it exists.
fn unit_agency(conn: &mut DbConnection, id: i64) -> Result<Option<i64>, DbError> {
    Ok(units::table
        .find(id)
        .select(units::agency_id)
        .first(conn)
        .optional()?)
}

/// The agency of a position, if it exists.
fn position_agency(conn: &mut DbConnection, id: i64) -> Result<Option<i64>, DbError> {
    Ok(positions::table
        .find(id)
        .select(positions::agency_id)
        .first(conn)
        .optional()?)
}

/// The active people a target names, limited to `agency_id` when given.
pub fn people(
    conn: &mut DbConnection,
    target: &Target,
    agency_id: Option<i64>,
) -> Result<Vec<(i64, String)>, DbError> {
    let mut q = users::table
        .filter(users::disabled.eq(false))
        .select((users::id, users::name))
        .into_boxed();
    if let Some(a) = agency_id {
        q = q.filter(users::agency_id.eq(a));
    }
    q = match target {
        Target::Person(id) => q.filter(users::id.eq(*id)),
        Target::Position(id) => q.filter(users::position_id.eq(*id)),
        Target::TeamOf(id) => q.filter(users::supervisor_id.eq(*id)),
        Target::Unit(id) => {
            let all: Vec<(i64, Option<i64>)> = units::table
                .select((units::id, units::parent_id))
                .load(conn)?;
            let mut ids = vec![*id];
            let mut i = 0;
            while i < ids.len() {
                let parent = ids[i];
                for (u, p) in &all {
                    if *p == Some(parent) && !ids.contains(u) {
                        ids.push(*u);
                    }
                }
                i += 1;
            }
            q.filter(users::unit_id.eq_any(ids))
        }
    };
    Ok(q.order(users::name).load(conn)?)
}

/// Assign a course to people, in one transaction.
pub fn assign(
    conn: &mut DbConnection,
    by: i64,
    slug: &str,
    people: &[(i64, String)],
    due_at: Option<NaiveDateTime>,
) -> Result<Outcome, AssignError> {
    // a refusal commits the enrolments updated before it, as it always did
    let assigned = crate::db::transaction::<_, DbError, _>(conn, |conn| {
        let mut out = Outcome::default();
        let mut charged: Vec<i64> = Vec::new();
        for (user_id, name) in people {
            let existing = enroll::of_user(conn, *user_id, slug)?;
            match existing {
                Some(e) if e.completed_at.is_some() => out.completed += 1,
                Some(e) => {
                    diesel::update(enrollments::table.find(e.id))
                        .set((
                            enrollments::source.eq("assigned"),
                            enrollments::assigned_by.eq(Some(by)),
                            enrollments::due_at.eq(due_at),
                        ))
                        .execute(conn)?;
                    out.updated += 1;
                }
                None => match enroll::enroll(conn, *user_id, slug, "assigned", Some(by), due_at) {
                    Ok(e) => {
                        out.enrolled += 1;
                        if e.fee > 0 {
                            charged.push(*user_id);
                        }
                    }
                    Err(EnrollError::Refused(Refused::Prerequisites(missing))) => {
                        let names: Vec<String> =
                            missing.into_iter().map(|(s, t)| t.unwrap_or(s)).collect();
                        out.refused.push((name.clone(), names.join(", ")));
                    }
                    Err(EnrollError::Refused(other)) => return Ok(Err(other)),
                    Err(EnrollError::Db(e)) => return Err(e),
                },
            }
        }
        out.budget_shortfall = shortfall(conn, &charged)?;
        Ok(Ok(out))
    })?;
    Ok(assigned?)
}

/// The most negative remaining budget of the agencies of these people this year, if below zero.
fn shortfall(conn: &mut DbConnection, people: &[i64]) -> Result<Option<i64>, DbError> {
    if people.is_empty() {
        return Ok(None);
    }
    let mut agencies: Vec<i64> = users::table
        .filter(users::id.eq_any(people))
        .filter(users::agency_id.is_not_null())
        .select(users::agency_id.assume_not_null())
        .load(conn)?;
    agencies.sort_unstable();
    agencies.dedup();
    let now = chrono::Utc::now().naive_utc();
    let mut worst: Option<i64> = None;
    for a in agencies {
        // each agency's budget year, in its zone
        let year = crate::clock::zone_of_agency(conn, Some(a))?.year_of(now);
        if let Some(s) = crate::competency::budget::outlook(conn, a, year)?.shortfall() {
            worst = Some(worst.map_or(s, |w: i64| w.min(s)));
        }
    }
    Ok(worst)
}

/// Why a form's due date is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadDue {
    /// Not a date (`YYYY-MM-DD`).
    Unreadable,
    /// Before `today` in the asker's zone.
    Past { today: NaiveDate },
}

/// The due moment of a form's date (`YYYY-MM-DD`), a day in the asker's agency `zone`: not before
/// today there, due at that day's end. None when no date is given.
pub fn due_at(
    typed: &str,
    zone: crate::clock::Zone,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, BadDue> {
    let today = zone.today(now);
    match typed.trim() {
        "" => Ok(None),
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) if date >= today => {
                Ok(Some(zone.day_bounds(date).1 - chrono::Duration::seconds(1)))
            }
            Ok(_) => Err(BadDue::Past { today }),
            Err(_) => Err(BadDue::Unreadable),
        },
    }
}

/// What the assign form asks: the course, whom (`team`, `person` by e-mail, `unit` or
/// `position` by id), and by when.
pub struct FormRequest<'a> {
    pub course: &'a str,
    pub target: &'a str,
    pub email: &'a str,
    pub unit_id: &'a str,
    pub position_id: &'a str,
    pub due_at: Option<NaiveDateTime>,
}

/// Assign as the form asks: resolve whom it names (checked against what `asker` may assign to,
/// see [`resolve_target`]) and [`assign`] the course to them. A refusal is an i18n key.
pub fn assign_from_form(
    conn: &mut DbConnection,
    asker: &User,
    r: &FormRequest,
) -> Result<Outcome, FormError> {
    let (target, limit) = resolve_target(conn, asker, r.target, r.email, r.unit_id, r.position_id)?;
    let people = people(conn, &target, limit)?;
    if people.is_empty() {
        return Err(FormError::Refused("learning.assign.nobody"));
    }
    match assign(conn, asker.id, r.course, &people, r.due_at) {
        Ok(outcome) => Ok(outcome),
        Err(AssignError::Db(e)) => Err(e.into()),
        Err(AssignError::Refused(refused)) => Err(FormError::Refused(match refused {
            Refused::NotFound => "learning.assign.course_unknown",
            Refused::Archived => "learning.enroll.archived",
            Refused::Prerequisites(_) => "learning.assign.course_unknown",
        })),
    }
}
