//! What a sign-in provider must do, and what it hands back.

use crate::boxed::BoxFuture;

/// One sign-in in progress, as made when the user is sent to the provider
/// and kept (server-side, keyed by `state`) until the callback. Random
/// values come from the flow, not the provider, so every provider gets the
/// same protections. `Debug` leaves the values out.
#[derive(Clone, PartialEq, Eq)]
pub struct FlowParams {
    /// Where the provider sends the user back (registered with it).
    pub redirect_uri: String,
    /// The CSRF token the callback must echo.
    pub state: String,
    /// The value the id_token must carry (OIDC replay protection).
    pub nonce: String,
    /// The PKCE code verifier; its S256 challenge goes in the request.
    pub pkce_verifier: String,
}

impl std::fmt::Debug for FlowParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowParams")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Where to send the user to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The provider's authorization URL with every parameter in place.
    pub url: String,
}

impl AuthorizationRequest {
    /// A request that sends the user to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        AuthorizationRequest { url: url.into() }
    }
}

/// Who the provider says signed in, after every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The provider's issuer (`iss`); with `subject`, the identity's key.
    pub issuer: String,
    /// The provider's stable id for the user (`sub`), never an e-mail.
    pub subject: String,
    /// The e-mail address the provider reported, if any.
    pub email: Option<String>,
    /// Whether the provider verified that address; only then may it link
    /// an existing account.
    pub email_verified: bool,
    /// A display name, if the provider gave one.
    pub name: Option<String>,
}

/// Why a provider could not start or finish a sign-in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The provider reported a refusal at the callback (the user cancelled,
    /// consent was denied): its `error` code.
    #[error("the provider refused the sign-in: {0}")]
    Refused(String),
    /// The provider's answer failed a check (id_token signature, `iss`,
    /// `aud`, `exp`, `nonce`, or a missing claim).
    #[error("the provider's answer failed verification: {0}")]
    Unverified(String),
    /// The provider could not be reached, or answered outside the protocol.
    #[error("the provider is unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A sign-in provider (Google, Facebook, an OIDC issuer).
pub trait IdentityProvider: Send + Sync + std::fmt::Debug {
    /// The short id used in URLs and stored links (`google`).
    fn id(&self) -> &str;

    /// The name shown on the sign-in button (`Google`).
    fn display_name(&self) -> &str;

    /// The authorization request for `flow`: the URL carrying the client
    /// id, `redirect_uri`, scopes, `state`, `nonce` and the PKCE challenge.
    fn authorization_request<'a>(
        &'a self,
        flow: &'a FlowParams,
    ) -> BoxFuture<'a, Result<AuthorizationRequest, ProviderError>>;

    /// Exchanges the callback's `code` of `flow` (whose `state` the caller
    /// has already matched) for the tokens, verifies them, and returns who
    /// signed in.
    fn exchange<'a>(
        &'a self,
        flow: &'a FlowParams,
        code: &'a str,
    ) -> BoxFuture<'a, Result<VerifiedIdentity, ProviderError>>;
}
