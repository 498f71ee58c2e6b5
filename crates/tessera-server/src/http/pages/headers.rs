//! The headers of every portal response beyond those of every response
//! ([`crate::http::edge::response_headers`]): a strict
//! Content-Security-Policy and a same-origin opener policy.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

use crate::http::state::AppState;

/// The headers, built once from the configuration.
#[derive(Debug, Clone)]
pub struct PageHeaders {
    csp: HeaderValue,
}

impl PageHeaders {
    /// The policy for this server: styles only from here, images from here
    /// and `data:` URIs (the QR code of two-step sign-in's set-up), no
    /// framing, no `<base>`, and forms only to here and to the
    /// `TESSERA_RETURN_TO` origins (the sign-in form's redirect goes
    /// there). No script at all (`default-src 'none'` and no `script-src`),
    /// unless passkeys are offered: then the one script embedded in the
    /// binary, served from here (`script-src 'self'`, never inline), and
    /// its calls to this server's API (`connect-src 'self'`).
    pub fn new(state: &AppState) -> Self {
        let policy = content_security_policy(
            &state.social.return_to.origins(),
            super::assets::scripts_offered(state),
        );
        let csp = HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static(FALLBACK_POLICY));
        PageHeaders { csp }
    }

    /// Sets the headers on `response`.
    pub fn apply(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        headers.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        response
    }
}

/// The policy when the configured origins cannot be put in a header (they
/// always can: each was read as a URL): forms to this server only.
const FALLBACK_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy text, with `origins` added to `form-action` and, when
/// `scripts`, this server's own script files and API allowed. An origin
/// with anything but URL-authority characters is left out (it could end
/// the directive).
pub fn content_security_policy(origins: &[&str], scripts: bool) -> String {
    let mut form_action = String::from("'self'");
    for origin in origins {
        let plain = origin
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.' | '-' | '[' | ']'));
        if plain {
            form_action.push(' ');
            form_action.push_str(origin);
        }
    }
    let scripts = if scripts {
        "script-src 'self'; connect-src 'self'; "
    } else {
        ""
    };
    format!(
        "default-src 'none'; {scripts}style-src 'self'; img-src 'self' data:; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn form_action_lists_the_allowed_origins_and_nothing_odd() {
        let policy = content_security_policy(
            &[
                "https://app.example.com:443",
                "https://x.example; script-src *",
            ],
            false,
        );
        assert!(policy.contains("form-action 'self' https://app.example.com:443;"));
        assert!(!policy.contains("script-src"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn scripts_come_only_from_this_server_and_never_inline() {
        let policy = content_security_policy(&[], true);
        assert!(policy.contains("script-src 'self'; connect-src 'self';"));
        assert!(!policy.contains("unsafe"));
        assert!(policy.starts_with("default-src 'none';"));
    }
}
