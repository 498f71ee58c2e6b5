//! Adversarial review of the token core against RFC 8725, RFC 7515/7518/7519/
//! 7638, the attack catalogue (`security.md` C.1) and ASVS 5.0 V9: the edge
//! cases and attacks the other modules did not pin yet.

use serde_json::{Map, Value, json};
use tessera::{
    Algorithm, Claims, EncodeError, ExtraClaims, Fresh, Jwk, Key, KeyError, KeySet, ManualClock,
    TokenCodec, TokenError, TokenType, Validation,
};

use crate::support::{
    NOW, OTHER_SECRET, SECRET, b64, claims_with, clock, codec, codec_with, decode, header_for,
    header_with, hs256, hs256_codec, refusal, replace_segment, sign_raw, signing_key, valid_token,
};

/// A correctly signed HS256 token carrying the valid claims after `edit`.
fn token(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let key = hs256();
    sign_raw(&key, &header_for(&key), &claims_with(edit))
}

/// A correctly signed HS256 token whose claim `name` is `value`.
fn token_with(name: &str, value: Value) -> String {
    token(|claims| {
        claims.insert(name.to_owned(), value);
    })
}

fn codec_validating(validation: Validation) -> TokenCodec {
    codec_with(KeySet::new(hs256()), validation, &clock())
}

fn new_claims() -> Claims {
    Claims::new("42", TokenType::Access, NOW, Some(900), ExtraClaims::new())
}

// --- numeric dates at the edges of i64 and f64 (no panic, fail closed) -------

#[test]
fn extreme_numeric_dates_and_leeways_never_panic() {
    let extremes = [
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(-1e300),
        json!(1e300),
        json!(-0.5),
        json!(f64::MAX),
        json!(f64::MIN),
    ];
    for leeway in [0, 300, -1, i64::MAX, i64::MIN] {
        let codec = codec_validating(Validation {
            leeway,
            ..Validation::default()
        });
        for value in &extremes {
            for claim in ["exp", "nbf", "iat"] {
                // Any verdict will do; it must be a verdict, not a panic.
                let _ = decode(&codec, &token_with(claim, value.clone()));
            }
        }
    }
}

#[test]
fn a_clock_at_the_ends_of_time_never_panics() {
    for now in [i64::MIN, i64::MAX, 0] {
        for leeway in [0, i64::MAX, i64::MIN] {
            let validation = Validation {
                leeway,
                ..Validation::default()
            };
            let codec = codec_with(KeySet::new(hs256()), validation, &ManualClock::new(now));
            let _ = decode(&codec, &valid_token(&hs256()));
            let claims = Claims::new("42", TokenType::Access, now, Some(i64::MAX), ());
            let token = codec.encode(&claims).unwrap();
            let _ = codec.decode::<ExtraClaims>(&token, TokenType::Access);
        }
    }
}

#[test]
fn an_exp_below_i64_is_expired_and_one_above_saturates_to_the_far_future() {
    for past in [json!(-1e300), json!(i64::MIN), json!(f64::MIN)] {
        assert_eq!(
            refusal(&hs256_codec(), &token_with("exp", past.clone())),
            TokenError::Expired,
            "{past}"
        );
    }
    let far = decode(&hs256_codec(), &token_with("exp", json!(u64::MAX))).unwrap();
    assert_eq!(far.claims.exp, Some(i64::MAX));
}

#[test]
fn nbf_and_iat_above_i64_are_in_the_future() {
    assert_eq!(
        refusal(&hs256_codec(), &token_with("nbf", json!(1e300))),
        TokenError::NotYetValid
    );
    assert_eq!(
        refusal(&hs256_codec(), &token_with("iat", json!(u64::MAX))),
        TokenError::IssuedInFuture
    );
}

