//! The JOSE header: parsed strictly, and refused when it asks for anything
//! a careful verifier must not do.

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::{Part, TokenError, echo_name};

/// Header parameters that carry keys or key locations. Trusting any of them
/// lets the token choose its own key (CVE-2018-0114, RFC 8725 §3.10), so a
/// token that has one is refused outright.
const KEY_BEARING: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// A verified token's header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The algorithm, already checked against the key.
    pub alg: Algorithm,
    /// `typ`, if present (Tessera writes `JWT`).
    pub typ: Option<String>,
    /// `kid`, if present.
    pub kid: Option<String>,
    /// Any other parameters, as JSON.
    pub other: Map<String, Value>,
}

/// Checks a parsed header object and extracts the parameters Tessera uses.
pub(crate) fn check(mut map: Map<String, Value>) -> Result<Header, TokenError> {
    if let Some(name) = KEY_BEARING.into_iter().find(|name| map.contains_key(*name)) {
        return Err(TokenError::ForbiddenHeader(name));
    }
    if map.get("b64") == Some(&Value::Bool(false)) {
        return Err(TokenError::UnencodedPayload);
    }
    // No extension is understood, so any `crit` at all makes the token
    // unverifiable for us (RFC 7515 §4.1.11).
    if let Some(crit) = map.get("crit") {
        let first = match crit {
            Value::Array(names) => names.first().map_or_else(
                || "(empty list)".to_owned(),
                |name| echo_name(name.as_str().unwrap_or("(not a string)")),
            ),
            _ => "(not a list)".to_owned(),
        };
        return Err(TokenError::UnsupportedCritical(first));
    }
    let alg = match map.remove("alg") {
        Some(Value::String(name)) => name
            .parse::<Algorithm>()
            .map_err(|_| TokenError::UnsupportedAlgorithm(echo_name(&name)))?,
        Some(other) => {
            return Err(TokenError::UnsupportedAlgorithm(echo_name(
                &other.to_string(),
            )));
        }
        None => return Err(TokenError::UnsupportedAlgorithm("(missing)".to_owned())),
    };
    let kid = match map.remove("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid),
        Some(_) => return Err(TokenError::UnknownKeyId),
    };
    let typ = match map.remove("typ") {
        None => None,
        Some(Value::String(typ)) => Some(typ),
        Some(_) => {
            return Err(TokenError::Json {
                part: Part::Header,
                reason: "typ must be a string".to_owned(),
            });
        }
    };
    Ok(Header {
        alg,
        typ,
        kid,
        other: map,
    })
}
