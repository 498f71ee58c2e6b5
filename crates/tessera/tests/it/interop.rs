//! Interoperability with the `jsonwebtoken` crate, both ways: a token
//! Tessera signs verifies there (from PEM and from our JWKS), and a token it
//! signs with Flask-JWT-Extended's claim names verifies here. PS256/384/512
//! also interoperate with PyJWT (salt length = hash length) when `python3`
//! is available.
//!
//! `jsonwebtoken` reads the system clock, so these tests put Tessera's
//! `ManualClock` at the system time.

use jsonwebtoken as jwt;
use serde_json::{Value, json};
use tessera::{
    Algorithm, Claims, Clock, ExtraClaims, GeneratedKeyPair, Key, KeySet, ManualClock, SystemClock,
    TokenCodec, TokenError, TokenType, Validation,
};

use crate::support::{SECRET, codec_with, refusal};

fn wall_clock() -> ManualClock {
    ManualClock::new(SystemClock.now())
}

fn jwt_alg(alg: Algorithm) -> jwt::Algorithm {
    match alg {
        Algorithm::HS256 => jwt::Algorithm::HS256,
        Algorithm::HS512 => jwt::Algorithm::HS512,
        Algorithm::RS256 => jwt::Algorithm::RS256,
        Algorithm::PS256 => jwt::Algorithm::PS256,
        Algorithm::ES256 => jwt::Algorithm::ES256,
        Algorithm::ES384 => jwt::Algorithm::ES384,
        Algorithm::EdDSA => jwt::Algorithm::EdDSA,
        other => panic!("not used in these tests: {other}"),
    }
}

/// One key in both libraries' forms.
struct Pair {
    ours: Key,
    encoding: jwt::EncodingKey,
    decoding: jwt::DecodingKey,
}

fn pair(alg: Algorithm) -> Pair {
    if alg.min_secret_len().is_some() {
        let secret = format!("{SECRET}{SECRET}");
        return Pair {
            ours: Key::hmac(alg, secret.as_bytes()).unwrap(),
            encoding: jwt::EncodingKey::from_secret(secret.as_bytes()),
            decoding: jwt::DecodingKey::from_secret(secret.as_bytes()),
        };
    }
    let generated = GeneratedKeyPair::generate(alg).unwrap();
    let (private, public) = (
        generated.private_pem.as_bytes(),
        generated.public_pem.as_bytes(),
    );
    let (encoding, decoding) = match alg {
        Algorithm::ES256 | Algorithm::ES384 => (
            jwt::EncodingKey::from_ec_pem(private).unwrap(),
            jwt::DecodingKey::from_ec_pem(public).unwrap(),
        ),
        Algorithm::EdDSA => (
            jwt::EncodingKey::from_ed_pem(private).unwrap(),
            jwt::DecodingKey::from_ed_pem(public).unwrap(),
        ),
        _ => (
            jwt::EncodingKey::from_rsa_pem(private).unwrap(),
            jwt::DecodingKey::from_rsa_pem(public).unwrap(),
        ),
    };
    Pair {
        ours: Key::from_pem(alg, &generated.private_pem).unwrap(),
        encoding,
        decoding,
    }
}

/// A strict `jsonwebtoken` validation: no leeway, `nbf` checked, the
/// registered claims Tessera writes required.
fn strict(alg: Algorithm) -> jwt::Validation {
    let mut validation = jwt::Validation::new(jwt_alg(alg));
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
    validation
}

fn ours_verified_by_jsonwebtoken(alg: Algorithm) {
    let clock = wall_clock();
    let Pair { ours, decoding, .. } = pair(alg);
    let kid = ours.kid().map(str::to_owned);
    let codec = codec_with(KeySet::new(ours), Validation::default(), &clock);
    let mut extra = ExtraClaims::new();
    extra.insert("roles".into(), json!(["admin"]));
    let claims = Claims::new("42", TokenType::Access, clock.now(), Some(900), extra);
    let token = codec.encode(&claims).unwrap();

    let verified = jwt::decode::<Value>(&token, &decoding, &strict(alg)).unwrap();
    assert_eq!(verified.header.alg, jwt_alg(alg));
    assert_eq!(verified.header.kid, kid);
    assert_eq!(verified.claims["sub"], "42");
    assert_eq!(verified.claims["type"], "access");
    assert_eq!(verified.claims["jti"], claims.jti.as_deref().unwrap());
    assert_eq!(verified.claims["roles"], json!(["admin"]));
}

