//! An OpenID Connect provider (Google, or any issuer by its discovery
//! document): the authorization-code flow with PKCE, the code exchange,
//! userinfo, and native id_tokens.
//!
//! The discovery document is read on first use and kept (a failure is
//! retried on the next request); its issuer must be exactly the configured
//! one, and every endpoint it names must pass the https rule.

use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use tessera::remote::RemoteJwks;
use tessera::{Algorithm, Clock, KeyFamily};
use tokio::sync::OnceCell;

use super::config::{GOOGLE_ISSUER, GOOGLE_ISSUER_BARE, OidcSettings, ProviderKind};
use super::flow::pkce_challenge;
use super::http_client::{Auth, HttpAnswer, HttpError, ProviderHttp};
use super::id_token::{Audiences, IdTokenVerifier, NonceRule};
use super::url_rule;
use super::{
    AuthorizationRequest, FlowParams, IdentityProvider, NativeSignIn, ProviderError,
    VerifiedIdentity,
};
use crate::boxed::BoxFuture;

/// The parts of a discovery document the flows use.
#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    #[serde(default)]
    id_token_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// What discovery yielded, checked.
#[derive(Debug)]
struct Metadata {
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: Option<String>,
    /// HTTP Basic at the token endpoint (the default), else form fields.
    basic_auth: bool,
    /// RFC 9207: the provider says it sends `iss` with every answer, so
    /// one without is refused.
    iss_parameter: bool,
    verifier: IdTokenVerifier,
}

/// The token endpoint's success answer.
#[derive(Debug, Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// An OpenID Connect provider.
#[derive(Debug)]
pub struct OidcProvider {
    settings: OidcSettings,
    http: ProviderHttp,
    clock: Arc<dyn Clock>,
    metadata: OnceCell<Arc<Metadata>>,
    /// Client ids accepted in native id_tokens: ours, then the apps'.
    native_audiences: Vec<String>,
    web_audiences: Vec<String>,
}

impl OidcProvider {
    /// A provider from its settings; nothing is fetched yet.
    pub fn new(settings: OidcSettings, http: ProviderHttp, clock: Arc<dyn Clock>) -> Self {
        let web_audiences = vec![settings.client_id.clone()];
        let mut native_audiences = web_audiences.clone();
        native_audiences.extend(settings.extra_audiences.iter().cloned());
        OidcProvider {
            settings,
            http,
            clock,
            metadata: OnceCell::new(),
            native_audiences,
            web_audiences,
        }
    }

    async fn metadata(&self) -> Result<Arc<Metadata>, ProviderError> {
        self.metadata
            .get_or_try_init(|| async { self.discover().await.map(Arc::new) })
            .await
            .cloned()
    }

    async fn discover(&self) -> Result<Metadata, ProviderError> {
        let issuer = &self.settings.issuer;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let answer = self.http.get(&url, Auth::None).await.map_err(unavailable)?;
        let discovery: Discovery = json_200(&answer, "discovery document")?;
        if discovery.issuer != *issuer {
            return Err(ProviderError::Unavailable(format!(
                "the discovery document names issuer {:?}, not {issuer:?}",
                discovery.issuer
            )));
        }
        let allow = self.http.allows_loopback_http();
        for endpoint in [
            Some(&discovery.authorization_endpoint),
            Some(&discovery.token_endpoint),
            discovery.userinfo_endpoint.as_ref(),
            Some(&discovery.jwks_uri),
        ]
        .into_iter()
        .flatten()
        {
            url_rule::check(endpoint, allow).map_err(ProviderError::Unavailable)?;
        }
        let spellings = issuer_spellings(self.settings.kind, issuer);
        let verifier = id_token_verifier(
            &self.http,
            &self.clock,
            &discovery.jwks_uri,
            discovery.id_token_signing_alg_values_supported.as_deref(),
            issuer,
            spellings,
        )?;
        let basic_auth = discovery
            .token_endpoint_auth_methods_supported
            .as_ref()
            .is_none_or(|methods| {
                methods.iter().any(|method| method == "client_secret_basic")
                    || !methods.iter().any(|method| method == "client_secret_post")
            });
        Ok(Metadata {
            authorization_endpoint: discovery.authorization_endpoint,
            token_endpoint: discovery.token_endpoint,
            userinfo_endpoint: discovery.userinfo_endpoint,
            basic_auth,
            iss_parameter: discovery.authorization_response_iss_parameter_supported,
            verifier,
        })
    }

