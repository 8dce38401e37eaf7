//! Markdown to safe HTML, once, at publish time: tables, footnotes, strikethrough, stable heading
//! anchors, links to modules and assets rewritten to served URLs, lazy images, and author HTML
//! sanitized (no script, no event handlers, no `javascript:` URLs, no iframes).

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::diag::Sink;

/// What links in one course may point at.
#[derive(Debug, Default)]
pub struct Links {
    pub course_slug: String,
    /// Module file names (`02-standar-pelayanan.md`).
    pub modules: HashSet<String>,
    /// Asset paths relative to the course folder (`assets/alur.png`) → served URL.
    pub assets: HashMap<String, String>,
    /// Served URL of an image → its (width, height), for the `<img>` attributes.
    pub sizes: HashMap<String, (u32, u32)>,
}

impl Links {
    /// The served URL for a relative link target, or an error message for the author.
    /// The served URL of a link or image (None: keep it as written), or what is wrong (English,
    /// Indonesian).
    fn resolve(&self, dest: &str) -> Result<Option<String>, (String, String)> {
        let d = dest.trim();
        if d.is_empty() || d.starts_with('#') || d.starts_with('/') {
            return Ok(None);
        }
        if let Some((scheme, _)) = d.split_once(':') {
            if scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                && !scheme.is_empty()
            {
                // absolute URL: allowed schemes survive sanitizing, others are removed there
                return Ok(None);
            }
        }
        let (path, fragment) = match d.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (d, None),
        };
        let path = path.split_once('?').map(|(p, _)| p).unwrap_or(path);
        let decoded = percent_decode(path);
        let clean = normalize_relative(&decoded).ok_or_else(|| {
            (
                format!("link `{dest}` points outside the course folder; link to files inside it, or use a full address (https://…, /courses/…)"),
                format!("tautan `{dest}` menunjuk ke luar folder kursus; tautkan berkas di dalamnya, atau pakai alamat lengkap (https://…, /courses/…)"),
            )
        })?;
        let frag = fragment.map(|f| format!("#{f}")).unwrap_or_default();
        if clean == "course.md" {
            return Ok(Some(format!("/courses/{}{frag}", self.course_slug)));
        }
        if clean.ends_with(".md") {
            if self.modules.contains(&clean) {
                let stem = clean.trim_end_matches(".md");
                return Ok(Some(format!("/courses/{}/{stem}{frag}", self.course_slug)));
            }
            let mut known: Vec<&str> = self.modules.iter().map(String::as_str).collect();
            known.sort();
            let (hint, saran) = match crate::text::nearest(&clean, &known) {
                Some(k) => (
                    format!("did you mean `{k}`?"),
                    format!("maksud Anda `{k}`?"),
                ),
                None => (
                    format!("modules here: {}", known.join(", ")),
                    format!("modul yang ada: {}", known.join(", ")),
                ),
            };
            return Err((
                format!("link to a missing module `{clean}`; {hint}"),
                format!("tautan ke modul yang tidak ada `{clean}`; {saran}"),
            ));
        }
        match self.assets.get(&clean) {
            Some(url) => Ok(Some(format!("{url}{frag}"))),
            None => {
                let known: Vec<&str> = self.assets.keys().map(String::as_str).collect();
                let (hint, saran) = match crate::text::nearest(&clean, &known) {
                    Some(k) => (
                        format!("did you mean `{k}`?"),
                        format!("maksud Anda `{k}`?"),
                    ),
                    None => (
                        "add the file to the course folder or fix the path".to_string(),
                        "tambahkan berkasnya ke folder kursus atau perbaiki jalurnya".to_string(),
                    ),
                };
                Err((
                    format!("link to a missing file `{clean}`; {hint}"),
                    format!("tautan ke berkas yang tidak ada `{clean}`; {saran}"),
                ))
            }
        }
    }
}

