//! Help on every command, and usage mistakes as one line.

use crate::support::Project;

#[test]
fn every_command_has_help() {
    let project = Project::new();
    for command in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["keygen", "--help"],
        vec!["token", "--help"],
        vec!["token", "issue", "--help"],
        vec!["token", "verify", "--help"],
        vec!["token", "decode", "--help"],
        vec!["token", "explain", "--help"],
    ] {
        let run = project.tessera(&command).run().success();
        assert!(
            run.stdout.contains("Usage: tessera"),
            "{command:?}: {run:#?}"
        );
    }
}

#[test]
fn keygen_help_lists_the_algorithms() {
    let run = Project::new().tessera(["keygen", "--help"]).run().success();
    for alg in ["HS256", "HS512", "ES256", "EdDSA", "RS256", "PS256"] {
        assert!(run.stdout.contains(alg), "{alg}: {run:#?}");
    }
}

#[test]
fn no_command_prints_help_and_fails() {
    let run = Project::new().tessera(Vec::<&str>::new()).run();
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("Usage: tessera"), "{run:#?}");
}

#[test]
fn unknown_flag_is_one_line_error() {
    let run = Project::new().tessera(["init", "--frobnicate"]).run();
    assert!(run.one_line_error().contains("--frobnicate"), "{run:#?}");
}

#[test]
fn unknown_algorithm_is_one_line_error_listing_the_choices() {
    let run = Project::new().tessera(["keygen", "--alg", "none"]).run();
    let line = run.one_line_error();
    assert!(
        line.contains("'none'") && line.contains("HS256"),
        "{run:#?}"
    );
}
