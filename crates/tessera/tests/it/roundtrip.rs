//! Every algorithm signs and verifies its own tokens, whichever way its key
//! was loaded (generated, PEM, OpenSSL output, JWK), and the claims come back
//! exactly as written.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera::{
    Algorithm, Claims, DecodeOptions, EncodeError, ExtraClaims, Fresh, GeneratedKeyPair, Key,
    KeyError, KeySet, TokenError, TokenType, Validation, inspect,
};

use crate::support::{NOW, clock, codec, codec_with, decode, hs256, hs256_codec, signing_key};

fn extras() -> ExtraClaims {
    let mut extra = ExtraClaims::new();
    extra.insert("roles".into(), json!(["admin", "ops"]));
    extra.insert("tenant".into(), json!({"id": 7, "name": "acme"}));
    extra
}

/// Signs with `signer`, verifies with `verifier`, and checks every claim.
fn assert_round_trip(signer: Key, verifier: Key) {
    let alg = signer.algorithm();
    let claims = Claims::new("user-42", TokenType::Access, NOW, Some(900), extras());
    let token = codec(KeySet::new(signer)).encode(&claims).unwrap();
    let verified = decode(&codec(KeySet::new(verifier)), &token).unwrap();
    assert_eq!(verified.header.alg, alg);
    assert_eq!(verified.header.typ.as_deref(), Some("JWT"));
    assert_eq!(verified.claims, claims);
}

macro_rules! round_trip_tests {
    ($($name:ident => $alg:ident,)*) => {$(
        #[test]
        fn $name() {
            let key = signing_key(Algorithm::$alg);
            let verifier = key.public_only().unwrap();
            assert_round_trip(key, verifier);
        }
    )*};
}

round_trip_tests! {
    rs256_round_trips_with_a_generated_key_pair => RS256,
    rs384_round_trips_with_a_generated_key_pair => RS384,
    rs512_round_trips_with_a_generated_key_pair => RS512,
    ps256_round_trips_with_a_generated_key_pair => PS256,
    ps384_round_trips_with_a_generated_key_pair => PS384,
    ps512_round_trips_with_a_generated_key_pair => PS512,
    es256_round_trips_with_a_generated_key_pair => ES256,
    es384_round_trips_with_a_generated_key_pair => ES384,
    eddsa_round_trips_with_a_generated_key_pair => EdDSA,
}

fn hmac_round_trip(alg: Algorithm) {
    let secret = tessera::keys::generate_secret(alg.min_secret_len().unwrap()).unwrap();
    let signer = Key::hmac(alg, secret.as_bytes()).unwrap();
    let verifier = Key::hmac(alg, secret.as_bytes()).unwrap();
    assert_round_trip(signer, verifier);
}

#[test]
fn hs256_round_trips_with_a_shared_secret() {
    hmac_round_trip(Algorithm::HS256);
}

#[test]
fn hs384_round_trips_with_a_shared_secret() {
    hmac_round_trip(Algorithm::HS384);
}

#[test]
fn hs512_round_trips_with_a_shared_secret() {
    hmac_round_trip(Algorithm::HS512);
}

