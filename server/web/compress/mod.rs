//! Compression of what Cakap sends, on the worker thread that made the response.
//!
//! actix-web's `Compress` middleware hands every body chunk of 1 KB or more to the blocking
//! thread pool, the one database calls wait on; a page for Chromium's `Accept-Encoding` then
//! came out 6–30 times slower than the same page uncompressed. Here:
//! - pages rendered from templates are encoded where they are rendered ([`page`]), from
//!   [`Parts`]: what is the same for everyone (a module's body) comes from [`Pieces`] compressed
//!   once, the rest is compressed inline at a fast level;
//! - every other compressible body (JSON, CSV exports, error pages) is compressed inline by
//!   [`middleware`], a streamed body chunk by chunk as it goes.

pub mod codec;

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;

pub use codec::{Encoding, Parts, Piece};

/// The coding a request's `Accept-Encoding` asks for.
pub fn wanted(headers: &HeaderMap) -> Encoding {
    Encoding::negotiate(
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Bodies smaller than this go as they are: the coding's header would eat what it saves.
const SMALLEST: usize = 256;

/// Whether a body of this content type is worth compressing (text, not images or archives).
fn compressible(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let ct = ct.split(';').next().unwrap_or("").trim();
    ct.starts_with("text/")
        || matches!(
            ct,
            "application/json"
                | "application/problem+json"
                | "application/javascript"
                | "application/manifest+json"
                | "application/xml"
                | "application/pdf"
                | "image/svg+xml"
        )
}

/// Add `Accept-Encoding` to the response's `Vary`: what it sends depends on it.
fn vary_on_encoding(headers: &mut HeaderMap) {
    let current = headers
        .get(header::VARY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let value = match current {
        Some(v) if v.to_ascii_lowercase().contains("accept-encoding") => return,
        Some(v) if !v.trim().is_empty() => format!("{v}, Accept-Encoding"),
        _ => "Accept-Encoding".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, v);
    }
}

/// A page's response: `parts` in the coding the request asks for, with `Vary` and, when `tag`,
/// a weak `ETag` of the text (the same for every coding: `web::etag` answers `304` from it).
pub fn page(
    req: &HttpRequest,
    mut builder: HttpResponseBuilder,
    parts: &Parts,
    tag: bool,
) -> HttpResponse {
    let wanted = wanted(req.headers());
    let (encoding, body) = match parts.encode(wanted) {
        Ok(bytes) => (wanted, bytes),
        // no coding fails on bytes in memory; if one ever did, the page still goes out
        Err(_) => (Encoding::Identity, Bytes::from(parts.text())),
    };
    if tag {
        builder.insert_header((header::ETAG, parts.tag()));
    }
    if let Some(coding) = encoding.header() {
        builder.insert_header((header::CONTENT_ENCODING, coding));
    }
    let mut res = builder.body(body);
    vary_on_encoding(res.headers_mut());
    res
}

/// Compress the response inline when the client accepts a coding and the body is worth it.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wanted = wanted(req.headers());
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if res.headers().contains_key(header::CONTENT_ENCODING)
        || !compressible(res.headers())
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational()
    {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    vary_on_encoding(head.headers_mut());
    let Some(coding) = wanted.header() else {
        return Ok(ServiceResponse::new(req, head.set_body(body)));
    };
    let body = match body.size() {
        BodySize::None => body,
        BodySize::Sized(n) if (n as usize) < SMALLEST => body,
        BodySize::Sized(_) => {
            let bytes = body::to_bytes(body)
                .await
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
            match codec::encode(wanted, &bytes) {
                Ok(encoded) => {
                    set_coding(head.headers_mut(), coding);
                    BoxBody::new(Bytes::from(encoded))
                }
                Err(_) => BoxBody::new(bytes),
            }
        }
        BodySize::Stream => match Streamed::new(wanted, body) {
            Ok(streamed) => {
                set_coding(head.headers_mut(), coding);
                BoxBody::new(streamed)
            }
            Err(body) => body,
        },
    };
    Ok(ServiceResponse::new(req, head.set_body(body)))
}

fn set_coding(headers: &mut HeaderMap, coding: &'static str) {
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    // the length is the encoded body's, set when it is sent
    headers.remove(header::CONTENT_LENGTH);
    // a strong tag names these bytes, not the text: weaken it
    if let Some(tag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
        if !tag.starts_with("W/") {
            if let Ok(v) = HeaderValue::from_str(&format!("W/{tag}")) {
                headers.insert(header::ETAG, v);
            }
        }
    }
}

/// A streamed body (a CSV export) compressed chunk by chunk as it goes, never held whole.
struct Streamed {
    inner: BoxBody,
    encoder: Option<StreamEncoder>,
}

enum StreamEncoder {
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Deflate(flate2::write::ZlibEncoder<Vec<u8>>),
}

impl StreamEncoder {
    fn new(encoding: Encoding) -> std::io::Result<Option<StreamEncoder>> {
        let level = flate2::Compression::new(codec::GZIP_INLINE);
        Ok(Some(match encoding {
            Encoding::Zstd => StreamEncoder::Zstd(zstd::stream::write::Encoder::new(
                Vec::new(),
                codec::ZSTD_INLINE,
            )?),
            Encoding::Gzip => StreamEncoder::Gzip(flate2::write::GzEncoder::new(Vec::new(), level)),
            Encoding::Brotli => StreamEncoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                codec::BROTLI_INLINE,
                codec::BROTLI_WINDOW,
            ))),
            Encoding::Deflate => {
                StreamEncoder::Deflate(flate2::write::ZlibEncoder::new(Vec::new(), level))
            }
            Encoding::Identity => return Ok(None),
        }))
    }

    /// Take in a chunk; what is compressed so far comes out.
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<Vec<u8>> {
        Ok(match self {
            StreamEncoder::Zstd(e) => {
                e.write_all(chunk)?;
                std::mem::take(e.get_mut())
            }
            StreamEncoder::Gzip(e) => {
                e.write_all(chunk)?;
                std::mem::take(e.get_mut())
            }
            StreamEncoder::Brotli(e) => {
                e.write_all(chunk)?;
                std::mem::take(e.get_mut())
            }
            StreamEncoder::Deflate(e) => {
                e.write_all(chunk)?;
                std::mem::take(e.get_mut())
            }
        })
    }

    /// The end of the stream.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            StreamEncoder::Zstd(e) => e.finish(),
            StreamEncoder::Gzip(e) => e.finish(),
            StreamEncoder::Brotli(mut e) => {
                e.flush()?;
                Ok(e.into_inner())
            }
            StreamEncoder::Deflate(e) => e.finish(),
        }
    }
}

