//! Reading settings from the environment: one spelling of booleans and
//! durations for every variable, and one error line per bad value.
//!
//! [`Env`] wraps a lookup function (variable name → value), so the same
//! reader serves the process environment, a test's map, or an application
//! with its own variables. [`TokenConfig::from_lookup`](crate::TokenConfig::from_lookup)
//! and [`JwtConfig::from_lookup`](crate::JwtConfig::from_lookup) read the
//! `JWT_*` variables through it.
//!
//! | kind | accepted (any case, surrounding spaces ignored) |
//! |---|---|
//! | boolean | `true`, `1`, `yes`, `on` / `false`, `0`, `no`, `off` |
//! | duration | whole seconds (`900`), or a number with `s`, `m`, `h` or `d` (`45s`, `15m`, `1h`, `30d`) |
//! | duration that can be off | a duration, or `0`, `false`, `no`, `off` for off (`None`) |
//!
//! A variable that is unset or blank reads as `None` (the caller's default).
//! A value that cannot be read is a [`ConfigError::Invalid`] whose one-line
//! message names the variable and what is allowed.
//!
//! ```
//! use std::time::Duration;
//! use tessera::env::Env;
//!
//! // An application's own settings, read through the same rules.
//! let vars = [("APP_IDLE_TIMEOUT", "off"), ("APP_GRACE", "15m"), ("APP_SECURE", "Yes")];
//! let env = Env::new(|name: &str| {
//!     vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
//! });
//!
//! let week = Some(Duration::from_secs(7 * 86_400));
//! assert_eq!(env.duration_or_off("APP_IDLE_TIMEOUT", week)?, None); // off
//! assert_eq!(env.duration_or_off("APP_UNSET", week)?, week); // the default
//! assert_eq!(env.duration("APP_GRACE")?, Some(Duration::from_secs(900)));
//! assert_eq!(env.boolean("APP_SECURE")?, Some(true));
//! assert_eq!(env.boolean("APP_UNSET")?, None);
//!
//! let bad = Env::new(|_: &str| Some("soon".to_owned()));
//! assert_eq!(
//!     bad.duration("APP_GRACE").unwrap_err().to_string(),
//!     "APP_GRACE: \"soon\" must be a positive number of seconds (or with an s, m, h or d suffix)",
//! );
//! # Ok::<(), tessera::ConfigError>(())
//! ```

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

pub use crate::error::ConfigError;

/// Settings read through a lookup function; see the [module docs](self).
#[derive(Clone, Copy)]
pub struct Env<L> {
    lookup: L,
}

impl<L> std::fmt::Debug for Env<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").finish_non_exhaustive()
    }
}

/// The process environment's lookup (values that are not UTF-8 read as unset).
pub fn process_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Env<fn(&str) -> Option<String>> {
    /// The process environment (load `.env` first with
    /// [`load_dotenv`](crate::config::load_dotenv) if wanted).
    pub fn process() -> Self {
        Env::new(process_lookup)
    }
}

impl<L: Fn(&str) -> Option<String>> Env<L> {
    /// Reads through `lookup` (variable name → value).
    pub fn new(lookup: L) -> Self {
        Env { lookup }
    }

    /// The value exactly as written, even when empty or padded (for values
    /// where spaces matter, or where "set but empty" means something).
    pub fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// The value without surrounding spaces; unset or blank is `None`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// A boolean; see the module docs for the spellings.
    pub fn boolean(&self, name: &'static str) -> Result<Option<bool>, ConfigError> {
        self.parsed(name, |value| {
            parse_bool(value).ok_or_else(|| {
                format!("{value:?} must be true or false (also 1/0, yes/no, on/off)")
            })
        })
    }

    /// A positive duration: seconds, or a number with `s`, `m`, `h` or `d`.
    pub fn duration(&self, name: &'static str) -> Result<Option<Duration>, ConfigError> {
        self.parsed(name, |value| {
            parse_duration(value)
                .filter(|duration| !duration.is_zero())
                .ok_or_else(|| {
                    format!(
                        "{value:?} must be a positive number of seconds (or with an s, m, h or d suffix)"
                    )
                })
        })
    }

    /// A duration that can be switched off: `None` for `0`, `false`, `no`
    /// or `off`, `Some(d)` for a positive duration, and `default` when the
    /// variable is unset or blank.
    pub fn duration_or_off(
        &self,
        name: &'static str,
        default: Option<Duration>,
    ) -> Result<Option<Duration>, ConfigError> {
        let read = self.parsed(name, |value| {
            if parse_bool(value) == Some(false) {
                return Ok(None);
            }
            match parse_duration(value) {
                Some(duration) if duration.is_zero() => Ok(None),
                Some(duration) => Ok(Some(duration)),
                None => Err(format!(
                    "{value:?} must be a number of seconds (or with an s, m, h or d suffix), or off (0, false, no, off)"
                )),
            }
        })?;
        Ok(read.unwrap_or(default))
    }

