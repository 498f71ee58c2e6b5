//! Token settings from the environment, under Flask-JWT-Extended's names.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `JWT_SECRET_KEY` | — | HMAC secret (its UTF-8 bytes, as written) |
//! | `JWT_ALGORITHM` | `HS256` | signing algorithm, pinned to the key |
//! | `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY` | — | PEM text or a path to a PEM file |
//! | `JWT_DECODE_ALGORITHMS` | the algorithm | accepted only if it names exactly `JWT_ALGORITHM` |
//! | `JWT_ACCESS_TOKEN_EXPIRES` | `900` | seconds (or `15m`, `1h`, `30d`; see [`crate::env`]); never `0` or `false`: a token without `exp` is asked for per token ([`Expires::Never`](crate::Expires::Never)) |
//! | `JWT_REFRESH_TOKEN_EXPIRES` | `2592000` | seconds (or a suffixed duration) |
//! | `JWT_DECODE_LEEWAY` | `0` | seconds of clock skew, at most 300 |
//! | `JWT_ENCODE_ISSUER` / `JWT_DECODE_ISSUER` | — | `iss` written / required |
//! | `JWT_ENCODE_AUDIENCE` / `JWT_DECODE_AUDIENCE` | — | `aud` written / required (comma-separated) |
//! | `JWT_IDENTITY_CLAIM` | `sub` | the claim holding the identity |
//! | `JWT_ENCODE_NBF` | `true` | write `nbf` |
//! | `JWT_MAX_TOKEN_BYTES` | `8192` | longest token read |

use std::path::Path;
use std::time::Duration;

use crate::algorithm::{Algorithm, KeyFamily};
use crate::codec::{DEFAULT_MAX_TOKEN_BYTES, TokenCodec, Validation};
use crate::env::Env;
pub use crate::error::ConfigError;
use crate::error::KeyError;
use crate::keys::{Key, KeySet};

/// Largest leeway accepted; more would quietly extend every token's life.
pub const MAX_LEEWAY_SECONDS: i64 = 300;

/// Where the key material comes from. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An HMAC secret.
    Secret(String),
    /// PEM text for an asymmetric algorithm; at least one part is present.
    Pem {
        /// PEM private key (signs, and verifies through its public half).
        private: Option<String>,
        /// PEM public key (verifies).
        public: Option<String>,
    },
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Secret(_) => f.write_str("Secret(<redacted>)"),
            KeySource::Pem { private, public } => f
                .debug_struct("Pem")
                .field("private", &private.as_ref().map(|_| "<redacted>"))
                .field("public", &public.is_some())
                .finish(),
        }
    }
}

/// Everything about tokens: keys, lifetimes, issuer, audience, checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// The signing algorithm.
    pub algorithm: Algorithm,
    /// Where the keys come from.
    pub keys: KeySource,
    /// Access token lifetime. Always finite: a token without `exp` is
    /// asked for per token ([`Expires::Never`](crate::Expires::Never)) and
    /// needs [`JwtConfig::allow_non_expiring`](crate::JwtConfig::allow_non_expiring).
    pub access_expires: Duration,
    /// Refresh token lifetime (finite, as for access tokens).
    pub refresh_expires: Duration,
    /// Clock-skew leeway in seconds.
    pub leeway: i64,
    /// `iss` written into new tokens.
    pub encode_issuer: Option<String>,
    /// `iss` required of presented tokens.
    pub decode_issuer: Option<String>,
    /// `aud` written into new tokens.
    pub encode_audience: Vec<String>,
    /// Audiences accepted from presented tokens.
    pub decode_audience: Vec<String>,
    /// The identity claim name.
    pub identity_claim: String,
    /// Whether to write `nbf`.
    pub encode_nbf: bool,
    /// Longest token accepted.
    pub max_token_bytes: usize,
}

