//! Two-step sign-in in the portal over HTTP (the real router): the code
//! page after a right password (mfa_token only in the form, `rd` carried
//! and re-checked, wrong codes, recovery codes, five strikes, the account
//! limit, CSRF), the account page's set-up with the QR code, turn off and
//! new recovery codes, and the user held back by the role policy.

use tessera::Clock as _;

use crate::http_support::{PASSWORD, Reply, Server};
use crate::mfa_support::{Enrolled, enrolled, mfa_server, mfa_setup, python_totp};
use crate::pages_support::{Browser, ExpectStatus, element_text};
use crate::store_support::backend_tests;

/// The value of the page's hidden field `name`.
fn field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The text of `<code id="secret">` on the set-up page.
fn secret_on(reply: &Reply) -> String {
    element_text(&reply.text(), "secret").unwrap_or_else(|| panic!("no secret: {reply}"))
}

/// Signs in with the password: the code page, with its mfa_token.
async fn code_page(browser: &mut Browser<'_>, name: &str) -> String {
    let reply = browser.sign_in(name, PASSWORD).await;
    reply.expect_status(200);
    let html = reply.text();
    assert!(
        html.contains("Enter the code from your authenticator app"),
        "{html}"
    );
    assert!(!browser.has("access_token_cookie"));
    field(&html, "mfa_token").unwrap_or_else(|| panic!("no mfa_token: {html}"))
}

async fn send_code(browser: &mut Browser<'_>, token: &str, code: &str) -> Reply {
    browser
        .post("/login/code", &[("mfa_token", token), ("code", code)])
        .await
}

fn current(server: &Server, ada: &Enrolled) -> String {
    ada.code(server)
}

