//! Where a person works — agency, unit, position, direct supervisor — is set only by an
//! administrator of the agency concerned ([`place`]), because each of these facts grants rights
//! (an agency admin administers the agency's people, a supervisor approves their activities). A
//! person asks for a change with a [`request`]; the admin of the agency they ask to be placed in
//! [`decide`]s it. Every change is in the audit log.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::orgs::{self, AgencyId, PositionId, UnitId};
use super::rights::{self, Placement, PlacementRefusal};
use super::users::{self, User};
use crate::db::schema::{agencies, placement_requests, users as users_t};
use crate::db::{DbConnection, DbError};

/// Why a placement or a request is refused. Each says what to do next in the UI's words
/// (`key()` names the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Rights(PlacementRefusal),
    AgencyUnknown,
    UnitUnknown,
    PositionUnknown,
    /// The supervisor's address is no account of the agency (or is the person themselves).
    SupervisorUnknown,
    /// No such person or request within what the actor may see.
    NotFound,
    /// The request was decided already.
    Decided,
}

impl Refusal {
    /// The message key (`web/i18n/*/people.toml`).
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::Rights(PlacementRefusal::OtherAgency) => "people.placement.other_agency",
            Refusal::Rights(PlacementRefusal::Own) => "people.placement.own",
            Refusal::Rights(PlacementRefusal::Supervisor) | Refusal::SupervisorUnknown => {
                "people.placement.supervisor_unknown"
            }
            Refusal::Rights(PlacementRefusal::AdminNeedsAgency) => {
                "people.placement.admin_needs_agency"
            }
            Refusal::Rights(PlacementRefusal::NotManaged) | Refusal::NotFound => {
                "people.placement.not_found"
            }
            Refusal::AgencyUnknown => "accounts.account.agency_unknown",
            Refusal::UnitUnknown => "accounts.account.unit_unknown",
            Refusal::PositionUnknown => "accounts.account.position_unknown",
            Refusal::Decided => "people.requests.decided",
        }
    }
}

crate::domain_error!(
    /// Why a placement (or a request for one) did not happen.
    pub PlacementError,
    Refusal
);

/// Units and positions must belong to the agency they are placed in.
fn check_org(conn: &mut DbConnection, to: &Placement) -> Result<(), PlacementError> {
    match to.agency_id {
        None => {
            if to.unit_id.is_some() || to.position_id.is_some() || to.supervisor_id.is_some() {
                return Err(Refusal::AgencyUnknown.into());
            }
        }
        Some(a) => {
            if !orgs::agency_exists(conn, a)? {
                return Err(Refusal::AgencyUnknown.into());
            }
            if let Some(u) = to.unit_id {
                if !orgs::unit_in_agency(conn, AgencyId(a), UnitId(u))? {
                    return Err(Refusal::UnitUnknown.into());
                }
            }
            if let Some(p) = to.position_id {
                if !orgs::position_in_agency(conn, AgencyId(a), PositionId(p))? {
                    return Err(Refusal::PositionUnknown.into());
                }
            }
        }
    }
    Ok(())
}

