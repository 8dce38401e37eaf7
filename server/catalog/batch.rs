//! Publish many course folders: validate all, sync the dictionaries they use, then publish the
//! valid ones with prerequisites first. Used by `cakap courses publish` and by `cakap serve`.

use std::path::{Path, PathBuf};

use super::check::{dictionary_path, expand, Dictionaries};
use super::diag::{has_errors, Diagnostic};
use super::folder;
use super::publish::{self, Outcome};
use crate::db::DbConnection;

#[derive(Debug)]
pub struct Report {
    /// The folder as given.
    pub shown: String,
    /// The course's slug, when it loaded.
    pub slug: Option<String>,
    /// The version hash, when it loaded.
    pub hash: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// `None` when the folder has errors and was not published.
    pub outcome: Option<Result<Outcome, String>>,
}

impl Report {
    pub fn ok(&self) -> bool {
        matches!(self.outcome, Some(Ok(_)))
    }

    /// One line for a terminal or a log.
    pub fn line(&self) -> String {
        let name = self.slug.as_deref().unwrap_or(&self.shown);
        let version = self
            .hash
            .as_deref()
            .map(|h| format!(" (version {})", &h[..12]))
            .unwrap_or_default();
        match &self.outcome {
            Some(Ok(o)) => format!("{name}: {o}{version}"),
            Some(Err(e)) => format!("{name}: not published: {e}"),
            None => format!(
                "{}: not published: fix the errors above and publish again",
                self.shown
            ),
        }
    }
}

/// Validate and publish the course folders named by `args` (course folders, folders of courses).
/// `mode` says who asks (see [`publish::Mode`]). `progress` is told each course as it is handled (for a progress bar).
pub fn publish_dirs(
    conn: &mut DbConnection,
    args: &[PathBuf],
    courses_dir: &Path,
    mode: publish::Mode,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> (Vec<Diagnostic>, Vec<Report>) {
    let (targets, dict_files, mut general) = expand(args);
    let mut dicts = Dictionaries::new();
    let mut reports = Vec::new();
    let mut loaded = Vec::new();
    let mut synced: Vec<PathBuf> = Vec::new();
    for path in &dict_files {
        let (_, diags, _) = dicts.get(path);
        general.extend(diags.iter().cloned());
    }
    let total = targets.len();
    for (i, t) in targets.iter().enumerate() {
        progress(i, total, &t.shown);
        let dict_path = dictionary_path(&t.dir, courses_dir);
        let (dict, dict_diags, first) = dicts.get(&dict_path);
        if first && !dict_files.contains(&dict_path) {
            general.extend(dict_diags.iter().cloned());
        }
        if !has_errors(dict_diags) && !synced.contains(&dict_path) {
            if let Err(e) = publish::sync_dictionary(conn, dict) {
                general.push(Diagnostic {
                    severity: super::Severity::Error,
                    path: dict_path.display().to_string(),
                    line: 0,
                    message: format!("could not store the competency dictionary: {e}"),
                    message_id: None,
                });
            }
            synced.push(dict_path.clone());
        }
        let l = folder::load(&t.dir, &t.shown, dict);
        match l.course {
            Some(course) => loaded.push((t.shown.clone(), course, l.diagnostics)),
            None => reports.push(Report {
                shown: t.shown.clone(),
                slug: None,
                hash: None,
                diagnostics: l.diagnostics,
                outcome: None,
            }),
        }
    }
    let unique = unique_slugs(loaded, &mut reports);
    let courses: Vec<_> = unique.iter().map(|(_, c, _)| c.clone()).collect();
    let ordered = publish::in_dependency_order(courses);
    for course in ordered {
        let (shown, _, diags) = unique
            .iter()
            .find(|(_, c, _)| c.slug == course.slug)
            .cloned()
            .expect("every ordered course came from the batch");
        let outcome = publish::publish_as(conn, &course, mode).map_err(|e| e.to_string());
        reports.push(Report {
            shown,
            slug: Some(course.slug.clone()),
            hash: Some(course.hash.clone()),
            diagnostics: diags,
            outcome: Some(outcome),
        });
    }
    progress(total, total, "");
    (general, reports)
}

/// A loaded course, as (folder as shown, course, diagnostics).
type LoadedCourse = (String, folder::CourseOut, Vec<Diagnostic>);

/// The loaded courses whose slug no earlier folder of the batch has; the others are reported.
fn unique_slugs(loaded: Vec<LoadedCourse>, reports: &mut Vec<Report>) -> Vec<LoadedCourse> {
    let mut seen = std::collections::HashSet::new();
    let mut unique = Vec::new();
    for (shown, course, diags) in loaded {
        if !seen.insert(course.slug.clone()) {
            reports.push(Report {
                shown,
                slug: Some(course.slug.clone()),
                hash: Some(course.hash.clone()),
                diagnostics: diags,
                outcome: Some(Err(format!(
                    "another folder in this batch is also named `{}`; rename one",
                    course.slug
                ))),
            });
            continue;
        }
        unique.push((shown, course, diags));
    }
    unique
}
