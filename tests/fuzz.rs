//! Property tests over every parser of outside input (issue 12, item 6): course folders (front
//! matter, Markdown, quizzes), GIFT files, uploaded archives, CSV imports (units and positions,
//! people, position standards, assessments), NIPs, amounts of money, verification codes, and
//! tokens (session JWTs, certificate credentials). Cakap builds on stable Rust, so this is
//! `proptest` rather than a coverage-guided fuzzer: inputs are built from the formats' own pieces
//! (so they reach deep into the parsers) mixed with arbitrary text and bytes, and each property
//! says more than "does not panic" where it can.
//!
//! `cargo test --test fuzz` runs 256 cases per property (a few seconds). For a longer run:
//! `PROPTEST_CASES=20000 cargo test --release --test fuzz`. Failing inputs proptest finds are kept
//! in `tests/fuzz.proptest-regressions` (committed: the corpus of interesting inputs) and replayed
//! first on every run.

use std::collections::HashSet;

use cakap::catalog::diag::{Diagnostic, Severity, Sink};
use cakap::catalog::{archive, folder, frontmatter, gift, markdown, quiz, Dictionary};
use proptest::prelude::*;

/// Pieces of the course format, the GIFT format and CSV, and some troublemakers.
const PIECES: &[&str] = &[
    "+++\n",
    "title = \"Judul\"\n",
    "summary = \"Ringkas.\"\n",
    "jp = 6\n",
    "jp = \"enam\"\n",
    "kind = \"quiz\"\n",
    "kind = \"lesson\"\n",
    "pass_mark = 70\n",
    "attempts = 0\n",
    "draw = 3\n",
    "shuffle = false\n",
    "minutes = 15\n",
    "[[competencies]]\ncode = \"M.PP\"\nlevel = 2\n",
    "prerequisites = [\"lain\"]\n",
    "tittle = \"typo\"\n",
    "## Pertanyaan?\n",
    "## \n",
    "- [x] Benar\n",
    "- [ ] Salah\n",
    "- [x] Pilihan -- umpan balik\n",
    "- [ ] \n",
    "= 14\n",
    "= 14 ± 0.5\n",
    "= 10..20\n",
    "= 1,5\n",
    "= a | b | c\n",
    "= \n",
    "> Umpan balik.\n",
    "![gambar](assets/a.png)\n",
    "[tautan](02-materi.md)\n",
    "[luar](https://example.go.id)\n",
    "<script>alert(1)</script>\n",
    "<img src=x onerror=alert(1)>\n",
    "[x](javascript:alert(1))\n",
    "```\nkode\n```\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "\n",
    "\r\n",
    "\u{feff}",
    "\u{0}",
    "\u{202e}",
    "é",
    "王",
    "::Nama::",
    "{=Semarang ~Solo}\n",
    "{T}\n",
    "{F#salah}\n",
    "{#3:0.5}\n",
    "{#1..5}\n",
    "{=a =b}\n",
    "{~%50%a ~%50%b ~%-100%c}\n",
    "{=a -> 1 =b -> 2}\n",
    "{}\n",
    "$CATEGORY: top/bab 1\n",
    "[markdown]",
    "[html]<p>x</p>",
    "\\{ \\} \\= \\~ \\# \\:",
    "// komentar\n",
    "\n\n",
    "nama,email\n",
    ",,,\n",
    "\"kutip,\"\"dalam\"\"\",x\n",
];

fn pieces(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => ".{0,12}",
        ],
        0..max,
    )
    .prop_map(|v| v.concat())
}

/// A file that starts with well-formed front matter (so the parser gets past it), then pieces.
fn file_with(front: &'static str, max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => pieces(max).prop_map(move |body| format!("+++\n{front}+++\n\n{body}")),
        1 => pieces(max),
    ]
}

/// Hostile or odd inline content, for prompts and lesson text.
fn inline() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z ]{1,20}",
        Just("<script>alert(1)</script>".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("[x](javascript:alert(1))".to_string()),
        Just("**tebal** _miring_ `kode`".to_string()),
        Just("é 王 \u{202e}".to_string()),
        Just("<a href=\"https://example.go.id\" onclick=\"x()\">a</a>".to_string()),
    ]
}

