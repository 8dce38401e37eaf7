//! The author workspace in the browser ("Kursus saya"): upload a course folder as a `.zip` into a
//! draft, preview a draft as learners will see it (with the answer key), publish, compare versions,
//! archive, edit one module's Markdown, download any version, and turn a Moodle GIFT file into a
//! quiz module. Authors change the courses they own; platform admins change every course.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::archive::Limits;
use super::diag::{Diagnostic, Severity};
use super::folder::{AnswerKey, MAX_MARKDOWN_BYTES};
use super::gift;
use super::publish::Outcome;
use super::store::{self, Which};
use super::workspace::{self, Author, AuthorError, Saved, Uploaded};
use crate::error::AppError;
use crate::web::csrf::{self, CsrfForm};
use crate::web::limits::{BodyLimit, FORM_SLACK};
use crate::web::policy;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/author",
        web::get().to(|| async {
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/author/courses"))
                .finish()
        }),
    )
    .route("/author/courses", web::get().to(list_page))
    .route("/author/guide", web::get().to(guide_page))
    .route("/author/starter.zip", web::get().to(starter_zip))
    .route("/author/courses/upload", web::post().to(upload))
    .route("/author/courses/{slug}", web::get().to(course_page))
    .route("/author/courses/{slug}/archive", web::post().to(archive))
    .route("/author/courses/{slug}/owners", web::post().to(add_owner))
    .route("/author/courses/{slug}/gift", web::post().to(gift_upload))
    .route(
        "/author/courses/{slug}/versions/{id}/publish",
        web::post().to(publish),
    )
    .route(
        "/author/courses/{slug}/versions/{id}/download",
        web::get().to(download),
    )
    .route(
        "/author/courses/{slug}/versions/{id}/preview",
        web::get().to(preview_frame),
    )
    .route(
        "/author/courses/{slug}/versions/{id}/view",
        web::get().to(preview_course),
    )
    .route(
        "/author/courses/{slug}/versions/{id}/view/{module}",
        web::get().to(preview_module),
    )
    .route("/api/v1/author/courses", web::get().to(api_list))
    .route("/api/v1/author/courses", web::post().to(api_upload))
    .route(
        "/api/v1/author/courses/{slug}/versions/{id}/publish",
        web::post().to(api_publish),
    )
    .service(
        web::resource("/author/courses/{slug}/versions/{id}/edit/{file}")
            .app_data(web::FormConfig::default().limit(4 * MAX_MARKDOWN_BYTES))
            .route(web::get().to(edit_page))
            .route(web::post().to(edit_submit)),
    );
}

fn app_error(e: AuthorError) -> AppError {
    match e {
        AuthorError::NotFound => AppError::NotFound,
        AuthorError::NotOwner => AppError::Forbidden,
        AuthorError::Refused(m) => AppError::BadRequest(m),
        AuthorError::Db(e) => AppError::Db(e),
    }
}

fn date_time(t: chrono::NaiveDateTime, lang: Lang) -> String {
    format!(
        "{} {}",
        crate::text::date(t.date(), lang),
        t.format("%H:%M")
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

/// Notices a redirect may name (anything else is ignored).
const NOTICES: &[&str] = &[
    "published",
    "restored",
    "unchanged",
    "archived",
    "unarchived",
    "owner_added",
];

async fn list_page(ctx: Ctx, me: policy::Author) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let courses = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(workspace::courses_of(conn, who)?))
        .await?;
    let limits = Limits::default();
    ctx.page(
        "pages/author_courses",
        json!({
            "courses": courses,
            "all": who.all,
            "max_mb": limits.archive_bytes / (1024 * 1024),
        }),
    )
}

/// `GET /author/guide`: the course format, in the UI's language, with the starter course.
async fn guide_page(ctx: Ctx, _me: policy::Author) -> Result<HttpResponse, AppError> {
    ctx.page(
        "pages/author_guide",
        json!({ "guide_html": crate::catalog::starter::guide_html(ctx.lang) }),
    )
}

/// `GET /author/starter.zip`: the starter course, to change and upload.
async fn starter_zip(_me: policy::Author) -> Result<HttpResponse, AppError> {
    let bytes = crate::catalog::starter::zip().map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                crate::catalog::starter::FILE_NAME
            ),
        ))
        .body(bytes))
}

async fn course_page(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let slug = path.into_inner();
    let notice = NOTICES
        .iter()
        .find(|n| **n == query.notice)
        .map(|n| format!("author.notice.{n}"));
    render_course(&ctx, who, slug, notice, None).await
}

/// How a version came to be, in the reader's language: `upload`, `edit FILE`, `gift FILE`, or
/// (published from a folder) nothing.
fn origin_label(views: &Views, lang: Lang, origin: &str) -> String {
    let (kind, file) = origin.split_once(' ').unwrap_or((origin, ""));
    match kind {
        "upload" | "edit" | "gift" | "api" => views
            .i18n()
            .format(
                lang,
                &format!("author.origin.{kind}"),
                &[("file", file.into())],
            )
            .unwrap_or_else(|| origin.to_string()),
        _ => origin.to_string(),
    }
}

