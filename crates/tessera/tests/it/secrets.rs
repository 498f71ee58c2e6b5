//! Key strength: HMAC secrets at least as long as the hash and not
//! guessable, used byte for byte as written (so one `.env` serves PyJWT /
//! Flask-JWT-Extended and Tessera), RSA keys of at least 2048 bits, and no
//! Ed25519 public key of small order. Strong secrets of every usual shape
//! load; guessable ones (sample secrets, keyboard walks) do not.

use jsonwebtoken as jwt;
use serde_json::{Value, json};
use tessera::{
    Algorithm, Claims, ExtraClaims, Jwk, Key, KeyError, KeySet, TokenConfig, TokenError, TokenType,
    keys::KNOWN_PLACEHOLDER,
};

use crate::support::{
    NOW, SECRET, b64, claims_with, codec, decode, refusal, signing_key, valid_token,
};

/// 64 bytes of varied text to cut secrets of any length from.
const VARIED: &str = "Xq7Lm2Vb9Nc4Rt8Wz1Ks6Jd3Hf5Gp0Ya-Ue_Io+Tr/Ew=Qs!Ad@Zx#Cv$Bn%Mk^Lj&";

#[test]
fn secrets_one_byte_shorter_than_the_hash_are_refused_with_both_lengths() {
    for (alg, min) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        let short = &VARIED.as_bytes()[..min - 1];
        assert_eq!(
            Key::hmac(alg, short).unwrap_err(),
            KeyError::SecretTooShort {
                alg,
                min,
                len: min - 1
            }
        );
        assert!(
            Key::hmac(alg, &VARIED.as_bytes()[..min]).is_ok(),
            "{alg} at {min}"
        );
    }
}

#[test]
fn empty_secret_is_refused() {
    assert_eq!(
        Key::hmac(Algorithm::HS256, b"").unwrap_err(),
        KeyError::SecretTooShort {
            alg: Algorithm::HS256,
            min: 32,
            len: 0
        }
    );
}

#[test]
fn short_secret_error_says_what_to_do() {
    let message = Key::hmac(Algorithm::HS256, b"your-256-bit-secret")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("32") && message.contains("19"),
        "{message}"
    );
    assert!(message.contains("tessera init"), "{message}");
}

#[test]
fn the_well_known_placeholder_secret_is_refused_for_every_hmac_algorithm() {
    assert_eq!(
        KNOWN_PLACEHOLDER,
        "super-secret-jwt-key-change-this-in-production-seriously-long-random-string"
    );
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        assert!(
            matches!(
                Key::hmac(alg, KNOWN_PLACEHOLDER.as_bytes()),
                Err(KeyError::WeakSecret(_))
            ),
            "{alg}"
        );
    }
}

#[test]
fn placeholder_lookalikes_are_refused() {
    for weak in [
        "SUPER_SECRET_JWT_KEY_CHANGE_THIS_IN_PRODUCTION_SERIOUSLY_LONG_RANDOM_STRING",
        "super secret jwt key, change this in production! 2024-05-01",
        "Super-Secret-Key-For-Our-Service-That-Nobody-Knows-42",
        "please-change-me-before-deploying-to-prod-1234567",
        "my-jwt-secret-key-for-development-only-do-not-use",
        "replace_me_with_a_real_random_value_of_64_chars_xyz",
        "this-is-an-example-secret-used-in-the-docs-2931",
        "1234567890abcdefghijklmnopqrstuvwxyz1234567890",
    ] {
        assert!(
            matches!(
                Key::hmac(Algorithm::HS256, weak.as_bytes()),
                Err(KeyError::WeakSecret(_))
            ),
            "{weak:?} should be refused"
        );
    }
}

#[test]
fn low_variety_secrets_are_refused() {
    for weak in ["a".repeat(64), "ab".repeat(32), "0101010101".repeat(4)] {
        assert!(
            matches!(
                Key::hmac(Algorithm::HS256, weak.as_bytes()),
                Err(KeyError::WeakSecret(_))
            ),
            "{weak:?}"
        );
    }
}

