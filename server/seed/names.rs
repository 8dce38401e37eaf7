//! The people and organisations of generated data: Indonesian names, valid NIPs, agencies, units
//! and positions as a regional government really has them. Pure and deterministic: the same index
//! always gives the same person.

use chrono::{Datelike, Duration, NaiveDate};

const GIVEN_MALE: [&str; 24] = [
    "Agus",
    "Budi",
    "Dedi",
    "Eko",
    "Fajar",
    "Hendra",
    "Irfan",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Made",
    "Nur",
    "Putu",
    "Rahmat",
    "Rizky",
    "Slamet",
    "Taufik",
    "Wahyu",
    "Yusuf",
    "Andi",
    "Bambang",
    "Dimas",
    "Gede",
    "Arief",
];
const GIVEN_FEMALE: [&str; 24] = [
    "Ayu", "Dewi", "Endang", "Fitri", "Indah", "Kartika", "Lestari", "Maya", "Nurul", "Putri",
    "Ratna", "Sari", "Siti", "Tri", "Wulan", "Yuni", "Anisa", "Dian", "Eka", "Hana", "Intan",
    "Mega", "Novi", "Rina",
];
const FAMILY: [&str; 32] = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Pratama",
    "Nugroho",
    "Setiawan",
    "Kusuma",
    "Siregar",
    "Nasution",
    "Harahap",
    "Lubis",
    "Simanjuntak",
    "Sinaga",
    "Wibowo",
    "Purnomo",
    "Rahayu",
    "Susanti",
    "Handayani",
    "Permata",
    "Utami",
    "Wulandari",
    "Maharani",
    "Pertiwi",
    "Gunawan",
    "Hakim",
    "Syahputra",
    "Ramadhan",
    "Firmansyah",
    "Prasetyo",
    "Suryani",
    "Lestari",
];

/// Regional governments and ministries: (code, name, kind).
pub const AGENCIES: [(&str, &str, &str); 12] = [
    ("PROV-JATENG", "Pemerintah Provinsi Jawa Tengah", "provinsi"),
    ("KAB-SLEMAN", "Pemerintah Kabupaten Sleman", "kabupaten"),
    ("KOTA-SURABAYA", "Pemerintah Kota Surabaya", "kota"),
    (
        "PROV-SUMUT",
        "Pemerintah Provinsi Sumatera Utara",
        "provinsi",
    ),
    (
        "KAB-BANYUWANGI",
        "Pemerintah Kabupaten Banyuwangi",
        "kabupaten",
    ),
    ("KOTA-MAKASSAR", "Pemerintah Kota Makassar", "kota"),
    ("KEMENPANRB", "Kementerian PANRB", "pusat"),
    (
        "PROV-NTB",
        "Pemerintah Provinsi Nusa Tenggara Barat",
        "provinsi",
    ),
    ("KAB-BADUNG", "Pemerintah Kabupaten Badung", "kabupaten"),
    ("KOTA-BANDUNG", "Pemerintah Kota Bandung", "kota"),
    (
        "PROV-KALTIM",
        "Pemerintah Provinsi Kalimantan Timur",
        "provinsi",
    ),
    ("KAB-GOWA", "Pemerintah Kabupaten Gowa", "kabupaten"),
];

/// The units (perangkat daerah) every generated agency has.
pub const UNITS: [&str; 10] = [
    "Badan Kepegawaian dan Pengembangan SDM",
    "Sekretariat Daerah",
    "Dinas Pendidikan",
    "Dinas Kesehatan",
    "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Badan Perencanaan Pembangunan Daerah",
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Dinas Penanaman Modal dan PTSP",
    "Badan Pengelolaan Keuangan dan Aset Daerah",
    "Dinas Komunikasi dan Informatika",
];

