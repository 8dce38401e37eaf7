//! The incentive export: one line per ASN of an agency for a year, with what HR weighs when
//! deciding incentives — rank, JP against the target, courses, levels gained, milestones and
//! letters of recognition. UTF-8 with BOM and CRLF, cells guarded against spreadsheet formulas.

use super::standing::Ranked;
use crate::competency::agency::{defuse, BOM};
use crate::competency::milestones::Milestone;

pub const HEADER: [&str; 14] = [
    "peringkat",
    "nama",
    "nip",
    "unit_kerja",
    "jabatan",
    "tahun",
    "jp",
    "target_jp",
    "memenuhi_target",
    "kursus_selesai",
    "level_kompetensi_naik",
    "jumlah_capaian",
    "capaian",
    "piagam",
];

/// One person's line besides their standing: milestones earned and letters received that year.
pub struct Extra<'a> {
    pub milestones: &'a [Milestone],
    /// Letter numbers.
    pub letters: Vec<String>,
}

/// The CSV. `label` names a milestone in Indonesian.
pub fn csv<'a>(
    ranked: &[Ranked],
    year: i32,
    target: i64,
    extra: impl Fn(i64) -> Extra<'a>,
    label: impl Fn(&Milestone) -> String,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.as_bytes().to_vec());
    w.write_record(HEADER)?;
    for r in ranked {
        let x = extra(r.row.user_id);
        let cells = [
            r.rank.to_string(),
            r.row.name.clone(),
            r.row.nip.clone().unwrap_or_default(),
            r.row.unit.clone().unwrap_or_default(),
            r.row.position.clone().unwrap_or_default(),
            year.to_string(),
            r.row.jp.to_string(),
            target.to_string(),
            if r.row.jp >= target { "ya" } else { "tidak" }.to_string(),
            r.row.completions.to_string(),
            r.row.levels_gained.to_string(),
            x.milestones.len().to_string(),
            x.milestones
                .iter()
                .map(&label)
                .collect::<Vec<_>>()
                .join("; "),
            x.letters.join("; "),
        ];
        w.write_record(cells.iter().map(|c| defuse(c)))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recognition::standing::{rank, Row};

    #[test]
    fn one_line_per_person_with_guarded_cells() {
        let ranked = rank(vec![
            Row {
                user_id: 1,
                name: "=HYPERLINK(\"x\")".into(),
                nip: Some("198703152010012002".into()),
                unit_id: None,
                unit: Some("Bidang Pelayanan".into()),
                position: None,
                jp: 24,
                completions: 3,
                levels_gained: 1,
                visible: false,
            },
            Row {
                user_id: 2,
                name: "Budi".into(),
                nip: None,
                unit_id: None,
                unit: None,
                position: None,
                jp: 4,
                completions: 1,
                levels_gained: 0,
                visible: true,
            },
        ]);
        let m = vec![Milestone {
            key: "jp20-2026".into(),
            kind: "jp20".into(),
            year: Some(2026),
            code: None,
            level: None,
            earned_at: chrono::NaiveDateTime::default(),
        }];
        let bytes = csv(
            &ranked,
            2026,
            20,
            |id| Extra {
                milestones: if id == 1 { &m } else { &[] },
                letters: if id == 1 {
                    vec!["PGH/2026/000001".into()]
                } else {
                    vec![]
                },
            },
            |_| "20 JP tercapai".into(),
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.trim_start_matches(BOM).split("\r\n").collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert!(lines[1].starts_with("1,\"'=HYPERLINK(\"\"x\"\")\",198703152010012002,Bidang Pelayanan,,2026,24,20,ya,3,1,1,20 JP tercapai,PGH/2026/000001"), "{}", lines[1]);
        assert_eq!(lines[2], "2,Budi,,,,2026,4,20,tidak,1,0,0,,");
    }
}