impl TokenConfig {
    /// Defaults with the given HMAC secret (HS256).
    pub fn with_secret(secret: impl Into<String>) -> Self {
        TokenConfig {
            algorithm: Algorithm::HS256,
            keys: KeySource::Secret(secret.into()),
            access_expires: Duration::from_secs(15 * 60),
            refresh_expires: Duration::from_secs(30 * 24 * 3600),
            leeway: 0,
            encode_issuer: None,
            decode_issuer: None,
            encode_audience: Vec::new(),
            decode_audience: Vec::new(),
            identity_claim: "sub".to_owned(),
            encode_nbf: true,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Reads `.env` in the working directory (if there is one; variables
    /// already set win), then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        load_dotenv()?;
        Self::read(&Env::process())
    }

    /// Reads settings through `lookup` (a variable name → its value), so
    /// tests and embedders need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(&Env::new(lookup))
    }

    /// Reads settings through `env` (see [`crate::env`] for the spellings).
    pub fn read(env: &Env<impl Fn(&str) -> Option<String>>) -> Result<Self, ConfigError> {
        // Blank counts as unset; secrets and PEM text are kept as written.
        let get = |name: &str| env.raw(name).filter(|value| !value.trim().is_empty());
        let algorithm = match get("JWT_ALGORITHM") {
            None => Algorithm::HS256,
            Some(name) => name.trim().parse().map_err(|_| ConfigError::Invalid {
                name: "JWT_ALGORITHM",
                problem: format!(
                    "{name:?} is not supported; use one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA"
                ),
            })?,
        };
        if let Some(list) = get("JWT_DECODE_ALGORITHMS") {
            let names: Vec<&str> = list.split(',').map(str::trim).collect();
            if names != [algorithm.as_str()] {
                return Err(ConfigError::Invalid {
                    name: "JWT_DECODE_ALGORITHMS",
                    problem: format!(
                        "each key is pinned to one algorithm, so this may only be {algorithm:?} (JWT_ALGORITHM); use a key set to verify several"
                    ),
                });
            }
        }
        let keys = if algorithm.family() == KeyFamily::Hmac {
            KeySource::Secret(get("JWT_SECRET_KEY").ok_or(ConfigError::Missing {
                name: "JWT_SECRET_KEY",
                hint: "run `tessera init` to write a strong one into .env",
            })?)
        } else {
            let private = get("JWT_PRIVATE_KEY")
                .map(|value| pem_or_file("JWT_PRIVATE_KEY", &value))
                .transpose()?;
            let public = get("JWT_PUBLIC_KEY")
                .map(|value| pem_or_file("JWT_PUBLIC_KEY", &value))
                .transpose()?;
            if private.is_none() && public.is_none() {
                return Err(ConfigError::Missing {
                    name: "JWT_PRIVATE_KEY",
                    hint: "asymmetric algorithms need JWT_PRIVATE_KEY (to sign) or JWT_PUBLIC_KEY (to verify); `tessera keygen` makes a pair",
                });
            }
            KeySource::Pem { private, public }
        };
        let mut config = TokenConfig {
            algorithm,
            keys,
            ..TokenConfig::with_secret(String::new())
        };
        if let Some(lifetime) = env.duration("JWT_ACCESS_TOKEN_EXPIRES")? {
            config.access_expires = lifetime;
        }
        if let Some(lifetime) = env.duration("JWT_REFRESH_TOKEN_EXPIRES")? {
            config.refresh_expires = lifetime;
        }
        if let Some(leeway) = env.integer("JWT_DECODE_LEEWAY", 0..=MAX_LEEWAY_SECONDS, "seconds")? {
            config.leeway = leeway;
        }
        config.encode_issuer = get("JWT_ENCODE_ISSUER");
        config.decode_issuer = get("JWT_DECODE_ISSUER");
        config.encode_audience = list(get("JWT_ENCODE_AUDIENCE"));
        config.decode_audience = list(get("JWT_DECODE_AUDIENCE"));
        if let Some(claim) = get("JWT_IDENTITY_CLAIM") {
            let claim = claim.trim().to_owned();
            if crate::claims::RESERVED_CLAIMS.contains(&claim.as_str()) && claim != "sub" {
                return Err(ConfigError::Invalid {
                    name: "JWT_IDENTITY_CLAIM",
                    problem: format!("{claim:?} is a registered claim with its own meaning"),
                });
            }
            config.identity_claim = claim;
        }
        if let Some(encode_nbf) = env.boolean("JWT_ENCODE_NBF")? {
            config.encode_nbf = encode_nbf;
        }
        if let Some(bytes) = env.integer("JWT_MAX_TOKEN_BYTES", 512..=65_536, "bytes")? {
            config.max_token_bytes = bytes;
        }
        Ok(config)
    }

    /// The validation policy these settings describe.
    pub fn validation(&self) -> Validation {
        Validation {
            leeway: self.leeway,
            max_token_bytes: self.max_token_bytes,
            issuer: self.decode_issuer.clone(),
            audience: self.decode_audience.clone(),
            identity_claim: self.identity_claim.clone(),
            ..Validation::default()
        }
    }

    /// Loads the keys, refusing weak secrets and small RSA keys.
    pub fn key_set(&self) -> Result<KeySet, ConfigError> {
        let key = match &self.keys {
            KeySource::Secret(secret) => Key::hmac(self.algorithm, secret.as_bytes())
                .map_err(|err| key_error("JWT_SECRET_KEY", err))?,
            KeySource::Pem { private, public } => {
                let private = private
                    .as_deref()
                    .map(|pem| {
                        Key::from_pem(self.algorithm, pem)
                            .map_err(|err| key_error("JWT_PRIVATE_KEY", err))
                    })
                    .transpose()?;
                let public = public
                    .as_deref()
                    .map(|pem| {
                        Key::from_pem(self.algorithm, pem)
                            .map_err(|err| key_error("JWT_PUBLIC_KEY", err))
                    })
                    .transpose()?;
                match (private, public) {
                    (Some(private), Some(public)) => {
                        if private.public_jwk() != public.public_jwk() {
                            return Err(ConfigError::Invalid {
                                name: "JWT_PUBLIC_KEY",
                                problem: "does not belong to JWT_PRIVATE_KEY".to_owned(),
                            });
                        }
                        private
                    }
                    (Some(key), None) | (None, Some(key)) => key,
                    (None, None) => {
                        return Err(ConfigError::Missing {
                            name: "JWT_PRIVATE_KEY",
                            hint: "asymmetric algorithms need a PEM key",
                        });
                    }
                }
            }
        };
        Ok(KeySet::new(key))
    }

    /// Claims for a new token under these settings: lifetime by type, `iss`,
    /// `aud`, and `nbf` when enabled.
    pub fn new_claims<X>(
        &self,
        sub: impl Into<String>,
        token_type: crate::claims::TokenType,
        now: i64,
        extra: X,
    ) -> crate::claims::Claims<X> {
        let lifetime = seconds(match token_type {
            crate::claims::TokenType::Access => self.access_expires,
            crate::claims::TokenType::Refresh => self.refresh_expires,
        });
        let mut claims = crate::claims::Claims::new(sub, token_type, now, Some(lifetime), extra);
        if !self.encode_nbf {
            claims.nbf = None;
        }
        claims.iss.clone_from(&self.encode_issuer);
        claims.aud.clone_from(&self.encode_audience);
        claims
    }

    /// A codec with these keys and this validation policy.
    pub fn codec(&self) -> Result<TokenCodec, ConfigError> {
        Ok(TokenCodec::builder(self.key_set()?)
            .validation(self.validation())
            .build())
    }
}

/// Loads `.env` from the working directory when it exists. Only that file:
/// parent directories are not searched, so the settings in force are the
/// ones beside the process.
pub fn load_dotenv() -> Result<(), ConfigError> {
    load_dotenv_from(Path::new(".env"))
}

fn load_dotenv_from(path: &Path) -> Result<(), ConfigError> {
    match dotenvy::from_path(path) {
        Ok(_) => Ok(()),
        Err(err) if err.not_found() => Ok(()),
        // dotenvy's own message quotes the whole line, and the line that
        // fails is often `JWT_SECRET_KEY="…` with a stray quote: name the
        // variable and the position, never the value.
        Err(dotenvy::Error::LineParse(line, at)) => {
            let name = line
                .split_once('=')
                .map(|(name, _)| name.trim())
                .filter(|name| {
                    !name.is_empty()
                        && name.len() <= 64
                        && name
                            .bytes()
                            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
                });
            Err(ConfigError::DotEnv(match name {
                Some(name) => format!(
                    "the line setting {name} cannot be parsed (at character {at}); check its quotes and escapes"
                ),
                None => format!(
                    "a line cannot be parsed (at character {at}); it is not shown because it may hold a secret"
                ),
            }))
        }
        Err(err) => Err(ConfigError::DotEnv(err.to_string())),
    }
}

fn key_error(name: &'static str, err: KeyError) -> ConfigError {
    ConfigError::Invalid {
        name,
        problem: err.to_string(),
    }
}

/// PEM text as given (with `\n` escapes undone), or the contents of the file it names.
fn pem_or_file(name: &'static str, value: &str) -> Result<String, ConfigError> {
    if value.contains("-----BEGIN") {
        return Ok(value.replace("\\n", "\n"));
    }
    // The value is not echoed: it may be key material pasted without its
    // `-----BEGIN` line, and this message goes to logs.
    std::fs::read_to_string(Path::new(value.trim())).map_err(|err| ConfigError::Invalid {
        name,
        problem: format!(
            "expected PEM text (with its -----BEGIN line) or the path of a readable PEM file; reading it as a path failed: {err}"
        ),
    })
}

/// A lifetime as the i64 seconds tokens carry ([`crate::env::parse_duration`]
/// only yields durations that fit; a larger one set in code saturates).
fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .map(|text| {
            text.split(',')
                .map(str::trim)
                .filter(|one| !one.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Writes `text` to a fresh file under the temp directory.
    fn env_file(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("tessera-{}-{name}.env", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_malformed_env_line_is_reported_without_its_text() {
        // The variable names are unique to this test, so nothing else reads them.
        for (case, line, named) in [
            (
                "quote",
                "TESSERA_REVIEW_UNUSED_A=\"Kx9-s3cr3t-value-never-logged\n",
                Some("TESSERA_REVIEW_UNUSED_A"),
            ),
            (
                "space",
                "TESSERA_REVIEW UNUSED_B=Kx9-s3cr3t-value-never-logged\n",
                None,
            ),
        ] {
            let path = env_file(case, line);
            let err = load_dotenv_from(&path).unwrap_err();
            std::fs::remove_file(&path).unwrap();
            let shown = err.to_string();
            assert!(!shown.contains("s3cr3t"), "{case}: {shown}");
            assert!(shown.starts_with(".env: "), "{case}: {shown}");
            if let Some(name) = named {
                assert!(shown.contains(name), "{case}: {shown}");
            }
        }
    }
}
