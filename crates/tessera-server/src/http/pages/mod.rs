//! The sign-in portal: server-rendered pages for people (`/login`,
//! `/register`, `/account`, `POST /logout`, `/signed-out`, and `/admin` for
//! administrators), a client of the
//! same domain operations as the JSON API — never of the API over HTTP.
//!
//! # Template engine: askama
//!
//! The templates (`templates/pages/*.html` in this crate) are compiled into
//! the binary by askama's derive: a template that names a missing field or
//! has a syntax error fails the build, not a request, and rendering is plain
//! Rust with no template parsing at run time. Every `{{ value }}` in an
//! `.html` template is HTML-escaped; the only way out is an explicit `|safe`
//! filter, which these templates never use (`grep -r '|safe' templates`
//! must stay empty). maud escapes as well but puts the markup in Rust
//! macros; minijinja parses templates at run time. askama keeps the pages
//! as readable HTML files and still checks them at compile time.
//!
//! # What every page response carries
//!
//! A strict `Content-Security-Policy` (no script at all, styles only from
//! the one embedded stylesheet, `frame-ancestors 'none'`, `form-action`
//! limited to this server and the `TESSERA_RETURN_TO` origins, since a
//! browser applies it to the redirect after a sign-in) and a same-origin
//! opener policy ([`headers`]); beside them the headers of every response
//! (`nosniff`, `Referrer-Policy: no-referrer`, `Cache-Control: no-store`;
//! see [`crate::http::edge::response_headers`]).
//!
//! # Sessions and forms
//!
//! The pages sign in with the library's cookie mode: the access and refresh
//! tokens as HttpOnly cookies. A page load whose access token expired or was
//! revoked is renewed from the refresh cookie (a rotation, as
//! `/auth/refresh`), and a session that was ended is signed out there and
//! sent to `/login` ([`session`]); the [`gate`] extractors open every
//! signed-in page with that check. Every form carries a double-submit CSRF
//! token, and every POST is checked for `Sec-Fetch-Site`/`Origin` ([`csrf`]).
//! No page needs JavaScript: the one script ([`assets::PASSKEY_SCRIPT`],
//! served from here, never inline) only adds the passkey buttons, which
//! `navigator.credentials` needs.

pub mod account;
pub mod admin;
pub mod assets;
pub mod csrf;
pub mod destination;
pub mod form;
pub mod gate;
pub mod headers;
pub mod login;
pub mod login_code;
pub mod logout;
pub mod rate;
pub mod register;
pub mod session;
pub mod view;

use axum::Router;
use axum::routing::{get, post};

use super::state::AppState;

/// The portal's routes, each response with the page headers.
pub fn routes(state: &AppState) -> Router<AppState> {
    let page_headers = headers::PageHeaders::new(state);
    Router::new()
        .route("/login", get(login::show).post(login::submit))
        .route("/login/code", post(login_code::submit))
        .route("/register", get(register::show).post(register::submit))
        .route("/account", get(account::show))
        .route(
            "/account/sessions/end",
            post(account::sessions::end_session),
        )
        .route(
            "/account/sessions/end-others",
            post(account::sessions::end_others),
        )
        .route(
            "/account/password",
            post(account::password::change_password),
        )
        .route("/account/providers/link", post(account::providers::link))
        .route(
            "/account/providers/unlink",
            post(account::providers::unlink),
        )
        .route("/account/two-step/setup", post(account::two_step::setup))
        .route(
            "/account/two-step/confirm",
            post(account::two_step::confirm),
        )
        .route(
            "/account/two-step/disable",
            post(account::two_step::disable),
        )
        .route(
            "/account/two-step/recovery-codes",
            post(account::two_step::regenerate),
        )
        .route("/admin", get(admin::users::users))
        .route("/admin/log", get(admin::log::log))
        .route("/admin/people/{id}", get(admin::person::user))
        .route("/admin/people/{id}/roles", post(admin::actions::set_roles))
        .route("/admin/people/{id}/disable", post(admin::actions::disable))
        .route("/admin/people/{id}/enable", post(admin::actions::enable))
        .route("/admin/people/{id}/unlock", post(admin::actions::unlock))
        .route(
            "/admin/people/{id}/sessions/end",
            post(admin::actions::end_session),
        )
        .route("/logout", post(logout::submit))
        .route("/signed-out", get(logout::signed_out))
        .route(assets::STYLESHEET_PATH, get(assets::stylesheet))
        .route(assets::PASSKEY_SCRIPT_PATH, get(assets::passkey_script))
        .layer(axum::middleware::map_response(
            move |response: axum::response::Response| {
                let page_headers = page_headers.clone();
                async move { page_headers.apply(response) }
            },
        ))
}
