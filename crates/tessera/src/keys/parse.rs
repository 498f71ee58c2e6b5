//! Building [`Key`]s from PEM, DER and JWK, with the checks each form needs.

use aws_lc_rs::rsa::PublicKey as RsaPublicKey;
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair,
    RsaPublicKeyComponents,
};

use super::{Jwk, Key, PublicParts, Signer, ec_params, rejected, require_family, verification_alg};
use crate::algorithm::{Algorithm, KeyFamily};
use crate::b64;
use crate::error::KeyError;

/// RSA moduli below this many bits are refused (RFC 7518 §3.3).
const MIN_RSA_BITS: usize = 2048;

pub(super) fn from_pem(alg: Algorithm, pem_text: &str) -> Result<Key, KeyError> {
    let blocks = pem::parse_many(pem_text).map_err(rejected)?;
    // `openssl ecparam -genkey` writes an EC PARAMETERS block first; skip it.
    let block = blocks
        .iter()
        .find(|block| block.tag().ends_with("PRIVATE KEY") || block.tag().ends_with("PUBLIC KEY"))
        .ok_or_else(|| KeyError::Invalid("no PEM private or public key block found".to_owned()))?;
    match block.tag() {
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
            from_private_der(alg, block.contents())
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" => from_public_der(alg, block.contents()),
        other => Err(KeyError::Invalid(format!(
            "unsupported PEM block {other:?} (encrypted keys are not supported)"
        ))),
    }
}

pub(super) fn from_private_der(alg: Algorithm, der: &[u8]) -> Result<Key, KeyError> {
    match alg.family() {
        KeyFamily::Hmac => Err(KeyError::WrongKeyType {
            alg,
            reason: "HMAC algorithms take a secret, not a private key".to_owned(),
        }),
        KeyFamily::Rsa => {
            let pair = RsaKeyPair::from_pkcs8(der)
                .or_else(|_| RsaKeyPair::from_der(der))
                .map_err(|err| match rsa_private_modulus_bits(der) {
                    // aws-lc refuses small keys itself, but its error does
                    // not survive the PKCS#1 fallback; report the real cause.
                    Some(bits) if bits < MIN_RSA_BITS => KeyError::RsaTooSmall(bits),
                    _ => wrong_or_invalid(alg, err),
                })?;
            let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
            check_rsa_bits(modulus_bits(&components.n))?;
            let verifier = rsa_verifier(alg, &components)?;
            let public = PublicParts::Rsa {
                n: components.n,
                e: components.e,
            };
            Ok(Key::asymmetric(
                alg,
                Some(Signer::Rsa(pair)),
                verifier,
                public,
            ))
        }
        KeyFamily::Ec => {
            let (signing, crv, size) = ec_params(alg);
            let pair = EcdsaKeyPair::from_pkcs8(signing, der)
                .or_else(|_| EcdsaKeyPair::from_private_key_der(signing, der))
                .map_err(|err| wrong_or_invalid(alg, err))?;
            let point = pair.public_key().as_ref().to_vec();
            let verifier = ParsedPublicKey::new(verification_alg(alg), &point).map_err(rejected)?;
            let public = ec_public_parts(crv, size, &point)?;
            Ok(Key::asymmetric(
                alg,
                Some(Signer::Ec(pair)),
                verifier,
                public,
            ))
        }
        KeyFamily::Okp => {
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|err| wrong_or_invalid(alg, err))?;
            let x = pair.public_key().as_ref().to_vec();
            let verifier = ParsedPublicKey::new(&sig::ED25519, &x).map_err(rejected)?;
            Ok(Key::asymmetric(
                alg,
                Some(Signer::Ed(pair)),
                verifier,
                PublicParts::Okp { x },
            ))
        }
    }
}

