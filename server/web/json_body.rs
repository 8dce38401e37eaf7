//! JSON request bodies of the API, held to the shape the API document gives them.
//!
//! actix-web's `Json<T>` lets serde read a struct from a JSON *array* as well (`[]` is a struct
//! whose defaulted fields are all missing), and `Option<Json<T>>` turns a malformed body into "no
//! body". Either way a body that matches no schema could act — `[]` once graded an open attempt.
//! [`JsonBody`] accepts only a JSON object that reads as `T`; [`MaybeJsonBody`] also accepts no
//! body at all (an empty one), and nothing else. Anything else is refused before the handler runs,
//! with a problem document that says what is wrong.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{mime, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::AppError;

/// A JSON object body read as `T`.
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// An optional JSON object body: `None` when the request has no body.
pub struct MaybeJsonBody<T>(pub Option<T>);

impl<T> MaybeJsonBody<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read(req, payload);
        Box::pin(async move {
            match read.await? {
                Some(v) => Ok(JsonBody(v)),
                None => Err(AppError::BadRequest(
                    "this request needs a JSON object body (Content-Type: application/json); see /api/v1/openapi.json"
                        .into(),
                )
                .into()),
            }
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for MaybeJsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read(req, payload);
        Box::pin(async move { Ok(MaybeJsonBody(read.await?)) })
    }
}

/// The body, read within the payload limit: `None` when empty (or JSON `null`), else a JSON
/// object read as `T`.
fn read<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<Option<T>, actix_web::Error>> {
    let json_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
    let bytes = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        let bytes = bytes.await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !json_type {
            return Err(AppError::UnsupportedMediaType(
                "send the body as JSON, with Content-Type: application/json".into(),
            )
            .into());
        }
        if bytes.trim_ascii() == b"null" {
            return Ok(None);
        }
        Ok(Some(parse(&bytes)?))
    })
}

/// `bytes` as `T`, when they are one JSON object that reads as `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let mut value = value;
    super::nul::drop_from_json(&mut value);
    if !value.is_object() {
        return Err(AppError::BadRequest(
            "the body must be a JSON object ({…}) as /api/v1/openapi.json describes it".into(),
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        AppError::BadRequest(format!("the body does not match /api/v1/openapi.json: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(default)]
        answers: std::collections::BTreeMap<String, i32>,
    }

    #[test]
    fn only_an_object_reads_as_a_body() {
        assert_eq!(
            parse::<Body>(br#"{"answers": {"1": 2}}"#)
                .unwrap()
                .answers
                .len(),
            1
        );
        assert!(parse::<Body>(b"{}").unwrap().answers.is_empty());
        // serde alone reads a struct from an array: `[]` would be a body with no answers
        assert!(serde_json::from_slice::<Body>(b"[]").is_ok());
        for bad in [
            &b"[]"[..],
            b"[{}]",
            b"null",
            b"3",
            b"\"x\"",
            b"{",
            br#"{"answers": []}"#,
        ] {
            let e = parse::<Body>(bad).unwrap_err();
            assert!(matches!(e, AppError::BadRequest(_)), "{bad:?}: {e:?}");
        }
    }
}
