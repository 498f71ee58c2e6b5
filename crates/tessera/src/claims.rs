//! The claims Tessera writes and reads, compatible with Flask-JWT-Extended.
//!
//! A token's payload is the registered claims below plus the caller's own
//! extra claims (any serde type that serialises to an object). Payload order
//! follows Flask-JWT-Extended: `fresh`, `iat`, `jti`, `type`, `sub`, `nbf`,
//! `csrf`, `aud`, `iss`, `exp`, then extras.

use serde::Serialize;
use serde::ser::{Error as _, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// Extra claims when the caller has no type of their own: a JSON object.
pub type ExtraClaims = Map<String, Value>;

/// The names Tessera owns; extra claims may not use them.
pub const RESERVED_CLAIMS: [&str; 10] = [
    "sub", "iat", "nbf", "exp", "jti", "type", "fresh", "csrf", "iss", "aud",
];

/// Whether `name` is a registered claim that cannot also hold the identity
/// (every one but `sub`, the default identity claim).
pub(crate) fn is_registered_other_than_sub(name: &str) -> bool {
    name != "sub" && RESERVED_CLAIMS.contains(&name)
}

/// What a token is for. Flask-JWT-Extended writes it as the `type` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// Sent on every request.
    Access,
    /// Exchanged for new tokens; never accepted where an access token is.
    Refresh,
}

impl TokenType {
    /// `"access"` or `"refresh"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `fresh` claim: a fresh token comes straight from a password (or other
/// primary) login; sensitive routes can demand one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fresh {
    /// `true` or `false`.
    Flag(bool),
    /// Fresh until this Unix time (Flask-JWT-Extended writes a float).
    Until(f64),
}

impl Fresh {
    /// Whether the token counts as fresh at `now`.
    pub fn is_fresh_at(self, now: i64) -> bool {
        match self {
            Fresh::Flag(flag) => flag,
            // Unix seconds fit f64 exactly for the next 285 million years.
            #[allow(clippy::cast_precision_loss)]
            Fresh::Until(until) => until >= now as f64,
        }
    }
}

impl Default for Fresh {
    fn default() -> Self {
        Fresh::Flag(false)
    }
}

/// A token's claims: the registered ones, typed, plus `extra` of type `X`.
///
/// `sub` is serialised under the configured identity claim name (`sub` by
/// default, as `JWT_IDENTITY_CLAIM`).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<X = ExtraClaims> {
    /// The identity (`sub`); always a string.
    pub sub: String,
    /// `access` or `refresh` (the `type` claim).
    pub token_type: TokenType,
    /// Unique token id (UUID v4 for tokens Tessera creates).
    pub jti: Option<String>,
    /// Issued at, Unix seconds.
    pub iat: Option<i64>,
    /// Not before, Unix seconds.
    pub nbf: Option<i64>,
    /// Expires at, Unix seconds; `None` only for never-expiring tokens.
    pub exp: Option<i64>,
    /// Freshness.
    pub fresh: Fresh,
    /// The CSRF double-submit value, when cookies are in use.
    pub csrf: Option<String>,
    /// Issuer.
    pub iss: Option<String>,
    /// Audiences (written as a string when there is one).
    pub aud: Vec<String>,
    /// The caller's own claims.
    pub extra: X,
}

impl<X> Claims<X> {
    /// Claims for a new token issued at `now` that lives `lifetime` seconds
    /// (`None`: never expires), with a fresh random `jti`. `nbf` equals `iat`.
    pub fn new(
        sub: impl Into<String>,
        token_type: TokenType,
        now: i64,
        lifetime: Option<i64>,
        extra: X,
    ) -> Self {
        Claims {
            sub: sub.into(),
            token_type,
            jti: Some(uuid::Uuid::new_v4().to_string()),
            iat: Some(now),
            nbf: Some(now),
            exp: lifetime.map(|seconds| now.saturating_add(seconds)),
            fresh: Fresh::default(),
            csrf: None,
            iss: None,
            aud: Vec::new(),
            extra,
        }
    }

    /// Marks the claims fresh (or not).
    #[must_use]
    pub fn with_fresh(mut self, fresh: Fresh) -> Self {
        self.fresh = fresh;
        self
    }
}

/// Serialises claims as a payload, refusing extras that reuse a registered name.
pub(crate) struct Payload<'a, X> {
    pub(crate) claims: &'a Claims<X>,
    pub(crate) identity_claim: &'a str,
}

impl<X: Serialize> Serialize for Payload<'_, X> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let claims = self.claims;
        let extras = match serde_json::to_value(&claims.extra).map_err(S::Error::custom)? {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => {
                return Err(S::Error::custom(
                    "extra claims must serialise to a JSON object",
                ));
            }
        };
        if is_registered_other_than_sub(self.identity_claim) {
            let name = self.identity_claim;
            return Err(S::Error::custom(format_args!("{RESERVED_MARKER}{name}")));
        }
        if let Some(name) = extras
            .keys()
            .find(|name| RESERVED_CLAIMS.contains(&name.as_str()) || *name == self.identity_claim)
        {
            return Err(S::Error::custom(format_args!("{RESERVED_MARKER}{name}")));
        }
        let mut map = serializer.serialize_map(None)?;
        match claims.fresh {
            Fresh::Flag(flag) => map.serialize_entry("fresh", &flag)?,
            Fresh::Until(until) => map.serialize_entry("fresh", &until)?,
        }
        if let Some(iat) = claims.iat {
            map.serialize_entry("iat", &iat)?;
        }
        if let Some(jti) = &claims.jti {
            map.serialize_entry("jti", jti)?;
        }
        map.serialize_entry("type", claims.token_type.as_str())?;
        map.serialize_entry(self.identity_claim, &claims.sub)?;
        if let Some(nbf) = claims.nbf {
            map.serialize_entry("nbf", &nbf)?;
        }
        if let Some(csrf) = &claims.csrf {
            map.serialize_entry("csrf", csrf)?;
        }
        match claims.aud.as_slice() {
            [] => {}
            [one] => map.serialize_entry("aud", one)?,
            many => map.serialize_entry("aud", many)?,
        }
        if let Some(iss) = &claims.iss {
            map.serialize_entry("iss", iss)?;
        }
        if let Some(exp) = claims.exp {
            map.serialize_entry("exp", &exp)?;
        }
        for (name, value) in &extras {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Prefix of the serde error message that marks a reserved-claim collision.
pub(crate) const RESERVED_MARKER: &str = "\u{0}reserved claim:";
