//! A passkey as the second factor after a password: the login asks for it,
//! the passkey step finishes the sign-in with `amr` `["pwd", "swk", "mfa"]`,
//! and it is bound to the user and the `mfa_token` it was started for.
//! Refusals count as wrong codes.

use serde_json::{Value, json};
use tessera::b64;

use crate::http_support::{PASSWORD, PUBLIC_URL, Reply, Server, Tokens, claims};
use crate::mfa_support::{enrolled, mfa_server, mfa_setup, mfa_token, password_step, verify};
use crate::pages_support::{Browser, ExpectStatus};
use crate::passkey_support::{Context, SoftPasskey};
use crate::store_support::backend_tests;

/// The page the browser is on: the server's own origin.
fn here() -> Context {
    Context::at(PUBLIC_URL)
}

/// Registers a passkey with the fresh session `tokens`.
async fn register(server: &Server, tokens: &Tokens) -> SoftPasskey {
    let start = server
        .post("/auth/passkeys/register/start")
        .bearer(&tokens.access)
        .send()
        .await
        .expect(200);
    let (passkey, credential) = SoftPasskey::register(&start, &here());
    server
        .post("/auth/passkeys/register/finish")
        .bearer(&tokens.access)
        .json(json!({ "ceremony_id": start["ceremony_id"], "credential": credential }))
        .send()
        .await
        .expect(201);
    passkey
}

/// A new user `name` with a password and a passkey.
async fn with_passkey(server: &Server, name: &str) -> SoftPasskey {
    let tokens = server.signed_up(name).await;
    register(server, &tokens).await
}

async fn passkey_start(server: &Server, mfa_token: &str) -> Reply {
    server
        .post("/auth/mfa/passkey/start")
        .json(json!({ "mfa_token": mfa_token }))
        .send()
        .await
}

async fn passkey_finish(
    server: &Server,
    mfa_token: &str,
    start: &Value,
    assertion: Value,
) -> Reply {
    server
        .post("/auth/mfa/passkey/finish")
        .json(json!({ "mfa_token": mfa_token, "ceremony_id": start["ceremony_id"], "credential": assertion }))
        .send()
        .await
}

/// The whole passkey step with `passkey` for `mfa_token`.
async fn passkey_step(server: &Server, mfa_token: &str, passkey: &mut SoftPasskey) -> Reply {
    let start = passkey_start(server, mfa_token).await.expect(200);
    let assertion = passkey.sign_in(&start, &here());
    passkey_finish(server, mfa_token, &start, assertion).await
}