async fn render_course(
    ctx: &Ctx,
    who: Author,
    slug: String,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let detail = ctx
        .db
        .run(move |conn| {
            let id = workspace::owned(conn, who, &slug)?;
            Ok::<_, AuthorError>(workspace::detail(conn, id)?)
        })
        .await
        .map_err(app_error)?;
    let versions = detail
        .versions
        .iter()
        .map(|v| VersionLine {
            id: v.id,
            short: v.short.clone(),
            title: v.title.clone(),
            draft: v.status == "draft",
            is_current: v.is_current,
            saved: date_time(v.saved_at, lang),
            published: v.published_at.map(|t| date_time(t, lang)),
            origin: origin_label(&ctx.views, lang, &v.origin),
            by: v.by.clone(),
            enrollments: v.enrollments,
            changes: v.changes.clone(),
            no_changes: v.changes.as_ref().is_some_and(|c| c.is_empty()),
            has_sources: v.has_sources,
            can_publish: !v.is_current,
        })
        .collect();
    let newest = detail.versions.first();
    let edit_base = newest.filter(|v| v.has_sources).map(|v| v.id);
    let (files, modules) = match edit_base {
        Some(id) => ctx
            .db
            .run(move |conn| {
                let sources = workspace::sources(conn, id)?;
                Ok::<_, AppError>(sources.into_keys().collect::<Vec<_>>())
            })
            .await
            .map(|f| (f, true))?,
        None => (Vec::new(), false),
    };
    let page = CoursePage {
        course: CourseHead {
            slug: detail.slug,
            title: detail.title,
            archived: detail.archived,
            published: detail.current.is_some(),
        },
        versions,
        owners: detail.owners,
        edit_base,
        files,
        has_files: modules,
        notice_key: notice,
        error,
        max_mb: Limits::default().archive_bytes / (1024 * 1024),
    };
    ctx.page("pages/author_course", page_data(&page)?)
}

/// A multipart form: its text fields and its one file (name, bytes, and the real size when it was
/// larger than `limit`: the rest is read and counted, not kept).
struct MultipartUpload {
    fields: HashMap<String, String>,
    file_name: String,
    bytes: Vec<u8>,
    size: u64,
}

