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
//! - [`JwtManager`] and [`JwtConfig`] ([`manager`]): settings under
//!   Flask-JWT-Extended's `JWT_*` names, issuing, decoding, hooks;
//! - extractors ([`extract`]): [`Jwt`], `Option<Jwt>`, [`FreshJwt`],
//!   [`RefreshJwt`], [`AnyJwt`], [`CurrentUser`] ([`user`]), and the
//!   [`RequireRoles`] guard ([`guard`]); per-route [`JwtOptions`];
//! - token locations and their precedence ([`locate`]): header, cookies,
//!   query string, JSON body;
//! - cookies with double-submit CSRF ([`cookies`]) and
//!   [`ImplicitRefreshLayer`] ([`refresh`]);
//! - revocation ([`blocklist`]): the [`Blocklist`] trait and [`MemoryBlocklist`];
//! - errors ([`response`]): one [`AuthError`] per failure, RFC 6750 responses,
//!   or Flask-JWT-Extended's own with [`ErrorStyle::FlaskCompat`].
//! - with the `remote-jwks` feature (off by default, so the local-key path
//!   pulls in no HTTP client): `RemoteJwks` (`remote`), verifying tokens of
//!   a remote issuer — another Tessera, or an OpenID provider's id_tokens —
//!   with keys fetched from its JWKS or discovery document, cached, through
//!   the same [`TokenCodec`].
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
pub mod user;

#[doc = include_str!("../docs/migration.md")]
pub mod migration {}

pub use algorithm::{Algorithm, KeyFamily};
pub use blocklist::{Blocklist, BlocklistError, BlocklistQuery, MemoryBlocklist};
pub use claims::{Claims, ExtraClaims, Fresh, TokenType};
pub use clock::{Clock, ManualClock, SystemClock};
pub use codec::{
    CodecBuilder, DEFAULT_CACHE_CAPACITY, DecodeOptions, Token, TokenCodec, Unverified, Validation,
    inspect,
};
pub use config::{ConfigError, KeySource, TokenConfig};
pub use error::{EncodeError, KeyError, Part, TokenError};
pub use extract::{
    AnyJwt, FreshJwt, Jwt, JwtOptions, RefreshJwt, Requirement, TokenKind, VerifiedToken,
};
pub use guard::RequireRoles;
pub use header::Header;
pub use keys::{GeneratedKeyPair, Jwk, JwkSet, Key, KeySet};
pub use locate::{BodyTokenLayer, Location};
pub use manager::{
    CookieSettings, CsrfSettings, ErrorStyle, Expires, HeaderSettings, Identity, IssueContext,
    IssueError, IssuedToken, JsonSettings, JwtConfig, JwtManager, QuerySettings, TokenOptions,
};
pub use refresh::ImplicitRefreshLayer;
#[cfg(feature = "remote-jwks")]
pub use remote::{RemoteError, RemoteJwks};
pub use response::{AuthError, AuthRejection, ErrorResponder, MissingReason, MissingToken};
pub use user::{CurrentUser, UserLoadError, UserLoader};
