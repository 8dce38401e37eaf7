//! Front matter: TOML between `+++` lines at the very top of a file, read into typed fields with
//! a diagnostic (and the line) for every missing, mistyped or unknown key.

use std::collections::BTreeSet;

use super::diag::Sink;

/// A Markdown file split into its front matter and body. Line numbers are 1-based in the file.
#[derive(Debug)]
pub struct Split<'a> {
    pub toml: &'a str,
    /// Line of the first TOML line (the line after the opening `+++`).
    pub toml_line: usize,
    pub body: &'a str,
    /// Line of the first body line.
    pub body_line: usize,
}

/// Drop a BOM and turn CRLF (and lone CR) into LF; line numbers stay the same.
pub fn normalize(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Split `text` (already normalized). An error (no front matter at the top, or one never
/// closed) is its line and what to do, in English and in Indonesian; the caller reports it.
pub fn split(text: &str) -> Result<Split<'_>, (usize, String, String)> {
    let first = text.lines().next().unwrap_or("");
    if first.trim_end() != "+++" {
        return Err((
            1,
            "the file must start with front matter: a line `+++`, TOML settings, and another `+++`; add them at the very top".into(),
            "berkas harus diawali bagian pengaturan: baris `+++`, pengaturan TOML, lalu `+++` lagi; tambahkan di baris paling atas".into(),
        ));
    }
    let start = first.len() + 1;
    let mut offset = start;
    for (i, line) in text[start.min(text.len())..]
        .split_inclusive('\n')
        .enumerate()
    {
        if line.trim_end() == "+++" {
            let body_start = (offset + line.len()).min(text.len());
            return Ok(Split {
                toml: &text[start.min(offset)..offset],
                toml_line: 2,
                body: &text[body_start..],
                body_line: i + 3,
            });
        }
        offset += line.len();
    }
    Err((
        1,
        "the front matter opened with `+++` is never closed; add a line `+++` after the settings"
            .into(),
        "bagian pengaturan yang dibuka dengan `+++` tidak pernah ditutup; tambahkan baris `+++` setelah pengaturan"
            .into(),
    ))
}

/// Parse front-matter TOML. A syntax error is reported at its line.
pub fn parse_toml(split: &Split<'_>, sink: &mut Sink<'_>) -> Option<toml::Table> {
    match split.toml.parse::<toml::Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            let line = e
                .span()
                .map(|s| {
                    split.toml_line
                        + split.toml[..s.start.min(split.toml.len())]
                            .matches('\n')
                            .count()
                })
                .unwrap_or(split.toml_line);
            let why = crate::text::one_line(e.message());
            sink.error_in(
                line,
                format!(
                    "front matter is not valid TOML: {why}; check quotes, commas and brackets on this line"
                ),
                format!(
                    "bagian pengaturan (di antara +++) tidak dapat dibaca sebagai TOML ({why}); periksa tanda kutip, koma, dan kurung di baris ini"
                ),
            );
            None
        }
    }
}

/// What a key's value should have been, for the message that says it was not.
#[derive(Clone, Copy)]
enum Want {
    Text,
    Whole,
    Boolean,
    Texts,
    NonEmptyTexts,
    Tables,
}

impl Want {
    fn en(self, key: &str) -> String {
        match self {
            Want::Text => "a string in quotes".into(),
            Want::Whole => "a whole number".into(),
            Want::Boolean => "true or false (no quotes)".into(),
            Want::Texts => "a list of strings".into(),
            Want::NonEmptyTexts => "a list of non-empty strings".into(),
            Want::Tables => format!("a list of `[[{key}]]` tables"),
        }
    }

    fn id(self, key: &str) -> String {
        match self {
            Want::Text => "teks di antara tanda kutip".into(),
            Want::Whole => "bilangan bulat".into(),
            Want::Boolean => "true atau false (tanpa tanda kutip)".into(),
            Want::Texts => "daftar teks".into(),
            Want::NonEmptyTexts => "daftar teks yang tidak kosong".into(),
            Want::Tables => format!("tabel-tabel `[[{key}]]`"),
        }
    }
}

/// A TOML value's kind, in Indonesian.
fn type_id(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "teks",
        toml::Value::Integer(_) => "bilangan bulat",
        toml::Value::Float(_) => "bilangan pecahan",
        toml::Value::Boolean(_) => "true/false",
        toml::Value::Datetime(_) => "tanggal",
        toml::Value::Array(_) => "daftar",
        toml::Value::Table(_) => "tabel",
    }
}

