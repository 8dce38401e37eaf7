//! Quiz attempts: start (draw the paper on the server and keep it), show the paper without any
//! answers, submit (grade once, on the server, against the deadline), show the results.
//!
//! Rules decided here:
//! - A reload never burns an attempt: starting while an attempt of the same quiz is still open
//!   returns that attempt. An open attempt whose deadline (plus [`grading::GRACE_SECONDS`]) has
//!   passed is closed first, as a late attempt graded on no answers.
//! - The attempts limit counts submitted attempts (late ones included).
//! - Retakes after passing are allowed while attempts remain: the best passing attempt counts
//!   ([`grading::best_attempt`]), so a retake can only raise the score that counts.
//! - A submission that arrives after the deadline plus grace is recorded as submitted and `late`,
//!   graded on an empty answer set (no autosave: nothing arrived in time), and never passes
//!   unless the pass mark is 0. It is never recorded as on time.
//! - Submitting an attempt that is already graded returns the stored result unchanged
//!   (a network retry or a double click grades once). The grading `UPDATE` is guarded by
//!   `submitted_at IS NULL`, so two concurrent submissions grade once.
//! - Answers arrive in *shown* option indices (what the page showed); they are mapped to source
//!   indices through the stored paper before grading.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;
use serde::Serialize;

use super::draw::{self, Paper, PoolQuestion};
use super::enroll::{self, Enrollment};
use super::grading::{self, QuestionResult, Response, Reveal};
use crate::catalog::folder::AnswerKey;
use crate::catalog::quiz::{Numeric, QuestionKind, Review};
use crate::db::json_text::JsonText;
use crate::db::schema::{
    course_versions, enrollments, modules, question_keys, questions, quiz_attempts,
};
use crate::db::{DbConnection, DbError};

/// The longest text answer accepted (characters).
pub const MAX_TEXT_CHARS: usize = 500;
/// The most options one answer may pick.
pub const MAX_CHOICES: usize = 64;

/// Answers as sent: 1-based question position on the paper → response, choices given as the
/// *shown* option indices.
pub type Answers = BTreeMap<usize, Response>;

/// A quiz module's settings.
#[derive(Debug, Clone, Serialize)]
pub struct QuizModule {
    pub id: i64,
    pub version_id: i64,
    pub slug: String,
    pub title: String,
    pub pass_mark: i32,
    /// 0 = unlimited.
    pub attempts: i32,
    pub time_limit_minutes: Option<i32>,
    pub shuffle: bool,
    pub draw: Option<i32>,
    /// When learners see the right answers.
    pub review: Review,
    pub question_count: i64,
}

/// One attempt, as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub id: i64,
    pub enrollment_id: i64,
    pub module_id: i64,
    pub number: i32,
    #[serde(skip)]
    pub paper: Paper,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub started_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub deadline_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub submitted_at: Option<NaiveDateTime>,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    pub late: bool,
}

impl Attempt {
    pub fn is_open(&self) -> bool {
        self.submitted_at.is_none()
    }
}

/// Why an attempt cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartRefused {
    /// The module is not a quiz of the enrollment's course version.
    NotAQuiz,
    /// Every allowed attempt has been used.
    NoAttemptsLeft { limit: i32 },
    /// The quiz has no questions.
    NoQuestions,
}

/// Why a submission is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitRefused {
    /// No such attempt, or not the caller's.
    NotFound,
}

crate::domain_error!(
    /// Starting an attempt: refused, or the database failed.
    pub StartError,
    StartRefused
);

crate::domain_error!(
    /// Submitting an attempt: refused, or the database failed.
    pub SubmitError,
    SubmitRefused
);

/// The outcome of a submission.
#[derive(Debug, Clone, Serialize)]
pub struct Graded {
    pub attempt: Attempt,
    /// This call graded it (false: it was already graded, the stored result is returned).
    pub graded_now: bool,
    /// The results, built from what was just graded (None when it was graded before: then
    /// [`results_view`] reads them back).
    pub results: Option<ResultsView>,
}

