//! Build the application: database, secrets, templates, routes and middleware.

use std::fmt;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::certificates::{Issuer, Keyring};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::mail::{MailTemplates, Mailer};
use crate::secrets::{SecretError, Secrets};
use crate::web::{Assets, I18n, Views};

/// Why the server could not start. `Display` is one line for the operator.
#[derive(Debug)]
pub enum StartError {
    Database(DbError),
    Secrets(SecretError),
    Keys(crate::certificates::keys::KeyError),
    /// Templates or message catalogs that do not load (a bug in the build, not the operator's).
    Web(String),
    Bind {
        addr: String,
        reason: String,
    },
    /// The mail transport could not be set up (a bad SMTP setting).
    Mail(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Database(e) => write!(f, "{e}"),
            StartError::Secrets(e) => write!(f, "{e}"),
            StartError::Keys(e) => write!(f, "{e}"),
            StartError::Web(e) => write!(f, "web assets: {e}"),
            StartError::Mail(e) => write!(f, "mail: {e}"),
            StartError::Bind { addr, reason } => write!(
                f,
                "cannot listen on {addr}: {reason}; set CAKAP_BIND to a free address such as 127.0.0.1:8081"
            ),
        }
    }
}

impl std::error::Error for StartError {}

impl From<DbError> for StartError {
    fn from(e: DbError) -> Self {
        StartError::Database(e)
    }
}

/// Everything the handlers share, built once per process.
pub struct State {
    pub config: Config,
    pub db: Db,
    pub secrets: Secrets,
    pub views: web::Data<Views>,
    pub assets: web::Data<Assets>,
    pub mail_templates: web::Data<MailTemplates>,
    pub mailer: Mailer,
    /// Signs certificates issued by this server.
    pub issuer: web::Data<Issuer>,
}

impl State {
    /// Open the database (migrating it), read or create the secrets, load templates.
    pub async fn build(config: Config) -> Result<State, StartError> {
        crate::clock::set_platform_default(config.time_zone);
        let url = config.database.clone();
        let pool_size = config.db_pool_size;
        let db = tokio::task::spawn_blocking(move || Db::open(&url, pool_size))
            .await
            .map_err(|e| StartError::Web(format!("start-up task failed: {e}")))??;
        db.run(crate::clock::pin_record_zones).await?;
        if config.publish_on_start {
            publish_courses_dir(&db, &config.courses_dir).await;
            crate::memory::give_back();
        }
        let secrets = Secrets::load_or_create(&config.data_dir).map_err(StartError::Secrets)?;
        clear_uploads(&config.data_dir.join("tmp"));
        let i18n = Arc::new(I18n::load().map_err(StartError::Web)?);
        let assets = Arc::new(Assets::load());
        let views = Views::load(i18n.clone(), assets.clone()).map_err(StartError::Web)?;
        let mail_templates = MailTemplates::load(i18n).map_err(StartError::Web)?;
        let mailer = crate::mail::spawn(db.clone(), &config).map_err(StartError::Mail)?;
        let issuer = certificate_issuer(&db, &config).await?;
        announce_first_run(&db).await;
        let mail_templates = web::Data::new(mail_templates);
        crate::competency::reminders::spawn(
            db.clone(),
            mail_templates.clone().into_inner(),
            issuer.base_url.clone(),
            mailer.clone(),
            std::time::Duration::from_secs(config.reminder_delay),
            config.clock,
        );
        crate::certificates::reminders::spawn(
            db.clone(),
            mail_templates.clone().into_inner(),
            issuer.base_url.clone(),
            mailer.clone(),
            std::time::Duration::from_secs(config.reminder_delay),
        );
        Ok(State {
            issuer: web::Data::new(issuer),
            config,
            db,
            secrets,
            views: web::Data::new(views),
            assets: web::Data::from(assets),
            mail_templates,
            mailer,
        })
    }
}

