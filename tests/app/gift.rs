//! Moodle GIFT → quiz module (`cakap courses import-gift`): real GIFT files converted, written
//! into a course folder and judged by the same code as `cakap courses check`.

// Moodle's examples ask for pi to three decimals: 3.1415 and 3.141 are the data, not a constant.
#![allow(clippy::approx_constant)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cakap::catalog::check;
use cakap::catalog::dictionary::Dictionary;
use cakap::catalog::folder::{self, AnswerKey, QuizOut};
use cakap::catalog::gift::{self, Conversion};
use cakap::catalog::quiz::{Numeric as Num, QuestionKind};

const COURSE: &str = "+++
title = \"Literasi SPBE\"
summary = \"Pelayanan publik dan SPBE untuk ASN.\"
jp = 2
+++

Deskripsi kursus.
";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gift")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    String::from_utf8(bytes).unwrap()
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gift")
        .join(name)
}

/// A temp folder holding `competencies.toml` and the course folder `literasi-spbe`.
fn course() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/competencies.toml"),
        root.path().join("competencies.toml"),
    )
    .unwrap();
    let dir = root.path().join("literasi-spbe");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("course.md"), COURSE).unwrap();
    (root, dir)
}

/// Write the converted module into a course folder and run the course check on it: it must pass
/// with no diagnostics at all; returns the loaded quiz.
fn check_module(c: &Conversion) -> QuizOut {
    let (root, dir) = course();
    std::fs::write(dir.join("01-kuis-impor.md"), &c.markdown).unwrap();

    // exactly what `cakap courses check DIR` runs
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let ok = check::run(std::slice::from_ref(&dir), root.path(), &mut out, &mut err);
    let err = String::from_utf8(err).unwrap();
    assert!(ok, "the course check failed:\n{err}\n{}", c.markdown);
    assert!(err.is_empty(), "diagnostics:\n{err}\n{}", c.markdown);

    let (dict, _) = Dictionary::load(&root.path().join("competencies.toml"), "competencies.toml");
    let loaded = folder::load(&dir, "literasi-spbe", &dict);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let course = loaded.course.expect("the course loads");
    assert_eq!(course.modules.len(), 1);
    assert_eq!(course.modules[0].title, c.title);
    course.modules[0].quiz.clone().expect("a quiz module")
}

fn kinds(q: &QuizOut) -> Vec<QuestionKind> {
    q.questions.iter().map(|q| q.kind).collect()
}

fn lines(notes: &[gift::Note]) -> Vec<usize> {
    notes.iter().map(|n| n.line).collect()
}

fn refused_at(c: &Conversion, line: usize) -> &str {
    &c.refused
        .iter()
        .find(|n| n.line == line)
        .unwrap_or_else(|| panic!("nothing refused at line {line}: {:#?}", c.refused))
        .message
}

fn warned_at(c: &Conversion, line: usize) -> Vec<&str> {
    c.warnings
        .iter()
        .filter(|n| n.line == line)
        .map(|n| n.message.as_str())
        .collect()
}