#[test]
fn a_negative_leeway_only_makes_the_checks_stricter() {
    let codec = codec_validating(Validation {
        leeway: -10,
        ..Validation::default()
    });
    assert_eq!(
        refusal(&codec, &token_with("exp", json!(NOW + 5))),
        TokenError::Expired
    );
}

// --- attacker text in errors is short (errors end up in logs) ---------------

/// Asserts that `err` repeats at most a few hundred characters of input.
fn assert_short(err: &TokenError) {
    let (shown, debugged) = (err.to_string(), format!("{err:?}"));
    assert!(
        shown.chars().count() <= 200 && debugged.chars().count() <= 400,
        "error repeats {} characters: {}…",
        shown.chars().count(),
        shown.chars().take(100).collect::<String>()
    );
}

/// A token signed with the server's key whose header is `header` (an edit
/// of the usual one).
fn token_with_header(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let key = hs256();
    sign_raw(&key, &header_with(&key, edit), &claims_with(|_| {}))
}

#[test]
fn a_4_kib_alg_is_not_repeated_in_the_error() {
    let err = refusal(
        &hs256_codec(),
        &token_with_header(|h| {
            h.insert("alg".into(), json!("A".repeat(4000)));
        }),
    );
    assert!(matches!(&err, TokenError::UnsupportedAlgorithm(name) if name.starts_with("AAAA")));
    assert_short(&err);
}

#[test]
fn a_large_non_string_alg_is_not_repeated_in_the_error() {
    let err = refusal(
        &hs256_codec(),
        &token_with_header(|h| {
            h.insert("alg".into(), json!(vec!["x".repeat(40); 100]));
        }),
    );
    assert!(
        matches!(err, TokenError::UnsupportedAlgorithm(_)),
        "{err:?}"
    );
    assert_short(&err);
}

#[test]
fn a_4_kib_crit_name_is_not_repeated_in_the_error() {
    let err = refusal(
        &hs256_codec(),
        &token_with_header(|h| {
            h.insert("crit".into(), json!(["c".repeat(4000)]));
        }),
    );
    assert!(matches!(err, TokenError::UnsupportedCritical(_)), "{err:?}");
    assert_short(&err);
}

