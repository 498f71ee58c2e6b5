//! `tessera token explain`: what a signature is, shown on the user's own token.
//!
//! The walk-through follows the order the codec checks things in: the three
//! parts, the decoded header and payload, the signing input, the signature
//! (recomputed with the configured HMAC key, or checked with the public key),
//! every claim check, and finally the codec's own verdict. The explanations
//! are for reading; the verdict always comes from [`tessera::TokenCodec`]
//! itself, built from the server's settings, and from the store's
//! revocations, so `explain` can never accept what `verify` refuses.

mod claims;
mod signature;

use std::io::Write;

use clap::Args;
use serde_json::Value;
use tessera::codec::DEFAULT_MAX_TOKEN_BYTES;
use tessera::{
    Clock as _, DecodeOptions, ExtraClaims, SESSION_ID_CLAIM, SystemClock, TokenCodec, TokenConfig,
    TokenError, TokenType, Unverified, Validation, inspect,
};

use super::revocation::{self, Revocation};
use super::token::{TokenTypeArg, server_codec, write_json};
use super::{CliError, Settings, load_config, read_token, time_text};
use crate::server_config::ServerConfig;

/// Arguments of `tessera token explain`.
#[derive(Debug, Args)]
#[command(
    long_about = "Take a token apart and check it step by step, explaining each step: the three \
base64url parts, the decoded header and payload, the signing input, the signature computed \
again with your configured key (the key is never shown) and compared with the token's, every \
claim check (exp, nbf, iat, iss, aud, type) with readable times, revocation (asked of the \
store, DATABASE_URL or tessera.db here, when there is one), and the verdict.\n\n\
Exits 0 when the token is valid, 1 otherwise."
)]
pub struct ExplainArgs {
    /// The token, or - to read it from standard input.
    #[arg(value_name = "TOKEN")]
    pub token: String,
    /// Require this token type, as a route would.
    #[arg(long = "type", value_enum)]
    pub token_type: Option<TokenTypeArg>,
}

/// ✔, ✘ and · mark passed, failed and skipped checks.
pub(super) const PASS: &str = "✔";
pub(super) const FAIL: &str = "✘";
pub(super) const SKIP: &str = "·";

/// The settings and codec, loaded once; an error is explained, not fatal.
pub(super) struct Setup {
    config: TokenConfig,
    codec: TokenCodec,
    /// The service settings: which store holds the revocations.
    server: ServerConfig,
    /// `JWT_ROLES_CLAIM`: where the server writes the roles.
    roles_claim: String,
    /// Where the key came from, for the explanation ("from .env", …).
    key_origin: &'static str,
}

pub(super) fn run(args: &ExplainArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let token = read_token(&args.token)?;
    // Look before `.env` is loaded into the environment by the settings.
    let key_origin = signature::key_origin();
    let setup = load_config().and_then(|Settings { jwt, server }| {
        let config = jwt.token.clone();
        let roles_claim = jwt.roles_claim.clone();
        let codec = server_codec(jwt)?;
        Ok(Setup {
            config,
            codec,
            server,
            roles_claim,
            key_origin,
        })
    });
    let max_bytes = setup.as_ref().map_or(DEFAULT_MAX_TOKEN_BYTES, |setup| {
        setup.config.max_token_bytes
    });

    writeln!(out, "How Tessera checks this token, step by step")?;
    writeln!(out, "===========================================")?;
    writeln!(out)?;
    let parts = match inspect(&token, max_bytes) {
        Ok(parts) => parts,
        Err(err) => {
            unreadable(out, &token, &err)?;
            return Err(CliError::Rejected(err));
        }
    };
    show_parts(out, &parts)?;
    show_header(out, &parts, setup.as_ref().ok())?;
    show_payload(out, &parts, setup.as_ref().ok())?;
    show_signing_input(out, &parts)?;
    let signature_ok = signature::explain(out, &parts, setup.as_ref())?;
    let expected = args.token_type.map(TokenType::from);
    let now = setup
        .as_ref()
        .map_or_else(|_| SystemClock.now(), |setup| setup.codec.now());
    claims::explain(
        out,
        &parts.payload,
        setup.as_ref().ok(),
        now,
        expected,
        signature_ok,
    )?;
    verdict(out, &token, setup, expected)
}

