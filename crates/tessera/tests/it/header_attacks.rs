//! Attacks through the JOSE header and the signature: `alg` games, key
//! confusion, forged ECDSA signatures, embedded or remote keys, `kid`
//! injection, `crit` and `b64`, the codec's cached-header fast path, ECDSA
//! high-S twins. Each token is signed correctly except for the one defect
//! under test. Refusals never repeat attacker text at length (errors end up
//! in logs).

use serde_json::{Map, Value, json};
use tessera::{Algorithm, GeneratedKeyPair, Key, KeySet, Part, TokenError, TokenType};

use crate::support::{
    OTHER_SECRET, SECRET, access_claims, b64, claims_with, codec, decode, header_for, header_with,
    hs256, hs256_codec, hs256_token_with, refusal, replace_segment, segment, sign_raw, signing_key,
    valid_token,
};

const NONE_CASINGS: [&str; 4] = ["none", "None", "NONE", "nOnE"];

fn unsigned_token(alg: &str, signature: &str) -> String {
    let header = json!({"alg": alg, "typ": "JWT"}).to_string();
    format!("{}.{}.{signature}", b64(header), b64(claims_with(|_| {})))
}

// --- alg: none ----------------------------------------------------------

#[test]
fn alg_none_in_every_casing_with_an_empty_signature_is_refused() {
    let codec = hs256_codec();
    for alg in NONE_CASINGS {
        assert_eq!(
            refusal(&codec, &unsigned_token(alg, "")),
            TokenError::UnsupportedAlgorithm(alg.to_owned()),
            "{alg}"
        );
    }
}

#[test]
fn alg_none_in_every_casing_with_a_bogus_signature_is_refused() {
    let codec = hs256_codec();
    for alg in NONE_CASINGS {
        assert_eq!(
            refusal(&codec, &unsigned_token(alg, "c2lnbmF0dXJl")),
            TokenError::UnsupportedAlgorithm(alg.to_owned()),
            "{alg}"
        );
    }
}

#[test]
fn alg_none_is_refused_even_with_the_servers_real_hmac_over_the_token() {
    let key = hs256();
    let codec = hs256_codec();
    for alg in NONE_CASINGS {
        let header = json!({"alg": alg, "typ": "JWT"}).to_string();
        let token = sign_raw(&key, &header, &claims_with(|_| {}));
        assert_eq!(
            refusal(&codec, &token),
            TokenError::UnsupportedAlgorithm(alg.to_owned())
        );
    }
}

#[test]
fn alg_in_the_wrong_case_is_not_an_algorithm() {
    let key = hs256();
    let header = json!({"alg": "hs256", "typ": "JWT"}).to_string();
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::UnsupportedAlgorithm("hs256".to_owned())
    );
}

#[test]
fn missing_alg_is_refused() {
    let key = hs256();
    let token = sign_raw(&key, r#"{"typ":"JWT"}"#, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::UnsupportedAlgorithm("(missing)".to_owned())
    );
}

#[test]
fn non_string_alg_is_refused() {
    let key = hs256();
    let token = sign_raw(&key, r#"{"alg":256,"typ":"JWT"}"#, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::UnsupportedAlgorithm("256".to_owned())
    );
}

#[test]
fn a_stronger_hmac_alg_than_the_keys_is_refused_as_mismatch() {
    // A token claiming HS512 is not verified with the HS256 key at all.
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert("alg".into(), "HS512".into());
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::AlgorithmMismatch {
            expected: Algorithm::HS256,
            found: Algorithm::HS512,
        }
    );
}

// --- stripped and malformed signatures ----------------------------------

#[test]
fn stripped_signature_is_refused() {
    let token = valid_token(&hs256());
    let stripped = replace_segment(&token, 2, "");
    assert!(stripped.ends_with('.'));
    assert_eq!(
        refusal(&hs256_codec(), &stripped),
        TokenError::InvalidSignature
    );
}

#[test]
fn two_segment_token_is_refused() {
    let token = valid_token(&hs256());
    let (signing_input, _) = token.rsplit_once('.').unwrap();
    assert_eq!(
        refusal(&hs256_codec(), signing_input),
        TokenError::WrongSegmentCount
    );
}

#[test]
fn truncated_hmac_signature_is_refused() {
    let key = hs256();
    let token = valid_token(&key);
    let signature = tessera::b64::decode(segment(&token, 2)).unwrap();
    let truncated = replace_segment(&token, 2, &b64(&signature[..16]));
    assert_eq!(
        refusal(&hs256_codec(), &truncated),
        TokenError::InvalidSignature
    );
}

#[test]
fn signature_from_another_secret_is_refused() {
    let other = Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes()).unwrap();
    assert_eq!(
        refusal(&hs256_codec(), &valid_token(&other)),
        TokenError::InvalidSignature
    );
}

