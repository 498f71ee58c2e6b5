//! Attacks on the token's encoding: size, segment count, base64url
//! spellings, UTF-8, JSON depth and escapes inside a signed header. Where a segment's spelling is the defect,
//! the signature is computed over that exact spelling, so the signature
//! itself is valid and only the encoding rule can refuse the token.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE};
use serde_json::json;
use tessera::{Algorithm, KeySet, Part, TokenError, Validation, inspect};

use crate::support::{
    b64, claims_with, clock, codec_with, decode, header_for, hs256, hs256_codec, refusal,
    replace_segment, segment, sign_bytes, sign_raw, sign_segments, valid_token, with_trailing_bits,
};

const MIB: usize = 1024 * 1024;

fn roomy_codec(max_token_bytes: usize) -> tessera::TokenCodec {
    codec_with(
        KeySet::new(hs256()),
        Validation {
            max_token_bytes,
            ..Validation::default()
        },
        &clock(),
    )
}

// --- size -------------------------------------------------------------------

#[test]
fn one_mebibyte_token_is_refused_as_too_large() {
    let key = hs256();
    let huge = claims_with(|c| {
        c.insert("blob".into(), json!("A".repeat(MIB)));
    });
    let token = sign_raw(&key, &header_for(&key), &huge);
    assert!(token.len() > MIB);
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::TooLarge {
            len: token.len(),
            max: 8192
        }
    );
}

#[test]
fn size_cap_is_checked_before_any_decoding() {
    // Garbage that would fail base64 or segment checks still reports its size.
    for garbage in ["!".repeat(MIB), ".".repeat(MIB), "é".repeat(MIB / 2)] {
        assert_eq!(
            refusal(&hs256_codec(), &garbage),
            TokenError::TooLarge {
                len: garbage.len(),
                max: 8192
            }
        );
    }
}

#[test]
fn size_cap_is_inclusive_and_configurable() {
    let token = valid_token(&hs256());
    assert!(decode(&roomy_codec(token.len()), &token).is_ok());
    assert_eq!(
        refusal(&roomy_codec(token.len() - 1), &token),
        TokenError::TooLarge {
            len: token.len(),
            max: token.len() - 1
        }
    );
}

#[test]
fn default_size_cap_is_8_kib() {
    assert_eq!(Validation::default().max_token_bytes, 8192);
    let just_over = "x".repeat(8193);
    assert!(matches!(
        refusal(&hs256_codec(), &just_over),
        TokenError::TooLarge { len: 8193, .. }
    ));
    assert_eq!(
        refusal(&hs256_codec(), &"x".repeat(8192)),
        TokenError::WrongSegmentCount
    );
}

// --- nesting -------------------------------------------------------------------

fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn validly_signed_nested_json_bomb_payload_is_refused_without_overflowing() {
    let key = hs256();
    let payload = format!(
        r#"{{"sub":"42","iat":{},"exp":{},"x":{}}}"#,
        crate::support::NOW,
        crate::support::NOW + 900,
        nested_arrays(100_000)
    );
    let token = sign_raw(&key, &header_for(&key), &payload);
    assert!(matches!(
        refusal(&roomy_codec(MIB), &token),
        TokenError::Json {
            part: Part::Payload,
            ..
        }
    ));
}

#[test]
fn nested_json_bomb_header_is_refused_without_overflowing() {
    let key = hs256();
    let header = format!(r#"{{"alg":"HS256","x":{}}}"#, nested_arrays(100_000));
    let token = sign_raw(&key, &header, &claims_with(|_| {}));
    assert!(matches!(
        refusal(&roomy_codec(MIB), &token),
        TokenError::Json {
            part: Part::Header,
            ..
        }
    ));
}

#[test]
fn moderately_nested_extra_claims_are_fine() {
    let key = hs256();
    let payload = claims_with(|c| {
        c.insert(
            "tree".into(),
            serde_json::from_str(&nested_arrays(32)).unwrap(),
        );
    });
    let token = sign_raw(&key, &header_for(&key), &payload);
    assert!(decode(&hs256_codec(), &token).is_ok());
}

// --- segment count ----------------------------------------------------------------

#[test]
fn four_segments_are_refused() {
    let token = valid_token(&hs256());
    for extra in [".", ".x", ".e30"] {
        assert_eq!(
            refusal(&hs256_codec(), &format!("{token}{extra}")),
            TokenError::WrongSegmentCount,
            "{extra}"
        );
    }
}

#[test]
fn jwe_style_five_segments_are_refused() {
    let header = b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#);
    let jwe = format!(
        "{header}.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ"
    );
    assert_eq!(jwe.split('.').count(), 5);
    assert_eq!(refusal(&hs256_codec(), &jwe), TokenError::WrongSegmentCount);
}

#[test]
fn one_segment_and_empty_tokens_are_refused() {
    for token in ["", "eyJhbGciOiJIUzI1NiJ9", "...", "...."] {
        assert_eq!(
            refusal(&hs256_codec(), token),
            TokenError::WrongSegmentCount,
            "{token:?}"
        );
    }
}

#[test]
fn three_empty_segments_are_refused_as_an_empty_header() {
    assert!(matches!(
        refusal(&hs256_codec(), ".."),
        TokenError::Json {
            part: Part::Header,
            ..
        }
    ));
}

// --- base64url spellings ---------------------------------------------------------

#[test]
fn padded_signature_is_refused() {
    let token = valid_token(&hs256());
    assert_eq!(segment(&token, 2).len() % 4, 3, "one `=` would pad it");
    assert_eq!(
        refusal(&hs256_codec(), &format!("{token}=")),
        TokenError::Base64(Part::Signature)
    );
}

#[test]
fn padded_payload_is_refused_even_when_the_padding_is_signed() {
    let key = hs256();
    let payload = claims_with(|c| {
        c.insert("p".into(), json!("x"));
    });
    let padded = URL_SAFE.encode(&payload);
    assert!(
        padded.ends_with('='),
        "choose a payload whose length needs padding"
    );
    let token = sign_segments(&key, &b64(header_for(&key)), &padded);
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::Base64(Part::Payload)
    );
}

