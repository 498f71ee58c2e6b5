//! The settings: where tokens travel and how failures are answered.
//!
//! [`JwtConfig`] is a [`TokenConfig`] (keys, lifetimes, checks) plus the
//! settings Flask-JWT-Extended keeps next to them: token [`Location`]s, the
//! settings of each location (header, cookies with CSRF, query string, JSON
//! body), and the [`ErrorStyle`]. Every field has the `JWT_*` name
//! Flask-JWT-Extended uses (see [`JwtConfig::from_lookup`]); the defaults
//! differ only where Flask's are weak: cookies are `Secure` and
//! `SameSite=Lax` unless told otherwise.
//!
//! This module is plain data: it depends on no other part of the
//! request-handling code, which all reads it.

use axum_extra::extract::cookie::SameSite;
use http::{HeaderName, Method};

use crate::config::{ConfigError, TokenConfig, load_dotenv};
use crate::env::Env;

/// Where a token can travel (`JWT_TOKEN_LOCATION` entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// A request header, `Authorization: Bearer <token>` by default.
    Headers,
    /// An HttpOnly cookie, with double-submit CSRF.
    Cookies,
    /// A query-string parameter (`?jwt=`). Tokens in URLs end up in logs;
    /// prefer the other locations.
    QueryString,
    /// A key of a JSON object body (needs the body layer).
    Json,
}

impl Location {
    /// Flask-JWT-Extended's name: `headers`, `cookies`, `query_string`, `json`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Location::Headers => "headers",
            Location::Cookies => "cookies",
            Location::QueryString => "query_string",
            Location::Json => "json",
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How authentication failures are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorStyle {
    /// `{"error": code, "message": text}` with RFC 6750 statuses and
    /// `WWW-Authenticate` headers. The default.
    #[default]
    Tessera,
    /// Flask-JWT-Extended's statuses (401/422/400) and `{"msg": text}` bodies,
    /// for clients written against it.
    FlaskCompat,
}

/// The `Authorization`-style header location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSettings {
    /// `JWT_HEADER_NAME`, default `Authorization`.
    pub name: HeaderName,
    /// `JWT_HEADER_TYPE`, default `Bearer`, matched case-sensitively. Empty
    /// means the header holds the bare token.
    pub kind: String,
}

impl Default for HeaderSettings {
    fn default() -> Self {
        HeaderSettings {
            name: http::header::AUTHORIZATION,
            kind: "Bearer".to_owned(),
        }
    }
}

/// The cookies that carry tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSettings {
    /// `JWT_ACCESS_COOKIE_NAME`, default `access_token_cookie`.
    pub access_name: String,
    /// `JWT_REFRESH_COOKIE_NAME`, default `refresh_token_cookie`.
    pub refresh_name: String,
    /// `JWT_ACCESS_COOKIE_PATH`, default `/`.
    pub access_path: String,
    /// `JWT_REFRESH_COOKIE_PATH`, default `/`.
    pub refresh_path: String,
    /// `JWT_COOKIE_DOMAIN`, default none (host-only cookies).
    pub domain: Option<String>,
    /// `JWT_COOKIE_SECURE`: default **on** (Flask-JWT-Extended: off). Turn it
    /// off only for plain-HTTP local development.
    pub secure: bool,
    /// `JWT_COOKIE_SAMESITE`: default **`Lax`** (Flask-JWT-Extended: none).
    /// `None` here omits the attribute.
    pub same_site: Option<SameSite>,
    /// `JWT_SESSION_COOKIE`, default on: cookies without `Max-Age`, gone when
    /// the browser closes. When off, `Max-Age` is the token's remaining
    /// lifetime (Flask-JWT-Extended: a fixed year, whatever the token's `exp`).
    pub session: bool,
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings {
            access_name: "access_token_cookie".to_owned(),
            refresh_name: "refresh_token_cookie".to_owned(),
            access_path: "/".to_owned(),
            refresh_path: "/".to_owned(),
            domain: None,
            secure: true,
            same_site: Some(SameSite::Lax),
            session: true,
        }
    }
}

