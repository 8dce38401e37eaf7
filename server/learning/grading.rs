//! Grading quiz attempts: right or wrong per question, the score, the attempt that counts, and
//! the time limit.
//!
//! Pure functions over plain values. Option indices are always *source* indices (the order in the
//! course file, as stored in `questions.options`), whatever order the [`Paper`] showed them in.
//!
//! [`Paper`]: super::draw::Paper

use std::cmp::Reverse;
use std::collections::BTreeSet;

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::catalog::folder::AnswerKey;
use crate::catalog::quiz::{fold_short_answer, parse_number, QuestionKind, Review};

/// Seconds a submission may arrive after the deadline and still count: the page's timer submits
/// at zero, and the request needs a moment to get through a slow link.
pub const GRACE_SECONDS: i64 = 30;

/// What a learner submitted for one question. A question left unanswered has no `Response` at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Source indices of the options chosen (single, multiple, true/false).
    #[serde(deserialize_with = "crate::numbers::wholes")]
    Choices(Vec<usize>),
    /// The text typed (short answer, numeric).
    Text(String),
}

/// The outcome of one question, kept with the attempt and shown once it is graded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuestionResult {
    pub correct: bool,
    /// The options chosen, for display: source indices, sorted, without duplicates, only those
    /// that exist (an out-of-range index still makes the answer wrong). Empty when nothing was
    /// chosen, and for questions answered by text.
    pub chosen: Vec<usize>,
    /// The text given, for display, with its ends trimmed; `None` when nothing (or only
    /// whitespace) was given, and for choice questions.
    pub given_text: Option<String>,
}

/// Grade one question.
///
/// - single choice, true/false: exactly one option chosen, and it is the right one;
/// - multiple answer: all-or-nothing, the set chosen equals the set of right options (duplicates
///   and order do not matter);
/// - any choice question: an index `>= option_count` makes the answer wrong;
/// - short answer: matches any accepted answer after [`fold_short_answer`] (case and whitespace
///   folded); an empty or whitespace-only answer is wrong;
/// - numeric: parses with [`parse_number`] (`14`, `14.5`, `14,5`, `-3`, `+2`) and is accepted by
///   the key's tolerance or range, both ends inclusive; what does not parse is wrong.
///
/// A missing response, a response of the wrong shape (text for a choice question, choices for a
/// text question) or a key that does not fit the kind is wrong. Nothing here panics.
pub fn grade_question(
    kind: QuestionKind,
    key: &AnswerKey,
    option_count: usize,
    response: Option<&Response>,
) -> QuestionResult {
    match kind {
        QuestionKind::Single | QuestionKind::TrueFalse | QuestionKind::Multiple => {
            let Some(Response::Choices(raw)) = response else {
                return QuestionResult::default();
            };
            let chosen: BTreeSet<usize> = raw.iter().copied().collect();
            let correct = match key {
                AnswerKey::Choices { correct } => {
                    let right: BTreeSet<usize> = correct.iter().copied().collect();
                    !chosen.is_empty()
                        && chosen.iter().all(|&i| i < option_count)
                        && (kind == QuestionKind::Multiple || chosen.len() == 1)
                        && chosen == right
                }
                _ => false,
            };
            QuestionResult {
                correct,
                chosen: chosen.into_iter().filter(|&i| i < option_count).collect(),
                given_text: None,
            }
        }
        QuestionKind::ShortAnswer | QuestionKind::Numeric => {
            let Some(Response::Text(given)) = response else {
                return QuestionResult::default();
            };
            let correct = match (kind, key) {
                (QuestionKind::ShortAnswer, AnswerKey::Short { accepted }) => {
                    let folded = fold_short_answer(given);
                    !folded.is_empty() && accepted.iter().any(|a| fold_short_answer(a) == folded)
                }
                (QuestionKind::Numeric, AnswerKey::Numeric { answer }) => {
                    parse_number(given).is_some_and(|x| answer.accepts(x))
                }
                _ => false,
            };
            let trimmed = given.trim();
            QuestionResult {
                correct,
                chosen: Vec::new(),
                given_text: (!trimmed.is_empty()).then(|| trimmed.to_string()),
            }
        }
    }
}

