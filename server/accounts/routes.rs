//! Account pages and API: register, verify, log in and out, reset and change the password, edit
//! the profile, API tokens.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::nip::Nip;
use super::orgs;
use super::password::{self, Weak};
use super::ratelimit::{self, Limit};
use super::sessions;
use super::tokens::{self, Purpose, Refused, TokenError};
use super::users::{self, CreateError, NewUser};
use crate::config::Config;
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::mail::{self, MailTemplates};
use crate::web::auth::{removal_cookie, session_cookie, session_of, CurrentUser, MaybeUser};
use crate::web::client::client_ip;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::redirect;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{is_local_path, Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/register", web::get().to(register_form))
        .route("/register", web::post().to(register))
        .route("/verify/{token}", web::get().to(verify_form))
        .route("/verify/{token}", web::post().to(verify))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/password/reset", web::get().to(reset_request_form))
        .route("/password/reset", web::post().to(reset_request))
        .route("/password/reset/{token}", web::get().to(reset_form))
        .route("/password/reset/{token}", web::post().to(reset))
        .route("/invite/{token}", web::get().to(invite_form))
        .route("/invite/{token}", web::post().to(accept_invite))
        .route("/me/account", web::get().to(account))
        .route("/me/account", web::post().to(update_account))
        .route("/me/placement", web::post().to(request_placement))
        .route("/me/password", web::post().to(change_password))
        .route("/me/logout-all", web::post().to(logout_all))
        .route("/me/sessions/{id}/end", web::post().to(end_session))
        .route("/api/v1/auth/token", web::post().to(api_token))
        .route("/api/v1/me", web::get().to(api_me));
}

/// Field → message key (with arguments), shown next to the field.
type FieldErrors = BTreeMap<&'static str, String>;

/// Start a session record for a login from `req` and make the token that names it.
async fn open_session(
    ctx: &Ctx,
    user_id: i64,
    version: i32,
    bearer: bool,
) -> Result<(String, i64), AppError> {
    let user_agent = &ctx
        .req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin = sessions::Origin {
        device: sessions::device_of(user_agent),
        address: client_ip(&ctx.req),
        bearer,
    };
    let (sid, _) = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(sessions::start(conn, user_id, version, &origin)?))
        .await?;
    super::session::issue(&ctx.secrets.session_key, user_id, &sid).map_err(AppError::Internal)
}

fn notice(
    ctx: &Ctx,
    title_key: &str,
    body_key: &str,
    link: Option<(&str, &str)>,
) -> Result<HttpResponse, AppError> {
    ctx.html(
        actix_web::http::StatusCode::OK,
        "pages/notice",
        json!({"title_key": title_key, "body_key": body_key,
               "link": link.map(|(href, key)| json!({"href": href, "key": key}))}),
    )
}

fn link(config: &Config, path: &str) -> String {
    let base = config.base_url.as_str().trim_end_matches('/');
    format!("{base}{path}")
}

/// Render and enqueue a mail in the current transaction.
fn send_mail(
    conn: &mut DbConnection,
    templates: &MailTemplates,
    name: &str,
    lang: Lang,
    to: &str,
    data: Value,
) -> Result<(), AppError> {
    let mut data = data;
    data["lang"] = json!(lang.code());
    let mail = templates
        .render(name, lang, data, to)
        .map_err(|e| AppError::Internal(format!("mail template {name}: {e}")))?;
    mail::outbox::enqueue(conn, &mail)?;
    Ok(())
}

// ---------- registration ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    name: String,
    email: String,
    nip: String,
    password: String,
    password_confirm: String,
    /// Where the person was going (the course they came from): kept through the verification
    /// link and the login after it.
    next: String,
}

/// `next` when it is a path on this site, else empty.
fn local_next(next: &str) -> &str {
    if is_local_path(next) {
        next
    } else {
        ""
    }
}

/// `?next=…` for a local `next`, else nothing.
fn next_query(next: &str) -> String {
    match local_next(next) {
        "" => String::new(),
        n => format!(
            "?next={}",
            url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        ),
    }
}

async fn register_form(
    ctx: Ctx,
    me: MaybeUser,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if me.0.is_some() {
        return Ok(redirect(match local_next(&q.next) {
            "" => "/me",
            n => n,
        }));
    }
    ctx.html(
        actix_web::http::StatusCode::OK,
        "pages/register",
        json!({"form": {"next": local_next(&q.next), "next_q": next_query(&q.next)}, "errors": {}}),
    )
}

fn check_password(
    errors: &mut FieldErrors,
    views: &Views,
    lang: Lang,
    pw: &str,
    confirm: &str,
    email: &str,
) {
    if let Err(w) = password::check_new(pw, email) {
        let msg = views
            .text(lang, w.key())
            .replace("{min}", &password::MIN_LEN.to_string());
        errors.insert("password", msg);
    } else if pw != confirm {
        errors.insert(
            "password_confirm",
            views.text(lang, "accounts.password.mismatch"),
        );
    }
    let _ = Weak::TooShort;
}