async fn read_upload(
    req: &HttpRequest,
    mut payload: Multipart,
    limit: u64,
) -> Result<MultipartUpload, AppError> {
    let mut budget = BodyLimit::new(req, limit + FORM_SLACK)?;
    let mut out = MultipartUpload {
        fields: HashMap::new(),
        file_name: String::new(),
        bytes: Vec::new(),
        size: 0,
    };
    while let Some(item) = payload.next().await {
        budget.field()?;
        let mut field = item.map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
        let name = field.name().unwrap_or("").to_string();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_string));
        if name == "file" {
            out.file_name = file_name.unwrap_or_default();
            while let Some(chunk) = field.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
                budget.bytes(chunk.len())?;
                out.size += chunk.len() as u64;
                if out.size <= limit {
                    out.bytes.extend_from_slice(&chunk);
                }
            }
        } else {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
                budget.bytes(chunk.len())?;
                if bytes.len() + chunk.len() > 10_000 {
                    return Err(AppError::BadRequest(format!(
                        "the field `{name}` is too long"
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            if !name.is_empty() {
                out.fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok(out)
}

/// Unpack an upload on the blocking pool, before any database connection is taken.
async fn unpack(
    bytes: Vec<u8>,
    file_name: String,
    slug: Option<String>,
    tmp_root: std::path::PathBuf,
    lang: crate::i18n::Lang,
) -> Result<workspace::Unpacked, AuthorError> {
    web::block(move || workspace::unpack(&bytes, &file_name, slug.as_deref(), &tmp_root, lang))
        .await
        .map_err(|e| AuthorError::Refused(format!("cannot unpack uploads: {e}")))?
}

fn check_csrf(req: &HttpRequest, fields: &HashMap<String, String>) -> Result<(), AppError> {
    let sent = fields.get("csrf").map(|s| s.trim()).unwrap_or("");
    match csrf::expected(req) {
        Some(t) if csrf::same(&t, sent) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// One diagnostic as the result page lists it: file, line, message.
fn diagnostic(d: &Diagnostic, prefix: &str, lang: crate::i18n::Lang) -> DiagnosticRow {
    let file = d
        .path
        .strip_prefix(prefix)
        .unwrap_or(&d.path)
        .trim_start_matches('/');
    DiagnosticRow {
        file: if file.is_empty() {
            d.path.as_str()
        } else {
            file
        }
        .to_string(),
        line: (d.line > 0).then_some(d.line),
        message: d.text(lang).to_string(),
        error: d.severity == Severity::Error,
    }
}

/// What a save into a draft gave, for the result page.
fn saved_json(saved: Saved) -> SavedView {
    let (key, draft) = match saved {
        Saved::Draft { .. } => ("author.result.saved", true),
        Saved::ExistingDraft { .. } => ("author.result.existing_draft", true),
        Saved::SameAsCurrent { .. } => ("author.result.same_as_current", false),
        Saved::OlderVersion { .. } => ("author.result.older_version", true),
    };
    SavedView {
        key,
        version_id: saved.version_id(),
        can_publish: draft,
    }
}

/// What the result page of an upload or save reports.
struct Report<'a> {
    /// The course, when known.
    slug: Option<&'a str>,
    /// The message key of the page's title.
    title_key: &'a str,
    /// Why nothing was saved, in words.
    refused: Option<String>,
    /// The checker's findings.
    diagnostics: Vec<DiagnosticRow>,
    /// What was saved (see [`saved_json`]); none means the save failed (`422`).
    saved: Option<SavedView>,
    /// What the page shows besides (the file edited, the quiz made…).
    extra: Extra,
}

impl<'a> Report<'a> {
    /// Nothing saved, for this reason, and nothing else to show.
    fn refused(slug: Option<&'a str>, title_key: &'a str, why: String) -> Report<'a> {
        Report {
            slug,
            title_key,
            refused: Some(why),
            diagnostics: vec![],
            saved: None,
            extra: Extra::default(),
        }
    }
}

fn result_page(ctx: &Ctx, report: Report) -> Result<HttpResponse, AppError> {
    let Report {
        slug,
        title_key,
        refused,
        diagnostics,
        saved,
        extra,
    } = report;
    let failed = saved.is_none();
    let errors = diagnostics.iter().filter(|d| d.error).count();
    let page = ResultPage {
        slug,
        title_key,
        refused,
        error_count: errors,
        warning_count: diagnostics.len() - errors,
        diagnostics,
        saved,
        extra,
    };
    let mut resp = ctx.page("pages/author_result", page_data(&page)?)?;
    if failed {
        *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The message key of an upload's result page title.
const UPLOAD_TITLE: &str = "author.result.upload_title";

/// `POST /author/courses/upload` (multipart: `file`, optional `slug` for a new version of that
/// course): unpack defensively, check like `cakap courses check`, save as a draft.
async fn upload(
    ctx: Ctx,
    me: policy::Author,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let limits = Limits::default();
    let form = read_upload(&ctx.req, payload, limits.archive_bytes).await?;
    check_csrf(&ctx.req, &form.fields)?;
    let slug = form
        .fields
        .get("slug")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let lang = ctx.lang;
    let refuse = |slug: Option<&str>, why: String| {
        result_page(&ctx, Report::refused(slug, UPLOAD_TITLE, why))
    };
    if form.file_name.is_empty() && form.size == 0 {
        return refuse(
            slug.as_deref(),
            ctx.views.text(lang, "author.upload.no_file"),
        );
    }
    if form.size > limits.archive_bytes {
        let refused = super::archive::Refused::TooBig {
            bytes: form.size,
            limit: limits.archive_bytes,
        };
        return refuse(slug.as_deref(), refused.message(lang));
    }
    let tmp_root = ctx.config.data_dir.join("tmp");
    let (slug_in, file_name, bytes) = (slug.clone(), form.file_name.clone(), form.bytes);
    let outcome = match unpack(bytes, file_name, slug_in.clone(), tmp_root, lang).await {
        Ok(unpacked) => {
            ctx.db
                .run(move |conn| workspace::upload(conn, who, &unpacked, slug_in.as_deref()))
                .await
        }
        Err(e) => Err(e),
    };
    upload_result(&ctx, slug.as_deref(), outcome)
}

/// The result page of an upload: the draft saved and the findings, or why nothing was saved.
fn upload_result(
    ctx: &Ctx,
    slug: Option<&str>,
    outcome: Result<Uploaded, AuthorError>,
) -> Result<HttpResponse, AppError> {
    let title_key = UPLOAD_TITLE;
    let refuse =
        |slug: Option<&str>, why: String| result_page(ctx, Report::refused(slug, title_key, why));
    match outcome {
        Ok(Uploaded::Saved {
            slug,
            saved,
            diagnostics,
        }) => {
            let list = diagnostics
                .iter()
                .map(|d| diagnostic(d, &slug, ctx.lang))
                .collect();
            result_page(
                ctx,
                Report {
                    slug: Some(&slug),
                    title_key,
                    refused: None,
                    diagnostics: list,
                    saved: Some(saved_json(saved)),
                    extra: Extra::default(),
                },
            )
        }
        Ok(Uploaded::Refused {
            reason,
            shown,
            diagnostics,
        }) => {
            let prefix = shown.unwrap_or_default();
            let list = diagnostics
                .iter()
                .map(|d| diagnostic(d, &prefix, ctx.lang))
                .collect();
            result_page(
                ctx,
                Report {
                    slug,
                    title_key,
                    refused: reason,
                    diagnostics: list,
                    saved: None,
                    extra: Extra::default(),
                },
            )
        }
        Err(AuthorError::Refused(why)) => refuse(slug, why),
        Err(AuthorError::NotOwner) if slug.is_none() => {
            refuse(None, ctx.views.text(ctx.lang, "author.upload.not_owner"))
        }
        Err(e) => Err(app_error(e)),
    }
}

async fn publish(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id) = path.into_inner();
    let s = slug.clone();
    let outcome = ctx
        .db
        .run(move |conn| workspace::publish_version(conn, who, &s, id))
        .await;
    let notice = match outcome {
        Ok(Outcome::Published { .. }) => "published",
        Ok(Outcome::Restored { .. }) => "restored",
        Ok(Outcome::Unchanged) => "unchanged",
        Err(AuthorError::Refused(m)) => return render_course(&ctx, who, slug, None, Some(m)).await,
        Err(e) => return Err(app_error(e)),
    };
    Ok(see_other(&format!(
        "/author/courses/{slug}?notice={notice}"
    )))
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

#[derive(Deserialize)]
struct ArchiveForm {
    archived: String,
}

async fn archive(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<String>,
    form: CsrfForm<ArchiveForm>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let slug = path.into_inner();
    let archived = form.0.archived == "true";
    let s = slug.clone();
    ctx.db
        .run(move |conn| workspace::set_archived(conn, who, &s, archived))
        .await
        .map_err(app_error)?;
    let notice = if archived { "archived" } else { "unarchived" };
    Ok(see_other(&format!(
        "/author/courses/{slug}?notice={notice}"
    )))
}

#[derive(Deserialize)]
struct OwnerForm {
    email: String,
}

async fn add_owner(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<String>,
    form: CsrfForm<OwnerForm>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let slug = path.into_inner();
    let (s, email) = (slug.clone(), form.0.email);
    match ctx
        .db
        .run(move |conn| workspace::add_owner(conn, who, &s, &email))
        .await
    {
        Ok(()) => Ok(see_other(&format!(
            "/author/courses/{slug}?notice=owner_added"
        ))),
        Err(AuthorError::Refused(m)) => render_course(&ctx, who, slug, None, Some(m)).await,
        Err(e) => Err(app_error(e)),
    }
}

async fn download(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id) = path.into_inner();
    let s = slug.clone();
    let (short, bytes) = ctx
        .db
        .run(move |conn| {
            let course_id = workspace::owned(conn, who, &s)?;
            let (hash, _) = workspace::version_of(conn, course_id, id)?;
            let files = workspace::files_of(conn, id)?;
            let bytes = workspace::zip_of(&files)
                .map_err(|e| AuthorError::Refused(format!("cannot make the archive: {e}")))?;
            Ok::<_, AuthorError>((hash[..12].to_string(), bytes))
        })
        .await
        .map_err(app_error)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{slug}-{short}.zip\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeviceQuery {
    device: String,
}

/// The preview frame: the draft as a phone (360 × 740) or a desktop (1280 wide) shows it.
async fn preview_frame(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64)>,
    query: web::Query<DeviceQuery>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id) = path.into_inner();
    let s = slug.clone();
    let (hash, status, title) = ctx
        .db
        .run(move |conn| {
            let course_id = workspace::owned(conn, who, &s)?;
            let (hash, status) = workspace::version_of(conn, course_id, id)?;
            let title = store::course(conn, &s, &Which::Preview(id))?
                .map(|c| c.title)
                .unwrap_or_default();
            Ok::<_, AuthorError>((hash, status, title))
        })
        .await
        .map_err(app_error)?;
    let phone = query.device != "desktop";
    ctx.page(
        "pages/author_preview",
        json!({
            "slug": slug,
            "title": title,
            "version_id": id,
            "short": &hash[..12],
            "draft": status == "draft",
            "phone": phone,
        }),
    )
}

/// Pages inside the preview frame may be framed by our own pages only.
fn framable(mut resp: HttpResponse) -> HttpResponse {
    let csp = crate::web::security::CONTENT_SECURITY_POLICY
        .replace("frame-ancestors 'none'", "frame-ancestors 'self'");
    if let Ok(v) = header::HeaderValue::from_str(&csp) {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp.headers_mut().insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("SAMEORIGIN"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    resp
}

async fn preview_course(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id) = path.into_inner();
    let s = slug.clone();
    let course = ctx
        .db
        .run(move |conn| {
            workspace::owned(conn, who, &s)?;
            Ok::<_, AuthorError>(store::course(conn, &s, &Which::Preview(id))?)
        })
        .await
        .map_err(app_error)?
        .ok_or(AppError::NotFound)?;
    let lang = ctx.lang;
    let modules = course
        .modules
        .iter()
        .map(|m| ModuleLine {
            slug: m.slug.clone(),
            title: m.title.clone(),
            kind: m.kind.clone(),
            minutes: m.minutes,
            done: false,
        })
        .collect();
    let minutes = course.total_minutes;
    let page = CoursePreviewPage {
        short_hash: course.hash[..12].to_string(),
        published: crate::text::date(course.published_at.date(), lang),
        hours: Hours {
            h: minutes / 60,
            m: minutes % 60,
        },
        first_module: course.modules.first(),
        module_count: course.modules.len(),
        own_version: false,
        modules,
        logged_in: true,
        preview: Preview {
            base: format!("/author/courses/{slug}/versions/{id}/view"),
        },
        course: &course,
    };
    let resp = ctx.page("pages/course", page_data(&page)?)?;
    Ok(framable(resp))
}

async fn preview_module(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64, String)>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id, module) = path.into_inner();
    let s = slug.clone();
    let outlines = ctx.outlines.clone();
    let (view, key) = ctx
        .db
        .run(move |conn| {
            workspace::owned(conn, who, &s)?;
            let view = store::module(conn, &outlines, &s, &module, &Which::Preview(id))?;
            let key = match &view {
                Some(v) if v.kind == "quiz" => workspace::answer_key(conn, v.module_id)?,
                _ => Vec::new(),
            };
            Ok::<_, AuthorError>((view, key))
        })
        .await
        .map_err(app_error)?;
    let view = view.ok_or(AppError::NotFound)?;
    let key = key.into_iter().map(key_row).collect();
    let base = format!("/author/courses/{slug}/versions/{id}/view");
    let toc: Vec<&Value> = view
        .headings
        .as_array()
        .map(|h| h.iter().filter(|h| h["level"] == 2).collect())
        .unwrap_or_default();
    let page = ModulePreviewPage {
        module: &view,
        base: base.clone(),
        has_toc: toc.len() >= 2,
        toc,
        short_hash: &view.hash[..12],
        progress_pct: None,
        outline: view.outline(|_| false),
        own_version: true,
        done: false,
        preview: Preview { base },
        answer_key: key,
    };
    let resp = ctx.page("pages/module", page_data(&page)?)?;
    Ok(framable(resp))
}

/// A quiz question with its answer key, as the preview shows it to the author.
fn key_row(q: workspace::KeyedQuestion) -> KeyRow {
    let (correct, accepted, numeric) = match &q.key {
        AnswerKey::Choices { correct } => (correct.clone(), vec![], None),
        AnswerKey::Short { accepted } => (vec![], accepted.clone(), None),
        AnswerKey::Numeric { answer } => (vec![], vec![], Some(answer.to_string())),
    };
    let options = q
        .options
        .iter()
        .enumerate()
        .map(|(i, html)| KeyOption {
            html: html.clone(),
            correct: correct.contains(&i),
            feedback: q.option_feedback.get(i).cloned().flatten(),
        })
        .collect();
    KeyRow {
        n: q.position + 1,
        kind: q.kind,
        prompt_html: q.prompt_html,
        options,
        accepted,
        numeric,
        feedback_html: q.feedback_html,
    }
}

/// `GET …/edit/{file}`: one Markdown file of a version in a textarea.
async fn edit_page(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64, String)>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id, file) = path.into_inner();
    let (s, f) = (slug.clone(), file.clone());
    let (text, older) = ctx
        .db
        .run(move |conn| {
            let course_id = workspace::owned(conn, who, &s)?;
            workspace::version_of(conn, course_id, id)?;
            let older = workspace::newest_version(conn, course_id)? != Some(id);
            let mut sources = workspace::sources(conn, id)?;
            Ok((sources.remove(&f).ok_or(AuthorError::NotFound)?, older))
        })
        .await
        .map_err(app_error)?;
    // Saving an older version's file starts a new draft from that version: say so first.
    let notice = older.then(|| ctx.views.text(ctx.lang, "author.edit.older_version"));
    let mut resp = edit_view(
        &ctx,
        &Editing {
            slug: &slug,
            id,
            file: &file,
            text: &text,
        },
        None,
        vec![],
        notice,
    )?;
    if older {
        *resp.status_mut() = actix_web::http::StatusCode::OK;
    }
    Ok(resp)
}

/// The file being edited in a draft: which course, draft and file, and its text.
struct Editing<'a> {
    slug: &'a str,
    /// The draft's version id.
    id: i64,
    file: &'a str,
    text: &'a str,
}

fn edit_view(
    ctx: &Ctx,
    editing: &Editing,
    preview_html: Option<String>,
    diagnostics: Vec<DiagnosticRow>,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let &Editing {
        slug,
        id,
        file,
        text,
    } = editing;
    let failed = diagnostics.iter().any(|d| d.error) || error.is_some();
    let mut resp = ctx.page(
        "pages/author_edit",
        json!({
            "slug": slug,
            "version_id": id,
            "file": file,
            "text": text,
            "preview_html": preview_html,
            "diagnostics": diagnostics,
            "error": error,
        }),
    )?;
    if failed {
        *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct EditForm {
    text: String,
    #[serde(default)]
    action: String,
}

/// `POST …/edit/{file}`: `action=preview` renders the edited file with the course's other files;
/// `action=save` stores the course with this file as a new draft.
async fn edit_submit(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64, String)>,
    form: CsrfForm<EditForm>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id, file) = path.into_inner();
    let EditForm { text, action } = form.0;
    let save = action == "save";
    let tmp_root = ctx.config.data_dir.join("tmp");
    let (s, f, t) = (slug.clone(), file.clone(), text.clone());
    let result = ctx
        .db
        .run(move |conn| {
            let edit = Edit {
                who,
                slug: &s,
                version_id: id,
                file: &f,
                text: t,
                save,
            };
            edit_in_draft(conn, &edit, &tmp_root)
        })
        .await;
    let editing = Editing {
        slug: &slug,
        id,
        file: &file,
        text: &text,
    };
    let (html, diags, saved) = match result {
        Ok(r) => r,
        Err(AuthorError::Refused(m)) => return edit_view(&ctx, &editing, None, vec![], Some(m)),
        Err(e) => return Err(app_error(e)),
    };
    let list: Vec<DiagnosticRow> = diags
        .iter()
        .map(|d| diagnostic(d, &slug, ctx.lang))
        .collect();
    if let Some(saved) = saved {
        return result_page(
            &ctx,
            Report {
                slug: Some(&slug),
                title_key: "author.result.edit_title",
                refused: None,
                diagnostics: list,
                saved: Some(saved_json(saved)),
                extra: Extra {
                    file: Some(file.clone()),
                    gift: None,
                },
            },
        );
    }
    edit_view(&ctx, &editing, html, list, None)
}

/// One file of a version, edited: whose workspace, which course, version and file, the new text,
/// and whether to save it (else only check and render it).
struct Edit<'a> {
    who: Author,
    slug: &'a str,
    version_id: i64,
    file: &'a str,
    text: String,
    save: bool,
}

