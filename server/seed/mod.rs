//! `cakap dev seed`: fill a database (SQLite or PostgreSQL) with realistic generated data for
//! benchmarks and demonstrations: agencies with units and positions (and their competency
//! targets), civil servants with valid NIPs and supervisors, courses (copies of the sample
//! courses), enrollments, lesson progress, graded quiz attempts, completions with their
//! competency evidence, signed certificates and milestones.
//!
//! One person, `asn1@seed.cakap.test` (the benchmark person), completes `heavy` courses through
//! the real learning code (enroll, mark lessons done, start and submit the quiz), which also
//! proves the generated courses work end to end. Everyone else's history is written in bulk, a
//! thousand rows per statement, with the rows the real code would have written: the paper, answers
//! and grading of each course's quiz come from the real draw and grading functions, certificates
//! are signed with the server's keys, milestones come from the real milestone rule.

mod folders;
mod history;
pub mod names;
mod sql;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::catalog::folder::AnswerKey;
use crate::catalog::quiz::{Numeric, QuestionKind};
use crate::certificates::Issuer;
use crate::competency::milestones;
use crate::db::schema::{
    agencies, course_competencies, course_versions, courses, modules, question_keys, questions,
    users,
};
use crate::db::{DbConnection, DbError};
use crate::learning::draw::{self, PoolQuestion};
use crate::learning::grading::{self, Response};
use sql::{Batch, V};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub users: usize,
    pub courses: usize,
    pub completions: usize,
    /// Completions of the benchmark person, made through the real learning code.
    pub heavy: usize,
    /// The password of every generated account.
    pub password: String,
    /// The folder of sample courses to copy.
    pub templates: PathBuf,
    /// Where the generated course folders are written (replaced).
    pub courses_out: PathBuf,
    /// Seed of the random choices (the same seed gives the same data, but for certificate codes).
    pub seed: u64,
    /// Quiz attempts to leave open (started, not submitted), for a submission benchmark: one per
    /// person and course, from the second person on.
    pub open_attempts: usize,
    /// Where to list the open attempts: `email<TAB>attempt id<TAB>JSON body of a right submission`.
    pub attempts_out: Option<PathBuf>,
    /// How many agencies the people are spread over (default: one per 2,000 people, at most 48).
    pub agencies: Option<usize>,
}

/// What was written.
#[derive(Debug, Default)]
pub struct Summary {
    pub agencies: usize,
    pub units: usize,
    pub positions: usize,
    pub users: usize,
    pub courses: usize,
    pub enrollments: usize,
    pub lessons_done: usize,
    pub attempts: usize,
    pub completions: usize,
    pub evidence: usize,
    pub certificates: usize,
    pub milestones: usize,
    pub open_attempts: usize,
    pub benchmark_email: String,
    pub seconds: f64,
}

/// The e-mail domain of generated people.
pub const DOMAIN: &str = "seed.cakap.test";

/// A published course as the generator needs it.
struct Course {
    id: i64,
    version_id: i64,
    slug: String,
    title: String,
    hash: String,
    jp: i32,
    certificate: bool,
    valid_months: Option<i32>,
    competencies: Vec<(String, i32)>,
    lessons: Vec<i64>,
    quizzes: Vec<QuizTemplate>,
}

/// A passed attempt at one quiz module, as the real code stores it.
struct QuizTemplate {
    module_id: i64,
    paper: String,
    answers: String,
    results: String,
    score: i32,
}

