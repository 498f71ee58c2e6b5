//! A software passkey for the tests: an ES256 key (aws-lc-rs) that answers
//! WebAuthn registration and sign-in options the way a platform
//! authenticator with resident keys and user verification does, in the
//! JSON a browser's `credential.toJSON()` sends.
//!
//! webauthn-authenticator-rs's software authenticators refuse resident
//! keys and need a credential list to sign in, so they cannot take part in
//! a username-less sign-in; this one can. Its attestation is `none`, its
//! counter goes up by one per signature, and [`SoftPasskey::clone`] copies
//! the key and counter, as cloning a real authenticator would.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use tessera::b64;

/// Flags of authenticator data (WebAuthn §6.1): user present, user
/// verified, attested credential data included.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// A resident credential for one relying party and user.
#[derive(Clone)]
pub struct SoftPasskey {
    pkcs8: Vec<u8>,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    rp_id: String,
    counter: u32,
}

/// Where a ceremony's answer claims to come from; the page's origin and
/// the RP id the authenticator signs for, normally those of the options.
#[derive(Debug, Clone)]
pub struct Context {
    pub origin: String,
    pub rp_id: Option<String>,
    pub user_verified: bool,
}

impl Context {
    /// A page at `origin`, the options' RP id, user verified.
    pub fn at(origin: &str) -> Context {
        Context {
            origin: origin.to_owned(),
            rp_id: None,
            user_verified: true,
        }
    }
}

impl SoftPasskey {
    /// Answers registration `options` (`{publicKey: …}`) as `context`
    /// says: a new key and the credential JSON to send to `finish`.
    pub fn register(options: &Value, context: &Context) -> (SoftPasskey, Value) {
        let public_key = &options["publicKey"];
        let rp_id = context
            .rp_id
            .clone()
            .unwrap_or_else(|| public_key["rp"]["id"].as_str().unwrap().to_owned());
        let user_handle = b64::decode(public_key["user"]["id"].as_str().unwrap()).unwrap();
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let mut credential_id = vec![0u8; 32];
        rng.fill(&mut credential_id).unwrap();
        let passkey = SoftPasskey {
            pkcs8,
            credential_id,
            user_handle,
            rp_id: rp_id.clone(),
            counter: 0,
        };
        let client_data = client_data("webauthn.create", public_key, &context.origin);
        let mut auth_data = rp_id_hash(&rp_id);
        auth_data.push(UP | AT | if context.user_verified { UV } else { 0 });
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none
        auth_data.extend_from_slice(
            &u16::try_from(passkey.credential_id.len())
                .unwrap()
                .to_be_bytes(),
        );
        auth_data.extend_from_slice(&passkey.credential_id);
        auth_data.extend_from_slice(&passkey.cose_key());
        let attestation = attestation_none(&auth_data);
        let credential = json!({
            "id": b64::encode(&passkey.credential_id),
            "rawId": b64::encode(&passkey.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64::encode(&attestation),
                "clientDataJSON": b64::encode(client_data.as_bytes()),
            },
            "extensions": {},
        });
        (passkey, credential)
    }

    /// Answers sign-in `options` as `context` says: the assertion JSON,
    /// with the user handle (a resident credential returns it).
    pub fn sign_in(&mut self, options: &Value, context: &Context) -> Value {
        let public_key = &options["publicKey"];
        self.counter += 1;
        let rp_id = context.rp_id.as_deref().unwrap_or(&self.rp_id);
        let client_data = client_data("webauthn.get", public_key, &context.origin);
        let mut auth_data = rp_id_hash(rp_id);
        auth_data.push(UP | if context.user_verified { UV } else { 0 });
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, client_data.as_bytes()).as_ref());
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &self.pkcs8).unwrap();
        let signature = key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": b64::encode(&self.credential_id),
            "rawId": b64::encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64::encode(&auth_data),
                "clientDataJSON": b64::encode(client_data.as_bytes()),
                "signature": b64::encode(signature.as_ref()),
                "userHandle": b64::encode(&self.user_handle),
            },
            "extensions": {},
        })
    }

    /// The public key as a COSE_Key (RFC 9053): EC2, ES256, P-256, x, y.
    fn cose_key(&self) -> Vec<u8> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &self.pkcs8).unwrap();
        // Uncompressed point: 0x04 || x || y.
        let point = key.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        let mut cbor = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cbor.extend_from_slice(x);
        cbor.extend_from_slice(&[0x22, 0x58, 0x20]);
        cbor.extend_from_slice(y);
        cbor
    }
}

/// The collected client data a browser makes for `options` at `origin`.
fn client_data(kind: &str, public_key: &Value, origin: &str) -> String {
    json!({
        "type": kind,
        "challenge": public_key["challenge"],
        "origin": origin,
        "crossOrigin": false,
    })
    .to_string()
}

fn rp_id_hash(rp_id: &str) -> Vec<u8> {
    digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec()
}

/// `{"fmt": "none", "attStmt": {}, "authData": …}` in CBOR.
fn attestation_none(auth_data: &[u8]) -> Vec<u8> {
    let mut cbor = vec![0xa3];
    cbor.extend_from_slice(&text("fmt"));
    cbor.extend_from_slice(&text("none"));
    cbor.extend_from_slice(&text("attStmt"));
    cbor.push(0xa0);
    cbor.extend_from_slice(&text("authData"));
    cbor.extend_from_slice(&bytes_header(auth_data.len()));
    cbor.extend_from_slice(auth_data);
    cbor
}

/// A short CBOR text string.
fn text(value: &str) -> Vec<u8> {
    let len = u8::try_from(value.len()).unwrap();
    assert!(len < 24);
    let mut cbor = vec![0x60 | len];
    cbor.extend_from_slice(value.as_bytes());
    cbor
}

/// The head of a CBOR byte string of `len` bytes.
fn bytes_header(len: usize) -> Vec<u8> {
    match len {
        0..=23 => vec![0x40 | u8::try_from(len).unwrap()],
        24..=255 => vec![0x58, u8::try_from(len).unwrap()],
        _ => {
            let mut head = vec![0x59];
            head.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
            head
        }
    }
}