pub(super) fn from_public_der(alg: Algorithm, der: &[u8]) -> Result<Key, KeyError> {
    match alg.family() {
        KeyFamily::Hmac => Err(KeyError::WrongKeyType {
            alg,
            reason: "a public key cannot be an HMAC secret (RS256→HS256 confusion)".to_owned(),
        }),
        KeyFamily::Rsa => {
            let public = RsaPublicKey::from_der(der).map_err(|err| wrong_or_invalid(alg, err))?;
            let components = RsaPublicKeyComponents::<Vec<u8>>::from(&public);
            check_rsa_bits(modulus_bits(&components.n))?;
            let verifier = rsa_verifier(alg, &components)?;
            let parts = PublicParts::Rsa {
                n: components.n,
                e: components.e,
            };
            Ok(Key::asymmetric(alg, None, verifier, parts))
        }
        KeyFamily::Ec => {
            let (_, crv, size) = ec_params(alg);
            ParsedPublicKey::new(verification_alg(alg), der)
                .map_err(|err| wrong_or_invalid(alg, err))?;
            // The key parsed, so it is SubjectPublicKeyInfo (ending in the
            // BIT STRING that holds the point) or the bare point itself.
            let point = der
                .get(der.len().saturating_sub(1 + 2 * size)..)
                .unwrap_or(der);
            let verifier = ParsedPublicKey::new(verification_alg(alg), point).map_err(|_| {
                KeyError::Invalid("EC public keys must use the uncompressed point form".to_owned())
            })?;
            let parts = ec_public_parts(crv, size, point)?;
            Ok(Key::asymmetric(alg, None, verifier, parts))
        }
        KeyFamily::Okp => {
            ParsedPublicKey::new(&sig::ED25519, der).map_err(|err| wrong_or_invalid(alg, err))?;
            let x = der
                .get(der.len().saturating_sub(32)..)
                .unwrap_or(der)
                .to_vec();
            check_ed25519_order(&x)?;
            let verifier = ParsedPublicKey::new(&sig::ED25519, &x).map_err(rejected)?;
            Ok(Key::asymmetric(alg, None, verifier, PublicParts::Okp { x }))
        }
    }
}

pub(super) fn from_jwk(jwk: &Jwk, requested: Option<Algorithm>) -> Result<Key, KeyError> {
    if jwk
        .key_use
        .as_deref()
        .is_some_and(|key_use| key_use != "sig")
    {
        return Err(KeyError::Invalid("JWK `use` is not \"sig\"".to_owned()));
    }
    let alg = jwk_algorithm(jwk, requested)?;
    let key = match jwk.kty.as_str() {
        "oct" => {
            require_family(alg, KeyFamily::Hmac, "an `oct` JWK")?;
            Key::hmac(alg, &member(jwk.k.as_ref(), "k")?)?
        }
        "RSA" => {
            require_family(alg, KeyFamily::Rsa, "an RSA JWK")?;
            if jwk.d.is_some() {
                return Err(KeyError::Invalid(
                    "RSA private keys are loaded from PEM or DER, not JWK".to_owned(),
                ));
            }
            let components = RsaPublicKeyComponents {
                n: strip_leading_zeros(member(jwk.n.as_ref(), "n")?),
                e: member(jwk.e.as_ref(), "e")?,
            };
            check_rsa_bits(modulus_bits(&components.n))?;
            let verifier = rsa_verifier(alg, &components)?;
            let parts = PublicParts::Rsa {
                n: components.n,
                e: components.e,
            };
            Key::asymmetric(alg, None, verifier, parts)
        }
        "EC" => {
            require_family(alg, KeyFamily::Ec, "an EC JWK")?;
            let (signing, crv, size) = ec_params(alg);
            if jwk.crv.as_deref() != Some(crv) {
                return Err(KeyError::WrongKeyType {
                    alg,
                    reason: format!("{alg} needs curve {crv}"),
                });
            }
            let (x, y) = (member(jwk.x.as_ref(), "x")?, member(jwk.y.as_ref(), "y")?);
            if x.len() != size || y.len() != size {
                return Err(KeyError::Invalid(format!(
                    "EC coordinates must be {size} bytes"
                )));
            }
            let point = [&[4u8][..], &x, &y].concat();
            let verifier = ParsedPublicKey::new(verification_alg(alg), &point).map_err(rejected)?;
            let signer = match jwk.d.as_ref() {
                Some(d) => Some(Signer::Ec(
                    EcdsaKeyPair::from_private_key_and_public_key(
                        signing,
                        &decode(d, "d")?,
                        &point,
                    )
                    .map_err(rejected)?,
                )),
                None => None,
            };
            Key::asymmetric(alg, signer, verifier, PublicParts::Ec { crv, x, y })
        }
        "OKP" => {
            require_family(alg, KeyFamily::Okp, "an OKP JWK")?;
            if jwk.crv.as_deref() != Some("Ed25519") {
                return Err(KeyError::Invalid(
                    "only the Ed25519 curve is supported".to_owned(),
                ));
            }
            let x = member(jwk.x.as_ref(), "x")?;
            check_ed25519_order(&x)?;
            let verifier = ParsedPublicKey::new(&sig::ED25519, &x).map_err(rejected)?;
            let signer = match jwk.d.as_ref() {
                Some(d) => Some(Signer::Ed(
                    Ed25519KeyPair::from_seed_and_public_key(&decode(d, "d")?, &x)
                        .map_err(rejected)?,
                )),
                None => None,
            };
            Key::asymmetric(alg, signer, verifier, PublicParts::Okp { x })
        }
        other => return Err(KeyError::Invalid(format!("unsupported JWK kty {other:?}"))),
    };
    Ok(match &jwk.kid {
        Some(kid) => key.with_kid(kid.clone()),
        None => key,
    })
}

