//! `TokenConfig::from_lookup`: every variable under Flask-JWT-Extended's
//! name, its default, its accepted spellings and the one-line error that
//! names it when the value cannot be used.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tessera::config::MAX_LEEWAY_SECONDS;
use tessera::{
    Algorithm, ConfigError, EncodeError, ExtraClaims, GeneratedKeyPair, KeyError, KeySource,
    TokenCodec, TokenConfig, TokenError, TokenType,
};

use crate::support::{NOW, SECRET, clock, decode, refusal};

fn from(vars: &[(&str, &str)]) -> Result<TokenConfig, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    TokenConfig::from_lookup(|name| map.get(name).cloned())
}

/// `from` with a valid secret added, for tests about other variables.
fn with_secret(vars: &[(&str, &str)]) -> Result<TokenConfig, ConfigError> {
    let mut all = vec![("JWT_SECRET_KEY", SECRET)];
    all.extend_from_slice(vars);
    from(&all)
}

/// Asserts `result` is `Invalid` for `variable`, with a one-line message
/// that starts with the variable's name.
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ConfigError>, variable: &str) {
    match result {
        Err(err @ ConfigError::Invalid { name, .. }) => {
            assert_eq!(name, variable, "{err}");
            let message = err.to_string();
            assert!(message.starts_with(variable), "{message}");
            assert!(!message.contains('\n'), "not one line: {message:?}");
        }
        other => panic!("expected {variable} to be invalid, got {other:?}"),
    }
}

/// A codec for `config` on the test clock.
fn codec_for(config: &TokenConfig) -> TokenCodec {
    TokenCodec::builder(config.key_set().unwrap())
        .validation(config.validation())
        .clock(Arc::new(clock()))
        .build()
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

// --- secret and algorithm ----------------------------------------------------------

#[test]
fn a_secret_alone_gives_the_flask_jwt_extended_defaults() {
    let config = with_secret(&[]).unwrap();
    assert_eq!(config, TokenConfig::with_secret(SECRET));
    assert_eq!(config.algorithm, Algorithm::HS256);
    assert_eq!(config.keys, KeySource::Secret(SECRET.to_owned()));
    assert_eq!(config.access_expires, Duration::from_secs(900));
    assert_eq!(config.refresh_expires, Duration::from_secs(30 * 86_400));
    assert_eq!(config.leeway, 0);
    assert_eq!(config.identity_claim, "sub");
    assert!(config.encode_nbf);
    assert_eq!(config.max_token_bytes, 8192);
    assert_eq!((config.encode_issuer, config.decode_issuer), (None, None));
    assert!(config.encode_audience.is_empty() && config.decode_audience.is_empty());
}

#[test]
fn missing_secret_is_reported_with_what_to_do() {
    for vars in [
        &[][..],
        &[("JWT_SECRET_KEY", "")][..],
        &[("JWT_SECRET_KEY", "  ")][..],
    ] {
        let err = from(vars).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Missing {
                    name: "JWT_SECRET_KEY",
                    ..
                }
            ),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("tessera init") && !message.contains('\n'),
            "{message}"
        );
    }
}

#[test]
fn weak_secrets_refuse_to_load_naming_the_variable() {
    for secret in [
        tessera::keys::KNOWN_PLACEHOLDER,
        "too-short-secret",
        "change-me-change-me-change-me-change-me",
    ] {
        let config = from(&[("JWT_SECRET_KEY", secret)]).unwrap();
        assert_invalid(config.key_set(), "JWT_SECRET_KEY");
        let message = config.codec().unwrap_err().to_string();
        assert!(!message.contains(secret), "the secret leaks: {message}");
    }
}

#[test]
fn short_secret_error_gives_both_lengths() {
    let config = from(&[("JWT_SECRET_KEY", "Q7v!x2Lm9#Rt4Wz8Kp1@")]).unwrap();
    let message = config.key_set().unwrap_err().to_string();
    assert!(
        message.contains("32") && message.contains("20"),
        "{message}"
    );
}