#[test]
fn moodle_documentation_examples_convert_and_pass_the_check() {
    use QuestionKind::*;
    let c = gift::convert(&fixture("moodle-docs.gift"), None, "moodle docs");
    assert_eq!(c.title, "moodle docs");
    let quiz = check_module(&c);
    assert_eq!(quiz.questions.len(), c.converted);
    assert_eq!(
        kinds(&quiz),
        vec![
            Single,      // Grant's tomb
            Single,      // Grant is ____ in Grant's tomb
            Single,      // Thanksgiving
            Single,      // Japanese characters
            ShortAnswer, // no one | nobody
            ShortAnswer, // four | 4
            TrueFalse,
            TrueFalse,
            Numeric,     // 1822
            Numeric,     // pi ± 0.0005
            Numeric,     // pi range
            Numeric,     // 1822, partial 50% dropped
            Numeric,     // 2 plus 2
            ShortAnswer, // Kanji origins {=China}
            Single,      // Thanksgiving date
            Single,      // feedback example
            ShortAnswer, // feedback on short answers
            ShortAnswer, // [markdown]
            TrueFalse,   // FALSE#feedback
            Single,      // half credit
            Single,      // Jesus' hometown (multiple choice)
            ShortAnswer, // Jesus' hometown (short answer)
            Multiple,    // two people in Grant's tomb
            Single,      // special characters
            Single,      // control characters
            Single,      // general feedback
            TrueFalse,   // Q1
            Single,      // Q2
            ShortAnswer, // Q3
            Numeric,     // Q5
            Numeric,     // Q6
            Numeric,     // Q7
        ]
    );
    // matching, essay, description, Q4 (matching), Q8 (essay): refused with their lines
    assert_eq!(lines(&c.refused), vec![36, 133, 136, 150, 165]);
    assert!(refused_at(&c, 36).contains("matching"));
    assert!(refused_at(&c, 133).contains("essay"));
    assert!(refused_at(&c, 136).contains("description"));
    assert!(refused_at(&c, 150).contains("matching"));
    assert!(refused_at(&c, 165).contains("essay"));

    let md = &c.markdown;
    // missing word, multi-line question, names, escapes, feedback
    assert!(md.contains("## Grant is ____ in Grant's tomb.\n"), "{md}");
    assert!(md.contains("## The American holiday of Thanksgiving is celebrated on the ____ Thursday of November.\n"), "{md}");
    assert!(md.contains("## Japanese characters originally\n\n<!-- GIFT ::Kanji Origins:: -->\n\ncame from what country?\n\n= China\n"), "{md}");
    assert!(md.contains("- [ ] wrong answer -- feedback comment on the wrong answer\n"));
    assert!(md.contains("- [x] right answer -- Very good!\n"));
    assert!(
        md.contains("## Who's buried in **Grant's tomb**?\n"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] Benar -- No one is buried in Grant's tomb.\n- [x] Salah\n"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] \\= 2 + 2\n- [x] \\= 2 + 3\n- [ ] \\= 2 + 4\n"),
        "{md}"
    );
    assert!(md.contains("- [x] \\\\ -- Correct! \\\\ (backslash) is not a control character. BUT, it is used to escape the control characters.\n"), "{md}");
    assert!(
        md.contains("- [ ] \\~ -- \\~ is a control character.\n"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] { -- { is a control character.\n"),
        "{md}"
    );
    assert!(md.contains("> We hope you're feeling well.\n"), "{md}");
    assert!(md.contains("= 3.1415 ± 0.0005\n") && md.contains("= 3.141..3.142\n"));
    assert!(md.contains("= 3 ± 2\n") && md.contains("= 1..5\n"));

    // grading that changed is explained at the question's line
    let half = warned_at(&c, 87);
    assert!(
        half[0].contains("`half credit answer` (50%) now count as wrong"),
        "{half:?}"
    );
    let two = warned_at(&c, 102);
    assert!(
        two.iter()
            .any(|w| w.contains("must tick exactly `Grant`, `Grant's wife`")),
        "{two:?}"
    );
    assert!(
        two.iter().any(|w| w.contains("negative weights")),
        "{two:?}"
    );
    let q7 = warned_at(&c, 159);
    assert!(
        q7.iter().any(|w| w.contains("`1822 ± 2` earned 50%")),
        "{q7:?}"
    );

    // answer keys as Moodle meant them
    let key = |i: usize| quiz.questions[i].key.clone();
    assert_eq!(key(0), AnswerKey::Choices { correct: vec![2] });
    assert_eq!(
        key(4),
        AnswerKey::Short {
            accepted: vec!["no one".into(), "nobody".into()]
        }
    );
    assert_eq!(key(6), AnswerKey::Choices { correct: vec![1] }); // {F}: Salah
    assert_eq!(key(7), AnswerKey::Choices { correct: vec![0] }); // {T}: Benar
    assert_eq!(
        key(9),
        AnswerKey::Numeric {
            answer: Num::Exact {
                value: 3.1415,
                tolerance: 0.0005
            }
        }
    );
    assert_eq!(
        key(10),
        AnswerKey::Numeric {
            answer: Num::Range {
                min: 3.141,
                max: 3.142
            }
        }
    );
    assert_eq!(
        key(22),
        AnswerKey::Choices {
            correct: vec![1, 2]
        }
    );
    // names are kept for the mapping
    let names: Vec<&str> = c
        .questions
        .iter()
        .filter_map(|q| q.name.as_deref())
        .collect();
    assert!(
        names.contains(&"Kanji Origins") && names.contains(&"Q7"),
        "{names:?}"
    );
}

#[test]
fn a_moodle_export_with_categories_html_names_bom_and_crlf() {
    use QuestionKind::*;
    let text = fixture("spbe-export.gift");
    assert!(text.starts_with('\u{feff}') && text.contains("\r\n"));
    let c = gift::convert(&text, None, "bank soal spbe");
    // two categories: the title falls back, and the split is suggested at the second one
    assert_eq!(c.title, "bank soal spbe");
    let quiz = check_module(&c);
    assert_eq!(
        kinds(&quiz),
        vec![
            Single,      // PP-01
            Multiple,    // PP-02 33% ×3 → all-or-nothing
            TrueFalse,   // PP-03
            ShortAnswer, // PP-04
            Numeric,     // PP-05
            ShortAnswer, // PP-06 (missing word: `1 | satu`)
            Single,      // PP-07
            Numeric,     // SPBE-01 {=95}: a number
            Numeric,     // SPBE-02
            Multiple,    // SPBE-03
            TrueFalse,   // SPBE-04
            TrueFalse,   // SPBE-05
            Numeric,     // SPBE-08
            ShortAnswer, // SPBE-09
            ShortAnswer, // SPBE-10
        ]
    );
    assert_eq!(c.converted, 15);
    // matching, essay, description
    assert_eq!(lines(&c.refused), vec![50, 81, 84]);
    assert!(refused_at(&c, 50).contains("matching"));
    assert!(refused_at(&c, 81).contains("essay"));
    assert!(refused_at(&c, 84).contains("description"));

    let categories: Vec<&str> = c
        .questions
        .iter()
        .map(|q| q.category.as_deref().unwrap())
        .collect();
    assert_eq!(categories[..7], ["Pelayanan Publik"; 7]);
    assert_eq!(categories[7..], ["SPBE"; 8]);
    assert!(warned_at(&c, 57)[0].contains("2 categories (`Pelayanan Publik`, `SPBE`)"));
    assert_eq!(
        c.questions[0].name.as_deref(),
        Some("PP-01 Tujuan standar pelayanan")
    );
    assert_eq!(c.questions[0].line, 6);

    let md = &c.markdown;
    // HTML kept (Moodle's single <p> wrapper taken off), names and categories in comments, feedback in its place
    assert!(md.contains("## Apa tujuan utama penetapan <strong>standar pelayanan</strong>?\n\n<!-- GIFT ::PP-01 Tujuan standar pelayanan:: · category: Pelayanan Publik -->\n"), "{md}");
    assert!(md.contains("- [ ] Menambah tahapan birokrasi -- Bukan; standar pelayanan justru menyederhanakan proses.\n"), "{md}");
    assert!(md.contains("> Standar pelayanan adalah tolok ukur"), "{md}");
    assert!(md.contains("- [x] Benar -- Benar, maklumat wajib dipublikasikan.\n- [ ] Salah -- Keliru: UU 25/2009 mewajibkannya.\n"), "{md}");
    assert!(md.contains("= SP4N-LAPOR! | LAPOR!\n"), "{md}");
    assert!(
        md.contains(
            "Survei kepuasan masyarakat dilaksanakan paling sedikit ____ kali dalam setahun."
        ),
        "{md}"
    );
    assert!(md.contains("= 2.6 ± 0.1\n") && md.contains("= 4.2..5\n"));
    assert!(
        md.contains("## Kepanjangan dari SPBE adalah ... (tulis lengkap, tanpa \\*singkatan\\*)\n"),
        "{md}"
    );
    assert!(md.contains("## Aplikasi umum berbagi pakai:\n\n<!-- GIFT ::SPBE-10 Layanan bersama:: · category: SPBE -->\n\n* dikembangkan **sekali**\n"), "{md}");
    // the prompt of PP-01 is rendered as HTML, the comment dropped
    assert!(quiz.questions[0]
        .prompt_html
        .contains("<strong>standar pelayanan</strong>"));
    assert!(!quiz.questions[0].prompt_html.contains("GIFT"));

    // grading changes: partial credit, penalties, dropped partial answers
    assert!(warned_at(&c, 15)
        .iter()
        .any(|w| w.contains("all-or-nothing")));
    assert!(warned_at(&c, 15)
        .iter()
        .any(|w| w.contains("negative weights")));
    assert!(warned_at(&c, 26)
        .iter()
        .any(|w| w.contains("`LAPOR` earned 50%") && w.contains("Hampir")));
    assert!(warned_at(&c, 61)
        .iter()
        .any(|w| w.contains("reads as a number")));
}

#[test]
fn what_cannot_convert_is_refused_at_its_line() {
    let c = gift::convert(&fixture("refused.gift"), Some("Kuis Uji"), "x");
    let expect = [
        (3, "a matching question"),
        (9, "an essay question"),
        (11, "a description"),
        (13, "is never closed"),
        (15, "no option earns credit"),
        (
            17,
            "`dua puluh` in the numeric answer `dua puluh` is not a number",
        ),
        (19, "a `}` with no opening `{`"),
    ];
    assert_eq!(c.refused.len(), expect.len(), "{:#?}", c.refused);
    for (line, starts) in expect {
        assert!(
            refused_at(&c, line).contains(starts),
            "line {line}: {}",
            refused_at(&c, line)
        );
    }
    // every refusal says what to do
    for r in &c.refused {
        assert!(r.message.contains("; "), "{r}");
    }
    // the one good question still converts and passes
    assert_eq!(c.converted, 1);
    assert_eq!(c.questions[0].line, 21);
    let quiz = check_module(&c);
    assert_eq!(kinds(&quiz), vec![QuestionKind::Numeric]);
}

/// Random text made of GIFT's own syntax never panics, notes point inside the file, and
/// whatever converts passes the quiz check.
#[test]
fn random_gift_never_panics_and_what_converts_passes() {
    use rand::rngs::StdRng;
    use rand::seq::IndexedRandom;
    use rand::{Rng, SeedableRng};

    const TOKENS: &[&str] = &[
        "{",
        "}",
        "{",
        "}",
        "~",
        "=",
        "#",
        "####",
        "->",
        "::",
        ":",
        "%",
        "%50%",
        "%-25%",
        "%100%",
        "\\",
        "\\~",
        "\\=",
        "\\#",
        "\\{",
        "\\}",
        "\\:",
        "\\n",
        "\\\\",
        "//",
        "$CATEGORY:",
        "[html]",
        "[plain]",
        "[markdown]",
        "[moodle]",
        "[",
        "]",
        "T",
        "TRUE",
        "F",
        "FALSE",
        "..",
        "1",
        "2.5",
        "-3",
        "1e3",
        "a",
        "Benar",
        "Salah",
        "b c",
        " ",
        "\t",
        "\n",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "## ",
        "- [x] ",
        "- [ ] ",
        "= ",
        "> ",
        "```",
        "---",
        " -- ",
        "|",
        "*",
        "_",
        "<p>",
        "</p>",
        "<!--",
        "-->",
        "é",
        "😀",
        "\u{feff}",
        "\u{FDD0}",
        "+++",
        "____",
    ];
    let mut rng = StdRng::seed_from_u64(0x6_1f7);
    let mut converted = 0;
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..rng.random_range(0..80) {
            if rng.random_bool(0.05) {
                text.push(rng.random::<char>());
            } else {
                text.push_str(TOKENS.choose(&mut rng).unwrap());
            }
        }
        let c = gift::convert(&text, None, "acak");
        let last_line = cakap::catalog::frontmatter::normalize(&text)
            .lines()
            .count()
            .max(1);
        for n in c.warnings.iter().chain(&c.refused) {
            assert!((1..=last_line).contains(&n.line), "{n} outside {text:?}");
        }
        assert_eq!(c.converted, c.questions.len());
        // the whole module parses, with every converted question and no error
        let split = cakap::catalog::frontmatter::split(&c.markdown).expect("front matter");
        let mut diags = Vec::new();
        let body = cakap::catalog::quiz::parse(
            split.body,
            split.body_line,
            &mut cakap::catalog::diag::Sink {
                path: "kuis.md",
                out: &mut diags,
            },
        );
        assert!(diags.is_empty(), "{diags:#?}\n{text:?}\n{}", c.markdown);
        assert_eq!(
            body.questions.len(),
            c.converted,
            "{text:?}\n{}",
            c.markdown
        );
        assert_eq!(body.written, c.converted, "{text:?}\n{}", c.markdown);
        converted += c.converted;
    }
    assert!(
        converted > 100,
        "the generator should produce some valid questions"
    );
}

fn cakap(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cakap"));
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAKAP_")) {
        cmd.env_remove(k);
    }
    cmd.output().expect("cakap runs")
}