/// Typed access to a front-matter table (or one `[[competencies]]` entry), reporting problems
/// at the line of the key.
pub struct Fields<'t, 's, 'a> {
    table: &'t toml::Table,
    split: &'t Split<'t>,
    /// For an entry of an array of tables: the line of its `[[name]]` header.
    after_line: usize,
    used: BTreeSet<String>,
    pub sink: &'s mut Sink<'a>,
    /// Line reported for problems of the table as a whole (a missing required key).
    pub table_line: usize,
}

impl<'t, 's, 'a> Fields<'t, 's, 'a> {
    pub fn new(table: &'t toml::Table, split: &'t Split<'t>, sink: &'s mut Sink<'a>) -> Self {
        Fields {
            table,
            split,
            after_line: split.toml_line,
            used: BTreeSet::new(),
            sink,
            table_line: split.toml_line.saturating_sub(1).max(1),
        }
    }

    /// Fields of an entry of an array of tables whose header is at `header_line`.
    pub fn entry(
        table: &'t toml::Table,
        split: &'t Split<'t>,
        sink: &'s mut Sink<'a>,
        header_line: usize,
    ) -> Self {
        Fields {
            table,
            split,
            after_line: header_line,
            used: BTreeSet::new(),
            sink,
            table_line: header_line,
        }
    }

    /// The line where `key = …` is written (the table's line when not found).
    pub fn line_of(&self, key: &str) -> usize {
        key_line(self.split, key, self.after_line).unwrap_or(self.table_line)
    }

    fn get(&mut self, key: &str) -> Option<&'t toml::Value> {
        self.used.insert(key.to_string());
        self.table.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn wrong_type(&mut self, key: &str, v: &toml::Value, want: Want, example: &str) {
        let line = self.line_of(key);
        self.sink.error_in(
            line,
            format!(
                "`{key}` must be {}, not {}; write it like {example}",
                want.en(key),
                v.type_str()
            ),
            format!(
                "`{key}` harus berupa {}, bukan {}; tulis seperti {example}",
                want.id(key),
                type_id(v)
            ),
        );
    }

    pub fn missing(&mut self, key: &str, example: &str) {
        let line = self.table_line;
        self.sink.error_in(
            line,
            format!("`{key}` is required; add a line {example}"),
            format!("`{key}` wajib diisi; tambahkan baris {example}"),
        );
    }

    /// A string; `required` reports its absence. Empty strings count as absent.
    pub fn string(&mut self, key: &str, required: bool, example: &str) -> Option<String> {
        match self.get(key) {
            None if required => {
                self.missing(key, example);
                None
            }
            None => None,
            Some(toml::Value::String(s)) if s.trim().is_empty() => {
                let line = self.line_of(key);
                self.sink.error_in(
                    line,
                    format!("`{key}` is empty; write it like {example}"),
                    format!("`{key}` masih kosong; tulis seperti {example}"),
                );
                None
            }
            Some(toml::Value::String(s)) => Some(s.trim().to_string()),
            Some(v) => {
                self.wrong_type(key, v, Want::Text, example);
                None
            }
        }
    }

