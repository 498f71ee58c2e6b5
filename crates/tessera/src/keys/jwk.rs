//! JSON Web Keys (RFC 7517) and their thumbprints (RFC 7638).

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

use crate::b64;

/// One JSON Web Key. Only the members Tessera reads or writes are typed;
/// private members (`d`, `k`) are never written by [`crate::KeySet::jwks`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC`, `OKP` or `oct`.
    pub kty: String,
    /// Intended use; Tessera writes `sig`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// The one algorithm this key is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// RSA modulus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve name for `EC` and `OKP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// Curve x coordinate, or the Ed25519 public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// Curve y coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Private scalar or seed (private keys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Symmetric key bytes (`oct` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("crv", &self.crv)
            .field("private", &(self.d.is_some() || self.k.is_some()))
            .finish_non_exhaustive()
    }
}

impl Jwk {
    /// The RFC 7638 SHA-256 thumbprint, base64url: a stable `kid` derived
    /// from the public key alone. `None` when required members are missing.
    pub fn thumbprint(&self) -> Option<String> {
        // Required members in lexicographic order, no whitespace (RFC 7638 §3.2).
        let canonical = match self.kty.as_str() {
            "RSA" => {
                serde_json::json!({ "e": self.e.as_ref()?, "kty": "RSA", "n": self.n.as_ref()? })
            }
            "EC" => serde_json::json!({
                "crv": self.crv.as_ref()?, "kty": "EC", "x": self.x.as_ref()?, "y": self.y.as_ref()?,
            }),
            "OKP" => {
                serde_json::json!({ "crv": self.crv.as_ref()?, "kty": "OKP", "x": self.x.as_ref()? })
            }
            "oct" => serde_json::json!({ "k": self.k.as_ref()?, "kty": "oct" }),
            _ => return None,
        };
        // serde_json's default map is ordered by key, which is the order RFC 7638 wants.
        let text = canonical.to_string();
        Some(b64::encode(digest::digest(
            &digest::SHA256,
            text.as_bytes(),
        )))
    }
}

/// A JWK Set document, as served at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1 worked example.
    #[test]
    fn rfc7638_example_thumbprint() {
        let jwk = Jwk {
            kty: "RSA".to_owned(),
            n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".to_owned()),
            e: Some("AQAB".to_owned()),
            ..Jwk::default()
        };
        assert_eq!(
            jwk.thumbprint().as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }
}
