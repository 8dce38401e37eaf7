//! NIP (Nomor Induk Pegawai): the 18-digit number of a civil servant, checked for structure.
//!
//! Pure domain code: no I/O. "Parse, don't validate": a [`Nip`] can only be made by
//! [`Nip::parse`] (or [`Nip::parse_now`]), so holding one means the number has 18 ASCII digits
//! and a plausible structure.
//!
//! A PNS NIP (see `asn-domain.md`, "NIP (Nomor Induk Pegawai)"):
//!
//! | digits | meaning                                          | checked                                   |
//! |--------|--------------------------------------------------|-------------------------------------------|
//! | 1–8    | birth date, `YYYYMMDD`                           | a real date; year 1940 ..= today − 17     |
//! | 9–14   | year and month of appointment as CPNS (TMT)      | month 01–12; not before age 17, not future|
//! | 15     | gender: 1 male, 2 female                         | 1 or 2                                    |
//! | 16–18  | sequence number                                  | 001–999                                   |
//!
//! A PPPK's 18-digit NI PPPK shares the birth-date prefix; the rest (commonly year of
//! appointment `YYYY`, a two-digit code, a gender digit and a sequence number) is not confirmed,
//! so only the birth date is checked, plus the year that tells it apart from a PNS NIP:
//!
//! 1. if the full PNS structure holds, the number is a PNS NIP ([`NipKind::Pns`]);
//! 2. else, if the PNS layout itself fails (digits 13–14 are not a month 01–12, or digit 15 is
//!    not 1 or 2), the birth date is valid, and digits 9–12 are a year from 2019 (when PPPK
//!    began) to today's year in which the person was at least 17, it is an NI PPPK
//!    ([`NipKind::Pppk`]). A number that fits the PNS layout but fails on a date (TMT in the
//!    future or before age 17) or on sequence 000 is a mistyped PNS NIP, not an NI PPPK;
//! 3. else the error is the PNS error for the first failing part, read left to right.
//!
//! People type NIPs with spaces, dots and dashes (`19850312 201001 2 003`); those are removed.
//! Any other non-digit is an error. Every error names the part that is wrong and what it should
//! be, in Indonesian and English.

use std::fmt;

use crate::text::{MONTHS_EN, MONTHS_ID};
use chrono::{Datelike, NaiveDate, Utc};

/// Number of digits in a NIP (and in an NI PPPK).
pub const NIP_LEN: usize = 18;
/// Earliest plausible birth year.
pub const MIN_BIRTH_YEAR: i32 = 1940;
/// Minimum age in years, for the birth-year bound and at appointment (soft; the law asks more).
pub const MIN_AGE: i32 = 17;
/// First year PPPK were appointed.
pub const PPPK_FIRST_YEAR: i32 = 2019;

/// An 18-digit NIP (PNS) or NI PPPK whose structure has been checked.
///
/// `Debug` shows the masked form only, so a stray `{:?}` in a log does not leak a birth date;
/// `Display` and [`Nip::as_str`] give the full number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nip {
    /// Always exactly 18 ASCII digits.
    digits: String,
    kind: NipKind,
}

/// Which kind of number a [`Nip`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NipKind {
    /// Pegawai Negeri Sipil: the full NIP structure was checked.
    Pns,
    /// Pegawai Pemerintah dengan Perjanjian Kerja: an NI PPPK, birth date (and year) checked only.
    Pppk,
}

/// Gender as encoded in digit 15 of a PNS NIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Male,
    Female,
}

/// The part of the input an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NipPart {
    /// A character other than a digit, space, dot or dash.
    Characters,
    /// Not 18 digits.
    Length,
    /// Digits 1–8.
    BirthDate,
    /// Digits 9–14 (TMT CPNS).
    Appointment,
    /// Digit 15.
    Gender,
    /// Digits 16–18.
    Sequence,
}

impl NipPart {
    /// The digits (1-based, inclusive) this part covers, for highlighting in a form; `None` for
    /// errors about the whole input.
    pub fn digits(self) -> Option<(usize, usize)> {
        match self {
            NipPart::Characters | NipPart::Length => None,
            NipPart::BirthDate => Some((1, 8)),
            NipPart::Appointment => Some((9, 14)),
            NipPart::Gender => Some((15, 15)),
            NipPart::Sequence => Some((16, 18)),
        }
    }
}

