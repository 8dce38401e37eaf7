//! Certificate pages and API: public verification (`/v/{code}`, `/api/v1/certificates/…`), the
//! JWKS, the holder's certificates (printable page, PDF, Open Badges export), admin revocation.
//! Recertification (taking the course again) is `crate::learning::renewal_routes`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::credential::{self, Refusal};
use super::model::{Certificate, Status};
use super::store::{self, RevokeError, RevokeRefused, Stored};
use super::view::{day, now};
use super::{badge, code, keys, pdf, qr, Issuer};
use crate::accounts::ratelimit;
use crate::accounts::users::User;
use crate::db::{audit, Db};
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::client::client_ip;
use crate::web::csrf::CsrfForm;
use crate::web::policy::AdminOf;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::Lang;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/jwks.json", web::get().to(jwks))
        .route("/v", web::get().to(verify_form))
        .route("/v/{code}", web::get().to(verify_page))
        .route("/me/certificates", web::get().to(my_certificates))
        .route("/me/certificates/{code}", web::get().to(certificate_page))
        .route(
            "/me/certificates/{code}/pdf",
            web::get().to(certificate_pdf),
        )
        .route(
            "/me/certificates/{code}/qr.svg",
            web::get().to(certificate_qr),
        )
        .route(
            "/me/certificates/{code}/badge.jwt",
            web::get().to(badge_jwt),
        )
        .route(
            "/me/certificates/{code}/badge.json",
            web::get().to(badge_json),
        )
        .route("/admin/certificates", web::get().to(admin_list))
        .route("/admin/certificates/{code}", web::get().to(admin_detail))
        .route(
            "/admin/certificates/{code}/revoke",
            web::post().to(admin_revoke),
        )
        .route("/api/v1/certificates/verify", web::post().to(verify_api))
        .route("/api/v1/certificates/{code}", web::get().to(lookup_api))
        .route(
            "/api/v1/certificates/{code}/revoke",
            web::post().to(revoke_api),
        )
        .route(
            "/api/v1/me/certificates",
            web::get().to(my_certificates_api),
        );
}

/// What a page shows of a certificate. `full_nip` only for the holder and admins.
fn view<'a>(
    c: &'a Certificate,
    issuer: &Issuer,
    lang: Lang,
    full_nip: bool,
) -> CertificateView<'a> {
    let status = c.status_at(now());
    CertificateView {
        code: &c.code,
        code_grouped: group(&c.code),
        number: &c.number,
        holder_name: &c.holder_name,
        nip: if full_nip {
            c.holder_nip.clone()
        } else {
            c.nip_masked()
        },
        agency: c.agency.as_deref(),
        course_slug: &c.course_slug,
        course_title: &c.course_title,
        course_version: &c.course_version,
        jp: c.jp,
        competencies: &c.competencies,
        completed: day(c, c.completed_at, lang),
        issued: day(c, c.issued_at, lang),
        expires: c.expires_at.map(|e| day(c, e, lang)),
        issuer: &c.issuer,
        signatory_name: c.signatory_name.as_deref(),
        signatory_title: c.signatory_title.as_deref(),
        partner: c.partner.as_ref(),
        status: status.as_str(),
        valid: status == Status::Valid,
        revoked: status == Status::Revoked,
        expired: status == Status::Expired,
        revoked_on: c.revoked_at.map(|r| day(c, r, lang)),
        revoked_reason: c.revoked_reason.as_deref(),
        verify_url: c.verify_url(&issuer.base_url),
        api_path: format!("/api/v1/certificates/{}", c.code),
        kid: &c.kid,
    }
}

/// `k7m2-q9x4-…` for reading aloud.
fn group(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

// ---------- JWKS ----------

async fn jwks(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let keys = ctx.db.run(store::public_keys).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(keys::jwks(&keys)))
}

// ---------- public lookup ----------

/// Look a code up for someone at `ip`, counting it against the rate limits.
async fn lookup(ctx: &Ctx, raw: String) -> Result<Option<Stored>, AppError> {
    Ok(match lookup_any(ctx, raw).await? {
        Some(Found::Certificate(s)) => Some(*s),
        _ => None,
    })
}

