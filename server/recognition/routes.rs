//! Recognition pages: a person's milestones and letters (`/me/recognition`), the colleagues'
//! standing (`/me/standing`), a letter's printable sheet (`/me/letters/{code}`), and for agency
//! admins the full standing with letter issuing and the incentive export
//! (`/admin/agencies/{id}/recognition`).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::standing::{self, Ranked};
use super::view::day;
use crate::certificates::letters::{self, Letter};
use crate::certificates::qr;
use crate::certificates::view::letter_json;
use crate::competency::milestones::{self, Milestone};
use crate::competency::store::competency_names;
use crate::competency::view::milestone_label;
use crate::db::Db;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::policy::{AdminOf, AgencyAdmin};
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::year::{agency_years, YearQuery, Years};
use crate::web::Lang;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/recognition", web::get().to(mine))
        .route("/me/recognition/visibility", web::post().to(visibility))
        .route("/me/standing", web::get().to(colleagues))
        .route("/me/letters/{code}", web::get().to(letter_page))
        .route("/me/letters/{code}/letter.jwt", web::get().to(letter_jwt))
        .route(
            "/me/letters/{code}/badge.jwt",
            web::get().to(letter_badge_jwt),
        )
        .route(
            "/me/letters/{code}/badge.json",
            web::get().to(letter_badge_json),
        )
        .route(
            "/admin/agencies/{id}/recognition",
            web::get().to(admin_page),
        )
        .route(
            "/admin/agencies/{id}/recognition/letters",
            web::post().to(issue),
        )
        .route(
            "/admin/agencies/{id}/recognition/letters/{code}/revoke",
            web::post().to(revoke),
        )
        .route(
            "/admin/agencies/{id}/recognition.csv",
            web::get().to(export_csv),
        );
}

// ---------- the person's own pages ----------

async fn mine(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let uid = me.id;
    let (ms, ls, names, (visible, zone)) = ctx
        .db
        .run(move |conn| {
            let visible = standing::shown(conn, uid)?;
            let zone = crate::clock::zone_of_user(conn, uid)?;
            Ok::<_, AppError>((
                milestones::of_user(conn, uid)?,
                letters::of_user(conn, uid)?,
                competency_names(conn)?,
                (visible, zone),
            ))
        })
        .await?;
    let milestones = ms
        .iter()
        .map(|m| MilestoneRow {
            label: milestone_label(ctx.views.i18n(), lang, &names, m),
            date: day(zone.local(m.earned_at), lang),
            kind: m.kind.clone(),
        })
        .collect();
    let page = RecognitionPage {
        milestones,
        letters: ls
            .iter()
            .map(|l| letter_json(l, &ctx.issuer, lang))
            .collect(),
        visible,
        has_agency: me.agency_id.is_some(),
        notice_key: (q.notice == "saved").then_some("recognition.visibility.saved"),
    };
    ctx.page("pages/recognition", page_data(&page)?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VisibilityForm {
    show: String,
}

async fn visibility(
    ctx: Ctx,
    me: CurrentUser,
    form: CsrfForm<VisibilityForm>,
) -> Result<HttpResponse, AppError> {
    let show = matches!(form.0.show.as_str(), "1" | "on" | "true");
    let uid = me.id;
    ctx.db
        .run(move |conn| Ok::<_, AppError>(standing::set_shown(conn, uid, show)?))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/me/recognition?notice=saved"))
        .finish())
}

fn ranked_rows(list: &[Ranked], me: Option<i64>, full: bool) -> Vec<RankedRow> {
    list.iter()
        .map(|r| RankedRow {
            rank: r.rank,
            user_id: r.row.user_id,
            name: r.row.name.clone(),
            nip: if full { r.row.nip.clone() } else { None },
            unit: r.row.unit.clone(),
            position: r.row.position.clone(),
            jp: r.row.jp,
            completions: r.row.completions,
            levels_gained: r.row.levels_gained,
            visible: r.row.visible,
            me: Some(r.row.user_id) == me,
        })
        .collect()
}

/// `/me/standing`: the agency's and the person's unit's standing among those who allow it.
async fn colleagues(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(agency_id) = me.agency_id else {
        let year = crate::clock::platform_default().year_of(ctx.now());
        return ctx.page("pages/standing", json!({ "no_agency": true, "year": year }));
    };
    // the year of the agency's zone
    let years = agency_years(&ctx.db, &ctx.req, agency_id, &q.year).await?;
    let (year, current) = (years.shown, years.current);
    let uid = me.id;
    let (rows, agency) = ctx
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                standing::rows(conn, agency_id, year)?,
                crate::accounts::orgs::agency(conn, agency_id)?,
            ))
        })
        .await?;
    let visible_me = rows.iter().any(|r| r.user_id == uid && r.visible);
    let unit = rows
        .iter()
        .find(|r| r.user_id == uid)
        .and_then(|r| r.unit_id);
    let all = standing::for_colleagues(&rows);
    let in_unit = match unit {
        Some(u) => standing::for_colleagues(
            &rows
                .iter()
                .filter(|r| r.unit_id == Some(u))
                .cloned()
                .collect::<Vec<_>>(),
        ),
        None => Vec::new(),
    };
    let page = StandingPage {
        year,
        prev: year - 1,
        next: (year < current).then_some(year + 1),
        agency: agency.map(|a| a.name),
        unit: rows
            .iter()
            .find(|r| r.user_id == uid)
            .and_then(|r| r.unit.clone()),
        agency_rows: ranked_rows(&all, Some(uid), false),
        unit_rows: ranked_rows(&in_unit, Some(uid), false),
        visible_me,
    };
    ctx.page("pages/standing", page_data(&page)?)
}

