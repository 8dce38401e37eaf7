//! The course format contract (`course-format.md`), rule by rule, against the loader and the
//! `cakap courses check` command. No database: course folders are written to temp dirs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cakap::catalog::dictionary::Dictionary;
use cakap::catalog::folder::{self, AnswerKey, ModuleKind};
use cakap::catalog::quiz::{Numeric, QuestionKind};
use cakap::catalog::{check, Loaded, Severity};

/// The dictionary written next to every test course.
const DICT: &str = r#"[[competency]]
code = "M.PP"
name = "Pelayanan Publik"
kind = "manajerial"
description = "Melayani masyarakat."
levels = ["1", "2", "3", "4", "5"]

[[competency]]
code = "M.KOM"
name = "Komunikasi"
kind = "manajerial"

[[competency]]
code = "T.EGOV"
name = "E-Government"
kind = "teknis"
"#;

const COURSE: &str = "+++
title = \"Kursus Uji\"
summary = \"Kursus untuk menguji format.\"
jp = 2
+++

Deskripsi kursus.
";

const LESSON: &str = "+++
title = \"Pengantar\"
+++

Isi modul.
";

/// A temp folder holding `competencies.toml` and one course folder.
struct Course {
    root: tempfile::TempDir,
    dir: PathBuf,
    slug: String,
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A course folder named `slug` with these files (path relative to the course folder).
fn course_named(slug: &str, files: &[(&str, &str)]) -> Course {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "competencies.toml", DICT.as_bytes());
    let dir = root.path().join(slug);
    std::fs::create_dir_all(&dir).unwrap();
    for (rel, text) in files {
        write(&dir, rel, text.as_bytes());
    }
    Course {
        root,
        dir,
        slug: slug.to_string(),
    }
}

/// `kursus-uji` with a valid course.md and 01-pengantar.md, replaced or extended by `files`.
fn course(files: &[(&str, &str)]) -> Course {
    let mut all: Vec<(&str, &str)> = vec![("course.md", COURSE), ("01-pengantar.md", LESSON)];
    for (rel, text) in files {
        all.retain(|(r, _)| r != rel);
        all.push((rel, text));
    }
    course_named("kursus-uji", &all)
}

fn dictionary(root: &Path) -> Dictionary {
    let (dict, diags) = Dictionary::load(&root.join("competencies.toml"), "competencies.toml");
    assert!(diags.is_empty(), "{diags:#?}");
    dict
}

fn load(c: &Course) -> Loaded {
    folder::load(&c.dir, &c.slug, &dictionary(c.root.path()))
}

fn messages(l: &Loaded) -> Vec<String> {
    l.diagnostics.iter().map(|d| d.to_string()).collect()
}

fn load_ok(c: &Course) -> folder::CourseOut {
    let l = load(c);
    let errors: Vec<String> = l
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    l.course.expect("the course loads")
}

/// Load `c`, which must fail, and check that every `expected` starts one of the diagnostics
/// (after the course folder prefix `kursus-uji/`). Returns the diagnostics.
fn fails(c: &Course, expected: &[&str]) -> Vec<String> {
    let l = load(c);
    let got = messages(&l);
    assert!(l.course.is_none(), "the course should not load: {got:#?}");
    for want in expected {
        // a file's diagnostics start `slug/file`, the folder's own `slug: `
        let want = if want.starts_with(':') {
            format!("{}{want}", c.slug)
        } else {
            format!("{}/{want}", c.slug)
        };
        assert!(
            got.iter().any(|g| g.starts_with(&want)),
            "missing `{want}` in {got:#?}"
        );
    }
    got
}

/// A quiz module: front matter lines 1-4 (+ `extra` lines), then a blank line, then `body`.
/// With no `extra`, the body starts on line 6.
fn quiz(extra: &str, body: &str) -> String {
    format!("+++\ntitle = \"Kuis\"\nkind = \"quiz\"\n{extra}+++\n\n{body}")
}

fn cakap(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cakap"));
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAKAP_")) {
        cmd.env_remove(k);
    }
    cmd.output().expect("cakap runs")
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---- Layout ----------------------------------------------------------------------------------

#[test]
fn a_minimal_course_loads_with_the_documented_defaults() {
    let c = course_named(
        "kursus-minimal",
        &[
            ("course.md", COURSE),
            // ordered by the number, not the name; gaps are fine
            ("10-kuis-akhir.md", &quiz("", "## Q\n\n= 1\n")),
            (
                "2-bacaan.md",
                "+++\ntitle = \"Bacaan\"\nminutes = 15\n+++\n",
            ),
            (
                "03-lanjutan.md",
                "+++\ntitle = \"Lanjutan\"\nkind = \"lesson\"\nminutes = 5\n+++\n\nTeks.\n",
            ),
        ],
    );
    let out = load_ok(&c);
    assert_eq!(out.slug, "kursus-minimal");
    assert_eq!(out.meta.title, "Kursus Uji");
    assert_eq!(out.meta.summary, "Kursus untuk menguji format.");
    assert_eq!(out.meta.jp, 2);
    assert_eq!(out.meta.language, "id");
    assert_eq!(out.meta.pass_mark, 70);
    assert!(out.meta.certificate);
    assert_eq!(out.meta.certificate_valid_months, None);
    assert!(out.meta.tags.is_empty() && out.meta.prerequisites.is_empty());
    assert!(out.meta.authors.is_empty() && out.meta.competencies.is_empty());
    assert!(out.description_html.contains("Deskripsi kursus."));

    let order: Vec<(i32, &str, ModuleKind)> = out
        .modules
        .iter()
        .map(|m| (m.number, m.slug.as_str(), m.kind))
        .collect();
    assert_eq!(
        order,
        vec![
            (2, "2-bacaan", ModuleKind::Lesson),
            (3, "03-lanjutan", ModuleKind::Lesson),
            (10, "10-kuis-akhir", ModuleKind::Quiz),
        ]
    );
    assert_eq!(out.total_minutes(), 20);
    let quiz = out.modules[2].quiz.as_ref().unwrap();
    assert_eq!(quiz.pass_mark, 70, "defaults to the course's pass_mark");
    assert!(quiz.shuffle);
    assert_eq!(quiz.attempts, 0);
    assert_eq!(quiz.time_limit_minutes, None);
    assert_eq!(quiz.draw, None);
    assert_eq!(quiz.questions.len(), 1);
    assert!(out.modules[0].quiz.is_none());
}

