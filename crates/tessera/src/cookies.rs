//! Setting and clearing the token cookies (and their CSRF companions) on
//! axum-extra's [`CookieJar`].
//!
//! Cookies are emitted with the configured attributes: the token cookie is
//! always `HttpOnly`; the CSRF cookie is readable by scripts (that is its
//! purpose) and is set only when CSRF protection and `JWT_CSRF_IN_COOKIES`
//! are on. Both get `Path`, `Domain`, `Secure` and `SameSite` as configured
//! (defaults: `Path=/`, no domain, `Secure`, `SameSite=Lax`). Session cookies
//! (the default) have no `Max-Age`; otherwise `Max-Age` and `Expires` follow
//! the token's own expiry.
//!
//! ```
//! use axum_extra::extract::cookie::CookieJar;
//! use tessera::{JwtManager, TokenError};
//!
//! async fn login(manager: JwtManager, jar: CookieJar) -> Result<CookieJar, TokenError> {
//!     let access = manager.create_access_token("alice").map_err(|_| TokenError::InvalidSignature)?;
//!     manager.set_access_cookies(jar, &access)
//! }
//! ```

use axum_extra::extract::cookie::{Cookie, CookieJar};
use cookie::time::{Duration, OffsetDateTime};

use crate::claims::{Claims, ExtraClaims, TokenType};
use crate::error::TokenError;
use crate::manager::JwtManager;

/// `Max-Age` for a non-session cookie whose token never expires (Flask-JWT-Extended's value).
const NON_EXPIRING_MAX_AGE: i64 = 31_540_000;

impl JwtManager {
    /// Adds the access-token cookie and, with CSRF in cookies, the
    /// `csrf_access_token` cookie. The token is verified (expiry aside) to
    /// read its `csrf` claim.
    pub fn set_access_cookies(&self, jar: CookieJar, token: &str) -> Result<CookieJar, TokenError> {
        self.set_cookies(jar, TokenType::Access, token)
    }

    /// Adds the refresh-token cookie and, with CSRF in cookies, the
    /// `csrf_refresh_token` cookie.
    pub fn set_refresh_cookies(
        &self,
        jar: CookieJar,
        token: &str,
    ) -> Result<CookieJar, TokenError> {
        self.set_cookies(jar, TokenType::Refresh, token)
    }

    /// Clears all four cookies (access, refresh and both CSRF cookies).
    pub fn unset_jwt_cookies(&self, jar: CookieJar) -> CookieJar {
        self.unset_refresh_cookies(self.unset_access_cookies(jar))
    }

    /// Clears the access cookie and its CSRF cookie.
    pub fn unset_access_cookies(&self, jar: CookieJar) -> CookieJar {
        self.removal_cookies(TokenType::Access)
            .into_iter()
            .fold(jar, CookieJar::add)
    }

    /// Clears the refresh cookie and its CSRF cookie.
    pub fn unset_refresh_cookies(&self, jar: CookieJar) -> CookieJar {
        self.removal_cookies(TokenType::Refresh)
            .into_iter()
            .fold(jar, CookieJar::add)
    }

    fn set_cookies(
        &self,
        jar: CookieJar,
        kind: TokenType,
        token: &str,
    ) -> Result<CookieJar, TokenError> {
        let claims = self.decode_token::<ExtraClaims>(token, true)?.claims;
        Ok(self
            .token_cookies(kind, token, &claims)?
            .into_iter()
            .fold(jar, CookieJar::add))
    }

    /// The token cookie and (when configured) its CSRF cookie.
    pub(crate) fn token_cookies(
        &self,
        kind: TokenType,
        token: &str,
        claims: &Claims,
    ) -> Result<Vec<Cookie<'static>>, TokenError> {
        let config = self.config();
        let (name, path, csrf_name, csrf_path) = names(self, kind);
        let now = self.now();
        let max_age = (!config.cookies.session).then(|| {
            claims
                .exp
                .map_or(NON_EXPIRING_MAX_AGE, |exp| exp.saturating_sub(now).max(0))
        });
        let mut cookies = vec![self.cookie(name, token.to_owned(), path, true, max_age, now)];
        if config.csrf.protect && config.csrf.in_cookies {
            let csrf = claims
                .csrf
                .clone()
                .ok_or_else(|| TokenError::MissingClaim("csrf".to_owned()))?;
            cookies.push(self.cookie(csrf_name, csrf, csrf_path, false, max_age, now));
        }
        Ok(cookies)
    }

    fn removal_cookies(&self, kind: TokenType) -> Vec<Cookie<'static>> {
        let (name, path, csrf_name, csrf_path) = names(self, kind);
        let mut cookies = vec![removal(self.cookie(
            name,
            String::new(),
            path,
            true,
            None,
            0,
        ))];
        if self.config().csrf.protect && self.config().csrf.in_cookies {
            cookies.push(removal(self.cookie(
                csrf_name,
                String::new(),
                csrf_path,
                false,
                None,
                0,
            )));
        }
        cookies
    }

    fn cookie(
        &self,
        name: &str,
        value: String,
        path: &str,
        http_only: bool,
        max_age: Option<i64>,
        now: i64,
    ) -> Cookie<'static> {
        let settings = &self.config().cookies;
        let mut cookie = Cookie::new(name.to_owned(), value);
        cookie.set_path(path.to_owned());
        cookie.set_http_only(http_only);
        cookie.set_secure(settings.secure);
        if let Some(same_site) = settings.same_site {
            cookie.set_same_site(same_site);
        }
        if let Some(domain) = &settings.domain {
            cookie.set_domain(domain.clone());
        }
        if let Some(seconds) = max_age {
            cookie.set_max_age(Duration::seconds(seconds));
            if let Ok(at) = OffsetDateTime::from_unix_timestamp(now.saturating_add(seconds)) {
                cookie.set_expires(at);
            }
        }
        cookie
    }
}

fn names(manager: &JwtManager, kind: TokenType) -> (&str, &str, &str, &str) {
    let config = manager.config();
    match kind {
        TokenType::Access => (
            &config.cookies.access_name,
            &config.cookies.access_path,
            &config.csrf.access_cookie_name,
            &config.csrf.access_cookie_path,
        ),
        TokenType::Refresh => (
            &config.cookies.refresh_name,
            &config.cookies.refresh_path,
            &config.csrf.refresh_cookie_name,
            &config.csrf.refresh_cookie_path,
        ),
    }
}

/// An empty cookie with the same attributes, expired at the epoch, so the
/// browser drops the original (it must match name, path and domain).
fn removal(mut cookie: Cookie<'static>) -> Cookie<'static> {
    cookie.set_max_age(Duration::ZERO);
    cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
    cookie
}
