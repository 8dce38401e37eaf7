//! Quiz statistics for authors (plain Rust, no database): per quiz, the attempts, the pass rate
//! and how scores spread; per question, how many answered it correctly (facility) and how well it
//! separates strong learners from weak ones (discrimination), with a flag when a question is too
//! easy, too hard, or misleading (the strong get it wrong more often than the weak: often a wrong
//! answer key or an ambiguous option).

use serde::Serialize;

/// Fewer graded answers than this and a question gets no verdict yet.
pub const MIN_ANSWERS: usize = 5;

/// Facility above this: too easy (nearly everyone is right).
pub const TOO_EASY: f64 = 0.9;

/// Facility below this: too hard.
pub const TOO_HARD: f64 = 0.3;

/// Discrimination below this (and not negative): the question hardly tells strong from weak.
pub const WEAK: f64 = 0.2;

/// The share of attempts in the upper and in the lower group (the classic 27 %).
pub const GROUP_SHARE: f64 = 0.27;

/// One graded attempt: its score and, per question on its paper, whether it was right.
#[derive(Debug, Clone, PartialEq)]
pub struct GradedAttempt {
    pub score: i32,
    pub passed: bool,
    pub answers: Vec<(i64, bool)>,
}

/// What a question's figures say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    NotEnoughData,
    Good,
    TooEasy,
    TooHard,
    /// Strong learners are right less often than weak ones.
    Misleading,
    /// Hardly separates strong from weak.
    Weak,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::NotEnoughData => "quizstats.verdict.not_enough_data",
            Verdict::Good => "quizstats.verdict.good",
            Verdict::TooEasy => "quizstats.verdict.too_easy",
            Verdict::TooHard => "quizstats.verdict.too_hard",
            Verdict::Misleading => "quizstats.verdict.misleading",
            Verdict::Weak => "quizstats.verdict.weak",
        }
    }

    /// Whether the author should look at the question.
    pub fn flagged(self) -> bool {
        !matches!(self, Verdict::Good | Verdict::NotEnoughData)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionStats {
    pub question_id: i64,
    /// Graded answers to it (a drawn quiz shows each question to some attempts only).
    pub answered: usize,
    pub correct: usize,
    /// correct / answered.
    pub facility: Option<f64>,
    /// Share right in the upper group minus share right in the lower group, −1 … 1.
    pub discrimination: Option<f64>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuizStats {
    pub attempts: usize,
    pub passed: usize,
    pub pass_rate: Option<f64>,
    pub mean_score: Option<f64>,
    pub median_score: Option<f64>,
    /// Scores in bands of ten: `bands[i]` counts scores from 10·i to 10·i + 9 (the last band
    /// includes 100).
    pub bands: [usize; 10],
    pub questions: Vec<QuestionStats>,
}

fn verdict(answered: usize, facility: f64, discrimination: Option<f64>) -> Verdict {
    if answered < MIN_ANSWERS {
        return Verdict::NotEnoughData;
    }
    match discrimination {
        Some(d) if d < 0.0 => return Verdict::Misleading,
        _ => {}
    }
    if facility > TOO_EASY {
        Verdict::TooEasy
    } else if facility < TOO_HARD {
        Verdict::TooHard
    } else if discrimination.is_some_and(|d| d < WEAK) {
        Verdict::Weak
    } else {
        Verdict::Good
    }
}

/// The statistics of a quiz from its graded attempts; `questions` lists the quiz's question ids
/// in their order (each gets a line, answered or not).
pub fn compute(attempts: &[GradedAttempt], questions: &[i64]) -> QuizStats {
    let n = attempts.len();
    let passed = attempts.iter().filter(|a| a.passed).count();
    let mut scores: Vec<i32> = attempts.iter().map(|a| a.score.clamp(0, 100)).collect();
    scores.sort_unstable();
    let mut bands = [0usize; 10];
    for s in &scores {
        bands[((*s / 10) as usize).min(9)] += 1;
    }
    let mean = (n > 0).then(|| scores.iter().map(|s| f64::from(*s)).sum::<f64>() / n as f64);
    let median = (n > 0).then(|| {
        if n % 2 == 1 {
            f64::from(scores[n / 2])
        } else {
            f64::from(scores[n / 2 - 1] + scores[n / 2]) / 2.0
        }
    });

    // upper and lower groups by score (ties broken by order, which is stable)
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|i| attempts[*i].score);
    let group = ((n as f64) * GROUP_SHARE).round() as usize;
    let group = group.max(usize::from(n >= 2)).min(n / 2);
    let lower: Vec<usize> = order[..group].to_vec();
    let upper: Vec<usize> = order[n - group..].to_vec();

    let right_in = |ids: &[usize], q: i64| -> Option<f64> {
        let seen: Vec<bool> = ids
            .iter()
            .filter_map(|i| {
                attempts[*i]
                    .answers
                    .iter()
                    .find(|(id, _)| *id == q)
                    .map(|(_, c)| *c)
            })
            .collect();
        (!seen.is_empty()).then(|| seen.iter().filter(|c| **c).count() as f64 / seen.len() as f64)
    };

    let questions = questions
        .iter()
        .map(|q| {
            let mut answered = 0;
            let mut correct = 0;
            for a in attempts {
                if let Some((_, c)) = a.answers.iter().find(|(id, _)| id == q) {
                    answered += 1;
                    correct += usize::from(*c);
                }
            }
            let facility = (answered > 0).then(|| correct as f64 / answered as f64);
            let discrimination = match (right_in(&upper, *q), right_in(&lower, *q)) {
                (Some(u), Some(l)) if group > 0 => Some(u - l),
                _ => None,
            };
            QuestionStats {
                question_id: *q,
                answered,
                correct,
                facility,
                discrimination,
                verdict: verdict(answered, facility.unwrap_or(0.0), discrimination),
            }
        })
        .collect();
    QuizStats {
        attempts: n,
        passed,
        pass_rate: (n > 0).then(|| passed as f64 / n as f64),
        mean_score: mean,
        median_score: median,
        bands,
        questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(score: i32, answers: &[(i64, bool)]) -> GradedAttempt {
        GradedAttempt {
            score,
            passed: score >= 70,
            answers: answers.to_vec(),
        }
    }

    #[test]
    fn quiz_figures_count_pass_rate_mean_median_and_bands() {
        let a = [
            attempt(100, &[]),
            attempt(85, &[]),
            attempt(70, &[]),
            attempt(40, &[]),
        ];
        let s = compute(&a, &[]);
        assert_eq!(s.attempts, 4);
        assert_eq!(s.passed, 3);
        assert_eq!(s.pass_rate, Some(0.75));
        assert_eq!(s.mean_score, Some(73.75));
        assert_eq!(s.median_score, Some(77.5));
        assert_eq!(s.bands, [0, 0, 0, 0, 1, 0, 0, 1, 1, 1]);
        let empty = compute(&[], &[1]);
        assert_eq!((empty.pass_rate, empty.mean_score), (None, None));
        assert_eq!(empty.questions[0].verdict, Verdict::NotEnoughData);
    }

    #[test]
    fn questions_get_facility_discrimination_and_a_verdict() {
        // ten attempts; q1 right only for the strong (good), q2 right for all (too easy),
        // q3 right for nobody (too hard), q4 right only for the weak (misleading)
        let mut a = Vec::new();
        for i in 0..10 {
            let strong = i >= 5;
            a.push(attempt(
                if strong { 90 - i } else { 30 + i },
                &[(1, strong), (2, true), (3, false), (4, !strong)],
            ));
        }
        let s = compute(&a, &[1, 2, 3, 4, 5]);
        let q = |id: i64| s.questions.iter().find(|q| q.question_id == id).unwrap();
        assert_eq!(q(1).facility, Some(0.5));
        assert_eq!(q(1).discrimination, Some(1.0));
        assert_eq!(q(1).verdict, Verdict::Good);
        assert_eq!(q(2).verdict, Verdict::TooEasy);
        assert_eq!(q(2).discrimination, Some(0.0));
        assert_eq!(q(3).verdict, Verdict::TooHard);
        assert_eq!(q(4).discrimination, Some(-1.0));
        assert_eq!(q(4).verdict, Verdict::Misleading);
        assert!(q(4).verdict.flagged());
        assert_eq!(q(5).answered, 0);
        assert_eq!(q(5).verdict, Verdict::NotEnoughData);
    }

    #[test]
    fn few_answers_get_no_verdict_and_drawn_questions_count_where_shown() {
        let a = [
            attempt(100, &[(1, true)]),
            attempt(50, &[(2, false)]),
            attempt(80, &[(1, true)]),
        ];
        let s = compute(&a, &[1, 2]);
        assert_eq!(s.questions[0].answered, 2);
        assert_eq!(s.questions[0].verdict, Verdict::NotEnoughData);
        assert_eq!(s.questions[1].answered, 1);
    }

    #[test]
    fn weak_separation_is_flagged() {
        // right for two of the three weakest and two of the three strongest: D = 0
        let mut a = Vec::new();
        for i in 0..10 {
            a.push(attempt(10 * i, &[(1, matches!(i, 1 | 2 | 5 | 7 | 8))]));
        }
        let s = compute(&a, &[1]);
        let d = s.questions[0].discrimination.unwrap();
        assert!(d.abs() < WEAK, "{d}");
        assert_eq!(s.questions[0].verdict, Verdict::Weak);
    }
}
