//! Drawing a quiz paper: which questions an attempt shows, in which order, with which option order.
//!
//! The server decides this once, when the attempt starts, and stores the [`Paper`] with the attempt
//! (as JSON), so a reload shows the same paper and grading knows exactly what was shown.
//!
//! Rules (the `shuffle` and `draw` settings of a quiz module, see `course-format.md`):
//! - `draw = Some(n)` picks `n` distinct questions at random from the pool; `None` takes them all.
//! - `shuffle = true` shuffles the question order and each choice question's option order.
//! - `shuffle = false` keeps source order for both; drawn questions stay in source order.
//! - Options of a question flagged [`PoolQuestion::fixed_options`] (true/false: "Benar" before
//!   "Salah" reads naturally) are never shuffled.

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::catalog::quiz::QuestionKind;

/// One question of a quiz's pool, as the draw needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolQuestion {
    pub id: i64,
    /// Number of options (0 for short answer and numeric questions).
    pub option_count: usize,
    /// Keep the options in source order even when the quiz shuffles (true/false questions).
    pub fixed_options: bool,
}

impl PoolQuestion {
    /// A pool entry whose `fixed_options` follows from its kind (true/false keeps its order).
    pub fn new(id: i64, kind: QuestionKind, option_count: usize) -> PoolQuestion {
        PoolQuestion {
            id,
            option_count,
            fixed_options: kind == QuestionKind::TrueFalse,
        }
    }
}

/// What one attempt shows: the questions in the order shown.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Paper {
    pub items: Vec<PaperItem>,
}

/// One question as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperItem {
    pub question_id: i64,
    /// The options as shown: `option_order[k]` is the source index of the option shown k-th.
    /// Always a permutation of `0..option_count` (empty for questions without options).
    pub option_order: Vec<usize>,
}

impl Paper {
    /// The ids of the questions shown, in the order shown.
    pub fn question_ids(&self) -> Vec<i64> {
        self.items.iter().map(|i| i.question_id).collect()
    }

    /// Whether the paper shows this question.
    pub fn contains(&self, question_id: i64) -> bool {
        self.items.iter().any(|i| i.question_id == question_id)
    }
}

