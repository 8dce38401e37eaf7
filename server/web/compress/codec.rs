//! Content codings (`Content-Encoding`) without a thread pool: which one a client gets, bodies
//! compressed inline, and bodies assembled from pieces compressed once.
//!
//! A [`Piece`] is text that is the same for everyone (a module's body of one version, a static
//! asset): it is compressed once, at a high level, the first time a client asks for a coding,
//! and kept. A page is [`Parts`]: the pieces plus the small per-person text around them, which
//! is compressed inline at a fast level. The parts become one body without decompressing
//! anything:
//! - zstd: every part is a frame of its own; concatenated frames are one zstd stream
//!   (RFC 8878 §3.1), decoded as the concatenation of their contents.
//! - gzip: every part is raw deflate ending on a sync flush (a byte boundary, no final block),
//!   so the parts follow each other in one deflate stream; a final empty block, the gzip header
//!   and a trailer whose CRC-32 is combined from the parts' own (`crc32_combine`) close it.
//! - br and deflate (zlib), which browsers never prefer over zstd and gzip, are compressed
//!   inline whole.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

/// A content coding Cakap sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Zstd,
    Gzip,
    Brotli,
    Deflate,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` value (`None` for identity).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Zstd => Some("zstd"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
            Encoding::Deflate => Some("deflate"),
            Encoding::Identity => None,
        }
    }

    /// The coding to send for an `Accept-Encoding` value: of those the client accepts (q > 0),
    /// the cheapest to serve — zstd (fast inline, pieces join as frames), then gzip (pieces join
    /// in one deflate stream), then br and deflate (compressed inline whole). The client's
    /// q-values only rule codings out; every one it accepts decodes the same page.
    pub fn negotiate(accept_encoding: Option<&str>) -> Encoding {
        let Some(value) = accept_encoding else {
            return Encoding::Identity;
        };
        let order = [
            Encoding::Zstd,
            Encoding::Gzip,
            Encoding::Brotli,
            Encoding::Deflate,
        ];
        let mut accepted = [false; 4];
        let mut ruled_out = [false; 4];
        let mut wildcard = false;
        for item in value.split(',') {
            let mut params = item.split(';');
            let name = params.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = params.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            let at = match name.as_str() {
                "zstd" => Some(0),
                "gzip" | "x-gzip" => Some(1),
                "br" => Some(2),
                "deflate" => Some(3),
                "*" => {
                    wildcard = !refused;
                    None
                }
                _ => None,
            };
            if let Some(i) = at {
                accepted[i] = !refused;
                ruled_out[i] = refused;
            }
        }
        if let Some(i) = accepted.iter().position(|a| *a) {
            return order[i];
        }
        if wildcard {
            // anything not refused: gzip, the coding every HTTP client decodes, if it may be
            return [1, 0, 2, 3]
                .into_iter()
                .find(|i| !ruled_out[*i])
                .map_or(Encoding::Identity, |i| order[i]);
        }
        Encoding::Identity
    }
}

/// Inline levels: fast, for what differs per request (and small windows: little memory).
pub(super) const ZSTD_INLINE: i32 = 1;
pub(super) const GZIP_INLINE: u32 = 4;
pub(super) const BROTLI_INLINE: u32 = 4;
pub(super) const BROTLI_WINDOW: u32 = 18;
/// Levels for pieces, compressed once and kept.
const ZSTD_PIECE: i32 = 19;
const GZIP_PIECE: u32 = 9;

/// `data` as one zstd frame.
fn zstd_frame(data: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static INLINE: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    if level != ZSTD_INLINE {
        return zstd::bulk::compress(data, level);
    }
    // the inline compressor keeps its context (its tables and buffers) per thread
    INLINE.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(zstd::bulk::Compressor::new(level)?);
        }
        match c.as_mut() {
            Some(c) => c.compress(data),
            None => zstd::bulk::compress(data, level),
        }
    })
}

/// `data` as raw deflate that ends on a sync flush: byte-aligned, with no final block, so
/// another such run can follow it in the same stream.
fn deflate_run(data: &[u8], level: u32) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(data.len() / 3 + 64),
        flate2::Compression::new(level),
    );
    encoder.write_all(data)?;
    // `flush` is zlib's Z_SYNC_FLUSH: everything written so far is out, ending on a byte
    // boundary; the final block that dropping the encoder would add goes to the emptied vec
    encoder.flush()?;
    Ok(std::mem::take(encoder.get_mut()))
}

/// A run of raw deflate with the CRC-32 and length of what it decodes to.
struct GzipRun {
    deflate: Vec<u8>,
    crc: u32,
    len: u64,
}

impl GzipRun {
    fn of(data: &[u8], level: u32) -> std::io::Result<GzipRun> {
        Ok(GzipRun {
            deflate: deflate_run(data, level)?,
            crc: crc32fast::hash(data),
            len: data.len() as u64,
        })
    }
}

/// The gzip member around deflate runs: header, the runs, a final empty block, the trailer with
/// the CRC-32 combined from the runs' own.
fn gzip_member<'a>(runs: impl Iterator<Item = &'a GzipRun>, capacity: usize) -> Vec<u8> {
    // ID1 ID2, CM = deflate, no flags, no mtime, no extra flags, OS unknown
    let mut out = Vec::with_capacity(capacity + 20);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    for run in runs {
        out.extend_from_slice(&run.deflate);
        crc.combine(&crc32fast::Hasher::new_with_initial_len(run.crc, run.len));
        len += run.len;
    }
    // a final block of fixed Huffman codes holding only its end code
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out
}

/// `data` compressed whole, inline.
pub fn encode(encoding: Encoding, data: &[u8]) -> std::io::Result<Vec<u8>> {
    match encoding {
        Encoding::Zstd => zstd_frame(data, ZSTD_INLINE),
        Encoding::Gzip => {
            let run = GzipRun::of(data, GZIP_INLINE)?;
            Ok(gzip_member(std::iter::once(&run), run.deflate.len()))
        }
        Encoding::Brotli => {
            let mut out = Vec::with_capacity(data.len() / 3 + 64);
            {
                let mut w =
                    brotli::CompressorWriter::new(&mut out, 4096, BROTLI_INLINE, BROTLI_WINDOW);
                w.write_all(data)?;
                w.flush()?;
            }
            Ok(out)
        }
        Encoding::Deflate => {
            let mut w = flate2::write::ZlibEncoder::new(
                Vec::with_capacity(data.len() / 3 + 64),
                flate2::Compression::new(GZIP_INLINE),
            );
            w.write_all(data)?;
            w.finish()
        }
        Encoding::Identity => Ok(data.to_vec()),
    }
}

/// Text that is the same for everyone, compressed once per coding on first use and kept.
pub struct Piece {
    text: Arc<str>,
    /// SHA-256 of the text: stands for it in a page's entity tag.
    digest: [u8; 32],
    zstd: OnceLock<Option<Vec<u8>>>,
    gzip: OnceLock<Option<GzipRun>>,
}

impl Piece {
    pub fn new(text: impl Into<Arc<str>>) -> Piece {
        let text = text.into();
        Piece {
            digest: Sha256::digest(text.as_bytes()).into(),
            text,
            zstd: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn zstd(&self) -> Option<&[u8]> {
        self.zstd
            .get_or_init(|| zstd_frame(self.text.as_bytes(), ZSTD_PIECE).ok())
            .as_deref()
    }

    fn gzip(&self) -> Option<&GzipRun> {
        self.gzip
            .get_or_init(|| GzipRun::of(self.text.as_bytes(), GZIP_PIECE).ok())
            .as_ref()
    }
}

/// One part of a page: a range of its own rendered text, or a piece.
enum Part {
    Own(std::ops::Range<usize>),
    Shared(Arc<Piece>),
}

/// A body made of per-request text and shared [`Piece`]s, in order.
pub struct Parts {
    own: String,
    parts: Vec<Part>,
}

impl Parts {
    /// A body that is all its own.
    pub fn whole(text: String) -> Parts {
        let parts = vec![Part::Own(0..text.len())];
        Parts { own: text, parts }
    }

    /// A body that is one piece (a static asset).
    pub fn piece(piece: Arc<Piece>) -> Parts {
        Parts {
            own: String::new(),
            parts: vec![Part::Shared(piece)],
        }
    }

    /// `rendered` cut where `marker(i)` stands for `pieces[i]`; a marker that names no piece
    /// stays as text.
    pub fn assemble(rendered: String, prefix: &str, pieces: &[Arc<Piece>]) -> Parts {
        let mut parts = Vec::new();
        let mut from = 0;
        let mut search = 0;
        while let Some(at) = rendered[search..].find(prefix).map(|i| i + search) {
            let rest = &rendered[at + prefix.len()..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let piece = rest[..digits]
                .parse::<usize>()
                .ok()
                .filter(|_| rest[digits..].starts_with(MARKER_END))
                .and_then(|i| pieces.get(i));
            match piece {
                Some(piece) => {
                    if at > from {
                        parts.push(Part::Own(from..at));
                    }
                    parts.push(Part::Shared(piece.clone()));
                    from = at + prefix.len() + digits + MARKER_END.len();
                    search = from;
                }
                None => search = at + prefix.len(),
            }
        }
        if from < rendered.len() {
            parts.push(Part::Own(from..rendered.len()));
        }
        Parts {
            own: rendered,
            parts,
        }
    }

    /// The weak entity tag of the body: its own text and its pieces' digests.
    pub fn tag(&self) -> String {
        let mut h = Sha256::new();
        for part in &self.parts {
            match part {
                Part::Own(r) => {
                    h.update(b"o");
                    h.update((r.len() as u64).to_le_bytes());
                    h.update(&self.own.as_bytes()[r.clone()]);
                }
                Part::Shared(p) => {
                    h.update(b"p");
                    h.update(p.digest);
                }
            }
        }
        format!("W/\"{}\"", &hex::encode(h.finalize())[..24])
    }

    /// The body as text (what identity sends).
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.len());
        for part in &self.parts {
            match part {
                Part::Own(r) => out.push_str(&self.own[r.clone()]),
                Part::Shared(p) => out.push_str(p.text()),
            }
        }
        out
    }

    fn len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Own(r) => r.len(),
                Part::Shared(p) => p.text.len(),
            })
            .sum()
    }

    /// Runs of own text (adjacent own parts joined) and pieces, in order.
    fn runs(&self) -> Vec<Run<'_>> {
        let mut runs: Vec<Run<'_>> = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            match part {
                Part::Own(r) if r.is_empty() => {}
                Part::Own(r) => match runs.last_mut() {
                    Some(Run::Own(prev)) if prev.end == r.start => prev.end = r.end,
                    _ => runs.push(Run::Own(r.clone())),
                },
                Part::Shared(p) if p.text.is_empty() => {}
                Part::Shared(p) => runs.push(Run::Shared(p)),
            }
        }
        runs
    }

    /// The body in `encoding`; own text is compressed inline, pieces come as kept.
    pub fn encode(&self, encoding: Encoding) -> std::io::Result<bytes::Bytes> {
        let runs = self.runs();
        let whole = || {
            let text = self.text();
            encode(encoding, text.as_bytes())
        };
        let out = match encoding {
            Encoding::Identity => self.text().into_bytes(),
            Encoding::Zstd => {
                let mut frames: Vec<std::borrow::Cow<'_, [u8]>> = Vec::with_capacity(runs.len());
                for run in &runs {
                    frames.push(match run {
                        Run::Own(r) => {
                            zstd_frame(&self.own.as_bytes()[r.clone()], ZSTD_INLINE)?.into()
                        }
                        Run::Shared(p) => match p.zstd() {
                            Some(f) => f.into(),
                            None => return whole().map(Into::into),
                        },
                    });
                }
                if frames.is_empty() {
                    frames.push(zstd_frame(b"", ZSTD_INLINE)?.into());
                }
                frames.concat()
            }
            Encoding::Gzip => {
                let mut own_runs = Vec::new();
                for run in &runs {
                    if let Run::Own(r) = run {
                        own_runs.push(GzipRun::of(&self.own.as_bytes()[r.clone()], GZIP_INLINE)?);
                    }
                }
                let mut own = own_runs.iter();
                let mut ordered: Vec<&GzipRun> = Vec::with_capacity(runs.len());
                for run in &runs {
                    match run {
                        Run::Own(_) => ordered.extend(own.next()),
                        Run::Shared(p) => match p.gzip() {
                            Some(g) => ordered.push(g),
                            None => return whole().map(Into::into),
                        },
                    }
                }
                let capacity = ordered.iter().map(|r| r.deflate.len()).sum();
                gzip_member(ordered.into_iter(), capacity)
            }
            Encoding::Brotli | Encoding::Deflate => whole()?,
        };
        Ok(out.into())
    }
}

enum Run<'a> {
    Own(std::ops::Range<usize>),
    Shared(&'a Arc<Piece>),
}

/// How a marker ends (see [`Parts::assemble`]).
pub const MARKER_END: &str = "\u{1}";

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decode(encoding: Encoding, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match encoding {
            Encoding::Zstd => {
                // the reference decoder reads every frame
                zstd::stream::read::Decoder::new(bytes)
                    .unwrap()
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Encoding::Gzip => {
                // MultiGzDecoder would hide a broken single member: read one
                let mut d = flate2::read::GzDecoder::new(bytes);
                d.read_to_end(&mut out).unwrap();
                assert!(d.into_inner().is_empty(), "bytes after the gzip member");
            }
            Encoding::Brotli => {
                brotli::Decompressor::new(bytes, 4096)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Encoding::Deflate => {
                flate2::read::ZlibDecoder::new(bytes)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Encoding::Identity => out.extend_from_slice(bytes),
        }
        out
    }

    const ALL: [Encoding; 5] = [
        Encoding::Zstd,
        Encoding::Gzip,
        Encoding::Brotli,
        Encoding::Deflate,
        Encoding::Identity,
    ];

    fn lesson() -> String {
        (0..400)
            .map(|i| format!("<p>Paragraf {i}: integritas ASN dan pelayanan publik, ☕ ✓.</p>\n"))
            .collect()
    }

    #[test]
    fn every_coding_of_a_whole_body_decodes_byte_exactly() {
        for text in ["", "a", &lesson()] {
            for e in ALL {
                let encoded = encode(e, text.as_bytes()).unwrap();
                assert_eq!(decode(e, &encoded), text.as_bytes(), "{e:?}");
            }
        }
    }

    #[test]
    fn a_page_of_pieces_and_own_text_decodes_byte_exactly_in_every_coding() {
        let prefix = "\u{1}piece:";
        let module = Arc::new(Piece::new(lesson()));
        let empty = Arc::new(Piece::new(""));
        let rendered = format!(
            "<html><nav>Budi</nav>{prefix}0\u{1}<aside>{prefix}1\u{1}</aside>{prefix}0\u{1}{prefix}9\u{1}{prefix}x</html>"
        );
        let parts = Parts::assemble(rendered, prefix, &[module.clone(), empty]);
        let expected = format!(
            "<html><nav>Budi</nav>{}<aside></aside>{}{prefix}9\u{1}{prefix}x</html>",
            lesson(),
            lesson()
        );
        assert_eq!(parts.text(), expected);
        for e in ALL {
            let encoded = parts.encode(e).unwrap();
            assert_eq!(
                String::from_utf8(decode(e, &encoded)).unwrap(),
                expected,
                "{e:?}"
            );
        }
        // the kept codings are smaller than the inline ones would be
        let inline = encode(Encoding::Zstd, expected.as_bytes()).unwrap();
        assert!(parts.encode(Encoding::Zstd).unwrap().len() < inline.len() * 2);
    }

    #[test]
    fn pieces_alone_and_pages_of_only_own_text_decode() {
        let piece = Arc::new(Piece::new(lesson()));
        for e in ALL {
            assert_eq!(
                decode(e, &Parts::piece(piece.clone()).encode(e).unwrap()),
                lesson().as_bytes()
            );
        }
        let parts = Parts::whole(String::new());
        for e in ALL {
            assert_eq!(decode(e, &parts.encode(e).unwrap()), b"");
        }
    }

    #[test]
    fn the_tag_follows_the_text_and_not_the_coding() {
        let prefix = "\u{1}p:";
        let a = Arc::new(Piece::new("isi modul"));
        let b = Arc::new(Piece::new("isi modul lain"));
        let page = |p: &Arc<Piece>, who: &str| {
            Parts::assemble(
                format!("<b>{who}</b>{prefix}0\u{1}"),
                prefix,
                std::slice::from_ref(p),
            )
        };
        assert_eq!(page(&a, "Budi").tag(), page(&a, "Budi").tag());
        assert_ne!(page(&a, "Budi").tag(), page(&a, "Sari").tag());
        assert_ne!(page(&a, "Budi").tag(), page(&b, "Budi").tag());
        assert!(page(&a, "Budi").tag().starts_with("W/\""));
    }

    #[test]
    fn the_cheapest_accepted_coding_is_chosen() {
        use Encoding::*;
        let n = |v: &str| Encoding::negotiate(Some(v));
        assert_eq!(n("gzip, deflate, br, zstd"), Zstd);
        assert_eq!(n("gzip, deflate, br"), Gzip);
        assert_eq!(n("br"), Brotli);
        assert_eq!(n("deflate"), Deflate);
        assert_eq!(n("zstd;q=0, gzip;q=0.5"), Gzip);
        assert_eq!(n("ZSTD;Q=0.1"), Zstd);
        assert_eq!(n("identity"), Identity);
        assert_eq!(n("*"), Gzip);
        assert_eq!(n("*, gzip;q=0"), Zstd);
        assert_eq!(n("*;q=0"), Identity);
        assert_eq!(n(""), Identity);
        assert_eq!(n("compress, x-unknown"), Identity);
        assert_eq!(Encoding::negotiate(None), Identity);
    }
}