/// What a verification code names: a certificate or a letter of recognition.
enum Found {
    Certificate(Box<Stored>),
    Letter(Box<super::letters::Letter>),
}

async fn lookup_any(ctx: &Ctx, raw: String) -> Result<Option<Found>, AppError> {
    let ip = client_ip(&ctx.req);
    if let Some(wait) = ctx.lookups.counter.hit(&ip, now()) {
        return Err(AppError::TooManyRequests(ratelimit::minutes(wait)));
    }
    let miss_key = format!("cert-miss:{ip}");
    let key = miss_key.clone();
    let misses = ctx.lookups.misses;
    // a read (inline on SQLite); only a miss is written down
    let found = ctx
        .db
        .read(move |conn| {
            if let Some(wait) = ratelimit::blocked(conn, &key, misses)? {
                return Err(AppError::TooManyRequests(ratelimit::minutes(wait)));
            }
            Ok(match code::normalize(&raw) {
                Some(c) => match store::by_code(conn, &c)? {
                    Some(s) => Some(Found::Certificate(Box::new(s))),
                    None => super::letters::by_code(conn, &c)?.map(|l| Found::Letter(Box::new(l))),
                },
                None => None,
            })
        })
        .await?;
    if found.is_none() {
        ctx.db
            .run(move |conn| ratelimit::hit(conn, &miss_key, misses))
            .await?;
    }
    Ok(found)
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// `/v?code=…`: the form on the verification page sends here; go to the code's page.
async fn verify_form(ctx: Ctx, q: web::Query<CodeQuery>) -> Result<HttpResponse, AppError> {
    let typed = q.code.trim();
    if typed.is_empty() {
        return ctx.page("pages/certificate_verify", json!({ "ask": true }));
    }
    // Accept a pasted verification link as well as a bare code.
    let last = typed.rsplit('/').next().unwrap_or(typed);
    let target = code::normalize(last).unwrap_or_else(|| {
        url::form_urlencoded::byte_serialize(last.as_bytes()).collect::<String>()
    });
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/v/{target}")))
        .finish())
}

async fn verify_page(ctx: Ctx, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let raw = path.into_inner();
    let found = lookup_any(&ctx, raw.clone()).await?;
    let body = match &found {
        Some(Found::Letter(l)) => ctx.render(
            "pages/letter_verify",
            super::view::letter_verify_context(l, &ctx.issuer, lang),
        )?,
        Some(Found::Certificate(s)) => {
            let c = &s.certificate;
            let renewed = if c.status_at(now()) == Status::Expired {
                let (user, course, id) = (c.user_id, c.course_id, c.id);
                ctx.db
                    .read(move |conn| store::latest_for_course(conn, user, course))
                    .await?
                    .filter(|n| n.id != id)
                    .map(|n| n.code)
            } else {
                None
            };
            let page = VerifyPage {
                found: true,
                c: VerifiedCertificate {
                    c: view(c, &ctx.issuer, lang, false),
                    renewed_code: renewed,
                },
                page_title: &c.number,
            };
            ctx.render("pages/certificate_verify", page_data(&page)?)?
        }
        None => ctx.render(
            "pages/certificate_verify",
            json!({ "found": false, "typed": raw.chars().take(64).collect::<String>() }),
        )?,
    };
    let mut res = if found.is_some() {
        HttpResponse::Ok()
    } else {
        HttpResponse::NotFound()
    };
    Ok(res
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(body))
}

/// The public view of a certificate, for APIs: what the certificate shows, its status and its
/// signed credential.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicCertificate {
    /// `valid`, `revoked` or `expired`.
    pub status: Status,
    pub number: String,
    pub code: String,
    pub verify_url: String,
    pub holder_name: String,
    /// Partly masked.
    pub holder_nip: Option<String>,
    pub agency: Option<String>,
    pub course_slug: String,
    pub course_title: String,
    pub course_version: String,
    pub jp: i32,
    pub competencies: Vec<super::CompetencyLevel>,
    /// `YYYY-MM-DD`
    pub completed_on: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub issuer: String,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    /// The partner institution that co-issued it (the course's provider), with its signatory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<PublicPartner>,
    pub revoked_on: Option<String>,
    pub revoked_reason: Option<String>,
    /// Key id of the signing key (see `/.well-known/jwks.json`).
    pub kid: String,
    /// The signed credential (EdDSA JWT).
    pub jwt: String,
    pub jwks_url: String,
}