/// A well-formed question with odd content.
fn question() -> impl Strategy<Value = String> {
    (
        inline(),
        prop_oneof![
            Just("- [x] Benar\n- [ ] Salah\n"),
            Just("- [x] a\n- [x] b\n- [ ] c\n"),
            Just("- [x] Benar\n- [ ] Salah -- bukan\n"),
            Just("= 14 ± 0.5\n"),
            Just("= 10..20\n"),
            Just("= Aparatur Sipil Negara | ASN\n"),
        ],
        prop::option::of(inline()),
    )
        .prop_map(|(prompt, answer, feedback)| {
            let feedback = feedback.map(|f| format!("\n> {f}\n")).unwrap_or_default();
            format!("## {prompt}\n\n{answer}{feedback}\n")
        })
}

/// A quiz module: usually well-formed questions, sometimes pieces.
fn quiz_file() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(question(), 1..5).prop_map(|qs| {
            format!("+++\ntitle = \"Kuis\"\nkind = \"quiz\"\n+++\n\n{}", qs.concat())
        }),
        1 => file_with("title = \"Kuis\"\nkind = \"quiz\"\n", 40),
    ]
}

/// A lesson: usually front matter and odd paragraphs, sometimes pieces.
fn lesson_file() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(inline(), 0..8).prop_map(|ps| {
            format!("+++\ntitle = \"Materi\"\n+++\n\n{}\n", ps.join("\n\n"))
        }),
        1 => file_with("title = \"Materi\"\n", 24),
    ]
}

fn dictionary() -> Dictionary {
    let mut diags = Vec::new();
    Dictionary::parse(
        "[[competency]]\ncode = \"M.PP\"\nname = \"Pelayanan Publik\"\nkind = \"manajerial\"\n",
        "competencies.toml",
        &mut diags,
    )
}

/// Lines as CommonMark (and most editors) count them: LF, CRLF and a lone CR each end one.
/// Whether HTML carries something a browser would run: a script element, an event-handler
/// attribute, or a `javascript:` URL in a tag (escaped text that merely mentions them is fine).
fn dangerous(html: &str) -> Option<String> {
    let lower = html.to_lowercase();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>').unwrap_or(after.len());
        let tag = &after[..end];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name == "script" || name == "iframe" || name == "object" || name == "embed" {
            return Some(format!("<{tag}>"));
        }
        let attrs = tag.split(|c: char| c.is_whitespace() || c == '/').skip(1);
        for a in attrs {
            if a.starts_with("on") && a.contains('=') {
                return Some(format!("<{tag}>"));
            }
        }
        if tag.contains("javascript:") {
            return Some(format!("<{tag}>"));
        }
        rest = &after[end.min(after.len())..];
    }
    None
}

