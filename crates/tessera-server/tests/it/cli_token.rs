//! `tessera token issue | verify | decode` against the configured keys.

use std::fs;

use crate::support::Project;

#[test]
fn issued_token_piped_into_verify_is_accepted() {
    let project = Project::initialised();
    let token = project.issue("42");

    let run = project
        .tessera(["token", "verify", "-"])
        .stdin(format!("{token}\n"))
        .run()
        .success();

    let shown = run.json();
    assert_eq!(shown["header"]["alg"], "HS256");
    assert_eq!(shown["header"]["typ"], "JWT");
    assert_eq!(shown["claims"]["sub"], "42");
    assert_eq!(shown["claims"]["type"], "access");
    assert_eq!(shown["claims"]["fresh"], false);
    let claims = &shown["claims"];
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900,
        "default access lifetime"
    );
    assert_eq!(claims["jti"].as_str().unwrap().len(), 36, "a UUID");
}

#[test]
fn verify_accepts_the_token_as_an_argument() {
    let project = Project::initialised();
    let token = project.issue("42");

    let run = project.tessera(["token", "verify", &token]).run().success();

    assert_eq!(run.json()["claims"]["sub"], "42");
}

#[test]
fn token_signed_with_another_secret_is_rejected_in_one_line() {
    let (issuer, verifier) = (Project::initialised(), Project::initialised());
    let token = issuer.issue("42");

    let run = verifier.tessera(["token", "verify", &token]).run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: signature verification failed (invalid_signature)"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn garbage_token_is_rejected_in_one_line() {
    let project = Project::initialised();

    let run = project.tessera(["token", "verify", "not-a-token"]).run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: token must have exactly three dot-separated segments (malformed_token)"
    );
}

#[test]
fn verify_refuses_a_token_from_another_issuer_as_the_server_does() {
    let project = Project::initialised();
    let token = project
        .tessera(["token", "issue", "--sub", "42"])
        .env("JWT_ENCODE_ISSUER", "https://elsewhere.example")
        .run()
        .success()
        .stdout;

    // The server checks `iss` against its public URL even when no JWT_*
    // issuer setting is made; so must verify.
    let run = project.tessera(["token", "verify", "-"]).stdin(token).run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: invalid issuer (invalid_issuer)"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn issued_tokens_name_the_server_as_their_issuer() {
    let project = Project::initialised();
    let token = project.issue("42");

    let shown = project
        .tessera(["token", "verify", &token])
        .run()
        .success()
        .json();

    assert_eq!(shown["claims"]["iss"], "http://127.0.0.1:8080");
}

#[test]
fn verify_says_revocation_was_not_checked_when_there_is_no_store() {
    let project = Project::initialised();
    let token = project.issue("42");

    let run = project.tessera(["token", "verify", &token]).run().success();

    assert!(
        run.stderr.contains("revocation not checked: no store"),
        "{run:#?}"
    );
    assert!(!project.path().join("tessera.db").exists(), "no store made");
}

#[tokio::test]
async fn verify_reports_the_token_of_a_logged_out_session_as_revoked() {
    let project = Project::initialised();
    let token = project.session_token(true).await;

    let run = project.tessera(["token", "verify", &token]).run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: the token has been revoked (token_revoked)"
    );
    assert!(run.stdout.is_empty());
}

#[tokio::test]
async fn verify_accepts_a_live_sessions_token_after_checking_the_store() {
    let project = Project::initialised();
    let token = project.session_token(false).await;

    let run = project.tessera(["token", "verify", &token]).run().success();

    assert!(run.json()["claims"]["sid"].is_string(), "{run:#?}");
    assert!(!run.stderr.contains("not checked"), "{run:#?}");
}

#[test]
fn verify_without_env_file_says_to_run_init() {
    let run = Project::new().tessera(["token", "verify", "a.b.c"]).run();

    let line = run.one_line_error();
    assert!(
        line.contains("JWT_SECRET_KEY") && line.contains("tessera init"),
        "{run:#?}"
    );
}

#[test]
fn issue_without_env_file_says_to_run_init() {
    let run = Project::new()
        .tessera(["token", "issue", "--sub", "42"])
        .run();

    let line = run.one_line_error();
    assert!(
        line.contains("no .env") && line.contains("tessera init"),
        "{run:#?}"
    );
}

#[test]
fn placeholder_secret_is_refused_in_one_line() {
    let project = Project::new();
    fs::write(
        project.env_file(),
        "JWT_SECRET_KEY=super-secret-jwt-key-change-this-in-production-seriously-long-random-string\n",
    )
    .unwrap();

    let run = project.tessera(["token", "issue", "--sub", "42"]).run();

    let line = run.one_line_error();
    assert!(
        line.contains("JWT_SECRET_KEY") && line.contains("placeholder"),
        "{run:#?}"
    );
}

