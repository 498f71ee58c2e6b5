//! Which provider URLs the server talks to: `https`, or plain `http` to a
//! loopback address when explicitly allowed (tests, local development) —
//! the same rule as the library's `RemoteJwks`.

use std::net::IpAddr;

use axum::http::Uri;

/// `Ok` when `url` may be requested; else what is wrong, in one line.
pub(crate) fn check(url: &str, allow_loopback_http: bool) -> Result<Uri, String> {
    let invalid = || format!("{} is not an absolute http(s) URL", shown(url));
    let uri: Uri = url.parse().map_err(|_| invalid())?;
    let authority = uri.authority().ok_or_else(invalid)?;
    // Credentials in a URL would be sent to whoever answers.
    if authority.as_str().contains('@') || uri.host().is_none_or(str::is_empty) {
        return Err(invalid());
    }
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if allow_loopback_http && is_loopback(uri.host().unwrap_or_default()) => {
            Ok(uri)
        }
        Some("http") => Err(format!(
            "{} must be https (plain http only to a loopback address, with TESSERA_OIDC_ALLOW_LOOPBACK_HTTP=true, for development)",
            shown(url)
        )),
        _ => Err(invalid()),
    }
}

/// `localhost`, 127.0.0.0/8 or `::1` (names are not resolved).
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A URL as echoed in an error: without its query (Graph calls carry a
/// user's access token there) and bounded.
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
    use super::check;

    #[test]
    fn https_always_http_only_to_loopback_when_allowed() {
        assert!(check("https://id.example/x", false).is_ok());
        assert!(check("http://127.0.0.1:3000", true).is_ok());
        assert!(check("http://localhost", true).is_ok());
        assert!(check("http://127.0.0.1:3000", false).is_err());
        assert!(check("http://id.example", true).is_err());
        assert!(check("https://user:pw@id.example", true).is_err());
        assert!(check("ftp://id.example", true).is_err());
        assert!(check("/relative", true).is_err());
    }

    #[test]
    fn urls_in_errors_leave_their_query_out() {
        assert_eq!(
            super::shown("https://graph.example/debug_token?input_token=secret"),
            "https://graph.example/debug_token"
        );
    }
}
