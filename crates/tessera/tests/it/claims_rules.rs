//! The claim rules, each on an otherwise valid, correctly signed token:
//! time (`exp`, `nbf`, `iat`, leeway), `iss`, `aud`, token type, claim
//! types, duplicates, `fresh`, a custom identity claim, and numeric dates at
//! the edges of i64 and f64. Time comes from a `ManualClock` stopped at `NOW`.

use serde_json::{Map, Value, json};
use tessera::{
    Claims, DecodeOptions, EncodeError, ExtraClaims, Fresh, KeySet, ManualClock, Part, TokenCodec,
    TokenError, TokenType, Validation,
};

use crate::support::{
    NOW, access_claims, clock, codec_with, decode, header_for, hs256, hs256_codec,
    hs256_codec_validating, hs256_token, hs256_token_with, refusal, replace_segment, sign_raw,
    valid_token,
};

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

fn with_leeway(leeway: i64) -> TokenCodec {
    hs256_codec_validating(Validation {
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
        refusal(&hs256_codec(), &hs256_token(set("exp", json!(NOW - 1)))),
        TokenError::Expired
    );
}

#[test]
fn token_is_expired_at_the_exact_second_of_exp() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("exp", json!(NOW)))),
        TokenError::Expired
    );
    assert!(decode(&hs256_codec(), &hs256_token(set("exp", json!(NOW + 1)))).is_ok());
}

#[test]
fn token_expires_as_the_clock_moves_past_exp() {
    let clock = clock();
    let codec = codec_with(KeySet::new(hs256()), Validation::default(), &clock);
    let token = hs256_token(|_| {}); // exp = NOW + 900
    clock.advance(899);
    assert!(decode(&codec, &token).is_ok());
    clock.advance(1);
    assert_eq!(refusal(&codec, &token), TokenError::Expired);
}

#[test]
fn leeway_extends_exp_by_exactly_its_seconds() {
    let codec = with_leeway(30);
    assert!(decode(&codec, &hs256_token(set("exp", json!(NOW - 29)))).is_ok());
    assert_eq!(
        refusal(&codec, &hs256_token(set("exp", json!(NOW - 30)))),
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
        refusal(&hs256_codec(), &hs256_token(remove("exp"))),
        TokenError::MissingClaim("exp".to_owned())
    );
}

#[test]
fn missing_exp_is_accepted_only_when_explicitly_allowed() {
    let codec = hs256_codec_validating(Validation {
        require_exp: false,
        ..Validation::default()
    });
    let verified = decode(&codec, &hs256_token(remove("exp"))).unwrap();
    assert_eq!(verified.claims.exp, None);
}

#[test]
fn fractional_exp_is_truncated_toward_the_past() {
    assert_eq!(
        refusal(
            &hs256_codec(),
            &hs256_token(set("exp", json!(NOW as f64 + 0.9)))
        ),
        TokenError::Expired
    );
    let verified = decode(
        &hs256_codec(),
        &hs256_token(set("exp", json!(NOW as f64 + 1.5))),
    )
    .unwrap();
    assert_eq!(verified.claims.exp, Some(NOW + 1));
}

// --- nbf and iat -----------------------------------------------------------------

#[test]
fn nbf_in_the_future_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("nbf", json!(NOW + 1)))),
        TokenError::NotYetValid
    );
}

#[test]
fn nbf_equal_to_now_is_accepted_and_nbf_is_optional() {
    assert!(decode(&hs256_codec(), &hs256_token(set("nbf", json!(NOW)))).is_ok());
    assert!(decode(&hs256_codec(), &hs256_token(remove("nbf"))).is_ok());
}

#[test]
fn leeway_extends_nbf_by_exactly_its_seconds() {
    let codec = with_leeway(30);
    assert!(decode(&codec, &hs256_token(set("nbf", json!(NOW + 30)))).is_ok());
    assert_eq!(
        refusal(&codec, &hs256_token(set("nbf", json!(NOW + 31)))),
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
        refusal(&hs256_codec(), &hs256_token(future)),
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
        refusal(&hs256_codec(), &hs256_token(future)),
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
    assert!(decode(&codec, &hs256_token(at(NOW + 30))).is_ok());
    assert_eq!(
        refusal(&codec, &hs256_token(at(NOW + 31))),
        TokenError::IssuedInFuture
    );
}

#[test]
fn missing_iat_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(remove("iat"))),
        TokenError::MissingClaim("iat".to_owned())
    );
}