#[test]
fn every_documented_key_is_read() {
    let c = course(&[
        (
            "course.md",
            r#"+++
title = "Pelayanan Publik Prima"
summary = "Standar pelayanan, maklumat, dan pengelolaan pengaduan."
jp = 6
language = "en"
tags = ["pelayanan", "teknis"]
prerequisites = ["literasi-digital-asn"]
pass_mark = 80
certificate = false
certificate_valid_months = 24
authors = ["Tim BPSDM"]

[[competencies]]
code = "M.PP"
level = 2

[[competencies]]
code = "T.EGOV"
level = 5
+++
"#,
        ),
        ("01-pengantar.md", "+++\ntitle = \"Pengantar\"\nminutes = 15\n+++\n"),
        ("02-kuis.md", &quiz("", "## Q\n\n= 1\n")),
        (
            "03-kuis-lain.md",
            &quiz(
                "pass_mark = 60\nattempts = 3\ntime_limit_minutes = 20\nshuffle = false\ndraw = 1\n",
                "## Q1\n\n= 1\n\n## Q2\n\n= 2\n",
            ),
        ),
    ]);
    let l = load(&c);
    // the prerequisite is not next to the course: a warning, and the course still loads
    let warnings: Vec<String> = messages(&l);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("kursus-uji/course.md:7: warning: prerequisite `literasi-digital-asn` is not a course folder next to this one"),
        "{warnings:#?}"
    );
    let out = l.course.expect("loads");
    let m = &out.meta;
    assert_eq!(m.title, "Pelayanan Publik Prima");
    assert_eq!(m.jp, 6);
    assert_eq!(m.language, "en");
    assert_eq!(m.tags, vec!["pelayanan", "teknis"]);
    assert_eq!(m.prerequisites, vec!["literasi-digital-asn"]);
    assert_eq!(m.pass_mark, 80);
    assert!(!m.certificate);
    assert_eq!(m.certificate_valid_months, Some(24));
    assert_eq!(m.authors, vec!["Tim BPSDM"]);
    assert_eq!(
        m.competencies,
        vec![("M.PP".to_string(), 2), ("T.EGOV".to_string(), 5)]
    );
    assert_eq!(out.modules[0].minutes, Some(15));
    let q1 = out.modules[1].quiz.as_ref().unwrap();
    assert_eq!(q1.pass_mark, 80, "defaults to the course's pass_mark");
    let q2 = out.modules[2].quiz.as_ref().unwrap();
    assert_eq!(
        (
            q2.pass_mark,
            q2.attempts,
            q2.time_limit_minutes,
            q2.shuffle,
            q2.draw
        ),
        (60, 3, Some(20), false, Some(1))
    );
}

#[test]
fn bom_and_crlf_files_load_like_lf_files() {
    let files: Vec<(&str, String)> = vec![
        ("course.md", COURSE.to_string()),
        (
            "01-pengantar.md",
            "+++\ntitle = \"Pengantar\"\nminutes = 5\n+++\n\n## Bagian\n\nLihat [kuis](02-kuis.md).\n\n```\nkode\n```\n".to_string(),
        ),
        (
            "02-kuis.md",
            quiz(
                "attempts = 2\n",
                "Petunjuk.\n\n## Q1\n\nTeks.\n\n- [x] A -- ya\n- [ ] B\n\n> Umpan\n> balik\n\n## Q2\n\n= 14 ± 0.5\n",
            ),
        ),
    ];
    let lf = course_named("kursus-uji", &[]);
    let crlf = course_named("kursus-uji", &[]);
    for (rel, text) in &files {
        write(&lf.dir, rel, text.as_bytes());
        let bytes = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        write(&crlf.dir, rel, bytes.as_bytes());
    }
    let a = load_ok(&lf);
    let b = load_ok(&crlf);
    assert_eq!(a.meta, b.meta);
    assert_eq!(a.description_html, b.description_html);
    assert_eq!(a.modules, b.modules);

    // and errors are reported at the same lines
    let broken = quiz("", "## Q\n\n- [ ] a\n- [ ] b\n\n## R\n\n= 1.2.3\n");
    write(&lf.dir, "03-rusak.md", broken.as_bytes());
    write(
        &crlf.dir,
        "03-rusak.md",
        format!("\u{feff}{}", broken.replace('\n', "\r\n")).as_bytes(),
    );
    let ea = messages(&load(&lf));
    assert_eq!(ea, messages(&load(&crlf)));
    assert_eq!(ea.len(), 2, "{ea:#?}");
    assert!(ea[0].starts_with("kursus-uji/03-rusak.md:6: the task list has no `[x]`"));
    assert!(ea[1].starts_with("kursus-uji/03-rusak.md:13: numeric answer `1.2.3` does not parse"));
}

