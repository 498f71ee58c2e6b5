//! The `/admin` pages over plain HTTP (the real router): only administrators
//! (by the role stored now) get them, every form is held to the CSRF checks,
//! the actions change what the domain says, hostile values are escaped, and
//! a disabled user's open page goes to `/login` on its next load.

use serde_json::Value;

use crate::http_support::{PASSWORD, Reply, Server, setup};
use crate::pages_support::{Browser, ExpectStatus, element_text};
use crate::store_support::backend_tests;

/// An administrator signed in through the login page.
async fn admin_browser(server: &Server) -> Browser<'_> {
    server.admin("root").await;
    let mut browser = Browser::new(server);
    browser.sign_in("root", PASSWORD).await.expect_status(303);
    browser
}

fn id(user: &Value) -> String {
    user["id"].as_str().unwrap().to_owned()
}

#[track_caller]
fn assert_secure_html(reply: &Reply) {
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{reply}"
    );
    let csp = reply.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(!reply.text().contains("<script"), "{reply}");
}

backend_tests! {
    async fn only_administrators_get_the_admin_pages(db) {
        let server = Server::start(&db).await;
        let ada = server.register("ada").await;
        let ada_page = format!("/admin/people/{}", id(&ada));

        // Signed out: to the login page, with `rd` back to the page.
        let mut nobody = Browser::new(&server);
        for path in ["/admin", "/admin/log", ada_page.as_str()] {
            let reply = nobody.get(path).await;
            reply.expect_status(303);
            let rd = form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
            assert_eq!(reply.header("location"), Some(format!("/login?rd={rd}").as_str()), "{path}");
        }

        // Signed in without the role: a 403 page, and posts change nothing.
        let mut user = Browser::new(&server);
        user.sign_in("ada", PASSWORD).await.expect_status(303);
        user.get("/account").await.expect_status(200);
        for path in ["/admin", "/admin/log", ada_page.as_str()] {
            let reply = user.get(path).await;
            reply.expect_status(403);
            assert_secure_html(&reply);
            assert!(reply.text().contains("administrators only"), "{reply}");
        }
        let posted = user.post(&format!("{ada_page}/roles"), &[("roles", "admin")]).await;
        posted.expect_status(403);
        assert!(server.state.auth.user(&id(&ada)).await.unwrap().roles.is_empty());

        // Granted the role, the same browser gets the pages.
        server.state.auth.set_roles(None, &id(&ada), &["admin"]).await.unwrap();
        user.get("/admin").await.expect_status(200);
    }

    async fn admin_forms_are_held_to_the_csrf_checks(db) {
        let server = Server::start(&db).await;
        let ada = server.register("ada").await;
        let mut admin = admin_browser(&server).await;
        let page = format!("/admin/people/{}", id(&ada));
        admin.get(&page).await.expect_status(200);
        let token = admin.csrf.clone();
        for (case, fields, headers) in [
            ("no token", vec![], vec![("sec-fetch-site", "same-origin")]),
            ("wrong token", vec![("csrf_token", "x".repeat(token.len()))], vec![("sec-fetch-site", "same-origin")]),
            ("cross-site", vec![("csrf_token", token.clone())], vec![("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")]),
            ("foreign origin", vec![("csrf_token", token.clone())], vec![("origin", "https://evil.example")]),
        ] {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let reply = admin.post_with(&format!("{page}/disable"), &fields, &headers).await;
            assert_eq!(reply.status, 403, "{case}: {reply}");
            assert_secure_html(&reply);
        }
        assert!(!server.state.auth.user(&id(&ada)).await.unwrap().disabled, "a forged form disabled ada");
        admin.get(&page).await;
        let done = admin.post(&format!("{page}/disable"), &[]).await;
        done.expect_status(303);
        assert!(server.state.auth.user(&id(&ada)).await.unwrap().disabled);
    }

    async fn an_admin_searches_and_pages_through_users(db) {
        let server = Server::start(&db).await;
        for n in 0..27 {
            server.register(&format!("user{n:02}")).await;
        }
        server.register("grace").await;
        let mut admin = admin_browser(&server).await;
        let first = admin.get("/admin").await;
        first.expect_status(200);
        assert_secure_html(&first);
        let html = first.text();
        assert_eq!(html.matches("class=\"card user\"").count(), 25);
        assert_eq!(element_text(&html, "range").as_deref(), Some("Users 1–25 of 29"));
        assert!(html.contains("href=\"/admin?offset=25\""), "{html}");
        let second = admin.get("/admin?offset=25").await.text();
        assert_eq!(second.matches("class=\"card user\"").count(), 4);
        assert!(second.contains("rel=\"prev\""));
        assert!(!second.contains("id=\"next-page\""));

        let found = admin.get("/admin?q=GRAC").await.text();
        assert_eq!(found.matches("class=\"card user\"").count(), 1, "{found}");
        assert!(found.contains(">grace</a>"));
        assert!(found.contains("value=\"GRAC\""));
    }

    async fn an_admin_changes_roles_disables_enables_unlocks_and_ends_sessions(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "2").start(&db).await;
        let ada = server.register("ada").await;
        let ada_id = id(&ada);
        let page = format!("/admin/people/{ada_id}");
        let mut admin = admin_browser(&server).await;
        let mut ada_browser = Browser::new(&server);
        ada_browser.sign_in("ada", PASSWORD).await.expect_status(303);

        // Roles.
        admin.get(&page).await.expect_status(200);
        let saved = admin.post(&format!("{page}/roles"), &[("roles", "editor, billing")]).await;
        assert_eq!(saved.header("location"), Some(format!("{page}?done=roles").as_str()), "{saved}");
        let mut roles = server.state.auth.user(&ada_id).await.unwrap().roles;
        roles.sort();
        assert_eq!(roles, ["billing", "editor"]);
        let shown = admin.get(&format!("{page}?done=roles")).await.text();
        assert!(element_text(&shown, "notice").unwrap().contains("roles were saved"));

        // One session listed; ending it signs ada's browser out.
        let sessions = server.state.auth.user_sessions(&ada_id).await.unwrap();
        assert!(!sessions.is_empty());
        assert!(shown.contains(&sessions[0].id));
        for session in &sessions {
            admin
                .post(&format!("{page}/sessions/end"), &[("session_id", &session.id)])
                .await
                .expect_status(303);
        }
        assert!(server.state.auth.user_sessions(&ada_id).await.unwrap().is_empty());
        let out = ada_browser.get("/account").await;
        assert_eq!(out.header("location"), Some("/login"), "{out}");

        // Disable: ada's new session ends, her next page load is the login page.
        ada_browser.sign_in("ada", PASSWORD).await.expect_status(303);
        ada_browser.get("/account").await.expect_status(200);
        admin.post(&format!("{page}/disable"), &[]).await.expect_status(303);
        let status = admin.get(&page).await.text();
        assert_eq!(element_text(&status, "status").as_deref(), Some("Disabled"));
        assert!(status.contains("id=\"no-sessions\""));
        let out = ada_browser.get("/account").await;
        assert_eq!(out.header("location"), Some("/login"), "{out}");
        ada_browser.sign_in("ada", PASSWORD).await.expect_status(401);

        // Enable.
        admin.post(&format!("{page}/enable"), &[]).await.expect_status(303);
        ada_browser.sign_in("ada", PASSWORD).await.expect_status(303);

        // Unlock: two failures lock the account, the admin lifts it.
        let mut guesser = Browser::new(&server);
        for _ in 0..2 {
            guesser.sign_in("ada", "not-the-password").await.expect_status(401);
        }
        guesser.sign_in("ada", PASSWORD).await.expect_status(429);
        admin.post(&format!("{page}/unlock"), &[]).await.expect_status(303);
        guesser.sign_in("ada", PASSWORD).await.expect_status(303);

        // The audit log, filtered by user and kind.
        let log = admin.get(&format!("/admin/log?user_id={ada_id}&kind=user_disabled")).await;
        log.expect_status(200);
        assert_secure_html(&log);
        let log = log.text();
        assert_eq!(log.matches("class=\"card event\"").count(), 1, "{log}");
        assert!(log.contains("user_disabled"));
        let all = admin.get(&format!("/admin/log?user_id={ada_id}")).await.text();
        for kind in ["roles_changed", "user_disabled", "user_enabled", "user_unlocked"] {
            assert!(all.contains(kind), "{kind} missing from the log");
        }

        // An unknown user: a 404 page.
        admin.get("/admin/people/no-such-id").await.expect_status(404);
    }

    async fn hostile_values_on_the_admin_pages_are_escaped(db) {
        let server = Server::start(&db).await;
        let ada = server.register("ada").await;
        let page = format!("/admin/people/{}", id(&ada));
        let mut admin = admin_browser(&server).await;
        let hostile = "\"><script>alert(1)</script>";
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", hostile)
            .append_pair("kind", hostile)
            .append_pair("user_id", hostile)
            .finish();
        for path in [format!("/admin?{query}"), format!("/admin/log?{query}")] {
            let reply = admin.get(&path).await;
            reply.expect_status(200);
            assert_secure_html(&reply);
            assert!(reply.text().contains("&#34;&#62;&#60;script&#62;"), "{path}: {reply}");
        }
        admin.get(&page).await;
        let refused = admin.post(&format!("{page}/roles"), &[("roles", hostile)]).await;
        refused.expect_status(422);
        assert_secure_html(&refused);
        assert!(element_text(&refused.text(), "roles-error").is_some(), "{refused}");
        assert!(refused.text().contains("&#34;&#62;&#60;script&#62;"), "{refused}");
        assert!(server.state.auth.user(&id(&ada)).await.unwrap().roles.is_empty());
    }

    async fn a_signed_out_admin_lands_on_the_admin_page_they_asked_for(db) {
        let server = Server::start(&db).await;
        server.admin("root").await;
        let mut browser = Browser::new(&server);
        let asked = "/admin/log?kind=login&user_id=x";
        let to_login = browser.get(asked).await;
        to_login.expect_status(303);
        let login_path = to_login.header("location").unwrap().to_owned();
        assert_eq!(login_path, "/login?rd=%2Fadmin%2Flog%3Fkind%3Dlogin%26user_id%3Dx");
        // The login page keeps the path in its form and returns there.
        let login = browser.get(&login_path).await;
        login.expect_status(200);
        assert!(login.text().contains("name=\"rd\" value=\"/admin/log?kind=login&#38;user_id=x\""), "{login}");
        let signed_in = browser
            .post("/login", &[("username", "root"), ("password", PASSWORD), ("rd", asked)])
            .await;
        signed_in.expect_status(303);
        assert_eq!(signed_in.header("location"), Some(asked));
        browser.get(asked).await.expect_status(200);
        // Signed in already, the login page sends the browser straight on.
        let again = browser.get(&login_path).await;
        again.expect_status(303);
        assert_eq!(again.header("location"), Some(asked));
        // Only paths on this server: a look-alike goes to the account page.
        for rd in ["//evil.example/admin", "/\\evil.example/admin", "/admin/%2e%2e/x", "https://evil.example/admin"] {
            let mut other = Browser::new(&server);
            other.get("/login").await;
            let reply = other.post("/login", &[("username", "root"), ("password", PASSWORD), ("rd", rd)]).await;
            assert_eq!(reply.header("location"), Some("/account"), "{rd}");
        }
    }

    async fn an_admin_page_load_renews_an_expired_access_cookie_through_the_extractor(db) {
        let server = Server::start(&db).await;
        let mut admin = admin_browser(&server).await;
        admin.get("/admin").await.expect_status(200);
        let before = admin.cookies["access_token_cookie"].clone();
        let refresh_before = admin.cookies["refresh_token_cookie"].clone();
        server.clock.advance(16 * 60);
        let reply = admin.get("/admin/log").await;
        reply.expect_status(200);
        let rotated: Vec<_> = reply.set_cookies().into_iter().map(|c| c.split('=').next().unwrap().to_owned()).collect();
        assert!(rotated.contains(&"access_token_cookie".to_owned()), "{reply}");
        assert!(rotated.contains(&"refresh_token_cookie".to_owned()), "{reply}");
        assert_ne!(admin.cookies["access_token_cookie"], before);
        assert_ne!(admin.cookies["refresh_token_cookie"], refresh_before);
        // The rotated pair is the one that works now: the next load needs no refresh.
        let next = admin.get("/admin").await;
        next.expect_status(200);
        assert!(next.set_cookies().iter().all(|c| !c.starts_with("access_token_cookie")), "{next}");
    }
}
