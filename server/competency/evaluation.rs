//! Training evaluation. At completion the learner rates the course (1–5) and may comment; three
//! months later the learner's supervisor is asked, through the outbox, how far the learner applies
//! what they learned. Results per course, for authors and admins, never name the learner.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

use crate::db::schema::{
    completions, course_reactions, course_versions, courses, impact_reviews, users,
};
use crate::db::{DbConnection, DbError};

/// Ratings run from 1 (not at all) to 5 (very much).
pub const RATING_MAX: i32 = 5;

/// The longest comment kept, in characters.
pub const COMMENT_MAX: usize = 1000;

/// The supervisor is asked this long after the completion.
pub const IMPACT_AFTER_DAYS: i64 = 90;

/// …and only while the completion is at most this much older than that, so that history
/// imported when an agency starts with Cakap does not flood supervisors with questions.
pub const IMPACT_WINDOW_DAYS: i64 = 60;

/// Most impact questions queued per pass (the next pass continues).
pub const PER_PASS: i64 = 500;
/// How long an unanswered impact question is mentioned in the supervisor's weekly digest (it
/// stays on `/team` until answered).
pub const IMPACT_DIGEST_DAYS: i64 = 28;

/// The most recent comments a results page shows.
pub const COMMENTS_SHOWN: i64 = 50;

/// A rating with an optional comment, as a learner or a supervisor gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub rating: i32,
    pub comment: String,
}

/// Why an answer is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No rating, or one outside 1–5.
    Rating,
    /// The comment is longer than [`COMMENT_MAX`].
    CommentTooLong,
    /// There is nothing to answer: the course is not completed, or the question is not theirs.
    NotOpen,
    /// Already answered; an answer is given once.
    AlreadyAnswered,
}

