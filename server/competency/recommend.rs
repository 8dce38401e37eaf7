//! Recommended courses: for each gap, biggest first, the published courses whose level for that
//! competency reaches the target; when such a course has prerequisites not yet completed, the
//! prerequisite comes first. Courses already completed or in progress are left out.
//!
//! When no course reaches the target, the highest course above the current level is offered as a
//! step (marked so). A gap no course addresses at all (nothing above the current level) is a
//! *content gap*: listed for admins and authors ([`content_gaps`]), never silently skipped.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::profile::{Profile, Row};

/// A published course as the recommender sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub slug: String,
    pub title: String,
    pub jp: i32,
    pub competencies: Vec<(String, i32)>,
    pub prerequisites: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recommendation {
    pub slug: String,
    pub title: String,
    pub jp: i32,
    /// The competency whose gap it closes, its name, and the level the course reaches.
    pub code: String,
    pub name: String,
    pub level: i32,
    pub gap: i32,
    /// The position's target level for this competency.
    pub target: i32,
    /// Set when this is a prerequisite of the course that closes the gap: that course's title.
    pub leads_to: Option<String>,
    /// True when no course reaches the target and this one is the highest step above the
    /// current level: it narrows the gap without closing it.
    pub step: bool,
}

pub const MAX: usize = 8;

pub fn recommend(
    profile: &Profile,
    offers: &[Offer],
    completed: &[String],
    in_progress: &[String],
) -> Vec<Recommendation> {
    let mut out: Vec<Recommendation> = Vec::new();
    let taken =
        |slug: &str| completed.iter().any(|s| s == slug) || in_progress.iter().any(|s| s == slug);
    for row in profile.gaps() {
        let Some(target) = row.target else { continue };
        let current = row.current.unwrap_or(0);
        let (fitting, step) = fitting_offers(offers, completed, &row.code, target, current);
        for (offer, level) in fitting {
            let missing: Vec<&String> = offer
                .prerequisites
                .iter()
                .filter(|p| !completed.iter().any(|s| s == *p))
                .collect();
            let (slug, title, jp, leads_to) = match missing.first() {
                None => (offer.slug.clone(), offer.title.clone(), offer.jp, None),
                Some(p) => match offers.iter().find(|o| &o.slug == *p) {
                    Some(pre) => (
                        pre.slug.clone(),
                        pre.title.clone(),
                        pre.jp,
                        Some(offer.title.clone()),
                    ),
                    None => continue,
                },
            };
            if taken(&slug) || out.iter().any(|r| r.slug == slug) {
                continue;
            }
            out.push(Recommendation {
                slug,
                title,
                jp,
                code: row.code.clone(),
                name: row.name.clone(),
                level,
                gap: row.gap,
                target,
                leads_to,
                step,
            });
            break;
        }
        if out.len() >= MAX {
            break;
        }
    }
    out
}

/// The offers not yet completed that develop `code`, best first: those reaching `target`,
/// nearest level then shortest; when none does, the highest levels above `current`, with `true`
/// (a step).
fn fitting_offers<'o>(
    offers: &'o [Offer],
    completed: &[String],
    code: &str,
    target: i32,
    current: i32,
) -> (Vec<(&'o Offer, i32)>, bool) {
    let level_of = |o: &Offer| {
        o.competencies
            .iter()
            .filter(|(c, _)| c == code)
            .map(|(_, l)| *l)
            .max()
    };
    let open: Vec<(&Offer, i32)> = offers
        .iter()
        .filter(|o| !completed.contains(&o.slug))
        .filter_map(|o| level_of(o).map(|l| (o, l)))
        .collect();
    let mut fitting: Vec<(&Offer, i32)> =
        open.iter().copied().filter(|(_, l)| *l >= target).collect();
    let step = fitting.is_empty();
    if step {
        // No course reaches the target: the highest level above the current one is a step.
        fitting = open.iter().copied().filter(|(_, l)| *l > current).collect();
        fitting.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(a.0.jp.cmp(&b.0.jp))
                .then(a.0.slug.cmp(&b.0.slug))
        });
    } else {
        // the nearest level first (no need for a level-5 course to reach level 2), then the
        // shortest
        fitting.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(a.0.jp.cmp(&b.0.jp))
                .then(a.0.slug.cmp(&b.0.slug))
        });
    }
    (fitting, step)
}