/// Generate. `progress` hears a line now and then.
pub fn run(
    conn: &mut DbConnection,
    issuer: &Issuer,
    o: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Summary, SeedError> {
    let started = Instant::now();
    check(conn, o)?;
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut s = Summary::default();

    // People who were there before get their milestones first (and the start-up backfill, which
    // would otherwise recompute everyone's, is marked done).
    milestones::backfill(conn)?;
    crate::certificates::store::register_key(conn, &issuer.signer.public)?;

    progress(&format!("courses: generating {} course folders", o.courses));
    let slugs = publish_courses(conn, o)?;
    let catalog = load_courses(conn, &slugs, &mut rng)?;
    s.courses = catalog.len();

    progress("organisations: agencies, units, positions and targets");
    let agencies = o
        .agencies
        .unwrap_or((o.users / 2_000).min(48))
        .clamp(1, o.users.max(1));
    let orgs = write_orgs(conn, agencies, &catalog, &mut s)?;

    progress(&format!("people: {} accounts", o.users));
    let people = write_people(conn, o, &orgs, &mut rng)?;
    s.users = people.len();
    s.benchmark_email = names::person(0).email;

    let heavy = o.heavy.min(catalog.len()).min(o.completions);
    progress(&format!(
        "history: {} completions in bulk",
        o.completions - heavy
    ));
    history::write(
        conn,
        issuer,
        history::Plan {
            catalog: &catalog,
            people: &people[1..],
            completions: o.completions - heavy,
        },
        &mut rng,
        &mut s,
        progress,
    )?;
    fix_sequences(conn)?;

    // after the bulk rows, so that it also proves the sequences (ids, certificate numbers) go on
    // where the bulk rows ended
    progress(&format!(
        "benchmark person: {heavy} courses through the learning code"
    ));
    complete_for_real(conn, issuer, people[0].id, &catalog[..heavy], &mut rng)?;
    count_real(&mut s, &catalog[..heavy]);
    s.milestones = milestone_count(conn)?;

    if o.open_attempts > 0 {
        progress(&format!("open quiz attempts: {}", o.open_attempts));
        s.open_attempts = open_attempts(conn, o, &catalog, &people[1..], &mut rng)?;
    }
    s.seconds = started.elapsed().as_secs_f64();
    Ok(s)
}

/// Generate the course folders from the templates and publish them; their slugs.
fn publish_courses(conn: &mut DbConnection, o: &Options) -> Result<Vec<String>, SeedError> {
    let templates = folders::templates(&o.templates)?;
    let dirs = folders::generate(&templates, o.courses, &o.courses_out)?;
    let (general, reports) = crate::catalog::batch::publish_dirs(
        conn,
        std::slice::from_ref(&o.courses_out),
        &o.courses_out,
        crate::catalog::publish::Mode::Explicit,
        &mut |_, _, _| {},
    );
    let refused: Vec<String> = general
        .iter()
        .map(|d| d.to_string())
        .chain(
            reports
                .iter()
                .filter(|r| r.outcome.is_none())
                .flat_map(|r| r.diagnostics.iter().map(|d| d.to_string())),
        )
        .collect();
    if !refused.is_empty() {
        return Err(SeedError(format!(
            "the generated courses could not be published:\n{}",
            refused.join("\n")
        )));
    }
    Ok(dirs
        .iter()
        .filter_map(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect())
}

/// Count what the benchmark person's completions of `courses` wrote.
fn count_real(s: &mut Summary, courses: &[Course]) {
    s.enrollments += courses.len();
    s.completions += courses.len();
    s.certificates += courses.iter().filter(|c| c.certificate).count();
    s.lessons_done += courses.iter().map(|c| c.lessons.len()).sum::<usize>();
    s.attempts += courses.iter().map(|c| c.quizzes.len()).sum::<usize>();
    s.evidence += courses.iter().map(|c| c.competencies.len()).sum::<usize>();
}

/// Why seeding stopped, said for the person at the terminal.
#[derive(Debug)]
pub struct SeedError(pub String);

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for SeedError {
    fn from(s: String) -> SeedError {
        SeedError(s)
    }
}

impl From<&str> for SeedError {
    fn from(s: &str) -> SeedError {
        SeedError(s.into())
    }
}

impl From<DbError> for SeedError {
    fn from(e: DbError) -> SeedError {
        SeedError(e.to_string())
    }
}

impl From<diesel::result::Error> for SeedError {
    fn from(e: diesel::result::Error) -> SeedError {
        DbError::from(e).into()
    }
}

/// Refuse what cannot work, before writing anything.
fn check(conn: &mut DbConnection, o: &Options) -> Result<(), SeedError> {
    if o.users == 0 || o.courses == 0 {
        return Err("--users and --courses must be at least 1".into());
    }
    let room = (o.users - 1) * o.courses + o.heavy.min(o.courses);
    if o.completions > room {
        return Err(SeedError(format!(
            "{} completions do not fit: each person completes a course once, so {} people and {} courses hold at most {room} (the benchmark person takes at most --heavy {}); give more --users or --courses",
            o.completions, o.users, o.courses, o.heavy
        )));
    }
    let seeded: i64 = users::table
        .filter(users::email.like(format!("%@{DOMAIN}")))
        .count()
        .get_result(conn)?;
    if seeded > 0 {
        return Err(SeedError(format!(
            "this database already holds generated people ({seeded} accounts @{DOMAIN}); seed a fresh database (a new data folder or CAKAP_DATABASE_URL)"
        )));
    }
    Ok(())
}

/// A course with its current version, as [`load_courses`] reads it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = course_versions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct PublishedRow {
    #[diesel(select_expression = courses::id)]
    course_id: i64,
    #[diesel(select_expression = courses::current_version_id)]
    current_version_id: Option<i64>,
    title: String,
    hash: String,
    jp: i32,
    certificate: bool,
    certificate_valid_months: Option<i32>,
}

/// The published courses by slug, with a passed quiz attempt per quiz module.
fn load_courses(
    conn: &mut DbConnection,
    slugs: &[String],
    rng: &mut StdRng,
) -> Result<Vec<Course>, SeedError> {
    let mut out = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let row: PublishedRow = courses::table
            .inner_join(
                course_versions::table.on(course_versions::id
                    .nullable()
                    .eq(courses::current_version_id)),
            )
            .filter(courses::slug.eq(slug))
            .select(PublishedRow::as_select())
            .first(conn)?;
        let version_id = row
            .current_version_id
            .ok_or_else(|| format!("{slug}: not published"))?;
        let comps: Vec<(String, i32)> = course_competencies::table
            .filter(course_competencies::version_id.eq(version_id))
            .select((course_competencies::code, course_competencies::level))
            .load(conn)?;
        let mods: Vec<(i64, String)> = modules::table
            .filter(modules::version_id.eq(version_id))
            .order(modules::position)
            .select((modules::id, modules::kind))
            .load(conn)?;
        let mut lessons = Vec::new();
        let mut quizzes = Vec::new();
        for (module_id, kind) in mods {
            if kind == "quiz" {
                quizzes.push(quiz_template(conn, version_id, module_id, rng)?);
            } else {
                lessons.push(module_id);
            }
        }
        out.push(Course {
            id: row.course_id,
            version_id,
            slug: slug.clone(),
            title: row.title,
            hash: row.hash,
            jp: row.jp,
            certificate: row.certificate,
            valid_months: row.certificate_valid_months,
            competencies: comps,
            lessons,
            quizzes,
        });
    }
    Ok(out)
}