#[test]
fn a_secret_is_kept_exactly_as_written() {
    let secret = format!(" {SECRET}\t");
    let config = from(&[("JWT_SECRET_KEY", &secret)]).unwrap();
    assert_eq!(config.keys, KeySource::Secret(secret));
}

#[test]
fn every_supported_algorithm_name_is_accepted() {
    for alg in Algorithm::ALL {
        let vars = [
            ("JWT_ALGORITHM", alg.as_str()),
            ("JWT_SECRET_KEY", SECRET),
            (
                "JWT_PUBLIC_KEY",
                "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
            ),
        ];
        assert_eq!(from(&vars).unwrap().algorithm, alg);
    }
    let padded = with_secret(&[("JWT_ALGORITHM", " HS384 ")]).unwrap();
    assert_eq!(padded.algorithm, Algorithm::HS384);
}

#[test]
fn unsupported_algorithm_names_are_refused() {
    for name in ["none", "None", "hs256", "HS1024", "ES512", "RSA"] {
        assert_invalid(with_secret(&[("JWT_ALGORITHM", name)]), "JWT_ALGORITHM");
    }
    let message = with_secret(&[("JWT_ALGORITHM", "none")])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("HS256") && message.contains("EdDSA"),
        "{message}"
    );
}

#[test]
fn decode_algorithms_may_only_repeat_the_signing_algorithm() {
    let config = with_secret(&[("JWT_DECODE_ALGORITHMS", "HS256")]).unwrap();
    assert_eq!(config.algorithm, Algorithm::HS256);
    let config = with_secret(&[
        ("JWT_ALGORITHM", "HS512"),
        ("JWT_DECODE_ALGORITHMS", " HS512 "),
    ])
    .unwrap();
    assert_eq!(config.algorithm, Algorithm::HS512);
}

#[test]
fn decode_algorithms_that_differ_from_the_signing_algorithm_are_refused() {
    for list in [
        "RS256",
        "HS256,RS256",
        "HS256, HS512",
        "none",
        "HS256,none",
        "hs256",
    ] {
        assert_invalid(
            with_secret(&[("JWT_DECODE_ALGORITHMS", list)]),
            "JWT_DECODE_ALGORITHMS",
        );
    }
}

// --- lifetimes and leeway -----------------------------------------------------------

#[test]
fn expiry_variables_take_seconds_or_suffixed_durations() {
    for (value, seconds) in [
        ("900", 900),
        ("1", 1),
        ("45s", 45),
        ("15m", 900),
        ("2h", 7200),
        ("30d", 2_592_000),
        (" 60 ", 60),
    ] {
        let config = with_secret(&[
            ("JWT_ACCESS_TOKEN_EXPIRES", value),
            ("JWT_REFRESH_TOKEN_EXPIRES", value),
        ])
        .unwrap();
        let lifetime = Duration::from_secs(seconds);
        assert_eq!(config.access_expires, lifetime, "{value:?}");
        assert_eq!(config.refresh_expires, lifetime, "{value:?}");
    }
}

#[test]
fn bad_expiry_values_are_refused_naming_the_variable() {
    for value in [
        "0",
        "-5",
        "abc",
        "10x",
        "1.5",
        "15 m",
        "m",
        "99999999999999999999d",
        // Flask's `False` (never expires) is a per-token choice here:
        // `Expires::Never` with `JWT_ALLOW_NON_EXPIRING`.
        "false",
        "False",
    ] {
        for variable in ["JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES"] {
            assert_invalid(with_secret(&[(variable, value)]), variable);
        }
    }
}

#[test]
fn leeway_is_whole_seconds_up_to_the_cap() {
    assert_eq!(MAX_LEEWAY_SECONDS, 300);
    for (value, seconds) in [("0", 0), ("30", 30), ("300", 300)] {
        let config = with_secret(&[("JWT_DECODE_LEEWAY", value)]).unwrap();
        assert_eq!(config.leeway, seconds);
        assert_eq!(config.validation().leeway, seconds);
    }
}