/// Double-submit CSRF protection for cookie-borne tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfSettings {
    /// `JWT_COOKIE_CSRF_PROTECT`, default on. Every new token then carries a
    /// random `csrf` claim, as in Flask-JWT-Extended 4.6+.
    pub protect: bool,
    /// `JWT_CSRF_METHODS`, default `POST, PUT, PATCH, DELETE`.
    pub methods: Vec<Method>,
    /// `JWT_CSRF_IN_COOKIES`, default on: also set the script-readable
    /// `csrf_access_token` / `csrf_refresh_token` cookies.
    pub in_cookies: bool,
    /// `JWT_ACCESS_CSRF_COOKIE_NAME`, default `csrf_access_token`.
    pub access_cookie_name: String,
    /// `JWT_REFRESH_CSRF_COOKIE_NAME`, default `csrf_refresh_token`.
    pub refresh_cookie_name: String,
    /// `JWT_ACCESS_CSRF_COOKIE_PATH`, default `/`.
    pub access_cookie_path: String,
    /// `JWT_REFRESH_CSRF_COOKIE_PATH`, default `/`.
    pub refresh_cookie_path: String,
    /// `JWT_ACCESS_CSRF_HEADER_NAME`, default `X-CSRF-TOKEN`.
    pub access_header: HeaderName,
    /// `JWT_REFRESH_CSRF_HEADER_NAME`, default `X-CSRF-TOKEN`.
    pub refresh_header: HeaderName,
    /// `JWT_CSRF_CHECK_FORM`, default off: fall back to a form field when the
    /// header is absent (needs [`JwtManager::body_layer`](crate::JwtManager::body_layer)).
    pub check_form: bool,
    /// `JWT_ACCESS_CSRF_FIELD_NAME`, default `csrf_token`.
    pub access_field: String,
    /// `JWT_REFRESH_CSRF_FIELD_NAME`, default `csrf_token`.
    pub refresh_field: String,
}

impl Default for CsrfSettings {
    fn default() -> Self {
        CsrfSettings {
            protect: true,
            methods: vec![Method::POST, Method::PUT, Method::PATCH, Method::DELETE],
            in_cookies: true,
            access_cookie_name: "csrf_access_token".to_owned(),
            refresh_cookie_name: "csrf_refresh_token".to_owned(),
            access_cookie_path: "/".to_owned(),
            refresh_cookie_path: "/".to_owned(),
            access_header: HeaderName::from_static("x-csrf-token"),
            refresh_header: HeaderName::from_static("x-csrf-token"),
            check_form: false,
            access_field: "csrf_token".to_owned(),
            refresh_field: "csrf_token".to_owned(),
        }
    }
}

/// The query-string location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySettings {
    /// `JWT_QUERY_STRING_NAME`, default `jwt`.
    pub name: String,
    /// `JWT_QUERY_STRING_VALUE_PREFIX`, default empty.
    pub prefix: String,
}

impl Default for QuerySettings {
    fn default() -> Self {
        QuerySettings {
            name: "jwt".to_owned(),
            prefix: String::new(),
        }
    }
}

/// The JSON-body location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSettings {
    /// `JWT_JSON_KEY`, default `access_token`.
    pub access_key: String,
    /// `JWT_REFRESH_JSON_KEY`, default `refresh_token`.
    pub refresh_key: String,
}

impl Default for JsonSettings {
    fn default() -> Self {
        JsonSettings {
            access_key: "access_token".to_owned(),
            refresh_key: "refresh_token".to_owned(),
        }
    }
}

/// Everything a [`JwtManager`](crate::JwtManager) needs: token settings plus
/// transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConfig {
    /// Keys, lifetimes and verification policy.
    pub token: TokenConfig,
    /// `JWT_TOKEN_LOCATION`, default `headers`. The order is the precedence,
    /// except that a bearer header always wins (see [`crate::locate`]).
    pub locations: Vec<Location>,
    /// Header location settings.
    pub header: HeaderSettings,
    /// Cookie location settings.
    pub cookies: CookieSettings,
    /// CSRF settings.
    pub csrf: CsrfSettings,
    /// Query-string location settings.
    pub query: QuerySettings,
    /// JSON-body location settings.
    pub json: JsonSettings,
    /// `JWT_ERROR_STYLE` (`tessera` or `flask`), default `tessera`.
    pub error_style: ErrorStyle,
    /// `JWT_ERROR_MESSAGE_KEY`, default `msg`; the body key in the Flask style.
    pub error_message_key: String,
    /// `JWT_ROLES_CLAIM`, default `roles`: the claim [`RequireRoles`](crate::RequireRoles) reads.
    pub roles_claim: String,
    /// `JWT_ALLOW_NON_EXPIRING`, default off. Tokens without `exp` are
    /// refused, and cannot be created, unless this is on.
    pub allow_non_expiring: bool,
}

