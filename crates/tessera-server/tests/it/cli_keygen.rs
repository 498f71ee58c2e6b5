//! `tessera keygen`: HMAC secrets sized to the hash, PEM pairs that sign and verify.

use std::fs;

use crate::support::Project;

#[test]
fn hmac_secrets_carry_twice_the_hash_size_in_random_bytes() {
    let project = Project::new();
    // 64, 96 and 128 random bytes as unpadded base64url.
    for (alg, chars) in [("HS256", 86), ("HS384", 128), ("HS512", 171)] {
        let run = project.tessera(["keygen", "--alg", alg]).run().success();
        let secret = run.stdout.trim_end();
        assert_eq!(secret.len(), chars, "{alg}: {run:#?}");
        assert!(!secret.contains(['+', '/', '=']), "base64url, unpadded");
        assert!(
            run.stderr.contains(&format!("JWT_ALGORITHM={alg}")),
            "{run:#?}"
        );
    }
}

#[test]
fn default_keygen_is_an_hs256_secret() {
    let run = Project::new().tessera(["keygen"]).run().success();
    assert_eq!(run.stdout.trim_end().len(), 86);
}

#[test]
fn hs512_secret_from_keygen_signs_and_verifies() {
    let project = Project::new();
    let secret = project
        .tessera(["keygen", "--alg", "HS512"])
        .run()
        .success()
        .stdout;
    let env = [
        ("JWT_ALGORITHM", "HS512"),
        ("JWT_SECRET_KEY", secret.trim_end()),
    ];

    let mut issue = project.tessera(["token", "issue", "--sub", "42"]);
    let mut verify = project.tessera(["token", "verify", "-"]);
    for (name, value) in env {
        issue = issue.env(name, value);
        verify = verify.env(name, value);
    }
    let token = issue.run().success().stdout;
    let shown = verify.stdin(token).run().success().json();

    assert_eq!(shown["header"]["alg"], "HS512");
}

#[test]
fn key_pairs_written_by_keygen_issue_and_verify_tokens() {
    for alg in ["ES256", "EdDSA", "RS256"] {
        let project = Project::new();
        let run = project
            .tessera(["keygen", "--alg", alg, "--out", "keys"])
            .run()
            .success();
        let private = project
            .path()
            .join("keys/private.pem")
            .canonicalize()
            .unwrap();
        let public = project
            .path()
            .join("keys/public.pem")
            .canonicalize()
            .unwrap();
        assert_eq!(
            run.stdout,
            format!(
                "JWT_ALGORITHM={alg}\nJWT_PRIVATE_KEY={}\nJWT_PUBLIC_KEY={}\n",
                private.display(),
                public.display()
            ),
            "stdout is the .env lines to use"
        );
        assert!(
            fs::read_to_string(&private)
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        assert!(
            fs::read_to_string(&public)
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{alg} private key is owner-only");
        }

        let token = project
            .tessera(["token", "issue", "--sub", "42"])
            .env("JWT_ALGORITHM", alg)
            .env("JWT_PRIVATE_KEY", &private)
            .run()
            .success()
            .stdout;
        // Verification needs only the public key.
        let shown = project
            .tessera(["token", "verify", "-", "--type", "access"])
            .env("JWT_ALGORITHM", alg)
            .env("JWT_PUBLIC_KEY", &public)
            .stdin(token)
            .run()
            .success()
            .json();
        assert_eq!(shown["header"]["alg"], alg);
        assert!(
            shown["header"]["kid"].is_string(),
            "asymmetric tokens carry the key thumbprint"
        );
        assert_eq!(shown["claims"]["sub"], "42");
    }
}

#[test]
fn keygen_lines_appended_to_env_configure_the_project() {
    let project = Project::new();
    let lines = project
        .tessera(["keygen", "--alg", "ES384", "--out", "keys"])
        .run()
        .success()
        .stdout;
    fs::write(project.env_file(), lines).unwrap();

    let token = project.issue("42");
    let shown = project
        .tessera(["token", "verify", &token])
        .run()
        .success()
        .json();

    assert_eq!(shown["header"]["alg"], "ES384");
}

#[test]
fn keygen_refuses_to_overwrite_a_key_pair_without_force() {
    let project = Project::new();
    project
        .tessera(["keygen", "--alg", "EdDSA", "--out", "keys"])
        .run()
        .success();
    let before = fs::read_to_string(project.path().join("keys/private.pem")).unwrap();

    let run = project
        .tessera(["keygen", "--alg", "EdDSA", "--out", "keys"])
        .run();
    assert!(run.one_line_error().contains("--force"), "{run:#?}");
    assert_eq!(
        fs::read_to_string(project.path().join("keys/private.pem")).unwrap(),
        before
    );

    project
        .tessera(["keygen", "--alg", "EdDSA", "--out", "keys", "--force"])
        .run()
        .success();
    assert_ne!(
        fs::read_to_string(project.path().join("keys/private.pem")).unwrap(),
        before
    );
}

#[test]
fn keygen_without_out_prints_both_pems() {
    let run = Project::new()
        .tessera(["keygen", "--alg", "ES256"])
        .run()
        .success();

    assert!(
        run.stdout.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("-----BEGIN PUBLIC KEY-----"),
        "{run:#?}"
    );
}

#[test]
fn keygen_out_is_refused_for_hmac() {
    let run = Project::new()
        .tessera(["keygen", "--alg", "HS256", "--out", "keys"])
        .run();

    assert!(run.one_line_error().contains("tessera init"), "{run:#?}");
}