#[test]
fn leeway_over_the_cap_or_malformed_is_refused() {
    for value in ["301", "3600", "-1", "1.5", "30s", "lots"] {
        assert_invalid(
            with_secret(&[("JWT_DECODE_LEEWAY", value)]),
            "JWT_DECODE_LEEWAY",
        );
    }
}

// --- issuer, audience, identity, nbf, size ------------------------------------------

#[test]
fn issuer_and_audience_variables_are_read() {
    let config = with_secret(&[
        ("JWT_ENCODE_ISSUER", "https://auth.example"),
        ("JWT_DECODE_ISSUER", "https://idp.example"),
        ("JWT_ENCODE_AUDIENCE", "orders"),
        ("JWT_DECODE_AUDIENCE", " orders , billing,, "),
    ])
    .unwrap();
    assert_eq!(
        config.encode_issuer.as_deref(),
        Some("https://auth.example")
    );
    assert_eq!(config.decode_issuer.as_deref(), Some("https://idp.example"));
    assert_eq!(config.encode_audience, ["orders"]);
    assert_eq!(config.decode_audience, ["orders", "billing"]);
    let validation = config.validation();
    assert_eq!(validation.issuer.as_deref(), Some("https://idp.example"));
    assert_eq!(validation.audience, ["orders", "billing"]);
}

#[test]
fn identity_claim_is_read_and_registered_names_are_refused() {
    let config = with_secret(&[("JWT_IDENTITY_CLAIM", "user_id")]).unwrap();
    assert_eq!(config.identity_claim, "user_id");
    assert_eq!(config.validation().identity_claim, "user_id");
    assert_eq!(
        with_secret(&[("JWT_IDENTITY_CLAIM", "sub")])
            .unwrap()
            .identity_claim,
        "sub"
    );
    for reserved in ["exp", "iat", "type", "jti", "aud"] {
        assert_invalid(
            with_secret(&[("JWT_IDENTITY_CLAIM", reserved)]),
            "JWT_IDENTITY_CLAIM",
        );
    }
}

#[test]
fn encode_nbf_takes_common_boolean_spellings() {
    for (value, expected) in [
        ("true", true),
        ("TRUE", true),
        ("1", true),
        ("yes", true),
        ("on", true),
        ("false", false),
        ("False", false),
        ("0", false),
        ("no", false),
        ("off", false),
    ] {
        let config = with_secret(&[("JWT_ENCODE_NBF", value)]).unwrap();
        assert_eq!(config.encode_nbf, expected, "{value:?}");
    }
    assert_invalid(
        with_secret(&[("JWT_ENCODE_NBF", "maybe")]),
        "JWT_ENCODE_NBF",
    );
}

#[test]
fn max_token_bytes_is_bounded() {
    for (value, bytes) in [("512", 512), ("4096", 4096), ("65536", 65_536)] {
        let config = with_secret(&[("JWT_MAX_TOKEN_BYTES", value)]).unwrap();
        assert_eq!(config.validation().max_token_bytes, bytes);
    }
    for value in ["511", "65537", "0", "8k", "-1"] {
        assert_invalid(
            with_secret(&[("JWT_MAX_TOKEN_BYTES", value)]),
            "JWT_MAX_TOKEN_BYTES",
        );
    }
}

#[test]
fn new_claims_follow_the_configured_lifetimes_issuer_audience_and_nbf() {
    let config = with_secret(&[
        ("JWT_ACCESS_TOKEN_EXPIRES", "5m"),
        ("JWT_REFRESH_TOKEN_EXPIRES", "7d"),
        ("JWT_ENCODE_ISSUER", "https://auth.example"),
        ("JWT_ENCODE_AUDIENCE", "orders,billing"),
        ("JWT_ENCODE_NBF", "false"),
    ])
    .unwrap();
    let access = config.new_claims("42", TokenType::Access, NOW, ExtraClaims::new());
    assert_eq!(access.exp, Some(NOW + 300));
    assert_eq!(access.nbf, None);
    assert_eq!(access.iss.as_deref(), Some("https://auth.example"));
    assert_eq!(access.aud, ["orders", "billing"]);
    let refresh = config.new_claims("42", TokenType::Refresh, NOW, ExtraClaims::new());
    assert_eq!(refresh.exp, Some(NOW + 7 * 86_400));
}

