//! The sign-in portal over plain HTTP (the real router): page headers, the
//! CSRF checks, escaping of hostile values, closed registration, the `rd`
//! allowlist, rate-limit messages, implicit refresh and sign-out of ended
//! sessions. The browser flows are in `pages_browser`.

use serde_json::json;
use tessera::env::Env;
use tessera_server::domain::ServerSettings;

use crate::http_support::{PASSWORD, PUBLIC_URL, Reply, Server, setup};
use crate::pages_support::{Browser, ExpectStatus, element_text};
use crate::store_support::backend_tests;

const INVALID: &str = "Incorrect username or password.";

#[track_caller]
fn assert_page_headers(reply: &Reply) {
    let csp = reply.header("content-security-policy").expect("a CSP");
    for directive in [
        "default-src 'none'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    // Script only from this server (the passkey script), never inline.
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    if let Some(scripts) = csp
        .split(';')
        .find(|part| part.trim().starts_with("script-src"))
    {
        assert_eq!(scripts.trim(), "script-src 'self'", "{csp}");
    }
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[track_caller]
fn assert_html(reply: &Reply) {
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{reply}"
    );
    assert!(reply.text().starts_with("<!doctype html>"));
    // No inline script: the one script a page may load is the passkey
    // script, from this server.
    let text = reply.text();
    for (at, _) in text.match_indices("<script") {
        assert!(
            text[at..].starts_with("<script src=\"/static/passkeys.js\" defer></script>"),
            "a page has another script: {}",
            &text[at..(at + 80).min(text.len())]
        );
    }
}

/// A POST that must be refused: why, its token, its headers.
struct Forgery<'a> {
    case: &'a str,
    token: &'a str,
    headers: &'a [(&'a str, &'a str)],
}

