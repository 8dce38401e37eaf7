//! The competency dictionary (`competencies.toml`): every competency a course may name.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::diag::{Diagnostic, Sink};
use super::frontmatter::{Fields, Split};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Manajerial,
    SosialKultural,
    Teknis,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Manajerial, Kind::SosialKultural, Kind::Teknis];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Manajerial => "manajerial",
            Kind::SosialKultural => "sosial-kultural",
            Kind::Teknis => "teknis",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Competency {
    pub code: String,
    pub name: String,
    pub kind: Kind,
    pub description: String,
    /// What levels 1..5 mean (empty when not given).
    pub levels: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary {
    pub by_code: BTreeMap<String, Competency>,
}

impl Dictionary {
    pub fn get(&self, code: &str) -> Option<&Competency> {
        self.by_code.get(code)
    }

    pub fn codes(&self) -> Vec<&str> {
        self.by_code.keys().map(String::as_str).collect()
    }

    /// The entries as a `competencies.toml` that [`Dictionary::parse`] reads back.
    pub fn to_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out =
            String::from("# The competencies this course names, from Cakap's dictionary.\n");
        for c in self.by_code.values() {
            out.push_str("\n[[competency]]\n");
            out.push_str(&format!("code = {}\n", quote(&c.code)));
            out.push_str(&format!("name = {}\n", quote(&c.name)));
            out.push_str(&format!("kind = {}\n", quote(c.kind.code())));
            if !c.description.is_empty() {
                out.push_str(&format!("description = {}\n", quote(&c.description)));
            }
            if !c.levels.is_empty() {
                out.push_str("levels = [\n");
                for l in &c.levels {
                    out.push_str(&format!("  {},\n", quote(l)));
                }
                out.push_str("]\n");
            }
        }
        out
    }

    /// Read `path`; every problem is a diagnostic. Returns what could be read.
    pub fn load(path: &Path, shown: &str) -> (Dictionary, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    Sink {
                        path: shown,
                        out: &mut diags,
                    }
                    .error_in(
                        0,
                        "not UTF-8 text; save the file as UTF-8",
                        "bukan teks UTF-8; simpan ulang berkasnya sebagai UTF-8",
                    );
                    return (Dictionary::default(), diags);
                }
            },
            Err(e) => {
                Sink { path: shown, out: &mut diags }.error(
                    0,
                    format!("cannot read the competency dictionary ({e}); create it next to the course folders"),
                );
                return (Dictionary::default(), diags);
            }
        };
        let dict = Dictionary::parse(&text, shown, &mut diags);
        (dict, diags)
    }

    pub fn parse(text: &str, shown: &str, diags: &mut Vec<Diagnostic>) -> Dictionary {
        let text = super::frontmatter::normalize(text);
        let split = Split {
            toml: &text,
            toml_line: 1,
            body: "",
            body_line: 0,
        };
        let mut sink = Sink {
            path: shown,
            out: diags,
        };
        let mut dict = Dictionary::default();
        let Some(table) = super::frontmatter::parse_toml(&split, &mut sink) else {
            return dict;
        };
        let mut top = Fields::new(&table, &split, &mut sink);
        top.table_line = 1;
        let entries = top.tables("competency").unwrap_or_default();
        top.finish(&["competency"], |_| None);
        if entries.is_empty() {
            sink.error_in(
                1,
                "no competencies; add `[[competency]]` entries with code, name and kind",
                "belum ada kompetensi; tambahkan entri `[[competency]]` dengan code, name, dan kind",
            );
        }
        for (entry, line) in entries {
            let Some(competency) = read_entry(entry, line, &split, &mut sink) else {
                continue;
            };
            let code = competency.code.clone();
            if !valid_code(&code) {
                sink.error_in(
                    line,
                    format!("competency code `{code}` is not valid; use capital letters, digits and dots, such as M.PP or T.EGOV"),
                    format!("kode kompetensi `{code}` tidak sah; pakai huruf kapital, angka, dan titik, misalnya M.PP atau T.EGOV"),
                );
                continue;
            }
            if dict.by_code.contains_key(&code) {
                sink.error_in(
                    line,
                    format!("competency `{code}` is listed twice; keep one entry"),
                    format!("kompetensi `{code}` tercantum dua kali; sisakan satu"),
                );
                continue;
            }
            dict.by_code.insert(code, competency);
        }
        dict
    }
}

