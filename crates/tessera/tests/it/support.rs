//! The small harness every test module shares: fixed keys and time, a codec
//! on a manual clock, and helpers that hand-craft tokens so a test can make
//! exactly one thing wrong and sign everything else correctly.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tessera::{
    Algorithm, Claims, ExtraClaims, GeneratedKeyPair, Key, KeySet, ManualClock, Token, TokenCodec,
    TokenError, TokenType, Validation,
};

/// The fixed "now" of every time-dependent test (2023-11-14T22:13:20Z).
pub(crate) const NOW: i64 = 1_700_000_000;

/// A strong HS256 secret (43 random base64url characters, like `tessera init`
/// writes, only shorter). Test-only.
pub(crate) const SECRET: &str = "q8Vx2R_nP4mK7wZb1T9yLc3HfJ6sA0dE5gUoXiNrQvM";

/// Another strong secret, for "wrong key" cases. Test-only.
pub(crate) const OTHER_SECRET: &str = "Zt4Wc9Lq1Xm7Bv3Nk8Rf2Hs6Jd0Pg5Ya-eUiOoTrEwQ";

/// Unpadded base64url, as a compact JWS uses.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    tessera::b64::encode(bytes)
}

/// The HS256 key for [`SECRET`].
pub(crate) fn hs256() -> Key {
    Key::hmac(Algorithm::HS256, SECRET.as_bytes()).unwrap()
}

/// A fresh signing key for any algorithm: a strong random secret for HMAC,
/// a generated key pair (loaded from its private PEM) otherwise.
pub(crate) fn signing_key(alg: Algorithm) -> Key {
    match alg.min_secret_len() {
        Some(len) => {
            let secret = tessera::keys::generate_secret(len).unwrap();
            Key::hmac(alg, secret.as_bytes()).unwrap()
        }
        None => {
            let pair = GeneratedKeyPair::generate(alg).unwrap();
            Key::from_pem(alg, &pair.private_pem).unwrap()
        }
    }
}

/// A clock stopped at [`NOW`].
pub(crate) fn clock() -> ManualClock {
    ManualClock::new(NOW)
}

/// A codec with default validation on a clock stopped at [`NOW`].
pub(crate) fn codec(keys: KeySet) -> TokenCodec {
    codec_with(keys, Validation::default(), &clock())
}

/// A codec with the given validation, on `clock`.
pub(crate) fn codec_with(keys: KeySet, validation: Validation, clock: &ManualClock) -> TokenCodec {
    TokenCodec::builder(keys)
        .validation(validation)
        .clock(Arc::new(clock.clone()))
        .build()
}

/// A codec whose only key is [`hs256`].
pub(crate) fn hs256_codec() -> TokenCodec {
    codec(KeySet::new(hs256()))
}

/// A valid Flask-JWT-Extended-style access payload issued at [`NOW`],
/// expiring 15 minutes later.
pub(crate) fn valid_claims() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "fresh": false,
        "iat": NOW,
        "jti": "0b6f6f0e-8c1a-4b8e-9a57-0d7c3b1f2a10",
        "type": "access",
        "sub": "42",
        "nbf": NOW,
        "exp": NOW + 900,
    }) else {
        unreachable!()
    };
    map
}

/// [`valid_claims`] after `edit`, as JSON text.
pub(crate) fn claims_with(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut map = valid_claims();
    edit(&mut map);
    Value::Object(map).to_string()
}

/// The header Tessera itself writes for `key`, as JSON text.
pub(crate) fn header_for(key: &Key) -> String {
    let mut map = Map::new();
    map.insert("alg".into(), key.algorithm().as_str().into());
    if let Some(kid) = key.kid() {
        map.insert("kid".into(), kid.into());
    }
    map.insert("typ".into(), "JWT".into());
    Value::Object(map).to_string()
}

/// `header_for(key)` with `edit` applied, as JSON text.
pub(crate) fn header_with(key: &Key, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(&header_for(key)) else {
        unreachable!()
    };
    edit(&mut map);
    Value::Object(map).to_string()
}

/// A compact JWS of the given header and payload JSON text (taken byte for
/// byte), correctly signed by `key`.
pub(crate) fn sign_raw(key: &Key, header_json: &str, payload_json: &str) -> String {
    sign_bytes(key, header_json.as_bytes(), payload_json.as_bytes())
}

/// Like [`sign_raw`], for payloads that are not valid UTF-8.
pub(crate) fn sign_bytes(key: &Key, header: &[u8], payload: &[u8]) -> String {
    sign_segments(key, &b64(header), &b64(payload))
}

/// A token whose first two segments are exactly `header` and `payload` (no
/// encoding applied), with `key`'s signature over `header.payload`. For
/// tokens whose only defect is the spelling of a segment.
pub(crate) fn sign_segments(key: &Key, header: &str, payload: &str) -> String {
    let signing_input = format!("{header}.{payload}");
    let signature = key.sign(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", b64(signature))
}

/// A correctly signed token of `key` carrying [`valid_claims`].
pub(crate) fn valid_token(key: &Key) -> String {
    sign_raw(key, &header_for(key), &claims_with(|_| {}))
}

/// Verifies `token` as an access token.
pub(crate) fn decode(codec: &TokenCodec, token: &str) -> Result<Token<ExtraClaims>, TokenError> {
    codec.decode::<ExtraClaims>(token, TokenType::Access)
}

/// The error `codec` refuses `token` with, as an access token.
pub(crate) fn refusal(codec: &TokenCodec, token: &str) -> TokenError {
    match decode(codec, token) {
        Ok(verified) => panic!("token was accepted: {verified:?}"),
        Err(err) => err,
    }
}

/// Replaces the segment at `index` (0 header, 1 payload, 2 signature).
pub(crate) fn replace_segment(token: &str, index: usize, segment: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = segment;
    parts.join(".")
}

/// The segment at `index`.
pub(crate) fn segment(token: &str, index: usize) -> &str {
    token.split('.').nth(index).unwrap()
}

/// The base64url alphabet, in value order.
pub(crate) const ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The same bytes as `segment` decodes to, spelled non-canonically: the
/// unused low bits of the last character are set. Panics if the segment's
/// length leaves no unused bits.
pub(crate) fn with_trailing_bits(segment: &str) -> String {
    let unused_bits = match segment.len() % 4 {
        2 => 4,
        3 => 2,
        _ => panic!("segment length {} leaves no unused bits", segment.len()),
    };
    let last = *segment.as_bytes().last().unwrap();
    let value = ALPHABET.iter().position(|&c| c == last).unwrap();
    assert_eq!(value & ((1 << unused_bits) - 1), 0, "already non-canonical");
    let mut out = segment[..segment.len() - 1].to_owned();
    out.push(char::from(ALPHABET[value | 1]));
    out
}

/// A correctly signed HS256 token carrying the valid claims after `edit`.
pub(crate) fn hs256_token(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let key = hs256();
    sign_raw(&key, &header_for(&key), &claims_with(edit))
}

/// A correctly signed HS256 token whose claim `name` is `value`.
pub(crate) fn hs256_token_with(name: &str, value: Value) -> String {
    hs256_token(|claims| {
        claims.insert(name.to_owned(), value);
    })
}

/// The HS256 codec on the test clock with `validation`.
pub(crate) fn hs256_codec_validating(validation: Validation) -> TokenCodec {
    codec_with(KeySet::new(hs256()), validation, &clock())
}

/// Access-token claims for `42`, issued at `NOW`, valid for 900 s.
pub(crate) fn access_claims() -> Claims {
    Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new())
}