/// A co-issuing partner institution, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicPartner {
    pub name: String,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
}

fn public(c: &Certificate, issuer: &Issuer) -> PublicCertificate {
    let ymd = |t: NaiveDateTime| c.zone.date_of(t).format("%Y-%m-%d").to_string();
    PublicCertificate {
        status: c.status_at(now()),
        number: c.number.clone(),
        code: c.code.clone(),
        verify_url: c.verify_url(&issuer.base_url),
        holder_name: c.holder_name.clone(),
        holder_nip: c.nip_masked(),
        agency: c.agency.clone(),
        course_slug: c.course_slug.clone(),
        course_title: c.course_title.clone(),
        course_version: c.course_version.clone(),
        jp: c.jp,
        competencies: c.competencies.clone(),
        completed_on: ymd(c.completed_at),
        issued_on: ymd(c.issued_at),
        expires_on: c.expires_at.map(ymd),
        issuer: c.issuer.clone(),
        signatory_name: c.signatory_name.clone(),
        signatory_title: c.signatory_title.clone(),
        partner: c.partner.as_ref().map(|p| PublicPartner {
            name: p.name.clone(),
            signatory_name: p.signatory_name.clone(),
            signatory_title: p.signatory_title.clone(),
        }),
        revoked_on: c.revoked_at.map(ymd),
        revoked_reason: c.revoked_reason.clone(),
        kid: c.kid.clone(),
        jwt: c.jwt.clone(),
        jwks_url: format!("{}/.well-known/jwks.json", issuer.base_url),
    }
}

/// Look a certificate up by its verification code (public; rate-limited per address).
#[utoipa::path(
    get,
    path = "/api/v1/certificates/{code}",
    tag = "certificates",
    params(("code" = String, Path, description = "The verification code printed on the certificate")),
    responses(
        (status = 200, description = "The certificate and its status (valid, revoked or expired)", body = PublicCertificate),
        (status = 404, description = "No certificate has this code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this address", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn lookup_api(
    ctx: Ctx,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let found = lookup(&ctx, path.into_inner()).await?;
    match found {
        Some(s) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(public(&s.certificate, &ctx.issuer))),
        None => Err(AppError::NotFound),
    }
}

/// What to verify: a signed credential (`jwt`) or a verification code (`code`); one of the two.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct VerifyBody {
    /// A certificate credential (the JWT from a certificate's JSON or a holder's download) or a
    /// letter of recognition's signed JWT (the holder's `letter.jwt` download).
    #[serde(default)]
    jwt: Option<String>,
    /// A verification code (20 letters and digits, as printed under the QR code) of a certificate
    /// or a letter of recognition: its signed credential on record is verified.
    #[serde(default)]
    code: Option<String>,
}

/// `VerifyBody` as the document states it: what derive cannot say — one of `jwt` and `code` is
/// there and not blank (the server takes `jwt` when both are).
pub(crate) fn verify_body_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;
    let given = |field: &str| {
        ObjectBuilder::new()
            .property(
                field,
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(crate::text::API_NOT_BLANK)),
            )
            .required(field)
    };
    let RefOr::T(fields) = <VerifyBody as utoipa::PartialSchema>::schema() else {
        unreachable!("a derived struct schema is inline")
    };
    Schema::AllOf(
        AllOfBuilder::new()
            .item(fields)
            .item(AnyOfBuilder::new().item(given("jwt")).item(given("code")))
            .description(Some(
                "A `jwt` or a `code`, not blank; when both are sent the `jwt` is verified",
            ))
            .build(),
    )
}

