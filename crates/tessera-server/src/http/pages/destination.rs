//! Where a sign-in sends the browser: the requested `rd` / `return_to`
//! when the `TESSERA_RETURN_TO` allowlist allows it (the same rules as
//! social sign-in's `return_to`: absolute http(s) URLs of the listed
//! origins or prefixes; `javascript:`, `//host`, relative paths, dot
//! segments and encoded tricks never pass), else the account page.

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

/// `url` if the allowlist allows it.
pub fn allowed(state: &AppState, url: Option<String>) -> Option<String> {
    url.filter(|url| state.social.return_to.allows(url))
}

/// Where to send the browser after a sign-in that asked for `requested`.
pub fn after_sign_in(state: &AppState, requested: Option<String>) -> String {
    allowed(state, requested).unwrap_or_else(|| ACCOUNT.to_owned())
}
