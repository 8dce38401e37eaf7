//! Load one course folder: read every file, validate it against the format, render it, and hash
//! it. All problems of the folder are reported at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::diag::{has_errors, Diagnostic, Sink};
use super::dictionary::Dictionary;
use super::frontmatter::{self, Fields, Split};
use super::markdown::{self, Heading, Links};
use super::quiz::{self, AnswerSource, Numeric, QuestionKind};

/// Largest asset accepted, in bytes.
pub const MAX_ASSET_BYTES: usize = 20 * 1024 * 1024;
/// Largest Markdown file accepted, in bytes.
pub const MAX_MARKDOWN_BYTES: usize = 2 * 1024 * 1024;

/// Asset file types a course may carry, by extension, with their content type.
pub const ASSET_TYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("pdf", "application/pdf"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("csv", "text/csv; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
];

pub const COURSE_KEYS: &[&str] = &[
    "title",
    "summary",
    "jp",
    "language",
    "tags",
    "prerequisites",
    "pass_mark",
    "certificate",
    "certificate_valid_months",
    "authors",
    "competencies",
];
pub const LESSON_KEYS: &[&str] = &["title", "minutes", "kind"];
pub const QUIZ_KEYS: &[&str] = &[
    "title",
    "kind",
    "minutes",
    "pass_mark",
    "attempts",
    "time_limit_minutes",
    "shuffle",
    "draw",
    "review",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CourseMeta {
    pub title: String,
    pub summary: String,
    pub jp: i32,
    pub language: String,
    pub tags: Vec<String>,
    pub prerequisites: Vec<String>,
    pub pass_mark: i32,
    pub certificate: bool,
    pub certificate_valid_months: Option<i32>,
    pub authors: Vec<String>,
    /// (code, level)
    pub competencies: Vec<(String, i32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    Lesson,
    Quiz,
}

impl ModuleKind {
    pub fn code(self) -> &'static str {
        match self {
            ModuleKind::Lesson => "lesson",
            ModuleKind::Quiz => "quiz",
        }
    }
}

/// The answer key of a question: kept apart from what learners see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerKey {
    /// Indices (0-based, in source order) of the right options.
    Choices {
        correct: Vec<usize>,
    },
    Short {
        accepted: Vec<String>,
    },
    Numeric {
        answer: Numeric,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionOut {
    pub kind: QuestionKind,
    pub prompt_html: String,
    /// Option HTML, in source order (empty for short answer and numeric).
    pub options: Vec<String>,
    pub key: AnswerKey,
    pub feedback_html: Option<String>,
    /// Per-option feedback HTML, in source order.
    pub option_feedback: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuizOut {
    pub pass_mark: i32,
    /// 0 = unlimited.
    pub attempts: i32,
    pub time_limit_minutes: Option<i32>,
    pub shuffle: bool,
    pub draw: Option<i32>,
    /// When learners see the right answers.
    pub review: quiz::Review,
    pub questions: Vec<QuestionOut>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModuleOut {
    pub number: i32,
    /// The file stem (`02-standar-pelayanan`): the module's URL slug.
    pub slug: String,
    pub kind: ModuleKind,
    pub title: String,
    pub minutes: Option<i32>,
    /// The lesson body, or the quiz's instructions.
    pub html: String,
    pub headings: Vec<Heading>,
    pub quiz: Option<QuizOut>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssetOut {
    /// Relative to the course folder (`assets/alur.png`).
    pub path: String,
    pub content_type: String,
    /// SHA-256 of the bytes, hex.
    pub hash: String,
    pub bytes: Vec<u8>,
}

impl AssetOut {
    /// Where the asset is served: content-addressed, so it can be cached forever.
    pub fn url(&self) -> String {
        asset_url(&self.hash, &self.path)
    }
}

pub fn asset_url(hash: &str, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/assets/{}/{name}", &hash[..32.min(hash.len())])
}

/// A valid course folder, rendered and ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseOut {
    pub slug: String,
    /// SHA-256 over every file's path and bytes: the version.
    pub hash: String,
    pub meta: CourseMeta,
    pub description_html: String,
    pub modules: Vec<ModuleOut>,
    pub assets: Vec<AssetOut>,
    /// The Markdown files as read (`course.md`, `01-pengantar.md`, …), kept with the version so it
    /// can be edited, compared and downloaded again.
    pub sources: BTreeMap<String, String>,
}

impl CourseOut {
    pub fn total_minutes(&self) -> i32 {
        self.modules.iter().filter_map(|m| m.minutes).sum()
    }

    pub fn question_count(&self) -> usize {
        self.modules
            .iter()
            .filter_map(|m| m.quiz.as_ref())
            .map(|q| q.questions.len())
            .sum()
    }
}

#[derive(Debug)]
pub struct Loaded {
    pub course: Option<CourseOut>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A slug: lowercase ASCII letters, digits and `-`, 3 to 64 characters.
pub fn valid_slug(s: &str) -> bool {
    (3..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// `NN-slug.md` → (NN, stem)
fn module_name(file: &str) -> Option<(i32, &str)> {
    let stem = file.strip_suffix(".md")?;
    let (num, rest) = stem.split_once('-')?;
    if num.is_empty()
        || num.len() > 4
        || !num.chars().all(|c| c.is_ascii_digit())
        || rest.is_empty()
    {
        return None;
    }
    Some((num.parse().ok()?, stem))
}

struct Files {
    /// Markdown files at the top of the folder, by name.
    markdown: BTreeMap<String, PathBuf>,
    /// Other files, by path relative to the folder.
    others: BTreeMap<String, PathBuf>,
}

fn walk(dir: &Path, rel: &str, files: &mut Files, sink: &mut Sink<'_>, shown: &str) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            sink.error(0, format!("cannot read the folder {} ({e})", dir.display()));
            return;
        }
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let rel_path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            sink.warning_in(0, format!("{shown}/{rel_path} is a symbolic link and is ignored; copy the file into the folder instead"), format!("{shown}/{rel_path} adalah tautan simbolis dan diabaikan; salin berkasnya sendiri ke folder"));
        } else if meta.is_dir() {
            walk(&entry.path(), &rel_path, files, sink, shown);
        } else if rel.is_empty() && name.ends_with(".md") {
            files.markdown.insert(name, entry.path());
        } else {
            files.others.insert(rel_path, entry.path());
        }
    }
}

fn read_text(path: &Path, sink: &mut Sink<'_>) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() > MAX_MARKDOWN_BYTES => {
            let (kb, max) = (bytes.len() / 1024, MAX_MARKDOWN_BYTES / 1024);
            sink.error_in(
                0,
                format!("the file is {kb} KB; split it into smaller modules (at most {max} KB each)"),
                format!("berkas ini {kb} KB; pecah menjadi modul-modul yang lebih kecil (paling besar {max} KB)"),
            );
            None
        }
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => Some(frontmatter::normalize(&t)),
            Err(e) => {
                let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                sink.error_in(
                    line,
                    "the file is not UTF-8 text; save it as UTF-8 in your editor",
                    "berkas ini bukan teks UTF-8; simpan ulang sebagai UTF-8 di penyunting Anda",
                );
                None
            }
        },
        Err(e) => {
            sink.error(0, format!("cannot read the file ({e})"));
            None
        }
    }
}

/// Load the course in `dir`, shown in messages as `shown` (the path the author typed).
pub fn load(dir: &Path, shown: &str, dict: &Dictionary) -> Loaded {
    let shown = shown.trim_end_matches('/');
    let mut diags = Vec::new();
    let Some((folder_name, files)) = folder_files(dir, shown, &mut diags) else {
        return Loaded {
            course: None,
            diagnostics: diags,
        };
    };

    let mut kept = Kept::default();
    let assets = read_assets(&files.others, shown, &mut diags, &mut kept.all_files);
    let module_files = number_modules(&files.markdown, shown, &mut diags);
    let links = links_of(&folder_name, &module_files, &assets);

    let (meta, description_html) = match files.markdown.get("course.md") {
        None => {
            Sink { path: shown, out: &mut diags }.error_in(0, "no course.md; add one with the course's front matter (title, summary, jp) and description", "tidak ada course.md; tambahkan berkas itu dengan pengaturan kursus (title, summary, jp) dan deskripsinya");
            (None, String::new())
        }
        Some(path) => {
            let shown_file = format!("{shown}/course.md");
            let mut sink = Sink {
                path: &shown_file,
                out: &mut diags,
            };
            match read_text(path, &mut sink) {
                Some(text) => {
                    kept.keep("course.md", &text);
                    course_page(&text, dict, &folder_name, dir, &links, &mut sink)
                }
                None => (None, String::new()),
            }
        }
    };
    if module_files.is_empty() {
        Sink {
            path: shown,
            out: &mut diags,
        }
        .error_in(
            0,
            "the course has no modules; add lesson files named NN-slug.md, such as 01-pengantar.md",
            "kursus ini belum punya modul; tambahkan berkas materi bernama NN-nama.md, misalnya 01-pengantar.md",
        );
    }

    let course_pass_mark = meta
        .as_ref()
        .map(|m: &CourseMeta| m.pass_mark)
        .unwrap_or(70);
    let modules = read_modules(
        &module_files,
        &files.markdown,
        shown,
        course_pass_mark,
        &links,
        &mut diags,
        &mut kept,
    );
    let hash = content_hash(&kept.all_files);

    diags.sort_by(|a, b| (a.path.as_str(), a.line).cmp(&(b.path.as_str(), b.line)));
    let course = match meta {
        Some(meta) if !has_errors(&diags) => Some(CourseOut {
            slug: folder_name,
            hash,
            meta,
            description_html,
            modules,
            assets,
            sources: kept.sources,
        }),
        _ => None,
    };
    Loaded {
        course,
        diagnostics: diags,
    }
}

/// The files read so far: every file's bytes (for the hash) and the Markdown sources as text.
#[derive(Default)]
struct Kept {
    all_files: BTreeMap<String, Vec<u8>>,
    sources: BTreeMap<String, String>,
}

impl Kept {
    fn keep(&mut self, name: &str, text: &str) {
        self.all_files
            .insert(name.to_string(), text.as_bytes().to_vec());
        self.sources.insert(name.to_string(), text.to_string());
    }
}

/// course.md's metadata and its description rendered; without metadata the description is still
/// rendered, for its diagnostics.
fn course_page(
    text: &str,
    dict: &Dictionary,
    slug: &str,
    dir: &Path,
    links: &Links,
    sink: &mut Sink<'_>,
) -> (Option<CourseMeta>, String) {
    if let Some((m, body, body_line)) = course_meta(text, dict, slug, dir, sink) {
        let description_html = markdown::render(body, body_line, links, sink).html;
        (Some(m), description_html)
    } else {
        if let Ok(split) = frontmatter::split(text) {
            markdown::render(split.body, split.body_line, links, sink);
        }
        (None, String::new())
    }
}

/// Reads and renders the module files in order; a module with errors is left out.
fn read_modules(
    module_files: &[(i32, String, String)],
    markdown: &BTreeMap<String, PathBuf>,
    shown: &str,
    course_pass_mark: i32,
    links: &Links,
    diags: &mut Vec<Diagnostic>,
    kept: &mut Kept,
) -> Vec<ModuleOut> {
    let mut modules = Vec::new();
    for (number, name, stem) in module_files {
        let shown_file = format!("{shown}/{name}");
        let mut sink = Sink {
            path: &shown_file,
            out: diags,
        };
        let Some(text) = read_text(&markdown[name], &mut sink) else {
            continue;
        };
        kept.keep(name, &text);
        if let Some(m) = module(&text, *number, stem, course_pass_mark, links, &mut sink) {
            modules.push(m);
        }
    }
    modules
}

/// The folder's name and its files; None when `dir` is no folder.
fn folder_files(dir: &Path, shown: &str, diags: &mut Vec<Diagnostic>) -> Option<(String, Files)> {
    let folder_name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if !check_folder(dir, shown, &folder_name, diags) {
        return None;
    }
    let mut files = Files {
        markdown: BTreeMap::new(),
        others: BTreeMap::new(),
    };
    walk(
        dir,
        "",
        &mut files,
        &mut Sink {
            path: shown,
            out: diags,
        },
        shown,
    );
    Some((folder_name, files))
}

/// Checks that `dir` is a folder with a valid slug as its name; false when it is no folder.
fn check_folder(dir: &Path, shown: &str, folder_name: &str, diags: &mut Vec<Diagnostic>) -> bool {
    let mut sink = Sink {
        path: shown,
        out: diags,
    };
    if !dir.is_dir() {
        sink.error(
            0,
            "not a folder; give the path of a course folder (the one holding course.md)",
        );
        return false;
    }
    if !valid_slug(folder_name) {
        sink.error_in(
            0,
            format!("the folder name `{folder_name}` is not a valid course slug; rename it with 3 to 64 lowercase letters, digits and `-`"),
            format!("nama folder `{folder_name}` tidak dapat menjadi alamat kursus; ganti dengan 3 sampai 64 huruf kecil, angka, dan `-`"),
        );
    }
    true
}

/// Reads the files that are not top-level Markdown as assets, adding their bytes to `all_files`.
fn read_assets(
    others: &BTreeMap<String, PathBuf>,
    shown: &str,
    diags: &mut Vec<Diagnostic>,
    all_files: &mut BTreeMap<String, Vec<u8>>,
) -> Vec<AssetOut> {
    let mut assets = Vec::new();
    for (rel, path) in others {
        let shown_file = format!("{shown}/{rel}");
        let mut sink = Sink {
            path: &shown_file,
            out: diags,
        };
        let ext = rel
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let Some((_, content_type)) = ASSET_TYPES.iter().find(|(e, _)| *e == ext) else {
            if rel.contains('/') || !rel.ends_with(".toml") {
                let kinds: Vec<&str> = ASSET_TYPES.iter().map(|(e, _)| *e).collect();
                sink.warning_in(
                    0,
                    format!(
                        "this file type is not served and the file is ignored; assets may be {}",
                        kinds.join(", ")
                    ),
                    format!(
                        "jenis berkas ini tidak dipakai dan diabaikan; aset boleh berupa {}",
                        kinds.join(", ")
                    ),
                );
            }
            continue;
        };
        match std::fs::read(path) {
            Ok(bytes) if bytes.len() > MAX_ASSET_BYTES => {
                let (mb, max) = (bytes.len() / (1024 * 1024), MAX_ASSET_BYTES / (1024 * 1024));
                sink.error_in(
                    0,
                    format!("the file is {mb} MB; assets may be at most {max} MB, so compress or shrink it"),
                    format!("berkas ini {mb} MB; aset paling besar {max} MB, jadi kompres atau perkecil"),
                )
            }
            Ok(bytes) => {
                let hash = hex::encode(Sha256::digest(&bytes));
                all_files.insert(rel.clone(), bytes.clone());
                assets.push(AssetOut {
                    path: rel.clone(),
                    content_type: content_type.to_string(),
                    hash,
                    bytes,
                });
            }
            Err(e) => sink.error(0, format!("cannot read the file ({e})")),
        }
    }
    assets
}

/// The module files as (number, file name, stem), sorted, after checking names and numbers.
fn number_modules(
    markdown: &BTreeMap<String, PathBuf>,
    shown: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(i32, String, String)> {
    let mut modules_by_number: BTreeMap<i32, String> = BTreeMap::new();
    let mut module_files = Vec::new();
    for name in markdown.keys() {
        if name == "course.md" {
            continue;
        }
        let shown_file = format!("{shown}/{name}");
        let mut sink = Sink {
            path: &shown_file,
            out: diags,
        };
        match module_name(name) {
            Some((number, stem)) => {
                if !valid_slug(stem) {
                    sink.error_in(0, format!("`{stem}` is not a valid module slug; use lowercase letters, digits and `-` (3 to 64 characters), as in 02-standar-pelayanan.md"), format!("`{stem}` tidak dapat menjadi nama modul; pakai huruf kecil, angka, dan `-` (3 sampai 64 karakter), seperti 02-standar-pelayanan.md"));
                    continue;
                }
                if let Some(other) = modules_by_number.get(&number) {
                    sink.error_in(0, format!("two modules are numbered {number} ({other} and {name}); give each module its own number"), format!("dua modul bernomor {number} ({other} dan {name}); beri setiap modul nomornya sendiri"));
                    continue;
                }
                modules_by_number.insert(number, name.clone());
                module_files.push((number, name.clone(), stem.to_string()));
            }
            None => sink.error_in(0, format!("`{name}` is not a module file name; name modules NN-slug.md (such as 01-pengantar.md), or remove the file"), format!("`{name}` bukan nama berkas modul; beri nama NN-nama.md (misalnya 01-pengantar.md), atau hapus berkasnya")),
        }
    }
    module_files.sort();
    module_files
}

/// What Markdown may link to: the course's modules and assets, with the images' sizes.
fn links_of(
    folder_name: &str,
    module_files: &[(i32, String, String)],
    assets: &[AssetOut],
) -> Links {
    Links {
        course_slug: folder_name.to_string(),
        modules: module_files.iter().map(|(_, n, _)| n.clone()).collect(),
        assets: assets.iter().map(|a| (a.path.clone(), a.url())).collect(),
        sizes: assets
            .iter()
            .filter_map(|a| Some((a.url(), super::image_size::dimensions(&a.path, &a.bytes)?)))
            .collect(),
    }
}

/// SHA-256 over every file's path and bytes, in path order: the version's hash.
fn content_hash(all_files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut hasher = Sha256::new();
    for (rel, bytes) in all_files {
        hasher.update((rel.len() as u64).to_le_bytes());
        hasher.update(rel.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex::encode(hasher.finalize())
}

fn course_meta<'t>(
    text: &'t str,
    dict: &Dictionary,
    slug: &str,
    dir: &Path,
    sink: &mut Sink<'_>,
) -> Option<(CourseMeta, &'t str, usize)> {
    let (split, table) = front_matter(text, sink)?;
    let before = sink.out.len();
    let mut f = Fields::new(&table, &split, sink);
    let title = f.string("title", true, "title = \"Pelayanan Publik Prima\"");
    let summary_line = f.line_of("summary");
    let summary = f.string(
        "summary",
        true,
        "summary = \"One line that says what the course teaches.\"",
    );
    if summary.as_deref().is_some_and(|s| s.contains('\n')) {
        f.sink.error_in(summary_line, "`summary` must be one line; shorten it and put the rest in the description below the front matter", "`summary` harus satu baris; persingkat dan pindahkan sisanya ke deskripsi di bawah pengaturan");
    }
    let jp = f.int("jp", true, 1, 1000, "jp = 6");
    let language_line = f.line_of("language");
    let language = f
        .string("language", false, "language = \"id\"")
        .unwrap_or_else(|| "id".into());
    check_language(&language, language_line, f.sink);
    let tags = f
        .strings("tags", "tags = [\"pelayanan\", \"teknis\"]")
        .unwrap_or_default();
    let prerequisites = prerequisites(&mut f, slug, dir);
    let pass_mark = f
        .int("pass_mark", false, 0, 100, "pass_mark = 70")
        .unwrap_or(70) as i32;
    let certificate = f
        .boolean("certificate", "certificate = true")
        .unwrap_or(true);
    let certificate_valid_months = f
        .int(
            "certificate_valid_months",
            false,
            1,
            600,
            "certificate_valid_months = 24",
        )
        .map(|n| n as i32);
    let authors = f
        .strings("authors", "authors = [\"Tim BPSDM\"]")
        .unwrap_or_default();
    let entries = f.tables("competencies").unwrap_or_default();
    f.finish(COURSE_KEYS, |k| {
        QUIZ_KEYS.contains(&k).then(|| {
            (
                format!("`{k}` belongs in a quiz module's front matter, not in course.md"),
                format!("`{k}` ditulis di pengaturan modul kuis, bukan di course.md"),
            )
        })
    });
    let competencies = course_competencies(entries, &split, dict, sink);
    if errors_since(sink, before) {
        return None;
    }
    Some((
        CourseMeta {
            title: title?,
            summary: summary?,
            jp: jp? as i32,
            language,
            tags,
            prerequisites,
            pass_mark,
            certificate,
            certificate_valid_months,
            authors,
            competencies,
        },
        split.body,
        split.body_line,
    ))
}

/// Splits off the front matter and parses it as TOML, reporting what fails.
fn front_matter<'t>(text: &'t str, sink: &mut Sink<'_>) -> Option<(Split<'t>, toml::Table)> {
    let split = match frontmatter::split(text) {
        Ok(s) => s,
        Err((line, en, id)) => {
            sink.error_in(line, en, id);
            return None;
        }
    };
    let table = frontmatter::parse_toml(&split, sink)?;
    Some((split, table))
}

/// Whether an error was reported after the first `before` diagnostics.
fn errors_since(sink: &Sink<'_>, before: usize) -> bool {
    sink.out[before..]
        .iter()
        .any(|d| d.severity == super::diag::Severity::Error)
}

fn check_language(language: &str, line: usize, sink: &mut Sink<'_>) {
    if !["id", "en"].contains(&language) {
        sink.error_in(
            line,
            format!(
                "language `{language}` is not supported; use \"id\" (Bahasa Indonesia) or \"en\""
            ),
            format!(
                "bahasa `{language}` tidak didukung; pakai \"id\" (Bahasa Indonesia) atau \"en\""
            ),
        );
    }
}

/// The course's prerequisites: each must be a slug other than the course's own; one not found
/// next to the course folder is a warning.
fn prerequisites(f: &mut Fields<'_, '_, '_>, slug: &str, dir: &Path) -> Vec<String> {
    let line = f.line_of("prerequisites");
    let prerequisites = f
        .strings(
            "prerequisites",
            "prerequisites = [\"literasi-digital-asn\"]",
        )
        .unwrap_or_default();
    let sink = &mut *f.sink;
    for p in &prerequisites {
        if !valid_slug(p) {
            sink.error_in(line, format!("prerequisite `{p}` is not a course slug; use the folder name of the course, such as literasi-digital-asn"), format!("prasyarat `{p}` bukan alamat kursus; pakai nama folder kursusnya, misalnya literasi-digital-asn"));
        } else if p == slug {
            sink.error_in(
                line,
                "a course cannot be its own prerequisite; remove it from `prerequisites`",
                "kursus tidak dapat menjadi prasyaratnya sendiri; hapus dari `prerequisites`",
            );
        } else if let Some(parent) = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.parent().map(Path::to_path_buf))
        {
            if !parent.join(p).join("course.md").is_file() {
                sink.warning_in(line, format!("prerequisite `{p}` is not a course folder next to this one; it must be published before this course"), format!("prasyarat `{p}` tidak ada sebagai folder kursus di sebelah kursus ini; kursus itu harus sudah terbit sebelum kursus ini"));
            }
        }
    }
    prerequisites
}

/// The `[[competencies]]` entries as (code, level), each code known to the dictionary and
/// listed once.
fn course_competencies(
    entries: Vec<(&toml::Table, usize)>,
    split: &Split<'_>,
    dict: &Dictionary,
    sink: &mut Sink<'_>,
) -> Vec<(String, i32)> {
    let mut competencies: Vec<(String, i32)> = Vec::new();
    for (entry, line) in entries {
        let mut f = Fields::entry(entry, split, sink, line);
        let code_line = f.line_of("code");
        let code = f.string("code", true, "code = \"M.PP\"");
        let level = f.int("level", true, 1, 5, "level = 2");
        f.finish(&["code", "level"], |_| None);
        let (Some(code), Some(level)) = (code, level) else {
            continue;
        };
        if dict.get(&code).is_none() {
            let codes = dict.codes();
            let hint = crate::text::nearest(&code, &codes)
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| "add it to competencies.toml or use a code listed there".into());
            sink.error_in(
                code_line,
                format!("unknown competency `{code}`; {hint}"),
                format!(
                    "kompetensi `{code}` tidak ada di kamus kompetensi; {}",
                    match crate::text::nearest(&code, &dict.codes()) {
                        Some(c) => format!("maksud Anda `{c}`?"),
                        None =>
                            "tambahkan ke competencies.toml atau pakai kode yang tercantum di sana"
                                .into(),
                    }
                ),
            );
            continue;
        }
        if competencies.iter().any(|(c, _)| *c == code) {
            sink.error_in(code_line, format!("competency `{code}` is listed twice; keep one entry with the level the course develops"), format!("kompetensi `{code}` tercantum dua kali; sisakan satu dengan level yang dikembangkan kursus"));
            continue;
        }
        competencies.push((code, level as i32));
    }
    competencies
}

fn module(
    text: &str,
    number: i32,
    stem: &str,
    course_pass_mark: i32,
    links: &Links,
    sink: &mut Sink<'_>,
) -> Option<ModuleOut> {
    let (split, table) = front_matter(text, sink)?;
    let before = sink.out.len();
    let mut f = Fields::new(&table, &split, sink);
    let title = f.string("title", true, "title = \"Pengantar\"");
    let kind_line = f.line_of("kind");
    let kind = match f.string("kind", false, "kind = \"quiz\"").as_deref() {
        None | Some("lesson") => ModuleKind::Lesson,
        Some("quiz") => ModuleKind::Quiz,
        Some(other) => {
            f.sink.error_in(
                kind_line,
                format!("kind `{other}` is not known; use \"lesson\" (the default) or \"quiz\""),
                format!("kind `{other}` tidak dikenal; pakai \"lesson\" (bawaan) atau \"quiz\""),
            );
            ModuleKind::Lesson
        }
    };
    let minutes = f
        .int("minutes", false, 1, 600, "minutes = 15")
        .map(|n| n as i32);
    let mut settings = None;
    if kind == ModuleKind::Quiz {
        settings = Some(quiz_settings(&mut f, course_pass_mark));
        f.finish(QUIZ_KEYS, |_| None);
    } else {
        f.finish(LESSON_KEYS, |k| {
            QUIZ_KEYS.contains(&k).then(|| {
                (
                    format!("`{k}` applies only to quizzes; add kind = \"quiz\" if this module is a quiz, or remove the line"),
                    format!("`{k}` hanya berlaku untuk kuis; tambahkan kind = \"quiz\" bila modul ini kuis, atau hapus barisnya"),
                )
            })
        });
    }

    let mut quiz = None;
    let html;
    let headings;
    match settings {
        None => {
            let r = markdown::render(split.body, split.body_line, links, sink);
            html = r.html;
            headings = r.headings;
        }
        Some(settings) => {
            let (intro, q) = render_quiz(&split, settings, links, sink, before);
            html = intro;
            headings = Vec::new();
            quiz = Some(q);
        }
    }
    if errors_since(sink, before) {
        return None;
    }
    Some(ModuleOut {
        number,
        slug: stem.to_string(),
        kind,
        title: title?,
        minutes,
        html,
        headings,
        quiz,
    })
}

/// A quiz module's settings from its front matter.
struct QuizSettings {
    pass_mark: i32,
    attempts: i32,
    time_limit_minutes: Option<i32>,
    shuffle: bool,
    draw: Option<i32>,
    draw_line: usize,
    review: quiz::Review,
}

/// Reads a quiz's settings; the pass mark defaults to the course's.
fn quiz_settings(f: &mut Fields<'_, '_, '_>, course_pass_mark: i32) -> QuizSettings {
    let pass_mark = f
        .int("pass_mark", false, 0, 100, "pass_mark = 70")
        .map(|n| n as i32)
        .unwrap_or(course_pass_mark);
    let attempts = f
        .int("attempts", false, 0, 1000, "attempts = 3")
        .unwrap_or(0) as i32;
    let time_limit_minutes = f
        .int(
            "time_limit_minutes",
            false,
            1,
            1440,
            "time_limit_minutes = 20",
        )
        .map(|n| n as i32);
    let shuffle = f.boolean("shuffle", "shuffle = true").unwrap_or(true);
    let draw_line = f.line_of("draw");
    let draw = f.int("draw", false, 1, 1000, "draw = 10").map(|n| n as i32);
    let review_line = f.line_of("review");
    let review = match f.string("review", false, "review = \"after_pass\"") {
        None => quiz::Review::default(),
        Some(v) => quiz::Review::parse(v.trim()).unwrap_or_else(|| {
            let allowed: Vec<String> = quiz::Review::ALL
                .iter()
                .map(|r| format!("\"{}\"", r.code()))
                .collect();
            f.sink.error_in(
                review_line,
                format!(
                    "review `{v}` is not known; use one of {} (the default is \"after_pass\")",
                    allowed.join(", ")
                ),
                format!(
                    "review `{v}` tidak dikenal; pakai salah satu dari {} (bawaan \"after_pass\")",
                    allowed.join(", ")
                ),
            );
            quiz::Review::default()
        }),
    };
    QuizSettings {
        pass_mark,
        attempts,
        time_limit_minutes,
        shuffle,
        draw,
        draw_line,
        review,
    }
}

/// Parses and renders a quiz's body: its instructions as HTML, and the quiz. `before` counts
/// the diagnostics from before the module, so "no questions" is not reported on top of errors.
fn render_quiz(
    split: &Split<'_>,
    settings: QuizSettings,
    links: &Links,
    sink: &mut Sink<'_>,
    before: usize,
) -> (String, QuizOut) {
    let body = quiz::parse(split.body, split.body_line, sink);
    let intro = body
        .intro
        .as_ref()
        .map(|md| markdown::render(&md.text, md.line, links, sink).html)
        .unwrap_or_default();
    let mut questions = Vec::new();
    for q in &body.questions {
        questions.push(render_question(q, links, sink));
    }
    if body.questions.is_empty() && !errors_since(sink, before) {
        sink.error_in(split.body_line, "the quiz has no questions; start each question with a `## ` heading followed by its answers", "kuis ini belum punya soal; awali setiap soal dengan judul `## ` lalu jawabannya");
    }
    if let Some(d) = settings.draw {
        // counted as written, so a question with its own error does not also fail `draw`
        if d as usize > body.written && body.written > 0 {
            sink.error_in(
                settings.draw_line,
                format!(
                    "draw = {d} but the quiz has only {} questions; lower `draw` or add questions",
                    body.written
                ),
                format!(
                    "draw = {d} padahal kuis ini hanya punya {} soal; turunkan `draw` atau tambah soal",
                    body.written
                ),
            );
        }
    }
    let quiz = QuizOut {
        pass_mark: settings.pass_mark,
        attempts: settings.attempts,
        time_limit_minutes: settings.time_limit_minutes,
        shuffle: settings.shuffle,
        draw: settings.draw,
        review: settings.review,
        questions,
    };
    (intro, quiz)
}

fn render_question(q: &quiz::QuestionSource, links: &Links, sink: &mut Sink<'_>) -> QuestionOut {
    // the heading and the lines below it are rendered apart, so that a problem in the lines
    // below is reported at its own line
    let mut prompt_html = if q.heading.is_empty() {
        String::new()
    } else {
        markdown::render(&q.heading, q.line, links, sink).html
    };
    if let Some(details) = &q.details {
        prompt_html.push_str(&markdown::render(&details.text, details.line, links, sink).html);
    }
    let feedback_html = q
        .feedback
        .as_ref()
        .map(|f| markdown::render(&f.text, f.line, links, sink).html);
    let (options, option_feedback, key) = match &q.answer {
        AnswerSource::Choices(choices) => {
            let options = choices
                .iter()
                .map(|c| markdown::render_inline(&c.text.text, c.text.line, links, sink))
                .collect();
            let fb = choices
                .iter()
                .map(|c| {
                    c.feedback
                        .as_ref()
                        .map(|f| markdown::render_inline(&f.text, f.line, links, sink))
                })
                .collect();
            let correct = choices
                .iter()
                .enumerate()
                .filter(|(_, c)| c.correct)
                .map(|(i, _)| i)
                .collect();
            (options, fb, AnswerKey::Choices { correct })
        }
        AnswerSource::Short(accepted) => (
            Vec::new(),
            Vec::new(),
            AnswerKey::Short {
                accepted: accepted.clone(),
            },
        ),
        AnswerSource::Numeric(n) => (Vec::new(), Vec::new(), AnswerKey::Numeric { answer: *n }),
    };
    QuestionOut {
        kind: q.kind,
        prompt_html,
        options,
        key,
        feedback_html,
        option_feedback,
    }
}

/// Course folders under `root`: itself when it holds course.md, else its sub-folders that do.
pub fn course_dirs(root: &Path) -> Vec<PathBuf> {
    if root.join("course.md").is_file() {
        return vec![root.to_path_buf()];
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && p.join("course.md").is_file())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}