/// The verdict on a presented credential.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Verdict {
    /// True only when the signature holds, it has not expired, and it is not revoked.
    pub valid: bool,
    /// `valid`, `revoked`, `expired`, `invalid` (bad signature, unknown key, malformed) or
    /// `not_found` (signed by us but not on record).
    pub status: String,
    /// Why it is not valid, in English.
    pub reason: Option<String>,
    /// `certificate` or `letter` (a letter of recognition), when it is known which one it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The certificate as we hold it, when the credential is genuine.
    pub certificate: Option<PublicCertificate>,
    /// The letter of recognition as we hold it, when a genuine letter was presented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub letter: Option<super::letters::PublicLetter>,
}

impl Verdict {
    fn refused(status: &str, reason: String) -> Verdict {
        Verdict {
            valid: false,
            status: status.into(),
            reason: Some(reason),
            kind: None,
            certificate: None,
            letter: None,
        }
    }
}

/// The verdict on a letter of recognition's JWT: signature, that it matches the letter on record,
/// and revocation (letters do not expire).
async fn verify_letter(
    ctx: &Ctx,
    jwt: &str,
    keys: &[keys::PublicKey],
) -> Result<Verdict, AppError> {
    let issuer: &Issuer = &ctx.issuer;
    use super::letters;
    let claims = match credential::verify_as::<letters::Claims>(jwt, keys) {
        Ok(c) => c,
        Err(r) => {
            let mut v = Verdict::refused("invalid", r.to_string());
            v.kind = Some("letter".into());
            return Ok(v);
        }
    };
    let found = match lookup_any(ctx, claims.jti.clone()).await? {
        Some(Found::Letter(l)) => *l,
        _ => {
            let mut v = Verdict::refused(
                "not_found",
                "the signature holds but no letter of recognition with this code is on record"
                    .into(),
            );
            v.kind = Some("letter".into());
            return Ok(v);
        }
    };
    // compared with the letter as signed and stored, not re-derived: a letter keeps verifying
    // after a later change of how its claims are derived (dates in the agency's zone)
    let same = match credential::stored_claims::<letters::Claims>(&found.jwt) {
        Some(stored) => stored.letter == claims.letter,
        None => letters::claims_of(&found, &issuer.base_url).letter == claims.letter,
    };
    let revoked = found.revoked_at.is_some();
    let (status, reason) = match (same, revoked) {
        (false, _) => (
            "invalid",
            Some("the credential does not match the letter on record".to_string()),
        ),
        (true, true) => (
            "revoked",
            Some(format!(
                "the letter was revoked: {}",
                found.revoked_reason.clone().unwrap_or_default()
            )),
        ),
        (true, false) => ("valid", None),
    };
    Ok(Verdict {
        valid: same && !revoked,
        status: status.into(),
        reason,
        kind: Some("letter".into()),
        certificate: None,
        letter: Some(super::letters::public(&found, &issuer.base_url)),
    })
}

