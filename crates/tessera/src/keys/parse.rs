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
                .map_err(|err| wrong_or_invalid(alg, err))?;
            check_rsa_bits(pair.public_modulus_len() * 8)?;
            let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
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
            check_rsa_bits(public.modulus_len() * 8)?;
            let components = RsaPublicKeyComponents::<Vec<u8>>::from(&public);
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
            check_rsa_bits(components.n.len() * 8)?;
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

fn check_rsa_bits(bits: usize) -> Result<(), KeyError> {
    if bits < MIN_RSA_BITS {
        Err(KeyError::RsaTooSmall(bits))
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
