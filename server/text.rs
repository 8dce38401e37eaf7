//! Small text helpers shared by the layers that talk to people.

/// The candidate closest to `word` (by edit distance), if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The blank characters of the API's text rules: ASCII white space only, so that a JSON Schema
/// `pattern` states the rule exactly in every regex dialect (ECMA-262, Python, Rust).
pub const API_BLANK: [char; 6] = [' ', '\t', '\n', '\r', '\x0b', '\x0c'];

/// A JSON Schema `pattern`: the text has a character that is not [`API_BLANK`].
pub const API_NOT_BLANK: &str = "[^ \\t\\n\\r\\f\\v]";

/// `s` without its leading and trailing [`API_BLANK`].
pub fn api_trim(s: &str) -> &str {
    s.trim_matches(API_BLANK)
}

/// Collapse every run of whitespace (newlines included) into one space, so a message from a
/// library fits on one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A size for people: `2.1 MB`, `64 KB`.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A code made safe for a file name: ASCII letters, digits, `-` and `_` kept, anything else `-`.
pub fn file_safe(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Month names, January first.
pub const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
pub const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `x` with `places` decimals and the language's decimal separator ("4,3" / "4.3").
pub fn decimal(x: f64, places: usize, lang: crate::i18n::Lang) -> String {
    let s = format!("{x:.places$}");
    match lang {
        crate::i18n::Lang::Id => s.replace('.', ","),
        crate::i18n::Lang::En => s,
    }
}

/// A date as people write it: `17 Agustus 2026` (Indonesian) or `17 August 2026` (English).
pub fn date(d: chrono::NaiveDate, lang: crate::i18n::Lang) -> String {
    use chrono::Datelike;
    let months = match lang {
        crate::i18n::Lang::Id => MONTHS_ID,
        crate::i18n::Lang::En => MONTHS_EN,
    };
    format!("{} {} {}", d.day(), months[d.month0() as usize], d.year())
}

/// Whether `s` holds a character that must never be part of a name: control characters
/// (line breaks and tabs included, which would break a mail header or a CSV line), Unicode line
/// and paragraph separators, and the invisible marks that reorder text (bidirectional
/// overrides and isolates), which make a name read differently from what it is.
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            )
    })
}

/// Why a person's name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// Fewer than two letters.
    TooShort,
    /// A control character (line break, tab, …) or an invisible reordering mark.
    Control,
}

/// The one check for a person's name, wherever it is set (registration, admin forms, CSV import,
/// the CLI): no control characters, runs of spaces collapsed, at least two characters.
pub fn person_name(raw: &str) -> Result<String, NameError> {
    if has_control(raw) {
        return Err(NameError::Control);
    }
    let name = one_line(raw);
    if name.chars().count() < 2 {
        return Err(NameError::TooShort);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_only() {
        let keys = ["title", "summary", "jp", "pass_mark"];
        assert_eq!(nearest("titel", &keys), Some("title"));
        assert_eq!(nearest("pasmark", &keys), Some("pass_mark"));
        assert_eq!(nearest("completely-different", &keys), None);
    }

    #[test]
    fn dates_read_naturally() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 8, 17).unwrap();
        assert_eq!(date(d, crate::i18n::Lang::Id), "17 Agustus 2026");
        assert_eq!(date(d, crate::i18n::Lang::En), "17 August 2026");
    }

    #[test]
    fn one_line_collapses_newlines() {
        assert_eq!(one_line("a\n\tb  c\n"), "a b c");
    }

    #[test]
    fn names_refuse_control_characters() {
        use super::{person_name, NameError};
        assert_eq!(person_name("  Siti   Rahma ").unwrap(), "Siti Rahma");
        assert_eq!(person_name("A"), Err(NameError::TooShort));
        for bad in [
            "Siti\r\nBcc: x@evil.example",
            "Siti\nRahma",
            "Siti\tRahma",
            "Siti\u{1}",
            "Siti\u{7f}",
            "Siti\u{85}",
            "Siti\u{2028}",
            "Siti\u{202e}amhaR",
        ] {
            assert_eq!(person_name(bad), Err(NameError::Control), "{bad:?}");
        }
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(2 * 1024 * 1024 + 64 * 1024), "2.1 MB");
        assert_eq!(human_size(256 * 1024), "256 KB");
    }
}
