//! `GET /`: the home page. For a visitor: what Cakap is, the yearly 20 JP, and the catalog's
//! highlights, with an invitation to create an account. For a learner: the course to go on with
//! first ("continue where you left off") and their JP this year.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::catalog::store;
use crate::error::AppError;
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::state::Ctx;

/// How many courses the home page shows.
const HIGHLIGHTS: usize = 4;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/menu", web::get().to(menu));
}

/// `GET /menu`: everything the phone's bottom tabs do not hold — the learner's own pages, the
/// team, admin and authoring pages they have rights to (the menu only offers; each route checks
/// its own proof), the account and logging out.
async fn menu(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let supervisor = {
        use actix_web::HttpMessage;
        let ext = ctx.req.extensions();
        ext.get::<crate::web::auth::Session>()
            .is_some_and(|s| s.is_supervisor)
    };
    let work = supervisor
        || crate::accounts::rights::admin_scope(&me).is_some()
        || crate::accounts::rights::may_author(&me);
    ctx.page("pages/menu", json!({ "work": work }))
}

/// What the home page shows a learner: a welcome, where to go on, the year's JP.
#[derive(serde::Serialize)]
struct Learner {
    name: String,
    resume: Option<crate::learning::resume::Resume>,
    jp: crate::competency::jp::Standing,
    jp_pct: i64,
}

async fn home(ctx: Ctx, me: MaybeUser) -> Result<HttpResponse, AppError> {
    let user = me.0.as_ref().map(|u| (u.id, u.name.clone()));
    let now = ctx.now();
    let (mut courses, learner) = ctx
        .db
        .run(move |conn| {
            let courses = store::catalog(conn)?;
            let learner = match user {
                Some((id, name)) => {
                    let year = crate::clock::zone_of_user(conn, id)?.year_of(now);
                    let jp = crate::competency::jp::standing(conn, id, year)?;
                    Some(Learner {
                        name,
                        resume: crate::learning::resume::resume(conn, id)?,
                        jp,
                        jp_pct: jp.percent(),
                    })
                }
                None => None,
            };
            Ok::<_, AppError>((courses, learner))
        })
        .await?;
    let total = courses.len();
    courses.truncate(HIGHLIGHTS);
    ctx.page(
        "pages/home",
        json!({ "min_jp": 20, "courses": courses, "more": total > HIGHLIGHTS, "total": total,
                "learner": learner }),
    )
}