#[test]
fn decode_issuer_and_audience_are_enforced_by_the_configured_codec() {
    let issuer = with_secret(&[
        ("JWT_ENCODE_ISSUER", "https://auth.example"),
        ("JWT_ENCODE_AUDIENCE", "orders"),
    ])
    .unwrap();
    let claims = issuer.new_claims("42", TokenType::Access, NOW, ExtraClaims::new());
    let token = codec_for(&issuer).encode(&claims).unwrap();

    let accepts = with_secret(&[
        ("JWT_DECODE_ISSUER", "https://auth.example"),
        ("JWT_DECODE_AUDIENCE", "orders"),
    ])
    .unwrap();
    assert_eq!(
        decode(&codec_for(&accepts), &token).unwrap().claims.sub,
        "42"
    );

    let other_audience = with_secret(&[("JWT_DECODE_AUDIENCE", "billing")]).unwrap();
    assert_eq!(
        refusal(&codec_for(&other_audience), &token),
        TokenError::InvalidAudience
    );
    let other_issuer = with_secret(&[("JWT_DECODE_ISSUER", "https://idp.example")]).unwrap();
    assert_eq!(
        refusal(&codec_for(&other_issuer), &token),
        TokenError::InvalidIssuer
    );
}

// --- PEM keys ---------------------------------------------------------------------------

#[test]
fn asymmetric_algorithm_without_keys_is_reported_missing() {
    let err = from(&[("JWT_ALGORITHM", "RS256"), ("JWT_SECRET_KEY", SECRET)]).unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Missing {
                name: "JWT_PRIVATE_KEY",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains('\n'));
}

#[test]
fn private_key_as_pem_text_signs_and_verifies() {
    let pair = GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
    let config = from(&[
        ("JWT_ALGORITHM", "ES256"),
        ("JWT_PRIVATE_KEY", &pair.private_pem),
    ])
    .unwrap();
    let codec = codec_for(&config);
    let claims = config.new_claims("42", TokenType::Access, NOW, ExtraClaims::new());
    let token = codec.encode(&claims).unwrap();
    assert_eq!(decode(&codec, &token).unwrap().claims, claims);
}

#[test]
fn pem_text_with_escaped_newlines_on_one_line_is_accepted() {
    let pair = GeneratedKeyPair::generate(Algorithm::EdDSA).unwrap();
    let one_line = pair.private_pem.trim_end().replace('\n', "\\n");
    assert!(!one_line.contains('\n'));
    let config = from(&[("JWT_ALGORITHM", "EdDSA"), ("JWT_PRIVATE_KEY", &one_line)]).unwrap();
    assert!(config.key_set().unwrap().primary().can_sign());
}

#[test]
fn pem_file_paths_work_for_private_and_public_keys() {
    let signer = from(&[
        ("JWT_ALGORITHM", "RS256"),
        (
            "JWT_PRIVATE_KEY",
            &fixture("test-only-rsa2048-pkcs1-private.pem"),
        ),
        ("JWT_PUBLIC_KEY", &fixture("test-only-rsa2048-public.pem")),
    ])
    .unwrap();
    let verifier = from(&[
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_PUBLIC_KEY", &fixture("test-only-rsa2048-public.pem")),
    ])
    .unwrap();
    let claims = signer.new_claims("42", TokenType::Access, NOW, ExtraClaims::new());
    let token = codec_for(&signer).encode(&claims).unwrap();
    assert_eq!(
        decode(&codec_for(&verifier), &token).unwrap().claims,
        claims
    );
}