/// An edit checked: the file's HTML (when the course loads), the findings, the draft saved.
type Edited = (Option<String>, Vec<Diagnostic>, Option<Saved>);

/// The version's files with the edited one, checked as a folder: the file's HTML, the findings,
/// and the draft saved (when asked and the course loads).
fn edit_in_draft(
    conn: &mut crate::db::DbConnection,
    edit: &Edit,
    tmp_root: &std::path::Path,
) -> Result<Edited, AuthorError> {
    let &Edit {
        who,
        slug,
        version_id: id,
        file,
        ..
    } = edit;
    let course_id = workspace::owned(conn, who, slug)?;
    workspace::version_of(conn, course_id, id)?;
    let mut files = workspace::files_of(conn, id)?;
    let target = format!("{slug}/{file}");
    let Some(slot) = files.iter_mut().find(|(p, _)| *p == target) else {
        return Err(AuthorError::NotFound);
    };
    slot.1 = edit.text.clone().into_bytes();
    let tmp = prepared_files(tmp_root, &files)?;
    let checked = workspace::check_folder(conn, &tmp.path().join(slug), slug)?;
    let html = checked.loaded.course.as_ref().and_then(|c| {
        if file == "course.md" {
            Some(c.description_html.clone())
        } else {
            c.modules
                .iter()
                .find(|m| format!("{}.md", m.slug) == file)
                .map(|m| m.html.clone())
        }
    });
    let saved = match (&checked.loaded.course, edit.save) {
        (Some(course), true) => Some(workspace::save_draft(
            conn,
            who,
            course,
            &checked.added,
            &format!("edit {file}"),
        )?),
        _ => None,
    };
    Ok((html, checked.loaded.diagnostics, saved))
}