/// A question of a quiz module.
struct Keyed {
    id: i64,
    kind: QuestionKind,
    option_count: usize,
    key: Option<AnswerKey>,
}

/// A question with its key as stored. The JSON stays text: the generator reads what it can
/// (options that do not parse count as none, a key that does not parse as no key).
#[derive(Queryable, Selectable)]
#[diesel(table_name = questions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct KeyedRow {
    id: i64,
    kind: String,
    options: String,
    #[diesel(select_expression = question_keys::answer.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<question_keys::answer>)]
    answer: Option<String>,
}

/// The questions of a quiz module.
fn keyed_pool(conn: &mut DbConnection, module_id: i64) -> Result<Vec<Keyed>, SeedError> {
    let rows: Vec<KeyedRow> = questions::table
        .left_join(question_keys::table)
        .filter(questions::module_id.eq(module_id))
        .order(questions::position)
        .select(KeyedRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Keyed {
            id: r.id,
            kind: QuestionKind::parse(&r.kind).unwrap_or(QuestionKind::ShortAnswer),
            option_count: serde_json::from_str::<Vec<String>>(&r.options)
                .map(|o| o.len())
                .unwrap_or(0),
            key: r.answer.and_then(|k| serde_json::from_str(&k).ok()),
        })
        .collect())
}

