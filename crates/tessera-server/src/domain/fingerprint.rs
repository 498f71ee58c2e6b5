//! SHA-256 fingerprints of secrets that are looked up or compared but
//! never needed in clear (an `mfa_token`, a password hash to notice it
//! changed).

use aws_lc_rs::digest::{SHA256, digest};

/// base64url(SHA-256(`value`)), no padding.
pub(crate) fn fingerprint(value: &str) -> String {
    tessera::b64::encode(digest(&SHA256, value.as_bytes()).as_ref())
}
