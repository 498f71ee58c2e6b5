//! Finding the token in a request: header, cookies, query string, JSON body.
//!
//! # Precedence
//!
//! Locations are tried in the configured order (`JWT_TOKEN_LOCATION`) with
//! one deliberate exception: **when the header location is enabled it is
//! always tried first**. Only a *missing* token falls through to the next
//! location; a present but unusable one (bad header, wrong query prefix,
//! invalid token, missing CSRF value) stops the search and fails the request.
//!
//! Why the header goes first: Flask-JWT-Extended, configured with
//! `["cookies", "headers"]`, refuses a request that carries a perfectly good
//! `Authorization: Bearer` token whenever a stale cookie without its CSRF
//! header arrives too. Putting the header first is never weaker: another
//! origin can make a browser *send* cookies, but it cannot set an
//! `Authorization` header, so a request that has one was written by a client
//! holding the token. Cookies, and their CSRF check, are then used exactly
//! when no bearer header is present.
//!
//! # The JSON body
//!
//! An extractor that runs on request *parts* cannot read the body. The JSON
//! location (and the CSRF form-field fallback) therefore needs
//! [`JwtManager::body_layer`](crate::JwtManager::body_layer): a middleware
//! that buffers a `application/json` or form body of at most 64 KiB, notes
//! the token (and CSRF field) it holds, and hands the same bytes on to the
//! handler. Malformed JSON, or JSON that is not an object, counts as a
//! missing token, never as a server error. Without the layer, a route that
//! reaches the JSON location answers 500 with a message saying so.

mod body;
mod cookie;
pub(crate) mod header;
mod query;

pub(crate) use body::{BodyKind, BodyScan, body_kind};

use std::borrow::Cow;

use http::request::Parts;

use crate::claims::TokenType;
use crate::settings::{JwtConfig, Location};

/// Why one location held no token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingReason {
    /// The header is absent.
    NoHeader {
        /// Header name.
        name: String,
    },
    /// The header is there but no credential uses the configured type word.
    NoHeaderType {
        /// Header name.
        name: String,
        /// The type word, e.g. `Bearer`.
        kind: String,
    },
    /// No such cookie.
    NoCookie {
        /// Cookie name.
        name: String,
    },
    /// No such query parameter.
    NoQueryParam {
        /// Parameter name.
        name: String,
    },
    /// The body is not JSON.
    NotJson,
    /// The JSON body has no such key (or is not an object).
    NoJsonKey {
        /// The key.
        key: String,
    },
}

impl std::fmt::Display for MissingReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MissingReason::NoHeader { name } => write!(f, "Missing {name} Header"),
            MissingReason::NoHeaderType { name, kind } => write!(
                f,
                "Missing '{kind}' type in '{name}' header. Expected '{name}: {kind} <JWT>'"
            ),
            MissingReason::NoCookie { name } => write!(f, "Missing cookie \"{name}\""),
            // Flask-JWT-Extended's message has this spelling; clients match on it.
            MissingReason::NoQueryParam { name } => write!(f, "Missing '{name}' query paramater"),
            MissingReason::NotJson => {
                f.write_str("Invalid content-type. Must be application/json.")
            }
            MissingReason::NoJsonKey { key } => write!(f, "Missing \"{key}\" key in json data."),
        }
    }
}

/// No location held a token; one reason per location searched, in the
/// configured order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingToken {
    /// Each location and why it had no token.
    pub reasons: Vec<(Location, MissingReason)>,
}

impl std::fmt::Display for MissingToken {
    /// Flask-JWT-Extended's wording: the one reason, or
    /// `Missing JWT in headers or cookies (reason; reason)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reasons.as_slice() {
            [] => f.write_str("Missing JWT"),
            [(_, reason)] => reason.fmt(f),
            [first @ .., (last, _)] => {
                let start: Vec<&str> = first
                    .iter()
                    .map(|(location, _)| location.as_str())
                    .collect();
                let details: Vec<String> = self
                    .reasons
                    .iter()
                    .map(|(_, reason)| reason.to_string())
                    .collect();
                write!(
                    f,
                    "Missing JWT in {} or {last} ({})",
                    start.join(", "),
                    details.join("; ")
                )
            }
        }
    }
}

/// Why no usable token could be taken from the request; the extractors
/// report each as the [`AuthError`](crate::AuthError) variant of the same name.
#[derive(Debug)]
pub(crate) enum LocateError {
    /// No location held a token.
    Missing(MissingToken),
    /// The header has the type word but is not `<type> <token>`.
    BadHeader { name: String, kind: String },
    /// The query parameter lacks the configured prefix.
    BadQueryValue { name: String, prefix: String },
    /// A cookie-borne token on a protected method, without the CSRF value.
    CsrfMissing,
    /// The router lacks what this location needs (the body layer).
    Misconfigured(&'static str),
}

/// A token found in the request, not yet verified.
#[derive(Debug)]
pub(crate) struct Located<'a> {
    /// Borrowed from the request wherever it can be.
    pub(crate) token: Cow<'a, str>,
    pub(crate) location: Location,
    /// The CSRF value the client submitted, when the token came from a
    /// cookie on a CSRF-protected method.
    pub(crate) csrf: Option<String>,
}

/// What one location found.
pub(crate) enum Found<'a> {
    Token(Located<'a>),
    Missing(MissingReason),
}

/// Searches `locations` for a token of kind `kind` (which cookie or JSON key
/// to read); see the module docs for the order.
pub(crate) fn locate<'a>(
    parts: &'a Parts,
    config: &JwtConfig,
    locations: &[Location],
    kind: TokenType,
) -> Result<Located<'a>, LocateError> {
    // Allocated only when a location comes up empty.
    let mut missing: Vec<(Location, MissingReason)> = Vec::new();
    let header_first = locations.contains(&Location::Headers);
    let order = header_first.then_some(Location::Headers).into_iter().chain(
        locations
            .iter()
            .copied()
            .filter(|one| *one != Location::Headers),
    );
    for location in order {
        let found = match location {
            Location::Headers => header::find(&parts.headers, &config.header)?,
            Location::Cookies => cookie::find(parts, config, kind)?,
            Location::QueryString => query::find(parts, &config.query)?,
            Location::Json => body::find(parts, config, kind)?,
        };
        match found {
            Found::Token(located) => return Ok(located),
            Found::Missing(reason) => missing.push((location, reason)),
        }
    }
    // Report the reasons in the configured order, as Flask-JWT-Extended does.
    missing.sort_by_key(|(location, _)| locations.iter().position(|one| one == location));
    Err(LocateError::Missing(MissingToken { reasons: missing }))
}
