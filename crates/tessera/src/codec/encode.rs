//! Creating signed tokens.

use serde::Serialize;
use serde_json::{Map, Value};

use super::TokenCodec;
use crate::b64;
use crate::claims::{Claims, Fresh, Payload, RESERVED_MARKER};
use crate::error::EncodeError;
use crate::header::Header;
use crate::keys::Key;

/// Header parameters that only Tessera may set.
const RESERVED_HEADERS: [&str; 11] = [
    "alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256",
];

/// The base64url header segment for `key`, plus the header it encodes.
/// Member order is `alg`, `kid`, `typ`, extras: for a key without `kid`
/// this is byte-for-byte the header PyJWT writes.
pub(super) fn header_segment(
    key: &Key,
    extra: Option<&Map<String, Value>>,
) -> Result<(String, Header), EncodeError> {
    #[derive(Serialize)]
    struct Fixed<'a> {
        alg: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        kid: Option<&'a str>,
        typ: &'static str,
        #[serde(flatten)]
        extra: &'a Map<String, Value>,
    }
    let empty = Map::new();
    let extra = extra.unwrap_or(&empty);
    if let Some(name) = extra
        .keys()
        .find(|name| RESERVED_HEADERS.contains(&name.as_str()))
    {
        return Err(EncodeError::ReservedHeader(name.clone()));
    }
    let json = serde_json::to_vec(&Fixed {
        alg: key.algorithm().as_str(),
        kid: key.kid(),
        typ: "JWT",
        extra,
    })
    .map_err(|err| EncodeError::ExtraClaims(err.to_string()))?;
    let header = Header {
        alg: key.algorithm(),
        typ: Some("JWT".to_owned()),
        kid: key.kid().map(str::to_owned),
        other: extra.clone(),
    };
    Ok((b64::encode(json), header))
}

impl TokenCodec {
    /// Signs `claims` with the primary key.
    pub fn encode<X: Serialize>(&self, claims: &Claims<X>) -> Result<String, EncodeError> {
        self.encode_with_headers(claims, None)
    }

    /// Signs `claims` with the primary key, adding `extra_headers` to the
    /// JOSE header. `alg`, `kid`, `typ`, `crit` and key-bearing parameters
    /// are reserved.
    pub fn encode_with_headers<X: Serialize>(
        &self,
        claims: &Claims<X>,
        extra_headers: Option<&Map<String, Value>>,
    ) -> Result<String, EncodeError> {
        if let Fresh::Until(until) = claims.fresh
            && !until.is_finite()
        {
            // serde_json would write `null`, which no reader takes as a time.
            return Err(EncodeError::InvalidClaim {
                claim: "fresh",
                reason: "a fresh-until time must be a finite number",
            });
        }
        let material = self.inner.ring.load();
        let key = material.keys.primary();
        let header = match (extra_headers, material.known_headers.first()) {
            (None, Some((segment, _))) => segment.clone(),
            (Some(extra), Some((segment, _))) if extra.is_empty() => segment.clone(),
            _ => header_segment(key, extra_headers)?.0,
        };
        let payload = serde_json::to_vec(&Payload {
            claims,
            identity_claim: &self.validation().identity_claim,
        })
        .map_err(|err| {
            let text = err.to_string();
            match text.strip_prefix(RESERVED_MARKER) {
                Some(name) => EncodeError::ReservedClaim(name.to_owned()),
                None => EncodeError::ExtraClaims(text),
            }
        })?;
        let mut token = String::with_capacity(header.len() + payload.len() * 4 / 3 + 120);
        token.push_str(&header);
        token.push('.');
        token.push_str(&b64::encode(payload));
        let signature = key.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&b64::encode(signature));
        Ok(token)
    }
}