    /// A whole number within `range`; `unit` names what it counts
    /// (`"seconds"`, `"bytes"`) in the error.
    pub fn integer<T>(
        &self,
        name: &'static str,
        range: RangeInclusive<T>,
        unit: &str,
    ) -> Result<Option<T>, ConfigError>
    where
        T: FromStr + PartialOrd + Display,
    {
        self.parsed(name, |value| match value.parse::<T>() {
            Ok(number) if range.contains(&number) => Ok(number),
            _ => Err(format!(
                "{value:?} must be whole {unit} from {} to {}",
                range.start(),
                range.end()
            )),
        })
    }

    /// Reads `name` with `parse` (given the trimmed value; its error is the
    /// problem, naming the value and what is allowed).
    pub fn parsed<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.text(name) else {
            return Ok(None);
        };
        parse(&value)
            .map(Some)
            .map_err(|problem| ConfigError::Invalid { name, problem })
    }
}

/// `true`, `1`, `yes`, `on` → `true`; `false`, `0`, `no`, `off` → `false`
/// (any case, surrounding spaces ignored); anything else → `None`.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Whole seconds, or a whole number with an `s`, `m`, `h` or `d` suffix
/// (`900`, `45s`, `15m`, `1h`, `30d`); zero is allowed here. `None` for
/// anything else, including negative, fractional and overflowing values.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (digits, unit) = match value.char_indices().last() {
        Some((at, 's')) => (&value[..at], 1),
        Some((at, 'm')) => (&value[..at], 60),
        Some((at, 'h')) => (&value[..at], 3600),
        Some((at, 'd')) => (&value[..at], 86_400),
        _ => (value, 1),
    };
    // Digits only: `u64::from_str` would also take a leading `+`.
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let seconds = digits.parse::<u64>().ok()?.checked_mul(unit)?;
    // Token lifetimes are i64 seconds; refuse what would not fit there.
    i64::try_from(seconds).ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn one(value: &'static str) -> Env<impl Fn(&str) -> Option<String>> {
        Env::new(move |_: &str| Some(value.to_owned()))
    }

    #[test]
    fn durations_take_seconds_and_suffixes() {
        for (value, seconds) in [
            ("900", 900),
            ("45s", 45),
            ("15m", 900),
            ("1h", 3600),
            ("30d", 2_592_000),
            (" 60 ", 60),
        ] {
            assert_eq!(
                parse_duration(value),
                Some(Duration::from_secs(seconds)),
                "{value:?}"
            );
        }
        for value in [
            "",
            "-5",
            "+5",
            "1.5",
            "15 m",
            "m",
            "10x",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_duration(value), None, "{value:?}");
        }
    }

    #[test]
    fn a_duration_that_can_be_off_reads_zero_and_false_as_off() {
        let ten = Some(Duration::from_secs(10));
        for value in ["0", "0s", "false", "OFF", "no"] {
            assert_eq!(
                one(value).duration_or_off("X", ten).unwrap(),
                None,
                "{value:?}"
            );
        }
        assert_eq!(
            one("2h").duration_or_off("X", None).unwrap(),
            Some(Duration::from_secs(7200))
        );
        let unset = Env::new(|_: &str| None);
        assert_eq!(unset.duration_or_off("X", ten).unwrap(), ten);
        let err = one("soon").duration_or_off("X_TIMEOUT", None).unwrap_err();
        assert!(
            err.to_string().starts_with("X_TIMEOUT: \"soon\" must be"),
            "{err}"
        );
    }

    #[test]
    fn a_positive_duration_refuses_zero() {
        assert!(one("0").duration("X").is_err());
    }

    #[test]
    fn booleans_take_every_common_spelling_and_name_the_variable_otherwise() {
        for value in ["true", "TRUE", "1", "yes", "On"] {
            assert_eq!(one(value).boolean("X").unwrap(), Some(true), "{value:?}");
        }
        for value in ["false", "False", "0", "NO", "off"] {
            assert_eq!(one(value).boolean("X").unwrap(), Some(false), "{value:?}");
        }
        let err = one("maybe").boolean("X_FLAG").unwrap_err().to_string();
        assert!(err.starts_with("X_FLAG: \"maybe\""), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn blank_values_read_as_unset() {
        assert_eq!(one("  ").boolean("X").unwrap(), None);
        assert_eq!(one("").duration("X").unwrap(), None);
        assert_eq!(one(" ").raw("X").as_deref(), Some(" "));
    }

    #[test]
    fn integers_stay_in_their_range() {
        assert_eq!(
            one("30").integer("X", 0..=300, "seconds").unwrap(),
            Some(30)
        );
        let err = one("301").integer("X", 0..=300, "seconds").unwrap_err();
        assert_eq!(
            err.to_string(),
            "X: \"301\" must be whole seconds from 0 to 300"
        );
    }
}