/// Store `to` as `person`'s placement (checks done), audit-logged as `actor`'s act. A change of
/// agency ends the person's sessions and their agency-admin role (their rights changed).
fn apply(
    conn: &mut DbConnection,
    actor: i64,
    person: &User,
    to: &Placement,
    why: &str,
) -> Result<(), DbError> {
    crate::db::transaction(conn, |conn| {
        diesel::update(users_t::table.find(person.id))
            .set((
                users_t::agency_id.eq(to.agency_id),
                users_t::unit_id.eq(to.unit_id),
                users_t::position_id.eq(to.position_id),
                users_t::supervisor_id.eq(to.supervisor_id),
                users_t::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        if to.agency_id != person.agency_id {
            // rights do not travel: an agency admin who moves is an admin of neither agency
            // until an admin of the new one grants it
            if person.is_agency_admin {
                diesel::update(users_t::table.find(person.id))
                    .set(users_t::is_agency_admin.eq(false))
                    .execute(conn)?;
                crate::db::audit::record(
                    conn,
                    Some(actor),
                    "user.roles",
                    &format!("user:{}", person.id),
                    "agency_admin=false (moved to another agency)",
                )?;
            }
            users::bump_session(conn, person.id)?;
        }
        let fmt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
        crate::db::audit::record(
            conn,
            Some(actor),
            "user.placement",
            &format!("user:{}", person.id),
            &format!(
                "{why}: agency {} -> {}, unit {} -> {}, position {} -> {}, supervisor {} -> {}",
                fmt(person.agency_id),
                fmt(to.agency_id),
                fmt(person.unit_id),
                fmt(to.unit_id),
                fmt(person.position_id),
                fmt(to.position_id),
                fmt(person.supervisor_id),
                fmt(to.supervisor_id),
            ),
        )?;
        Ok::<_, DbError>(())
    })
}

/// `actor` (an administrator) places `person_id` at `to`.
pub fn place(
    conn: &mut DbConnection,
    actor: &User,
    person_id: i64,
    to: &Placement,
) -> Result<User, PlacementError> {
    let person = users::find(conn, person_id)?.ok_or(Refusal::NotFound)?;
    let supervisor = match to.supervisor_id {
        Some(s) => users::find(conn, s)?,
        None => None,
    };
    rights::may_place(actor, &person, to, supervisor.as_ref()).map_err(Refusal::Rights)?;
    check_org(conn, to)?;
    apply(conn, actor.id, &person, to, "set by an administrator")?;
    Ok(users::find(conn, person_id)?.ok_or(Refusal::NotFound)?)
}

/// The supervisor named by `email` for a member of `agency_id`: an enabled account of that
/// agency other than the member.
pub fn supervisor_in(
    conn: &mut DbConnection,
    email: &str,
    agency_id: i64,
    member_id: i64,
) -> Result<Option<User>, DbError> {
    Ok(users::find_by_email(conn, email)?
        .filter(|s| s.agency_id == Some(agency_id) && s.id != member_id && !s.disabled))
}

// ---------- requests ----------

/// A placement change a person asked for.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = placement_requests)]
pub struct PlacementRequest {
    pub id: i64,
    pub user_id: i64,
    pub agency_id: i64,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
    pub supervisor_email: Option<String>,
    pub note: String,
    pub status: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub created_at: NaiveDateTime,
    pub decided_by: Option<i64>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
}

/// A new request row, as [`request`] writes it (`None` is written as NULL).
#[derive(Insertable)]
#[diesel(table_name = placement_requests, treat_none_as_null = true)]
struct NewPlacementRequest<'a> {
    user_id: i64,
    agency_id: i64,
    unit_id: Option<i64>,
    position_id: Option<i64>,
    supervisor_email: Option<&'a str>,
    note: &'a str,
    status: &'a str,
    created_at: NaiveDateTime,
}

/// What a person asks for.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub agency_id: i64,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
    pub supervisor_email: Option<String>,
    pub note: String,
}

pub const PENDING: &str = "pending";

/// Ask for a placement; an earlier pending request of the same person is withdrawn (one open
/// request at a time). The supervisor's address is kept as typed and looked up only by the
/// admin who decides, so the form tells nothing about which addresses have accounts.
pub fn request(conn: &mut DbConnection, user: &User, asked: &Asked) -> Result<i64, PlacementError> {
    let to = Placement {
        agency_id: Some(asked.agency_id),
        unit_id: asked.unit_id,
        position_id: asked.position_id,
        supervisor_id: None,
    };
    check_org(conn, &to)?;
    let now = Utc::now().naive_utc();
    let id = crate::db::transaction(conn, |conn| {
        diesel::update(
            placement_requests::table
                .filter(placement_requests::user_id.eq(user.id))
                .filter(placement_requests::status.eq(PENDING)),
        )
        .set((
            placement_requests::status.eq("withdrawn"),
            placement_requests::decided_at.eq(Some(now)),
        ))
        .execute(conn)?;
        let id = diesel::insert_into(placement_requests::table)
            .values(NewPlacementRequest {
                user_id: user.id,
                agency_id: asked.agency_id,
                unit_id: asked.unit_id,
                position_id: asked.position_id,
                supervisor_email: asked.supervisor_email.as_deref(),
                note: &asked.note,
                status: PENDING,
                created_at: now,
            })
            .returning(placement_requests::id)
            .get_result::<i64>(conn)?;
        crate::db::audit::record(
            conn,
            Some(user.id),
            "placement.request",
            &format!("user:{}", user.id),
            &format!("request {id} for agency {}", asked.agency_id),
        )?;
        Ok::<_, DbError>(id)
    })?;
    Ok(id)
}