/// Verify a presented certificate credential or letter of recognition: signature, dates and
/// revocation. Send `{"jwt": "…"}` (a certificate's credential or a letter's signed JWT) or
/// `{"code": "…"}` (a verification code: the credential on record is verified).
#[utoipa::path(
    post,
    path = "/api/v1/certificates/verify",
    tag = "certificates",
    request_body(content = VerifyBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The verdict (also when the credential is refused)", body = Verdict),
        (status = 400, description = "The body is not JSON with a `jwt` or a `code`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this address", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn verify_api(
    ctx: Ctx,
    body: crate::web::json_body::JsonBody<VerifyBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    // blank as the document's pattern reads it
    let nonempty = |s: Option<String>| s.filter(|s| !crate::text::api_trim(s).is_empty());
    let jwt = match (nonempty(body.jwt), nonempty(body.code)) {
        (Some(jwt), _) => jwt,
        (None, Some(code)) => match lookup_any(&ctx, code).await? {
            Some(Found::Certificate(s)) => s.certificate.jwt,
            Some(Found::Letter(l)) => l.jwt,
            None => {
                return Ok(HttpResponse::Ok()
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .json(Verdict::refused(
                        "not_found",
                        "no certificate or letter of recognition has this code".into(),
                    )))
            }
        },
        (None, None) => {
            return Err(AppError::BadRequest(
                "send `jwt` (a certificate's credential or a letter's signed JWT) or `code` (a verification code)"
                    .into(),
            ))
        }
    };
    let keys = ctx.db.run(store::public_keys).await?;
    if credential::is_letter(&jwt) {
        let verdict = verify_letter(&ctx, &jwt, &keys).await?;
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(verdict));
    }
    let verdict = match credential::verify(&jwt, &keys) {
        Err(Refusal::Expired) => expired_verdict(&ctx, &jwt).await?,
        Err(r) => Verdict {
            valid: false,
            status: "invalid".into(),
            reason: Some(r.to_string()),
            certificate: None,
            kind: None,
            letter: None,
        },
        Ok(claims) => signed_verdict(&ctx, claims).await?,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(verdict))
}

/// The verdict on an expired credential, which is still genuine: which certificate it is, and
/// whether it was revoked too (revoked wins over expired).
async fn expired_verdict(ctx: &Ctx, jwt: &str) -> Result<Verdict, AppError> {
    // Still genuine: say which certificate it is.
    let code = jsonwebtoken::dangerous::insecure_decode::<credential::Claims>(jwt.trim())
        .ok()
        .map(|d| d.claims.jti);
    let found = match code {
        Some(c) => lookup(ctx, c).await?,
        None => None,
    };
    // Revoked wins over expired: a revoked certificate stays revoked.
    Ok(match found {
        Some(s) if s.certificate.revoked_at.is_some() => Verdict {
            valid: false,
            status: Status::Revoked.as_str().into(),
            reason: Some(format!(
                "the certificate was revoked: {}",
                s.certificate.revoked_reason.clone().unwrap_or_default()
            )),
            certificate: Some(public(&s.certificate, &ctx.issuer)),
            kind: Some("certificate".into()),
            letter: None,
        },
        found => Verdict {
            valid: false,
            status: "expired".into(),
            reason: Some(Refusal::Expired.to_string()),
            certificate: found.map(|s| public(&s.certificate, &ctx.issuer)),
            kind: Some("certificate".into()),
            letter: None,
        },
    })
}

/// The verdict on a credential whose signature holds: whether it is the certificate on record
/// (compared with the credential as signed and stored) and what that certificate's status is.
async fn signed_verdict(ctx: &Ctx, claims: credential::Claims) -> Result<Verdict, AppError> {
    Ok(match lookup(ctx, claims.jti.clone()).await? {
        None => Verdict {
            valid: false,
            status: "not_found".into(),
            reason: Some(
                "the signature holds but no certificate with this code is on record".into(),
            ),
            certificate: None,
            kind: Some("certificate".into()),
            letter: None,
        },
        Some(s) => {
            let p = public(&s.certificate, &ctx.issuer);
            // compared with the credential as signed and stored, not re-derived
            let same = match credential::stored_claims::<credential::Claims>(&s.certificate.jwt) {
                Some(stored) => stored.cert == claims.cert,
                None => {
                    credential::claims_of(&s.certificate, &ctx.issuer.base_url).cert == claims.cert
                }
            };
            let status = p.status;
            Verdict {
                valid: status == Status::Valid && same,
                status: if same {
                    status.as_str().into()
                } else {
                    "invalid".into()
                },
                reason: match (status, same) {
                    (_, false) => {
                        Some("the credential does not match the certificate on record".into())
                    }
                    (Status::Revoked, _) => Some(format!(
                        "the certificate was revoked: {}",
                        s.certificate.revoked_reason.clone().unwrap_or_default()
                    )),
                    (Status::Expired, _) => Some(Refusal::Expired.to_string()),
                    (Status::Valid, _) => None,
                },
                certificate: Some(p),
                kind: Some("certificate".into()),
                letter: None,
            }
        }
    })
}

// ---------- the holder's certificates ----------

/// Whether `me` may see this certificate in full: its holder, a platform admin, or an admin of
/// the agency it was issued under.
fn may_see(me: &User, s: &Stored) -> bool {
    s.certificate.user_id == me.id
        || crate::accounts::rights::admin_scope(me).is_some_and(|a| a.covers(s.agency_id))
}

/// A certificate by code for someone allowed to see it in full (not rate-limited: logged in).
async fn owned(db: &Db, me: &User, raw: String) -> Result<Certificate, AppError> {
    let Some(code) = code::normalize(&raw) else {
        return Err(AppError::NotFound);
    };
    let s = db
        .run(move |conn| store::by_code(conn, &code))
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_see(me, &s) {
        // Someone else's certificate: as if it did not exist (the public page is /v/{code}).
        return Err(AppError::NotFound);
    }
    Ok(s.certificate)
}

async fn my_certificates(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let id = me.id;
    let list = ctx.db.run(move |conn| store::of_user(conn, id)).await?;
    let page = CertificatesPage {
        items: list
            .iter()
            .map(|c| view(c, &ctx.issuer, lang, true))
            .collect(),
    };
    ctx.page("pages/certificates", page_data(&page)?)
}

/// The caller's certificates, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyCertificates {
    pub certificates: Vec<PublicCertificate>,
}

