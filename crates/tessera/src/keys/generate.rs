//! Fresh keys from the operating system's CSPRNG (through aws-lc).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};

use super::{ec_params, rejected};
use crate::algorithm::{Algorithm, KeyFamily};
use crate::b64;
use crate::error::KeyError;

/// A newly generated asymmetric key pair as PEM text (PKCS#8 private key,
/// SubjectPublicKeyInfo public key), ready to write to files.
pub struct GeneratedKeyPair {
    /// The algorithm the pair is for.
    pub alg: Algorithm,
    /// `-----BEGIN PRIVATE KEY-----` …
    pub private_pem: String,
    /// `-----BEGIN PUBLIC KEY-----` …
    pub public_pem: String,
}

impl std::fmt::Debug for GeneratedKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeyPair")
            .field("alg", &self.alg)
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

impl GeneratedKeyPair {
    /// Generates a key pair for an asymmetric algorithm (RSA keys are 2048 bits).
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let (private_der, public_der) = match alg.family() {
            KeyFamily::Hmac => {
                return Err(KeyError::WrongKeyType {
                    alg,
                    reason: "HMAC algorithms use a secret; see generate_secret".to_owned(),
                });
            }
            KeyFamily::Rsa => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(rejected)?;
                let private: aws_lc_rs::encoding::Pkcs8V1Der<'_> =
                    pair.as_der().map_err(rejected)?;
                let public: aws_lc_rs::encoding::PublicKeyX509Der<'_> =
                    pair.public_key().as_der().map_err(rejected)?;
                (private.as_ref().to_vec(), public.as_ref().to_vec())
            }
            KeyFamily::Ec => {
                let pair = EcdsaKeyPair::generate(ec_params(alg).0).map_err(rejected)?;
                let private = pair.to_pkcs8v1().map_err(rejected)?;
                let public = pair.public_key().as_der().map_err(rejected)?;
                (private.as_ref().to_vec(), public.as_ref().to_vec())
            }
            KeyFamily::Okp => {
                let pair = Ed25519KeyPair::generate().map_err(rejected)?;
                let private = pair.to_pkcs8v1().map_err(rejected)?;
                let public = pair.public_key().as_der().map_err(rejected)?;
                (private.as_ref().to_vec(), public.as_ref().to_vec())
            }
        };
        Ok(GeneratedKeyPair {
            alg,
            private_pem: pem::encode(&pem::Pem::new("PRIVATE KEY", private_der)),
            public_pem: pem::encode(&pem::Pem::new("PUBLIC KEY", public_der)),
        })
    }
}

/// A random secret of `len` bytes from the OS CSPRNG, as base64url text.
///
/// The text itself (not the decoded bytes) is the HMAC key, as with
/// `JWT_SECRET_KEY`; 64 random bytes give 86 characters.
pub fn generate_secret(len: usize) -> Result<String, KeyError> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new().fill(&mut bytes).map_err(rejected)?;
    Ok(b64::encode(bytes))
}