/// Flips a bit of the assertion's signature.
fn tampered(mut assertion: Value) -> Value {
    let field = &mut assertion["response"]["signature"];
    let mut bytes = b64::decode(field.as_str().unwrap()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    *field = Value::String(b64::encode(&bytes));
    assertion
}

backend_tests! {
    async fn a_passkey_makes_the_password_login_ask_for_a_second_step(db) {
        let server = mfa_server(&db).await;
        with_passkey(&server, "ada").await;
        let body = password_step(&server, "ada").await;
        assert_eq!(body["mfa_required"], true);
        assert_eq!(body["methods"], json!(["passkey"]));
        assert_eq!(body.get("access_token"), None);

        // An authenticator app and a passkey: every method is offered.
        let bob = enrolled(&server, "bob").await;
        register(&server, &bob.tokens).await;
        let body = password_step(&server, "bob").await;
        assert_eq!(body["methods"], json!(["totp", "recovery_code", "passkey"]));

        // An authenticator app alone: unchanged.
        enrolled(&server, "cyd").await;
        assert_eq!(password_step(&server, "cyd").await["methods"], json!(["totp", "recovery_code"]));
        // Neither: the password signs in.
        server.register("dee").await;
        assert!(password_step(&server, "dee").await["access_token"].is_string());
    }

    async fn the_passkey_step_finishes_the_sign_in_with_amr_pwd_swk_mfa(db) {
        let server = mfa_server(&db).await;
        let root = server.admin("root").await;
        let mut passkey = with_passkey(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        let start = passkey_start(&server, &token).await.expect(200);
        let options = &start["publicKey"];
        assert_eq!(options["userVerification"], "required");
        assert_eq!(options["rpId"], "auth.test");
        assert_eq!(options["allowCredentials"].as_array().unwrap().len(), 1);
        let assertion = passkey.sign_in(&start, &here());
        let body = passkey_finish(&server, &token, &start, assertion).await.expect(200);
        let tokens = Tokens::from_body(body);
        let access = claims(&tokens.access);
        assert_eq!(access["amr"], json!(["pwd", "swk", "mfa"]));
        assert_eq!(access["fresh"], true);
        let me = server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        assert_eq!(me["username"], "ada");

        // The mfa_token is spent, for every kind of second step.
        passkey_start(&server, &token).await.expect_error(401, "invalid_mfa_token");
        finish_is_refused_for_a_spent_token(&server, &token).await;
        verify(&server, json!({ "mfa_token": token, "code": "123456" })).await
            .expect_error(401, "invalid_mfa_token");
        let verified = server.audit(&root, "mfa_verified").await;
        assert_eq!(verified.len(), 1);
        assert_eq!(verified[0]["detail"]["method"], "passkey");
    }

    async fn the_passkey_step_can_deliver_cookies(db) {
        let server = mfa_server(&db).await;
        let mut passkey = with_passkey(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        let start = passkey_start(&server, &token).await.expect(200);
        let assertion = passkey.sign_in(&start, &here());
        let reply = server
            .post("/auth/mfa/passkey/finish?cookies=true")
            .json(json!({ "mfa_token": token, "ceremony_id": start["ceremony_id"], "credential": assertion }))
            .send()
            .await;
        reply.expect(200);
        assert!(!reply.cookie_value("access_token_cookie").is_empty());
    }

    async fn another_users_passkey_is_refused_and_counts_as_a_strike(db) {
        let server = mfa_server(&db).await;
        let root = server.admin("root").await;
        let mut ada = with_passkey(&server, "ada").await;
        let mut bob = with_passkey(&server, "bob").await;
        let token = mfa_token(&server, "ada").await;
        passkey_step(&server, &token, &mut bob).await.expect_error(401, "passkey_rejected");
        let failed = server.audit(&root, "mfa_failed").await;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["detail"]["method"], "passkey");
        assert_eq!(failed[0]["detail"]["reason"], "passkey_rejected");
        assert_eq!(failed[0]["detail"]["failures"], 1);
        // Ada's own passkey still finishes her sign-in.
        let tokens = Tokens::from_body(passkey_step(&server, &token, &mut ada).await.expect(200));
        let me = server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        assert_eq!(me["username"], "ada");
    }

    async fn a_ceremony_belongs_to_its_mfa_token(db) {
        let server = mfa_server(&db).await;
        let mut ada = with_passkey(&server, "ada").await;
        let mut bob = with_passkey(&server, "bob").await;
        // Bob's ceremony, answered by Bob's passkey, sent with Ada's token.
        let ada_token = mfa_token(&server, "ada").await;
        let bob_token = mfa_token(&server, "bob").await;
        let start = passkey_start(&server, &bob_token).await.expect(200);
        let assertion = bob.sign_in(&start, &here());
        passkey_finish(&server, &ada_token, &start, assertion).await.expect_error(400, "ceremony_invalid");
        // Another sign-in of the same user: its token does not fit either.
        let first = mfa_token(&server, "ada").await;
        let second = mfa_token(&server, "ada").await;
        let start = passkey_start(&server, &first).await.expect(200);
        let assertion = ada.sign_in(&start, &here());
        passkey_finish(&server, &second, &start, assertion).await.expect_error(400, "ceremony_invalid");
        // Both tokens still work with their own ceremonies.
        passkey_step(&server, &ada_token, &mut ada).await.expect(200);
        passkey_step(&server, &bob_token, &mut bob).await.expect(200);
    }

    async fn a_ceremony_is_finished_once(db) {
        let server = mfa_server(&db).await;
        let mut ada = with_passkey(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        let start = passkey_start(&server, &token).await.expect(200);
        let assertion = ada.sign_in(&start, &here());
        passkey_finish(&server, &token, &start, assertion.clone()).await.expect(200);
        // The same answer again, with a new sign-in's token.
        let next = mfa_token(&server, "ada").await;
        passkey_finish(&server, &next, &start, assertion).await.expect_error(400, "ceremony_invalid");
        passkey_step(&server, &next, &mut ada).await.expect(200);
    }

    async fn a_tampered_assertion_is_a_strike_and_five_kill_the_token(db) {
        let server = mfa_server(&db).await;
        let root = server.admin("root").await;
        let mut ada = with_passkey(&server, "ada").await;
        let token = mfa_token(&server, "ada").await;
        for _ in 0..5 {
            let start = passkey_start(&server, &token).await.expect(200);
            let assertion = tampered(ada.sign_in(&start, &here()));
            passkey_finish(&server, &token, &start, assertion).await.expect_error(401, "passkey_rejected");
        }
        assert_eq!(server.audit(&root, "mfa_failed").await.len(), 5);
        passkey_start(&server, &token).await.expect_error(401, "invalid_mfa_token");
        // The passkey itself is fine: a new sign-in works.
        let token = mfa_token(&server, "ada").await;
        passkey_step(&server, &token, &mut ada).await.expect(200);
    }

    async fn refused_assertions_count_toward_the_accounts_failed_login_limit(db) {
        let server = mfa_setup().var("TESSERA_LOGIN_MAX_FAILURES", "3").start(&db).await;
        let mut ada = with_passkey(&server, "ada").await;
        // The password step counts until its second factor clears it.
        let token = mfa_token(&server, "ada").await;
        for _ in 0..2 {
            let start = passkey_start(&server, &token).await.expect(200);
            let assertion = tampered(ada.sign_in(&start, &here()));
            passkey_finish(&server, &token, &start, assertion).await.expect_error(401, "passkey_rejected");
        }
        passkey_step(&server, &token, &mut ada).await.expect_error(429, "too_many_requests");
        server.post("/auth/login").json(json!({ "username": "ada", "password": PASSWORD }))
            .send().await.expect_error(429, "too_many_requests");
    }

    async fn a_counter_that_does_not_move_forward_is_refused_as_a_clone(db) {
        let server = mfa_server(&db).await;
        let root = server.admin("root").await;
        let mut ada = with_passkey(&server, "ada").await;
        let mut copy = ada.clone();
        let token = mfa_token(&server, "ada").await;
        passkey_step(&server, &token, &mut ada).await.expect(200);
        let token = mfa_token(&server, "ada").await;
        passkey_step(&server, &token, &mut copy).await.expect_error(401, "passkey_counter_regressed");
        assert_eq!(server.audit(&root, "passkey_clone_detected").await.len(), 1);
        assert_eq!(server.audit(&root, "mfa_failed").await[0]["detail"]["reason"], "passkey_counter_regressed");
    }

    async fn the_required_role_arrives_after_the_passkey_step(db) {
        let server = mfa_setup()
            .settings(|settings| settings.mfa_required_roles = vec!["admin".to_owned()])
            .start(&db)
            .await;
        let root = server.admin("root").await;
        assert_eq!(claims(&root.access)["roles"], json!([]));
        // The limited token can register the passkey.
        let mut passkey = register(&server, &root).await;
        let token = mfa_token(&server, "root").await;
        let body = passkey_step(&server, &token, &mut passkey).await.expect(200);
        assert_eq!(body.get("mfa_enrollment_required"), None);
        let full = Tokens::from_body(body);
        assert_eq!(claims(&full.access)["roles"], json!(["admin"]));
        server.get("/admin/users").bearer(&full.access).send().await.expect(200);
    }

    async fn bad_input_gets_a_clear_4xx(db) {
        let server = mfa_server(&db).await;
        let mut ada = with_passkey(&server, "ada").await;
        passkey_start(&server, "not-a-token").await.expect_error(401, "invalid_mfa_token");
        // No passkey registered: nothing to start.
        enrolled(&server, "bob").await;
        let bob_token = mfa_token(&server, "bob").await;
        passkey_start(&server, &bob_token).await.expect_error(404, "passkey_not_found");
        let token = mfa_token(&server, "ada").await;
        let start = passkey_start(&server, &token).await.expect(200);
        passkey_finish(&server, &token, &start, json!({ "id": 1 })).await
            .expect_error(400, "credential_malformed");
        server.post("/auth/mfa/passkey/finish").json(json!({ "mfa_token": token })).send().await
            .expect_error(422, "validation_failed");
        // Unknown ceremony.
        let assertion = ada.sign_in(&start, &here());
        passkey_finish(&server, &token, &json!({ "ceremony_id": "nope" }), assertion).await
            .expect_error(400, "ceremony_invalid");
    }
}

/// `finish` with a spent `mfa_token` is refused before anything else.
async fn finish_is_refused_for_a_spent_token(server: &Server, token: &str) {
    server
        .post("/auth/mfa/passkey/finish")
        .json(json!({ "mfa_token": token, "ceremony_id": "x", "credential": {} }))
        .send()
        .await
        .expect_error(401, "invalid_mfa_token");
}

backend_tests! {
    async fn the_sign_in_page_sends_a_passkey_only_account_to_its_passkey_button(db) {
        let server = mfa_server(&db).await;
        with_passkey(&server, "ada").await;
        let mut browser = Browser::new(&server);
        let reply = browser.sign_in("ada", PASSWORD).await;
        reply.expect_status(401);
        let html = reply.text();
        assert!(html.contains("This account signs in with a passkey."), "{html}");
        assert!(!html.contains("Enter the code from your authenticator app"), "{html}");
        assert!(!browser.has("access_token_cookie"));
    }
}