/// The caller's certificates, newest first, each with its status and signed credential.
#[utoipa::path(
    get,
    path = "/api/v1/me/certificates",
    tag = "certificates",
    responses(
        (status = 200, description = "The caller's certificates", body = MyCertificates),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn my_certificates_api(
    ctx: Ctx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = me.id;
    let list = ctx.db.run(move |conn| store::of_user(conn, id)).await?;
    let certificates: Vec<PublicCertificate> =
        list.iter().map(|c| public(c, &ctx.issuer)).collect();
    Ok(HttpResponse::Ok().json(MyCertificates { certificates }))
}

async fn certificate_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let c = owned(&ctx.db, &me, path.into_inner()).await?;
    let page = CertificatePage {
        c: PrintedCertificate {
            c: view(&c, &ctx.issuer, lang, true),
            qr: qr::svg(&c.verify_url(&ctx.issuer.base_url)),
            // The certificate itself is in Indonesian whatever the interface language.
            completed_id: day(&c, c.completed_at, Lang::Id),
            issued_id: day(&c, c.issued_at, Lang::Id),
            expires_id: c.expires_at.map(|e| day(&c, e, Lang::Id)),
        },
        page_title: &c.number,
        print: true,
    };
    ctx.page("pages/certificate", page_data(&page)?)
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

fn file_stem(c: &Certificate) -> String {
    format!("sertifikat-{}", c.number.replace('/', "-"))
}

async fn certificate_pdf(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = owned(&ctx.db, &me, path.into_inner()).await?;
    let url = c.verify_url(&ctx.issuer.base_url);
    let name = format!("{}.pdf", file_stem(&c));
    let bytes = web::block(move || pdf::render(&c, &url))
        .await
        .map_err(|e| AppError::Internal(format!("pdf: {e}")))?;
    Ok(download("application/pdf", &name, bytes))
}

async fn certificate_qr(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = owned(&ctx.db, &me, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .body(qr::svg(&c.verify_url(&ctx.issuer.base_url))))
}

async fn badge_jwt(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = owned(&ctx.db, &me, path.into_inner()).await?;
    let jwt =
        badge::sign(&c, &ctx.issuer.base_url, &ctx.issuer.signer).map_err(AppError::Internal)?;
    Ok(download(
        "application/jwt",
        &badge::file_name(&c),
        jwt.into_bytes(),
    ))
}

async fn badge_json(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = owned(&ctx.db, &me, path.into_inner()).await?;
    let body = serde_json::to_vec_pretty(&badge::credential(&c, &ctx.issuer.base_url))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        "application/json",
        &format!("{}-openbadge.json", file_stem(&c)),
        body,
    ))
}

// ---------- administration ----------

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
}