/// A person's name as typed, cleaned; empty (and what is wrong next to the field) if it is none.
fn check_name(errors: &mut FieldErrors, views: &Views, lang: Lang, name: &str) -> String {
    match crate::text::person_name(name) {
        Ok(n) => n,
        Err(crate::text::NameError::TooShort) => {
            errors.insert("name", views.text(lang, "accounts.register.name_required"));
            String::new()
        }
        Err(crate::text::NameError::Control) => {
            errors.insert("name", views.text(lang, "accounts.register.name_control"));
            String::new()
        }
    }
}

/// Parse an optional NIP; an error message in the request's language.
fn parse_nip(input: &str, lang: Lang) -> Result<Option<String>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Nip::parse_now(s)
        .map(|n| Some(n.as_str().to_string()))
        .map_err(|e| match lang {
            Lang::Id => e.message_id.clone(),
            Lang::En => e.message_en.clone(),
        })
}

async fn register(ctx: Ctx, form: CsrfForm<RegisterForm>) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let lang = ctx.lang;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, &ctx.views, lang, &f.name);
    let email = users::normalize_email(&f.email);
    if email.is_none() {
        errors.insert("email", ctx.views.text(lang, "accounts.email_invalid"));
    }
    let nip = match parse_nip(&f.nip, lang) {
        Ok(n) => n,
        Err(msg) => {
            errors.insert("nip", msg);
            None
        }
    };
    check_password(
        &mut errors,
        &ctx.views,
        lang,
        &f.password,
        &f.password_confirm,
        &f.email,
    );
    let echo = json!({"name": f.name, "email": f.email, "nip": f.nip,
                      "next": local_next(&f.next), "next_q": next_query(&f.next)});
    let then = next_query(&f.next);
    if let (true, Some(email)) = (errors.is_empty(), email) {
        let registration = Registration {
            email,
            name,
            nip,
            password: f.password.clone(),
        };
        let mails = RegisterMails {
            templates: ctx.mail_templates.clone(),
            lang,
            verify_base: link(&ctx.config, "/verify/"),
            verify_then: then.clone(),
            login_link: link(&ctx.config, "/login"),
            reset_link: link(&ctx.config, "/password/reset"),
        };
        let ip_key = format!("register:ip:{}", client_ip(&ctx.req));
        // The page says the same whatever the address or NIP: whether either already has an
        // account is told only by mail, to the address given.
        ctx.db
            .run(move |conn| {
                if let Some(wait) = ratelimit::blocked(conn, &ip_key, ratelimit::REGISTER_IP)? {
                    return Err(AppError::TooManyRequests(ratelimit::minutes(wait)));
                }
                ratelimit::hit(conn, &ip_key, ratelimit::REGISTER_IP)?;
                create_account(conn, &registration, &mails)
            })
            .await?;
        ctx.mailer.wake();
        return notice(
            &ctx,
            "accounts.register.sent_title",
            "accounts.register.sent_body",
            Some((&format!("/login{then}"), "accounts.login.title")),
        );
    }
    ctx.html(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "pages/register",
        json!({"form": echo, "errors": errors}),
    )
}

/// A registration that passed the form's checks.
struct Registration {
    email: String,
    name: String,
    nip: Option<String>,
    password: String,
}

/// What the registration mails need: their templates and language, and the links they give.
struct RegisterMails {
    templates: web::Data<MailTemplates>,
    lang: Lang,
    verify_base: String,
    /// `?next=…` after the verification token, or nothing.
    verify_then: String,
    login_link: String,
    reset_link: String,
}

/// Create the account and send the verification link, in one transaction; when the address or
/// the NIP already has an account, the mail to the address says so instead.
fn create_account(
    conn: &mut DbConnection,
    r: &Registration,
    mails: &RegisterMails,
) -> Result<(), AppError> {
    let RegisterMails {
        templates,
        lang,
        verify_base,
        verify_then,
        login_link,
        reset_link,
    } = mails;
    let (email, name) = (&r.email, &r.name);
    let hash = password::hash(&r.password).map_err(AppError::Internal)?;
    crate::db::transaction(conn, |conn| {
        let created = users::create(
            conn,
            &NewUser {
                email: email.clone(),
                name: name.clone(),
                nip: r.nip.clone(),
                password_hash: Some(hash),
                ..Default::default()
            },
        );
        match created {
            Ok(id) => {
                let token = tokens::issue(conn, id, Purpose::Verify)?;
                send_mail(
                    conn,
                    templates,
                    "verify",
                    *lang,
                    email,
                    json!({"name": name, "link": format!("{verify_base}{token}{verify_then}")}),
                )?;
            }
            Err(CreateError::EmailTaken) => {
                // greet them by the name on their account, not the one just typed
                let known = users::find_by_email(conn, email)?
                    .map(|u| u.name)
                    .unwrap_or_else(|| name.clone());
                send_mail(
                    conn,
                    templates,
                    "account_exists",
                    *lang,
                    email,
                    json!({"name": known, "link": login_link, "reset_link": reset_link}),
                )?;
            }
            Err(CreateError::NipTaken) => {
                send_mail(
                    conn,
                    templates,
                    "nip_taken",
                    *lang,
                    email,
                    json!({"name": name, "link": login_link}),
                )?;
            }
            Err(CreateError::Db(e)) => return Err(AppError::Db(e)),
        }
        Ok(())
    })
}