// --- RS256 → HS256 key confusion -----------------------------------------

fn rsa_pair() -> (GeneratedKeyPair, Key) {
    let pair = GeneratedKeyPair::generate(Algorithm::RS256).unwrap();
    let public = Key::from_pem(Algorithm::RS256, &pair.public_pem).unwrap();
    (pair, public)
}

#[test]
fn hs256_token_keyed_with_the_rs256_public_pem_is_refused_as_algorithm_mismatch() {
    let (pair, public) = rsa_pair();
    let kid = public.kid().unwrap().to_owned();
    // The attacker knows the public PEM and uses its bytes as an HMAC secret.
    let forged_key = Key::hmac(Algorithm::HS256, pair.public_pem.as_bytes()).unwrap();
    let codec = codec(KeySet::new(public));
    for header in [
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"alg": "HS256", "kid": kid, "typ": "JWT"}),
    ] {
        let token = sign_raw(&forged_key, &header.to_string(), &claims_with(|_| {}));
        assert_eq!(
            refusal(&codec, &token),
            TokenError::AlgorithmMismatch {
                expected: Algorithm::RS256,
                found: Algorithm::HS256,
            },
            "{header}"
        );
    }
}

#[test]
fn hmac_over_the_public_pem_bytes_does_not_verify_as_rs256() {
    // Same attack, but the header keeps alg RS256: the RSA verifier sees an
    // HMAC tag and rejects it.
    let (pair, public) = rsa_pair();
    let header = header_for(&public);
    let payload = claims_with(|_| {});
    for secret in [
        pair.public_pem.as_bytes().to_vec(),
        pem::parse(&pair.public_pem).unwrap().into_contents(),
    ] {
        let forged_key = Key::hmac(Algorithm::HS256, &secret).unwrap();
        let token = sign_raw(&forged_key, &header, &payload);
        let (signing_input, _) = token.rsplit_once('.').unwrap();
        let tag = forged_key.sign(signing_input.as_bytes()).unwrap();
        assert!(!public.verify(signing_input.as_bytes(), &tag));
        assert_eq!(
            refusal(&codec(KeySet::new(public.public_only().unwrap())), &token),
            TokenError::InvalidSignature
        );
    }
}

#[test]
fn a_public_key_cannot_be_loaded_as_an_hmac_key() {
    let (pair, _) = rsa_pair();
    let der = pem::parse(&pair.public_pem).unwrap().into_contents();
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        assert!(matches!(
            Key::from_pem(alg, &pair.public_pem),
            Err(tessera::KeyError::WrongKeyType { .. })
        ));
        assert!(matches!(
            Key::from_public_der(alg, &der),
            Err(tessera::KeyError::WrongKeyType { .. })
        ));
    }
}

// --- forged ECDSA signatures ---------------------------------------------

fn ecdsa_codec_and_key(alg: Algorithm) -> (tessera::TokenCodec, Key) {
    let key = signing_key(alg);
    let verifier = key.public_only().unwrap();
    (codec(KeySet::new(verifier)), key)
}

#[test]
fn ecdsa_signature_of_all_zeros_is_refused() {
    // CVE-2022-21449 ("psychic signatures"): r = s = 0.
    for (alg, len) in [(Algorithm::ES256, 64), (Algorithm::ES384, 96)] {
        let (codec, key) = ecdsa_codec_and_key(alg);
        let token = replace_segment(&valid_token(&key), 2, &b64(vec![0u8; len]));
        assert_eq!(
            refusal(&codec, &token),
            TokenError::InvalidSignature,
            "{alg}"
        );
    }
}

/// DER `INTEGER` for an unsigned big-endian number.
fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    let mut body = if trimmed.first().is_some_and(|&b| b & 0x80 != 0) {
        vec![0]
    } else {
        Vec::new()
    };
    body.extend(trimmed);
    let mut out = vec![0x02, u8::try_from(body.len()).unwrap()];
    out.extend(body);
    out
}

#[test]
fn der_encoded_ecdsa_signature_is_refused() {
    // JWS needs the fixed R ‖ S form (RFC 7518 §3.4); the same signature in
    // ASN.1 DER, as most crypto APIs produce it, must not be accepted.
    let (codec, key) = ecdsa_codec_and_key(Algorithm::ES256);
    let token = valid_token(&key);
    assert!(decode(&codec, &token).is_ok(), "control");
    let raw = tessera::b64::decode(segment(&token, 2)).unwrap();
    let mut body = der_integer(&raw[..32]);
    body.extend(der_integer(&raw[32..]));
    let mut der = vec![0x30, u8::try_from(body.len()).unwrap()];
    der.extend(body);
    let token = replace_segment(&token, 2, &b64(der));
    assert_eq!(refusal(&codec, &token), TokenError::InvalidSignature);
}