/// The right response to a question, in source option order.
fn right_answer(key: &AnswerKey) -> Response {
    match key {
        AnswerKey::Choices { correct } => Response::Choices(correct.clone()),
        AnswerKey::Short { accepted } => {
            Response::Text(accepted.first().cloned().unwrap_or_default())
        }
        AnswerKey::Numeric { answer } => Response::Text(match *answer {
            Numeric::Exact { value, .. } => value.to_string(),
            Numeric::Range { min, max } => ((min + max) / 2.0).to_string(),
        }),
    }
}

/// A passed attempt, drawn and graded by the real functions.
fn quiz_template(
    conn: &mut DbConnection,
    version_id: i64,
    module_id: i64,
    rng: &mut StdRng,
) -> Result<QuizTemplate, SeedError> {
    let quiz = crate::learning::attempts::quiz_module(conn, version_id, module_id)?
        .ok_or("a quiz module vanished")?;
    let pool = keyed_pool(conn, module_id)?;
    let draws: Vec<PoolQuestion> = pool
        .iter()
        .map(|q| PoolQuestion::new(q.id, q.kind, q.option_count))
        .collect();
    let paper = draw::draw_paper(&draws, quiz.shuffle, quiz.draw, rng);
    let mut answers = Vec::new();
    let mut results = Vec::new();
    for item in &paper.items {
        let q = pool.iter().find(|q| q.id == item.question_id);
        match q.and_then(|q| q.key.as_ref().map(|k| (q, k))) {
            Some((q, key)) => {
                let r = right_answer(key);
                results.push(grading::grade_question(
                    q.kind,
                    key,
                    q.option_count,
                    Some(&r),
                ));
                answers.push(Some(r));
            }
            None => {
                results.push(grading::QuestionResult::default());
                answers.push(None);
            }
        }
    }
    let score = grading::score(&results);
    if !grading::passed(score, quiz.pass_mark) {
        return Err(SeedError(format!(
            "the generated right answers of quiz module {module_id} score {score}, below its pass mark"
        )));
    }
    Ok(QuizTemplate {
        module_id,
        paper: serde_json::to_string(&paper).map_err(|e| e.to_string())?,
        answers: serde_json::to_string(&answers).map_err(|e| e.to_string())?,
        results: serde_json::to_string(&results).map_err(|e| e.to_string())?,
        score,
    })
}

struct Orgs {
    agencies: Vec<SeedAgency>,
}

/// A generated agency.
struct SeedAgency {
    id: i64,
    name: String,
    unit_ids: Vec<i64>,
    /// In [`names::POSITIONS`] order.
    position_ids: Vec<i64>,
}

fn next_id(conn: &mut DbConnection, table: &str) -> Result<i64, SeedError> {
    #[derive(QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        m: i64,
    }
    let r: Max = diesel::sql_query(format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}"))
        .get_result(conn)?;
    Ok(r.m + 1)
}

/// The bulk inserts of [`write_orgs`]: agencies, units, positions and position targets.
fn org_batches() -> [Batch; 4] {
    [
        Batch::new(
            "agencies",
            &[
                "id",
                "code",
                "name",
                "kind",
                "created_at",
                "gap_basis",
                "jp_target",
            ],
        ),
        Batch::new(
            "units",
            &["id", "agency_id", "parent_id", "name", "created_at"],
        ),
        Batch::new(
            "positions",
            &["id", "agency_id", "name", "kind", "created_at"],
        ),
        Batch::new("position_targets", &["position_id", "code", "level"]),
    ]
}

