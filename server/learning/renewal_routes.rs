//! Recertification: `POST /courses/{slug}/recertify` starts the course again when its
//! certificate's renewal window is open (see [`super::renewal`]).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::renewal::{self, RenewalError};
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{slug}/recertify", web::post().to(recertify));
}

async fn recertify(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let user_id = me.id;
    let s2 = slug.clone();
    let now = crate::certificates::view::now();
    let outcome = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(renewal::recertify(conn, user_id, &s2, now)))
        .await?;
    match outcome {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/courses/{slug}?notice=recertify"),
            ))
            .finish()),
        Err(RenewalError::Refused(r)) => {
            Err(AppError::BadRequest(ctx.views.text(ctx.lang, r.key())))
        }
        Err(RenewalError::Db(e)) => Err(e.into()),
    }
}