impl Streamed {
    fn new(encoding: Encoding, inner: BoxBody) -> Result<Streamed, BoxBody> {
        match StreamEncoder::new(encoding) {
            Ok(Some(encoder)) => Ok(Streamed {
                inner,
                encoder: Some(encoder),
            }),
            _ => Err(inner),
        }
    }
}

impl MessageBody for Streamed {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        loop {
            if self.encoder.is_none() {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(chunk))) => {
                    let out = match self.encoder.as_mut() {
                        Some(encoder) => encoder.write(&chunk),
                        None => return Poll::Ready(None),
                    };
                    match out {
                        Ok(out) if out.is_empty() => continue,
                        Ok(out) => return Poll::Ready(Some(Ok(Bytes::from(out)))),
                        Err(e) => return Poll::Ready(Some(Err(e.into()))),
                    }
                }
                Poll::Ready(None) => {
                    let Some(encoder) = self.encoder.take() else {
                        return Poll::Ready(None);
                    };
                    return match encoder.finish() {
                        Ok(out) => Poll::Ready(Some(Ok(Bytes::from(out)))),
                        Err(e) => Poll::Ready(Some(Err(e.into()))),
                    };
                }
            }
        }
    }
}

/// Pieces kept between requests (a module's body of one version, by the module's id), within a
/// budget of bytes; the oldest go first.
pub struct Pieces {
    budget: usize,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    by_key: HashMap<(&'static str, i64), Arc<Piece>>,
    order: VecDeque<(&'static str, i64)>,
    bytes: usize,
}

impl Pieces {
    pub fn new(budget: usize) -> Pieces {
        Pieces {
            budget,
            kept: Mutex::new(Kept::default()),
        }
    }

    /// The kept piece of `kind` and `id` if its text is `text`, else a new one (kept).
    pub fn get(&self, kind: &'static str, id: i64, text: &str) -> Arc<Piece> {
        let key = (kind, id);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(piece) = kept.by_key.get(&key) {
            if piece.text() == text {
                return piece.clone();
            }
        }
        let piece = Arc::new(Piece::new(text));
        let cost = weight(text);
        if cost > self.budget {
            return piece;
        }
        if let Some(old) = kept.by_key.insert(key, piece.clone()) {
            kept.bytes -= weight(old.text());
        } else {
            kept.order.push_back(key);
        }
        kept.bytes += cost;
        while kept.bytes > self.budget {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(old) = kept.by_key.remove(&oldest) {
                kept.bytes -= weight(old.text());
            }
        }
        piece
    }
}

/// What a kept piece costs the budget: its text and, in time, its zstd and gzip codings (about a
/// third of it each).
fn weight(text: &str) -> usize {
    text.len() * 5 / 3
}

/// The markers that stand for pieces in a page's data until it is rendered (see [`Shared`]).
fn marker_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    // random per process: no text an author writes can name a piece
    PREFIX.get_or_init(|| format!("\u{1}cakap-piece-{:016x}:", rand::random::<u64>()))
}

/// The pieces of one page: put [`Shared::mark`]'s marker in the page's data where a piece's
/// text goes, render, then [`Shared::assemble`] the output.
#[derive(Default)]
pub struct Shared {
    pieces: Vec<Arc<Piece>>,
}

impl Shared {
    /// The marker of `piece` in this page.
    pub fn mark(&mut self, piece: Arc<Piece>) -> String {
        self.pieces.push(piece);
        format!(
            "{}{}{}",
            marker_prefix(),
            self.pieces.len() - 1,
            codec::MARKER_END
        )
    }