/// The score of an attempt, 0–100: the share of questions answered correctly, as a percentage
/// rounded to the nearest integer, halves up (1/8 = 12.5 → 13; 1/3 → 33; 2/3 → 67). An attempt
/// with no questions scores 0.
pub fn score(results: &[QuestionResult]) -> i32 {
    let total = results.len() as u64;
    if total == 0 {
        return 0;
    }
    let correct = results.iter().filter(|r| r.correct).count() as u64;
    // round(100 * c / n) with halves up, in integers: floor((200c + n) / 2n)
    ((200 * correct + total) / (2 * total)) as i32
}

/// Whether a score passes: at least the pass mark.
pub fn passed(score: i32, pass_mark: i32) -> bool {
    score >= pass_mark
}

/// What a graded attempt's results may show, decided by [`reveal`]. Every place that shows
/// results (the result page, the attempt API, earlier attempts' pages) builds them through this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reveal {
    /// Per question right or wrong, and the score (always true: the learner may know how they did).
    pub marks: bool,
    /// The question's feedback, and the feedback of the options the learner chose.
    pub feedback: bool,
    /// The right options, the accepted answers, and every option's feedback.
    pub answers: bool,
}

/// What the results of a quiz with setting `review` may show to a learner who has `passed` it
/// (in any graded attempt) and has `attempts_left` (`None`: unlimited):
///
/// - `after_pass`: marks and feedback always; the right answers once passed or no attempt left;
/// - `after_last_attempt`: marks and feedback always; the right answers once no attempt is left
///   (passing alone does not show them; with unlimited attempts they are never shown);
/// - `always`: everything after every graded attempt;
/// - `never`: marks and score only, neither the right answers nor any feedback.
pub fn reveal(review: Review, passed: bool, attempts_left: Option<i64>) -> Reveal {
    let none_left = attempts_left.is_some_and(|n| n <= 0);
    let (feedback, answers) = match review {
        Review::AfterPass => (true, passed || none_left),
        Review::AfterLastAttempt => (true, none_left),
        Review::Always => (true, true),
        Review::Never => (false, false),
    };
    Reveal {
        marks: true,
        feedback,
        answers,
    }
}

/// The attempt that counts, among submitted attempts `(id, score, passed, submitted_at)`.
///
/// A passing attempt beats any failing one; among those, the highest score wins, then the earliest
/// submitted, then the lowest id. So: the best passing attempt if any passed, else the highest
/// scoring one. `None` when there are no attempts.
pub fn best_attempt(attempts: &[(i64, i32, bool, NaiveDateTime)]) -> Option<i64> {
    attempts
        .iter()
        .min_by_key(|&&(id, score, passed, submitted)| (!passed, Reverse(score), submitted, id))
        .map(|a| a.0)
}

/// When an attempt started at `started` must be submitted, under a limit of `limit_minutes`.
///
/// `None` (no limit) when there is no limit or the limit is not positive (the course parser never
/// yields one). A deadline past the calendar's end saturates to its last instant.
pub fn deadline(started: NaiveDateTime, limit_minutes: Option<i32>) -> Option<NaiveDateTime> {
    let minutes = limit_minutes.filter(|m| *m > 0)?;
    Some(
        started
            .checked_add_signed(TimeDelta::minutes(i64::from(minutes)))
            .unwrap_or(NaiveDateTime::MAX),
    )
}