/// `GET /verify/{token}`: a page with a button. Following the link does not verify anything (a
/// mail scanner opens links too); pressing the button, a CSRF-checked POST, does.
async fn verify_form(
    ctx: Ctx,
    path: web::Path<String>,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let action = format!(
        "/verify/{}{}",
        url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>(),
        next_query(&q.next)
    );
    token_page(
        &ctx,
        token,
        Purpose::Verify,
        ("pages/verify_confirm", json!({ "action": action })),
        ("/login", "accounts.verify.again"),
    )
    .await
}

async fn verify(
    ctx: Ctx,
    path: web::Path<String>,
    q: web::Query<NextQuery>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let result = ctx
        .db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                let user_id = tokens::consume(conn, &token, Purpose::Verify)?;
                users::mark_verified(conn, user_id)?;
                Ok::<_, TokenError>(user_id)
            })
        })
        .await;
    match result {
        Ok(_) => notice(
            &ctx,
            "accounts.verify.done_title",
            "accounts.verify.done_body",
            Some((
                &format!("/login{}", next_query(&q.next)),
                "accounts.login.title",
            )),
        ),
        Err(e) => token_refused(&ctx, e.refusal()?, "/login", "accounts.verify.again"),
    }
}

fn token_refused(ctx: &Ctx, r: Refused, href: &str, key: &str) -> Result<HttpResponse, AppError> {
    let body = match r {
        Refused::Unknown => "accounts.token.unknown",
        Refused::Used => "accounts.token.used",
        Refused::Expired => "accounts.token.expired",
    };
    let body_html = ctx.render("pages/notice", json!({"title_key": "accounts.token.title", "body_key": body, "link": {"href": href, "key": key}}))?;
    Ok(HttpResponse::Gone()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body_html))
}

// ---------- login / logout ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
    notice: String,
}

async fn login_form(
    ctx: Ctx,
    q: web::Query<NextQuery>,
    me: MaybeUser,
) -> Result<HttpResponse, AppError> {
    if me.0.is_some() {
        return Ok(redirect(if is_local_path(&q.next) {
            &q.next
        } else {
            "/me"
        }));
    }
    let notice = match q.notice.as_str() {
        "logged_out_all" => Some("accounts.logout_all.done"),
        "password_changed" => Some("accounts.reset.done_body"),
        _ => None,
    };
    ctx.html(
        actix_web::http::StatusCode::OK,
        "pages/login",
        json!({"form": {"email": "", "next": q.next, "next_q": next_query(&q.next)},
               "error": null, "notice_key": notice}),
    )
}

/// What a login attempt came to.
enum LoginOutcome {
    Ok { user_id: i64, version: i32 },
    Wrong,
    Unverified,
    Blocked(i64),
}

/// Check credentials with rate limits; shared by the login form and the API token endpoint.
async fn authenticate(ctx: &Ctx, email: &str, pw: &str) -> Result<LoginOutcome, AppError> {
    let (lang, ip) = (ctx.lang, client_ip(&ctx.req));
    let email = users::normalize_email(email).unwrap_or_else(|| email.trim().to_lowercase());
    let keys = LoginKeys {
        acct: format!("login:acct:{email}"),
        pair: format!("login:pair:{email}|{ip}"),
        ip: format!("login:ip:{ip}"),
    };
    // Every attempt is counted BEFORE its password is looked at, each count atomic: twenty
    // attempts at once get counts 1..=20 and only those within the limit are checked. A right
    // password then takes its count back. The (account, address) pair is limited tightly; the
    // address alone generously (an office behind one NAT); the account alone is never locked,
    // only slowed down, so its owner elsewhere still gets in.
    let counted = keys.clone();
    let gate = ctx.db.run(move |conn| login_gate(conn, &counted)).await?;
    let earlier_failures = match gate {
        Gate::Open { earlier_failures } => earlier_failures,
        Gate::Blocked { minutes } => return Ok(LoginOutcome::Blocked(minutes)),
    };
    let delay = ratelimit::login_delay(earlier_failures);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let attempt = LoginAttempt {
        email,
        password: pw.to_string(),
        keys,
        templates: ctx.mail_templates.clone(),
        lang,
        verify_base: link(&ctx.config, "/verify/"),
    };
    ctx.db.run(move |conn| check_login(conn, &attempt)).await
}

/// The rate-limit keys of a login attempt: the account, the (account, address) pair, the address.
#[derive(Clone)]
struct LoginKeys {
    acct: String,
    pair: String,
    ip: String,
}

