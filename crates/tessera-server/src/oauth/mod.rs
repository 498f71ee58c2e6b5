//! Social sign-in: Google, Facebook and any OpenID Connect provider.
//!
//! - **settings** ([`SocialSettings`]): exactly the variables in
//!   [`config`]'s table, read once at start-up; only configured providers
//!   are enabled, kept in the [`Providers`] registry the state carries
//!   (built by [`crate::app::identity_providers`]);
//! - **flow values** ([`flow`]): `state` (CSRF), `nonce` (replay), the PKCE
//!   verifier (RFC 7636) and the browser-binding cookie of each sign-in in
//!   progress, kept in the store (so any instance can finish it) and
//!   consumed once at the callback;
//! - **id_token checks** ([`id_token`]): through the library's codec with
//!   the provider's remote JWKS, before anything in the token is believed
//!   ([`VerifiedIdentity`]);
//! - **`return_to`** ([`ReturnToAllowlist`]): where a sign-in may go back
//!   to, never anywhere else;
//! - **providers** ([`OidcProvider`]): discovery, the authorization request,
//!   the code exchange, userinfo and native id_tokens, over a bounded
//!   HTTPS client ([`http_client`]); Facebook ([`FacebookProvider`]):
//!   OAuth 2.0 and Graph for the web, Limited Login id_tokens and classic
//!   access tokens for native apps.
//!
//! Identities are keyed by (issuer, subject), never by e-mail; the domain
//! turns a verified identity into a session like a password login does
//! (`domain::identities`), and `http::oauth` holds the routes.

pub mod config;
mod facebook;
pub mod flow;
mod graph;
pub mod http_client;
pub mod id_token;
mod oidc;
mod provider;
mod providers;
pub mod return_to;
mod url_rule;

pub use config::{SocialConfigError, SocialSettings};
pub use facebook::FacebookProvider;
pub use oidc::OidcProvider;
pub use provider::{
    AuthorizationRequest, FlowParams, IdentityProvider, NativeSignIn, ProviderError,
    VerifiedIdentity,
};
pub use providers::{DuplicateProvider, Providers};
pub use return_to::ReturnToAllowlist;
