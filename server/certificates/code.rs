//! Verification codes and certificate numbers.
//!
//! A code is 20 characters of Crockford base32 (100 random bits): unguessable, short enough for
//! a URL and a small QR code, and safe to read aloud or type (no i, l, o, u). Typing it with
//! capitals, hyphens, spaces, or the look-alikes I/L for 1 and O for 0 still finds it.

use rand::RngCore;

/// Crockford's base32 alphabet, lowercase.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Characters in a code (5 bits each: 100 bits).
pub const CODE_LEN: usize = 20;

/// A fresh random verification code.
pub fn generate() -> String {
    let mut bytes = [0u8; 13];
    rand::rng().fill_bytes(&mut bytes);
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    (0..CODE_LEN)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// The canonical form of a code as someone typed it, or `None` when it cannot be one.
pub fn normalize(input: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in input.trim().chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        };
        if !ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        out.push(c);
        if out.len() > CODE_LEN {
            return None;
        }
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// `CKP/2026/000123`: prefix, year, and the year's sequence number (at least six digits).
pub fn number(prefix: &str, year: i32, seq: i64) -> String {
    format!("{prefix}/{year}/{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_random_and_canonical() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), CODE_LEN);
        assert_ne!(a, b);
        assert_eq!(normalize(&a).as_deref(), Some(a.as_str()));
    }

    #[test]
    fn typed_codes_are_forgiven_but_junk_is_not() {
        let code = "k7m2q9x4hf3tc8wz5np0";
        assert_eq!(normalize("K7M2-Q9X4-HF3T-C8WZ-5NPO").as_deref(), Some(code));
        assert_eq!(normalize(" k7m2q9x4hf3tc8wz5np0 ").as_deref(), Some(code));
        assert_eq!(normalize("k7m2q9x4hf3tc8wz5np"), None, "too short");
        assert_eq!(normalize("k7m2q9x4hf3tc8wz5np00"), None, "too long");
        assert_eq!(
            normalize("k7m2q9x4hf3tc8wz5npu"),
            None,
            "u is not in the alphabet"
        );
        assert_eq!(normalize("../../etc/passwd"), None);
        assert_eq!(normalize("k7m2q9x4hf3tc8wz5npé"), None);
        assert_eq!(normalize(""), None);
    }

    #[test]
    fn numbers_are_padded_and_grow() {
        assert_eq!(number("CKP", 2026, 123), "CKP/2026/000123");
        assert_eq!(number("CKP", 2026, 1_234_567), "CKP/2026/1234567");
    }

    #[test]
    fn generated_codes_use_every_position() {
        // 200 codes: every position takes more than one value (no constant bits).
        let codes: Vec<String> = (0..200).map(|_| generate()).collect();
        for i in 0..CODE_LEN {
            let first = codes[0].as_bytes()[i];
            assert!(
                codes.iter().any(|c| c.as_bytes()[i] != first),
                "position {i}"
            );
        }
    }
}
