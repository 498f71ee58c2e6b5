//! How a session's user proved who they are: the `amr` claim's values
//! (RFC 8176, "Authentication Method Reference Values").
//!
//! The value is chosen when the session starts and stored on it, so every
//! access token of the session, also after refreshes, carries the same
//! methods. The values used:
//!
//! | sign-in | `amr` |
//! |---|---|
//! | password | `["pwd"]` |
//! | password, then a TOTP or recovery code | `["pwd", "otp", "mfa"]` |
//! | social sign-in (Google, Facebook, OpenID Connect) | `["fed"]` |
//! | passkey, no password (user verified) | `["swk", "user", "mfa"]` |
//!
//! RFC 8176 registers no value for "a federated identity provider vouched
//! for the user": Tessera never sees how the provider authenticated them,
//! so claiming `pwd` would be a guess. `fed` is the value Microsoft's
//! identity platform uses for exactly this, and OpenID Connect Core §2
//! leaves values beyond the registry to agreement between the parties.
//! `mfa` (RFC 8176 §2: "multiple-factor authentication") is added whenever
//! more than one factor was checked; it is what [`Amr::is_multi_factor`]
//! and the `TESSERA_MFA_REQUIRED_ROLES` policy look for, so a passkey
//! sign-in with user verification carries it too. A passkey is `swk`, not
//! `hwk`: without attestation nothing proves the key is held in hardware,
//! and synced passkeys are not (see `passkey_amr` in `domain::passkeys`).

use serde::Serialize;

/// The methods a session's user signed in with, in the order checked.
///
/// ```
/// use tessera_server::domain::Amr;
///
/// let amr = Amr::password().with(Amr::OTP).with(Amr::MFA);
/// assert_eq!(amr.methods(), ["pwd", "otp", "mfa"]);
/// assert!(amr.is_multi_factor());
/// assert!(!Amr::password().is_multi_factor());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Amr(Vec<String>);

impl Amr {
    /// A password (RFC 8176 `pwd`).
    pub const PASSWORD: &'static str = "pwd";
    /// A one-time code: TOTP (RFC 6238) or a recovery code (RFC 8176 `otp`).
    pub const OTP: &'static str = "otp";
    /// A key held in hardware, e.g. a security key (RFC 8176 `hwk`).
    pub const HARDWARE_KEY: &'static str = "hwk";
    /// A key held in software, e.g. a synced passkey (RFC 8176 `swk`).
    pub const SOFTWARE_KEY: &'static str = "swk";
    /// More than one factor was checked (RFC 8176 `mfa`).
    pub const MFA: &'static str = "mfa";
    /// A federated identity provider vouched for the user (not in the
    /// RFC 8176 registry; see the module docs).
    pub const FEDERATED: &'static str = "fed";

    /// Signed in with a password: `["pwd"]`.
    pub fn password() -> Self {
        Amr(vec![Self::PASSWORD.to_owned()])
    }

    /// Signed in through a social sign-in provider: `["fed"]`.
    pub fn federated() -> Self {
        Amr(vec![Self::FEDERATED.to_owned()])
    }

    /// These methods, as given (duplicates dropped).
    pub fn from_methods(methods: impl IntoIterator<Item = impl Into<String>>) -> Self {
        methods
            .into_iter()
            .fold(Amr::default(), |amr, method| amr.with(method))
    }

    /// This, plus `method` (once).
    #[must_use]
    pub fn with(mut self, method: impl Into<String>) -> Self {
        let method = method.into();
        if !self.0.contains(&method) {
            self.0.push(method);
        }
        self
    }

    /// The method names, e.g. `["pwd", "otp", "mfa"]`.
    pub fn methods(&self) -> &[String] {
        &self.0
    }

    /// Whether `method` is among them.
    pub fn contains(&self, method: &str) -> bool {
        self.0.iter().any(|held| held == method)
    }

    /// Whether more than one factor was checked (`mfa` is present).
    pub fn is_multi_factor(&self) -> bool {
        self.contains(Self::MFA)
    }
}
