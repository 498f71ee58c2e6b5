//! Private keys encrypted at rest: AES-256-GCM (aws-lc-rs) under the
//! 32-byte `TESSERA_ENCRYPTION_KEY`, a fresh random 96-bit nonce per key,
//! and the key's `kid` and `alg` as associated data, so a sealed key cannot
//! be passed off as another row's.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::{SealFailure, SecretSealer};

/// The variable holding the encryption key.
pub const ENCRYPTION_KEY_VAR: &str = "TESSERA_ENCRYPTION_KEY";

/// Bytes in the encryption key.
pub const ENCRYPTION_KEY_BYTES: usize = 32;

/// The text of `TESSERA_ENCRYPTION_KEY` as read; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKeyText(String);

impl EncryptionKeyText {
    /// Wraps the variable's text.
    pub fn new(text: String) -> Self {
        EncryptionKeyText(text)
    }

    /// The key it encodes.
    pub fn key(&self) -> Result<EncryptionKey, SealError> {
        EncryptionKey::from_text(&self.0)
    }
}

impl std::fmt::Debug for EncryptionKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKeyText(<redacted>)")
    }
}

/// Why sealing or opening failed. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// `TESSERA_ENCRYPTION_KEY` is not 32 bytes of base64url.
    #[error(
        "{ENCRYPTION_KEY_VAR} must be {ENCRYPTION_KEY_BYTES} random bytes, base64url-encoded (43 characters); `tessera init` writes one"
    )]
    BadKey,
    /// The ciphertext does not open under this key (wrong key, or altered).
    #[error(
        "a stored signing key does not decrypt with {ENCRYPTION_KEY_VAR} (wrong key, or the row was altered)"
    )]
    WrongKey,
    /// The random number generator or the cipher failed.
    #[error("encryption failed")]
    Crypto,
}

/// The key that seals the signing keys. `Debug` never shows it.
pub struct EncryptionKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(<redacted>)")
    }
}

impl EncryptionKey {
    /// Reads the base64url text of `TESSERA_ENCRYPTION_KEY`.
    pub fn from_text(text: &str) -> Result<Self, SealError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| SealError::BadKey)?;
        if bytes.len() != ENCRYPTION_KEY_BYTES {
            return Err(SealError::BadKey);
        }
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SealError::BadKey)?;
        Ok(EncryptionKey {
            key: LessSafeKey::new(key),
        })
    }

    /// A fresh random key as base64url text (what `.env` gets).
    pub fn generate_text() -> Result<String, SealError> {
        let mut bytes = [0u8; ENCRYPTION_KEY_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SealError::Crypto)?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Encrypts `plaintext` for the key `kid`/`alg`: base64url of
    /// nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, kid: &str, alg: &str, plaintext: &[u8]) -> Result<String, SealError> {
        self.seal_with(&associated_data(kid, alg), plaintext)
    }

    /// Encrypts `plaintext` bound to `associated` (AES-256-GCM associated
    /// data): base64url of nonce ‖ ciphertext ‖ tag.
    fn seal_with(&self, associated: &[u8], plaintext: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Crypto)?;
        let mut buffer = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated),
                &mut buffer,
            )
            .map_err(|_| SealError::Crypto)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&buffer);
        Ok(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Decrypts what [`seal`](Self::seal) made for the same `kid`/`alg`.
    pub fn open(&self, kid: &str, alg: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        self.open_with(&associated_data(kid, alg), sealed)
    }

    /// Decrypts what [`seal_with`](Self::seal_with) made for `associated`.
    fn open_with(&self, associated: &[u8], sealed: &str) -> Result<Vec<u8>, SealError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| SealError::WrongKey)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::WrongKey);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::WrongKey)?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(associated), &mut buffer)
            .map_err(|_| SealError::WrongKey)?;
        Ok(plaintext.to_vec())
    }
}

/// Second-factor secrets (TOTP) are sealed under the same key, bound to
/// their purpose and owner so that no row can be passed off as another's,
/// nor as a signing key.
impl SecretSealer for EncryptionKey {
    fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, SealFailure> {
        self.seal_with(&secret_associated_data(context), plaintext)
            .map_err(|_| SealFailure)
    }

    fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, SealFailure> {
        self.open_with(&secret_associated_data(context), sealed)
            .map_err(|_| SealFailure)
    }
}

fn secret_associated_data(context: &str) -> Vec<u8> {
    format!("tessera secret\0{context}").into_bytes()
}

fn associated_data(kid: &str, alg: &str) -> Vec<u8> {
    format!("tessera signing key\0{kid}\0{alg}").into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key() -> EncryptionKey {
        EncryptionKey::from_text(&EncryptionKey::generate_text().unwrap()).unwrap()
    }

    #[test]
    fn sealed_keys_open_only_with_the_same_key_kid_and_alg() {
        let key = key();
        let sealed = key.seal("kid-1", "ES256", b"private").unwrap();
        assert_eq!(key.open("kid-1", "ES256", &sealed).unwrap(), b"private");
        assert_eq!(
            key.open("kid-2", "ES256", &sealed),
            Err(SealError::WrongKey)
        );
        assert_eq!(
            key.open("kid-1", "EdDSA", &sealed),
            Err(SealError::WrongKey)
        );
        assert_eq!(
            self::key().open("kid-1", "ES256", &sealed),
            Err(SealError::WrongKey)
        );
    }

    #[test]
    fn sealed_secrets_open_only_in_their_context() {
        let key = key();
        let sealed = SecretSealer::seal(&key, "totp\0user-1", b"secret").unwrap();
        assert_eq!(
            SecretSealer::open(&key, "totp\0user-1", &sealed).unwrap(),
            b"secret"
        );
        assert_eq!(
            SecretSealer::open(&key, "totp\0user-2", &sealed),
            Err(SealFailure)
        );
        // Nor is it a signing key.
        assert_eq!(
            key.open("totp", "user-1", &sealed),
            Err(SealError::WrongKey)
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let key = key();
        assert_ne!(
            key.seal("k", "ES256", b"same").unwrap(),
            key.seal("k", "ES256", b"same").unwrap()
        );
    }

    #[test]
    fn a_short_or_malformed_key_is_refused() {
        assert_eq!(
            EncryptionKey::from_text("c2hvcnQ").unwrap_err(),
            SealError::BadKey
        );
        assert_eq!(
            EncryptionKey::from_text("not base64 !").unwrap_err(),
            SealError::BadKey
        );
    }
}
