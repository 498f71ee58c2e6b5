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
    /// The provider's issuer, as configured (one spelling per provider);
    /// with `subject`, the identity's key.
    pub issuer: String,
    /// The provider's stable id for the user (`sub`), never an e-mail.
    pub subject: String,
    /// The e-mail address the provider reported, if any (shown, never used
    /// to link accounts: an address can change hands).
    pub email: Option<String>,
    /// Whether the provider verified that address.
    pub email_verified: bool,
    /// A display name, if the provider gave one.
    pub name: Option<String>,
    /// The user's preferred username at the provider, if any.
    pub preferred_username: Option<String>,
}

/// Why a provider could not start or finish a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The provider refused our request (the token endpoint's `error`, such
    /// as `invalid_grant` for a replayed code or a wrong PKCE verifier).
    #[error("the provider refused the request: {0}")]
    Rejected(String),
    /// The provider's answer failed a check (id_token signature, `alg`,
    /// `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`, userinfo `sub`, RFC 9207
    /// `iss` parameter): nothing in it is believed.
    #[error("the provider's answer failed verification: {0}")]
    Unverified(String),
    /// The provider could not be reached, was too slow, or answered
    /// outside the protocol.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// A user access token a native app handed over is not good for us
    /// (invalid, expired, another app's, another user's): Facebook's
    /// access-token sign-in.
    #[error("the access token was refused: {0}")]
    InvalidAccessToken(String),
}

impl ProviderError {
    /// The stable code for an error body or a `?error=` parameter.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::Rejected(_) => "invalid_grant",
            ProviderError::Unverified(_) => "invalid_id_token",
            ProviderError::Unavailable(_) => "provider_unavailable",
            ProviderError::InvalidAccessToken(_) => "invalid_access_token",
        }
    }
}

/// What a native app hands over: an id_token from the provider's SDK and
/// the nonce it asked for, if any.
#[derive(Debug, Clone, Copy)]
pub struct NativeSignIn<'a> {
    /// The id_token.
    pub id_token: &'a str,
    /// The nonce the app sent to the provider, if any.
    pub nonce: Option<&'a str>,
}

/// A sign-in provider (Google, Facebook, an OIDC issuer).
pub trait IdentityProvider: Send + Sync + std::fmt::Debug {
    /// The short id used in URLs and stored identities (`google`).
    fn id(&self) -> &str;

    /// The name shown on the sign-in button (`Google`).
    fn display_name(&self) -> &str;

    /// The authorization request for `flow`: the URL carrying the client
    /// id, `redirect_uri`, scopes, `state`, `nonce` and the PKCE challenge.
    fn authorization_request<'a>(
        &'a self,
        flow: &'a FlowParams,
    ) -> BoxFuture<'a, Result<AuthorizationRequest, ProviderError>>;

    /// Finishes the callback of `flow` (whose `state` the caller has already
    /// matched): checks the RFC 9207 `iss` parameter (`issuer`, when the
    /// provider sent one), exchanges `code` with the PKCE verifier,
    /// verifies the tokens, and returns who signed in.
    fn exchange<'a>(
        &'a self,
        flow: &'a FlowParams,
        code: &'a str,
        issuer: Option<&'a str>,
    ) -> BoxFuture<'a, Result<VerifiedIdentity, ProviderError>>;

    /// Verifies an id_token a native app obtained with the provider's SDK.
    fn verify_native<'a>(
        &'a self,
        request: NativeSignIn<'a>,
    ) -> BoxFuture<'a, Result<VerifiedIdentity, ProviderError>>;
}
