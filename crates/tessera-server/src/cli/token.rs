//! `tessera token issue | verify | decode`: tokens from the shell, with the
//! configured keys and every check the server makes (its settings, read by
//! the function `serve` uses, and its store's revocations).

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::{Map, Value};
use tessera::claims::RESERVED_CLAIMS;
use tessera::codec::DEFAULT_MAX_TOKEN_BYTES;
use tessera::{
    DecodeOptions, ExtraClaims, Fresh, JwtManager, TokenCodec, TokenType, Unverified, inspect,
};

use super::explain::{self, ExplainArgs};
use super::revocation::{self, Revocation};
use super::{CliError, Settings, load_config, read_token};

/// The `tessera token` subcommands.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum TokenCommand {
    /// Sign a new token with the configured key and print it.
    Issue(IssueArgs),
    /// Check a token's signature and claims; print its header and claims as JSON, or why it was rejected.
    Verify(VerifyArgs),
    /// Print a token's header and claims WITHOUT checking its signature or claims.
    Decode(DecodeArgs),
    /// Walk through how a token's signature and claims are checked, step by step.
    Explain(ExplainArgs),
}

/// A token type on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenTypeArg {
    /// Sent with every request.
    Access,
    /// Exchanged for new tokens; never accepted where an access token is.
    Refresh,
}

impl From<TokenTypeArg> for TokenType {
    fn from(arg: TokenTypeArg) -> Self {
        match arg {
            TokenTypeArg::Access => TokenType::Access,
            TokenTypeArg::Refresh => TokenType::Refresh,
        }
    }
}

/// Arguments of `tessera token issue`.
#[derive(Debug, Args)]
#[command(
    long_about = "Sign a new token with the configured key (JWT_SECRET_KEY, or JWT_PRIVATE_KEY for \
asymmetric algorithms) and print it.\n\n\
The claims are the ones Flask-JWT-Extended writes: fresh, iat, jti, type, sub, nbf, exp, \
plus iss (JWT_ENCODE_ISSUER, by default the server's TESSERA_PUBLIC_URL, as `tessera serve` \
writes it), aud when JWT_ENCODE_AUDIENCE is set, plus your own from --claims.",
    after_help = "Example:\n  tessera token issue --sub 42 --claims '{\"roles\":[\"admin\"]}' | tessera token verify -"
)]
pub struct IssueArgs {
    /// The identity the token is about (the `sub` claim), such as a user id.
    #[arg(long, value_name = "ID")]
    pub sub: String,
    /// The kind of token.
    #[arg(long = "type", value_enum, default_value_t = TokenTypeArg::Access)]
    pub token_type: TokenTypeArg,
    /// Mark the token fresh (`"fresh": true`), as after a password login.
    #[arg(long)]
    pub fresh: bool,
    /// Extra claims, as a JSON object (for example '{"roles":["admin"]}').
    #[arg(long, value_name = "JSON")]
    pub claims: Option<String>,
    /// Lifetime in seconds, instead of JWT_ACCESS_TOKEN_EXPIRES / JWT_REFRESH_TOKEN_EXPIRES.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(i64).range(1..))]
    pub expires: Option<i64>,
}

/// Arguments of `tessera token verify`.
#[derive(Debug, Args)]
#[command(
    long_about = "Verify a token with the configured keys, exactly as the server would: signature, \
algorithm, exp, nbf, iat, iss (JWT_DECODE_ISSUER, by default TESSERA_PUBLIC_URL) and aud (when \
configured), with --type the token type, and revocation: a token whose session or id the store \
(DATABASE_URL, or tessera.db here) lists as revoked is refused. Without a store, a note on \
standard error says revocation was not checked.\n\n\
Valid: prints {\"header\": ..., \"claims\": ...} as JSON and exits 0. Rejected: prints the \
reason on one line and exits 1."
)]
pub struct VerifyArgs {
    /// The token, or - to read it from standard input.
    #[arg(value_name = "TOKEN")]
    pub token: String,
    /// Require this token type (a refresh token is never accepted as an access token).
    #[arg(long = "type", value_enum)]
    pub token_type: Option<TokenTypeArg>,
}

/// Arguments of `tessera token decode`.
#[derive(Debug, Args)]
#[command(
    long_about = "Print a token's header and claims as JSON WITHOUT verifying anything. \
Anyone can write any claims into a token; only `tessera token verify` says whether to trust them."
)]
pub struct DecodeArgs {
    /// The token, or - to read it from standard input.
    #[arg(value_name = "TOKEN")]
    pub token: String,
}