/// Why an input is not a NIP: the part, and a message for people in Indonesian and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NipError {
    pub part: NipPart,
    /// Indonesian message (the default language).
    pub message_id: String,
    /// English message.
    pub message_en: String,
}

impl NipError {
    fn new(part: NipPart, message_id: String, message_en: String) -> NipError {
        NipError {
            part,
            message_id,
            message_en,
        }
    }
}

impl fmt::Display for NipError {
    /// The Indonesian message (Indonesian is the default language).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_id)
    }
}

impl std::error::Error for NipError {}

const CHECK_ID: &str = "periksa kembali NIP Anda";
const CHECK_EN: &str = "check your NIP";

/// `month` is 1..=12.
fn month_id(year: i32, month: u32) -> String {
    format!("{} {}", MONTHS_ID[(month - 1) as usize], year)
}

/// `month` is 1..=12.
fn month_en(year: i32, month: u32) -> String {
    format!("{} {}", MONTHS_EN[(month - 1) as usize], year)
}

/// The number in `digits[range]`; the caller guarantees ASCII digits.
fn num(digits: &str, range: std::ops::Range<usize>) -> u32 {
    digits.as_bytes()[range]
        .iter()
        .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
}

/// Months since year 0, for comparing year-months.
fn month_index(year: i32, month: u32) -> i64 {
    i64::from(year) * 12 + i64::from(month) - 1
}

fn days_in_month(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|&d| NaiveDate::from_ymd_opt(year, month, d).is_some())
        .unwrap_or(28)
}

/// Whether a character people type between digit groups is skipped.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{2014}'
        )
}

/// The digits of `input` without separators, or an error for another character or a wrong count.
fn normalize(input: &str) -> Result<String, NipError> {
    let mut digits = String::with_capacity(NIP_LEN);
    for (i, c) in input.chars().enumerate() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !is_separator(c) {
            let shown = c.escape_debug();
            let pos = i + 1;
            return Err(NipError::new(
                NipPart::Characters,
                format!(
                    "NIP hanya boleh berisi angka (spasi, titik dan tanda hubung boleh); \
                     karakter '{shown}' pada posisi ke-{pos} bukan angka"
                ),
                format!(
                    "A NIP may contain only digits (spaces, dots and dashes are allowed); \
                     the character '{shown}' at position {pos} is not a digit"
                ),
            ));
        }
    }
    match digits.len() {
        NIP_LEN => Ok(digits),
        0 => Err(NipError::new(
            NipPart::Length,
            format!("NIP belum diisi; NIP terdiri atas {NIP_LEN} digit angka"),
            format!("The NIP is empty; a NIP has {NIP_LEN} digits"),
        )),
        n => Err(NipError::new(
            NipPart::Length,
            format!("NIP harus {NIP_LEN} digit angka; yang Anda masukkan {n} digit"),
            format!("A NIP has {NIP_LEN} digits; you entered {n}"),
        )),
    }
}

/// Digits 1–8: a real date with a plausible year.
fn check_birth_date(d: &str, today: NaiveDate) -> Result<NaiveDate, NipError> {
    let text = &d[0..8];
    let year = num(d, 0..4) as i32;
    let month = num(d, 4..6);
    let day = num(d, 6..8);
    let max_year = today.year() - MIN_AGE;
    let err = |id: String, en: String| {
        Err(NipError::new(
            NipPart::BirthDate,
            format!("NIP digit 1–8 (tanggal lahir): {id}; {CHECK_ID}"),
            format!("NIP digits 1–8 (date of birth): {en}; {CHECK_EN}"),
        ))
    };
    if !(MIN_BIRTH_YEAR..=max_year).contains(&year) {
        return err(
            format!(
                "tahun lahir {year} tidak mungkin; seharusnya antara {MIN_BIRTH_YEAR} dan {max_year}"
            ),
            format!(
                "birth year {year} is not plausible; it should be between {MIN_BIRTH_YEAR} and {max_year}"
            ),
        );
    }
    if !(1..=12).contains(&month) {
        return err(
            format!("{text} bukan tanggal yang ada (bulan {month:02} tidak ada, harus 01–12)"),
            format!("{text} is not a real date (there is no month {month:02}; it must be 01–12)"),
        );
    }
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => Ok(date),
        None => {
            let last = days_in_month(year, month);
            let (why_id, why_en) = if day == 0 {
                (
                    "tanggal 00 tidak ada".to_string(),
                    "there is no day 00".to_string(),
                )
            } else {
                (
                    format!("{} hanya {last} hari", month_id(year, month)),
                    format!("{} has only {last} days", month_en(year, month)),
                )
            };
            err(
                format!("{text} bukan tanggal yang ada ({why_id})"),
                format!("{text} is not a real date ({why_en})"),
            )
        }
    }
}

