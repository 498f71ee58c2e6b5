//! `TokenCodec::decode_shared`: a verified token is remembered, but the time
//! rules and the expected type are applied on every presentation.

use std::sync::Arc;

use tessera::{
    Claims, DecodeOptions, ExtraClaims, KeySet, ManualClock, TokenCodec, TokenError, TokenType,
    Validation,
};

use crate::support::{NOW, hs256};

fn codec(clock: &ManualClock) -> TokenCodec {
    TokenCodec::builder(KeySet::new(hs256()))
        .clock(Arc::new(clock.clone()))
        .build()
}

fn access_token(codec: &TokenCodec, lifetime: i64) -> String {
    let claims = Claims::new(
        "42",
        TokenType::Access,
        NOW,
        Some(lifetime),
        ExtraClaims::new(),
    );
    codec.encode(&claims).unwrap()
}

#[test]
fn the_same_token_is_answered_from_memory_the_second_time() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let token = access_token(&codec, 900);
    let first = codec
        .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
        .unwrap();
    let second = codec
        .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
        .unwrap();
    assert!(Arc::ptr_eq(&first, &second));
}

#[test]
fn a_remembered_token_still_expires() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let token = access_token(&codec, 900);
    codec
        .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
        .unwrap();
    clock.advance(900);
    assert_eq!(
        codec
            .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
            .unwrap_err(),
        TokenError::Expired
    );
}

#[test]
fn a_remembered_access_token_is_still_refused_where_a_refresh_token_is_expected() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let token = access_token(&codec, 900);
    codec
        .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
        .unwrap();
    assert!(matches!(
        codec.decode_shared(&token, DecodeOptions::expect(TokenType::Refresh)),
        Err(TokenError::WrongTokenType {
            expected: TokenType::Refresh,
            ..
        })
    ));
}

#[test]
fn a_token_remembered_before_its_nbf_is_still_not_yet_valid() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let mut claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    claims.nbf = Some(NOW + 60);
    let token = codec.encode(&claims).unwrap();
    let allow = DecodeOptions::expect(TokenType::Access);
    assert_eq!(
        codec.decode_shared(&token, allow).unwrap_err(),
        TokenError::NotYetValid
    );
    clock.advance(60);
    codec.decode_shared(&token, allow).unwrap();
    clock.set(NOW);
    assert_eq!(
        codec.decode_shared(&token, allow).unwrap_err(),
        TokenError::NotYetValid
    );
}

#[test]
fn a_tampered_copy_of_a_remembered_token_is_verified_from_scratch() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let token = access_token(&codec, 900);
    codec
        .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
        .unwrap();
    let mut forged = token;
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'Q' } else { 'A' });
    assert!(
        codec
            .decode_shared(&forged, DecodeOptions::expect(TokenType::Access))
            .is_err()
    );
}

#[test]
fn a_stricter_policy_does_not_inherit_what_the_old_one_accepted() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let token = access_token(&codec, 900);
    codec
        .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
        .unwrap();
    let strict = codec.with_validation(Validation {
        issuer: Some("https://auth.example".to_owned()),
        ..Validation::default()
    });
    assert_eq!(
        strict
            .decode_shared(&token, DecodeOptions::expect(TokenType::Access))
            .unwrap_err(),
        TokenError::MissingClaim("iss".to_owned())
    );
}

#[test]
fn an_oversized_token_is_refused_before_the_cache_is_consulted() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let huge = "a".repeat(1 << 20);
    assert!(matches!(
        codec.decode_shared(&huge, DecodeOptions::default()),
        Err(TokenError::TooLarge { .. })
    ));
}

#[test]
fn another_payload_under_a_remembered_signature_is_refused() {
    let clock = ManualClock::new(NOW);
    let codec = codec(&clock);
    let genuine = access_token(&codec, 900);
    codec
        .decode_shared(&genuine, DecodeOptions::expect(TokenType::Access))
        .unwrap();
    let mut claims = Claims::new(
        "admin",
        TokenType::Access,
        NOW,
        Some(900),
        ExtraClaims::new(),
    );
    claims.jti = Some("forged".to_owned());
    let other = codec.encode(&claims).unwrap();
    let (other_body, _) = other.rsplit_once('.').unwrap();
    let (_, genuine_signature) = genuine.rsplit_once('.').unwrap();
    let spliced = format!("{other_body}.{genuine_signature}");
    assert_eq!(
        codec
            .decode_shared(&spliced, DecodeOptions::expect(TokenType::Access))
            .unwrap_err(),
        TokenError::InvalidSignature
    );
}