#[test]
fn a_2_kib_duplicate_header_name_is_not_repeated_in_the_error() {
    let name = "d".repeat(2000);
    let header = format!(r#"{{"alg":"HS256","{name}":1,"{name}":2}}"#);
    let err = refusal(
        &hs256_codec(),
        &sign_raw(&hs256(), &header, &claims_with(|_| {})),
    );
    assert!(matches!(err, TokenError::DuplicateMember { .. }), "{err:?}");
    assert_short(&err);
}

#[test]
fn a_4_kib_token_type_is_not_repeated_in_the_error() {
    let err = refusal(&hs256_codec(), &token_with("type", json!("t".repeat(4000))));
    assert!(matches!(err, TokenError::WrongTokenType { .. }), "{err:?}");
    assert_short(&err);
}

#[test]
fn extra_claims_errors_do_not_repeat_claim_values_at_length() {
    #[derive(Debug, serde::Deserialize)]
    struct Extras {
        #[allow(dead_code)]
        roles: Vec<String>,
    }
    let token = token_with("roles", json!("r".repeat(4000)));
    let err = hs256_codec()
        .decode::<Extras>(&token, TokenType::Access)
        .unwrap_err();
    assert!(matches!(err, TokenError::ExtraClaims(_)), "{err:?}");
    assert_short(&err);
}

#[test]
fn control_characters_from_a_token_never_reach_an_error_message_raw() {
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoExtras {}
    // serde names an unknown field verbatim; a newline in it could forge a
    // log line.
    let token = token_with("evil\n2026-01-01 INFO admin logged in", json!(1));
    let err = hs256_codec()
        .decode::<NoExtras>(&token, TokenType::Access)
        .unwrap_err();
    assert!(matches!(err, TokenError::ExtraClaims(_)), "{err:?}");
    assert!(!err.to_string().contains('\n'), "{err}");
}

#[test]
fn short_attacker_text_is_still_named_in_full() {
    assert_eq!(
        refusal(
            &hs256_codec(),
            &token_with_header(|h| {
                h.insert("alg".into(), json!("RS1"));
            })
        ),
        TokenError::UnsupportedAlgorithm("RS1".to_owned())
    );
}

// --- fresh (Flask-JWT-Extended: a bool, or a float Unix time) ----------------

/// Whether a token whose `fresh` claim is `fresh` counts as fresh at `now`.
fn fresh_at(fresh: Value, now: i64) -> bool {
    let codec = codec_with(
        KeySet::new(hs256()),
        Validation::default(),
        &ManualClock::new(now),
    );
    let verified = decode(&codec, &token_with("fresh", fresh)).unwrap();
    verified.claims.fresh.is_fresh_at(now)
}

#[test]
fn fresh_until_a_time_holds_up_to_that_time_and_not_after() {
    assert!(fresh_at(json!(NOW as f64 + 0.5), NOW));
    assert!(fresh_at(json!(NOW), NOW));
    assert!(!fresh_at(json!(NOW as f64 - 0.5), NOW));
    assert!(!fresh_at(json!(NOW - 1), NOW));
}

#[test]
fn a_numeric_fresh_is_a_time_never_a_flag() {
    // 1 is one second after 1970, not `true`.
    assert!(!fresh_at(json!(1), NOW));
    assert!(!fresh_at(json!(0), NOW));
    assert!(fresh_at(json!(true), NOW));
    assert!(!fresh_at(json!(false), NOW));
}

#[test]
fn fresh_until_a_non_finite_time_is_refused_at_encode() {
    // serde_json would write NaN and infinities as `null`: a token that
    // Tessera itself then refuses, and Flask-JWT-Extended misreads.
    for until in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let claims = new_claims().with_fresh(Fresh::Until(until));
        assert_eq!(
            hs256_codec().encode(&claims),
            Err(EncodeError::InvalidClaim {
                claim: "fresh",
                reason: "a fresh-until time must be a finite number",
            }),
            "{until}"
        );
    }
}

#[test]
fn fresh_until_a_finite_time_round_trips() {
    let codec = hs256_codec();
    let claims = new_claims().with_fresh(Fresh::Until(NOW as f64 + 300.5));
    let verified = decode(&codec, &codec.encode(&claims).unwrap()).unwrap();
    assert_eq!(verified.claims.fresh, Fresh::Until(NOW as f64 + 300.5));
}

#[test]
fn non_finite_fresh_times_are_never_fresh() {
    assert!(!Fresh::Until(f64::NAN).is_fresh_at(NOW));
    assert!(!Fresh::Until(f64::NEG_INFINITY).is_fresh_at(NOW));
}

// --- aud edge cases (C.1 #24, #29; RFC 7519 §4.1.3) --------------------------

fn audience_codec() -> TokenCodec {
    codec_validating(Validation {
        audience: vec!["svc-a".to_owned()],
        ..Validation::default()
    })
}

#[test]
fn an_empty_audience_list_counts_as_missing() {
    assert_eq!(
        refusal(&audience_codec(), &token_with("aud", json!([]))),
        TokenError::MissingClaim("aud".to_owned())
    );
}

#[test]
fn empty_audience_strings_match_nothing() {
    for aud in [json!(""), json!([""]), json!(["", "svc-b"])] {
        assert_eq!(
            refusal(&audience_codec(), &token_with("aud", aud.clone())),
            TokenError::InvalidAudience,
            "{aud}"
        );
    }
}

#[test]
fn audiences_match_exactly_not_by_prefix_case_or_trimming() {
    for aud in ["svc-a ", " svc-a", "SVC-A", "svc-a/", "svc", "svc-aa"] {
        assert_eq!(
            refusal(&audience_codec(), &token_with("aud", json!(aud))),
            TokenError::InvalidAudience,
            "{aud:?}"
        );
    }
}

