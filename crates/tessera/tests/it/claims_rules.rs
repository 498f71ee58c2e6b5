//! The claim rules, each on an otherwise valid, correctly signed token:
//! time (`exp`, `nbf`, `iat`, leeway), `iss`, `aud`, token type, claim
//! types, duplicates. Time comes from a `ManualClock` stopped at `NOW`.

use serde_json::{Map, Value, json};
use tessera::{
    DecodeOptions, ExtraClaims, KeySet, ManualClock, Part, TokenCodec, TokenError, TokenType,
    Validation,
};

use crate::support::{
    NOW, claims_with, clock, codec_with, decode, header_for, hs256, hs256_codec, refusal,
    replace_segment, sign_raw,
};

fn token(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let key = hs256();
    sign_raw(&key, &header_for(&key), &claims_with(edit))
}

fn set(name: &str, value: Value) -> impl FnOnce(&mut Map<String, Value>) {
    let name = name.to_owned();
    move |claims| {
        claims.insert(name, value);
    }
}

fn remove(name: &str) -> impl FnOnce(&mut Map<String, Value>) {
    let name = name.to_owned();
    move |claims| {
        claims.remove(&name);
    }
}

fn codec_validating(validation: Validation) -> TokenCodec {
    codec_with(KeySet::new(hs256()), validation, &clock())
}

fn with_leeway(leeway: i64) -> TokenCodec {
    codec_validating(Validation {
        leeway,
        ..Validation::default()
    })
}

fn invalid(claim: &str, expected: &'static str) -> TokenError {
    TokenError::InvalidClaim {
        claim: claim.to_owned(),
        expected,
    }
}

// --- exp ---------------------------------------------------------------------

#[test]
fn expired_token_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("exp", json!(NOW - 1)))),
        TokenError::Expired
    );
}

#[test]
fn token_is_expired_at_the_exact_second_of_exp() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("exp", json!(NOW)))),
        TokenError::Expired
    );
    assert!(decode(&hs256_codec(), &token(set("exp", json!(NOW + 1)))).is_ok());
}

#[test]
fn token_expires_as_the_clock_moves_past_exp() {
    let clock = clock();
    let codec = codec_with(KeySet::new(hs256()), Validation::default(), &clock);
    let token = token(|_| {}); // exp = NOW + 900
    clock.advance(899);
    assert!(decode(&codec, &token).is_ok());
    clock.advance(1);
    assert_eq!(refusal(&codec, &token), TokenError::Expired);
}

#[test]
fn leeway_extends_exp_by_exactly_its_seconds() {
    let codec = with_leeway(30);
    assert!(decode(&codec, &token(set("exp", json!(NOW - 29)))).is_ok());
    assert_eq!(
        refusal(&codec, &token(set("exp", json!(NOW - 30)))),
        TokenError::Expired
    );
}

#[test]
fn default_leeway_is_zero() {
    assert_eq!(Validation::default().leeway, 0);
}

#[test]
fn missing_exp_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(remove("exp"))),
        TokenError::MissingClaim("exp".to_owned())
    );
}

#[test]
fn missing_exp_is_accepted_only_when_explicitly_allowed() {
    let codec = codec_validating(Validation {
        require_exp: false,
        ..Validation::default()
    });
    let verified = decode(&codec, &token(remove("exp"))).unwrap();
    assert_eq!(verified.claims.exp, None);
}

#[test]
fn fractional_exp_is_truncated_toward_the_past() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("exp", json!(NOW as f64 + 0.9)))),
        TokenError::Expired
    );
    let verified = decode(&hs256_codec(), &token(set("exp", json!(NOW as f64 + 1.5)))).unwrap();
    assert_eq!(verified.claims.exp, Some(NOW + 1));
}

// --- nbf and iat -----------------------------------------------------------------

#[test]
fn nbf_in_the_future_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("nbf", json!(NOW + 1)))),
        TokenError::NotYetValid
    );
}

#[test]
fn nbf_equal_to_now_is_accepted_and_nbf_is_optional() {
    assert!(decode(&hs256_codec(), &token(set("nbf", json!(NOW)))).is_ok());
    assert!(decode(&hs256_codec(), &token(remove("nbf"))).is_ok());
}

#[test]
fn leeway_extends_nbf_by_exactly_its_seconds() {
    let codec = with_leeway(30);
    assert!(decode(&codec, &token(set("nbf", json!(NOW + 30)))).is_ok());
    assert_eq!(
        refusal(&codec, &token(set("nbf", json!(NOW + 31)))),
        TokenError::NotYetValid
    );
}

