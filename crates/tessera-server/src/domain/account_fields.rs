//! The rules for usernames, e-mail addresses and role names.
//!
//! Usernames are trimmed and NFKC-normalised, so that look-alike encodings
//! of the same text (full-width letters, ligatures, composed vs decomposed
//! accents) are one name; they are compared case-insensitively through a
//! *key* (NFKC of the lowercased name) that carries the unique index.
//!
//! Names that merely *look* alike are caught by Unicode's security rules
//! (UTS #39): no invisible characters, no mixing of scripts beyond the
//! "moderately restrictive" level, and a *skeleton* per name (each character
//! replaced by its confusable prototype: Cyrillic `о` by Latin `o`, `rn` by
//! `m`'s prototype…) that must not be another user's.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_security::{
    GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection, skeleton,
};

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

/// A valid username: its display form, its comparison key and its
/// confusable skeleton.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    display: String,
    key: String,
    skeleton: String,
}

impl Username {
    /// Trims, normalises (NFKC) and checks a username: 3 to 64 characters,
    /// each a letter or digit of any script (with combining marks after
    /// one), `.`, `_` or `-`; no invisible (default-ignorable) characters;
    /// every character allowed in identifiers by UTS #39's General Security
    /// Profile; and one script, or a mix no looser than UTS #39's
    /// "moderately restrictive" level (Latin with Han, Kana or Hangul, or
    /// with one other script that is not Cyrillic or Greek).
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
        // Before the character rules, so that a zero-width space is called
        // invisible rather than merely not allowed.
        if display.chars().any(is_default_ignorable) {
            return Err(invalid(Problem::InvisibleCharacters));
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
        // Letters outside the profile (obsolete, technical, limited-use
        // scripts) are where most undetectable look-alikes live.
        if !display
            .chars()
            .all(GeneralSecurityProfile::identifier_allowed)
        {
            return Err(invalid(Problem::InvalidCharacters));
        }
        if display.as_str().detect_restriction_level() > RestrictionLevel::ModeratelyRestrictive {
            return Err(invalid(Problem::MixedScripts));
        }
        let key = username_key_of(&display);
        let skeleton = username_skeleton_of(&key);
        Ok(Username {
            display,
            key,
            skeleton,
        })
    }

    /// The name as shown (trimmed, NFKC).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The case-insensitive comparison key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The UTS #39 skeleton of the [key](Self::key): two names with one
    /// skeleton look alike (`paypal`, `paypa1`; `cop` and Cyrillic `сор`),
    /// so no two users may share one.
    ///
    /// ```
    /// use tessera_server::domain::Username;
    /// let latin = Username::parse("cop").unwrap();
    /// let cyrillic = Username::parse("\u{441}\u{43e}\u{440}").unwrap();
    /// assert_ne!(latin.key(), cyrillic.key());
    /// assert_eq!(latin.skeleton(), cyrillic.skeleton());
    /// ```
    pub fn skeleton(&self) -> &str {
        &self.skeleton
    }

    /// The key a login with `input` looks up: the name's [`key`](Self::key)
    /// when it is valid, else the same folding of the invalid text (which
    /// only an account registered before a rule was added can hold: it
    /// still logs in). Every spelling that logs in as one account — case,
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
            |_| {
                let normalised: String = input.trim().nfkc().collect();
                username_key_of(&normalised).replace('\0', "\u{fffd}")
            },
            |name| name.key,
        )
    }

    /// A stored user's name, taken as it is: it may predate the current
    /// rules (a name that mixes scripts), and such an account must still be
    /// able to change its password.
    pub(crate) fn from_stored(display: &str, key: &str) -> Username {
        Username {
            display: display.to_owned(),
            key: key.to_owned(),
            skeleton: username_skeleton_of(key),
        }
    }
}

/// The comparison key of already-normalised text: lowercase, then NFKC again
/// (lowercasing can leave text un-normalised).
pub(crate) fn username_key_of(normalised: &str) -> String {
    normalised.to_lowercase().nfkc().collect()
}

/// The confusable skeleton of a username key (see [`Username::skeleton`]).
/// It is computed from the key, not the display form, so that case variants
/// share it as they share the key.
pub(crate) fn username_skeleton_of(key: &str) -> String {
    skeleton(key).collect()
}

/// Whether `ch` is a Unicode default-ignorable code point
/// (DerivedCoreProperties.txt), i.e. shown as nothing when not supported:
/// zero-width characters, variation selectors, fillers, tags. UTS #39's
/// skeleton drops exactly these, so a character whose skeleton is empty is
/// one (every other character has a non-empty prototype).
fn is_default_ignorable(ch: char) -> bool {
    let mut buffer = [0; 4];
    skeleton(ch.encode_utf8(&mut buffer)).next().is_none()
}

/// Whether `ch` is a bidirectional control: the embeddings and overrides
/// (U+202A–U+202E), the isolates (U+2066–U+2069), the marks (U+200E,
/// U+200F) and the Arabic letter mark (U+061C). In a displayed address they
/// reorder the text around them, so `moc.elpmaxe@ada` can show as another.
fn is_direction_control(ch: char) -> bool {
    matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// Checks an optional e-mail address: trimmed, empty means none; at most 254
/// characters, one `@` with text on both sides, no spaces, controls or
/// bidirectional controls.
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
    if email.chars().any(is_direction_control) {
        return Err(invalid(Problem::DirectionControls));
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
