//! The random values of one sign-in in progress: `state` (CSRF, RFC 6749
//! §10.12), `nonce` (id_token replay, OpenID Connect Core §3.1.2.1), the
//! PKCE verifier and its S256 challenge (RFC 7636 §4.2), and the value of
//! the cookie that binds the flow to the browser that started it.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use super::FlowParams;

/// How long a sign-in may take at the provider, in seconds.
pub const FLOW_LIFETIME_SECONDS: i64 = 600;

/// The cookie binding a flow to its browser: `HttpOnly`, `SameSite=Lax`
/// (sent on the provider's top-level redirect back), path `/auth/oauth/`.
pub const FLOW_COOKIE: &str = "tessera_oauth_flow";

/// Why no random values could be made (the system's generator failed).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the system random generator failed")]
pub struct RandomUnavailable;

/// 256 random bits, base64url without padding (43 characters: also a
/// valid PKCE verifier).
pub fn random_value() -> Result<String, RandomUnavailable> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomUnavailable)?;
    Ok(tessera::b64::encode(bytes))
}

/// SHA-256 of `value`, base64url: what the store keeps of a `state` and a
/// binding cookie, so a read of the table gives nothing to replay.
pub fn fingerprint(value: &str) -> String {
    tessera::b64::encode(digest(&SHA256, value.as_bytes()).as_ref())
}

/// The PKCE S256 challenge of `verifier`.
pub fn pkce_challenge(verifier: &str) -> String {
    fingerprint(verifier)
}

/// A new flow's values, with `redirect_uri`.
pub fn new_flow(redirect_uri: String) -> Result<FlowParams, RandomUnavailable> {
    Ok(FlowParams {
        redirect_uri,
        state: random_value()?,
        nonce: random_value()?,
        pkce_verifier: random_value()?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_values_differ_and_are_valid_verifiers() {
        let (a, b) = (random_value().unwrap(), random_value().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