#[test]
fn iat_in_the_future_is_refused() {
    let future = |claims: &mut Map<String, Value>| {
        claims.insert("iat".into(), json!(NOW + 1));
        claims.remove("nbf");
    };
    assert_eq!(
        refusal(&hs256_codec(), &token(future)),
        TokenError::IssuedInFuture
    );
}

#[test]
fn iat_a_year_ahead_is_refused() {
    let future = |claims: &mut Map<String, Value>| {
        claims.insert("iat".into(), json!(NOW + 365 * 86_400));
        claims.insert("exp".into(), json!(NOW + 366 * 86_400));
        claims.remove("nbf");
    };
    assert_eq!(
        refusal(&hs256_codec(), &token(future)),
        TokenError::IssuedInFuture
    );
}

#[test]
fn leeway_extends_iat_by_exactly_its_seconds() {
    let codec = with_leeway(30);
    let at = |iat: i64| {
        move |claims: &mut Map<String, Value>| {
            claims.insert("iat".into(), json!(iat));
            claims.remove("nbf");
        }
    };
    assert!(decode(&codec, &token(at(NOW + 30))).is_ok());
    assert_eq!(
        refusal(&codec, &token(at(NOW + 31))),
        TokenError::IssuedInFuture
    );
}

#[test]
fn missing_iat_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(remove("iat"))),
        TokenError::MissingClaim("iat".to_owned())
    );
}

#[test]
fn a_clock_set_back_makes_a_fresh_token_not_yet_valid() {
    let clock = ManualClock::new(NOW - 10);
    let codec = codec_with(KeySet::new(hs256()), Validation::default(), &clock);
    assert_eq!(refusal(&codec, &token(|_| {})), TokenError::NotYetValid);
}

// --- numeric dates of the wrong type ------------------------------------------------

#[test]
fn string_exp_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("exp", json!("9999999999")))),
        invalid("exp", "a NumericDate number")
    );
}

#[test]
fn string_nbf_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("nbf", json!(NOW.to_string())))),
        invalid("nbf", "a NumericDate number")
    );
}

#[test]
fn string_iat_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("iat", json!(NOW.to_string())))),
        invalid("iat", "a NumericDate number")
    );
}

#[test]
fn non_numeric_exp_of_any_other_type_is_refused() {
    for value in [
        json!(true),
        json!(null),
        json!([NOW + 900]),
        json!({"t": NOW}),
    ] {
        assert_eq!(
            refusal(&hs256_codec(), &token(set("exp", value.clone()))),
            invalid("exp", "a NumericDate number"),
            "{value}"
        );
    }
}

// --- iss -------------------------------------------------------------------------------

fn issuer_codec() -> TokenCodec {
    codec_validating(Validation {
        issuer: Some("https://auth.example".to_owned()),
        ..Validation::default()
    })
}

#[test]
fn configured_issuer_accepts_its_own_tokens() {
    let verified = decode(
        &issuer_codec(),
        &token(set("iss", json!("https://auth.example"))),
    )
    .unwrap();
    assert_eq!(verified.claims.iss.as_deref(), Some("https://auth.example"));
}

#[test]
fn wrong_issuer_is_refused() {
    for iss in [
        "https://evil.example",
        "https://auth.example/",
        "HTTPS://AUTH.EXAMPLE",
        "",
    ] {
        assert_eq!(
            refusal(&issuer_codec(), &token(set("iss", json!(iss)))),
            TokenError::InvalidIssuer,
            "{iss:?}"
        );
    }
}

#[test]
fn missing_issuer_is_refused_when_one_is_configured() {
    assert_eq!(
        refusal(&issuer_codec(), &token(|_| {})),
        TokenError::MissingClaim("iss".to_owned())
    );
}

#[test]
fn non_string_issuer_is_refused() {
    assert_eq!(
        refusal(
            &issuer_codec(),
            &token(set("iss", json!(["https://auth.example"])))
        ),
        invalid("iss", "a string")
    );
}

// --- aud ---------------------------------------------------------------------------------

fn audience_codec() -> TokenCodec {
    codec_validating(Validation {
        audience: vec!["orders-api".to_owned(), "billing-api".to_owned()],
        ..Validation::default()
    })
}

