//! Known-answer tests: the JWS examples of RFC 7515 Appendix A and the JOSE
//! cookbook (RFC 7520 §4) that use algorithms Tessera supports.
//!
//! Their payloads are not Tessera claims (RFC 7520's is not even JSON), so
//! the signatures are checked with `Key::verify` over the signing input;
//! where the codec is used, it is only to show the signature check passes
//! and a *later* rule refuses the token. The codec is never loosened to
//! accept foreign payloads.

use tessera::{Algorithm, Jwk, Key, KeySet, ManualClock, TokenError, Validation, inspect};

use crate::support::{b64, codec_with, refusal};

fn unb64(text: &str) -> Vec<u8> {
    tessera::b64::decode(text).unwrap()
}

fn split(token: &str) -> (String, Vec<u8>) {
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    (signing_input.to_owned(), unb64(signature))
}

fn flip_last_bit(mut bytes: Vec<u8>) -> Vec<u8> {
    *bytes.last_mut().unwrap() ^= 1;
    bytes
}

// ---------------------------------------------------------------------------
// RFC 7515 Appendix A. All three examples share one payload:
// {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
// ---------------------------------------------------------------------------

const A_PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

/// RFC 7515 A.1: `{"typ":"JWT",\r\n "alg":"HS256"}`, HMAC SHA-256.
const A1_TOKEN: &str = concat!(
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
    ".",
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
    ".",
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
);

/// RFC 7515 A.1's symmetric key (a JWK `oct` key, 64 bytes).
const A1_K: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

fn a1_key() -> Key {
    let jwk = Jwk {
        kty: "oct".to_owned(),
        k: Some(A1_K.to_owned()),
        ..Jwk::default()
    };
    Key::from_jwk(&jwk, Some(Algorithm::HS256)).unwrap()
}

#[test]
fn rfc7515_a1_hs256_token_verifies_with_its_jwk_key() {
    let (signing_input, signature) = split(A1_TOKEN);
    assert!(a1_key().verify(signing_input.as_bytes(), &signature));
}

#[test]
fn rfc7515_a1_hmac_over_the_signing_input_reproduces_the_signature_bytes() {
    let (signing_input, signature) = split(A1_TOKEN);
    // The RFC lists the signature octets; the first and last few pin the encoding.
    assert_eq!(&signature[..4], &[116, 24, 223, 180]);
    assert_eq!(&signature[28..], &[83, 132, 141, 121]);
    assert_eq!(a1_key().sign(signing_input.as_bytes()).unwrap(), signature);
}

#[test]
fn rfc7515_a1_with_one_bit_changed_does_not_verify() {
    let (signing_input, signature) = split(A1_TOKEN);
    assert!(!a1_key().verify(signing_input.as_bytes(), &flip_last_bit(signature.clone())));
    let mut tampered = signing_input.into_bytes();
    tampered[50] ^= 1;
    assert!(!a1_key().verify(&tampered, &signature));
}

#[test]
fn rfc7515_a1_inspects_to_the_rfc_header_and_payload() {
    let unverified = inspect(A1_TOKEN, 8192).unwrap();
    assert_eq!(unverified.header["typ"], "JWT");
    assert_eq!(unverified.header["alg"], "HS256");
    assert_eq!(unverified.payload["iss"], "joe");
    assert_eq!(unverified.payload["exp"], 1_300_819_380);
    assert_eq!(unverified.payload["http://example.com/is_root"], true);
    let (signing_input, signature) = split(A1_TOKEN);
    assert_eq!(unverified.signing_input(), signing_input);
    assert_eq!(unverified.signature, signature);
    assert!(a1_key().verify(unverified.signing_input().as_bytes(), &unverified.signature));
}

#[test]
fn rfc7515_a1_passes_the_codec_signature_check_then_fails_on_tessera_claim_rules() {
    // One second before its `exp`: the signature verifies, and the token is
    // refused only because it has no `iat` (a rule checked after the signature).
    let clock = ManualClock::new(1_300_819_379);
    let codec = codec_with(KeySet::new(a1_key()), Validation::default(), &clock);
    assert_eq!(
        refusal(&codec, A1_TOKEN),
        TokenError::MissingClaim("iat".to_owned())
    );
    // At its `exp` it is expired.
    clock.set(1_300_819_380);
    assert_eq!(refusal(&codec, A1_TOKEN), TokenError::Expired);
    // With a changed signature the codec stops at the signature.
    let (signing_input, signature) = split(A1_TOKEN);
    let forged = format!("{signing_input}.{}", b64(flip_last_bit(signature)));
    assert_eq!(refusal(&codec, &forged), TokenError::InvalidSignature);
}

/// RFC 7515 A.2: `{"alg":"RS256"}`, RSASSA-PKCS1-v1_5 SHA-256.
const A2_HEADER: &str = "eyJhbGciOiJSUzI1NiJ9";
const A2_SIGNATURE: &str = concat!(
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7",
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4",
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K",
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv",
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB",
    "p0igcN_IoypGlUPQGe77Rw",
);
const A2_N: &str = concat!(
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx",
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs",
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH",
    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV",
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8",
    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
);

