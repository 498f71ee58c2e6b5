//! Facebook: the web flow is OAuth 2.0 (the login dialog with `state` and
//! PKCE S256, the code exchange at Graph's `/oauth/access_token`, then
//! `/me?fields=id,name,email` with `appsecret_proof`); native apps hand over
//! a Limited Login id_token (OpenID Connect, checked like any id_token) or a
//! classic user access token (checked with Graph's `debug_token` before
//! `/me`). The identity is (`TESSERA_FACEBOOK_ISSUER`, the app-scoped user
//! id), the same pair a Limited Login id_token of the same user carries.

use std::sync::Arc;

use serde::Deserialize;
use tessera::Clock;
use tokio::sync::OnceCell;

use super::config::FacebookSettings;
use super::flow::pkce_challenge;
use super::graph::{self, AccessTokenAnswer, DebugToken, GraphFailure, Profile};
use super::http_client::{Auth, HttpAnswer, ProviderHttp};
use super::id_token::{Audiences, IdTokenVerifier, NonceRule};
use super::oidc::{id_token_verifier, json_200, unavailable};
use super::{
    AuthorizationRequest, FlowParams, IdentityProvider, NativeSignIn, ProviderError,
    VerifiedIdentity, url_rule,
};
use crate::boxed::BoxFuture;

/// The permissions asked for: the public profile (id, name) and the e-mail.
const SCOPES: &str = "email public_profile";

/// The part of the Limited Login discovery document used.
#[derive(Debug, Deserialize)]
struct LimitedDiscovery {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    id_token_signing_alg_values_supported: Option<Vec<String>>,
}

/// Facebook Login.
#[derive(Debug)]
pub struct FacebookProvider {
    settings: FacebookSettings,
    http: ProviderHttp,
    clock: Arc<dyn Clock>,
    /// The only `aud` of a Limited Login id_token: our app id.
    audiences: Vec<String>,
    /// Limited Login's id_token checks, from its discovery on first use.
    limited: OnceCell<Arc<IdTokenVerifier>>,
}

impl FacebookProvider {
    /// The provider; nothing is fetched yet.
    pub fn new(settings: FacebookSettings, http: ProviderHttp, clock: Arc<dyn Clock>) -> Self {
        FacebookProvider {
            audiences: vec![settings.app_id.clone()],
            settings,
            http,
            clock,
            limited: OnceCell::new(),
        }
    }

    fn graph(&self, path: &str) -> String {
        format!("{}{path}", self.settings.graph_url.trim_end_matches('/'))
    }

    fn authorization_url(&self, flow: &FlowParams) -> String {
        let challenge = pkce_challenge(&flow.pkce_verifier);
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", self.settings.app_id.as_str()),
                ("redirect_uri", flow.redirect_uri.as_str()),
                ("response_type", "code"),
                ("scope", SCOPES),
                ("state", flow.state.as_str()),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let dialog = &self.settings.dialog_url;
        let separator = if dialog.contains('?') { '&' } else { '?' };
        format!("{dialog}{separator}{query}")
    }

    async fn finish(
        &self,
        flow: &FlowParams,
        code: &str,
        issuer: Option<&str>,
    ) -> Result<VerifiedIdentity, ProviderError> {
        // Facebook sends no RFC 9207 `iss` (its own redirect URI per
        // provider is the mix-up defence); one that is sent must be ours.
        if let Some(iss) = issuer
            && iss != self.settings.issuer
        {
            return Err(ProviderError::Unverified(format!(
                "the iss parameter {iss:?} is not Facebook's"
            )));
        }
        // POSTed, so the app secret never sits in a URL.
        let answer = self
            .http
            .post_form(
                &self.graph("/oauth/access_token"),
                Auth::None,
                &[
                    ("client_id", self.settings.app_id.as_str()),
                    ("client_secret", self.settings.app_secret.expose()),
                    ("redirect_uri", flow.redirect_uri.as_str()),
                    ("code", code),
                    ("code_verifier", flow.pkce_verifier.as_str()),
                ],
            )
            .await
            .map_err(unavailable)?;
        let token = match graph::read::<AccessTokenAnswer>(&answer, "code exchange") {
            Ok(token) => token.access_token,
            // An unknown, used or expired code, or a wrong verifier.
            Err(GraphFailure::Error(err)) if err.code == graph::INVALID_PARAMETER => {
                return Err(ProviderError::Rejected(format!("graph_error_{}", err.code)));
            }
            Err(other) => return Err(ProviderError::Unavailable(other.to_string())),
        };
        // The token was minted a moment ago: any refusal is Graph's fault.
        let profile = self
            .profile(&token)
            .await
            .map_err(|err| ProviderError::Unavailable(err.to_string()))?;
        Ok(self.identity(profile))
    }

    /// `/me?fields=id,name,email` with the user's token and its proof.
    async fn profile(&self, access_token: &str) -> Result<Profile, GraphFailure> {
        let proof = graph::appsecret_proof(self.settings.app_secret.expose(), access_token);
        let url = format!(
            "{}?fields=id,name,email&appsecret_proof={proof}",
            self.graph("/me")
        );
        let answer = self
            .http
            .get(&url, Auth::Bearer(access_token))
            .await
            .map_err(|err| GraphFailure::Garbage(err.to_string()))?;
        graph::read(&answer, "profile")
    }

