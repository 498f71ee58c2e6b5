//! Unpadded base64url (RFC 7515 §2), the only encoding a compact JWS uses.
//!
//! The engine refuses padding, the `+`/`/` alphabet, whitespace and
//! non-canonical trailing bits, so each token has exactly one spelling.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes canonical unpadded base64url; `None` for anything else.
pub fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}
