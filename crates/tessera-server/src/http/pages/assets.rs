//! The portal's one stylesheet and, with passkeys, its one script, both
//! embedded in the binary.

use axum::http::header;
use axum::response::IntoResponse;

use crate::http::state::AppState;

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/static/portal.css";

/// The stylesheet: light and dark by `prefers-color-scheme`, colours at
/// WCAG AA contrast or better, one column that fits a phone.
pub const STYLESHEET: &str = include_str!("portal.css");

/// `GET /static/portal.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
}

/// Where the passkey script is served.
pub const PASSKEY_SCRIPT_PATH: &str = "/static/passkeys.js";

/// The passkey script: "Sign in with a passkey" on `/login` and "Add a
/// passkey" on `/account` (`navigator.credentials` has no HTML form, so
/// passkeys are the one thing in the portal that needs a script). The
/// pages work without it; the buttons stay hidden.
pub const PASSKEY_SCRIPT: &str = include_str!("passkeys.js");

/// `GET /static/passkeys.js`.
pub async fn passkey_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        PASSKEY_SCRIPT,
    )
}

/// Whether the pages offer passkeys (and so load the script).
pub fn scripts_offered(state: &AppState) -> bool {
    #[cfg(feature = "passkeys")]
    {
        state.passkeys.is_some()
    }
    #[cfg(not(feature = "passkeys"))]
    {
        let _ = state;
        false
    }
}
