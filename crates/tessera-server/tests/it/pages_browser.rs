//! The sign-in portal in a real browser: Debian's Chromium, driven by
//! playwright-core (`tests/portal-browser/flows.mjs`, from a committed
//! lockfile), against the server on a real socket at `http://localhost:PORT`
//! (`TESSERA_PUBLIC_URL`), with a second origin on `TESSERA_RETURN_TO` for
//! the `rd` flows and an app guarded by forward auth (asking
//! `/auth/verify?redirect=1` as Traefik does) on a third, and social
//! sign-in through the real OpenID provider of the social tests. Each page
//! is checked with axe-core (no serious or critical violation) in light and
//! dark, and signing in works by keyboard. Two-step sign-in is set up from
//! the QR page's secret and used with a code computed in node (its own
//! HMAC-SHA-1).
//!
//! Without Chromium or Node.js the test prints a skip, unless
//! `TESSERA_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse};
use tessera::{Clock, ManualClock, SystemClock};
use tessera_server::serve;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::http_support::{PASSWORD, setup};
use crate::oidc_support::{
    OidcClient, OidcProvider, PROVIDER_PASSWORD, ProviderOptions, fetch, npm_ci,
};
use crate::store_support::{Kind, run};

/// Where the browser script and its lockfile live.
fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/portal-browser")
}

/// Where the test leaves its screenshots of the pages, light and dark (the
/// ones in `docs/screenshots/` are copies of a run's).
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn browser_required() -> bool {
    std::env::var("TESSERA_REQUIRE_BROWSER").is_ok_and(|value| value.trim() == "1")
}

/// Debian's Chromium (or `CHROMIUM`), if it runs.
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

/// An app guarded by forward auth the way Traefik's `forwardAuth` does it:
/// every request first asks the portal's `/auth/verify?redirect=1` with the
/// browser's `Accept` and cookies and the original URL in `X-Forwarded-*`;
/// a 2xx shows the page (with the `X-Auth-User` it was given), anything
/// else is passed back to the browser as it came (a 302 to the login page).
/// It listens on `localhost` like the portal, so the portal's host-only
/// cookies reach it (cookies are not port-specific).
async fn guarded_app(portal_socket: String) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let host = format!("localhost:{port}");
    let app = Router::new().fallback(move |request: Request| {
        let (portal_socket, host) = (portal_socket.clone(), host.clone());
        async move {
            // Owned before the await: a request (its body) is not `Sync`.
            let (parts, _) = request.into_parts();
            let header = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("")
                    .to_owned()
            };
            let (accept, cookie) = (header("accept"), header("cookie"));
            let (uri, method) = (parts.uri.to_string(), parts.method.to_string());
            let verdict = fetch(
                Method::GET,
                &format!("{portal_socket}/auth/verify?redirect=1"),
                &[
                    ("accept", accept.as_str()),
                    ("cookie", cookie.as_str()),
                    ("x-forwarded-method", method.as_str()),
                    ("x-forwarded-proto", "http"),
                    ("x-forwarded-host", host.as_str()),
                    ("x-forwarded-uri", uri.as_str()),
                ],
                Vec::new(),
            )
            .await;
            if (200..300).contains(&verdict.status) {
                let user = verdict.header("x-auth-user").unwrap_or("").to_owned();
                return Html(format!(
                    "<!doctype html><title>guarded</title><h1>guarded page</h1><p id=\"user\">{user}</p>"
                ))
                .into_response();
            }
            let mut response = (
                StatusCode::from_u16(verdict.status).unwrap(),
                verdict.body.clone(),
            )
                .into_response();
            if let Some(location) = verdict.header("location") {
                response
                    .headers_mut()
                    .insert("location", location.parse().unwrap());
            }
            response
        }
    });
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    (format!("http://localhost:{port}"), stop)
}

