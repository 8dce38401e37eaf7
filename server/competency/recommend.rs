//! Recommended courses: for each gap, biggest first, the published courses whose level for that
//! competency reaches the target; when such a course has prerequisites not yet completed, the
//! prerequisite comes first. Courses already completed or in progress are left out.

use serde::Serialize;

use super::profile::Profile;

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
    /// Set when this is a prerequisite of the course that closes the gap: that course's title.
    pub leads_to: Option<String>,
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
        let mut fitting: Vec<(&Offer, i32)> = offers
            .iter()
            .filter_map(|o| {
                o.competencies
                    .iter()
                    .find(|(c, l)| *c == row.code && *l >= target)
                    .map(|(_, l)| (o, *l))
            })
            .filter(|(o, _)| !completed.contains(&o.slug))
            .collect();
        // the nearest level first (no need for a level-5 course to reach level 2), then the shortest
        fitting.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(a.0.jp.cmp(&b.0.jp))
                .then(a.0.slug.cmp(&b.0.slug))
        });
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
                leads_to,
            });
            break;
        }
        if out.len() >= MAX {
            break;
        }
    }
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
    fn no_gap_no_recommendation() {
        let p = build(&dict(), &[], &[], &[], Basis::Assessed);
        assert!(recommend(&p, &[offer("x", &[("M.PP", 3)], &[], 2)], &[], &[]).is_empty());
    }
}