#[test]
fn generated_secrets_are_accepted() {
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let secret = tessera::keys::generate_secret(alg.min_secret_len().unwrap()).unwrap();
        assert!(Key::hmac(alg, secret.as_bytes()).is_ok(), "{alg}: {secret}");
    }
}

#[test]
fn a_shared_secret_is_only_for_hmac_algorithms() {
    assert!(matches!(
        Key::hmac(Algorithm::RS256, SECRET.as_bytes()),
        Err(KeyError::WrongKeyType {
            alg: Algorithm::RS256,
            ..
        })
    ));
}

// --- exact UTF-8 bytes ----------------------------------------------------------

/// A secret with non-ASCII characters and punctuation, as a user might write it.
const UNICODE_SECRET: &str = "Grüße-aus-Köln/Ωμέγα+東京=9f3K2qL7xT0vB5nW";

fn pyjwt_style_token(secret: &str) -> String {
    // PyJWT: jwt.encode(claims, key=secret) uses secret.encode("utf-8").
    let claims = serde_json::json!({
        "fresh": false, "iat": NOW, "jti": "2f0c4a3e-8b1d-4c6f-9e2a-7d5b3c1f0e9a",
        "type": "access", "sub": "42", "nbf": NOW, "exp": NOW + 900,
    });
    jwt::encode(
        &jwt::Header::new(jwt::Algorithm::HS256),
        &claims,
        &jwt::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[test]
fn a_secret_is_used_as_its_exact_utf8_bytes() {
    let config = TokenConfig::with_secret(UNICODE_SECRET);
    let codec = codec(config.key_set().unwrap());
    let verified = decode(&codec, &pyjwt_style_token(UNICODE_SECRET)).unwrap();
    assert_eq!(verified.claims.sub, "42");
}

#[test]
fn tokens_made_with_the_secret_verify_with_its_utf8_bytes_elsewhere() {
    let codec = codec(TokenConfig::with_secret(UNICODE_SECRET).key_set().unwrap());
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    let token = codec.encode(&claims).unwrap();
    let mut validation = jwt::Validation::new(jwt::Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let decoded = jwt::decode::<Value>(
        &token,
        &jwt::DecodingKey::from_secret(UNICODE_SECRET.as_bytes()),
        &validation,
    )
    .unwrap();
    assert_eq!(decoded.claims["sub"], "42");
}

#[test]
fn a_base64_looking_secret_is_not_base64_decoded() {
    // `tessera init` writes base64url text; the text is the key, as in
    // Flask-JWT-Extended — not the bytes it would decode to.
    let secret = tessera::keys::generate_secret(48).unwrap();
    let decoded_bytes = tessera::b64::decode(&secret).unwrap();
    let codec = codec(TokenConfig::with_secret(secret.clone()).key_set().unwrap());
    let by_bytes = jwt::encode(
        &jwt::Header::new(jwt::Algorithm::HS256),
        &serde_json::json!({"sub": "42", "iat": NOW, "exp": NOW + 900}),
        &jwt::EncodingKey::from_secret(&decoded_bytes),
    )
    .unwrap();
    assert_eq!(refusal(&codec, &by_bytes), TokenError::InvalidSignature);
    assert!(decode(&codec, &pyjwt_style_token(&secret)).is_ok());
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let key = Key::hmac(Algorithm::HS256, SECRET.as_bytes()).unwrap();
    let config = TokenConfig::with_secret(SECRET);
    let keys = KeySet::new(Key::hmac(Algorithm::HS256, SECRET.as_bytes()).unwrap());
    for shown in [
        format!("{key:?}"),
        format!("{config:?}"),
        format!("{:?}", config.keys),
        format!("{keys:?}"),
        format!("{:?}", codec(keys)),
    ] {
        assert!(!shown.contains(&SECRET[..12]), "{shown}");
    }
}

#[test]
fn private_key_material_never_appears_in_debug_output() {
    let pair = tessera::GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
    let body: String = pair
        .private_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let key = Key::from_pem(Algorithm::ES256, &pair.private_pem).unwrap();
    let mut jwk = key.public_jwk().unwrap();
    jwk.d = Some("c2VjcmV0LXNjYWxhcg".to_owned());
    for shown in [format!("{pair:?}"), format!("{key:?}"), format!("{jwk:?}")] {
        assert!(!shown.contains(&body[..40]), "{shown}");
        assert!(!shown.contains("c2VjcmV0LXNjYWxhcg"), "{shown}");
    }
}

// --- RSA strength ---------------------------------------------------------------

const RSA1024_PRIVATE: &str = include_str!("../fixtures/test-only-rsa1024-private.pem");
const RSA1024_PUBLIC: &str = include_str!("../fixtures/test-only-rsa1024-public.pem");
const RSA1024_JWK: &str = include_str!("../fixtures/test-only-rsa1024-public.jwk.json");

const RSA1024_PKCS1_PRIVATE: &str = include_str!("../fixtures/test-only-rsa1024-pkcs1-private.pem");

#[test]
fn rsa_private_key_under_2048_bits_is_refused() {
    for pem_text in [RSA1024_PRIVATE, RSA1024_PKCS1_PRIVATE] {
        for alg in [Algorithm::RS256, Algorithm::PS256] {
            assert_eq!(
                Key::from_pem(alg, pem_text).unwrap_err(),
                KeyError::RsaTooSmall(1024),
                "{alg}, {}",
                pem_text.lines().next().unwrap()
            );
        }
        let der = pem::parse(pem_text).unwrap().into_contents();
        assert_eq!(
            Key::from_private_der(Algorithm::RS384, &der).unwrap_err(),
            KeyError::RsaTooSmall(1024)
        );
    }
}

#[test]
fn rsa_public_key_under_2048_bits_is_refused() {
    assert_eq!(
        Key::from_pem(Algorithm::RS256, RSA1024_PUBLIC).unwrap_err(),
        KeyError::RsaTooSmall(1024)
    );
    let der = pem::parse(RSA1024_PUBLIC).unwrap().into_contents();
    assert_eq!(
        Key::from_public_der(Algorithm::RS512, &der).unwrap_err(),
        KeyError::RsaTooSmall(1024)
    );
}

#[test]
fn rsa_jwk_under_2048_bits_is_refused() {
    let jwk: Jwk = serde_json::from_str(RSA1024_JWK).unwrap();
    assert_eq!(
        Key::from_jwk(&jwk, None).unwrap_err(),
        KeyError::RsaTooSmall(1024)
    );
}

#[test]
fn rsa_jwk_modulus_with_a_leading_zero_byte_is_measured_without_it() {
    // A 1024-bit modulus padded to 129 bytes must not pass as 1032 bits.
    let mut jwk: Jwk = serde_json::from_str(RSA1024_JWK).unwrap();
    let n = tessera::b64::decode(jwk.n.as_deref().unwrap()).unwrap();
    let padded = [&[0u8; 200][..], &n].concat();
    jwk.n = Some(tessera::b64::encode(padded));
    assert_eq!(
        Key::from_jwk(&jwk, None).unwrap_err(),
        KeyError::RsaTooSmall(1024)
    );
}

#[test]
fn rsa_2048_bit_keys_are_accepted() {
    let key = signing_key(Algorithm::RS256);
    assert_eq!(
        tessera::b64::decode(key.public_jwk().unwrap().n.unwrap())
            .unwrap()
            .len(),
        256
    );
    assert!(
        decode(
            &codec(KeySet::new(key.public_only().unwrap())),
            &valid_token(&key)
        )
        .is_ok()
    );
}

// --- secrets that must load (no false positives) -----------------------------

#[test]
fn a_64_character_hex_secret_loads_for_every_hmac_algorithm() {
    // `openssl rand -hex 32`.
    let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        assert!(Key::hmac(alg, hex.as_bytes()).is_ok(), "{alg}");
    }
}

#[test]
fn the_86_character_secret_tessera_init_writes_loads_for_every_hmac_algorithm() {
    for _ in 0..50 {
        let secret = tessera::keys::generate_secret(64).unwrap();
        assert_eq!(secret.len(), 86);
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            assert!(Key::hmac(alg, secret.as_bytes()).is_ok(), "{alg}: {secret}");
        }
    }
}

// --- Ed25519 small-order public keys (RFC 8725 §3.4) --------------------------

/// The Ed25519 points of small order (1, 2, 4, 8), as their y-coordinate
/// encodings; `p`, `p + 1` are non-canonical spellings of 0 and 1.
const ED25519_SMALL_ORDER: [&str; 7] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

/// Each small-order encoding, and the same with the sign bit set.
fn small_order_points() -> Vec<Vec<u8>> {
    ED25519_SMALL_ORDER
        .iter()
        .flat_map(|hex| {
            let plain = unhex(hex);
            let mut signed = plain.clone();
            signed[31] |= 0x80;
            [plain, signed]
        })
        .collect()
}

#[test]
fn the_identity_point_is_refused_as_a_key_so_its_universal_forgery_cannot_verify() {
    // Why the keys below are refused: with A the identity, [k]A vanishes, so
    // R = identity, S = 0 satisfies [S]B = R + [k]A for every message.
    let forged = [&unhex(ED25519_SMALL_ORDER[1])[..], &[0u8; 32]].concat();
    let token = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"EdDSA"}"#),
        b64(claims_with(|_| {})),
        b64(&forged)
    );
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "OKP", "crv": "Ed25519", "x": b64(unhex(ED25519_SMALL_ORDER[1]))
    }))
    .unwrap();
    if let Ok(key) = Key::from_jwk(&jwk, None) {
        panic!(
            "loaded; the forgery is {}",
            match decode(&codec(KeySet::new(key)), &token) {
                Ok(_) => "accepted",
                Err(_) => "refused",
            }
        );
    }
}

