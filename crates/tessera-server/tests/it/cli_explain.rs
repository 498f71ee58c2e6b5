//! `tessera token explain`: the signature recomputed on the user's own token.

use std::fs;

use tessera::{Claims, ExtraClaims, Key, KeySet, TokenCodec, TokenType};

use crate::support::Project;

/// The token's three parts.
fn parts(token: &str) -> Vec<&str> {
    token.trim().split('.').collect()
}

/// `token` with its payload's `sub` changed and the signature kept.
fn tampered(token: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts = parts(token);
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged = payload.replace("\"sub\":\"42\"", "\"sub\":\"1\"");
    assert_ne!(forged, payload);
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged),
        parts[2]
    )
}

#[test]
fn explain_shows_the_recomputed_signature_matching_and_never_the_secret() {
    let project = Project::initialised();
    let token = project.issue("42");
    let signature = parts(&token)[2].to_owned();

    let run = project
        .tessera(["token", "explain", &token])
        .run()
        .success();

    let text = &run.stdout;
    assert!(text.contains(&format!("recomputed  {signature}")), "{text}");
    assert!(text.contains(&format!("in token    {signature}")), "{text}");
    assert!(text.contains("They match"), "{text}");
    assert!(
        text.contains("HS256 = HMAC-SHA256 keyed with JWT_SECRET_KEY"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}.{}", parts(&token)[0], parts(&token)[1])),
        "signing input"
    );
    assert!(text.contains("VALID"), "{text}");
    let secret = project.secret();
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
}