fn a2_public_key(alg: Algorithm) -> Key {
    let jwk = Jwk {
        kty: "RSA".to_owned(),
        n: Some(A2_N.to_owned()),
        e: Some("AQAB".to_owned()),
        ..Jwk::default()
    };
    Key::from_jwk(&jwk, Some(alg)).unwrap()
}

#[test]
fn rfc7515_a2_rs256_verifies_with_the_public_n_and_e() {
    let signing_input = format!("{A2_HEADER}.{A_PAYLOAD}");
    let signature = unb64(A2_SIGNATURE);
    // The RFC's octet listing starts 112, 46, 33 and ends 25, 238, 251, 71.
    assert_eq!(&signature[..3], &[112, 46, 33]);
    assert_eq!(&signature[252..], &[25, 238, 251, 71]);
    let key = a2_public_key(Algorithm::RS256);
    assert!(!key.can_sign());
    assert!(key.verify(signing_input.as_bytes(), &signature));
    assert!(!key.verify(signing_input.as_bytes(), &flip_last_bit(signature)));
}

#[test]
fn rfc7515_a2_signature_does_not_verify_under_another_rsa_algorithm() {
    let signing_input = format!("{A2_HEADER}.{A_PAYLOAD}");
    let signature = unb64(A2_SIGNATURE);
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        assert!(
            !a2_public_key(alg).verify(signing_input.as_bytes(), &signature),
            "{alg} must not accept an RS256 signature"
        );
    }
}

#[test]
fn rfc7515_a2_verifies_through_inspect_then_key_verify() {
    let token = format!("{A2_HEADER}.{A_PAYLOAD}.{A2_SIGNATURE}");
    let unverified = inspect(&token, 8192).unwrap();
    assert_eq!(unverified.header["alg"], "RS256");
    let key = a2_public_key(Algorithm::RS256);
    assert!(key.verify(unverified.signing_input().as_bytes(), &unverified.signature));
}

/// RFC 7515 A.3: `{"alg":"ES256"}`, ECDSA P-256 SHA-256 (R ‖ S, 64 bytes).
const A3_HEADER: &str = "eyJhbGciOiJFUzI1NiJ9";
const A3_SIGNATURE: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

fn a3_jwk(private: bool) -> Jwk {
    Jwk {
        kty: "EC".to_owned(),
        crv: Some("P-256".to_owned()),
        x: Some(A3_X.to_owned()),
        y: Some(A3_Y.to_owned()),
        d: private.then(|| A3_D.to_owned()),
        ..Jwk::default()
    }
}

#[test]
fn rfc7515_a3_es256_verifies_with_the_public_point() {
    let signing_input = format!("{A3_HEADER}.{A_PAYLOAD}");
    let signature = unb64(A3_SIGNATURE);
    assert_eq!(signature.len(), 64);
    assert_eq!(&signature[..2], &[14, 209]);
    assert_eq!(&signature[62..], &[84, 213]);
    // No `alg` in the JWK: P-256 implies ES256.
    let key = Key::from_jwk(&a3_jwk(false), None).unwrap();
    assert_eq!(key.algorithm(), Algorithm::ES256);
    assert!(key.verify(signing_input.as_bytes(), &signature));
    assert!(!key.verify(signing_input.as_bytes(), &flip_last_bit(signature)));
}

#[test]
fn rfc7515_a3_private_jwk_signs_what_the_public_jwk_verifies() {
    // ECDSA is randomised, so the RFC signature cannot be reproduced; the
    // RFC's private key must still produce signatures its public key accepts.
    let private = Key::from_jwk(&a3_jwk(true), None).unwrap();
    let public = Key::from_jwk(&a3_jwk(false), None).unwrap();
    assert!(private.can_sign());
    let signing_input = format!("{A3_HEADER}.{A_PAYLOAD}");
    let signature = private.sign(signing_input.as_bytes()).unwrap();
    assert_eq!(signature.len(), 64);
    assert!(public.verify(signing_input.as_bytes(), &signature));
    assert!(private.verify(signing_input.as_bytes(), &unb64(A3_SIGNATURE)));
}

// ---------------------------------------------------------------------------
// RFC 7520 §4: JWS examples of the JOSE cookbook. They sign the same
// non-JSON payload (a quote from "The Fellowship of the Ring", Figure 8).
//
// Not covered: §4.3 (ES512 — P-521 is not a supported algorithm), and §4.5–4.8
// (detached content and the JSON serializations, which Tessera does not read).
// ---------------------------------------------------------------------------

const C_PAYLOAD: &str = concat!(
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH",
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk",
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm",
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
);

/// RFC 7520 §3.3: the RSA public key (2048 bits), as a JWK.
fn cookbook_rsa_public_jwk() -> Jwk {
    Jwk {
        kty: "RSA".to_owned(),
        kid: Some("bilbo.baggins@hobbiton.example".to_owned()),
        key_use: Some("sig".to_owned()),
        n: Some(
            concat!(
                "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT",
                "-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV",
                "wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-",
                "oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde",
                "3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuC",
                "LqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g",
                "HdrNP5zw",
            )
            .to_owned(),
        ),
        e: Some("AQAB".to_owned()),
        ..Jwk::default()
    }
}