#[test]
fn a_token_minted_for_other_services_is_refused() {
    assert_eq!(
        refusal(
            &audience_codec(),
            &token_with("aud", json!(["svc-b", "svc-c"]))
        ),
        TokenError::InvalidAudience
    );
}

#[test]
fn one_matching_entry_in_an_audience_list_is_enough() {
    let verified = decode(
        &audience_codec(),
        &token_with("aud", json!(["svc-b", "svc-a"])),
    );
    assert_eq!(verified.unwrap().claims.aud, ["svc-b", "svc-a"]);
}

#[test]
fn without_a_configured_audience_any_aud_is_carried_but_not_checked() {
    let verified = decode(&hs256_codec(), &token_with("aud", json!([]))).unwrap();
    assert!(verified.claims.aud.is_empty());
}

// --- custom identity claims -------------------------------------------------

fn codec_with_identity(name: &str) -> TokenCodec {
    codec_validating(Validation {
        identity_claim: name.to_owned(),
        ..Validation::default()
    })
}

#[test]
fn with_a_custom_identity_claim_a_stray_sub_is_only_an_extra() {
    let token = token_with("user_id", json!("7"));
    let verified = decode(&codec_with_identity("user_id"), &token).unwrap();
    assert_eq!(verified.claims.sub, "7");
    assert_eq!(verified.claims.extra["sub"], "42");
}

/// Every registered claim but `sub` (which is the default identity claim).
const REGISTERED_BUT_SUB: [&str; 9] = [
    "iat", "nbf", "exp", "jti", "type", "fresh", "csrf", "iss", "aud",
];

#[test]
fn a_registered_claim_as_identity_cannot_turn_a_refresh_token_into_an_access_token() {
    // Reading the identity from `type` would consume the very claim that
    // marks a refresh token, leaving a type-less token, i.e. an access token.
    let refresh = token_with("type", json!("refresh"));
    assert!(matches!(
        refusal(&codec_with_identity("type"), &refresh),
        TokenError::InvalidClaim { claim, .. } if claim == "type"
    ));
}

#[test]
fn a_codec_whose_identity_claim_is_registered_refuses_every_token() {
    for name in REGISTERED_BUT_SUB {
        let err = refusal(&codec_with_identity(name), &token(|_| {}));
        assert!(
            matches!(&err, TokenError::InvalidClaim { claim, .. } if claim == name),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn a_codec_whose_identity_claim_is_registered_refuses_to_encode() {
    for name in REGISTERED_BUT_SUB {
        assert_eq!(
            codec_with_identity(name).encode(&new_claims()),
            Err(EncodeError::ReservedClaim(name.to_owned())),
            "{name}"
        );
    }
}

// --- the known-header fast path in the codec --------------------------------

#[test]
fn our_exact_header_segment_signed_by_another_secret_is_refused() {
    let codec = hs256_codec();
    let ours = codec.encode(&new_claims()).unwrap();
    let forger = Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes()).unwrap();
    let forged = sign_raw(&forger, &header_for(&hs256()), &claims_with(|_| {}));
    // Byte-identical header segment, so the codec takes its cached header …
    assert_eq!(ours.split('.').next(), forged.split('.').next());
    // … and still verifies with the key the set pins, not the forger's.
    assert_eq!(refusal(&codec, &forged), TokenError::InvalidSignature);
}

#[test]
fn a_cached_header_naming_one_kid_never_verifies_with_another_kids_key() {
    let hmac = |secret: &str, kid: &str| {
        Key::hmac(Algorithm::HS256, secret.as_bytes())
            .unwrap()
            .with_kid(kid)
    };
    let codec = codec(
        KeySet::new(hmac(SECRET, "a"))
            .with_verification_key(hmac(OTHER_SECRET, "b"))
            .unwrap(),
    );
    // The header names `a`; the signature is `b`'s.
    let token = sign_raw(
        &hmac(OTHER_SECRET, "b"),
        &header_for(&hmac(SECRET, "a")),
        &claims_with(|_| {}),
    );
    assert_eq!(refusal(&codec, &token), TokenError::InvalidSignature);
}

#[test]
fn a_verification_key_without_kid_is_never_reached_by_a_token_without_kid() {
    // Only the primary answers for a kid-less token: the set never tries two
    // keys (C.1 #35), so an old kid-less key behind a new primary is unused.
    let old = Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes()).unwrap();
    let new = Key::hmac(Algorithm::HS256, SECRET.as_bytes())
        .unwrap()
        .with_kid("new");
    let keys = KeySet::new(new).with_verification_key(old).unwrap();
    let by_old = valid_token(&Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes()).unwrap());
    assert_eq!(refusal(&codec(keys), &by_old), TokenError::InvalidSignature);
}

