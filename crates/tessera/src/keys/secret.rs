//! Refusing HMAC secrets that can be guessed.
//!
//! An HS256 token is an offline oracle for its secret (`hashcat -m 16500`),
//! so a short, published or low-variety secret is as good as none
//! (RFC 7518 §3.2, RFC 8725 §3.5).

use crate::algorithm::Algorithm;
use crate::error::KeyError;

/// The placeholder that ships in countless sample `.env` files.
pub const KNOWN_PLACEHOLDER: &str =
    "super-secret-jwt-key-change-this-in-production-seriously-long-random-string";

/// Fragments that mark a secret as written for a tutorial, not generated.
/// Compared against the secret lowercased with separators removed.
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "changethis",
    "changeme",
    "replaceme",
    "supersecret",
    "yoursecret",
    "mysecret",
    "secretkey",
    "jwtsecret",
    "placeholder",
    "inproduction",
    "notasecret",
    "example",
    "password",
    "0123456789",
    "abcdefghij",
    // jwt.io's sample secrets: "your-256-bit-secret",
    // "a-string-secret-at-least-256-bits-long".
    "256bit",
    "384bit",
    "512bit",
    // Keyboard walks.
    "qwerty",
    "asdfgh",
];

/// The fewest distinct bytes a secret of the minimum length may have.
const MIN_DISTINCT_BYTES: usize = 10;

/// Checks an HMAC secret for `alg`: long enough and not guessable.
pub fn check_hmac_secret(alg: Algorithm, secret: &[u8]) -> Result<(), KeyError> {
    let Some(min) = alg.min_secret_len() else {
        return Err(KeyError::WrongKeyType {
            alg,
            reason: "a shared secret is only for HS256, HS384 and HS512".to_owned(),
        });
    };
    if secret.len() < min {
        return Err(KeyError::SecretTooShort {
            alg,
            min,
            len: secret.len(),
        });
    }
    if secret == KNOWN_PLACEHOLDER.as_bytes() {
        return Err(KeyError::WeakSecret("it is the well-known sample secret"));
    }
    let squashed: Vec<u8> = secret
        .iter()
        .filter(|byte| byte.is_ascii_alphanumeric() || !byte.is_ascii())
        .map(u8::to_ascii_lowercase)
        .collect();
    if PLACEHOLDER_FRAGMENTS
        .iter()
        .any(|fragment| contains(&squashed, fragment.as_bytes()))
    {
        return Err(KeyError::WeakSecret("it contains sample-secret wording"));
    }
    let mut seen = [false; 256];
    for &byte in secret {
        seen[usize::from(byte)] = true;
    }
    if seen.iter().filter(|&&present| present).count() < MIN_DISTINCT_BYTES {
        return Err(KeyError::WeakSecret("it has too few distinct characters"));
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_passes() {
        let secret = "q8Vx2R_nP4mK7wZb1T9yLc3HfJ6sA0dE5gUoXiNrQvM";
        assert_eq!(
            check_hmac_secret(Algorithm::HS256, secret.as_bytes()),
            Ok(())
        );
    }

    #[test]
    fn placeholder_and_lookalikes_fail() {
        for weak in [
            KNOWN_PLACEHOLDER,
            "super-secret-jwt-key-change-this-in-production-2",
            "CHANGE_ME_CHANGE_ME_CHANGE_ME_CHANGE_ME",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(
                matches!(
                    check_hmac_secret(Algorithm::HS256, weak.as_bytes()),
                    Err(KeyError::WeakSecret(_))
                ),
                "{weak} should be refused"
            );
        }
    }

    #[test]
    fn short_secret_fails_with_lengths() {
        assert_eq!(
            check_hmac_secret(Algorithm::HS512, &[7; 63]),
            Err(KeyError::SecretTooShort {
                alg: Algorithm::HS512,
                min: 64,
                len: 63
            })
        );
    }
}