#[test]
fn configured_audience_accepts_a_string_or_a_list_naming_it() {
    assert!(decode(&audience_codec(), &token(set("aud", json!("billing-api")))).is_ok());
    let verified = decode(
        &audience_codec(),
        &token(set("aud", json!(["web", "orders-api"]))),
    )
    .unwrap();
    assert_eq!(verified.claims.aud, ["web", "orders-api"]);
}

#[test]
fn wrong_audience_is_refused() {
    for aud in [json!("web"), json!(["web", "mobile"]), json!("Orders-Api")] {
        assert_eq!(
            refusal(&audience_codec(), &token(set("aud", aud.clone()))),
            TokenError::InvalidAudience,
            "{aud}"
        );
    }
}

#[test]
fn missing_audience_is_refused_when_one_is_configured() {
    assert_eq!(
        refusal(&audience_codec(), &token(|_| {})),
        TokenError::MissingClaim("aud".to_owned())
    );
    assert_eq!(
        refusal(&audience_codec(), &token(set("aud", json!([])))),
        TokenError::MissingClaim("aud".to_owned())
    );
}

#[test]
fn audience_as_an_object_is_refused() {
    // CVE-2020-26160's class: a type the checker does not expect.
    let aud = json!({"orders-api": true});
    assert_eq!(
        refusal(&audience_codec(), &token(set("aud", aud.clone()))),
        invalid("aud", "a string or a list of strings")
    );
    // Even where no audience is configured, a malformed one is not ignored.
    assert_eq!(
        refusal(&hs256_codec(), &token(set("aud", aud))),
        invalid("aud", "a string or a list of strings")
    );
}

#[test]
fn audience_list_with_a_non_string_is_refused() {
    assert_eq!(
        refusal(
            &audience_codec(),
            &token(set("aud", json!(["orders-api", 7])))
        ),
        invalid("aud", "a string or a list of strings")
    );
}

// --- token type -------------------------------------------------------------------------

#[test]
fn refresh_token_presented_where_access_is_expected_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("type", json!("refresh")))),
        TokenError::WrongTokenType {
            expected: TokenType::Access,
            found: "refresh".to_owned(),
        }
    );
}

#[test]
fn access_token_presented_where_refresh_is_expected_is_refused() {
    let err = hs256_codec()
        .decode::<ExtraClaims>(&token(|_| {}), TokenType::Refresh)
        .unwrap_err();
    assert_eq!(
        err,
        TokenError::WrongTokenType {
            expected: TokenType::Refresh,
            found: "access".to_owned(),
        }
    );
}

#[test]
fn token_without_type_is_refused_by_default() {
    let untyped = token(remove("type"));
    assert_eq!(
        decode(&hs256_codec(), &untyped).unwrap_err(),
        TokenError::MissingClaim("type".to_owned())
    );
}

#[test]
fn token_without_jti_is_refused_by_default() {
    let anonymous = token(remove("jti"));
    assert_eq!(
        decode(&hs256_codec(), &anonymous).unwrap_err(),
        TokenError::MissingClaim("jti".to_owned())
    );
}

#[test]
fn without_require_type_a_missing_type_counts_as_access_like_flask_jwt_extended() {
    let untyped = token(remove("type"));
    let validation = Validation {
        require_type: false,
        ..Validation::default()
    };
    let lenient = codec_with(KeySet::new(hs256()), validation, &clock());
    let verified = decode(&lenient, &untyped).unwrap();
    assert_eq!(verified.claims.token_type, TokenType::Access);
    assert_eq!(
        lenient
            .decode::<ExtraClaims>(&untyped, TokenType::Refresh)
            .unwrap_err(),
        TokenError::WrongTokenType {
            expected: TokenType::Refresh,
            found: "access".to_owned(),
        }
    );
}

#[test]
fn custom_token_type_is_refused_as_access() {
    for kind in ["id_token", "Access", "ACCESS", ""] {
        assert_eq!(
            refusal(&hs256_codec(), &token(set("type", json!(kind)))),
            TokenError::WrongTokenType {
                expected: TokenType::Access,
                found: kind.to_owned(),
            },
            "{kind:?}"
        );
    }
}

#[test]
fn custom_token_type_is_refused_even_when_any_type_is_accepted() {
    let err = hs256_codec()
        .decode_with::<ExtraClaims>(
            &token(set("type", json!("id_token"))),
            DecodeOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err, invalid("type", "\"access\" or \"refresh\""));
}

#[test]
fn non_string_token_type_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("type", json!(1)))),
        invalid("type", "a string")
    );
}