#[test]
fn explain_lists_every_claim_check_with_readable_times() {
    let project = Project::initialised();
    let token = project.issue("42");

    let text = project
        .tessera(["token", "explain", &token])
        .run()
        .success()
        .stdout;

    for line in [
        "✔ exp",
        "(in 15 min): not expired yet",
        "✔ nbf",
        "✔ iat",
        "✔ iss   \"http://127.0.0.1:8080\" is the issuer required",
        "· aud   not checked: JWT_DECODE_AUDIENCE is not set",
        "✔ sub   \"42\"",
        "✔ type  access",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(text.contains(" UTC"), "{text}");
}

#[test]
fn explain_reads_the_configured_identity_and_roles_claims() {
    let project = Project::initialised();
    fs::write(
        project.env_file(),
        format!(
            "JWT_SECRET_KEY={}\nJWT_IDENTITY_CLAIM=uid\nJWT_ROLES_CLAIM=perms\n",
            project.secret()
        ),
    )
    .unwrap();
    let token = project
        .tessera([
            "token",
            "issue",
            "--sub",
            "42",
            "--claims",
            r#"{"perms":["admin"]}"#,
        ])
        .run()
        .success()
        .stdout;

    let text = project
        .tessera(["token", "explain", "-"])
        .stdin(token)
        .run()
        .success()
        .stdout;

    for line in [
        "uid    \"42\" — who the token is about",
        "perms  [\"admin\"] — what the user may do",
        "✔ uid   \"42\"",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

#[test]
fn explain_ends_with_what_verify_prints() {
    let project = Project::initialised();
    let token = project.issue("42");

    let verified = project
        .tessera(["token", "verify", &token])
        .run()
        .success()
        .stdout;
    let explained = project
        .tessera(["token", "explain", &token])
        .run()
        .success()
        .stdout;

    let indented: String = verified
        .lines()
        .map(|line| format!("   {line}\n"))
        .collect();
    assert!(explained.ends_with(&indented), "{explained}");
}

#[test]
fn explain_refuses_a_token_from_another_issuer_as_the_server_does() {
    let project = Project::initialised();
    let token = project
        .tessera(["token", "issue", "--sub", "42"])
        .env("JWT_ENCODE_ISSUER", "https://elsewhere.example")
        .run()
        .success()
        .stdout;

    let run = project
        .tessera(["token", "explain", "-"])
        .stdin(token)
        .run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: invalid issuer (invalid_issuer)"
    );
    assert!(run.stdout.contains("✘ iss"), "{}", run.stdout);
    assert!(!run.stdout.contains("VALID:"), "{}", run.stdout);
}

#[test]
fn explain_says_revocation_was_not_checked_when_there_is_no_store() {
    let project = Project::initialised();
    let token = project.issue("42");

    let run = project
        .tessera(["token", "explain", &token])
        .run()
        .success();

    assert!(
        run.stdout.contains("revocation not checked: no store"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn explain_reports_the_token_of_a_logged_out_session_as_revoked() {
    let project = Project::initialised();
    let token = project.session_token(true).await;

    let run = project.tessera(["token", "explain", &token]).run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: the token has been revoked (token_revoked)"
    );
    assert!(run.stdout.contains("REVOKED"), "{}", run.stdout);
    assert!(!run.stdout.contains("VALID:"), "{}", run.stdout);
}

#[test]
fn explain_on_a_tampered_token_shows_the_mismatch_and_fails() {
    let project = Project::initialised();
    let forged = tampered(&project.issue("42"));

    let run = project
        .tessera(["token", "explain", "-"])
        .stdin(forged)
        .run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: signature verification failed (invalid_signature)"
    );
    assert!(
        run.stdout.contains("They differ (signature mismatch)"),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("none of these claims can be trusted"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("REJECTED"), "{run:#?}");
}

#[test]
fn explain_of_an_expired_token_marks_exp_and_fails() {
    let project = Project::initialised();
    let key = Key::hmac(tessera::Algorithm::HS256, project.secret().as_bytes()).unwrap();
    let codec = TokenCodec::new(KeySet::new(key));
    let issued = codec.now() - 7200;
    let claims = Claims::new(
        "42",
        TokenType::Access,
        issued,
        Some(3600),
        ExtraClaims::new(),
    );
    let token = codec.encode(&claims).unwrap();

    let run = project.tessera(["token", "explain", &token]).run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: token has expired (token_expired)"
    );
    assert!(
        run.stdout.contains("They match"),
        "the signature itself is fine"
    );
    assert!(
        run.stdout.contains("(1 h ago): the token has expired"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("✘ exp"), "{}", run.stdout);
}

#[test]
fn explain_with_type_refuses_the_other_type() {
    let project = Project::initialised();
    let token = project.issue("42");

    let run = project
        .tessera(["token", "explain", &token, "--type", "refresh"])
        .run();

    assert!(
        run.one_line_error().ends_with("(wrong_token_type)"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("✘ type"), "{}", run.stdout);
}

#[test]
fn explain_with_an_asymmetric_key_verifies_with_the_public_key() {
    let project = Project::new();
    let lines = project
        .tessera(["keygen", "--alg", "ES256", "--out", "keys"])
        .run()
        .success()
        .stdout;
    fs::write(project.env_file(), lines).unwrap();
    let token = project.issue("42");

    let run = project
        .tessera(["token", "explain", &token])
        .run()
        .success();

    assert!(
        run.stdout
            .contains("ES256 = ECDSA on the P-256 curve with SHA-256"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("does not recompute the signature"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("The public key accepts it"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("PRIVATE KEY"), "keys are never shown");
}

#[test]
fn explain_of_garbage_says_why_in_one_line() {
    let project = Project::initialised();

    let run = project.tessera(["token", "explain", "hello"]).run();

    assert!(
        run.one_line_error().ends_with("(malformed_token)"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("cannot be read as a JWT"), "{run:#?}");
}

#[test]
fn explain_without_keys_still_shows_the_parts_and_says_to_run_init() {
    let issuer = Project::initialised();
    let token = issuer.issue("42");
    let stranger = Project::new();

    let run = stranger.tessera(["token", "explain", &token]).run();

    assert!(run.one_line_error().contains("tessera init"), "{run:#?}");
    assert!(run.stdout.contains("\"sub\":\"42\""), "{run:#?}");
    assert!(run.stdout.contains("NOT VERIFIED"), "{run:#?}");
}
