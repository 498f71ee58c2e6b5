//! Where a sign-in sends the browser: the requested `rd` / `return_to`
//! when it is a path on this server (a gated page sends a signed-out
//! browser to `/login?rd=/admin/log?...`) or the `TESSERA_RETURN_TO`
//! allowlist allows it (the same rules as social sign-in's `return_to`:
//! absolute http(s) URLs of the listed origins or prefixes), else the
//! account page. `javascript:`, `//host`, `/\host`, dot segments and
//! encoded tricks never pass.

use serde::Deserialize;

use crate::http::state::AppState;

/// Where a signed-in person lands by default.
pub const ACCOUNT: &str = "/account";

/// `?rd=` (forward-auth proxies' spelling) or `?return_to=`.
#[derive(Debug, Default, Deserialize)]
pub struct ReturnQuery {
    /// The URL to go back to.
    #[serde(default)]
    pub rd: Option<String>,
    /// The same, in social sign-in's spelling.
    #[serde(default)]
    pub return_to: Option<String>,
}

impl ReturnQuery {
    /// Reads a page's query string; one that cannot be read asks for nothing.
    pub fn from_raw(raw: Option<&str>) -> Self {
        raw.and_then(|raw| serde_urlencoded::from_str(raw).ok())
            .unwrap_or_default()
    }

    /// The requested URL, if it is allowed; anything else is dropped here,
    /// so it is never echoed into a page.
    pub fn allowed(self, state: &AppState) -> Option<String> {
        allowed(state, self.rd.or(self.return_to))
    }
}

/// `url` if it is a path on this server or the allowlist allows it.
pub fn allowed(state: &AppState, url: Option<String>) -> Option<String> {
    url.filter(|url| is_local_path(url) || state.social.return_to.allows(url))
}

/// Whether `url` is a path (and query) on this server: it starts with one
/// `/` (`//host` and `/\host` name another host to a browser), has no
/// scheme, fragment, backslash, whitespace or control character, no dot
/// segment and no encoded dot, slash or backslash.
pub fn is_local_path(url: &str) -> bool {
    if url.len() > 2048
        || !url.starts_with('/')
        || url.starts_with("//")
        || url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '\\' | '#'))
    {
        return false;
    }
    let path = url.split('?').next().unwrap_or("");
    let lowered = path.to_ascii_lowercase();
    let tricky = path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
        || ["%2e", "%2f", "%5c"]
            .iter()
            .any(|code| lowered.contains(code));
    !tricky
        && url
            .parse::<axum::http::Uri>()
            .is_ok_and(|uri| uri.scheme().is_none())
}

/// Where to send the browser after a sign-in that asked for `requested`.
pub fn after_sign_in(state: &AppState, requested: Option<String>) -> String {
    allowed(state, requested).unwrap_or_else(|| ACCOUNT.to_owned())
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_plain_paths_on_this_server_are_local() {
        for good in [
            "/admin",
            "/admin/log?user_id=a&kind=login",
            "/admin/people/x%20y",
            "/",
        ] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in [
            "",
            "admin",
            "//evil.example/",
            "/\\evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "/admin/../account",
            "/admin/%2e%2e/x",
            "/%2fevil.example",
            "/%5cevil.example",
            "/admin#x",
            "/admin\tx",
            "/a b",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }
}
