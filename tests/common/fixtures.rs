//! Fixtures the tests set up with: people and agencies written straight to the app's database,
//! course folders written to disk, and a course completed through the API. Each is a builder, so a
//! test names only what matters to it:
//!
//! ```ignore
//! let boss = Person::new("atasan@solo.go.id").password(PW).agency(a).create(&app);
//! Person::new("siti@solo.go.id").password(PW).supervisor(boss).author().create(&app);
//! CourseFolder::one_lesson("etika").jp(4).competency("M.PP", 2).write(root);
//! let done = complete(&app, &bearer, "etika", "01-materi").await;
//! ```

use std::path::{Path, PathBuf};

use cakap::accounts::users::{self, NewUser};
use cakap::accounts::{orgs, password};
use cakap::db::DbConnection;
use serde_json::Value;

use super::TestApp;

/// A person to create: verified, with the name given (the e-mail address unless named), no
/// password unless given, and no agency or role unless given.
#[must_use]
pub struct Person {
    user: NewUser,
    password: Option<String>,
}

impl Person {
    pub fn new(email: &str) -> Person {
        Person {
            user: NewUser {
                email: email.into(),
                name: email.into(),
                verified: true,
                ..Default::default()
            },
            password: None,
        }
    }

    pub fn name(mut self, name: impl Into<String>) -> Person {
        self.user.name = name.into();
        self
    }

    /// The password the person logs in with (stored hashed).
    pub fn password(mut self, password: &str) -> Person {
        self.password = Some(password.into());
        self.user.password_hash = None;
        self
    }

    pub fn nip<'a>(mut self, nip: impl Into<Option<&'a str>>) -> Person {
        self.user.nip = nip.into().map(str::to_string);
        self
    }

    pub fn agency(mut self, agency: impl Into<Option<i64>>) -> Person {
        self.user.agency_id = agency.into();
        self
    }

    pub fn unit(mut self, unit: impl Into<Option<i64>>) -> Person {
        self.user.unit_id = unit.into();
        self
    }

    pub fn position(mut self, position: impl Into<Option<i64>>) -> Person {
        self.user.position_id = position.into();
        self
    }

    pub fn supervisor(mut self, supervisor: impl Into<Option<i64>>) -> Person {
        self.user.supervisor_id = supervisor.into();
        self
    }

    /// An author.
    pub fn author(self) -> Person {
        self.author_if(true)
    }

    pub fn author_if(mut self, yes: bool) -> Person {
        self.user.is_author = yes;
        self
    }

    /// An admin of their agency.
    pub fn admin(self) -> Person {
        self.admin_if(true)
    }

    pub fn admin_if(mut self, yes: bool) -> Person {
        self.user.is_agency_admin = yes;
        self
    }

    /// A platform admin.
    pub fn platform_admin(self) -> Person {
        self.platform_admin_if(true)
    }

    pub fn platform_admin_if(mut self, yes: bool) -> Person {
        self.user.is_platform_admin = yes;
        self
    }

    /// The password as already hashed (`password::hash`), for many people at a time.
    pub fn password_hash(mut self, hash: &str) -> Person {
        self.user.password_hash = Some(hash.into());
        self.password = None;
        self
    }

    /// Not yet verified (has not followed the link in the welcome e-mail).
    pub fn unverified(mut self) -> Person {
        self.user.verified = false;
        self
    }

    /// Anything else of the record, set by hand.
    pub fn with(mut self, set: impl FnOnce(&mut NewUser)) -> Person {
        set(&mut self.user);
        self
    }

    /// Create the person in the app's database; their id.
    pub fn create(self, app: &TestApp) -> i64 {
        self.insert(&mut app.conn())
    }

    /// Create the person over `conn`; their id.
    pub fn insert(mut self, conn: &mut DbConnection) -> i64 {
        if let Some(p) = self.password {
            self.user.password_hash = Some(password::hash(&p).unwrap());
        }
        users::create(conn, &self.user)
            .unwrap_or_else(|e| panic!("create the user {}: {e:?}", self.user.email))
    }
}

/// An agency to create, `kota` unless another kind is given.
#[must_use]
pub struct Agency {
    code: String,
    name: String,
    kind: String,
    unchecked: bool,
}

impl Agency {
    pub fn new(code: &str, name: &str) -> Agency {
        Agency {
            code: code.into(),
            name: name.into(),
            kind: "kota".into(),
            unchecked: false,
        }
    }

    pub fn kind(mut self, kind: &str) -> Agency {
        self.kind = kind.into();
        self
    }

    /// Write the row as given, past the checks of `orgs::create_agency` (a kind it would refuse).
    pub fn unchecked(mut self) -> Agency {
        self.unchecked = true;
        self
    }

    /// Create the agency in the app's database; its id.
    pub fn create(self, app: &TestApp) -> i64 {
        self.insert(&mut app.conn())
    }

