//! Reading registered claims with their exact JSON types, then checking them.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{DecodeOptions, Validation};
use crate::claims::{Claims, Fresh, TokenType, is_registered_other_than_sub};
use crate::error::{TokenError, echo_message, echo_name};

/// Turns a verified payload into typed claims, enforcing `validation`.
pub(super) fn check<X: DeserializeOwned + 'static>(
    mut map: Map<String, Value>,
    validation: &Validation,
    now: i64,
    options: DecodeOptions,
) -> Result<Claims<X>, TokenError> {
    let identity = validation.identity_claim.as_str();
    // A registered claim read as the identity would be consumed twice; with
    // `type` a refresh token would lose its type and pass as an access token.
    // `TokenConfig` refuses such names; a hand-built `Validation` fails closed.
    if is_registered_other_than_sub(identity) {
        return Err(invalid(
            identity,
            "left to its registered meaning, not used as the identity claim",
        ));
    }
    let exp = numeric_date(&mut map, "exp")?;
    let nbf = numeric_date(&mut map, "nbf")?;
    let iat = numeric_date(&mut map, "iat")?;
    check_times(exp, nbf, iat, validation, now, options.allow_expired)?;

    let iss = optional_string(&mut map, "iss")?;
    if let Some(expected) = &validation.issuer {
        match &iss {
            None => return Err(TokenError::MissingClaim("iss".to_owned())),
            Some(iss) if iss != expected => return Err(TokenError::InvalidIssuer),
            Some(_) => {}
        }
    }
    let aud = audiences(&mut map)?;
    if !validation.audience.is_empty() {
        if aud.is_empty() {
            return Err(TokenError::MissingClaim("aud".to_owned()));
        }
        if !aud.iter().any(|one| validation.audience.contains(one)) {
            return Err(TokenError::InvalidAudience);
        }
    }

    let sub = match map.remove(identity) {
        Some(Value::String(sub)) => sub,
        Some(_) => return Err(invalid(identity, "a string")),
        None => return Err(TokenError::MissingClaim(identity.to_owned())),
    };
    let jti = optional_string(&mut map, "jti")?;
    if jti.is_none() && validation.require_jti {
        return Err(TokenError::MissingClaim("jti".to_owned()));
    }
    if validation.require_type && !map.contains_key("type") {
        return Err(TokenError::MissingClaim("type".to_owned()));
    }
    let token_type = token_type(&mut map, options.token_type)?;
    let fresh = match map.remove("fresh") {
        None => Fresh::default(),
        Some(Value::Bool(flag)) => Fresh::Flag(flag),
        Some(Value::Number(until)) => Fresh::Until(until.as_f64().unwrap_or(0.0)),
        Some(_) => return Err(invalid("fresh", "a boolean or a number")),
    };
    let csrf = optional_string(&mut map, "csrf")?;
    // `sub` under a custom identity claim name is an ordinary extra claim.
    let extra = into_extra(map)?;
    Ok(Claims {
        sub,
        token_type,
        jti,
        iat,
        nbf,
        exp,
        fresh,
        csrf,
        iss,
        aud,
        extra,
    })
}

/// The remaining claims as the caller's type. The default type is the map
/// itself, which is handed over as is rather than rebuilt through serde.
fn into_extra<X: DeserializeOwned + 'static>(map: Map<String, Value>) -> Result<X, TokenError> {
    let boxed: Box<dyn std::any::Any> = Box::new(map);
    match boxed.downcast::<X>() {
        Ok(extra) => Ok(*extra),
        Err(boxed) => match boxed.downcast::<Map<String, Value>>() {
            Ok(map) => serde_json::from_value(Value::Object(*map))
                .map_err(|err| TokenError::ExtraClaims(echo_message(&err.to_string()))),
            // The box was made from a map two lines up.
            Err(_) => Err(TokenError::ExtraClaims("unreadable claims".to_owned())),
        },
    }
}