fn jsonwebtoken_verified_by_ours(alg: Algorithm) {
    let clock = wall_clock();
    let Pair { ours, encoding, .. } = pair(alg);
    let now = clock.now();
    // Flask-JWT-Extended's claim names, as another service would write them.
    let claims = json!({
        "fresh": false,
        "iat": now,
        "jti": "6a1f0c1e-3d3b-4c8e-8e0e-5c2b7f9d1a42",
        "type": "refresh",
        "sub": "user-7",
        "nbf": now,
        "exp": now + 600,
    });
    let mut header = jwt::Header::new(jwt_alg(alg));
    header.kid = ours.kid().map(str::to_owned);
    let token = jwt::encode(&header, &claims, &encoding).unwrap();

    let codec = codec_with(KeySet::new(ours), Validation::default(), &clock);
    let verified = codec
        .decode::<ExtraClaims>(&token, TokenType::Refresh)
        .unwrap();
    assert_eq!(verified.claims.sub, "user-7");
    assert_eq!(verified.claims.token_type, TokenType::Refresh);
    assert_eq!(verified.claims.exp, Some(now + 600));
    assert_eq!(
        verified.claims.jti.as_deref(),
        Some("6a1f0c1e-3d3b-4c8e-8e0e-5c2b7f9d1a42")
    );
    // And the type rule still applies to foreign tokens.
    assert!(matches!(
        refusal(&codec, &token),
        TokenError::WrongTokenType { .. }
    ));
}

#[test]
fn hs256_tokens_we_sign_verify_with_jsonwebtoken() {
    ours_verified_by_jsonwebtoken(Algorithm::HS256);
}

#[test]
fn hs256_tokens_jsonwebtoken_signs_verify_with_us() {
    jsonwebtoken_verified_by_ours(Algorithm::HS256);
}

#[test]
fn hs512_tokens_interoperate_both_ways() {
    ours_verified_by_jsonwebtoken(Algorithm::HS512);
    jsonwebtoken_verified_by_ours(Algorithm::HS512);
}

#[test]
fn es256_tokens_we_sign_verify_with_jsonwebtoken() {
    ours_verified_by_jsonwebtoken(Algorithm::ES256);
}

#[test]
fn es256_tokens_jsonwebtoken_signs_verify_with_us() {
    jsonwebtoken_verified_by_ours(Algorithm::ES256);
}

#[test]
fn es384_tokens_interoperate_both_ways() {
    ours_verified_by_jsonwebtoken(Algorithm::ES384);
    jsonwebtoken_verified_by_ours(Algorithm::ES384);
}

#[test]
fn eddsa_tokens_we_sign_verify_with_jsonwebtoken() {
    ours_verified_by_jsonwebtoken(Algorithm::EdDSA);
}

#[test]
fn eddsa_tokens_jsonwebtoken_signs_verify_with_us() {
    jsonwebtoken_verified_by_ours(Algorithm::EdDSA);
}

#[test]
fn rs256_tokens_we_sign_verify_with_jsonwebtoken() {
    ours_verified_by_jsonwebtoken(Algorithm::RS256);
}

#[test]
fn rs256_tokens_jsonwebtoken_signs_verify_with_us() {
    jsonwebtoken_verified_by_ours(Algorithm::RS256);
}

#[test]
fn ps256_tokens_interoperate_both_ways() {
    ours_verified_by_jsonwebtoken(Algorithm::PS256);
    jsonwebtoken_verified_by_ours(Algorithm::PS256);
}

#[test]
fn our_jwks_keys_verify_our_tokens_in_jsonwebtoken() {
    let clock = wall_clock();
    for alg in [
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let ours = pair(alg).ours;
        let codec = codec_with(KeySet::new(ours), Validation::default(), &clock);
        let claims = Claims::new(
            "42",
            TokenType::Access,
            clock.now(),
            Some(60),
            ExtraClaims::new(),
        );
        let token = codec.encode(&claims).unwrap();
        let jwks_text = serde_json::to_string(&codec.keys().jwks()).unwrap();
        let jwks: jwt::jwk::JwkSet = serde_json::from_str(&jwks_text).unwrap();
        let kid = jwt::decode_header(&token).unwrap().kid.unwrap();
        let jwk = jwks.find(&kid).unwrap();
        let decoding = jwt::DecodingKey::from_jwk(jwk).unwrap();
        let verified = jwt::decode::<Value>(&token, &decoding, &strict(alg)).unwrap();
        assert_eq!(verified.claims["sub"], "42", "{alg}");
    }
}

#[test]
fn a_jsonwebtoken_token_signed_with_another_key_is_refused() {
    let clock = wall_clock();
    let ours = pair(Algorithm::ES256).ours;
    let stranger = pair(Algorithm::ES256);
    let now = clock.now();
    let claims = json!({"sub": "x", "iat": now, "exp": now + 60, "type": "access"});
    let token = jwt::encode(
        &jwt::Header::new(jwt::Algorithm::ES256),
        &claims,
        &stranger.encoding,
    )
    .unwrap();
    let codec: TokenCodec = codec_with(KeySet::new(ours), Validation::default(), &clock);
    assert_eq!(refusal(&codec, &token), TokenError::InvalidSignature);
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