#[test]
fn a_clock_set_back_makes_a_fresh_token_not_yet_valid() {
    let clock = ManualClock::new(NOW - 10);
    let codec = codec_with(KeySet::new(hs256()), Validation::default(), &clock);
    assert_eq!(
        refusal(&codec, &hs256_token(|_| {})),
        TokenError::NotYetValid
    );
}

// --- numeric dates of the wrong type ------------------------------------------------

#[test]
fn string_exp_is_refused() {
    assert_eq!(
        refusal(
            &hs256_codec(),
            &hs256_token(set("exp", json!("9999999999")))
        ),
        invalid("exp", "a NumericDate number")
    );
}

#[test]
fn string_nbf_is_refused() {
    assert_eq!(
        refusal(
            &hs256_codec(),
            &hs256_token(set("nbf", json!(NOW.to_string())))
        ),
        invalid("nbf", "a NumericDate number")
    );
}

#[test]
fn string_iat_is_refused() {
    assert_eq!(
        refusal(
            &hs256_codec(),
            &hs256_token(set("iat", json!(NOW.to_string())))
        ),
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
            refusal(&hs256_codec(), &hs256_token(set("exp", value.clone()))),
            invalid("exp", "a NumericDate number"),
            "{value}"
        );
    }
}

// --- iss -------------------------------------------------------------------------------

fn issuer_codec() -> TokenCodec {
    hs256_codec_validating(Validation {
        issuer: Some("https://auth.example".to_owned()),
        ..Validation::default()
    })
}

#[test]
fn configured_issuer_accepts_its_own_tokens() {
    let verified = decode(
        &issuer_codec(),
        &hs256_token(set("iss", json!("https://auth.example"))),
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
            refusal(&issuer_codec(), &hs256_token(set("iss", json!(iss)))),
            TokenError::InvalidIssuer,
            "{iss:?}"
        );
    }
}

#[test]
fn missing_issuer_is_refused_when_one_is_configured() {
    assert_eq!(
        refusal(&issuer_codec(), &hs256_token(|_| {})),
        TokenError::MissingClaim("iss".to_owned())
    );
}

#[test]
fn non_string_issuer_is_refused() {
    assert_eq!(
        refusal(
            &issuer_codec(),
            &hs256_token(set("iss", json!(["https://auth.example"])))
        ),
        invalid("iss", "a string")
    );
}

// --- aud ---------------------------------------------------------------------------------

fn audience_codec() -> TokenCodec {
    hs256_codec_validating(Validation {
        audience: vec!["orders-api".to_owned(), "billing-api".to_owned()],
        ..Validation::default()
    })
}

#[test]
fn configured_audience_accepts_a_string_or_a_list_naming_it() {
    assert!(
        decode(
            &audience_codec(),
            &hs256_token(set("aud", json!("billing-api")))
        )
        .is_ok()
    );
    let verified = decode(
        &audience_codec(),
        &hs256_token(set("aud", json!(["web", "orders-api"]))),
    )
    .unwrap();
    assert_eq!(verified.claims.aud, ["web", "orders-api"]);
}

#[test]
fn wrong_audience_is_refused() {
    for aud in [json!("web"), json!(["web", "mobile"]), json!("Orders-Api")] {
        assert_eq!(
            refusal(&audience_codec(), &hs256_token(set("aud", aud.clone()))),
            TokenError::InvalidAudience,
            "{aud}"
        );
    }
}

#[test]
fn missing_audience_is_refused_when_one_is_configured() {
    assert_eq!(
        refusal(&audience_codec(), &hs256_token(|_| {})),
        TokenError::MissingClaim("aud".to_owned())
    );
    assert_eq!(
        refusal(&audience_codec(), &hs256_token(set("aud", json!([])))),
        TokenError::MissingClaim("aud".to_owned())
    );
}

#[test]
fn audience_as_an_object_is_refused() {
    // CVE-2020-26160's class: a type the checker does not expect.
    let aud = json!({"orders-api": true});
    assert_eq!(
        refusal(&audience_codec(), &hs256_token(set("aud", aud.clone()))),
        invalid("aud", "a string or a list of strings")
    );
    // Even where no audience is configured, a malformed one is not ignored.
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("aud", aud))),
        invalid("aud", "a string or a list of strings")
    );
}