    fn identity(&self, profile: Profile) -> VerifiedIdentity {
        VerifiedIdentity {
            issuer: self.settings.issuer.clone(),
            subject: profile.id,
            email: profile.email,
            // Graph does not say whether it verified the address; it is
            // shown, never used to link accounts.
            email_verified: false,
            name: profile.name,
            preferred_username: None,
        }
    }

    /// Checks a classic user access token from a native app with Graph's
    /// `debug_token` — issued to our app, valid, not expired, for a user —
    /// then reads `/me`, whose `id` must be the token's user.
    ///
    /// `expires_at = 0` is Graph's "does not expire" (some long-lived
    /// tokens): accepted, since `is_valid` says the token is good at this
    /// moment and it is used only now, never kept.
    pub async fn verify_access_token(
        &self,
        access_token: &str,
    ) -> Result<VerifiedIdentity, ProviderError> {
        let refused = |why: &str| ProviderError::InvalidAccessToken(why.to_owned());
        let url = format!(
            "{}?{}",
            self.graph("/debug_token"),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("input_token", access_token)
                .finish()
        );
        let app_token = format!(
            "{}|{}",
            self.settings.app_id,
            self.settings.app_secret.expose()
        );
        let answer = self
            .http
            .get(&url, Auth::Bearer(&app_token))
            .await
            .map_err(unavailable)?;
        // An error here is about the call itself (our app token, Graph):
        // what Graph says of the user's token is in `data`.
        let info = graph::read::<DebugToken>(&answer, "debug_token")
            .map_err(|err| ProviderError::Unavailable(err.to_string()))?
            .data;
        if !info.is_valid {
            let why = info
                .error
                .map_or_else(|| "invalid".to_owned(), |err| err.message);
            return Err(ProviderError::InvalidAccessToken(format!(
                "Graph says the token is not valid: {why}"
            )));
        }
        if info.app_id.as_deref() != Some(self.settings.app_id.as_str()) {
            return Err(refused("the token was issued to another app"));
        }
        if info.kind.as_deref().is_some_and(|kind| kind != "USER") {
            return Err(refused("not a user access token"));
        }
        match info.expires_at {
            Some(0) => {}
            Some(at) if at > self.clock.now() => {}
            _ => return Err(refused("the token has expired")),
        }
        let Some(user_id) = info.user_id else {
            return Err(refused("the token names no user"));
        };
        let profile = match self.profile(access_token).await {
            Ok(profile) => profile,
            Err(GraphFailure::Error(err)) if err.is_invalid_token() => {
                return Err(ProviderError::InvalidAccessToken(err.message));
            }
            Err(other) => return Err(ProviderError::Unavailable(other.to_string())),
        };
        if profile.id != user_id {
            return Err(refused("Graph's profile is not the token's user"));
        }
        Ok(self.identity(profile))
    }

    /// Limited Login's id_token checks, read from the issuer's discovery
    /// document (Facebook serves it with a trailing slash; the spelling
    /// without is tried first, as OpenID Discovery writes it).
    async fn limited(&self) -> Result<Arc<IdTokenVerifier>, ProviderError> {
        self.limited
            .get_or_try_init(|| async {
                let issuer = &self.settings.issuer;
                let base = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let mut answer = self.discovery(&base).await?;
                if answer.status != 200 {
                    answer = self.discovery(&format!("{base}/")).await?;
                }
                let discovery: LimitedDiscovery = json_200(&answer, "discovery document")?;
                if discovery.issuer != *issuer {
                    return Err(ProviderError::Unavailable(format!(
                        "the discovery document names issuer {:?}, not {issuer:?}",
                        discovery.issuer
                    )));
                }
                url_rule::check(&discovery.jwks_uri, self.http.allows_loopback_http())
                    .map_err(ProviderError::Unavailable)?;
                id_token_verifier(
                    &self.http,
                    &self.clock,
                    &discovery.jwks_uri,
                    discovery.id_token_signing_alg_values_supported.as_deref(),
                    issuer,
                    vec![issuer.clone()],
                )
                .map(Arc::new)
            })
            .await
            .cloned()
    }

    async fn discovery(&self, url: &str) -> Result<HttpAnswer, ProviderError> {
        self.http.get(url, Auth::None).await.map_err(unavailable)
    }

    async fn native(&self, request: NativeSignIn<'_>) -> Result<VerifiedIdentity, ProviderError> {
        self.limited()
            .await?
            .verify(
                request.id_token,
                Audiences {
                    accepted: &self.audiences,
                },
                NonceRule::Native(request.nonce),
            )
            .await
    }
}

impl IdentityProvider for FacebookProvider {
    fn id(&self) -> &str {
        "facebook"
    }

    fn display_name(&self) -> &str {
        "Facebook"
    }

    fn authorization_request<'a>(
        &'a self,
        flow: &'a FlowParams,
    ) -> BoxFuture<'a, Result<AuthorizationRequest, ProviderError>> {
        let url = self.authorization_url(flow);
        Box::pin(std::future::ready(Ok(AuthorizationRequest::new(url))))
    }

    fn exchange<'a>(
        &'a self,
        flow: &'a FlowParams,
        code: &'a str,
        issuer: Option<&'a str>,
    ) -> BoxFuture<'a, Result<VerifiedIdentity, ProviderError>> {
        Box::pin(self.finish(flow, code, issuer))
    }

    fn verify_native<'a>(
        &'a self,
        request: NativeSignIn<'a>,
    ) -> BoxFuture<'a, Result<VerifiedIdentity, ProviderError>> {
        Box::pin(self.native(request))
    }
}