#[test]
fn padded_header_is_refused_even_when_the_padding_is_signed() {
    let key = hs256();
    let header = r#"{"alg":"HS256","typ":"JWT" }"#;
    let padded = URL_SAFE.encode(header);
    assert!(padded.ends_with('='));
    let token = sign_segments(&key, &padded, &b64(claims_with(|_| {})));
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::Base64(Part::Header)
    );
}

/// A payload's standard-alphabet encoding that contains `+` or `/`.
fn standard_encoding_with_plus_or_slash() -> String {
    (0..1000)
        .map(|n| {
            STANDARD_NO_PAD.encode(claims_with(|c| {
                c.insert("n".into(), json!(format!("?>{n}~")));
            }))
        })
        .find(|standard| standard.contains(['+', '/']))
        .unwrap()
}

#[test]
fn standard_alphabet_payload_is_refused_even_when_signed() {
    let key = hs256();
    let standard = standard_encoding_with_plus_or_slash();
    let token = sign_segments(&key, &b64(header_for(&key)), &standard);
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::Base64(Part::Payload)
    );
}

#[test]
fn standard_alphabet_signature_is_refused() {
    let key = hs256();
    let token = (0..1000)
        .map(|n| {
            sign_raw(
                &key,
                &header_for(&key),
                &claims_with(|c| {
                    c.insert("n".into(), json!(n));
                }),
            )
        })
        .find(|token| segment(token, 2).contains(['-', '_']))
        .unwrap();
    let standard = segment(&token, 2).replace('-', "+").replace('_', "/");
    assert_eq!(
        refusal(&hs256_codec(), &replace_segment(&token, 2, &standard)),
        TokenError::Base64(Part::Signature)
    );
}

#[test]
fn leading_whitespace_is_refused() {
    let token = valid_token(&hs256());
    for prefix in [" ", "\n", "\t", "\u{feff}"] {
        assert_eq!(
            refusal(&hs256_codec(), &format!("{prefix}{token}")),
            TokenError::Base64(Part::Header),
            "{prefix:?}"
        );
    }
}

#[test]
fn trailing_whitespace_or_newline_is_refused() {
    let token = valid_token(&hs256());
    for suffix in [" ", "\n", "\r\n", "\t"] {
        assert_eq!(
            refusal(&hs256_codec(), &format!("{token}{suffix}")),
            TokenError::Base64(Part::Signature),
            "{suffix:?}"
        );
    }
}

#[test]
fn whitespace_inside_a_signed_segment_is_refused() {
    let key = hs256();
    let payload = b64(claims_with(|_| {}));
    let (left, right) = payload.split_at(20);
    for gap in [" ", "\n", "\r\n"] {
        let token = sign_segments(&key, &b64(header_for(&key)), &format!("{left}{gap}{right}"));
        assert_eq!(
            refusal(&hs256_codec(), &token),
            TokenError::Base64(Part::Payload),
            "{gap:?}"
        );
    }
}

#[test]
fn non_canonical_trailing_bits_in_the_signature_are_refused() {
    let token = valid_token(&hs256());
    let loose = with_trailing_bits(segment(&token, 2));
    assert_eq!(
        tessera::b64::decode(segment(&token, 2)),
        base64::engine::general_purpose::GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            base64::engine::GeneralPurposeConfig::new()
                .with_encode_padding(false)
                .with_decode_allow_trailing_bits(true)
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
        )
        .decode(&loose)
        .ok(),
        "a lenient decoder reads both spellings as the same bytes"
    );
    assert_eq!(
        refusal(&hs256_codec(), &replace_segment(&token, 2, &loose)),
        TokenError::Base64(Part::Signature)
    );
}

#[test]
fn non_canonical_trailing_bits_in_a_signed_payload_are_refused() {
    let key = hs256();
    let canonical = (0..4)
        .map(|n| {
            b64(claims_with(|c| {
                c.insert("p".into(), json!("x".repeat(n)));
            }))
        })
        .find(|encoded| encoded.len() % 4 != 0)
        .unwrap();
    let token = sign_segments(
        &key,
        &b64(header_for(&key)),
        &with_trailing_bits(&canonical),
    );
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::Base64(Part::Payload)
    );
}