/// The time rules: `exp` (unless expired tokens are allowed), `nbf`, `iat`,
/// each with the leeway; missing `exp`/`iat` when required.
fn check_times(
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    validation: &Validation,
    now: i64,
    allow_expired: bool,
) -> Result<(), TokenError> {
    let leeway = validation.leeway;
    match exp {
        // PyJWT's rule: expired once `exp <= now - leeway`.
        Some(exp) if !allow_expired && exp <= now.saturating_sub(leeway) => {
            return Err(TokenError::Expired);
        }
        None if validation.require_exp => return Err(TokenError::MissingClaim("exp".to_owned())),
        _ => {}
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(TokenError::NotYetValid);
    }
    match iat {
        Some(iat) if iat > now.saturating_add(leeway) => Err(TokenError::IssuedInFuture),
        None if validation.require_iat => Err(TokenError::MissingClaim("iat".to_owned())),
        _ => Ok(()),
    }
}

/// The checks that depend on the moment and the caller, re-run when a token
/// verified earlier is presented again: the time rules and the expected type.
pub(super) fn recheck<X>(
    claims: &Claims<X>,
    validation: &Validation,
    now: i64,
    options: DecodeOptions,
) -> Result<(), TokenError> {
    check_times(
        claims.exp,
        claims.nbf,
        claims.iat,
        validation,
        now,
        options.allow_expired,
    )?;
    match options.token_type {
        Some(expected) if expected != claims.token_type => Err(TokenError::WrongTokenType {
            expected,
            found: claims.token_type.as_str().to_owned(),
        }),
        _ => Ok(()),
    }
}

fn invalid(claim: &str, expected: &'static str) -> TokenError {
    TokenError::InvalidClaim {
        claim: claim.to_owned(),
        expected,
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number, fractions truncated. Strings
/// such as `"9999999999"` are refused (CVE-2026-25537's class of bug).
fn numeric_date(map: &mut Map<String, Value>, name: &str) -> Result<Option<i64>, TokenError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::Number(number)) => match (number.as_i64(), number.as_f64()) {
            (Some(whole), _) => Ok(Some(whole)),
            // Truncation toward negative infinity is the conservative direction
            // for `exp`, and the saturating cast keeps absurd values finite.
            #[allow(clippy::cast_possible_truncation)]
            (None, Some(float)) if float.is_finite() => Ok(Some(float.floor() as i64)),
            _ => Err(invalid(name, "a NumericDate number")),
        },
        Some(_) => Err(invalid(name, "a NumericDate number")),
    }
}

fn optional_string(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>, TokenError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid(name, "a string")),
    }
}

fn audiences(map: &mut Map<String, Value>) -> Result<Vec<String>, TokenError> {
    match map.remove("aud") {
        None => Ok(Vec::new()),
        Some(Value::String(one)) => Ok(vec![one]),
        Some(Value::Array(many)) => many
            .into_iter()
            .map(|one| match one {
                Value::String(one) => Ok(one),
                _ => Err(invalid("aud", "a string or a list of strings")),
            })
            .collect(),
        Some(_) => Err(invalid("aud", "a string or a list of strings")),
    }
}

/// Reads `type` (absent, when allowed, means `access`, as in Flask-JWT-Extended) and checks
/// it against what the route accepts. Unlike Flask-JWT-Extended, custom types
/// are not accepted as access tokens: only `access` is.
fn token_type(
    map: &mut Map<String, Value>,
    expected: Option<TokenType>,
) -> Result<TokenType, TokenError> {
    let found = match map.remove("type") {
        None => TokenType::Access,
        Some(Value::String(name)) if name == "access" => TokenType::Access,
        Some(Value::String(name)) if name == "refresh" => TokenType::Refresh,
        Some(Value::String(name)) => {
            return Err(match expected {
                Some(expected) => TokenError::WrongTokenType {
                    expected,
                    found: echo_name(&name),
                },
                None => invalid("type", "\"access\" or \"refresh\""),
            });
        }
        Some(_) => return Err(invalid("type", "a string")),
    };
    match expected {
        Some(expected) if expected != found => Err(TokenError::WrongTokenType {
            expected,
            found: found.as_str().to_owned(),
        }),
        _ => Ok(found),
    }
}