/// Whether an attempt may have its password checked.
enum Gate {
    /// Yes, after this many earlier failures of the account (they slow it down).
    Open { earlier_failures: i32 },
    /// No: the pair or the address is over its limit for this many minutes.
    Blocked { minutes: i64 },
}

/// Count the attempt against its pair, address and account (in that order).
fn login_gate(conn: &mut DbConnection, keys: &LoginKeys) -> Result<Gate, AppError> {
    let pair = ratelimit::count(conn, &keys.pair, ratelimit::LOGIN_PAIR)?;
    if pair.over(ratelimit::LOGIN_PAIR) {
        return Ok(Gate::Blocked {
            minutes: ratelimit::minutes(pair.wait),
        });
    }
    let addr = ratelimit::count(conn, &keys.ip, ratelimit::LOGIN_IP)?;
    if addr.over(ratelimit::LOGIN_IP) {
        return Ok(Gate::Blocked {
            minutes: ratelimit::minutes(addr.wait),
        });
    }
    let acct = ratelimit::count(conn, &keys.acct, ratelimit::LOGIN_ACCOUNT)?;
    Ok(Gate::Open {
        earlier_failures: acct.count - 1,
    })
}

/// A login attempt past the gate: the credentials, its keys, and what a verification mail needs.
struct LoginAttempt {
    email: String,
    password: String,
    keys: LoginKeys,
    templates: web::Data<MailTemplates>,
    lang: Lang,
    verify_base: String,
}

/// Check the password (as long for an unknown address); a right one takes its counts back, and
/// an unverified account gets a new verification link (at most every 10 minutes).
fn check_login(conn: &mut DbConnection, a: &LoginAttempt) -> Result<LoginOutcome, AppError> {
    let user = users::find_by_email(conn, &a.email)?;
    let good = match &user {
        Some(u) if !u.disabled => u
            .password_hash
            .as_deref()
            .is_some_and(|h| password::verify(&a.password, h)),
        _ => {
            password::verify(&a.password, password::dummy_hash());
            false
        }
    };
    let user = match (good, user) {
        (true, Some(u)) => u,
        // a failure: it was counted above
        _ => return Ok(LoginOutcome::Wrong),
    };
    // the person at this address knows the password: their pair starts afresh; this
    // attempt was no failure of the account or the address
    ratelimit::clear(conn, &a.keys.pair)?;
    ratelimit::refund(conn, &a.keys.acct)?;
    ratelimit::refund(conn, &a.keys.ip)?;
    if user.email_verified_at.is_none() {
        // earlier links stay valid (mail can be slow); send a new one at most every 10 minutes
        if tokens::recently_issued(
            conn,
            user.id,
            Purpose::Verify,
            chrono::Duration::minutes(10),
        )? {
            return Ok(LoginOutcome::Unverified);
        }
        crate::db::transaction(conn, |conn| {
            let token = tokens::issue(conn, user.id, Purpose::Verify)?;
            send_mail(
                conn,
                &a.templates,
                "verify",
                a.lang,
                &user.email,
                json!({"name": user.name, "link": format!("{}{token}", a.verify_base)}),
            )
        })?;
        return Ok(LoginOutcome::Unverified);
    }
    Ok(LoginOutcome::Ok {
        user_id: user.id,
        version: user.session_version,
    })
}

async fn login(ctx: Ctx, form: CsrfForm<LoginForm>) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let outcome = authenticate(&ctx, &f.email, &f.password).await?;
    let error = match outcome {
        LoginOutcome::Ok { user_id, version } => {
            let (token, _) = open_session(&ctx, user_id, version, false).await?;
            let next = if is_local_path(&f.next) {
                f.next.as_str()
            } else {
                "/me"
            };
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next.to_string()))
                .cookie(session_cookie(token, ctx.https))
                .finish());
        }
        LoginOutcome::Blocked(minutes) => return Err(AppError::TooManyRequests(minutes)),
        LoginOutcome::Wrong => "accounts.login.wrong",
        LoginOutcome::Unverified => {
            ctx.mailer.wake();
            "accounts.login.unverified"
        }
    };
    ctx.html(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "pages/login",
        json!({"form": {"email": f.email, "next": f.next, "next_q": next_query(&f.next)},
               "error": error, "notice_key": null}),
    )
}

/// What a logout clears in the browser: offline copies of course pages and queued state belong
/// to the person leaving (the page script clears them too, where `Clear-Site-Data` is unknown).
pub const CLEAR_SITE_DATA: (&str, &str) = ("Clear-Site-Data", "\"cache\", \"storage\"");

async fn logout(ctx: Ctx, _form: CsrfForm<NoFields>) -> Result<HttpResponse, AppError> {
    // the session ends now, not when the cookie would have expired: a copy of the token is
    // worthless from here on
    if let Some(s) = session_of(&ctx.req) {
        let user_id = s.user.id;
        ctx.db
            .run(move |conn| Ok::<_, AppError>(sessions::end(conn, user_id, &s.id)?))
            .await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .insert_header(CLEAR_SITE_DATA)
        .cookie(removal_cookie())
        .finish())
}