/// An attempt's row; the paper decodes strictly (a corrupt paper fails loudly).
#[derive(Queryable, Selectable)]
#[diesel(table_name = quiz_attempts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct AttemptRow {
    id: i64,
    enrollment_id: i64,
    module_id: i64,
    number: i32,
    paper: JsonText<Paper>,
    started_at: NaiveDateTime,
    deadline_at: Option<NaiveDateTime>,
    submitted_at: Option<NaiveDateTime>,
    score: Option<i32>,
    passed: Option<bool>,
    late: bool,
}

impl From<AttemptRow> for Attempt {
    fn from(r: AttemptRow) -> Attempt {
        Attempt {
            id: r.id,
            enrollment_id: r.enrollment_id,
            module_id: r.module_id,
            number: r.number,
            paper: r.paper.into_inner(),
            started_at: r.started_at,
            deadline_at: r.deadline_at,
            submitted_at: r.submitted_at,
            score: r.score,
            passed: r.passed,
            late: r.late,
        }
    }
}

/// The row [`start`] writes for a new attempt (`None` is written as NULL).
#[derive(Insertable)]
#[diesel(table_name = quiz_attempts, treat_none_as_null = true)]
struct NewAttempt {
    enrollment_id: i64,
    module_id: i64,
    number: i32,
    paper: String,
    started_at: NaiveDateTime,
    deadline_at: Option<NaiveDateTime>,
    late: bool,
}

fn internal(what: &str) -> DbError {
    DbError::Internal(what.to_string())
}

/// An attempt by id.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<Attempt>, DbError> {
    Ok(quiz_attempts::table
        .find(id)
        .select(AttemptRow::as_select())
        .first(conn)
        .optional()?
        .map(Attempt::from))
}

/// An attempt by id, only when it belongs to `user_id`.
pub fn find_owned(
    conn: &mut DbConnection,
    id: i64,
    user_id: i64,
) -> Result<Option<Attempt>, DbError> {
    Ok(quiz_attempts::table
        .inner_join(enrollments::table)
        .filter(quiz_attempts::id.eq(id))
        .filter(enrollments::user_id.eq(user_id))
        .select(AttemptRow::as_select())
        .first(conn)
        .optional()?
        .map(Attempt::from))
}

/// The attempts of one quiz by one enrollment, oldest first.
pub fn list(
    conn: &mut DbConnection,
    enrollment_id: i64,
    module_id: i64,
) -> Result<Vec<Attempt>, DbError> {
    Ok(quiz_attempts::table
        .filter(quiz_attempts::enrollment_id.eq(enrollment_id))
        .filter(quiz_attempts::module_id.eq(module_id))
        .order(quiz_attempts::number)
        .select(AttemptRow::as_select())
        .load::<AttemptRow>(conn)?
        .into_iter()
        .map(Attempt::from)
        .collect())
}

/// The attempt that counts among graded ones: the best passing, else the best score.
pub fn counting(attempts: &[Attempt]) -> Option<i64> {
    let graded: Vec<(i64, i32, bool, NaiveDateTime)> = attempts
        .iter()
        .filter_map(|a| Some((a.id, a.score?, a.passed?, a.submitted_at?)))
        .collect();
    grading::best_attempt(&graded)
}

/// A module's quiz settings as stored (`None`: the course's or the built-in default).
#[derive(Queryable, Selectable)]
#[diesel(table_name = modules)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct ModuleRow {
    id: i64,
    version_id: i64,
    slug: String,
    title: String,
    kind: String,
    pass_mark: Option<i32>,
    attempts: Option<i32>,
    time_limit_minutes: Option<i32>,
    shuffle: Option<bool>,
    draw: Option<i32>,
    review: Option<String>,
}

