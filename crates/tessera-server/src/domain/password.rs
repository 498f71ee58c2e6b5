//! Password rules (NIST SP 800-63B / ASVS V2.1): length, no composition
//! rules, no common passwords, not the username.
//!
//! Passwords are NFKC-normalised before they are checked or hashed (as
//! SP 800-63B §5.1.1.2 recommends), so the same characters typed on
//! different keyboards or input methods give the same password. Length counts
//! characters (Unicode scalar values), not bytes; nothing is truncated.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::error::{Problem, ValidationError};
use super::identity::Username;
use super::settings::MAX_PASSWORD_CHARS;

/// The shipped list: the 10,000 most common passwords, lowercased, one a line.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// A password as the user typed it. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }

    /// The NFKC form that rules and hashes apply to.
    pub(crate) fn normalised(&self) -> String {
        self.0.nfkc().collect()
    }

    /// Characters before normalisation; a cheap bound for refusing huge input.
    pub(crate) fn raw_len(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Password(password)
    }
}

impl From<&str> for Password {
    fn from(password: &str) -> Self {
        Password(password.to_owned())
    }
}

/// What a new password must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters.
    pub min_chars: usize,
}

impl PasswordPolicy {
    /// Checks `password` for `username`, reporting failures under `field`:
    /// at least `min_chars` and at most 128 characters, not on the common
    /// list, not the username (both compared case-insensitively).
    pub fn check(
        &self,
        field: &'static str,
        password: &Password,
        username: &Username,
    ) -> Result<(), ValidationError> {
        let invalid = |problem| ValidationError::new(field, problem);
        let normalised = password.normalised();
        let count = normalised.chars().count();
        if count == 0 {
            return Err(invalid(Problem::Empty));
        }
        if count < self.min_chars {
            return Err(invalid(Problem::TooShort {
                min: self.min_chars,
            }));
        }
        if count > MAX_PASSWORD_CHARS {
            return Err(invalid(Problem::TooLong {
                max: MAX_PASSWORD_CHARS,
            }));
        }
        let lowered: String = normalised.to_lowercase();
        if lowered == username.key() || lowered == username.as_str().to_lowercase() {
            return Err(invalid(Problem::SameAsUsername));
        }
        if is_common_password(&lowered) {
            return Err(invalid(Problem::CommonPassword));
        }
        Ok(())
    }
}

/// Whether `password` (compared lowercased) is on the shipped list of the
/// 10,000 most common passwords.
///
/// ```
/// assert!(tessera_server::domain::is_common_password("Password1"));
/// assert!(!tessera_server::domain::is_common_password("correct horse battery staple"));
/// ```
pub fn is_common_password(password: &str) -> bool {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let list = LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    });
    list.contains(password.to_lowercase().as_str())
}
