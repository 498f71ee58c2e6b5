//! The rules for usernames, e-mail addresses and role names.
//!
//! Usernames are trimmed and NFKC-normalised, so that look-alike encodings
//! of the same text (full-width letters, ligatures, composed vs decomposed
//! accents) are one name; they are compared case-insensitively through a
//! *key* (NFKC of the lowercased name) that carries the unique index.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::error::{Problem, ValidationError};

/// Fewest characters in a username.
pub const USERNAME_MIN_CHARS: usize = 3;
/// Most characters in a username.
pub const USERNAME_MAX_CHARS: usize = 64;
/// Most characters in an e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Most roles a user may have.
pub const MAX_ROLES: usize = 32;
/// Most characters in a role name.
pub const ROLE_MAX_CHARS: usize = 64;

/// A valid username: its display form and its comparison key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    display: String,
    key: String,
}

impl Username {
    /// Trims, normalises (NFKC) and checks a username: 3 to 64 characters,
    /// each a letter or digit of any script (with combining marks after
    /// one), `.`, `_` or `-`.
    ///
    /// ```
    /// use tessera_server::domain::Username;
    /// let name = Username::parse("  Ｊｏｓé_92 ").unwrap();
    /// assert_eq!(name.as_str(), "José_92");
    /// assert_eq!(name.key(), "josé_92");
    /// ```
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let invalid = |problem| ValidationError::new("username", problem);
        let display: String = input.trim().nfkc().collect();
        let count = display.chars().count();
        if count == 0 {
            return Err(invalid(Problem::Empty));
        }
        if count < USERNAME_MIN_CHARS {
            return Err(invalid(Problem::TooShort {
                min: USERNAME_MIN_CHARS,
            }));
        }
        if count > USERNAME_MAX_CHARS {
            return Err(invalid(Problem::TooLong {
                max: USERNAME_MAX_CHARS,
            }));
        }
        let mut previous_is_letter = false;
        for ch in display.chars() {
            let allowed = if ch.is_alphanumeric() {
                true
            } else if is_combining_mark(ch) {
                previous_is_letter
            } else {
                matches!(ch, '.' | '_' | '-')
            };
            if !allowed {
                return Err(invalid(Problem::InvalidCharacters));
            }
            previous_is_letter =
                ch.is_alphanumeric() || (is_combining_mark(ch) && previous_is_letter);
        }
        let key = username_key_of(&display);
        Ok(Username { display, key })
    }

    /// The name as shown (trimmed, NFKC).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The case-insensitive comparison key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key a login with `input` looks up: the name's [`key`](Self::key)
    /// when it is valid, else the same folding of the invalid text (which no
    /// account holds). Every spelling that logs in as one account — case,
    /// width, composed or decomposed accents — gives one key, so per-account
    /// limits can be keyed by it. NUL becomes U+FFFD: PostgreSQL refuses
    /// NUL in text, and no valid name holds either.
    ///
    /// ```
    /// use tessera_server::domain::Username;
    /// assert_eq!(Username::lookup_key(" ＡＤＡ "), "ada");
    /// ```
    pub fn lookup_key(input: &str) -> String {
        Username::parse(input).map_or_else(
            |_| username_key_of(input.trim()).replace('\0', "\u{fffd}"),
            |name| name.key,
        )
    }
}

/// The comparison key of already-normalised text: lowercase, then NFKC again
/// (lowercasing can leave text un-normalised).
pub(crate) fn username_key_of(normalised: &str) -> String {
    normalised.to_lowercase().nfkc().collect()
}

/// Checks an optional e-mail address: trimmed, empty means none; at most 254
/// characters, one `@` with text on both sides, no spaces or controls.
pub fn parse_email(input: Option<&str>) -> Result<Option<String>, ValidationError> {
    let Some(email) = input.map(str::trim).filter(|email| !email.is_empty()) else {
        return Ok(None);
    };
    let invalid = |problem| ValidationError::new("email", problem);
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Err(invalid(Problem::TooLong {
            max: EMAIL_MAX_CHARS,
        }));
    }
    if email
        .chars()
        .any(|ch| ch.is_whitespace() || ch.is_control())
    {
        return Err(invalid(Problem::InvalidCharacters));
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(Some(email.to_owned()))
        }
        _ => Err(invalid(Problem::InvalidFormat)),
    }
}

/// Checks role names (1 to 64 ASCII letters, digits, `_`, `-`, `.`, `:`;
/// at most 32) and returns them sorted without duplicates.
pub fn parse_roles<S: AsRef<str>>(roles: &[S]) -> Result<Vec<String>, ValidationError> {
    let invalid = |problem| ValidationError::new("roles", problem);
    let mut out: Vec<String> = Vec::with_capacity(roles.len());
    for role in roles {
        let role = role.as_ref().trim();
        if role.is_empty() {
            return Err(invalid(Problem::Empty));
        }
        if role.len() > ROLE_MAX_CHARS {
            return Err(invalid(Problem::TooLong {
                max: ROLE_MAX_CHARS,
            }));
        }
        if !role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        {
            return Err(invalid(Problem::InvalidCharacters));
        }
        out.push(role.to_owned());
    }
    out.sort();
    out.dedup();
    if out.len() > MAX_ROLES {
        return Err(invalid(Problem::TooLong { max: MAX_ROLES }));
    }
    Ok(out)
}