#[test]
fn empty_stdin_is_a_one_line_error() {
    let project = Project::initialised();

    let run = project.tessera(["token", "verify", "-"]).stdin("").run();

    assert!(
        run.one_line_error().contains("standard input is empty"),
        "{run:#?}"
    );
}

#[test]
fn refresh_token_is_refused_where_access_is_required() {
    let project = Project::initialised();
    let refresh = project
        .tessera(["token", "issue", "--sub", "42", "--type", "refresh"])
        .run()
        .success()
        .stdout;

    let run = project
        .tessera(["token", "verify", "-", "--type", "access"])
        .stdin(refresh)
        .run();

    assert_eq!(
        run.one_line_error(),
        "error: token rejected: token type is \"refresh\", expected \"access\" (wrong_token_type)"
    );
}

#[test]
fn access_token_is_refused_where_refresh_is_required() {
    let project = Project::initialised();
    let access = project.issue("42");

    let run = project
        .tessera(["token", "verify", &access, "--type", "refresh"])
        .run();

    assert!(
        run.one_line_error().ends_with("(wrong_token_type)"),
        "{run:#?}"
    );
}

#[test]
fn refresh_token_verifies_as_refresh_with_its_longer_lifetime() {
    let project = Project::initialised();
    let refresh = project
        .tessera(["token", "issue", "--sub", "42", "--type", "refresh"])
        .run()
        .success()
        .stdout;

    let run = project
        .tessera(["token", "verify", "-", "--type", "refresh"])
        .stdin(refresh)
        .run()
        .success();

    let claims = &run.json()["claims"];
    assert_eq!(claims["type"], "refresh");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        30 * 24 * 3600
    );
}

#[test]
fn issue_writes_fresh_extra_claims_and_lifetime() {
    let project = Project::initialised();
    let token = project
        .tessera([
            "token",
            "issue",
            "--sub",
            "7",
            "--fresh",
            "--expires",
            "60",
            "--claims",
            r#"{"roles":["admin"],"tenant":"acme"}"#,
        ])
        .run()
        .success()
        .stdout;

    let claims = project
        .tessera(["token", "verify", "-"])
        .stdin(token)
        .run()
        .success()
        .json()["claims"]
        .clone();

    assert_eq!(claims["sub"], "7");
    assert_eq!(claims["fresh"], true);
    assert_eq!(claims["roles"], serde_json::json!(["admin"]));
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
}

#[test]
fn issue_lifetime_follows_the_configured_setting() {
    let project = Project::initialised();
    let token = project
        .tessera(["token", "issue", "--sub", "7"])
        .env("JWT_ACCESS_TOKEN_EXPIRES", "5m")
        .run()
        .success()
        .stdout;

    let claims = project
        .tessera(["token", "verify", "-"])
        .stdin(token)
        .run()
        .success()
        .json()["claims"]
        .clone();

    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
}

#[test]
fn issue_refuses_reserved_claims() {
    let project = Project::initialised();
    for reserved in ["sub", "exp", "type", "jti"] {
        let claims = format!(r#"{{"{reserved}":"x"}}"#);
        let run = project
            .tessera(["token", "issue", "--sub", "42", "--claims", &claims])
            .run();
        let line = run.one_line_error();
        assert!(
            line.contains(&format!("\"{reserved}\"")),
            "{reserved}: {run:#?}"
        );
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn issue_refuses_claims_that_are_not_a_json_object() {
    let project = Project::initialised();
    for claims in ["[1,2]", "\"admin\"", "{not json"] {
        let run = project
            .tessera(["token", "issue", "--sub", "42", "--claims", claims])
            .run();
        assert!(
            run.one_line_error().contains("--claims"),
            "{claims}: {run:#?}"
        );
    }
}

#[test]
fn decode_shows_claims_labelled_unverified_even_without_keys() {
    let issuer = Project::initialised();
    let token = issuer.issue("42");
    let stranger = Project::new();

    let run = stranger
        .tessera(["token", "decode", &token])
        .run()
        .success();

    assert!(
        run.stderr
            .lines()
            .next()
            .unwrap()
            .starts_with("UNVERIFIED — signature not checked"),
        "{run:#?}"
    );
    let shown = run.json();
    assert_eq!(shown["header"]["alg"], "HS256");
    assert_eq!(shown["claims"]["sub"], "42");
}

#[test]
fn decode_of_garbage_is_one_line_error() {
    let run = Project::new()
        .tessera(["token", "decode", "-"])
        .stdin("abc.def\n")
        .run();

    assert!(
        run.one_line_error().contains("(malformed_token)"),
        "{run:#?}"
    );
}
