//! Key sets: lookup by `kid`, rotation, thumbprint key ids and the JWKS; which
//! JWKs load (curve points, private halves, `alg: none`, RSA sizes).

use serde_json::json;
use tessera::{
    Algorithm, Claims, ExtraClaims, Jwk, Key, KeyError, KeySet, TokenError, TokenType, inspect,
};

use crate::support::{NOW, OTHER_SECRET, SECRET, b64, codec, decode, refusal, signing_key};

fn token_from(keys: KeySet) -> String {
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    codec(keys).encode(&claims).unwrap()
}

#[test]
fn after_rotation_the_old_kid_still_verifies_and_the_new_primary_signs() {
    let old = signing_key(Algorithm::ES256);
    let old_kid = old.kid().unwrap().to_owned();
    let old_verifier = old.public_only().unwrap();
    let old_token = token_from(KeySet::new(old));

    let new = signing_key(Algorithm::EdDSA);
    let new_kid = new.kid().unwrap().to_owned();
    let rotated = codec(
        KeySet::new(new)
            .with_verification_key(old_verifier)
            .unwrap(),
    );

    let verified = decode(&rotated, &old_token).unwrap();
    assert_eq!(verified.header.kid.as_deref(), Some(old_kid.as_str()));
    assert_eq!(verified.header.alg, Algorithm::ES256);

    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    let new_token = rotated.encode(&claims).unwrap();
    let header = inspect(&new_token, 8192).unwrap().header;
    assert_eq!(header["kid"], new_kid.as_str());
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(decode(&rotated, &new_token).unwrap().claims, claims);
}

#[test]
fn a_key_set_without_the_new_key_refuses_its_tokens_as_unknown_kid() {
    let old = signing_key(Algorithm::ES256);
    let new = signing_key(Algorithm::ES256);
    let new_token = token_from(KeySet::new(new));
    assert_eq!(
        refusal(&codec(KeySet::new(old)), &new_token),
        TokenError::UnknownKeyId
    );
}

#[test]
fn hmac_rotation_works_by_explicit_kid() {
    let old = Key::hmac(Algorithm::HS256, SECRET.as_bytes())
        .unwrap()
        .with_kid("2025");
    let old_token = token_from(KeySet::new(old));
    let rotated = KeySet::new(
        Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes())
            .unwrap()
            .with_kid("2026"),
    )
    .with_verification_key(
        Key::hmac(Algorithm::HS256, SECRET.as_bytes())
            .unwrap()
            .with_kid("2025"),
    )
    .unwrap();
    let codec = codec(rotated);
    assert_eq!(
        decode(&codec, &old_token).unwrap().header.kid.as_deref(),
        Some("2025")
    );
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    let header = inspect(&codec.encode(&claims).unwrap(), 8192)
        .unwrap()
        .header;
    assert_eq!(header["kid"], "2026");
}

#[test]
fn a_token_without_kid_is_checked_against_the_primary_key_only() {
    // Flask-JWT-Extended tokens carry no kid; they must not be tried against
    // every key in the set.
    let primary = Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes()).unwrap();
    let old = Key::hmac(Algorithm::HS256, SECRET.as_bytes())
        .unwrap()
        .with_kid("old");
    let token_without_kid = token_from(KeySet::new(
        Key::hmac(Algorithm::HS256, SECRET.as_bytes()).unwrap(),
    ));
    let keys = KeySet::new(primary).with_verification_key(old).unwrap();
    assert_eq!(
        refusal(&codec(keys), &token_without_kid),
        TokenError::InvalidSignature
    );
}

#[test]
fn two_keys_with_one_kid_are_refused() {
    let first = Key::hmac(Algorithm::HS256, SECRET.as_bytes())
        .unwrap()
        .with_kid("k1");
    let second = Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes())
        .unwrap()
        .with_kid("k1");
    assert_eq!(
        KeySet::new(first)
            .with_verification_key(second)
            .unwrap_err(),
        KeyError::DuplicateKeyId("k1".to_owned())
    );
}

#[test]
fn the_same_asymmetric_key_twice_is_refused_by_its_thumbprint() {
    let key = signing_key(Algorithm::ES256);
    let again = key.public_only().unwrap();
    let kid = key.kid().unwrap().to_owned();
    assert_eq!(
        KeySet::new(key).with_verification_key(again).unwrap_err(),
        KeyError::DuplicateKeyId(kid)
    );
}