/// A letter by code for its holder, or an administrator who sees the holder; anyone else is
/// answered as if it did not exist (the public page is `/v/{code}`).
async fn held(
    db: &Db,
    me: &CurrentUser,
    admin: Option<AdminOf>,
    raw: String,
) -> Result<Letter, AppError> {
    let Some(code) = crate::certificates::code::normalize(&raw) else {
        return Err(AppError::NotFound);
    };
    let me_id = me.id;
    db.run(move |conn| {
        let Some(letter) = letters::by_code(conn, &code)? else {
            return Err(AppError::NotFound);
        };
        if letter.user_id == me_id {
            return Ok(letter);
        }
        let Some(admin) = admin else {
            return Err(AppError::NotFound);
        };
        match crate::accounts::users::find(conn, letter.user_id)? {
            Some(holder) if admin.sees(&holder) => Ok(letter),
            _ => Err(AppError::NotFound),
        }
    })
    .await
}

fn download(content_type: &str, name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body)
}

/// The signed letter as issued (EdDSA JWT, verifiable with `/.well-known/jwks.json`).
async fn letter_jwt(
    ctx: Ctx,
    me: CurrentUser,
    admin: Option<AdminOf>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let l = held(&ctx.db, &me, admin, path.into_inner()).await?;
    let name = format!("{}.jwt", letters::file_stem(&l));
    Ok(download("application/jwt", &name, l.jwt.into_bytes()))
}

/// The letter as an Open Badges 3.0 credential signed as a VC-JWT.
async fn letter_badge_jwt(
    ctx: Ctx,
    me: CurrentUser,
    admin: Option<AdminOf>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let l = held(&ctx.db, &me, admin, path.into_inner()).await?;
    let jwt = letters::sign_badge(&l, &ctx.issuer.base_url, &ctx.issuer.signer)
        .map_err(AppError::Internal)?;
    let name = format!("{}-openbadge.jwt", letters::file_stem(&l));
    Ok(download("application/jwt", &name, jwt.into_bytes()))
}

/// The letter as an Open Badges 3.0 credential (unsigned JSON).
async fn letter_badge_json(
    ctx: Ctx,
    me: CurrentUser,
    admin: Option<AdminOf>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let l = held(&ctx.db, &me, admin, path.into_inner()).await?;
    let body = serde_json::to_vec_pretty(&letters::badge(&l, &ctx.issuer.base_url))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("{}-openbadge.json", letters::file_stem(&l));
    Ok(download("application/json", &name, body))
}

/// The holder's printable letter (also for an administrator who sees the holder).
async fn letter_page(
    ctx: Ctx,
    me: CurrentUser,
    admin: Option<AdminOf>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let letter = held(&ctx.db, &me, admin, path.into_inner()).await?;
    let mut v = letter_json(&letter, &ctx.issuer, lang);
    v["qr"] = json!(qr::svg(&letter.verify_url(&ctx.issuer.base_url)));
    ctx.page(
        "pages/letter",
        json!({ "l": v, "page_title": letter.number, "print": true }),
    )
}

