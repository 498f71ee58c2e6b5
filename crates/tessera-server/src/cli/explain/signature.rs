//! Step 5 of `explain`: the signature, recomputed (HMAC) or checked with the
//! public key (everything else). The key itself is never written out.

use std::env;
use std::io::Write;

use serde_json::Value;
use tessera::{Algorithm, Key, KeyFamily, Unverified, b64};

use super::{FAIL, PASS, Setup};
use crate::cli::CliError;

/// Where the key comes from, looked at before `.env` is loaded: a variable
/// already in the environment wins over `.env`.
pub(super) fn key_origin() -> &'static str {
    let set = |name: &str| env::var_os(name).is_some_and(|value| !value.is_empty());
    if ["JWT_SECRET_KEY", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"]
        .into_iter()
        .any(set)
    {
        "set in the environment"
    } else {
        "read from .env"
    }
}

/// What an algorithm computes, in words.
fn algorithm_words(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HMAC-SHA256",
        Algorithm::HS384 => "HMAC-SHA384",
        Algorithm::HS512 => "HMAC-SHA512",
        Algorithm::RS256 => "RSASSA-PKCS1-v1_5 with SHA-256 (an RSA signature)",
        Algorithm::RS384 => "RSASSA-PKCS1-v1_5 with SHA-384 (an RSA signature)",
        Algorithm::RS512 => "RSASSA-PKCS1-v1_5 with SHA-512 (an RSA signature)",
        Algorithm::PS256 => "RSASSA-PSS with SHA-256 (an RSA signature with randomized padding)",
        Algorithm::PS384 => "RSASSA-PSS with SHA-384 (an RSA signature with randomized padding)",
        Algorithm::PS512 => "RSASSA-PSS with SHA-512 (an RSA signature with randomized padding)",
        Algorithm::ES256 => "ECDSA on the P-256 curve with SHA-256",
        Algorithm::ES384 => "ECDSA on the P-384 curve with SHA-384",
        Algorithm::EdDSA => "Ed25519 (EdDSA on Curve25519)",
    }
}

/// Explains the signature check; returns whether the signature verified.
pub(super) fn explain(
    out: &mut dyn Write,
    parts: &Unverified,
    setup: Result<&Setup, &CliError>,
) -> Result<bool, CliError> {
    writeln!(out, "5. The signature, checked with your key")?;
    writeln!(out)?;
    let setup = match setup {
        Ok(setup) => setup,
        Err(err) => {
            writeln!(
                out,
                "   {FAIL} The signature cannot be checked without your key, and the settings"
            )?;
            writeln!(out, "     could not be loaded: {err}")?;
            writeln!(out)?;
            return Ok(false);
        }
    };
    if let Some(name) = ["jwk", "jku", "x5u", "x5c"]
        .into_iter()
        .find(|name| parts.header.contains_key(*name))
    {
        writeln!(
            out,
            "   {FAIL} The header carries {name:?}: a key, or a link to one. If a token could bring its own\n     \
             key, anyone could sign anything, so Tessera refuses such tokens before looking further.\n"
        )?;
        return Ok(false);
    }
    if parts.header.contains_key("crit") || parts.header.get("b64") == Some(&Value::Bool(false)) {
        writeln!(
            out,
            "   {FAIL} The header demands extensions (\"crit\" or \"b64\") that Tessera does not implement;\n     \
             a verifier that does not understand them must refuse the token (RFC 7515 §4.1.11).\n"
        )?;
        return Ok(false);
    }
    let named = parts.header.get("alg");
    let Some(alg) = named
        .and_then(Value::as_str)
        .and_then(|name| name.parse::<Algorithm>().ok())
    else {
        let shown = named.map_or_else(|| "nothing".to_owned(), Value::to_string);
        writeln!(
            out,
            "   {FAIL} The header names {shown} as its algorithm, which Tessera never accepts. There is no\n     \
             \"none\": a token without a real signature proves nothing, so it is refused before any check.\n"
        )?;
        return Ok(false);
    };
    let kid = match parts.header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(_) => {
            writeln!(
                out,
                "   {FAIL} The header's \"kid\" is not a string, so it names no key.\n"
            )?;
            return Ok(false);
        }
    };
    let keys = setup.codec.keys();
    let Ok(key) = keys.find(kid) else {
        writeln!(
            out,
            "   {FAIL} The header asks for key id {:?}, but none of your keys has that id. Key ids are\n     \
             only looked up among the configured keys, never fetched or used as a path, so it is refused.\n",
            kid.unwrap_or_default()
        )?;
        return Ok(false);
    };
    if key.algorithm() != alg {
        writeln!(
            out,
            "   {FAIL} The token says {alg}, but your key is pinned to {}. Tessera never lets a token pick\n     \
             its algorithm: that is how the \"alg: none\" and RS256-as-HS256 forgeries work. Refused.\n",
            key.algorithm()
        )?;
        return Ok(false);
    }
    let input = parts.signing_input();
    let verified = if alg.family() == KeyFamily::Hmac {
        hmac(out, parts, key, setup.key_origin, input.as_bytes())?
    } else {
        public_key(out, parts, key, setup.key_origin, input.as_bytes())?
    };
    writeln!(out)?;
    Ok(verified)
}

