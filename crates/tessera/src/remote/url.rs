//! Which URLs keys may be fetched from: https, or plain http to a loopback
//! address when explicitly allowed (tests, local development).

use std::net::IpAddr;

use http::Uri;

use super::error::FetchError;

/// A URL checked against the https-only rule, ready to request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    uri: Uri,
}

impl Endpoint {
    /// Parses `url` and applies the rule. Every URL is checked, including a
    /// `jwks_uri` read from a discovery document, so a document cannot point
    /// the verifier at plain http elsewhere.
    pub(crate) fn parse(url: &str, allow_loopback_http: bool) -> Result<Endpoint, FetchError> {
        let invalid = || FetchError::InvalidUrl(shown(url));
        let uri: Uri = url.parse().map_err(|_| invalid())?;
        let authority = uri.authority().ok_or_else(invalid)?;
        // Credentials in a URL would be sent to whoever answers; none are needed.
        if authority.as_str().contains('@') || uri.host().is_none_or(str::is_empty) {
            return Err(invalid());
        }
        match uri.scheme_str() {
            Some("https") => Ok(Endpoint { uri }),
            Some("http") if allow_loopback_http && is_loopback(uri.host().unwrap_or_default()) => {
                Ok(Endpoint { uri })
            }
            Some("http") => Err(FetchError::InsecureUrl(shown(url))),
            _ => Err(invalid()),
        }
    }

    /// The URL to request.
    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The URL as text, for errors and logs.
    pub(crate) fn as_str(&self) -> String {
        self.uri.to_string()
    }
}

/// `localhost`, 127.0.0.0/8 or `::1`. Other names are not resolved here: a
/// name that resolves to a loopback address today may not tomorrow.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A URL as echoed in an error: without its query or fragment (a caller
/// may carry a token there) and bounded, so a hostile document cannot make
/// error messages arbitrarily long.
pub(crate) fn shown(url: &str) -> String {
    const MAX: usize = 200;
    let url = url.split(['?', '#']).next().unwrap_or_default();
    match url.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &url[..end]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_always_accepted() {
        assert!(Endpoint::parse("https://issuer.example/jwks", false).is_ok());
    }

    #[test]
    fn http_needs_loopback_and_permission() {
        for url in [
            "http://127.0.0.1:8080/jwks",
            "http://127.9.9.9/jwks",
            "http://[::1]:3000/jwks",
            "http://localhost/jwks",
        ] {
            assert!(Endpoint::parse(url, true).is_ok(), "{url}");
            assert!(
                matches!(Endpoint::parse(url, false), Err(FetchError::InsecureUrl(_))),
                "{url}"
            );
        }
        for url in [
            "http://issuer.example/jwks",
            "http://10.0.0.1/jwks",
            "http://localhost.evil.example/jwks",
            "http://[::2]/jwks",
        ] {
            assert!(
                matches!(Endpoint::parse(url, true), Err(FetchError::InsecureUrl(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn urls_in_errors_leave_their_query_out() {
        assert_eq!(
            shown("https://graph.example/debug_token?input_token=secret#frag"),
            "https://graph.example/debug_token"
        );
    }

    #[test]
    fn other_schemes_userinfo_and_relative_urls_are_refused() {
        for url in [
            "ftp://issuer.example/jwks",
            "/jwks",
            "https://user:pw@issuer.example/jwks",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(Endpoint::parse(url, true), Err(FetchError::InvalidUrl(_))),
                "{url}"
            );
        }
    }
}
