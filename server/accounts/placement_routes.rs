//! Placement requests and placement through the API: administrators decide the requests for
//! their agency (`/admin/requests`); API clients place people (`PUT /api/v1/people/{id}/placement`)
//! and ask to be placed (`POST /api/v1/me/placement-requests`).

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::orgs;
use super::placement::{self, Asked, PlacementError, Refusal};
use super::rights::Placement;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::policy::AdminOf;
use crate::web::redirect;
use crate::web::state::Ctx;
use crate::web::views::page_data;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/requests", web::get().to(requests_page))
        .route("/admin/requests/{id}", web::post().to(decide))
        .route("/api/v1/people/{id}/placement", web::put().to(api_place))
        .route("/api/v1/me/placement-requests", web::post().to(api_request));
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

async fn requests_page(
    ctx: Ctx,
    me: AdminOf,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let scope = me.scope;
    let rows = ctx
        .db
        .run(move |conn| {
            let pending = placement::pending_for(conn, scope)?;
            // names of units, positions and agencies, read once per agency named
            let mut unit_names: HashMap<i64, String> = HashMap::new();
            let mut position_names: HashMap<i64, String> = HashMap::new();
            let mut agency_names: HashMap<i64, String> = HashMap::new();
            let mut read: HashSet<i64> = HashSet::new();
            for p in &pending {
                let a = p.request.agency_id;
                if read.insert(a) {
                    unit_names.extend(
                        orgs::unit_tree(&orgs::units(conn, a)?)
                            .into_iter()
                            .map(|c| (c.id, c.label)),
                    );
                    position_names.extend(
                        orgs::positions(conn, a)?
                            .into_iter()
                            .map(|c| (c.id, c.name)),
                    );
                }
            }
            if pending.iter().any(|p| p.person.agency_id.is_some()) {
                agency_names.extend(orgs::agencies(conn)?.into_iter().map(|a| (a.id, a.name)));
            }
            let mut rows = Vec::new();
            let name_of = |names: &HashMap<i64, String>, id: Option<i64>| {
                id.and_then(|i| names.get(&i)).cloned()
            };
            for p in pending {
                let r = &p.request;
                rows.push(RequestRow {
                    id: r.id,
                    name: p.person.name.clone(),
                    email: p.person.email.clone(),
                    nip: p.person.nip.clone(),
                    current_agency: name_of(&agency_names, p.person.agency_id),
                    agency: p.agency_name.clone(),
                    unit: name_of(&unit_names, r.unit_id),
                    position: name_of(&position_names, r.position_id),
                    supervisor_email: r.supervisor_email.clone(),
                    note: r.note.clone(),
                    date: crate::text::date(r.created_at.date(), lang),
                });
            }
            Ok::<_, AppError>(rows)
        })
        .await?;
    let notice = match q.notice.as_str() {
        "approved" => Some("people.requests.approved"),
        "rejected" => Some("people.requests.rejected"),
        _ => None,
    };
    ctx.html(
        StatusCode::OK,
        "pages/admin_requests",
        page_data(&RequestsPage {
            requests: rows,
            notice_key: notice,
        })?,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecideForm {
    decision: String,
    note: String,
}

/// Approve or reject a request; a rejection needs a note (the person sees why).
async fn decide(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<i64>,
    form: CsrfForm<DecideForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let f = form.0;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::BadRequest(
                "decision must be approve or reject".into(),
            ))
        }
    };
    let note = crate::text::one_line(f.note.trim());
    if !approve && note.chars().count() < 3 {
        return Err(AppError::BadRequest(
            ctx.views.text(lang, "people.requests.note_required"),
        ));
    }
    let actor = me.user.0.clone();
    let id = path.into_inner();
    let outcome = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(placement::decide(conn, &actor, id, approve, &note)))
        .await?;
    match outcome {
        Ok(_) if approve => Ok(redirect("/admin/requests?notice=approved")),
        Ok(_) => Ok(redirect("/admin/requests?notice=rejected")),
        Err(PlacementError::Refused(Refusal::NotFound)) => Err(AppError::NotFound),
        Err(PlacementError::Refused(r)) => Err(AppError::BadRequest(ctx.views.text(lang, r.key()))),
        Err(PlacementError::Db(e)) => Err(AppError::Db(e)),
    }
}

/// Where to place a person. Omitted fields are cleared (a placement is set whole).
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PlacementBody {
    /// The agency; an agency admin may name only their own (or omit it: their own).
    #[serde(default, deserialize_with = "crate::numbers::maybe_whole")]
    #[schema(minimum = 1)]
    agency_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::numbers::maybe_whole")]
    #[schema(minimum = 1)]
    unit_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::numbers::maybe_whole")]
    #[schema(minimum = 1)]
    position_id: Option<i64>,
    /// The direct supervisor's account id: another person of the same agency.
    #[serde(default, deserialize_with = "crate::numbers::maybe_whole")]
    #[schema(minimum = 1)]
    supervisor_id: Option<i64>,
}

/// A person's placement after a change.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PlacementView {
    id: i64,
    agency_id: Option<i64>,
    unit_id: Option<i64>,
    position_id: Option<i64>,
    supervisor_id: Option<i64>,
}