async fn logout_all(
    me: CurrentUser,
    ctx: Ctx,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = me.id;
    ctx.db
        .run(move |conn| {
            users::bump_session(conn, id)?;
            Ok::<_, AppError>(sessions::end_others(conn, id, None)?)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login?notice=logged_out_all"))
        .insert_header(CLEAR_SITE_DATA)
        .cookie(removal_cookie())
        .finish())
}

// ---------- password reset ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetRequestForm {
    email: String,
}

async fn reset_request_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.html(
        actix_web::http::StatusCode::OK,
        "pages/reset_request",
        json!({"form": {"email": ""}, "error": null}),
    )
}

async fn reset_request(
    ctx: Ctx,
    form: CsrfForm<ResetRequestForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let Some(email) = users::normalize_email(&form.0.email) else {
        return ctx.html(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "pages/reset_request",
            json!({"form": {"email": form.0.email}, "error": "accounts.email_invalid"}),
        );
    };
    let ip = client_ip(&ctx.req);
    let reset_base = link(&ctx.config, "/password/reset/");
    let hours = Purpose::Reset.lifetime().num_hours();
    let templates = ctx.mail_templates.clone();
    let blocked = ctx.db
        .run(move |conn| {
            let acct_key = format!("reset:acct:{email}");
            let ip_key = format!("reset:ip:{ip}");
            let limits: [(&String, Limit); 2] = [(&acct_key, ratelimit::RESET_ACCOUNT), (&ip_key, ratelimit::RESET_IP)];
            // counted first, atomically: parallel requests cannot slip past the limit
            for (key, limit) in limits {
                let c = ratelimit::count(conn, key, limit)?;
                if c.over(limit) {
                    return Ok(Some(ratelimit::minutes(c.wait)));
                }
            }
            if let Some(user) = users::find_by_email(conn, &email)?.filter(|u| !u.disabled) {
                crate::db::transaction(conn, |conn| {
                    tokens::revoke_all(conn, user.id, Purpose::Reset)?;
                    let token = tokens::issue(conn, user.id, Purpose::Reset)?;
                    send_mail(conn, &templates, "reset", lang, &user.email,
                        json!({"name": user.name, "link": format!("{reset_base}{token}"), "hours": hours}))
                })?;
            }
            Ok::<_, AppError>(None)
        })
        .await?;
    if let Some(minutes) = blocked {
        return Err(AppError::TooManyRequests(minutes));
    }
    ctx.mailer.wake();
    // the same answer whether or not the address has an account
    notice(
        &ctx,
        "accounts.reset.sent_title",
        "accounts.reset.sent_body",
        Some(("/login", "accounts.login.title")),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPasswordForm {
    password: String,
    password_confirm: String,
    name: String,
}

async fn reset_form(ctx: Ctx, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let data = json!({"action": format!("/password/reset/{token}"), "errors": {}, "invite": false, "form": {}});
    token_page(
        &ctx,
        token,
        Purpose::Reset,
        ("pages/reset", data),
        ("/password/reset", "accounts.reset.again"),
    )
    .await
}

/// The page for a single-use token that is still valid, or why it cannot be used (with a link
/// to get a new one).
async fn token_page(
    ctx: &Ctx,
    token: String,
    purpose: Purpose,
    (page, data): (&str, Value),
    (again_href, again_key): (&str, &str),
) -> Result<HttpResponse, AppError> {
    match ctx
        .db
        .run(move |conn| tokens::peek(conn, &token, purpose))
        .await
    {
        Ok(_) => ctx.html(actix_web::http::StatusCode::OK, page, data),
        Err(e) => token_refused(ctx, e.refusal()?, again_href, again_key),
    }
}

async fn reset(
    ctx: Ctx,
    path: web::Path<String>,
    form: CsrfForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    set_password_with_token(&ctx, path.into_inner(), form.0, Purpose::Reset).await
}

async fn invite_form(ctx: Ctx, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let t2 = token.clone();
    let found = ctx
        .db
        .run(move |conn| {
            let id = tokens::peek(conn, &t2, Purpose::Invite)?;
            Ok::<_, TokenError>(users::find(conn, id)?)
        })
        .await;
    match found {
        Ok(Some(user)) => ctx.html(actix_web::http::StatusCode::OK, "pages/reset", json!({"action": format!("/invite/{token}"), "errors": {}, "invite": true, "form": {"name": user.name, "email": user.email}})),
        Ok(None) => Err(AppError::NotFound),
        Err(e) => token_refused(&ctx, e.refusal()?, "/password/reset", "accounts.reset.again"),
    }
}

async fn accept_invite(
    ctx: Ctx,
    path: web::Path<String>,
    form: CsrfForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let resp = set_password_with_token(&ctx, path.into_inner(), form.0, Purpose::Invite).await?;
    // an accepted invitation logs the new person in
    let Some(user_id) = resp.extensions().get::<Activated>().map(|a| a.0) else {
        return Ok(resp);
    };
    let version = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(users::find(conn, user_id)?.map(|u| u.session_version)))
        .await?
        .ok_or(AppError::NotFound)?;
    let (token, _) = open_session(&ctx, user_id, version, false).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/me/account?notice=activated"))
        .cookie(session_cookie(token, ctx.https))
        .finish())
}