#[test]
fn audience_list_with_a_non_string_is_refused() {
    assert_eq!(
        refusal(
            &audience_codec(),
            &hs256_token(set("aud", json!(["orders-api", 7])))
        ),
        invalid("aud", "a string or a list of strings")
    );
}

// --- token type -------------------------------------------------------------------------

#[test]
fn refresh_token_presented_where_access_is_expected_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("type", json!("refresh")))),
        TokenError::WrongTokenType {
            expected: TokenType::Access,
            found: "refresh".to_owned(),
        }
    );
}

#[test]
fn access_token_presented_where_refresh_is_expected_is_refused() {
    let err = hs256_codec()
        .decode::<ExtraClaims>(&hs256_token(|_| {}), TokenType::Refresh)
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
    let untyped = hs256_token(remove("type"));
    assert_eq!(
        decode(&hs256_codec(), &untyped).unwrap_err(),
        TokenError::MissingClaim("type".to_owned())
    );
}

#[test]
fn token_without_jti_is_refused_by_default() {
    let anonymous = hs256_token(remove("jti"));
    assert_eq!(
        decode(&hs256_codec(), &anonymous).unwrap_err(),
        TokenError::MissingClaim("jti".to_owned())
    );
}

#[test]
fn without_require_type_a_missing_type_counts_as_access_like_flask_jwt_extended() {
    let untyped = hs256_token(remove("type"));
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
            refusal(&hs256_codec(), &hs256_token(set("type", json!(kind)))),
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
            &hs256_token(set("type", json!("id_token"))),
            DecodeOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err, invalid("type", "\"access\" or \"refresh\""));
}

#[test]
fn non_string_token_type_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("type", json!(1)))),
        invalid("type", "a string")
    );
}

// --- identity and other claim types --------------------------------------------------

#[test]
fn sub_that_is_not_a_string_is_refused() {
    for sub in [json!(42), json!(null), json!(["42"]), json!({"id": 42})] {
        assert_eq!(
            refusal(&hs256_codec(), &hs256_token(set("sub", sub.clone()))),
            invalid("sub", "a string"),
            "{sub}"
        );
    }
}

#[test]
fn missing_sub_is_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(remove("sub"))),
        TokenError::MissingClaim("sub".to_owned())
    );
}

#[test]
fn custom_identity_claim_is_required_in_place_of_sub() {
    let codec = hs256_codec_validating(Validation {
        identity_claim: "user_id".to_owned(),
        ..Validation::default()
    });
    assert_eq!(
        refusal(&codec, &hs256_token(|_| {})),
        TokenError::MissingClaim("user_id".to_owned())
    );
    let verified = decode(&codec, &hs256_token(set("user_id", json!("7")))).unwrap();
    assert_eq!(verified.claims.sub, "7");
    // `sub` is then an ordinary extra claim.
    assert_eq!(verified.claims.extra["sub"], "42");
}

#[test]
fn non_string_jti_csrf_and_fresh_are_refused() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("jti", json!(1)))),
        invalid("jti", "a string")
    );
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("csrf", json!(true)))),
        invalid("csrf", "a string")
    );
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token(set("fresh", json!("yes")))),
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
    let expired = hs256_token(set("exp", json!(NOW - 1)));
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

// --- numeric dates at the edges of i64 and f64 (no panic, fail closed) ------------------

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
        let codec = hs256_codec_validating(Validation {
            leeway,
            ..Validation::default()
        });
        for value in &extremes {
            for claim in ["exp", "nbf", "iat"] {
                // Any verdict will do; it must be a verdict, not a panic.
                let _ = decode(&codec, &hs256_token_with(claim, value.clone()));
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
            refusal(&hs256_codec(), &hs256_token_with("exp", past.clone())),
            TokenError::Expired,
            "{past}"
        );
    }
    let far = decode(&hs256_codec(), &hs256_token_with("exp", json!(u64::MAX))).unwrap();
    assert_eq!(far.claims.exp, Some(i64::MAX));
}

#[test]
fn nbf_and_iat_above_i64_are_in_the_future() {
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token_with("nbf", json!(1e300))),
        TokenError::NotYetValid
    );
    assert_eq!(
        refusal(&hs256_codec(), &hs256_token_with("iat", json!(u64::MAX))),
        TokenError::IssuedInFuture
    );
}