backend_tests! {
    async fn every_page_answer_carries_the_security_headers(db) {
        let server = Server::start(&db).await;
        let mut browser = Browser::new(&server);
        for path in ["/login", "/register", "/signed-out"] {
            let reply = browser.get(path).await;
            assert_eq!(reply.status, 200, "{path}: {reply}");
            assert_html(&reply);
            assert_page_headers(&reply);
        }
        let redirect = browser.get("/account").await;
        assert_eq!(redirect.status, 303);
        assert_eq!(redirect.header("location"), Some("/login"));
        assert_page_headers(&redirect);
        let forged = browser.post_with("/login", &[("username", "ada")], &[]).await;
        assert_eq!(forged.status, 403);
        assert_html(&forged);
        assert_page_headers(&forged);
        let css = browser.get("/static/portal.css").await;
        assert_eq!(css.status, 200);
        assert!(css.header("content-type").unwrap().starts_with("text/css"));
        assert!(css.text().contains("prefers-color-scheme: dark"));
    }

    async fn the_api_docs_page_carries_the_page_headers_and_no_inline_style(db) {
        let server = Server::start(&db).await;
        let reply = server.get("/docs").send().await;
        reply.expect_status(200);
        assert_html(&reply);
        assert_page_headers(&reply);
        let html = reply.text();
        assert!(!html.contains("<style") && !html.contains("style="), "inline style in /docs");
        assert!(html.contains("href=\"/static/portal.css\""));
    }

    async fn form_action_names_the_allowed_return_origins(db) {
        let server = setup()
            .var("TESSERA_RETURN_TO", format!("{PUBLIC_URL},https://app.example.com/area/"))
            .start(&db)
            .await;
        let reply = server.get("/login").send().await;
        let csp = reply.header("content-security-policy").unwrap();
        assert!(
            csp.contains("form-action 'self' http://auth.test:80 https://app.example.com:443;"),
            "{csp}"
        );
    }

    async fn token_cookies_are_httponly_lax_and_secure_only_over_https(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        let reply = browser.sign_in("ada", PASSWORD).await;
        assert_eq!(reply.status, 303, "{reply}");
        let access = reply.set_cookie("access_token_cookie");
        let refresh = reply.set_cookie("refresh_token_cookie");
        for set in [access, refresh] {
            assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
            assert!(!set.contains("Secure"), "plain-http public URL, yet {set}");
        }

        let https = setup().var("TESSERA_PUBLIC_URL", "https://auth.example.com").start(&db).await;
        let login = https.get("/login").send().await;
        let csrf = login.set_cookie("__Host-tessera_csrf");
        assert!(csrf.contains("Secure") && csrf.contains("HttpOnly") && csrf.contains("Path=/"), "{csrf}");
        let mut browser = Browser::new(&https);
        let reply = browser.sign_in("ada", PASSWORD).await;
        assert_eq!(reply.status, 303, "{reply}");
        assert!(reply.set_cookie("access_token_cookie").contains("Secure"));
        assert!(reply.set_cookie("refresh_token_cookie").contains("Secure"));
    }

    async fn forms_without_the_token_or_from_elsewhere_change_nothing(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.get("/login").await;
        let token = browser.csrf.clone();
        let wrong = "x".repeat(43);
        let cases = [
            Forgery { case: "no token", token: "", headers: &[("origin", "null"), ("sec-fetch-site", "same-origin")] },
            Forgery { case: "wrong token", token: &wrong, headers: &[("sec-fetch-site", "same-origin")] },
            Forgery { case: "cross-site", token: &token, headers: &[("sec-fetch-site", "cross-site")] },
            Forgery { case: "same-site sibling", token: &token, headers: &[("sec-fetch-site", "same-site")] },
            Forgery { case: "foreign origin", token: &token, headers: &[("origin", "https://evil.example")] },
        ];
        for forgery in cases {
            let fields = [("username", "ada"), ("password", PASSWORD), ("csrf_token", forgery.token)];
            let reply = browser.post_with("/login", &fields, forgery.headers).await;
            assert_eq!(reply.status, 403, "{}: {reply}", forgery.case);
            assert!(!browser.has("access_token_cookie"), "{} signed in", forgery.case);
        }
        // `Origin: null` alone (no Sec-Fetch-Site to vouch for it) is refused…
        let fields = [("username", "ada"), ("password", PASSWORD), ("csrf_token", token.as_str())];
        let reply = browser.post_with("/login", &fields, &[("origin", "null")]).await;
        assert_eq!(reply.status, 403, "{reply}");
        // …with `Sec-Fetch-Site: same-origin` it is Chromium's same-origin post.
        let reply = browser
            .post_with("/login", &fields, &[("origin", "null"), ("sec-fetch-site", "same-origin")])
            .await;
        assert_eq!(reply.status, 303, "{reply}");
        assert!(browser.has("access_token_cookie"));

        // Signed in: a forged sign-out or session change does nothing.
        browser.get("/account").await.expect_status(200);
        let forged = browser
            .post_with("/account/sessions/end-others", &[("csrf_token", "nope")], &[])
            .await;
        assert_eq!(forged.status, 403);
        let token = browser.csrf.clone();
        let cross = browser
            .post_with("/logout", &[("csrf_token", &token)], &[("sec-fetch-site", "cross-site")])
            .await;
        assert_eq!(cross.status, 403);
        browser.get("/account").await.expect_status(200);
        // The public URL as `Origin` is fine too.
        let reply = browser
            .post_with("/logout", &[("csrf_token", &token)], &[("origin", PUBLIC_URL)])
            .await;
        assert_eq!(reply.status, 303);
        assert_eq!(reply.header("location"), Some("/signed-out"));
        assert_eq!(browser.get("/account").await.header("location"), Some("/login"));
    }

    async fn hostile_usernames_and_return_urls_are_escaped_or_dropped(db) {
        let server = Server::start(&db).await;
        let mut browser = Browser::new(&server);
        browser.get("/register").await;
        let hostile = "\"><script>alert(1)</script>'&";
        let reply = browser
            .post("/register", &[("username", hostile), ("password", PASSWORD)])
            .await;
        assert_eq!(reply.status, 422, "{reply}");
        let html = reply.text();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#39;&#38;"), "{html}");
        assert!(element_text(&html, "username-error").is_some(), "no error by the username field");

        for rd in [
            "javascript:alert(1)",
            "//evil.example/",
            "https://evil.example/",
            "http://auth.test.evil.example/",
            "http://auth.test\\@evil.example/",
            "http://auth.test/%2e%2e/x",
            "http://auth.test/\"><script>alert(1)</script>",
        ] {
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("rd", rd).finish();
            let html = server.get(&format!("/login?{query}")).send().await.text();
            assert!(!html.contains("name=\"rd\""), "{rd} was kept");
            assert!(!html.contains("evil.example") && !html.contains("javascript:"), "{rd} echoed");
            assert!(!html.contains("<script>"), "{rd} echoed raw");
        }
        let allowed = "http://auth.test/app?a=1&b='x'";
        let query = form_urlencoded::Serializer::new(String::new()).append_pair("rd", allowed).finish();
        let html = server.get(&format!("/login?{query}")).send().await.text();
        assert!(html.contains("value=\"http://auth.test/app?a=1&#38;b=&#39;x&#39;\""), "{html}");
    }

    async fn sign_in_returns_to_allowed_urls_only(db) {
        let server = setup()
            .var("TESSERA_RETURN_TO", format!("{PUBLIC_URL},https://app.example.com/area/"))
            .start(&db)
            .await;
        server.register("ada").await;
        for (rd, expected) in [
            ("https://app.example.com/area/page?x=1", "https://app.example.com/area/page?x=1"),
            ("http://auth.test/docs", "http://auth.test/docs"),
            ("https://app.example.com/other", "/account"),
            ("https://app.example.com/area/../admin", "/account"),
            ("https://app.example.com%2f@evil.example/area/", "/account"),
            ("//evil.example/area/", "/account"),
            ("javascript:alert(1)//https://app.example.com/area/", "/account"),
            ("/relative", "/relative"),
            ("/\\evil.example/", "/account"),
        ] {
            let mut browser = Browser::new(&server);
            browser.get("/login").await;
            let reply = browser
                .post("/login", &[("username", "ada"), ("password", PASSWORD), ("rd", rd)])
                .await;
            assert_eq!(reply.status, 303, "{rd}: {reply}");
            assert_eq!(reply.header("location"), Some(expected), "{rd}");
        }
    }

    async fn a_wrong_password_and_an_unknown_user_read_the_same(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.get("/login").await;
        let wrong = browser.post("/login", &[("username", "ada"), ("password", "not-it-at-all")]).await;
        let unknown = browser.post("/login", &[("username", "nobody"), ("password", "not-it-at-all")]).await;
        let malformed = browser.post("/login", &[("username", ""), ("password", "x")]).await;
        for reply in [&wrong, &unknown, &malformed] {
            assert_eq!(reply.status, 401, "{reply}");
            assert_eq!(element_text(&reply.text(), "form-error").as_deref(), Some(INVALID));
        }
        assert!(wrong.text().contains("value=\"ada\""), "the username is kept");
    }

    async fn rate_limits_show_the_wait_not_a_raw_429(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "2").start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.get("/login").await;
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let reply = browser.post("/login", &[("username", "ada"), ("password", "not-it-at-all")]).await;
            statuses.push(reply.status.as_u16());
            if reply.status == 429 {
                assert_html(&reply);
                let message = element_text(&reply.text(), "form-error").unwrap();
                assert!(message.starts_with("Too many attempts. Please wait "), "{message}");
                assert!(message.contains("minute") || message.contains("second"), "{message}");
                assert!(reply.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
            }
        }
        assert_eq!(statuses, [401, 401, 429]);
    }

    async fn closed_registration_closes_the_page_and_the_api(db) {
        let server = setup().settings(|s| s.registration_open = false).start(&db).await;
        let api = server
            .post("/auth/register")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .send()
            .await;
        let body = api.expect_error(403, "registration_closed");
        assert!(body["message"].as_str().unwrap().contains("closed"));

        let mut browser = Browser::new(&server);
        let page = browser.get("/register").await;
        assert_eq!(page.status, 403);
        assert!(page.text().contains("Sign-up is closed"));
        assert!(!page.text().contains("action=\"/register\""));
        let login = browser.get("/login").await;
        assert!(!login.text().contains("href=\"/register"), "the login page offers sign-up");
        let posted = browser.post("/register", &[("username", "ada"), ("password", PASSWORD)]).await;
        assert_eq!(posted.status, 403);
        assert!(!browser.has("access_token_cookie"));
        server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .send()
            .await
            .expect_error(401, "invalid_credentials");
    }

    async fn sign_up_signs_in_and_the_account_lists_the_session(db) {
        let server = Server::start(&db).await;
        let mut browser = Browser::new(&server);
        browser.get("/register").await;
        let reply = browser
            .post_with(
                "/register",
                &[("username", "ada"), ("password", PASSWORD), ("csrf_token", &browser.csrf.clone())],
                &[("origin", "null"), ("sec-fetch-site", "same-origin"), ("user-agent", "Pages/1.0")],
            )
            .await;
        assert_eq!(reply.status, 303, "{reply}");
        assert_eq!(reply.header("location"), Some("/account"));
        let account = browser.get("/account").await;
        assert_eq!(account.status, 200);
        let html = account.text();
        assert_eq!(element_text(&html, "who").as_deref(), Some("ada"));
        assert_eq!(html.matches("class=\"card session").count(), 1);
        assert!(html.contains("This session"));
    }

    async fn an_expired_access_cookie_is_renewed_from_the_refresh_cookie(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await;
        let before = browser.cookies["access_token_cookie"].clone();
        server.clock.advance(16 * 60);
        let reply = browser.get("/account").await;
        assert_eq!(reply.status, 200, "{reply}");
        let after = &browser.cookies["access_token_cookie"];
        assert_ne!(&before, after, "no new access cookie");
        // The renewed session is the same one.
        assert_eq!(reply.text().matches("class=\"card session").count(), 1);
    }

    async fn an_ended_session_is_signed_out_on_its_next_page_load(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await;
        browser.get("/account").await.expect_status(200);
        // Another client of ada's ends every other session.
        let other = server.login("ada").await;
        server.post("/auth/logout?scope=others").bearer(&other.access).send().await.expect(200);
        let reply = browser.get("/account").await;
        assert_eq!(reply.status, 303);
        assert_eq!(reply.header("location"), Some("/login"));
        assert!(!browser.has("access_token_cookie") && !browser.has("refresh_token_cookie"));
    }

    async fn a_disabled_account_is_signed_out_on_its_next_page_load(db) {
        let server = Server::start(&db).await;
        let ada = server.register("ada").await;
        let admin = server.admin("root").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await;
        browser.get("/account").await.expect_status(200);
        let id = ada["id"].as_str().unwrap();
        server.post(&format!("/admin/users/{id}/disable")).bearer(&admin.access).send().await.expect(200);
        let reply = browser.get("/account").await;
        assert_eq!(reply.header("location"), Some("/login"), "{reply}");
    }

    async fn a_password_change_by_page_ends_the_other_sessions(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let other = server.login("ada").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await;
        browser.get("/account").await;
        let wrong = browser
            .post("/account/password", &[("current_password", "nope-nope"), ("new_password", "a-brand-new-passphrase")])
            .await;
        assert_eq!(wrong.status, 401);
        assert!(element_text(&wrong.text(), "current-password-error").is_some());
        let weak = browser
            .post("/account/password", &[("current_password", PASSWORD), ("new_password", "aaaaaaaaaaaa")])
            .await;
        assert_eq!(weak.status, 422);
        assert!(element_text(&weak.text(), "new-password-error").is_some());
        let done = browser
            .post("/account/password", &[("current_password", PASSWORD), ("new_password", "a-brand-new-passphrase")])
            .await;
        assert_eq!(done.status, 303, "{done}");
        assert_eq!(done.header("location"), Some("/account?done=password"));
        server.get("/auth/me").bearer(&other.access).send().await.expect_error(401, "token_revoked");
        let account = browser.get("/account?done=password").await;
        assert_eq!(account.status, 200);
        assert!(element_text(&account.text(), "notice").unwrap().contains("password was changed"));
    }
}

#[test]
fn registration_reads_open_or_closed() {
    let read = |value: &str| {
        ServerSettings::read(&Env::new(|name: &str| {
            (name == "TESSERA_REGISTRATION").then(|| value.to_owned())
        }))
    };
    assert!(read("open").unwrap().registration_open);
    assert!(!read("Closed").unwrap().registration_open);
    assert!(ServerSettings::default().registration_open);
    let err = read("maybe").unwrap_err().to_string();
    assert!(
        err.contains("TESSERA_REGISTRATION") && err.contains("open or closed"),
        "{err}"
    );
}
