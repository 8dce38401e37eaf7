//! A server-drawn SVG chart of a civil servant's competency levels against the targets of their
//! position (PermenPANRB 38/2017: levels 1..5), readable without JavaScript.
//!
//! The chart is a horizontal bar chart, one row per competency, with the code and name ABOVE the
//! bar so that names are never cut: the `viewBox` is 360 units wide and the SVG scales to its
//! container (`width="100%"`), which keeps 13-unit text legible on a 340 px phone column. Long
//! names wrap onto several lines and the height grows with the rows. No `style` attribute and no
//! `<style>` element is emitted (the site's CSP forbids inline styles): only presentation
//! attributes. Every text is XML-escaped.

use std::fmt::Write as _;

/// One competency row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// Short code, e.g. `"M1"`; may be empty.
    pub code: String,
    /// Display name, e.g. `"Integritas"`.
    pub name: String,
    /// The civil servant's current level, `None` if not assessed yet.
    pub current: Option<i32>,
    /// The level the position requires, `None` if the position sets none.
    pub target: Option<i32>,
}

/// The chart's localised texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// Accessible title, e.g. `"Level kompetensi dibanding target"`.
    pub title: String,
    /// Legend text for a bar that meets its target, e.g. `"Memenuhi target"`.
    pub current: String,
    /// Legend text for a bar below its target, e.g. `"Di bawah target"`.
    pub below: String,
    /// Legend text for the marker, e.g. `"Target jabatan"`.
    pub target: String,
    /// Shown when there is no current level (or no rows at all), e.g. `"belum ada"`.
    pub none: String,
}

/// Colour of a bar whose level meets the target.
pub const MET: &str = "#0f766e";
/// Colour of a bar whose level is below the target.
pub const BELOW: &str = "#b45309";
/// Colour of a bar without a target.
pub const NO_TARGET: &str = "#6b7280";

const FONT: &str = "system-ui, sans-serif";
const INK: &str = "#111827";
const MUTED: &str = "#4b5563";
const GRID: &str = "#e5e7eb";
const TRACK: &str = "#f3f4f6";

/// Width of the `viewBox`.
const W: f64 = 360.0;
/// Left and right end of the 0..5 scale.
const X0: f64 = 20.0;
const X1: f64 = 340.0;
const MAX_LEVEL: i32 = 5;

const LABEL_SIZE: f64 = 14.0;
const LABEL_LINE: f64 = 17.0;
const LEGEND_SIZE: f64 = 13.0;
const TICK_SIZE: f64 = 12.0;
/// Conservative average advance of a character, in em, for wrapping estimates.
const CHAR_EM: f64 = 0.56;
const BAR_H: f64 = 16.0;
/// Room kept free at the right of a row's first label line for the "2 / 3" value.
const VALUE_ROOM: f64 = 56.0;

/// Escape `s` for XML text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn clamp(level: i32) -> i32 {
    level.clamp(0, MAX_LEVEL)
}

/// The x coordinate of `level` on the scale.
fn x_of(level: i32) -> f64 {
    X0 + (X1 - X0) * f64::from(clamp(level)) / f64::from(MAX_LEVEL)
}

/// Estimated rendered width of `s` at `size`.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * CHAR_EM
}