fn jwk_algorithm(jwk: &Jwk, requested: Option<Algorithm>) -> Result<Algorithm, KeyError> {
    let named = match jwk.alg.as_deref() {
        Some(name) => Some(name.parse::<Algorithm>().map_err(rejected)?),
        None => None,
    };
    let inferred = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("EC", Some("P-256")) => Some(Algorithm::ES256),
        ("EC", Some("P-384")) => Some(Algorithm::ES384),
        ("OKP", Some("Ed25519")) => Some(Algorithm::EdDSA),
        _ => None,
    };
    match (named, requested) {
        (Some(named), Some(requested)) if named != requested => Err(KeyError::WrongKeyType {
            alg: requested,
            reason: format!("the JWK is for {named}"),
        }),
        (Some(alg), _) | (None, Some(alg)) => Ok(alg),
        (None, None) => inferred.ok_or_else(|| {
            KeyError::Invalid("the JWK has no `alg`; say which algorithm it is for".to_owned())
        }),
    }
}

fn rsa_verifier(
    alg: Algorithm,
    components: &RsaPublicKeyComponents<Vec<u8>>,
) -> Result<ParsedPublicKey, KeyError> {
    let params: &'static sig::RsaParameters = match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        _ => &sig::RSA_PSS_2048_8192_SHA512,
    };
    components.to_parsed_public_key(params).map_err(rejected)
}

/// The size in bits of a big-endian modulus: a 256-byte modulus whose top
/// bit is clear is a 2047-bit key, not a 2048-bit one.
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant = modulus
        .iter()
        .position(|&byte| byte != 0)
        .map_or(&[][..], |at| &modulus[at..]);
    match significant.first() {
        None => 0,
        Some(&top) => significant.len() * 8 - top.leading_zeros() as usize,
    }
}

fn check_rsa_bits(bits: usize) -> Result<(), KeyError> {
    if bits < MIN_RSA_BITS {
        Err(KeyError::RsaTooSmall(bits))
    } else {
        Ok(())
    }
}

