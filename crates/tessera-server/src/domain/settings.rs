//! The knobs of the account and session rules, from `TESSERA_*` variables.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TESSERA_REFRESH_REUSE_GRACE` | `10` | how long replaying the previous refresh token returns the current one (0 = off, at most 300 seconds) |
//! | `TESSERA_PASSWORD_MIN_LENGTH` | `8` | shortest password accepted, in characters (8 to 128) |
//! | `TESSERA_HASH_CONCURRENCY` | CPU cores | password hashes computed at once (1 to 1024); more wait in line |
//! | `TESSERA_SESSION_IDLE_TIMEOUT` | `604800` (7 days) | a session not refreshed for this long ends (0 = off; else `1h` to `366d`, and longer than the access-token lifetime) |
//! | `TESSERA_MFA_REQUIRED_ROLES` | empty | comma-separated roles a token carries only after a second factor |
//! | `TESSERA_TOTP_ISSUER` | `Tessera` | the name authenticator apps show next to the account |
//! | `TESSERA_REGISTRATION` | `open` | `open`: anyone may sign up (`POST /auth/register`, `/register`); `closed`: only administrators create accounts |
//!
//! Durations and "off" are spelled as everywhere else (see [`tessera::env`]):
//! seconds or `45s`, `15m`, `1h`, `30d`; off is `0`, `false`, `no` or `off`.
//!
//! Token lifetimes come from the token settings (`JWT_ACCESS_TOKEN_EXPIRES`,
//! `JWT_REFRESH_TOKEN_EXPIRES`); see [`ServerSettings::with_token_lifetimes`].

use std::time::Duration;

use tessera::ConfigError;
use tessera::env::Env;

/// Most characters a password may have (ASVS 2.1.2: allow 64, deny over 128).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Longest grace window accepted for a replayed refresh token.
pub const MAX_REUSE_GRACE: Duration = Duration::from_secs(300);

/// Default idle timeout: a week without a refresh ends a session (ASVS
/// 3.3.2 asks for re-authentication after an idle period).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Shortest idle timeout accepted (shorter ones end sessions between two
/// ordinary refreshes) and the longest.
const IDLE_TIMEOUT_RANGE: (Duration, Duration) = (
    Duration::from_secs(3600),
    Duration::from_secs(366 * 24 * 3600),
);

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
    /// How long after a rotation the previous refresh token still answers
    /// with the current branch; `None` turns the grace off.
    pub refresh_reuse_grace: Option<Duration>,
    /// Shortest password, in characters.
    pub password_min_chars: usize,
    /// Password hashes computed at once.
    pub hash_concurrency: usize,
    /// Argon2id costs for new hashes; stored hashes with other costs are
    /// re-hashed at the next successful login.
    pub argon2: Argon2Params,
    /// Absolute session lifetime (the refresh-token lifetime).
    pub session_lifetime: Duration,
    /// Access-token lifetime: how long a revoked session's id is kept in the
    /// revoked set after the session's end.
    pub access_token_lifetime: Duration,
    /// Time without a refresh after which a session ends; `None` turns it off.
    pub session_idle_timeout: Option<Duration>,
    /// Whether anyone may sign up (`TESSERA_REGISTRATION=open`); when
    /// closed, only administrators create accounts.
    pub registration_open: bool,
    /// Roles a token carries only after a second factor
    /// (`TESSERA_MFA_REQUIRED_ROLES`, comma-separated; empty by default).
    pub mfa_required_roles: Vec<String>,
    /// The issuer an authenticator app shows next to the account
    /// (`TESSERA_TOTP_ISSUER`, default `Tessera`).
    pub totp_issuer: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            refresh_reuse_grace: Some(Duration::from_secs(10)),
            password_min_chars: 8,
            hash_concurrency: std::thread::available_parallelism().map_or(1, usize::from),
            argon2: Argon2Params::OWASP,
            session_lifetime: Duration::from_secs(30 * 24 * 3600),
            access_token_lifetime: Duration::from_secs(15 * 60),
            session_idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            registration_open: true,
            mfa_required_roles: Vec::new(),
            totp_issuer: "Tessera".to_owned(),
        }
    }
}

