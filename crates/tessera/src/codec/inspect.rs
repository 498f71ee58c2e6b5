//! Looking inside a token *without* verifying it, for tooling only.

use serde_json::{Map, Value};

use super::decode::split;
use crate::b64;
use crate::error::{Part, TokenError};
use crate::json;

/// A token's parts, decoded but **not verified**: nothing here may be trusted
/// or used for an access decision. For `tessera token decode` and `explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified {
    /// The header segment as sent.
    pub header_segment: String,
    /// The payload segment as sent.
    pub payload_segment: String,
    /// The signature segment as sent.
    pub signature_segment: String,
    /// The decoded header object.
    pub header: Map<String, Value>,
    /// The decoded payload object.
    pub payload: Map<String, Value>,
    /// The decoded signature bytes.
    pub signature: Vec<u8>,
}

impl Unverified {
    /// `header.payload`: the exact bytes the signature is computed over.
    pub fn signing_input(&self) -> String {
        format!("{}.{}", self.header_segment, self.payload_segment)
    }
}

/// Splits and decodes `token` with the same size cap and strict parsing as
/// verification, but checks no signature and no claim.
pub fn inspect(token: &str, max_bytes: usize) -> Result<Unverified, TokenError> {
    let segments = split(token, max_bytes)?;
    let header = b64::decode(segments.header).ok_or(TokenError::Base64(Part::Header))?;
    let payload = b64::decode(segments.payload).ok_or(TokenError::Base64(Part::Payload))?;
    let signature = b64::decode(segments.signature).ok_or(TokenError::Base64(Part::Signature))?;
    Ok(Unverified {
        header_segment: segments.header.to_owned(),
        payload_segment: segments.payload.to_owned(),
        signature_segment: segments.signature.to_owned(),
        header: json::parse_object(&header, Part::Header)?,
        payload: json::parse_object(&payload, Part::Payload)?,
        signature,
    })
}