#[test]
fn the_import_gift_command_writes_the_next_module_and_reports_by_line() {
    let (root, dir) = course();
    std::fs::write(
        dir.join("01-pengantar.md"),
        "+++\ntitle = \"Pengantar\"\n+++\n\nIsi.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("07-penutup.md"),
        "+++\ntitle = \"Penutup\"\n+++\n\nIsi.\n",
    )
    .unwrap();
    let file = fixture_path("spbe-export.gift");
    let o = cakap(
        root.path(),
        &[
            "courses",
            "import-gift",
            file.to_str().unwrap(),
            "--into",
            dir.to_str().unwrap(),
            "--title",
            "Kuis Literasi SPBE",
        ],
    );
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "{out}\n{err}");
    let written = dir.join("08-kuis-literasi-spbe.md");
    assert!(written.is_file(), "{out}\n{err}");
    assert!(out.contains("15 question(s) converted"), "{out}");
    assert!(
        err.contains("spbe-export.gift:50: refused: a matching question"),
        "{err}"
    );
    assert!(err.contains("spbe-export.gift:15: warning: "), "{err}");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(
        text.contains("title = \"Kuis Literasi SPBE\"\nkind = \"quiz\""),
        "{text}"
    );

    // the course passes `cakap courses check`
    let o = cakap(root.path(), &["courses", "check", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // again: a new module after it, the first one untouched
    let o = cakap(
        root.path(),
        &[
            "courses",
            "import-gift",
            file.to_str().unwrap(),
            "--into",
            dir.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    assert!(dir.join("09-kuis-spbe-export.md").is_file());
    assert_eq!(std::fs::read_to_string(&written).unwrap(), text);

    // nothing converts: exit 1, nothing written
    let bad = root.path().join("esai.gift");
    std::fs::write(&bad, "Ceritakan pengalaman Anda.{}\n").unwrap();
    let before = std::fs::read_dir(&dir).unwrap().count();
    let o = cakap(
        root.path(),
        &[
            "courses",
            "import-gift",
            bad.to_str().unwrap(),
            "--into",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("esai.gift:1: refused: an essay question"),
        "{err}"
    );
    assert!(err.contains("no question converted"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);

    // a missing file, and a folder that is not a course: exit 1 with a clear message
    let o = cakap(
        root.path(),
        &[
            "courses",
            "import-gift",
            "tidak-ada.gift",
            "--into",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("tidak-ada.gift: cannot read the file"));
    let o = cakap(
        root.path(),
        &[
            "courses",
            "import-gift",
            file.to_str().unwrap(),
            "--into",
            root.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a course folder (no course.md)"));
}

#[test]
fn module_file_names_follow_the_existing_modules() {
    let (_root, dir) = course();
    assert_eq!(
        gift::module_file_name(&dir, "Kuis Akhir").unwrap(),
        "01-kuis-akhir.md"
    );
    std::fs::write(dir.join("03-standar.md"), "").unwrap();
    std::fs::write(dir.join("12-penutup.md"), "").unwrap();
    std::fs::write(dir.join("catatan.md"), "").unwrap();
    assert_eq!(
        gift::module_file_name(&dir, "Pelayanan Publik").unwrap(),
        "13-kuis-pelayanan-publik.md"
    );
}