/// Marks a response of a successful invitation with the person's id.
struct Activated(i64);

async fn set_password_with_token(
    ctx: &Ctx,
    token: String,
    f: NewPasswordForm,
    purpose: Purpose,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let t2 = token.clone();
    let user = ctx
        .db
        .run(move |conn| {
            let id = tokens::peek(conn, &t2, purpose)?;
            Ok::<_, TokenError>(users::find(conn, id)?)
        })
        .await;
    let user = match user {
        Ok(Some(u)) => u,
        Ok(None) => return Err(AppError::NotFound),
        Err(e) => {
            return token_refused(ctx, e.refusal()?, "/password/reset", "accounts.reset.again")
        }
    };
    let mut errors = FieldErrors::new();
    check_password(
        &mut errors,
        &ctx.views,
        lang,
        &f.password,
        &f.password_confirm,
        &user.email,
    );
    let invite = purpose == Purpose::Invite;
    if !errors.is_empty() {
        let action = if invite {
            format!("/invite/{token}")
        } else {
            format!("/password/reset/{token}")
        };
        return ctx.html(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "pages/reset", json!({"action": action, "errors": errors, "invite": invite, "form": {"name": user.name, "email": user.email}}));
    }
    let pw = f.password;
    let result = ctx
        .db
        .run(move |conn| {
            let hash = password::hash(&pw).map_err(AppError::Internal)?;
            Ok::<_, AppError>(crate::db::transaction(conn, |conn| {
                let id = tokens::consume(conn, &token, purpose)?;
                // every session of the account ends (the version moves on; the rows too)
                users::set_password(conn, id, &hash)?;
                sessions::end_others(conn, id, None)?;
                users::mark_verified(conn, id)?;
                Ok::<_, TokenError>(id)
            }))
        })
        .await?;
    match result {
        Ok(id) if invite => {
            let mut resp = redirect("/me/account?notice=activated");
            resp.extensions_mut().insert(Activated(id));
            Ok(resp)
        }
        Ok(_) => Ok(redirect("/login?notice=password_changed")),
        Err(e) => token_refused(ctx, e.refusal()?, "/password/reset", "accounts.reset.again"),
    }
}

// ---------- the account page ----------

/// The placement as the person sees it (read-only): names of their agency, unit, position and
/// supervisor; and what a change request may name.
struct PlacementView {
    current: CurrentPlacement,
    choices: orgs::Choices,
    pending: Option<PendingRequest>,
}

async fn placement_view(
    db: &Db,
    me: &CurrentUser,
    chosen_agency: Option<i64>,
    lang: Lang,
) -> Result<PlacementView, AppError> {
    let user = me.0.clone();
    db.run(move |conn| {
        let shown = chosen_agency.or(user.agency_id);
        let choices = orgs::choices(conn, shown)?;
        let agency = match user.agency_id {
            Some(a) => orgs::agency(conn, a)?.map(|a| a.name),
            None => None,
        };
        let (unit, position) = match user.agency_id {
            Some(a) => (
                orgs::unit_tree(&orgs::units(conn, a)?)
                    .into_iter()
                    .find(|u| Some(u.id) == user.unit_id)
                    .map(|u| u.label),
                orgs::positions(conn, a)?
                    .into_iter()
                    .find(|p| Some(p.id) == user.position_id)
                    .map(|p| p.name),
            ),
            None => (None, None),
        };
        let supervisor = match user.supervisor_id {
            Some(id) => users::find(conn, id)?.map(|u| u.name),
            None => None,
        };
        let pending = match super::placement::pending_of(conn, user.id)? {
            Some(r) => {
                let name = orgs::agency(conn, r.agency_id)?.map(|a| a.name);
                Some(PendingRequest {
                    agency: name,
                    date: crate::text::date(r.created_at.date(), lang),
                })
            }
            None => None,
        };
        Ok::<_, AppError>(PlacementView {
            current: CurrentPlacement {
                agency,
                unit,
                position,
                supervisor,
            },
            choices,
            pending,
        })
    })
    .await
}