#[test]
fn files_must_be_utf8() {
    let c = course(&[]);
    write(
        &c.dir,
        "01-pengantar.md",
        b"+++\ntitle = \"P\"\n+++\n\nKafe \xe9 Latin-1\n",
    );
    let got = fails(
        &c,
        &["01-pengantar.md:5: the file is not UTF-8 text; save it as UTF-8"],
    );
    assert_eq!(got.len(), 1, "{got:#?}");
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_ignored_with_a_warning() {
    let c = course(&[]);
    std::os::unix::fs::symlink(c.dir.join("01-pengantar.md"), c.dir.join("02-tautan.md")).unwrap();
    let l = load(&c);
    let got = messages(&l);
    assert!(l.course.is_some(), "{got:#?}");
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(
        got[0].starts_with(
            "kursus-uji: warning: kursus-uji/02-tautan.md is a symbolic link and is ignored"
        ),
        "{got:#?}"
    );
}

#[test]
fn links_to_modules_and_assets_are_rewritten() {
    let c = course(&[
        (
            "01-pengantar.md",
            "+++\ntitle = \"Pengantar\"\n+++\n\n[lihat](02-standar-pelayanan.md#biaya) [awal](course.md) [luar](https://example.org/)\n\n![alur](assets/alur-pengaduan.png)\n\n[unduh](./assets/formulir.pdf)\n",
        ),
        ("02-standar-pelayanan.md", LESSON),
        ("assets/alur-pengaduan.png", "png bytes"),
        ("assets/formulir.pdf", "pdf bytes"),
    ]);
    let out = load_ok(&c);
    let html = &out.modules[0].html;
    assert!(
        html.contains(r#"href="/courses/kursus-uji/02-standar-pelayanan#biaya""#),
        "{html}"
    );
    assert!(html.contains(r#"href="/courses/kursus-uji""#), "{html}");
    assert!(html.contains(r#"href="https://example.org/""#), "{html}");
    let png = out
        .assets
        .iter()
        .find(|a| a.path == "assets/alur-pengaduan.png")
        .unwrap();
    assert_eq!(png.content_type, "image/png");
    assert!(html.contains(&format!("src=\"{}\"", png.url())), "{html}");
    let c = course(&[
        (
            "01-pengantar.md",
            "+++\ntitle = \"P\"\n+++\n\n![a](assets/alur%20pengaduan.png) ![b](<assets/alur pengaduan.png>) [c](01-pengantar.md?x=1#atas)\n",
        ),
        ("assets/alur pengaduan.png", "png"),
    ]);
    let spaced = load_ok(&c);
    let url = spaced.assets[0].url();
    assert!(url.ends_with("/alur+pengaduan.png"), "{url}");
    assert_eq!(
        spaced.modules[0]
            .html
            .matches(&format!("src=\"{url}\""))
            .count(),
        2,
        "{}",
        spaced.modules[0].html
    );
    assert!(spaced.modules[0]
        .html
        .contains(r#"href="/courses/kursus-uji/01-pengantar#atas""#));

    let pdf = out
        .assets
        .iter()
        .find(|a| a.path == "assets/formulir.pdf")
        .unwrap();
    assert!(html.contains(&format!("href=\"{}\"", pdf.url())), "{html}");
}

#[test]
fn a_bad_course_folder_name_is_an_error() {
    for name in ["Kursus_Uji", "ku", "-kursus", "kursus.uji", &"a".repeat(65)] {
        let c = course_named(name, &[("course.md", COURSE), ("01-pengantar.md", LESSON)]);
        let l = load(&c);
        let got = messages(&l);
        assert!(l.course.is_none(), "{name}: {got:#?}");
        assert_eq!(got.len(), 1, "{name}: {got:#?}");
        assert!(
            got[0].starts_with(&format!(
                "{name}: the folder name `{name}` is not a valid course slug; rename it"
            )),
            "{got:#?}"
        );
    }
    // the limits themselves are fine
    for name in ["abc", &"a".repeat(64), "k-1"] {
        load_ok(&course_named(
            name,
            &[("course.md", COURSE), ("01-pengantar.md", LESSON)],
        ));
    }
}

#[test]
fn bad_module_file_names_are_errors() {
    for (file, says) in [
        (
            "pengantar.md",
            "`pengantar.md` is not a module file name; name modules NN-slug.md",
        ),
        (
            "01_pengantar.md",
            "`01_pengantar.md` is not a module file name",
        ),
        ("01-.md", "`01-.md` is not a module file name"),
        ("README.md", "`README.md` is not a module file name"),
        (
            "02-Pengantar.md",
            "`02-Pengantar` is not a valid module slug",
        ),
        (
            "02-pengantar lagi.md",
            "`02-pengantar lagi` is not a valid module slug",
        ),
    ] {
        let got = fails(&course(&[(file, LESSON)]), &[&format!("{file}: {says}")]);
        assert_eq!(got.len(), 1, "{got:#?}");
    }
}

#[test]
fn two_modules_with_the_same_number_are_an_error() {
    let got = fails(
        &course(&[("1-lagi.md", LESSON)]),
        &["1-lagi.md: two modules are numbered 1"],
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("01-pengantar.md"), "{got:#?}");
    fails(
        &course(&[("01-lain.md", LESSON)]),
        &["01-pengantar.md: two modules are numbered 1 (01-lain.md and 01-pengantar.md); give each module its own number"],
    );
}

#[test]
fn a_course_needs_course_md_and_modules() {
    let c = course_named("kursus-uji", &[("01-pengantar.md", LESSON)]);
    fails(&c, &[": no course.md; add one"]);
    let c = course_named("kursus-uji", &[("course.md", COURSE)]);
    fails(&c, &[": the course has no modules"]);
}

#[test]
fn links_to_missing_modules_and_assets_are_errors_at_their_line() {
    let c = course(&[
        (
            "course.md",
            &format!("{COURSE}\nLihat [modul](03-tidak-ada.md).\n"),
        ),
        (
            "01-pengantar.md",
            "+++\ntitle = \"Pengantar\"\n+++\n\n[standar](02-standr.md)\n\n![alur](assets/alur.png)\n\n[luar](../lain/course.md)\n",
        ),
        ("02-standar.md", LESSON),
        ("assets/alur-pengaduan.png", "png"),
    ]);
    let got = fails(
        &c,
        &[
            "01-pengantar.md:5: link to a missing module `02-standr.md`; did you mean `02-standar.md`?",
            "01-pengantar.md:7: link to a missing file `assets/alur.png`",
            "01-pengantar.md:9: link `../lain/course.md` points outside the course folder",
            "course.md:9: link to a missing module `03-tidak-ada.md`",
        ],
    );
    assert_eq!(got.len(), 4, "{got:#?}");
}

#[test]
fn a_missing_link_inside_a_question_is_reported_at_its_line() {
    let c = course(&[(
        "02-kuis.md",
        &quiz(
            "",
            // line 6
            "## Perhatikan gambar\nBerikut ![gambar](assets/hilang.png) alurnya.\n\n- [x] [Benar](01-pengantar.md) -- lihat [modul](09-hilang.md)\n- [ ] Salah\n\n> Baca lagi\n> [modul](08-hilang.md).\n\n## Soal dua [tautan](07-hilang.md)\n\n= 1\n",
        ),
    )]);
    let got = fails(
        &c,
        &[
            "02-kuis.md:7: link to a missing file `assets/hilang.png`",
            "02-kuis.md:9: link to a missing module `09-hilang.md`",
            "02-kuis.md:13: link to a missing module `08-hilang.md`",
            "02-kuis.md:15: link to a missing module `07-hilang.md`",
        ],
    );
    assert_eq!(got.len(), 4, "{got:#?}");
}

#[test]
fn non_asset_files_are_warned_about_and_ignored() {
    let c = course(&[("assets/catatan.exe", "x"), ("notes.toml", "a = 1")]);
    let l = load(&c);
    let got = messages(&l);
    assert!(l.course.is_some(), "{got:#?}");
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(
        got[0].starts_with("kursus-uji/assets/catatan.exe: warning: this file type is not served"),
        "{got:#?}"
    );
}

// ---- Front matter ----------------------------------------------------------------------------

#[test]
fn missing_required_course_keys_are_errors() {
    for (key, front) in [
        ("title", "summary = \"S\"\njp = 2\n"),
        ("summary", "title = \"T\"\njp = 2\n"),
        ("jp", "title = \"T\"\nsummary = \"S\"\n"),
    ] {
        let got = fails(
            &course(&[("course.md", &format!("+++\n{front}+++\n"))]),
            &[&format!(
                "course.md:1: `{key}` is required; add a line {key} = "
            )],
        );
        assert_eq!(got.len(), 1, "{got:#?}");
    }
    let got = fails(
        &course(&[("course.md", "+++\n+++\n")]),
        &[
            "course.md:1: `title` is required",
            "course.md:1: `summary` is required",
            "course.md:1: `jp` is required",
        ],
    );
    assert_eq!(got.len(), 3, "{got:#?}");
    // a module needs its title
    fails(
        &course(&[("01-pengantar.md", "+++\nminutes = 5\n+++\n")]),
        &["01-pengantar.md:1: `title` is required"],
    );
    fails(
        &course(&[("01-pengantar.md", "+++\ntitle = \"  \"\n+++\n")]),
        &["01-pengantar.md:2: `title` is empty"],
    );
}

#[test]
fn unknown_keys_are_errors_with_the_nearest_key() {
    fails(
        &course(&[(
            "course.md",
            "+++\ntitel = \"Kursus\"\nsummary = \"S\"\njp = 2\npas_mark = 70\n\n[[competencies]]\ncode = \"M.PP\"\nlevl = 2\n+++\n",
        )]),
        &[
            "course.md:1: `title` is required",
            "course.md:2: unknown key `titel`; did you mean `title`?",
            "course.md:5: unknown key `pas_mark`; did you mean `pass_mark`?",
            "course.md:7: `level` is required",
            "course.md:9: unknown key `levl`; did you mean `level`?",
        ],
    );
    fails(
        &course(&[(
            "01-pengantar.md",
            "+++\ntitle = \"P\"\nminute = 5\nwarna = \"biru\"\n+++\n",
        )]),
        &[
            "01-pengantar.md:3: unknown key `minute`; did you mean `minutes`?",
            "01-pengantar.md:4: unknown key `warna`; known keys here: title, minutes, kind",
        ],
    );
    fails(
        &course(&[("02-kuis.md", &quiz("atempts = 3\n", "## Q\n\n= 1\n"))]),
        &["02-kuis.md:4: unknown key `atempts`; did you mean `attempts`?"],
    );
    // a dotted key or a table of its own is found at its line
    fails(
        &course(&[(
            "course.md",
            &COURSE.replace(
                "jp = 2\n",
                "jp = 2\nquiz.attempts = 3\n\n[tambahan]\nx = 1\n",
            ),
        )]),
        &[
            "course.md:5: unknown key `quiz`",
            "course.md:7: unknown key `tambahan`",
        ],
    );
    // quiz settings in course.md
    fails(
        &course(&[("course.md", &COURSE.replace("jp = 2\n", "jp = 2\nattempts = 3\n"))]),
        &["course.md:5: unknown key `attempts`; `attempts` belongs in a quiz module's front matter, not in course.md"],
    );
}

#[test]
fn quiz_settings_on_a_lesson_are_errors() {
    for key in [
        "pass_mark = 70",
        "attempts = 3",
        "draw = 2",
        "shuffle = true",
    ] {
        let name = key.split(' ').next().unwrap();
        let got = fails(
            &course(&[(
                "01-pengantar.md",
                &format!("+++\ntitle = \"Pengantar\"\n{key}\n+++\n"),
            )]),
            &[&format!(
                "01-pengantar.md:3: unknown key `{name}`; `{name}` applies only to quizzes; add kind = \"quiz\""
            )],
        );
        assert_eq!(got.len(), 1, "{got:#?}");
    }
}

#[test]
fn wrong_types_and_values_are_errors_at_their_line() {
    fails(
        &course(&[(
            "course.md",
            "+++\ntitle = \"T\"\nsummary = \"\"\"\nDua\nbaris\"\"\"\njp = \"6\"\npass_mark = 101\ncertificate = \"ya\"\ntags = \"a\"\nlanguage = \"fr\"\ncertificate_valid_months = 0\n+++\n",
        )]),
        &[
            "course.md:3: `summary` must be one line",
            "course.md:6: `jp` must be a whole number, not string",
            "course.md:7: `pass_mark` is 101, outside 0 to 100",
            "course.md:8: `certificate` must be true or false",
            "course.md:9: `tags` must be a list of strings",
            "course.md:10: language `fr` is not supported",
            "course.md:11: `certificate_valid_months` is 0, outside 1 to 600",
        ],
    );
    fails(
        &course(&[(
            "02-kuis.md",
            &quiz(
                "pass_mark = -1\nattempts = \"3\"\nshuffle = 1\ndraw = 0\n",
                "## Q\n\n= 1\n",
            ),
        )]),
        &[
            "02-kuis.md:4: `pass_mark` is -1, outside 0 to 100",
            "02-kuis.md:5: `attempts` must be a whole number",
            "02-kuis.md:6: `shuffle` must be true or false",
            "02-kuis.md:7: `draw` is 0, outside 1 to 1000",
        ],
    );
    fails(
        &course(&[("02-kuis.md", "+++\ntitle = \"K\"\nkind = \"kuis\"\n+++\n")]),
        &["02-kuis.md:3: kind `kuis` is not known; use \"lesson\" (the default) or \"quiz\""],
    );
}

#[test]
fn prerequisites_are_slugs_of_other_courses() {
    let c = course(&[(
        "course.md",
        &COURSE.replace(
            "jp = 2\n",
            "jp = 2\nprerequisites = [\"Bukan Slug\", \"kursus-uji\"]\n",
        ),
    )]);
    fails(
        &c,
        &[
            "course.md:5: prerequisite `Bukan Slug` is not a course slug",
            "course.md:5: a course cannot be its own prerequisite",
        ],
    );
    // a prerequisite next to the course is found: no warning
    let c = course(&[(
        "course.md",
        &COURSE.replace("jp = 2\n", "jp = 2\nprerequisites = [\"kursus-dasar\"]\n"),
    )]);
    write(c.root.path(), "kursus-dasar/course.md", COURSE.as_bytes());
    let l = load(&c);
    assert!(l.diagnostics.is_empty(), "{:#?}", messages(&l));
    assert_eq!(l.course.unwrap().meta.prerequisites, vec!["kursus-dasar"]);
}

#[test]
fn front_matter_must_open_close_and_parse() {
    // missing
    let got = fails(
        &course(&[("01-pengantar.md", "# Pengantar\n\ntitle = \"x\"\n")]),
        &["01-pengantar.md:1: the file must start with front matter: a line `+++`"],
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    fails(
        &course(&[("course.md", "\n+++\ntitle = \"T\"\n+++\n")]),
        &["course.md:1: the file must start with front matter"],
    );
    // YAML front matter is not this format
    fails(
        &course(&[("01-pengantar.md", "---\ntitle: Pengantar\n---\n")]),
        &["01-pengantar.md:1: the file must start with front matter"],
    );
    // unclosed
    let got = fails(
        &course(&[(
            "course.md",
            "+++\ntitle = \"T\"\nsummary = \"S\"\njp = 2\n\nTeks.\n",
        )]),
        &["course.md:1: the front matter opened with `+++` is never closed; add a line `+++`"],
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    // invalid TOML, at the line of the mistake
    fails(
        &course(&[(
            "course.md",
            "+++\ntitle = \"T\"\nsummary = \"S\njp = 2\n+++\n",
        )]),
        &["course.md:3: front matter is not valid TOML:"],
    );
    fails(
        &course(&[(
            "01-pengantar.md",
            "+++\ntitle = \"P\"\nminutes = 5\ntags = [\"a\" \"b\"]\n+++\n",
        )]),
        &["01-pengantar.md:4: front matter is not valid TOML:"],
    );
    fails(
        &course(&[(
            "01-pengantar.md",
            "+++\ntitle = \"P\"\ntitle = \"Q\"\n+++\n",
        )]),
        &["01-pengantar.md:3: front matter is not valid TOML:"],
    );
}

#[test]
fn competencies_must_be_in_the_dictionary_with_a_level_from_1_to_5() {
    let with = |entries: &str| {
        course(&[(
            "course.md",
            &format!("+++\ntitle = \"T\"\nsummary = \"S\"\njp = 2\n{entries}+++\n"),
        )])
    };
    // line 5 is the first [[competencies]]
    fails(
        &with("[[competencies]]\ncode = \"M.KM\"\nlevel = 2\n"),
        &["course.md:6: unknown competency `M.KM`; did you mean `M.KOM`?"],
    );
    fails(
        &with("[[competencies]]\ncode = \"X.TIDAK.ADA.SAMA.SEKALI\"\nlevel = 2\n"),
        &["course.md:6: unknown competency `X.TIDAK.ADA.SAMA.SEKALI`; add it to competencies.toml"],
    );
    for level in ["0", "6", "-1"] {
        fails(
            &with(&format!(
                "[[competencies]]\ncode = \"M.PP\"\nlevel = 2\n\n[[competencies]]\ncode = \"M.KOM\"\nlevel = {level}\n"
            )),
            &[&format!("course.md:11: `level` is {level}, outside 1 to 5")],
        );
    }
    fails(
        &with("[[competencies]]\ncode = \"M.PP\"\nlevel = \"2\"\n"),
        &["course.md:7: `level` must be a whole number"],
    );
    fails(
        &with("[[competencies]]\ncode = \"M.PP\"\n"),
        &["course.md:5: `level` is required"],
    );
    fails(
        &with("[[competencies]]\ncode = \"M.PP\"\nlevel = 1\n[[competencies]]\ncode = \"M.PP\"\nlevel = 3\n"),
        &["course.md:9: competency `M.PP` is listed twice"],
    );
    for level in 1..=5 {
        let out = load_ok(&with(&format!(
            "[[competencies]]\ncode = \"T.EGOV\"\nlevel = {level}\n"
        )));
        assert_eq!(out.meta.competencies, vec![("T.EGOV".to_string(), level)]);
    }
}

#[test]
fn check_uses_the_dictionary_next_to_the_course_else_the_configured_one() {
    // next to the course: `M.KOM` is known there
    let c = course(&[(
        "course.md",
        &COURSE.replace(
            "jp = 2\n",
            "jp = 2\n[[competencies]]\ncode = \"M.KOM\"\nlevel = 1\n",
        ),
    )]);
    let elsewhere = tempfile::tempdir().unwrap();
    write(
        elsewhere.path(),
        "competencies.toml",
        b"[[competency]]\ncode = \"Z.LAIN\"\nname = \"Lain\"\nkind = \"teknis\"\n",
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let ok = check::run(
        std::slice::from_ref(&c.dir),
        elsewhere.path(),
        &mut out,
        &mut err,
    );
    assert!(ok, "{}", String::from_utf8_lossy(&err));
    // with no dictionary next to it, the configured one judges (and lacks `M.KOM`)
    std::fs::remove_file(c.root.path().join("competencies.toml")).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let ok = check::run(
        std::slice::from_ref(&c.dir),
        elsewhere.path(),
        &mut out,
        &mut err,
    );
    let err = String::from_utf8_lossy(&err);
    assert!(!ok);
    assert!(err.contains("unknown competency `M.KOM`"), "{err}");

    // a broken dictionary is reported, and fails the check
    write(
        c.root.path(),
        "competencies.toml",
        b"[[competency]]\ncode = \"M.KOM\"\nname = \"Komunikasi\"\nkind = \"manager\"\n",
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let ok = check::run(
        std::slice::from_ref(&c.dir),
        elsewhere.path(),
        &mut out,
        &mut err,
    );
    let err = String::from_utf8_lossy(&err);
    assert!(!ok);
    assert!(
        err.contains("competencies.toml:4: unknown kind `manager`"),
        "{err}"
    );
}

// ---- Questions -------------------------------------------------------------------------------

#[test]
fn every_question_type_loads_with_its_answer_key() {
    let body = "Petunjuk kuis.

## Apa tujuan utama standar pelayanan?

- [ ] Menambah tahapan birokrasi
- [x] Memberi kepastian kepada masyarakat
- [ ] Membatasi jumlah pemohon -- Bukan; standar pelayanan justru membuka akses.

> Standar pelayanan adalah tolok ukur dan janji layanan kepada masyarakat.

## Pilih semua komponen standar pelayanan yang wajib dipublikasikan.

- [x] Persyaratan
- [x] Jangka waktu penyelesaian
- [x] Biaya/tarif
- [ ] Nama pribadi petugas loket

## Maklumat pelayanan wajib dipublikasikan kepada masyarakat.

- [x] Benar
- [ ] Salah

## The statement is false.

- [ ] True
- [x] False

## Kepanjangan dari ASN adalah ...

= Aparatur Sipil Negara | ASN

## Berapa JP hak pengembangan kompetensi minimal setiap ASN per tahun?

= 20

## Kira-kira berapa?

= 14 ± 0.5

## Antara berapa?

= 10..20
";
    let out = load_ok(&course(&[("02-kuis.md", &quiz("", body))]));
    let quiz = out.modules[1].quiz.as_ref().unwrap();
    assert!(out.modules[1].html.contains("Petunjuk kuis."));
    let kinds: Vec<QuestionKind> = quiz.questions.iter().map(|q| q.kind).collect();
    assert_eq!(
        kinds,
        vec![
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::TrueFalse,
            QuestionKind::TrueFalse,
            QuestionKind::ShortAnswer,
            QuestionKind::Numeric,
            QuestionKind::Numeric,
            QuestionKind::Numeric,
        ]
    );
    let q = &quiz.questions;
    assert_eq!(q[0].key, AnswerKey::Choices { correct: vec![1] });
    assert_eq!(q[0].options.len(), 3);
    assert_eq!(q[0].option_feedback[0], None);
    assert!(q[0].option_feedback[2]
        .as_deref()
        .unwrap()
        .contains("standar pelayanan justru membuka akses"));
    assert!(q[0]
        .feedback_html
        .as_deref()
        .unwrap()
        .contains("tolok ukur"));
    assert!(q[0]
        .prompt_html
        .contains("Apa tujuan utama standar pelayanan?"));
    assert_eq!(
        q[1].key,
        AnswerKey::Choices {
            correct: vec![0, 1, 2]
        }
    );
    assert_eq!(q[2].key, AnswerKey::Choices { correct: vec![0] });
    assert_eq!(q[3].key, AnswerKey::Choices { correct: vec![1] });
    assert_eq!(
        q[4].key,
        AnswerKey::Short {
            accepted: vec!["Aparatur Sipil Negara".into(), "ASN".into()]
        }
    );
    assert!(q[4].options.is_empty());
    assert_eq!(
        q[5].key,
        AnswerKey::Numeric {
            answer: Numeric::Exact {
                value: 20.0,
                tolerance: 0.0
            }
        }
    );
    assert_eq!(
        q[6].key,
        AnswerKey::Numeric {
            answer: Numeric::Exact {
                value: 14.0,
                tolerance: 0.5
            }
        }
    );
    assert_eq!(
        q[7].key,
        AnswerKey::Numeric {
            answer: Numeric::Range {
                min: 10.0,
                max: 20.0
            }
        }
    );
}

#[test]
fn question_errors_name_the_file_and_line() {
    // the body starts on line 6
    let cases: &[(&str, &str)] = &[
        (
            "## Soal tanpa jawaban\n\nHanya teks.\n",
            "02-kuis.md:6: question has no answers",
        ),
        (
            "## Q\n\n- [ ] a\n- [ ] b\n",
            "02-kuis.md:6: the task list has no `[x]`",
        ),
        (
            "## Q\n\n- [x] a\n- [ ] b\n= 20\n",
            "02-kuis.md:10: two answer parts in one question",
        ),
        (
            "##\n\n= 20\n",
            "02-kuis.md:6: the question has an empty prompt",
        ),
        (
            "## Q\n\n= 14 ± x\n",
            "02-kuis.md:8: numeric answer `14 ± x` does not parse",
        ),
        (
            "## Q\n\n= 10..x\n",
            "02-kuis.md:8: numeric answer `10..x` does not parse",
        ),
        (
            "## Q\n\n= 1.2.3\n",
            "02-kuis.md:8: numeric answer `1.2.3` does not parse",
        ),
        (
            "## Q\n\n= 20..10\n",
            "02-kuis.md:8: the range `20..10` starts above its end",
        ),
        (
            "## Q\n\n= 1\n\nLupa.\n",
            "02-kuis.md:10: text after the answers",
        ),
        (
            "## Q\n\n= 1\n\n> f\n- [x] a\n",
            "02-kuis.md:11: answers after the feedback",
        ),
        (
            "Petunjuk saja, tanpa soal.\n",
            "02-kuis.md:5: the quiz has no questions",
        ),
    ];
    for (body, want) in cases {
        let got = fails(&course(&[("02-kuis.md", &quiz("", body))]), &[want]);
        assert_eq!(got.len(), 1, "{body:?}: {got:#?}");
    }
}

#[test]
fn draw_larger_than_the_pool_is_an_error_at_the_draw_line() {
    let pool = "## A\n\n= 1\n\n## B\n\n= 2\n\n## C\n\n= 3\n";
    let got = fails(
        &course(&[("02-kuis.md", &quiz("attempts = 3\ndraw = 4\n", pool))]),
        &["02-kuis.md:5: draw = 4 but the quiz has only 3 questions; lower `draw` or add questions"],
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    let out = load_ok(&course(&[("02-kuis.md", &quiz("draw = 3\n", pool))]));
    assert_eq!(out.modules[1].quiz.as_ref().unwrap().draw, Some(3));
    // a broken question still counts towards the pool: only its own error is reported
    let got = fails(
        &course(&[(
            "02-kuis.md",
            &quiz("draw = 3\n", &pool.replace("= 3", "= 3..x")),
        )]),
        &["02-kuis.md:17: numeric answer `3..x` does not parse"],
    );
    assert_eq!(got.len(), 1, "{got:#?}");
}

#[test]
fn review_is_read_and_an_unknown_value_names_the_file_the_value_and_the_choices() {
    use cakap::catalog::quiz::Review;
    let pool = "## A\n\n= 1\n";
    let out = load_ok(&course(&[("02-kuis.md", &quiz("", pool))]));
    assert_eq!(
        out.modules[1].quiz.as_ref().unwrap().review,
        Review::AfterPass
    );
    for (text, want) in [
        ("after_pass", Review::AfterPass),
        ("after_last_attempt", Review::AfterLastAttempt),
        ("always", Review::Always),
        ("never", Review::Never),
    ] {
        let extra = format!("review = \"{text}\"\n");
        let out = load_ok(&course(&[("02-kuis.md", &quiz(&extra, pool))]));
        assert_eq!(out.modules[1].quiz.as_ref().unwrap().review, want);
    }
    let got = fails(
        &course(&[("02-kuis.md", &quiz("review = \"setelah_lulus\"\n", pool))]),
        &["02-kuis.md:4: review `setelah_lulus` is not known; use one of \"after_pass\", \"after_last_attempt\", \"always\", \"never\""],
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    // a quiz setting: not on a lesson
    fails(
        &course(&[(
            "02-bacaan.md",
            "+++\ntitle = \"B\"\nreview = \"never\"\n+++\n",
        )]),
        &["02-bacaan.md:3: unknown key `review`; `review` applies only to quizzes"],
    );
}

#[test]
fn all_errors_of_a_folder_are_reported_at_once() {
    let c = course(&[
        // jp missing
        ("course.md", "+++\ntitle = \"T\"\nsummary = \"S\"\n+++\n"),
        // a missing asset
        (
            "01-pengantar.md",
            "+++\ntitle = \"P\"\n+++\n\n![x](assets/tidak-ada.png)\n",
        ),
        // a lesson with a quiz key
        ("02-bacaan.md", "+++\ntitle = \"B\"\ndraw = 2\n+++\n"),
        // two broken questions
        (
            "03-kuis.md",
            &quiz("", "## A\n\n- [ ] a\n- [ ] b\n\n## B\n\n= 1.2.3\n"),
        ),
        // a bad file name, and a file with no front matter
        ("catatan.md", "# catatan\n"),
        ("04-tanpa.md", "# tanpa front matter\n"),
    ]);
    let got = fails(
        &c,
        &[
            "01-pengantar.md:5: link to a missing file",
            "02-bacaan.md:3: unknown key `draw`",
            "03-kuis.md:6: the task list has no `[x]`",
            "03-kuis.md:13: numeric answer `1.2.3` does not parse",
            "04-tanpa.md:1: the file must start with front matter",
            "catatan.md: `catatan.md` is not a module file name",
            "course.md:1: `jp` is required",
        ],
    );
    assert_eq!(got.len(), 7, "{got:#?}");
}

// ---- Sanitizing ------------------------------------------------------------------------------

#[test]
fn scripts_handlers_and_javascript_urls_never_reach_the_html() {
    // starts with text, so that the line is a paragraph (a line starting `<script>` would be a
    // raw HTML block, where `[b](javascript:…)` is inert text, not a link)
    const EVIL: &str = "Teks <script>alert('x')</script> <a href=\"javascript:alert(1)\" onclick=\"steal()\">a</a> [b](javascript:alert(2)) <img src=\"x.png\" onerror=\"alert(3)\" onclick=\"alert(4)\"> <span onclick=\"alert(5)\">c</span>";
    let lesson = format!(
        "+++\ntitle = \"Pengantar\"\n+++\n\n{EVIL}\n\n<div onclick=\"alert(6)\">\n\nblok\n\n</div>\n\n<script>\nalert(7)\n</script>\n\n<iframe src=\"javascript:alert(8)\"></iframe>\n"
    );
    let body = format!(
        "{EVIL}\n\n## Soal {EVIL}\n\n{EVIL}\n\n- [x] Pilihan {EVIL} -- Umpan {EVIL}\n- [ ] Lain\n\n> Umpan balik {EVIL}\n> <script>alert(9)</script>\n\n## Dua\n\n= 1\n\n> [tautan](JaVaScRiPt:alert(10))\n"
    );
    let c = course(&[
        ("course.md", &format!("{COURSE}\n{EVIL}\n")),
        ("01-pengantar.md", &lesson),
        ("02-kuis.md", &quiz("", &body)),
    ]);
    let out = load_ok(&c);
    let mut pieces = vec![out.description_html.clone()];
    for m in &out.modules {
        pieces.push(m.html.clone());
        for q in m.quiz.iter().flat_map(|q| &q.questions) {
            pieces.push(q.prompt_html.clone());
            pieces.extend(q.options.iter().cloned());
            pieces.extend(q.option_feedback.iter().flatten().cloned());
            pieces.extend(q.feedback_html.iter().cloned());
        }
    }
    assert_eq!(pieces.len(), 10);
    for html in &pieces {
        let lower = html.to_lowercase();
        for bad in [
            "<script",
            "onclick",
            "onerror",
            "javascript:",
            "<iframe",
            "alert(",
        ] {
            assert!(!lower.contains(bad), "`{bad}` survived in {html}");
        }
    }
    // what is safe survives
    let quiz = out.modules[1].quiz.as_ref().unwrap();
    assert!(quiz.questions[0].options[0].contains("Pilihan"));
    assert!(quiz.questions[0].prompt_html.contains("Soal"));
    // the markdown link was parsed as a link (and lost its `javascript:` target)
    assert!(
        out.description_html.contains(">b</a>"),
        "{}",
        out.description_html
    );
    assert!(out.modules[0].html.contains("blok"));
}

// ---- Versions --------------------------------------------------------------------------------

#[test]
fn the_version_is_the_hash_of_the_files() {
    let files = [
        ("course.md", COURSE),
        ("01-pengantar.md", LESSON),
        ("assets/gambar.png", "png bytes"),
    ];
    let a = load_ok(&course_named("kursus-uji", &files));
    let b = load_ok(&course_named("kursus-uji", &files));
    assert_eq!(a.hash, b.hash, "the same files give the same version");
    assert_eq!(a.hash.len(), 64);

    let c = course_named("kursus-uji", &files);
    write(
        &c.dir,
        "01-pengantar.md",
        LESSON.replace("Isi", "Isi baru").as_bytes(),
    );
    assert_ne!(load_ok(&c).hash, a.hash, "a changed module");
    let c = course_named("kursus-uji", &files);
    write(&c.dir, "assets/gambar.png", b"other bytes");
    assert_ne!(load_ok(&c).hash, a.hash, "a changed asset");
    let c = course_named("kursus-uji", &files);
    write(&c.dir, "02-baru.md", LESSON.as_bytes());
    assert_ne!(load_ok(&c).hash, a.hash, "an added module");
}

// ---- The shipped courses and the `courses check` command ---------------------------------------

fn shipped_courses() -> Vec<PathBuf> {
    let dirs = folder::course_dirs(&manifest_dir().join("courses"));
    assert!(dirs.len() >= 4, "{dirs:?}");
    dirs
}

#[test]
fn the_shipped_courses_pass_courses_check() {
    let mut args: Vec<String> = vec!["courses".into(), "check".into()];
    for dir in shipped_courses() {
        args.push(format!(
            "courses/{}",
            dir.file_name().unwrap().to_string_lossy()
        ));
    }
    args.push("courses/competencies.toml".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cakap(manifest_dir(), &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    for dir in shipped_courses() {
        let slug = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(stdout.contains(&format!("{slug}: OK")), "{stdout}");
    }
    assert!(stdout.contains("courses/competencies.toml: OK"), "{stdout}");
}

#[test]
fn the_shipped_quizzes_use_every_question_type() {
    let (dict, diags) = Dictionary::load(
        &manifest_dir().join("courses/competencies.toml"),
        "courses/competencies.toml",
    );
    assert!(diags.is_empty(), "{diags:#?}");
    let mut kinds = BTreeSet::new();
    let mut tolerance = false;
    let mut range = false;
    for dir in shipped_courses() {
        let l = folder::load(&dir, &dir.display().to_string(), &dict);
        let course = l.course.unwrap_or_else(|| panic!("{:#?}", l.diagnostics));
        for q in course
            .modules
            .iter()
            .filter_map(|m| m.quiz.as_ref())
            .flat_map(|q| &q.questions)
        {
            kinds.insert(q.kind.code());
            match q.key {
                AnswerKey::Numeric {
                    answer: Numeric::Exact { tolerance: t, .. },
                } if t > 0.0 => tolerance = true,
                AnswerKey::Numeric {
                    answer: Numeric::Range { .. },
                } => range = true,
                _ => {}
            }
        }
    }
    let all: BTreeSet<&str> = [
        QuestionKind::Single,
        QuestionKind::Multiple,
        QuestionKind::TrueFalse,
        QuestionKind::ShortAnswer,
        QuestionKind::Numeric,
    ]
    .iter()
    .map(|k| k.code())
    .collect();
    assert_eq!(kinds, all);
    assert!(tolerance && range, "numeric with a tolerance and a range");
}

#[test]
fn courses_check_on_a_temp_course_prints_ok_and_exits_0() {
    let c = course(&[("02-kuis.md", &quiz("", "## Q\n\n= 1\n"))]);
    let out = cakap(c.root.path(), &["courses", "check", "kursus-uji"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(
            "kursus-uji: OK — \"Kursus Uji\", 2 JP, 1 lesson(s), 1 quiz(zes) with 1 question(s)"
        ),
        "{stdout}"
    );
    // a folder of courses expands to the courses in it
    let out = cakap(c.root.path(), &["courses", "check", "."]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("kursus-uji: OK"));
    // a path that is not there
    let out = cakap(c.root.path(), &["courses", "check", "tidak-ada"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("tidak-ada: no such folder"));
}

/// The broken example course that a reviewer runs by hand:
/// `cargo run -- courses check tests/fixtures/kursus-rusak`.
#[test]
fn the_broken_fixture_reports_every_error_with_file_and_line() {
    let out = cakap(
        manifest_dir(),
        &["courses", "check", "tests/fixtures/kursus-rusak"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let got: Vec<(&str, &str)> = stderr
        .lines()
        .map(|l| {
            // `path:line: message`
            let (place, message) = l.split_once(": ").unwrap_or((l, ""));
            (place, message)
        })
        .collect();
    let p = "tests/fixtures/kursus-rusak";
    let want: Vec<(String, &str)> = vec![
        (
            format!("{p}/01-pengantar.md:4"),
            "unknown key `pass_mark`; `pass_mark` applies only to quizzes",
        ),
        (
            format!("{p}/01-pengantar.md:11"),
            "link to a missing file `assets/alur-pengaduan.png`",
        ),
        (
            format!("{p}/02-tanpa-front-matter.md:1"),
            "the file must start with front matter",
        ),
        (
            format!("{p}/03-toml-rusak.md:2"),
            "front matter is not valid TOML",
        ),
        (
            format!("{p}/04-belum-ditutup.md:1"),
            "the front matter opened with `+++` is never closed",
        ),
        (
            format!("{p}/05-kuis-akhir.md:5"),
            "draw = 12 but the quiz has only 8 questions",
        ),
        (
            format!("{p}/05-kuis-akhir.md:17"),
            "question has no answers",
        ),
        (
            format!("{p}/05-kuis-akhir.md:21"),
            "the task list has no `[x]`",
        ),
        (
            format!("{p}/05-kuis-akhir.md:31"),
            "two answer parts in one question",
        ),
        (
            format!("{p}/05-kuis-akhir.md:33"),
            "the question has an empty prompt",
        ),
        (
            format!("{p}/05-kuis-akhir.md:40"),
            "numeric answer `14 ± setengah` does not parse",
        ),
        (
            format!("{p}/05-kuis-akhir.md:44"),
            "the range `20..10` starts above its end",
        ),
        (format!("{p}/course.md:1"), "`title` is required"),
        (format!("{p}/course.md:1"), "`jp` is required"),
        (
            format!("{p}/course.md:2"),
            "unknown key `titel`; did you mean `title`?",
        ),
        (
            format!("{p}/course.md:7"),
            "unknown competency `M.XX`; did you mean `M.PP`?",
        ),
        (format!("{p}/course.md:12"), "`level` is 7, outside 1 to 5"),
        (
            format!("{p}/course.md:18"),
            "link to a missing module `09-tidak-ada.md`",
        ),
    ];
    let places: Vec<&str> = got.iter().map(|(p, _)| *p).collect();
    let want_places: Vec<&str> = want.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(places, want_places, "stderr:\n{stderr}");
    for ((_, message), (place, starts)) in got.iter().zip(&want) {
        assert!(message.starts_with(starts), "{place}: {message}");
        assert!(message.contains("; "), "{place}: no advice in {message}");
    }
}