/// RFC 7520 §3.5: the HMAC key, as a JWK.
fn cookbook_hmac_jwk() -> Jwk {
    Jwk {
        kty: "oct".to_owned(),
        kid: Some("018c0ae5-4d9b-471b-bfd6-eef314bc7037".to_owned()),
        key_use: Some("sig".to_owned()),
        alg: Some("HS256".to_owned()),
        k: Some("hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg".to_owned()),
        ..Jwk::default()
    }
}

/// §4.1.2: `{"alg":"RS256","kid":"bilbo.baggins@hobbiton.example"}`.
const C41_HEADER: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C41_SIGNATURE: &str = concat!(
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK",
    "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J",
    "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w",
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP",
    "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f",
    "cIe8u9ipH84ogoree7vjbU5y18kDquDg",
);

/// §4.2.2: `{"alg":"PS384","kid":"bilbo.baggins@hobbiton.example"}`.
const C42_HEADER: &str = "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C42_SIGNATURE: &str = concat!(
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I",
    "pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU",
    "vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX",
    "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT",
    "0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a",
    "6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw",
);

/// §4.4.2: `{"alg":"HS256","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037"}`.
const C44_HEADER: &str =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9";
const C44_SIGNATURE: &str = "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

#[test]
fn rfc7520_payload_decodes_to_the_cookbook_quote() {
    let text = String::from_utf8(unb64(C_PAYLOAD)).unwrap();
    assert!(text.starts_with("It\u{2019}s a dangerous business, Frodo"));
    assert!(text.ends_with("where you might be swept off to."));
}

#[test]
fn rfc7520_4_1_rs256_verifies_with_the_public_jwk() {
    let key = Key::from_jwk(&cookbook_rsa_public_jwk(), Some(Algorithm::RS256)).unwrap();
    assert_eq!(key.kid(), Some("bilbo.baggins@hobbiton.example"));
    let signing_input = format!("{C41_HEADER}.{C_PAYLOAD}");
    let signature = unb64(C41_SIGNATURE);
    assert!(key.verify(signing_input.as_bytes(), &signature));
    assert!(!key.verify(signing_input.as_bytes(), &flip_last_bit(signature)));
}

#[test]
fn rfc7520_4_1_passes_the_codec_signature_check_but_its_payload_is_not_claims() {
    let key = Key::from_jwk(&cookbook_rsa_public_jwk(), Some(Algorithm::RS256)).unwrap();
    let codec = codec_with(
        KeySet::new(key),
        Validation::default(),
        &ManualClock::new(0),
    );
    let token = format!("{C41_HEADER}.{C_PAYLOAD}.{C41_SIGNATURE}");
    // The `kid` finds the key, the signature verifies, and only then is the
    // payload read — and refused, because it is prose, not a JSON object.
    assert!(matches!(
        refusal(&codec, &token),
        TokenError::Json {
            part: tessera::Part::Payload,
            ..
        }
    ));
}

#[test]
fn rfc7520_4_2_ps384_verifies_with_the_public_jwk() {
    // RSASSA-PSS is randomised: verify-only.
    let key = Key::from_jwk(&cookbook_rsa_public_jwk(), Some(Algorithm::PS384)).unwrap();
    let signing_input = format!("{C42_HEADER}.{C_PAYLOAD}");
    let signature = unb64(C42_SIGNATURE);
    assert!(key.verify(signing_input.as_bytes(), &signature));
    assert!(!key.verify(signing_input.as_bytes(), &flip_last_bit(signature.clone())));
    let pinned_to_ps256 =
        Key::from_jwk(&cookbook_rsa_public_jwk(), Some(Algorithm::PS256)).unwrap();
    assert!(!pinned_to_ps256.verify(signing_input.as_bytes(), &signature));
}

#[test]
fn rfc7520_4_4_hs256_verifies_and_is_reproduced_exactly() {
    // The JWK names its own algorithm.
    let key = Key::from_jwk(&cookbook_hmac_jwk(), None).unwrap();
    assert_eq!(key.algorithm(), Algorithm::HS256);
    assert_eq!(key.kid(), Some("018c0ae5-4d9b-471b-bfd6-eef314bc7037"));
    let signing_input = format!("{C44_HEADER}.{C_PAYLOAD}");
    let signature = unb64(C44_SIGNATURE);
    assert!(key.verify(signing_input.as_bytes(), &signature));
    assert_eq!(key.sign(signing_input.as_bytes()).unwrap(), signature);
    assert!(!key.verify(signing_input.as_bytes(), &flip_last_bit(signature)));
}

#[test]
fn rfc7520_hmac_jwk_is_refused_for_another_algorithm() {
    assert!(matches!(
        Key::from_jwk(&cookbook_hmac_jwk(), Some(Algorithm::HS512)),
        Err(tessera::KeyError::WrongKeyType {
            alg: Algorithm::HS512,
            ..
        })
    ));
}