impl JwtConfig {
    /// Defaults around the given token settings.
    pub fn new(token: TokenConfig) -> Self {
        JwtConfig {
            token,
            locations: vec![Location::Headers],
            header: HeaderSettings::default(),
            cookies: CookieSettings::default(),
            csrf: CsrfSettings::default(),
            query: QuerySettings::default(),
            json: JsonSettings::default(),
            error_style: ErrorStyle::default(),
            error_message_key: "msg".to_owned(),
            roles_claim: "roles".to_owned(),
            allow_non_expiring: false,
        }
    }

    /// Reads `.env` (variables already set win), then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        load_dotenv()?;
        Self::read(&Env::process())
    }

    /// Reads settings through `lookup` (variable name → value).
    ///
    /// Token settings are those of [`TokenConfig::from_lookup`]; transport
    /// settings use Flask-JWT-Extended's names:
    ///
    /// | variable | default |
    /// |---|---|
    /// | `JWT_TOKEN_LOCATION` | `headers` (comma-separated: `headers`, `cookies`, `query_string`, `json`) |
    /// | `JWT_HEADER_NAME` / `JWT_HEADER_TYPE` | `Authorization` / `Bearer` (set but empty: bare token) |
    /// | `JWT_ACCESS_COOKIE_NAME` / `JWT_REFRESH_COOKIE_NAME` | `access_token_cookie` / `refresh_token_cookie` |
    /// | `JWT_ACCESS_COOKIE_PATH` / `JWT_REFRESH_COOKIE_PATH` | `/` |
    /// | `JWT_COOKIE_DOMAIN` | none |
    /// | `JWT_COOKIE_SECURE` | `true` |
    /// | `JWT_COOKIE_SAMESITE` | `Lax` (`Strict`, `None`, or `omit` for no attribute) |
    /// | `JWT_SESSION_COOKIE` | `true` |
    /// | `JWT_COOKIE_CSRF_PROTECT` | `true` |
    /// | `JWT_CSRF_METHODS` | `POST,PUT,PATCH,DELETE` |
    /// | `JWT_CSRF_IN_COOKIES` | `true` |
    /// | `JWT_ACCESS_CSRF_COOKIE_NAME` / `JWT_REFRESH_CSRF_COOKIE_NAME` | `csrf_access_token` / `csrf_refresh_token` |
    /// | `JWT_ACCESS_CSRF_COOKIE_PATH` / `JWT_REFRESH_CSRF_COOKIE_PATH` | `/` |
    /// | `JWT_ACCESS_CSRF_HEADER_NAME` / `JWT_REFRESH_CSRF_HEADER_NAME` | `X-CSRF-TOKEN` |
    /// | `JWT_CSRF_CHECK_FORM` | `false` |
    /// | `JWT_ACCESS_CSRF_FIELD_NAME` / `JWT_REFRESH_CSRF_FIELD_NAME` | `csrf_token` |
    /// | `JWT_QUERY_STRING_NAME` / `JWT_QUERY_STRING_VALUE_PREFIX` | `jwt` / empty |
    /// | `JWT_JSON_KEY` / `JWT_REFRESH_JSON_KEY` | `access_token` / `refresh_token` |
    /// | `JWT_ERROR_STYLE` | `tessera` (or `flask`) |
    /// | `JWT_ERROR_MESSAGE_KEY` | `msg` |
    /// | `JWT_ROLES_CLAIM` | `roles` |
    /// | `JWT_ALLOW_NON_EXPIRING` | `false` |
    /// | `JWT_VERIFY_SUB` | `true` (only `true` is accepted: `sub` is always a string) |
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(&Env::new(lookup))
    }

    /// Reads settings through `env` (see [`crate::env`] for the spellings);
    /// the variables are those of [`JwtConfig::from_lookup`].
    pub fn read(env: &Env<impl Fn(&str) -> Option<String>>) -> Result<Self, ConfigError> {
        let token = TokenConfig::read(env)?;
        let mut config = JwtConfig::new(token);
        // `raw` keeps a value that is set but empty (JWT_HEADER_TYPE="");
        // `get` treats empty as unset, like the token settings do.
        let raw = |name: &str| env.raw(name);
        let get = |name: &str| env.text(name);
        let text = |name: &str, into: &mut String| {
            if let Some(value) = env.text(name) {
                *into = value;
            }
        };
        let flag = |name: &'static str, into: &mut bool| -> Result<(), ConfigError> {
            if let Some(value) = env.boolean(name)? {
                *into = value;
            }
            Ok(())
        };

        if let Some(value) = get("JWT_TOKEN_LOCATION") {
            config.locations = locations(&value)?;
        }
        if let Some(value) = raw("JWT_HEADER_NAME") {
            config.header.name = header_name("JWT_HEADER_NAME", &value)?;
        }
        if let Some(value) = raw("JWT_HEADER_TYPE") {
            let value = value.trim();
            if value.contains(char::is_whitespace) || value.contains(',') {
                return Err(invalid(
                    "JWT_HEADER_TYPE",
                    format!(
                        "{value:?} must be one word, such as Bearer, or empty for a bare token"
                    ),
                ));
            }
            config.header.kind = value.to_owned();
        }
        let cookies = &mut config.cookies;
        text("JWT_ACCESS_COOKIE_NAME", &mut cookies.access_name);
        text("JWT_REFRESH_COOKIE_NAME", &mut cookies.refresh_name);
        text("JWT_ACCESS_COOKIE_PATH", &mut cookies.access_path);
        text("JWT_REFRESH_COOKIE_PATH", &mut cookies.refresh_path);
        cookies.domain = get("JWT_COOKIE_DOMAIN").map(|domain| domain.trim().to_owned());
        flag("JWT_COOKIE_SECURE", &mut cookies.secure)?;
        if let Some(value) = get("JWT_COOKIE_SAMESITE") {
            cookies.same_site = match value.trim().to_ascii_lowercase().as_str() {
                "lax" => Some(SameSite::Lax),
                "strict" => Some(SameSite::Strict),
                "none" => Some(SameSite::None),
                "omit" => None,
                _ => {
                    return Err(invalid(
                        "JWT_COOKIE_SAMESITE",
                        format!("{value:?} must be Lax, Strict, None or omit"),
                    ));
                }
            };
        }
        flag("JWT_SESSION_COOKIE", &mut cookies.session)?;

        let csrf = &mut config.csrf;
        flag("JWT_COOKIE_CSRF_PROTECT", &mut csrf.protect)?;
        if let Some(value) = get("JWT_CSRF_METHODS") {
            csrf.methods = methods(&value)?;
        }
        flag("JWT_CSRF_IN_COOKIES", &mut csrf.in_cookies)?;
        text("JWT_ACCESS_CSRF_COOKIE_NAME", &mut csrf.access_cookie_name);
        text(
            "JWT_REFRESH_CSRF_COOKIE_NAME",
            &mut csrf.refresh_cookie_name,
        );
        text("JWT_ACCESS_CSRF_COOKIE_PATH", &mut csrf.access_cookie_path);
        text(
            "JWT_REFRESH_CSRF_COOKIE_PATH",
            &mut csrf.refresh_cookie_path,
        );
        if let Some(value) = raw("JWT_ACCESS_CSRF_HEADER_NAME") {
            csrf.access_header = header_name("JWT_ACCESS_CSRF_HEADER_NAME", &value)?;
        }
        if let Some(value) = raw("JWT_REFRESH_CSRF_HEADER_NAME") {
            csrf.refresh_header = header_name("JWT_REFRESH_CSRF_HEADER_NAME", &value)?;
        }
        flag("JWT_CSRF_CHECK_FORM", &mut csrf.check_form)?;
        text("JWT_ACCESS_CSRF_FIELD_NAME", &mut csrf.access_field);
        text("JWT_REFRESH_CSRF_FIELD_NAME", &mut csrf.refresh_field);

        text("JWT_QUERY_STRING_NAME", &mut config.query.name);
        if let Some(value) = raw("JWT_QUERY_STRING_VALUE_PREFIX") {
            // Spaces matter here ("Bearer "), so the value is kept as written.
            config.query.prefix = value;
        }
        text("JWT_JSON_KEY", &mut config.json.access_key);
        text("JWT_REFRESH_JSON_KEY", &mut config.json.refresh_key);

        if let Some(value) = get("JWT_ERROR_STYLE") {
            config.error_style = match value.trim().to_ascii_lowercase().as_str() {
                "tessera" => ErrorStyle::Tessera,
                "flask" | "flask-jwt-extended" => ErrorStyle::FlaskCompat,
                _ => {
                    return Err(invalid(
                        "JWT_ERROR_STYLE",
                        format!("{value:?} must be tessera or flask"),
                    ));
                }
            };
        }
        text("JWT_ERROR_MESSAGE_KEY", &mut config.error_message_key);
        text("JWT_ROLES_CLAIM", &mut config.roles_claim);
        flag("JWT_ALLOW_NON_EXPIRING", &mut config.allow_non_expiring)?;
        if env.boolean("JWT_VERIFY_SUB")? == Some(false) {
            return Err(invalid(
                "JWT_VERIFY_SUB",
                "only true is supported: the identity claim is always a string".to_owned(),
            ));
        }
        config.check()?;
        Ok(config)
    }

    /// Refuses combinations that cannot work; [`JwtManager::new`](crate::JwtManager::new)
    /// calls it too.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.locations.is_empty() {
            return Err(invalid(
                "JWT_TOKEN_LOCATION",
                "must name at least one of headers, cookies, query_string, json".to_owned(),
            ));
        }
        if self.cookies.same_site == Some(SameSite::None) && !self.cookies.secure {
            return Err(invalid(
                "JWT_COOKIE_SAMESITE",
                "None needs JWT_COOKIE_SECURE=true; browsers drop SameSite=None cookies without Secure".to_owned(),
            ));
        }
        let names = [
            ("JWT_ACCESS_COOKIE_NAME", &self.cookies.access_name),
            ("JWT_REFRESH_COOKIE_NAME", &self.cookies.refresh_name),
            ("JWT_ACCESS_CSRF_COOKIE_NAME", &self.csrf.access_cookie_name),
            (
                "JWT_REFRESH_CSRF_COOKIE_NAME",
                &self.csrf.refresh_cookie_name,
            ),
        ];
        for (name, value) in names {
            let bad = |c: char| !c.is_ascii_graphic() || "()<>@,;:\\\"/[]?={}".contains(c);
            if value.is_empty() || value.chars().any(bad) {
                return Err(invalid(
                    name,
                    format!("{value:?} is not a valid cookie name"),
                ));
            }
        }
        Ok(())
    }
}