async fn admin_list(
    ctx: Ctx,
    me: AdminOf,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let agency = me.agency();
    let query = q.into_inner().q;
    let q2 = query.clone();
    let rows = ctx
        .db
        .run(move |conn| store::search(conn, agency, &q2, 200))
        .await?;
    let page = AdminCertificatesPage {
        items: rows
            .iter()
            .map(|s| view(&s.certificate, &ctx.issuer, lang, true))
            .collect(),
        q: query,
        all_agencies: agency.is_none(),
    };
    ctx.page("pages/admin_certificates", page_data(&page)?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

async fn admin_detail(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let c = owned(&ctx.db, &me, path.into_inner()).await?;
    let subject = format!("certificate:{}", c.number);
    let log = ctx
        .db
        .run(move |conn| {
            let entries = audit::about(conn, &subject)?;
            let mut out = Vec::new();
            for (at, actor, action, detail) in entries {
                let who = match actor {
                    Some(a) => crate::accounts::users::find(conn, a)?.map(|u| u.name),
                    None => None,
                };
                out.push(LogEntry {
                    at: at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    who,
                    action,
                    detail,
                });
            }
            Ok::<_, AppError>(out)
        })
        .await?;
    let page = AdminCertificatePage {
        c: view(&c, &ctx.issuer, lang, true),
        log,
        page_title: &c.number,
        notice_key: (q.notice == "revoked").then_some("certificates.revoke.done"),
    };
    ctx.page("pages/admin_certificate", page_data(&page)?)
}

#[derive(Deserialize, Default)]
struct RevokeForm {
    #[serde(default)]
    reason: String,
}

/// The reason as given, or what is wrong with it.
fn reason_of(raw: &str) -> Result<String, &'static str> {
    let r = crate::text::api_trim(raw);
    if r.chars().count() < 5 {
        Err("certificates.revoke.reason_required")
    } else if raw.chars().count() > 500 {
        Err("certificates.revoke.reason_too_long")
    } else {
        Ok(r.to_string())
    }
}

async fn do_revoke(
    db: &Db,
    me: &AdminOf,
    raw_code: String,
    reason: String,
) -> Result<Certificate, RevokeError> {
    let agency = me.agency();
    let Some(code) = code::normalize(&raw_code) else {
        return Err(RevokeRefused::NotFound.into());
    };
    let by = me.id;
    db.run(move |conn| store::revoke(conn, &code, by, agency, &reason))
        .await
}

async fn admin_revoke(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<String>,
    form: CsrfForm<RevokeForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let code = path.into_inner();
    let reason =
        reason_of(&form.0.reason).map_err(|k| AppError::BadRequest(ctx.views.text(lang, k)))?;
    match do_revoke(&ctx.db, &me, code.clone(), reason).await {
        Ok(c) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/admin/certificates/{}?notice=revoked", c.code),
            ))
            .finish()),
        Err(RevokeError::Refused(RevokeRefused::NotFound | RevokeRefused::OtherAgency)) => {
            Err(AppError::NotFound)
        }
        Err(RevokeError::Refused(RevokeRefused::AlreadyRevoked)) => Err(AppError::BadRequest(
            ctx.views.text(lang, "certificates.revoke.already"),
        )),
        Err(RevokeError::Db(e)) => Err(e.into()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct RevokeBody {
    /// Why: at least 5 characters from the first to the last that is not white space (space, tab,
    /// line breaks), at most 500 in all; shown on the verification page.
    #[schema(
        max_length = 500,
        pattern = "^[ \\t\\n\\r\\f\\v]*[^ \\t\\n\\r\\f\\v][\\s\\S]{3,}[^ \\t\\n\\r\\f\\v][ \\t\\n\\r\\f\\v]*$"
    )]
    reason: String,
}