/// Whether a submission at `submitted_at` counts against `deadline`: always without a deadline,
/// else at most `grace_seconds` after it (inclusive; a negative grace counts as 0). Callers pass
/// [`GRACE_SECONDS`].
pub fn on_time(
    submitted_at: NaiveDateTime,
    deadline: Option<NaiveDateTime>,
    grace_seconds: i64,
) -> bool {
    let Some(deadline) = deadline else {
        return true;
    };
    let grace = TimeDelta::try_seconds(grace_seconds.max(0)).unwrap_or(TimeDelta::MAX);
    let last = deadline
        .checked_add_signed(grace)
        .unwrap_or(NaiveDateTime::MAX);
    submitted_at <= last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::quiz::Numeric;
    use chrono::NaiveDate;

    fn choices(correct: &[usize]) -> AnswerKey {
        AnswerKey::Choices {
            correct: correct.to_vec(),
        }
    }

    fn short(accepted: &[&str]) -> AnswerKey {
        AnswerKey::Short {
            accepted: accepted.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn exact(value: f64, tolerance: f64) -> AnswerKey {
        AnswerKey::Numeric {
            answer: Numeric::Exact { value, tolerance },
        }
    }

    fn range(min: f64, max: f64) -> AnswerKey {
        AnswerKey::Numeric {
            answer: Numeric::Range { min, max },
        }
    }

    fn picked(kind: QuestionKind, key: &AnswerKey, n: usize, chosen: &[usize]) -> QuestionResult {
        grade_question(kind, key, n, Some(&Response::Choices(chosen.to_vec())))
    }

    fn typed(kind: QuestionKind, key: &AnswerKey, text: &str) -> QuestionResult {
        grade_question(kind, key, 0, Some(&Response::Text(text.to_string())))
    }

    fn right(r: QuestionResult) -> bool {
        r.correct
    }

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 3)
            .unwrap()
            .and_hms_opt(h, m, s)
            .unwrap()
    }

    // ---- review -------------------------------------------------------------------------

    #[test]
    fn right_answers_are_shown_only_as_the_review_setting_says() {
        let answers = |review, passed, left| reveal(review, passed, left).answers;
        // after_pass (the default): once passed, or no attempt left
        assert_eq!(Review::default(), Review::AfterPass);
        assert!(!answers(Review::AfterPass, false, Some(1)));
        assert!(!answers(Review::AfterPass, false, None));
        assert!(answers(Review::AfterPass, true, Some(2)));
        assert!(answers(Review::AfterPass, true, None));
        assert!(answers(Review::AfterPass, false, Some(0)));
        // after_last_attempt: passing alone is not enough
        assert!(!answers(Review::AfterLastAttempt, true, Some(1)));
        assert!(!answers(Review::AfterLastAttempt, true, None));
        assert!(!answers(Review::AfterLastAttempt, false, None));
        assert!(answers(Review::AfterLastAttempt, false, Some(0)));
        assert!(answers(Review::AfterLastAttempt, true, Some(0)));
        // always / never
        for (passed, left) in [
            (false, Some(2)),
            (true, Some(0)),
            (false, None),
            (true, None),
        ] {
            assert!(answers(Review::Always, passed, left));
            assert!(!answers(Review::Never, passed, left));
            assert!(!reveal(Review::Never, passed, left).feedback);
            for r in Review::ALL {
                assert!(reveal(r, passed, left).marks, "{r:?}");
            }
        }
        // marks and feedback without the answers before passing
        assert_eq!(
            reveal(Review::AfterPass, false, Some(2)),
            Reveal {
                marks: true,
                feedback: true,
                answers: false
            }
        );
    }

    // ---- single choice --------------------------------------------------------------------

    #[test]
    fn single_choice_needs_exactly_the_right_option() {
        let key = choices(&[1]);
        let single = QuestionKind::Single;
        assert_eq!(
            picked(single, &key, 3, &[1]),
            QuestionResult {
                correct: true,
                chosen: vec![1],
                given_text: None
            }
        );
        assert!(!right(picked(single, &key, 3, &[0])));
        assert!(!right(picked(single, &key, 3, &[2])));
        // two options chosen on a radio question (a crafted form) is wrong, even with the right one
        assert!(!right(picked(single, &key, 3, &[1, 2])));
        assert!(!right(picked(single, &key, 3, &[0, 1, 2])));
        // the same option twice is still one option
        assert!(right(picked(single, &key, 3, &[1, 1])));
    }

    #[test]
    fn empty_and_missing_answers_are_wrong() {
        for kind in [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::TrueFalse,
        ] {
            let key = choices(&[0]);
            assert_eq!(
                grade_question(kind, &key, 2, None),
                QuestionResult::default()
            );
            assert_eq!(picked(kind, &key, 2, &[]), QuestionResult::default());
        }
        // a key that is (wrongly) empty is not matched by an empty answer either
        assert!(!right(picked(
            QuestionKind::Multiple,
            &choices(&[]),
            3,
            &[]
        )));

        for (kind, key) in [
            (QuestionKind::ShortAnswer, short(&["ASN"])),
            (QuestionKind::Numeric, exact(0.0, 0.0)),
        ] {
            assert_eq!(
                grade_question(kind, &key, 0, None),
                QuestionResult::default()
            );
            for blank in ["", "   ", "\t\n", "\u{a0}"] {
                assert_eq!(
                    typed(kind, &key, blank),
                    QuestionResult::default(),
                    "{blank:?}"
                );
            }
        }
    }

    #[test]
    fn out_of_range_options_are_wrong_never_a_panic() {
        let key = choices(&[1]);
        for kind in [QuestionKind::Single, QuestionKind::TrueFalse] {
            let r = picked(kind, &key, 2, &[5]);
            assert!(!r.correct);
            assert_eq!(r.chosen, Vec::<usize>::new());
            assert!(!right(picked(kind, &key, 2, &[2])));
            assert!(!right(picked(kind, &key, 2, &[usize::MAX])));
        }
        let key = choices(&[0, 2]);
        let multiple = QuestionKind::Multiple;
        // the right set plus an option that does not exist
        let r = picked(multiple, &key, 3, &[0, 2, 3]);
        assert!(!r.correct);
        assert_eq!(r.chosen, vec![0, 2]);
        assert!(!right(picked(multiple, &key, 3, &[0, 2, usize::MAX])));
        // a key pointing past the options (a broken key) is never right
        assert!(!right(picked(
            QuestionKind::Single,
            &choices(&[4]),
            3,
            &[4]
        )));
        // no options at all
        assert!(!right(picked(
            QuestionKind::Single,
            &choices(&[0]),
            0,
            &[0]
        )));
    }

    // ---- multiple answer ------------------------------------------------------------------

    #[test]
    fn multiple_answer_is_all_or_nothing() {
        let key = choices(&[0, 1, 2]);
        let multiple = QuestionKind::Multiple;
        assert!(right(picked(multiple, &key, 4, &[0, 1, 2])));
        // order does not matter
        assert!(right(picked(multiple, &key, 4, &[2, 0, 1])));
        // subset
        assert!(!right(picked(multiple, &key, 4, &[0, 1])));
        assert!(!right(picked(multiple, &key, 4, &[2])));
        // superset
        assert!(!right(picked(multiple, &key, 4, &[0, 1, 2, 3])));
        // disjoint
        assert!(!right(picked(multiple, &key, 4, &[3])));
    }

    #[test]
    fn duplicated_option_indices_are_ignored() {
        let key = choices(&[0, 2]);
        let r = picked(QuestionKind::Multiple, &key, 3, &[2, 0, 2, 0, 0]);
        assert_eq!(
            r,
            QuestionResult {
                correct: true,
                chosen: vec![0, 2],
                given_text: None
            }
        );
        // duplicates never make a subset whole
        assert!(!right(picked(QuestionKind::Multiple, &key, 3, &[0, 0])));
        // a key with duplicates (not produced by the parser) compares as a set too
        assert!(right(picked(
            QuestionKind::Multiple,
            &choices(&[2, 0, 2]),
            3,
            &[0, 2]
        )));
    }

    // ---- true/false -----------------------------------------------------------------------

    #[test]
    fn true_false_is_right_or_wrong() {
        // "Benar" (0) is right
        let key = choices(&[0]);
        let tf = QuestionKind::TrueFalse;
        assert!(right(picked(tf, &key, 2, &[0])));
        assert!(!right(picked(tf, &key, 2, &[1])));
        assert!(!right(picked(tf, &key, 2, &[0, 1])));
        // "Salah" (1) is right
        let key = choices(&[1]);
        assert!(right(picked(tf, &key, 2, &[1])));
        assert!(!right(picked(tf, &key, 2, &[0])));
        assert!(!right(picked(tf, &key, 2, &[2])));
    }

    // ---- short answer ---------------------------------------------------------------------

    #[test]
    fn short_answers_fold_case_and_whitespace() {
        let key = short(&["Aparatur Sipil Negara", "ASN"]);
        let sa = QuestionKind::ShortAnswer;
        for ok in [
            "Aparatur Sipil Negara",
            "aparatur sipil negara",
            "APARATUR SIPIL NEGARA",
            "aPaRaTuR sIpIl NeGaRa",
            "Aparatur   Sipil    Negara",
            "  Aparatur Sipil Negara  ",
            "\tAparatur\tSipil\nNegara\r\n",
            "Aparatur\u{a0}Sipil\u{a0}Negara",
            "\u{2003}Aparatur Sipil\u{3000}Negara",
            "asn",
            " ASN ",
        ] {
            assert!(right(typed(sa, &key, ok)), "{ok:?}");
        }
        for wrong in [
            "AparaturSipilNegara",
            "Aparatur Sipil",
            "Aparatur Sipil Negara Republik",
            "A S N",
            "ASN.",
            "Aparatur Sipil Negara, ASN",
        ] {
            assert!(!right(typed(sa, &key, wrong)), "{wrong:?}");
        }
    }

    #[test]
    fn short_answer_keeps_what_was_typed_for_display() {
        let key = short(&["ASN"]);
        let r = typed(QuestionKind::ShortAnswer, &key, "  asn \n");
        assert_eq!(
            r,
            QuestionResult {
                correct: true,
                chosen: vec![],
                given_text: Some("asn".into())
            }
        );
        let r = typed(QuestionKind::ShortAnswer, &key, " PNS ");
        assert!(!r.correct);
        assert_eq!(r.given_text.as_deref(), Some("PNS"));
    }

    #[test]
    fn a_blank_answer_never_matches_even_a_blank_key() {
        // the parser refuses empty answers; a stored key holding one must still not be matched
        let key = short(&["", "  "]);
        for blank in ["", " ", "\t"] {
            assert!(!right(typed(QuestionKind::ShortAnswer, &key, blank)));
        }
        assert!(!right(typed(QuestionKind::ShortAnswer, &short(&[]), "x")));
    }

    #[test]
    fn short_answers_fold_letters_beyond_ascii() {
        let key = short(&["Éselon"]);
        assert!(right(typed(QuestionKind::ShortAnswer, &key, "ÉSELON")));
        assert!(right(typed(QuestionKind::ShortAnswer, &key, "éselon")));
        assert!(!right(typed(QuestionKind::ShortAnswer, &key, "eselon")));
    }

    // ---- numeric --------------------------------------------------------------------------

    #[test]
    fn numeric_exact() {
        let key = exact(20.0, 0.0);
        let num = QuestionKind::Numeric;
        for ok in ["20", " 20 ", "20.0", "20,0", "+20", "20.000"] {
            assert!(right(typed(num, &key, ok)), "{ok:?}");
        }
        for wrong in ["21", "19.99", "-20", "20.01", "200", "2"] {
            assert!(!right(typed(num, &key, wrong)), "{wrong:?}");
        }
        let key = exact(-3.0, 0.0);
        assert!(right(typed(num, &key, "-3")));
        assert!(right(typed(num, &key, "\u{2212}3")));
        assert!(!right(typed(num, &key, "3")));
        assert!(right(typed(num, &exact(2.0, 0.0), "+2")));
    }

    #[test]
    fn numeric_tolerance_bounds_are_inclusive() {
        let key = exact(14.0, 0.5);
        let num = QuestionKind::Numeric;
        for ok in ["13.5", "13,5", "14", "14.5", "14,5", "14.25", "13.75"] {
            assert!(right(typed(num, &key, ok)), "{ok:?}");
        }
        for wrong in ["13.49", "14.51", "13.4999", "14.5001", "15", "-14"] {
            assert!(!right(typed(num, &key, wrong)), "{wrong:?}");
        }
        // decimal fractions that binary floats cannot hold exactly still hit the bounds
        let key = exact(2.78, 0.05);
        assert!(right(typed(num, &key, "2.73")) && right(typed(num, &key, "2.83")));
        assert!(!right(typed(num, &key, "2.72")) && !right(typed(num, &key, "2.84")));
    }

    #[test]
    fn numeric_range_ends_are_inclusive() {
        let key = range(10.0, 20.0);
        let num = QuestionKind::Numeric;
        for ok in ["10", "10.0", "15", "19,99", "20", "20.0"] {
            assert!(right(typed(num, &key, ok)), "{ok:?}");
        }
        for wrong in ["9.999", "9,99", "20.001", "20,01", "0", "-15"] {
            assert!(!right(typed(num, &key, wrong)), "{wrong:?}");
        }
        let key = range(-5.0, -1.0);
        assert!(right(typed(num, &key, "-5")) && right(typed(num, &key, "-1")));
        assert!(!right(typed(num, &key, "-5.01")) && !right(typed(num, &key, "-0.99")));
    }

    #[test]
    fn numeric_accepts_a_decimal_comma() {
        let key = exact(14.5, 0.0);
        let num = QuestionKind::Numeric;
        assert!(right(typed(num, &key, "14,5")));
        assert!(right(typed(num, &key, "14.5")));
        assert!(right(typed(num, &key, " 14,50 ")));
        assert!(!right(typed(num, &key, "145")));
    }

    #[test]
    fn unparsable_numbers_are_wrong() {
        let key = exact(1000.0, 0.0);
        let num = QuestionKind::Numeric;
        for bad in [
            "seribu",
            "1 000",
            "1.000,0",
            "1,000,000",
            "1e999",
            "inf",
            "NaN",
            "1000 JP",
            "Rp1000",
            "10..20",
            "1000 ± 1",
            ".",
        ] {
            let r = typed(num, &key, bad);
            assert!(!r.correct, "{bad:?}");
            assert_eq!(r.given_text.as_deref(), Some(bad.trim()));
        }
        // a comma for thousands reads as a decimal comma: 1,000 is one, not a thousand
        assert!(!right(typed(num, &key, "1,000")));
        assert!(right(typed(num, &exact(1.0, 0.0), "1,000")));
    }

    // ---- shapes and keys ------------------------------------------------------------------

    #[test]
    fn a_response_of_the_wrong_shape_is_wrong() {
        let text = Response::Text("1".into());
        for kind in [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::TrueFalse,
        ] {
            assert_eq!(
                grade_question(kind, &choices(&[1]), 3, Some(&text)),
                QuestionResult::default()
            );
        }
        let picked = Response::Choices(vec![0]);
        assert_eq!(
            grade_question(QuestionKind::ShortAnswer, &short(&["0"]), 0, Some(&picked)),
            QuestionResult::default()
        );
        assert_eq!(
            grade_question(QuestionKind::Numeric, &exact(0.0, 0.0), 0, Some(&picked)),
            QuestionResult::default()
        );
    }

    #[test]
    fn a_key_that_does_not_fit_the_kind_is_wrong() {
        assert!(!right(picked(
            QuestionKind::Single,
            &short(&["0"]),
            2,
            &[0]
        )));
        assert!(!right(picked(
            QuestionKind::Multiple,
            &exact(0.0, 0.0),
            2,
            &[0]
        )));
        assert!(!right(typed(
            QuestionKind::ShortAnswer,
            &exact(14.0, 0.0),
            "14"
        )));
        assert!(!right(typed(QuestionKind::Numeric, &short(&["14"]), "14")));
        assert!(!right(typed(QuestionKind::Numeric, &choices(&[0]), "0")));
    }

    #[test]
    fn responses_and_results_round_trip_through_json() {
        let r = Response::Choices(vec![2, 0]);
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"choices":[2,0]}"#);
        let t = Response::Text("14,5".into());
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"text":"14,5"}"#);
        for resp in [r, t] {
            let json = serde_json::to_string(&resp).unwrap();
            assert_eq!(serde_json::from_str::<Response>(&json).unwrap(), resp);
        }
        let result = picked(QuestionKind::Multiple, &choices(&[0, 2]), 3, &[2, 0]);
        let json = serde_json::to_string(&result).unwrap();
        assert_eq!(json, r#"{"correct":true,"chosen":[0,2],"given_text":null}"#);
        assert_eq!(
            serde_json::from_str::<QuestionResult>(&json).unwrap(),
            result
        );
    }

    // ---- score ----------------------------------------------------------------------------

    fn results(correct: usize, total: usize) -> Vec<QuestionResult> {
        (0..total)
            .map(|i| QuestionResult {
                correct: i < correct,
                ..QuestionResult::default()
            })
            .collect()
    }

    #[test]
    fn score_rounds_to_the_nearest_integer_halves_up() {
        for (c, n, want) in [
            (0, 0, 0),
            (0, 1, 0),
            (1, 1, 100),
            (1, 3, 33),
            (2, 3, 67),
            (1, 2, 50),
            (1, 8, 13), // 12.5
            (3, 8, 38), // 37.5
            (5, 8, 63), // 62.5
            (1, 6, 17), // 16.67
            (1, 7, 14), // 14.29
            (7, 10, 70),
            (199, 200, 100), // 99.5
            (1, 200, 1),     // 0.5
            (1, 201, 0),     // 0.497…
            (0, 10, 0),
            (10, 10, 100),
        ] {
            assert_eq!(score(&results(c, n)), want, "{c}/{n}");
        }
    }

    #[test]
    fn score_is_always_between_0_and_100_and_monotone() {
        for n in 1..=60 {
            let mut last = -1;
            for c in 0..=n {
                let s = score(&results(c, n));
                assert!((0..=100).contains(&s));
                assert!(s >= last, "{c}/{n}");
                let exact = 100.0 * c as f64 / n as f64;
                assert!((s as f64 - exact).abs() <= 0.5, "{c}/{n}: {s}");
                last = s;
            }
        }
    }

    #[test]
    fn passing_is_at_least_the_pass_mark() {
        assert!(passed(70, 70));
        assert!(passed(100, 70));
        assert!(!passed(69, 70));
        assert!(passed(0, 0));
        assert!(!passed(99, 100) && passed(100, 100));
        // 2 of 3 right (67) does not pass a 70 mark; rounding never lifts it over
        assert!(!passed(score(&results(2, 3)), 70));
    }

    // ---- best attempt ---------------------------------------------------------------------

    #[test]
    fn best_attempt_prefers_passing_then_score_then_earliest() {
        assert_eq!(best_attempt(&[]), None);
        assert_eq!(best_attempt(&[(7, 10, false, at(9, 0, 0))]), Some(7));
        // the highest passing score
        assert_eq!(
            best_attempt(&[
                (1, 70, true, at(9, 0, 0)),
                (2, 90, true, at(10, 0, 0)),
                (3, 80, true, at(11, 0, 0)),
            ]),
            Some(2)
        );
        // a passing attempt beats a higher failing one (a pass mark raised between attempts)
        assert_eq!(
            best_attempt(&[(1, 95, false, at(9, 0, 0)), (2, 70, true, at(10, 0, 0)),]),
            Some(2)
        );
        // none passed: the highest score
        assert_eq!(
            best_attempt(&[
                (1, 40, false, at(9, 0, 0)),
                (2, 60, false, at(10, 0, 0)),
                (3, 50, false, at(11, 0, 0)),
            ]),
            Some(2)
        );
        // equal scores: the earliest submitted, whatever the order given
        assert_eq!(
            best_attempt(&[
                (5, 80, true, at(11, 0, 0)),
                (4, 80, true, at(9, 30, 0)),
                (6, 80, true, at(10, 0, 0)),
                (3, 60, true, at(8, 0, 0)),
            ]),
            Some(4)
        );
        assert_eq!(
            best_attempt(&[(5, 50, false, at(11, 0, 0)), (4, 50, false, at(9, 30, 0)),]),
            Some(4)
        );
        // equal scores at the same second: the lowest id
        assert_eq!(
            best_attempt(&[(9, 80, true, at(9, 0, 0)), (8, 80, true, at(9, 0, 0)),]),
            Some(8)
        );
    }

    // ---- time limit -----------------------------------------------------------------------

    #[test]
    fn deadline_adds_the_limit() {
        assert_eq!(deadline(at(9, 0, 0), Some(20)), Some(at(9, 20, 0)));
        assert_eq!(
            deadline(at(23, 50, 0), Some(20)).unwrap().to_string(),
            "2026-11-04 00:10:00"
        );
        assert_eq!(deadline(at(9, 0, 0), None), None);
        // never parsed, but not a deadline in the past either
        assert_eq!(deadline(at(9, 0, 0), Some(0)), None);
        assert_eq!(deadline(at(9, 0, 0), Some(-5)), None);
        // the calendar's end saturates instead of panicking
        assert_eq!(
            deadline(NaiveDateTime::MAX, Some(i32::MAX)),
            Some(NaiveDateTime::MAX)
        );
        assert!(deadline(at(9, 0, 0), Some(i32::MAX)).unwrap() > at(9, 0, 0));
    }

    #[test]
    fn on_time_allows_the_grace_inclusively() {
        let due = deadline(at(9, 0, 0), Some(20));
        assert!(on_time(at(9, 5, 0), due, GRACE_SECONDS));
        assert!(on_time(at(9, 20, 0), due, GRACE_SECONDS));
        assert!(on_time(at(9, 20, 30), due, GRACE_SECONDS));
        assert!(!on_time(at(9, 20, 31), due, GRACE_SECONDS));
        assert!(!on_time(at(10, 0, 0), due, GRACE_SECONDS));
        // without grace, the deadline itself still counts
        assert!(on_time(at(9, 20, 0), due, 0));
        assert!(!on_time(at(9, 20, 1), due, 0));
        // a negative grace is no grace, never an earlier deadline
        assert!(on_time(at(9, 20, 0), due, -60));
        assert!(!on_time(at(9, 20, 1), due, -60));
        // huge graces saturate
        assert!(on_time(at(23, 0, 0), due, i64::MAX));
        assert!(on_time(
            NaiveDateTime::MAX,
            Some(NaiveDateTime::MAX),
            GRACE_SECONDS
        ));
        // no deadline: always on time
        assert!(on_time(NaiveDateTime::MAX, None, 0));
        assert!(on_time(
            at(9, 0, 0),
            deadline(at(9, 0, 0), None),
            GRACE_SECONDS
        ));
        assert_eq!(GRACE_SECONDS, 30);
    }

    // ---- a whole attempt ------------------------------------------------------------------

    #[test]
    fn grading_a_whole_attempt() {
        let questions = [
            (QuestionKind::Single, choices(&[1]), 3),
            (QuestionKind::Multiple, choices(&[0, 1, 2]), 4),
            (QuestionKind::TrueFalse, choices(&[0]), 2),
            (
                QuestionKind::ShortAnswer,
                short(&["Aparatur Sipil Negara"]),
                0,
            ),
            (QuestionKind::Numeric, exact(20.0, 0.0), 0),
        ];
        let responses = [
            Some(Response::Choices(vec![1])),
            Some(Response::Choices(vec![0, 1])), // a subset: wrong
            Some(Response::Choices(vec![0])),
            Some(Response::Text("aparatur  sipil negara".into())),
            None, // left unanswered
        ];
        let results: Vec<QuestionResult> = questions
            .iter()
            .zip(&responses)
            .map(|((kind, key, n), r)| grade_question(*kind, key, *n, r.as_ref()))
            .collect();
        assert_eq!(
            results.iter().map(|r| r.correct).collect::<Vec<_>>(),
            vec![true, false, true, true, false]
        );
        assert_eq!(score(&results), 60);
        assert!(!passed(score(&results), 70));
    }

    /// Random keys and responses: grading never panics, and what it shows is well formed.
    #[test]
    fn random_responses_never_panic() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};

        let mut rng = StdRng::seed_from_u64(0x6ade);
        let kinds = [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::TrueFalse,
            QuestionKind::ShortAnswer,
            QuestionKind::Numeric,
        ];
        let texts = [
            "", " ", "14", "14,5", "-3", "+2", "x", "ASN", " a  b ", "1e999", "\u{a0}",
        ];
        for _ in 0..5000 {
            let kind = kinds[rng.random_range(0..kinds.len())];
            let n = rng.random_range(0..6usize);
            let key = match rng.random_range(0..3) {
                0 => choices(
                    &(0..rng.random_range(0..4))
                        .map(|_| rng.random_range(0..7))
                        .collect::<Vec<_>>(),
                ),
                1 => short(&[texts[rng.random_range(0..texts.len())]]),
                _ => exact(rng.random_range(-20.0..20.0), rng.random_range(0.0..3.0)),
            };
            let response = match rng.random_range(0..3) {
                0 => None,
                1 => Some(Response::Choices(
                    (0..rng.random_range(0..5))
                        .map(|_| {
                            if rng.random_bool(0.1) {
                                usize::MAX
                            } else {
                                rng.random_range(0..8)
                            }
                        })
                        .collect(),
                )),
                _ => Some(Response::Text(
                    texts[rng.random_range(0..texts.len())].into(),
                )),
            };
            let r = grade_question(kind, &key, n, response.as_ref());
            assert!(r.chosen.iter().all(|&i| i < n));
            assert!(r.chosen.windows(2).all(|w| w[0] < w[1]));
            if r.correct {
                assert!(!r.chosen.is_empty() || r.given_text.is_some(), "{r:?}");
            }
            if let Some(t) = &r.given_text {
                assert!(!t.is_empty() && t.trim() == t);
            }
        }
    }
}
