//! Passkeys in a real browser: Debian's Chromium with the DevTools
//! Protocol's virtual authenticator, driven by playwright-core
//! (`tests/portal-browser/passkeys.mjs`), against the server on a real
//! socket at `http://localhost:PORT` (browsers refuse an IP address as
//! relying-party id). It registers a passkey through the real ceremony,
//! signs in with it and no password (with the portal's "Sign in with a
//! passkey" button on `/login`, and through the JSON API), deletes it, and
//! sees it refused.
//!
//! Without Chromium or Node.js the test prints a skip, unless
//! `TESSERA_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tessera::{Clock, ManualClock, SystemClock};
use tessera_server::serve;
use tessera_server::store::AuditFilter;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::http_support::{PASSWORD, setup};
use crate::oidc_support::npm_ci;
use crate::store_support::{Kind, run};

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/portal-browser")
}

/// Debian's Chromium (or `CHROMIUM`), with node and npm, if they run.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let runs = |tool: &Path| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    (runs(&path) && runs(Path::new("node")) && runs(Path::new("npm"))).then_some(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_registers_signs_in_and_once_deleted_is_refused_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !std::env::var("TESSERA_REQUIRE_BROWSER").is_ok_and(|value| value.trim() == "1"),
            "TESSERA_REQUIRE_BROWSER=1 but Chromium (/usr/bin/chromium or CHROMIUM), node or \
             npm is missing: apt-get install chromium chromium-driver nodejs npm"
        );
        eprintln!(
            "skipping: Chromium, node or npm not found (the passkey browser test needs them)"
        );
        return;
    };
    tokio::task::spawn_blocking(|| npm_ci(&script_dir()))
        .await
        .unwrap()
        .unwrap_or_else(|err| panic!("{err}"));
    run(Kind::Sqlite, move |db| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let portal = format!("http://localhost:{port}");
        let server = setup()
            .var("TESSERA_PUBLIC_URL", portal.as_str())
            .start_with_clock(&db, ManualClock::new(SystemClock.now()))
            .await;
        server.register("ada").await;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(serve::run(listener, server.state.clone(), async move {
            let _ = stopped.await;
        }));

        let output = tokio::task::spawn_blocking(move || {
            Command::new("node")
                .arg("passkeys.mjs")
                .current_dir(script_dir())
                .env("PORTAL_URL", portal)
                .env("CHROMIUM", chromium)
                .env("USERNAME", "ada")
                .env("PASSWORD", PASSWORD)
                .stdin(Stdio::null())
                .output()
                .expect("node runs")
        })
        .await
        .unwrap();
        let _ = stop.send(());
        let _ = serving.await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!("{stdout}");
        assert!(
            output.status.success() && stdout.contains("all passkey flows passed"),
            "the passkey browser flows failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
        // The server saw it all: one registration, three sign-ins (the portal, the API twice), the refusal.
        let store = server.state.auth.store();
        let count = |kind: &str| {
            let filter = AuditFilter {
                user_id: None,
                kind: Some(kind.to_owned()),
                offset: 0,
                limit: 100,
            };
            async move { store.list_audit(&filter).await.unwrap().0.len() }
        };
        assert_eq!(count("passkey_registered").await, 1);
        assert_eq!(count("passkey_login").await, 3);
        assert_eq!(count("passkey_deleted").await, 1);
        assert_eq!(count("passkey_login_failed").await, 1);
    })
    .await;
}
