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
use super::compress::Shared;
use super::i18n::{I18n, Lang};
use crate::error::AppError;
pub use crate::i18n::Translate;

/// A page's typed context (a `#[derive(Serialize)]` struct) as the value [`Views::render`] takes.
pub fn page_data(page: &impl serde::Serialize) -> Result<Value, AppError> {
    serde_json::to_value(page).map_err(|e| AppError::Internal(format!("page data: {e}")))
}

#[derive(RustEmbed)]
#[folder = "web/templates/"]
struct Embedded;

pub struct Views {
    hb: Handlebars<'static>,
    i18n: Arc<I18n>,
}

/// The phone's bottom tab a path belongs to (`home`, `catalog`, `learning`, `profile`, `menu`),
/// or "" for none of them.
fn tab_of(path: &str) -> &'static str {
    let under = |p: &str| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if path == "/" {
        "home"
    } else if under("/courses") || under("/quiz") {
        "catalog"
    } else if under("/me/profile") {
        "profile"
    } else if under("/me") {
        "learning"
    } else if under("/menu") {
        "menu"
    } else {
        ""
    }
}

/// The layout every page is framed in (`partials/layout.hbs`).
const LAYOUT: &str = "layout";

/// The name of a page's title template (see [`framed`]).
fn title_of(page: &str) -> String {
    format!("{page}#title")
}

/// A page is written as `{{#> layout page_title=EXPR}} … {{/layout}}` (or `title_key=EXPR`, a
/// message key). handlebars-rust copies the whole context for every partial it expands, which
/// for a page is all of its data: the module's HTML, a profile's evidence. So pages are split
/// at load time: the body is registered alone, the title becomes a template of its own, and
/// [`Views::render`] renders the body, then the layout around it with just the chrome's data.
/// Returns (body, title template) or `None` for a template that is not framed so.
fn framed(source: &str) -> Result<Option<(String, String)>, String> {
    let trimmed = source.trim();
    let Some(rest) = trimmed.strip_prefix("{{#> layout") else {
        return Ok(None);
    };
    let (args, rest) = rest
        .split_once("}}")
        .ok_or("the `{{#> layout …}}` tag is not closed")?;
    let body = rest
        .strip_suffix("{{/layout}}")
        .ok_or("a page that starts with `{{#> layout …}}` must end with `{{/layout}}`")?;
    let args = args.trim();
    let title = if let Some(expr) = args.strip_prefix("page_title=") {
        // `(helper …)` is a subexpression; as a template of its own it is the helper call
        let expr = expr
            .strip_prefix('(')
            .and_then(|e| e.strip_suffix(')'))
            .unwrap_or(expr);
        format!("{{{{{expr}}}}}")
    } else if let Some(expr) = args.strip_prefix("title_key=") {
        format!("{{{{t {expr}}}}}")
    } else if args.is_empty() {
        String::new()
    } else {
        return Err(format!(
            "the layout takes `page_title=…` or `title_key=…`, not `{args}`"
        ));
    };
    Ok(Some((body.to_string(), title)))
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
            let error = |e: handlebars::TemplateError| {
                format!(
                    "web/templates/{file}: {}",
                    crate::text::one_line(&e.to_string())
                )
            };
            match framed(source).map_err(|e| format!("web/templates/{file}: {e}"))? {
                Some((body, title)) => {
                    hb.register_template_string(name, body).map_err(error)?;
                    hb.register_template_string(&title_of(name), title)
                        .map_err(error)?;
                }
                None => hb.register_template_string(name, source).map_err(error)?,
            }
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

    /// [`Views::text`] with `{name}` placeholders filled from `args`.
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        self.i18n
            .format(lang, key, args)
            .unwrap_or_else(|| key.to_string())
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
        // what the layout shows around every page
        let mut chrome = Map::new();
        chrome.insert("lang".into(), json!(lang.code()));
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
        chrome.insert("languages".into(), Value::Array(switch));
        chrome.insert("tab".into(), json!(tab_of(req.path())));
        {
            use actix_web::HttpMessage;
            let ext = req.extensions();
            let csrf = ext
                .get::<super::csrf::CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default();
            chrome.insert("csrf".into(), json!(csrf));
            let me = ext.get::<super::auth::Session>().map(|s| {
                json!({
                    "id": s.user.id,
                    "name": s.user.name,
                    // what the menus offer; every route checks its own proof
                    "is_admin": crate::accounts::rights::admin_scope(&s.user).is_some(),
                    "is_platform_admin": crate::accounts::rights::is_platform_admin(&s.user),
                    "is_author": crate::accounts::rights::may_author(&s.user),
                    "is_supervisor": s.is_supervisor,
                })
            });
            chrome.insert("me".into(), me.unwrap_or(Value::Null));
        }
        // a page that is the same for everyone (the offline notice, fetched without cookies)
        // sets `no_account` so that the header does not offer "Masuk" as if one were logged out
        let no_account = ctx.get("no_account") == Some(&Value::Bool(true));
        chrome.insert("no_account".into(), Value::Bool(no_account));
        for (k, v) in &chrome {
            ctx.insert(k.clone(), v.clone());
        }
        // a Context made from the value takes it as it is; `render(name, &value)` would first
        // copy the whole page's data (the largest allocation cost of a big page)
        let ctx = handlebars::Context::from(Value::Object(ctx));
        let render = |template: &str, ctx: &Context| {
            self.hb.render_with_context(template, ctx).map_err(|e| {
                AppError::Internal(format!(
                    "template {template}: {}",
                    crate::text::one_line(&e.to_string())
                ))
            })
        };
        let body = render(name, &ctx)?;
        let title = title_of(name);
        if !self.hb.has_template(&title) {
            return Ok(body);
        }
        chrome.insert("title".into(), Value::String(render(&title, &ctx)?));
        drop(ctx);
        chrome.insert("body".into(), Value::String(body));
        render(LAYOUT, &Context::from(Value::Object(chrome)))
    }

    /// A `200 OK` HTML page, in the coding the request accepts, with the weak `ETag` of its text.
    pub fn page(
        &self,
        req: &HttpRequest,
        name: &str,
        data: Value,
    ) -> Result<HttpResponse, AppError> {
        self.page_of(req, name, data, &Shared::default())
    }

    /// [`Views::page`] whose data holds the markers of `shared` pieces (a module's body): the
    /// pieces come into the page as they were compressed once.
    pub fn page_of(
        &self,
        req: &HttpRequest,
        name: &str,
        data: Value,
        shared: &Shared,
    ) -> Result<HttpResponse, AppError> {
        let parts = shared.assemble(self.render(req, name, data)?);
        let mut builder = HttpResponse::Ok();
        builder
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::VARY, "Cookie, Accept-Language"));
        Ok(super::compress::page(req, builder, &parts, true))
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