fn write_orgs(
    conn: &mut DbConnection,
    count: usize,
    catalog: &[Course],
    s: &mut Summary,
) -> Result<Orgs, SeedError> {
    let now = Utc::now().naive_utc();
    // the competencies the courses develop, for the positions' targets
    let mut codes: Vec<String> = catalog
        .iter()
        .flat_map(|c| c.competencies.iter().map(|(k, _)| k.clone()))
        .collect();
    codes.sort();
    codes.dedup();
    let existing: Vec<String> = agencies::table.select(agencies::code).load(conn)?;
    crate::db::transaction(conn, |conn| {
        let mut a_id = next_id(conn, "agencies")?;
        let mut u_id = next_id(conn, "units")?;
        let mut p_id = next_id(conn, "positions")?;
        let [mut ab, mut ub, mut pb, mut tb] = org_batches();
        let mut out = Orgs {
            agencies: Vec::new(),
        };
        let mut a = 0;
        while out.agencies.len() < count {
            let (code, name, kind) = names::agency(a);
            a += 1;
            if existing.contains(&code) {
                continue;
            }
            ab.row(&[
                V::I(a_id),
                V::S(code),
                V::T(&name),
                V::T(kind),
                V::At(now),
                V::T("evidence"),
                V::Null,
            ]);
            let mut unit_ids = Vec::new();
            for unit in names::UNITS {
                ub.row(&[V::I(u_id), V::I(a_id), V::Null, V::T(unit), V::At(now)]);
                unit_ids.push(u_id);
                u_id += 1;
            }
            let mut position_ids = Vec::new();
            for (i, (pname, pkind, _)) in names::POSITIONS.iter().enumerate() {
                pb.row(&[V::I(p_id), V::I(a_id), V::T(pname), V::T(pkind), V::At(now)]);
                for k in 0..codes.len().min(4) {
                    let code = &codes[(i + k * 2) % codes.len()];
                    tb.row(&[
                        V::I(p_id),
                        V::T(code),
                        V::I(names::target_level(pkind).into()),
                    ]);
                }
                position_ids.push(p_id);
                p_id += 1;
            }
            out.agencies.push(SeedAgency {
                id: a_id,
                name,
                unit_ids,
                position_ids,
            });
            a_id += 1;
        }
        s.agencies = ab.pending_rows();
        s.units = ub.pending_rows();
        s.positions = pb.pending_rows();
        for b in [&mut ab, &mut ub, &mut pb, &mut tb] {
            b.flush(conn)?;
        }
        Ok::<_, SeedError>(out)
    })
}

/// The columns [`write_people`] writes of a user.
const USER_COLUMNS: [&str; 20] = [
    "id",
    "email",
    "name",
    "nip",
    "password_hash",
    "email_verified_at",
    "agency_id",
    "unit_id",
    "position_id",
    "supervisor_id",
    "is_author",
    "is_agency_admin",
    "is_platform_admin",
    "disabled",
    "session_version",
    "language",
    "created_at",
    "updated_at",
    "partner_id",
    "show_in_standing",
];

/// Where the `i`th generated person sits in their agency.
struct Place {
    /// Their number within the agency (1 administers it).
    local: usize,
    /// Index of their unit in the agency's unit ids.
    unit: usize,
    supervisor: Option<i64>,
    position: i64,
}

/// The place of person `i` of `users` (ids from `first`), `per_agency` to an agency: local
/// 1..=units head the units (the first also administers the agency); everyone else belongs to a
/// unit and reports to its head.
fn place(i: usize, per_agency: usize, first: i64, users: usize, agency: &SeedAgency) -> Place {
    let local = i % per_agency;
    let units = names::UNITS.len();
    let head = (1..=units).contains(&local);
    let unit = if head { local - 1 } else { local % units };
    let agency_start = i - local;
    let supervisor = if head || agency_start + unit + 1 >= users {
        None
    } else {
        Some(first + (agency_start + unit + 1) as i64)
    };
    let position = if head {
        agency.position_ids[0]
    } else {
        agency.position_ids[1 + local % (agency.position_ids.len() - 1)]
    };
    Place {
        local,
        unit,
        supervisor,
        position,
    }
}

/// A generated person, as the history needs them.
struct Someone {
    id: i64,
    name: String,
    nip: String,
    agency_id: i64,
    agency: String,
}

