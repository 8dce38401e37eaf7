//! A person's competency profile, computed from plain values: each competency's target (the
//! position's standard), assessed level, evidenced level, the level that counts, the gap, and the
//! job-person match (JPM). No database here.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::evidence::Evidence;

/// Which level the gap uses (a per-agency setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The assessed level where there is one, else the highest evidenced level.
    Assessed,
    /// The highest evidenced level, even where an assessment exists.
    Evidence,
}

impl Basis {
    pub fn parse(s: &str) -> Option<Basis> {
        match s.trim() {
            "assessed" => Some(Basis::Assessed),
            "evidence" => Some(Basis::Evidence),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Basis::Assessed => "assessed",
            Basis::Evidence => "evidence",
        }
    }
}

/// A competency of the dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Competency {
    pub code: String,
    pub name: String,
    /// `manajerial`, `sosial-kultural` or `teknis`.
    pub kind: String,
}

/// A level from a formal assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Assessed {
    pub code: String,
    pub level: i32,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub assessed_at: NaiveDateTime,
    pub source: String,
}

/// The usual target level of a position kind for managerial and socio-cultural competencies
/// (PermenPANRB 38/2017): JPT Utama and Madya 5 … Pelaksana 1; functional Ahli Utama 5 … Ahli
/// Pertama 2; the skill grades by their rank: Penyelia 3, Mahir 2, Terampil and Pemula 1 (to
/// confirm; a position's explicit targets override them).
pub fn usual_level(position_kind: &str) -> Option<i32> {
    Some(match position_kind {
        "jpt_utama" | "jpt_madya" | "fungsional_utama" => 5,
        "jpt_pratama" | "fungsional_madya" => 4,
        "administrator" | "fungsional_muda" | "fungsional_penyelia" => 3,
        "pengawas" | "fungsional_pertama" | "fungsional_mahir" => 2,
        "pelaksana" | "fungsional_terampil" | "fungsional_pemula" => 1,
        _ => return None,
    })
}

/// The targets of a position: its explicit ones, and for managerial and socio-cultural
/// competencies without one, the usual level of its kind.
pub fn targets(
    position_kind: Option<&str>,
    explicit: &[(String, i32)],
    dictionary: &[Competency],
) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = explicit.to_vec();
    if let Some(usual) = position_kind.and_then(usual_level) {
        for c in dictionary {
            let standard = c.kind == "manajerial" || c.kind == "sosial-kultural";
            if standard && !out.iter().any(|(code, _)| *code == c.code) {
                out.push((c.code.clone(), usual));
            }
        }
    }
    out
}

/// One competency in the profile.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub target: Option<i32>,
    /// The newest assessment, if any.
    pub assessed: Option<Assessed>,
    /// The highest level evidenced by learning.
    pub evidenced: Option<i32>,
    /// The level that counts, by the agency's basis.
    pub current: Option<i32>,
    /// `assessed`, `evidence` or `none`: where `current` comes from.
    pub from: &'static str,
    /// How many levels short of the target (0 when met or without target).
    pub gap: i32,
    pub evidence: Vec<Evidence>,
}

/// How well a person matches their position's standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// ≥ 80 %: memenuhi (optimal).
    Optimal,
    /// 68–80 %: masih memenuhi.
    Meets,
    /// < 68 %: kurang.
    Below,
}

pub const OPTIMAL_FROM: f64 = 0.80;
pub const MEETS_FROM: f64 = 0.68;

impl Band {
    /// The band with the default thresholds (80 % / 68 %).
    pub fn of(jpm: f64) -> Band {
        if jpm >= OPTIMAL_FROM {
            Band::Optimal
        } else if jpm >= MEETS_FROM {
            Band::Meets
        } else {
            Band::Below
        }
    }