impl ServerSettings {
    /// Reads `.env` in the working directory (if there is one; variables
    /// already set win), then the `TESSERA_*` variables of the process
    /// environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        tessera::config::load_dotenv()?;
        Self::read(&Env::process())
    }

    /// Reads the `TESSERA_*` variables through `lookup`; unset or blank
    /// variables keep their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(&Env::new(lookup))
    }

    /// Reads the `TESSERA_*` variables through `env`; unset or blank
    /// variables keep their defaults.
    pub fn read(env: &Env<impl Fn(&str) -> Option<String>>) -> Result<Self, ConfigError> {
        let defaults = ServerSettings::default();
        let refresh_reuse_grace =
            env.duration_or_off("TESSERA_REFRESH_REUSE_GRACE", defaults.refresh_reuse_grace)?;
        if refresh_reuse_grace.is_some_and(|grace| grace > MAX_REUSE_GRACE) {
            return Err(out_of_range(
                env,
                "TESSERA_REFRESH_REUSE_GRACE",
                "must be at most 300 seconds (5m), or 0 for off",
            ));
        }
        let session_idle_timeout = env.duration_or_off(
            "TESSERA_SESSION_IDLE_TIMEOUT",
            defaults.session_idle_timeout,
        )?;
        let (shortest, longest) = IDLE_TIMEOUT_RANGE;
        if session_idle_timeout.is_some_and(|idle| idle < shortest || idle > longest) {
            return Err(out_of_range(
                env,
                "TESSERA_SESSION_IDLE_TIMEOUT",
                "must be from 3600 seconds (1h) to 366d, or 0 for off",
            ));
        }
        let registration_open = env
            .parsed("TESSERA_REGISTRATION", |text| {
                match text.trim().to_ascii_lowercase().as_str() {
                    "open" => Ok(true),
                    "closed" => Ok(false),
                    _ => Err(format!("{text:?} must be open or closed")),
                }
            })?
            .unwrap_or(defaults.registration_open);
        let mfa_required_roles = env
            .parsed("TESSERA_MFA_REQUIRED_ROLES", |text| {
                let roles: Vec<String> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|role| !role.is_empty())
                    .map(str::to_owned)
                    .collect();
                super::account_fields::parse_roles(&roles).map_err(|err| {
                    format!("{text:?} must be role names separated by commas ({err})")
                })
            })?
            .unwrap_or_default();
        let totp_issuer = env
            .text("TESSERA_TOTP_ISSUER")
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .unwrap_or(defaults.totp_issuer.clone());
        Ok(ServerSettings {
            refresh_reuse_grace,
            registration_open,
            mfa_required_roles,
            totp_issuer,
            session_idle_timeout,
            password_min_chars: env
                .integer(
                    "TESSERA_PASSWORD_MIN_LENGTH",
                    8..=MAX_PASSWORD_CHARS,
                    "characters",
                )?
                .unwrap_or(defaults.password_min_chars),
            hash_concurrency: env
                .integer("TESSERA_HASH_CONCURRENCY", 1..=1024, "hashes")?
                .unwrap_or(defaults.hash_concurrency),
            ..defaults
        })
    }

    /// Checks the settings against each other: an idle timeout no longer
    /// than the access-token lifetime would end every session between two
    /// refreshes.
    pub fn check(&self) -> Result<(), ConfigError> {
        if let Some(idle) = self.session_idle_timeout
            && idle <= self.access_token_lifetime
        {
            return Err(ConfigError::Invalid {
                name: "TESSERA_SESSION_IDLE_TIMEOUT",
                problem: format!(
                    "{} seconds must be longer than the access-token lifetime ({} seconds, JWT_ACCESS_TOKEN_EXPIRES)",
                    idle.as_secs(),
                    self.access_token_lifetime.as_secs()
                ),
            });
        }
        Ok(())
    }

    /// The `last_used_at` at or before which a session counts as idle at
    /// `now` (`i64::MIN` when the timeout is off).
    pub fn idle_cutoff(&self, now: i64) -> i64 {
        self.session_idle_timeout
            .map_or(i64::MIN, |idle| now.saturating_sub(whole_seconds(idle)))
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

/// A duration as the whole Unix seconds the store and the clock count in
/// (saturating; settings read from the environment always fit).
pub fn whole_seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// The error for a duration that reads but is out of range.
fn out_of_range(
    env: &Env<impl Fn(&str) -> Option<String>>,
    name: &'static str,
    allowed: &str,
) -> ConfigError {
    let value = env.text(name).unwrap_or_default();
    ConfigError::Invalid {
        name,
        problem: format!("{value:?} {allowed}"),
    }
}
