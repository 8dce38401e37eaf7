//! What happened, as plain values that one feature hands to the features that follow it: a course
//! completion goes from learning to the competency evidence, the certificate and the milestones
//! (wired in `crate::hooks`). A leaf, so that those features need not import learning.

use serde::Serialize;

/// What a completion records.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Completion {
    pub id: i64,
    pub enrollment_id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub version_id: i64,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub completed_at: chrono::NaiveDateTime,
    pub jp: i32,
    /// (code, level)
    pub competencies: Vec<(String, i32)>,
    /// The best quiz score that counted, if the course has quizzes.
    pub score: Option<i32>,
}