/// An app on another origin that the allowlist names: where `rd` returns.
async fn app_origin() -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new()
        .fallback(|| async { Html("<!doctype html><title>app</title><h1>app landing</h1>") });
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    (format!("http://127.0.0.1:{port}"), stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_flows_work_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !browser_required(),
            "TESSERA_REQUIRE_BROWSER=1 but Chromium (/usr/bin/chromium or CHROMIUM), node or \
             npm is missing: apt-get install chromium chromium-driver nodejs npm"
        );
        eprintln!(
            "skipping: Chromium, node or npm not found (the portal's browser tests need them)"
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
        let (app, stop_app) = app_origin().await;
        let (guarded, stop_guarded) = guarded_app(format!("http://127.0.0.1:{port}")).await;
        // The real OpenID provider of the social sign-in tests, with the
        // portal's callback registered: the login page shows its button.
        let client = OidcClient::new(
            "tessera-portal",
            "client-secret-for-portal-tests",
            &format!("{portal}/auth/oauth/corp/callback"),
        );
        let provider = OidcProvider::start(ProviderOptions::new().client(client))
            .await
            .expect("node runs the OpenID provider (checked above)");
        let server = setup()
            .var("TESSERA_OIDC_PROVIDERS", "corp")
            .var("TESSERA_OIDC_CORP_ISSUER", provider.issuer())
            .var("TESSERA_OIDC_CORP_CLIENT_ID", "tessera-portal")
            .var(
                "TESSERA_OIDC_CORP_CLIENT_SECRET",
                "client-secret-for-portal-tests",
            )
            .var("TESSERA_OIDC_CORP_LABEL", "Corp")
            .var("TESSERA_OIDC_ALLOW_LOOPBACK_HTTP", "true")
            .var("TESSERA_PUBLIC_URL", portal.as_str())
            // Two-step sign-in seals its secrets under this test-only key.
            .var("TESSERA_ENCRYPTION_KEY", crate::mfa_support::ENCRYPTION_KEY)
            .var(
                "TESSERA_RETURN_TO",
                format!("{portal},{app},{guarded}/private/"),
            )
            // The provider's id_tokens are stamped with the real time.
            .start_with_clock(&db, ManualClock::new(SystemClock.now()))
            .await;
        // The administrator of the admin flow (as `tessera user add --role admin`).
        server.admin("root").await;
        // The provider stamps id_tokens with the real time and Tessera
        // refuses an `iat` from its future: the server's clock follows the
        // real one for as long as the flows run (they take minutes on a
        // busy machine).
        let clock = server.clock.clone();
        let following = tokio::spawn(async move {
            loop {
                clock.set(SystemClock.now());
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(serve::run(listener, server.state.clone(), async move {
            let _ = stopped.await;
        }));

        let (script_portal, script_app, script_guarded) =
            (portal.clone(), app.clone(), guarded.clone());
        let output = tokio::task::spawn_blocking(move || {
            Command::new("node")
                .arg("flows.mjs")
                .current_dir(script_dir())
                .env("PORTAL_URL", script_portal)
                .env("APP_URL", script_app)
                .env("GUARDED_URL", script_guarded)
                .env("CHROMIUM", chromium)
                .env("PASSWORD", PASSWORD)
                .env("ADMIN_USER", "root")
                .env("PROVIDER_USER", "ada")
                .env("LINK_PROVIDER_USER", "grace")
                .env("PROVIDER_PASSWORD", PROVIDER_PASSWORD)
                .env("NEW_PASSWORD", "a-brand-new-passphrase")
                .env("SCREENSHOT_DIR", screenshot_dir())
                .stdin(Stdio::null())
                .output()
                .expect("node runs")
        })
        .await
        .unwrap();
        following.abort();
        let _ = stop.send(());
        let _ = stop_app.send(());
        let _ = stop_guarded.send(());
        let _ = serving.await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!("{stdout}\nscreenshots: {}", screenshot_dir().display());
        if !output.status.success() {
            println!("the OpenID provider's log:\n{}", provider.log());
        }
        assert!(
            output.status.success() && stdout.contains("all portal flows passed"),
            "the browser flows failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
    })
    .await;
}