/// Step 7: the codec's own decision, and what `verify` would print.
fn verdict(
    out: &mut dyn Write,
    token: &str,
    setup: Result<Setup, CliError>,
    expected: Option<TokenType>,
) -> Result<(), CliError> {
    writeln!(out, "7. Verdict")?;
    writeln!(out)?;
    let setup = match setup {
        Ok(setup) => setup,
        Err(err) => {
            writeln!(
                out,
                "   {FAIL} NOT VERIFIED: without the key nothing about this token can be trusted."
            )?;
            return Err(err);
        }
    };
    let options = DecodeOptions {
        token_type: expected,
        allow_expired: false,
    };
    match setup.codec.decode_with::<ExtraClaims>(token, options) {
        Ok(verified) => {
            revoked(out, &setup, &verified)?;
            writeln!(
                out,
                "   {PASS} VALID: Tessera accepts this token. `tessera token verify` prints:"
            )?;
            writeln!(out)?;
            let parts = inspect(token, setup.config.max_token_bytes)?;
            let mut json = Vec::new();
            write_json(&mut json, &parts)?;
            write_indented(out, &String::from_utf8_lossy(&json))?;
            Ok(())
        }
        Err(err) => {
            writeln!(out, "   {FAIL} REJECTED: {err} ({}).", err.code())?;
            writeln!(
                out,
                "   A server using Tessera refuses such a token (401) and uses nothing in it."
            )?;
            Err(CliError::Rejected(err))
        }
    }
}

/// Step 7's revocation check: the server refuses a token whose session or
/// `jti` its store lists as revoked. Fails with [`CliError::Revoked`] then.
fn revoked(out: &mut dyn Write, setup: &Setup, verified: &tessera::Token) -> Result<(), CliError> {
    match revocation::check(&setup.server, verified, setup.codec.now()) {
        Ok(Revocation::NotRevoked { store }) => {
            writeln!(
                out,
                "   {PASS} Not revoked: the store ({store}) lists neither its session nor its id."
            )?;
            Ok(())
        }
        Ok(Revocation::NotChecked(why)) => {
            writeln!(out, "   {SKIP} revocation not checked: {why}.")?;
            writeln!(
                out,
                "     A server refuses the token of a session that was logged out; that cannot be known here."
            )?;
            Ok(())
        }
        Ok(Revocation::Revoked) => {
            writeln!(
                out,
                "   {FAIL} REVOKED: signature and claims are fine, but the store lists this token's session\n     \
                 or id as revoked (token_revoked): it was logged out, or its session was ended."
            )?;
            writeln!(
                out,
                "   A server using Tessera refuses such a token (401) and uses nothing in it."
            )?;
            Err(CliError::Revoked)
        }
        Err(err) => {
            writeln!(out, "   {FAIL} NOT VERIFIED: {err}.")?;
            Err(err)
        }
    }
}

/// Step 1 for a token that cannot even be taken apart.
fn unreadable(out: &mut dyn Write, token: &str, err: &TokenError) -> Result<(), CliError> {
    writeln!(
        out,
        "1. A JWT is three base64url parts joined by dots: header.payload.signature"
    )?;
    writeln!(out)?;
    if let TokenError::TooLarge { len, max } = err {
        writeln!(
            out,
            "   {FAIL} This input is {len} bytes, over the {max}-byte limit, so it is refused before any decoding."
        )?;
    } else {
        let count = token.split('.').count();
        writeln!(
            out,
            "   This input has {count} dot-separated part{}.",
            if count == 1 { "" } else { "s" }
        )?;
        writeln!(out, "   {FAIL} It cannot be read as a JWT: {err}.")?;
    }
    writeln!(
        out,
        "   Nothing else can be checked; the verdict is REJECTED ({}).",
        err.code()
    )?;
    Ok(())
}