backend_tests! {
    async fn a_right_password_leads_to_the_code_page_and_a_code_signs_in(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        // The token is never in a URL: the page's only form posts it.
        let reply = send_code(&mut browser, &token, &current(&server, &ada)).await;
        reply.expect_status(303);
        assert_eq!(reply.header("location"), Some("/account"));
        assert!(browser.has("access_token_cookie") && browser.has("refresh_token_cookie"));
        let access = browser.cookies["access_token_cookie"].clone();
        assert_eq!(crate::http_support::claims(&access)["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
        let account = browser.get("/account").await;
        account.expect_status(200);
        assert!(element_text(&account.text(), "two-step-status").unwrap().starts_with("On:"));
    }

    async fn the_code_step_returns_to_the_rd_of_the_password_step_and_drops_a_foreign_one(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        browser.get("/login?rd=/account%3Fdone%3Dx").await;
        let reply = browser.post("/login", &[("username", "ada"), ("password", PASSWORD), ("rd", "/account?done=x")]).await;
        reply.expect_status(200);
        let html = reply.text();
        assert_eq!(field(&html, "rd").as_deref(), Some("/account?done=x"));
        let token = field(&html, "mfa_token").unwrap();
        let reply = browser.post("/login/code", &[
            ("mfa_token", &token), ("code", &current(&server, &ada)), ("rd", "/account?done=x"),
        ]).await;
        assert_eq!(reply.header("location"), Some("/account?done=x"));
        // A tampered rd in the code form is checked again and dropped.
        server.clock.advance(30);
        let mut other = Browser::new(&server);
        let token = code_page(&mut other, "ada").await;
        let reply = other.post("/login/code", &[
            ("mfa_token", &token), ("code", &current(&server, &ada)), ("rd", "https://evil.example/"),
        ]).await;
        reply.expect_status(303);
        assert_eq!(reply.header("location"), Some("/account"));
    }

    async fn a_wrong_code_says_so_on_the_page_and_keeps_the_step(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        let reply = send_code(&mut browser, &token, "000000").await;
        reply.expect_status(401);
        let html = reply.text();
        assert!(element_text(&html, "form-error").unwrap().contains("not right"), "{html}");
        assert_eq!(field(&html, "mfa_token").as_deref(), Some(token.as_str()));
        assert!(!browser.has("access_token_cookie"));
        send_code(&mut browser, &token, &current(&server, &ada)).await.expect_status(303);
    }

    async fn a_recovery_code_signs_in_once(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let recovery = ada.recovery_codes[0].clone();
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        send_code(&mut browser, &token, &recovery).await.expect_status(303);
        let mut again = Browser::new(&server);
        let token = code_page(&mut again, "ada").await;
        send_code(&mut again, &token, &recovery).await.expect_status(401);
    }

    async fn five_wrong_codes_send_the_browser_back_to_sign_in(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        for _ in 0..5 {
            send_code(&mut browser, &token, "000000").await.expect_status(401);
        }
        let reply = send_code(&mut browser, &token, &current(&server, &ada)).await;
        reply.expect_status(401);
        let html = reply.text();
        assert!(html.contains("action=\"/login\""), "{html}");
        assert!(element_text(&html, "form-error").unwrap().contains("sign in again"), "{html}");
        assert!(!browser.has("access_token_cookie"));
    }

    async fn an_expired_step_sends_the_browser_back_to_sign_in(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        server.clock.advance(301);
        let reply = send_code(&mut browser, &token, &current(&server, &ada)).await;
        reply.expect_status(401);
        assert!(element_text(&reply.text(), "form-error").unwrap().contains("sign in again"));
        let reply = send_code(&mut browser, "made-up-token", "123456").await;
        reply.expect_status(401);
        assert!(reply.text().contains("action=\"/login\""));
    }

    async fn wrong_codes_count_toward_the_accounts_failed_login_limit(db) {
        let server = mfa_setup().var("TESSERA_LOGIN_MAX_FAILURES", "3").start(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        for _ in 0..2 {
            send_code(&mut browser, &token, "000000").await.expect_status(401);
        }
        let reply = send_code(&mut browser, &token, &current(&server, &ada)).await;
        reply.expect_status(429);
        assert!(reply.header("retry-after").is_some());
        assert!(element_text(&reply.text(), "form-error").unwrap().contains("Too many attempts"));
    }

    async fn a_code_form_without_its_csrf_token_is_refused(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        let reply = browser.post_with("/login/code",
            &[("mfa_token", &token), ("code", &current(&server, &ada)), ("csrf_token", "forged")],
            &[("origin", "null"), ("sec-fetch-site", "same-origin")]).await;
        reply.expect_status(403);
        assert!(!browser.has("access_token_cookie"));
        // A cross-site post is refused too, even with the token.
        let csrf = browser.csrf.clone();
        let reply = browser.post_with("/login/code",
            &[("mfa_token", &token), ("code", &current(&server, &ada)), ("csrf_token", &csrf)],
            &[("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")]).await;
        reply.expect_status(403);
        assert!(!browser.has("access_token_cookie"));
    }

    async fn the_account_page_sets_up_two_step_sign_in_with_the_qr_code(db) {
        let server = mfa_server(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await.expect_status(303);
        let account = browser.get("/account").await;
        assert!(element_text(&account.text(), "two-step-status").unwrap().starts_with("Off:"));
        let setup = browser.post("/account/two-step/setup", &[]).await;
        setup.expect_status(200);
        let html = setup.text();
        assert!(html.contains("src=\"data:image/svg+xml;base64,"), "{html}");
        assert!(!html.contains("<svg"), "the SVG is an image, never inline markup");
        let csp = setup.header("content-security-policy").unwrap();
        // Images from data: URIs, and still no inline or foreign script.
        assert!(csp.contains("img-src 'self' data:;") && !csp.contains("unsafe"), "{csp}");
        assert!(!csp.contains("script-src") || csp.contains("script-src 'self';"), "{csp}");
        let secret = secret_on(&setup);
        // A wrong code shows the same page with the same secret.
        let wrong = browser.post("/account/two-step/confirm", &[("code", "000000"), ("secret", &secret)]).await;
        wrong.expect_status(401);
        assert_eq!(secret_on(&wrong), secret);
        assert!(element_text(&wrong.text(), "form-error").unwrap().contains("not right"));
        let code = python_totp(&secret, server.clock.now());
        let done = browser.post("/account/two-step/confirm", &[("code", &code), ("secret", &secret)]).await;
        done.expect_status(200);
        let codes = done.text().matches("<li><code>").count();
        assert_eq!(codes, 10, "{done}");
        let account = browser.get("/account?done=two_step_on").await;
        let html = account.text();
        assert_eq!(element_text(&html, "notice").as_deref(), Some("Two-step sign-in is on."));
        assert!(element_text(&html, "two-step-status").unwrap().contains("10 unused recovery codes"));
        // The next sign-in asks for a code.
        let mut later = Browser::new(&server);
        code_page(&mut later, "ada").await;
    }

    async fn a_session_that_is_not_fresh_gives_the_password_to_set_up(db) {
        let server = mfa_server(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await.expect_status(303);
        // The access cookie expires; the next load renews it from the refresh cookie.
        server.clock.advance(16 * 60);
        let account = browser.get("/account").await;
        assert!(account.text().contains("id=\"setup-password\""), "{account}");
        let refused = browser.post("/account/two-step/setup", &[("current_password", "wrong password")]).await;
        refused.expect_status(401);
        assert!(element_text(&refused.text(), "two-step-error").unwrap().contains("not your current password"));
        let setup = browser.post("/account/two-step/setup", &[("current_password", PASSWORD)]).await;
        setup.expect_status(200);
        assert!(!secret_on(&setup).is_empty());
    }

    async fn turning_off_needs_a_right_code(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        send_code(&mut browser, &token, &current(&server, &ada)).await.expect_status(303);
        browser.get("/account").await;
        let refused = browser.post("/account/two-step/disable", &[("code", "000000")]).await;
        refused.expect_status(401);
        assert!(element_text(&refused.text(), "two-step-error").unwrap().contains("stays on"));
        server.clock.advance(30);
        let reply = browser.post("/account/two-step/disable", &[("code", &current(&server, &ada))]).await;
        reply.expect_status(303);
        assert_eq!(reply.header("location"), Some("/account?done=two_step_off"));
        let account = browser.get("/account?done=two_step_off").await;
        assert!(element_text(&account.text(), "two-step-status").unwrap().starts_with("Off:"));
        // The password alone signs in again.
        let mut later = Browser::new(&server);
        later.sign_in("ada", PASSWORD).await.expect_status(303);
    }

    async fn new_recovery_codes_need_a_right_code_and_void_the_old_ones(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        send_code(&mut browser, &token, &current(&server, &ada)).await.expect_status(303);
        browser.get("/account").await;
        browser.post("/account/two-step/recovery-codes", &[("code", "000000")]).await.expect_status(401);
        server.clock.advance(30);
        let reply = browser.post("/account/two-step/recovery-codes", &[("code", &current(&server, &ada))]).await;
        reply.expect_status(200);
        assert_eq!(reply.text().matches("<li><code>").count(), 10);
        let mut later = Browser::new(&server);
        let token = code_page(&mut later, "ada").await;
        send_code(&mut later, &token, &ada.recovery_codes[1]).await.expect_status(401);
    }

    async fn the_account_forms_refuse_a_missing_csrf_token(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let token = code_page(&mut browser, "ada").await;
        send_code(&mut browser, &token, &current(&server, &ada)).await.expect_status(303);
        server.clock.advance(30);
        for path in ["/account/two-step/setup", "/account/two-step/confirm",
                     "/account/two-step/disable", "/account/two-step/recovery-codes"] {
            let reply = browser.post_with(path,
                &[("code", &current(&server, &ada)), ("csrf_token", "forged")],
                &[("origin", "null"), ("sec-fetch-site", "same-origin")]).await;
            reply.expect_status(403);
        }
        let account = browser.get("/account").await;
        assert!(element_text(&account.text(), "two-step-status").unwrap().starts_with("On:"));
    }

    async fn an_admin_held_back_by_the_policy_lands_on_the_account_page_to_set_up(db) {
        let server = mfa_setup()
            .settings(|settings| settings.mfa_required_roles = vec!["admin".to_owned()])
            .start(&db).await;
        server.admin("root").await;
        let mut browser = Browser::new(&server);
        browser.get("/login?rd=/admin").await;
        let reply = browser.post("/login", &[("username", "root"), ("password", PASSWORD), ("rd", "/admin")]).await;
        reply.expect_status(303);
        assert_eq!(reply.header("location"), Some("/account?done=two_step_required"));
        let account = browser.get("/account?done=two_step_required").await;
        let html = account.text();
        assert!(element_text(&html, "notice").unwrap().contains("two-step sign-in"), "{html}");
        assert!(html.contains("id=\"two-step-setup\""));
    }
}