#[test]
fn every_asymmetric_algorithm_round_trips_through_pem_files() {
    for alg in Algorithm::ALL.into_iter().filter(|alg| alg.is_asymmetric()) {
        let pair = GeneratedKeyPair::generate(alg).unwrap();
        assert!(pair.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let signer = Key::from_pem(alg, &pair.private_pem).unwrap();
        let verifier = Key::from_pem(alg, &pair.public_pem).unwrap();
        assert!(signer.can_sign(), "{alg}");
        assert!(!verifier.can_sign(), "{alg}");
        assert_eq!(
            signer.kid(),
            verifier.kid(),
            "{alg}: same key, same thumbprint"
        );
        assert_round_trip(signer, verifier);
    }
}

#[test]
fn every_asymmetric_algorithm_round_trips_through_der() {
    for alg in Algorithm::ALL.into_iter().filter(|alg| alg.is_asymmetric()) {
        let pair = GeneratedKeyPair::generate(alg).unwrap();
        let private_der = pem::parse(&pair.private_pem).unwrap().into_contents();
        let public_der = pem::parse(&pair.public_pem).unwrap().into_contents();
        let signer = Key::from_private_der(alg, &private_der).unwrap();
        let verifier = Key::from_public_der(alg, &public_der).unwrap();
        assert_round_trip(signer, verifier);
    }
}

#[test]
fn every_asymmetric_algorithm_round_trips_through_public_jwk_export_and_import() {
    for alg in Algorithm::ALL.into_iter().filter(|alg| alg.is_asymmetric()) {
        let signer = signing_key(alg);
        let jwk = signer.public_jwk().unwrap();
        assert_eq!(jwk.alg.as_deref(), Some(alg.as_str()));
        assert_eq!(jwk.key_use.as_deref(), Some("sig"));
        assert!(
            jwk.d.is_none() && jwk.k.is_none(),
            "{alg}: no private member"
        );
        // Through JSON text, as a JWKS consumer would receive it.
        let text = serde_json::to_string(&jwk).unwrap();
        let imported = Key::from_jwk(&serde_json::from_str(&text).unwrap(), None).unwrap();
        assert_eq!(imported.algorithm(), alg);
        assert_eq!(imported.kid(), signer.kid(), "{alg}: kid survives export");
        assert!(!imported.can_sign());
        assert_round_trip(signer, imported);
    }
}

#[test]
fn openssl_pkcs1_rsa_private_key_signs_what_its_public_pem_verifies() {
    let private = include_str!("../fixtures/test-only-rsa2048-pkcs1-private.pem");
    let public = include_str!("../fixtures/test-only-rsa2048-public.pem");
    assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    for alg in [Algorithm::RS256, Algorithm::PS512] {
        assert_round_trip(
            Key::from_pem(alg, private).unwrap(),
            Key::from_pem(alg, public).unwrap(),
        );
    }
}

#[test]
fn openssl_sec1_ec_private_key_with_parameters_block_signs_what_its_public_pem_verifies() {
    let private = include_str!("../fixtures/test-only-p256-sec1-private.pem");
    let public = include_str!("../fixtures/test-only-p256-public.pem");
    assert!(private.starts_with("-----BEGIN EC PARAMETERS-----"));
    assert_round_trip(
        Key::from_pem(Algorithm::ES256, private).unwrap(),
        Key::from_pem(Algorithm::ES256, public).unwrap(),
    );
}

#[test]
fn openssl_ed25519_private_key_signs_what_its_public_pem_verifies() {
    let private = include_str!("../fixtures/test-only-ed25519-private.pem");
    let public = include_str!("../fixtures/test-only-ed25519-public.pem");
    assert_round_trip(
        Key::from_pem(Algorithm::EdDSA, private).unwrap(),
        Key::from_pem(Algorithm::EdDSA, public).unwrap(),
    );
}

#[test]
fn a_p256_key_is_refused_for_es384() {
    let public = include_str!("../fixtures/test-only-p256-public.pem");
    assert!(matches!(
        Key::from_pem(Algorithm::ES384, public),
        Err(KeyError::WrongKeyType {
            alg: Algorithm::ES384,
            ..
        })
    ));
}

#[test]
fn a_public_key_is_never_an_hmac_secret() {
    let public = include_str!("../fixtures/test-only-rsa2048-public.pem");
    assert!(matches!(
        Key::from_pem(Algorithm::HS256, public),
        Err(KeyError::WrongKeyType {
            alg: Algorithm::HS256,
            ..
        })
    ));
}

#[test]
fn hmac_keys_have_no_public_jwk() {
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        assert!(signing_key(alg).public_jwk().is_none(), "{alg}");
        assert!(signing_key(alg).public_only().is_none(), "{alg}");
    }
}