// ---------- agency admin ----------

async fn admin_page(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<AdminQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let years = agency_years(&ctx.db, &ctx.req, agency.id, &q.year).await?;
    let notice = match q.done.as_str() {
        "issued" => Some("recognition.letter.issued"),
        "revoked" => Some("recognition.letter.revoke.done"),
        _ => None,
    };
    admin_view(&ctx, &agency, years, None, notice, &q).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AdminQuery {
    year: String,
    done: String,
    /// Show one unit's standing.
    unit: Option<i64>,
    /// The page of the agency's standing (50 people a page).
    page: String,
}

type YearFigures = (
    Vec<standing::Row>,
    i64,
    Vec<Letter>,
    HashMap<String, String>,
    HashMap<i64, Vec<Milestone>>,
);

/// Everything the admin page and the export show for an agency's year.
async fn year_figures(db: &Db, id: i64, year: i32) -> Result<YearFigures, AppError> {
    db.run(move |conn| {
        let rows = standing::rows(conn, id, year)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
        Ok::<_, AppError>((
            rows,
            crate::competency::jp::target(conn, Some(id))?,
            letters::of_agency(conn, id, year)?,
            competency_names(conn)?,
            milestones::in_year(conn, &ids, year)?,
        ))
    })
    .await
}

/// The agency's standing for the page shown, with what the letter form needs per person.
fn people_rows(
    ctx: &Ctx,
    ranked: &[Ranked],
    figures: &YearFigures,
    chosen: &[i64],
) -> Vec<PersonRow> {
    let (_, target, issued, names, earned) = figures;
    ranked_rows(ranked, None, true)
        .into_iter()
        .map(|row| {
            let uid = row.user_id;
            PersonRow {
                chosen: chosen.contains(&uid),
                reached: row.jp >= *target,
                letters: issued
                    .iter()
                    .filter(|l| l.user_id == uid && l.revoked_at.is_none())
                    .map(|l| l.number.clone())
                    .collect(),
                milestone_count: earned.get(&uid).map_or(0, Vec::len),
                milestones: earned
                    .get(&uid)
                    .map(|ms| {
                        ms.iter()
                            .map(|m| milestone_label(ctx.views.i18n(), ctx.lang, names, m))
                            .collect()
                    })
                    .unwrap_or_default(),
                row,
            }
        })
        .collect()
}

/// The letter form: as sent back with an error, else a default title and the signatory of the
/// agency's latest letter, so it need not be typed again.
async fn letter_form(
    ctx: &Ctx,
    agency_id: i64,
    year: i32,
    sent: Option<&letters::Request>,
) -> Result<LetterForm, AppError> {
    let last = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(letters::latest_signatory(conn, agency_id)?))
        .await?;
    let form = sent.cloned().unwrap_or_else(|| {
        let (signatory_name, signatory_title) = last.unwrap_or_default();
        letters::Request {
            title: ctx
                .views
                .i18n()
                .format(
                    ctx.lang,
                    "recognition.letter.default_title",
                    &[("year", year.to_string())],
                )
                .unwrap_or_default(),
            signatory_name,
            signatory_title,
            ..Default::default()
        }
    });
    Ok(LetterForm {
        title: form.title,
        reason: form.reason,
        signatory_name: form.signatory_name,
        signatory_title: form.signatory_title,
    })
}

/// The units' lines of the standing, JP per person in the language's decimals.
fn unit_lines(units: &[standing::UnitSummary], lang: Lang) -> Vec<UnitRow> {
    units
        .iter()
        .map(|u| UnitRow {
            unit_id: u.unit_id,
            unit: u.unit.clone(),
            people: u.people,
            jp: u.jp,
            completions: u.completions,
            levels_gained: u.levels_gained,
            reached: u.reached,
            jp_per_person: crate::text::decimal(u.jp_per_person, 1, lang),
        })
        .collect()
}