/// Read (or create) the certificate-signing keys and list their public halves in the database,
/// so every server's JWKS includes them.
async fn certificate_issuer(db: &Db, config: &Config) -> Result<Issuer, StartError> {
    let keyring = Keyring::load_or_create(&config.data_dir).map_err(StartError::Keys)?;
    let keys = keyring.all.clone();
    let issuer = Issuer {
        signer: keyring.current,
        base_url: config.base_url.as_str().trim_end_matches('/').to_string(),
        config: config.certificates.clone(),
    };
    let i2 = issuer.clone();
    let backfilled = db
        .run(move |conn| {
            for k in &keys {
                crate::certificates::store::register_key(conn, k)?;
            }
            let issued = crate::certificates::store::issue_missing(conn, &i2)?;
            // People who developed before milestones existed get theirs, once.
            let awarded = crate::competency::milestones::backfill(conn)?;
            if awarded > 0 {
                tracing::info!(
                    count = awarded,
                    "recorded the milestones of earlier learning"
                );
            }
            Ok::<_, crate::db::DbError>(issued)
        })
        .await?;
    if backfilled > 0 {
        tracing::info!(
            count = backfilled,
            "issued the certificates of earlier completions"
        );
    }
    Ok(issuer)
}

/// On an empty database, say in the log how to create the first administrator.
async fn announce_first_run(db: &Db) {
    let count = db.run(crate::accounts::users::count).await;
    if let Ok(0) = count {
        tracing::warn!(
            "no accounts yet: create the first administrator with `cakap users add --role admin --email you@agency.go.id --name \"Your Name\"`"
        );
    }
}

/// Uploads are unpacked under `data/tmp` and removed when handled; what a crash left is removed
/// at start-up (only folders of our own naming, `.tmp…`).
fn clear_uploads(tmp: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(".tmp") {
            if let Err(err) = std::fs::remove_dir_all(e.path()) {
                tracing::warn!(path = %e.path().display(), error = %err, "could not remove a leftover upload folder");
            }
        }
    }
}