#[test]
fn refresh_tokens_round_trip_with_their_type() {
    let codec = hs256_codec();
    let claims = Claims::new(
        "7",
        TokenType::Refresh,
        NOW,
        Some(86_400),
        ExtraClaims::new(),
    );
    let token = codec.encode(&claims).unwrap();
    let verified = codec
        .decode::<ExtraClaims>(&token, TokenType::Refresh)
        .unwrap();
    assert_eq!(verified.claims.token_type, TokenType::Refresh);
    assert_eq!(verified.claims, claims);
}

#[test]
fn fresh_csrf_issuer_and_audiences_round_trip() {
    let validation = Validation {
        issuer: Some("https://auth.example".to_owned()),
        audience: vec!["api".to_owned()],
        ..Validation::default()
    };
    let codec = codec_with(KeySet::new(hs256()), validation, &clock());
    let mut claims = Claims::new("7", TokenType::Access, NOW, Some(60), ExtraClaims::new())
        .with_fresh(Fresh::Until(1_700_000_300.5));
    claims.csrf = Some("c5rf-t0ken".to_owned());
    claims.iss = Some("https://auth.example".to_owned());
    claims.aud = vec!["web".to_owned(), "api".to_owned()];
    let verified = decode(&codec, &codec.encode(&claims).unwrap()).unwrap();
    assert_eq!(verified.claims, claims);
    assert!(verified.claims.fresh.is_fresh_at(NOW));
    assert!(!verified.claims.fresh.is_fresh_at(1_700_000_301));
}

#[test]
fn payload_is_written_in_flask_jwt_extended_order() {
    let codec = hs256_codec();
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), extras());
    let token = codec.encode(&claims).unwrap();
    let payload = tessera::b64::decode(token.split('.').nth(1).unwrap()).unwrap();
    let text = String::from_utf8(payload).unwrap();
    let jti = claims.jti.as_deref().unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"fresh":false,"iat":{NOW},"jti":"{jti}","type":"access","sub":"42","nbf":{NOW},"exp":{},"roles":["admin","ops"],"tenant":{{"id":7,"name":"acme"}}}}"#,
            NOW + 900
        )
    );
    // And the header is PyJWT's for a key without kid.
    let header = tessera::b64::decode(token.split('.').next().unwrap()).unwrap();
    assert_eq!(header, br#"{"alg":"HS256","typ":"JWT"}"#);
}

#[test]
fn new_tokens_get_a_fresh_uuid_jti_each() {
    let first = Claims::new("1", TokenType::Access, NOW, Some(1), ExtraClaims::new());
    let second = Claims::new("1", TokenType::Access, NOW, Some(1), ExtraClaims::new());
    let jti = first.jti.unwrap();
    assert_eq!(jti.len(), 36);
    assert_eq!(jti.as_bytes()[14], b'4', "UUID version 4");
    assert_ne!(Some(jti), second.jti);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AppClaims {
    roles: Vec<String>,
    org: u32,
}

#[test]
fn typed_extra_claims_round_trip() {
    let codec = hs256_codec();
    let extra = AppClaims {
        roles: vec!["admin".to_owned()],
        org: 9,
    };
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), extra.clone());
    let token = codec.encode(&claims).unwrap();
    let verified = codec
        .decode::<AppClaims>(&token, TokenType::Access)
        .unwrap();
    assert_eq!(verified.claims.extra, extra);
}

#[test]
fn extra_claims_of_the_wrong_shape_are_refused_after_verification() {
    let codec = hs256_codec();
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), extras());
    let token = codec.encode(&claims).unwrap();
    assert!(matches!(
        codec.decode::<AppClaims>(&token, TokenType::Access),
        Err(TokenError::ExtraClaims(_))
    ));
}