fn write_people(
    conn: &mut DbConnection,
    o: &Options,
    orgs: &Orgs,
    rng: &mut StdRng,
) -> Result<Vec<Someone>, SeedError> {
    let hash = crate::accounts::password::hash(&o.password)?;
    let now = Utc::now().naive_utc();
    let first = next_id(conn, "users")?;
    let per_agency = o.users.div_ceil(orgs.agencies.len());
    let mut people = Vec::with_capacity(o.users);
    let mut b = Batch::new("users", &USER_COLUMNS);
    for chunk_start in (0..o.users).step_by(5_000) {
        crate::db::transaction(conn, |conn| {
            for i in chunk_start..(chunk_start + 5_000).min(o.users) {
                let p = names::person(i);
                let agency = &orgs.agencies[i / per_agency];
                let Place {
                    local,
                    unit,
                    supervisor,
                    position,
                } = place(i, per_agency, first, o.users, agency);
                let joined = now - Duration::days(rng.random_range(400..3_000));
                let id = first + i as i64;
                b.row(&[
                    V::I(id),
                    V::T(&p.email),
                    V::T(&p.name),
                    V::T(&p.nip),
                    V::T(&hash),
                    V::At(joined),
                    V::I(agency.id),
                    V::I(agency.unit_ids[unit]),
                    V::I(position),
                    supervisor.map(V::I).unwrap_or(V::Null),
                    V::B(false),
                    V::B(local == 1),
                    V::B(false),
                    V::B(false),
                    V::I(1),
                    V::Null,
                    V::At(joined),
                    V::At(joined),
                    V::Null,
                    V::B(rng.random_bool(0.3)),
                ]);
                people.push(Someone {
                    id,
                    name: p.name,
                    nip: p.nip,
                    agency_id: agency.id,
                    agency: agency.name.clone(),
                });
                if b.pending_rows() >= 1_000 {
                    b.flush(conn)?;
                }
            }
            b.flush(conn)
        })?;
    }
    Ok(people)
}

/// The body of a submission answering `paper` rightly, in shown option order (as a client sends).
fn right_submission(
    paper: &crate::learning::draw::Paper,
    pool: &[Keyed],
) -> crate::learning::attempts::Answers {
    let mut answers = crate::learning::attempts::Answers::new();
    for (i, item) in paper.items.iter().enumerate() {
        let Some(key) = pool
            .iter()
            .find(|p| p.id == item.question_id)
            .and_then(|p| p.key.as_ref())
        else {
            continue;
        };
        let shown = match right_answer(key) {
            Response::Choices(src) => Response::Choices(
                src.iter()
                    .filter_map(|s| item.option_order.iter().position(|o| o == s))
                    .collect(),
            ),
            text => text,
        };
        answers.insert(i + 1, shown);
    }
    answers
}

/// Start (and leave open) up to `o.open_attempts` attempts through the real code: each person in
/// turn enrolls in each course and starts its first quiz. Lists them in `o.attempts_out`.
fn open_attempts(
    conn: &mut DbConnection,
    o: &Options,
    catalog: &[Course],
    people: &[Someone],
    rng: &mut StdRng,
) -> Result<usize, SeedError> {
    use crate::learning::{attempts, enroll};
    use std::io::Write;
    let mut out = match &o.attempts_out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| SeedError(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => None,
    };
    let emails: HashMap<i64, String> = users::table
        .filter(users::email.like(format!("%@{DOMAIN}")))
        .select((users::id, users::email))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let pools: Vec<Option<Vec<Keyed>>> = catalog
        .iter()
        .map(|c| {
            c.quizzes
                .first()
                .map(|q| keyed_pool(conn, q.module_id))
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    'people: for p in people {
        for (c, pool) in catalog.iter().zip(&pools) {
            if n >= o.open_attempts {
                break 'people;
            }
            let (Some(q), Some(pool)) = (c.quizzes.first(), pool) else {
                continue;
            };
            let e = match enroll::enroll(conn, p.id, &c.slug, "self", None, None) {
                Ok(e) => e,
                Err(enroll::EnrollError::Refused(_)) => continue,
                Err(enroll::EnrollError::Db(e)) => return Err(e.into()),
            };
            let a = match attempts::start(conn, &e, q.module_id, Utc::now().naive_utc(), rng) {
                Ok(a) => a,
                Err(attempts::StartError::Refused(_)) => continue,
                Err(attempts::StartError::Db(e)) => return Err(e.into()),
            };
            if let Some(out) = out.as_mut() {
                let answers: serde_json::Map<String, serde_json::Value> =
                    right_submission(&a.paper, pool)
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), serde_json::to_value(v).unwrap_or_default()))
                        .collect();
                let body = serde_json::json!({ "answers": answers });
                let email = emails.get(&p.id).map(String::as_str).unwrap_or("");
                writeln!(out, "{email}\t{}\t{body}", a.id)
                    .map_err(|e| SeedError(format!("cannot write the attempt list: {e}")))?;
            }
            n += 1;
        }
    }
    if let Some(mut out) = out {
        out.flush()
            .map_err(|e| SeedError(format!("cannot write the attempt list: {e}")))?;
    }
    Ok(n)
}

