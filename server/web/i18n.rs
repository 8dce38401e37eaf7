//! The language of a request: the `cakap_lang` cookie (set by the switch in the layout), else
//! `Accept-Language`, else Indonesian. Languages and catalogs themselves live in [`crate::i18n`].

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};

pub use crate::i18n::{from_accept_language, I18n, Lang, Translate};

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "cakap_lang";

impl Lang {
    /// The language of a request: cookie, then `Accept-Language`, then Indonesian.
    pub fn of(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(from_accept_language)
            .unwrap_or(Lang::Id)
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Lang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of(req)))
    }
}
