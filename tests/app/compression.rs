//! What browsers get (issue 24): every page and API answer in each content coding a client may
//! accept decodes to exactly the bytes sent without one; the coding is the cheapest the client
//! accepts; entity tags and `304` work whatever the coding; a module page is the same for two
//! learners around their own parts.

use std::io::Read;

use crate::common::fixtures::{self, CourseFolder, Person};
use crate::common::{spawn_app_with, TestApp};
use reqwest::header;

const PW: &str = "Hemat-Kuota-2026";

/// `bytes` decoded from `coding` by the reference decoders (every zstd frame, one gzip member).
fn decode(coding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        None => out.extend_from_slice(bytes),
        Some("zstd") => {
            zstd::stream::read::Decoder::new(bytes)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
        }
        Some("gzip") => {
            let mut d = flate2::read::GzDecoder::new(bytes);
            d.read_to_end(&mut out).unwrap();
            assert!(d.into_inner().is_empty(), "bytes after the gzip member");
        }
        Some("br") => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some("deflate") => {
            flate2::read::ZlibDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some(other) => panic!("unexpected coding {other}"),
    }
    out
}

struct Fetched {
    status: u16,
    coding: Option<String>,
    etag: Option<String>,
    vary: String,
    decoded: Vec<u8>,
}

async fn fetch(b: &reqwest::Client, url: &str, accept: &str, bearer: Option<&str>) -> Fetched {
    let mut req = b.get(url).header(header::ACCEPT_ENCODING, accept);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let h = r.headers().clone();
    let text = |name| {
        h.get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_string())
    };
    let coding = text(header::CONTENT_ENCODING);
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    Fetched {
        status,
        etag: text(header::ETAG),
        vary: text(header::VARY).unwrap_or_default().to_ascii_lowercase(),
        decoded: decode(coding.as_deref(), &bytes),
        coding,
    }
}

/// What each `Accept-Encoding` gets: the cheapest coding the client accepts.
const ASKED: [(&str, Option<&str>); 8] = [
    ("gzip, deflate, br, zstd", Some("zstd")),
    ("gzip, deflate, br", Some("gzip")),
    ("zstd", Some("zstd")),
    ("gzip", Some("gzip")),
    ("br", Some("br")),
    ("deflate", Some("deflate")),
    ("zstd;q=0, gzip", Some("gzip")),
    ("identity", None),
];

/// Every coding of `path` decodes to the identity bytes; a page's tag is one for all codings
/// and answers `304`.
async fn every_coding_decodes(
    b: &reqwest::Client,
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
) {
    let url = app.url(path);
    let plain = fetch(b, &url, "identity", bearer).await;
    assert_eq!(plain.status, 200, "{path}");
    assert!(plain.coding.is_none(), "{path}");
    assert!(
        plain.decoded.len() > 600,
        "{path} is big enough to compress"
    );
    for (accept, coding) in ASKED {
        let got = fetch(b, &url, accept, bearer).await;
        assert_eq!(got.status, 200, "{path} {accept}");
        assert_eq!(got.coding.as_deref(), coding, "{path} for {accept}");
        assert!(got.vary.contains("accept-encoding"), "{path}: {}", got.vary);
        assert!(
            got.decoded == plain.decoded,
            "{path} for {accept:?} decodes to other bytes ({} vs {})",
            got.decoded.len(),
            plain.decoded.len()
        );
        assert_eq!(got.etag, plain.etag, "{path}: one tag for the text");
    }
    if let Some(tag) = plain.etag {
        let r = b
            .get(&url)
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .header(header::IF_NONE_MATCH, &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304, "{path}");
        assert!(
            r.headers().get(header::CONTENT_ENCODING).is_none(),
            "{path}"
        );
        assert!(r.bytes().await.unwrap().is_empty(), "{path}");
    }
}