    async fn authorization_url(&self, flow: &FlowParams) -> Result<String, ProviderError> {
        let metadata = self.metadata().await?;
        let challenge = pkce_challenge(&flow.pkce_verifier);
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", self.settings.client_id.as_str()),
                ("redirect_uri", flow.redirect_uri.as_str()),
                ("scope", self.settings.scopes.as_str()),
                ("state", flow.state.as_str()),
                ("nonce", flow.nonce.as_str()),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let separator = if metadata.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!(
            "{}{separator}{query}",
            metadata.authorization_endpoint
        ))
    }

    async fn finish(
        &self,
        flow: &FlowParams,
        code: &str,
        issuer: Option<&str>,
    ) -> Result<VerifiedIdentity, ProviderError> {
        let metadata = self.metadata().await?;
        // RFC 9207 §2.4: checked before the code goes anywhere, so a code
        // from another provider (mix-up) is never sent to this one.
        match issuer {
            Some(iss) if iss != self.settings.issuer => {
                return Err(ProviderError::Unverified(format!(
                    "the iss parameter {iss:?} is not the provider's"
                )));
            }
            None if metadata.iss_parameter => {
                return Err(ProviderError::Unverified(
                    "the provider sends an iss parameter, and this answer has none".to_owned(),
                ));
            }
            _ => {}
        }
        let tokens = self.exchange_code(&metadata, flow, code).await?;
        let id_token = tokens.id_token.ok_or_else(|| {
            ProviderError::Unavailable("the token endpoint sent no id_token".to_owned())
        })?;
        let mut identity = metadata
            .verifier
            .verify(
                &id_token,
                Audiences {
                    accepted: &self.web_audiences,
                },
                NonceRule::Exactly(&flow.nonce),
            )
            .await?;
        if let (Some(endpoint), Some(access_token)) =
            (&metadata.userinfo_endpoint, tokens.access_token.as_deref())
        {
            self.userinfo(endpoint, access_token, &mut identity).await?;
        }
        Ok(identity)
    }

    async fn exchange_code(
        &self,
        metadata: &Metadata,
        flow: &FlowParams,
        code: &str,
    ) -> Result<TokenAnswer, ProviderError> {
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", flow.redirect_uri.as_str()),
            ("code_verifier", flow.pkce_verifier.as_str()),
        ];
        let secret = self.settings.client_secret.expose();
        // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form_encode(&self.settings.client_id),
            form_encode(secret)
        ));
        let auth = if metadata.basic_auth {
            Auth::Basic(&basic)
        } else {
            fields.push(("client_id", self.settings.client_id.as_str()));
            fields.push(("client_secret", secret));
            Auth::None
        };
        let answer = self
            .http
            .post_form(&metadata.token_endpoint, auth, &fields)
            .await
            .map_err(unavailable)?;
        if matches!(answer.status, 400 | 401) {
            // RFC 6749 §5.2: the provider refused the grant (used or unknown
            // code, wrong verifier, wrong redirect_uri, client not accepted).
            let error: Option<String> = serde_json::from_slice::<Value>(&answer.body)
                .ok()
                .and_then(|body| body.get("error")?.as_str().map(str::to_owned));
            return match error {
                Some(error) => Err(ProviderError::Rejected(error)),
                None => Err(ProviderError::Unavailable(format!(
                    "the token endpoint answered {} without an error code",
                    answer.status
                ))),
            };
        }
        json_200(&answer, "token answer")
    }

    async fn userinfo(
        &self,
        endpoint: &str,
        access_token: &str,
        identity: &mut VerifiedIdentity,
    ) -> Result<(), ProviderError> {
        let answer = self
            .http
            .get(endpoint, Auth::Bearer(access_token))
            .await
            .map_err(unavailable)?;
        let info: Value = json_200(&answer, "userinfo")?;
        // OpenID Connect Core §5.3.2: a userinfo answer about someone else
        // (a substituted token) must not be believed.
        if info.get("sub").and_then(Value::as_str) != Some(identity.subject.as_str()) {
            return Err(ProviderError::Unverified(
                "userinfo's sub differs from the id_token's".to_owned(),
            ));
        }
        let text = |key: &str| info.get(key).and_then(Value::as_str).map(str::to_owned);
        if identity.email.is_none() {
            identity.email = text("email");
            identity.email_verified = info.get("email_verified") == Some(&Value::Bool(true));
        }
        if identity.name.is_none() {
            identity.name = text("name");
        }
        if identity.preferred_username.is_none() {
            identity.preferred_username = text("preferred_username");
        }
        Ok(())
    }

    async fn native(&self, request: NativeSignIn<'_>) -> Result<VerifiedIdentity, ProviderError> {
        let metadata = self.metadata().await?;
        metadata
            .verifier
            .verify(
                request.id_token,
                Audiences {
                    accepted: &self.native_audiences,
                },
                NonceRule::Native(request.nonce),
            )
            .await
    }
}

