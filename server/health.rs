//! `GET /healthz`: is this server able to serve? Answers after a real query on the database.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::{settings, DbError};
use crate::web::state::Ctx;

/// How long a health check waits for a database connection before calling it unreachable.
const TIMEOUT: Duration = Duration::from_secs(3);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz));
}

async fn healthz(ctx: Ctx) -> HttpResponse {
    let backend = ctx.db.backend().name();
    let checked = match ctx.db.check_file() {
        Err(e) => Err(e),
        Ok(()) => {
            let url = ctx.db.url().clone();
            ctx.db
                .run_with_timeout(Some(TIMEOUT), move |conn| {
                    // the pool trusts a connection for a second between checks; this one asks now,
                    // and a connection the server dropped is reported as the database being away
                    use diesel::connection::SimpleConnection;
                    conn.batch_execute("SELECT 1")
                        .map_err(|e| DbError::connect(&url, &e.to_string()))?;
                    settings::get(conn, settings::SCHEMA_VERSION_KEY)?.ok_or_else(|| {
                        DbError::Internal("the schema is not set up; run `cakap migrate`".into())
                    })
                })
                .await
        }
    };
    match checked {
        Ok(_) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(json!({"status": "ok", "database": backend, "version": crate::VERSION})),
        Err(e) => {
            let e: DbError = e;
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Cache-Control", "no-store"))
                .json(json!({
                    "status": "unavailable",
                    "database": backend,
                    "version": crate::VERSION,
                    "reason": e.to_string(),
                }))
        }
    }
}
