//! The intrinsic size of a course image, so that pages can give every `<img>` its width and
//! height and the text does not jump while images load on a slow link. Raster formats through
//! the `imagesize` crate (headers only); SVG from its `width`/`height` or `viewBox`.

/// (width, height) in CSS pixels, when the bytes tell.
pub fn dimensions(path: &str, bytes: &[u8]) -> Option<(u32, u32)> {
    if path.to_ascii_lowercase().ends_with(".svg") {
        return svg(bytes);
    }
    let size = imagesize::blob_size(bytes).ok()?;
    let (w, h) = (
        u32::try_from(size.width).ok()?,
        u32::try_from(size.height).ok()?,
    );
    (w > 0 && h > 0).then_some((w, h))
}

/// A plain number of pixels (`120`, `120.5`, `120px`); None for %, em and the like.
fn pixels(value: &str) -> Option<f64> {
    let v = value.trim();
    let v = v.strip_suffix("px").unwrap_or(v).trim();
    v.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0)
}

/// The value of attribute `name` in the start tag `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before_ok = at == 0 || rest.as_bytes()[at - 1].is_ascii_whitespace();
        let after = rest[at + name.len()..].trim_start();
        if before_ok {
            if let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start();
                let quote = value.chars().next()?;
                if quote == '"' || quote == '\'' {
                    let inner = &value[1..];
                    return inner.find(quote).map(|end| &inner[..end]);
                }
            }
        }
        rest = &rest[at + name.len()..];
    }
    None
}

fn svg(bytes: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(bytes.get(..bytes.len().min(64 * 1024))?).ok()?;
    let start = text.find("<svg")?;
    let tag = &text[start..start + text[start..].find('>')?];
    let (w, h) = match (
        attribute(tag, "width").and_then(pixels),
        attribute(tag, "height").and_then(pixels),
    ) {
        (Some(w), Some(h)) => (w, h),
        _ => {
            let v: Vec<f64> = attribute(tag, "viewBox")?
                .split(|c: char| c.is_ascii_whitespace() || c == ',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<f64>())
                .collect::<Result<_, _>>()
                .ok()?;
            match v.as_slice() {
                [_, _, w, h] if *w > 0.0 && *h > 0.0 => (*w, *h),
                _ => return None,
            }
        }
    };
    let round = |n: f64| (n.round() as u32).max(1);
    (w < 100_000.0 && h < 100_000.0).then(|| (round(w), round(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_sizes_come_from_width_height_or_the_view_box() {
        let s = |t: &str| dimensions("assets/a.svg", t.as_bytes());
        assert_eq!(
            s(
                r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">"#
            ),
            Some((640, 360))
        );
        assert_eq!(
            s(r#"<svg width="120.4px" height='80px' viewBox="0 0 10 10">"#),
            Some((120, 80))
        );
        assert_eq!(
            s(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 450">"#),
            Some((800, 450))
        );
        assert_eq!(
            s(r#"<svg width="100%" viewBox="0,0,300,200">"#),
            Some((300, 200))
        );
        assert_eq!(
            s(r#"<svg stroke-width="3" viewBox="0 0 30 20">"#),
            Some((30, 20))
        );
        assert_eq!(s("<svg>"), None);
        assert_eq!(s("bukan svg"), None);
        assert_eq!(s(r#"<svg viewBox="0 0 -5 9">"#), None);
    }

    #[test]
    fn raster_sizes_come_from_the_header() {
        // a 3×2 PNG header (signature, IHDR length and type, width, height, …)
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&3u32.to_be_bytes());
        png.extend_from_slice(&2u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(dimensions("assets/a.png", &png), Some((3, 2)));
        assert_eq!(dimensions("assets/a.png", b"rusak"), None);
    }
}
