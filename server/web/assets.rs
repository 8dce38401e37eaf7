//! Static assets (`web/static`), embedded into the binary and served under content-hashed names
//! (`/static/app.1a2b3c4d5e.css`) with a one-year immutable cache. The plain name is served too,
//! revalidated on every use, for the few URLs that must stay fixed (a service worker, say).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use super::compress::{Parts, Piece};
use crate::error::AppError;
use crate::web::state::Ctx;

#[derive(RustEmbed)]
#[folder = "web/static/"]
struct Embedded;

struct Asset {
    bytes: Cow<'static, [u8]>,
    /// A text asset (CSS, scripts, SVG): its codings are made once, on first use, and kept.
    text: Option<Arc<Piece>>,
    content_type: &'static str,
    etag: String,
    hashed: String,
}

#[derive(Default)]
pub struct Assets {
    /// By plain name (`app.css`).
    by_name: HashMap<String, Asset>,
    /// Hashed name → plain name.
    hashed: HashMap<String, String>,
}

impl Assets {
    pub fn load() -> Assets {
        let mut assets = Assets::default();
        for name in Embedded::iter() {
            let Some(file) = Embedded::get(&name) else {
                continue;
            };
            let digest = hex::encode(Sha256::digest(&file.data));
            let hashed = hashed_name(&name, &digest[..10]);
            let content_type = content_type(&name);
            let text = (content_type.starts_with("text/")
                || content_type.contains("svg")
                || content_type.contains("json"))
            .then(|| std::str::from_utf8(&file.data).ok())
            .flatten()
            .map(|t| Arc::new(Piece::new(t)));
            assets.hashed.insert(hashed.clone(), name.to_string());
            assets.by_name.insert(
                name.to_string(),
                Asset {
                    content_type,
                    text,
                    // weak: the same text goes out in whichever coding a client accepts
                    etag: format!("W/\"{}\"", &digest[..16]),
                    bytes: file.data,
                    hashed,
                },
            );
        }
        assets
    }

    /// The served URL of an asset (`app.css` → `/static/app.1a2b3c4d5e.css`).
    pub fn url(&self, name: &str) -> Option<String> {
        self.by_name
            .get(name)
            .map(|a| format!("/static/{}", a.hashed))
    }

    /// The bytes of an asset by its plain name.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.by_name.get(name).map(|a| a.bytes.as_ref())
    }
}

/// `css/app.css` + `abc` → `css/app.abc.css`; a name without extension gets the hash appended.
fn hashed_name(name: &str, hash: &str) -> String {
    let (dir, file) = match name.rsplit_once('/') {
        Some((d, f)) => (format!("{d}/"), f),
        None => (String::new(), name),
    };
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}{stem}.{hash}.{ext}"),
        _ => format!("{dir}{file}.{hash}"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("webmanifest") => "application/manifest+json",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /sw.js`: the service worker, at the root so that its scope is the whole site; always
/// revalidated, so a new version takes over at the next visit.
pub async fn service_worker(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let asset = ctx.assets.by_name.get("sw.js").ok_or(AppError::NotFound)?;
    Ok(respond(&ctx, asset, "no-cache"))
}

/// `GET /static/{name}`
pub async fn serve(ctx: Ctx, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let requested = path.into_inner();
    let (asset, immutable) = match ctx.assets.hashed.get(&requested) {
        Some(plain) => (&ctx.assets.by_name[plain], true),
        None => (
            ctx.assets
                .by_name
                .get(&requested)
                .ok_or(AppError::NotFound)?,
            false,
        ),
    };
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };
    Ok(respond(&ctx, asset, cache))
}

/// An asset (or `304` when the client has it), text in the coding the client accepts.
fn respond(ctx: &Ctx, asset: &Asset, cache: &'static str) -> HttpResponse {
    let matches = ctx
        .req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| super::etag::matches(v, &asset.etag));
    let mut resp = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, asset.etag.as_str()));
    if matches {
        return resp.finish();
    }
    resp.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    ));
    match &asset.text {
        Some(text) => super::compress::page(&ctx.req, resp, &Parts::piece(text.clone()), false),
        None => resp.body(match &asset.bytes {
            Cow::Borrowed(b) => web::Bytes::from_static(b),
            Cow::Owned(v) => web::Bytes::copy_from_slice(v),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_folder_and_extension() {
        assert_eq!(hashed_name("app.css", "abc"), "app.abc.css");
        assert_eq!(hashed_name("icons/logo.svg", "abc"), "icons/logo.abc.svg");
        assert_eq!(hashed_name("LICENSE", "abc"), "LICENSE.abc");
    }

    #[test]
    fn every_embedded_asset_has_a_hashed_url() {
        let assets = Assets::load();
        let url = assets.url("app.css").expect("app.css is shipped");
        assert!(
            url.starts_with("/static/app.") && url.ends_with(".css"),
            "{url}"
        );
    }
}