/// Positions: (name, kind, whether it heads a unit). The head of a unit is its members'
/// supervisor (atasan).
pub const POSITIONS: [(&str, &str, bool); 8] = [
    ("Kepala Bidang", "administrator", true),
    ("Kepala Subbagian Umum dan Kepegawaian", "pengawas", false),
    ("Analis Kebijakan Ahli Muda", "fungsional_muda", false),
    ("Pranata Komputer Ahli Pertama", "fungsional_pertama", false),
    (
        "Analis Sumber Daya Manusia Aparatur Ahli Pertama",
        "fungsional_pertama",
        false,
    ),
    ("Arsiparis Terampil", "fungsional_terampil", false),
    ("Penata Layanan Operasional", "pelaksana", false),
    ("Pengadministrasi Perkantoran", "pelaksana", false),
];

/// A generated civil servant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub nip: String,
    pub female: bool,
}

/// Person number `i` (0-based). E-mail `asn{i+1}@seed.cakap.test`; the NIP is unique per `i`
/// (for `i` below about 11 million) and passes [`crate::accounts::nip::Nip::parse_now`].
pub fn person(i: usize) -> Person {
    let female = i % 2 == 1;
    let given = if female {
        GIVEN_FEMALE[(i / 2) % GIVEN_FEMALE.len()]
    } else {
        GIVEN_MALE[(i / 2) % GIVEN_MALE.len()]
    };
    let family = FAMILY[(i / 7 + i) % FAMILY.len()];
    let name = format!("{given} {family}");
    // NIP: birth date (a distinct day per block of 999 people), TMT 24 years after birth,
    // gender digit, sequence 001-999.
    let block = i / 999;
    let seq = i % 999 + 1;
    let birth = NaiveDate::from_ymd_opt(1966, 1, 1).expect("a date")
        + Duration::days((block % 11_000) as i64);
    let tmt_year = birth.year() + 24;
    let tmt_month = birth.month();
    let nip = format!(
        "{}{tmt_year:04}{tmt_month:02}{}{seq:03}",
        birth.format("%Y%m%d"),
        if female { 2 } else { 1 }
    );
    Person {
        name,
        email: format!("asn{}@seed.cakap.test", i + 1),
        nip,
        female,
    }
}

/// Agency number `a`: its code, name and kind. Past the list, codes and names get a number.
pub fn agency(a: usize) -> (String, String, &'static str) {
    let (code, name, kind) = AGENCIES[a % AGENCIES.len()];
    let round = a / AGENCIES.len();
    if round == 0 {
        (code.to_string(), name.to_string(), kind)
    } else {
        (
            format!("{code}-{}", round + 1),
            format!("{name} ({})", round + 1),
            kind,
        )
    }
}

/// The usual target level of a position kind (PermenPANRB 38/2017).
pub fn target_level(kind: &str) -> i32 {
    crate::competency::profile::usual_level(kind).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::nip::Nip;
    use std::collections::HashSet;

    #[test]
    fn people_have_valid_unique_nips_and_emails() {
        let mut nips = HashSet::new();
        let mut emails = HashSet::new();
        for i in (0..60_000).chain(1_000_000..1_001_000) {
            let p = person(i);
            assert!(Nip::parse_now(&p.nip).is_ok(), "{i}: {}", p.nip);
            assert!(nips.insert(p.nip.clone()), "{i}: duplicate NIP {}", p.nip);
            assert!(emails.insert(p.email.clone()));
            assert_eq!(&p.nip[14..15], if p.female { "2" } else { "1" });
        }
    }

    #[test]
    fn agencies_repeat_with_distinct_codes() {
        let codes: HashSet<String> = (0..40).map(|a| agency(a).0).collect();
        assert_eq!(codes.len(), 40);
        assert_eq!(agency(0).0, "PROV-JATENG");
        assert_eq!(agency(12).0, "PROV-JATENG-2");
    }

    #[test]
    fn position_kinds_are_known() {
        for (_, kind, _) in POSITIONS {
            assert!(crate::accounts::orgs::POSITION_KINDS.contains(&kind));
            assert!((1..=5).contains(&target_level(kind)));
        }
        for (_, _, kind) in AGENCIES {
            assert!(crate::accounts::orgs::AGENCY_KINDS.contains(&kind));
        }
    }
}