fn invalid(name: &'static str, problem: String) -> ConfigError {
    ConfigError::Invalid { name, problem }
}

fn locations(value: &str) -> Result<Vec<Location>, ConfigError> {
    let mut found = Vec::new();
    // Accept `headers,cookies` as well as a Python-looking `["headers", "cookies"]`.
    let cleaned = value.replace(['[', ']', '(', ')', '"', '\''], "");
    for one in cleaned
        .split(',')
        .map(str::trim)
        .filter(|one| !one.is_empty())
    {
        let location = match one {
            "headers" => Location::Headers,
            "cookies" => Location::Cookies,
            "query_string" => Location::QueryString,
            "json" => Location::Json,
            _ => {
                return Err(invalid(
                    "JWT_TOKEN_LOCATION",
                    format!(
                        "{one:?} is not a location; use headers, cookies, query_string or json"
                    ),
                ));
            }
        };
        if !found.contains(&location) {
            found.push(location);
        }
    }
    if found.is_empty() {
        return Err(invalid(
            "JWT_TOKEN_LOCATION",
            "must name at least one of headers, cookies, query_string, json".to_owned(),
        ));
    }
    Ok(found)
}

fn methods(value: &str) -> Result<Vec<Method>, ConfigError> {
    value
        .replace(['[', ']', '"', '\''], "")
        .split(',')
        .map(str::trim)
        .filter(|one| !one.is_empty())
        .map(|one| {
            Method::from_bytes(one.to_ascii_uppercase().as_bytes())
                .map_err(|_| invalid("JWT_CSRF_METHODS", format!("{one:?} is not an HTTP method")))
        })
        .collect()
}

fn header_name(name: &'static str, value: &str) -> Result<HeaderName, ConfigError> {
    HeaderName::from_bytes(value.trim().as_bytes()).map_err(|_| {
        invalid(
            name,
            format!("{value:?} is not a valid, non-empty header name"),
        )
    })
}
