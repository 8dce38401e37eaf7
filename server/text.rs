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
    fn one_line_collapses_newlines() {
        assert_eq!(one_line("a\n\tb  c\n"), "a b c");
    }
}
