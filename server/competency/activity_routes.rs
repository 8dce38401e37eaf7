//! Pages for development outside the platform: the ASN records activities (`/me/activities`), the
//! supervisor approves or rejects them (`/team/approvals`), and both (and admins) can open the
//! evidence file.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::activities::{self, Raw, ReviewError, ReviewRefused, Upload, KINDS, MAX_FILE_BYTES};
use super::budget;
use super::store;
use crate::accounts::users;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{self, CsrfForm};
use crate::web::limits::{BodyLimit, FORM_SLACK};
use crate::web::state::Ctx;
use crate::web::Lang;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/activities", web::get().to(list_page))
        .route("/me/activities", web::post().to(create))
        .route("/activities/{id}/evidence", web::get().to(evidence))
        .route("/team/approvals", web::get().to(approvals_page))
        .route("/team/approvals/{id}", web::post().to(review));
}

/// An activity as pages show it; `zone` reads its review instant (its own dates are local dates).
fn view(a: &activities::Activity, lang: Lang, zone: crate::clock::Zone) -> Value {
    let d = |t: chrono::NaiveDateTime| crate::text::date(t.date(), lang);
    json!({
        "id": a.id,
        "kind_key": format!("activities.kind.{}", a.kind),
        "title": a.title,
        "organizer": a.organizer,
        "started": d(a.started_at),
        "ended": d(a.ended_at),
        "same_day": a.started_at == a.ended_at,
        "jp": a.jp,
        "competency": a.competency_code,
        "level": a.competency_level,
        "status": a.status,
        "status_key": format!("activities.status.{}", a.status),
        "pending": a.status == "pending",
        "note": a.review_note,
        "reviewed": a.reviewed_at.map(|t| crate::text::date(zone.date_of(t), lang)),
        "file_name": a.file_name,
        "cost": a.cost.map(budget::rupiah),
        "certificate_number": a.certificate_number,
        "cost_value": a.cost.map(|c| budget::thousands(c.max(0) as u64)).unwrap_or_default(),
    })
}