/// Digits 9–18 of a PNS NIP, left to right: TMT month, TMT not in the future, TMT not before
/// age 17, gender, sequence.
fn check_pns_rest(d: &str, birth: NaiveDate, today: NaiveDate) -> Result<(), NipError> {
    let tmt_text = &d[8..14];
    let tmt_year = num(d, 8..12) as i32;
    let tmt_month = num(d, 12..14);
    let tmt_err = |id: String, en: String| {
        Err(NipError::new(
            NipPart::Appointment,
            format!("NIP digit 9–14 (TMT CPNS): {id}; {CHECK_ID}"),
            format!("NIP digits 9–14 (CPNS appointment): {en}; {CHECK_EN}"),
        ))
    };
    if !(1..=12).contains(&tmt_month) {
        return tmt_err(
            format!("bulan {tmt_month:02} tidak ada (harus 01–12)"),
            format!("month {tmt_month:02} does not exist (it must be 01–12)"),
        );
    }
    let tmt = month_index(tmt_year, tmt_month);
    if tmt > month_index(today.year(), today.month()) {
        return tmt_err(
            format!(
                "{tmt_text} ({}) masih di masa depan; TMT CPNS paling lambat bulan ini ({})",
                month_id(tmt_year, tmt_month),
                month_id(today.year(), today.month())
            ),
            format!(
                "{tmt_text} ({}) is in the future; the appointment can be this month ({}) at the latest",
                month_en(tmt_year, tmt_month),
                month_en(today.year(), today.month())
            ),
        );
    }
    let turned_17 = (birth.year() + MIN_AGE, birth.month());
    if tmt < month_index(turned_17.0, turned_17.1) {
        return tmt_err(
            format!(
                "{tmt_text} ({}) jatuh sebelum pemilik NIP berusia {MIN_AGE} tahun (lahir {}); \
                 TMT CPNS seharusnya {} atau sesudahnya",
                month_id(tmt_year, tmt_month),
                month_id(birth.year(), birth.month()),
                month_id(turned_17.0, turned_17.1)
            ),
            format!(
                "{tmt_text} ({}) is before the holder turned {MIN_AGE} (born {}); \
                 the appointment should be {} or later",
                month_en(tmt_year, tmt_month),
                month_en(birth.year(), birth.month()),
                month_en(turned_17.0, turned_17.1)
            ),
        );
    }
    let gender = num(d, 14..15);
    if !(1..=2).contains(&gender) {
        return Err(NipError::new(
            NipPart::Gender,
            format!(
                "NIP digit 15 (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan), bukan {gender}; {CHECK_ID}"
            ),
            format!("NIP digit 15 (gender) must be 1 (male) or 2 (female), not {gender}; {CHECK_EN}"),
        ));
    }
    if num(d, 15..18) == 0 {
        return Err(NipError::new(
            NipPart::Sequence,
            format!(
                "NIP digit 16–18 (nomor urut) tidak boleh 000; nomor urut mulai dari 001; {CHECK_ID}"
            ),
            format!(
                "NIP digits 16–18 (sequence number) cannot be 000; the sequence starts at 001; {CHECK_EN}"
            ),
        ));
    }
    Ok(())
}

/// Whether digits 13–15 fit the PNS layout (a month 01–12, then gender 1 or 2). A number that
/// fits it and still fails the PNS check (TMT in the future or before age 17, sequence 000) is a
/// PNS NIP with a mistake, not an NI PPPK.
fn pns_layout(d: &str) -> bool {
    (1..=12).contains(&num(d, 12..14)) && (1..=2).contains(&num(d, 14..15))
}

/// Whether digits 9–12 make a plausible NI PPPK year of appointment (birth date already checked).
fn plausible_pppk_year(d: &str, birth: NaiveDate, today: NaiveDate) -> bool {
    let year = num(d, 8..12) as i32;
    (PPPK_FIRST_YEAR..=today.year()).contains(&year) && year >= birth.year() + MIN_AGE
}

