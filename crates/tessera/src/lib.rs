//! # Tessera
//!
//! JWT authentication for Rust services: what Flask-JWT-Extended is to Flask,
//! for axum — done the way RFC 8725 asks.
//!
//! ## Quick start
//!
//! ```no_run
//! use axum::{Json, Router, extract::State, routing::{get, post}};
//! use serde_json::{Value, json};
//! use tessera::{IssueError, Jwt, JwtManager, RefreshJwt, TokenOptions};
//!
//! async fn login(State(jwt): State<JwtManager>) -> Result<Json<Value>, IssueError> {
//!     // Check the user's password first, then:
//!     let access = jwt.create_access_token_with("alice", TokenOptions::new().fresh(true))?;
//!     let refresh = jwt.create_refresh_token("alice")?;
//!     Ok(Json(json!({ "access_token": access, "refresh_token": refresh })))
//! }
//!
//! async fn protected(token: Jwt) -> String {
//!     format!("hello, {}", token.identity())
//! }
//!
//! async fn refresh(State(jwt): State<JwtManager>, token: RefreshJwt) -> Result<Json<Value>, IssueError> {
//!     Ok(Json(json!({ "access_token": jwt.create_access_token(token.identity())? })))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::from_env()?; // JWT_SECRET_KEY, JWT_TOKEN_LOCATION, … (and .env)
//!     let app = Router::new()
//!         .route("/login", post(login))
//!         .route("/protected", get(protected))
//!         .route("/refresh", post(refresh))
//!         .with_state(jwt);
//!     axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! The pieces, each in its module:
//!
//! - [`JwtConfig`] ([`settings`]): settings under Flask-JWT-Extended's
//!   `JWT_*` names, the token [`Location`]s and the [`ErrorStyle`];
//! - [`JwtManager`] ([`manager`]): issuing, decoding, hooks;
//! - extractors ([`extract`]): [`Jwt`], `Option<Jwt>`, [`FreshJwt`],
//!   [`RefreshJwt`], [`AnyJwt`], [`CurrentUser`] ([`user`]), and the
//!   [`RequireRoles`] and [`RequireAmr`] guards ([`guard`]); per-route [`JwtOptions`]; the
//!   [`BodyTokenLayer`] for tokens in JSON bodies;
//! - token locations and their precedence ([`locate`]): header, cookies,
//!   query string, JSON body;
//! - cookies with double-submit CSRF ([`cookies`]) and
//!   [`ImplicitRefreshLayer`] ([`refresh`]);
//! - revocation ([`blocklist`]): the [`Blocklist`] trait and [`MemoryBlocklist`];
//! - errors ([`response`]): one [`AuthError`] per failure, RFC 6750 responses,
//!   or Flask-JWT-Extended's own with [`ErrorStyle::FlaskCompat`];
//! - the environment ([`env`](mod@env)): one reader for every `JWT_*` value, with the
//!   same spellings of booleans and durations, for applications' own
//!   variables too;
//! - with the `remote-jwks` feature (off by default, so the local-key path
//!   pulls in no HTTP client): `RemoteJwks` (`remote`), verifying tokens of
//!   a remote issuer — another Tessera, or an OpenID provider's id_tokens —
//!   with keys fetched from its JWKS or discovery document, cached, through
//!   the same [`TokenCodec`].
//!
//! ## How the modules depend on each other
//!
//! They read top-down; each uses only those above it, with no cycle:
//!
//! 1. the token core: [`algorithm`], [`keys`], [`claims`], [`codec`],
//!    [`clock`], [`error`], then [`env`](mod@env) (reading variables) and [`config`]
//!    (token settings);
//! 2. [`settings`]: plain data, the request-handling settings;
//! 3. [`blocklist`]; [`locate`] (finding a token in a request: each
//!    location and why it held none, [`MissingReason`]); then [`response`]
//!    ([`AuthError`], which wraps what `locate` reports, and its rendering);
//! 4. [`manager`]: the [`JwtManager`] that holds settings, codec and hooks;
//!    [`cookies`] adds cookie helpers to it;
//! 5. [`extract`]: the verification pipeline, the extractors and the body
//!    layer;
//! 6. [`guard`], [`user`] and [`refresh`], built on the extractors.
//!
//! Coming from Flask-JWT-Extended? The [`migration`] page maps every
//! function, decorator argument, loader and option to its Tessera name.
//!
//! ## The token core
//!
//! This crate's core is [`TokenCodec`]: it signs [`Claims`] with the primary
//! key of a [`KeySet`] and verifies presented tokens, refusing anything a
//! careful verifier must refuse, each with its own [`TokenError`]:
//!
//! - the algorithm comes from the key, never from the token (`alg: none`
//!   cannot even be parsed; RS256→HS256 confusion is impossible);
//! - `jwk`, `jku`, `x5u`, `x5c` headers are refused, unknown `kid`s and
//!   `crit` extensions too;
//! - tokens over 8 KiB are refused before any decoding; only canonical
//!   unpadded base64url and duplicate-free JSON are read;
//! - `exp` is required, `nbf` and `iat` are checked with an explicit leeway
//!   (zero by default); `iss`/`aud` are required once configured;
//! - refresh tokens are never accepted where access tokens are;
//! - HMAC secrets shorter than the hash, or that look like a sample value,
//!   refuse to load.
//!
//! ```
//! use tessera::{Algorithm, ExtraClaims, Key, KeySet, TokenCodec, TokenType};
//!
//! // The secret's UTF-8 bytes are the key, exactly as Flask-JWT-Extended uses it.
//! let key = Key::hmac(Algorithm::HS256, b"Vq3mN8xR2pL7wK4tZ9bC1fH6jD0sG5yA")?;
//! let codec = TokenCodec::new(KeySet::new(key));
//!
//! let mut extra = ExtraClaims::new();
//! extra.insert("roles".into(), serde_json::json!(["admin"]));
//! let claims = tessera::Claims::new("42", TokenType::Access, codec.now(), Some(900), extra);
//! let token = codec.encode(&claims)?;
//!
//! let verified = codec.decode::<ExtraClaims>(&token, TokenType::Access)?;
//! assert_eq!(verified.claims.sub, "42");
//! assert_eq!(verified.claims.extra["roles"][0], "admin");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Settings can come from the environment under Flask-JWT-Extended's names
//! (`JWT_SECRET_KEY`, `JWT_ALGORITHM`, …); see [`TokenConfig`].

