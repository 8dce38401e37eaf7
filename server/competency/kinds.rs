//! The kinds of development an ASN may record outside the platform, and the most JP one activity
//! may claim: shared by the activities, their JP conversion, plans and the budget. A leaf.

/// Kinds of development (Peraturan LAN 10/2018: klasikal and non-klasikal forms).
pub const KINDS: [&str; 12] = [
    "pelatihan_klasikal",
    "seminar",
    "workshop",
    "bimtek",
    "kursus",
    "sosialisasi",
    "coaching",
    "mentoring",
    "magang",
    "studi_banding",
    "e_learning",
    "lainnya",
];

/// Most JP one activity may claim.
pub const MAX_JP: i32 = 200;