/// The person's pending request, if any.
pub fn pending_of(
    conn: &mut DbConnection,
    user_id: i64,
) -> Result<Option<PlacementRequest>, DbError> {
    Ok(placement_requests::table
        .filter(placement_requests::user_id.eq(user_id))
        .filter(placement_requests::status.eq(PENDING))
        .order(placement_requests::id.desc())
        .select(PlacementRequest::as_select())
        .first(conn)
        .optional()?)
}

/// A pending request as an administrator sees it: who asks, and for what.
#[derive(Debug, Clone)]
pub struct Pending {
    pub request: PlacementRequest,
    pub person: User,
    pub agency_name: String,
}

/// The pending requests an administrator decides: those asking for their agency (every agency
/// for a platform admin), oldest first.
pub fn pending_for(
    conn: &mut DbConnection,
    scope: rights::AdminScope,
) -> Result<Vec<Pending>, DbError> {
    let mut q = placement_requests::table
        .inner_join(agencies::table.on(agencies::id.eq(placement_requests::agency_id)))
        .filter(placement_requests::status.eq(PENDING))
        .into_boxed();
    if let Some(a) = scope.agency() {
        q = q.filter(placement_requests::agency_id.eq(a));
    }
    let rows: Vec<(PlacementRequest, String)> = q
        .order(placement_requests::id)
        .limit(500)
        .select((PlacementRequest::as_select(), agencies::name))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.user_id).collect();
    let people: std::collections::HashMap<i64, User> = users::find_many(conn, &ids)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(request, agency_name)| {
            let person = people.get(&request.user_id)?.clone();
            Some(Pending {
                request,
                person,
                agency_name,
            })
        })
        .collect())
}

/// `actor` approves or rejects request `id`. Approving places the person as asked (their
/// supervisor resolved in the agency now); the person asked, so no other rule of [`place`]
/// applies, but the decider must administer the agency asked for and is never the requester.
pub fn decide(
    conn: &mut DbConnection,
    actor: &User,
    id: i64,
    approve: bool,
    note: &str,
) -> Result<PlacementRequest, PlacementError> {
    let req: PlacementRequest = placement_requests::table
        .find(id)
        .select(PlacementRequest::as_select())
        .first(conn)
        .optional()?
        .ok_or(Refusal::NotFound)?;
    if !rights::may_decide_request(actor, req.agency_id, req.user_id) {
        return Err(Refusal::NotFound.into());
    }
    if req.status != PENDING {
        return Err(Refusal::Decided.into());
    }
    let person = users::find(conn, req.user_id)?.ok_or(Refusal::NotFound)?;
    let now = Utc::now().naive_utc();
    if approve {
        let supervisor = match req.supervisor_email.as_deref().filter(|e| !e.is_empty()) {
            Some(email) => Some(
                supervisor_in(conn, email, req.agency_id, person.id)?
                    .ok_or(Refusal::SupervisorUnknown)?,
            ),
            None => None,
        };
        let to = Placement {
            agency_id: Some(req.agency_id),
            unit_id: req.unit_id,
            position_id: req.position_id,
            supervisor_id: supervisor.as_ref().map(|s| s.id),
        };
        check_org(conn, &to)?;
        rights::supervisor_fits(person.id, &to, supervisor.as_ref()).map_err(Refusal::Rights)?;
        apply(
            conn,
            actor.id,
            &person,
            &to,
            &format!("request {id} approved"),
        )?;
    }
    let status = if approve { "approved" } else { "rejected" };
    crate::db::transaction(conn, |conn| {
        let n = diesel::update(
            placement_requests::table
                .find(id)
                .filter(placement_requests::status.eq(PENDING)),
        )
        .set((
            placement_requests::status.eq(status),
            placement_requests::decided_by.eq(Some(actor.id)),
            placement_requests::decided_at.eq(Some(now)),
            placement_requests::decision_note.eq(Some(note)),
        ))
        .execute(conn)?;
        if n == 1 && !approve {
            crate::db::audit::record(
                conn,
                Some(actor.id),
                "placement.reject",
                &format!("user:{}", person.id),
                &format!("request {id}: {note}"),
            )?;
        }
        Ok::<_, DbError>(())
    })?;
    Ok(placement_requests::table
        .find(id)
        .select(PlacementRequest::as_select())
        .first(conn)?)
}
