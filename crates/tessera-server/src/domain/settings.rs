//! The knobs of the account and session rules, from `TESSERA_*` variables.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TESSERA_REFRESH_REUSE_GRACE` | `10` | seconds in which replaying the previous refresh token returns the current one (0 = off, at most 300) |
//! | `TESSERA_PASSWORD_MIN_LENGTH` | `8` | shortest password accepted, in characters (8 to 128) |
//! | `TESSERA_HASH_CONCURRENCY` | CPU cores | password hashes computed at once (1 to 1024); more wait in line |
//! | `TESSERA_SESSION_IDLE_TIMEOUT` | `604800` (7 days) | a session not refreshed for this many seconds ends (0 = off; else 3600 to 31622400, and longer than the access-token lifetime) |
//!
//! Token lifetimes come from the token settings (`JWT_ACCESS_TOKEN_EXPIRES`,
//! `JWT_REFRESH_TOKEN_EXPIRES`); see [`ServerSettings::with_token_lifetimes`].

use tessera::ConfigError;

/// Most characters a password may have (ASVS 2.1.2: allow 64, deny over 128).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Longest grace window accepted for a replayed refresh token.
pub const MAX_REUSE_GRACE_SECONDS: i64 = 300;

/// Default idle timeout: a week without a refresh ends a session (ASVS
/// 3.3.2 asks for re-authentication after an idle period).
pub const DEFAULT_IDLE_TIMEOUT_SECONDS: i64 = 7 * 24 * 3600;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Argon2Params {
    /// OWASP's Password Storage Cheat Sheet minimum for argon2id:
    /// m = 19 MiB, t = 2, p = 1. The default.
    pub const OWASP: Argon2Params = Argon2Params {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params::OWASP
    }
}

/// Rules for accounts and sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Seconds after a rotation in which the previous refresh token still
    /// answers with the current branch; 0 turns the grace off.
    pub refresh_reuse_grace: i64,
    /// Shortest password, in characters.
    pub password_min_chars: usize,
    /// Password hashes computed at once.
    pub hash_concurrency: usize,
    /// Argon2id costs for new hashes; stored hashes with other costs are
    /// re-hashed at the next successful login.
    pub argon2: Argon2Params,
    /// Absolute session lifetime in seconds (the refresh-token lifetime).
    pub session_lifetime: i64,
    /// Access-token lifetime in seconds: how long a revoked session's id is
    /// kept in the revoked set after the session's end.
    pub access_token_lifetime: i64,
    /// Seconds without a refresh after which a session ends; 0 turns it off.
    pub session_idle_timeout: i64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            refresh_reuse_grace: 10,
            password_min_chars: 8,
            hash_concurrency: std::thread::available_parallelism().map_or(1, usize::from),
            argon2: Argon2Params::OWASP,
            session_lifetime: 30 * 24 * 3600,
            access_token_lifetime: 15 * 60,
            session_idle_timeout: DEFAULT_IDLE_TIMEOUT_SECONDS,
        }
    }
}

impl ServerSettings {
    /// Reads `.env` in the working directory (if there is one; variables
    /// already set win), then the `TESSERA_*` variables of the process
    /// environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        tessera::config::load_dotenv()?;
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the `TESSERA_*` variables through `lookup`; unset or blank
    /// variables keep their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut settings = ServerSettings::default();
        if let Some(value) = get("TESSERA_REFRESH_REUSE_GRACE") {
            settings.refresh_reuse_grace = integer(
                "TESSERA_REFRESH_REUSE_GRACE",
                &value,
                0,
                MAX_REUSE_GRACE_SECONDS,
            )?;
        }
        if let Some(value) = get("TESSERA_PASSWORD_MIN_LENGTH") {
            let min = integer(
                "TESSERA_PASSWORD_MIN_LENGTH",
                &value,
                8,
                i64::try_from(MAX_PASSWORD_CHARS).unwrap_or(i64::MAX),
            )?;
            settings.password_min_chars = usize::try_from(min).unwrap_or(8);
        }
        if let Some(value) = get("TESSERA_HASH_CONCURRENCY") {
            let count = integer("TESSERA_HASH_CONCURRENCY", &value, 1, 1024)?;
            settings.hash_concurrency = usize::try_from(count).unwrap_or(1);
        }
        if let Some(value) = get("TESSERA_SESSION_IDLE_TIMEOUT") {
            settings.session_idle_timeout =
                match integer("TESSERA_SESSION_IDLE_TIMEOUT", &value, 0, 366 * 24 * 3600)? {
                    0 => 0,
                    seconds if seconds < 3600 => {
                        return Err(ConfigError::Invalid {
                            name: "TESSERA_SESSION_IDLE_TIMEOUT",
                            problem: format!("{value:?} must be 0 (off) or at least 3600 seconds"),
                        });
                    }
                    seconds => seconds,
                };
        }
        Ok(settings)
    }

    /// Checks the settings against each other: an idle timeout no longer
    /// than the access-token lifetime would end every session between two
    /// refreshes.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.session_idle_timeout != 0 && self.session_idle_timeout <= self.access_token_lifetime
        {
            return Err(ConfigError::Invalid {
                name: "TESSERA_SESSION_IDLE_TIMEOUT",
                problem: format!(
                    "{} seconds must be longer than the access-token lifetime ({} seconds, JWT_ACCESS_TOKEN_EXPIRES)",
                    self.session_idle_timeout, self.access_token_lifetime
                ),
            });
        }
        Ok(())
    }

    /// The `last_used_at` at or before which a session counts as idle at
    /// `now` (`i64::MIN` when the timeout is off).
    pub fn idle_cutoff(&self, now: i64) -> i64 {
        if self.session_idle_timeout == 0 {
            i64::MIN
        } else {
            now.saturating_sub(self.session_idle_timeout)
        }
    }

    /// Takes the session and access-token lifetimes from the token settings
    /// (`JWT_REFRESH_TOKEN_EXPIRES` is the absolute session lifetime).
    #[must_use]
    pub fn with_token_lifetimes(mut self, tokens: &tessera::TokenConfig) -> Self {
        self.session_lifetime = tokens.refresh_expires;
        self.access_token_lifetime = tokens.access_expires;
        self
    }
}

fn integer(name: &'static str, value: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    match value.trim().parse::<i64>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(ConfigError::Invalid {
            name,
            problem: format!("{value:?} must be a whole number from {min} to {max}"),
        }),
    }
}
