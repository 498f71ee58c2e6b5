//! `tessera::remote::HttpsClient`, the client `RemoteJwks` and the server's
//! provider calls share, against a server on 127.0.0.1.

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Redirect;
use axum::routing::{get, post};
use tessera::remote::{FetchError, HttpsClient, HttpsLimits};

/// A server echoing a form POST (content type, `authorization`, body) with
/// status 400, a redirect, and a body of 100 bytes.
async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route(
            "/form",
            post(|headers: HeaderMap, body: String| async move {
                let seen = |name: HeaderName| {
                    headers
                        .get(name)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let echo = format!(
                    "{}|{}|{body}",
                    seen(header::CONTENT_TYPE),
                    seen(header::AUTHORIZATION)
                );
                (StatusCode::BAD_REQUEST, [("x-echo", "yes")], echo)
            }),
        )
        .route("/redirect", get(|| async { Redirect::temporary("/form") }))
        .route("/big", get(|| async { "x".repeat(100) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn client(max_body_bytes: usize) -> HttpsClient {
    let limits = HttpsLimits {
        max_body_bytes,
        ..HttpsLimits::default()
    };
    HttpsClient::new(limits, true).unwrap()
}

#[tokio::test]
async fn a_form_post_sends_its_headers_and_returns_any_status_with_its_body() {
    let base = start().await;
    let auth = [(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"))];
    let response = client(1024)
        .post_form(&format!("{base}/form"), &auth, "a=1&b=two".to_owned())
        .await
        .unwrap();
    assert_eq!(response.status, 400);
    assert_eq!(response.headers.get("x-echo").unwrap(), "yes");
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        "application/x-www-form-urlencoded|Basic abc|a=1&b=two"
    );
}

#[tokio::test]
async fn a_redirect_is_returned_not_followed() {
    let base = start().await;
    let response = client(1024)
        .get(&format!("{base}/redirect"), &[])
        .await
        .unwrap();
    assert_eq!(response.status, 307);
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused() {
    let base = start().await;
    let err = client(99)
        .get(&format!("{base}/big"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { max: 99, .. }), "{err}");
    let ok = client(100).get(&format!("{base}/big"), &[]).await.unwrap();
    assert_eq!(ok.body.len(), 100);
}

#[tokio::test]
async fn plain_http_needs_loopback_and_permission() {
    let base = start().await;
    let strict = HttpsClient::new(HttpsLimits::default(), false).unwrap();
    let err = strict.get(&format!("{base}/big"), &[]).await.unwrap_err();
    assert!(matches!(err, FetchError::InsecureUrl(_)), "{err}");
    let err = client(1024)
        .get("http://issuer.example/big", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::InsecureUrl(_)), "{err}");
}

#[tokio::test]
async fn errors_leave_the_query_string_out() {
    // Bind then drop a listener: nothing answers on that port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(1024)
        .get(&format!("http://{addr}/me?access_token=secret"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Connect { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("http://{addr}/me")), "{text}");
    assert!(!text.contains("secret"), "{text}");
}