#[test]
fn a_negative_leeway_only_makes_the_checks_stricter() {
    let codec = hs256_codec_validating(Validation {
        leeway: -10,
        ..Validation::default()
    });
    assert_eq!(
        refusal(&codec, &hs256_token_with("exp", json!(NOW + 5))),
        TokenError::Expired
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
    let verified = decode(&codec, &hs256_token_with("fresh", fresh)).unwrap();
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
        let claims = access_claims().with_fresh(Fresh::Until(until));
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
    let claims = access_claims().with_fresh(Fresh::Until(NOW as f64 + 300.5));
    let verified = decode(&codec, &codec.encode(&claims).unwrap()).unwrap();
    assert_eq!(verified.claims.fresh, Fresh::Until(NOW as f64 + 300.5));
}

#[test]
fn non_finite_fresh_times_are_never_fresh() {
    assert!(!Fresh::Until(f64::NAN).is_fresh_at(NOW));
    assert!(!Fresh::Until(f64::NEG_INFINITY).is_fresh_at(NOW));
}

// --- aud edge cases: empty lists and strings, exact matching (RFC 7519 §4.1.3) ----------

fn single_audience_codec() -> TokenCodec {
    hs256_codec_validating(Validation {
        audience: vec!["svc-a".to_owned()],
        ..Validation::default()
    })
}

#[test]
fn an_empty_audience_list_counts_as_missing() {
    assert_eq!(
        refusal(
            &single_audience_codec(),
            &hs256_token_with("aud", json!([]))
        ),
        TokenError::MissingClaim("aud".to_owned())
    );
}

#[test]
fn empty_audience_strings_match_nothing() {
    for aud in [json!(""), json!([""]), json!(["", "svc-b"])] {
        assert_eq!(
            refusal(
                &single_audience_codec(),
                &hs256_token_with("aud", aud.clone())
            ),
            TokenError::InvalidAudience,
            "{aud}"
        );
    }
}

#[test]
fn audiences_match_exactly_not_by_prefix_case_or_trimming() {
    for aud in ["svc-a ", " svc-a", "SVC-A", "svc-a/", "svc", "svc-aa"] {
        assert_eq!(
            refusal(
                &single_audience_codec(),
                &hs256_token_with("aud", json!(aud))
            ),
            TokenError::InvalidAudience,
            "{aud:?}"
        );
    }
}

#[test]
fn a_token_minted_for_other_services_is_refused() {
    assert_eq!(
        refusal(
            &single_audience_codec(),
            &hs256_token_with("aud", json!(["svc-b", "svc-c"]))
        ),
        TokenError::InvalidAudience
    );
}

#[test]
fn one_matching_entry_in_an_audience_list_is_enough() {
    let verified = decode(
        &single_audience_codec(),
        &hs256_token_with("aud", json!(["svc-b", "svc-a"])),
    );
    assert_eq!(verified.unwrap().claims.aud, ["svc-b", "svc-a"]);
}

#[test]
fn without_a_configured_audience_any_aud_is_carried_but_not_checked() {
    let verified = decode(&hs256_codec(), &hs256_token_with("aud", json!([]))).unwrap();
    assert!(verified.claims.aud.is_empty());
}

// --- custom identity claims -------------------------------------------------

fn codec_with_identity(name: &str) -> TokenCodec {
    hs256_codec_validating(Validation {
        identity_claim: name.to_owned(),
        ..Validation::default()
    })
}

#[test]
fn with_a_custom_identity_claim_a_stray_sub_is_only_an_extra() {
    let token = hs256_token_with("user_id", json!("7"));
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
    let refresh = hs256_token_with("type", json!("refresh"));
    assert!(matches!(
        refusal(&codec_with_identity("type"), &refresh),
        TokenError::InvalidClaim { claim, .. } if claim == "type"
    ));
}

#[test]
fn a_codec_whose_identity_claim_is_registered_refuses_every_token() {
    for name in REGISTERED_BUT_SUB {
        let err = refusal(&codec_with_identity(name), &hs256_token(|_| {}));
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
            codec_with_identity(name).encode(&access_claims()),
            Err(EncodeError::ReservedClaim(name.to_owned())),
            "{name}"
        );
    }
}