#[test]
fn small_order_ed25519_public_keys_are_refused_from_jwk() {
    for point in small_order_points() {
        let jwk: Jwk =
            serde_json::from_value(json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&point) }))
                .unwrap();
        assert!(
            matches!(Key::from_jwk(&jwk, None), Err(KeyError::Invalid(_))),
            "{point:02x?}"
        );
    }
}

#[test]
fn small_order_ed25519_public_keys_are_refused_from_der_and_pem() {
    // SubjectPublicKeyInfo for Ed25519 (RFC 8410): fixed prefix, then the key.
    const SPKI_PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    for point in small_order_points() {
        let der = [&SPKI_PREFIX[..], &point].concat();
        assert!(
            matches!(
                Key::from_public_der(Algorithm::EdDSA, &der),
                Err(KeyError::Invalid(_))
            ),
            "{point:02x?}"
        );
        let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", der));
        assert!(
            Key::from_pem(Algorithm::EdDSA, &pem).is_err(),
            "{point:02x?}"
        );
    }
}

#[test]
fn an_ordinary_ed25519_public_key_still_loads_from_spki() {
    let key = signing_key(Algorithm::EdDSA);
    let x = tessera::b64::decode(key.public_jwk().unwrap().x.unwrap()).unwrap();
    let der = [
        &[
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ][..],
        &x,
    ]
    .concat();
    let public = Key::from_public_der(Algorithm::EdDSA, &der).unwrap();
    let token = valid_token(&key);
    assert!(decode(&codec(KeySet::new(public)), &token).is_ok());
}

// --- secrets that must not load (no false negatives) ---------------------------

#[test]
fn the_jwt_io_sample_secrets_are_refused() {
    // jwt.io's debugger pre-fills these; the second is long enough to pass
    // the length rule for HS256 on its own.
    for sample in [
        "a-string-secret-at-least-256-bits-long",
        "your-256-bit-secret-your-256-bit-secret",
        "your-512-bit-secret-your-512-bit-secret-your-512-bit-secret-your",
    ] {
        assert!(
            matches!(
                Key::hmac(Algorithm::HS256, sample.as_bytes()),
                Err(KeyError::WeakSecret(_))
            ),
            "{sample}"
        );
    }
}

#[test]
fn keyboard_walk_secrets_are_refused() {
    for walk in [
        "qwertyuiopasdfghjklzxcvbnm123456",
        "QWERTYUIOP-qwertyuiop-1234567890",
        "asdfghjkl;asdfghjkl;asdfghjkl;as",
    ] {
        assert!(
            matches!(
                Key::hmac(Algorithm::HS256, walk.as_bytes()),
                Err(KeyError::WeakSecret(_))
            ),
            "{walk}"
        );
    }
}
