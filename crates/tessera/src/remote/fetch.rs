//! The HTTPS client: bounded in time and size, never following redirects,
//! only to URLs that pass the https rule of [`url`](super::url). Used for
//! key fetches, and public so that an application (such as the Tessera
//! server talking to OAuth providers) needs no second HTTP/TLS stack.

use std::time::Duration;

use http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue,
    USER_AGENT,
};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::error::FetchError;
use super::url::{Endpoint, shown};

/// The limits of each request made by an [`HttpsClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpsLimits {
    /// Connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Total timeout: connect, request and body (default 10 s).
    pub timeout: Duration,
    /// Largest body read, enforced while reading (default 256 KiB).
    pub max_body_bytes: usize,
}

impl Default for HttpsLimits {
    fn default() -> Self {
        HttpsLimits {
            connect_timeout: super::DEFAULT_CONNECT_TIMEOUT,
            timeout: super::DEFAULT_TIMEOUT,
            max_body_bytes: super::DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// An answer, read whole (within the cap). Any status is an answer: the
/// caller decides what it accepts; a redirect is returned, never followed.
#[derive(Debug)]
#[non_exhaustive]
pub struct HttpsResponse {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, at most [`HttpsLimits::max_body_bytes`].
    pub body: Vec<u8>,
}

/// What a successful key fetch returned.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The body, at most the cap.
    pub(crate) body: Vec<u8>,
    /// The `Cache-Control` header, when present and readable.
    pub(crate) cache_control: Option<String>,
}

/// An HTTPS client on rustls with the aws-lc-rs provider and the Mozilla
/// root store; cheap to clone.
///
/// Every URL must be `https`, or plain `http` to `localhost`, 127.0.0.0/8 or
/// `::1` when `allow_loopback_http` is set (tests, local development); URLs
/// with credentials are refused. Redirects are never followed. URLs in
/// errors leave their query string out (it may carry a token) and are
/// bounded in length.
#[derive(Clone)]
pub struct HttpsClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    limits: HttpsLimits,
    allow_loopback_http: bool,
}

impl std::fmt::Debug for HttpsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsClient")
            .field("limits", &self.limits)
            .field("allow_loopback_http", &self.allow_loopback_http)
            .finish_non_exhaustive()
    }
}

impl HttpsClient {
    /// A client with these limits. The aws-lc-rs provider is named
    /// explicitly, so no process-wide default is consulted.
    pub fn new(limits: HttpsLimits, allow_loopback_http: bool) -> Result<Self, FetchError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(limits.connect_timeout));
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|err| FetchError::Connect {
                url: String::new(),
                reason: format!("TLS setup failed: {err}"),
            })?
            // Plain http only ever reaches here for loopback URLs that
            // `Endpoint::parse` let through.
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(HttpsClient {
            client: Client::builder(TokioExecutor::new()).build(https),
            limits,
            allow_loopback_http,
        })
    }

    /// Whether plain http to loopback addresses is allowed.
    pub fn allows_loopback_http(&self) -> bool {
        self.allow_loopback_http
    }

    /// GETs `url` (asking for JSON) with these extra headers.
    pub async fn get(
        &self,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<HttpsResponse, FetchError> {
        let endpoint = Endpoint::parse(url, self.allow_loopback_http)?;
        self.send(
            Method::GET,
            endpoint.uri(),
            &shown(url),
            headers,
            None,
            false,
        )
        .await
    }

    /// POSTs `body`, already `application/x-www-form-urlencoded`, to `url`
    /// with these extra headers.
    pub async fn post_form(
        &self,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: String,
    ) -> Result<HttpsResponse, FetchError> {
        let endpoint = Endpoint::parse(url, self.allow_loopback_http)?;
        self.send(
            Method::POST,
            endpoint.uri(),
            &shown(url),
            headers,
            Some(body),
            false,
        )
        .await
    }

    /// GETs a key set or discovery document. Only `200` is a success; a
    /// redirect is an error rather than followed, since its target could be
    /// plain http or anywhere else. Another status is refused before its
    /// body is read.
    pub(crate) async fn fetch(&self, endpoint: &Endpoint) -> Result<Fetched, FetchError> {
        let url = shown(&endpoint.as_str());
        let response = self
            .send(Method::GET, endpoint.uri(), &url, &[], None, true)
            .await?;
        let cache_control = response
            .headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(Fetched {
            body: response.body,
            cache_control: (!cache_control.is_empty()).then_some(cache_control),
        })
    }

    async fn send(
        &self,
        method: Method,
        uri: &Uri,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
        form: Option<String>,
        only_ok: bool,
    ) -> Result<HttpsResponse, FetchError> {
        let mut request = Request::builder()
            .method(method)
            .uri(uri.clone())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("tessera/", env!("CARGO_PKG_VERSION")));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if form.is_some() {
            request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request
            .body(Full::new(Bytes::from(form.unwrap_or_default())))
            .map_err(|err| FetchError::Connect {
                url: url.to_owned(),
                reason: err.to_string(),
            })?;
        match tokio::time::timeout(self.limits.timeout, self.exchange(request, url, only_ok)).await
        {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(url.to_owned())),
        }
    }

    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
        url: &str,
        only_ok: bool,
    ) -> Result<HttpsResponse, FetchError> {
        let connect = |reason: String| FetchError::Connect {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| connect(chain(&err)))?;
        let status = response.status();
        if only_ok && status.is_redirection() {
            return Err(FetchError::Redirect {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        if only_ok && status != StatusCode::OK {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        let max = self.limits.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.to_owned(),
            max,
        };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > max as u64) {
            return Err(too_large());
        }
        let (parts, mut body) = response.into_parts();
        // Read frame by frame and stop at the cap: a body without (or lying
        // about) its length must not be buffered whole first.
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|err| connect(chain(&err)))?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > max {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(HttpsResponse {
            status: status.as_u16(),
            headers: parts.headers,
            body: bytes,
        })
    }
}

/// An error and its causes on one line: hyper's top-level messages
/// ("client error (Connect)") say little without them.
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
