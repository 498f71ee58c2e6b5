//! Properties over many generated cases: no single-byte change to a valid
//! token survives verification, and no input makes the decoder, the key
//! parsers or the header and cookie extractors panic (the fuzz targets'
//! entry points, on generated inputs).
//! Case counts stay modest (the whole module takes well under a second
//! unoptimised); HS256 is also swept exhaustively, being cheap to verify.

use std::sync::LazyLock;

use proptest::prelude::*;
use tessera::{Algorithm, Key, KeySet, TokenCodec};

use crate::support::{codec, decode, hs256, signing_key, valid_token};

/// A codec and a token it accepts.
struct Fixture {
    codec: TokenCodec,
    token: String,
}

impl Fixture {
    fn new(key: Key) -> Fixture {
        let token = valid_token(&key);
        let codec = match key.public_only() {
            Some(public) => codec(KeySet::new(public)),
            None => codec(KeySet::new(key)),
        };
        assert!(
            decode(&codec, &token).is_ok(),
            "the unmodified token verifies"
        );
        Fixture { codec, token }
    }

    /// The token with the byte at `index` replaced by the `choice`-th
    /// printable ASCII character other than the one already there.
    fn mutated(&self, index: usize, choice: u8) -> String {
        let mut bytes = self.token.clone().into_bytes();
        let index = index % bytes.len();
        let original = bytes[index];
        let mut replacement = b' ' + choice;
        if replacement >= original {
            replacement += 1;
        }
        assert!(replacement.is_ascii_graphic() || replacement == b' ');
        assert_ne!(replacement, original);
        bytes[index] = replacement;
        String::from_utf8(bytes).unwrap()
    }
}

static HS256: LazyLock<Fixture> = LazyLock::new(|| Fixture::new(hs256()));
static ES256: LazyLock<Fixture> = LazyLock::new(|| Fixture::new(signing_key(Algorithm::ES256)));

/// 95 printable ASCII characters (space to `~`); one is the original byte.
const OTHER_PRINTABLE: u8 = 94;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_single_byte_change_to_an_hs256_token_is_rejected(
        index in any::<usize>(),
        choice in 0..OTHER_PRINTABLE,
    ) {
        let fixture = &*HS256;
        let mutated = fixture.mutated(index, choice);
        prop_assert!(decode(&fixture.codec, &mutated).is_err(), "accepted: {}", mutated);
    }

    #[test]
    fn any_single_byte_change_to_an_es256_token_is_rejected(
        index in any::<usize>(),
        choice in 0..OTHER_PRINTABLE,
    ) {
        let fixture = &*ES256;
        let mutated = fixture.mutated(index, choice);
        prop_assert!(decode(&fixture.codec, &mutated).is_err(), "accepted: {}", mutated);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_is_refused_without_panicking(text in ".{0,400}") {
        prop_assert!(decode(&HS256.codec, &text).is_err());
        let _ = tessera::inspect(&text, 8192);
    }

    #[test]
    fn arbitrary_three_segment_base64url_is_refused_without_panicking(
        header in "[A-Za-z0-9_-]{0,80}",
        payload in "[A-Za-z0-9_-]{0,200}",
        signature in "[A-Za-z0-9_-]{0,90}",
    ) {
        let token = format!("{header}.{payload}.{signature}");
        prop_assert!(decode(&HS256.codec, &token).is_err());
        let _ = tessera::inspect(&token, 8192);
    }
}

/// The exhaustive form of the property for HS256: every position, every
/// other printable character (about 24 000 tokens, fast enough unoptimised).
#[test]
fn every_single_byte_change_to_an_hs256_token_is_rejected() {
    let fixture = &*HS256;
    for index in 0..fixture.token.len() {
        for choice in 0..OTHER_PRINTABLE {
            let mutated = fixture.mutated(index, choice);
            assert!(
                decode(&fixture.codec, &mutated).is_err(),
                "accepted: {mutated}"
            );
        }
    }
}