fn hmac(
    out: &mut dyn Write,
    parts: &Unverified,
    key: &Key,
    origin: &str,
    input: &[u8],
) -> Result<bool, CliError> {
    let alg = key.algorithm();
    writeln!(
        out,
        "   {alg} = {} keyed with JWT_SECRET_KEY ({origin}; the key itself is never shown).",
        algorithm_words(alg)
    )?;
    writeln!(
        out,
        "   HMAC hashes the signing input together with the secret key. Anyone holding the same key\n   \
         gets the same bytes; without it nobody can produce them. So the check is simple: compute\n   \
         it again with your key and compare. Recomputed just now:"
    )?;
    writeln!(out)?;
    let recomputed = key.sign(input)?;
    writeln!(out, "   recomputed  {}", b64::encode(&recomputed))?;
    writeln!(out, "   in token    {}", parts.signature_segment)?;
    writeln!(out)?;
    // For display only: the verdict comes from the codec's constant-time check.
    let matches = recomputed == parts.signature;
    if matches {
        writeln!(
            out,
            "   {PASS} They match: this token was signed with your secret, and not one byte of its header\n     \
             or payload has changed since."
        )?;
    } else if parts.signature.is_empty() {
        writeln!(
            out,
            "   {FAIL} The token has no signature at all, so it proves nothing. Refused."
        )?;
    } else {
        writeln!(
            out,
            "   {FAIL} They differ (signature mismatch): either the token was signed with another secret,\n     \
             or its header or payload was changed after signing. Either way it must not be trusted."
        )?;
    }
    Ok(matches)
}

fn public_key(
    out: &mut dyn Write,
    parts: &Unverified,
    key: &Key,
    origin: &str,
    input: &[u8],
) -> Result<bool, CliError> {
    let alg = key.algorithm();
    writeln!(
        out,
        "   {alg} = {},\n   signed and checked with a key pair ({origin}; keys are never shown).",
        algorithm_words(alg)
    )?;
    writeln!(
        out,
        "   The private key (JWT_PRIVATE_KEY) signs; the public key (JWT_PUBLIC_KEY, or the public half\n   \
         of the private key) verifies. A verifier does not recompute the signature: that would take\n   \
         the private key, and some of these signatures include fresh randomness anyway. Instead it asks\n   \
         the public key whether this signature fits this signing input. That is why other services can\n   \
         check these tokens with only the public key (from the JWKS) yet can never make one."
    )?;
    writeln!(out)?;
    writeln!(out, "   signature   {}", parts.signature_segment)?;
    if let Some(kid) = key.kid() {
        writeln!(out, "   key id      {kid}")?;
    }
    writeln!(out)?;
    let verified = !parts.signature.is_empty() && key.verify(input, &parts.signature);
    if verified {
        writeln!(
            out,
            "   {PASS} The public key accepts it: the holder of the private key signed this exact header\n     \
             and payload, and nothing has changed since."
        )?;
    } else {
        writeln!(
            out,
            "   {FAIL} The public key rejects it (signature mismatch): the token was signed with another key,\n     \
             or its header or payload was changed after signing. It must not be trusted."
        )?;
    }
    Ok(verified)
}