fn quiz_module_where(
    conn: &mut DbConnection,
    version_id: i64,
    module_id: Option<i64>,
    slug: Option<&str>,
) -> Result<Option<QuizModule>, DbError> {
    let mut query = modules::table
        .filter(modules::version_id.eq(version_id))
        .select(ModuleRow::as_select())
        .into_boxed();
    if let Some(id) = module_id {
        query = query.filter(modules::id.eq(id));
    }
    if let Some(s) = slug {
        query = query.filter(modules::slug.eq(s.to_string()));
    }
    let row: Option<ModuleRow> = query.first(conn).optional()?;
    let Some(ModuleRow {
        id,
        version_id,
        slug,
        title,
        kind,
        pass_mark,
        attempts,
        time_limit_minutes,
        shuffle,
        draw,
        review,
    }) = row
    else {
        return Ok(None);
    };
    if kind != "quiz" {
        return Ok(None);
    }
    let pass_mark = match pass_mark {
        Some(p) => p,
        None => course_versions::table
            .find(version_id)
            .select(course_versions::pass_mark)
            .first(conn)?,
    };
    let question_count: i64 = questions::table
        .filter(questions::module_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(Some(QuizModule {
        id,
        version_id,
        slug,
        title,
        pass_mark,
        attempts: attempts.unwrap_or(0).max(0),
        time_limit_minutes,
        shuffle: shuffle.unwrap_or(true),
        draw,
        review: Review::from_stored(review.as_deref()),
        question_count,
    }))
}

/// A quiz module of a course version, by id.
pub fn quiz_module(
    conn: &mut DbConnection,
    version_id: i64,
    module_id: i64,
) -> Result<Option<QuizModule>, DbError> {
    quiz_module_where(conn, version_id, Some(module_id), None)
}

/// A quiz module of a course version, by its slug.
pub fn quiz_module_by_slug(
    conn: &mut DbConnection,
    version_id: i64,
    slug: &str,
) -> Result<Option<QuizModule>, DbError> {
    quiz_module_where(conn, version_id, None, Some(slug))
}

/// Start an attempt (or return the one still open). See the module docs for the rules.
pub fn start<R: Rng + ?Sized>(
    conn: &mut DbConnection,
    enrollment: &Enrollment,
    module_id: i64,
    now: NaiveDateTime,
    rng: &mut R,
) -> Result<Attempt, StartError> {
    // a refusal still commits what came before it (an open attempt closed as late)
    let started = crate::db::transaction::<_, DbError, _>(conn, |conn| {
        let Some(quiz) = quiz_module(conn, enrollment.version_id, module_id)? else {
            return Ok(Err(StartRefused::NotAQuiz));
        };
        let existing = list(conn, enrollment.id, module_id)?;
        if let Some(open) = existing.iter().rev().find(|a| a.is_open()) {
            if grading::on_time(now, open.deadline_at, grading::GRACE_SECONDS) {
                return Ok(Ok(open.clone()));
            }
            close_late(conn, open, now)?;
        }
        let used = existing.len() as i64;
        if quiz.attempts > 0 && used >= i64::from(quiz.attempts) {
            return Ok(Err(StartRefused::NoAttemptsLeft {
                limit: quiz.attempts,
            }));
        }
        let pool: Vec<(i64, String, String)> = questions::table
            .filter(questions::module_id.eq(module_id))
            .order(questions::position)
            .select((questions::id, questions::kind, questions::options))
            .load(conn)?;
        if pool.is_empty() {
            return Ok(Err(StartRefused::NoQuestions));
        }
        let pool: Vec<PoolQuestion> = pool
            .iter()
            .map(|(id, kind, options)| {
                let kind = QuestionKind::parse(kind).unwrap_or(QuestionKind::ShortAnswer);
                PoolQuestion::new(*id, kind, option_count(options))
            })
            .collect();
        let paper = draw::draw_paper(&pool, quiz.shuffle, quiz.draw, rng);
        let number = existing.iter().map(|a| a.number).max().unwrap_or(0) + 1;
        let deadline = grading::deadline(now, quiz.time_limit_minutes);
        let paper_json = serde_json::to_string(&paper).map_err(|e| internal(&e.to_string()))?;
        let id: i64 = diesel::insert_into(quiz_attempts::table)
            .values(NewAttempt {
                enrollment_id: enrollment.id,
                module_id,
                number,
                paper: paper_json,
                started_at: now,
                deadline_at: deadline,
                late: false,
            })
            .returning(quiz_attempts::id)
            .get_result(conn)?;
        Ok(Ok(
            find(conn, id)?.ok_or_else(|| internal("attempt vanished"))?
        ))
    })?;
    Ok(started?)
}

fn option_count(options_json: &str) -> usize {
    serde_json::from_str::<Vec<String>>(options_json)
        .map(|v| v.len())
        .unwrap_or(0)
}

/// Close an open attempt whose time is up: submitted, late, graded on no answers.
fn close_late(conn: &mut DbConnection, open: &Attempt, now: NaiveDateTime) -> Result<(), DbError> {
    let scored = grade(conn, open, &Answers::new())?;
    store(conn, open, &scored, now, true)?;
    Ok(())
}

/// If `attempt` is open and its time (plus grace) is up, close it as late. Returns the attempt
/// as it now stands.
pub fn expire_if_due(
    conn: &mut DbConnection,
    attempt: Attempt,
    now: NaiveDateTime,
) -> Result<Attempt, DbError> {
    if !attempt.is_open() || grading::on_time(now, attempt.deadline_at, grading::GRACE_SECONDS) {
        return Ok(attempt);
    }
    crate::db::transaction(conn, |conn| {
        close_late(conn, &attempt, now)?;
        find(conn, attempt.id)?.ok_or_else(|| internal("attempt vanished"))
    })
}

/// The kinds of the questions on an attempt's paper, in paper order (to read a form's fields).
pub fn paper_kinds(
    conn: &mut DbConnection,
    attempt: &Attempt,
) -> Result<Vec<QuestionKind>, DbError> {
    let ids = attempt.paper.question_ids();
    let rows: Vec<(i64, String)> = questions::table
        .filter(questions::id.eq_any(&ids))
        .select((questions::id, questions::kind))
        .load(conn)?;
    Ok(ids
        .iter()
        .map(|id| {
            rows.iter()
                .find(|(q, _)| q == id)
                .and_then(|(_, k)| QuestionKind::parse(k))
                .unwrap_or(QuestionKind::ShortAnswer)
        })
        .collect())
}

/// Submit answers to an attempt. See the module docs for the rules.
///
/// Reading the attempt and its keys and grading it need no write lock; only storing does, and
/// it stores only if the attempt is still open then. Writers take turns on a database, so the
/// less each holds its turn, the more submissions a second.
pub fn submit(
    conn: &mut DbConnection,
    attempt_id: i64,
    user_id: i64,
    answers: &Answers,
    now: NaiveDateTime,
    on_completed: &super::completion::OnCompleted,
) -> Result<Graded, SubmitError> {
    // the reads before storing, on one snapshot (see `db::snapshot`)
    let read = crate::db::snapshot(conn, |conn| {
        let Some(attempt) = find_owned(conn, attempt_id, user_id)? else {
            return Err(SubmitError::from(SubmitRefused::NotFound));
        };
        if !attempt.is_open() {
            return Ok(Err(attempt));
        }
        let late = !grading::on_time(now, attempt.deadline_at, grading::GRACE_SECONDS);
        let empty = Answers::new();
        let used = if late { &empty } else { answers };
        let scored = grade(conn, &attempt, used)?;
        Ok(Ok((attempt, scored, late)))
    })?;
    let (attempt, scored, late) = match read {
        Ok(open) => open,
        Err(attempt) => {
            return Ok(Graded {
                attempt,
                graded_now: false,
                results: None,
            })
        }
    };
    crate::db::transaction(conn, move |conn| {
        let stored = store(conn, &attempt, &scored, now, late)?;
        let attempt = find(conn, attempt_id)?.ok_or_else(|| internal("attempt vanished"))?;
        if !stored {
            // another request stored it first: theirs is the result
            return Ok(Graded {
                attempt,
                graded_now: false,
                results: None,
            });
        }
        if attempt.passed == Some(true) {
            let enrollment = enroll::find(conn, attempt.enrollment_id)?
                .ok_or_else(|| internal("enrollment vanished"))?;
            super::completion::complete_if_done(conn, &enrollment, on_completed)?;
        }
        let reveal = reveal_for(conn, &attempt)?;
        let results = build_results(
            &attempt,
            scored.results,
            scored.pass_mark,
            scored.keyed,
            reveal,
        );
        Ok(Graded {
            attempt,
            graded_now: true,
            results: Some(results),
        })
    })
}

/// A question as the paper and the results show it; its options decode strictly.
#[derive(Queryable, Selectable)]
#[diesel(table_name = questions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct QuestionRow {
    id: i64,
    kind: String,
    prompt_html: String,
    options: JsonText<Vec<String>>,
}