/// The benchmark person completes `courses` through the real learning code.
fn complete_for_real(
    conn: &mut DbConnection,
    issuer: &Issuer,
    user_id: i64,
    courses: &[Course],
    rng: &mut StdRng,
) -> Result<(), SeedError> {
    use crate::learning::{attempts, enroll, progress};
    for c in courses {
        let e = match enroll::enroll(conn, user_id, &c.slug, "self", None, None) {
            Ok(e) => e,
            Err(enroll::EnrollError::Refused(r)) => {
                return Err(format!("{}: enrolment refused: {r:?}", c.slug).into())
            }
            Err(enroll::EnrollError::Db(e)) => return Err(e.into()),
        };
        for m in &c.lessons {
            progress::mark_done(conn, e.id, *m, None)?;
        }
        for q in &c.quizzes {
            let now = Utc::now().naive_utc();
            let a = match attempts::start(conn, &e, q.module_id, now, rng) {
                Ok(a) => a,
                Err(attempts::StartError::Refused(r)) => {
                    return Err(format!("{}: quiz refused: {r:?}", c.slug).into())
                }
                Err(attempts::StartError::Db(e)) => return Err(e.into()),
            };
            let pool = keyed_pool(conn, q.module_id)?;
            let answers = right_submission(&a.paper, &pool);
            let graded = match attempts::submit(
                conn,
                a.id,
                user_id,
                &answers,
                now,
                &crate::hooks::on_completed(std::sync::Arc::new(issuer.clone())),
            ) {
                Ok(g) => g,
                Err(attempts::SubmitError::Refused(r)) => {
                    return Err(format!("{}: submission refused: {r:?}", c.slug).into())
                }
                Err(attempts::SubmitError::Db(e)) => return Err(e.into()),
            };
            if graded.attempt.passed != Some(true) {
                return Err(SeedError(format!(
                    "{}: the right answers did not pass the quiz (score {:?})",
                    c.slug, graded.attempt.score
                )));
            }
        }
    }
    Ok(())
}

/// Certificate numbers run per year: continue where the database is, save at the end.
struct CertificateNumbers {
    last: HashMap<i32, i64>,
}

impl CertificateNumbers {
    fn load(conn: &mut DbConnection) -> Result<CertificateNumbers, SeedError> {
        use crate::db::schema::certificate_sequences as cs;
        let rows: Vec<(i32, i64)> = cs::table.select((cs::year, cs::last_number)).load(conn)?;
        Ok(CertificateNumbers {
            last: rows.into_iter().collect(),
        })
    }

    fn next(&mut self, year: i32) -> i64 {
        let n = self.last.entry(year).or_insert(0);
        *n += 1;
        *n
    }

    fn save(&self, conn: &mut DbConnection) -> Result<(), SeedError> {
        for (year, last) in &self.last {
            diesel::sql_query(format!(
                "INSERT INTO certificate_sequences (year, last_number) VALUES ({year}, {last}) \
                 ON CONFLICT (year) DO UPDATE SET last_number = excluded.last_number"
            ))
            .execute(conn)?;
        }
        Ok(())
    }
}

fn milestone_count(conn: &mut DbConnection) -> Result<usize, SeedError> {
    use crate::db::schema::milestones;
    let seeded = users::table
        .filter(users::email.like(format!("%@{DOMAIN}")))
        .select(users::id);
    let n: i64 = milestones::table
        .filter(milestones::user_id.eq_any(seeded))
        .count()
        .get_result(conn)?;
    Ok(n as usize)
}

/// On PostgreSQL, move the id sequences past the ids written here.
fn fix_sequences(conn: &mut DbConnection) -> Result<(), SeedError> {
    if !matches!(conn, DbConnection::Postgres(_)) {
        return Ok(());
    }
    for table in [
        "agencies",
        "units",
        "positions",
        "users",
        "enrollments",
        "completions",
    ] {
        diesel::sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        ))
        .execute(conn)?;
    }
    Ok(())
}
