//! Security headers on every response. A handler may set its own (an SVG served with
//! `Content-Security-Policy: sandbox`, say): these are only defaults.

use actix_web::middleware::DefaultHeaders;

/// No third-party requests, no inline script or style, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// One year of HTTPS only for this host. Not `includeSubDomains`: the public address is often a
/// name under an agency's domain (`cakap.bpsdm.example.go.id`), whose sibling hosts we do not run
/// and must not force onto HTTPS.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// The default headers; `https` (the public address is https) adds `Strict-Transport-Security`,
/// which browsers ignore over plain HTTP and which would lock a plain-HTTP site out.
pub fn headers(https: bool) -> DefaultHeaders {
    let defaults = DefaultHeaders::new();
    let defaults = if https {
        defaults.add(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    } else {
        defaults
    };
    defaults
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), interest-cohort=()",
        ))
}