/// The modulus size in bits of an RSA private key in PKCS#8 or PKCS#1 DER.
/// Only used to explain why aws-lc refused a key; nothing is signed with it.
fn rsa_private_modulus_bits(der: &[u8]) -> Option<usize> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const OCTET_STRING: u8 = 0x04;
    let (SEQUENCE, body, _) = der_element(der)? else {
        return None;
    };
    // Both forms open with a version INTEGER.
    let (INTEGER, _, rest) = der_element(body)? else {
        return None;
    };
    match der_element(rest)? {
        // PKCS#1 RSAPrivateKey: version, modulus, ...
        (INTEGER, modulus, _) => Some(modulus_bits(modulus)),
        // PKCS#8 PrivateKeyInfo: version, algorithm, OCTET STRING { RSAPrivateKey }.
        (SEQUENCE, _, rest) => match der_element(rest)? {
            (OCTET_STRING, inner, _) => rsa_private_modulus_bits(inner),
            _ => None,
        },
        _ => None,
    }
}

/// Splits one DER element into its tag, its contents and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(count)?;
        let len = bytes
            .iter()
            .fold(0usize, |len, &byte| (len << 8) | usize::from(byte));
        (len, rest)
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

/// The Ed25519 points of small order (1, 2, 4 and 8), as the y-coordinate
/// encodings they have with the sign bit cleared; the last two are the
/// non-canonical spellings `p` and `p + 1` of 0 and 1. Same list as
/// libsodium's `ge25519_has_small_order`.
const ED25519_SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    ed25519_all_ones_ending(0xec),
    ed25519_all_ones_ending(0xed),
    ed25519_all_ones_ending(0xee),
];

/// `low, 0xff × 30, 0x7f`: the little-endian encodings of `p - 1`, `p`, `p + 1`.
const fn ed25519_all_ones_ending(low: u8) -> [u8; 32] {
    let mut bytes = [0xff; 32];
    bytes[0] = low;
    bytes[31] = 0x7f;
    bytes
}

/// Refuses an Ed25519 public key of small order. aws-lc verifies against
/// such a key without complaint, and it accepts forgeries: for the identity
/// point, `R = A, S = 0` is a valid signature of every message, and for the
/// others of one message in two, four or eight (RFC 8725 §3.4: validate
/// cryptographic inputs).
fn check_ed25519_order(x: &[u8]) -> Result<(), KeyError> {
    let Some((&last, rest)) = x.split_last() else {
        return Ok(());
    };
    let small = x.len() == 32
        && ED25519_SMALL_ORDER
            .iter()
            .any(|point| point[..31] == *rest && point[31] == last & 0x7f);
    if small {
        Err(KeyError::Invalid(
            "the Ed25519 public key is a point of small order, which verifies forged signatures"
                .to_owned(),
        ))
    } else {
        Ok(())
    }
}

fn ec_public_parts(crv: &'static str, size: usize, point: &[u8]) -> Result<PublicParts, KeyError> {
    match point {
        [4, coordinates @ ..] if coordinates.len() == 2 * size => Ok(PublicParts::Ec {
            crv,
            x: coordinates[..size].to_vec(),
            y: coordinates[size..].to_vec(),
        }),
        _ => Err(KeyError::Invalid(
            "EC public keys must use the uncompressed point form".to_owned(),
        )),
    }
}

fn wrong_or_invalid(alg: Algorithm, err: impl std::fmt::Display) -> KeyError {
    KeyError::WrongKeyType {
        alg,
        reason: format!("the key is not a valid {:?} key ({err})", alg.family()),
    }
}

fn member(value: Option<&String>, name: &str) -> Result<Vec<u8>, KeyError> {
    decode(
        value.ok_or_else(|| KeyError::Invalid(format!("the JWK has no `{name}`")))?,
        name,
    )
}

fn decode(value: &str, name: &str) -> Result<Vec<u8>, KeyError> {
    b64::decode(value).ok_or_else(|| KeyError::Invalid(format!("JWK `{name}` is not base64url")))
}

fn strip_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&byte| byte == 0).count();
    bytes.drain(..zeros);
    bytes
}