#[cfg(test)]
mod tests {
    /// The phone's bottom tab a page belongs to (a path's segment, not its prefix).
    #[test]
    fn pages_belong_to_their_tab() {
        use super::tab_of;
        assert_eq!(tab_of("/"), "home");
        assert_eq!(tab_of("/courses"), "catalog");
        assert_eq!(tab_of("/courses/etika/01-pengantar"), "catalog");
        assert_eq!(tab_of("/quiz/attempts/7"), "catalog");
        assert_eq!(tab_of("/me/profile"), "profile");
        assert_eq!(tab_of("/me"), "learning");
        assert_eq!(tab_of("/me/certificates/abc"), "learning");
        assert_eq!(tab_of("/menu"), "menu");
        assert_eq!(tab_of("/meja"), "");
        assert_eq!(tab_of("/admin"), "");
    }

    use super::framed;

    #[test]
    fn a_framed_page_splits_into_body_and_title() {
        let (body, title) =
            framed("{{#> layout page_title=module.title}}\n<h1>x</h1>\n{{/layout}}\n")
                .unwrap()
                .unwrap();
        assert_eq!(body, "\n<h1>x</h1>\n");
        assert_eq!(title, "{{module.title}}");
        let (_, title) = framed(r#"{{#> layout page_title=(t "a.b" file=file)}}x{{/layout}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(title, r#"{{t "a.b" file=file}}"#);
        let (_, title) = framed(r#"{{#> layout title_key="home.title"}}x{{/layout}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(title, r#"{{t "home.title"}}"#);
        let (_, title) = framed("{{#> layout}}x{{/layout}}").unwrap().unwrap();
        assert_eq!(title, "");
    }

    #[test]
    fn other_templates_are_left_alone_and_broken_frames_are_named() {
        assert!(framed("<!doctype html>{{{body}}}").unwrap().is_none());
        assert!(framed("{{#> layout title_key=\"a\"}}x").is_err());
        assert!(framed("{{#> layout title_key=\"a\" x").is_err());
        assert!(framed("{{#> layout heading=\"a\"}}x{{/layout}}").is_err());
    }
}