/// A competency gap that no published course addresses: no course covers it above the level
/// people have. For admins (their agency) and authors (where to write next).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContentGap {
    pub code: String,
    pub name: String,
    /// People with this gap and no course above their level.
    pub people: usize,
    /// The highest target among them.
    pub target: i32,
    /// The lowest current level among them (0: none known).
    pub from_level: i32,
    /// The highest level any published course teaches for it (none: no course at all).
    pub offered: Option<i32>,
}

/// Whether any offer teaches `row`'s competency above its current level.
fn addressed(row: &Row, offers: &[Offer]) -> bool {
    let current = row.current.unwrap_or(0);
    offers.iter().any(|o| {
        o.competencies
            .iter()
            .any(|(c, l)| *c == row.code && *l > current)
    })
}

/// The content gaps of many people's profiles, most people first. Only counts — no names — so
/// the list can be shown to authors of any agency.
pub fn content_gaps<'a>(
    profiles: impl IntoIterator<Item = &'a Profile>,
    offers: &[Offer],
) -> Vec<ContentGap> {
    let mut by: BTreeMap<String, ContentGap> = BTreeMap::new();
    for p in profiles {
        for row in p.gaps() {
            let Some(target) = row.target else { continue };
            if addressed(row, offers) {
                continue;
            }
            let g = by.entry(row.code.clone()).or_insert_with(|| ContentGap {
                code: row.code.clone(),
                name: row.name.clone(),
                people: 0,
                target,
                from_level: row.current.unwrap_or(0),
                offered: None,
            });
            g.people += 1;
            g.target = g.target.max(target);
            g.from_level = g.from_level.min(row.current.unwrap_or(0));
        }
    }
    let taught: BTreeSet<&str> = offers
        .iter()
        .flat_map(|o| o.competencies.iter().map(|(c, _)| c.as_str()))
        .collect();
    let mut out: Vec<ContentGap> = by
        .into_values()
        .map(|mut g| {
            if taught.contains(g.code.as_str()) {
                g.offered = offers
                    .iter()
                    .flat_map(|o| o.competencies.iter())
                    .filter(|(c, _)| *c == g.code)
                    .map(|(_, l)| *l)
                    .max();
            }
            g
        })
        .collect();
    out.sort_by(|a, b| b.people.cmp(&a.people).then(a.code.cmp(&b.code)));
    out
}

/// Content gaps of several groups (positions, agencies) as one list, most people first.
pub fn merge(groups: Vec<Vec<ContentGap>>) -> Vec<ContentGap> {
    let mut by: BTreeMap<String, ContentGap> = BTreeMap::new();
    for g in groups.into_iter().flatten() {
        match by.get_mut(&g.code) {
            Some(m) => {
                m.people += g.people;
                m.target = m.target.max(g.target);
                m.from_level = m.from_level.min(g.from_level);
            }
            None => {
                by.insert(g.code.clone(), g);
            }
        }
    }
    let mut out: Vec<ContentGap> = by.into_values().collect();
    out.sort_by(|a, b| b.people.cmp(&a.people).then(a.code.cmp(&b.code)));
    out
}

#[cfg(test)]
mod tests {
    use super::super::profile::{build, Basis, Competency};
    use super::*;

