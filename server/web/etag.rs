//! Conditional GET for pages: every successful HTML page gets a weak `ETag` computed from its
//! bytes, and a browser that sends the same tag back in `If-None-Match` gets `304 Not Modified`
//! with no body. Module pages do not change within a course version, so a learner on a slow,
//! metered link who opens one again pays a few hundred bytes of headers instead of the page.
//! Pages that must not be stored (`no-store`) are left alone.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use sha2::{Digest, Sha256};

/// The weak entity tag of a page body.
pub fn tag_of(bytes: &[u8]) -> String {
    format!("W/\"{}\"", &hex::encode(Sha256::digest(bytes))[..24])
}

/// Whether an `If-None-Match` value names `tag` (weak comparison, lists and `*` included).
pub fn matches(if_none_match: &str, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|t| bare(t) == bare(tag))
}

/// A page (`200` HTML that may be stored): tagged here, unless rendering tagged it already (see
/// `web::compress::page`: the tag of its text, whatever coding the bytes are in).
fn is_page(res: &ServiceResponse<impl MessageBody>) -> bool {
    let h = res.headers();
    res.status() == StatusCode::OK
        && h.get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
        && !h
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store"))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let get = req.method() == Method::GET;
    let asked = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let res = next.call(req).await?;
    if !get || !is_page(&res) {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let given = head
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (tag, body) = match given {
        Some(tag) => (tag, BoxBody::new(body)),
        None => {
            let bytes = body::to_bytes(body)
                .await
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
            (tag_of(&bytes), BoxBody::new(bytes))
        }
    };
    let headers = head.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, v);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        // stored, but asked about before every use: the page may change with the learner's progress
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    if asked.as_deref().is_some_and(|a| matches(a, &tag)) {
        let mut not_modified = HttpResponse::NotModified();
        for (name, value) in head.headers().iter() {
            if name != header::CONTENT_TYPE
                && name != header::CONTENT_LENGTH
                && name != header::CONTENT_ENCODING
            {
                not_modified.append_header((name.clone(), value.clone()));
            }
        }
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    Ok(ServiceResponse::new(req, head.set_body(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_compare_weakly_and_in_lists() {
        let t = tag_of(b"<p>Halo</p>");
        assert!(t.starts_with("W/\"") && t.len() == 3 + 24 + 1);
        assert_eq!(t, tag_of(b"<p>Halo</p>"));
        assert_ne!(t, tag_of(b"<p>Halo!</p>"));
        assert!(matches(&t, &t));
        assert!(matches(t.trim_start_matches("W/"), &t));
        assert!(matches(&format!("\"x\", {t}"), &t));
        assert!(matches("*", &t));
        assert!(!matches("\"x\"", &t));
    }
}
