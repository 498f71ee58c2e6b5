//! The second-factor tests' harness: a server with an encryption key, a
//! TOTP code computed by an independent implementation (Python's standard
//! library, RFC 6238 by the letter), and enrolled users.

use serde_json::{Value, json};
use tessera::Clock as _;

use crate::http_support::{PASSWORD, Server, Setup, Tokens, setup};
use crate::store_support::TestDb;

/// A test-only `TESSERA_ENCRYPTION_KEY` (32 bytes, base64url); a fixture, not a secret.
pub const ENCRYPTION_KEY: &str = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU";

/// The default setup plus an encryption key.
pub fn mfa_setup() -> Setup {
    setup().var("TESSERA_ENCRYPTION_KEY", ENCRYPTION_KEY)
}

/// A server that can seal second-factor secrets.
pub async fn mfa_server(db: &TestDb) -> Server {
    mfa_setup().start(db).await
}

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of `secret` (base32) at Unix
/// time `at`, computed by Python's `hmac`, not by the code under test.
pub fn python_totp(secret: &str, at: i64) -> String {
    const SCRIPT: &str = r#"
import base64, hashlib, hmac, struct, sys
secret, at = sys.argv[1], int(sys.argv[2])
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
mac = hmac.new(key, struct.pack(">Q", at // 30), hashlib.sha1).digest()
offset = mac[-1] & 0x0F
number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
print(f"{number % 1000000:06d}")
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, secret, &at.to_string()])
        .output()
        .expect("python3 runs (the independent TOTP implementation)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A user with a confirmed authenticator.
pub struct Enrolled {
    /// The session that enrolled (password only).
    pub tokens: Tokens,
    /// The base32 secret.
    pub secret: String,
    /// The ten recovery codes.
    pub recovery_codes: Vec<String>,
}

impl Enrolled {
    /// The current code, by the server's clock.
    pub fn code(&self, server: &Server) -> String {
        python_totp(&self.secret, server.clock.now())
    }
}

/// Starts an enrolment with `tokens` (fresh): the answer's body.
pub async fn start_enrolment(server: &Server, tokens: &Tokens) -> Value {
    server
        .post("/auth/mfa/totp")
        .bearer(&tokens.access)
        .send()
        .await
        .expect(200)
}

/// Enrols and confirms TOTP for `tokens`' user, then moves the clock one
/// step on (so the confirming code's step is not the next sign-in's).
pub async fn enrol_with(server: &Server, tokens: Tokens) -> Enrolled {
    let enrolment = start_enrolment(server, &tokens).await;
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let code = python_totp(&secret, server.clock.now());
    let confirmed = server
        .post("/auth/mfa/totp/confirm")
        .bearer(&tokens.access)
        .json(json!({ "code": code }))
        .send()
        .await
        .expect(200);
    let recovery_codes = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    server.clock.advance(30);
    Enrolled {
        tokens,
        secret,
        recovery_codes,
    }
}

/// Registers `name` and enrols TOTP.
pub async fn enrolled(server: &Server, name: &str) -> Enrolled {
    let tokens = server.signed_up(name).await;
    enrol_with(server, tokens).await
}

/// `POST /auth/login` with the right password: the body (a challenge for
/// an enrolled user).
pub async fn password_step(server: &Server, name: &str) -> Value {
    server
        .post("/auth/login")
        .json(json!({ "username": name, "password": PASSWORD }))
        .send()
        .await
        .expect(200)
}

/// The `mfa_token` of a password step.
pub async fn mfa_token(server: &Server, name: &str) -> String {
    let body = password_step(server, name).await;
    assert_eq!(body["mfa_required"], true, "{body}");
    body["mfa_token"].as_str().unwrap().to_owned()
}

/// `POST /auth/mfa/verify` with `body`.
pub async fn verify(server: &Server, body: Value) -> crate::http_support::Reply {
    server.post("/auth/mfa/verify").json(body).send().await
}
