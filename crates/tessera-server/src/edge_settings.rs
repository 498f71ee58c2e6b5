//! The settings of the HTTP edge: how long a client may take, how many
//! connections are served at once, which browser origins may call the API
//! (CORS), where `/metrics` listens, and whether responses pin HTTPS.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `TESSERA_HEADER_TIMEOUT` | `10` | seconds a client has to send a request's headers; an idle keep-alive connection is closed after the same time |
//! | `TESSERA_REQUEST_TIMEOUT` | `30` | seconds from a request's headers to its answer (body included); then `408` |
//! | `TESSERA_MAX_CONNECTIONS` | `1024` | connections served at once; one more gets `503` with `Retry-After` |
//! | `TESSERA_CORS_ORIGINS` | unset (no CORS) | comma-separated origins (`https://app.example.com`) whose pages may call the API with credentials |
//! | `TESSERA_METRICS_BIND` | unset | serve `/metrics` on this address only (then not on the public listener) |
//!
//! ```
//! use std::time::Duration;
//! use tessera::env::Env;
//! use tessera_server::edge_settings::EdgeSettings;
//!
//! let env = Env::new(|name: &str| {
//!     (name == "TESSERA_CORS_ORIGINS").then(|| "https://app.example.com/".to_owned())
//! });
//! let edge = EdgeSettings::read(&env, "https://auth.example.com").unwrap();
//! assert_eq!(edge.cors_origins, ["https://app.example.com"]);
//! assert_eq!(edge.header_timeout, Duration::from_secs(10));
//! assert!(edge.strict_transport);
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use tessera::ConfigError;
use tessera::env::Env;

/// Seconds a client is told to wait when the server is at capacity.
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 1;

const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// The edge's settings, read once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeSettings {
    /// `TESSERA_HEADER_TIMEOUT`: the time to send a request head, and the
    /// longest a kept-alive connection may sit idle (slowloris).
    pub header_timeout: Duration,
    /// `TESSERA_REQUEST_TIMEOUT`: from the head to the response.
    pub request_timeout: Duration,
    /// `TESSERA_MAX_CONNECTIONS`: connections served at once.
    pub max_connections: usize,
    /// `TESSERA_CORS_ORIGINS`: origins (`scheme://host[:port]`, no path)
    /// allowed to call the API from a browser; empty turns CORS off.
    pub cors_origins: Vec<String>,
    /// `TESSERA_METRICS_BIND`: the private listener of `/metrics`.
    pub metrics_bind: Option<SocketAddr>,
    /// `Strict-Transport-Security` on every response: the public URL is https.
    pub strict_transport: bool,
}

impl EdgeSettings {
    /// Reads the `TESSERA_*` edge variables through `env`; `public_url` is
    /// the base URL clients use (HSTS when it is https).
    pub fn read(
        env: &Env<impl Fn(&str) -> Option<String>>,
        public_url: &str,
    ) -> Result<Self, ConfigError> {
        Ok(EdgeSettings {
            header_timeout: env
                .duration("TESSERA_HEADER_TIMEOUT")?
                .unwrap_or(DEFAULT_HEADER_TIMEOUT),
            request_timeout: env
                .duration("TESSERA_REQUEST_TIMEOUT")?
                .unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            max_connections: env
                .integer("TESSERA_MAX_CONNECTIONS", 1..=1_000_000, "connections")?
                .unwrap_or(DEFAULT_MAX_CONNECTIONS),
            cors_origins: env
                .parsed("TESSERA_CORS_ORIGINS", parse_origins)?
                .unwrap_or_default(),
            metrics_bind: env.parsed("TESSERA_METRICS_BIND", |text| {
                text.parse::<SocketAddr>().map_err(|_| {
                    format!("{text:?} must be an address and port such as 127.0.0.1:9090")
                })
            })?,
            strict_transport: public_url.starts_with("https://"),
        })
    }
}

impl Default for EdgeSettings {
    /// The defaults of the table above, for a plain-http public URL.
    fn default() -> Self {
        EdgeSettings {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            cors_origins: Vec::new(),
            metrics_bind: None,
            strict_transport: false,
        }
    }
}

/// A comma-separated list of origins: each `http(s)://host[:port]`, a
/// trailing `/` dropped; no path, query, wildcard or `null` (a wildcard
/// with credentials is exactly what CORS must never allow).
fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for item in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let origin = item.strip_suffix('/').unwrap_or(item);
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let sound = authority.is_some_and(|authority| {
            !authority.is_empty()
                && authority
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if !sound {
            return Err(format!(
                "{item:?} must be an origin such as https://app.example.com (scheme, host and port only; no * or path)"
            ));
        }
        origins.push(origin.to_ascii_lowercase());
    }
    Ok(origins)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<EdgeSettings, ConfigError> {
        let env = Env::new(|name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        });
        EdgeSettings::read(&env, "http://localhost:8080")
    }

    #[test]
    fn defaults_bound_every_client_and_leave_cors_and_hsts_off() {
        let edge = read(&[]).unwrap();
        assert_eq!(edge.header_timeout, Duration::from_secs(10));
        assert_eq!(edge.request_timeout, Duration::from_secs(30));
        assert_eq!(edge.max_connections, 1024);
        assert!(edge.cors_origins.is_empty());
        assert_eq!(edge.metrics_bind, None);
        assert!(!edge.strict_transport);
    }

    #[test]
    fn origins_are_listed_exactly() {
        let edge = read(&[(
            "TESSERA_CORS_ORIGINS",
            "https://App.example.com/, http://localhost:3000",
        )])
        .unwrap();
        assert_eq!(
            edge.cors_origins,
            ["https://app.example.com", "http://localhost:3000"]
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("TESSERA_CORS_ORIGINS", "*"),
            ("TESSERA_CORS_ORIGINS", "null"),
            ("TESSERA_CORS_ORIGINS", "https://app.example.com/path"),
            ("TESSERA_CORS_ORIGINS", "app.example.com"),
            ("TESSERA_HEADER_TIMEOUT", "0"),
            ("TESSERA_REQUEST_TIMEOUT", "soon"),
            ("TESSERA_MAX_CONNECTIONS", "0"),
            ("TESSERA_METRICS_BIND", "localhost"),
        ] {
            let message = read(&[(name, value)]).unwrap_err().to_string();
            assert!(
                message.starts_with(&format!("{name}: ")),
                "{name}={value}: {message}"
            );
        }
    }
}
