//! Pages for development outside the platform: the ASN records activities (`/me/activities`), the
//! supervisor approves or rejects them (`/team/approvals`), and both (and admins) can open the
//! evidence file.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::activities::{self, Raw, ReviewError, ReviewRefused, Upload, MAX_FILE_BYTES};
use super::budget;
use super::kinds::KINDS;
use super::store;
use crate::accounts::users;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{self, CsrfForm};
use crate::web::limits::{BodyLimit, FORM_SLACK};
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::Lang;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/activities", web::get().to(list_page))
        .route("/me/activities", web::post().to(create))
        .route("/activities/{id}/evidence", web::get().to(evidence))
        .route("/team/approvals", web::get().to(approvals_page))
        .route("/team/approvals/{id}", web::post().to(review));
}

/// An activity as pages show it; `zone` reads its review instant (its own dates are local dates).
fn view(a: &activities::Activity, lang: Lang, zone: crate::clock::Zone) -> ActivityRow {
    let d = |t: chrono::NaiveDateTime| crate::text::date(t.date(), lang);
    ActivityRow {
        id: a.id,
        kind_key: format!("activities.kind.{}", a.kind),
        title: a.title.clone(),
        organizer: a.organizer.clone(),
        started: d(a.started_at),
        ended: d(a.ended_at),
        same_day: a.started_at == a.ended_at,
        jp: a.jp,
        competency: a.competency_code.clone(),
        level: a.competency_level,
        status: a.status.clone(),
        status_key: format!("activities.status.{}", a.status),
        pending: a.status == "pending",
        note: a.review_note.clone(),
        reviewed: a
            .reviewed_at
            .map(|t| crate::text::date(zone.date_of(t), lang)),
        file_name: a.file_name.clone(),
        cost: a.cost.map(budget::rupiah),
        certificate_number: a.certificate_number.clone(),
        cost_value: a
            .cost
            .map(|c| budget::thousands(c.max(0) as u64))
            .unwrap_or_default(),
        person: None,
    }
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

/// What the form page shows besides the form: the person's activities, the competency
/// dictionary, the agency's JP conversion table, and the zone.
async fn load_page(
    ctx: &Ctx,
    user_id: i64,
) -> Result<
    (
        Vec<activities::Activity>,
        Vec<super::profile::Competency>,
        super::jp_settings::JpSettings,
        crate::clock::Zone,
        bool,
    ),
    AppError,
> {
    ctx.db
        .run(move |conn| {
            let supervised = crate::accounts::users::find(conn, user_id)?
                .is_some_and(|u| u.supervisor_id.is_some());
            Ok::<_, AppError>((
                activities::of_user(conn, user_id)?,
                store::dictionary(conn)?,
                super::jp_settings::of_user(conn, user_id)?,
                crate::clock::zone_of_user(conn, user_id)?,
                supervised,
            ))
        })
        .await
}

async fn page(
    ctx: &Ctx,
    user_id: i64,
    errors: Vec<(&'static str, String)>,
    values: FormValues,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let now = ctx.now();
    let (list, dict, jp_settings, zone, supervised) = load_page(ctx, user_id).await?;
    // with nobody to approve, say so instead of "waiting for your supervisor"
    let notice = match notice {
        Some("activities.recorded") if !supervised => Some("activities.recorded_no_supervisor"),
        other => other,
    };
    let waiting = list.iter().any(|a| a.status == "pending");
    // the agency's JP conversion table, shown next to the JP field
    let conversion = jp_settings
        .conversion
        .iter()
        .map(|(k, v)| ConversionRow {
            key: format!("activities.kind.{k}"),
            per_day: *v,
        })
        .collect();
    let kinds = KINDS
        .iter()
        .map(|k| Choice {
            code: k.to_string(),
            key: format!("activities.kind.{k}"),
            selected: values.kind == *k,
        })
        .collect();
    let competencies = dict
        .iter()
        .map(|c| CompetencyChoice {
            code: c.code.clone(),
            name: c.name.clone(),
            selected: values.competency == c.code,
        })
        .collect();
    // Every field present (strict templates): empty when fine.
    let errs = FormValues::FIELDS
        .iter()
        .map(|f| {
            let m = errors.iter().find(|(x, _)| x == f).map(|(_, m)| m.clone());
            (*f, m.unwrap_or_default())
        })
        .collect();
    let data = ActivitiesPage {
        no_supervisor: !supervised,
        waiting_without_supervisor: waiting && !supervised,
        items: list.iter().map(|a| view(a, lang, zone)).collect(),
        kinds,
        competencies,
        errors: errs,
        has_errors: !errors.is_empty(),
        conversion,
        v: values,
        notice_key: notice.map(str::to_string),
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
        today: zone.today(now).format("%Y-%m-%d").to_string(),
    };
    let body = ctx.render("pages/activities", page_data(&data)?)?;
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
    page(&ctx, me.id, Vec::new(), FormValues::default(), notice).await
}

async fn create(ctx: Ctx, me: CurrentUser, payload: Multipart) -> Result<HttpResponse, AppError> {
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
    let values = FormValues::sent(&raw, &cost_text, &number_text);
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
    fill_jp(&mut raw, &jp_settings);
    // "today" is the person's, in their agency's zone: at 03:18 WIB an activity that ended that
    // day has ended
    let today = zone.today(ctx.now());
    let checked = match check(&ctx, &raw, &codes, today, &cost_text, &number_text, &upload) {
        Ok(checked) => checked,
        Err(errors) => return page(&ctx, me.id, errors, values, None).await,
    };
    let Checked {
        new,
        cost,
        number,
        content_type,
    } = checked;
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

/// JP left empty for a kind the agency converts by days: JP from the table, computed now and
/// stored with the activity (a later change of the table leaves it as recorded).
fn fill_jp(raw: &mut Raw, jp_settings: &super::jp_settings::JpSettings) {
    if raw.jp.trim().is_empty() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        if let (Some(s), Some(e)) = (day(&raw.started), day(&raw.ended)) {
            if let Some(jp) = jp_settings.jp_for(raw.kind.trim(), s, e) {
                raw.jp = jp.to_string();
            }
        }
    }
}

/// A recorded activity's form, checked: what to store.
struct Checked {
    new: activities::NewActivity,
    cost: Option<i64>,
    number: Option<String>,
    content_type: Option<&'static str>,
}

/// Every field of the form checked, or the message for each field that is wrong.
#[allow(clippy::result_large_err)]
fn check(
    ctx: &Ctx,
    raw: &Raw,
    codes: &[String],
    today: chrono::NaiveDate,
    cost_text: &str,
    number_text: &str,
    upload: &Option<Upload>,
) -> Result<Checked, Vec<(&'static str, String)>> {
    let lang = ctx.lang;
    let (new, mut errors) = match activities::validate(raw, codes, today) {
        Ok(new) => (Some(new), Vec::new()),
        Err(e) => (
            None,
            e.into_iter()
                .map(|(f, k)| (f, ctx.views.text(lang, k)))
                .collect(),
        ),
    };
    let cost = match budget::parse_optional_amount(cost_text) {
        Ok(c) => c,
        Err(e) => {
            errors.push(("cost", ctx.views.text(lang, e.key())));
            None
        }
    };
    let number = match activities::parse_certificate_number(number_text) {
        Ok(n) => n,
        Err(k) => {
            errors.push(("certificate_number", ctx.views.text(lang, k)));
            None
        }
    };
    let content_type = match upload {
        Some(u) => match activities::check_file(u) {
            Ok(t) => Some(t),
            Err(k) => {
                errors.push(("evidence", ctx.views.text(lang, k)));
                None
            }
        },
        None => None,
    };
    match new {
        Some(new) if errors.is_empty() => Ok(Checked {
            new,
            cost,
            number,
            content_type,
        }),
        _ => Err(errors),
    }
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
    let notice = match q.notice.as_str() {
        "approved" => Some("activities.review.approved"),
        "approved_over_budget" => Some("activities.review.approved_over_budget"),
        "rejected" => Some("activities.review.rejected"),
        _ => None,
    };
    render_approvals(&ctx, me.id, notice, None).await
}

/// The approvals page; `refused` names the activity whose decision was refused (shown beside it,
/// with what the supervisor wrote kept, status 422).
async fn render_approvals(
    ctx: &Ctx,
    id: i64,
    notice: Option<&'static str>,
    refused: Option<Refused>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
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
    let with_name = |list: &[(activities::Activity, String)]| -> Vec<ActivityRow> {
        list.iter()
            .map(|(a, n)| ActivityRow {
                person: Some(n.clone()),
                ..view(a, lang, zone)
            })
            .collect()
    };
    let mut decided = with_name(&approved);
    decided.extend(with_name(&rejected));
    let status = match refused {
        Some(_) => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        None => actix_web::http::StatusCode::OK,
    };
    let pending = with_name(&pending)
        .into_iter()
        .map(|row| {
            let refused = refused.as_ref().filter(|r| r.beside && r.id == row.id);
            Pending { row, refused }
        })
        .collect();
    let page = ApprovalsPage {
        pending,
        decided,
        notice_key: notice,
        refused: refused.as_ref().filter(|r| !r.beside),
    };
    let body = ctx.render("pages/approvals", page_data(&page)?)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A decision the approvals page refused, shown beside its activity.
#[derive(Serialize)]
struct Refused {
    id: i64,
    /// False when the activity is no longer waiting (decided meanwhile): shown at the top.
    beside: bool,
    message: String,
    note: String,
    cost: Option<String>,
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
    // a refused decision is shown beside its activity, with what was written kept
    let refuse = |message: String| Refused {
        id,
        beside: true,
        message,
        note: form.0.note.clone(),
        cost: form.0.cost.clone(),
    };
    let approve = match form.0.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let r = refuse(ctx.views.text(lang, "activities.review.decision"));
            return render_approvals(&ctx, me.id, None, Some(r)).await;
        }
    };
    let note = form.0.note.clone();
    let cost = match &form.0.cost {
        None => None,
        Some(text) => match budget::parse_optional_amount(text) {
            Ok(c) => Some(c),
            Err(e) => {
                let r = refuse(format!(
                    "{} {}",
                    ctx.views.text(lang, "budget.cost.invalid"),
                    ctx.views.text(lang, e.key())
                ));
                return render_approvals(&ctx, me.id, None, Some(r)).await;
            }
        },
    };
    let me_id = me.id;
    let outcome = ctx
        .db
        .run(move |conn| {
            let a = activities::review_costed(conn, id, me_id, approve, &note, cost)?;
            // approving a costed activity spends the agency's budget: warn (without its figures,
            // which are the admin's) when the year's budget is now exceeded; the approval stands
            let over = approve && a.cost.unwrap_or(0) > 0 && {
                let year = chrono::Datelike::year(&a.ended_at);
                budget::shortfall_for(conn, a.user_id, year)?.is_some()
            };
            Ok::<_, ReviewError>(over)
        })
        .await;
    let over = match outcome {
        Ok(over) => over,
        Err(e) => {
            let (key, beside) = match e.refusal()? {
                ReviewRefused::NotFound => return Err(AppError::NotFound),
                ReviewRefused::AlreadyReviewed => ("activities.review.already", false),
                ReviewRefused::NoteRequired => ("activities.review.note_required", true),
            };
            let r = Refused {
                beside,
                ..refuse(ctx.views.text(lang, key))
            };
            return render_approvals(&ctx, me.id, None, Some(r)).await;
        }
    };
    let notice = match (approve, over) {
        (true, true) => "approved_over_budget",
        (true, false) => "approved",
        (false, _) => "rejected",
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/team/approvals?notice={notice}")))
        .finish())
}

// ---------- page contexts ----------

/// `pages/activities`: the person's activities and the form to record one.
#[derive(Serialize)]
struct ActivitiesPage {
    /// Nobody is named as this person's supervisor: nobody can approve what they record.
    no_supervisor: bool,
    /// ... while some of their activities wait for approval.
    waiting_without_supervisor: bool,
    items: Vec<ActivityRow>,
    kinds: Vec<Choice>,
    competencies: Vec<CompetencyChoice>,
    /// A message per field of [`FormValues::FIELDS`], empty when fine.
    errors: std::collections::BTreeMap<&'static str, String>,
    has_errors: bool,
    conversion: Vec<ConversionRow>,
    v: FormValues,
    notice_key: Option<String>,
    max_mb: usize,
    today: String,
}

/// What the form sent, shown again with its errors; every field present (strict templates).
#[derive(Serialize, Default)]
struct FormValues {
    kind: String,
    title: String,
    organizer: String,
    started: String,
    ended: String,
    jp: String,
    competency: String,
    level: String,
    cost: String,
    certificate_number: String,
    evidence: String,
}

impl FormValues {
    /// What the form sent (the evidence file is not sent back).
    fn sent(raw: &Raw, cost: &str, certificate_number: &str) -> FormValues {
        FormValues {
            kind: raw.kind.clone(),
            title: raw.title.clone(),
            organizer: raw.organizer.clone(),
            started: raw.started.clone(),
            ended: raw.ended.clone(),
            jp: raw.jp.clone(),
            competency: raw.competency.clone(),
            level: raw.level.clone(),
            cost: cost.to_string(),
            certificate_number: certificate_number.to_string(),
            evidence: String::new(),
        }
    }

    const FIELDS: [&'static str; 11] = [
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
}

/// An activity in a list; `person` (whose it is) only on the supervisor's approvals page.
#[derive(Serialize)]
struct ActivityRow {
    id: i64,
    kind_key: String,
    title: String,
    organizer: String,
    started: String,
    ended: String,
    same_day: bool,
    jp: i32,
    competency: Option<String>,
    level: Option<i32>,
    status: String,
    status_key: String,
    pending: bool,
    note: Option<String>,
    reviewed: Option<String>,
    file_name: Option<String>,
    cost: Option<String>,
    certificate_number: Option<String>,
    cost_value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    person: Option<String>,
}

/// A kind of activity to choose.
#[derive(Serialize)]
struct Choice {
    code: String,
    key: String,
    selected: bool,
}

/// A competency to choose.
#[derive(Serialize)]
struct CompetencyChoice {
    code: String,
    name: String,
    selected: bool,
}

/// A line of the agency's JP conversion table.
#[derive(Serialize)]
struct ConversionRow {
    key: String,
    per_day: i32,
}

/// `pages/approvals`: the team's activities to review, and those decided.
#[derive(Serialize)]
struct ApprovalsPage<'a> {
    pending: Vec<Pending<'a>>,
    decided: Vec<ActivityRow>,
    notice_key: Option<&'static str>,
    /// A refusal that is about no waiting activity (it was decided meanwhile).
    refused: Option<&'a Refused>,
}

/// An activity waiting for the supervisor, with the refusal of their last try at it.
#[derive(Serialize)]
struct Pending<'a> {
    #[serde(flatten)]
    row: ActivityRow,
    refused: Option<&'a Refused>,
}
