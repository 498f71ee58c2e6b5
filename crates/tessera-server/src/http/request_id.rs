//! `X-Request-Id`: which incoming ids are kept, and the header's name.
//!
//! tower-http's [`SetRequestIdLayer`](tower_http::request_id::SetRequestIdLayer)
//! keeps any id a request already carries and makes a UUID v4 for the rest;
//! [`PropagateRequestIdLayer`](tower_http::request_id::PropagateRequestIdLayer)
//! copies it onto the response. In front of them, [`screen`] removes the
//! ids that must not be kept, so they are replaced:
//!
//! - every incoming id unless `TESSERA_TRUST_FORWARDED` is on: a client
//!   that is not our proxy does not get to name its requests in our logs;
//! - even from a trusted proxy, an id that is not 1–128 characters of
//!   visible ASCII, or that comes in more than one header (which one would
//!   count?). It is replaced, never refused: a bad id is no reason to fail
//!   the request it came with.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};

/// `x-request-id`.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming id kept, in bytes. A UUID is 36; proxies' own ids
/// (nginx `$request_id`, 32 hex digits) are shorter still.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether an incoming id may be kept: 1 to [`MAX_REQUEST_ID_LEN`] bytes,
/// each visible ASCII (`!` to `~`: no spaces, controls or non-ASCII bytes,
/// so it cannot break a log line or a header).
pub fn acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID_LEN
        && bytes.iter().all(|byte| byte.is_ascii_graphic())
}

/// Removes the request's `X-Request-Id` unless `trusted` (the server's
/// `TESSERA_TRUST_FORWARDED`) and [`acceptable`], so that the id layer
/// behind it makes a fresh one.
pub async fn screen(State(trusted): State<bool>, mut request: Request) -> Request {
    let headers = request.headers_mut();
    let mut ids = headers.get_all(&X_REQUEST_ID).iter();
    let keep = match (ids.next(), ids.next()) {
        (None, _) => return request,
        (Some(id), None) => trusted && acceptable(id),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        headers.remove(&X_REQUEST_ID);
    }
    request
}
