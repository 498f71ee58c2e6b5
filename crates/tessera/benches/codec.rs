//! Encode and verify cost per algorithm, next to the floor any HS256 verifier
//! must pay (one HMAC over the signing input, one base64url decode and one
//! JSON parse of the payload), and next to the `jsonwebtoken` crate.
//!
//! Run: `cargo bench -p tessera --bench codec`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use aws_lc_rs::hmac;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use tessera::{
    Algorithm, Claims, ExtraClaims, GeneratedKeyPair, Key, KeySet, TokenCodec, TokenType,
};

/// A benchmark-only secret (never used outside this file).
const BENCH_SECRET: &[u8] = b"bench-only-Qm9xZ3V0dGVyLWJlbmNoLXNlY3JldC0xMjM0NTY3ODkw";

fn extra() -> ExtraClaims {
    let mut extra = ExtraClaims::new();
    extra.insert("sid".into(), json!("0b6f2f1c-4a39-4b8e-9d55-2f1b7f0b9a11"));
    extra.insert("roles".into(), json!(["user"]));
    extra
}

fn codec_for(alg: Algorithm) -> TokenCodec {
    let key = match alg {
        Algorithm::HS256 => Key::hmac(alg, BENCH_SECRET).unwrap(),
        _ => Key::from_pem(alg, &GeneratedKeyPair::generate(alg).unwrap().private_pem).unwrap(),
    };
    TokenCodec::new(KeySet::new(key))
}

fn claims(codec: &TokenCodec) -> Claims {
    Claims::new("42", TokenType::Access, codec.now(), Some(900), extra())
}

fn per_algorithm(c: &mut Criterion) {
    for alg in [
        Algorithm::HS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
        Algorithm::RS256,
    ] {
        let codec = codec_for(alg);
        let claims = claims(&codec);
        let token = codec.encode(&claims).unwrap();
        c.bench_function(&format!("encode/{alg}"), |b| {
            b.iter(|| codec.encode(black_box(&claims)).unwrap());
        });
        c.bench_function(&format!("verify/{alg}"), |b| {
            b.iter(|| {
                codec
                    .decode::<ExtraClaims>(black_box(&token), TokenType::Access)
                    .unwrap()
            });
        });
    }
}

fn hs256_floor(c: &mut Criterion) {
    let codec = codec_for(Algorithm::HS256);
    let token = codec.encode(&claims(&codec)).unwrap();
    let last_dot = token.rfind('.').unwrap();
    let signing_input = &token[..last_dot];
    let payload = &signing_input[signing_input.find('.').unwrap() + 1..];
    let key = hmac::Key::new(hmac::HMAC_SHA256, BENCH_SECRET);
    c.bench_function("floor/HS256 (hmac + b64 + json)", |b| {
        b.iter(|| {
            let tag = hmac::sign(&key, black_box(signing_input).as_bytes());
            let bytes = tessera::b64::decode(black_box(payload)).unwrap();
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            black_box((tag, value))
        });
    });
}

fn jsonwebtoken_hs256(c: &mut Criterion) {
    use jsonwebtoken::{DecodingKey, Validation};
    let codec = codec_for(Algorithm::HS256);
    let token = codec.encode(&claims(&codec)).unwrap();
    let key = DecodingKey::from_secret(BENCH_SECRET);
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iat", "sub"]);
    c.bench_function("jsonwebtoken/verify/HS256", |b| {
        b.iter(|| jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation).unwrap());
    });
}

criterion_group!(benches, per_algorithm, hs256_floor, jsonwebtoken_hs256);
criterion_main!(benches);