impl Refused {
    /// The message key (in `evaluation.toml`) that tells people what to do.
    pub fn key(self) -> &'static str {
        match self {
            Refused::Rating => "evaluation.error.rating",
            Refused::CommentTooLong => "evaluation.error.comment",
            Refused::NotOpen => "evaluation.error.not_open",
            Refused::AlreadyAnswered => "evaluation.error.already",
        }
    }

    /// The same in English, for API clients and logs.
    pub fn english(self) -> String {
        match self {
            Refused::Rating => format!("rating must be a whole number from 1 to {RATING_MAX}"),
            Refused::CommentTooLong => format!("comment is longer than {COMMENT_MAX} characters"),
            Refused::NotOpen => "there is nothing to evaluate here: complete the course first (or the question is not yours)".into(),
            Refused::AlreadyAnswered => "this has already been answered; an evaluation is given once".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{}", .0.english())]
    Refused(Refused),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<DieselError> for EvalError {
    fn from(e: DieselError) -> Self {
        EvalError::Db(e.into())
    }
}

/// Check a rating (as typed in a form) and a comment.
pub fn parse_answer(rating: &str, comment: &str) -> Result<Answer, Refused> {
    let rating: i32 = rating.trim().parse().map_err(|_| Refused::Rating)?;
    if !(1..=RATING_MAX).contains(&rating) {
        return Err(Refused::Rating);
    }
    let comment = comment.trim().replace("\r\n", "\n");
    if comment.chars().count() > COMMENT_MAX {
        return Err(Refused::CommentTooLong);
    }
    Ok(Answer { rating, comment })
}

/// How ratings are spread: the count of each value 1–5, their number and mean.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: i64,
    /// Mean rating, rounded to one decimal; None when there are none.
    pub average: Option<f64>,
    /// `distribution[i]` is the number of ratings equal to `i + 1`.
    pub distribution: [i64; RATING_MAX as usize],
}

impl Summary {
    /// From (rating, count) pairs; ratings outside 1–5 are ignored.
    pub fn from_counts(counts: impl IntoIterator<Item = (i32, i64)>) -> Summary {
        let mut s = Summary::default();
        let mut total = 0i64;
        for (rating, n) in counts {
            if (1..=RATING_MAX).contains(&rating) && n > 0 {
                s.distribution[(rating - 1) as usize] += n;
                s.count += n;
                total += i64::from(rating) * n;
            }
        }
        if s.count > 0 {
            s.average = Some((total as f64 / s.count as f64 * 10.0).round() / 10.0);
        }
        s
    }

    /// Each value's share of all ratings, in whole percent (for the bars of a results page).
    pub fn percents(&self) -> [i64; RATING_MAX as usize] {
        let mut out = [0; RATING_MAX as usize];
        if self.count > 0 {
            for (o, n) in out.iter_mut().zip(self.distribution) {
                *o = (n * 100 + self.count / 2) / self.count;
            }
        }
        out
    }
}

// ---------- the learner's reaction ----------

/// The learner's latest completion of the course `slug`: (completion id, course id).
pub fn completion_of(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
) -> Result<Option<(i64, i64)>, DbError> {
    Ok(completions::table
        .inner_join(courses::table.on(courses::id.eq(completions::course_id)))
        .filter(completions::user_id.eq(user_id))
        .filter(courses::slug.eq(slug))
        .order(completions::completed_at.desc())
        .select((completions::id, completions::course_id))
        .first(conn)
        .optional()?)
}

/// The reaction given for a completion, if any.
pub fn reaction_for(
    conn: &mut DbConnection,
    completion_id: i64,
) -> Result<Option<Answer>, DbError> {
    Ok(course_reactions::table
        .filter(course_reactions::completion_id.eq(completion_id))
        .select((course_reactions::rating, course_reactions::comment))
        .first::<(i32, String)>(conn)
        .optional()?
        .map(|(rating, comment)| Answer { rating, comment }))
}

/// Record the learner's reaction to their latest completion of `slug`; once per completion.
pub fn record_reaction(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
    answer: &Answer,
    now: NaiveDateTime,
) -> Result<(), EvalError> {
    let (completion, course) =
        completion_of(conn, user_id, slug)?.ok_or(EvalError::Refused(Refused::NotOpen))?;
    let inserted = diesel::insert_into(course_reactions::table)
        .values((
            course_reactions::completion_id.eq(completion),
            course_reactions::user_id.eq(user_id),
            course_reactions::course_id.eq(course),
            course_reactions::rating.eq(answer.rating),
            course_reactions::comment.eq(&answer.comment),
            course_reactions::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(EvalError::Refused(Refused::AlreadyAnswered))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- the supervisor's impact question ----------

/// An impact question as its supervisor sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactQuestion {
    pub id: i64,
    pub learner_id: i64,
    pub learner_name: String,
    pub course_slug: String,
    pub course_title: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub completed_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub asked_at: NaiveDateTime,
    pub answer: Option<Answer>,
}

/// An impact question with its learner, course and completion (see [`questions`]).
#[derive(Queryable, Selectable)]
#[diesel(table_name = impact_reviews, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct QuestionRow {
    id: i64,
    learner_id: i64,
    #[diesel(select_expression = users::name)]
    learner_name: String,
    #[diesel(select_expression = courses::slug)]
    course_slug: String,
    #[diesel(select_expression = course_versions::title)]
    course_title: String,
    #[diesel(select_expression = completions::completed_at)]
    completed_at: NaiveDateTime,
    asked_at: NaiveDateTime,
    rating: Option<i32>,
    comment: String,
}

fn questions(
    conn: &mut DbConnection,
    supervisor_id: i64,
    id: Option<i64>,
    open_only: bool,
) -> Result<Vec<ImpactQuestion>, DbError> {
    let mut q = impact_reviews::table
        .inner_join(users::table.on(users::id.eq(impact_reviews::learner_id)))
        .inner_join(courses::table.on(courses::id.eq(impact_reviews::course_id)))
        .inner_join(completions::table.on(completions::id.eq(impact_reviews::completion_id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(completions::version_id)))
        .filter(impact_reviews::supervisor_id.eq(supervisor_id))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(impact_reviews::id.eq(id));
    }
    if open_only {
        q = q.filter(impact_reviews::answered_at.is_null());
    }
    let rows: Vec<QuestionRow> = q
        .order(impact_reviews::asked_at.desc())
        .select(QuestionRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| ImpactQuestion {
            id: r.id,
            learner_id: r.learner_id,
            learner_name: r.learner_name,
            course_slug: r.course_slug,
            course_title: r.course_title,
            completed_at: r.completed_at,
            asked_at: r.asked_at,
            answer: r.rating.map(|rating| Answer {
                rating,
                comment: r.comment,
            }),
        })
        .collect())
}

/// The questions waiting for `supervisor_id`'s answer, newest first.
pub fn open_questions(
    conn: &mut DbConnection,
    supervisor_id: i64,
) -> Result<Vec<ImpactQuestion>, DbError> {
    questions(conn, supervisor_id, None, true)
}

/// One question, when it was put to `supervisor_id` (anyone else gets None).
pub fn question(
    conn: &mut DbConnection,
    supervisor_id: i64,
    id: i64,
) -> Result<Option<ImpactQuestion>, DbError> {
    Ok(questions(conn, supervisor_id, Some(id), false)?.pop())
}

/// The supervisor answers question `id`; once.
pub fn answer_impact(
    conn: &mut DbConnection,
    supervisor_id: i64,
    id: i64,
    answer: &Answer,
    now: NaiveDateTime,
) -> Result<(), EvalError> {
    let updated = diesel::update(
        impact_reviews::table
            .filter(impact_reviews::id.eq(id))
            .filter(impact_reviews::supervisor_id.eq(supervisor_id))
            .filter(impact_reviews::answered_at.is_null()),
    )
    .set((
        impact_reviews::rating.eq(Some(answer.rating)),
        impact_reviews::comment.eq(&answer.comment),
        impact_reviews::answered_at.eq(Some(now)),
    ))
    .execute(conn)?;
    if updated == 1 {
        return Ok(());
    }
    match question(conn, supervisor_id, id)? {
        Some(_) => Err(EvalError::Refused(Refused::AlreadyAnswered)),
        None => Err(EvalError::Refused(Refused::NotOpen)),
    }
}

/// A completion whose impact question is due.
#[derive(Debug, Clone)]
struct Due {
    completion_id: i64,
    learner_id: i64,
    course_id: i64,
    supervisor_id: i64,
}

/// A completion old enough to ask about, with its learner and their supervisor.
#[derive(Queryable, Selectable)]
#[diesel(table_name = completions, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct DueRow {
    #[diesel(column_name = id)]
    completion_id: i64,
    #[diesel(select_expression = users::id)]
    learner_id: i64,
    course_id: i64,
    #[diesel(select_expression = users::supervisor_id)]
    supervisor_id: Option<i64>,
}

