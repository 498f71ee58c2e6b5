//! A deliberately broken JWT verifier, built from the mistakes behind the
//! JWT CVEs, so that every attack in `security_tokens` is shown to fool
//! *something*: an attack case that the weak verifier refuses proves
//! nothing about Tessera refusing it.
//!
//! Its flaws, one per attack class (each modelled on a real bug):
//! - trusts the header's `alg`: `none` in any casing skips the signature
//!   check, and `HS*` on an asymmetric server is an HMAC keyed with the
//!   public key's PEM text (algorithm confusion, CVE-2015-9235);
//! - compares only as many signature bytes as were sent (an empty or cut
//!   signature passes, CVE-2020-28042);
//! - skips the `0 < r, s < n` range check of ECDSA, which made Java accept
//!   `r = s = 0` for any message (CVE-2022-21449);
//! - verifies with a key embedded in the header (`jwk`, CVE-2018-0114) or
//!   fetched from a header URL (`jku`/`x5u`);
//! - treats `kid` as a file path, or pastes it into SQL;
//! - decodes base64 leniently (padding, stray trailing bits);
//! - reads the claims last-wins, without a depth or size cap, and checks no
//!   claim but `sub`: not `exp`/`nbf`/`iat`, `iss`, `type`, `crit`, nor any
//!   revocation.
//!
//! It lives in the tests only: the product has no switch that weakens it.

use std::fmt;

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use sqlx::{Connection, Row, SqliteConnection};
use tessera::Key;
use tessera::keys::Jwk;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the weak verifier knows of the server it stands in for.
pub enum WeakKeys {
    /// An HMAC server: the shared secret.
    Hmac(Vec<u8>),
    /// An asymmetric server: its public key and that key's PEM text.
    Public { key: Box<Key>, pem: String },
}

/// The broken verifier.
pub struct WeakVerifier {
    pub keys: WeakKeys,
}

/// Why the weak verifier refused a token (it seldom does).
#[derive(Debug)]
pub struct WeakRefusal(pub String);

impl fmt::Display for WeakRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(why: impl Into<String>) -> Result<T, WeakRefusal> {
    Err(WeakRefusal(why.into()))
}

/// Base64url that takes padding and non-canonical trailing bits in its stride.
fn lenient_b64(text: &str) -> Result<Vec<u8>, WeakRefusal> {
    let engine = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine
        .decode(text.trim())
        .or_else(|_| refuse(format!("not base64: {text:.20}")))
}

/// An HMAC over `message`, keyed with whatever bytes the flaw picked.
pub fn hmac_sha(alg: &str, key: &[u8], message: &[u8]) -> Vec<u8> {
    let algorithm = match alg {
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    hmac::sign(&hmac::Key::new(algorithm, key), message)
        .as_ref()
        .to_vec()
}

impl WeakVerifier {
    /// The `sub` the token claims, if the weak verifier is fooled into
    /// believing it.
    pub async fn verify(&self, token: &str) -> Result<String, WeakRefusal> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return refuse("not three segments");
        };
        let header: Map<String, Value> = serde_json::from_slice(&lenient_b64(header)?)
            .or_else(|err| refuse(format!("header: {err}")))?;
        let signature = lenient_b64(signature)?;
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if !alg.eq_ignore_ascii_case("none") {
            self.check_signature(&header, alg, signing_input.as_bytes(), &signature)
                .await?;
        }
        subject(&lenient_b64(payload)?)
    }

    async fn check_signature(
        &self,
        header: &Map<String, Value>,
        alg: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), WeakRefusal> {
        if let Some(jwk) = header.get("jwk") {
            return verify_with_jwk(jwk, message, signature);
        }
        if let Some(url) = header
            .get("jku")
            .or_else(|| header.get("x5u"))
            .and_then(Value::as_str)
        {
            let jwks: Value = serde_json::from_slice(&http_get(url).await?)
                .or_else(|err| refuse(format!("fetched keys: {err}")))?;
            return verify_with_jwk(&jwks["keys"][0], message, signature);
        }
        if alg.starts_with("HS") {
            let secret = match (header.get("kid").and_then(Value::as_str), &self.keys) {
                (Some(kid), _) => secret_for_kid(kid).await?,
                (None, WeakKeys::Hmac(secret)) => secret.clone(),
                // The public key is public: anyone can MAC with it.
                (None, WeakKeys::Public { pem, .. }) => pem.as_bytes().to_vec(),
            };
            let expected = hmac_sha(alg, &secret, message);
            // The truncation bug: only the bytes sent are compared.
            return if expected.starts_with(signature) {
                Ok(())
            } else {
                refuse("bad HMAC")
            };
        }
        let WeakKeys::Public { key, .. } = &self.keys else {
            return refuse("no public key");
        };
        if alg.starts_with("ES") && signature.iter().all(|&byte| byte == 0) {
            // No range check on r and s: with both zero the verification
            // equation compares 0 with 0, as in Java 15–18.
            return Ok(());
        }
        if key.verify(message, signature) {
            Ok(())
        } else {
            refuse("bad signature")
        }
    }
}

