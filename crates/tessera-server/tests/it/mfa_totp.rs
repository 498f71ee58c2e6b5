//! Enrolling, confirming, turning off and resetting TOTP, recovery codes,
//! and bad input on each endpoint.

use serde_json::json;
use tessera::Clock as _;

use crate::http_support::{Tokens, assert_error_shape, setup};
use crate::mfa_support::{enrolled, mfa_server, python_totp, start_enrolment};
use crate::store_support::backend_tests;

backend_tests! {
    async fn enrolment_gives_a_secret_its_otpauth_uri_and_an_svg_qr_code(db) {
        let server = mfa_server(&db).await;
        let ada = server.signed_up("ada").await;
        let body = start_enrolment(&server, &ada).await;
        let secret = body["secret"].as_str().unwrap();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let uri = body["otpauth_uri"].as_str().unwrap();
        assert_eq!(
            uri,
            format!("otpauth://totp/Tessera:ada?secret={secret}&issuer=Tessera&algorithm=SHA1&digits=6&period=30")
        );
        assert!(body["qr_svg"].as_str().unwrap().starts_with("<?xml"), "{body}");
        // Pending until confirmed: sign-in is still password only.
        let login = server.post("/auth/login").json(json!({"username": "ada", "password": crate::http_support::PASSWORD})).send().await.expect(200);
        assert!(login["access_token"].is_string());
        // The secret is sealed at rest, not stored as the app sees it.
        let user = claims_sub(&ada);
        let row = server.state.auth.store().totp(&user).await.unwrap().unwrap();
        assert!(!row.secret.contains(secret));
        assert_eq!(row.confirmed_at, None);
    }

    async fn enrolment_needs_a_fresh_token(db) {
        let server = mfa_server(&db).await;
        let ada = server.signed_up("ada").await;
        let refreshed = Tokens::from_body(server.refresh(&ada.refresh).await.expect(200));
        server.post("/auth/mfa/totp").bearer(&refreshed.access).send().await
            .expect_error(401, "fresh_token_required");
        server.post("/auth/mfa/totp").send().await.expect_error(401, "missing_token");
    }

    async fn a_code_from_an_independent_implementation_confirms_and_gives_ten_recovery_codes(db) {
        let server = mfa_server(&db).await;
        let ada = server.signed_up("ada").await;
        let secret = start_enrolment(&server, &ada).await["secret"].as_str().unwrap().to_owned();
        let body = server.post("/auth/mfa/totp/confirm").bearer(&ada.access)
            .json(json!({ "code": python_totp(&secret, server.clock.now()) }))
            .send().await.expect(200);
        assert_eq!(body["enabled"], true);
        let codes = body["recovery_codes"].as_array().unwrap();
        assert_eq!(codes.len(), 10);
        let status = server.get("/auth/mfa").bearer(&ada.access).send().await.expect(200);
        assert_eq!(status, json!({ "totp": true, "recovery_codes_left": 10 }));
        // Enrolling again is a conflict, not a silent replacement.
        server.post("/auth/mfa/totp").bearer(&ada.access).send().await
            .expect_error(409, "mfa_already_enabled");
        let admin = server.admin("root").await;
        assert_eq!(server.audit(&admin, "mfa_enabled").await.len(), 1);
        assert_eq!(server.audit(&admin, "mfa_enrolment_started").await.len(), 1);
    }

    async fn a_wrong_code_does_not_confirm(db) {
        let server = mfa_server(&db).await;
        let ada = server.signed_up("ada").await;
        let secret = start_enrolment(&server, &ada).await["secret"].as_str().unwrap().to_owned();
        let stale = python_totp(&secret, server.clock.now() - 90);
        server.post("/auth/mfa/totp/confirm").bearer(&ada.access).json(json!({ "code": stale }))
            .send().await.expect_error(401, "invalid_mfa_code");
        let status = server.get("/auth/mfa").bearer(&ada.access).send().await.expect(200);
        assert_eq!(status["totp"], false);
    }

    async fn confirming_without_an_enrolment_is_a_conflict(db) {
        let server = mfa_server(&db).await;
        let ada = server.signed_up("ada").await;
        server.post("/auth/mfa/totp/confirm").bearer(&ada.access).json(json!({ "code": "123456" }))
            .send().await.expect_error(409, "mfa_enrolment_not_started");
    }

    async fn disabling_needs_a_current_code_and_then_the_password_is_enough(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        server.delete("/auth/mfa/totp").bearer(&ada.tokens.access).json(json!({ "code": "000000" }))
            .send().await.expect_error(401, "invalid_mfa_code");
        server.delete("/auth/mfa/totp").bearer(&ada.tokens.access).json(json!({ "code": ada.code(&server) }))
            .send().await.expect(200);
        let login = server.login("ada").await;
        assert!(!login.access.is_empty());
        server.delete("/auth/mfa/totp").bearer(&login.access).json(json!({ "code": "123456" }))
            .send().await.expect_error(409, "mfa_not_enabled");
        let admin = server.admin("root").await;
        assert_eq!(server.audit(&admin, "mfa_disabled").await.len(), 1);
        let refused = server.audit(&admin, "mfa_failed").await;
        assert_eq!(refused[0]["detail"]["during"], "disable");
    }

    async fn regenerating_recovery_codes_needs_a_code_and_voids_the_old_ones(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        server.post("/auth/mfa/recovery-codes").bearer(&ada.tokens.access).json(json!({ "code": "12345" }))
            .send().await.expect_error(401, "invalid_mfa_code");
        let body = server.post("/auth/mfa/recovery-codes").bearer(&ada.tokens.access)
            .json(json!({ "code": ada.code(&server) })).send().await.expect(200);
        let fresh = body["recovery_codes"].as_array().unwrap();
        assert_eq!(fresh.len(), 10);
        assert!(fresh.iter().all(|code| !ada.recovery_codes.contains(&code.as_str().unwrap().to_owned())));
        let token = crate::mfa_support::mfa_token(&server, "ada").await;
        crate::mfa_support::verify(&server, json!({ "mfa_token": token, "recovery_code": ada.recovery_codes[0] }))
            .await.expect_error(401, "invalid_mfa_code");
        crate::mfa_support::verify(&server, json!({ "mfa_token": token, "recovery_code": fresh[0] }))
            .await.expect(200);
        let admin = server.admin("root").await;
        assert_eq!(server.audit(&admin, "mfa_recovery_codes_regenerated").await.len(), 1);
    }

    async fn an_admin_reset_removes_the_second_factor_and_is_audited(db) {
        let server = mfa_server(&db).await;
        let ada = enrolled(&server, "ada").await;
        let admin = server.admin("root").await;
        let id = claims_sub(&ada.tokens);
        server.post(&format!("/admin/users/{id}/mfa/reset")).bearer(&ada.tokens.access).send().await
            .expect_error(403, "insufficient_role");
        let body = server.post(&format!("/admin/users/{id}/mfa/reset")).bearer(&admin.access).send().await.expect(200);
        assert_eq!(body["had_totp"], true);
        assert!(server.login("ada").await.body["access_token"].is_string());
        let events = server.audit(&admin, "mfa_reset").await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["detail"]["by"], claims_sub(&admin));
        server.post("/admin/users/no-such-user/mfa/reset").bearer(&admin.access).send().await
            .expect_error(404, "user_not_found");
    }

    async fn without_an_encryption_key_enrolment_is_503_not_500(db) {
        let server = setup().start(&db).await;
        let ada = server.signed_up("ada").await;
        server.post("/auth/mfa/totp").bearer(&ada.access).send().await
            .expect_error(503, "mfa_unavailable");
    }

    async fn bad_input_on_every_endpoint_is_a_4xx_json_error(db) {
        let server = mfa_server(&db).await;
        let ada = server.signed_up("ada").await;
        let cases: [(&str, &str, Option<&str>); 12] = [
            ("POST", "/auth/mfa/totp/confirm", Some("{}")),
            ("POST", "/auth/mfa/totp/confirm", Some("{\"code\": 123456}")),
            ("POST", "/auth/mfa/totp/confirm", Some("not json")),
            ("POST", "/auth/mfa/totp/confirm", Some("{\"code\": \"123456\", \"extra\": 1}")),
            ("DELETE", "/auth/mfa/totp", Some("[]")),
            ("POST", "/auth/mfa/recovery-codes", Some("{\"code\": null}")),
            ("POST", "/auth/mfa/verify", Some("{}")),
            ("POST", "/auth/mfa/verify", Some("{\"mfa_token\": \"x\"}")),
            ("POST", "/auth/mfa/verify", Some("{\"mfa_token\": \"x\", \"code\": \"1\", \"recovery_code\": \"2\"}")),
            ("POST", "/auth/mfa/verify", Some("{\"mfa_token\": \"x\", \"code\": \"123456\"}")),
            ("POST", "/auth/mfa/verify", Some("{\"mfa_token\": \"x\", \"code\": \"\u{0}\u{202e}\"}")),
            ("POST", "/admin/users/x/mfa/reset", None),
        ];
        for (method, path, body) in cases {
            let call = server.request(method.parse().unwrap(), path).bearer(&ada.access);
            let call = match body {
                Some(body) => call.body("application/json", body.to_owned()),
                None => call,
            };
            let reply = call.send().await;
            assert!(reply.status.is_client_error(), "{method} {path} {body:?}: {reply}");
            assert_error_shape(&reply.json());
        }
        // Malformed codes after a real challenge are wrong codes, not errors.
        let enrolled = crate::mfa_support::enrol_with(&server, server.login("ada").await).await;
        let token = crate::mfa_support::mfa_token(&server, "ada").await;
        for code in ["", "abcdef", "1234567", "１２３４５６", &"9".repeat(10_000)] {
            crate::mfa_support::verify(&server, json!({ "mfa_token": token, "code": code }))
                .await.expect_error(401, "invalid_mfa_code");
        }
        assert!(!enrolled.secret.is_empty());
    }
}

fn claims_sub(tokens: &Tokens) -> String {
    crate::http_support::claims(&tokens.access)["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}