#[test]
fn a_custom_identity_claim_carries_the_subject() {
    let validation = Validation {
        identity_claim: "user_id".to_owned(),
        ..Validation::default()
    };
    let codec = codec_with(KeySet::new(hs256()), validation, &clock());
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    let token = codec.encode(&claims).unwrap();
    let unverified = inspect(&token, 8192).unwrap();
    assert_eq!(unverified.payload["user_id"], "42");
    assert!(!unverified.payload.contains_key("sub"));
    assert_eq!(decode(&codec, &token).unwrap().claims.sub, "42");
}

#[test]
fn extra_claims_cannot_overwrite_registered_claims() {
    let codec = hs256_codec();
    for name in [
        "sub", "exp", "iat", "nbf", "jti", "type", "fresh", "csrf", "iss", "aud",
    ] {
        let mut extra = ExtraClaims::new();
        extra.insert(name.to_owned(), json!("x"));
        let claims = Claims::new("42", TokenType::Access, NOW, Some(900), extra);
        assert_eq!(
            codec.encode(&claims),
            Err(EncodeError::ReservedClaim(name.to_owned())),
            "{name}"
        );
    }
}

#[test]
fn extra_headers_cannot_overwrite_protected_parameters() {
    let codec = hs256_codec();
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    for name in [
        "alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u", "x5c",
    ] {
        let mut headers = serde_json::Map::new();
        headers.insert(name.to_owned(), json!("x"));
        assert_eq!(
            codec.encode_with_headers(&claims, Some(&headers)),
            Err(EncodeError::ReservedHeader(name.to_owned())),
            "{name}"
        );
    }
}

#[test]
fn extra_headers_are_signed_and_returned() {
    let codec = hs256_codec();
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    let mut headers = serde_json::Map::new();
    headers.insert("cty".to_owned(), json!("demo"));
    let token = codec.encode_with_headers(&claims, Some(&headers)).unwrap();
    let verified = decode(&codec, &token).unwrap();
    assert_eq!(verified.header.other.get("cty"), Some(&json!("demo")));
}

#[test]
fn a_verification_only_key_cannot_encode() {
    let key = signing_key(Algorithm::ES256).public_only().unwrap();
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    assert_eq!(
        codec(KeySet::new(key)).encode(&claims),
        Err(EncodeError::Key(KeyError::NoPrivateKey))
    );
}

#[test]
fn allow_expired_skips_only_the_expiry_check() {
    let clock = clock();
    let codec = codec_with(KeySet::new(hs256()), Validation::default(), &clock);
    let claims = Claims::new("42", TokenType::Refresh, NOW, Some(60), ExtraClaims::new());
    let token = codec.encode(&claims).unwrap();
    clock.advance(3600);
    let options = DecodeOptions {
        token_type: Some(TokenType::Refresh),
        allow_expired: true,
    };
    assert_eq!(
        codec
            .decode_with::<ExtraClaims>(&token, options)
            .unwrap()
            .claims,
        claims
    );
    // The type is still checked …
    let as_access = DecodeOptions {
        token_type: Some(TokenType::Access),
        allow_expired: true,
    };
    assert!(matches!(
        codec.decode_with::<ExtraClaims>(&token, as_access),
        Err(TokenError::WrongTokenType { .. })
    ));
    // … and without the option it is expired.
    assert_eq!(
        codec
            .decode::<ExtraClaims>(&token, TokenType::Refresh)
            .unwrap_err(),
        TokenError::Expired
    );
}

#[test]
fn decode_without_a_type_accepts_access_and_refresh() {
    let codec = hs256_codec();
    for token_type in [TokenType::Access, TokenType::Refresh] {
        let claims = Claims::new("42", token_type, NOW, Some(60), ExtraClaims::new());
        let token = codec.encode(&claims).unwrap();
        let verified = codec
            .decode_with::<ExtraClaims>(&token, DecodeOptions::default())
            .unwrap();
        assert_eq!(verified.claims.token_type, token_type);
    }
}
