//! The printable certificate: a one-page A4 landscape PDF in Indonesian, drawn with the standard
//! Helvetica fonts (no embedded font data) and the verification QR code as vector squares.

use chrono::{Datelike, NaiveDateTime, Timelike};
use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::model::Certificate;
use super::qr;

/// A4 landscape, in points.
const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
const CX: f32 = PAGE_W / 2.0;

/// Widest a centred line may be.
const TEXT_W: f32 = 640.0;

type Rgb = (f32, f32, f32);
const NAVY: Rgb = (0.08, 0.19, 0.37);
const GOLD: Rgb = (0.72, 0.56, 0.24);
const INK: Rgb = (0.13, 0.13, 0.15);
const GREY: Rgb = (0.36, 0.37, 0.40);

/// Render `c` as a PDF whose QR code and printed address point at `verify_url`. The holder's
/// own document: the NIP is printed in full.
pub fn render(c: &Certificate, verify_url: &str) -> Vec<u8> {
    let mut page = Canvas {
        content: Content::new(),
    };
    page.frame();
    page.stamp(c);
    page.header(c);
    page.body(c);
    page.signature(c);
    page.verification(c, verify_url);
    page.footer(c);
    write_document(c, page.content)
}

fn write_document(c: &Certificate, content: Content) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let pages_id = Ref::new(2);
    let page_id = Ref::new(3);
    let regular_id = Ref::new(4);
    let bold_id = Ref::new(5);
    let content_id = Ref::new(6);
    let info_id = Ref::new(7);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id)
        .pages(pages_id)
        .lang(TextStr("id-ID"));
    pdf.pages(pages_id).kids([page_id]).count(1);

    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
    page.parent(pages_id);
    page.contents(content_id);
    let mut resources = page.resources();
    let mut fonts = resources.fonts();
    fonts.pair(Font::Regular.resource(), regular_id);
    fonts.pair(Font::Bold.resource(), bold_id);
    fonts.finish();
    resources.finish();
    page.finish();

    for (id, font) in [(regular_id, Font::Regular), (bold_id, Font::Bold)] {
        pdf.type1_font(id)
            .base_font(Name(font.base_name()))
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(32)
            .last_char(255)
            .widths(font.widths().iter().map(|&w| f32::from(w)));
    }

    // Uncompressed on purpose: small, and its text stays searchable.
    let data = content.finish();
    pdf.stream(content_id, &data);

    let title = format!("Sertifikat {}", c.number);
    let mut info = pdf.document_info(info_id);
    info.title(TextStr(&title))
        .author(TextStr(&c.issuer))
        .subject(TextStr(&c.course_title))
        .creator(TextStr("Cakap"))
        .creation_date(pdf_date(c.issued_at));
    info.finish();

    pdf.finish()
}