/// Lines as CommonMark (and most editors) count them: LF, CRLF and a lone CR each end one.
fn line_count(text: &str) -> usize {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    unified.lines().count().max(1) + 1
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    /// A course folder of arbitrary files loads or says why not; every diagnostic names a file of
    /// the folder and a line that exists; a loaded course has no error.
    #[test]
    fn course_folders(
        course in file_with("title = \"Kursus\"\nsummary = \"Ringkas.\"\njp = 6\n", 8),
        lesson in lesson_file(),
        quiz_md in quiz_file(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("kursus-acak");
        std::fs::create_dir_all(root.join("assets")).unwrap();
        std::fs::write(root.join("course.md"), &course).unwrap();
        std::fs::write(root.join("01-materi.md"), &lesson).unwrap();
        std::fs::write(root.join("02-kuis.md"), &quiz_md).unwrap();
        std::fs::write(root.join("assets/a.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        let loaded = folder::load(&root, "kursus-acak", &dictionary());
        let errors = loaded.diagnostics.iter().any(|d| d.severity == Severity::Error);
        prop_assert_eq!(loaded.course.is_some(), !errors, "{:?}", loaded.diagnostics);
        for d in &loaded.diagnostics {
            let text = match d.path.rsplit('/').next().unwrap_or("") {
                "course.md" => &course,
                "01-materi.md" => &lesson,
                "02-kuis.md" => &quiz_md,
                _ => continue,
            };
            prop_assert!(d.line <= line_count(text), "{} is past the end", d);
            prop_assert!(!d.message.trim().is_empty());
        }
        if let Some(c) = loaded.course {
            if std::env::var("FUZZ_STATS").is_ok() {
                eprintln!("loaded a course with {} modules", c.modules.len());
            }
            for m in &c.modules {
                prop_assert_eq!(dangerous(&m.html), None, "{}", m.html);
            }
            prop_assert_eq!(dangerous(&c.description_html), None);
        }
    }

    /// Front matter: arbitrary text never panics (what it reads is checked by
    /// `front_matter_round_trip` and `front_matter_errors_name_their_line`).
    #[test]
    fn front_matter(text in pieces(30)) {
        let normalized = frontmatter::normalize(&text);
        if let Ok(split) = frontmatter::split(&normalized) {
            let mut out: Vec<Diagnostic> = Vec::new();
            let mut sink = Sink { path: "x.md", out: &mut out };
            let _ = frontmatter::parse_toml(&split, &mut sink);
        }
    }

    /// A quiz body: parsing never panics and reports lines inside the text.
    #[test]
    fn quiz_bodies(body in pieces(60)) {
        let mut out: Vec<Diagnostic> = Vec::new();
        let mut sink = Sink { path: "02-kuis.md", out: &mut out };
        let _ = quiz::parse(&body, 1, &mut sink);
        for d in &out {
            prop_assert!(d.line <= line_count(&body) + 1, "{}", d);
        }
        let _ = quiz::parse_number(&body);
        let _ = quiz::parse_equals(&body);
        let _ = quiz::fold_short_answer(&body);
    }

    /// Markdown renders to sanitized HTML whatever it is given.
    #[test]
    fn markdown_is_sanitized(md in pieces(40)) {
        let mut out: Vec<Diagnostic> = Vec::new();
        let mut sink = Sink { path: "01-materi.md", out: &mut out };
        let links = markdown::Links::default();
        let r = markdown::render(&md, 1, &links, &mut sink);
        prop_assert_eq!(dangerous(&r.html), None, "{}", r.html);
        let clean = markdown::sanitize(&md);
        prop_assert_eq!(dangerous(&clean), None, "{}", clean);
    }

    /// GIFT: every question converts, or is refused with a line; what converts is a quiz module
    /// the course format's own parser accepts.
    #[test]
    fn gift_files(text in pieces(50)) {
        let c = gift::convert(&text, None, "Kuis impor");
        prop_assert_eq!(c.converted, c.questions.len());
        if c.converted > 0 {
            let split = frontmatter::split(&c.markdown).expect("converted module has front matter");
            let mut out: Vec<Diagnostic> = Vec::new();
            let mut sink = Sink { path: "kuis.md", out: &mut out };
            let _ = quiz::parse(split.body, split.body_line, &mut sink);
            prop_assert!(
                !out.iter().any(|d| d.severity == Severity::Error),
                "{:?}\n{}", out, c.markdown
            );
        }
    }

    /// Uploaded archives: arbitrary bytes, and real zips with arbitrary names and contents, are
    /// unpacked or refused; nothing is ever written outside the destination.
    #[test]
    fn archives(names in prop::collection::vec(
                    prop_oneof![
                        Just("kursus/course.md".to_string()),
                        Just("kursus/01-materi.md".to_string()),
                        Just("../keluar.md".to_string()),
                        Just("/etc/passwd".to_string()),
                        Just("kursus/assets/a.png".to_string()),
                        Just("C:\\\\x.md".to_string()),
                        "[a-z./\\\\]{1,20}",
                    ], 0..6),
                contents in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 6),
                garbage in prop::collection::vec(any::<u8>(), 0..300)) {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("unpacked");
        std::fs::create_dir_all(&dest).unwrap();
        let _ = archive::unpack(&garbage, &dest, &archive::Limits::default());
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (i, name) in names.iter().enumerate() {
            if zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).is_ok() {
                let _ = std::io::Write::write_all(&mut zip, &contents[i % contents.len()]);
            }
        }
        let bytes = zip.finish().map(|c| c.into_inner()).unwrap_or_default();
        let _ = archive::unpack(&bytes, &dest, &archive::Limits::default());
        let outside: Vec<_> = std::fs::read_dir(outer.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n != "unpacked")
            .collect();
        prop_assert!(outside.is_empty(), "wrote outside: {:?}", outside);
    }

    /// CSV imports: arbitrary text never panics (the round trip is `csv_people_round_trip`).
    #[test]
    fn csv_imports(a in pieces(20), b in pieces(20)) {
        let _ = cakap::accounts::orgs::plan_import(&a, &b, &[], &[]);
        let _ = cakap::accounts::onboarding::check(&a, &cakap::accounts::onboarding::Lookup::default());
        let people = vec![cakap::competency::admin::Person {
            id: 1,
            nip: Some("198503122010012003".into()),
            email: "a@b.go.id".into(),
            name: "A".into(),
        }];
        let dict = vec![cakap::competency::profile::Competency {
            code: "M.PP".into(),
            name: "Pelayanan Publik".into(),
            kind: "manajerial".into(),
        }];
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let _ = cakap::competency::admin::plan_assessments(&a, &people, &dict, today);
        let _ = cakap::competency::admin::plan_targets(&b, &[], &dict);
    }

    /// Things people type: NIPs, amounts of money, verification codes.
    #[test]
    fn typed_values(s in "\\PC{0,40}", digits in "[0-9 .,-]{0,24}") {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        for t in [&s, &digits] {
            let _ = cakap::accounts::nip::Nip::parse(t, today);
            if let Ok(n) = cakap::competency::budget::parse_amount(t) {
                prop_assert!(n >= 0);
                // what is shown can be typed back
                let shown = cakap::competency::budget::rupiah(n);
                prop_assert_eq!(cakap::competency::budget::parse_amount(&shown), Ok(n));
            }
            if let Some(code) = cakap::certificates::code::normalize(t) {
                prop_assert_eq!(cakap::certificates::code::normalize(&code), Some(code.clone()));
            }
        }
    }

    /// Tokens: a session JWT verifies only unaltered and only with its key; any change to any
    /// character of it, or arbitrary text, is refused; certificate credentials likewise.
    #[test]
    fn tokens(user in 1i64..1_000_000, version in 0i32..1000, at in any::<prop::sample::Index>(),
              replacement in prop::sample::select(&['A', 'b', '0', '-', '_', '.', '='][..]),
              junk in "\\PC{0,120}") {
        let key = b"0123456789abcdef0123456789abcdef";
        let (token, _) = cakap::accounts::session::issue(key, user, &format!("{version:032x}")).unwrap();
        prop_assert!(cakap::accounts::session::verify(key, &token).is_some());
        prop_assert!(cakap::accounts::session::verify(b"another key, another server......", &token).is_none());
        let mut chars: Vec<char> = token.chars().collect();
        let i = at.index(chars.len());
        if chars[i] != replacement {
            chars[i] = replacement;
            let altered: String = chars.into_iter().collect();
            if let Some(v) = cakap::accounts::session::verify(key, &altered) {
                // base64 padding bits can absorb a change to the last character only
                prop_assert_eq!(i, token.len() - 1, "{:?}", v);
            }
        }
        prop_assert!(cakap::accounts::session::verify(key, &junk).is_none());
    }

    /// Certificate credentials against the real key list (a key ring on disk, plus an older key):
    /// a genuine credential verifies to its own claims; changing any one character of it, signing
    /// it with a key not on the list, or arbitrary text is refused.
    #[test]
    fn certificate_credentials(code in "[0-9a-z]{20}", jp in 1i32..100,
              at in any::<prop::sample::Index>(),
              replacement in prop::sample::select(&['A', 'b', '0', '-', '_', '.', '='][..]),
              junk in "\\PC{0,120}") {
        use cakap::certificates::credential::{self, Refusal};
        let ring = key_ring();
        let mut keys = ring.all.clone();
        keys.insert(0, older_key().public.clone());
        let cert = certificate(&code, jp);
        let token = credential::sign(&cert, BASE_URL, &ring.current).unwrap();
        let claims = credential::verify(&token, &keys);
        prop_assert!(claims.is_ok(), "{:?}", claims);
        let claims = claims.unwrap();
        prop_assert_eq!(&claims.jti, &code);
        prop_assert_eq!(claims.sub, format!("{BASE_URL}/v/{code}"));
        prop_assert_eq!(claims.cert.jp, jp);
        prop_assert_eq!(claims.cert.number, cert.number.clone());

        let mut chars: Vec<char> = token.chars().collect();
        let i = at.index(chars.len());
        if chars[i] != replacement {
            chars[i] = replacement;
            let altered: String = chars.into_iter().collect();
            if let Ok(c) = credential::verify(&altered, &keys) {
                // base64 padding bits can absorb a change to the last character only
                prop_assert_eq!(i, token.len() - 1, "{:?}", c);
            }
        }
        // a key not on the list, also when it claims the kid of one that is
        let stranger = cakap::certificates::Signer::ephemeral();
        let forged = credential::sign(&cert, BASE_URL, &stranger).unwrap();
        prop_assert!(
            matches!(credential::verify(&forged, &keys), Err(Refusal::UnknownKey(_))),
            "{:?}", credential::verify(&forged, &keys)
        );
        let mut impostor = forged.split('.').map(str::to_string).collect::<Vec<_>>();
        impostor[0] = token.split('.').next().unwrap().to_string();
        let impostor = impostor.join(".");
        prop_assert_eq!(credential::verify(&impostor, &keys).err(), Some(Refusal::BadSignature));
        prop_assert!(credential::verify(&junk, &keys).is_err());
    }

    /// Front matter round trip: a file made from a title, a number of JP and a body splits into
    /// that body (at its line) and TOML that reads back to those values, with no diagnostic.
    #[test]
    fn front_matter_round_trip(title in "\\PC{0,30}", jp in -1000i64..1000, body in pieces(10)) {
        let quoted = toml::Value::String(title.clone()).to_string();
        let text = format!("+++\ntitle = {quoted}\njp = {jp}\n+++\n{body}");
        let normalized = frontmatter::normalize(&text);
        let split = frontmatter::split(&normalized);
        prop_assert!(split.is_ok(), "{:?}", split.err());
        let split = split.unwrap();
        prop_assert_eq!(split.body, body.replace("\r\n", "\n").replace('\r', "\n"));
        prop_assert_eq!(split.body_line, 5);
        let mut out: Vec<Diagnostic> = Vec::new();
        let mut sink = Sink { path: "x.md", out: &mut out };
        let table = frontmatter::parse_toml(&split, &mut sink);
        prop_assert!(out.is_empty(), "{:?}", out);
        let table = table.unwrap();
        prop_assert_eq!(table.get("title").and_then(|v| v.as_str()), Some(title.as_str()));
        prop_assert_eq!(table.get("jp").and_then(|v| v.as_integer()), Some(jp));
        prop_assert_eq!(table.len(), 2);
    }

    /// Front matter with one broken line among good ones is refused with an error at that line;
    /// front matter never closed is refused at line 1.
    #[test]
    fn front_matter_errors_name_their_line(good in 0usize..8, at in any::<prop::sample::Index>(),
                                           broken in prop::sample::select(&[
                                               "judul = \"tanpa penutup",
                                               "jp = = 6",
                                               "[[kompetensi]",
                                               "tanpa nilai",
                                           ][..])) {
        let mut lines: Vec<String> = (0..good).map(|i| format!("kunci{i} = {i}")).collect();
        let k = at.index(good + 1);
        lines.insert(k, broken.to_string());
        let text = format!("+++\n{}\n+++\nIsi.\n", lines.join("\n"));
        let split = frontmatter::split(&text).unwrap();
        let mut out: Vec<Diagnostic> = Vec::new();
        let mut sink = Sink { path: "x.md", out: &mut out };
        prop_assert!(frontmatter::parse_toml(&split, &mut sink).is_none());
        prop_assert_eq!(out.len(), 1, "{:?}", out);
        prop_assert_eq!(out[0].severity, Severity::Error);
        // the file's first line is `+++`: the broken line is line k + 2
        prop_assert_eq!(out[0].line, k + 2, "{}\n{}", out[0], text);
        let unclosed = format!("+++\n{}\nIsi.\n", lines.join("\n"));
        let err = frontmatter::split(&unclosed).err();
        prop_assert_eq!(err.map(|e| e.0), Some(1));
    }

    /// A people CSV round trip: rows made from names and e-mails (quoted, with commas, quotes
    /// and blank lines between them) read back to those values at their lines; one bad e-mail
    /// is refused at its line and names the value.
    #[test]
    fn csv_people_round_trip(rows in prop::collection::vec(
                                 ("[A-Za-z\u{e9}\u{738b}][A-Za-z ,.'\"\u{e9}-]{0,18}[A-Za-z.]", "[a-z]{1,8}", any::<bool>()),
                                 1..8),
                             bad in any::<prop::sample::Index>()) {
        use cakap::accounts::onboarding::{self, Issue, Lookup};
        let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        let mut text = String::from("nama,email\n");
        let mut line = 1;
        let mut expected = Vec::new();
        for (i, (name, local, blank_before)) in rows.iter().enumerate() {
            if *blank_before {
                text.push('\n');
                line += 1;
            }
            line += 1;
            let email = format!("{local}.{i}@sleman.go.id");
            text.push_str(&format!("{},{}\n", quote(name), quote(&email)));
            expected.push((line, name.clone(), email));
        }
        let raw = onboarding::parse(&text);
        prop_assert!(raw.is_ok(), "{:?}\n{}", raw.err(), text);
        let got: Vec<_> = raw.unwrap().into_iter().map(|r| (r.line, r.name, r.email)).collect();
        prop_assert_eq!(&got, &expected, "{}", text);
        let valid = onboarding::check(&text, &Lookup::default());
        prop_assert!(valid.is_ok(), "{:?}\n{}", valid.err(), text);
        let valid: Vec<_> = valid.unwrap().into_iter().map(|r| (r.line, r.name, r.email)).collect();
        // checked, a name has its spaces squeezed
        let squeezed: Vec<_> = expected
            .iter()
            .map(|(l, n, e)| (*l, n.split_whitespace().collect::<Vec<_>>().join(" "), e.clone()))
            .collect();
        prop_assert_eq!(&valid, &squeezed);

        let k = bad.index(expected.len());
        let (bad_line, _, bad_email) = &expected[k];
        let broken = text.replace(&quote(bad_email), &quote("bukan-surel.sleman.go.id"));
        let problems = onboarding::check(&broken, &Lookup::default());
        prop_assert!(problems.is_err(), "{}", broken);
        let problems = problems.unwrap_err();
        prop_assert_eq!(problems.len(), 1, "{:?}", problems);
        prop_assert_eq!(problems[0].line, *bad_line, "{:?}\n{}", problems, broken);
        prop_assert_eq!(
            &problems[0].issue,
            &Issue::EmailInvalid("bukan-surel.sleman.go.id".into())
        );
    }

    /// Archive paths that leave the folder — `../` at any depth and after any folders, with
    /// backslashes, or absolute — are refused by name, whatever else the archive holds, and
    /// nothing is written anywhere (the folder unpacked into sits four levels down, so an escape
    /// would land where this test looks).
    #[test]
    fn archive_escapes_are_refused(prefix in prop::collection::vec("[a-z]{1,6}", 0..3),
                                   ups in 1usize..5,
                                   tail in prop::collection::vec("[a-z]{1,6}", 0..2),
                                   style in 0u8..4,
                                   escape_first in any::<bool>()) {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("a/b/c/unpacked");
        std::fs::create_dir_all(&dest).unwrap();
        let mut parts: Vec<String> = prefix.clone();
        parts.extend(std::iter::repeat_n("..".to_string(), prefix.len() + ups));
        parts.extend(tail.clone());
        parts.push("keluar.md".into());
        let name = match style {
            0 => parts.join("/"),
            1 => parts.join("\\"),
            2 => format!("{}/{}", outer.path().display(), parts.last().unwrap()),
            _ => format!("./{}", parts.join("/./")),
        };
        let course: &[u8] = b"+++\ntitle = \"Uji\"\nsummary = \"Ringkas.\"\njp = 1\n+++\n\nIsi.\n";
        let mut files = vec![("course.md".to_string(), course), (name.clone(), &b"keluar"[..])];
        if escape_first {
            files.reverse();
        }
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (n, bytes) in &files {
            zip.start_file(n.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut zip, bytes).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let got = archive::unpack(&bytes, &dest, &archive::Limits::default());
        prop_assert_eq!(got, Err(archive::Refused::UnsafePath(name.clone())));
        let mut written = Vec::new();
        let mut stack = vec![outer.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    written.push(e.path());
                }
            }
        }
        prop_assert!(written.is_empty(), "{} wrote {:?}", name, written);
    }
}