impl IdentityProvider for OidcProvider {
    fn id(&self) -> &str {
        &self.settings.id
    }

    fn display_name(&self) -> &str {
        &self.settings.label
    }

    fn authorization_request<'a>(
        &'a self,
        flow: &'a FlowParams,
    ) -> BoxFuture<'a, Result<AuthorizationRequest, ProviderError>> {
        Box::pin(async move {
            self.authorization_url(flow)
                .await
                .map(AuthorizationRequest::new)
        })
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

/// The id_token checks of `issuer`, whose keys are at `jwks_uri` and
/// which advertises `algorithms` (RS256 when it says nothing, as
/// Discovery §3 makes it the one every provider supports; HMAC and `none`
/// never). Shared by every provider that issues id_tokens.
pub(super) fn id_token_verifier(
    http: &ProviderHttp,
    clock: &Arc<dyn Clock>,
    jwks_uri: &str,
    algorithms: Option<&[String]>,
    issuer: &str,
    spellings: Vec<String>,
) -> Result<IdTokenVerifier, ProviderError> {
    let algorithms: Vec<Algorithm> = algorithms
        .unwrap_or(&["RS256".to_owned()])
        .iter()
        .filter_map(|name| name.parse::<Algorithm>().ok())
        .filter(|alg| alg.family() != KeyFamily::Hmac)
        .collect();
    if algorithms.is_empty() {
        return Err(ProviderError::Unavailable(
            "the provider advertises no id_token algorithm Tessera verifies".to_owned(),
        ));
    }
    let jwks = RemoteJwks::from_jwks_url(jwks_uri.to_owned())
        .algorithms(algorithms.clone())
        .clock(Arc::clone(clock))
        .allow_loopback_http(http.allows_loopback_http())
        .build()
        .map_err(|err| ProviderError::Unavailable(err.to_string()))?;
    Ok(IdTokenVerifier::new(
        jwks,
        issuer.to_owned(),
        spellings,
        algorithms,
    ))
}

/// The `iss` values accepted from a provider: its issuer exactly, and for
/// Google's own issuer also the scheme-less `accounts.google.com` that
/// Google writes in some id_tokens (OpenID Connect Core §3.1.3.7) — never
/// for another issuer, even one configured as Google.
fn issuer_spellings(kind: ProviderKind, issuer: &str) -> Vec<String> {
    let mut spellings = vec![issuer.to_owned()];
    if kind == ProviderKind::Google && issuer == GOOGLE_ISSUER {
        spellings.push(GOOGLE_ISSUER_BARE.to_owned());
    }
    spellings
}

pub(super) fn unavailable(err: HttpError) -> ProviderError {
    ProviderError::Unavailable(err.to_string())
}

/// A 200 answer's JSON body as `T`; anything else is the provider failing.
pub(super) fn json_200<T: serde::de::DeserializeOwned>(
    answer: &HttpAnswer,
    what: &str,
) -> Result<T, ProviderError> {
    if answer.status != 200 {
        return Err(ProviderError::Unavailable(format!(
            "the {what} came with status {}",
            answer.status
        )));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|err| ProviderError::Unavailable(format!("unreadable {what}: {err}")))
}

fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn googles_second_issuer_spelling_is_accepted_only_for_google() {
        assert_eq!(
            issuer_spellings(ProviderKind::Google, GOOGLE_ISSUER),
            [GOOGLE_ISSUER, GOOGLE_ISSUER_BARE]
        );
        assert_eq!(
            issuer_spellings(ProviderKind::Google, "https://google.test.example"),
            ["https://google.test.example"]
        );
        assert_eq!(
            issuer_spellings(ProviderKind::Oidc, GOOGLE_ISSUER),
            [GOOGLE_ISSUER]
        );
    }
}