/// Timestamps are stored in UTC.
fn pdf_date(t: NaiveDateTime) -> Date {
    Date::new(u16::try_from(t.year()).unwrap_or(0))
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// `25 November 2026` (of a local time: callers pass `c.zone.local(instant)`).
fn tanggal(t: NaiveDateTime) -> String {
    format!(
        "{} {} {}",
        t.day(),
        crate::text::MONTHS_ID[t.month0() as usize],
        t.year()
    )
}

// ---------------------------------------------------------------------------------------------
// Drawing

struct Canvas {
    content: Content,
}

/// Vertical positions below are measured from the top of the page, like a layout; `Canvas`
/// flips them.
fn flip(y_top: f32) -> f32 {
    PAGE_H - y_top
}

impl Canvas {
    fn fill(&mut self, (r, g, b): Rgb) {
        self.content.set_fill_rgb(r, g, b);
    }

    fn stroke(&mut self, (r, g, b): Rgb) {
        self.content.set_stroke_rgb(r, g, b);
    }

    /// One line of text with its left end at `x` and its baseline at `y` (from the top).
    fn text_at(&mut self, font: Font, size: f32, x: f32, y: f32, color: Rgb, text: &[u8]) {
        self.fill(color);
        self.content
            .begin_text()
            .set_font(font.resource(), size)
            .next_line(x, flip(y));
        // pdf-writer writes a string with any byte over 127 in hex; splitting the line into
        // ASCII and non-ASCII runs (one TJ) keeps the ASCII parts readable and searchable.
        if text.is_ascii() {
            self.content.show(Str(text));
        } else {
            let mut shown = self.content.show_positioned();
            let mut items = shown.items();
            for run in text.chunk_by(|a, b| a.is_ascii() == b.is_ascii()) {
                items.show(Str(run));
            }
            items.finish();
            shown.finish();
        }
        self.content.end_text();
    }

    /// A revoked or expired certificate carries a large pale stamp across the page (drawn first,
    /// so the text stays readable over it), so a printout cannot pass for a valid one.
    fn stamp(&mut self, c: &Certificate) {
        let word: &[u8] = match c.status_at(chrono::Utc::now().naive_utc()) {
            super::model::Status::Valid => return,
            super::model::Status::Revoked => b"DICABUT",
            super::model::Status::Expired => b"KEDALUWARSA",
        };
        let size = 96.0;
        let width = Font::Bold.measure(word, size);
        let (sin, cos) = (0.35_f32.sin(), 0.35_f32.cos());
        self.content.save_state();
        self.fill((0.97, 0.80, 0.80));
        self.content
            .begin_text()
            .set_font(Font::Bold.resource(), size)
            .set_text_matrix([
                cos,
                sin,
                -sin,
                cos,
                CX - cos * width / 2.0 + sin * size / 3.0,
                PAGE_H / 2.0 - sin * width / 2.0 - cos * size / 3.0,
            ])
            .show(Str(word))
            .end_text();
        self.content.restore_state();
    }

    /// One line centred on `cx`.
    fn centered(&mut self, font: Font, size: f32, cx: f32, y: f32, color: Rgb, text: &[u8]) {
        let x = cx - font.measure(text, size) / 2.0;
        self.text_at(font, size, x, y, color, text);
    }

    /// One letter-spaced line centred on the page.
    fn spaced(&mut self, font: Font, size: f32, spacing: f32, y: f32, color: Rgb, text: &[u8]) {
        let gaps = text.len().saturating_sub(1) as f32;
        let x = CX - (font.measure(text, size) + spacing * gaps) / 2.0;
        self.content.set_char_spacing(spacing);
        self.text_at(font, size, x, y, color, text);
        self.content.set_char_spacing(0.0);
    }

    /// A horizontal rule centred on `cx`.
    fn rule(&mut self, cx: f32, y: f32, width: f32, thickness: f32, color: Rgb) {
        self.stroke(color);
        self.content
            .set_line_width(thickness)
            .move_to(cx - width / 2.0, flip(y))
            .line_to(cx + width / 2.0, flip(y))
            .stroke();
    }

    /// The double frame: a strong outer line and a fine inner one, with small corner marks.
    fn frame(&mut self) {
        let (outer, inner) = (18.0, 26.0);
        self.stroke(NAVY);
        self.content
            .set_line_width(2.5)
            .rect(outer, outer, PAGE_W - 2.0 * outer, PAGE_H - 2.0 * outer)
            .stroke();
        self.stroke(GOLD);
        self.content
            .set_line_width(0.8)
            .rect(inner, inner, PAGE_W - 2.0 * inner, PAGE_H - 2.0 * inner)
            .stroke();
        // Small gold squares in the corners, between the two lines.
        self.fill(GOLD);
        let s = 5.0;
        let m = (outer + inner) / 2.0 - s / 2.0;
        for (x, y) in [
            (m, m),
            (PAGE_W - m - s, m),
            (m, PAGE_H - m - s),
            (PAGE_W - m - s, PAGE_H - m - s),
        ] {
            self.content.rect(x, y, s, s);
        }
        self.content.fill_nonzero();
    }

    fn header(&mut self, c: &Certificate) {
        let issuers = match &c.partner {
            Some(p) => format!("{}  \u{b7}  {}", c.issuer, p.name),
            None => c.issuer.clone(),
        };
        let issuer = winansi(&issuers.to_uppercase());
        let size = Font::Bold.fit(&issuer, 11.0, 7.0, TEXT_W - 1.6 * issuer.len() as f32);
        let issuer = Font::Bold.truncate(&issuer, size, TEXT_W);
        self.spaced(Font::Bold, size, 1.6, 66.0, NAVY, &issuer);
        self.rule(CX, 78.0, 56.0, 1.2, GOLD);
        self.spaced(Font::Bold, 40.0, 7.0, 124.0, NAVY, b"SERTIFIKAT");
        self.centered(
            Font::Regular,
            13.0,
            CX,
            146.0,
            INK,
            b"Surat Tanda Tamat Pelatihan (STTPL)",
        );
        let number = winansi(&format!("Nomor: {}", c.number));
        self.centered(Font::Regular, 10.0, CX, 163.0, GREY, &number);
    }

    /// The middle: who, what, how much, when. Laid out as a list of lines first so the block can
    /// be centred vertically in the space between the header and the signature row.
    fn body(&mut self, c: &Certificate) {
        let mut lines = Vec::new();
        holder_lines(c, &mut lines);
        course_lines(c, &mut lines);

        // The block spans from the cap height of its first line to the baseline of its last.
        let height: f32 = lines.iter().map(|l| l.gap).sum::<f32>() + lines[0].size * 0.72;
        let (top, bottom) = (178.0, 410.0);
        let y0 = top + ((bottom - top - height) / 2.0).max(0.0) + lines[0].size * 0.72;
        let mut y = y0;
        let mut last_width = 0.0;
        for line in &lines {
            y += line.gap;
            if line.text.is_empty() {
                let width = (last_width + 40.0_f32).clamp(260.0, TEXT_W);
                self.rule(CX, y, width, 0.8, line.color);
            } else {
                self.centered(line.font, line.size, CX, y, line.color, &line.text);
                last_width = line.font.measure(&line.text, line.size);
            }
        }
    }

    /// Bottom right: date of issue, the signatory's title, room for a signature, the name. A
    /// partner's course has a second block to its left: the partner, its signatory's title, the
    /// name.
    fn signature(&mut self, c: &Certificate) {
        let date = tanggal(c.zone.local(c.issued_at));
        match &c.partner {
            None => self.sign_block(
                PAGE_W - 190.0,
                250.0,
                &date,
                c.signatory_title.as_deref(),
                c.signatory_name.as_deref(),
            ),
            Some(p) => {
                self.sign_block(
                    445.0,
                    200.0,
                    &p.name,
                    p.signatory_title.as_deref(),
                    p.signatory_name.as_deref(),
                );
                self.sign_block(
                    PAGE_W - 177.0,
                    220.0,
                    &date,
                    c.signatory_title.as_deref(),
                    c.signatory_name.as_deref(),
                );
            }
        }
    }

    fn sign_block(
        &mut self,
        cx: f32,
        width: f32,
        head: &str,
        title: Option<&str>,
        name: Option<&str>,
    ) {
        let head = winansi(head);
        let size = Font::Regular.fit(&head, 11.0, 8.0, width);
        let head = Font::Regular.truncate(&head, size, width);
        self.centered(Font::Regular, size, cx, 430.0, INK, &head);
        if let Some(title) = title.filter(|t| !t.trim().is_empty()) {
            let lines = Font::Regular.wrap(&winansi(title.trim()), 10.5, width);
            let lines = Font::Regular.limit(lines, 2, 10.5, width);
            for (i, line) in lines.iter().enumerate() {
                self.centered(Font::Regular, 10.5, cx, 446.0 + 13.0 * i as f32, INK, line);
            }
        }
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            let name = winansi(name.trim());
            let size = Font::Bold.fit(&name, 11.5, 8.0, width);
            let name = Font::Bold.truncate(&name, size, width);
            self.centered(Font::Bold, size, cx, 508.0, INK, &name);
            let w = Font::Bold.measure(&name, size);
            self.rule(cx, 511.5, w, 0.6, INK);
        }
    }

    /// Bottom left: the QR code, with the address and code spelled out under it.
    fn verification(&mut self, c: &Certificate, verify_url: &str) {
        let m = qr::matrix(verify_url);
        let (x0, top, size) = (52.0, 416.0, 90.0);
        let quiet = 4;
        let mut text_x = x0;
        if m.width > 0 {
            let module = size / (m.width + 2 * quiet) as f32;
            let left = x0 + quiet as f32 * module;
            let top = top + quiet as f32 * module;
            text_x = left;
            self.fill((0.0, 0.0, 0.0));
            for y in 0..m.width {
                let mut x = 0;
                while x < m.width {
                    if !m.is_dark(x, y) {
                        x += 1;
                        continue;
                    }
                    let start = x;
                    while x < m.width && m.is_dark(x, y) {
                        x += 1;
                    }
                    // A hair of overlap so no viewer shows seams between rows.
                    let bottom = top + (y + 1) as f32 * module;
                    self.content.rect(
                        left + start as f32 * module,
                        flip(bottom) - 0.05,
                        (x - start) as f32 * module,
                        module + 0.1,
                    );
                }
            }
            self.content.fill_nonzero();
        }
        let url =
            Font::Regular.truncate(&winansi(&format!("Verifikasi: {verify_url}")), 7.5, 330.0);
        self.text_at(Font::Regular, 7.5, text_x, 519.0, GREY, &url);
        let grouped: Vec<String> = c
            .code
            .as_bytes()
            .chunks(4)
            .map(|g| String::from_utf8_lossy(g).into_owned())
            .collect();
        let code = winansi(&format!("Kode: {}", grouped.join("-")));
        self.text_at(Font::Regular, 7.5, text_x, 529.0, GREY, &code);
    }

    /// The e-signature statement. The course's internal version is not printed (an HR officer
    /// has no use for a hash); the signed credential carries it.
    fn footer(&mut self, _c: &Certificate) {
        let text = winansi(
            "Dokumen ini ditandatangani secara elektronik; keasliannya dapat diperiksa dengan \
             memindai kode QR atau membuka alamat verifikasi di atas.",
        );
        let text = Font::Regular.truncate(&text, 7.0, PAGE_W - 120.0);
        self.centered(Font::Regular, 7.0, CX, 552.0, GREY, &text);
    }
}