async fn admin_view(
    ctx: &Ctx,
    agency: &crate::accounts::orgs::Agency,
    years: Years,
    error: Option<(String, letters::Request)>,
    notice: Option<&'static str>,
    shown: &AdminQuery,
) -> Result<HttpResponse, AppError> {
    let year = years.shown;
    let unit = shown.unit;
    let lang = ctx.lang;
    let failed = error.is_some();
    let figures = year_figures(&ctx.db, agency.id, year).await?;
    let (rows, target, issued, _, _) = &figures;
    let units = standing::units(rows, *target);
    let ranked = standing::rank(rows.clone());
    let paged = standing::Page::of(ranked.len(), &shown.page);
    let chosen: Vec<i64> = error
        .as_ref()
        .map(|e| e.1.people.clone())
        .unwrap_or_default();
    let people = people_rows(ctx, &ranked[paged.range()], &figures, &chosen);
    let unit_rows = unit.map(|u| {
        ranked_rows(
            &standing::rank(
                rows.iter()
                    .filter(|r| r.unit_id == Some(u))
                    .cloned()
                    .collect(),
            ),
            None,
            true,
        )
    });
    let form = letter_form(ctx, agency.id, year, error.as_ref().map(|e| &e.1)).await?;
    let page = AdminRecognitionPage {
        agency,
        year,
        prev: year - 1,
        next: (year < years.current).then_some(year + 1),
        target: *target,
        people,
        paging: paged.links(
            &match unit {
                Some(u) => format!("?year={year}&unit={u}"),
                None => format!("?year={year}"),
            },
            "#standing",
        ),
        units: unit_lines(&units, lang),
        unit_rows,
        unit_name: unit.and_then(|u| {
            units
                .iter()
                .find(|x| x.unit_id == Some(u))
                .and_then(|x| x.unit.clone())
        }),
        letters: issued
            .iter()
            .map(|l| letter_json(l, &ctx.issuer, lang))
            .collect(),
        form,
        error: error.map(|e| e.0),
        notice_key: notice,
    };
    let mut resp = ctx.page("pages/admin_recognition", page_data(&page)?)?;
    if failed {
        *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

async fn issue(
    ctx: Ctx,
    me: AgencyAdmin,
    form: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let f = form.0;
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let years = agency_years(&ctx.db, &ctx.req, agency.id, &field("year")).await?;
    let year = years.shown;
    let people: Vec<i64> = f
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix("person_").and_then(|id| id.parse().ok()))
        .collect();
    let request = letters::Request {
        title: field("title"),
        reason: field("reason"),
        signatory_name: field("signatory_name"),
        signatory_title: field("signatory_title"),
        year,
        people,
    };
    let (id, by, r, signing) = (
        agency.id,
        me.id,
        request.clone(),
        ctx.issuer.get_ref().clone(),
    );
    let result = ctx
        .db
        .run(move |conn| letters::issue(conn, &signing, id, by, &r))
        .await;
    match result {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/admin/agencies/{id}/recognition?year={year}&done=issued#letters"),
            ))
            .finish()),
        Err(e) => {
            let refusal = e.refusal()?;
            let msg = ctx.views.text(ctx.lang, refusal.key());
            admin_view(
                &ctx,
                &agency,
                years,
                Some((msg, request)),
                None,
                &AdminQuery::default(),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeForm {
    reason: String,
    confirm: String,
    year: String,
}

async fn revoke(
    ctx: Ctx,
    me: AgencyAdmin,
    path: web::Path<(i64, String)>,
    form: CsrfForm<RevokeForm>,
) -> Result<HttpResponse, AppError> {
    let (id, raw) = path.into_inner();
    let agency = me.agency(&ctx.db).await?;
    let lang = ctx.lang;
    let f = form.0;
    if f.confirm != "yes" {
        return Err(AppError::BadRequest(
            ctx.views
                .text(lang, "recognition.letter.revoke.confirm_missing"),
        ));
    }
    let code = crate::certificates::code::normalize(&raw).ok_or(AppError::NotFound)?;
    let by = me.id;
    let outcome = ctx
        .db
        .run(move |conn| letters::revoke(conn, agency.id, &code, by, &f.reason))
        .await;
    match outcome {
        Ok(l) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!(
                    "/admin/agencies/{id}/recognition?year={}&done=revoked#letters",
                    l.year
                ),
            ))
            .finish()),
        Err(letters::RevokeError::Refused(letters::RevokeRefused::NotFound)) => {
            Err(AppError::NotFound)
        }
        Err(letters::RevokeError::Refused(letters::RevokeRefused::AlreadyRevoked)) => Err(
            AppError::BadRequest(ctx.views.text(lang, "recognition.letter.revoke.already")),
        ),
        Err(letters::RevokeError::Refused(letters::RevokeRefused::ReasonTooShort)) => {
            Err(AppError::BadRequest(
                ctx.views
                    .text(lang, "recognition.letter.revoke.reason_short"),
            ))
        }
        Err(letters::RevokeError::Db(e)) => Err(e.into()),
    }
}

