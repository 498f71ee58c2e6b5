//! `GET /auth/verify?redirect=1`: for proxies that pass the auth answer
//! through to the browser (Traefik `forwardAuth`, Caddy `forward_auth`), a
//! browser without a valid token is sent to the sign-in page instead of
//! seeing a bare 401, and comes back where it was going after signing in.
//!
//! The redirect is given only when all of these hold, and the 401 stands
//! otherwise:
//! - the request accepts `text/html` by name (`Accept: */*`, as curl and
//!   most API clients send it, is not a browser);
//! - the guarded request is a `GET` or `HEAD` by every method header the
//!   proxy sent (a form post cannot be replayed after a sign-in);
//! - the original URL, rebuilt from exactly one `X-Forwarded-Proto`
//!   (`http` or `https`), one `X-Forwarded-Host` and one `X-Forwarded-Uri`
//!   (an absolute path), is on the `TESSERA_RETURN_TO` allowlist — the same
//!   check the login page makes on `rd`, so a forged header can never turn
//!   the server into an open redirect.
//!
//! The `Location` is absolute (`TESSERA_PUBLIC_URL` + `/login?rd=…`): the
//! proxy relays it to a browser that is on the app's origin, not on ours.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::AppState;

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");
const X_FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
const X_ORIGINAL_METHOD: HeaderName = HeaderName::from_static("x-original-method");

/// Whether the query asks for the browser redirect (`redirect=1`).
pub fn asked(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes())
            .any(|(name, value)| name == "redirect" && matches!(value.as_ref(), "1" | "true"))
    })
}

/// The 302 to the sign-in page for this browser request, or `None` when
/// the request is not a browser's page load of an allowed URL.
pub fn to_login(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    if !accepts_html(headers) || !guards_a_page_load(headers) {
        return None;
    }
    let original = original_url(headers)?;
    if !state.social.return_to.allows(&original) {
        return None;
    }
    let location = format!(
        "{}/login?{}",
        state.social.public_url,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("rd", &original)
            .finish()
    );
    let location = HeaderValue::from_str(&location).ok()?;
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    Some(response)
}

/// Whether any `Accept` value names `text/html` (not through `*/*`).
fn accepts_html(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value.split(',').any(|range| {
                range
                    .split(';')
                    .next()
                    .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/html"))
            })
        })
    })
}

/// Whether every method header present names `GET` or `HEAD` (none
/// present counts as a page load: nginx without `X-Original-Method`).
fn guards_a_page_load(headers: &HeaderMap) -> bool {
    [X_ORIGINAL_METHOD, X_FORWARDED_METHOD]
        .iter()
        .flat_map(|name| headers.get_all(name))
        .all(|value| {
            matches!(
                Method::from_bytes(value.as_bytes()),
                Ok(Method::GET | Method::HEAD)
            )
        })
}

/// The one value of `name`; `None` when absent, repeated, empty or not
/// text.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?.to_str().ok()?.trim();
    (values.next().is_none() && !value.is_empty()).then_some(value)
}

/// `proto://host/uri` from the forwarded headers, each checked for shape;
/// whether it may be returned to is the allowlist's question.
fn original_url(headers: &HeaderMap) -> Option<String> {
    let proto = single(headers, &X_FORWARDED_PROTO)?.to_ascii_lowercase();
    if proto != "http" && proto != "https" {
        return None;
    }
    // A comma-separated proto or host is a proxy chain's list, which this
    // server cannot tell apart: no redirect.
    let host = single(headers, &X_FORWARDED_HOST)?;
    if host.contains([',', '/', '@', '\\', '?', '#'])
        || host.parse::<axum::http::uri::Authority>().is_err()
    {
        return None;
    }
    let uri = single(headers, &X_FORWARDED_URI)?;
    if !uri.starts_with('/') {
        return None;
    }
    Some(format!("{proto}://{host}{uri}"))
}