fn refusal_status(r: &Refusal) -> AppError {
    match r {
        Refusal::NotFound | Refusal::Rights(super::rights::PlacementRefusal::NotManaged) => {
            AppError::NotFound
        }
        Refusal::Rights(super::rights::PlacementRefusal::OtherAgency)
        | Refusal::Rights(super::rights::PlacementRefusal::Own) => AppError::Forbidden,
        Refusal::Decided => AppError::Conflict("the request was decided already".into()),
        // well-formed, but naming what is not there (or not of that agency): not found, and which
        other => AppError::NamedNotFound(match other {
            Refusal::AgencyUnknown => {
                "no such agency; use an agency id from the admin pages".into()
            }
            Refusal::UnitUnknown => "the unit does not belong to the agency".into(),
            Refusal::PositionUnknown => "the position does not belong to the agency".into(),
            Refusal::SupervisorUnknown | Refusal::Rights(_) => {
                "the supervisor must be another enabled account of the same agency".into()
            }
            Refusal::Decided => "the request was decided already".into(),
            Refusal::NotFound => "not found".into(),
        }),
    }
}

/// Place a person (an administrator of their agency, or a platform admin).
#[utoipa::path(
    put,
    path = "/api/v1/people/{id}/placement",
    tag = "accounts",
    params(("id" = i64, Path, description = "The person's account id", minimum = 1)),
    request_body = PlacementBody,
    responses(
        (status = 200, description = "Placed; the placement now", body = PlacementView),
        (status = 400, description = "A body that does not match the schema", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator, another agency named, or one's own placement", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person in the caller's agency, or the body names what is not there: an unknown agency, a unit, position or supervisor outside the agency (the detail says which)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn api_place(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<i64>,
    body: crate::web::json_body::JsonBody<PlacementBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let to = Placement {
        agency_id: b.agency_id.or(me.agency()),
        unit_id: b.unit_id,
        position_id: b.position_id,
        supervisor_id: b.supervisor_id,
    };
    let id = path.into_inner();
    let actor = me.user.0.clone();
    let scope = me.scope;
    let outcome = ctx
        .db
        .run(move |conn| {
            // someone outside what the caller administers is "not found"
            match super::users::find(conn, id)? {
                Some(p) if scope.covers(p.agency_id) || scope.agency().is_none() => {}
                _ => return Err(PlacementError::Refused(Refusal::NotFound)),
            }
            placement::place(conn, &actor, id, &to)
        })
        .await;
    match outcome {
        Ok(u) => Ok(HttpResponse::Ok().json(PlacementView {
            id: u.id,
            agency_id: u.agency_id,
            unit_id: u.unit_id,
            position_id: u.position_id,
            supervisor_id: u.supervisor_id,
        })),
        Err(e) => Err(refusal_status(&e.refusal()?)),
    }
}

/// A request to be placed in (or moved to) an agency.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct RequestBody {
    #[serde(deserialize_with = "crate::numbers::whole")]
    #[schema(minimum = 1)]
    agency_id: i64,
    #[serde(default, deserialize_with = "crate::numbers::maybe_whole")]
    #[schema(minimum = 1)]
    unit_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::numbers::maybe_whole")]
    #[schema(minimum = 1)]
    position_id: Option<i64>,
    /// The supervisor's e-mail, matched by the admin who decides.
    supervisor_email: Option<String>,
    /// A note for the admin (kept to its first 500 characters).
    note: Option<String>,
}

/// Ask the admin of an agency to place the caller there; an earlier pending request is
/// withdrawn.
#[utoipa::path(
    post,
    path = "/api/v1/me/placement-requests",
    tag = "accounts",
    request_body = RequestBody,
    responses(
        (status = 201, description = "Requested; waits for the agency admin", content_type = "application/json"),
        (status = 400, description = "A body that does not match the schema", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The body names what is not there: no such agency, or a unit or position outside it (the detail says which)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn api_request(
    ctx: Ctx,
    me: CurrentUser,
    body: crate::web::json_body::JsonBody<RequestBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let asked = Asked {
        agency_id: b.agency_id,
        unit_id: b.unit_id,
        position_id: b.position_id,
        supervisor_email: b
            .supervisor_email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty()),
        note: crate::text::one_line(b.note.as_deref().unwrap_or("").trim())
            .chars()
            .take(500)
            .collect(),
    };
    let user = me.0.clone();
    let outcome = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(placement::request(conn, &user, &asked)))
        .await?;
    match outcome {
        Ok(id) => {
            let body: Value = json!({"id": id, "status": placement::PENDING});
            Ok(HttpResponse::Created().json(body))
        }
        Err(PlacementError::Refused(r)) => Err(refusal_status(&r)),
        Err(PlacementError::Db(e)) => Err(AppError::Db(e)),
    }
}

// ---------- page contexts ----------

/// `pages/admin_requests`: the placement requests waiting for the admin.
#[derive(Serialize)]
struct RequestsPage {
    requests: Vec<RequestRow>,
    notice_key: Option<&'static str>,
}

/// A placement request: who asks, where they are now, and where they ask to be.
#[derive(Serialize)]
struct RequestRow {
    id: i64,
    name: String,
    email: String,
    nip: Option<String>,
    current_agency: Option<String>,
    agency: String,
    unit: Option<String>,
    position: Option<String>,
    supervisor_email: Option<String>,
    note: String,
    date: String,
}
