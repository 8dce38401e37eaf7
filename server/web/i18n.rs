//! Message catalogs (`web/i18n/<lang>/*.toml`) and the language of a request.
//!
//! Indonesian is the default; English is the second language. A request's language comes from the
//! `cakap_lang` cookie (set by the switch in the layout), else from `Accept-Language`.

use std::collections::HashMap;
use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};
use serde::Serialize;

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "cakap_lang";

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

    /// The language of a request: cookie, then `Accept-Language`, then Indonesian.
    pub fn of(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(from_accept_language)
            .unwrap_or(Lang::Id)
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

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Lang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of(req)))
    }
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
                format!(
                    "{path}: not valid TOML: {}",
                    crate::text::one_line(e.message())
                )
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
