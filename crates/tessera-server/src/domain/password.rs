//! Password rules (NIST SP 800-63B / ASVS V2.1): length, no composition
//! rules, no common, repetitive or sequential passwords, nothing built on the
//! username, the e-mail address or the service's name.
//!
//! Passwords are NFKC-normalised before they are checked or hashed (as
//! SP 800-63B §5.1.1.2 recommends), so the same characters typed on
//! different keyboards or input methods give the same password. Length counts
//! characters (Unicode scalar values), not bytes; nothing is truncated.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::account_fields::Username;
use super::error::{Problem, ValidationError};
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

/// The service's name, which SP 800-63B §5.1.1.2 lists among the
/// context-specific words a password must not be built on.
const SERVICE_NAME: &str = "tessera";

/// Fewest characters a username or e-mail name must have before a password
/// containing it is refused (shorter ones occur in too many passphrases).
const MIN_CONTEXT_CHARS: usize = 3;

impl PasswordPolicy {
    /// Checks `password` for the account named `username` with the
    /// optional `email`, reporting failures under `field`. In this order,
    /// the password (after NFKC; compared lowercased) must:
    ///
    /// 1. have at least `min_chars` and at most 128 characters;
    /// 2. not be whitespace only (eight spaces, or eight ideographic spaces,
    ///    which NFKC makes spaces);
    /// 3. not be *repetitive*: a unit shorter than `min_chars` repeated at
    ///    least twice, the last copy possibly cut short (`aaaaaaaa`,
    ///    `abcabcab`); a long unit repeated is as strong as the unit, so
    ///    that is left to the other rules;
    /// 4. not be *sequential*: each character the code point after the one
    ///    before, or each the one before (`abcdefgh`, `12345678`,
    ///    `87654321`);
    /// 5. not be the username, nor contain it, nor contain the part of the
    ///    e-mail address before `@` when that has at least 3 characters, nor
    ///    contain the service's name `tessera`;
    /// 6. not be on the list of common passwords.
    ///
    /// There are no composition rules (no "must contain a digit").
    ///
    /// ```
    /// use tessera_server::domain::{Password, PasswordPolicy, Problem, Username};
    /// let policy = PasswordPolicy { min_chars: 8 };
    /// let ada = Username::parse("ada").unwrap();
    /// let check = |text: &str| policy.check("password", &Password::new(text), &ada, Some("ada@example.org"));
    /// assert!(check("correct horse battery staple").is_ok());
    /// assert_eq!(check("abcdefgh").unwrap_err().problem, Problem::Sequential);
    /// assert_eq!(check("xyzxyzxyz").unwrap_err().problem, Problem::Repetitive);
    /// assert_eq!(check("ada-lovelace").unwrap_err().problem, Problem::ContainsUsername);
    /// ```
    pub fn check(
        &self,
        field: &'static str,
        password: &Password,
        username: &Username,
        email: Option<&str>,
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
        if normalised.chars().all(char::is_whitespace) {
            return Err(invalid(Problem::WhitespaceOnly));
        }
        let lowered: Vec<char> = normalised.to_lowercase().chars().collect();
        if is_repetitive(&lowered, self.min_chars) {
            return Err(invalid(Problem::Repetitive));
        }
        if is_sequential(&lowered) {
            return Err(invalid(Problem::Sequential));
        }
        let lowered: String = lowered.into_iter().collect();
        let name = username.as_str().to_lowercase();
        if lowered == username.key() || lowered == name {
            return Err(invalid(Problem::SameAsUsername));
        }
        if contains_word(&lowered, username.key()) || contains_word(&lowered, &name) {
            return Err(invalid(Problem::ContainsUsername));
        }
        if let Some(local) = email
            .and_then(|email| email.rsplit_once('@'))
            .map(|(local, _)| local)
            && contains_word(&lowered, &local.nfkc().collect::<String>().to_lowercase())
        {
            return Err(invalid(Problem::ContainsEmail));
        }
        if lowered.contains(SERVICE_NAME) {
            return Err(invalid(Problem::ContainsServiceName));
        }
        if is_common_password(&lowered) {
            return Err(invalid(Problem::CommonPassword));
        }
        Ok(())
    }
}

/// Whether `password` contains `word`, a username or e-mail name, when that
/// is long enough to count.
fn contains_word(password: &str, word: &str) -> bool {
    word.chars().count() >= MIN_CONTEXT_CHARS && password.contains(word)
}

/// Whether `chars` repeats a unit shorter than `min_chars` at least twice
/// (the last copy may be cut short): it has such a period `p` with
/// `2p <= len`, i.e. `chars[i] == chars[i + p]` for every `i`.
fn is_repetitive(chars: &[char], min_chars: usize) -> bool {
    (1..min_chars.min(chars.len() / 2 + 1))
        .any(|period| chars.iter().zip(&chars[period..]).all(|(a, b)| a == b))
}

/// Whether every character of `chars` (at least two) is the code point
/// right after the one before it, or every one right before it.
fn is_sequential(chars: &[char]) -> bool {
    let steps = |step: i64| {
        chars
            .windows(2)
            .all(|pair| i64::from(u32::from(pair[1])) - i64::from(u32::from(pair[0])) == step)
    };
    chars.len() >= 2 && (steps(1) || steps(-1))
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