/// A version's files written into a new private temporary folder under `tmp_root`.
fn prepared_files(
    tmp_root: &std::path::Path,
    files: &[(String, Vec<u8>)],
) -> Result<tempfile::TempDir, AuthorError> {
    let failed = |e: std::io::Error| AuthorError::Refused(format!("cannot prepare the files: {e}"));
    crate::secrets::create_private_dir(tmp_root).map_err(failed)?;
    let tmp = tempfile::tempdir_in(tmp_root).map_err(failed)?;
    workspace::write_files(tmp.path(), files).map_err(failed)?;
    Ok(tmp)
}

/// `POST /author/courses/{slug}/gift` (multipart: `file`, optional `title`): the GIFT file becomes
/// a new quiz module in a new draft built on the course's newest version.
async fn gift_upload(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let slug = path.into_inner();
    const GIFT_LIMIT: u64 = 2 * 1024 * 1024;
    let form = read_upload(&ctx.req, payload, GIFT_LIMIT).await?;
    check_csrf(&ctx.req, &form.fields)?;
    let lang = ctx.lang;
    let title_key = "author.result.gift_title";
    let refuse = |why: String| result_page(&ctx, Report::refused(Some(&slug), title_key, why));
    if form.size == 0 {
        return refuse(ctx.views.text(lang, "author.gift.no_file"));
    }
    if form.size > GIFT_LIMIT {
        return refuse(ctx.views.text(lang, "author.gift.too_big"));
    }
    let text = match String::from_utf8(form.bytes) {
        Ok(t) => t,
        Err(_) => return refuse(ctx.views.text(lang, "author.gift.not_utf8")),
    };
    let title = form
        .fields
        .get("title")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let conversion = gift::convert(&text, title.as_deref(), &title_of_file(&form.file_name));
    let mut extra = Extra {
        file: None,
        gift: Some(gift_summary(&conversion)),
    };
    if conversion.converted == 0 {
        return result_page(
            &ctx,
            Report {
                extra,
                ..Report::refused(
                    Some(&slug),
                    title_key,
                    ctx.views.text(lang, "author.gift.nothing"),
                )
            },
        );
    }
    let tmp_root = ctx.config.data_dir.join("tmp");
    let s = slug.clone();
    let result = ctx
        .db
        .run(move |conn| save_gift(conn, who, &s, &conversion, &tmp_root))
        .await;
    match result {
        Ok((name, diags, saved)) => {
            let list = diags
                .iter()
                .map(|d| diagnostic(d, &slug, ctx.lang))
                .collect();
            extra.file = Some(name);
            result_page(
                &ctx,
                Report {
                    slug: Some(&slug),
                    title_key,
                    refused: None,
                    diagnostics: list,
                    saved: saved.map(saved_json),
                    extra,
                },
            )
        }
        Err(AuthorError::Refused(m)) => refuse(m),
        Err(e) => Err(app_error(e)),
    }
}