    fn offer(slug: &str, comps: &[(&str, i32)], pre: &[&str], jp: i32) -> Offer {
        Offer {
            slug: slug.into(),
            title: format!("Kursus {slug}"),
            jp,
            competencies: comps.iter().map(|(c, l)| (c.to_string(), *l)).collect(),
            prerequisites: pre.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn dict() -> Vec<Competency> {
        ["M.PP", "M.INT", "T.PM"]
            .iter()
            .map(|c| Competency {
                code: c.to_string(),
                name: format!("Nama {c}"),
                kind: "manajerial".into(),
            })
            .collect()
    }

    #[test]
    fn biggest_gap_first_reaching_the_target_with_prerequisites_first() {
        let targets = vec![
            ("M.PP".to_string(), 2),
            ("M.INT".to_string(), 3),
            ("T.PM".to_string(), 2),
        ];
        let p = build(&dict(), &targets, &[], &[], Basis::Assessed);
        let offers = vec![
            offer("pp-dasar", &[("M.PP", 1)], &[], 2),
            offer("pp-lanjut", &[("M.PP", 2)], &[], 6),
            offer("pp-mahir", &[("M.PP", 4)], &[], 4),
            offer("integritas", &[("M.INT", 3)], &["etika"], 8),
            offer("etika", &[], &[], 2),
            offer("pm", &[("T.PM", 2)], &[], 8),
        ];
        let r = recommend(&p, &offers, &[], &[]);
        let slugs: Vec<&str> = r.iter().map(|x| x.slug.as_str()).collect();
        // M.INT (gap 3) first, through its prerequisite; then M.PP and T.PM (gap 2) by code
        assert_eq!(slugs, ["etika", "pp-lanjut", "pm"]);
        assert_eq!(r[0].leads_to.as_deref(), Some("Kursus integritas"));
        assert_eq!(r[0].code, "M.INT");
        assert_eq!(r[1].level, 2, "the nearest level that reaches the target");

        // with the prerequisite done, the course itself; completed courses drop out
        let r = recommend(
            &p,
            &offers,
            &["etika".into(), "pp-lanjut".into()],
            &["pm".into()],
        );
        let slugs: Vec<&str> = r.iter().map(|x| x.slug.as_str()).collect();
        assert_eq!(slugs, ["integritas", "pp-mahir"]);
    }

    #[test]
    fn the_biggest_gap_gets_a_step_when_no_course_reaches_the_target() {
        // M.PP target 4, current 1 (gap 3); the catalog stops at level 3
        let targets = vec![("M.PP".to_string(), 4), ("M.INT".to_string(), 2)];
        let assessed = vec![super::super::profile::Assessed {
            code: "M.PP".into(),
            level: 1,
            assessed_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            source: "uji".into(),
        }];
        let p = build(&dict(), &targets, &assessed, &[], Basis::Assessed);
        let offers = vec![
            offer("pp-2", &[("M.PP", 2)], &[], 4),
            offer("pp-3", &[("M.PP", 3)], &[], 6),
            offer("pp-1", &[("M.PP", 1)], &[], 2),
            offer("int", &[("M.INT", 2)], &[], 4),
        ];
        let r = recommend(&p, &offers, &[], &[]);
        assert_eq!(
            r[0].slug, "pp-3",
            "the highest step above the current level"
        );
        assert!(r[0].step);
        assert_eq!(r[0].gap, 3);
        assert_eq!((r[1].slug.as_str(), r[1].step), ("int", false));
        // nothing above the current level: no step, and a content gap
        let low = vec![offer("pp-1", &[("M.PP", 1)], &[], 2)];
        assert!(recommend(&p, &low, &[], &[])
            .iter()
            .all(|r| r.code != "M.PP"));
        let gaps = content_gaps([&p, &p], &low);
        let codes: Vec<(&str, usize, Option<i32>)> = gaps
            .iter()
            .map(|g| (g.code.as_str(), g.people, g.offered))
            .collect();
        assert_eq!(codes, [("M.INT", 2, None), ("M.PP", 2, Some(1))]);
        assert_eq!((gaps[1].target, gaps[1].from_level), (4, 1));
        // a step is not a content gap
        assert!(content_gaps([&p], &offers).is_empty());
        // groups add up
        let merged = merge(vec![gaps.clone(), content_gaps([&p], &low)]);
        assert_eq!((merged[0].code.as_str(), merged[0].people), ("M.INT", 3));
        assert_eq!((merged[1].code.as_str(), merged[1].people), ("M.PP", 3));
    }

    #[test]
    fn no_gap_no_recommendation() {
        let p = build(&dict(), &[], &[], &[], Basis::Assessed);
        assert!(recommend(&p, &[offer("x", &[("M.PP", 3)], &[], 2)], &[], &[]).is_empty());
    }
}
