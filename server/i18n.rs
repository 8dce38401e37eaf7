//! Languages and message catalogs (`web/i18n/<lang>/*.toml`), and the `t` template helper.
//!
//! Indonesian is the default; English is the second language. This is a leaf: domain code (mail,
//! reminders, letters) uses it without the web layer. A request's language (cookie, then
//! `Accept-Language`) is decided in `web/i18n.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "id" | "in" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The supported language the client ranks highest (`q` weights honoured; ties keep header order).
pub fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in value.split(',') {
        let mut fields = part.split(';');
        let tag = fields.next().unwrap_or("").trim();
        let q = fields
            .filter_map(|f| f.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        if let Some(lang) = Lang::parse(tag) {
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l)
}

/// All catalogs, flattened to `section.key` → text.
#[derive(Debug)]
pub struct I18n {
    catalogs: HashMap<Lang, HashMap<String, String>>,
}

/// The catalogs: `web/i18n/<lang>/<feature>.toml`, one file per feature, embedded.
#[derive(rust_embed::RustEmbed)]
#[folder = "web/i18n/"]
struct Catalogs;

impl I18n {
    /// Load the embedded catalogs. An error names the catalog file and the problem; a key
    /// defined in two files of one language is an error too.
    pub fn load() -> Result<I18n, String> {
        let mut catalogs: HashMap<Lang, HashMap<String, String>> =
            Lang::ALL.iter().map(|l| (*l, HashMap::new())).collect();
        let mut files: Vec<String> = Catalogs::iter().map(|f| f.to_string()).collect();
        files.sort();
        for file in files {
            let path = format!("web/i18n/{file}");
            let Some((dir, _)) = file.split_once('/') else {
                continue;
            };
            let Some(lang) = Lang::parse(dir) else {
                continue;
            };
            let data = Catalogs::get(&file).ok_or_else(|| format!("{path}: missing"))?;
            let text = std::str::from_utf8(&data.data).map_err(|_| format!("{path}: not UTF-8"))?;
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                // on one line (the text helpers sit above this leaf)
                let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
                format!("{path}: not valid TOML: {message}")
            })?;
            let mut flat = HashMap::new();
            flatten("", &table, &mut flat).map_err(|e| format!("{path}: {e}"))?;
            let catalog = catalogs.entry(lang).or_default();
            for (k, v) in flat {
                if catalog.insert(k.clone(), v).is_some() {
                    return Err(format!("{path}: `{k}` is already defined in another file"));
                }
            }
        }
        Ok(I18n { catalogs })
    }

    /// The message `key` in `lang`, falling back to Indonesian.
    pub fn get(&self, lang: Lang, key: &str) -> Option<&str> {
        self.catalogs
            .get(&lang)
            .and_then(|c| c.get(key))
            .or_else(|| self.catalogs.get(&Lang::Id).and_then(|c| c.get(key)))
            .map(String::as_str)
    }

    /// Like [`I18n::get`], with `{name}` placeholders filled from `args`.
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> Option<String> {
        let mut text = self.get(lang, key)?.to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        Some(text)
    }

    /// Keys present in one catalog but missing from another, as `lang: key`.
    pub fn missing_keys(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for a in Lang::ALL {
            for b in Lang::ALL {
                for key in self.catalogs[&a].keys() {
                    if !self.catalogs[&b].contains_key(key) {
                        missing.push(format!("{}: {key}", b.code()));
                    }
                }
            }
        }
        missing.sort();
        missing
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out)?,
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                return Err(format!(
                    "`{key}` must be a string, not {}",
                    other.type_str()
                ))
            }
        }
    }
    Ok(())
}

/// The `t` helper, shared with the e-mail templates: HTML-escaped for pages and HTML mail,
/// verbatim for plain-text mail.
pub struct Translate {
    i18n: Arc<I18n>,
    escape: bool,
}

impl Translate {
    pub fn html(i18n: Arc<I18n>) -> Translate {
        Translate { i18n, escape: true }
    }

    pub fn text(i18n: Arc<I18n>) -> Translate {
        Translate {
            i18n,
            escape: false,
        }
    }
}

impl HelperDef for Translate {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        // the key is every positional parameter joined: {{t "competency.kind." kind}}
        if h.params().is_empty() {
            return Err(RenderErrorReason::ParamNotFoundForIndex("t", 0).into());
        }
        let key: String = h
            .params()
            .iter()
            .map(|p| match p.value() {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let key = key.as_str();
        let lang = ctx
            .data()
            .get("lang")
            .and_then(Value::as_str)
            .and_then(Lang::parse)
            .unwrap_or(Lang::Id);
        let args: Vec<(&str, String)> = h
            .hash()
            .iter()
            .map(|(k, v)| {
                let value = match v.value() {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (*k, value)
            })
            .collect();
        let text = self.i18n.format(lang, key, &args).ok_or_else(|| {
            RenderError::from(RenderErrorReason::Other(format!(
                "no message `{key}` in web/i18n"
            )))
        })?;
        if self.escape {
            out.write(&handlebars::html_escape(&text))?;
        } else {
            out.write(&text)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_load_and_have_the_same_keys() {
        let i18n = I18n::load().unwrap();
        assert_eq!(i18n.missing_keys(), Vec::<String>::new());
        assert_eq!(i18n.get(Lang::Id, "nav.home"), Some("Beranda"));
        assert_eq!(i18n.get(Lang::En, "nav.home"), Some("Home"));
    }

    #[test]
    fn accept_language_honours_weights() {
        assert_eq!(
            from_accept_language("en-US,en;q=0.9,id;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            from_accept_language("fr, en;q=0.5, id;q=0.7"),
            Some(Lang::Id)
        );
        assert_eq!(from_accept_language("id-ID"), Some(Lang::Id));
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language("en;q=0, id;q=0.1"), Some(Lang::Id));
        assert_eq!(from_accept_language(""), None);
    }

    #[test]
    fn format_fills_placeholders() {
        let i18n = I18n::load().unwrap();
        let s = i18n
            .format(Lang::Id, "home.jp_title", &[("jp", "20".into())])
            .unwrap();
        assert_eq!(s, "Hak 20 JP setiap tahun");
    }
}