/// The quiz's title when the form gives none: the file's name, without its folder and extension.
fn title_of_file(file_name: &str) -> String {
    file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .trim_end_matches(".gift")
        .trim_end_matches(".txt")
        .replace(['-', '_'], " ")
}

/// What a GIFT conversion gave, for the result page: counts, and a note per warning and refusal.
fn gift_summary(conversion: &gift::Conversion) -> GiftSummary {
    let notes = conversion
        .warnings
        .iter()
        .map(|w| GiftNote {
            line: w.line,
            message: w.message.clone(),
            refused: false,
        })
        .chain(conversion.refused.iter().map(|r| GiftNote {
            line: r.line,
            message: r.message.clone(),
            refused: true,
        }))
        .collect();
    GiftSummary {
        converted: conversion.converted,
        refused: conversion.refused.len(),
        warnings: conversion.warnings.len(),
        notes,
        title: conversion.title.clone(),
    }
}

/// The converted quiz added as a module to the course's newest version and checked as a folder:
/// the module's file name, the findings, and the draft saved (when the course loads).
fn save_gift(
    conn: &mut crate::db::DbConnection,
    who: Author,
    slug: &str,
    conversion: &gift::Conversion,
    tmp_root: &std::path::Path,
) -> Result<(String, Vec<Diagnostic>, Option<Saved>), AuthorError> {
    let course_id = workspace::owned(conn, who, slug)?;
    let base = workspace::newest_version(conn, course_id)?.ok_or(AuthorError::NotFound)?;
    let files = workspace::files_of(conn, base)?;
    let tmp = prepared_files(tmp_root, &files)?;
    let failed = |e: std::io::Error| AuthorError::Refused(format!("cannot prepare the files: {e}"));
    let dir = tmp.path().join(slug);
    let name = gift::module_file_name(&dir, &conversion.title).map_err(failed)?;
    crate::secrets::write_private(&dir.join(&name), conversion.markdown.as_bytes())
        .map_err(failed)?;
    let checked = workspace::check_folder(conn, &dir, slug)?;
    let saved = match &checked.loaded.course {
        Some(course) => Some(workspace::save_draft(
            conn,
            who,
            course,
            &checked.added,
            &format!("gift {name}"),
        )?),
        None => None,
    };
    Ok((name, checked.loaded.diagnostics, saved))
}

// ---------- JSON API ----------

