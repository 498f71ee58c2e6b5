//! The keys the token settings name.

use tessera::{KeySet, TokenConfig};

use super::{KeysError, SigningKeys};
use crate::boxed::BoxFuture;

/// The key of the token settings: the HMAC secret (`JWT_SECRET_KEY`) or the
/// PEM pair (`JWT_PRIVATE_KEY`, `JWT_PUBLIC_KEY`) for `JWT_ALGORITHM`.
/// Weak secrets and small RSA keys are refused when the set is built.
/// `Debug` never shows the key material.
#[derive(Debug, Clone)]
pub struct ConfiguredKeys {
    // The whole token settings, because they parse their own keys
    // (`TokenConfig::key_set`); only the algorithm and the key source count.
    token: TokenConfig,
}

impl ConfiguredKeys {
    /// The keys `token` names.
    pub fn new(token: &TokenConfig) -> Self {
        ConfiguredKeys {
            token: token.clone(),
        }
    }
}

impl SigningKeys for ConfiguredKeys {
    fn key_set(&self) -> BoxFuture<'_, Result<KeySet, KeysError>> {
        Box::pin(std::future::ready(
            self.token.key_set().map_err(KeysError::from),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use tessera::{ConfigError, TokenConfig};

    use super::ConfiguredKeys;

    /// A secret that passes the strength checks.
    const SECRET: &str = "t3st-only-6mQx9V2pLr8sKw4ZbN7cJd1FhY5gTe0uAo3iRl2kPq8vXs6nMz4yBw";
    use crate::keys::{KeysError, SigningKeys};

    #[tokio::test]
    async fn the_configured_secret_is_the_one_key_and_signs() {
        let token = TokenConfig::with_secret(SECRET);
        let keys = ConfiguredKeys::new(&token).key_set().await.unwrap();
        assert_eq!(keys.keys().len(), 1);
        assert!(keys.primary().can_sign());
    }

    #[tokio::test]
    async fn a_weak_secret_is_refused_naming_the_variable() {
        let token = TokenConfig::with_secret("short");
        let err = ConfiguredKeys::new(&token).key_set().await.unwrap_err();
        assert!(
            matches!(
                err,
                KeysError::Config(ConfigError::Invalid {
                    name: "JWT_SECRET_KEY",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = TokenConfig::with_secret(SECRET);
        let shown = format!("{:?}", ConfiguredKeys::new(&token));
        assert!(!shown.contains(&SECRET[..12]), "{shown}");
    }
}
