//! The service's own settings (`TESSERA_*`), beside the token settings
//! (`JWT_*`) and the domain rules ([`crate::domain::ServerSettings`]).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TESSERA_BIND` | `127.0.0.1:8080` | address to listen on |
//! | `DATABASE_URL` | `sqlite://tessera.db` | the store (`sqlite://FILE` or `postgres://…`, TLS by `sslmode`) |
//! | `TESSERA_PUBLIC_URL` | `http://` + bind address | base URL in discovery; default issuer |
//! | `TESSERA_TRUST_FORWARDED` | `false` | a boolean (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case): take the client IP from the last `X-Forwarded-For` entry (the one the proxy appended; `ip`, `ip:port`, `[ipv6]:port`; unreadable is a 400), and keep a sound `X-Request-Id` from the proxy |
//! | `TESSERA_LOGIN_MAX_FAILURES` | `20` | failed logins per account per window |
//! | `TESSERA_LOGIN_FAILURE_WINDOW` | `900` | that window: seconds, or `15m`, `1h`, `1d` |
//! | `TESSERA_IP_MAX_ATTEMPTS` | `120` | logins + registrations per IP (IPv6: per /64) per minute |
//! | `REDIS_URL` | unset | Redis (`redis://` or `rediss://` for TLS) for shared rate limits and the revocation feed |
//! | `TESSERA_REDIS_PREFIX` | `tessera:` | prefix of this deployment's Redis keys and channel |
//! | `TESSERA_ENCRYPTION_KEY` | written into `.env` | 32 random bytes, base64url: encrypts the signing keys kept in the store |
//! | `TESSERA_KEY_ROTATION_DAYS` | `30` | automatic rotation of the signing keys kept in the store (0: off) |
//!
//! The edge's settings (timeouts, connections, CORS, the metrics listener)
//! are in [`crate::edge_settings`].

use std::net::SocketAddr;
use std::time::Duration;

use tessera::ConfigError;
use tessera::env::Env;

use crate::edge_settings::EdgeSettings;

/// Settings read once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where to listen.
    pub bind: SocketAddr,
    /// `DATABASE_URL`, if set.
    pub database_url: Option<String>,
    /// The base URL clients reach the server at.
    pub public_url: String,
    /// Whether `TESSERA_PUBLIC_URL` set it (rather than the bind address).
    pub public_url_is_explicit: bool,
    /// Whether `X-Forwarded-For` is trusted.
    pub trust_forwarded: bool,
    /// Failed logins allowed per account per window.
    pub login_max_failures: u32,
    /// The failed-login window.
    pub login_failure_window: Duration,
    /// Credential requests allowed per IP per minute.
    pub ip_max_attempts: u32,
    /// `REDIS_URL`, if set (may hold a password: never logged).
    pub redis_url: Option<String>,
    /// `TESSERA_REDIS_PREFIX`: what this deployment's Redis keys start with.
    pub redis_prefix: String,
    /// `TESSERA_ENCRYPTION_KEY`: encrypts the signing keys kept in the store.
    pub encryption_key: Option<crate::keys::EncryptionKeyText>,
    /// `TESSERA_KEY_ROTATION_DAYS`: automatic rotation of the stored keys (0: off).
    pub key_rotation_days: u32,
    /// Timeouts, the connection cap, CORS, the metrics listener, HSTS.
    pub edge: EdgeSettings,
}

impl ServerConfig {
    /// Takes the address actually bound: with port 0 the system picks one,
    /// and a public URL derived from the bind address must name it.
    pub fn adopt_bound_address(&mut self, local: SocketAddr) {
        if !self.public_url_is_explicit {
            self.public_url = format!("http://{local}");
        }
        self.bind = local;
    }