/// An error answer of the authoring API: problem+json, with the check's findings when there are.
fn problem(
    req: &HttpRequest,
    status: u16,
    detail: &str,
    diagnostics: Vec<Finding>,
) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY);
    HttpResponse::build(code)
        .content_type("application/problem+json")
        .json(json!({
            "type": "about:blank",
            "title": code.canonical_reason().unwrap_or("Error"),
            "status": status,
            "detail": detail,
            "instance": req.path(),
            "diagnostics": diagnostics,
        }))
}

/// The courses the caller owns (every course for a platform admin).
#[utoipa::path(
    get,
    path = "/api/v1/author/courses",
    tag = "authoring",
    responses(
        (status = 200, description = "The caller's courses: slug, title, status (published, draft, archived), versions, drafts waiting, enrolments, completions", content_type = "application/json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only authors and platform admins have courses to manage", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn api_list(ctx: Ctx, me: policy::Author) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let courses = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(workspace::courses_of(conn, who)?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"courses": courses})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct UploadQuery {
    /// The course this is a new version of.
    slug: Option<String>,
    /// The archive's file name (names the course when course.md is at the top of the archive).
    name: Option<String>,
}

/// A course archive's bytes (documentation of the upload's body).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct Archive(Vec<u8>);

/// Upload a course folder as a `.zip` (the request body); a valid course becomes a draft.
#[utoipa::path(
    post,
    path = "/api/v1/author/courses",
    tag = "authoring",
    params(
        ("slug" = Option<String>, Query, description = "The course this archive is a new version of (must be the caller's)"),
        ("name" = Option<String>, Query, description = "The archive's file name, e.g. pelayanan-publik.zip: names the course when course.md is at the top of the archive"),
    ),
    request_body(description = "The .zip of a course folder (at most 50 MB), as the raw body", content(
        (Archive = "application/zip"),
        (Archive = "application/octet-stream"),
    )),
    responses(
        (status = 201, description = "Saved as a draft (or matched a stored version): slug, version_id, outcome (draft, existing_draft, same_as_current, older_version) and warnings", content_type = "application/json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an author, or the course belongs to other authors", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No course with that slug", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The archive was refused or the course has errors: `detail` says why, `diagnostics` lists every finding (file, line, severity, message)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn api_upload(
    ctx: Ctx,
    me: policy::Author,
    query: web::Query<UploadQuery>,
    mut body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let limits = Limits::default();
    let (bytes, size) = read_body(&ctx.req, &mut body, limits.archive_bytes).await?;
    if size > limits.archive_bytes {
        let why = super::archive::Refused::TooBig {
            bytes: size,
            limit: limits.archive_bytes,
        };
        return Ok(problem(&ctx.req, 422, &why.message(ctx.lang), vec![]));
    }
    let UploadQuery { slug, name } = query.into_inner();
    let name = name.unwrap_or_else(|| "course.zip".into());
    let tmp_root = ctx.config.data_dir.join("tmp");
    let outcome = match unpack(bytes, name, slug.clone(), tmp_root, ctx.lang).await {
        Ok(unpacked) => {
            ctx.db
                .run(move |conn| workspace::upload(conn, who, &unpacked, slug.as_deref()))
                .await
        }
        Err(e) => Err(e),
    };
    upload_answer(&ctx.req, outcome)
}

/// A request body of at most `limit` bytes kept, and its whole size (the rest is read and
/// counted, not kept).
async fn read_body(
    req: &HttpRequest,
    body: &mut web::Payload,
    limit: u64,
) -> Result<(Vec<u8>, u64), AppError> {
    let mut budget = BodyLimit::new(req, limit)?;
    let mut bytes = Vec::new();
    let mut size: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| AppError::BadRequest(format!("the upload broke off: {e}")))?;
        budget.bytes(chunk.len())?;
        size += chunk.len() as u64;
        if size <= limit {
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok((bytes, size))
}

/// A finding as the API lists it: file, line, severity, message.
fn finding(d: &Diagnostic, prefix: &str) -> Finding {
    let DiagnosticRow {
        file,
        line,
        message,
        ..
    } = diagnostic(d, prefix, crate::i18n::Lang::En);
    Finding {
        file,
        line,
        message,
        severity: if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        },
    }
}

/// The API's answer to an upload: the draft saved (201), or why not (problem+json).
fn upload_answer(
    req: &HttpRequest,
    outcome: Result<Uploaded, AuthorError>,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(Uploaded::Saved {
            slug,
            saved,
            diagnostics,
        }) => {
            let outcome = match saved {
                Saved::Draft { .. } => "draft",
                Saved::ExistingDraft { .. } => "existing_draft",
                Saved::SameAsCurrent { .. } => "same_as_current",
                Saved::OlderVersion { .. } => "older_version",
            };
            let warnings: Vec<Finding> = diagnostics.iter().map(|d| finding(d, &slug)).collect();
            Ok(HttpResponse::Created().json(json!({
                "slug": slug,
                "version_id": saved.version_id(),
                "outcome": outcome,
                "preview": format!("/author/courses/{slug}/versions/{}/preview", saved.version_id()),
                "diagnostics": warnings,
            })))
        }
        Ok(Uploaded::Refused {
            reason,
            shown,
            diagnostics,
        }) => {
            let prefix = shown.unwrap_or_default();
            let list: Vec<Finding> = diagnostics.iter().map(|d| finding(d, &prefix)).collect();
            let errors = list.iter().filter(|d| d.severity == "error").count();
            let detail = reason.unwrap_or_else(|| {
                format!("the course has {errors} error(s); fix them (see diagnostics) and upload again; nothing was saved")
            });
            Ok(problem(req, 422, &detail, list))
        }
        Err(AuthorError::Refused(why)) => Ok(problem(req, 422, &why, vec![])),
        Err(AuthorError::NotOwner) => Ok(problem(
            req,
            403,
            "a course with this slug exists and belongs to other authors; ask an owner to add you as a co-owner, or rename the course folder",
            vec![],
        )),
        Err(e) => Err(app_error(e)),
    }
}

