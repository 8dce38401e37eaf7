//! What changed between two versions of a course: modules added, removed or changed, and within a
//! quiz the questions added, removed or changed. Pure: the caller loads both versions.

use serde::Serialize;

/// A version as far as comparing goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub title: String,
    pub jp: i32,
    pub description_html: String,
    pub modules: Vec<ModuleSnap>,
    /// Asset paths with their content hash.
    pub assets: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleSnap {
    pub slug: String,
    pub title: String,
    /// Rendered body (lesson text, or the quiz's instructions) and settings, compared as a whole.
    pub body: String,
    pub questions: Vec<QuestionSnap>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionSnap {
    pub prompt_html: String,
    /// Options, answer key and feedback, compared as a whole.
    pub rest: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VersionDiff {
    pub title_changed: Option<(String, String)>,
    pub jp_changed: Option<(i32, i32)>,
    pub description_changed: bool,
    pub added: Vec<ModuleRef>,
    pub removed: Vec<ModuleRef>,
    pub changed: Vec<ModuleChange>,
    pub assets_added: Vec<String>,
    pub assets_removed: Vec<String>,
    pub assets_changed: Vec<String>,
}

impl VersionDiff {
    pub fn is_empty(&self) -> bool {
        *self == VersionDiff::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleRef {
    pub slug: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleChange {
    pub slug: String,
    pub title: String,
    /// The old title, when it changed.
    pub old_title: Option<String>,
    pub body_changed: bool,
    pub questions_added: usize,
    pub questions_removed: usize,
    pub questions_changed: usize,
}

/// Compare `old` with `new`. Modules are matched by slug (the file name); questions by position,
/// a question whose prompt appears elsewhere in the other version counting as moved, not changed.
pub fn compare(old: &Snapshot, new: &Snapshot) -> VersionDiff {
    let mut d = VersionDiff::default();
    if old.title != new.title {
        d.title_changed = Some((old.title.clone(), new.title.clone()));
    }
    if old.jp != new.jp {
        d.jp_changed = Some((old.jp, new.jp));
    }
    d.description_changed = old.description_html != new.description_html;
    for m in &new.modules {
        match old.modules.iter().find(|o| o.slug == m.slug) {
            None => d.added.push(ModuleRef {
                slug: m.slug.clone(),
                title: m.title.clone(),
            }),
            Some(o) => {
                let (added, removed, changed) = questions(&o.questions, &m.questions);
                let change = ModuleChange {
                    slug: m.slug.clone(),
                    title: m.title.clone(),
                    old_title: (o.title != m.title).then(|| o.title.clone()),
                    body_changed: o.body != m.body,
                    questions_added: added,
                    questions_removed: removed,
                    questions_changed: changed,
                };
                if change.old_title.is_some()
                    || change.body_changed
                    || added + removed + changed > 0
                {
                    d.changed.push(change);
                }
            }
        }
    }
    for o in &old.modules {
        if !new.modules.iter().any(|m| m.slug == o.slug) {
            d.removed.push(ModuleRef {
                slug: o.slug.clone(),
                title: o.title.clone(),
            });
        }
    }
    for (path, hash) in &new.assets {
        match old.assets.iter().find(|(p, _)| p == path) {
            None => d.assets_added.push(path.clone()),
            Some((_, h)) if h != hash => d.assets_changed.push(path.clone()),
            Some(_) => {}
        }
    }
    for (path, _) in &old.assets {
        if !new.assets.iter().any(|(p, _)| p == path) {
            d.assets_removed.push(path.clone());
        }
    }
    d
}

/// (added, removed, changed) between two question lists.
fn questions(old: &[QuestionSnap], new: &[QuestionSnap]) -> (usize, usize, usize) {
    let mut unmatched_old: Vec<&QuestionSnap> = old.iter().collect();
    let mut unmatched_new: Vec<&QuestionSnap> = Vec::new();
    // identical questions, wherever they are, are unchanged
    for q in new {
        if let Some(i) = unmatched_old.iter().position(|o| *o == q) {
            unmatched_old.remove(i);
        } else {
            unmatched_new.push(q);
        }
    }
    // the same prompt with other options, key or feedback is a changed question
    let mut changed = 0;
    unmatched_new.retain(|q| {
        if let Some(i) = unmatched_old
            .iter()
            .position(|o| o.prompt_html == q.prompt_html)
        {
            unmatched_old.remove(i);
            changed += 1;
            false
        } else {
            true
        }
    });
    // what is left pairs up as edited questions, the surplus is added or removed
    let paired = unmatched_new.len().min(unmatched_old.len());
    (
        unmatched_new.len() - paired,
        unmatched_old.len() - paired,
        changed + paired,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(p: &str, r: &str) -> QuestionSnap {
        QuestionSnap {
            prompt_html: p.into(),
            rest: r.into(),
        }
    }

    fn m(slug: &str, title: &str, body: &str, qs: Vec<QuestionSnap>) -> ModuleSnap {
        ModuleSnap {
            slug: slug.into(),
            title: title.into(),
            body: body.into(),
            questions: qs,
        }
    }

    fn snap(modules: Vec<ModuleSnap>) -> Snapshot {
        Snapshot {
            title: "Kursus".into(),
            jp: 2,
            description_html: "<p>d</p>".into(),
            modules,
            assets: vec![("assets/a.png".into(), "h1".into())],
        }
    }

    #[test]
    fn the_same_version_has_no_changes() {
        let s = snap(vec![m("01-a", "A", "x", vec![q("1", "a")])]);
        assert!(compare(&s, &s.clone()).is_empty());
    }

    #[test]
    fn modules_added_removed_and_changed_are_named() {
        let old = snap(vec![
            m("01-pengantar", "Pengantar", "x", vec![]),
            m("02-lama", "Lama", "y", vec![]),
            m(
                "03-kuis",
                "Kuis",
                "",
                vec![q("1", "a"), q("2", "b"), q("3", "c")],
            ),
        ]);
        let mut new = snap(vec![
            m("01-pengantar", "Pengantar Baru", "x2", vec![]),
            m(
                "03-kuis",
                "Kuis",
                "",
                vec![q("2", "b"), q("1", "a*"), q("4", "d"), q("5", "e")],
            ),
            m("04-baru", "Baru", "z", vec![]),
        ]);
        new.assets = vec![
            ("assets/a.png".into(), "h2".into()),
            ("assets/b.png".into(), "h3".into()),
        ];
        new.jp = 3;
        let d = compare(&old, &new);
        assert_eq!(d.jp_changed, Some((2, 3)));
        assert_eq!(
            d.added,
            vec![ModuleRef {
                slug: "04-baru".into(),
                title: "Baru".into()
            }]
        );
        assert_eq!(
            d.removed,
            vec![ModuleRef {
                slug: "02-lama".into(),
                title: "Lama".into()
            }]
        );
        assert_eq!(d.changed.len(), 2);
        let intro = &d.changed[0];
        assert_eq!(intro.old_title.as_deref(), Some("Pengantar"));
        assert!(intro.body_changed);
        let quiz = &d.changed[1];
        assert!(!quiz.body_changed);
        // 2 unchanged (moved), 1 changed (same prompt), 3 → 4 edited, 5 added
        assert_eq!(
            (
                quiz.questions_added,
                quiz.questions_removed,
                quiz.questions_changed
            ),
            (1, 0, 2)
        );
        assert_eq!(d.assets_added, vec!["assets/b.png".to_string()]);
        assert_eq!(d.assets_changed, vec!["assets/a.png".to_string()]);
        assert!(d.assets_removed.is_empty());
    }

    #[test]
    fn removed_questions_are_counted() {
        let old = snap(vec![m("01-kuis", "K", "", vec![q("1", "a"), q("2", "b")])]);
        let new = snap(vec![m("01-kuis", "K", "", vec![q("2", "b")])]);
        let d = compare(&old, &new);
        assert_eq!(d.changed[0].questions_removed, 1);
        assert_eq!(d.changed[0].questions_changed, 0);
    }
}