// --- JSON spelling inside a signed header (C.1 #18, #32) ---------------------

#[test]
fn an_escaped_member_name_reads_as_the_plain_name() {
    let header = r#"{"\u0061lg":"HS256","typ":"JWT"}"#;
    let verified = decode(
        &hs256_codec(),
        &sign_raw(&hs256(), header, &claims_with(|_| {})),
    );
    assert_eq!(verified.unwrap().header.alg, Algorithm::HS256);
}

#[test]
fn an_escaped_duplicate_of_alg_is_still_a_duplicate() {
    let header = r#"{"alg":"none","\u0061lg":"HS256"}"#;
    assert!(matches!(
        refusal(&hs256_codec(), &sign_raw(&hs256(), header, &claims_with(|_| {}))),
        TokenError::DuplicateMember { name, .. } if name == "alg"
    ));
}

#[test]
fn a_lone_surrogate_escape_in_a_signed_header_is_refused_as_malformed() {
    let header = r#"{"alg":"HS256","typ":"\ud800"}"#;
    assert!(matches!(
        refusal(
            &hs256_codec(),
            &sign_raw(&hs256(), header, &claims_with(|_| {}))
        ),
        TokenError::Json { .. }
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

// --- ECDSA malleability (C.1 #8) --------------------------------------------

/// The order of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// `n - s` for a big-endian `s` below the P-256 order `n`.
fn negate_mod_order(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0u16;
    for i in (0..32).rev() {
        let subtrahend = u16::from(s[i]) + borrow;
        let minuend = u16::from(P256_ORDER[i]);
        borrow = u16::from(minuend < subtrahend);
        out[i] = u8::try_from(minuend + (borrow << 8) - subtrahend).unwrap();
    }
    out
}

#[test]
fn an_ecdsa_high_s_twin_verifies_and_shares_the_jti() {
    let key = signing_key(Algorithm::ES256);
    let codec = codec(KeySet::new(key.public_only().unwrap()));
    let token = valid_token(&key);
    let signature = tessera::b64::decode(token.rsplit('.').next().unwrap()).unwrap();
    let twin_signature = [&signature[..32], &negate_mod_order(&signature[32..])].concat();
    let twin = replace_segment(&token, 2, &b64(twin_signature));
    assert_ne!(twin, token);
    // Both verify (an ECDSA property, RFC 8725 §3.3 in spirit): a token's
    // string is no identity. Revocation and replay checks key on `jti` or the
    // session, which the twin shares.
    let (one, other) = (
        decode(&codec, &token).unwrap(),
        decode(&codec, &twin).unwrap(),
    );
    assert_eq!(one.claims.jti, other.claims.jti);
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

// --- PS256/384/512 interoperate with PyJWT (salt length = hash length) -------

mod pyjwt {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::OnceLock;

    use tessera::{
        Algorithm, Claims, Clock, ExtraClaims, GeneratedKeyPair, Key, KeySet, SystemClock,
        TokenCodec, TokenType,
    };

    /// What the venv holds; a change reinstalls.
    const REQUIREMENTS: &str = "PyJWT[crypto]==2.15.1\ncryptography==50.0.2\n";

    /// The venv's python, or `None` when the machine has no `python3`.
    fn python() -> Option<&'static Path> {
        static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
        PYTHON.get_or_init(prepare_venv).as_deref()
    }

    fn prepare_venv() -> Option<PathBuf> {
        match Command::new("python3").arg("--version").output() {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => panic!("cannot run python3: {err}"),
            Ok(_) => {}
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("review-pyjwt-venv");
        let python = venv.join("bin").join("python");
        let marker = venv.join("requirements.txt");
        if python.exists() && std::fs::read_to_string(&marker).ok().as_deref() == Some(REQUIREMENTS)
        {
            return Some(python);
        }
        let created = Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv)
            .output()
            .unwrap();
        assert!(created.status.success(), "{created:?}");
        std::fs::write(&marker, REQUIREMENTS).unwrap();
        let installed = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "-r",
            ])
            .arg(&marker)
            .output()
            .unwrap();
        if !installed.status.success() {
            let _ = std::fs::remove_file(&marker);
            panic!(
                "pip install failed: {}",
                String::from_utf8_lossy(&installed.stderr)
            );
        }
        Some(python)
    }

    /// Runs a Python snippet with `KEY` and `ARG` in its environment; its stdout.
    fn run(python: &Path, code: &str, key: &str, arg: &str) -> String {
        let output = Command::new(python)
            .args(["-c", code])
            .env("KEY", key)
            .env("ARG", arg)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    const PYJWT_SIGNS: &str = "import jwt, os, time\n\
        now = int(time.time())\n\
        claims = {'sub': '42', 'type': 'access', 'jti': 'pss-interop-1', 'iat': now, 'nbf': now, 'exp': now + 600}\n\
        print(jwt.encode(claims, os.environ['KEY'], algorithm=os.environ['ARG']))";

    const PYJWT_VERIFIES: &str = "import jwt, os\n\
        alg = jwt.get_unverified_header(os.environ['ARG'])['alg']\n\
        print(jwt.decode(os.environ['ARG'], os.environ['KEY'], algorithms=[alg])['sub'])";

    const PSS: [Algorithm; 3] = [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512];

    fn wall_clock_codec(key: Key) -> TokenCodec {
        let clock = tessera::ManualClock::new(SystemClock.now());
        TokenCodec::builder(KeySet::new(key))
            .clock(std::sync::Arc::new(clock))
            .build()
    }

    #[test]
    fn pss_tokens_pyjwt_signs_verify_with_us() {
        let Some(python) = python() else { return };
        for alg in PSS {
            let pair = GeneratedKeyPair::generate(alg).unwrap();
            let token = run(python, PYJWT_SIGNS, &pair.private_pem, alg.as_str());
            let public = Key::from_pem(alg, &pair.public_pem).unwrap();
            let verified =
                wall_clock_codec(public).decode::<ExtraClaims>(&token, TokenType::Access);
            assert_eq!(verified.unwrap().claims.sub, "42", "{alg}");
        }
    }

    #[test]
    fn pss_tokens_we_sign_verify_with_pyjwt() {
        let Some(python) = python() else { return };
        for alg in PSS {
            let pair = GeneratedKeyPair::generate(alg).unwrap();
            let codec = wall_clock_codec(Key::from_pem(alg, &pair.private_pem).unwrap());
            let claims = Claims::new(
                "42",
                TokenType::Access,
                codec.now(),
                Some(600),
                ExtraClaims::new(),
            );
            let token = codec.encode(&claims).unwrap();
            assert_eq!(
                run(python, PYJWT_VERIFIES, &pair.public_pem, &token),
                "42",
                "{alg}"
            );
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