/// Publish the configured courses folder. A course with errors is skipped (its errors logged);
/// the others are served.
async fn publish_courses_dir(db: &Db, dir: &std::path::Path) {
    if !dir.is_dir() {
        tracing::warn!(dir = %dir.display(), "the courses folder does not exist; no courses published at start-up");
        return;
    }
    let dir = dir.to_path_buf();
    let result = db
        .run(move |conn| {
            Ok::<_, DbError>(crate::catalog::batch::publish_dirs(
                conn,
                std::slice::from_ref(&dir),
                &dir,
                crate::catalog::publish::Mode::StartUp,
                &mut |_, _, _| {},
            ))
        })
        .await;
    match result {
        Ok((general, reports)) => {
            for d in &general {
                tracing::warn!("{d}");
            }
            for r in &reports {
                for d in &r.diagnostics {
                    tracing::warn!("{d}");
                }
                if r.ok() {
                    tracing::info!("{}", r.line());
                } else {
                    tracing::error!("{}", r.line());
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "could not publish the courses folder"),
    }
}

/// A server bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let state = State::build(config).await?;
        let addr = state.config.bind;
        let listener = TcpListener::bind(addr).map_err(|e| StartError::Bind {
            addr: addr.to_string(),
            reason: e.to_string(),
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartError::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?
            .port();
        let workers = state.config.workers;
        let server = serve(state, listener, workers).map_err(|e| StartError::Bind {
            addr: addr.to_string(),
            reason: e.to_string(),
        })?;
        tracing::info!(%addr, port, "Cakap is listening");
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until SIGTERM or ctrl-c; in-flight requests get time to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(state: State, listener: TcpListener, workers: Option<usize>) -> std::io::Result<Server> {
    let db = web::Data::new(state.db);
    // database work runs on each worker's blocking pool, at most one call per pooled connection
    // at a time (`Db::run`); more threads than that only sat idle, each with its stack (tokio's
    // default allows 512, and short races between a call ending and the next starting made the
    // pool grow to dozens under load)
    let blocking_threads = (state.config.db_pool_size as usize).max(2);
    let config = web::Data::new(state.config);
    let secrets = web::Data::new(state.secrets);
    let is_https = config.is_https();
    let views = state.views;
    let assets = state.assets;
    let mail_templates = state.mail_templates;
    let mailer = web::Data::new(state.mailer);
    let issuer = state.issuer;
    let lookups = web::Data::new(crate::certificates::lookups::Lookups::new(
        config.certificates.lookup_limit,
    ));
    let offers = web::Data::new(crate::competency::store::OffersCache::default());
    // module bodies being read, with their codings: ~250 modules of 2,000 words
    let pieces = web::Data::new(crate::web::compress::Pieces::new(8 << 20));
    let app_state = web::Data::new(crate::web::state::AppState {
        db: db.clone(),
        config: config.clone(),
        secrets: secrets.clone(),
        https: is_https,
        views: views.clone(),
        assets: assets.clone(),
        mail_templates: mail_templates.clone(),
        mailer: mailer.clone(),
        on_completed: crate::hooks::on_completed(issuer.clone().into_inner()),
        issuer: issuer.clone(),
        lookups: lookups.clone(),
        offers: offers.clone(),
        pieces: pieces.clone(),
        outlines: web::Data::new(crate::catalog::outline::Outlines::default()),
    });
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(app_state.clone())
            .app_data(web::JsonConfig::default().limit(256 * 1024))
            .app_data(web::FormConfig::default().limit(256 * 1024))
            .configure(routes)
            .default_service(web::to(crate::api::no_route))
            .wrap(middleware::from_fn(crate::web::nul::guard_address))
            .wrap(middleware::from_fn(crate::web::auth::middleware))
            .wrap(middleware::from_fn(crate::web::csrf::middleware))
            .wrap(middleware::from_fn(crate::web::error_pages::catch))
            .wrap(crate::web::error_pages::handlers())
            .wrap(crate::web::security::headers(is_https))
            .wrap(middleware::from_fn(crate::web::etag::middleware))
            .wrap(middleware::from_fn(crate::web::compress::middleware))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .wrap(middleware::from_fn(crate::web::head_as_get))
    })
    .worker_max_blocking_threads(blocking_threads)
    .shutdown_timeout(10)
    .client_request_timeout(Duration::from_secs(30))
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}

/// Every route of the application, by feature.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/v1/openapi.json",
        web::get().to(crate::api::openapi_json),
    );
    crate::health::routes(cfg);
    crate::home::routes(cfg);
    crate::learning::routes::routes(cfg);
    crate::learning::offline_routes::routes(cfg);
    crate::learning::renewal_routes::routes(cfg);
    crate::certificates::routes::routes(cfg);
    crate::competency::routes::routes(cfg);
    crate::competency::activity_routes::routes(cfg);
    crate::competency::plan_routes::routes(cfg);
    crate::competency::admin_routes::routes(cfg);
    crate::competency::jp_settings_routes::routes(cfg);
    crate::competency::agency_routes::routes(cfg);
    crate::competency::budget_routes::routes(cfg);
    crate::competency::evaluation_routes::routes(cfg);
    crate::competency::gap_routes::routes(cfg);
    crate::learning::statistics_routes::routes(cfg);
    crate::learning::assign_routes::routes(cfg);
    crate::learning::course_routes::routes(cfg);
    crate::catalog::routes::routes(cfg);
    crate::catalog::author_routes::routes(cfg);
    crate::accounts::routes::routes(cfg);
    crate::accounts::admin_orgs_routes::routes(cfg);
    crate::accounts::admin_users_routes::routes(cfg);
    crate::competency::team_routes::routes(cfg);
    crate::accounts::placement_routes::routes(cfg);
    crate::catalog::partner_routes::routes(cfg);
    crate::recognition::routes::routes(cfg);
    crate::learning::quiz_routes::routes(cfg);
    crate::web::routes(cfg);
}
