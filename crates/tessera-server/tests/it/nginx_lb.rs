//! A real nginx in front of two `tessera serve` processes on one PostgreSQL
//! database: it load-balances the API between them and guards a small app
//! with `auth_request`, configured by the README's own snippet with only
//! the addresses changed. A logout through one instance locks the user out
//! of the app, whose auth subrequests go to the other.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use serde_json::{Value, json};

use crate::cluster_support::{ClusterDb, Instance, call, eventually};
use crate::http_support::{PASSWORD, Tokens, claims};
use crate::nginx_support::{Nginx, nginx_binary, readme_snippet, substitute};

/// How soon a logout on one instance must lock the user out everywhere.
const PROPAGATION: Duration = Duration::from_secs(1);

/// The guarded app: answers every request with the path it got and the
/// identity headers nginx added; counts the requests that reached it.
async fn start_app() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(move |request: Request| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let header = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .map(|value| value.to_str().unwrap().to_owned())
            };
            axum::Json(json!({
                "path": request.uri().path(),
                "user": header("x-user"),
                "roles": header("x-roles"),
            }))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, hits)
}

/// `METHOD path` through nginx; panics when nginx does not answer.
async fn through(
    nginx: &Nginx,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> crate::cluster_support::Answer {
    let auth = bearer.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = auth
        .iter()
        .map(|value| ("authorization", value.as_str()))
        .collect();
    call(&nginx.addr, method, path, &headers, body)
        .await
        .unwrap_or_else(|err| panic!("{path} through nginx: {err}\n{}", nginx.error_log()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_balances_the_api_and_guards_an_app_as_the_readme_shows() {
    let Some(binary) = nginx_binary() else {
        return;
    };
    let Some(db) = ClusterDb::postgres().await else {
        return;
    };
    let db = Arc::new(db);
    let outcome = tokio::spawn({
        let db = db.clone();
        async move { scenario(&binary, &db).await }
    })
    .await;
    if let Ok(db) = Arc::try_unwrap(db) {
        db.drop().await;
    }
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

async fn scenario(binary: &std::path::Path, db: &ClusterDb) {
    let a = Instance::start(db, &[]);
    let b = Instance::start(db, &[]);
    let (app, hits) = start_app().await;

    // The README's block, addresses aside: auth subrequests go to B.
    let guard = substitute(
        &substitute(&readme_snippet(), "127.0.0.1:8080", &b.addr),
        "127.0.0.1:3000",
        &app,
    );
    let nginx = Nginx::start(
        binary,
        &format!(
            "upstream tessera {{\n\
                 server {a};\n\
                 server {b};\n\
             }}\n\
             server {{\n\
                 listen {{listen}};\n\
                 location /auth/ {{\n\
                     proxy_pass http://tessera;\n\
                     add_header X-Upstream $upstream_addr always;\n\
                 }}\n\
                 {guard}\n\
             }}",
            a = a.addr,
            b = b.addr,
        ),
    );

    // Registrations and logins through nginx reach both instances.
    db.add_user("grace", &["admin", "ops"]);
    let mut upstreams = std::collections::BTreeSet::new();
    let mut grace = None;
    for name in ["ada", "alan", "edsger"] {
        let credentials = json!({ "username": name, "password": PASSWORD });
        let registered = through(
            &nginx,
            Method::POST,
            "/auth/register",
            None,
            Some(&credentials),
        )
        .await;
        registered.expect(201);
        upstreams.insert(registered.header("x-upstream").unwrap().to_owned());
        let login = json!({ "username": "grace", "password": PASSWORD });
        let logged_in = through(&nginx, Method::POST, "/auth/login", None, Some(&login)).await;
        grace = Some(Tokens::from_body(logged_in.expect(200)));
        upstreams.insert(logged_in.header("x-upstream").unwrap().to_owned());
    }
    let expected: std::collections::BTreeSet<String> = [a.addr.clone(), b.addr.clone()].into();
    assert_eq!(
        upstreams, expected,
        "nginx did not spread the API over both instances"
    );
    let grace = grace.unwrap();

    // A valid token: the app answers, with the identity B vouched for.
    let verified = b.get("/auth/verify", &grace.access).await;
    verified.expect(200);
    let page = through(
        &nginx,
        Method::GET,
        "/app/reports?q=1",
        Some(&grace.access),
        None,
    )
    .await;
    let seen = page.expect(200);
    assert_eq!(seen["path"], "/reports", "{seen}");
    assert_eq!(seen["user"], claims(&grace.access)["sub"], "{seen}");
    assert_eq!(
        seen["user"].as_str(),
        verified.header("x-auth-user"),
        "{seen}"
    );
    assert_eq!(
        seen["roles"].as_str(),
        verified.header("x-auth-roles"),
        "{seen}"
    );
    let roles = seen["roles"].as_str().unwrap();
    assert!(roles.contains("admin") && roles.contains("ops"), "{seen}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // No token, or a forged one: 401 from nginx, and the app never sees it.
    through(&nginx, Method::GET, "/app/reports", None, None)
        .await
        .expect(401);
    let forged = format!("{}x", grace.access);
    through(&nginx, Method::GET, "/app/reports", Some(&forged), None)
        .await
        .expect(401);
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // A logout straight at A: nginx, asking B, shuts the app within a second.
    a.post("/auth/logout", Some(&grace.access), None)
        .await
        .expect(200);
    let locked_out = eventually(PROPAGATION, || async {
        through(
            &nginx,
            Method::GET,
            "/app/reports",
            Some(&grace.access),
            None,
        )
        .await
        .status
            == 401
    })
    .await;
    assert!(
        locked_out,
        "the app still let a logged-out token through after {PROPAGATION:?}\nB: {}",
        b.log()
    );
    let before = hits.load(Ordering::SeqCst);
    through(
        &nginx,
        Method::GET,
        "/app/reports",
        Some(&grace.access),
        None,
    )
    .await
    .expect(401);
    assert_eq!(hits.load(Ordering::SeqCst), before);
    // And the API through nginx refuses it on either instance.
    for _ in 0..2 {
        let me = through(&nginx, Method::GET, "/auth/me", Some(&grace.access), None).await;
        assert_eq!(me.status, 401, "{me:?}");
    }
}