fn due(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<Due>, DbError> {
    let latest = now - Duration::days(IMPACT_AFTER_DAYS);
    let earliest = latest - Duration::days(IMPACT_WINDOW_DAYS);
    let asked = impact_reviews::table.select(impact_reviews::completion_id);
    let rows: Vec<DueRow> = completions::table
        .inner_join(users::table.on(users::id.eq(completions::user_id)))
        .filter(completions::completed_at.le(latest))
        .filter(completions::completed_at.gt(earliest))
        .filter(users::supervisor_id.is_not_null())
        .filter(users::disabled.eq(false))
        .filter(diesel::dsl::not(completions::id.eq_any(asked)))
        .order(completions::id)
        .limit(PER_PASS)
        .select(DueRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Due {
                completion_id: r.completion_id,
                learner_id: r.learner_id,
                course_id: r.course_id,
                supervisor_id: r.supervisor_id?,
            })
        })
        .collect())
}

/// Open the impact question for the supervisor of every learner whose completion is
/// [`IMPACT_AFTER_DAYS`] old: one row per completion (unique), so each is asked once however many
/// servers run this. No mail of its own: open questions are folded into the supervisor's weekly
/// digest (`reminders::supervisor_digests`), which links the list on `/team`. Returns how many
/// were opened.
pub fn ask_impact(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, DbError> {
    let mut opened = 0;
    for d in due(conn, now)? {
        // A savepoint: another server opening the same question wins, this pass carries on.
        let result = crate::db::transaction(conn, |conn| {
            diesel::insert_into(impact_reviews::table)
                .values((
                    impact_reviews::completion_id.eq(d.completion_id),
                    impact_reviews::learner_id.eq(d.learner_id),
                    impact_reviews::supervisor_id.eq(d.supervisor_id),
                    impact_reviews::course_id.eq(d.course_id),
                    impact_reviews::asked_at.eq(now),
                    impact_reviews::comment.eq(""),
                ))
                .execute(conn)
        });
        match result {
            Ok(_) => opened += 1,
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(opened)
}

/// Open questions asked of each supervisor since `since` (learner, course), for the weekly
/// digest.
pub fn open_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> Result<Vec<(i64, String, String)>, DbError> {
    Ok(impact_reviews::table
        .inner_join(users::table.on(users::id.eq(impact_reviews::learner_id)))
        .inner_join(completions::table.on(completions::id.eq(impact_reviews::completion_id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(completions::version_id)))
        .filter(impact_reviews::answered_at.is_null())
        .filter(impact_reviews::asked_at.gt(since))
        .order((impact_reviews::supervisor_id, impact_reviews::asked_at))
        .select((
            impact_reviews::supervisor_id,
            users::name,
            course_versions::title,
        ))
        .load(conn)?)
}

// ---------- results ----------

/// Whose answers a results page counts: everyone's, or those of one agency's people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Agency(i64),
}

/// A comment as results show it: no name, only the date and the rating given with it.
#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub rating: i32,
    pub text: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub date: NaiveDateTime,
}

/// The evaluation of one course.
#[derive(Debug, Clone, Serialize)]
pub struct CourseResults {
    pub course_id: i64,
    pub slug: String,
    pub title: String,
    /// Completions in scope (the population the response rates are of).
    pub completions: i64,
    pub reaction: Summary,
    pub reaction_comments: Vec<Comment>,
    /// Impact questions asked, and the answers' summary.
    pub impact_asked: i64,
    pub impact: Summary,
    pub impact_comments: Vec<Comment>,
}

/// One line of the overview of every course.
#[derive(Debug, Clone, Serialize)]
pub struct CourseLine {
    pub slug: String,
    pub title: String,
    pub completions: i64,
    pub reaction: Summary,
    pub impact_asked: i64,
    pub impact: Summary,
}

/// `$query` (boxed) narrowed to the people of the scope, through its column `$user`.
macro_rules! in_scope {
    ($query:expr, $user:expr, $scope:expr) => {{
        let q = $query;
        match $scope {
            Scope::All => q,
            Scope::Agency(a) => q.filter(
                $user.eq_any(
                    users::table
                        .filter(users::agency_id.eq(a))
                        .select(users::id),
                ),
            ),
        }
    }};
}

fn completion_counts(
    conn: &mut DbConnection,
    scope: Scope,
    course: Option<i64>,
) -> Result<Vec<(i64, i64)>, DbError> {
    let q = completions::table
        .group_by(completions::course_id)
        .select((completions::course_id, diesel::dsl::count_star()))
        .into_boxed();
    let mut q = in_scope!(q, completions::user_id, scope);
    if let Some(c) = course {
        q = q.filter(completions::course_id.eq(c));
    }
    Ok(q.load(conn)?)
}

fn reaction_counts(
    conn: &mut DbConnection,
    scope: Scope,
    course: Option<i64>,
) -> Result<Vec<(i64, i32, i64)>, DbError> {
    let q = course_reactions::table
        .group_by((course_reactions::course_id, course_reactions::rating))
        .select((
            course_reactions::course_id,
            course_reactions::rating,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    let mut q = in_scope!(q, course_reactions::user_id, scope);
    if let Some(c) = course {
        q = q.filter(course_reactions::course_id.eq(c));
    }
    Ok(q.load(conn)?)
}

/// (course, rating or None when unanswered, count)
fn impact_counts(
    conn: &mut DbConnection,
    scope: Scope,
    course: Option<i64>,
) -> Result<Vec<(i64, Option<i32>, i64)>, DbError> {
    let q = impact_reviews::table
        .group_by((impact_reviews::course_id, impact_reviews::rating))
        .select((
            impact_reviews::course_id,
            impact_reviews::rating,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    let mut q = in_scope!(q, impact_reviews::learner_id, scope);
    if let Some(c) = course {
        q = q.filter(impact_reviews::course_id.eq(c));
    }
    Ok(q.load(conn)?)
}

/// Every published course with its completions and evaluation summaries, in title order.
pub fn overview(conn: &mut DbConnection, scope: Scope) -> Result<Vec<CourseLine>, DbError> {
    let list: Vec<(i64, String, String)> = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .order(course_versions::title)
        .select((courses::id, courses::slug, course_versions::title))
        .load(conn)?;
    let done = completion_counts(conn, scope, None)?;
    let reactions = reaction_counts(conn, scope, None)?;
    let impacts = impact_counts(conn, scope, None)?;
    Ok(list
        .into_iter()
        .map(|(id, slug, title)| {
            let completions = done.iter().find(|d| d.0 == id).map_or(0, |d| d.1);
            let reaction =
                Summary::from_counts(reactions.iter().filter(|r| r.0 == id).map(|r| (r.1, r.2)));
            let impact_asked = impacts.iter().filter(|r| r.0 == id).map(|r| r.2).sum();
            let impact = Summary::from_counts(
                impacts
                    .iter()
                    .filter(|r| r.0 == id)
                    .filter_map(|r| Some((r.1?, r.2))),
            );
            CourseLine {
                slug,
                title,
                completions,
                reaction,
                impact_asked,
                impact,
            }
        })
        .collect())
}

/// The evaluation of the course `slug`, or None when there is no such course.
pub fn course_results(
    conn: &mut DbConnection,
    slug: &str,
    scope: Scope,
) -> Result<Option<CourseResults>, DbError> {
    let Some((course_id, slug, title)) = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .filter(courses::slug.eq(slug))
        .select((courses::id, courses::slug, course_versions::title))
        .first::<(i64, String, String)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let completions = completion_counts(conn, scope, Some(course_id))?
        .first()
        .map_or(0, |c| c.1);
    let reaction = Summary::from_counts(
        reaction_counts(conn, scope, Some(course_id))?
            .into_iter()
            .map(|r| (r.1, r.2)),
    );
    let impacts = impact_counts(conn, scope, Some(course_id))?;
    let impact_asked = impacts.iter().map(|r| r.2).sum();
    let impact = Summary::from_counts(impacts.iter().filter_map(|r| Some((r.1?, r.2))));
    let reaction_comments = reaction_comments(conn, scope, course_id)?;
    let impact_comments = impact_comments(conn, scope, course_id)?;
    Ok(Some(CourseResults {
        course_id,
        slug,
        title,
        completions,
        reaction,
        reaction_comments,
        impact_asked,
        impact,
        impact_comments,
    }))
}

/// The latest comments of the course's reactions in `scope`.
fn reaction_comments(
    conn: &mut DbConnection,
    scope: Scope,
    course_id: i64,
) -> Result<Vec<Comment>, DbError> {
    Ok(in_scope!(
        course_reactions::table.into_boxed(),
        course_reactions::user_id,
        scope
    )
    .filter(course_reactions::course_id.eq(course_id))
    .filter(course_reactions::comment.ne(""))
    .order(course_reactions::created_at.desc())
    .limit(COMMENTS_SHOWN)
    .select((
        course_reactions::rating,
        course_reactions::comment,
        course_reactions::created_at,
    ))
    .load::<(i32, String, NaiveDateTime)>(conn)?
    .into_iter()
    .map(|(rating, text, date)| Comment { rating, text, date })
    .collect())
}

/// The latest comments of the course's answered impact reviews in `scope`.
fn impact_comments(
    conn: &mut DbConnection,
    scope: Scope,
    course_id: i64,
) -> Result<Vec<Comment>, DbError> {
    Ok(in_scope!(
        impact_reviews::table.into_boxed(),
        impact_reviews::learner_id,
        scope
    )
    .filter(impact_reviews::course_id.eq(course_id))
    .filter(impact_reviews::comment.ne(""))
    .filter(impact_reviews::answered_at.is_not_null())
    .order(impact_reviews::answered_at.desc())
    .limit(COMMENTS_SHOWN)
    .select((
        impact_reviews::rating,
        impact_reviews::comment,
        impact_reviews::answered_at,
    ))
    .load::<(Option<i32>, String, Option<NaiveDateTime>)>(conn)?
    .into_iter()
    .filter_map(|(rating, text, date)| {
        Some(Comment {
            rating: rating?,
            text,
            date: date?,
        })
    })
    .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked() {
        assert_eq!(
            parse_answer(" 4 ", "  Sangat berguna.\r\nTerima kasih "),
            Ok(Answer {
                rating: 4,
                comment: "Sangat berguna.\nTerima kasih".into()
            })
        );
        assert_eq!(
            parse_answer("5", ""),
            Ok(Answer {
                rating: 5,
                comment: String::new()
            })
        );
        for bad in ["", "0", "6", "-1", "4.5", "empat", "99999999999"] {
            assert_eq!(parse_answer(bad, ""), Err(Refused::Rating), "{bad:?}");
        }
        let long = "é".repeat(COMMENT_MAX + 1);
        assert_eq!(parse_answer("3", &long), Err(Refused::CommentTooLong));
        assert!(parse_answer("3", &"é".repeat(COMMENT_MAX)).is_ok());
    }

    #[test]
    fn summaries_count_average_and_spread() {
        let s = Summary::from_counts([(5, 3), (4, 1), (1, 1), (7, 9), (3, 0)]);
        assert_eq!(s.count, 5);
        assert_eq!(s.distribution, [1, 0, 0, 1, 3]);
        assert_eq!(s.average, Some(4.0)); // (5*3 + 4 + 1) / 5
        assert_eq!(s.percents(), [20, 0, 0, 20, 60]);
        let s = Summary::from_counts([(4, 2), (5, 1)]);
        assert_eq!(s.average, Some(4.3)); // 13 / 3 = 4.33…
        let empty = Summary::from_counts([]);
        assert_eq!(empty.count, 0);
        assert_eq!(empty.average, None);
        assert_eq!(empty.percents(), [0; 5]);
    }

    #[test]
    fn refusals_have_messages() {
        for r in [
            Refused::Rating,
            Refused::CommentTooLong,
            Refused::NotOpen,
            Refused::AlreadyAnswered,
        ] {
            assert!(r.key().starts_with("evaluation.error."));
            assert!(!r.english().is_empty());
        }
    }
}
