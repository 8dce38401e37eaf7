//! E-mail templates: `web/templates/email/<name>.txt.hbs` and `<name>.html.hbs`, with the subject
//! from the message `mail.<name>.subject` (`web/i18n/<lang>/mail.toml`), embedded.
//!
//! Two Handlebars registries, both strict: HTML templates escape what they insert, text templates
//! do not (a link with `&` stays `&`). Files whose name starts with `_` are partials: the shared
//! frames `_layout.html.hbs` and `_layout.txt.hbs` (`{{#> _layout}}…{{/_layout}}`) and pieces
//! such as `_button.html.hbs`; every other name is an e-mail and needs both halves. The `t`
//! helper reads messages in the mail's language; every template sees `lang`, `subject` and the
//! data given to [`MailTemplates::render`].

use std::collections::BTreeSet;
use std::sync::Arc;

use handlebars::{Handlebars, RenderError};
use rust_embed::RustEmbed;
use serde_json::{Map, Value};

use super::outbox::OutgoingMail;
use crate::i18n::{I18n, Lang, Translate};

#[derive(RustEmbed)]
#[folder = "web/templates/email/"]
struct Embedded;

pub struct MailTemplates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
    i18n: Arc<I18n>,
    names: BTreeSet<String>,
}

impl std::fmt::Debug for MailTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailTemplates")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl MailTemplates {
    /// Register every e-mail template. An error names the file or message that is wrong: a
    /// template without its other half (text or HTML), or without a subject in some language.
    pub fn load(i18n: Arc<I18n>) -> Result<MailTemplates, String> {
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        html.set_dev_mode(false);
        html.register_escape_fn(escape_html);
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.set_dev_mode(false);
        text.register_escape_fn(handlebars::no_escape);

        let mut html_names = BTreeSet::new();
        let mut text_names = BTreeSet::new();
        for file in Embedded::iter() {
            let path = format!("web/templates/email/{file}");
            let (registry, names, name) = if let Some(n) = file.strip_suffix(".html.hbs") {
                (&mut html, &mut html_names, n)
            } else if let Some(n) = file.strip_suffix(".txt.hbs") {
                (&mut text, &mut text_names, n)
            } else {
                return Err(format!(
                    "{path}: e-mail templates are named <name>.txt.hbs or <name>.html.hbs"
                ));
            };
            let data = Embedded::get(&file).ok_or_else(|| format!("{path}: missing"))?;
            let source =
                std::str::from_utf8(&data.data).map_err(|_| format!("{path}: not UTF-8"))?;
            registry
                .register_template_string(name, source)
                .map_err(|e| format!("{path}: {}", crate::text::one_line(&e.to_string())))?;
            names.insert(name.to_string());
        }
        let is_partial = |n: &String| n.starts_with('_');
        html_names.retain(|n| !is_partial(n));
        text_names.retain(|n| !is_partial(n));
        if let Some(name) = html_names.symmetric_difference(&text_names).next() {
            let (has, lacks) = if html_names.contains(name) {
                ("html", "txt")
            } else {
                ("txt", "html")
            };
            return Err(format!(
                "web/templates/email/{name}.{has}.hbs has no web/templates/email/{name}.{lacks}.hbs; every e-mail needs both"
            ));
        }
        let names = html_names;
        for name in &names {
            let key = subject_key(name);
            if i18n.get(Lang::Id, &key).is_none() {
                return Err(format!(
                    "web/templates/email/{name}: no subject `{key}` in web/i18n/id/mail.toml"
                ));
            }
        }
        html.register_helper("t", Box::new(Translate::html(i18n.clone())));
        text.register_helper("t", Box::new(Translate::text(i18n.clone())));
        Ok(MailTemplates {
            html,
            text,
            i18n,
            names,
        })
    }

    /// The names of the e-mails there are templates for (`invite`, `reset`, `verify`, …).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// Render e-mail `name` in `lang` for `to`. `data` (an object) is what the templates and the
    /// subject's `{placeholders}` see, plus `lang` and `subject`.
    pub fn render(
        &self,
        name: &str,
        lang: Lang,
        data: Value,
        to: &str,
    ) -> Result<OutgoingMail, String> {
        if !self.names.contains(name) {
            return Err(format!(
                "no e-mail template `{name}` (web/templates/email/{name}.txt.hbs and .html.hbs)"
            ));
        }
        let mut ctx = match data {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => {
                return Err(format!(
                    "e-mail {name}: data must be an object, not {other}"
                ))
            }
        };
        let args: Vec<(&str, String)> = ctx
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.as_str(), s.clone())),
                Value::Number(n) => Some((k.as_str(), n.to_string())),
                _ => None,
            })
            .collect();
        let key = subject_key(name);
        let subject = self
            .i18n
            .format(lang, &key, &args)
            .ok_or_else(|| format!("e-mail {name}: no message `{key}` in web/i18n"))?;
        let subject = crate::text::one_line(&subject);
        ctx.insert("lang".into(), Value::String(lang.code().into()));
        ctx.insert("subject".into(), Value::String(subject.clone()));
        let ctx = Value::Object(ctx);
        let fail = |kind: &str, e: RenderError| {
            format!(
                "e-mail template web/templates/email/{name}.{kind}.hbs: {}",
                crate::text::one_line(&e.to_string())
            )
        };
        let text = self.text.render(name, &ctx).map_err(|e| fail("txt", e))?;
        let html = self.html.render(name, &ctx).map_err(|e| fail("html", e))?;
        Ok(OutgoingMail {
            to: to.to_string(),
            subject,
            text: tidy_text(&text),
            html,
        })
    }
}

