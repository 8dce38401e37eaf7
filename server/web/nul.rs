//! NUL characters (U+0000) in requests. No text a person writes holds one, and PostgreSQL cannot
//! store one in text: a slug, a comment or a search word holding `%00` was a 500 there (and passed
//! on SQLite). No address holds one, so a path with one is not found (404); in a query string and
//! in a body's text they are dropped ([`guard_address`], [`drop_from_json`], [`drop_from_form`]).

use std::borrow::Cow;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::uri::{PathAndQuery, Uri};
use actix_web::middleware::Next;
use serde_json::Value;

use crate::error::AppError;

/// Middleware: a path holding a NUL character names nothing (404, before a handler looks it up);
/// a query string's NUL characters are dropped.
pub async fn guard_address(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if super::routed_path(&req).contains('\0') || has_escaped_nul(req.path().as_bytes()) {
        return Err(AppError::NotFound.into());
    }
    let query = req.query_string();
    if has_escaped_nul(query.as_bytes()) {
        let cleaned = drop_from_form(query.as_bytes());
        let pq = format!("{}?{}", req.path(), String::from_utf8_lossy(&cleaned));
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = PathAndQuery::try_from(pq).ok();
        if let Ok(uri) = Uri::from_parts(parts) {
            req.head_mut().uri = uri;
        }
    }
    next.call(req).await
}

/// Whether urlencoded text holds `%00` (as an escape, not as the text `%2500`).
fn has_escaped_nul(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && b.get(i + 1) == Some(&b'0') && b.get(i + 2) == Some(&b'0') {
            return true;
        }
        i += if b[i] == b'%' { 3 } else { 1 };
    }
    false
}

/// A urlencoded body without its NUL characters (escaped `%00` or raw bytes).
pub fn drop_from_form(body: &[u8]) -> Cow<'_, [u8]> {
    if !body.contains(&0) && !has_escaped_nul(body) {
        return Cow::Borrowed(body);
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            0 => i += 1,
            b'%' if body.get(i + 1) == Some(&b'0') && body.get(i + 2) == Some(&b'0') => i += 3,
            b'%' => {
                out.extend_from_slice(&body[i..(i + 3).min(body.len())]);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// NUL characters out of every string and key of a JSON value.
pub fn drop_from_json(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Array(items) => items.iter_mut().for_each(drop_from_json),
        Value::Object(map) if map.keys().any(|k| k.contains('\0')) => {
            let old = std::mem::take(map);
            for (k, mut item) in old {
                drop_from_json(&mut item);
                map.insert(k.replace('\0', ""), item);
            }
        }
        Value::Object(map) => map.values_mut().for_each(drop_from_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escaped_nul_is_found_and_dropped_but_not_the_text_percent_two_five() {
        assert!(has_escaped_nul(b"q=a%00b"));
        assert!(has_escaped_nul(b"%00"));
        assert!(!has_escaped_nul(b"q=a%2500b"));
        assert!(!has_escaped_nul(b"q=100%25&x=00"));
        assert!(!has_escaped_nul(b"q=%0"));
        assert_eq!(&*drop_from_form(b"a=x%00y&b=%2500"), b"a=xy&b=%2500");
        assert_eq!(&*drop_from_form(b"a=x\0y%25%00"), b"a=xy%25");
        assert!(matches!(drop_from_form(b"a=b"), Cow::Borrowed(_)));
    }

    #[test]
    fn nul_characters_leave_json_strings_and_keys() {
        let mut v: Value =
            serde_json::from_str(r#"{"c": "a\u0000b", "t": {"k\u0000": ["\u0000x"]}}"#).unwrap();
        drop_from_json(&mut v);
        assert_eq!(v, serde_json::json!({"c": "ab", "t": {"k": ["x"]}}));
    }
}
