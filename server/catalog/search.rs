//! Catalog search and filters: plain functions over the catalog entries.

use serde::{Deserialize, Serialize};

use super::store::CatalogEntry;

/// JP bands offered by the catalog filter.
pub const JP_BANDS: &[(&str, i32, i32)] = &[("1-4", 1, 4), ("5-8", 5, 8), ("9-", 9, i32::MAX)];

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Query {
    /// Words to find in the title, summary and tags.
    pub q: Option<String>,
    /// A competency code.
    pub competency: Option<String>,
    /// A competency kind: manajerial, sosial-kultural, teknis.
    pub kind: Option<String>,
    /// A JP band from [`JP_BANDS`] (`1-4`, `5-8`, `9-`).
    pub jp: Option<String>,
    /// A partner's code: only the courses it provides.
    pub provider: Option<String>,
}

impl Query {
    fn clean(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        Self::clean(&self.q).is_none()
            && Self::clean(&self.competency).is_none()
            && Self::clean(&self.kind).is_none()
            && Self::clean(&self.jp).is_none()
            && Self::clean(&self.provider).is_none()
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// The entries that match every given criterion, in catalog order.
pub fn filter<'a>(entries: &'a [CatalogEntry], query: &Query) -> Vec<&'a CatalogEntry> {
    let words: Vec<String> = Query::clean(&query.q)
        .map(|q| q.split_whitespace().map(fold).collect())
        .unwrap_or_default();
    let competency = Query::clean(&query.competency);
    let kind = Query::clean(&query.kind);
    let band = Query::clean(&query.jp).and_then(|b| JP_BANDS.iter().find(|(k, _, _)| *k == b));
    let provider = Query::clean(&query.provider);
    entries
        .iter()
        .filter(|e| {
            if !words.is_empty() {
                let haystack = fold(&format!("{} {} {}", e.title, e.summary, e.tags.join(" ")));
                if !words.iter().all(|w| haystack.contains(w.as_str())) {
                    return false;
                }
            }
            if let Some(code) = competency {
                if !e.competencies.iter().any(|c| c.code == code) {
                    return false;
                }
            }
            if let Some(kind) = kind {
                if !e.competencies.iter().any(|c| c.kind == kind) {
                    return false;
                }
            }
            if let Some((_, lo, hi)) = band {
                if e.jp < *lo || e.jp > *hi {
                    return false;
                }
            }
            if let Some(code) = provider {
                if e.provider.as_ref().map(|p| p.code.as_str()) != Some(code) {
                    return false;
                }
            }
            true
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::store::CompetencyRef;

    fn entry(
        slug: &str,
        title: &str,
        jp: i32,
        tags: &[&str],
        comps: &[(&str, &str)],
    ) -> CatalogEntry {
        CatalogEntry {
            slug: slug.into(),
            version_id: 1,
            hash: "h".into(),
            title: title.into(),
            summary: format!("Ringkasan {title}"),
            jp,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            total_minutes: 60,
            module_count: 3,
            competencies: comps
                .iter()
                .map(|(code, kind)| CompetencyRef {
                    code: code.to_string(),
                    name: code.to_string(),
                    kind: kind.to_string(),
                    level: 2,
                })
                .collect(),
            provider: None,
        }
    }

    #[test]
    fn the_provider_filter_keeps_a_partners_courses() {
        let mut undip = entry("data", "Analisis Data", 8, &[], &[]);
        undip.provider = Some(crate::catalog::store::Provider {
            code: "undip".into(),
            name: "Universitas Diponegoro".into(),
        });
        let all = vec![undip, entry("pelayanan", "Pelayanan", 6, &[], &[])];
        let q = |p: &str| Query {
            provider: Some(p.into()),
            ..Default::default()
        };
        assert_eq!(slugs(filter(&all, &q("undip"))), ["data"]);
        assert!(filter(&all, &q("ugm")).is_empty());
        assert_eq!(filter(&all, &q(" ")).len(), 2);
        assert!(!q("undip").is_empty());
    }

    fn slugs(v: Vec<&CatalogEntry>) -> Vec<&str> {
        v.into_iter().map(|e| e.slug.as_str()).collect()
    }

    #[test]
    fn search_and_filters_combine() {
        let all = vec![
            entry(
                "pelayanan",
                "Pelayanan Publik Prima",
                6,
                &["pelayanan"],
                &[("M.PP", "manajerial")],
            ),
            entry(
                "digital",
                "Literasi Digital",
                5,
                &["spbe", "keamanan"],
                &[("T.EGOV", "teknis")],
            ),
            entry(
                "proyek",
                "Manajemen Proyek",
                8,
                &["perencanaan"],
                &[("T.PM", "teknis"), ("M.OH", "manajerial")],
            ),
        ];
        let q = |q: &str, c: &str, k: &str, jp: &str| Query {
            q: Some(q.into()),
            competency: Some(c.into()),
            kind: Some(k.into()),
            jp: Some(jp.into()),
            provider: None,
        };
        assert_eq!(
            slugs(filter(&all, &Query::default())),
            ["pelayanan", "digital", "proyek"]
        );
        assert_eq!(slugs(filter(&all, &q("PUBLIK", "", "", ""))), ["pelayanan"]);
        assert_eq!(
            slugs(filter(&all, &q("spbe", "", "", ""))),
            ["digital"],
            "tags are searched"
        );
        assert_eq!(
            slugs(filter(&all, &q("ringkasan proyek", "", "", ""))),
            ["proyek"],
            "summary too, all words"
        );
        assert_eq!(
            slugs(filter(&all, &q("", "", "teknis", ""))),
            ["digital", "proyek"]
        );
        assert_eq!(slugs(filter(&all, &q("", "M.OH", "", ""))), ["proyek"]);
        assert_eq!(
            slugs(filter(&all, &q("", "", "", "5-8"))),
            ["pelayanan", "digital", "proyek"]
        );
        assert_eq!(
            slugs(filter(&all, &q("", "", "manajerial", "1-4"))),
            Vec::<&str>::new()
        );
        assert!(q(" ", "", "", "").is_empty());
    }
}
