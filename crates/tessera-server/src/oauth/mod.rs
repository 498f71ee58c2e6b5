//! Social sign-in: the boundary that Google, Facebook and generic OpenID
//! Connect providers will fill. Nothing is wired to HTTP yet; today the
//! registry is empty.
//!
//! What lives here, as it arrives:
//! - **providers**: one [`IdentityProvider`] per configured provider
//!   (Google, Facebook, any OIDC issuer by its discovery document), kept in
//!   the [`Providers`] registry that start-up builds
//!   ([`crate::app::identity_providers`]) and the state carries;
//! - **flow state**: the `state` (CSRF), `nonce` (replay) and PKCE verifier
//!   (RFC 7636) of each sign-in in progress, made when the user is sent to
//!   the provider and checked, once, at the callback ([`FlowParams`]);
//! - **id_token checks**: signature through the library's codec with the
//!   provider's remote JWKS, then `iss`, `aud`, `exp` and `nonce`, before
//!   anything in the token is believed ([`VerifiedIdentity`]);
//! - **identities**: the (issuer, subject) pair linked to an account, in the
//!   store; an e-mail address links accounts only when the provider
//!   verified it.
//!
//! The domain turns a verified identity into a session like a password
//! login does; the HTTP routes (redirect, callback) will be thin clients of
//! both.

mod provider;
mod providers;

pub use provider::{
    AuthorizationRequest, FlowParams, IdentityProvider, ProviderError, VerifiedIdentity,
};
pub use providers::{DuplicateProvider, Providers};
