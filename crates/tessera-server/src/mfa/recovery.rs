//! Recovery codes: ten single-use codes, shown once, stored as SHA-256.
//!
//! Each is 120 random bits (24 base32 letters, in four groups of six), above
//! the 112 bits OWASP ASVS 4.0.3 §2.6.2 asks of lookup secrets, so a plain
//! SHA-256 resists an offline search of a database dump (§2.6.3) and the
//! hash can be looked up directly.

use aws_lc_rs::digest::{SHA256, digest};

use super::{MfaCryptoError, random_bytes};

/// How many codes a user gets at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Random bytes per code (120 bits: 24 base32 letters).
const CODE_BYTES: usize = 15;

/// Letters per group in the displayed form.
const GROUP: usize = 6;

/// Fresh codes, as shown to the user (`abcdef-ghijkl-mnopqr-stuvwx`).
pub fn generate() -> Result<Vec<String>, MfaCryptoError> {
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let letters = data_encoding::BASE32_NOPAD
                .encode(&random_bytes(CODE_BYTES)?)
                .to_ascii_lowercase();
            let groups: Vec<&str> = letters
                .as_bytes()
                .chunks(GROUP)
                // Base32 output is ASCII, so every chunk is valid UTF-8.
                .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
                .collect();
            Ok(groups.join("-"))
        })
        .collect()
}

/// A code as typed, in its canonical form (no dashes or spaces, lower
/// case), or `None` when it cannot be a recovery code.
pub fn normalize(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let valid = letters.len() == CODE_BYTES * 8 / 5
        && letters
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    valid.then_some(letters)
}

/// What is stored for a code: base64url(SHA-256(canonical form)).
pub fn hash(code: &str) -> Option<String> {
    normalize(code)
        .map(|canonical| tessera::b64::encode(digest(&SHA256, canonical.as_bytes()).as_ref()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_of_four_groups() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 27, "{code}");
            assert_eq!(code.split('-').count(), 4);
            assert!(normalize(code).is_some());
        }
    }

    #[test]
    fn typing_variations_hash_the_same() {
        let code = &generate().unwrap()[0];
        let shouted = code.to_ascii_uppercase().replace('-', " ");
        assert_eq!(hash(code), hash(&shouted));
        assert!(hash(code).is_some());
    }

    #[test]
    fn anything_else_is_no_code() {
        for typed in [
            "",
            "abc",
            "aaaaaa-aaaaaa-aaaaaa-aaaaa1",
            "aaaaaa-aaaaaa-aaaaaa-aaaaaaa",
        ] {
            assert_eq!(normalize(typed), None, "{typed:?}");
        }
    }
}
