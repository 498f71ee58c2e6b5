//! TOTP (RFC 6238) with the parameters every authenticator app uses:
//! HMAC-SHA-1, 6 digits, 30-second steps from the Unix epoch, and one step
//! of drift either way. HMAC comes from aws-lc-rs; codes are compared in
//! constant time.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;

use super::{MfaCryptoError, random_bytes};

/// Digits in a code.
pub const DIGITS: usize = 6;

/// Seconds per time step.
pub const PERIOD: i64 = 30;

/// Steps of clock drift accepted either side of now.
pub const DRIFT_STEPS: i64 = 1;

/// Secret length: 160 bits, the HMAC-SHA-1 output size RFC 4226 §4 recommends.
pub const SECRET_BYTES: usize = 20;

/// A TOTP shared secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A fresh random secret of [`SECRET_BYTES`].
    pub fn generate() -> Result<Self, MfaCryptoError> {
        random_bytes(SECRET_BYTES).map(TotpSecret)
    }

    /// A secret from its raw bytes (as stored, once decrypted).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(bytes)
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Base32 without padding (RFC 4648), as authenticator apps take it.
    pub fn base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The time step a `code` typed at `now` (Unix seconds) belongs to,
    /// if it is right for now or one step either side and later than
    /// `last_step` (a step already used is never accepted again). Anything
    /// but exactly six ASCII digits (spaces ignored) matches nothing.
    pub fn verify(&self, code: &str, now: i64, last_step: Option<i64>) -> Option<i64> {
        let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if typed.len() != DIGITS || !typed.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = step_at(now);
        let mut matched = None;
        // Every candidate is computed and compared, matched or not.
        for step in (current - DRIFT_STEPS)..=(current + DRIFT_STEPS) {
            let expected = u64::try_from(step).map(|step| code_at(&self.0, step));
            let equal = expected.is_ok_and(|expected| {
                verify_slices_are_equal(expected.as_bytes(), typed.as_bytes()).is_ok()
            });
            if equal && last_step.is_none_or(|last| step > last) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }
}

/// The time step of Unix time `now`: `floor(now / 30)`.
pub fn step_at(now: i64) -> i64 {
    now.div_euclid(PERIOD)
}

/// The code for `step` (RFC 4226 HOTP with the step as the counter):
/// HMAC-SHA-1, dynamic truncation, the last six decimal digits.
pub fn code_at(secret: &[u8], step: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    // RFC 4226 §5.3: the low nibble of the last byte picks four bytes.
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!("{:06}", binary % 1_000_000)
}

/// The `otpauth://` URI an authenticator app reads (Google Authenticator's
/// key URI format): label `issuer:account`, and the parameters spelled out.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &TotpSecret) -> String {
    let label = format!("{}:{}", escape(issuer), escape(account));
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        secret.base32(),
        escape(issuer)
    )
}

/// Percent-encoding for a URI component (spaces as `%20`, not `+`).
fn escape(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 seed: "12345678901234567890".
    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_sha1_vectors_last_six_digits() {
        // Appendix B gives 8 digits; six-digit codes are their last six.
        for (time, eight) in [
            (59_i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = u64::try_from(step_at(time)).unwrap();
            assert_eq!(code_at(RFC_SEED, step), eight[2..], "T = {time}");
        }
    }

    #[test]
    fn drift_of_one_step_is_accepted_two_is_not() {
        let secret = TotpSecret::from_bytes(RFC_SEED.to_vec());
        let now = 1_111_111_111;
        let step = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at(secret.bytes(), u64::try_from(step + offset).unwrap());
            assert_eq!(
                secret.verify(&code, now, None).is_some(),
                accepted,
                "{offset}"
            );
        }
    }

    #[test]
    fn a_used_step_and_earlier_ones_are_refused() {
        let secret = TotpSecret::from_bytes(RFC_SEED.to_vec());
        let now = 1_234_567_890;
        let code = code_at(secret.bytes(), u64::try_from(step_at(now)).unwrap());
        assert_eq!(secret.verify(&code, now, None), Some(step_at(now)));
        assert_eq!(secret.verify(&code, now, Some(step_at(now))), None);
        assert_eq!(
            secret.verify(&code, now, Some(step_at(now) - 1)),
            Some(step_at(now))
        );
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let secret = TotpSecret::from_bytes(RFC_SEED.to_vec());
        for code in ["", "12345", "1234567", "12345a", "１２３４５６", "-12345"] {
            assert_eq!(secret.verify(code, 59, None), None, "{code:?}");
        }
        let spaced = code_at(RFC_SEED, 1);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(secret.verify(&spaced, 59, None), Some(1));
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let secret = TotpSecret::from_bytes(RFC_SEED.to_vec());
        assert_eq!(
            otpauth_uri("Acme Auth", "ada@example.com", &secret),
            "otpauth://totp/Acme%20Auth:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Acme%20Auth&algorithm=SHA1&digits=6&period=30"
        );
    }
}