fn verify_with_jwk(jwk: &Value, message: &[u8], signature: &[u8]) -> Result<(), WeakRefusal> {
    let jwk: Jwk =
        serde_json::from_value(jwk.clone()).or_else(|err| refuse(format!("jwk: {err}")))?;
    let key = Key::from_jwk(&jwk, None).or_else(|err| refuse(format!("jwk: {err}")))?;
    if key.verify(message, signature) {
        Ok(())
    } else {
        refuse("bad signature for the embedded key")
    }
}

/// The key store of a careless server: a `kid` that looks like a path is
/// read from disk, any other is looked up in SQL built by pasting it in.
async fn secret_for_kid(kid: &str) -> Result<Vec<u8>, WeakRefusal> {
    if kid.contains('/') {
        return std::fs::read(kid).or_else(|err| refuse(format!("kid file: {err}")));
    }
    let mut db = SqliteConnection::connect("sqlite::memory:")
        .await
        .or_else(|err| refuse(err.to_string()))?;
    sqlx::query("CREATE TABLE keys (kid TEXT, secret TEXT)")
        .execute(&mut db)
        .await
        .or_else(|err| refuse(err.to_string()))?;
    let sql = format!("SELECT secret FROM keys WHERE kid = '{kid}'");
    let row = sqlx::query(&sql)
        .fetch_optional(&mut db)
        .await
        .or_else(|err| refuse(err.to_string()))?;
    match row {
        Some(row) => Ok(row.get::<String, _>(0).into_bytes()),
        None => refuse("unknown kid"),
    }
}

/// A plain-HTTP GET, as a careless server would do for a header URL.
async fn http_get(url: &str) -> Result<Vec<u8>, WeakRefusal> {
    let rest = url.strip_prefix("http://").ok_or(WeakRefusal(url.into()))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .or_else(|err| refuse(err.to_string()))?;
    let request = format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .or_else(|err| refuse(err.to_string()))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .or_else(|err| refuse(err.to_string()))?;
    let body_at = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or(WeakRefusal("no body".into()))?;
    Ok(response[body_at + 4..].to_vec())
}

/// The last `sub` in the payload; every other member skipped unread (no
/// depth limit: serde's skipping is iterative), duplicates last-wins.
fn subject(payload: &[u8]) -> Result<String, WeakRefusal> {
    struct LastSub;
    impl<'de> Visitor<'de> for LastSub {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
            let mut sub = None;
            while let Some(name) = map.next_key::<String>()? {
                if name == "sub" {
                    sub = Some(map.next_value::<String>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(sub)
        }
    }
    let mut json = serde_json::Deserializer::from_slice(payload);
    match json.deserialize_map(LastSub) {
        Ok(Some(sub)) => Ok(sub),
        Ok(None) => refuse("no sub"),
        Err(err) => refuse(format!("payload: {err}")),
    }
}