/// A question's key; its JSON columns decode strictly.
#[derive(Queryable, Selectable)]
#[diesel(table_name = question_keys)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct KeyRow {
    answer: JsonText<AnswerKey>,
    feedback_html: Option<String>,
    option_feedback: JsonText<Vec<Option<String>>>,
}

struct KeyedQuestion {
    kind: QuestionKind,
    prompt_html: String,
    options: Vec<String>,
    key: Option<AnswerKey>,
    feedback_html: Option<String>,
    option_feedback: Vec<Option<String>>,
}

/// The questions of a paper with their keys, in paper order (None for a question that vanished).
fn keyed_questions(
    conn: &mut DbConnection,
    paper: &Paper,
) -> Result<Vec<Option<KeyedQuestion>>, DbError> {
    let ids = paper.question_ids();
    let rows: Vec<(QuestionRow, Option<KeyRow>)> = questions::table
        .left_join(question_keys::table)
        .filter(questions::id.eq_any(&ids))
        .select((QuestionRow::as_select(), Option::<KeyRow>::as_select()))
        .load(conn)?;
    Ok(ids
        .iter()
        .map(|id| {
            rows.iter()
                .find(|(q, _)| q.id == *id)
                .map(|(q, key)| KeyedQuestion {
                    kind: QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::ShortAnswer),
                    prompt_html: q.prompt_html.clone(),
                    options: q.options.0.clone(),
                    key: key.as_ref().map(|k| k.answer.0.clone()),
                    feedback_html: key.as_ref().and_then(|k| k.feedback_html.clone()),
                    option_feedback: key
                        .as_ref()
                        .map(|k| k.option_feedback.0.clone())
                        .unwrap_or_default(),
                })
        })
        .collect())
}