async fn account_page(
    ctx: &Ctx,
    me: &CurrentUser,
    form: Option<Value>,
    errors: FieldErrors,
    notice: Option<&str>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let chosen = web::Query::<AgencyChoice>::from_query(ctx.req.query_string())
        .ok()
        .and_then(|q| parse_id(&q.agency));
    let p = placement_view(&ctx.db, me, chosen, lang).await?;
    let form =
        form.unwrap_or_else(|| json!({"name": me.name, "nip": me.nip.clone().unwrap_or_default()}));
    let request_agency = chosen.or(me.agency_id);
    let sessions = session_list(ctx, me).await?;
    let page = AccountPage {
        sessions,
        user: me.view(),
        form,
        errors,
        notice_key: notice,
        placement: p.current,
        pending: p.pending,
        request: PlacementRequest {
            agency_id: request_agency,
        },
        agencies: p.choices.agencies,
        units: p.choices.units,
        positions: p.choices.positions,
    };
    ctx.html(status, "pages/account", page_data(&page)?)
}

/// The account page again, with what was wrong next to the fields (422).
async fn account_refused(
    ctx: &Ctx,
    me: &CurrentUser,
    echo: Option<Value>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    account_page(ctx, me, echo, errors, None, status).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AgencyChoice {
    agency: String,
}

async fn account(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.notice.as_str() {
        "saved" => Some("accounts.account.saved"),
        "password" => Some("accounts.account.password_changed"),
        "activated" => Some("accounts.account.activated"),
        "placement" => Some("accounts.placement.sent"),
        "session_ended" => Some("accounts.sessions.ended"),
        _ => None,
    };
    account_page(
        &ctx,
        &me,
        None,
        FieldErrors::new(),
        notice,
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// The live sessions of the account page's owner (partials/sessions.hbs).
async fn session_list(ctx: &Ctx, me: &CurrentUser) -> Result<Vec<sessions::Listed>, AppError> {
    let user = me.0.clone();
    let this = session_of(&ctx.req).map(|s| s.id);
    ctx.db
        .run(move |conn| Ok::<_, AppError>(sessions::active(conn, &user, this.as_deref())?))
        .await
}

/// `POST /me/sessions/{id}/end`: end one of one's sessions (another device, or this one).
async fn end_session(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let sid = path.into_inner();
    let this = session_of(&ctx.req).map(|s| s.id);
    let user_id = me.id;
    let target = sid.clone();
    let ended = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(sessions::end(conn, user_id, &target)?))
        .await?;
    if !ended {
        // not a live session of this person (ended already, or someone else's)
        return Err(AppError::NotFound);
    }
    if this.as_deref() == Some(sid.as_str()) {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/"))
            .insert_header(CLEAR_SITE_DATA)
            .cookie(removal_cookie())
            .finish());
    }
    Ok(redirect("/me/account?notice=session_ended"))
}

/// What a person changes about themselves: name and NIP. Where they work is set by an admin
/// (see [`request_placement`]).
#[derive(Deserialize, Default)]
#[serde(default)]
struct AccountForm {
    name: String,
    nip: String,
}

fn parse_id(s: &str) -> Option<i64> {
    s.trim().parse().ok().filter(|n: &i64| *n > 0)
}

async fn update_account(
    ctx: Ctx,
    me: CurrentUser,
    form: CsrfForm<AccountForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let lang = ctx.lang;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, &ctx.views, lang, &f.name);
    let nip = match parse_nip(&f.nip, lang) {
        Ok(n) => n,
        Err(m) => {
            errors.insert("nip", m);
            None
        }
    };
    let user_id = me.id;
    if let Some(n) = nip.clone() {
        let taken = ctx
            .db
            .run(move |conn| Ok::<_, AppError>(users::nip_taken(conn, &n, Some(user_id))?))
            .await?;
        if taken {
            errors.insert("nip", ctx.views.text(lang, "accounts.register.nip_taken"));
        }
    }
    if !errors.is_empty() {
        let echo = json!({"name": f.name, "nip": f.nip});
        return account_refused(&ctx, &me, Some(echo), errors).await;
    }
    let language = me.language.clone();
    ctx.db
        .run(move |conn| {
            Ok::<_, AppError>(users::update_own(
                conn,
                user_id,
                &name,
                nip.as_deref(),
                language.as_deref(),
            )?)
        })
        .await?;
    Ok(redirect("/me/account?notice=saved"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlacementRequestForm {
    agency_id: String,
    unit_id: String,
    position_id: String,
    supervisor_email: String,
    note: String,
}

/// A person asks the admin of an agency to place them (or move them) there.
async fn request_placement(
    ctx: Ctx,
    me: CurrentUser,
    form: CsrfForm<PlacementRequestForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let lang = ctx.lang;
    let Some(agency_id) = parse_id(&f.agency_id) else {
        let mut errors = FieldErrors::new();
        errors.insert(
            "agency_id",
            ctx.views.text(lang, "accounts.placement.agency_required"),
        );
        return account_refused(&ctx, &me, None, errors).await;
    };
    let asked = super::placement::Asked {
        agency_id,
        unit_id: parse_id(&f.unit_id),
        position_id: parse_id(&f.position_id),
        supervisor_email: Some(f.supervisor_email.trim().to_lowercase()).filter(|e| !e.is_empty()),
        note: crate::text::one_line(f.note.trim())
            .chars()
            .take(500)
            .collect(),
    };
    let user = me.0.clone();
    let outcome = ctx
        .db
        .run(move |conn| super::placement::request(conn, &user, &asked))
        .await;
    match outcome {
        Ok(_) => Ok(redirect("/me/account?notice=placement")),
        Err(e) => {
            let r = e.refusal()?;
            let mut errors = FieldErrors::new();
            let field = match r {
                super::placement::Refusal::UnitUnknown => "unit_id",
                super::placement::Refusal::PositionUnknown => "position_id",
                _ => "agency_id",
            };
            errors.insert(field, ctx.views.text(lang, r.key()));
            account_refused(&ctx, &me, None, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangePasswordForm {
    current: String,
    password: String,
    password_confirm: String,
}

async fn change_password(
    ctx: Ctx,
    me: CurrentUser,
    form: CsrfForm<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let lang = ctx.lang;
    let mut errors = FieldErrors::new();
    // every try counts first (atomically, so parallel guesses count too); a right one clears it
    let key = format!("password-change:{}", me.id);
    let k = key.clone();
    let tried = ctx
        .db
        .run(move |conn| ratelimit::count(conn, &k, ratelimit::PASSWORD_CHANGE))
        .await?;
    if tried.over(ratelimit::PASSWORD_CHANGE) {
        return Err(AppError::TooManyRequests(ratelimit::minutes(tried.wait)));
    }
    let current_ok = me
        .password_hash
        .as_deref()
        .is_some_and(|h| password::verify(&f.current, h));
    if current_ok {
        ctx.db.run(move |conn| ratelimit::clear(conn, &key)).await?;
    } else {
        errors.insert(
            "current",
            ctx.views.text(lang, "accounts.account.current_wrong"),
        );
    }
    check_password(
        &mut errors,
        &ctx.views,
        lang,
        &f.password,
        &f.password_confirm,
        &me.email,
    );
    if !errors.is_empty() {
        return account_refused(&ctx, &me, None, errors).await;
    }
    let id = me.id;
    let this = session_of(&ctx.req).map(|s| s.id);
    ctx.db
        .run(move |conn| {
            let hash = password::hash(&f.password).map_err(AppError::Internal)?;
            crate::db::transaction(conn, |conn| {
                // every other session ends; this device stays logged in at the new version
                let version = users::set_password(conn, id, &hash)?;
                sessions::end_others(conn, id, this.as_deref())?;
                if let Some(sid) = &this {
                    sessions::keep(conn, sid, version)?;
                }
                Ok::<_, AppError>(())
            })
        })
        .await?;
    Ok(redirect("/me/account?notice=password"))
}

// ---------- API ----------

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct TokenRequest {
    email: String,
    password: String,
}

/// A bearer token issued by [`api_token`].
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TokenResponse {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// When the token expires, in seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Log in with email and password; returns a bearer token for the other endpoints.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "accounts",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 400, description = "A malformed body", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The email address is not verified yet", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn api_token(
    ctx: Ctx,
    body: crate::web::json_body::JsonBody<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    match authenticate(&ctx, &body.email, &body.password).await? {
        LoginOutcome::Ok { user_id, version } => {
            // an API token is a session too (listed on the account page, ended like any other)
            let (token, exp) = open_session(&ctx, user_id, version, true).await?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(TokenResponse {
                    token,
                    token_type: "Bearer",
                    expires_at: exp,
                }))
        }
        LoginOutcome::Blocked(m) => Err(AppError::TooManyRequests(m)),
        LoginOutcome::Wrong => Err(AppError::Unauthorized),
        LoginOutcome::Unverified => {
            ctx.mailer.wake();
            Err(AppError::Forbidden)
        }
    }
}

/// The caller's account.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    responses(
        (status = 200, description = "The account", body = super::users::UserView),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn api_me(me: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(me.view())
}

// ---------- page contexts ----------

/// `pages/account`: the person's account, sessions and placement.
#[derive(Serialize)]
struct AccountPage<'a> {
    sessions: Vec<sessions::Listed>,
    user: users::UserView,
    /// The profile form's values (`name`, `nip`): as sent back, or the account's.
    form: Value,
    errors: FieldErrors,
    notice_key: Option<&'a str>,
    placement: CurrentPlacement,
    pending: Option<PendingRequest>,
    request: PlacementRequest,
    agencies: Vec<orgs::Agency>,
    units: Vec<orgs::UnitChoice>,
    positions: Vec<orgs::Position>,
}

/// Where the person is placed, by name.
#[derive(Serialize)]
struct CurrentPlacement {
    agency: Option<String>,
    unit: Option<String>,
    position: Option<String>,
    supervisor: Option<String>,
}

/// A placement request waiting for the agency's admins.
#[derive(Serialize)]
struct PendingRequest {
    agency: Option<String>,
    date: String,
}

/// The agency the placement request form starts at.
#[derive(Serialize)]
struct PlacementRequest {
    agency_id: Option<i64>,
}
