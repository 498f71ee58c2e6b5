//! Signing and verification keys, each pinned to exactly one algorithm.
//!
//! A [`Key`] is built once (parsing PEM, DER or JWK, checking strength) and
//! then signs or verifies many times without re-parsing. The algorithm is a
//! property of the key, never of the token: a token whose header names
//! another algorithm is refused before any cryptography runs, which is what
//! defeats RS256→HS256 confusion (RFC 8725 §3.1, CVE-2015-9235).

mod generate;
mod jwk;
mod parse;
mod secret;
mod set;

pub use generate::{GeneratedKeyPair, generate_secret};
pub use jwk::{Jwk, JwkSet};
pub use secret::{KNOWN_PLACEHOLDER, check_hmac_secret};
pub use set::KeySet;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, Ed25519KeyPair, ParsedPublicKey, RsaKeyPair,
};

use crate::algorithm::{Algorithm, KeyFamily};
use crate::b64;
use crate::error::KeyError;

/// A key pinned to one [`Algorithm`], with an optional `kid`.
///
/// `Debug` never shows key material.
///
/// ```
/// use tessera::{Algorithm, Key};
/// let key = Key::hmac(Algorithm::HS256, b"0f4c1d9a8e7b6c5d4e3f2a1b0c9d8e7f-6a5b")?;
/// let tag = key.sign(b"message")?;
/// assert!(key.verify(b"message", &tag));
/// assert!(!key.verify(b"massage", &tag));
/// # Ok::<(), tessera::KeyError>(())
/// ```
pub struct Key {
    alg: Algorithm,
    kid: Option<String>,
    signer: Option<Signer>,
    verifier: Verifier,
    public: Option<PublicParts>,
}

// A key is built once and then only borrowed, so the size of the HMAC
// variant costs nothing; boxing it would add a pointer chase to every HS256
// sign and verify.
#[allow(clippy::large_enum_variant)]
enum Signer {
    Hmac(hmac::Key),
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

#[allow(clippy::large_enum_variant)]
enum Verifier {
    Hmac(hmac::Key),
    Public(ParsedPublicKey),
}

/// The public numbers of an asymmetric key, for JWK export.
#[derive(Clone)]
enum PublicParts {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        crv: &'static str,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Okp {
        x: Vec<u8>,
    },
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("can_sign", &self.can_sign())
            .finish_non_exhaustive()
    }
}

impl Key {
    /// An HMAC key from a shared secret, used byte for byte as given (the
    /// same bytes PyJWT and Flask-JWT-Extended use for `JWT_SECRET_KEY`).
    ///
    /// Refuses secrets shorter than the hash output and guessable ones.
    pub fn hmac(alg: Algorithm, secret: &[u8]) -> Result<Key, KeyError> {
        check_hmac_secret(alg, secret)?;
        let hmac_alg = match alg {
            Algorithm::HS256 => hmac::HMAC_SHA256,
            Algorithm::HS384 => hmac::HMAC_SHA384,
            _ => hmac::HMAC_SHA512,
        };
        let key = hmac::Key::new(hmac_alg, secret);
        Ok(Key {
            alg,
            kid: None,
            signer: Some(Signer::Hmac(key.clone())),
            verifier: Verifier::Hmac(key),
            public: None,
        })
    }

    /// A key from PEM text: a private key (`PRIVATE KEY`, `RSA PRIVATE KEY`,
    /// `EC PRIVATE KEY`) gives a signing key, a `PUBLIC KEY` a verifying one.
    pub fn from_pem(alg: Algorithm, pem_text: &str) -> Result<Key, KeyError> {
        parse::from_pem(alg, pem_text)
    }

    /// A signing key from a DER private key (PKCS#8, or PKCS#1 / SEC1).
    pub fn from_private_der(alg: Algorithm, der: &[u8]) -> Result<Key, KeyError> {
        parse::from_private_der(alg, der)
    }

    /// A verifying key from a DER public key (SubjectPublicKeyInfo, or PKCS#1 for RSA).
    pub fn from_public_der(alg: Algorithm, der: &[u8]) -> Result<Key, KeyError> {
        parse::from_public_der(alg, der)
    }

    /// A key from a JWK. The algorithm is the JWK's `alg`, or `alg` when the
    /// JWK has none; if both are given they must agree. The JWK's `kid` is kept.
    pub fn from_jwk(jwk: &Jwk, alg: Option<Algorithm>) -> Result<Key, KeyError> {
        parse::from_jwk(jwk, alg)
    }