/// `./a/../b.png` → `b.png`; `None` when it climbs out of the folder.
pub fn normalize_relative(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// A heading as rendered: level, anchor id and plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Render `md` (which starts at file line `first_line`); link problems are reported to `sink`.
pub fn render(md: &str, first_line: usize, links: &Links, sink: &mut Sink<'_>) -> Rendered {
    let line_of = |offset: usize| first_line + md[..offset.min(md.len())].matches('\n').count();
    let mut events: Vec<Event> = Vec::new();
    let mut headings = Vec::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    // index in `events` of the open heading, and its text so far
    let mut open_heading: Option<(usize, String)> = None;
    // an open image: its URL, title and alt text so far
    let mut open_image: Option<(String, String, String)> = None;
    // links open around the current event (an image inside a link is not made a link again)
    let mut in_link = 0usize;

    for (event, range) in Parser::new_ext(md, options()).into_offset_iter() {
        if let Some((_, _, alt)) = open_image.as_mut() {
            match event {
                Event::End(TagEnd::Image) => {
                    let (src, title, alt) = open_image.take().unwrap_or_default();
                    let img = img_tag(&src, &title, &alt, links);
                    // a picture shrunk to the phone's width opens full size when tapped
                    let html = match in_link {
                        0 => format!(
                            "<a class=\"full-size\" href=\"{}\">{img}</a>",
                            escape_attr(&src)
                        ),
                        _ => img,
                    };
                    events.push(Event::Html(CowStr::from(html)));
                }
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                _ => {}
            }
            continue;
        }
        match event {
            start @ Event::Start(Tag::Heading { .. }) => {
                open_heading = Some((events.len(), String::new()));
                events.push(start);
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some((at, text)) = open_heading.take() {
                    headings.push(name_heading(&mut events[at], level, &text, &mut used_ids));
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = match resolve_or_report(links, &dest_url, sink, || line_of(range.start))
                {
                    Some(url) => CowStr::from(url),
                    None => dest_url,
                };
                in_link += 1;
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                let src = resolve_or_report(links, &dest_url, sink, || line_of(range.start))
                    .unwrap_or_else(|| dest_url.to_string());
                open_image = Some((src, title.to_string(), String::new()));
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Text(t) | Event::Code(t) if open_heading.is_some() => {
                if let Some((_, text)) = open_heading.as_mut() {
                    text.push_str(&t);
                }
                events.push(Event::Text(t));
            }
            other => events.push(other),
        }
    }
    // headings keep inline code as text; restore code spans is not needed for anchors
    let mut html = String::with_capacity(md.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered {
        html: sanitize(&html),
        headings,
    }
}

/// The URL a link or image in the course points to, None to keep it as written; a link the
/// course cannot have is reported at `line()` and kept as written.
fn resolve_or_report(
    links: &Links,
    dest: &str,
    sink: &mut Sink<'_>,
    line: impl FnOnce() -> usize,
) -> Option<String> {
    match links.resolve(dest) {
        Ok(url) => url,
        Err((en, id)) => {
            sink.error_in(line(), en, id);
            None
        }
    }
}

/// An image as HTML, with its size when known so the page does not jump as it loads.
fn img_tag(src: &str, title: &str, alt: &str, links: &Links) -> String {
    let title = if title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", escape_attr(title))
    };
    let size = match links.sizes.get(src) {
        Some((w, h)) => format!(" width=\"{w}\" height=\"{h}\""),
        None => String::new(),
    };
    format!(
        "<img src=\"{}\" alt=\"{}\"{title}{size} loading=\"lazy\" decoding=\"async\">",
        escape_attr(src),
        escape_attr(alt)
    )
}

/// Gives the heading opened by `start` a unique id from its `text`; returns it for the outline.
fn name_heading(
    start: &mut Event<'_>,
    level: HeadingLevel,
    text: &str,
    used_ids: &mut HashSet<String>,
) -> Heading {
    let id = unique_id(&slugify(text), used_ids);
    if let Event::Start(Tag::Heading { id: slot, .. }) = start {
        *slot = Some(CowStr::from(id.clone()));
    }
    Heading {
        level: heading_level(level),
        id,
        text: text.trim().to_string(),
    }
}

/// Render one short piece (an option, feedback) without block wrapping when it is one paragraph.
pub fn render_inline(md: &str, first_line: usize, links: &Links, sink: &mut Sink<'_>) -> String {
    let html = render(md, first_line, links, sink).html;
    let t = html.trim();
    match t.strip_prefix("<p>").and_then(|r| r.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => t.to_string(),
    }
}

fn heading_level(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// A stable anchor from heading text: lowercase letters and digits, words joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(c);
            dash = false;
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        "bagian".into()
    } else {
        out
    }
}

fn unique_id(base: &str, used: &mut HashSet<String>) -> String {
    let mut id = base.to_string();
    let mut n = 1;
    while !used.insert(id.clone()) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Keep what Markdown produces and safe author HTML; drop scripts, handlers, frames, styles.
pub fn sanitize(html: &str) -> String {
    let mut b = ammonia::Builder::default();
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, &["id"]);
    }
    b.add_tag_attributes("img", &["loading", "decoding", "width", "height"])
        .add_tag_attributes("div", &["id"])
        .add_tag_attributes("li", &["id"])
        .add_tag_attributes("ol", &["start"])
        .add_tag_attributes("td", &["align"])
        .add_tag_attributes("th", &["align"])
        .add_allowed_classes("sup", &["footnote-reference", "footnote-definition-label"])
        .add_allowed_classes("div", &["footnote-definition"])
        .add_allowed_classes("a", &["full-size"])
        .link_rel(Some("noopener noreferrer"));
    b.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links {
            course_slug: "kursus-uji".into(),
            modules: ["01-pengantar.md".to_string(), "02-standar.md".to_string()].into(),
            assets: [(
                "assets/alur.png".to_string(),
                "/assets/abc/alur.png".to_string(),
            )]
            .into(),
            sizes: [("/assets/abc/alur.png".to_string(), (640, 360))].into(),
        }
    }

    fn render_ok(md: &str) -> Rendered {
        let mut diags = Vec::new();
        let r = render(
            md,
            1,
            &links(),
            &mut Sink {
                path: "x.md",
                out: &mut diags,
            },
        );
        assert!(diags.is_empty(), "{diags:#?}");
        r
    }

    #[test]
    fn tables_footnotes_strikethrough_and_anchors() {
        let r = render_ok("## Standar Pelayanan\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nTeks~~lama~~[^1].\n\n[^1]: Catatan.\n\n## Standar Pelayanan\n");
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("<del>lama</del>"), "{}", r.html);
        assert!(r.html.contains("footnote-definition"), "{}", r.html);
        assert!(
            r.html.contains(r#"<h2 id="standar-pelayanan">"#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"<h2 id="standar-pelayanan-2">"#),
            "{}",
            r.html
        );
        assert_eq!(r.headings[0].text, "Standar Pelayanan");
    }

    #[test]
    fn links_to_modules_and_assets_are_rewritten_and_images_lazy() {
        let r = render_ok(
            "[lihat](02-standar.md#biaya) dan [kursus](course.md)\n\n![Alur](./assets/alur.png)\n",
        );
        assert!(
            r.html
                .contains(r#"href="/courses/kursus-uji/02-standar#biaya""#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"href="/courses/kursus-uji""#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"src="/assets/abc/alur.png""#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"loading="lazy""#), "{}", r.html);
        assert!(
            r.html.contains(r#"width="640" height="360""#),
            "images carry their size: {}",
            r.html
        );
        assert!(r.html.contains(r#"alt="Alur""#), "{}", r.html);
    }

    /// (issue 25) An image opens full size when tapped: it is its own link, unless it already
    /// sits inside one (no link inside a link).
    #[test]
    fn images_open_full_size_unless_already_linked() {
        let r = render_ok("![Alur](./assets/alur.png)\n");
        assert!(
            r.html.contains(r#"<a class="full-size" href="/assets/abc/alur.png" rel="noopener noreferrer"><img src="/assets/abc/alur.png""#),
            "{}",
            r.html
        );
        let r = render_ok("[![Alur](./assets/alur.png)](02-standar.md)\n");
        assert!(!r.html.contains("full-size"), "{}", r.html);
        assert_eq!(r.html.matches("<a ").count(), 1, "{}", r.html);
        // and a link after that image's link is whole again
        let r = render_ok("[x](02-standar.md) ![Alur](./assets/alur.png)\n");
        assert!(r.html.contains("full-size"), "{}", r.html);
    }

    #[test]
    fn missing_targets_are_errors_at_their_line() {
        let mut diags = Vec::new();
        render(
            "Baris satu\n\n[x](03-tidak-ada.md)\n\n![y](assets/tidak.png)\n\n[z](../lain/course.md)\n",
            10,
            &links(),
            &mut Sink { path: "m.md", out: &mut diags },
        );
        let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[0].starts_with("m.md:12: link to a missing module `03-tidak-ada.md`"),
            "{lines:#?}"
        );
        assert!(
            lines[1].starts_with("m.md:14: link to a missing file `assets/tidak.png`"),
            "{lines:#?}"
        );
        assert!(
            lines[2].starts_with("m.md:16: link `../lain/course.md` points outside"),
            "{lines:#?}"
        );
    }

    #[test]
    fn author_html_is_sanitized() {
        let r = render_ok(
            "<script>alert(1)</script>\n\n<p onclick=\"steal()\">klik</p>\n\n[a](javascript:alert(1))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n<img src=x onerror=alert(1)>\n\n<a href=\"JaVaScRiPt:alert(1)\">b</a>\n",
        );
        let lower = r.html.to_lowercase();
        for bad in [
            "<script",
            "onclick",
            "javascript:",
            "<iframe",
            "onerror",
            "alert(1)</",
        ] {
            assert!(!lower.contains(bad), "{bad} survived: {}", r.html);
        }
        assert!(r.html.contains("klik"));
    }

    #[test]
    fn slugs_are_stable() {
        assert_eq!(slugify("Apa itu SPBE?"), "apa-itu-spbe");
        assert_eq!(
            slugify("  Langkah 1: Identifikasi  "),
            "langkah-1-identifikasi"
        );
        assert_eq!(slugify("!!!"), "bagian");
    }
}
