//! The service's own settings (`TESSERA_*`), beside the token settings
//! (`JWT_*`) and the domain rules ([`crate::domain::ServerSettings`]).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TESSERA_BIND` | `127.0.0.1:8080` | address to listen on |
//! | `DATABASE_URL` | `sqlite://tessera.db` | the store (`sqlite://FILE` or `postgres://…`, TLS by `sslmode`) |
//! | `TESSERA_PUBLIC_URL` | `http://` + bind address | base URL in discovery; default issuer |
//! | `TESSERA_TRUST_FORWARDED` | `false` | take the client IP from the last `X-Forwarded-For` entry (the one the proxy appended; `ip`, `ip:port`, `[ipv6]:port`; unreadable is a 400) |
//! | `TESSERA_LOGIN_MAX_FAILURES` | `20` | failed logins per account per window |
//! | `TESSERA_LOGIN_FAILURE_WINDOW` | `900` | that window, in seconds |
//! | `TESSERA_IP_MAX_ATTEMPTS` | `120` | logins + registrations per IP (IPv6: per /64) per minute |

use std::net::SocketAddr;

use tessera::ConfigError;

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
    /// The failed-login window in seconds.
    pub login_failure_window: i64,
    /// Credential requests allowed per IP per minute.
    pub ip_max_attempts: u32,
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
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let bind: SocketAddr = match get("TESSERA_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
                name: "TESSERA_BIND",
                problem: format!(
                    "{text:?} must be an address and port such as 127.0.0.1:8080 or 0.0.0.0:8080"
                ),
            })?,
        };
        let public_url_is_explicit = get("TESSERA_PUBLIC_URL").is_some();
        let public_url = match get("TESSERA_PUBLIC_URL") {
            None => format!("http://{bind}"),
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(url) => {
                return Err(ConfigError::Invalid {
                    name: "TESSERA_PUBLIC_URL",
                    problem: format!("{url:?} must start with http:// or https://"),
                });
            }
        };
        let trust_forwarded = match get("TESSERA_TRUST_FORWARDED").as_deref() {
            None | Some("false" | "0" | "no" | "off") => false,
            Some("true" | "1" | "yes" | "on") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "TESSERA_TRUST_FORWARDED",
                    problem: format!("{other:?} must be true or false"),
                });
            }
        };
        Ok(ServerConfig {
            bind,
            database_url: get("DATABASE_URL"),
            public_url,
            public_url_is_explicit,
            trust_forwarded,
            login_max_failures: positive(&get, "TESSERA_LOGIN_MAX_FAILURES", 20)?,
            login_failure_window: i64::from(positive(&get, "TESSERA_LOGIN_FAILURE_WINDOW", 900)?),
            ip_max_attempts: positive(&get, "TESSERA_IP_MAX_ATTEMPTS", 120)?,
        })
    }
}

fn positive(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(text) => match text.parse::<u32>() {
            Ok(value) if value > 0 => Ok(value),
            _ => Err(ConfigError::Invalid {
                name,
                problem: format!("{text:?} must be a positive whole number"),
            }),
        },
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