/// Publish a stored version (a draft, or an earlier version to make it current again).
#[utoipa::path(
    post,
    path = "/api/v1/author/courses/{slug}/versions/{id}/publish",
    tag = "authoring",
    params(
        ("slug" = String, Path, description = "The course's slug"),
        ("id" = i64, Path, description = "The version's id (from the upload's answer)", minimum = 1),
    ),
    responses(
        (status = 200, description = "outcome: published, restored or unchanged", content_type = "application/json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an author, or not the course's owner", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course or version", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Cannot be published as it is (a prerequisite is not published)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn api_publish(
    ctx: Ctx,
    me: policy::Author,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let who = me.workspace();
    let (slug, id) = path.into_inner();
    let outcome = ctx
        .db
        .run(move |conn| workspace::publish_version(conn, who, &slug, id))
        .await;
    match outcome {
        Ok(o) => {
            let name = match o {
                Outcome::Published { .. } => "published",
                Outcome::Restored { .. } => "restored",
                Outcome::Unchanged => "unchanged",
            };
            Ok(HttpResponse::Ok().json(json!({"outcome": name, "version_id": id})))
        }
        Err(AuthorError::Refused(m)) => Ok(problem(&ctx.req, 422, &m, vec![])),
        Err(e) => Err(app_error(e)),
    }
}

// ---------- page contexts ----------

/// `pages/author_course`: a course in the workspace, its versions and owners.
#[derive(Serialize)]
struct CoursePage {
    course: CourseHead,
    versions: Vec<VersionLine>,
    owners: Vec<workspace::Owner>,
    edit_base: Option<i64>,
    files: Vec<String>,
    has_files: bool,
    notice_key: Option<String>,
    error: Option<String>,
    max_mb: u64,
}

#[derive(Serialize)]
struct CourseHead {
    slug: String,
    title: String,
    archived: bool,
    published: bool,
}

/// A stored version of the course.
#[derive(Serialize)]
struct VersionLine {
    id: i64,
    short: String,
    title: String,
    draft: bool,
    is_current: bool,
    saved: String,
    published: Option<String>,
    origin: String,
    by: Option<String>,
    enrollments: i64,
    changes: Option<super::diff::VersionDiff>,
    no_changes: bool,
    has_sources: bool,
    can_publish: bool,
}

/// `pages/author_result`: what an upload, an edit or a GIFT import came to.
#[derive(Serialize)]
struct ResultPage<'a> {
    slug: Option<&'a str>,
    title_key: &'a str,
    refused: Option<String>,
    diagnostics: Vec<DiagnosticRow>,
    error_count: usize,
    warning_count: usize,
    saved: Option<SavedView>,
    extra: Extra,
}

/// A finding of the check, as pages list it.
#[derive(Serialize)]
struct DiagnosticRow {
    file: String,
    line: Option<usize>,
    message: String,
    error: bool,
}

/// A finding of the check, as the API lists it.
#[derive(Serialize)]
struct Finding {
    file: String,
    line: Option<usize>,
    message: String,
    severity: &'static str,
}

/// What a save into a draft gave.
#[derive(Serialize)]
struct SavedView {
    key: &'static str,
    version_id: i64,
    can_publish: bool,
}

/// What the result page shows besides: the file edited or made, the GIFT conversion (each key
/// only when there is one).
#[derive(Serialize, Default)]
struct Extra {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gift: Option<GiftSummary>,
}

#[derive(Serialize)]
struct GiftSummary {
    converted: usize,
    refused: usize,
    warnings: usize,
    notes: Vec<GiftNote>,
    title: String,
}

#[derive(Serialize)]
struct GiftNote {
    line: usize,
    message: String,
    refused: bool,
}

/// `pages/course` for a version in preview (inside the preview frame).
#[derive(Serialize)]
struct CoursePreviewPage<'a> {
    course: &'a store::CourseView,
    short_hash: String,
    published: String,
    hours: Hours,
    first_module: Option<&'a store::ModuleSummary>,
    module_count: usize,
    own_version: bool,
    modules: Vec<ModuleLine>,
    logged_in: bool,
    preview: Preview,
}

#[derive(Serialize)]
struct Hours {
    h: i32,
    m: i32,
}

/// Where the preview's links lead.
#[derive(Serialize)]
struct Preview {
    base: String,
}

#[derive(Serialize)]
struct ModuleLine {
    slug: String,
    title: String,
    kind: String,
    minutes: Option<i32>,
    done: bool,
}

/// `pages/module` for a module in preview, with the quiz's answer key.
#[derive(Serialize)]
struct ModulePreviewPage<'a> {
    module: &'a store::ModuleView,
    base: String,
    toc: Vec<&'a Value>,
    has_toc: bool,
    short_hash: &'a str,
    /// No learner's progress in a preview.
    progress_pct: Option<usize>,
    /// The version's modules beside the lesson (as the learner's page shows them).
    outline: Vec<store::OutlineRow<'a>>,
    own_version: bool,
    done: bool,
    preview: Preview,
    answer_key: Vec<KeyRow>,
}

/// A question of the answer key.
#[derive(Serialize)]
struct KeyRow {
    n: i32,
    kind: String,
    prompt_html: String,
    options: Vec<KeyOption>,
    accepted: Vec<String>,
    numeric: Option<String>,
    feedback_html: Option<String>,
}

#[derive(Serialize)]
struct KeyOption {
    html: String,
    correct: bool,
    feedback: Option<String>,
}