pub(super) fn run(
    command: TokenCommand,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        TokenCommand::Issue(args) => issue(&args, out),
        TokenCommand::Verify(args) => verify(&args, out, note),
        TokenCommand::Decode(args) => decode(&args, out, note),
        TokenCommand::Explain(args) => explain::run(&args, out),
    }
}

fn issue(args: &IssueArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.sub.trim().is_empty() {
        return Err(CliError::Usage("--sub must not be empty".to_owned()));
    }
    let Settings { jwt, .. } = load_config()?;
    let extra = match &args.claims {
        None => ExtraClaims::new(),
        Some(json) => extra_claims(json, &jwt.token.identity_claim)?,
    };
    let config = jwt.token.clone();
    let codec = server_codec(jwt)?;
    let now = codec.now();
    let mut claims = config.new_claims(args.sub.clone(), args.token_type.into(), now, extra);
    if args.fresh {
        claims.fresh = Fresh::Flag(true);
    }
    if let Some(seconds) = args.expires {
        claims.exp = Some(now.saturating_add(seconds));
    }
    let token = codec.encode(&claims)?;
    writeln!(out, "{token}")?;
    Ok(())
}

/// Parses `--claims`: a JSON object whose names Tessera does not own.
fn extra_claims(json: &str, identity_claim: &str) -> Result<ExtraClaims, CliError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|err| CliError::Usage(format!("--claims is not valid JSON: {err}")))?;
    let Value::Object(map) = value else {
        return Err(CliError::Usage(
            "--claims must be a JSON object, such as '{\"roles\":[\"admin\"]}'".to_owned(),
        ));
    };
    if let Some(name) = map
        .keys()
        .find(|name| RESERVED_CLAIMS.contains(&name.as_str()) || *name == identity_claim)
    {
        return Err(CliError::Usage(format!(
            "--claims may not set {name:?}: Tessera sets the registered claims ({}) itself; use --sub, --type, --fresh and --expires",
            RESERVED_CLAIMS.join(", ")
        )));
    }
    Ok(map)
}

/// The codec the server verifies with: its settings as `JwtManager` applies
/// them (`JWT_ALLOW_NON_EXPIRING` included).
pub(super) fn server_codec(jwt: tessera::JwtConfig) -> Result<TokenCodec, CliError> {
    Ok(JwtManager::new(jwt)?.codec().clone())
}

fn verify(args: &VerifyArgs, out: &mut dyn Write, note: &mut dyn Write) -> Result<(), CliError> {
    let token = read_token(&args.token)?;
    let Settings { jwt, server } = load_config()?;
    let codec = server_codec(jwt)?;
    let options = DecodeOptions {
        token_type: args.token_type.map(TokenType::from),
        allow_expired: false,
    };
    let verified = codec.decode_with::<ExtraClaims>(&token, options)?;
    match revocation::check(&server, &verified, codec.now())? {
        Revocation::Revoked => return Err(CliError::Revoked),
        Revocation::NotRevoked { .. } => {}
        Revocation::NotChecked(why) => writeln!(note, "note: revocation not checked: {why}")?,
    }
    // Verified: show the header and claims exactly as the token carries them.
    let parts = inspect(&token, codec.validation().max_token_bytes)?;
    write_json(out, &parts)
}

fn decode(args: &DecodeArgs, out: &mut dyn Write, note: &mut dyn Write) -> Result<(), CliError> {
    let token = read_token(&args.token)?;
    let parts = inspect(&token, DEFAULT_MAX_TOKEN_BYTES).map_err(CliError::Malformed)?;
    writeln!(
        note,
        "UNVERIFIED — signature not checked: anyone can write these claims; `tessera token verify` says whether to trust them"
    )?;
    write_json(out, &parts)
}

/// Prints `{"header": …, "claims": …}` as indented JSON.
pub(super) fn write_json(out: &mut dyn Write, parts: &Unverified) -> Result<(), CliError> {
    #[derive(Serialize)]
    struct Shown<'a> {
        header: &'a Map<String, Value>,
        claims: &'a Map<String, Value>,
    }
    let shown = Shown {
        header: &parts.header,
        claims: &parts.payload,
    };
    serde_json::to_writer_pretty(&mut *out, &shown).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