pub mod algorithm;
pub mod b64;
pub mod blocklist;
pub mod claims;
pub mod clock;
pub mod codec;
pub mod config;
pub mod cookies;
mod csrf;
pub mod env;
pub mod error;
pub mod extract;
pub mod guard;
pub mod header;
mod json;
pub mod keys;
pub mod locate;
pub mod manager;
pub mod refresh;
#[cfg(feature = "remote-jwks")]
pub mod remote;
pub mod response;
pub mod settings;
pub mod user;

#[doc = include_str!("../docs/migration.md")]
pub mod migration {}

pub use algorithm::{Algorithm, KeyFamily};
pub use blocklist::{Blocklist, BlocklistError, BlocklistQuery, MemoryBlocklist, SESSION_ID_CLAIM};
pub use claims::{Claims, ExtraClaims, Fresh, TokenType};
pub use clock::{Clock, ManualClock, SystemClock};
pub use codec::{
    CodecBuilder, DEFAULT_CACHE_CAPACITY, DecodeOptions, Token, TokenCodec, Unverified, Validation,
    inspect,
};
pub use config::{KeySource, TokenConfig};
pub use error::{ConfigError, EncodeError, KeyError, Part, SharedError, TokenError};
pub use extract::{
    AnyJwt, BodyTokenLayer, FreshJwt, Jwt, JwtOptions, RefreshJwt, Requirement, TokenKind,
    VerifiedToken,
};
pub use guard::{AMR_CLAIM, RequireAmr, RequireRoles};
pub use header::Header;
pub use keys::{GeneratedKeyPair, Jwk, JwkSet, Key, KeySet};
pub use locate::{MissingReason, MissingToken};
pub use manager::{
    Expires, Identity, IssueContext, IssueError, IssuedToken, JwtManager, TokenOptions,
};
pub use refresh::ImplicitRefreshLayer;
#[cfg(feature = "remote-jwks")]
pub use remote::{RemoteError, RemoteJwks};
pub use response::{AuthError, AuthRejection, ErrorResponder};
pub use settings::{
    CookieSettings, CsrfSettings, ErrorStyle, HeaderSettings, JsonSettings, JwtConfig, Location,
    QuerySettings,
};
pub use user::{CurrentUser, UserLoadError, UserLoader};
