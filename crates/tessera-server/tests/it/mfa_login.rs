//! The second step of sign-in: the mfa_token, codes accepted once, the
//! drift window, recovery codes, five strikes, expiry,
//! and the account's failed-login limit. The portal's second step is in
//! `pages_mfa`.

use serde_json::json;
use tessera::Clock as _;

use crate::http_support::{Tokens, claims};
use crate::mfa_support::{
    enrolled, mfa_server, mfa_setup, mfa_token, password_step, python_totp, verify,
};
use crate::store_support::backend_tests;

backend_tests! {
    async fn a_password_alone_gets_a_challenge_and_no_tokens(db) {
        let server = mfa_server(&db).await;
        enrolled(&server, "ada").await;
        let body = password_step(&server, "ada").await;
        assert_eq!(body["mfa_required"], true);
        assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
        assert_eq!(body["expires_in"], 300);
        assert!(body["mfa_token"].as_str().unwrap().len() >= 43);
        assert_eq!(body.get("access_token"), None);
        assert_eq!(body.get("refresh_token"), None);
        // Only the token's fingerprint is stored.
        let token = body["mfa_token"].as_str().unwrap();
        let stored = server.state.auth.store().challenge(token, server.clock.now()).await.unwrap();
        assert_eq!(stored, None);
    }

    async fn a_code_completes_the_sign_in_with_amr_pwd_otp_mfa(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        let body = verify(&server, json!({ "mfa_token": token, "code": ada.code(&server) })).await.expect(200);
        let tokens = Tokens::from_body(body);
        let access = claims(&tokens.access);
        assert_eq!(access["amr"], json!(["pwd", "otp", "mfa"]));
        assert_eq!(access["fresh"], true);
        server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        // Kept across refreshes.
        let rotated = Tokens::from_body(server.refresh(&tokens.refresh).await.expect(200));
        assert_eq!(claims(&rotated.access)["amr"], json!(["pwd", "otp", "mfa"]));
        // The token is single use.
        server.clock.advance(30);
        verify(&server, json!({ "mfa_token": token, "code": ada.code(&server) })).await
            .expect_error(401, "invalid_mfa_token");
        let admin = server.admin("root").await;
        assert_eq!(server.audit(&admin, "mfa_verified").await[0]["detail"]["method"], "totp");
        assert_eq!(server.audit(&admin, "mfa_challenged").await.len(), 1);
    }

    async fn the_same_code_is_refused_the_second_time_and_the_replay_is_audited(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let code = ada.code(&server);
        let first = mfa_token(&server, "ada").await;
        verify(&server, json!({ "mfa_token": first, "code": code })).await.expect(200);
        let second = mfa_token(&server, "ada").await;
        verify(&server, json!({ "mfa_token": second, "code": code })).await
            .expect_error(401, "invalid_mfa_code");
        let admin = server.admin("root").await;
        let failed = server.audit(&admin, "mfa_failed").await;
        assert_eq!(failed[0]["detail"]["reason"], "replayed_code");
        // The next step's code works.
        server.clock.advance(30);
        verify(&server, json!({ "mfa_token": second, "code": ada.code(&server) })).await.expect(200);
    }

    async fn a_code_one_step_old_is_accepted_two_steps_old_is_not(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        // Well past the confirming code's step, which stays used.
        server.clock.advance(300);
        let now = server.clock.now();
        let token = mfa_token(&server, "ada").await;
        verify(&server, json!({ "mfa_token": token, "code": python_totp(&ada.secret, now - 60) })).await
            .expect_error(401, "invalid_mfa_code");
        verify(&server, json!({ "mfa_token": token, "code": python_totp(&ada.secret, now - 30) })).await
            .expect(200);
    }

    async fn a_recovery_code_works_once(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let code = ada.recovery_codes[3].to_uppercase();
        let token = mfa_token(&server, "ada").await;
        let body = verify(&server, json!({ "mfa_token": token, "recovery_code": code })).await.expect(200);
        assert_eq!(claims(body["access_token"].as_str().unwrap())["amr"], json!(["pwd", "otp", "mfa"]));
        let again = mfa_token(&server, "ada").await;
        verify(&server, json!({ "mfa_token": again, "recovery_code": code })).await
            .expect_error(401, "invalid_mfa_code");
        let status = server.get("/auth/mfa").bearer(body["access_token"].as_str().unwrap()).send().await.expect(200);
        assert_eq!(status["recovery_codes_left"], 9);
    }

    async fn five_wrong_codes_kill_the_mfa_token(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        for _ in 0..5 {
            verify(&server, json!({ "mfa_token": token, "code": "000000" })).await
                .expect_error(401, "invalid_mfa_code");
        }
        verify(&server, json!({ "mfa_token": token, "code": ada.code(&server) })).await
            .expect_error(401, "invalid_mfa_token");
        // A new password step gets a new token, and the right code works.
        let fresh = mfa_token(&server, "ada").await;
        verify(&server, json!({ "mfa_token": fresh, "code": ada.code(&server) })).await.expect(200);
    }

    async fn the_mfa_token_lives_five_minutes(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        server.clock.advance(301);
        verify(&server, json!({ "mfa_token": token, "code": ada.code(&server) })).await
            .expect_error(401, "invalid_mfa_token");
    }

    async fn wrong_codes_count_toward_the_accounts_failed_login_limit(db) {
        let server = mfa_setup().var("TESSERA_LOGIN_MAX_FAILURES", "3").start(&db).await;
        let ada = enrolled(&server, "ada").await;
        // The password step counts until its second factor clears it.
        let token = mfa_token(&server, "ada").await;
        for _ in 0..2 {
            verify(&server, json!({ "mfa_token": token, "code": "000000" })).await
                .expect_error(401, "invalid_mfa_code");
        }
        verify(&server, json!({ "mfa_token": token, "code": ada.code(&server) })).await
            .expect_error(429, "too_many_requests");
        server.post("/auth/login").json(json!({ "username": "ada", "password": crate::http_support::PASSWORD }))
            .send().await.expect_error(429, "too_many_requests");
    }

    async fn verify_delivers_cookies_when_asked(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        let reply = server.post("/auth/mfa/verify?cookies=true")
            .json(json!({ "mfa_token": token, "code": ada.code(&server) })).send().await;
        let body = reply.expect(200);
        assert_eq!(body["token_type"], "cookie");
        let access = reply.cookie_value("access_token_cookie");
        assert_eq!(claims(&access)["amr"], json!(["pwd", "otp", "mfa"]));
        reply.set_cookie("refresh_token_cookie");
    }

    async fn a_caller_that_cannot_take_a_second_step_is_refused(db) {
        let server = mfa_server(&db).await;
        enrolled(&server, "ada").await;
        let outcome = server.state.auth
            .login("ada", &tessera_server::domain::Password::new(crate::http_support::PASSWORD), Default::default())
            .await;
        assert!(matches!(outcome, Err(tessera_server::domain::AccountError::SecondFactorRequired)), "{outcome:?}");
    }

    async fn a_password_change_voids_pending_challenges(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        server.post("/auth/password").bearer(&ada.tokens.access)
            .json(json!({ "current_password": crate::http_support::PASSWORD, "new_password": "quiet-heron-lantern" }))
            .send().await.expect(200);
        verify(&server, json!({ "mfa_token": token, "code": ada.code(&server) })).await
            .expect_error(401, "invalid_mfa_token");
    }
}