const BASE_URL: &str = "https://cakap.example.go.id";

/// The key ring as the server keeps it (a folder of key files), made once for all cases.
fn key_ring() -> &'static cakap::certificates::Keyring {
    static RING: std::sync::OnceLock<(tempfile::TempDir, cakap::certificates::Keyring)> =
        std::sync::OnceLock::new();
    &RING
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let ring = cakap::certificates::Keyring::load_or_create(dir.path()).unwrap();
            (dir, ring)
        })
        .1
}

/// A retired key still on the list (it verifies what it signed, signs nothing new).
fn older_key() -> &'static cakap::certificates::Signer {
    static KEY: std::sync::OnceLock<cakap::certificates::Signer> = std::sync::OnceLock::new();
    KEY.get_or_init(cakap::certificates::Signer::ephemeral)
}

fn certificate(code: &str, jp: i32) -> cakap::certificates::Certificate {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 4)
        .unwrap()
        .and_hms_opt(3, 0, 0)
        .unwrap();
    cakap::certificates::Certificate {
        id: 1,
        code: code.into(),
        number: "CKP/2026/000123".into(),
        user_id: 7,
        completion_id: 3,
        course_id: 2,
        holder_name: "Siti Rahmawati, S.Sos.".into(),
        holder_nip: Some("198703152010011002".into()),
        agency: Some("Pemerintah Kota Surakarta".into()),
        course_slug: "pelayanan-publik-prima".into(),
        course_title: "Pelayanan Publik Prima".into(),
        course_version: "3f9a1c2b".into(),
        jp,
        competencies: vec![cakap::certificates::CompetencyLevel {
            code: "M.PP".into(),
            name: "Pelayanan Publik".into(),
            level: 2,
        }],
        completed_at: at,
        issued_at: at,
        expires_at: None,
        issuer: "BPSDM Kota Surakarta".into(),
        signatory_name: None,
        signatory_title: None,
        kid: String::new(),
        jwt: String::new(),
        revoked_at: None,
        revoked_by: None,
        revoked_reason: None,
        reminded_at: None,
        partner: None,
        zone: cakap::clock::Zone::Wib,
    }
}

#[test]
fn the_piece_list_has_no_duplicates() {
    let set: HashSet<&str> = PIECES.iter().copied().collect();
    assert_eq!(set.len(), PIECES.len());
}

#[test]
fn the_danger_check_sees_what_a_browser_would_run() {
    assert!(dangerous("<p><img src=x onerror=alert(1)></p>").is_some());
    assert!(dangerous("<SCRIPT>x</SCRIPT>").is_some());
    assert!(dangerous("<a href=\"javascript:alert(1)\">a</a>").is_some());
    assert!(dangerous("<a href=\"https://x.go.id\" onclick=\"y()\">a</a>").is_some());
    assert_eq!(
        dangerous("<pre><code>&lt;img src=x onerror=alert(1)&gt;</code></pre>"),
        None
    );
    assert_eq!(dangerous("<p>on=1 &lt;script&gt;</p>"), None);
}
