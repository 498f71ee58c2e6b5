//! The relying party: who passkeys are registered to (the RP id, a domain)
//! and which page may use them (the origin), both from
//! `TESSERA_PUBLIC_URL`.

use std::time::Duration;

use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

/// How long a ceremony may take between start and finish; the browser is
/// told the same (the options' `timeout`).
pub const CEREMONY_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The name authenticators show next to the account.
const RP_NAME: &str = "Tessera";

/// Why passkeys cannot be offered with this public URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TESSERA_PUBLIC_URL {url:?} cannot be a passkey relying party: {reason}")]
pub struct RelyingPartyError {
    url: String,
    reason: &'static str,
}

/// The WebAuthn relying party of this server. Cheap to share (one per
/// server, behind an `Arc`).
#[derive(Debug)]
pub struct RelyingParty {
    webauthn: Webauthn,
    id: String,
}

impl RelyingParty {
    /// The relying party for `public_url`: its host is the RP id and the
    /// URL's origin (scheme, host, port) the one origin accepted. Browsers
    /// refuse an IP address as RP id, so a public URL with one is an error
    /// (use `http://localhost:PORT` locally).
    ///
    /// ```
    /// use tessera_server::domain::RelyingParty;
    ///
    /// let rp = RelyingParty::from_public_url("https://auth.example.com").unwrap();
    /// assert_eq!(rp.id(), "auth.example.com");
    /// assert!(RelyingParty::from_public_url("http://127.0.0.1:8080").is_err());
    /// ```
    pub fn from_public_url(public_url: &str) -> Result<Self, RelyingPartyError> {
        let fail = |reason| RelyingPartyError {
            url: public_url.to_owned(),
            reason,
        };
        let url = Url::parse(public_url).map_err(|_| fail("not a URL"))?;
        let Some(domain) = url.domain() else {
            return Err(fail("its host must be a domain name, not an IP address"));
        };
        let id = domain.to_owned();
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|_| fail("it has no origin"))?;
        let webauthn = WebauthnBuilder::new(&id, &origin)
            .map_err(|_| fail("its host is not a valid relying-party id"))?
            .rp_name(RP_NAME)
            .timeout(CEREMONY_LIFETIME)
            .build()
            .map_err(|_| fail("the WebAuthn settings were refused"))?;
        Ok(RelyingParty { webauthn, id })
    }

    /// The RP id (the public URL's host).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn webauthn(&self) -> &Webauthn {
        &self.webauthn
    }
}
