//! The portal's one stylesheet, embedded in the binary.

use axum::http::header;
use axum::response::IntoResponse;

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
