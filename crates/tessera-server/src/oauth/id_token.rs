//! Checking an OpenID Connect id_token (OpenID Connect Core §3.1.3.7)
//! through the library's codec with the provider's remote JWKS — one
//! hardened verifier, not a second JWT stack: the signature with a key the
//! provider publishes, pinned to one of the algorithms it advertises (never
//! `none` or HMAC); `iss` exactly the provider's; `aud` naming our client;
//! `azp`, when present, our client; `exp`; `iat` not in the future beyond
//! the leeway; and the `nonce` this sign-in sent.

use serde::Deserialize;
use serde_json::Value;
use tessera::remote::{RemoteError, RemoteJwks};
use tessera::{Algorithm, DecodeOptions, Validation};

use super::{ProviderError, VerifiedIdentity};

/// Seconds of clock skew tolerated between us and the provider.
pub const LEEWAY_SECONDS: i64 = 60;

/// The id_token claims Tessera reads beyond the registered ones.
#[derive(Debug, Deserialize)]
struct IdTokenClaims {
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// A boolean, or (some providers) the string `"true"`.
    #[serde(default)]
    email_verified: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
}

/// What the `nonce` must be.
#[derive(Debug, Clone, Copy)]
pub enum NonceRule<'a> {
    /// Browser flow: exactly the nonce this flow sent.
    Exactly(&'a str),
    /// Native: equal to the app's nonce when the token carries one; a token
    /// without one only when the app sent none.
    Native(Option<&'a str>),
}

/// Who may appear in `aud` and `azp`.
#[derive(Debug, Clone, Copy)]
pub struct Audiences<'a> {
    /// Accepted `aud` values (our client id; for native tokens also the
    /// app clients').
    pub accepted: &'a [String],
}

/// The checks of one provider's id_tokens.
#[derive(Debug, Clone)]
pub struct IdTokenVerifier {
    jwks: RemoteJwks,
    /// The issuer identities are keyed by.
    issuer: String,
    /// Every spelling accepted in `iss` (Google's two; one elsewhere).
    issuer_spellings: Vec<String>,
    /// The algorithms the provider advertises (without `none`/HMAC).
    algorithms: Vec<Algorithm>,
}

impl IdTokenVerifier {
    /// A verifier over `jwks` (already limited to `algorithms`).
    pub fn new(
        jwks: RemoteJwks,
        issuer: String,
        issuer_spellings: Vec<String>,
        algorithms: Vec<Algorithm>,
    ) -> Self {
        IdTokenVerifier {
            jwks,
            issuer,
            issuer_spellings,
            algorithms,
        }
    }

    /// Verifies `token`; the identity it proves.
    pub async fn verify(
        &self,
        token: &str,
        audiences: Audiences<'_>,
        nonce: NonceRule<'_>,
    ) -> Result<VerifiedIdentity, ProviderError> {
        let unverified = |why: String| ProviderError::Unverified(why);
        let (header, claims) = peek(token).ok_or_else(|| unverified("not a JWS".to_owned()))?;
        // The algorithm is checked before any key is looked for: a token
        // naming `none` or HMAC never reaches the codec.
        let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
        let allowed = alg_name
            .parse::<Algorithm>()
            .is_ok_and(|alg| self.algorithms.contains(&alg));
        if !allowed {
            return Err(unverified(format!(
                "alg {alg_name:?} is not one the provider advertises"
            )));
        }
        // Which of the accepted spellings the token uses; the signature and
        // every other check follow with exactly that one required.
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        let Some(iss) = self.issuer_spellings.iter().find(|known| *known == iss) else {
            return Err(unverified(format!("iss {iss:?} is not the provider's")));
        };
        let codec = self.jwks.codec_for_token(token).await.map_err(remote)?;
        let validation = Validation {
            leeway: LEEWAY_SECONDS,
            issuer: Some(iss.clone()),
            audience: audiences.accepted.to_vec(),
            require_jti: false,
            require_type: false,
            ..Validation::default()
        };
        let verified = codec
            .with_validation(validation)
            .decode_with::<IdTokenClaims>(token, DecodeOptions::default())
            .map_err(|err| unverified(err.to_string()))?;
        let extra = verified.claims.extra;
        if let Some(azp) = &extra.azp
            && !audiences.accepted.contains(azp)
        {
            return Err(unverified(format!("azp {azp:?} is not our client")));
        }
        // The nonce the token must carry: this flow's, or for a native app
        // whatever it sent (and then none when it sent none).
        let expected = match nonce {
            NonceRule::Exactly(sent) => Some(sent),
            NonceRule::Native(sent) => sent,
        };
        let nonce_ok = match (expected, extra.nonce.as_deref()) {
            (Some(sent), Some(found)) => constant_time_eq(sent, found),
            (None, None) => matches!(nonce, NonceRule::Native(_)),
            _ => false,
        };
        if !nonce_ok {
            return Err(unverified("the nonce does not match".to_owned()));
        }
        Ok(VerifiedIdentity {
            issuer: self.issuer.clone(),
            subject: verified.claims.sub,
            email: extra.email,
            email_verified: matches!(extra.email_verified, Some(Value::Bool(true)))
                || matches!(extra.email_verified, Some(Value::String(ref s)) if s == "true"),
            name: extra.name,
            preferred_username: extra.preferred_username,
        })
    }
}

/// The header and claims of a compact JWS, unverified: only to choose the
/// algorithm check and the issuer spelling before real verification.
fn peek(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let (header, claims) = (parts.next()?, parts.next()?);
    parts.next()?;
    let read = |part: &str| -> Option<Value> {
        let value: Value = serde_json::from_slice(&tessera::b64::decode(part)?).ok()?;
        value.is_object().then_some(value)
    };
    Some((read(header)?, read(claims)?))
}

fn remote(err: RemoteError) -> ProviderError {
    match err {
        RemoteError::Token(err) => ProviderError::Unverified(err.to_string()),
        other => ProviderError::Unavailable(other.to_string()),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}
