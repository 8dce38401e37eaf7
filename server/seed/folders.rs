//! Course folders for generated data: copies of the sample courses (real Indonesian content, so
//! module pages have a real size) under new slugs and numbered titles, as a training agency runs
//! the same course for many intakes (angkatan).

use std::fs;
use std::path::{Path, PathBuf};

/// The course folders (holding a `course.md`) directly under `dir`, in name order.
pub fn templates(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read the courses folder {}: {e}; give the folder of sample courses with --templates",
            dir.display()
        )
    })?;
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("course.md").is_file())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(format!(
            "{} holds no course folder (a folder with a course.md); give the folder of sample courses with --templates",
            dir.display()
        ));
    }
    Ok(out)
}

/// Write `count` course folders into `out` (made fresh), the `i`-th a copy of template
/// `i % templates.len()` named `<template>-angkatan-<n>`, its title numbered and its
/// prerequisites dropped (each copy stands alone). Returns the folders.
pub fn generate(templates: &[PathBuf], count: usize, out: &Path) -> Result<Vec<PathBuf>, String> {
    if out.exists() {
        fs::remove_dir_all(out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    // the competency dictionary the templates are checked against
    if let Some(dict) = templates
        .first()
        .and_then(|t| t.parent())
        .map(|p| p.join("competencies.toml"))
        .filter(|d| d.is_file())
    {
        fs::copy(&dict, out.join("competencies.toml"))
            .map_err(|e| format!("cannot copy {}: {e}", dict.display()))?;
    }
    let mut dirs = Vec::with_capacity(count);
    for i in 0..count {
        let template = &templates[i % templates.len()];
        let intake = i / templates.len() + 1;
        let base = template
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "kursus".into());
        let dir = out.join(format!("{}-angkatan-{intake}", truncate(&base, 48)));
        copy_dir(template, &dir)?;
        let course_md = dir.join("course.md");
        let text = fs::read_to_string(&course_md)
            .map_err(|e| format!("cannot read {}: {e}", course_md.display()))?;
        fs::write(&course_md, renumber(&text, intake))
            .map_err(|e| format!("cannot write {}: {e}", course_md.display()))?;
        dirs.push(dir);
    }
    Ok(dirs)
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s[..i].trim_end_matches('-'),
        None => s,
    }
}

/// The course.md of intake `n`: "Angkatan n" added to the title, no prerequisites, no slug.
fn renumber(course_md: &str, n: usize) -> String {
    let mut out = String::with_capacity(course_md.len() + 16);
    let mut in_front = false;
    let mut fences = 0;
    for line in course_md.lines() {
        if line.trim() == "+++" {
            fences += 1;
            in_front = fences == 1;
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let key = line.split('=').next().unwrap_or("").trim();
        if in_front && (key == "prerequisites" || key == "slug") {
            continue;
        }
        if in_front && key == "title" {
            if let (Some(a), Some(b)) = (line.find('"'), line.rfind('"')) {
                if b > a {
                    out.push_str(&format!("title = \"{} — Angkatan {n}\"\n", &line[a + 1..b]));
                    continue;
                }
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for e in entries.flatten() {
        let path = e.path();
        let target = to.join(e.file_name());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            fs::copy(&path, &target).map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumber_changes_the_title_and_drops_prerequisites() {
        let md = "+++\ntitle = \"Pelayanan Publik\"\nprerequisites = [\"a\"]\njp = 4\n+++\n\ntitle = \"body\"\n";
        assert_eq!(
            renumber(md, 3),
            "+++\ntitle = \"Pelayanan Publik — Angkatan 3\"\njp = 4\n+++\n\ntitle = \"body\"\n"
        );
    }

    #[test]
    fn generated_folders_pass_the_course_checker() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
        let t = templates(&samples).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dirs = generate(&t, t.len() + 1, &out.path().join("c")).unwrap();
        assert_eq!(dirs.len(), t.len() + 1);
        let mut stdout = Vec::new();
        let ok = crate::catalog::check::run(&dirs, &samples, &mut stdout, &mut Vec::new());
        assert!(ok, "{}", String::from_utf8_lossy(&stdout));
    }
}
