//! Second factors, as pure functions over bytes and time: TOTP codes
//! (RFC 6238), recovery codes, and the QR code an authenticator app scans.
//! What is stored, when a code counts and what is audited is the domain's
//! business (`domain::mfa_*`); nothing here touches the store.
//!
//! ```
//! use tessera_server::mfa::totp::{TotpSecret, code_at};
//!
//! let secret = TotpSecret::generate()?;
//! // Unix time 59 is time step 1 (30-second steps).
//! let code = code_at(secret.bytes(), 1);
//! assert_eq!(code.len(), 6);
//! assert_eq!(secret.verify(&code, 59, None), Some(1));
//! // Once step 1 is used, its code is refused.
//! assert_eq!(secret.verify(&code, 59, Some(1)), None);
//! # Ok::<(), tessera_server::mfa::MfaCryptoError>(())
//! ```

pub mod qr;
pub mod recovery;
pub mod totp;

/// The system's random number generator failed (no secret can be made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct MfaCryptoError;

/// `len` bytes from the system's secure random number generator.
fn random_bytes(len: usize) -> Result<Vec<u8>, MfaCryptoError> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| MfaCryptoError)?;
    Ok(bytes)
}