/// An attempt graded, ready to store, with what the results view needs.
struct Scored {
    /// The responses as stored (source option indices).
    responses: Vec<Option<Response>>,
    results: Vec<QuestionResult>,
    score: i32,
    passed: bool,
    pass_mark: i32,
    keyed: Vec<Option<KeyedQuestion>>,
}

/// Grade `answers` (shown indices) against the paper and its keys. Reads only.
fn grade(conn: &mut DbConnection, attempt: &Attempt, answers: &Answers) -> Result<Scored, DbError> {
    let enrollment_version: i64 = enrollments::table
        .find(attempt.enrollment_id)
        .select(enrollments::version_id)
        .first(conn)?;
    let pass_mark = quiz_module(conn, enrollment_version, attempt.module_id)?
        .map(|q| q.pass_mark)
        .unwrap_or(100);
    let questions = keyed_questions(conn, &attempt.paper)?;
    let mut responses: Vec<Option<Response>> = Vec::with_capacity(questions.len());
    let mut results: Vec<QuestionResult> = Vec::with_capacity(questions.len());
    for (i, (item, q)) in attempt.paper.items.iter().zip(&questions).enumerate() {
        let response = answers
            .get(&(i + 1))
            .map(|r| to_source(r, &item.option_order));
        let result = match q {
            Some(q) => match &q.key {
                Some(key) => {
                    grading::grade_question(q.kind, key, q.options.len(), response.as_ref())
                }
                None => QuestionResult::default(),
            },
            None => QuestionResult::default(),
        };
        responses.push(response);
        results.push(result);
    }
    let score = grading::score(&results);
    Ok(Scored {
        responses,
        passed: grading::passed(score, pass_mark),
        score,
        results,
        pass_mark,
        keyed: questions,
    })
}

