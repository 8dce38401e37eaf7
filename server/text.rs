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

/// Collapse every run of whitespace (newlines included) into one space, so a message from a
/// library fits on one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
pub fn decimal(x: f64, places: usize, lang: crate::web::Lang) -> String {
    let s = format!("{x:.places$}");
    match lang {
        crate::web::Lang::Id => s.replace('.', ","),
        crate::web::Lang::En => s,
    }
}

/// A date as people write it: `17 Agustus 2026` (Indonesian) or `17 August 2026` (English).
pub fn date(d: chrono::NaiveDate, lang: crate::web::Lang) -> String {
    use chrono::Datelike;
    let months = match lang {
        crate::web::Lang::Id => MONTHS_ID,
        crate::web::Lang::En => MONTHS_EN,
    };
    format!("{} {} {}", d.day(), months[d.month0() as usize], d.year())
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
        assert_eq!(date(d, crate::web::Lang::Id), "17 Agustus 2026");
        assert_eq!(date(d, crate::web::Lang::En), "17 August 2026");
    }

    #[test]
    fn one_line_collapses_newlines() {
        assert_eq!(one_line("a\n\tb  c\n"), "a b c");
    }
}