struct Line {
    gap: f32,
    font: Font,
    size: f32,
    color: Rgb,
    text: Vec<u8>,
}

/// Adds a line to the body's block, `gap` below the one before.
fn add(lines: &mut Vec<Line>, gap: f32, font: Font, size: f32, color: Rgb, text: Vec<u8>) {
    lines.push(Line {
        gap,
        font,
        size,
        color,
        text,
    })
}

/// The body's lines about the holder: name (with a rule under it), NIP, agency.
fn holder_lines(c: &Certificate, lines: &mut Vec<Line>) {
    add(
        lines,
        0.0,
        Font::Regular,
        11.5,
        INK,
        winansi("diberikan kepada"),
    );
    let name = winansi(&c.holder_name);
    let name_size = Font::Bold.fit(&name, 26.0, 14.0, TEXT_W);
    let name = Font::Bold.truncate(&name, name_size, TEXT_W);
    add(lines, 33.0, Font::Bold, name_size, NAVY, name);
    // A gold rule under the name (drawn below, marked by an empty line).
    add(lines, 10.0, Font::Regular, 0.0, GOLD, Vec::new());
    let mut gap = 18.0;
    if let Some(nip) = c.holder_nip.as_deref().filter(|n| !n.trim().is_empty()) {
        add(
            lines,
            gap,
            Font::Regular,
            11.0,
            INK,
            winansi(&format!("NIP {}", nip.trim())),
        );
        gap = 15.0;
    }
    if let Some(agency) = c.agency.as_deref().filter(|a| !a.trim().is_empty()) {
        let agency = winansi(agency.trim());
        let agency = Font::Regular.truncate(&agency, 11.0, TEXT_W);
        add(lines, gap, Font::Regular, 11.0, INK, agency);
    }
}

