//! QR codes pointing at a certificate's verification address: as inline SVG for the web pages
//! and as a module matrix for the PDF.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Encode `data` at level M, falling back to level L for data too long for M. `None` only if
/// the data does not fit a QR code at all (about 2.9 kB), which a verification URL never is.
fn encode(data: &str) -> Option<QrCode> {
    QrCode::with_error_correction_level(data, EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(data, EcLevel::L))
        .ok()
}

/// An SVG QR code (error correction M, with the standard quiet zone) for `url`, ready to embed
/// inline in HTML: no XML prolog, a `viewBox` so CSS can scale it, a modest default size of about
/// 160 px, black on white. Empty if `url` cannot be encoded at all.
pub fn svg(url: &str) -> String {
    let Some(code) = encode(url) else {
        return String::new();
    };
    let image = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .min_dimensions(160, 160)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    let image = match image.find("<svg") {
        Some(start) => &image[start..],
        None => image.as_str(),
    };
    image.replacen(
        "<svg ",
        r#"<svg role="img" aria-label="Kode QR verifikasi" "#,
        1,
    )
}

/// The modules of a QR code, row-major, without the quiet zone: `dark[y * width + x]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Matrix {
    /// Whether the module at column `x`, row `y` is dark (false outside the matrix).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }
}

/// The QR code (error correction M) for `url` as a module matrix, for drawing it yourself. Width
/// 0 if `url` cannot be encoded at all.
pub fn matrix(url: &str) -> Matrix {
    match encode(url) {
        Some(code) => Matrix {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
        },
        None => Matrix {
            width: 0,
            dark: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://cakap.example.go.id/v/k7m2q9x4hf3tc8wz5npa";

    #[test]
    fn svg_is_inline_and_scalable() {
        let s = svg(URL);
        assert!(s.starts_with("<svg"), "{}", &s[..40.min(s.len())]);
        assert!(!s.contains("<?xml"));
        assert!(s.contains("viewBox=\"0 0 "));
        assert!(s.contains("fill=\"#000\""));
        assert!(s.contains("fill=\"#fff\""));
        assert!(s.ends_with("</svg>"));
        // 160 px minimum: the chosen module size must not blow it up far beyond that.
        let w: u32 = s
            .split("width=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!((160..320).contains(&w), "width {w}");
    }

    #[test]
    fn matrix_is_square_with_finder_patterns() {
        let m = matrix(URL);
        assert!(m.width >= 21);
        assert_eq!((m.width - 17) % 4, 0, "width is 17 + 4 * version");
        assert_eq!(m.dark.len(), m.width * m.width);
        let w = m.width;
        // The three finder patterns: dark ring at 0 and 6, light ring at 1 and 5, dark 3x3
        // core, light separator at 7.
        for (ox, oy) in [(0, 0), (w - 7, 0), (0, w - 7)] {
            for i in 0..7 {
                assert!(m.is_dark(ox + i, oy), "top ring at {ox},{oy}+{i}");
                assert!(m.is_dark(ox + i, oy + 6), "bottom ring");
                assert!(m.is_dark(ox, oy + i), "left ring");
                assert!(m.is_dark(ox + 6, oy + i), "right ring");
            }
            for i in 1..6 {
                assert!(!m.is_dark(ox + i, oy + 1), "light ring");
                assert!(!m.is_dark(ox + 1, oy + i), "light ring");
            }
            for y in 2..5 {
                for x in 2..5 {
                    assert!(m.is_dark(ox + x, oy + y), "core");
                }
            }
        }
        assert!(!m.is_dark(7, 7), "separator");
        // Timing pattern along row 6 alternates, starting dark at column 8.
        for x in 8..w - 8 {
            assert_eq!(m.is_dark(x, 6), x % 2 == 0, "timing at {x}");
        }
    }

    #[test]
    fn matrix_and_svg_agree_on_size() {
        let m = matrix(URL);
        let s = svg(URL);
        let view: u32 = s
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        // The SVG is the matrix plus a 4-module quiet zone on each side, times a whole module size.
        assert_eq!(view % (m.width as u32 + 8), 0);
    }
}
