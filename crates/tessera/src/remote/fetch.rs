//! One GET over HTTPS, bounded in time and size, never following redirects.

use std::time::Duration;

use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, USER_AGENT};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::error::FetchError;
use super::url::Endpoint;

/// What a successful GET returned.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The body, at most the cap.
    pub(crate) body: Vec<u8>,
    /// The `Cache-Control` header, when present and readable.
    pub(crate) cache_control: Option<String>,
}

/// An HTTPS client with the limits of a key fetch.
#[derive(Clone)]
pub(crate) struct HttpFetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    timeout: Duration,
    max_body_bytes: usize,
}

impl std::fmt::Debug for HttpFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFetcher")
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl HttpFetcher {
    /// A client on rustls with the aws-lc-rs provider (named explicitly, so
    /// no process-wide default is consulted) and the Mozilla root store.
    /// Plain http is possible at this layer only because [`Endpoint`] has
    /// already decided it is a permitted loopback URL.
    pub(crate) fn new(
        connect_timeout: Duration,
        timeout: Duration,
        max_body_bytes: usize,
    ) -> Result<HttpFetcher, FetchError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|err| FetchError::Connect {
                url: String::new(),
                reason: format!("TLS setup failed: {err}"),
            })?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(HttpFetcher {
            client: Client::builder(TokioExecutor::new()).build(https),
            timeout,
            max_body_bytes,
        })
    }

    /// GETs `endpoint` within the total timeout. Only `200` is a success; a
    /// redirect is an error rather than followed, since its target could be
    /// plain http or anywhere else.
    pub(crate) async fn get(&self, endpoint: &Endpoint) -> Result<Fetched, FetchError> {
        let url = endpoint.as_str();
        match tokio::time::timeout(self.timeout, self.get_within(endpoint, &url)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(url)),
        }
    }

    async fn get_within(&self, endpoint: &Endpoint, url: &str) -> Result<Fetched, FetchError> {
        let connect = |reason: String| FetchError::Connect {
            url: url.to_owned(),
            reason,
        };
        let request = Request::get(endpoint.uri().clone())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("tessera/", env!("CARGO_PKG_VERSION")))
            .body(Empty::new())
            .map_err(|err| connect(err.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| connect(chain(&err)))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::Redirect {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        if status != StatusCode::OK {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_owned(),
            max: self.max_body_bytes,
        };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.max_body_bytes as u64) {
            return Err(too_large());
        }
        let cache_control = response
            .headers()
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        // Read frame by frame and stop at the cap: a body without (or lying
        // about) its length must not be buffered whole first.
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|err| connect(chain(&err)))?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > self.max_body_bytes {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(Fetched {
            body: bytes,
            cache_control: (!cache_control.is_empty()).then_some(cache_control),
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