/// Greedy word wrap: the first line holds at most `first` characters, the others `rest`. Words
/// longer than a line are broken.
fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let limit = |lines: &Vec<String>| if lines.is_empty() { first } else { rest }.max(1);
    for word in text.split_whitespace() {
        let mut word: &str = word;
        loop {
            let len = line.chars().count();
            let wlen = word.chars().count();
            let sep = usize::from(len > 0);
            if len + sep + wlen <= limit(&lines) {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A single word longer than the line: break it.
            let cut = word
                .char_indices()
                .nth(limit(&lines))
                .map_or(word.len(), |(i, _)| i);
            lines.push(word[..cut].to_string());
            word = &word[cut..];
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn colour(current: i32, target: Option<i32>) -> &'static str {
    match target {
        None => NO_TARGET,
        Some(t) if current >= clamp(t) => MET,
        Some(_) => BELOW,
    }
}

/// One sentence per row for `<desc>`, e.g. `"Integritas: level 2, target 3"`.
fn describe(bar: &Bar, labels: &Labels) -> String {
    let name = match (bar.code.trim(), bar.name.trim()) {
        ("", name) => name.to_string(),
        (code, "") => code.to_string(),
        (code, name) => format!("{code} {name}"),
    };
    let current = bar
        .current
        .map_or_else(|| labels.none.clone(), |c| format!("level {}", clamp(c)));
    let target = bar
        .target
        .map_or_else(|| labels.none.clone(), |t| clamp(t).to_string());
    format!("{name}: {current}, target {target}")
}

fn open(out: &mut String, height: f64, labels: &Labels, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" class="competency-chart" role="img" font-family="{FONT}"><title>{}</title><desc>{}</desc>"#,
        esc(&labels.title),
        esc(desc),
    );
}

/// Vertical grid lines at every level, from `top` to `bottom` (one row's bar area, so that the
/// lines never cross a label).
fn grid(out: &mut String, top: f64, bottom: f64) {
    for level in 0..=MAX_LEVEL {
        let x = x_of(level);
        let colour = if level == 0 { "#9ca3af" } else { GRID };
        let _ = write!(
            out,
            r#"<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{colour}" stroke-width="1"/>"#
        );
    }
}

fn ticks(out: &mut String, y: f64) {
    for level in 0..=MAX_LEVEL {
        let _ = write!(
            out,
            r#"<text x="{}" y="{y}" font-size="{TICK_SIZE}" fill="{MUTED}" text-anchor="middle">{level}</text>"#,
            x_of(level)
        );
    }
}

/// The chart of `bars` against their targets; see the module documentation. With no bars, a
/// small SVG that just says `labels.none`.
pub fn svg(bars: &[Bar], labels: &Labels) -> String {
    let mut out = String::new();
    if bars.is_empty() {
        let desc = format!("{}: {}", labels.title, labels.none);
        open(&mut out, 40.0, labels, &desc);
        let _ = write!(
            out,
            r#"<text x="{X0}" y="25" font-size="{LABEL_SIZE}" fill="{MUTED}">{}</text></svg>"#,
            esc(&labels.none)
        );
        return out;
    }

    let mut body = String::new();
    let mut y = legend(&mut body, labels);

    // Scale numbers on top and at the bottom; grid lines are drawn row by row.
    ticks(&mut body, y);
    y += 10.0;

    let mut rows = String::new();
    let mut desc = Vec::with_capacity(bars.len());
    for bar in bars {
        desc.push(describe(bar, labels));
        let _ = write!(rows, r#"<g class="row">"#);
        y = row_label(&mut rows, bar, y);
        // Bar: a light track over the whole scale, the filled level, the target marker.
        let top = y + 16.0;
        bar_shapes(&mut rows, bar, labels, top);
        rows.push_str("</g>");
        y = top + BAR_H + 12.0;
    }
    y += 10.0;
    ticks(&mut rows, y);
    let height = y + 8.0;

    let desc = format!("{}: {}.", labels.title, desc.join("; "));
    open(&mut out, height, labels, &desc);
    out.push_str(&body);
    out.push_str(&rows);
    out.push_str("</svg>");
    out
}

/// Legend: a swatch per bar colour (meets the target / below it) and the target marker, each
/// with its text, flowing onto a new line when the next item does not fit. Returns the y below
/// it.
fn legend(body: &mut String, labels: &Labels) -> f64 {
    let mut y = 8.0;
    let mut x = X0;
    body.push_str(r#"<g class="legend">"#);
    let items: [(&str, Option<&str>); 3] = [
        (&labels.current, Some(MET)),
        (&labels.below, Some(BELOW)),
        (&labels.target, None),
    ];
    for (text, swatch) in items {
        let width = 14.0 + text_width(text, LEGEND_SIZE);
        if x > X0 && x + width > W - 10.0 {
            x = X0;
            y += 18.0;
        }
        match swatch {
            Some(fill) => {
                let _ = write!(
                    body,
                    r#"<rect x="{x}" y="{}" width="9" height="12" fill="{fill}"/>"#,
                    y + 1.0
                );
            }
            None => body.push_str(&marker(x + 4.0, y + 1.0, 12.0, 4.0)),
        }
        let _ = write!(
            body,
            r#"<text x="{}" y="{}" font-size="{LEGEND_SIZE}" fill="{INK}">{}</text>"#,
            x + 14.0,
            y + 11.5,
            esc(text)
        );
        x += width + 16.0;
    }
    body.push_str("</g>");
    y + 34.0
}

/// A row's label, "code name" wrapped, with the value ("current / target") on its first line;
/// returns the y of the last line.
fn row_label(rows: &mut String, bar: &Bar, mut y: f64) -> f64 {
    let first_chars = ((X1 - X0 - VALUE_ROOM) / (LABEL_SIZE * CHAR_EM)) as usize;
    let rest_chars = ((X1 - X0) / (LABEL_SIZE * CHAR_EM)) as usize;
    let code = bar.code.trim();
    let name = bar.name.trim();
    // Wrap "code name" as one text, then make the code bold on the first line.
    let full = if code.is_empty() {
        name.to_string()
    } else {
        format!("{code} {name}")
    };
    let lines = wrap(&full, first_chars, rest_chars);
    for (i, line) in lines.iter().enumerate() {
        y += LABEL_LINE;
        let _ = write!(
            rows,
            r#"<text x="{X0}" y="{y}" font-size="{LABEL_SIZE}" fill="{INK}">"#
        );
        match line.strip_prefix(code) {
            Some(rest) if i == 0 && !code.is_empty() => {
                let _ = write!(
                    rows,
                    r#"<tspan font-weight="700">{}</tspan>{}"#,
                    esc(code),
                    esc(rest)
                );
            }
            _ => rows.push_str(&esc(line)),
        }
        rows.push_str("</text>");
        if i == 0 {
            let value = format!(
                "{} / {}",
                bar.current
                    .map_or("–".to_string(), |c| clamp(c).to_string()),
                bar.target.map_or("–".to_string(), |t| clamp(t).to_string())
            );
            let _ = write!(
                rows,
                r#"<text x="{X1}" y="{y}" font-size="{LABEL_SIZE}" font-weight="700" fill="{INK}" text-anchor="end">{}</text>"#,
                esc(&value)
            );
        }
    }
    y
}

/// A row's bar at `top`: the grid, a light track over the whole scale, the filled level (or
/// "none"), the target marker.
fn bar_shapes(rows: &mut String, bar: &Bar, labels: &Labels, top: f64) {
    grid(rows, top - 3.0, top + BAR_H + 3.0);
    let _ = write!(
        rows,
        r#"<rect x="{X0}" y="{top}" width="{}" height="{BAR_H}" fill="{TRACK}" fill-opacity="0.6"/>"#,
        X1 - X0
    );
    match bar.current {
        Some(c) => {
            let c = clamp(c);
            let fill = colour(c, bar.target);
            let width = x_of(c) - X0;
            if width > 0.0 {
                let _ = write!(
                    rows,
                    r#"<rect class="current" x="{X0}" y="{top}" width="{width}" height="{BAR_H}" fill="{fill}"/>"#
                );
            } else {
                // Level 0: a hairline so the row does not look empty.
                let _ = write!(
                    rows,
                    r#"<rect class="current" x="{X0}" y="{top}" width="2" height="{BAR_H}" fill="{fill}"/>"#
                );
            }
        }
        None => {
            // right of the target marker when the text would reach it
            let at = X0 + 6.0;
            let x = match bar.target {
                Some(t) if at + text_width(&labels.none, 12.0) + 4.0 >= x_of(t) - 6.0 => {
                    x_of(t) + 10.0
                }
                _ => at,
            };
            let _ = write!(
                rows,
                r#"<text class="none" x="{x}" y="{}" font-size="12" fill="{MUTED}">{}</text>"#,
                top + 12.0,
                esc(&labels.none)
            );
        }
    }
    if let Some(t) = bar.target {
        rows.push_str(&marker(x_of(t), top - 4.0, BAR_H + 7.0, 5.0));
    }
}

/// A target marker: a vertical line from `top` down `height` units at `x` with a small
/// downward triangle of half-width `half` on top.
fn marker(x: f64, top: f64, height: f64, half: f64) -> String {
    format!(
        r#"<g class="target"><line x1="{x}" y1="{top}" x2="{x}" y2="{}" stroke="{INK}" stroke-width="2.5"/><path d="M{} {}L{} {}L{x} {}Z" fill="{INK}"/></g>"#,
        top + height,
        x - half,
        top - half,
        x + half,
        top - half,
        top + half * 0.6
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels {
            title: "Level kompetensi dibanding target".into(),
            current: "Memenuhi target".into(),
            below: "Di bawah target".into(),
            target: "Target jabatan".into(),
            none: "belum ada".into(),
        }
    }

    fn bar(code: &str, name: &str, current: Option<i32>, target: Option<i32>) -> Bar {
        Bar {
            code: code.into(),
            name: name.into(),
            current,
            target,
        }
    }

    fn height(svg: &str) -> f64 {
        let start = svg.find("viewBox=\"0 0 360 ").unwrap() + "viewBox=\"0 0 360 ".len();
        let end = start + svg[start..].find('"').unwrap();
        svg[start..end].parse().unwrap()
    }

    #[test]
    fn is_scalable_accessible_svg() {
        let s = svg(&[bar("M1", "Integritas", Some(2), Some(3))], &labels());
        assert!(s.starts_with("<svg"), "{s}");
        assert!(s.ends_with("</svg>"));
        assert!(s.contains(r#"viewBox="0 0 360 "#));
        assert!(s.contains(r#"width="100%""#));
        assert!(s.contains(r#"role="img""#));
        assert!(s.contains("<title>Level kompetensi dibanding target</title>"));
        assert!(s.contains("M1 Integritas: level 2, target 3"), "{s}");
        assert!(!s.contains("height=\"100%\""));
    }

    #[test]
    fn one_row_per_competency() {
        let bars: Vec<Bar> = (1..=9)
            .map(|i| bar(&format!("K{i}"), "Nama", Some(i % 6), Some(3)))
            .collect();
        let s = svg(&bars, &labels());
        assert_eq!(s.matches(r#"<g class="row">"#).count(), 9);
        // One marker per row, plus the legend's.
        assert_eq!(s.matches(r#"<g class="target">"#).count(), 10);
    }

    /// "belum ada" never sits under the target marker (issue 25): beside the marker when the
    /// target is low, at the start of the bar otherwise.
    #[test]
    fn none_text_clears_the_target_marker() {
        let none_x = |target: i32| -> f64 {
            let s = svg(&[bar("M1", "Integritas", None, Some(target))], &labels());
            let at = s.find(r#"class="none" x=""#).unwrap() + r#"class="none" x=""#.len();
            s[at..].split('"').next().unwrap().parse().unwrap()
        };
        let width = text_width("belum ada", 12.0);
        for target in 1..=5 {
            let x = none_x(target);
            let marker = x_of(target);
            assert!(
                x > marker + 4.0 || x + width < marker - 5.0,
                "target {target}: text at {x}..{} meets the marker at {marker}",
                x + width
            );
        }
        assert_eq!(none_x(5), X0 + 6.0, "far targets leave the text in place");
    }

    /// Both bar colours are named in the legend (the orange one used to be unexplained).
    #[test]
    fn the_legend_names_both_colours_and_the_marker() {
        let s = svg(&[bar("M1", "Integritas", Some(2), Some(3))], &labels());
        let legend = &s[s.find(r#"<g class="legend">"#).unwrap()..];
        let legend = &legend[..legend.find(r#"<g class="row">"#).unwrap()];
        for part in [
            MET,
            BELOW,
            "Memenuhi target",
            "Di bawah target",
            "Target jabatan",
        ] {
            assert!(
                legend.contains(part),
                "{part} missing from the legend: {legend}"
            );
        }
    }

    #[test]
    fn escapes_every_text() {
        let l = Labels {
            title: "T & \"q\"".into(),
            current: "c<".into(),
            below: "b&".into(),
            target: "t>".into(),
            none: "n&".into(),
        };
        let s = svg(&[bar("A&", "A & B <x>", None, Some(2))], &l);
        assert!(s.contains("A &amp; B &lt;x&gt;"), "{s}");
        assert!(!s.contains("<x>"));
        assert!(!s.contains("A & B"));
        assert!(s.contains("T &amp; &quot;q&quot;"));
        assert!(s.contains("c&lt;") && s.contains("t&gt;") && s.contains("n&amp;"));
        let empty = svg(&[], &l);
        assert!(empty.contains("n&amp;") && !empty.contains("n&<"));
    }

    #[test]
    fn colours_follow_the_target() {
        let met = svg(&[bar("A", "a", Some(3), Some(3))], &labels());
        let above = svg(&[bar("A", "a", Some(4), Some(3))], &labels());
        let below = svg(&[bar("A", "a", Some(2), Some(3))], &labels());
        let free = svg(&[bar("A", "a", Some(2), None)], &labels());
        let current = |s: &str| {
            let i = s.find(r#"class="current""#).unwrap();
            let f = i + s[i..].find("fill=\"").unwrap() + 6;
            s[f..f + 7].to_string()
        };
        assert_eq!(current(&met), MET);
        assert_eq!(current(&above), MET);
        assert_eq!(current(&below), BELOW);
        assert_eq!(current(&free), NO_TARGET);
        // No target: no marker in the row (only the legend's).
        assert_eq!(free.matches(r#"<g class="target">"#).count(), 1);
    }

    #[test]
    fn levels_are_clamped() {
        let s = svg(&[bar("A", "a", Some(9), Some(-2))], &labels());
        assert!(s.contains("a: level 5, target 0"), "{s}");
        let w = X1 - X0;
        assert!(s.contains(&format!(r#"class="current" x="{X0}" y="#)));
        assert!(s.contains(&format!(r#"width="{w}" height="{BAR_H}" fill="{MET}""#)));
    }

    #[test]
    fn missing_current_shows_none_label() {
        let s = svg(&[bar("A", "Integritas", None, Some(3))], &labels());
        assert!(s.contains(r#"class="none""#));
        assert!(s.contains(">belum ada</text>"));
        assert!(s.contains("Integritas: belum ada, target 3"));
        assert!(!s.contains(r#"class="current""#));
    }

    #[test]
    fn height_grows_with_rows_and_long_names() {
        let one = svg(&[bar("A", "a", Some(1), Some(2))], &labels());
        let three = svg(&vec![bar("A", "a", Some(1), Some(2)); 3], &labels());
        assert!(height(&three) > height(&one));
        let long = svg(
            &[bar(
                "T1",
                "Pengelolaan Keuangan Negara dan Anggaran Berbasis Kinerja pada Instansi Pemerintah",
                Some(1),
                Some(2),
            )],
            &labels(),
        );
        assert!(height(&long) > height(&one));
        // Nothing of the name is lost by wrapping.
        for word in ["Pengelolaan", "Berbasis", "Instansi", "Pemerintah"] {
            assert!(long.contains(word), "{word}");
        }
    }

    #[test]
    fn empty_input_is_small_and_says_none() {
        let s = svg(&[], &labels());
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains(r#"role="img""#) && s.contains("viewBox"));
        assert!(s.contains(">belum ada</text>"));
        assert!(height(&s) <= 60.0);
    }

    #[test]
    fn no_inline_styles() {
        let s = svg(
            &[
                bar("A", "a", Some(1), Some(2)),
                bar("B", "b", None, None),
                bar("C", "c", Some(0), Some(0)),
            ],
            &labels(),
        );
        assert!(!s.contains("style="));
        assert!(!s.contains("<style"));
        assert!(!svg(&[], &labels()).contains("style"));
    }

    #[test]
    fn wrap_keeps_words_and_limits() {
        assert_eq!(wrap("a bb ccc", 4, 4), vec!["a bb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4, 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4, 4), vec![""]);
        assert_eq!(wrap("aa bb", 2, 10), vec!["aa", "bb"]);
    }
}