impl Nip {
    /// Parse a NIP or NI PPPK as typed by a person, judged on the date `today` (birth year,
    /// appointment not in the future). Spaces, dots and dashes are ignored.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Nip, NipError> {
        let digits = normalize(input)?;
        let birth = check_birth_date(&digits, today)?;
        let kind = match check_pns_rest(&digits, birth, today) {
            Ok(()) => NipKind::Pns,
            Err(_) if !pns_layout(&digits) && plausible_pppk_year(&digits, birth, today) => {
                NipKind::Pppk
            }
            Err(e) => return Err(e),
        };
        Ok(Nip { digits, kind })
    }

    /// [`Nip::parse`] judged on today's date in Indonesia. A NIP is read before the person has
    /// an agency (registration), so the date is today in WIT, the easternmost zone: an
    /// appointment that has begun anywhere in Indonesia is never "in the future".
    pub fn parse_now(input: &str) -> Result<Nip, NipError> {
        Nip::parse(input, crate::clock::Zone::Wit.today(Utc::now().naive_utc()))
    }

    /// The 18 digits, without separators.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The birth date in digits 1–8.
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(
            num(&self.digits, 0..4) as i32,
            num(&self.digits, 4..6),
            num(&self.digits, 6..8),
        )
        .expect("a parsed NIP has a valid birth date")
    }

    pub fn kind(&self) -> NipKind {
        self.kind
    }

    /// Digit 15 of a PNS NIP; `None` for an NI PPPK, whose layout is not confirmed.
    pub fn gender(&self) -> Option<Gender> {
        match self.kind {
            NipKind::Pns => match num(&self.digits, 14..15) {
                1 => Some(Gender::Male),
                _ => Some(Gender::Female),
            },
            NipKind::Pppk => None,
        }
    }

    /// Year and month (1–12) of appointment as CPNS (digits 9–14) of a PNS NIP; `None` for an
    /// NI PPPK.
    pub fn tmt_cpns(&self) -> Option<(i32, u32)> {
        match self.kind {
            NipKind::Pns => Some((num(&self.digits, 8..12) as i32, num(&self.digits, 12..14))),
            NipKind::Pppk => None,
        }
    }

    /// Year of appointment (digits 9–12), for both kinds.
    pub fn appointment_year(&self) -> i32 {
        num(&self.digits, 8..12) as i32
    }

    /// The NIP for public pages (e.g. certificate verification): birth year and month (digits
    /// 1–6) and the last three digits (the sequence number) stay, the nine digits between are
    /// `*`: `198503122010012003` → `198503*********003`. Always 18 characters. Hidden: the day
    /// of birth, the appointment date and the gender; shown is enough for a person holding the
    /// NIP to recognise it, not enough to reconstruct it.
    pub fn masked(&self) -> String {
        format!(
            "{}{}{}",
            &self.digits[..6],
            "*".repeat(9),
            &self.digits[15..]
        )
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

impl fmt::Debug for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nip")
            .field("masked", &self.masked())
            .field("kind", &self.kind)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
    }

    fn parse(s: &str) -> Result<Nip, NipError> {
        Nip::parse(s, today())
    }

    fn err(s: &str) -> NipError {
        parse(s).expect_err(s)
    }

    #[test]
    fn example_pns_female() {
        let nip = parse("198503122010012003").unwrap();
        assert_eq!(nip.as_str(), "198503122010012003");
        assert_eq!(nip.to_string(), "198503122010012003");
        assert_eq!(nip.kind(), NipKind::Pns);
        assert_eq!(nip.gender(), Some(Gender::Female));
        assert_eq!(
            nip.birth_date(),
            NaiveDate::from_ymd_opt(1985, 3, 12).unwrap()
        );
        assert_eq!(nip.tmt_cpns(), Some((2010, 1)));
        assert_eq!(nip.appointment_year(), 2010);
    }

    #[test]
    fn male_pns() {
        let nip = parse("196712311990031001").unwrap();
        assert_eq!(nip.kind(), NipKind::Pns);
        assert_eq!(nip.gender(), Some(Gender::Male));
        assert_eq!(
            nip.birth_date(),
            NaiveDate::from_ymd_opt(1967, 12, 31).unwrap()
        );
    }

    #[test]
    fn separators_are_removed() {
        for s in [
            "19850312 201001 2 003",
            " 19850312.201001.2.003 ",
            "19850312-201001-2-003",
            "19850312\t201001\u{a0}2\u{2013}003",
        ] {
            assert_eq!(parse(s).unwrap().as_str(), "198503122010012003", "{s:?}");
        }
    }

    #[test]
    fn wrong_length_says_how_many_digits() {
        let e = err("19850312201001200");
        assert_eq!(e.part, NipPart::Length);
        assert_eq!(
            e.message_id,
            "NIP harus 18 digit angka; yang Anda masukkan 17 digit"
        );
        assert!(e.message_en.contains("you entered 17"), "{}", e.message_en);

        let e = err("19850312 201001 2 0031");
        assert_eq!(e.part, NipPart::Length);
        assert!(e.message_id.contains("19 digit"), "{}", e.message_id);

        for s in ["", "   ", " - . "] {
            let e = err(s);
            assert_eq!(e.part, NipPart::Length);
            assert!(e.message_id.contains("belum diisi"), "{}", e.message_id);
        }
    }

    #[test]
    fn letters_are_rejected_with_position() {
        let e = err("1985O3122010012003");
        assert_eq!(e.part, NipPart::Characters);
        assert!(e.message_id.contains("'O'"), "{}", e.message_id);
        assert!(e.message_id.contains("posisi ke-5"), "{}", e.message_id);
        assert!(e.message_en.contains("position 5"), "{}", e.message_en);

        for s in ["NIP198503122010012003", "198503122010012003x", "１９８５"] {
            assert_eq!(err(s).part, NipPart::Characters, "{s}");
        }
        // Control characters are shown escaped.
        assert!(err("1985\u{7}").message_en.contains("'\\u{7}'"));
    }

    #[test]
    fn february_30_is_not_a_date() {
        let e = err("198502302010012003");
        assert_eq!(e.part, NipPart::BirthDate);
        assert!(
            e.message_id
                .starts_with("NIP digit 1–8 (tanggal lahir): 19850230 bukan tanggal yang ada"),
            "{}",
            e.message_id
        );
        assert!(e.message_id.contains("Februari 1985 hanya 28 hari"));
        assert!(e.message_en.contains("19850230 is not a real date"));
        assert!(e.message_en.contains("February 1985 has only 28 days"));
        // A leap day is fine in a leap year only.
        assert!(parse("198802292010012003").is_ok());
        assert_eq!(err("198702292010012003").part, NipPart::BirthDate);
    }

    #[test]
    fn other_bad_birth_dates() {
        let e = err("198513122010012003");
        assert_eq!(e.part, NipPart::BirthDate);
        assert!(
            e.message_id.contains("bulan 13 tidak ada"),
            "{}",
            e.message_id
        );
        let e = err("198503002010012003");
        assert!(
            e.message_id.contains("tanggal 00 tidak ada"),
            "{}",
            e.message_id
        );
        assert_eq!(err("198504312010012003").part, NipPart::BirthDate);
    }

    #[test]
    fn implausible_birth_year() {
        let e = err("185003122010012003");
        assert_eq!(e.part, NipPart::BirthDate);
        assert!(
            e.message_id
                .contains("tahun lahir 1850 tidak mungkin; seharusnya antara 1940 dan 2009"),
            "{}",
            e.message_id
        );
        assert!(e.message_en.contains("birth year 1850 is not plausible"));
        // Too young: born 2010, not yet 17 in 2026.
        assert_eq!(err("201001012026011001").part, NipPart::BirthDate);
        // Bounds.
        assert!(parse("194001011960011001").is_ok());
        assert_eq!(err("193912311960011001").part, NipPart::BirthDate);
        assert!(parse("200901012026011001").is_ok());
    }

    #[test]
    fn tmt_month_13() {
        let e = err("198503122010132003");
        assert_eq!(e.part, NipPart::Appointment);
        assert!(
            e.message_id
                .starts_with("NIP digit 9–14 (TMT CPNS): bulan 13 tidak ada"),
            "{}",
            e.message_id
        );
        assert!(e.message_id.ends_with("periksa kembali NIP Anda"));
        assert!(
            e.message_en
                .starts_with("NIP digits 9–14 (CPNS appointment): month 13 does not exist"),
            "{}",
            e.message_en
        );
        assert!(e.message_en.ends_with("check your NIP"));
        assert_eq!(err("198503122010002003").part, NipPart::Appointment);
    }

    #[test]
    fn gender_3() {
        let e = err("198503122010013003");
        assert_eq!(e.part, NipPart::Gender);
        assert!(
            e.message_id.starts_with(
                "NIP digit 15 (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan), bukan 3"
            ),
            "{}",
            e.message_id
        );
        assert!(e
            .message_en
            .contains("must be 1 (male) or 2 (female), not 3"));
        assert_eq!(err("198503122010010003").part, NipPart::Gender);
    }

    #[test]
    fn sequence_000() {
        let e = err("198503122010012000");
        assert_eq!(e.part, NipPart::Sequence);
        assert!(
            e.message_id
                .starts_with("NIP digit 16–18 (nomor urut) tidak boleh 000"),
            "{}",
            e.message_id
        );
        assert!(e.message_en.contains("cannot be 000"));
        assert!(parse("198503122010012999").is_ok());
    }

    #[test]
    fn tmt_in_the_future() {
        // Next month (this year) and next year.
        for s in ["198503122026042003", "198503122027012003"] {
            let e = err(s);
            assert_eq!(e.part, NipPart::Appointment, "{s}");
            assert!(
                e.message_id.contains("masih di masa depan"),
                "{}",
                e.message_id
            );
            assert!(e.message_id.contains("Maret 2026"), "{}", e.message_id);
            assert!(
                e.message_en.contains("is in the future"),
                "{}",
                e.message_en
            );
        }
        // This month is fine.
        assert_eq!(parse("198503122026032003").unwrap().kind(), NipKind::Pns);
    }

    #[test]
    fn tmt_before_age_17() {
        let e = err("198503122001122003");
        assert_eq!(e.part, NipPart::Appointment);
        assert!(
            e.message_id.contains(
                "200112 (Desember 2001) jatuh sebelum pemilik NIP berusia 17 tahun (lahir Maret 1985)"
            ),
            "{}",
            e.message_id
        );
        assert!(e.message_id.contains("Maret 2002 atau sesudahnya"));
        assert!(e.message_en.contains("before the holder turned 17"));
        // The month of the 17th birthday is accepted; TMT before birth is rejected.
        assert!(parse("198503122002032003").is_ok());
        assert_eq!(err("198503121980012003").part, NipPart::Appointment);
    }

    #[test]
    fn pppk_example() {
        let nip = parse("199001012023211001").unwrap();
        assert_eq!(nip.kind(), NipKind::Pppk);
        assert_eq!(
            nip.birth_date(),
            NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()
        );
        assert_eq!(nip.gender(), None);
        assert_eq!(nip.tmt_cpns(), None);
        assert_eq!(nip.appointment_year(), 2023);
        assert_eq!(nip.masked(), "199001*********001");
        // Formatting is accepted for PPPK too.
        assert_eq!(
            parse("19900101 2023 21 1 001").unwrap().kind(),
            NipKind::Pppk
        );
    }

    #[test]
    fn pppk_with_bad_birth_date_is_rejected() {
        let e = err("199002302023211001");
        assert_eq!(e.part, NipPart::BirthDate);
        assert!(e.message_id.contains("19900230 bukan tanggal yang ada"));
        assert_eq!(err("193001012023211001").part, NipPart::BirthDate);
    }

    #[test]
    fn not_pppk_gives_the_pns_error() {
        // Year before PPPK began: the PNS error (month 21) stands.
        let e = err("199001012018211001");
        assert_eq!(e.part, NipPart::Appointment);
        assert!(
            e.message_id.contains("bulan 21 tidak ada"),
            "{}",
            e.message_id
        );
        // Year in the future.
        assert_eq!(err("199001012027211001").part, NipPart::Appointment);
        // Person younger than 17 in the PPPK year.
        assert_eq!(err("200801012019211001").part, NipPart::Appointment);
        // Gender digit 3 with a pre-2019 TMT.
        assert_eq!(err("198503122010013003").part, NipPart::Gender);
        // Fits the PNS layout but the TMT is next month: a PNS mistake, not a PPPK.
        assert_eq!(err("198503122026042003").part, NipPart::Appointment);
        // Fits the PNS layout with sequence 000 and a PPPK-era year: still the PNS error.
        assert_eq!(err("198503122023012000").part, NipPart::Sequence);
    }

    #[test]
    fn pppk_when_pns_layout_fails() {
        // A two-digit code that is no month, or a gender digit that is not 1/2, in a PPPK year.
        assert_eq!(parse("199001012024991002").unwrap().kind(), NipKind::Pppk);
        assert_eq!(parse("199001012024015002").unwrap().kind(), NipKind::Pppk);
        // Only the birth date is checked beyond that: sequence 000 is not judged for PPPK.
        assert_eq!(parse("199001012023211000").unwrap().kind(), NipKind::Pppk);
        // This year is accepted.
        assert_eq!(parse("199001012026211001").unwrap().kind(), NipKind::Pppk);
    }

    #[test]
    fn masking() {
        let nip = parse("198503122010012003").unwrap();
        assert_eq!(nip.masked(), "198503*********003");
        assert_eq!(nip.masked().chars().count(), NIP_LEN);
        // Debug does not leak the full number.
        let debug = format!("{nip:?}");
        assert!(!debug.contains("198503122010012003"), "{debug}");
        assert!(debug.contains("198503*********003"), "{debug}");
    }

    #[test]
    fn parse_now_accepts_an_old_nip() {
        assert_eq!(
            Nip::parse_now("198503122010012003").unwrap().kind(),
            NipKind::Pns
        );
    }

    #[test]
    fn part_digits() {
        assert_eq!(NipPart::BirthDate.digits(), Some((1, 8)));
        assert_eq!(NipPart::Appointment.digits(), Some((9, 14)));
        assert_eq!(NipPart::Gender.digits(), Some((15, 15)));
        assert_eq!(NipPart::Sequence.digits(), Some((16, 18)));
        assert_eq!(NipPart::Length.digits(), None);
        assert_eq!(err("1985").to_string(), err("1985").message_id);
    }

    #[test]
    fn random_valid_pns_nips_parse() {
        let mut rng = rand::rng();
        let today = today();
        for _ in 0..5_000 {
            let by = rng.random_range(MIN_BIRTH_YEAR..=today.year() - MIN_AGE);
            let bm = rng.random_range(1..=12u32);
            let bd = rng.random_range(1..=days_in_month(by, bm));
            let lo = month_index(by + MIN_AGE, bm);
            let hi = month_index(today.year(), today.month());
            if lo > hi {
                // Born in the last plausible year, after this month: not yet 17.
                continue;
            }
            let tmt = rng.random_range(lo..=hi);
            let (ty, tm) = ((tmt / 12) as i32, (tmt % 12) as u32 + 1);
            let g = rng.random_range(1..=2u32);
            let seq = rng.random_range(1..=999u32);
            let s = format!("{by:04}{bm:02}{bd:02}{ty:04}{tm:02}{g}{seq:03}");
            let nip = Nip::parse(&s, today).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(nip.kind(), NipKind::Pns, "{s}");
            assert_eq!(nip.as_str(), s);
            assert_eq!(
                nip.birth_date(),
                NaiveDate::from_ymd_opt(by, bm, bd).unwrap()
            );
            let gender = if g == 1 { Gender::Male } else { Gender::Female };
            assert_eq!(nip.gender(), Some(gender));
            assert_eq!(nip.tmt_cpns(), Some((ty, tm)));
            // Also with the usual spacing.
            let spaced = format!("{} {} {} {}", &s[..8], &s[8..14], &s[14..15], &s[15..]);
            assert_eq!(Nip::parse(&spaced, today).unwrap(), nip);
        }
    }

    #[test]
    fn random_strings_never_panic() {
        const CHARS: &[char] = &[
            '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', '.', '-', 'a', 'Z', 'é',
            '\u{a0}', '１', '\u{0}', '😀',
        ];
        let mut rng = rand::rng();
        for _ in 0..5_000 {
            let len = rng.random_range(0..=22);
            let s: String = (0..len)
                .map(|_| CHARS[rng.random_range(0..CHARS.len())])
                .collect();
            let _ = parse(&s);
        }
        // Random 18-digit strings: an Ok result always upholds the invariants.
        for _ in 0..20_000 {
            let s: String = (0..NIP_LEN)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect();
            match parse(&s) {
                Ok(nip) => {
                    assert_eq!(nip.as_str(), s);
                    let _ = nip.birth_date();
                    assert_eq!(nip.masked().len(), NIP_LEN);
                }
                Err(e) => {
                    assert!(!e.message_id.is_empty() && !e.message_en.is_empty());
                    assert_ne!(e.part, NipPart::Length);
                    assert_ne!(e.part, NipPart::Characters);
                }
            }
        }
    }
}