fn show_parts(out: &mut dyn Write, parts: &Unverified) -> Result<(), CliError> {
    writeln!(
        out,
        "1. A JWT is three base64url parts joined by dots: header.payload.signature"
    )?;
    writeln!(out)?;
    for (name, part) in [
        ("header   ", &parts.header_segment),
        ("payload  ", &parts.payload_segment),
        ("signature", &parts.signature_segment),
    ] {
        writeln!(out, "   {name}  {part}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "   base64url is base64 with '-' and '_' instead of '+' and '/', and no '=' padding.\n   \
         It is an encoding, not encryption: anyone holding the token can read the header and\n   \
         the payload. What nobody can do without the key is make a signature that matches them."
    )?;
    writeln!(out)?;
    Ok(())
}

fn show_header(
    out: &mut dyn Write,
    parts: &Unverified,
    setup: Option<&Setup>,
) -> Result<(), CliError> {
    writeln!(
        out,
        "2. The header, decoded, says how the token was signed:"
    )?;
    writeln!(out)?;
    writeln!(out, "   {}", decoded_text(&parts.header_segment))?;
    writeln!(out)?;
    for (name, value) in &parts.header {
        let meaning = match name.as_str() {
            "alg" => match setup {
                Some(setup) => format!(
                    "the algorithm the signer claims. Tessera does not take the token's word\n{:10}\
                     for it: your key is pinned to {} (JWT_ALGORITHM), and any other is refused",
                    "", setup.config.algorithm
                ),
                None => "the algorithm the signer claims; only the one your key is pinned to is accepted".to_owned(),
            },
            "typ" => "the media type: this is a JWT".to_owned(),
            "kid" => "the id of the key that signed it, looked up among your configured keys (never fetched)".to_owned(),
            _ => "an extra header parameter; it plays no part in verification".to_owned(),
        };
        writeln!(out, "   {name:<6} {} — {meaning}", short(value))?;
    }
    writeln!(out)?;
    Ok(())
}

fn show_payload(
    out: &mut dyn Write,
    parts: &Unverified,
    setup: Option<&Setup>,
) -> Result<(), CliError> {
    // The configured names (JWT_IDENTITY_CLAIM, JWT_ROLES_CLAIM), not the defaults.
    let identity_claim = setup.map_or_else(
        || Validation::default().identity_claim,
        |setup| setup.config.identity_claim.clone(),
    );
    let roles_claim = setup.map(|setup| setup.roles_claim.as_str());
    writeln!(
        out,
        "3. The payload, decoded, holds the claims: statements the signature vouches for."
    )?;
    writeln!(out)?;
    writeln!(out, "   {}", decoded_text(&parts.payload_segment))?;
    writeln!(out)?;
    for (name, value) in &parts.payload {
        let meaning = match name.as_str() {
            name if name == identity_claim => "who the token is about (the user's identity)",
            name if Some(name) == roles_claim => "what the user may do",
            SESSION_ID_CLAIM => "the login session it belongs to",
            "type" => {
                "what it is for: \"access\" goes with each request, \"refresh\" only gets new tokens"
            }
            "fresh" => {
                "whether it comes straight from a password login (sensitive actions can demand that)"
            }
            "jti" => "this token's unique id, so it can be revoked on its own",
            "iat" => "issued at",
            "nbf" => "not valid before",
            "exp" => "expires at",
            "iss" => "issuer: who made the token",
            "aud" => "audience: who the token is meant for",
            "csrf" => {
                "the value a browser must echo in a header when the token travels in a cookie"
            }
            _ => "a claim of your own",
        };
        let time = match (name.as_str(), value.as_i64()) {
            ("iat" | "nbf" | "exp", Some(at)) => format!(" {}", time_text::utc(at)),
            _ => String::new(),
        };
        writeln!(out, "   {name:<6} {} — {meaning}{time}", short(value))?;
    }
    if ["iat", "nbf", "exp"]
        .iter()
        .any(|name| parts.payload.contains_key(*name))
    {
        writeln!(
            out,
            "   (iat, nbf and exp count seconds since 1970-01-01 00:00 UTC.)"
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// A base64url segment decoded to the exact text it carries.
fn decoded_text(segment: &str) -> String {
    tessera::b64::decode(segment)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// A claim value as compact JSON, shortened when long.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn show_signing_input(out: &mut dyn Write, parts: &Unverified) -> Result<(), CliError> {
    let input = parts.signing_input();
    writeln!(
        out,
        "4. What the signature covers: the \"signing input\", the first two parts exactly as sent,\n   \
         joined by a dot ({} bytes):",
        input.len()
    )?;
    writeln!(out)?;
    writeln!(out, "   {input}")?;
    writeln!(out)?;
    writeln!(
        out,
        "   Change one character of it (say, \"sub\" or \"exp\") and the signature no longer matches."
    )?;
    writeln!(out)?;
    Ok(())
}

/// Writes `text` with every line indented under the step it belongs to.
fn write_indented(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    for line in text.lines() {
        writeln!(out, "   {line}")?;
    }
    Ok(())
}