    /// Create the agency over `conn`; its id.
    pub fn insert(self, conn: &mut DbConnection) -> i64 {
        if !self.unchecked {
            return orgs::create_agency(conn, &self.code, &self.name, &self.kind)
                .unwrap_or_else(|e| panic!("create the agency {}: {e:?}", self.code));
        }
        use cakap::db::schema::agencies;
        use diesel::prelude::*;
        diesel::insert_into(agencies::table)
            .values((
                agencies::code.eq(&self.code),
                agencies::name.eq(&self.name),
                agencies::kind.eq(&self.kind),
                agencies::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .returning(agencies::id)
            .get_result(conn)
            .unwrap()
    }
}

/// The competency dictionary entry most courses name.
pub const PELAYANAN_PUBLIK: (&str, &str, &str) = ("M.PP", "Pelayanan Publik", "manajerial");

/// Write a courses folder's `competencies.toml` with `entries` (code, name, kind).
pub fn write_dictionary(root: &Path, entries: &[(&str, &str, &str)]) {
    let toml = entries
        .iter()
        .map(|(code, name, kind)| {
            format!("[[competency]]\ncode = \"{code}\"\nname = \"{name}\"\nkind = \"{kind}\"\n")
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join("competencies.toml"), toml).unwrap();
}

/// A course folder to write: `course.md` (title `Kursus {slug}`, summary `Ringkas.`, 3 JP and the
/// description `Deskripsi.` unless given) and its modules, in the order given.
#[must_use]
pub struct CourseFolder {
    slug: String,
    title: String,
    summary: String,
    jp: i32,
    front: String,
    competencies: Vec<(String, i32)>,
    description: String,
    files: Vec<(String, Vec<u8>)>,
}

impl CourseFolder {
    pub fn new(slug: &str) -> CourseFolder {
        CourseFolder {
            slug: slug.into(),
            title: format!("Kursus {slug}"),
            summary: "Ringkas.".into(),
            jp: 3,
            front: String::new(),
            competencies: Vec::new(),
            description: "Deskripsi.".into(),
            files: Vec::new(),
        }
    }

    /// The usual small course: one lesson `01-materi` ("Materi", body "Isi.").
    pub fn one_lesson(slug: &str) -> CourseFolder {
        CourseFolder::new(slug).lesson("01-materi", "Materi", "Isi.")
    }

    pub fn title(mut self, title: &str) -> CourseFolder {
        self.title = title.into();
        self
    }

    pub fn summary(mut self, summary: &str) -> CourseFolder {
        self.summary = summary.into();
        self
    }

    pub fn jp(mut self, jp: i32) -> CourseFolder {
        self.jp = jp;
        self
    }

    /// More frontmatter lines, as written (before the competencies).
    pub fn front(mut self, lines: &str) -> CourseFolder {
        self.front.push_str(lines);
        if !self.front.is_empty() && !self.front.ends_with('\n') {
            self.front.push('\n');
        }
        self
    }

    /// A competency the course develops, at `level`.
    pub fn competency(mut self, code: &str, level: i32) -> CourseFolder {
        self.competencies.push((code.into(), level));
        self
    }

    pub fn description(mut self, description: &str) -> CourseFolder {
        self.description = description.into();
        self
    }

    /// A lesson `{name}.md` with a title and a body.
    pub fn lesson(self, name: &str, title: &str, body: &str) -> CourseFolder {
        self.module(name, &format!("+++\ntitle = \"{title}\"\n+++\n\n{body}\n"))
    }

    /// A lesson `{name}.md` that says how many minutes it takes.
    pub fn timed_lesson(self, name: &str, title: &str, minutes: u32, body: &str) -> CourseFolder {
        self.module(
            name,
            &format!("+++\ntitle = \"{title}\"\nminutes = {minutes}\n+++\n\n{body}\n"),
        )
    }

    /// A quiz `{name}.md`, as written (frontmatter and questions).
    pub fn quiz(self, name: &str, text: &str) -> CourseFolder {
        self.module(name, text)
    }

    /// A module `{name}.md`, as written.
    pub fn module(self, name: &str, text: &str) -> CourseFolder {
        self.file(&format!("{name}.md"), text.as_bytes())
    }

    /// Any other file of the folder (`assets/…`), as written.
    pub fn file(mut self, path: &str, bytes: &[u8]) -> CourseFolder {
        self.files.push((path.into(), bytes.to_vec()));
        self
    }

    /// Write the folder under `root`; its path.
    pub fn write(self, root: &Path) -> PathBuf {
        let dir = root.join(&self.slug);
        std::fs::create_dir_all(&dir).unwrap();
        let competencies: String = self
            .competencies
            .iter()
            .map(|(code, level)| {
                format!("\n[[competencies]]\ncode = \"{code}\"\nlevel = {level}\n")
            })
            .collect();
        std::fs::write(
            dir.join("course.md"),
            format!(
                "+++\ntitle = \"{}\"\nsummary = \"{}\"\njp = {}\n{}{competencies}+++\n\n{}\n",
                self.title, self.summary, self.jp, self.front, self.description
            ),
        )
        .unwrap();
        for (path, bytes) in &self.files {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, bytes).unwrap();
        }
        dir
    }
}

/// Enrol in `slug` and mark its one lesson `module` done through the API, as the holder of
/// `bearer`; the answer to the last request (its `completed` is the completion).
pub async fn complete(app: &TestApp, bearer: &str, slug: &str, module: &str) -> Value {
    complete_with(app, &reqwest::Client::new(), bearer, slug, module).await
}

/// [`complete`] over the client `api` (one client for many, as a benchmark seeds).
pub async fn complete_with(
    app: &TestApp,
    api: &reqwest::Client,
    bearer: &str,
    slug: &str,
    module: &str,
) -> Value {
    let r = api
        .post(app.url(&format!("/api/v1/courses/{slug}/enroll")))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "enrol {slug}");
    let done: Value = api
        .post(app.url(&format!("/api/v1/courses/{slug}/modules/{module}/done")))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(done["completed"].is_object(), "{done}");
    done
}
