//! Tokens interoperate both ways with PyJWT and Flask-JWT-Extended under the
//! same `JWT_SECRET_KEY`.
//!
//! The Python packages (pinned in `tests/interop/requirements.txt`) are
//! installed from PyPI into a venv under the target directory, created once
//! and reused. These tests are skipped only when `python3` is not installed;
//! a failing venv or pip install fails them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::Project;

const INTEROP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop");

/// The issuer a server with default settings requires (its public URL):
/// a Flask app minting tokens for it sets `JWT_ENCODE_ISSUER` to this.
const SERVER_URL: &str = "http://127.0.0.1:8080";

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
    let requirements = Path::new(INTEROP_DIR).join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).unwrap();
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pyvenv");
    let python = venv.join("bin").join("python");
    // The marker records what was installed, so a changed pin reinstalls.
    let marker = venv.join("tessera-requirements.txt");
    if python.exists() && std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str())
    {
        return Some(python);
    }
    let created = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "`python3 -m venv` failed; install the venv module (Debian/Ubuntu: apt-get install python3-venv):\n{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let installed = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
        ])
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(
        installed.status.success(),
        "pip install -r {} failed:\n{}",
        requirements.display(),
        String::from_utf8_lossy(&installed.stderr)
    );
    std::fs::write(&marker, wanted).unwrap();
    Some(python)
}

/// Runs `tests/interop/SCRIPT ARGS` with the project's secret; returns its JSON.
fn run_script(python: &Path, script: &str, secret: &str, args: &[&str]) -> Value {
    let output = Command::new(python)
        .arg(Path::new(INTEROP_DIR).join(script))
        .args(args)
        .env("JWT_SECRET_KEY", secret)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

macro_rules! python_or_skip {
    () => {
        match python() {
            Some(python) => python,
            None => {
                println!("SKIP: python3 is not installed; the PyJWT / Flask-JWT-Extended interop test did not run");
                return;
            }
        }
    };
}

#[test]
fn tessera_token_verifies_with_pyjwt_and_flask_decode_token() {
    let python = python_or_skip!();
    let project = Project::initialised();
    let token = project.issue("42");
    let ours = project
        .tessera(["token", "verify", &token])
        .run()
        .success()
        .json()["claims"]
        .clone();

    let seen = run_script(
        python,
        "decode_tessera_token.py",
        &project.secret(),
        &[&token],
    );

    assert_eq!(
        seen["header"],
        serde_json::json!({"alg": "HS256", "typ": "JWT"})
    );
    assert_eq!(
        seen["pyjwt"], ours,
        "PyJWT reads exactly the claims Tessera wrote"
    );
    let flask = &seen["flask"];
    assert_eq!(flask["sub"], "42");
    assert_eq!(flask["type"], "access");
    assert_eq!(flask["fresh"], false);
    assert_eq!(flask["jti"], ours["jti"]);
    assert_eq!(flask["exp"], ours["exp"]);
}

#[test]
fn fresh_refresh_token_from_tessera_reads_the_same_in_flask() {
    let python = python_or_skip!();
    let project = Project::initialised();
    let token = project
        .tessera([
            "token", "issue", "--sub", "42", "--type", "refresh", "--fresh",
        ])
        .run()
        .success()
        .stdout;

    let seen = run_script(
        python,
        "decode_tessera_token.py",
        &project.secret(),
        &[token.trim()],
    );

    assert_eq!(seen["flask"]["type"], "refresh");
    assert_eq!(seen["flask"]["fresh"], true);
}

#[test]
fn flask_access_token_verifies_with_tessera() {
    let python = python_or_skip!();
    let project = Project::initialised();
    let tokens = run_script(python, "flask_tokens.py", &project.secret(), &[SERVER_URL]);

    let shown = project
        .tessera(["token", "verify", "-", "--type", "access"])
        .stdin(tokens["access"].as_str().unwrap())
        .run()
        .success()
        .json();

    assert_eq!(shown["claims"]["sub"], "42");
    assert_eq!(shown["claims"]["type"], "access");
    assert!(
        shown["claims"]["csrf"].is_string(),
        "Flask-JWT-Extended's csrf claim is kept"
    );
}

#[test]
fn flask_refresh_token_is_refused_as_an_access_token() {
    let python = python_or_skip!();
    let project = Project::initialised();
    let tokens = run_script(python, "flask_tokens.py", &project.secret(), &[SERVER_URL]);

    let run = project
        .tessera(["token", "verify", "-", "--type", "access"])
        .stdin(tokens["refresh"].as_str().unwrap())
        .run();

    assert!(
        run.one_line_error().ends_with("(wrong_token_type)"),
        "{run:#?}"
    );
}