/// Text fields and the evidence file of the multipart form, within limits.
async fn read_form(
    req: &HttpRequest,
    mut payload: Multipart,
) -> Result<(HashMap<String, String>, Option<Upload>), AppError> {
    let mut budget = BodyLimit::new(req, MAX_FILE_BYTES as u64 + FORM_SLACK)?;
    let mut fields = HashMap::new();
    let mut upload = None;
    while let Some(item) = payload.next().await {
        budget.field()?;
        let mut field = item.map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
        let name = field.name().unwrap_or("").to_string();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_string));
        let limit = if name == "evidence" {
            MAX_FILE_BYTES + 1
        } else {
            10_000
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
            budget.bytes(chunk.len())?;
            if bytes.len() + chunk.len() > limit {
                if name == "evidence" {
                    // Keep one byte over the limit so the size check names the problem.
                    let room = limit.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&chunk[..room.min(chunk.len())]);
                    continue;
                }
                return Err(AppError::BadRequest(format!(
                    "the field `{name}` is too long"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "evidence" {
            if file_name.as_deref().is_some_and(|n| !n.is_empty()) || !bytes.is_empty() {
                upload = Some(Upload {
                    name: file_name.unwrap_or_default(),
                    bytes,
                });
            }
        } else if !name.is_empty() {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok((fields, upload))
}

async fn page(
    ctx: &Ctx,
    user_id: i64,
    errors: Vec<(&'static str, String)>,
    values: Value,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let now = ctx.now();
    let (list, dict, jp_settings, zone) = ctx
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                activities::of_user(conn, user_id)?,
                store::dictionary(conn)?,
                super::jp_settings::of_user(conn, user_id)?,
                crate::clock::zone_of_user(conn, user_id)?,
            ))
        })
        .await?;
    // the agency's JP conversion table, shown next to the JP field
    let conversion: Vec<Value> = jp_settings
        .conversion
        .iter()
        .map(|(k, v)| json!({"key": format!("activities.kind.{k}"), "per_day": v}))
        .collect();
    let items: Vec<Value> = list.iter().map(|a| view(a, lang, zone)).collect();
    let kinds: Vec<Value> = KINDS
        .iter()
        .map(|k| json!({"code": k, "key": format!("activities.kind.{k}"), "selected": values["kind"] == *k}))
        .collect();
    let comps: Vec<Value> = dict
        .iter()
        .map(|c| json!({"code": c.code, "name": c.name, "selected": values["competency"] == c.code.as_str()}))
        .collect();
    // Every field present (strict templates): empty when fine.
    const FIELDS: [&str; 11] = [
        "kind",
        "title",
        "organizer",
        "started",
        "ended",
        "jp",
        "competency",
        "level",
        "cost",
        "certificate_number",
        "evidence",
    ];
    let errs: serde_json::Map<String, Value> = FIELDS
        .iter()
        .map(|f| {
            let m = errors.iter().find(|(x, _)| x == f).map(|(_, m)| m.clone());
            (f.to_string(), json!(m.unwrap_or_default()))
        })
        .collect();
    let mut values = values;
    for f in FIELDS {
        if values.get(f).is_none() {
            values[f] = json!("");
        }
    }
    let body = ctx.render(
        "pages/activities",
        json!({
            "items": items,
            "kinds": kinds,
            "competencies": comps,
            "errors": errs,
            "has_errors": !errors.is_empty(),
            "conversion": conversion,
            "v": values,
            "notice_key": notice,
            "max_mb": MAX_FILE_BYTES / (1024 * 1024),
            "today": zone.today(now).format("%Y-%m-%d").to_string(),
        }),
    )?;
    let status = if errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

async fn list_page(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.notice.as_str() {
        "recorded" => Some("activities.recorded"),
        _ => None,
    };
    page(&ctx, me.id, Vec::new(), json!({}), notice).await
}

async fn create(ctx: Ctx, me: CurrentUser, payload: Multipart) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let (fields, upload) = read_form(&ctx.req, payload).await?;
    let sent = fields.get("csrf").map(|s| s.trim()).unwrap_or("");
    match csrf::expected(&ctx.req) {
        Some(t) if csrf::same(&t, sent) => {}
        _ => return Err(AppError::Csrf),
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let mut raw = Raw {
        kind: get("kind"),
        title: get("title"),
        organizer: get("organizer"),
        started: get("started"),
        ended: get("ended"),
        jp: get("jp"),
        competency: get("competency"),
        level: get("level"),
    };
    let cost_text = get("cost");
    let number_text = get("certificate_number");
    let values = json!({
        "kind": raw.kind, "title": raw.title, "organizer": raw.organizer, "started": raw.started,
        "ended": raw.ended, "jp": raw.jp, "competency": raw.competency, "level": raw.level,
        "cost": cost_text, "certificate_number": number_text,
    });
    let uid = me.id;
    let (codes, jp_settings, zone) = ctx
        .db
        .run(move |conn| {
            let codes: Vec<String> = store::dictionary(conn)?
                .into_iter()
                .map(|c| c.code)
                .collect();
            Ok::<_, AppError>((
                codes,
                super::jp_settings::of_user(conn, uid)?,
                crate::clock::zone_of_user(conn, uid)?,
            ))
        })
        .await?;
    // JP left empty for a kind the agency converts by days: JP from the table, computed now and
    // stored with the activity (a later change of the table leaves it as recorded)
    if raw.jp.trim().is_empty() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        if let (Some(s), Some(e)) = (day(&raw.started), day(&raw.ended)) {
            if let Some(jp) = jp_settings.jp_for(raw.kind.trim(), s, e) {
                raw.jp = jp.to_string();
            }
        }
    }
    // "today" is the person's, in their agency's zone: at 03:18 WIB an activity that ended that
    // day has ended
    let today = zone.today(ctx.now());
    let mut errors: Vec<(&'static str, String)> = match activities::validate(&raw, &codes, today) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .into_iter()
            .map(|(f, k)| (f, ctx.views.text(lang, k)))
            .collect(),
    };
    let cost = match budget::parse_optional_amount(&cost_text) {
        Ok(c) => c,
        Err(e) => {
            errors.push(("cost", ctx.views.text(lang, e.key())));
            None
        }
    };
    let number = match activities::parse_certificate_number(&number_text) {
        Ok(n) => n,
        Err(k) => {
            errors.push(("certificate_number", ctx.views.text(lang, k)));
            None
        }
    };
    let content_type = match &upload {
        Some(u) => match activities::check_file(u) {
            Ok(t) => Some(t),
            Err(k) => {
                errors.push(("evidence", ctx.views.text(lang, k)));
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return page(&ctx, me.id, errors, values, None).await;
    }
    let new = activities::validate(&raw, &codes, today)
        .map_err(|_| AppError::Internal("validation changed its mind".into()))?;
    let user_id = me.id;
    ctx.db
        .run(move |conn| {
            let file = match (&upload, content_type) {
                (Some(u), Some(t)) => Some((u, t)),
                _ => None,
            };
            activities::create_recorded(conn, user_id, &new, cost, number.as_deref(), file)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/me/activities?notice=recorded"))
        .finish())
}

/// The evidence file, for its owner, their supervisor, an admin of their agency, or a platform
/// admin; anyone else gets "not found".
async fn evidence(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let viewer = me.0.clone();
    let file = ctx
        .db
        .run(move |conn| {
            let Some(a) = activities::find(conn, id)? else {
                return Ok::<_, AppError>(None);
            };
            let holder = users::find(conn, a.user_id)?.ok_or(AppError::NotFound)?;
            if !crate::accounts::rights::may_see_record(&viewer, &holder) {
                return Ok(None);
            }
            Ok(activities::file(conn, id)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let (name, content_type, bytes) = file;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}\"", name.replace('"', "")),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox"))
        .body(bytes))
}

async fn approvals_page(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let id = me.id;
    let zone = ctx
        .db
        .run(move |conn| crate::clock::zone_of_user(conn, id))
        .await?;
    let (pending, approved, rejected) = ctx
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                activities::of_team(conn, id, "pending", 200)?,
                activities::of_team(conn, id, "approved", 20)?,
                activities::of_team(conn, id, "rejected", 20)?,
            ))
        })
        .await?;
    let with_name = |list: &[(activities::Activity, String)]| -> Vec<Value> {
        list.iter()
            .map(|(a, n)| {
                let mut v = view(a, lang, zone);
                v["person"] = json!(n);
                v
            })
            .collect()
    };
    let notice = match q.notice.as_str() {
        "approved" => Some("activities.review.approved"),
        "approved_over_budget" => Some("activities.review.approved_over_budget"),
        "rejected" => Some("activities.review.rejected"),
        _ => None,
    };
    let decided = [with_name(&approved), with_name(&rejected)].concat();
    ctx.page(
        "pages/approvals",
        json!({
            "pending": with_name(&pending),
            "decided": decided,
            "notice_key": notice,
        }),
    )
}