#[test]
fn jwks_publishes_public_keys_only_and_never_hmac() {
    let keys = KeySet::new(
        Key::hmac(Algorithm::HS256, SECRET.as_bytes())
            .unwrap()
            .with_kid("h"),
    )
    .with_verification_key(signing_key(Algorithm::RS256))
    .unwrap()
    .with_verification_key(signing_key(Algorithm::ES384))
    .unwrap()
    .with_verification_key(signing_key(Algorithm::EdDSA))
    .unwrap()
    .with_verification_key(signing_key(Algorithm::HS512).with_kid("h2"))
    .unwrap();
    let jwks = keys.jwks();
    let kinds: Vec<&str> = jwks.keys.iter().map(|jwk| jwk.kty.as_str()).collect();
    assert_eq!(kinds, ["RSA", "EC", "OKP"]);
    let text = serde_json::to_string(&jwks).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    for jwk in value["keys"].as_array().unwrap() {
        let jwk = jwk.as_object().unwrap();
        for private in ["d", "k", "p", "q", "dp", "dq", "qi"] {
            assert!(!jwk.contains_key(private), "JWKS leaks {private}: {text}");
        }
        assert_eq!(jwk["use"], "sig");
        assert!(jwk.contains_key("alg") && jwk.contains_key("kid"));
    }
    assert!(!text.contains("\"oct\""));
}

#[test]
fn a_key_set_of_only_hmac_keys_publishes_an_empty_jwks() {
    let keys = KeySet::new(Key::hmac(Algorithm::HS256, SECRET.as_bytes()).unwrap());
    assert!(keys.jwks().keys.is_empty());
}

#[test]
fn asymmetric_keys_get_their_rfc7638_thumbprint_as_kid() {
    for alg in Algorithm::ALL.into_iter().filter(|alg| alg.is_asymmetric()) {
        let key = signing_key(alg);
        let thumbprint = key.public_jwk().unwrap().thumbprint().unwrap();
        assert_eq!(key.kid(), Some(thumbprint.as_str()), "{alg}");
        assert_eq!(thumbprint.len(), 43, "{alg}: base64url SHA-256");
        // And it is what the tokens carry.
        let token = token_from(KeySet::new(key));
        assert_eq!(
            inspect(&token, 8192).unwrap().header["kid"],
            thumbprint.as_str()
        );
    }
}

#[test]
fn thumbprint_kid_matches_the_rfc7638_worked_example() {
    // RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1.
    let jwk = Jwk {
        kty: "RSA".to_owned(),
        alg: Some("RS256".to_owned()),
        n: Some(
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
            .to_owned(),
        ),
        e: Some("AQAB".to_owned()),
        ..Jwk::default()
    };
    let key = Key::from_jwk(&jwk, None).unwrap();
    assert_eq!(
        key.kid(),
        Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    );
}

#[test]
fn hmac_keys_have_no_kid_unless_given_one() {
    let key = Key::hmac(Algorithm::HS256, SECRET.as_bytes()).unwrap();
    assert_eq!(key.kid(), None);
    assert_eq!(key.with_kid("mine").kid(), Some("mine"));
}

#[test]
fn a_jwk_kid_is_kept_over_the_thumbprint() {
    let key = signing_key(Algorithm::ES256);
    let mut jwk = key.public_jwk().unwrap();
    jwk.kid = Some("2026-05".to_owned());
    assert_eq!(Key::from_jwk(&jwk, None).unwrap().kid(), Some("2026-05"));
}

#[test]
fn a_jwk_for_another_algorithm_or_use_is_refused() {
    let jwk = signing_key(Algorithm::ES256).public_jwk().unwrap();
    assert!(matches!(
        Key::from_jwk(&jwk, Some(Algorithm::ES384)),
        Err(KeyError::WrongKeyType {
            alg: Algorithm::ES384,
            ..
        })
    ));
    let mut for_encryption = jwk;
    for_encryption.key_use = Some("enc".to_owned());
    assert!(matches!(
        Key::from_jwk(&for_encryption, None),
        Err(KeyError::Invalid(_))
    ));
}

#[test]
fn a_token_naming_a_key_of_another_family_is_refused_as_algorithm_mismatch() {
    // kid → an RS256 key, but the token says ES256 and is validly ES256-signed
    // by another key: the key entry's algorithm wins.
    let rsa = signing_key(Algorithm::RS256);
    let rsa_kid = rsa.kid().unwrap().to_owned();
    let ec = signing_key(Algorithm::ES256).with_kid(rsa_kid);
    let token = token_from(KeySet::new(ec));
    assert_eq!(
        refusal(&codec(KeySet::new(rsa)), &token),
        TokenError::AlgorithmMismatch {
            expected: Algorithm::RS256,
            found: Algorithm::ES256,
        }
    );
}