/// The body's lines about the course: title, JP, competencies, dates.
fn course_lines(c: &Certificate, lines: &mut Vec<Line>) {
    add(
        lines,
        26.0,
        Font::Regular,
        11.5,
        INK,
        winansi("telah menyelesaikan pelatihan daring (e-learning)"),
    );
    let title = winansi(&c.course_title);
    let (title_size, title_lines) = [17.0, 15.0, 13.0]
        .iter()
        .map(|&size| (size, Font::Bold.wrap(&title, size, 600.0)))
        .find(|(_, lines)| lines.len() <= 2)
        .unwrap_or_else(|| (13.0, Font::Bold.wrap(&title, 13.0, 600.0)));
    let title_lines = Font::Bold.limit(title_lines, 2, title_size, 600.0);
    for (i, line) in title_lines.into_iter().enumerate() {
        let gap = if i == 0 { 25.0 } else { title_size * 1.22 };
        add(lines, gap, Font::Bold, title_size, NAVY, line);
    }
    add(
        lines,
        19.0,
        Font::Regular,
        11.5,
        INK,
        winansi(&format!("sebanyak {} JP (jam pelajaran)", c.jp)),
    );
    if !c.competencies.is_empty() {
        let list = c
            .competencies
            .iter()
            .map(|k| format!("{} ({}) level {}", k.name, k.code, k.level))
            .collect::<Vec<_>>()
            .join("; ");
        let text = winansi(&format!("Kompetensi: {list}"));
        let wrapped = Font::Regular.wrap(&text, 9.5, 600.0);
        for (i, line) in Font::Regular
            .limit(wrapped, 3, 9.5, 600.0)
            .into_iter()
            .enumerate()
        {
            add(
                lines,
                if i == 0 { 17.0 } else { 12.5 },
                Font::Regular,
                9.5,
                GREY,
                line,
            );
        }
    }
    let mut dates = format!(
        "Diselesaikan pada {}",
        tanggal(c.zone.local(c.completed_at))
    );
    if let Some(until) = c.expires_at {
        dates.push_str(&format!(
            "  \u{b7}  Berlaku sampai {}",
            tanggal(c.zone.local(until))
        ));
    }
    add(lines, 19.0, Font::Regular, 10.5, INK, winansi(&dates));
}