#[derive(Deserialize, Default)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
    /// The cost as the supervisor confirms or corrects it; absent: left as entered.
    #[serde(default)]
    cost: Option<String>,
}

async fn review(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let id = path.into_inner();
    let approve = match form.0.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::BadRequest(
                ctx.views.text(lang, "activities.review.decision"),
            ))
        }
    };
    let note = form.0.note.clone();
    let cost = match &form.0.cost {
        None => None,
        Some(text) => Some(budget::parse_optional_amount(text).map_err(|e| {
            AppError::BadRequest(format!(
                "{} {}",
                ctx.views.text(lang, "budget.cost.invalid"),
                ctx.views.text(lang, e.key())
            ))
        })?),
    };
    let me_id = me.id;
    let outcome = ctx
        .db
        .run(move |conn| {
            let outcome = match activities::review_costed(conn, id, me_id, approve, &note, cost) {
                Ok(a) => Ok(a),
                Err(ReviewError::Refused(r)) => Err(r),
                Err(ReviewError::Db(e)) => return Err(e),
            };
            // approving a costed activity spends the agency's budget: warn (without its figures,
            // which are the admin's) when the year's budget is now exceeded; the approval stands
            let over = match &outcome {
                Ok(a) if approve && a.cost.unwrap_or(0) > 0 => {
                    let year = chrono::Datelike::year(&a.ended_at);
                    budget::shortfall_for(conn, a.user_id, year)?.is_some()
                }
                _ => false,
            };
            Ok::<_, crate::db::DbError>(outcome.map(|_| over))
        })
        .await?;
    match outcome {
        Ok(over) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!(
                    "/team/approvals?notice={}",
                    match (approve, over) {
                        (true, true) => "approved_over_budget",
                        (true, false) => "approved",
                        (false, _) => "rejected",
                    }
                ),
            ))
            .finish()),
        Err(ReviewRefused::NotFound) => Err(AppError::NotFound),
        Err(ReviewRefused::AlreadyReviewed) => Err(AppError::BadRequest(
            ctx.views.text(lang, "activities.review.already"),
        )),
        Err(ReviewRefused::NoteRequired) => Err(AppError::BadRequest(
            ctx.views.text(lang, "activities.review.note_required"),
        )),
    }
}