/// Draw the paper of a new attempt from `pool` (in source order).
///
/// `draw` above the pool size takes the whole pool (the course parser already refuses that);
/// a non-positive `draw` (which the parser never yields) is treated as no draw: the whole pool.
pub fn draw_paper<R: Rng + ?Sized>(
    pool: &[PoolQuestion],
    shuffle: bool,
    draw: Option<i32>,
    rng: &mut R,
) -> Paper {
    let take = match draw {
        Some(n) if n > 0 => (n as usize).min(pool.len()),
        _ => pool.len(),
    };
    let mut picked: Vec<usize> = (0..pool.len()).collect();
    if take < pool.len() {
        // a uniformly random subset of `take` distinct questions
        picked.shuffle(rng);
        picked.truncate(take);
        if !shuffle {
            picked.sort_unstable();
        }
    } else if shuffle {
        picked.shuffle(rng);
    }
    let items = picked
        .into_iter()
        .map(|i| {
            let q = &pool[i];
            let mut option_order: Vec<usize> = (0..q.option_count).collect();
            if shuffle && !q.fixed_options {
                option_order.shuffle(rng);
            }
            PaperItem {
                question_id: q.id,
                option_order,
            }
        })
        .collect();
    Paper { items }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::HashSet;

    fn choice(id: i64, options: usize) -> PoolQuestion {
        PoolQuestion::new(id, QuestionKind::Single, options)
    }

    fn pool(n: i64) -> Vec<PoolQuestion> {
        (1..=n).map(|id| choice(id, 4)).collect()
    }

    fn is_permutation(order: &[usize], n: usize) -> bool {
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        sorted == (0..n).collect::<Vec<_>>()
    }

    #[test]
    fn no_shuffle_no_draw_keeps_source_order() {
        let pool = vec![
            choice(10, 3),
            PoolQuestion::new(11, QuestionKind::ShortAnswer, 0),
            PoolQuestion::new(12, QuestionKind::TrueFalse, 2),
            PoolQuestion::new(13, QuestionKind::Multiple, 5),
        ];
        let paper = draw_paper(&pool, false, None, &mut StdRng::seed_from_u64(1));
        assert_eq!(paper.question_ids(), vec![10, 11, 12, 13]);
        let orders: Vec<Vec<usize>> = paper.items.iter().map(|i| i.option_order.clone()).collect();
        assert_eq!(
            orders,
            vec![vec![0, 1, 2], vec![], vec![0, 1], vec![0, 1, 2, 3, 4]]
        );
    }

    #[test]
    fn draw_picks_n_distinct_questions() {
        let pool = pool(20);
        for seed in 0..50 {
            let paper = draw_paper(&pool, true, Some(7), &mut StdRng::seed_from_u64(seed));
            let ids = paper.question_ids();
            assert_eq!(ids.len(), 7);
            assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 7, "{ids:?}");
            assert!(ids.iter().all(|id| (1..=20).contains(id)));
        }
    }

    #[test]
    fn draw_without_shuffle_keeps_the_drawn_questions_in_source_order() {
        let pool = pool(20);
        let mut seen = HashSet::new();
        for seed in 0..30 {
            let paper = draw_paper(&pool, false, Some(5), &mut StdRng::seed_from_u64(seed));
            let ids = paper.question_ids();
            assert_eq!(ids.len(), 5);
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
            assert!(paper.items.iter().all(|i| i.option_order == [0, 1, 2, 3]));
            seen.insert(ids);
        }
        // still a random subset, not always the first five
        assert!(seen.len() > 1);
    }

    #[test]
    fn draw_is_clamped_to_the_pool() {
        let pool = pool(4);
        let mut rng = StdRng::seed_from_u64(3);
        for draw in [Some(4), Some(5), Some(1000), Some(i32::MAX)] {
            let mut ids = draw_paper(&pool, true, draw, &mut rng).question_ids();
            ids.sort_unstable();
            assert_eq!(ids, vec![1, 2, 3, 4], "{draw:?}");
        }
        // non-positive draws (never parsed) mean the whole pool, not an empty paper
        for draw in [Some(0), Some(-3), Some(i32::MIN)] {
            assert_eq!(
                draw_paper(&pool, false, draw, &mut rng).question_ids(),
                vec![1, 2, 3, 4]
            );
        }
        assert_eq!(draw_paper(&[], true, Some(3), &mut rng), Paper::default());
        assert_eq!(draw_paper(&[], false, None, &mut rng).items.len(), 0);
    }

    #[test]
    fn the_same_seed_draws_the_same_paper() {
        let pool = pool(15);
        for seed in [0, 7, 42, u64::MAX] {
            let a = draw_paper(&pool, true, Some(10), &mut StdRng::seed_from_u64(seed));
            let b = draw_paper(&pool, true, Some(10), &mut StdRng::seed_from_u64(seed));
            assert_eq!(a, b);
        }
    }

    #[test]
    fn different_seeds_draw_different_orders() {
        let pool = pool(10);
        let papers: HashSet<Vec<i64>> = (0..20)
            .map(|seed| draw_paper(&pool, true, None, &mut StdRng::seed_from_u64(seed)))
            .map(|p| p.question_ids())
            .collect();
        // 10! orders: twenty seeds giving fewer than a handful would mean no shuffling
        assert!(papers.len() > 15, "{}", papers.len());
        let options: HashSet<Vec<usize>> = (0..20)
            .map(|seed| draw_paper(&pool, true, None, &mut StdRng::seed_from_u64(seed)))
            .map(|p| p.items[0].option_order.clone())
            .collect();
        assert!(options.len() > 5, "{}", options.len());
    }

    #[test]
    fn shuffle_moves_questions_and_options_somewhere_across_attempts() {
        let pool = pool(6);
        let mut rng = StdRng::seed_from_u64(99);
        let mut first_ids = HashSet::new();
        let mut first_options = HashSet::new();
        for _ in 0..200 {
            let paper = draw_paper(&pool, true, None, &mut rng);
            first_ids.insert(paper.items[0].question_id);
            first_options.insert(paper.items[0].option_order[0]);
        }
        assert_eq!(first_ids.len(), 6);
        assert_eq!(first_options.len(), 4);
    }

    #[test]
    fn true_false_options_are_never_shuffled() {
        let pool = vec![
            PoolQuestion::new(1, QuestionKind::TrueFalse, 2),
            choice(2, 2),
            PoolQuestion::new(3, QuestionKind::TrueFalse, 2),
        ];
        let mut rng = StdRng::seed_from_u64(5);
        let mut other_orders = HashSet::new();
        for _ in 0..100 {
            let paper = draw_paper(&pool, true, None, &mut rng);
            for item in &paper.items {
                if item.question_id == 2 {
                    other_orders.insert(item.option_order.clone());
                } else {
                    assert_eq!(item.option_order, vec![0, 1]);
                }
            }
        }
        // the two-option single choice question beside them does get shuffled
        assert_eq!(other_orders.len(), 2);
        // and the flag, not the kind, is what counts
        let fixed = PoolQuestion {
            id: 9,
            option_count: 5,
            fixed_options: true,
        };
        for _ in 0..20 {
            let paper = draw_paper(&[fixed], true, None, &mut rng);
            assert_eq!(paper.items[0].option_order, vec![0, 1, 2, 3, 4]);
        }
    }

    #[test]
    fn pool_question_flags_follow_the_kind() {
        for (kind, fixed) in [
            (QuestionKind::Single, false),
            (QuestionKind::Multiple, false),
            (QuestionKind::TrueFalse, true),
            (QuestionKind::ShortAnswer, false),
            (QuestionKind::Numeric, false),
        ] {
            assert_eq!(
                PoolQuestion::new(1, kind, 2).fixed_options,
                fixed,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn paper_round_trips_through_json() {
        let pool = vec![choice(3, 4), PoolQuestion::new(8, QuestionKind::Numeric, 0)];
        let paper = draw_paper(&pool, true, None, &mut StdRng::seed_from_u64(11));
        let json = serde_json::to_string(&paper).unwrap();
        assert!(json.starts_with(r#"{"items":[{"question_id":"#), "{json}");
        assert_eq!(serde_json::from_str::<Paper>(&json).unwrap(), paper);
        let fixed: Paper = serde_json::from_str(
            r#"{"items":[{"question_id":5,"option_order":[2,0,1]},{"question_id":6,"option_order":[]}]}"#,
        )
        .unwrap();
        assert_eq!(fixed.question_ids(), vec![5, 6]);
        assert!(fixed.contains(5) && !fixed.contains(7));
        assert_eq!(fixed.items[0].option_order, vec![2, 0, 1]);
    }

    /// Random pools and settings: the paper always draws distinct questions from the pool, the
    /// requested number of them, and every option order is a permutation of the source indices.
    #[test]
    fn random_pools_always_give_well_formed_papers() {
        let kinds = [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::TrueFalse,
            QuestionKind::ShortAnswer,
            QuestionKind::Numeric,
        ];
        let mut rng = StdRng::seed_from_u64(0x9a9e2);
        for _ in 0..2000 {
            let size = rng.random_range(0..30usize);
            let pool: Vec<PoolQuestion> = (0..size)
                .map(|i| {
                    let kind = kinds[rng.random_range(0..kinds.len())];
                    let options = match kind {
                        QuestionKind::TrueFalse => 2,
                        QuestionKind::Single | QuestionKind::Multiple => rng.random_range(2..9),
                        _ => 0,
                    };
                    PoolQuestion::new(1000 + i as i64 * 3, kind, options)
                })
                .collect();
            let shuffle = rng.random_bool(0.5);
            let draw = if rng.random_bool(0.5) {
                Some(rng.random_range(-2..40))
            } else {
                None
            };
            let seed = rng.random::<u64>();
            let paper = draw_paper(&pool, shuffle, draw, &mut StdRng::seed_from_u64(seed));
            assert_eq!(
                paper,
                draw_paper(&pool, shuffle, draw, &mut StdRng::seed_from_u64(seed))
            );

            let want = match draw {
                Some(n) if n > 0 => (n as usize).min(size),
                _ => size,
            };
            assert_eq!(paper.items.len(), want, "{draw:?} of {size}");
            let ids = paper.question_ids();
            assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
            let positions: Vec<usize> = ids
                .iter()
                .map(|id| {
                    pool.iter()
                        .position(|q| q.id == *id)
                        .expect("from the pool")
                })
                .collect();
            if !shuffle {
                assert!(positions.windows(2).all(|w| w[0] < w[1]));
            }
            for (item, &pos) in paper.items.iter().zip(&positions) {
                let q = &pool[pos];
                assert!(is_permutation(&item.option_order, q.option_count));
                if !shuffle || q.fixed_options {
                    assert_eq!(item.option_order, (0..q.option_count).collect::<Vec<_>>());
                }
            }
        }
    }
}
