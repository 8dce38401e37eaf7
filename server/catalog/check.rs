//! `cakap courses check DIR…`: validate course folders like a compiler, without a database.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::diag::{has_errors, Diagnostic};
use super::dictionary::Dictionary;
use super::folder::{self, CourseOut};

/// A folder argument resolved to course folders, with the dictionary each is judged against.
pub struct Target {
    pub dir: PathBuf,
    pub shown: String,
}

/// Expand arguments: a course folder; a folder of course folders; `competencies.toml` itself.
/// Returns the targets and the diagnostics of arguments that are neither.
pub fn expand(args: &[PathBuf]) -> (Vec<Target>, Vec<PathBuf>, Vec<Diagnostic>) {
    let mut targets = Vec::new();
    let mut dictionaries = Vec::new();
    let mut diags = Vec::new();
    for arg in args {
        let shown = arg.display().to_string();
        if arg.is_file() && arg.file_name().is_some_and(|n| n == "competencies.toml") {
            dictionaries.push(arg.clone());
            continue;
        }
        if !arg.is_dir() {
            diags.push(Diagnostic {
                severity: super::Severity::Error,
                path: shown,
                line: 0,
                message: if arg.exists() {
                    "not a folder; give the path of a course folder (the one holding course.md)"
                        .into()
                } else {
                    "no such folder; check the path".into()
                },
                message_id: None,
            });
            continue;
        }
        let dirs = folder::course_dirs(arg);
        if dirs.is_empty() {
            // not a course and holds none: load it anyway so the author sees what is missing
            targets.push(Target {
                dir: arg.clone(),
                shown,
            });
            continue;
        }
        for dir in dirs {
            let shown = if dir == *arg {
                shown.clone()
            } else {
                format!(
                    "{}/{}",
                    shown.trim_end_matches('/'),
                    dir.file_name().unwrap_or_default().to_string_lossy()
                )
            };
            targets.push(Target { dir, shown });
        }
    }
    (targets, dictionaries, diags)
}

/// The dictionary for a course folder: `competencies.toml` next to it, else the configured one.
pub fn dictionary_path(course_dir: &Path, courses_dir: &Path) -> PathBuf {
    let parent = course_dir
        .canonicalize()
        .ok()
        .and_then(|d| d.parent().map(Path::to_path_buf));
    match parent.map(|p| p.join("competencies.toml")) {
        Some(p) if p.is_file() => p,
        _ => courses_dir.join("competencies.toml"),
    }
}

/// Load a dictionary once per path.
pub struct Dictionaries {
    loaded: Vec<(PathBuf, Dictionary, Vec<Diagnostic>)>,
}

impl Dictionaries {
    pub fn new() -> Self {
        Dictionaries { loaded: Vec::new() }
    }

    pub fn get(&mut self, path: &Path) -> (&Dictionary, &[Diagnostic], bool) {
        let pos = match self.loaded.iter().position(|(p, _, _)| p == path) {
            Some(i) => (i, false),
            None => {
                let (d, diags) = Dictionary::load(path, &path.display().to_string());
                self.loaded.push((path.to_path_buf(), d, diags));
                (self.loaded.len() - 1, true)
            }
        };
        let (_, d, diags) = &self.loaded[pos.0];
        (d, diags, pos.1)
    }
}

impl Default for Dictionaries {
    fn default() -> Self {
        Self::new()
    }
}

/// One line that sums a valid course up.
pub fn summary(c: &CourseOut) -> String {
    let lessons = c.modules.iter().filter(|m| m.quiz.is_none()).count();
    let quizzes = c.modules.len() - lessons;
    format!(
        "{}: OK — \"{}\", {} JP, {lessons} lesson(s), {quizzes} quiz(zes) with {} question(s), {} asset(s), version {}",
        c.slug,
        c.meta.title,
        c.meta.jp,
        c.question_count(),
        c.assets.len(),
        &c.hash[..12]
    )
}

/// Run the check; prints diagnostics to `err` and summaries to `out`. Returns whether all passed.
pub fn run(args: &[PathBuf], courses_dir: &Path, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let (targets, dict_files, arg_diags) = expand(args);
    let mut ok = arg_diags.is_empty();
    for d in &arg_diags {
        let _ = writeln!(err, "{d}");
    }
    let mut dicts = Dictionaries::new();
    for path in &dict_files {
        let (d, diags, _) = dicts.get(path);
        for diag in diags {
            let _ = writeln!(err, "{diag}");
        }
        if has_errors(diags) {
            ok = false;
        } else {
            let _ = writeln!(
                out,
                "{}: OK — {} competencies",
                path.display(),
                d.by_code.len()
            );
        }
    }
    let mut seen = std::collections::HashMap::new();
    for t in &targets {
        let dict_path = dictionary_path(&t.dir, courses_dir);
        let (dict, dict_diags, first) = dicts.get(&dict_path);
        if first && !dict_files.contains(&dict_path) {
            for diag in dict_diags {
                let _ = writeln!(err, "{diag}");
            }
            if has_errors(dict_diags) {
                ok = false;
            }
        }
        let loaded = folder::load(&t.dir, &t.shown, dict);
        for d in &loaded.diagnostics {
            let _ = writeln!(err, "{d}");
        }
        match loaded.course {
            Some(c) => {
                if let Some(other) = seen.insert(c.slug.clone(), t.shown.clone()) {
                    let _ = writeln!(err, "{}: the course slug `{}` is also used by {other}; rename one of the folders", t.shown, c.slug);
                    ok = false;
                } else {
                    let _ = writeln!(out, "{}", summary(&c));
                }
            }
            None => ok = false,
        }
    }
    if targets.is_empty() && dict_files.is_empty() && arg_diags.is_empty() {
        let _ = writeln!(
            err,
            "no course folders given; run `cakap courses check courses/*` or name a folder"
        );
        ok = false;
    }
    ok
}
