//! Passwords: argon2id hashes (PHC strings), and the rules a new password must meet.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted.
pub const MIN_LEN: usize = 8;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_LEN: usize = 256;

/// Hash with argon2id and a random salt. CPU-heavy: call it on the blocking pool.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored PHC hash. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that a wrong e-mail and a wrong
/// password take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("cakap-dummy-password").unwrap_or_default())
}

/// Why a new password is refused: an i18n key under `accounts.password.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weak {
    TooShort,
    TooLong,
    SameAsEmail,
    OneCharacter,
    Common,
}

impl Weak {
    pub fn key(self) -> &'static str {
        match self {
            Weak::TooShort => "accounts.password.too_short",
            Weak::TooLong => "accounts.password.too_long",
            Weak::SameAsEmail => "accounts.password.same_as_email",
            Weak::OneCharacter => "accounts.password.one_character",
            Weak::Common => "accounts.password.common",
        }
    }
}

const COMMON: &[&str] = &[
    "password",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyui",
    "qwerty123",
    "password1",
    "katasandi",
    "indonesia",
    "bismillah",
    "iloveyou",
    "11111111",
    "00000000",
    "abcd1234",
    "admin123",
    "rahasia123",
    "asn12345",
    "merdeka45",
];

/// Check a new password against the rules.
pub fn check_new(password: &str, email: &str) -> Result<(), Weak> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(Weak::TooShort);
    }
    if n > MAX_LEN {
        return Err(Weak::TooLong);
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if lower == email.to_lowercase() || (!local.is_empty() && lower == local) {
        return Err(Weak::SameAsEmail);
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err(Weak::OneCharacter);
    }
    if COMMON.contains(&lower.as_str()) {
        return Err(Weak::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("Rahasia-Sekali-9").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("Rahasia-Sekali-9", &h));
        assert!(!verify("rahasia-sekali-9", &h));
        assert!(!verify("x", "not a hash"));
        assert_ne!(h, hash("Rahasia-Sekali-9").unwrap(), "salted");
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert_eq!(check_new("pendek", "a@b.id"), Err(Weak::TooShort));
        assert_eq!(check_new("aaaaaaaaaa", "a@b.id"), Err(Weak::OneCharacter));
        assert_eq!(
            check_new("budi.santoso", "budi.santoso@kab.go.id"),
            Err(Weak::SameAsEmail)
        );
        assert_eq!(check_new("Password", "a@b.id"), Err(Weak::Common));
        assert_eq!(check_new("Kopi-Tubruk-2026", "a@b.id"), Ok(()));
    }
}