async fn export_csv(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let year = agency_years(&ctx.db, &ctx.req, agency.id, &q.year)
        .await?
        .shown;
    let (rows, target, issued, names, earned) = year_figures(&ctx.db, agency.id, year).await?;
    let ranked = standing::rank(rows);
    let none: Vec<Milestone> = Vec::new();
    // HR files are Indonesian whatever the page's language.
    let bytes = super::export::csv(
        &ranked,
        year,
        target,
        |uid| super::export::Extra {
            milestones: earned.get(&uid).unwrap_or(&none),
            letters: issued
                .iter()
                .filter(|l| l.user_id == uid && l.revoked_at.is_none())
                .map(|l| l.number.clone())
                .collect(),
        },
        |m| milestone_label(ctx.views.i18n(), Lang::Id, &names, m),
    )
    .map_err(|e| AppError::Internal(format!("recognition CSV: {e}")))?;
    let code = crate::text::file_safe(&agency.code);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"asn-pembelajar-{code}-{year}.csv\""),
        ))
        .body(bytes))
}

// ---------- page contexts ----------

/// `pages/recognition`: the person's milestones and letters.
#[derive(Serialize)]
struct RecognitionPage {
    milestones: Vec<MilestoneRow>,
    letters: Vec<Value>,
    visible: bool,
    has_agency: bool,
    notice_key: Option<&'static str>,
}

#[derive(Serialize)]
struct MilestoneRow {
    label: String,
    date: String,
    kind: String,
}

/// `pages/standing` for a person with an agency: its standing and their unit's.
#[derive(Serialize)]
struct StandingPage {
    year: i32,
    prev: i32,
    next: Option<i32>,
    agency: Option<String>,
    unit: Option<String>,
    agency_rows: Vec<RankedRow>,
    unit_rows: Vec<RankedRow>,
    visible_me: bool,
}

/// A person in a standing; `nip` only on the admin's page (`null` otherwise).
#[derive(Serialize)]
struct RankedRow {
    rank: usize,
    user_id: i64,
    name: String,
    nip: Option<String>,
    unit: Option<String>,
    position: Option<String>,
    jp: i64,
    completions: i64,
    levels_gained: i64,
    visible: bool,
    me: bool,
}

/// A person in the admin's standing: the row, and what the letter form shows of them.
#[derive(Serialize)]
struct PersonRow {
    #[serde(flatten)]
    row: RankedRow,
    chosen: bool,
    reached: bool,
    /// The numbers of their letters of the year not revoked.
    letters: Vec<String>,
    milestone_count: usize,
    milestones: Vec<String>,
}

/// `pages/admin_recognition`: an agency's standing, its letters and the form to issue one.
#[derive(Serialize)]
struct AdminRecognitionPage<'a> {
    agency: &'a crate::accounts::orgs::Agency,
    year: i32,
    prev: i32,
    next: Option<i32>,
    target: i64,
    people: Vec<PersonRow>,
    paging: Value,
    units: Vec<UnitRow>,
    unit_rows: Option<Vec<RankedRow>>,
    unit_name: Option<String>,
    letters: Vec<Value>,
    form: LetterForm,
    error: Option<String>,
    notice_key: Option<&'static str>,
}

/// A unit's line of the standing.
#[derive(Serialize)]
struct UnitRow {
    unit_id: Option<i64>,
    unit: Option<String>,
    people: usize,
    jp: i64,
    completions: i64,
    levels_gained: i64,
    reached: usize,
    jp_per_person: String,
}

/// The letter form's fields.
#[derive(Serialize)]
struct LetterForm {
    title: String,
    reason: String,
    signatory_name: String,
    signatory_title: String,
}