// The fuzz targets' entry points (fuzz/fuzz_targets/), run here on
// generated inputs so that `cargo test` exercises them too.

/// Asymmetric algorithms whose keys are parsed from PEM, DER and JWK.
const ASYMMETRIC: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A PEM armour around arbitrary base64, the shape a key parser sees most.
fn pem_like(label: &str, body: &str) -> String {
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

static HEADER_APP: LazyLock<(tokio::runtime::Runtime, axum::Router)> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (manager, _clock) = crate::axum_support::all_locations();
    (runtime, crate::axum_support::app(&manager))
});

/// The status of `POST /protected` with these raw header values (each
/// skipped when it is not a valid header value at all).
fn status_with_headers(authorization: &[u8], cookie: &[u8], csrf: &[u8]) -> http::StatusCode {
    use tower::ServiceExt;
    let mut request = http::Request::post("/protected")
        .body(axum::body::Body::empty())
        .unwrap();
    for (name, bytes) in [
        ("authorization", authorization),
        ("cookie", cookie),
        ("x-csrf-token", csrf),
    ] {
        if let Ok(value) = http::HeaderValue::from_bytes(bytes) {
            request.headers_mut().insert(name, value);
        }
    }
    let (runtime, app) = &*HEADER_APP;
    runtime.block_on(async { app.clone().oneshot(request).await.unwrap().status() })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_key_material_is_refused_without_panicking(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        base64_body in "[A-Za-z0-9+/=\n]{0,400}",
        label in prop::sample::select(vec!["PUBLIC KEY", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "RSA PUBLIC KEY"]),
    ) {
        let pem = pem_like(label, &base64_body);
        for alg in ASYMMETRIC {
            let _ = Key::from_private_der(alg, &bytes);
            let _ = Key::from_public_der(alg, &bytes);
            let _ = Key::from_pem(alg, &pem);
            let _ = Key::from_pem(alg, &String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn arbitrary_jwks_are_refused_or_loaded_without_panicking(
        kty in prop::sample::select(vec!["EC", "RSA", "OKP", "oct", "", "ec"]),
        crv in prop::sample::select(vec!["P-256", "P-384", "P-521", "Ed25519", "X25519", ""]),
        x in "[A-Za-z0-9_-]{0,100}",
        y in "[A-Za-z0-9_-]{0,100}",
        n in "[A-Za-z0-9_-]{0,400}",
        e in "[A-Za-z0-9_-]{0,8}",
        alg in prop::sample::select(vec!["ES256", "RS256", "EdDSA", "HS256", "none", ""]),
    ) {
        let text = serde_json::json!({ "keys": [{ "kty": kty, "crv": crv, "x": x, "y": y, "n": n, "e": e, "alg": alg }] }).to_string();
        if let Ok(set) = serde_json::from_str::<tessera::JwkSet>(&text) {
            for jwk in &set.keys {
                let _ = Key::from_jwk(jwk, None);
                for alg in ASYMMETRIC {
                    let _ = Key::from_jwk(jwk, Some(alg));
                }
            }
        }
    }

    #[test]
    fn arbitrary_authorization_cookie_and_csrf_headers_are_answered_never_a_5xx(
        authorization in proptest::collection::vec(any::<u8>(), 0..200),
        scheme in prop::sample::select(vec!["Bearer ", "bearer ", "Basic ", "", "Bearer  "]),
        token in "[ -~]{0,300}",
        cookie in "[ -~]{0,300}",
        csrf in "[ -~]{0,60}",
    ) {
        for auth in [authorization, format!("{scheme}{token}").into_bytes()] {
            let cookie_header = format!("access_token_cookie={token}; {cookie}");
            let status = status_with_headers(&auth, cookie_header.as_bytes(), csrf.as_bytes());
            prop_assert!(!status.is_server_error(), "{}", status);
            prop_assert!(status != http::StatusCode::OK, "an arbitrary token was accepted");
        }
    }
}
