//! Handlebars templates (`web/templates`), embedded into the binary, and page rendering.
//!
//! Strict mode: a misspelt variable is an error, not an empty string. Helpers: `t` looks a
//! message up in the request's language (`{{t "nav.home"}}`, `{{t "x.y" name=value}}`), `asset`
//! gives an asset's hashed URL (`{{asset "app.css"}}`).

use std::sync::Arc;

use actix_web::{http::header, HttpRequest, HttpResponse};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use rust_embed::RustEmbed;
use serde_json::{json, Map, Value};

use super::assets::Assets;
use super::i18n::{I18n, Lang};
use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "web/templates/"]
struct Embedded;

pub struct Views {
    hb: Handlebars<'static>,
    i18n: Arc<I18n>,
}

impl Views {
    /// Register every template and helper. An error names the template file.
    pub fn load(i18n: Arc<I18n>, assets: Arc<Assets>) -> Result<Views, String> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.set_dev_mode(false);
        for file in Embedded::iter() {
            let data =
                Embedded::get(&file).ok_or_else(|| format!("web/templates/{file}: missing"))?;
            let source = std::str::from_utf8(&data.data)
                .map_err(|_| format!("web/templates/{file}: not UTF-8"))?;
            let name = file.trim_end_matches(".hbs");
            let name = name.strip_prefix("partials/").unwrap_or(name);
            hb.register_template_string(name, source).map_err(|e| {
                format!(
                    "web/templates/{file}: {}",
                    crate::text::one_line(&e.to_string())
                )
            })?;
        }
        hb.register_helper("t", Box::new(Translate::html(i18n.clone())));
        hb.register_helper("asset", Box::new(AssetUrl(assets)));
        Ok(Views { hb, i18n })
    }

    pub fn i18n(&self) -> &I18n {
        &self.i18n
    }

    /// The message `key` in `lang` (the key itself when missing), for handlers that put a
    /// translated text into an error or a value.
    pub fn text(&self, lang: Lang, key: &str) -> String {
        self.i18n.get(lang, key).unwrap_or(key).to_string()
    }

    /// Render template `name` with `data`, plus what every page needs (`lang`, the language switch).
    pub fn render(&self, req: &HttpRequest, name: &str, data: Value) -> Result<String, AppError> {
        let lang = Lang::of(req);
        let mut ctx = match data {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => {
                let mut m = Map::new();
                m.insert("data".into(), other);
                m
            }
        };
        ctx.insert("lang".into(), json!(lang.code()));
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let switch: Vec<Value> = Lang::ALL
            .iter()
            .map(|l| {
                json!({
                    "code": l.code(),
                    "label": l.code().to_uppercase(),
                    "current": *l == lang,
                    "href": format!("/lang/{}?next={}", l.code(), url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()),
                })
            })
            .collect();
        ctx.insert("languages".into(), Value::Array(switch));
        {
            use actix_web::HttpMessage;
            let ext = req.extensions();
            let csrf = ext
                .get::<super::csrf::CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default();
            ctx.insert("csrf".into(), json!(csrf));
            let me = ext.get::<super::auth::Session>().map(|s| {
                json!({
                    "id": s.user.id,
                    "name": s.user.name,
                    "is_admin": s.user.is_platform_admin || s.user.is_agency_admin,
                    "is_platform_admin": s.user.is_platform_admin,
                    "is_author": s.user.is_author,
                    "is_supervisor": s.is_supervisor,
                })
            });
            ctx.insert("me".into(), me.unwrap_or(Value::Null));
        }
        // a Context made from the value takes it as it is; `render(name, &value)` would first
        // copy the whole page's data (the largest allocation cost of a big page)
        let ctx = handlebars::Context::from(Value::Object(ctx));
        self.hb.render_with_context(name, &ctx).map_err(|e| {
            AppError::Internal(format!(
                "template {name}: {}",
                crate::text::one_line(&e.to_string())
            ))
        })
    }

    /// A `200 OK` HTML page.
    pub fn page(
        &self,
        req: &HttpRequest,
        name: &str,
        data: Value,
    ) -> Result<HttpResponse, AppError> {
        let body = self.render(req, name, data)?;
        Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::VARY, "Cookie, Accept-Language"))
            .body(body))
    }
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

struct AssetUrl(Arc<Assets>);

impl HelperDef for AssetUrl {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("asset", 0))?;
        let url = self.0.url(name).ok_or_else(|| {
            RenderError::from(RenderErrorReason::Other(format!(
                "no asset `{name}` in web/static"
            )))
        })?;
        out.write(&url)?;
        Ok(())
    }
}