#[test]
fn rsa_private_jwks_are_not_loaded() {
    // By design RSA private keys come from PEM or DER only.
    let mut jwk = signing_key(Algorithm::RS256).public_jwk().unwrap();
    jwk.d = Some("AQAB".to_owned());
    assert!(matches!(
        Key::from_jwk(&jwk, None),
        Err(KeyError::Invalid(_))
    ));
}

// --- keys -------------------------------------------------------------------

/// RFC 7515 Appendix A.3's P-256 key.
fn a3_private_jwk() -> Jwk {
    serde_json::from_value(json!({
        "kty": "EC", "crv": "P-256", "kid": "a3",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
    }))
    .unwrap()
}

#[test]
fn an_off_curve_ec_point_in_a_jwk_is_refused() {
    for alg in [Algorithm::ES256, Algorithm::ES384] {
        let mut jwk = signing_key(alg).public_jwk().unwrap();
        let mut y = tessera::b64::decode(jwk.y.as_deref().unwrap()).unwrap();
        let last = y.len() - 1;
        y[last] ^= 1;
        jwk.y = Some(b64(&y));
        assert!(Key::from_jwk(&jwk, None).is_err(), "{alg}: off-curve point");
        jwk.x = Some(b64(vec![0u8; y.len()]));
        jwk.y = Some(b64(vec![0u8; y.len()]));
        assert!(Key::from_jwk(&jwk, None).is_err(), "{alg}: (0, 0)");
    }
}

#[test]
fn an_ec_private_jwk_whose_public_point_is_another_keys_is_refused() {
    assert!(Key::from_jwk(&a3_private_jwk(), None).is_ok());
    let other = signing_key(Algorithm::ES256).public_jwk().unwrap();
    let mut mixed = a3_private_jwk();
    mixed.x = other.x;
    mixed.y = other.y;
    assert!(Key::from_jwk(&mixed, None).is_err());
}

#[test]
fn a_private_jwk_publishes_only_its_public_half() {
    let key = Key::from_jwk(&a3_private_jwk(), None).unwrap();
    assert!(key.can_sign());
    let text = serde_json::to_string(&KeySet::new(key).jwks()).unwrap();
    assert!(!text.contains("\"d\""), "{text}");
    assert!(!text.contains("jpsQnnGQ"), "{text}");
}

#[test]
fn a_jwk_naming_alg_none_is_refused() {
    let mut jwk = a3_private_jwk();
    jwk.alg = Some("none".to_owned());
    assert!(Key::from_jwk(&jwk, None).is_err());
}

const RSA2047_PRIVATE: &str = include_str!("../fixtures/test-only-rsa2047-private.pem");
const RSA2047_PUBLIC: &str = include_str!("../fixtures/test-only-rsa2047-public.pem");

#[test]
fn a_2047_bit_rsa_public_key_is_refused_though_its_modulus_fills_256_bytes() {
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        assert_eq!(
            Key::from_pem(alg, RSA2047_PUBLIC).unwrap_err(),
            KeyError::RsaTooSmall(2047),
            "{alg}"
        );
    }
}

#[test]
fn a_2047_bit_rsa_private_key_is_refused_naming_its_size() {
    assert_eq!(
        Key::from_pem(Algorithm::RS256, RSA2047_PRIVATE).unwrap_err(),
        KeyError::RsaTooSmall(2047)
    );
}

#[test]
fn a_2047_bit_rsa_jwk_modulus_is_refused() {
    // 256 bytes whose top bit is clear: a 2047-bit modulus.
    let mut n = vec![0xA5u8; 256];
    n[0] = 0x7F;
    n[255] |= 1;
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA", "alg": "RS256", "n": b64(&n), "e": "AQAB"
    }))
    .unwrap();
    assert_eq!(
        Key::from_jwk(&jwk, None).unwrap_err(),
        KeyError::RsaTooSmall(2047)
    );
}

#[test]
fn rfc8037_a3_ed25519_thumbprint_is_reproduced() {
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    }))
    .unwrap();
    assert_eq!(
        jwk.thumbprint().as_deref(),
        Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    );
    // A key loaded from it carries the thumbprint as its kid.
    let key = Key::from_jwk(&jwk, None).unwrap();
    assert_eq!(
        key.kid(),
        Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    );
}