/// One `[[competency]]` entry's fields, each checked; None when code, name or kind is missing
/// or wrong.
fn read_entry(
    entry: &toml::Table,
    line: usize,
    split: &Split<'_>,
    sink: &mut Sink<'_>,
) -> Option<Competency> {
    let mut f = Fields::entry(entry, split, sink, line);
    let code = f.string("code", true, "code = \"M.PP\"");
    let name = f.string("name", true, "name = \"Pelayanan Publik\"");
    let kind_line = f.line_of("kind");
    let kind = f
        .string("kind", true, "kind = \"manajerial\"")
        .and_then(|k| match Kind::parse(&k) {
            Some(kind) => Some(kind),
            None => {
                f.sink.error_in(
                    kind_line,
                    format!(
                        "unknown kind `{k}`; use \"manajerial\", \"sosial-kultural\" or \"teknis\""
                    ),
                    format!(
                        "jenis `{k}` tidak dikenal; pakai \"manajerial\", \"sosial-kultural\", atau \"teknis\""
                    ),
                );
                None
            }
        });
    let description = f
        .string("description", false, "description = \"...\"")
        .unwrap_or_default();
    let levels_line = f.line_of("levels");
    let levels = f
        .strings(
            "levels",
            "levels = [\"...\", \"...\", \"...\", \"...\", \"...\"]",
        )
        .unwrap_or_default();
    if !levels.is_empty() && levels.len() != 5 {
        let n = levels.len();
        f.sink.error_in(
            levels_line,
            format!("`levels` has {n} descriptions; give exactly five, for levels 1 to 5"),
            format!("`levels` berisi {n} uraian; tulis tepat lima, untuk level 1 sampai 5"),
        );
    }
    f.finish(&["code", "name", "kind", "description", "levels"], |_| None);
    Some(Competency {
        code: code?,
        name: name?,
        kind: kind?,
        description,
        levels,
    })
}

fn valid_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '-' || c == '_'
        })
        && code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_dictionary_has_permenpanrb_38_2017() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses/competencies.toml");
        let (dict, diags) = Dictionary::load(&path, "courses/competencies.toml");
        assert!(diags.is_empty(), "{diags:#?}");
        for code in [
            "M.INT", "M.KS", "M.KOM", "M.OH", "M.PP", "M.PDOL", "M.MP", "M.PK", "SK.PB",
        ] {
            let c = dict.get(code).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(c.levels.len(), 5, "{code}");
            assert_ne!(c.kind, Kind::Teknis, "{code}");
        }
        assert_eq!(dict.get("SK.PB").unwrap().kind, Kind::SosialKultural);
        assert!(dict.by_code.values().any(|c| c.kind == Kind::Teknis));
    }

    #[test]
    fn to_toml_reads_back_the_same() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses/competencies.toml");
        let (dict, _) = Dictionary::load(&path, "courses/competencies.toml");
        let mut diags = Vec::new();
        let again = Dictionary::parse(&dict.to_toml(), "again.toml", &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(again, dict);
        let mut odd = Dictionary::default();
        odd.by_code.insert(
            "T.X".into(),
            Competency {
                code: "T.X".into(),
                name: "Kutip \"ini\" \\ itu\nbaris".into(),
                kind: Kind::Teknis,
                description: String::new(),
                levels: vec![],
            },
        );
        let back = Dictionary::parse(&odd.to_toml(), "odd.toml", &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(back, odd);
    }

    #[test]
    fn errors_name_the_line() {
        let text = "[[competency]]\ncode = \"M.PP\"\nname = \"A\"\nkind = \"manager\"\n\n[[competency]]\ncode = \"M.PP\"\nname = \"B\"\nkind = \"teknis\"\nlevel = [\"x\"]\n";
        let mut diags = Vec::new();
        let dict = Dictionary::parse(text, "c.toml", &mut diags);
        let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("c.toml:4: unknown kind `manager`")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("c.toml:10: unknown key `level`; did you mean `levels`?")),
            "{lines:#?}"
        );
        assert!(dict.get("M.PP").is_none() || diags.len() >= 2);
    }
}