#[test]
fn non_canonical_trailing_bits_in_a_signed_header_is_refused() {
    let key = hs256();
    let header = r#"{"alg":"HS256","typ":"JWT" }"#;
    let token = sign_segments(
        &key,
        &with_trailing_bits(&b64(header)),
        &b64(claims_with(|_| {})),
    );
    assert_eq!(
        refusal(&hs256_codec(), &token),
        TokenError::Base64(Part::Header)
    );
}

#[test]
fn non_ascii_characters_in_a_segment_are_refused() {
    let token = valid_token(&hs256());
    let sig = segment(&token, 2);
    let odd = format!("{}é", &sig[..sig.len() - 1]);
    assert_eq!(
        refusal(&hs256_codec(), &replace_segment(&token, 2, &odd)),
        TokenError::Base64(Part::Signature)
    );
}

// --- UTF-8 --------------------------------------------------------------------------

#[test]
fn invalid_utf8_in_a_signed_payload_is_refused() {
    let key = hs256();
    let mut payload = claims_with(|c| {
        c.insert("name".into(), json!("XX"));
    })
    .into_bytes();
    let at = payload.windows(2).position(|w| w == b"XX").unwrap();
    payload[at] = 0xff;
    payload[at + 1] = 0xfe;
    let token = sign_bytes(&key, header_for(&key).as_bytes(), &payload);
    assert!(matches!(
        refusal(&hs256_codec(), &token),
        TokenError::Json {
            part: Part::Payload,
            ..
        }
    ));
}

#[test]
fn invalid_utf8_in_a_signed_header_is_refused() {
    let key = hs256();
    let header = b"{\"alg\":\"HS256\",\"typ\":\"JW\xc3\x28\"}";
    let token = sign_bytes(&key, header, claims_with(|_| {}).as_bytes());
    assert!(matches!(
        refusal(&hs256_codec(), &token),
        TokenError::Json {
            part: Part::Header,
            ..
        }
    ));
}

#[test]
fn byte_order_mark_before_a_signed_payload_is_refused() {
    let key = hs256();
    let payload = [b"\xef\xbb\xbf".as_slice(), claims_with(|_| {}).as_bytes()].concat();
    let token = sign_bytes(&key, header_for(&key).as_bytes(), &payload);
    assert!(matches!(
        refusal(&hs256_codec(), &token),
        TokenError::Json {
            part: Part::Payload,
            ..
        }
    ));
}

// --- inspect --------------------------------------------------------------------------

#[test]
fn inspect_returns_header_and_payload_without_verifying() {
    let key = hs256();
    let token = valid_token(&key);
    let forged = replace_segment(&token, 2, &b64([7u8; 32]));
    let unverified = inspect(&forged, 8192).unwrap();
    assert_eq!(unverified.header["alg"], "HS256");
    assert_eq!(unverified.payload["sub"], "42");
    assert_eq!(unverified.signature, vec![7u8; 32]);
    let (signing_input, _) = forged.rsplit_once('.').unwrap();
    assert_eq!(unverified.signing_input(), signing_input);
    assert_eq!(unverified.header_segment, segment(&forged, 0));
    // Even alg none and expired claims are shown, never judged.
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(claims_with(|c| {
            c.insert("exp".into(), json!(0));
        }))
    );
    let unverified = inspect(&none, 8192).unwrap();
    assert_eq!(unverified.header["alg"], "none");
    assert!(unverified.signature.is_empty());
}

#[test]
fn inspect_enforces_the_size_cap_before_decoding() {
    let garbage = "!".repeat(MIB);
    assert_eq!(
        inspect(&garbage, 8192).unwrap_err(),
        TokenError::TooLarge {
            len: MIB,
            max: 8192
        }
    );
    let token = valid_token(&hs256());
    assert!(inspect(&token, token.len()).is_ok());
    assert!(matches!(
        inspect(&token, token.len() - 1),
        Err(TokenError::TooLarge { .. })
    ));
}

#[test]
fn inspect_is_as_strict_as_verification_about_encoding() {
    let token = valid_token(&hs256());
    assert_eq!(
        inspect(&format!("{token}="), 8192).unwrap_err(),
        TokenError::Base64(Part::Signature)
    );
    assert_eq!(
        inspect(&format!("{token}.x"), 8192).unwrap_err(),
        TokenError::WrongSegmentCount
    );
    let duplicate = format!("{}.{}.", b64(r#"{"alg":"HS256","alg":"none"}"#), b64("{}"));
    assert!(matches!(
        inspect(&duplicate, 8192).unwrap_err(),
        TokenError::DuplicateMember {
            part: Part::Header,
            ..
        }
    ));
    let bomb = format!(
        "{}.{}.",
        b64(r#"{"alg":"HS256"}"#),
        b64(format!(r#"{{"x":{}}}"#, nested_arrays(100_000)))
    );
    assert!(matches!(
        inspect(&bomb, MIB).unwrap_err(),
        TokenError::Json {
            part: Part::Payload,
            ..
        }
    ));
}

// --- JSON spelling inside a signed header: escapes and surrogates ---------------------------

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
