//! What helps an author start: the starter course they download from the authoring pages
//! (`web/starter/`: a small, real course about writing courses for Cakap, in a `.zip` whose top
//! folder is the course, ready to be changed and uploaded again) and the format guide shown in
//! the app (`web/guide/`, in the UI's language).

use std::io::Write;
use std::sync::LazyLock;

use rust_embed::RustEmbed;

use crate::i18n::Lang;

#[derive(RustEmbed)]
#[folder = "web/starter/"]
struct Files;

#[derive(RustEmbed)]
#[folder = "web/guide/"]
struct Guide;

/// The format guide in `lang`, as sanitized HTML (rendered once per language).
pub fn guide_html(lang: Lang) -> &'static str {
    static ID: LazyLock<String> = LazyLock::new(|| render_guide("id.md"));
    static EN: LazyLock<String> = LazyLock::new(|| render_guide("en.md"));
    match lang {
        Lang::Id => &ID,
        Lang::En => &EN,
    }
}

fn render_guide(name: &str) -> String {
    let text = Guide::get(name)
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_default();
    let mut html = String::with_capacity(text.len() * 3 / 2);
    let options = pulldown_cmark::Options::ENABLE_TABLES;
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(&text, options));
    super::markdown::sanitize(&html)
}

/// The archive's name when downloaded.
pub const FILE_NAME: &str = "kursus-saya.zip";

/// The starter course as a zip archive (every file under its course folder, in name order).
pub fn zip() -> Result<Vec<u8>, String> {
    let mut names: Vec<String> = Files::iter().map(|n| n.into_owned()).collect();
    names.sort();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for name in names {
        let file = Files::get(&name).ok_or_else(|| format!("starter file {name} vanished"))?;
        out.start_file(name.as_str(), options)
            .map_err(|e| format!("starter archive: {e}"))?;
        out.write_all(&file.data)
            .map_err(|e| format!("starter archive: {e}"))?;
    }
    let cursor = out.finish().map_err(|e| format!("starter archive: {e}"))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::archive::{unpack, Limits};
    use crate::catalog::diag::Severity;
    use crate::catalog::dictionary::Dictionary;
    use crate::catalog::folder;

    /// The starter unpacks as an upload would and loads with no error and no warning: what an
    /// author downloads is a course Cakap accepts as it is.
    #[test]
    fn the_starter_is_a_course_that_loads_cleanly() {
        let bytes = zip().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let course = unpack(&bytes, dir.path(), &Limits::default()).expect("it unpacks");
        assert_eq!(course.file_name().unwrap(), "kursus-saya");
        let (dict, _) = Dictionary::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("courses/competencies.toml"),
            "competencies.toml",
        );
        let loaded = folder::load(&course, "kursus-saya", &dict);
        let problems: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(problems.is_empty(), "{problems:#?}");
        let c = loaded.course.expect("it loads");
        assert_eq!(c.modules.len(), 3);
        assert!(loaded
            .diagnostics
            .iter()
            .all(|d| d.severity != Severity::Error));
    }

    /// The guide exists in both languages, with its sections and its examples as code.
    #[test]
    fn the_guide_speaks_both_languages() {
        let id = guide_html(Lang::Id);
        assert!(id.contains("<h2>Modul kuis</h2>"), "{id}");
        assert!(id.contains("<table>") && id.contains("<pre><code"), "{id}");
        let en = guide_html(Lang::En);
        assert!(en.contains("<h2>Quizzes</h2>"), "{en}");
        assert!(!en.contains("Modul kuis"));
    }
}