#[test]
fn a_public_key_alone_verifies_but_cannot_sign() {
    let config = from(&[
        ("JWT_ALGORITHM", "ES256"),
        ("JWT_PUBLIC_KEY", &fixture("test-only-p256-public.pem")),
    ])
    .unwrap();
    let claims = config.new_claims("42", TokenType::Access, NOW, ExtraClaims::new());
    assert_eq!(
        codec_for(&config).encode(&claims),
        Err(EncodeError::Key(KeyError::NoPrivateKey))
    );
}

#[test]
fn mismatched_public_and_private_keys_are_refused() {
    let other = GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
    let config = from(&[
        ("JWT_ALGORITHM", "ES256"),
        (
            "JWT_PRIVATE_KEY",
            &fixture("test-only-p256-sec1-private.pem"),
        ),
        ("JWT_PUBLIC_KEY", &other.public_pem),
    ])
    .unwrap();
    assert_invalid(config.key_set(), "JWT_PUBLIC_KEY");
}

#[test]
fn unreadable_key_path_is_refused_naming_the_variable() {
    assert_invalid(
        from(&[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_PRIVATE_KEY", "/nonexistent/tessera/key.pem"),
        ]),
        "JWT_PRIVATE_KEY",
    );
    assert_invalid(
        from(&[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_PUBLIC_KEY", "/nonexistent/tessera/key.pub"),
        ]),
        "JWT_PUBLIC_KEY",
    );
}

#[test]
fn key_material_pasted_without_pem_armour_is_not_echoed_in_the_error() {
    let pair = GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
    let body: String = pair
        .private_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let result = from(&[("JWT_ALGORITHM", "ES256"), ("JWT_PRIVATE_KEY", &body)]);
    let message = result.as_ref().unwrap_err().to_string();
    assert_invalid(result, "JWT_PRIVATE_KEY");
    assert!(
        !message.contains(&body[..24]),
        "key material leaks: {message}"
    );
}

#[test]
fn keys_that_do_not_fit_the_algorithm_are_refused_naming_the_variable() {
    let cases = [
        (
            "RS256",
            "JWT_PRIVATE_KEY",
            "test-only-p256-sec1-private.pem",
        ),
        ("ES256", "JWT_PRIVATE_KEY", "test-only-ed25519-private.pem"),
        ("EdDSA", "JWT_PUBLIC_KEY", "test-only-rsa2048-public.pem"),
        ("RS256", "JWT_PRIVATE_KEY", "test-only-rsa1024-private.pem"),
        ("PS256", "JWT_PUBLIC_KEY", "test-only-rsa1024-public.pem"),
    ];
    for (alg, variable, file) in cases {
        let config = from(&[("JWT_ALGORITHM", alg), (variable, &fixture(file))]).unwrap();
        assert_invalid(config.key_set(), variable);
    }
}

#[test]
fn small_rsa_key_error_names_the_required_size() {
    let config = from(&[
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_PRIVATE_KEY", &fixture("test-only-rsa1024-private.pem")),
    ])
    .unwrap();
    let message = config.key_set().unwrap_err().to_string();
    assert!(
        message.contains("2048") && message.contains("1024"),
        "{message}"
    );
}

#[test]
fn garbage_pem_is_refused_naming_the_variable() {
    let config = from(&[
        ("JWT_ALGORITHM", "ES256"),
        (
            "JWT_PRIVATE_KEY",
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
        ),
    ])
    .unwrap();
    assert_invalid(config.key_set(), "JWT_PRIVATE_KEY");
}

#[test]
fn config_debug_output_redacts_key_material() {
    let pair = GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
    let config = from(&[
        ("JWT_ALGORITHM", "ES256"),
        ("JWT_PRIVATE_KEY", &pair.private_pem),
    ])
    .unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("BEGIN PRIVATE KEY"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}
