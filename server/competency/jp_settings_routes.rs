//! The agency's JPM thresholds and JP conversion table over HTTP: a small form of its own on the
//! standards (agency settings) page, posted to `/admin/agencies/{id}/standards/jp`; with a
//! mistake, the form comes back on a page of its own (422) with what was typed and what is wrong.
//! An agency admin for their own agency, a platform admin for any.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::jp_settings;
use super::view::form_view;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::policy::AgencyAdmin;
use crate::web::redirect;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/agencies/{id}/standards/jp", web::get().to(jp_page))
        .route("/admin/agencies/{id}/standards/jp", web::post().to(save));
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: String,
}

async fn jp_page(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let id = agency.id;
    let s = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(jp_settings::load(conn, id)?))
        .await?;
    ctx.html(
        StatusCode::OK,
        "pages/admin_jp_settings",
        json!({
            "agency": agency,
            "jp_settings": form_view(&s, None, Vec::new(), q.saved == "1"),
        }),
    )
}

async fn save(
    ctx: Ctx,
    me: AgencyAdmin,
    form: CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let id = agency.id;
    let by = me.user.id;
    let typed = form.0;
    let field = |k: &str| typed.get(k).cloned().unwrap_or_default();
    let per_day: Vec<(String, String)> = typed
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("jpd_")
                .map(|kind| (kind.to_string(), v.clone()))
        })
        .collect();
    match jp_settings::parse(&field("jpm_optimal"), &field("jpm_meets"), &per_day) {
        Ok(s) => {
            ctx.db
                .run(move |conn| Ok::<_, AppError>(jp_settings::save(conn, id, &s, by)?))
                .await?;
            Ok(redirect(&format!(
                "/admin/agencies/{id}/standards/jp?saved=1#jp-settings"
            )))
        }
        Err(errors) => {
            let lang = ctx.lang;
            let mut messages: Vec<String> = Vec::new();
            for (_, key) in &errors {
                let m = ctx.views.text(lang, key);
                if !messages.contains(&m) {
                    messages.push(m);
                }
            }
            let stored = ctx
                .db
                .run(move |conn| Ok::<_, AppError>(jp_settings::load(conn, id)?))
                .await?;
            ctx.html(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/admin_jp_settings",
                json!({
                    "agency": agency,
                    "jp_settings": form_view(&stored, Some(&typed), messages, false),
                }),
            )
        }
    }
}