#[test]
fn ecdsa_signature_with_r_and_s_swapped_is_refused() {
    let (codec, key) = ecdsa_codec_and_key(Algorithm::ES256);
    let token = valid_token(&key);
    let raw = tessera::b64::decode(segment(&token, 2)).unwrap();
    let swapped = [&raw[32..], &raw[..32]].concat();
    let token = replace_segment(&token, 2, &b64(swapped));
    assert_eq!(refusal(&codec, &token), TokenError::InvalidSignature);
}

// --- keys and key locations in the header --------------------------------

#[test]
fn embedded_jwk_header_is_refused_even_when_it_signed_the_token() {
    // CVE-2018-0114: the attacker signs with their own key and ships it.
    let server = signing_key(Algorithm::ES256);
    let attacker = signing_key(Algorithm::ES256);
    let header = json!({
        "alg": "ES256",
        "typ": "JWT",
        "jwk": attacker.public_jwk().unwrap(),
    });
    let token = sign_raw(&attacker, &header.to_string(), &claims_with(|_| {}));
    assert_eq!(
        refusal(&codec(KeySet::new(server)), &token),
        TokenError::ForbiddenHeader("jwk")
    );
}

#[test]
fn embedded_jwk_header_is_refused_even_when_the_server_key_signed_the_token() {
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert("jwk".into(), json!({"kty": "oct", "k": b64(SECRET)}));
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::ForbiddenHeader("jwk")
    );
}

#[test]
fn jku_header_is_refused() {
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert("jku".into(), "http://127.0.0.1:1/jwks.json".into());
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::ForbiddenHeader("jku")
    );
}

#[test]
fn x5u_header_is_refused() {
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert(
            "x5u".into(),
            "http://169.254.169.254/latest/meta-data".into(),
        );
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::ForbiddenHeader("x5u")
    );
}

#[test]
fn x5c_header_is_refused() {
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert("x5c".into(), json!([]));
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::ForbiddenHeader("x5c")
    );
}

// --- kid injection --------------------------------------------------------

fn kid_token(key: &Key, kid: Value) -> String {
    let header = header_with(key, |h| {
        h.insert("kid".into(), kid);
    });
    sign_raw(key, &header, &claims_with(|_| {}))
}

fn kid_refusal(kid: Value) -> TokenError {
    // The server's one key has kid "2026" and signs the token itself, so the
    // kid is the only thing wrong.
    let key = hs256().with_kid("2026");
    let token = kid_token(&key, kid);
    refusal(&codec(KeySet::new(key)), &token)
}

#[test]
fn kid_with_path_traversal_is_an_unknown_key() {
    assert_eq!(
        kid_refusal(json!("../../dev/null")),
        TokenError::UnknownKeyId
    );
    assert_eq!(
        kid_refusal(json!("../../../../../../dev/null")),
        TokenError::UnknownKeyId
    );
}

#[test]
fn kid_with_sql_injection_is_an_unknown_key() {
    assert_eq!(kid_refusal(json!("' OR 1=1 --")), TokenError::UnknownKeyId);
    assert_eq!(
        kid_refusal(json!("x' UNION SELECT '1';--")),
        TokenError::UnknownKeyId
    );
}

#[test]
fn kid_with_command_injection_is_an_unknown_key() {
    assert_eq!(kid_refusal(json!("|sleep 10")), TokenError::UnknownKeyId);
    assert_eq!(
        kid_refusal(json!("2026; rm -rf /")),
        TokenError::UnknownKeyId
    );
}

#[test]
fn unknown_kid_is_refused() {
    assert_eq!(kid_refusal(json!("2025")), TokenError::UnknownKeyId);
    assert_eq!(kid_refusal(json!("2026 ")), TokenError::UnknownKeyId);
}

#[test]
fn empty_kid_is_refused() {
    assert_eq!(kid_refusal(json!("")), TokenError::UnknownKeyId);
}

#[test]
fn overlong_kid_is_refused() {
    assert_eq!(
        kid_refusal(json!("k".repeat(300))),
        TokenError::UnknownKeyId
    );
}

#[test]
fn non_string_kid_is_refused() {
    for kid in [
        json!(2026),
        json!(null),
        json!(["2026"]),
        json!({"id": "2026"}),
    ] {
        assert_eq!(kid_refusal(kid.clone()), TokenError::UnknownKeyId, "{kid}");
    }
}

#[test]
fn an_unknown_kid_never_falls_back_to_the_primary_key() {
    // The primary key has no kid; a token naming any kid is not checked with it.
    let key = hs256();
    let token = kid_token(&key, json!("../../dev/null"));
    assert_eq!(refusal(&hs256_codec(), &token), TokenError::UnknownKeyId);
}