    /// The band with an agency's thresholds, in percent (`jp_settings`).
    pub fn within(jpm: f64, optimal_pct: i32, meets_pct: i32) -> Band {
        if jpm >= f64::from(optimal_pct) / 100.0 {
            Band::Optimal
        } else if jpm >= f64::from(meets_pct) / 100.0 {
            Band::Meets
        } else {
            Band::Below
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub basis: Basis,
    pub rows: Vec<Row>,
    /// Job-person match, 0.0–1.0: Σ min(level, target) / Σ target over targeted competencies.
    pub jpm: Option<f64>,
    pub band: Option<Band>,
}

impl Profile {
    /// The same profile, its band read with an agency's thresholds (percent).
    pub fn rebanded(mut self, optimal_pct: i32, meets_pct: i32) -> Profile {
        self.band = self.jpm.map(|j| Band::within(j, optimal_pct, meets_pct));
        self
    }

    /// Rows with a gap, biggest first.
    pub fn gaps(&self) -> Vec<&Row> {
        let mut g: Vec<&Row> = self.rows.iter().filter(|r| r.gap > 0).collect();
        g.sort_by(|a, b| b.gap.cmp(&a.gap).then(a.code.cmp(&b.code)));
        g
    }
}

fn kind_order(kind: &str) -> u8 {
    match kind {
        "manajerial" => 0,
        "sosial-kultural" => 1,
        _ => 2,
    }
}

/// Build the profile. Competencies appear when they have a target, an assessment or evidence.
pub fn build(
    dictionary: &[Competency],
    targets: &[(String, i32)],
    assessed: &[Assessed],
    evidence: &[Evidence],
    basis: Basis,
) -> Profile {
    let mut codes: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if !codes.iter().any(|x| x == c) {
            codes.push(c.to_string());
        }
    };
    targets.iter().for_each(|(c, _)| add(c));
    assessed.iter().for_each(|a| add(&a.code));
    evidence.iter().for_each(|e| add(&e.code));
    let mut rows: Vec<Row> = codes
        .into_iter()
        .map(|code| {
            let info = dictionary.iter().find(|c| c.code == code);
            let target = targets
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, l)| (*l).clamp(1, 5));
            let newest = assessed
                .iter()
                .filter(|a| a.code == code)
                .max_by_key(|a| a.assessed_at)
                .cloned();
            let mine: Vec<Evidence> = evidence
                .iter()
                .filter(|e| e.code == code)
                .cloned()
                .collect();
            let evidenced = mine.iter().map(|e| e.level.clamp(1, 5)).max();
            let (current, from) = match (basis, &newest, evidenced) {
                (Basis::Assessed, Some(a), _) => (Some(a.level.clamp(1, 5)), "assessed"),
                (_, _, Some(e)) => (Some(e), "evidence"),
                _ => (None, "none"),
            };
            let gap = match target {
                Some(t) => (t - current.unwrap_or(0)).max(0),
                None => 0,
            };
            Row {
                name: info.map(|c| c.name.clone()).unwrap_or_else(|| code.clone()),
                kind: info
                    .map(|c| c.kind.clone())
                    .unwrap_or_else(|| "teknis".into()),
                code,
                target,
                assessed: newest,
                evidenced,
                current,
                from,
                gap,
                evidence: mine,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        kind_order(&a.kind)
            .cmp(&kind_order(&b.kind))
            .then(a.code.cmp(&b.code))
    });
    let targeted: Vec<&Row> = rows.iter().filter(|r| r.target.is_some()).collect();
    let total: i32 = targeted.iter().filter_map(|r| r.target).sum();
    let met: i32 = targeted
        .iter()
        .map(|r| r.current.unwrap_or(0).min(r.target.unwrap_or(0)))
        .sum();
    let jpm = (total > 0).then(|| f64::from(met) / f64::from(total));
    Profile {
        basis,
        rows,
        jpm,
        band: jpm.map(Band::of),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn dict() -> Vec<Competency> {
        [
            ("M.INT", "Integritas", "manajerial"),
            ("M.PP", "Pelayanan Publik", "manajerial"),
            ("SK.PB", "Perekat Bangsa", "sosial-kultural"),
            (
                "T.EGOV",
                "Layanan Pemerintahan Berbasis Elektronik",
                "teknis",
            ),
        ]
        .iter()
        .map(|(c, n, k)| Competency {
            code: c.to_string(),
            name: n.to_string(),
            kind: k.to_string(),
        })
        .collect()
    }

    fn ev(code: &str, level: i32, id: i64) -> Evidence {
        Evidence {
            code: code.into(),
            level,
            source_kind: "course".into(),
            source_id: id,
            title: format!("Kursus {id}"),
            earned_at: at(2026, 3, id as u32),
        }
    }

    #[test]
    fn usual_targets_fill_managerial_and_socio_cultural_only() {
        let t = targets(
            Some("pengawas"),
            &[("M.PP".into(), 3), ("T.EGOV".into(), 2)],
            &dict(),
        );
        assert!(t.contains(&("M.PP".into(), 3)), "explicit wins");
        assert!(t.contains(&("M.INT".into(), 2)));
        assert!(t.contains(&("SK.PB".into(), 2)));
        assert!(t.contains(&("T.EGOV".into(), 2)));
        assert_eq!(t.len(), 4);
        assert_eq!(targets(None, &[], &dict()), vec![]);
        assert_eq!(usual_level("jpt_madya"), Some(5));
        assert_eq!(usual_level("fungsional_terampil"), Some(1));
    }

    #[test]
    fn the_gap_uses_the_assessment_where_there_is_one_unless_the_agency_says_evidence() {
        let t = vec![("M.INT".to_string(), 3), ("M.PP".to_string(), 3)];
        let assessed = vec![
            Assessed {
                code: "M.INT".into(),
                level: 1,
                assessed_at: at(2025, 1, 1),
                source: "Assessment center BKD 2025".into(),
            },
            Assessed {
                code: "M.INT".into(),
                level: 2,
                assessed_at: at(2026, 1, 1),
                source: "Uji kompetensi 2026".into(),
            },
        ];
        let evidence = vec![ev("M.INT", 3, 1), ev("M.PP", 2, 2), ev("M.PP", 1, 3)];
        let p = build(&dict(), &t, &assessed, &evidence, Basis::Assessed);
        let int = p.rows.iter().find(|r| r.code == "M.INT").unwrap();
        assert_eq!(
            int.assessed.as_ref().unwrap().level,
            2,
            "the newest assessment"
        );
        assert_eq!(int.evidenced, Some(3));
        assert_eq!((int.current, int.from, int.gap), (Some(2), "assessed", 1));
        let pp = p.rows.iter().find(|r| r.code == "M.PP").unwrap();
        assert_eq!((pp.current, pp.from, pp.gap), (Some(2), "evidence", 1));
        assert_eq!(pp.evidence.len(), 2);
        // JPM = (2 + 2) / (3 + 3)
        assert!((p.jpm.unwrap() - 4.0 / 6.0).abs() < 1e-9);
        assert_eq!(p.band, Some(Band::Below));

        let p = build(&dict(), &t, &assessed, &evidence, Basis::Evidence);
        let int = p.rows.iter().find(|r| r.code == "M.INT").unwrap();
        assert_eq!((int.current, int.from, int.gap), (Some(3), "evidence", 0));
        assert!((p.jpm.unwrap() - 5.0 / 6.0).abs() < 1e-9);
        assert_eq!(p.band, Some(Band::Optimal));
        assert_eq!(p.gaps().len(), 1);
    }

    #[test]
    fn no_level_means_the_whole_target_is_the_gap() {
        let p = build(&dict(), &[("SK.PB".into(), 3)], &[], &[], Basis::Assessed);
        assert_eq!(p.rows[0].gap, 3);
        assert_eq!(p.rows[0].from, "none");
        assert_eq!(p.jpm, Some(0.0));
        let empty = build(&dict(), &[], &[], &[], Basis::Assessed);
        assert!(empty.rows.is_empty());
        assert_eq!(empty.jpm, None);
    }

    #[test]
    fn bands_follow_the_usual_thresholds() {
        assert_eq!(Band::of(0.8), Band::Optimal);
        assert_eq!(Band::of(0.79), Band::Meets);
        assert_eq!(Band::of(0.68), Band::Meets);
        assert_eq!(Band::of(0.5), Band::Below);
        for jpm in [0.0, 0.5, 0.67, 0.68, 0.7, 0.79, 0.8, 0.95, 1.0] {
            assert_eq!(Band::within(jpm, 80, 68), Band::of(jpm), "{jpm}");
        }
        assert_eq!(Band::within(0.8, 90, 75), Band::Meets);
        assert_eq!(Band::within(0.7, 90, 75), Band::Below);
    }

    #[test]
    fn rows_are_ordered_by_kind_then_code_and_gaps_biggest_first() {
        let t = vec![
            ("T.EGOV".to_string(), 2),
            ("SK.PB".to_string(), 3),
            ("M.PP".to_string(), 1),
        ];
        let p = build(&dict(), &t, &[], &[ev("M.PP", 1, 1)], Basis::Assessed);
        let order: Vec<&str> = p.rows.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(order, ["M.PP", "SK.PB", "T.EGOV"]);
        let gaps: Vec<&str> = p.gaps().iter().map(|r| r.code.as_str()).collect();
        assert_eq!(gaps, ["SK.PB", "T.EGOV"]);
    }
}
