//! A fetched JWK Set turned into verifying keys, each pinned to one
//! algorithm, and the choice of key for a token's header.

use serde::Deserialize;
use serde_json::Value;

use crate::algorithm::{Algorithm, KeyFamily};
use crate::codec::TokenCodec;
use crate::keys::{Jwk, Key};

/// Which algorithms fetched keys may be pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyPolicy {
    /// Every algorithm a key may be pinned to (never an HMAC one).
    pub(crate) allowed: Vec<Algorithm>,
    /// The algorithms an RSA key without `alg` is pinned to, one key each.
    pub(crate) rsa_without_alg: Vec<Algorithm>,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy {
            allowed: Algorithm::ALL
                .into_iter()
                .filter(|alg| alg.family() != KeyFamily::Hmac)
                .collect(),
            rsa_without_alg: vec![Algorithm::RS256],
        }
    }
}

/// One usable key and the codec that verifies with it.
#[derive(Debug)]
struct RemoteKey {
    kid: Option<String>,
    alg: Algorithm,
    codec: TokenCodec,
}

/// The usable keys of one fetched JWK Set.
#[derive(Debug)]
pub(crate) struct KeySnapshot {
    keys: Vec<RemoteKey>,
    skipped: usize,
}

/// The key a token's header leads to.
#[derive(Debug)]
pub(crate) enum Selection<'a> {
    /// Exactly one key fits.
    Found(&'a TokenCodec),
    /// No key has this `kid` (or, without a `kid`, this algorithm): perhaps
    /// the issuer has rotated, so a refetch may help.
    Unknown,
    /// No `kid`, and more than one key for the algorithm: refused rather
    /// than tried one after another.
    Ambiguous,
    /// The `kid` exists, pinned to another algorithm.
    WrongAlgorithm(Algorithm),
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<Value>,
}

impl KeySnapshot {
    /// Reads a JWK Set. A member that is not a usable signature key — `use`
    /// other than `sig`, `oct` (a JWKS never carries HMAC secrets we would
    /// accept), an unknown `kty`/`crv`/`alg`, a malformed or weak key, a
    /// duplicate `kid` for the same algorithm — is skipped, not fatal, so one
    /// odd key does not take the others down. Only a document that is not
    /// `{"keys": [...]}` is an error.
    pub(crate) fn parse(
        body: &[u8],
        policy: &KeyPolicy,
        codec: impl Fn(Key) -> TokenCodec,
    ) -> Result<KeySnapshot, String> {
        let document: Document = serde_json::from_slice(body).map_err(|err| err.to_string())?;
        let mut snapshot = KeySnapshot {
            keys: Vec::new(),
            skipped: 0,
        };
        for member in document.keys {
            let keys = usable_keys(member, policy);
            if keys.is_empty() {
                snapshot.skipped += 1;
            }
            for key in keys {
                let kid = key.kid().map(str::to_owned);
                let alg = key.algorithm();
                if snapshot
                    .keys
                    .iter()
                    .any(|known| known.kid == kid && known.alg == alg)
                {
                    snapshot.skipped += 1;
                    continue;
                }
                snapshot.keys.push(RemoteKey {
                    kid,
                    alg,
                    codec: codec(key),
                });
            }
        }
        Ok(snapshot)
    }

    /// How many usable keys the set holds (one per key and algorithm).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// How many members were skipped as unusable.
    pub(crate) fn skipped(&self) -> usize {
        self.skipped
    }

    /// The key for a token whose header names `kid` and `alg`. With a `kid`,
    /// the key with that `kid` pinned to `alg`; without one, the only key
    /// pinned to `alg`, if there is exactly one.
    pub(crate) fn select(&self, kid: Option<&str>, alg: Algorithm) -> Selection<'_> {
        match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|key| key.kid.as_deref() == Some(kid));
                let Some(first) = named.next() else {
                    return Selection::Unknown;
                };
                match std::iter::once(first)
                    .chain(named)
                    .find(|key| key.alg == alg)
                {
                    Some(key) => Selection::Found(&key.codec),
                    None => Selection::WrongAlgorithm(first.alg),
                }
            }
            None => {
                let mut fitting = self.keys.iter().filter(|key| key.alg == alg);
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Selection::Found(&key.codec),
                    (None, _) => Selection::Unknown,
                    (Some(_), Some(_)) => Selection::Ambiguous,
                }
            }
        }
    }
}

/// The keys one JWKS member yields: none, or one per algorithm it may be
/// pinned to (its own `alg`, or the policy's choice for its `kty`/`crv`).
fn usable_keys(member: Value, policy: &KeyPolicy) -> Vec<Key> {
    let Ok(mut jwk) = serde_json::from_value::<Jwk>(member) else {
        return Vec::new();
    };
    if jwk.kty == "oct" || jwk.key_use.as_deref().is_some_and(|used| used != "sig") {
        return Vec::new();
    }
    // Only the public half is ever used; an issuer that publishes private
    // members by mistake must not make us hold (or refuse) them.
    jwk.d = None;
    jwk.k = None;
    let candidates = match jwk.alg.as_deref() {
        Some(name) => match name.parse::<Algorithm>() {
            Ok(alg) => vec![alg],
            Err(_) => return Vec::new(),
        },
        None => match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("RSA", _) => policy.rsa_without_alg.clone(),
            ("EC", Some("P-256")) => vec![Algorithm::ES256],
            ("EC", Some("P-384")) => vec![Algorithm::ES384],
            ("OKP", Some("Ed25519")) => vec![Algorithm::EdDSA],
            _ => return Vec::new(),
        },
    };
    candidates
        .into_iter()
        .filter(|alg| alg.family() != KeyFamily::Hmac && policy.allowed.contains(alg))
        // `Key::from_jwk` checks kty, crv, sizes and RSA strength against
        // the algorithm, exactly as for a locally configured key.
        .filter_map(|alg| Key::from_jwk(&jwk, Some(alg)).ok())
        .collect()
}
