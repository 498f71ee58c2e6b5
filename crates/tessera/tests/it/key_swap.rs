//! Replacing a codec's keys at run time (`TokenCodec::replace_keys`,
//! `JwtManager::replace_keys`): every clone and derived codec follows, a
//! removed key's tokens stop verifying at once (the verified-token cache
//! included), and the JWKS follows.

use std::sync::Arc;

use tessera::{
    Algorithm, Claims, DecodeOptions, ExtraClaims, JwtConfig, JwtManager, KeySet, ManualClock,
    TokenCodec, TokenConfig, TokenError, TokenType, Validation,
};

use crate::axum_support::{app, bearer, request, send};
use crate::support::{NOW, codec, decode, refusal, signing_key};

fn access_token(codec: &TokenCodec) -> String {
    let claims = Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new());
    codec.encode(&claims).unwrap()
}

fn kid_of(token: &str) -> String {
    tessera::inspect(token, 8192).unwrap().header["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn after_a_swap_the_new_key_signs_and_the_removed_one_is_refused() {
    let old = signing_key(Algorithm::ES256);
    let new = signing_key(Algorithm::ES256);
    let (old_kid, new_kid) = (old.kid().unwrap().to_owned(), new.kid().unwrap().to_owned());
    let codec = codec(KeySet::new(old));
    let old_token = access_token(&codec);
    assert_eq!(kid_of(&old_token), old_kid);

    codec.replace_keys(KeySet::new(new));
    let new_token = access_token(&codec);
    assert_eq!(kid_of(&new_token), new_kid);
    assert!(decode(&codec, &new_token).is_ok());
    assert_eq!(refusal(&codec, &old_token), TokenError::UnknownKeyId);
}

#[test]
fn an_old_key_kept_for_verification_still_verifies_its_tokens() {
    let old = signing_key(Algorithm::EdDSA);
    let verifier = old.public_only().unwrap();
    let codec = codec(KeySet::new(old));
    let old_token = access_token(&codec);

    let new = signing_key(Algorithm::EdDSA);
    codec.replace_keys(KeySet::new(new).with_verification_key(verifier).unwrap());
    assert!(decode(&codec, &old_token).is_ok());
    let kids: Vec<_> = codec
        .keys()
        .jwks()
        .keys
        .iter()
        .map(|jwk| jwk.kid.clone().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "both keys are published: {kids:?}");
}

#[test]
fn clones_and_derived_codecs_see_the_swap() {
    let old = signing_key(Algorithm::ES256);
    let codec = codec(KeySet::new(old));
    let clone = codec.clone();
    let other_clock = codec.with_clock(Arc::new(ManualClock::new(NOW)));
    let other_policy = codec.with_validation(Validation {
        leeway: 5,
        ..Validation::default()
    });
    let old_token = access_token(&codec);

    let new = signing_key(Algorithm::ES256);
    let new_kid = new.kid().unwrap().to_owned();
    // Replaced through one of the derived codecs: all of them follow.
    other_policy.replace_keys(KeySet::new(new));
    for (name, each) in [
        ("original", &codec),
        ("clone", &clone),
        ("with_clock", &other_clock),
        ("with_validation", &other_policy),
    ] {
        assert_eq!(
            each.keys().primary().kid(),
            Some(new_kid.as_str()),
            "{name}"
        );
        assert_eq!(
            refusal(each, &old_token),
            TokenError::UnknownKeyId,
            "{name}"
        );
        assert_eq!(kid_of(&access_token(each)), new_kid, "{name}");
    }
}

#[test]
fn the_verified_token_cache_forgets_a_removed_keys_tokens() {
    let old = signing_key(Algorithm::ES256);
    let codec = codec(KeySet::new(old));
    let derived = codec.with_validation(Validation::default());
    let token = access_token(&codec);
    let options = DecodeOptions::expect(TokenType::Access);
    // Verified once, so both caches answer it from memory from now on.
    assert!(codec.decode_shared(&token, options).is_ok());
    assert!(derived.decode_shared(&token, options).is_ok());
    assert!(codec.decode_shared(&token, options).is_ok());

    codec.replace_keys(KeySet::new(signing_key(Algorithm::ES256)));
    assert_eq!(
        codec.decode_shared(&token, options).unwrap_err(),
        TokenError::UnknownKeyId
    );
    assert_eq!(
        derived.decode_shared(&token, options).unwrap_err(),
        TokenError::UnknownKeyId
    );
}

#[tokio::test]
async fn a_router_holding_a_manager_clone_follows_a_swap_on_the_manager() {
    let clock = ManualClock::new(NOW);
    let first = signing_key(Algorithm::HS256).with_kid("first");
    let codec = TokenCodec::new(KeySet::new(first));
    let manager = JwtManager::with_codec(
        JwtConfig::new(TokenConfig::with_secret("k3Yq9vN2xP7rT4wZ8mB1cF6hJ0sD5gL3")),
        codec,
    )
    .unwrap()
    .with_clock(clock);
    let router = app(&manager);
    let old_token = manager.create_access_token("alice").unwrap();
    let reply = send(
        &router,
        request(
            "GET",
            "/protected",
            &[("authorization", &bearer(&old_token))],
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    manager.replace_keys(KeySet::new(
        signing_key(Algorithm::HS256).with_kid("second"),
    ));
    // The router's manager is a clone: it refuses the old token, even though
    // it verified (and cached) it a moment ago.
    let reply = send(
        &router,
        request(
            "GET",
            "/protected",
            &[("authorization", &bearer(&old_token))],
        ),
    )
    .await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let new_token = manager.create_access_token("alice").unwrap();
    assert_eq!(kid_of(&new_token), "second");
    let reply = send(
        &router,
        request(
            "GET",
            "/protected",
            &[("authorization", &bearer(&new_token))],
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}