    /// Replaces the key id.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Key {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithm this key is pinned to.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id written into token headers and JWKS, if any. Asymmetric keys
    /// get their RFC 7638 thumbprint unless given another; HMAC keys have none
    /// unless given one (Flask-JWT-Extended's tokens carry no `kid` either).
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether this key holds a private part (or a shared secret).
    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// Signs `message` (the JWS signing input) and returns the raw signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match self.signer.as_ref().ok_or(KeyError::NoPrivateKey)? {
            Signer::Hmac(key) => Ok(hmac::sign(key, message).as_ref().to_vec()),
            Signer::Rsa(pair) => {
                let padding: &'static dyn sig::RsaEncoding = match self.alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    _ => &sig::RSA_PSS_SHA512,
                };
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut out)
                    .map_err(|_| KeyError::SigningFailed)?;
                Ok(out)
            }
            Signer::Ec(pair) => pair
                .sign(&rng, message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| KeyError::SigningFailed),
            Signer::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Whether `signature` is valid for `message` under this key. HMAC tags
    /// are compared in constant time.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.verifier {
            Verifier::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            Verifier::Public(public) => public.verify_sig(message, signature).is_ok(),
        }
    }

    /// The public half as a JWK (`use: sig`, with `alg` and `kid`), or `None`
    /// for HMAC keys, which must never be published.
    pub fn public_jwk(&self) -> Option<Jwk> {
        let mut jwk = match self.public.as_ref()? {
            PublicParts::Rsa { n, e } => Jwk {
                kty: "RSA".to_owned(),
                n: Some(b64::encode(n)),
                e: Some(b64::encode(e)),
                ..Jwk::default()
            },
            PublicParts::Ec { crv, x, y } => Jwk {
                kty: "EC".to_owned(),
                crv: Some((*crv).to_owned()),
                x: Some(b64::encode(x)),
                y: Some(b64::encode(y)),
                ..Jwk::default()
            },
            PublicParts::Okp { x } => Jwk {
                kty: "OKP".to_owned(),
                crv: Some("Ed25519".to_owned()),
                x: Some(b64::encode(x)),
                ..Jwk::default()
            },
        };
        jwk.key_use = Some("sig".to_owned());
        jwk.alg = Some(self.alg.as_str().to_owned());
        jwk.kid.clone_from(&self.kid);
        Some(jwk)
    }

    /// Assembles an asymmetric key and gives it its thumbprint `kid`.
    fn asymmetric(
        alg: Algorithm,
        signer: Option<Signer>,
        verifier: ParsedPublicKey,
        public: PublicParts,
    ) -> Key {
        let mut key = Key {
            alg,
            kid: None,
            signer,
            verifier: Verifier::Public(verifier),
            public: Some(public),
        };
        key.kid = key.public_jwk().and_then(|jwk| jwk.thumbprint());
        key
    }

    /// A verification-only copy: same algorithm, `kid` and public key.
    /// `None` for HMAC keys, whose verifier is the secret itself.
    pub fn public_only(&self) -> Option<Key> {
        let Verifier::Public(public) = &self.verifier else {
            return None;
        };
        Some(Key {
            alg: self.alg,
            kid: self.kid.clone(),
            signer: None,
            verifier: Verifier::Public(public.clone()),
            public: self.public.clone(),
        })
    }
}

/// The verification algorithm aws-lc-rs uses for a pinned JWS algorithm.
fn verification_alg(alg: Algorithm) -> &'static dyn sig::VerificationAlgorithm {
    match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
        // HMAC never reaches here; EdDSA is the remaining case.
        _ => &sig::ED25519,
    }
}

/// The ECDSA signing parameters and coordinate size for an EC algorithm.
fn ec_params(alg: Algorithm) -> (&'static sig::EcdsaSigningAlgorithm, &'static str, usize) {
    match alg {
        Algorithm::ES384 => (&sig::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48),
        _ => (&sig::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32),
    }
}

fn require_family(alg: Algorithm, family: KeyFamily, what: &str) -> Result<(), KeyError> {
    if alg.family() == family {
        Ok(())
    } else {
        Err(KeyError::WrongKeyType {
            alg,
            reason: format!("{what} cannot be used with {alg}"),
        })
    }
}

fn rejected(err: impl std::fmt::Display) -> KeyError {
    KeyError::Invalid(err.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let key = Key::hmac(Algorithm::HS256, b"Zq8Vx2RnP4mK7wZb1T9yLc3HfJ6sA0dE").unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("Zq8V"), "{shown}");
    }

    #[test]
    fn hmac_keys_are_never_published() {
        let key = Key::hmac(Algorithm::HS256, b"Zq8Vx2RnP4mK7wZb1T9yLc3HfJ6sA0dE").unwrap();
        assert!(key.public_jwk().is_none());
    }
}
