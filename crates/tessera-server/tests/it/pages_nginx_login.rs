//! The README's nginx recipe for sending browsers to the sign-in page
//! (`error_page 401 = @login` and its `location @login`), run in a real
//! nginx in front of a real `tessera serve` socket and a small app: a
//! browser without a session gets the 302 to `/login?rd=` with the whole
//! original URL (its `&` kept, properly encoded), API clients and posts
//! keep the 401, a valid token reaches the app.

use axum::Router;
use axum::http::Method;
use tessera_server::serve;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::http_support::{PUBLIC_URL, setup};
use crate::nginx_support::{Nginx, nginx_binary, readme_snippet, substitute};
use crate::oidc_support::fetch;
use crate::store_support::{Kind, run};

const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// The second ```` ```nginx ```` block of the README's forward-auth
/// section: the `location @login` recipe.
fn readme_login_block() -> String {
    let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(readme).unwrap();
    let section = text
        .split("\n## ")
        .find(|section| section.starts_with("Put any app behind it"))
        .unwrap();
    let block = section
        .split("```nginx\n")
        .nth(2)
        .expect("a second ```nginx block, the @login one");
    block.split("\n```").next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_nginx_recipe_sends_browsers_to_login_and_keeps_401_for_apis() {
    let Some(binary) = nginx_binary() else {
        return;
    };
    run(Kind::Sqlite, move |db| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tessera = listener.local_addr().unwrap().to_string();
        let app_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = app_listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            axum::serve(app_listener, Router::new().fallback(|| async { "the app" })).await
        });
        let guard = substitute(
            &substitute(
                &substitute(&readme_snippet(), "127.0.0.1:8080", &tessera),
                "127.0.0.1:3000",
                &app,
            ),
            "    auth_request /_auth;\n",
            "    auth_request /_auth;\n    error_page 401 = @login;\n",
        );
        let login = substitute(&readme_login_block(), "127.0.0.1:8080", &tessera);
        let nginx = Nginx::start(
            &binary,
            &format!("server {{\n listen {{listen}};\n {guard}\n {login}\n }}"),
        );
        let front = format!("http://{}", nginx.addr);
        let server = setup()
            .var(
                "TESSERA_RETURN_TO",
                format!("{PUBLIC_URL},{front}/app/reports/"),
            )
            .start(&db)
            .await;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(serve::run(listener, server.state.clone(), async move {
            let _ = stopped.await;
        }));
        let ada = server.signed_up("ada").await;

        // A browser without a session: the 302, the whole URL in rd.
        let original = format!("{front}/app/reports/q?a=1&b=two%20words");
        let page = fetch(Method::GET, &original, &[("accept", HTML)], Vec::new()).await;
        assert_eq!(page.status, 302, "{page:#?}\n{}", nginx.error_log());
        let expected = format!(
            "{PUBLIC_URL}/login?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("rd", &original)
                .finish()
        );
        assert_eq!(
            page.header("location"),
            Some(expected.as_str()),
            "{page:#?}"
        );

        // API clients, posts and URLs off the allowlist: the 401.
        for (method, url, accept) in [
            (Method::GET, original.clone(), "application/json"),
            (Method::GET, original.clone(), "*/*"),
            (Method::POST, original.clone(), HTML),
            (Method::GET, format!("{front}/app/other"), HTML),
        ] {
            let page = fetch(method.clone(), &url, &[("accept", accept)], Vec::new()).await;
            assert_eq!(page.status, 401, "{method} {url} {accept}: {page:#?}");
            assert!(page.header("location").is_none(), "{page:#?}");
        }

        // A valid token reaches the app.
        let bearer = format!("Bearer {}", ada.access);
        let page = fetch(
            Method::GET,
            &original,
            &[("accept", HTML), ("authorization", bearer.as_str())],
            Vec::new(),
        )
        .await;
        assert_eq!(page.status, 200, "{page:#?}");
        assert_eq!(page.body, "the app");
        let _ = stop.send(());
        let _ = serving.await;
    })
    .await;
}