// ---------------------------------------------------------------------------------------------
// Fonts and text

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    fn base_name(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA_WIDTHS,
            Font::Bold => &HELVETICA_BOLD_WIDTHS,
        }
    }

    /// Advance width of WinAnsi-encoded `text` at `size`, in points.
    fn measure(self, text: &[u8], size: f32) -> f32 {
        let widths = self.widths();
        let units: u32 = text
            .iter()
            .map(|&b| u32::from(b.checked_sub(32).map_or(278, |i| widths[usize::from(i)])))
            .sum();
        units as f32 * size / 1000.0
    }

    /// The largest size up to `max` (but not under `min`) at which `text` fits `width`.
    fn fit(self, text: &[u8], max: f32, min: f32, width: f32) -> f32 {
        let at_one = self.measure(text, 1.0);
        if at_one <= 0.0 {
            return max;
        }
        (width / at_one).clamp(min, max)
    }

    /// `text` cut to fit `width`, ending in an ellipsis if cut.
    fn truncate(self, text: &[u8], size: f32, width: f32) -> Vec<u8> {
        if self.measure(text, size) <= width {
            return text.to_vec();
        }
        self.cut(text, size, width)
    }

    /// `text` shortened (by at least one character) to end in an ellipsis within `width`.
    fn cut(self, text: &[u8], size: f32, width: f32) -> Vec<u8> {
        let mut cut = text.to_vec();
        loop {
            cut.pop();
            while cut.last() == Some(&b' ') {
                cut.pop();
            }
            let mut with = cut.clone();
            with.push(ELLIPSIS);
            if cut.is_empty() || self.measure(&with, size) <= width {
                return with;
            }
        }
    }

    /// Greedy word wrap by measured width; a word wider than a line is broken where it must.
    fn wrap(self, text: &[u8], size: f32, width: f32) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut line: Vec<u8> = Vec::new();
        for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
            let mut candidate = line.clone();
            if !candidate.is_empty() {
                candidate.push(b' ');
            }
            candidate.extend_from_slice(word);
            if self.measure(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // Break an overlong word into pieces that fit.
            for &b in word {
                line.push(b);
                if line.len() > 1 && self.measure(&line, size) > width {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, vec![b]));
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// At most `max` lines; if there were more, the last kept line ends in an ellipsis.
    fn limit(self, mut lines: Vec<Vec<u8>>, max: usize, size: f32, width: f32) -> Vec<Vec<u8>> {
        if lines.len() <= max {
            return lines;
        }
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let mut marked = last.clone();
            marked.push(ELLIPSIS);
            *last = if self.measure(&marked, size) <= width {
                marked
            } else {
                self.cut(last, size, width)
            };
        }
        lines
    }
}

