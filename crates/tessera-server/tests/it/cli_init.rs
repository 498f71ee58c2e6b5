//! `tessera init`: a strong secret in `.env`, owner-only, never clobbered by accident.

use std::fs;

use crate::support::Project;

#[test]
fn init_creates_owner_only_env_with_an_86_char_base64url_secret() {
    let project = Project::new();
    project.tessera(["init"]).run().success();

    let secret = project.secret();
    assert_eq!(secret.len(), 86, "64 random bytes as unpadded base64url");
    assert!(
        secret
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
        "base64url alphabet only"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(project.env_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn init_says_what_it_did_without_printing_the_secret() {
    let project = Project::new();
    let run = project.tessera(["init"]).run().success();

    let secret = project.secret();
    assert!(run.stdout.contains("Created"), "{run:#?}");
    assert!(run.stdout.contains(".env"), "{run:#?}");
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
}

#[test]
fn two_inits_write_different_secrets() {
    let (first, second) = (Project::initialised(), Project::initialised());
    assert_ne!(first.secret(), second.secret());
}

#[test]
fn second_init_refuses_and_leaves_the_secret_alone() {
    let project = Project::initialised();
    let before = fs::read_to_string(project.env_file()).unwrap();

    let run = project.tessera(["init"]).run();

    assert!(run.one_line_error().contains("--force"), "{run:#?}");
    assert_eq!(fs::read_to_string(project.env_file()).unwrap(), before);
}

/// The lines `init` appends for `TESSERA_ENCRYPTION_KEY` (a comment and
/// the assignment), taken from `text` after checking there are exactly those.
fn encryption_key_lines(text: &str) -> String {
    let at = text.find("# Encrypts the signing keys").unwrap();
    let tail = &text[at..];
    let lines: Vec<&str> = tail.lines().collect();
    assert_eq!(lines.len(), 2, "{tail}");
    assert!(lines[1].starts_with("TESSERA_ENCRYPTION_KEY="), "{tail}");
    tail.to_owned()
}

#[test]
fn init_force_replaces_the_secret_and_keeps_other_lines() {
    let project = Project::new();
    fs::write(
        project.env_file(),
        "DATABASE_URL=sqlite://app.db\nJWT_SECRET_KEY=an-old-secret-value\nJWT_ACCESS_TOKEN_EXPIRES=600\n",
    )
    .unwrap();

    let run = project.tessera(["init", "--force"]).run().success();

    let text = fs::read_to_string(project.env_file()).unwrap();
    let secret = project.secret();
    assert_eq!(secret.len(), 86);
    assert_eq!(
        text,
        format!(
            "DATABASE_URL=sqlite://app.db\nJWT_SECRET_KEY={secret}\nJWT_ACCESS_TOKEN_EXPIRES=600\n{}",
            encryption_key_lines(&text)
        )
    );
    assert!(run.stdout.contains("Replaced"), "{run:#?}");
}

#[test]
fn init_adds_a_secret_to_an_existing_env_without_touching_other_lines() {
    let project = Project::new();
    fs::write(
        project.env_file(),
        "# mine\nREDIS_URL=redis://127.0.0.1:6379",
    )
    .unwrap();

    project.tessera(["init"]).run().success();

    let text = fs::read_to_string(project.env_file()).unwrap();
    let secret = project.secret();
    assert_eq!(
        text,
        format!(
            "# mine\nREDIS_URL=redis://127.0.0.1:6379\nJWT_SECRET_KEY={secret}\n{}",
            encryption_key_lines(&text)
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(project.env_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "rewritten .env is owner-only too");
    }
}

#[test]
fn init_fills_in_an_empty_secret_without_force() {
    let project = Project::new();
    fs::write(project.env_file(), "JWT_SECRET_KEY=\n").unwrap();

    project.tessera(["init"]).run().success();

    assert_eq!(project.secret().len(), 86);
}

#[test]
fn ensure_secret_creates_env_when_there_is_none() {
    let project = Project::new();

    let outcome = tessera_server::env_file::ensure_secret(project.path()).unwrap();

    assert_eq!(outcome, tessera_server::env_file::EnsureOutcome::Created);
    assert_eq!(project.secret().len(), 86);
}

#[test]
fn ensure_secret_keeps_an_existing_secret() {
    let project = Project::initialised();
    let before = fs::read_to_string(project.env_file()).unwrap();

    let outcome = tessera_server::env_file::ensure_secret(project.path()).unwrap();

    assert_eq!(outcome, tessera_server::env_file::EnsureOutcome::Kept);
    assert_eq!(fs::read_to_string(project.env_file()).unwrap(), before);
}