    /// The rendered page, its markers replaced by their pieces.
    pub fn assemble(&self, rendered: String) -> Parts {
        if self.pieces.is_empty() {
            return Parts::whole(rendered);
        }
        Parts::assemble(rendered, marker_prefix(), &self.pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_pieces_are_shared_until_the_text_changes_and_the_budget_holds() {
        let pieces = Pieces::new(10_000);
        let a = pieces.get("module", 1, "isi modul satu");
        assert!(Arc::ptr_eq(&a, &pieces.get("module", 1, "isi modul satu")));
        let changed = pieces.get("module", 1, "isi modul satu, diperbarui");
        assert!(!Arc::ptr_eq(&a, &changed));
        assert_eq!(changed.text(), "isi modul satu, diperbarui");
        for id in 0..1000 {
            pieces.get("module", id, &"x".repeat(100));
        }
        let kept = pieces.kept.lock().unwrap();
        assert!(kept.bytes <= 10_000 && kept.by_key.len() == kept.order.len());
        assert!(kept.by_key.contains_key(&("module", 999)));
        assert!(!kept.by_key.contains_key(&("module", 0)));
    }

    #[test]
    fn a_marked_page_assembles_around_its_pieces() {
        let mut shared = Shared::default();
        let m = shared.mark(Arc::new(Piece::new("<p>modul</p>")));
        let parts = shared.assemble(format!("<main>{m}</main>"));
        assert_eq!(parts.text(), "<main><p>modul</p></main>");
        // an author's text that looks like a marker of another process stays as it is
        let fake = "\u{1}cakap-piece-0000000000000000:0\u{1}";
        assert_eq!(shared.assemble(fake.to_string()).text(), fake);
    }
}
