//! Calls to providers (discovery, token endpoint, userinfo, Graph) through
//! the library's [`HttpsClient`], the one `RemoteJwks` uses: rustls on
//! aws-lc-rs with the webpki roots; bounded in time (connect 5 s, total
//! 10 s) and size (256 KiB), never following redirects, and only to URLs
//! that pass `url_rule`.

use std::time::Duration;

use axum::http::HeaderValue;
use axum::http::header::AUTHORIZATION;
use tessera::remote::{FetchError, HttpsClient, HttpsLimits, HttpsResponse};

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
#[derive(Debug, Clone)]
pub struct ProviderHttp {
    client: HttpsClient,
}

impl ProviderHttp {
    /// A client; `allow_loopback_http` is for tests and development only.
    pub fn new(allow_loopback_http: bool) -> Result<Self, HttpError> {
        let limits = HttpsLimits {
            connect_timeout: CONNECT_TIMEOUT,
            timeout: TOTAL_TIMEOUT,
            max_body_bytes: MAX_BODY_BYTES,
        };
        let client = HttpsClient::new(limits, allow_loopback_http).map_err(HttpError::from)?;
        Ok(ProviderHttp { client })
    }

    /// Whether plain http to loopback is allowed.
    pub fn allows_loopback_http(&self) -> bool {
        self.client.allows_loopback_http()
    }

    /// GET `url`, asking for JSON.
    pub async fn get(&self, url: &str, auth: Auth<'_>) -> Result<HttpAnswer, HttpError> {
        let headers = self.headers(url, auth)?;
        let response = self.client.get(url, &headers).await?;
        Ok(answer(response))
    }

    /// POST `fields` as a form to `url`.
    pub async fn post_form(
        &self,
        url: &str,
        auth: Auth<'_>,
        fields: &[(&str, &str)],
    ) -> Result<HttpAnswer, HttpError> {
        let headers = self.headers(url, auth)?;
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self.client.post_form(url, &headers, body).await?;
        Ok(answer(response))
    }

    /// Checks `url` (for the server's wording of a refused URL, which names
    /// the setting to change; the library checks again by the same rule)
    /// and builds the `Authorization` header, if any.
    fn headers(
        &self,
        url: &str,
        auth: Auth<'_>,
    ) -> Result<Vec<(axum::http::HeaderName, HeaderValue)>, HttpError> {
        url_rule::check(url, self.allows_loopback_http()).map_err(HttpError::Url)?;
        let unusable = |what: &str| HttpError::Connect {
            url: url_rule::shown(url),
            reason: format!("unusable {what}"),
        };
        let value = match auth {
            Auth::None => return Ok(Vec::new()),
            Auth::Bearer(token) => HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| unusable("access token"))?,
            Auth::Basic(credentials) => HeaderValue::from_str(&format!("Basic {credentials}"))
                .map_err(|_| unusable("credentials"))?,
        };
        Ok(vec![(AUTHORIZATION, value)])
    }
}

fn answer(response: HttpsResponse) -> HttpAnswer {
    HttpAnswer {
        status: response.status,
        body: response.body,
    }
}

/// The library's errors in the server's terms. Its URLs in errors already
/// leave the query string out, like `url_rule::shown`.
impl From<FetchError> for HttpError {
    fn from(err: FetchError) -> Self {
        match err {
            FetchError::InvalidUrl(_) | FetchError::InsecureUrl(_) => {
                HttpError::Url(err.to_string())
            }
            FetchError::Connect { url, reason } => HttpError::Connect { url, reason },
            FetchError::Timeout(url) => HttpError::Timeout(url),
            FetchError::TooLarge { url, .. } => HttpError::TooLarge(url),
            // Not produced by `get`/`post_form` (which hand back every
            // status); kept as a connection failure should that change.
            other => HttpError::Connect {
                url: String::new(),
                reason: other.to_string(),
            },
        }
    }
}