/// Store a graded attempt if it is still open; false when another submission stored it first.
fn store(
    conn: &mut DbConnection,
    attempt: &Attempt,
    scored: &Scored,
    now: NaiveDateTime,
    late: bool,
) -> Result<bool, DbError> {
    let answers_json =
        serde_json::to_string(&scored.responses).map_err(|e| internal(&e.to_string()))?;
    let results_json =
        serde_json::to_string(&scored.results).map_err(|e| internal(&e.to_string()))?;
    let updated = diesel::update(
        quiz_attempts::table
            .filter(quiz_attempts::id.eq(attempt.id))
            .filter(quiz_attempts::submitted_at.is_null()),
    )
    .set((
        quiz_attempts::submitted_at.eq(Some(now)),
        quiz_attempts::answers.eq(Some(answers_json)),
        quiz_attempts::results.eq(Some(results_json)),
        quiz_attempts::score.eq(Some(scored.score)),
        quiz_attempts::passed.eq(Some(scored.passed)),
        quiz_attempts::late.eq(late),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Shown option indices → source indices (out-of-range ones dropped); text kept as is.
fn to_source(response: &Response, order: &[usize]) -> Response {
    match response {
        Response::Choices(shown) => Response::Choices(
            shown
                .iter()
                .take(MAX_CHOICES)
                .filter_map(|k| order.get(*k).copied())
                .collect(),
        ),
        Response::Text(t) => Response::Text(t.chars().take(MAX_TEXT_CHARS).collect()),
    }
}

// ---- views --------------------------------------------------------------------------------

/// An option as shown before grading: the shown index is its token.
#[derive(Debug, Clone, Serialize)]
pub struct ShownOption {
    pub index: usize,
    pub html: String,
}

/// A question as shown before grading: never its key or feedback.
#[derive(Debug, Clone, Serialize)]
pub struct ShownQuestion {
    /// 1-based position on the paper.
    pub position: usize,
    pub kind: QuestionKind,
    pub prompt_html: String,
    pub options: Vec<ShownOption>,
    pub multiple: bool,
    pub choice: bool,
    pub numeric: bool,
}

/// What the browser may see of an open attempt.
#[derive(Debug, Clone, Serialize)]
pub struct PaperView {
    pub attempt_id: i64,
    pub number: i32,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub started_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub deadline_at: Option<NaiveDateTime>,
    pub questions: Vec<ShownQuestion>,
}

/// The paper of an attempt as the learner sees it: prompts and options in the shown order.
pub fn paper_view(conn: &mut DbConnection, attempt: &Attempt) -> Result<PaperView, DbError> {
    let ids = attempt.paper.question_ids();
    let rows: Vec<QuestionRow> = questions::table
        .filter(questions::id.eq_any(&ids))
        .select(QuestionRow::as_select())
        .load(conn)?;
    let mut shown = Vec::new();
    for (i, item) in attempt.paper.items.iter().enumerate() {
        let Some(QuestionRow {
            kind,
            prompt_html: prompt,
            options,
            ..
        }) = rows.iter().find(|r| r.id == item.question_id)
        else {
            continue;
        };
        let kind = QuestionKind::parse(kind).unwrap_or(QuestionKind::ShortAnswer);
        shown.push(ShownQuestion {
            position: i + 1,
            kind,
            prompt_html: prompt.clone(),
            options: item
                .option_order
                .iter()
                .enumerate()
                .filter_map(|(k, src)| {
                    options.get(*src).map(|html| ShownOption {
                        index: k,
                        html: html.clone(),
                    })
                })
                .collect(),
            multiple: kind == QuestionKind::Multiple,
            choice: matches!(
                kind,
                QuestionKind::Single | QuestionKind::Multiple | QuestionKind::TrueFalse
            ),
            numeric: kind == QuestionKind::Numeric,
        });
    }
    Ok(PaperView {
        attempt_id: attempt.id,
        number: attempt.number,
        started_at: attempt.started_at,
        deadline_at: attempt.deadline_at,
        questions: shown,
    })
}

/// An option after grading.
#[derive(Debug, Clone, Serialize)]
pub struct ResultOption {
    pub index: usize,
    pub html: String,
    pub chosen: bool,
    /// Whether this option is a right one: present only when the right answers may be shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub right: Option<bool>,
    /// The option's feedback: every option's once the right answers may be shown, before that
    /// only a chosen option's (unless the quiz shows no feedback).
    pub feedback_html: Option<String>,
}

/// A question after grading.
#[derive(Debug, Clone, Serialize)]
pub struct ResultQuestion {
    pub position: usize,
    pub kind: QuestionKind,
    pub prompt_html: String,
    pub correct: bool,
    pub options: Vec<ResultOption>,
    pub feedback_html: Option<String>,
    /// Answered by typing (short answer, numeric).
    pub text_answer: bool,
    /// What the learner typed (short answer, numeric).
    pub given_text: Option<String>,
    /// The accepted answers (short answer) or the accepted value or range (numeric): present
    /// only when the right answers may be shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Vec<String>>,
}

/// A graded attempt, with everything that may be shown after grading.
#[derive(Debug, Clone, Serialize)]
pub struct ResultsView {
    pub attempt_id: i64,
    pub number: i32,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub submitted_at: Option<NaiveDateTime>,
    pub score: i32,
    pub passed: bool,
    pub late: bool,
    pub pass_mark: i32,
    pub correct_count: usize,
    /// The number of questions on the paper.
    pub total: usize,
    /// The quiz's `review` setting.
    pub review: Review,
    /// What these results show (the right answers only when `reveal.answers`).
    pub reveal: Reveal,
    pub questions: Vec<ResultQuestion>,
}

/// The results of a graded attempt. `None` while it is open: nothing about answers is shown
/// before grading.
pub fn results_view(
    conn: &mut DbConnection,
    attempt: &Attempt,
) -> Result<Option<ResultsView>, DbError> {
    if attempt.is_open() {
        return Ok(None);
    }
    let results_json: Option<String> = quiz_attempts::table
        .find(attempt.id)
        .select(quiz_attempts::results)
        .first(conn)?;
    let results: Vec<QuestionResult> = results_json
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    let version_id: i64 = enrollments::table
        .find(attempt.enrollment_id)
        .select(enrollments::version_id)
        .first(conn)?;
    let pass_mark = quiz_module(conn, version_id, attempt.module_id)?
        .map(|q| q.pass_mark)
        .unwrap_or(100);
    let keyed = keyed_questions(conn, &attempt.paper)?;
    let reveal = reveal_for(conn, attempt)?;
    Ok(Some(build_results(
        attempt, results, pass_mark, keyed, reveal,
    )))
}

/// What the results of `attempt` may show now, by the quiz's `review` setting and where its
/// learner stands: passed in any graded attempt, attempts left ([`grading::reveal`]).
pub fn reveal_for(conn: &mut DbConnection, attempt: &Attempt) -> Result<(Review, Reveal), DbError> {
    let version_id: i64 = enrollments::table
        .find(attempt.enrollment_id)
        .select(enrollments::version_id)
        .first(conn)?;
    let Some(quiz) = quiz_module(conn, version_id, attempt.module_id)? else {
        // no quiz settings to go by: show the least
        return Ok((Review::Never, grading::reveal(Review::Never, false, None)));
    };
    let all = list(conn, attempt.enrollment_id, attempt.module_id)?;
    let passed = all.iter().any(|a| a.passed == Some(true));
    let used = all.iter().filter(|a| !a.is_open()).count() as i64;
    let left = (quiz.attempts > 0).then(|| (i64::from(quiz.attempts) - used).max(0));
    Ok((quiz.review, grading::reveal(quiz.review, passed, left)))
}

/// The results page's data from a graded attempt, its per-question results, the pass mark and
/// the questions with their keys (in paper order).
fn build_results(
    attempt: &Attempt,
    results: Vec<QuestionResult>,
    pass_mark: i32,
    keyed: Vec<Option<KeyedQuestion>>,
    (review, reveal): (Review, Reveal),
) -> ResultsView {
    let mut questions = Vec::new();
    for (i, (item, q)) in attempt.paper.items.iter().zip(keyed).enumerate() {
        let Some(q) = q else { continue };
        let result = results.get(i).cloned().unwrap_or_default();
        let right: Vec<usize> = match &q.key {
            Some(AnswerKey::Choices { correct }) => correct.clone(),
            _ => Vec::new(),
        };
        let accepted = match &q.key {
            Some(AnswerKey::Short { accepted }) => accepted.clone(),
            Some(AnswerKey::Numeric { answer }) => vec![numeric_text(answer)],
            _ => Vec::new(),
        };
        let options = item
            .option_order
            .iter()
            .enumerate()
            .filter_map(|(k, src)| {
                q.options.get(*src).map(|html| {
                    let chosen = result.chosen.contains(src);
                    let feedback = reveal.answers || (reveal.feedback && chosen);
                    ResultOption {
                        index: k,
                        html: html.clone(),
                        chosen,
                        right: reveal.answers.then(|| right.contains(src)),
                        feedback_html: feedback
                            .then(|| q.option_feedback.get(*src).cloned().flatten())
                            .flatten(),
                    }
                })
            })
            .collect();
        questions.push(ResultQuestion {
            position: i + 1,
            kind: q.kind,
            prompt_html: q.prompt_html,
            correct: reveal.marks && result.correct,
            options,
            feedback_html: q.feedback_html.filter(|_| reveal.feedback),
            text_answer: matches!(q.kind, QuestionKind::ShortAnswer | QuestionKind::Numeric),
            given_text: result.given_text,
            accepted: reveal.answers.then_some(accepted),
        });
    }
    ResultsView {
        attempt_id: attempt.id,
        number: attempt.number,
        submitted_at: attempt.submitted_at,
        score: attempt.score.unwrap_or(0),
        passed: attempt.passed.unwrap_or(false),
        late: attempt.late,
        pass_mark,
        correct_count: results.iter().filter(|r| r.correct).count(),
        total: attempt.paper.items.len(),
        review,
        reveal,
        questions,
    }
}

fn number_text(x: f64) -> String {
    let s = format!("{x}");
    s.replace('.', ",")
}

/// A numeric key as people read it: `14`, `14 ± 0,5`, `10 – 20`.
fn numeric_text(n: &Numeric) -> String {
    match *n {
        Numeric::Exact { value, tolerance } if tolerance > 0.0 => {
            format!("{} ± {}", number_text(value), number_text(tolerance))
        }
        Numeric::Exact { value, .. } => number_text(value),
        Numeric::Range { min, max } => format!("{} – {}", number_text(min), number_text(max)),
    }
}

/// Where an attempt belongs: its course and quiz, for links and titles.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptContext {
    pub course_slug: String,
    pub course_title: String,
    pub module_slug: String,
    pub module_title: String,
    pub pass_mark: i32,
    pub attempts: i32,
    pub time_limit_minutes: Option<i32>,
}

/// The course and quiz an attempt belongs to.
pub fn context(conn: &mut DbConnection, attempt: &Attempt) -> Result<AttemptContext, DbError> {
    use crate::db::schema::courses;
    let (version_id, course_slug): (i64, String) = enrollments::table
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .filter(enrollments::id.eq(attempt.enrollment_id))
        .select((enrollments::version_id, courses::slug))
        .first(conn)?;
    let course_title: String = course_versions::table
        .find(version_id)
        .select(course_versions::title)
        .first(conn)?;
    let quiz = quiz_module(conn, version_id, attempt.module_id)?
        .ok_or_else(|| internal("quiz vanished"))?;
    Ok(AttemptContext {
        course_slug,
        course_title,
        module_slug: quiz.slug,
        module_title: quiz.title,
        pass_mark: quiz.pass_mark,
        attempts: quiz.attempts,
        time_limit_minutes: quiz.time_limit_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_indices_map_to_source_indices() {
        let order = [2, 0, 1];
        assert_eq!(
            to_source(&Response::Choices(vec![0, 2, 7]), &order),
            Response::Choices(vec![2, 1])
        );
        let long = "x".repeat(MAX_TEXT_CHARS + 10);
        let Response::Text(t) = to_source(&Response::Text(long), &order) else {
            panic!("text stays text");
        };
        assert_eq!(t.chars().count(), MAX_TEXT_CHARS);
    }

    #[test]
    fn numeric_keys_read_as_people_write_them() {
        assert_eq!(
            numeric_text(&Numeric::Exact {
                value: 20.0,
                tolerance: 0.0
            }),
            "20"
        );
        assert_eq!(
            numeric_text(&Numeric::Exact {
                value: 14.0,
                tolerance: 0.5
            }),
            "14 ± 0,5"
        );
        assert_eq!(
            numeric_text(&Numeric::Range {
                min: 10.0,
                max: 20.5
            }),
            "10 – 20,5"
        );
    }
}
