//! The application's error type and its one mapping to HTTP.
//!
//! Handlers return `Result<_, AppError>`: its status and the message keys people see are decided
//! here, once. Every error response — from a handler, from an extractor refusing a malformed
//! request, or from a route that does not exist — is then rendered by `crate::web::error_pages`,
//! which gives people an Indonesian (or English) page that says what to do next and gives API
//! clients `application/problem+json`.

use actix_web::body::BoxBody;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;

/// An error, as `application/problem+json` (RFC 9457).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, translated title.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong or what to do next.
    pub detail: String,
    /// The request path.
    pub instance: String,
}

/// Declares a domain's error: either a refusal the person can act on (`Refused`, shown on the
/// page with what to change) or a database failure (`Db`). The one refusal convention: domain
/// functions return `Result<T, XError>` (never `Result<Result<T, Refusal>, DbError>`), `?` works
/// on `DbError`, diesel errors and the refusal, and a handler turns it into the refusal to show
/// with [`refusal`](#method.refusal), a database failure going on as an [`AppError`].
///
/// ```ignore
/// crate::domain_error!(pub OrgError, Refusal);
/// ```
#[macro_export]
macro_rules! domain_error {
    ($(#[$meta:meta])* $vis:vis $name:ident, $refusal:ty) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis enum $name {
            /// Refused: the person can act on it.
            Refused($refusal),
            /// The database failed.
            Db($crate::db::DbError),
        }

        impl From<$crate::db::DbError> for $name {
            fn from(e: $crate::db::DbError) -> Self {
                $name::Db(e)
            }
        }

        impl From<diesel::result::Error> for $name {
            fn from(e: diesel::result::Error) -> Self {
                $name::Db($crate::db::DbError::Query(e))
            }
        }

        impl From<$refusal> for $name {
            fn from(r: $refusal) -> Self {
                $name::Refused(r)
            }
        }

        impl $name {
            /// The refusal to show; a database failure as an [`AppError`](crate::error::AppError).
            #[allow(dead_code)]
            pub fn refusal(self) -> Result<$refusal, $crate::error::AppError> {
                match self {
                    $name::Refused(r) => Ok(r),
                    $name::Db(e) => Err($crate::error::AppError::Db(e)),
                }
            }
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A missing thing (a course, a module, an attempt) at an address that exists.
    #[error("not found")]
    NotFound,
    /// No route matches the address at all (the `default_service`).
    #[error("no such route")]
    NoRoute,
    /// The request is malformed; the text says what is wrong (in English, for logs and API clients).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A body names something that does not exist (an unknown agency): 404, the text says which.
    #[error("not found: {0}")]
    NamedNotFound(String),
    /// The request cannot be done in the state things are in (already rated, no attempts left);
    /// the text says why.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A body in a format this endpoint does not read; the text says which to send.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Not logged in (or the session ended): HTML goes to the login page, API gets 401.
    #[error("not logged in")]
    Unauthorized,
    /// Logged in, but this is not theirs to see or do.
    #[error("forbidden")]
    Forbidden,
    /// A form without a valid CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// A request body over its limit (in bytes), refused before it was read.
    #[error("the request body is over its limit of {0} bytes")]
    TooLarge(u64),
    /// Rate-limited; the number of minutes to wait.
    #[error("too many attempts; retry in {0} minutes")]
    TooManyRequests(i64),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The message keys (title, what to do) shown to people.
    pub(crate) fn keys(&self) -> (&'static str, &'static str) {
        match self {
            AppError::NotFound | AppError::NamedNotFound(_) => {
                ("error.not_found.title", "error.not_found.body")
            }
            AppError::NoRoute => ("error.no_route.title", "error.no_route.body"),
            AppError::BadRequest(_) | AppError::Conflict(_) | AppError::UnsupportedMediaType(_) => {
                ("error.bad_request.title", "error.bad_request.body")
            }
            AppError::Unauthorized => ("error.unauthorized.title", "error.unauthorized.body"),
            AppError::Forbidden => ("error.forbidden.title", "error.forbidden.body"),
            AppError::Csrf => ("error.csrf.title", "error.csrf.body"),
            AppError::TooManyRequests(_) => ("error.too_many.title", "error.too_many.body"),
            AppError::TooLarge(_) => ("error.too_large.title", "error.too_large.body"),
            AppError::Db(DbError::Unavailable { .. } | DbError::Connect { .. }) => {
                ("error.unavailable.title", "error.unavailable.body")
            }
            AppError::Db(_) | AppError::Internal(_) => {
                ("error.internal.title", "error.internal.body")
            }
        }
    }

    /// Detail that may be shown to the client (never internals).
    pub(crate) fn public_detail(&self) -> Option<String> {
        match self {
            AppError::BadRequest(m)
            | AppError::NamedNotFound(m)
            | AppError::Conflict(m)
            | AppError::UnsupportedMediaType(m) => Some(m.clone()),
            AppError::TooLarge(limit) => Some(format!(
                "the request is larger than the limit of {}; send a smaller file or less text",
                crate::text::human_size(*limit)
            )),
            _ => None,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::NoRoute | AppError::NamedNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Db(DbError::Unavailable { .. } | DbError::Connect { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        // Replaced by `render`; this is what a client sees only if that middleware is missing.
        let mut resp = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests(minutes) = self {
            resp.insert_header((header::RETRY_AFTER, (minutes * 60).to_string()));
        }
        resp.content_type("text/plain; charset=utf-8")
            .body(self.status_code().canonical_reason().unwrap_or("error"))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Db(DbError::Query(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Refusal {
        TooLong,
    }

    crate::domain_error!(TestError, Refusal);

    fn refuse(long: bool) -> Result<u8, TestError> {
        if long {
            Err(Refusal::TooLong)?;
        }
        Err(diesel::result::Error::NotFound)?
    }

    #[test]
    fn a_domain_error_is_a_refusal_to_show_or_a_database_failure() {
        assert_eq!(
            refuse(true).unwrap_err().refusal().unwrap(),
            Refusal::TooLong
        );
        let db = refuse(false).unwrap_err().refusal().unwrap_err();
        assert!(matches!(db, AppError::Db(DbError::Query(_))), "{db:?}");
    }
}
