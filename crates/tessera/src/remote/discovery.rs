//! OpenID Connect Discovery: from an issuer URL to its `jwks_uri`.

use serde::Deserialize;

use crate::algorithm::{Algorithm, KeyFamily};

/// The parts of an issuer's `/.well-known/openid-configuration` that key
/// fetching uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Discovery {
    /// The issuer, identical to the configured one (checked).
    pub issuer: String,
    /// Where the issuer publishes its keys.
    pub jwks_uri: String,
    /// The algorithms the issuer says it signs id_tokens with, as
    /// advertised (possibly including ones Tessera refuses, such as `none`).
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
}

impl Discovery {
    /// The advertised id_token algorithms Tessera can verify with a
    /// published key: `none`, HMAC (its secret is never in a JWKS) and
    /// unknown names are left out. Pass them to
    /// [`RemoteJwksBuilder::algorithms`](super::RemoteJwksBuilder::algorithms)
    /// to accept nothing else. `None` when the document advertises none.
    pub fn id_token_signing_algorithms(&self) -> Option<Vec<Algorithm>> {
        self.id_token_signing_alg_values_supported
            .as_ref()
            .map(|names| {
                names
                    .iter()
                    .filter_map(|name| name.parse::<Algorithm>().ok())
                    .filter(|alg| alg.family() != KeyFamily::Hmac)
                    .collect()
            })
    }
}

/// The discovery URL of `issuer` (OpenID Connect Discovery §4: the issuer
/// with any trailing `/` removed, then `/.well-known/openid-configuration`).
pub(crate) fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Reads a discovery document and checks that its `issuer` is exactly
/// `expected` (§4.3): a document naming another issuer could hand us
/// another issuer's keys.
pub(crate) fn parse(body: &[u8], expected: &str) -> Result<Discovery, DocumentError> {
    let discovery: Discovery =
        serde_json::from_slice(body).map_err(|err| DocumentError::Unreadable(err.to_string()))?;
    if discovery.issuer != expected {
        return Err(DocumentError::IssuerMismatch(discovery.issuer));
    }
    Ok(discovery)
}

/// Why a discovery document is refused.
#[derive(Debug)]
pub(crate) enum DocumentError {
    Unreadable(String),
    IssuerMismatch(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_url_drops_a_trailing_slash() {
        assert_eq!(
            discovery_url("https://accounts.example/"),
            "https://accounts.example/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://example.com/tenant"),
            "https://example.com/tenant/.well-known/openid-configuration"
        );
    }

    #[test]
    fn advertised_algorithms_leave_out_none_and_hmac() {
        let discovery = parse(
            br#"{"issuer":"https://i.example","jwks_uri":"https://i.example/k",
                 "id_token_signing_alg_values_supported":["RS256","none","HS256","ES256","XX1"]}"#,
            "https://i.example",
        )
        .ok();
        let algs = discovery.and_then(|d| d.id_token_signing_algorithms());
        assert_eq!(algs, Some(vec![Algorithm::RS256, Algorithm::ES256]));
    }

    #[test]
    fn issuer_must_match_exactly() {
        let body = br#"{"issuer":"https://i.example/","jwks_uri":"https://i.example/k"}"#;
        assert!(matches!(
            parse(body, "https://i.example"),
            Err(DocumentError::IssuerMismatch(found)) if found == "https://i.example/"
        ));
    }
}