// --- crit and b64 ---------------------------------------------------------

#[test]
fn unknown_crit_extension_is_refused() {
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert("crit".into(), json!(["http://example.invalid/UNDEFINED"]));
        h.insert("http://example.invalid/UNDEFINED".into(), json!(true));
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::UnsupportedCritical("http://example.invalid/UNDEFINED".to_owned())
    );
}

#[test]
fn malformed_crit_is_refused() {
    let key = hs256();
    for (crit, named) in [(json!([]), "(empty list)"), (json!("exp"), "(not a list)")] {
        let header = header_with(&key, |h| {
            h.insert("crit".into(), crit);
        });
        let token = sign_raw(&key, &header, &claims_with(|_| {}));
        assert_eq!(
            refusal(&hs256_codec(), &token),
            TokenError::UnsupportedCritical(named.to_owned())
        );
    }
}

#[test]
fn unencoded_payload_b64_false_with_crit_is_refused() {
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert("b64".into(), json!(false));
        h.insert("crit".into(), json!(["b64"]));
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::UnencodedPayload
    );
}

#[test]
fn unencoded_payload_b64_false_without_crit_is_refused() {
    let key = hs256();
    let header = header_with(&key, |h| {
        h.insert("b64".into(), json!(false));
    });
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::UnencodedPayload
    );
}

// --- header JSON ------------------------------------------------------------

#[test]
fn duplicate_alg_in_the_header_is_refused() {
    let key = hs256();
    for header in [
        r#"{"alg":"HS256","alg":"HS256","typ":"JWT"}"#,
        r#"{"alg":"none","alg":"HS256","typ":"JWT"}"#,
        r#"{"alg":"HS256","typ":"JWT","alg":"none"}"#,
    ] {
        let token = sign_raw(&key, header, &claims_with(|_| {}));
        assert_eq!(
            refusal(&hs256_codec(), &token),
            TokenError::DuplicateMember {
                part: Part::Header,
                name: "alg".to_owned()
            },
            "{header}"
        );
    }
}

#[test]
fn header_that_is_not_an_object_is_refused() {
    let key = hs256();
    for header in [
        r#"["HS256"]"#,
        r#""HS256""#,
        "null",
        "",
        r#"{"alg":"HS256""#,
    ] {
        let token = sign_raw(&key, header, &claims_with(|_| {}));
        assert!(
            matches!(
                refusal(&hs256_codec(), &token),
                TokenError::Json {
                    part: Part::Header,
                    ..
                }
            ),
            "{header:?}"
        );
    }
}

#[test]
fn non_string_typ_is_refused() {
    let key = hs256();
    let token = sign_raw(&key, r#"{"alg":"HS256","typ":1}"#, &claims_with(|_| {}));
    assert!(matches!(
        refusal(&hs256_codec(), &token),
        TokenError::Json {
            part: Part::Header,
            ..
        }
    ));
}

#[test]
fn insignificant_whitespace_in_a_signed_header_is_read_like_compact_json() {
    // RFC 7515 A.1's own header has a CRLF and a space; that is valid JSON,
    // and the signature covers the exact bytes.
    let key = hs256();
    let token = sign_raw(
        &key,
        "{ \"alg\" : \"HS256\",\r\n \"typ\" : \"JWT\" }",
        &claims_with(|_| {}),
    );
    assert!(decode(&hs256_codec(), &token).is_ok());
}

// --- attacker text in errors is short (errors end up in logs) ---------------------------

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
    let err = refusal(
        &hs256_codec(),
        &hs256_token_with("type", json!("t".repeat(4000))),
    );
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
    let token = hs256_token_with("roles", json!("r".repeat(4000)));
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
    let token = hs256_token_with("evil\n2026-01-01 INFO admin logged in", json!(1));
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

// --- the known-header fast path in the codec --------------------------------

#[test]
fn our_exact_header_segment_signed_by_another_secret_is_refused() {
    let codec = hs256_codec();
    let ours = codec.encode(&access_claims()).unwrap();
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
    // keys (a kid-less token never reaches a kid-bearing key), so an old kid-less key behind a new primary is unused.
    let old = Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes()).unwrap();
    let new = Key::hmac(Algorithm::HS256, SECRET.as_bytes())
        .unwrap()
        .with_kid("new");
    let keys = KeySet::new(new).with_verification_key(old).unwrap();
    let by_old = valid_token(&Key::hmac(Algorithm::HS256, OTHER_SECRET.as_bytes()).unwrap());
    assert_eq!(refusal(&codec(keys), &by_old), TokenError::InvalidSignature);
}

// --- ECDSA malleability: a high-S twin of a signature -------------------------------------

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
