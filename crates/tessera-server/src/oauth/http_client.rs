//! The HTTPS client for calls to providers (discovery, token endpoint,
//! userinfo): rustls on aws-lc-rs with the webpki roots, like the library's
//! `RemoteJwks`; bounded in time (connect 5 s, total 10 s) and size
//! (256 KiB), never following redirects, and only to URLs that pass
//! [`url_rule`](super::url_rule).

use std::time::Duration;

use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::url_rule;

/// Connect timeout of each call.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Total timeout of each call (connect, request and body).
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why a call to a provider failed (all of them: the provider is
/// unavailable, as far as the client of Tessera is concerned).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The URL breaks the https rule.
    #[error("refused URL: {0}")]
    Url(String),
    /// Could not connect, or the connection broke.
    #[error("request to {url} failed: {reason}")]
    Connect {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The timeout passed.
    #[error("request to {0} timed out")]
    Timeout(String),
    /// The answer passed the size cap.
    #[error("{0} sent more than {MAX_BODY_BYTES} bytes")]
    TooLarge(String),
}

/// A provider's answer, read whole.
#[derive(Debug)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The body (at most [`MAX_BODY_BYTES`]).
    pub body: Vec<u8>,
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Nothing.
    None,
    /// `Authorization: Bearer …` (userinfo).
    Bearer(&'a str),
    /// `Authorization: Basic …` of an already-encoded header value.
    Basic(&'a str),
}

/// The client; cheap to clone.
#[derive(Clone)]
pub struct ProviderHttp {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    allow_loopback_http: bool,
}

impl std::fmt::Debug for ProviderHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderHttp")
            .field("allow_loopback_http", &self.allow_loopback_http)
            .finish_non_exhaustive()
    }
}

impl ProviderHttp {
    /// A client; `allow_loopback_http` is for tests and development only.
    pub fn new(allow_loopback_http: bool) -> Result<Self, HttpError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|err| HttpError::Connect {
                url: String::new(),
                reason: format!("TLS setup failed: {err}"),
            })?
            // Plain http only ever reaches here for loopback URLs that
            // `url_rule::check` let through.
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(ProviderHttp {
            client: Client::builder(TokioExecutor::new()).build(https),
            allow_loopback_http,
        })
    }

    /// Whether plain http to loopback is allowed.
    pub fn allows_loopback_http(&self) -> bool {
        self.allow_loopback_http
    }

    /// GET `url`, asking for JSON.
    pub async fn get(&self, url: &str, auth: Auth<'_>) -> Result<HttpAnswer, HttpError> {
        self.send(Method::GET, url, auth, None).await
    }

    /// POST `fields` as a form to `url`.
    pub async fn post_form(
        &self,
        url: &str,
        auth: Auth<'_>,
        fields: &[(&str, &str)],
    ) -> Result<HttpAnswer, HttpError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(Method::POST, url, auth, Some(body)).await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        auth: Auth<'_>,
        form: Option<String>,
    ) -> Result<HttpAnswer, HttpError> {
        let uri = url_rule::check(url, self.allow_loopback_http).map_err(HttpError::Url)?;
        let shown = url_rule::shown(url);
        let connect = |reason: String| HttpError::Connect {
            url: shown.clone(),
            reason,
        };
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("tessera/", env!("CARGO_PKG_VERSION")));
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                let value = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| connect("unusable access token".to_owned()))?;
                request = request.header(AUTHORIZATION, value);
            }
            Auth::Basic(credentials) => {
                let value = HeaderValue::from_str(&format!("Basic {credentials}"))
                    .map_err(|_| connect("unusable credentials".to_owned()))?;
                request = request.header(AUTHORIZATION, value);
            }
        }
        if form.is_some() {
            request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request
            .body(Full::new(Bytes::from(form.unwrap_or_default())))
            .map_err(|err| connect(err.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| connect(chain(&err)))?;
            let status = response.status().as_u16();
            let declared = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
                return Err(HttpError::TooLarge(shown.clone()));
            }
            // Frame by frame, stopping at the cap.
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|err| connect(chain(&err)))?;
                if let Ok(data) = frame.into_data() {
                    if bytes.len() + data.len() > MAX_BODY_BYTES {
                        return Err(HttpError::TooLarge(shown.clone()));
                    }
                    bytes.extend_from_slice(&data);
                }
            }
            Ok(HttpAnswer {
                status,
                body: bytes,
            })
        };
        match tokio::time::timeout(TOTAL_TIMEOUT, exchange).await {
            Ok(result) => result,
            Err(_) => Err(HttpError::Timeout(shown.clone())),
        }
    }
}

/// An error and its causes on one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