// --- identity and other claim types --------------------------------------------------

#[test]
fn sub_that_is_not_a_string_is_refused() {
    for sub in [json!(42), json!(null), json!(["42"]), json!({"id": 42})] {
        assert_eq!(
            refusal(&hs256_codec(), &token(set("sub", sub.clone()))),
            invalid("sub", "a string"),
            "{sub}"
        );
    }
}

#[test]
fn missing_sub_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(remove("sub"))),
        TokenError::MissingClaim("sub".to_owned())
    );
}

#[test]
fn custom_identity_claim_is_required_in_place_of_sub() {
    let codec = codec_validating(Validation {
        identity_claim: "user_id".to_owned(),
        ..Validation::default()
    });
    assert_eq!(
        refusal(&codec, &token(|_| {})),
        TokenError::MissingClaim("user_id".to_owned())
    );
    let verified = decode(&codec, &token(set("user_id", json!("7")))).unwrap();
    assert_eq!(verified.claims.sub, "7");
    // `sub` is then an ordinary extra claim.
    assert_eq!(verified.claims.extra["sub"], "42");
}

#[test]
fn non_string_jti_csrf_and_fresh_are_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &token(set("jti", json!(1)))),
        invalid("jti", "a string")
    );
    assert_eq!(
        refusal(&hs256_codec(), &token(set("csrf", json!(true)))),
        invalid("csrf", "a string")
    );
    assert_eq!(
        refusal(&hs256_codec(), &token(set("fresh", json!("yes")))),
        invalid("fresh", "a boolean or a number")
    );
}

// --- JSON shape ------------------------------------------------------------------------------

#[test]
fn duplicate_sub_claim_is_refused() {
    let key = hs256();
    let payload = format!(
        r#"{{"fresh":false,"iat":{NOW},"type":"access","sub":"alice","sub":"admin","exp":{}}}"#,
        NOW + 900
    );
    let token = sign_raw(&key, &header_for(&key), &payload);
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::DuplicateMember {
            part: Part::Payload,
            name: "sub".to_owned()
        }
    );
}

#[test]
fn duplicate_member_inside_an_extra_claim_is_refused() {
    let key = hs256();
    let payload = format!(
        r#"{{"iat":{NOW},"sub":"alice","exp":{},"perm":{{"role":"user","role":"admin"}}}}"#,
        NOW + 900
    );
    let token = sign_raw(&key, &header_for(&key), &payload);
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::DuplicateMember {
            part: Part::Payload,
            name: "role".to_owned()
        }
    );
}

#[test]
fn payload_that_is_not_an_object_is_refused() {
    let key = hs256();
    for payload in ["[]", "\"42\"", "42", "null", "", "{\"sub\":\"42\"} x"] {
        let token = sign_raw(&key, &header_for(&key), payload);
        assert!(
            matches!(
                refusal(&hs256_codec(), &token),
                TokenError::Json {
                    part: Part::Payload,
                    ..
                }
            ),
            "{payload:?}"
        );
    }
}

#[test]
fn claims_are_only_read_after_the_signature_verifies() {
    // An expired token with a bad signature reports the signature, so
    // nothing in an unverified payload can steer the outcome.
    let expired = token(set("exp", json!(NOW - 1)));
    let forged = replace_segment(&expired, 2, &crate::support::b64([0u8; 32]));
    assert_eq!(
        refusal(&hs256_codec(), &forged),
        TokenError::InvalidSignature
    );
    let garbage_payload = replace_segment(&forged, 1, &crate::support::b64("not json"));
    assert_eq!(
        refusal(&hs256_codec(), &garbage_payload),
        TokenError::InvalidSignature
    );
}

#[test]
fn every_refusal_has_a_stable_snake_case_code() {
    let cases = [
        (TokenError::Expired, "token_expired"),
        (TokenError::NotYetValid, "token_not_yet_valid"),
        (TokenError::IssuedInFuture, "token_issued_in_future"),
        (TokenError::InvalidIssuer, "invalid_issuer"),
        (TokenError::InvalidAudience, "invalid_audience"),
        (TokenError::InvalidSignature, "invalid_signature"),
        (TokenError::UnknownKeyId, "unknown_key_id"),
        (TokenError::WrongSegmentCount, "malformed_token"),
        (TokenError::MissingClaim("exp".to_owned()), "missing_claim"),
    ];
    for (err, code) in cases {
        assert_eq!(err.code(), code, "{err}");
    }
}
