//! What competency pieces look like on other pages: the evaluation box and rating scale of the
//! course page, the agency's JP settings form, and a milestone in words. Plain values in, JSON out; no request, no
//! database.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::evaluation::{self, Answer, RATING_MAX};
use super::jp_settings::JpSettings;
use super::kinds::KINDS;
use super::milestones::Milestone;
use crate::i18n::{I18n, Lang};

/// The 1–5 scale with its labels, for the forms (`checked` marks `current`).
pub fn scale(prefix: &str, current: Option<i32>) -> Vec<Value> {
    (1..=RATING_MAX)
        .map(|n| json!({"value": n, "key": format!("{prefix}.{n}"), "checked": current == Some(n)}))
        .collect()
}

/// What the course page shows about the learner's evaluation of a completed course: the form
/// when it is still open, else the answer given.
pub fn course_box(answer: Option<&Answer>) -> Value {
    match answer {
        None => {
            json!({"open": true, "scale": scale("evaluation.reaction.scale", None), "max": evaluation::COMMENT_MAX})
        }
        Some(a) => json!({"open": false, "rating": a.rating, "comment": a.comment}),
    }
}

/// The form's values: from the stored settings, or as typed (`typed`: field → text).
pub fn form_view(
    s: &JpSettings,
    typed: Option<&HashMap<String, String>>,
    errors: Vec<String>,
    saved: bool,
) -> Value {
    let get = |field: &str, stored: String| -> String {
        typed.and_then(|t| t.get(field).cloned()).unwrap_or(stored)
    };
    let kinds: Vec<Value> = KINDS
        .iter()
        .map(|k| {
            let stored = s
                .conversion
                .get(*k)
                .map(|v| v.to_string())
                .unwrap_or_default();
            json!({
                "code": k,
                "key": format!("activities.kind.{k}"),
                "value": get(&format!("jpd_{k}"), stored),
            })
        })
        .collect();
    json!({
        "jpm_optimal": get("jpm_optimal", s.jpm_optimal.to_string()),
        "jpm_meets": get("jpm_meets", s.jpm_meets.to_string()),
        "kinds": kinds,
        "errors": errors,
        "saved": saved,
    })
}

/// A milestone in words: "20 JP tercapai pada 2026", "Level 3 Pelayanan Publik tercapai".
pub fn milestone_label(
    i18n: &I18n,
    lang: Lang,
    names: &HashMap<String, String>,
    m: &Milestone,
) -> String {
    let year = m.year.map(|y| y.to_string()).unwrap_or_default();
    let code = m.code.clone().unwrap_or_default();
    let name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
    let level = m.level.map(|l| l.to_string()).unwrap_or_default();
    i18n.format(
        lang,
        &format!("recognition.milestone.{}", m.kind),
        &[
            ("year", year),
            ("name", name),
            ("code", code),
            ("level", level),
        ],
    )
    .unwrap_or_else(|| m.key.clone())
}