    /// A whole number within `min..=max`.
    pub fn int(
        &mut self,
        key: &str,
        required: bool,
        min: i64,
        max: i64,
        example: &str,
    ) -> Option<i64> {
        match self.get(key) {
            None if required => {
                self.missing(key, example);
                None
            }
            None => None,
            Some(toml::Value::Integer(n)) if (min..=max).contains(n) => Some(*n),
            Some(toml::Value::Integer(n)) => {
                let line = self.line_of(key);
                self.sink.error_in(
                    line,
                    format!(
                        "`{key}` is {n}, outside {min} to {max}; use a whole number in that range"
                    ),
                    format!(
                        "`{key}` bernilai {n}, di luar {min} sampai {max}; pakai bilangan bulat dalam rentang itu"
                    ),
                );
                None
            }
            Some(v) => {
                self.wrong_type(key, v, Want::Whole, example);
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &str, example: &str) -> Option<bool> {
        match self.get(key) {
            None => None,
            Some(toml::Value::Boolean(b)) => Some(*b),
            Some(v) => {
                self.wrong_type(key, v, Want::Boolean, example);
                None
            }
        }
    }

    /// A list of strings.
    pub fn strings(&mut self, key: &str, example: &str) -> Option<Vec<String>> {
        match self.get(key) {
            None => None,
            Some(toml::Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        toml::Value::String(s) if !s.trim().is_empty() => {
                            out.push(s.trim().to_string())
                        }
                        other => {
                            self.wrong_type(key, other, Want::NonEmptyTexts, example);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Some(v) => {
                self.wrong_type(key, v, Want::Texts, example);
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), each with the line of its header.
    pub fn tables(&mut self, key: &str) -> Option<Vec<(&'t toml::Table, usize)>> {
        match self.get(key) {
            None => None,
            Some(toml::Value::Array(items)) => {
                let headers = header_lines(self.split, key);
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        toml::Value::Table(t) => out.push((
                            t,
                            headers.get(i).copied().unwrap_or_else(|| self.line_of(key)),
                        )),
                        other => {
                            self.wrong_type(key, other, Want::Tables, &format!("[[{key}]]"));
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Some(v) => {
                self.wrong_type(key, v, Want::Tables, &format!("[[{key}]]"));
                None
            }
        }
    }

    /// Report every key not read, with the nearest known key. `hint` explains a key that is
    /// known elsewhere but not allowed here (returns `Some((english, indonesian))`).
    pub fn finish(mut self, known: &[&str], hint: impl Fn(&str) -> Option<(String, String)>) {
        let unknown: Vec<&String> = self
            .table
            .keys()
            .filter(|k| !self.used.contains(*k))
            .collect();
        for key in unknown {
            let line = self.line_of(key);
            let (en, id) = hint(key).unwrap_or_else(|| match crate::text::nearest(key, known) {
                Some(k) => (
                    format!("did you mean `{k}`?"),
                    format!("maksud Anda `{k}`?"),
                ),
                None => (
                    format!("known keys here: {}", known.join(", ")),
                    format!("kunci yang dikenal di sini: {}", known.join(", ")),
                ),
            });
            self.sink.error_in(
                line,
                format!("unknown key `{key}`; {en}"),
                format!("kunci `{key}` tidak dikenal; {id}"),
            );
        }
        self.used.clear();
    }
}

/// Line of `key = …` (or `key.sub = …`) in the front matter, searching from `after` (a table
/// header line) on, and stopping at the next table header. A key that is a table of its own
/// (`[key]`, `[[key]]`, `[key.sub]`) is found at its header.
fn key_line(split: &Split<'_>, key: &str, after: usize) -> Option<usize> {
    let mut in_scope = true;
    let mut header = None;
    for (i, line) in split.toml.lines().enumerate() {
        let n = split.toml_line + i;
        if n < after {
            continue;
        }
        let t = line.trim_start();
        if n > after {
            if let Some(name) = header_name(t) {
                in_scope = false;
                let first = name
                    .split('.')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"');
                if header.is_none() && first == key {
                    header = Some(n);
                }
                continue;
            }
        }
        if !in_scope {
            continue;
        }
        let Some(rest) = t.strip_prefix(key).or_else(|| {
            t.strip_prefix('"')
                .and_then(|r| r.strip_prefix(key))
                .and_then(|r| r.strip_prefix('"'))
        }) else {
            continue;
        };
        if rest.trim_start().starts_with(['=', '.']) {
            return Some(n);
        }
    }
    header
}

/// The name inside a table header line (`[name]` or `[[name]]`, maybe with a comment after);
/// `None` for any other line, such as a line of a multi-line array.
fn header_name(line: &str) -> Option<&str> {
    let t = line.trim();
    let (inner, close) = match t.strip_prefix("[[") {
        Some(r) => (r, "]]"),
        None => (t.strip_prefix('[')?, "]"),
    };
    let end = inner.find(close)?;
    let after = inner[end + close.len()..].trim_start();
    let name = &inner[..end];
    let key_chars = name
        .chars()
        .all(|c| c.is_alphanumeric() || "_-. \"'".contains(c));
    (key_chars && !name.trim().is_empty() && (after.is_empty() || after.starts_with('#')))
        .then_some(name.trim())
}

/// Lines of each `[[name]]` header, in order.
fn header_lines(split: &Split<'_>, name: &str) -> Vec<usize> {
    let header = format!("[[{name}]]");
    split
        .toml
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim().replace(' ', "") == header)
        .map(|(i, _)| split.toml_line + i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let text = normalize("\u{feff}+++\r\ntitle = \"A\"\r\n+++\r\n\r\nBody\r\n");
        let s = split(&text).unwrap();
        assert_eq!(s.toml, "title = \"A\"\n");
        assert_eq!(s.toml_line, 2);
        assert_eq!(s.body_line, 4);
        assert_eq!(s.body, "\nBody\n");
    }

    #[test]
    fn missing_or_unclosed_front_matter_is_reported() {
        assert!(split("# Judul\n").is_err());
        assert!(split("+++\ntitle = \"x\"\n")
            .unwrap_err()
            .1
            .contains("never closed"));
        let s = split("+++\n+++\n").unwrap();
        assert_eq!(s.toml, "");
        assert_eq!(s.body_line, 3);
    }

    #[test]
    fn tables_and_dotted_keys_are_found_at_their_line() {
        let text = "+++\ntitle = \"x\"\nquiz.attempts = 3\nmatrix = [\n  [1, 2],\n]\njp = 2\n\n[[competencies]]\ncode = \"A\"\n\n[ tambahan ] # komentar\nx = 1\n[tambahan.lagi]\n+++\n";
        let s = split(text).unwrap();
        assert_eq!(key_line(&s, "quiz", 2), Some(3));
        // a line of a nested array is not a table header
        assert_eq!(key_line(&s, "jp", 2), Some(7));
        assert_eq!(key_line(&s, "competencies", 2), Some(9));
        assert_eq!(key_line(&s, "tambahan", 2), Some(12));
        assert_eq!(key_line(&s, "x", 2), None);
        assert_eq!(key_line(&s, "code", 9), Some(10));
        assert_eq!(header_name("[[competencies]]"), Some("competencies"));
        assert_eq!(header_name("[1, 2],"), None);
        assert_eq!(header_name("[\"a\", \"b\"]"), None);
        assert_eq!(header_name("tags = [\"a\"]"), None);
    }

    #[test]
    fn unknown_keys_name_their_line_and_the_nearest_key() {
        let text = "+++\ntitel = \"x\"\n\"jp\" = 2\nquiz.attempts = 3\n\n[tambahan]\nx = 1\n+++\n";
        let s = split(text).unwrap();
        let table = s.toml.parse::<toml::Table>().unwrap();
        let mut diags = Vec::new();
        let mut sink = Sink {
            path: "course.md",
            out: &mut diags,
        };
        let mut f = Fields::new(&table, &s, &mut sink);
        assert_eq!(f.string("title", true, "title = \"T\""), None);
        assert_eq!(f.int("jp", true, 1, 10, "jp = 2"), Some(2));
        f.finish(&["title", "jp"], |_| None);
        // (sorted: the order of unknown keys follows the TOML map)
        let mut lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        lines.sort();
        assert_eq!(
            lines,
            vec![
                "course.md:1: `title` is required; add a line title = \"T\"",
                "course.md:2: unknown key `titel`; did you mean `title`?",
                "course.md:4: unknown key `quiz`; known keys here: title, jp",
                "course.md:6: unknown key `tambahan`; known keys here: title, jp",
            ]
        );
        // (issue 25) what an author reads in the Indonesian UI
        let mut said: Vec<&str> = diags
            .iter()
            .map(|d| d.text(crate::i18n::Lang::Id))
            .collect();
        said.sort();
        assert_eq!(
            said,
            vec![
                "`title` wajib diisi; tambahkan baris title = \"T\"",
                "kunci `quiz` tidak dikenal; kunci yang dikenal di sini: title, jp",
                "kunci `tambahan` tidak dikenal; kunci yang dikenal di sini: title, jp",
                "kunci `titel` tidak dikenal; maksud Anda `title`?",
            ]
        );
    }

    #[test]
    fn toml_errors_are_reported_at_their_line() {
        let text = "+++\ntitle = \"x\"\njp = 2\nsummary = \"tidak ditutup\n+++\n";
        let s = split(text).unwrap();
        let mut diags = Vec::new();
        let parsed = parse_toml(
            &s,
            &mut Sink {
                path: "m.md",
                out: &mut diags,
            },
        );
        assert!(parsed.is_none());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, 4, "{diags:#?}");
        assert!(diags[0]
            .message
            .starts_with("front matter is not valid TOML: "));
        assert!(!diags[0].message.contains('\n'));
    }

    #[test]
    fn key_lines_are_found_within_their_table() {
        let text = "+++\ntitle = \"x\"\n\n[[competencies]]\ncode = \"A\"\nlevel = 2\n[[competencies]]\ncode = \"B\"\n+++\n";
        let s = split(text).unwrap();
        assert_eq!(key_line(&s, "title", 2), Some(2));
        assert_eq!(header_lines(&s, "competencies"), vec![4, 7]);
        assert_eq!(key_line(&s, "code", 7), Some(8));
        assert_eq!(key_line(&s, "level", 7), None);
    }
}