/// A lesson of about 2,000 words.
fn long_lesson() -> String {
    (1..=60)
        .map(|i| {
            format!(
                "## Bagian {i}\n\nPelayanan publik yang baik dimulai dari standar pelayanan yang jelas: \
                 persyaratan, prosedur, waktu, biaya dan produk layanan diumumkan kepada masyarakat. \
                 ASN menanggapi pengaduan dengan cepat dan mencatat tindak lanjutnya ({i}).\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn pages_and_api_answers_decode_byte_exactly_in_every_coding() {
    let root = tempfile::tempdir().unwrap();
    CourseFolder::new("pelayanan-prima")
        .title("Pelayanan Prima")
        .description(&long_lesson())
        .lesson("01-pengantar", "Pengantar", &long_lesson())
        .write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    for (email, name) in [
        ("rina@kab.go.id", "Rina Wulandari"),
        ("budi@kab.go.id", "Budi Santoso"),
    ] {
        Person::new(email).name(name).password(PW).create(&app);
    }
    let rina = app.browser_as("rina@kab.go.id", PW).await;
    let budi = app.browser_as("budi@kab.go.id", PW).await;
    let bearer = app.token_of("rina@kab.go.id", PW).await;
    fixtures::complete(&app, &bearer, "pelayanan-prima", "01-pengantar").await;
    let mine = app.api_json("/api/v1/me/certificates", &bearer).await;
    let code = mine["certificates"][0]["code"]
        .as_str()
        .unwrap()
        .to_string();

    let module = "/courses/pelayanan-prima/01-pengantar";
    for path in [
        module,
        "/courses/pelayanan-prima",
        "/courses",
        &format!("/v/{code}"),
        "/",
    ] {
        every_coding_decodes(&rina, &app, path, None).await;
    }
    // JSON and an anonymous visitor's pages go the same way
    every_coding_decodes(
        &reqwest::Client::new(),
        &app,
        "/api/v1/courses/pelayanan-prima/modules/01-pengantar",
        None,
    )
    .await;
    every_coding_decodes(
        &reqwest::Client::new(),
        &app,
        "/api/v1/me/certificates",
        Some(&bearer),
    )
    .await;
    every_coding_decodes(&app.new_browser(), &app, module, None).await;

    // two learners' module pages: the same lesson, each with their own name, both whole
    let zstd = "gzip, deflate, br, zstd";
    let a = String::from_utf8(fetch(&rina, &app.url(module), zstd, None).await.decoded).unwrap();
    let b = String::from_utf8(fetch(&budi, &app.url(module), zstd, None).await.decoded).unwrap();
    assert!(a.contains("Rina Wulandari") && !a.contains("Budi Santoso"));
    assert!(b.contains("Budi Santoso") && !b.contains("Rina Wulandari"));
    for page in [&a, &b] {
        assert!(
            page.contains("<h2") && page.contains("Bagian 60"),
            "the lesson is whole"
        );
        assert!(page.trim_end().ends_with("</html>"));
        assert!(!page.contains('\u{1}'), "no marker of a piece is left");
    }
}

#[tokio::test]
async fn small_answers_and_images_go_uncompressed() {
    let app = spawn_app_with(&[]).await;
    // a small JSON answer: the coding's header would eat what it saves
    let r = fetch(
        &app.client,
        &app.url("/healthz"),
        "gzip, deflate, br, zstd",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.coding.is_none());
    // an image is already compressed
    let html = app.get("/").await.text().await.unwrap();
    let start = html
        .find("/static/icon-192.")
        .expect("the layout links the icon");
    let end = start + html[start..].find('"').unwrap();
    let r = fetch(
        &app.client,
        &app.url(&html[start..end]),
        "gzip, deflate, br, zstd",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.coding.is_none());
    // the stylesheet, compressed once, decodes to the file as shipped
    let css = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/web/static/app.css")).unwrap();
    for (accept, coding) in ASKED {
        let r = fetch(&app.client, &app.url("/static/app.css"), accept, None).await;
        assert_eq!(r.coding.as_deref(), coding, "{accept}");
        assert!(r.decoded == css, "app.css for {accept}");
    }
}