/// `…` in WinAnsiEncoding.
const ELLIPSIS: u8 = 0x85;

/// Encode `s` in WinAnsiEncoding (Windows-1252) for the standard fonts: ASCII as is, Latin-1
/// letters and the usual typographic punctuation to their byte, whitespace and control
/// characters to a space, anything else to `?`.
pub fn winansi(s: &str) -> Vec<u8> {
    s.chars().map(winansi_byte).collect()
}

fn winansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u8,
        c if c.is_whitespace() || c.is_control() => b' ',
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        '\u{2010}' | '\u{2011}' | '\u{2212}' => b'-',
        _ => b'?',
    }
}

/// Helvetica advance widths (1/1000 em) for WinAnsi codes 32..=255.
#[rustfmt::skip]
const HELVETICA_WIDTHS: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 32..
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 48..
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 64..
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 80..
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 96..
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350, // 112..
    556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 128..
    350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, // 144..
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 160..
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 176..
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 192..
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 208..
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 224..
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 240..
];
/// Helvetica Bold advance widths (1/1000 em) for WinAnsi codes 32..=255.
#[rustfmt::skip]
const HELVETICA_BOLD_WIDTHS: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 32..
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 48..
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 64..
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 80..
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 96..
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 350, // 112..
    556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 128..
    350, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, // 144..
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 160..
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 176..
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 192..
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 208..
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 224..
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 240..
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::model::CompetencyLevel;
    use chrono::NaiveDate;

    const URL: &str = "https://cakap.example.go.id/v/k7m2q9x4hf3tc8wz5npa";

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap()
    }

    pub(crate) fn sample() -> Certificate {
        Certificate {
            id: 1,
            code: "k7m2q9x4hf3tc8wz5npa".into(),
            number: "CKP/2026/000123".into(),
            user_id: 7,
            completion_id: 3,
            course_id: 2,
            holder_name: "Siti Rahmawati, S.Sos.".into(),
            holder_nip: Some("198703152010011002".into()),
            agency: Some("Pemerintah Kota Surakarta".into()),
            course_slug: "pelayanan-publik-prima".into(),
            course_title: "Pelayanan Publik Prima bagi Aparatur Sipil Negara".into(),
            course_version: "3f9a1c2b".into(),
            jp: 6,
            competencies: vec![
                CompetencyLevel {
                    code: "M.PP".into(),
                    name: "Pelayanan Publik".into(),
                    level: 2,
                },
                CompetencyLevel {
                    code: "S.KOM".into(),
                    name: "Komunikasi".into(),
                    level: 3,
                },
            ],
            completed_at: at(2026, 11, 25),
            issued_at: at(2026, 11, 25),
            expires_at: Some(at(2029, 11, 25)),
            issuer: "BPSDM Provinsi Jawa Tengah".into(),
            signatory_name: Some("Dr. Ahmad Santoso, M.Si.".into()),
            signatory_title: Some("Kepala Badan Pengembangan Sumber Daya Manusia Daerah".into()),
            kid: String::new(),
            jwt: String::new(),
            revoked_at: None,
            revoked_by: None,
            revoked_reason: None,
            reminded_at: None,
            partner: None,
            zone: crate::clock::Zone::Wib,
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Write `CAKAP_CERT_SAMPLE=/tmp/cert-sample.pdf cargo test --lib certificates::pdf` to look
    /// at the result.
    fn keep(pdf: &[u8]) {
        if let Ok(path) = std::env::var("CAKAP_CERT_SAMPLE") {
            std::fs::write(path, pdf).unwrap();
        }
    }

    #[test]
    fn renders_a_landscape_a4_pdf_with_its_facts() {
        let pdf = render(&sample(), URL);
        keep(&pdf);
        assert!(pdf.starts_with(b"%PDF-"));
        let end = pdf.trim_ascii_end();
        assert!(end.ends_with(b"%%EOF"));
        assert!(contains(&pdf, b"/MediaBox [0 0 842 595]"));
        for needle in [
            "CKP/2026/000123",
            "Siti Rahmawati, S.Sos.",
            "k7m2q9x4hf3tc8wz5npa",
            URL,
            "NIP 198703152010011002",
            "Pemerintah Kota Surakarta",
            "SERTIFIKAT",
            "Surat Tanda Tamat Pelatihan (STTPL)",
            "sebanyak 6 JP (jam pelajaran)",
            "Pelayanan Publik (M.PP) level 2; Komunikasi (S.KOM) level 3",
            "Diselesaikan pada 25 November 2026",
            "Berlaku sampai 25 November 2029",
            "/BaseFont /Helvetica-Bold",
            "/WinAnsiEncoding",
            "Sertifikat CKP/2026/000123",
            "(Cakap)",
        ] {
            assert!(contains(&pdf, needle.as_bytes()), "missing {needle:?}");
        }
        assert!(!contains(&pdf, b"/FlateDecode"));
        // the e-signature statement, and no internal version hash (issue 25)
        assert!(contains(&pdf, b"ditandatangani secara elektronik"));
        assert!(!contains(&pdf, b"3f9a1c2b") && !contains(&pdf, b"Versi kursus"));
    }

    #[test]
    fn a_partner_course_names_both_issuers_and_both_signatories() {
        let mut c = sample();
        c.partner = Some(crate::certificates::model::CoIssuer {
            name: "Universitas Diponegoro".into(),
            signatory_name: Some("Prof. Dr. Suharnomo, S.E., M.Si.".into()),
            signatory_title: Some("Rektor".into()),
        });
        let pdf = render(&c, URL);
        if let Ok(path) = std::env::var("CAKAP_CERT_PARTNER_SAMPLE") {
            std::fs::write(path, &pdf).unwrap();
        }
        for needle in [
            "UNIVERSITAS DIPONEGORO",
            "(Universitas Diponegoro)",
            "Prof. Dr. Suharnomo, S.E., M.Si.",
            "(Rektor)",
            "Dr. Ahmad Santoso, M.Si.",
        ] {
            assert!(contains(&pdf, needle.as_bytes()), "missing {needle:?}");
        }
        c.partner.as_mut().unwrap().signatory_name = None;
        c.partner.as_mut().unwrap().signatory_title = None;
        assert!(render(&c, URL).starts_with(b"%PDF-"));
    }

    #[test]
    fn optional_parts_can_be_missing() {
        let mut c = sample();
        c.holder_nip = None;
        c.agency = None;
        c.expires_at = None;
        c.competencies.clear();
        c.signatory_name = None;
        c.signatory_title = None;
        let pdf = render(&c, URL);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(!contains(&pdf, b"NIP "));
        assert!(!contains(&pdf, b"Berlaku sampai"));
        assert!(!contains(&pdf, b"Kompetensi"));
    }

    #[test]
    fn long_and_accented_text_does_not_break_it() {
        let mut c = sample();
        c.holder_name = "André Müller-Sébastien Ñandú Łukasz 王".into();
        c.course_title = "Transformasi Digital ".repeat(30);
        c.competencies = (0..20)
            .map(|i| CompetencyLevel {
                code: format!("K.{i:02}"),
                name: "Kompetensi Teknis yang Sangat Panjang Sekali".into(),
                level: i,
            })
            .collect();
        c.issuer = "Badan Pengembangan Sumber Daya Manusia ".repeat(5);
        c.signatory_name = Some("N".repeat(200));
        c.signatory_title = Some("Kepala ".repeat(100));
        c.agency = Some("Dinas ".repeat(100));
        let pdf = render(&c, &format!("{URL}?{}", "x".repeat(300)));
        assert!(pdf.starts_with(b"%PDF-"));
        // Non-ASCII runs are written as hex strings of WinAnsi bytes: é is E9, ü is FC.
        assert!(contains(
            &pdf,
            b"[(Andr) <E9> ( M) <FC> (ller-S) <E9> (bastien ) <D1>"
        ));
        let _ = render(&c, "");
    }

    #[test]
    fn winansi_maps_latin1_and_punctuation() {
        assert_eq!(winansi("é"), vec![0xe9]);
        assert_eq!(winansi("Müller"), b"M\xfcller".to_vec());
        assert_eq!(winansi("a–b “c” …"), b"a\x96b \x93c\x94 \x85".to_vec());
        assert_eq!(winansi("王 Ł"), b"? ?".to_vec());
        assert_eq!(winansi("a\tb\nc"), b"a b c".to_vec());
        assert_eq!(winansi("\u{b7}"), vec![0xb7]);
    }

    #[test]
    fn text_is_measured_with_the_font_metrics() {
        // Helvetica: H 722, i 222; Helvetica-Bold: H 722, i 278.
        assert_eq!(Font::Regular.measure(b"Hi", 10.0), 9.44);
        assert!((Font::Bold.measure(b"Hi", 10.0) - 10.0).abs() < 1e-4);
        assert!(Font::Bold.measure(b"abc", 10.0) > Font::Regular.measure(b"abc", 10.0));
        let lines = Font::Regular.wrap(b"satu dua tiga empat lima enam", 10.0, 60.0);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(Font::Regular.measure(line, 10.0) <= 60.0);
        }
        let kept = Font::Regular.limit(lines.clone(), 1, 10.0, 60.0);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].last(), Some(&ELLIPSIS));
        assert!(Font::Regular.measure(&kept[0], 10.0) <= 60.0);
        let cut = Font::Regular.truncate(&[b'x'; 100], 10.0, 50.0);
        assert_eq!(cut.last(), Some(&ELLIPSIS));
        assert!(Font::Regular.measure(&cut, 10.0) <= 50.0);
    }

    #[test]
    fn dates_are_written_in_indonesian() {
        assert_eq!(tanggal(at(2026, 11, 25)), "25 November 2026");
        assert_eq!(tanggal(at(2027, 8, 1)), "1 Agustus 2027");
    }

    #[test]
    fn revoked_and_expired_certificates_carry_a_stamp() {
        let mut c = crate::certificates::credential::tests::sample(None);
        let valid = render(&c, "https://cakap.example/v/x");
        assert!(!String::from_utf8_lossy(&valid).contains("DICABUT"));
        c.revoked_at = Some(chrono::Utc::now().naive_utc());
        let revoked = render(&c, "https://cakap.example/v/x");
        assert!(String::from_utf8_lossy(&revoked).contains("(DICABUT)"));
        c.revoked_at = None;
        c.expires_at = Some(chrono::Utc::now().naive_utc() - chrono::Duration::days(1));
        let expired = render(&c, "https://cakap.example/v/x");
        assert!(String::from_utf8_lossy(&expired).contains("(KEDALUWARSA)"));
    }
}
