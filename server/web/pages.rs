//! Page pieces several features' handlers share.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, Route};
use serde_json::json;

use super::policy::AdminOf;
use super::redirect;
use super::state::Ctx;
use crate::accounts::orgs;
use crate::error::AppError;

/// `/admin/{section}` without an agency: an agency admin goes straight to their agency's page
/// (`/admin/agencies/{id}/{section}`); a platform admin picks an agency from `template`.
async fn choose_agency(
    ctx: &Ctx,
    me: &AdminOf,
    section: &str,
    template: &str,
) -> Result<HttpResponse, AppError> {
    if let Some(id) = me.agency() {
        return Ok(redirect(&format!("/admin/agencies/{id}/{section}")));
    }
    let agencies = ctx
        .db
        .run(|conn| Ok::<_, AppError>(orgs::agencies(conn)?))
        .await?;
    ctx.html(StatusCode::OK, template, json!({ "agencies": agencies }))
}

/// The route of `/admin/{section}` without an agency (see [`choose_agency`]).
pub fn choose_agency_route(section: &'static str, template: &'static str) -> Route {
    web::get().to(move |ctx: Ctx, me: AdminOf| async move {
        choose_agency(&ctx, &me, section, template).await
    })
}

/// A form page as shown: fresh (what is stored, no refusal: `200`), or again after a refused
/// change with what was typed and why (`422`). As an extractor it is the fresh page, so the
/// page's view serves its `GET` route and its form's refusals alike.
pub struct Shown<F> {
    /// What was typed, when shown again after a refusal.
    pub form: Option<F>,
    /// The refusal, in words.
    pub error: Option<String>,
}

impl<F> Shown<F> {
    pub fn fresh() -> Self {
        Shown {
            form: None,
            error: None,
        }
    }

    /// Shown again after a refusal, with what was typed (if it is to be kept).
    pub fn refused(form: Option<F>, error: String) -> Self {
        Shown {
            form,
            error: Some(error),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self.error {
            Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
            None => StatusCode::OK,
        }
    }
}

impl<F> FromRequest for Shown<F> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Shown::fresh()))
    }
}

/// Rows per page in a paged list (people in the admin's list, a supervisor's team).
pub const PAGE_SIZE: i64 = 50;

/// The page asked for, from 1 to the last one a query can reach: a negative or unreadable number is
/// the first page, a huge one (even past `i64`) a page beyond the end, which the caller turns into
/// the last one; `(page - 1) * PAGE_SIZE` never overflows.
pub fn page_number(raw: &str) -> i64 {
    let raw = raw.trim();
    let max = i64::MAX / PAGE_SIZE;
    match raw.parse::<i64>() {
        Ok(n) => n.clamp(1, max),
        Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => max,
        Err(_) => 1,
    }
}

/// How many pages `total` rows fill (at least one).
pub fn page_count(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

#[cfg(test)]
mod tests {
    use super::{page_count, page_number, PAGE_SIZE};

    #[test]
    fn page_numbers_never_overflow() {
        let max = i64::MAX / PAGE_SIZE;
        assert_eq!(page_number("3"), 3);
        assert_eq!(page_number(""), 1);
        assert_eq!(page_number("-5"), 1);
        assert_eq!(page_number("-99999999999999999999999"), 1);
        assert_eq!(page_number("abc"), 1);
        assert_eq!(page_number("9223372036854775807"), max);
        assert_eq!(page_number("99999999999999999999999999"), max);
        assert!((page_number("99999999999999999999999999") - 1)
            .checked_mul(PAGE_SIZE)
            .is_some());
        assert_eq!((page_count(0), page_count(50), page_count(51)), (1, 1, 2));
    }
}