    /// Reads the process environment (after `.env` has been loaded).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(&Env::process())
    }

    /// Reads settings through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(&Env::new(lookup))
    }

    /// Reads settings through `env` (see [`tessera::env`] for the spellings
    /// of booleans and durations).
    pub fn read(env: &Env<impl Fn(&str) -> Option<String>>) -> Result<Self, ConfigError> {
        let bind = env
            .parsed("TESSERA_BIND", |text| {
                text.parse::<SocketAddr>().map_err(|_| {
                    format!(
                        "{text:?} must be an address and port such as 127.0.0.1:8080 or 0.0.0.0:8080"
                    )
                })
            })?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let explicit_url = env.parsed("TESSERA_PUBLIC_URL", |url| {
            if url.starts_with("http://") || url.starts_with("https://") {
                Ok(url.trim_end_matches('/').to_owned())
            } else {
                Err(format!("{url:?} must start with http:// or https://"))
            }
        })?;
        let edge = EdgeSettings::read(env, explicit_url.as_deref().unwrap_or("http://"))?;
        Ok(ServerConfig {
            bind,
            edge,
            database_url: env.text("DATABASE_URL"),
            public_url_is_explicit: explicit_url.is_some(),
            public_url: explicit_url.unwrap_or_else(|| format!("http://{bind}")),
            trust_forwarded: env.boolean("TESSERA_TRUST_FORWARDED")?.unwrap_or(false),
            login_max_failures: env
                .integer("TESSERA_LOGIN_MAX_FAILURES", 1..=u32::MAX, "failures")?
                .unwrap_or(20),
            login_failure_window: env
                .duration("TESSERA_LOGIN_FAILURE_WINDOW")?
                .unwrap_or(Duration::from_secs(900)),
            ip_max_attempts: env
                .integer("TESSERA_IP_MAX_ATTEMPTS", 1..=u32::MAX, "attempts")?
                .unwrap_or(120),
            redis_url: env.text("REDIS_URL"),
            redis_prefix: env
                .text("TESSERA_REDIS_PREFIX")
                .unwrap_or_else(|| crate::redis::DEFAULT_PREFIX.to_owned()),
            encryption_key: env
                .raw(crate::keys::ENCRYPTION_KEY_VAR)
                .filter(|text| !text.trim().is_empty())
                .map(crate::keys::EncryptionKeyText::new),
            key_rotation_days: env
                .integer("TESSERA_KEY_ROTATION_DAYS", 0..=3650, "days")?
                .unwrap_or(crate::keys::DEFAULT_ROTATION_DAYS),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> ServerConfig {
        ServerConfig::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .unwrap()
    }

    #[test]
    fn trust_forwarded_takes_the_same_booleans_as_the_token_settings() {
        for value in ["True", "YES", "1", "on"] {
            let read = config(&[("TESSERA_TRUST_FORWARDED", value)]);
            assert!(read.trust_forwarded, "{value:?}");
        }
        for value in ["False", "NO", "0", "off"] {
            let read = config(&[("TESSERA_TRUST_FORWARDED", value)]);
            assert!(!read.trust_forwarded, "{value:?}");
        }
    }

    #[test]
    fn the_failure_window_takes_suffixed_durations() {
        let read = config(&[("TESSERA_LOGIN_FAILURE_WINDOW", "1h")]);
        assert_eq!(read.login_failure_window, Duration::from_secs(3600));
        let default = config(&[]);
        assert_eq!(default.login_failure_window, Duration::from_secs(900));
    }

    #[test]
    fn bad_values_give_one_line_naming_the_variable_and_what_is_allowed() {
        for (name, value) in [
            ("TESSERA_BIND", "localhost"),
            ("TESSERA_PUBLIC_URL", "auth.example.com"),
            ("TESSERA_TRUST_FORWARDED", "maybe"),
            ("TESSERA_LOGIN_MAX_FAILURES", "0"),
            ("TESSERA_LOGIN_MAX_FAILURES", "many"),
            ("TESSERA_LOGIN_FAILURE_WINDOW", "0"),
            ("TESSERA_LOGIN_FAILURE_WINDOW", "15 minutes"),
            ("TESSERA_IP_MAX_ATTEMPTS", "-1"),
        ] {
            let message =
                ServerConfig::from_lookup(|asked| (asked == name).then(|| value.to_owned()))
                    .unwrap_err()
                    .to_string();
            assert!(
                message.starts_with(&format!("{name}: {value:?} must ")),
                "{message}"
            );
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn a_derived_public_url_follows_the_port_actually_bound() {
        let mut derived = config(&[("TESSERA_BIND", "127.0.0.1:0")]);
        assert_eq!(derived.public_url, "http://127.0.0.1:0");
        derived.adopt_bound_address(SocketAddr::from(([127, 0, 0, 1], 41234)));
        assert_eq!(derived.public_url, "http://127.0.0.1:41234");
        assert_eq!(derived.bind.port(), 41234);
    }

    #[test]
    fn an_explicit_public_url_is_kept() {
        let mut explicit = config(&[
            ("TESSERA_BIND", "0.0.0.0:0"),
            ("TESSERA_PUBLIC_URL", "https://auth.example.com/"),
        ]);
        explicit.adopt_bound_address(SocketAddr::from(([0, 0, 0, 0], 41234)));
        assert_eq!(explicit.public_url, "https://auth.example.com");
        assert!(explicit.public_url_is_explicit);
    }
}