/// Revoke a certificate (platform admin, or an admin of the agency it was issued under).
#[utoipa::path(
    post,
    path = "/api/v1/certificates/{code}/revoke",
    tag = "certificates",
    params(("code" = String, Path, description = "The certificate's verification code")),
    request_body(content = RevokeBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Revoked; the certificate now", body = PublicCertificate),
        (status = 400, description = "No reason, or one too short or too long", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such certificate in the caller's agency", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn revoke_api(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<String>,
    body: crate::web::json_body::JsonBody<RevokeBody>,
) -> Result<HttpResponse, AppError> {
    let reason = reason_of(&body.reason).map_err(|k| {
        AppError::BadRequest(match k {
            "certificates.revoke.reason_too_long" => {
                "`reason` is longer than 500 characters".into()
            }
            _ => "`reason` must say why, in at least 5 characters".into(),
        })
    })?;
    match do_revoke(&ctx.db, &me, path.into_inner(), reason).await {
        Ok(c) => Ok(HttpResponse::Ok().json(public(&c, &ctx.issuer))),
        Err(RevokeError::Refused(RevokeRefused::NotFound | RevokeRefused::OtherAgency)) => {
            Err(AppError::NotFound)
        }
        Err(RevokeError::Refused(RevokeRefused::AlreadyRevoked)) => Err(AppError::Conflict(
            "the certificate is already revoked".into(),
        )),
        Err(RevokeError::Db(e)) => Err(e.into()),
    }
}

// ---------- page contexts ----------

/// What a page shows of a certificate (see [`view`]).
#[derive(Serialize)]
struct CertificateView<'a> {
    code: &'a str,
    code_grouped: String,
    number: &'a str,
    holder_name: &'a str,
    /// Full for the holder and admins, else masked.
    nip: Option<String>,
    agency: Option<&'a str>,
    course_slug: &'a str,
    course_title: &'a str,
    course_version: &'a str,
    jp: i32,
    competencies: &'a [super::CompetencyLevel],
    completed: String,
    issued: String,
    expires: Option<String>,
    issuer: &'a str,
    signatory_name: Option<&'a str>,
    signatory_title: Option<&'a str>,
    partner: Option<&'a super::model::CoIssuer>,
    status: &'static str,
    valid: bool,
    revoked: bool,
    expired: bool,
    revoked_on: Option<String>,
    revoked_reason: Option<&'a str>,
    verify_url: String,
    api_path: String,
    kid: &'a str,
}

/// `pages/certificate_verify` when the code names a certificate.
#[derive(Serialize)]
struct VerifyPage<'a> {
    found: bool,
    c: VerifiedCertificate<'a>,
    page_title: &'a str,
}

/// A certificate on the public verification page, with its renewal when it has expired.
#[derive(Serialize)]
struct VerifiedCertificate<'a> {
    #[serde(flatten)]
    c: CertificateView<'a>,
    renewed_code: Option<String>,
}

/// `pages/certificates`: the holder's certificates.
#[derive(Serialize)]
struct CertificatesPage<'a> {
    items: Vec<CertificateView<'a>>,
}

/// `pages/certificate`: the printable certificate.
#[derive(Serialize)]
struct CertificatePage<'a> {
    c: PrintedCertificate<'a>,
    page_title: &'a str,
    print: bool,
}

/// A certificate as printed: its QR code, and its dates in Indonesian.
#[derive(Serialize)]
struct PrintedCertificate<'a> {
    #[serde(flatten)]
    c: CertificateView<'a>,
    qr: String,
    completed_id: String,
    issued_id: String,
    expires_id: Option<String>,
}

/// `pages/admin_certificates`: the search over issued certificates.
#[derive(Serialize)]
struct AdminCertificatesPage<'a> {
    items: Vec<CertificateView<'a>>,
    q: String,
    all_agencies: bool,
}

/// `pages/admin_certificate`: one certificate and its audit log.
#[derive(Serialize)]
struct AdminCertificatePage<'a> {
    c: CertificateView<'a>,
    log: Vec<LogEntry>,
    page_title: &'a str,
    notice_key: Option<&'static str>,
}

/// An audit entry about a certificate.
#[derive(Serialize)]
struct LogEntry {
    at: String,
    who: Option<String>,
    action: String,
    detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_for_reading() {
        assert_eq!(group("k7m2q9x4hf3tc8wz5np0"), "k7m2-q9x4-hf3t-c8wz-5np0");
    }

    #[test]
    fn a_revocation_needs_a_real_reason() {
        assert!(reason_of("  ").is_err());
        assert!(reason_of("abc").is_err());
        assert_eq!(reason_of(" Data NIP keliru ").unwrap(), "Data NIP keliru");
        assert!(reason_of(&"x".repeat(501)).is_err());
    }
}
