//! Verifying tokens: every RFC 8725 check, cheapest and most decisive first.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::ring::Material;
use super::{DecodeOptions, Token, TokenCodec, claims_check};
use crate::b64;
use crate::claims::TokenType;
use crate::error::{Part, TokenError};
use crate::header::{self, Header};
use crate::json;

/// A token split at its dots, with nothing decoded yet.
pub(super) struct Segments<'a> {
    pub(super) header: &'a str,
    pub(super) payload: &'a str,
    pub(super) signature: &'a str,
    /// `header.payload`: the bytes the signature covers.
    pub(super) signing_input: &'a str,
}

/// Splits a compact JWS after the size cap; a JWE (five parts) or anything
/// but three parts is refused (RFC 8725 §2.3).
pub(super) fn split(token: &str, max_bytes: usize) -> Result<Segments<'_>, TokenError> {
    if token.len() > max_bytes {
        return Err(TokenError::TooLarge {
            len: token.len(),
            max: max_bytes,
        });
    }
    let mut parts = token.splitn(4, '.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::WrongSegmentCount);
    };
    Ok(Segments {
        header,
        payload,
        signature,
        signing_input: &token[..header.len() + 1 + payload.len()],
    })
}

/// Decodes and checks the header segment.
pub(super) fn parse_header(segment: &str) -> Result<Header, TokenError> {
    let bytes = b64::decode(segment).ok_or(TokenError::Base64(Part::Header))?;
    header::check(json::parse_object(&bytes, Part::Header)?)
}

impl TokenCodec {
    /// Verifies `token` as a `token_type` token and returns its claims, the
    /// extras read as `X`.
    pub fn decode<X: DeserializeOwned + 'static>(
        &self,
        token: &str,
        token_type: TokenType,
    ) -> Result<Token<X>, TokenError> {
        self.decode_with(token, DecodeOptions::expect(token_type))
    }

    /// Like [`decode_with`](Self::decode_with) for the default extra-claims
    /// map, but shares the result, and answers a token it has verified before
    /// from memory: the signature, header and claim types are not checked
    /// again, while the time rules and the expected type are, every time.
    /// This is what the axum extractors use on every request.
    pub fn decode_shared(
        &self,
        token: &str,
        options: DecodeOptions,
    ) -> Result<Arc<Token>, TokenError> {
        let Some(cache) = &self.inner.cache else {
            return self.decode_with(token, options).map(Arc::new);
        };
        let validation = self.validation();
        if token.len() > validation.max_token_bytes {
            return Err(TokenError::TooLarge {
                len: token.len(),
                max: validation.max_token_bytes,
            });
        }
        let now = self.now();
        if let Some(hit) = cache.get(token) {
            claims_check::recheck(&hit.claims, validation, now, options)?;
            return Ok(hit);
        }
        let material = self.inner.ring.load();
        let verified = Arc::new(self.decode_in(&material, token, options)?);
        cache.insert(token, Arc::clone(&verified), now, material.generation);
        Ok(verified)
    }

    /// Verifies `token` with explicit options (any type, or expired allowed).
    ///
    /// Order: size cap, three segments, header (forbidden parameters, `crit`,
    /// `alg`), key by `kid` with its pinned algorithm, signature, then the
    /// claims (`exp`, `nbf`, `iat`, `iss`, `aud`, identity, `type`). Nothing
    /// from the payload is read before the signature has verified.
    pub fn decode_with<X: DeserializeOwned + 'static>(
        &self,
        token: &str,
        options: DecodeOptions,
    ) -> Result<Token<X>, TokenError> {
        self.decode_in(&self.inner.ring.load(), token, options)
    }

    /// [`decode_with`](Self::decode_with) against one version of the keys.
    fn decode_in<X: DeserializeOwned + 'static>(
        &self,
        material: &Material,
        token: &str,
        options: DecodeOptions,
    ) -> Result<Token<X>, TokenError> {
        let validation = self.validation();
        let segments = split(token, validation.max_token_bytes)?;
        let header = match material
            .known_headers
            .iter()
            .find(|(known, _)| known == segments.header)
        {
            Some((_, header)) => header.clone(),
            None => parse_header(segments.header)?,
        };
        let key = material.keys.find(header.kid.as_deref())?;
        if key.algorithm() != header.alg {
            return Err(TokenError::AlgorithmMismatch {
                expected: key.algorithm(),
                found: header.alg,
            });
        }
        let signature =
            b64::decode(segments.signature).ok_or(TokenError::Base64(Part::Signature))?;
        if signature.is_empty() || !key.verify(segments.signing_input.as_bytes(), &signature) {
            return Err(TokenError::InvalidSignature);
        }
        let payload = b64::decode(segments.payload).ok_or(TokenError::Base64(Part::Payload))?;
        let map = json::parse_object(&payload, Part::Payload)?;
        let claims = claims_check::check(map, validation, self.now(), options)?;
        Ok(Token { header, claims })
    }
}