fn subject_key(name: &str) -> String {
    format!("mail.{name}.subject")
}

/// Escape for HTML text and quoted attributes: `& < > " '`. Unlike Handlebars' default, `=` and
/// `` ` `` stay as they are, so links read normally in the message source.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Trim trailing spaces, keep at most one blank line in a row, end with one newline.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn templates() -> MailTemplates {
        MailTemplates::load(Arc::new(I18n::load().unwrap())).unwrap()
    }

    #[test]
    fn every_template_renders_in_both_languages() {
        let t = templates();
        let names: Vec<&str> = t.names().collect();
        assert_eq!(
            names,
            [
                "account_exists",
                "certificate_expiring",
                "invite",
                "jp_reminder",
                "nip_taken",
                "reset",
                "supervisor_digest",
                "verify"
            ]
        );
        let data = json!({
            "name": "Siti Rahayu",
            "course": "Pelayanan Publik Prima",
            "number": "CKP/2026/000123",
            "expires": "25 Januari 2027",
            "certificate_link": "https://cakap.example/me/certificates/abc",
            "year": "2026",
            "jp": 8,
            "target": 20,
            "left": 12,
            "week": "2026-W48",
            "pending_count": 1,
            "overdue_count": 1,
            "pending": ["Siti: Workshop SOP"],
            "overdue": ["Budi: Literasi Digital"],
            "approvals_link": "https://cakap.example/team/approvals",
            "link": "https://cakap.example/x?token=abc&lang=id",
            "reset_link": "https://cakap.example/password/reset",
            "hours": 2,
            "days": 7,
            "agency": "BKN",
            "learner": "Budi Santoso",
            "completed": "25 Agustus 2026",
        });
        for name in names {
            let id = t
                .render(name, Lang::Id, data.clone(), "siti@example.go.id")
                .unwrap();
            let en = t
                .render(name, Lang::En, data.clone(), "siti@example.go.id")
                .unwrap();
            assert_ne!(id.subject, en.subject, "{name}");
            assert_ne!(id.text, en.text, "{name}");
            for mail in [&id, &en] {
                assert!(
                    mail.text.contains("token=abc&lang=id"),
                    "{name}: {}",
                    mail.text
                );
                assert!(
                    mail.html.contains("token=abc&amp;lang=id"),
                    "{name}: {}",
                    mail.html
                );
                assert!(mail.text.contains("Siti Rahayu"), "{name}");
                assert!(mail.html.contains("Cakap"), "{name}");
                assert!(!mail.text.contains("<p"), "{name}");
                assert!(!mail.text.contains("\n\n\n"), "{name}");
            }
            assert!(id.text.contains("Yth."), "{name}: {}", id.text);
            assert!(id.html.contains(r#"lang="id""#), "{name}");
            assert!(en.html.contains(r#"lang="en""#), "{name}");
        }
    }

    #[test]
    fn missing_data_is_an_error_naming_the_template() {
        let err = templates()
            .render(
                "verify",
                Lang::Id,
                json!({"name": "Siti"}),
                "siti@example.go.id",
            )
            .unwrap_err();
        assert!(err.contains("verify"), "{err}");
        let err = templates()
            .render("nope", Lang::Id, json!({}), "x@example.go.id")
            .unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn text_keeps_what_html_escapes() {
        let mail = templates()
            .render(
                "verify",
                Lang::En,
                json!({"name": "O'Brien <Bob>", "link": "https://x.example/?a=1&b=2"}),
                "bob@example.com",
            )
            .unwrap();
        assert!(mail.text.contains("O'Brien <Bob>"), "{}", mail.text);
        assert!(!mail.html.contains("<Bob>"), "{}", mail.html);
        assert!(mail.html.contains("&lt;Bob&gt;"), "{}", mail.html);
    }

    #[test]
    fn tidy_text_collapses_blank_lines() {
        assert_eq!(tidy_text("\n a  \n\n\n\n b\n\n"), "a\n\n b\n");
    }
}
