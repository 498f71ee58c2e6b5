//! Passkeys through the real router and webauthn-rs, with a software
//! authenticator ([`SoftPasskey`]): registration, sign-in without a
//! password, the counter check against clones, and every kind of bad
//! answer refused with a clear 4xx and an audit event.

use serde_json::{Value, json};
use tessera::b64;
use tessera_server::store::{IdentityRecord, UserRecord};

use crate::http_support::{PUBLIC_URL, Reply, Server, Tokens, setup};
use crate::passkey_support::{Context, SoftPasskey};
use crate::store_support::backend_tests;

/// The page the browser is on: the server's own origin.
fn here() -> Context {
    Context::at(PUBLIC_URL)
}

async fn register_start(server: &Server, tokens: &Tokens) -> Value {
    server
        .post("/auth/passkeys/register/start")
        .bearer(&tokens.access)
        .send()
        .await
        .expect(200)
}

async fn register_finish(
    server: &Server,
    tokens: &Tokens,
    start: &Value,
    credential: Value,
) -> Reply {
    server
        .post("/auth/passkeys/register/finish")
        .bearer(&tokens.access)
        .json(json!({ "ceremony_id": start["ceremony_id"], "credential": credential, "name": "Laptop" }))
        .send()
        .await
}

/// Registers a passkey for the holder of `tokens`; the authenticator and
/// the passkey's JSON.
async fn registered(server: &Server, tokens: &Tokens) -> (SoftPasskey, Value) {
    let start = register_start(server, tokens).await;
    let (passkey, credential) = SoftPasskey::register(&start, &here());
    let body = register_finish(server, tokens, &start, credential)
        .await
        .expect(201);
    (passkey, body)
}

async fn login_start(server: &Server) -> Value {
    server
        .post("/auth/passkeys/login/start")
        .send()
        .await
        .expect(200)
}

async fn login_finish(server: &Server, start: &Value, credential: Value) -> Reply {
    server
        .post("/auth/passkeys/login/finish")
        .json(json!({ "ceremony_id": start["ceremony_id"], "credential": credential }))
        .send()
        .await
}

/// A whole passwordless sign-in with `passkey`.
async fn sign_in(server: &Server, passkey: &mut SoftPasskey) -> Reply {
    let start = login_start(server).await;
    let assertion = passkey.sign_in(&start, &here());
    login_finish(server, &start, assertion).await
}

/// Re-encodes the base64url field `field` of `credential.response` after
/// `change` edits its bytes.
fn tamper(credential: &mut Value, field: &str, change: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = b64::decode(credential["response"][field].as_str().unwrap()).unwrap();
    change(&mut bytes);
    credential["response"][field] = Value::String(b64::encode(&bytes));
}

backend_tests! {
    async fn registration_asks_for_a_discoverable_credential_with_user_verification(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let start = register_start(&server, &ada).await;
        let options = &start["publicKey"];
        assert!(start["ceremony_id"].as_str().unwrap().len() >= 43);
        assert_eq!(options["rp"]["id"], "auth.test");
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(options["authenticatorSelection"]["requireResidentKey"], true);
        assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
        assert_eq!(options["timeout"], 300_000);
        let user_handle = b64::decode(options["user"]["id"].as_str().unwrap()).unwrap();
        let me = server.get("/auth/me").bearer(&ada.access).send().await.expect(200);
        assert_eq!(uuid::Uuid::from_slice(&user_handle).unwrap().to_string(), me["id"]);
    }

    async fn a_registered_passkey_signs_in_without_a_password(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let (mut passkey, created) = registered(&server, &ada).await;
        assert_eq!(created["name"], "Laptop");
        assert!(created.get("credential").is_none());

        let start = login_start(&server).await;
        assert_eq!(start["publicKey"]["userVerification"], "required");
        assert_eq!(start["publicKey"]["allowCredentials"], json!([]));
        let assertion = passkey.sign_in(&start, &here());
        let body = login_finish(&server, &start, assertion).await.expect(200);
        let tokens = Tokens::from_body(body);
        let me = server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        assert_eq!(me["username"], "ada");
        let access = crate::http_support::claims(&tokens.access);
        assert_eq!(access["fresh"], true);
        assert_eq!(access["amr"], json!(["swk", "user", "mfa"]));
        // Kept across refreshes, as for every session.
        let rotated = Tokens::from_body(server.refresh(&tokens.refresh).await.expect(200));
        assert_eq!(crate::http_support::claims(&rotated.access)["amr"], json!(["swk", "user", "mfa"]));

        let list = server.get("/auth/passkeys").bearer(&ada.access).send().await.expect(200);
        assert_eq!(list["passkeys"][0]["id"], created["id"]);
        assert!(list["passkeys"][0]["last_used_at"].is_i64());
        let logins = server.audit(&admin, "passkey_login").await;
        assert_eq!(logins.len(), 1);
        assert_eq!(logins[0]["detail"]["passkey"], created["id"]);
        assert_eq!(server.audit(&admin, "passkey_registered").await.len(), 1);
    }

    async fn passkey_sign_in_can_deliver_cookies(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let (mut passkey, _) = registered(&server, &ada).await;
        let start = login_start(&server).await;
        let assertion = passkey.sign_in(&start, &here());
        let reply = server
            .post("/auth/passkeys/login/finish?cookies=true")
            .json(json!({ "ceremony_id": start["ceremony_id"], "credential": assertion }))
            .send()
            .await;
        let body = reply.expect(200);
        assert_eq!(body["token_type"], "cookie");
        assert!(!reply.cookie_value("access_token_cookie").is_empty());
    }

    async fn a_ceremony_started_on_one_instance_finishes_on_another(db) {
        let first = Server::start(&db).await;
        let second = Server::start(&db).await;
        let ada = first.signed_up("ada").await;
        let start = register_start(&first, &ada).await;
        let (mut passkey, credential) = SoftPasskey::register(&start, &here());
        register_finish(&second, &ada, &start, credential).await.expect(201);
        let start = login_start(&second).await;
        let assertion = passkey.sign_in(&start, &here());
        login_finish(&first, &start, assertion).await.expect(200);
    }

    async fn registration_needs_a_fresh_token(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let refreshed = Tokens::from_body(server.refresh(&ada.refresh).await.expect(200));
        let reply = server
            .post("/auth/passkeys/register/start")
            .bearer(&refreshed.access)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 401, "{reply}");
    }

    async fn a_cloned_passkey_is_refused_and_audited(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let (mut original, created) = registered(&server, &ada).await;
        let mut clone = original.clone();
        sign_in(&server, &mut original).await.expect(200);
        sign_in(&server, &mut original).await.expect(200);
        // The clone's counter (1) is behind the stored one (2).
        sign_in(&server, &mut clone).await.expect_error(401, "passkey_counter_regressed");
        let events = server.audit(&admin, "passkey_clone_detected").await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["detail"]["passkey"], created["id"]);
        assert_eq!(events[0]["user_id"], created_user(&server, &ada).await);
        // The original, ahead of both, still signs in.
        sign_in(&server, &mut original).await.expect(200);
        let metrics = server.get("/metrics").send().await.text();
        assert!(metrics.contains("tessera_passkey_clones_total 1"), "{metrics}");
    }

    async fn a_sign_in_ceremony_is_single_use(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let (mut passkey, _) = registered(&server, &ada).await;
        let start = login_start(&server).await;
        let assertion = passkey.sign_in(&start, &here());
        login_finish(&server, &start, assertion.clone()).await.expect(200);
        login_finish(&server, &start, assertion).await.expect_error(400, "ceremony_invalid");
        let failures = server.audit(&admin, "passkey_login_failed").await;
        assert_eq!(failures[0]["detail"]["reason"], "ceremony_invalid");
    }

    async fn a_registration_ceremony_is_single_use_and_its_users_alone(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let bob = server.signed_up("bob").await;
        let start = register_start(&server, &ada).await;
        let (_, credential) = SoftPasskey::register(&start, &here());
        // Bob cannot finish Ada's ceremony; trying spends it.
        register_finish(&server, &bob, &start, credential.clone()).await.expect_error(400, "ceremony_invalid");
        register_finish(&server, &ada, &start, credential).await.expect_error(400, "ceremony_invalid");
    }

    async fn an_expired_ceremony_is_refused(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let (mut passkey, _) = registered(&server, &ada).await;
        let start = login_start(&server).await;
        let assertion = passkey.sign_in(&start, &here());
        server.clock.advance(5 * 60 + 1);
        login_finish(&server, &start, assertion).await.expect_error(400, "ceremony_invalid");
    }

    async fn unknown_and_malformed_ceremony_ids_are_refused(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let (mut passkey, _) = registered(&server, &ada).await;
        let start = login_start(&server).await;
        let assertion = passkey.sign_in(&start, &here());
        for id in ["", "nope", &"x".repeat(5000), "' OR 1=1 --"] {
            let fake = json!({ "ceremony_id": id });
            login_finish(&server, &fake, assertion.clone()).await.expect_error(400, "ceremony_invalid");
        }
        // A registration ceremony is not a sign-in one.
        let registration = register_start(&server, &ada).await;
        login_finish(&server, &registration, assertion).await.expect_error(400, "ceremony_invalid");
    }

    async fn a_page_of_another_origin_cannot_register_or_sign_in(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let elsewhere = Context::at("http://evil.test");
        let start = register_start(&server, &ada).await;
        let (_, credential) = SoftPasskey::register(&start, &elsewhere);
        register_finish(&server, &ada, &start, credential).await.expect_error(400, "passkey_rejected");
        let failed = server.audit(&admin, "passkey_registration_failed").await;
        assert_eq!(failed[0]["detail"]["reason"], "passkey_rejected");

        let (mut passkey, _) = registered(&server, &ada).await;
        let start = login_start(&server).await;
        let assertion = passkey.sign_in(&start, &elsewhere);
        login_finish(&server, &start, assertion).await.expect_error(401, "passkey_rejected");
        let failed = server.audit(&admin, "passkey_login_failed").await;
        assert_eq!(failed[0]["detail"]["reason"], "passkey_rejected");
    }

    async fn a_credential_for_another_relying_party_is_refused(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let other_rp = Context { rp_id: Some("evil.test".to_owned()), ..here() };
        let start = register_start(&server, &ada).await;
        let (_, credential) = SoftPasskey::register(&start, &other_rp);
        register_finish(&server, &ada, &start, credential).await.expect_error(400, "passkey_rejected");

        let (mut passkey, _) = registered(&server, &ada).await;
        let start = login_start(&server).await;
        let assertion = passkey.sign_in(&start, &other_rp);
        login_finish(&server, &start, assertion).await.expect_error(401, "passkey_rejected");
    }

    async fn tampered_client_data_or_authenticator_data_is_refused(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let (mut passkey, _) = registered(&server, &ada).await;

        // Client data naming another challenge (a replayed answer).
        let old = login_start(&server).await;
        let start = login_start(&server).await;
        let mut assertion = passkey.sign_in(&old, &here());
        login_finish(&server, &start, assertion.clone()).await.expect_error(401, "passkey_rejected");

        // Client data edited after signing: the signature no longer holds.
        let start = login_start(&server).await;
        let mut fresh = passkey.sign_in(&start, &here());
        tamper(&mut fresh, "clientDataJSON", |bytes| {
            let text = String::from_utf8(bytes.clone()).unwrap();
            *bytes = text.replace("\"crossOrigin\":false", "\"crossOrigin\":false ").into_bytes();
        });
        login_finish(&server, &start, fresh).await.expect_error(401, "passkey_rejected");

        // Authenticator data edited (a counter pushed forward).
        let start = login_start(&server).await;
        assertion = passkey.sign_in(&start, &here());
        tamper(&mut assertion, "authenticatorData", |bytes| bytes[36] ^= 0x40);
        login_finish(&server, &start, assertion).await.expect_error(401, "passkey_rejected");

        // Registration: attestation with a flipped byte in the RP id hash.
        let start = register_start(&server, &ada).await;
        let (_, mut credential) = SoftPasskey::register(&start, &here());
        tamper(&mut credential, "attestationObject", |bytes| {
            let at = bytes.len() - 164 + 3;
            bytes[at] ^= 0x01;
        });
        register_finish(&server, &ada, &start, credential).await.expect_error(400, "passkey_rejected");

        assert!(server.audit(&admin, "passkey_login_failed").await.len() >= 3);
        // None of it signed anyone in.
        assert!(server.audit(&admin, "passkey_login").await.is_empty());
    }

    async fn an_answer_without_user_verification_is_refused(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let unverified = Context { user_verified: false, ..here() };
        let start = register_start(&server, &ada).await;
        let (_, credential) = SoftPasskey::register(&start, &unverified);
        register_finish(&server, &ada, &start, credential).await.expect_error(400, "passkey_rejected");

        let (mut passkey, _) = registered(&server, &ada).await;
        let start = login_start(&server).await;
        let assertion = passkey.sign_in(&start, &unverified);
        login_finish(&server, &start, assertion).await.expect_error(401, "passkey_rejected");
    }

    async fn malformed_credentials_get_a_clear_4xx(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        for credential in [json!("text"), json!({ "id": 1 }), json!({}), json!([1, 2]), json!(null)] {
            let start = login_start(&server).await;
            login_finish(&server, &start, credential.clone()).await.expect_error(400, "credential_malformed");
            let start = register_start(&server, &ada).await;
            register_finish(&server, &ada, &start, credential).await.expect_error(400, "credential_malformed");
        }
        // Fields that are not base64url.
        let start = login_start(&server).await;
        let garbage = json!({
            "id": "!!", "rawId": "!!", "type": "public-key",
            "response": { "authenticatorData": "%%", "clientDataJSON": "%%", "signature": "%%" },
            "extensions": {},
        });
        login_finish(&server, &start, garbage).await.expect_error(400, "credential_malformed");
        // Not JSON at all, or missing fields.
        server.post("/auth/passkeys/login/finish").body("application/json", "{").send().await.expect_error(400, "bad_request");
        let reply = server.post("/auth/passkeys/login/finish").json(json!({ "ceremony_id": "x" })).send().await;
        assert_eq!(reply.status.as_u16(), 422, "{reply}");
        let reply = server.post("/auth/passkeys/register/finish").bearer(&ada.access).json(json!({})).send().await;
        assert_eq!(reply.status.as_u16(), 422, "{reply}");
    }

    async fn a_credential_nobody_registered_is_refused(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        // Registered to nobody: made against real options, never finished.
        let start = register_start(&server, &ada).await;
        let (mut stranger, _) = SoftPasskey::register(&start, &here());
        sign_in(&server, &mut stranger).await.expect_error(401, "passkey_rejected");
    }

    async fn passkeys_are_listed_renamed_and_deleted_and_a_deleted_one_no_longer_signs_in(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let bob = server.signed_up("bob").await;
        let (mut passkey, created) = registered(&server, &ada).await;
        let id = created["id"].as_str().unwrap();
        let path = format!("/auth/passkeys/{id}");

        server.request(axum::http::Method::PATCH, &path).bearer(&ada.access)
            .json(json!({ "name": "  Work laptop " })).send().await.expect(204);
        let list = server.get("/auth/passkeys").bearer(&ada.access).send().await.expect(200);
        assert_eq!(list["passkeys"][0]["name"], "Work laptop");
        let reply = server.request(axum::http::Method::PATCH, &path).bearer(&ada.access)
            .json(json!({ "name": "" })).send().await;
        assert_eq!(reply.status.as_u16(), 422, "{reply}");

        // Bob sees none of it and can touch none of it.
        let list = server.get("/auth/passkeys").bearer(&bob.access).send().await.expect(200);
        assert_eq!(list["passkeys"], json!([]));
        server.request(axum::http::Method::PATCH, &path).bearer(&bob.access)
            .json(json!({ "name": "mine" })).send().await.expect_error(404, "passkey_not_found");
        server.delete(&path).bearer(&bob.access).send().await.expect_error(404, "passkey_not_found");

        server.delete(&path).bearer(&ada.access).send().await.expect(204);
        server.delete(&path).bearer(&ada.access).send().await.expect_error(404, "passkey_not_found");
        sign_in(&server, &mut passkey).await.expect_error(401, "passkey_rejected");
        assert_eq!(server.audit(&admin, "passkey_renamed").await.len(), 1);
        assert_eq!(server.audit(&admin, "passkey_deleted").await.len(), 1);
    }

    async fn the_last_way_to_sign_in_cannot_be_deleted(db) {
        let server = Server::start(&db).await;
        let passkeys = server.state.passkeys.clone().unwrap();
        // An account with no password (as social sign-in makes them).
        let user = passwordless_user(&server, "cleo").await;
        let mut keys = Vec::new();
        for _ in 0..2 {
            let start = passkeys.start_registration(&user).await.unwrap();
            let (_, credential) = SoftPasskey::register(&start.options, &here());
            keys.push(passkeys.finish_registration(&user, &start.ceremony_id, &credential, None).await.unwrap());
        }
        passkeys.delete(&user, &keys[0].id).await.unwrap();
        let refused = passkeys.delete(&user, &keys[1].id).await.unwrap_err();
        assert_eq!(refused.code(), "last_sign_in_method");
        assert_eq!(passkeys.list(&user).await.unwrap().len(), 1);
    }

    async fn a_provider_identity_can_be_unlinked_while_a_passkey_remains(db) {
        let server = Server::start(&db).await;
        let passkeys = server.state.passkeys.clone().unwrap();
        let user = passwordless_user(&server, "dora").await;
        let now = server.state.auth.now();
        let identity = IdentityRecord {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.clone(),
            provider: "corp".to_owned(),
            issuer: "https://id.example".to_owned(),
            subject: "dora-1".to_owned(),
            email: None,
            created_at: now,
            last_used_at: now,
        };
        server.state.auth.store().insert_identity(&identity).await.unwrap();
        // The identity alone: unlinking it is refused.
        let refused = server.state.auth.unlink_identity(&user, &identity.id).await.unwrap_err();
        assert_eq!(refused.code(), "last_sign_in_method");
        let start = passkeys.start_registration(&user).await.unwrap();
        let (_, credential) = SoftPasskey::register(&start.options, &here());
        let key = passkeys.finish_registration(&user, &start.ceremony_id, &credential, None).await.unwrap();
        // With a passkey it goes; then the passkey is the last way.
        server.state.auth.unlink_identity(&user, &identity.id).await.unwrap();
        assert_eq!(passkeys.delete(&user, &key.id).await.unwrap_err().code(), "last_sign_in_method");
    }

    async fn a_disabled_account_cannot_sign_in_with_a_passkey(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let (mut passkey, _) = registered(&server, &ada).await;
        let id = created_user(&server, &ada).await;
        server.post(&format!("/admin/users/{id}/disable")).bearer(&admin.access).send().await.expect(200);
        sign_in(&server, &mut passkey).await.expect_error(403, "account_disabled");
        let failed = server.audit(&admin, "passkey_login_failed").await;
        assert_eq!(failed[0]["detail"]["reason"], "account_disabled");
    }

    async fn passkey_sign_in_counts_toward_the_per_ip_limit(db) {
        let server = setup().var("TESSERA_IP_MAX_ATTEMPTS", "3").start(&db).await;
        for _ in 0..3 {
            server.post("/auth/passkeys/login/start").send().await.expect(200);
        }
        let reply = server.post("/auth/passkeys/login/start").send().await;
        reply.expect_error(429, "too_many_requests");
    }

    async fn a_server_known_by_its_ip_address_offers_no_passkeys(db) {
        let server = setup().var("TESSERA_PUBLIC_URL", "http://127.0.0.1:8080").start(&db).await;
        server.post("/auth/passkeys/login/start").send().await.expect_error(404, "passkeys_unavailable");
    }
}

/// The user id behind `tokens`.
async fn created_user(server: &Server, tokens: &Tokens) -> String {
    let me = server
        .get("/auth/me")
        .bearer(&tokens.access)
        .send()
        .await
        .expect(200);
    me["id"].as_str().unwrap().to_owned()
}

/// Stores a user without a password; their id.
async fn passwordless_user(server: &Server, name: &str) -> String {
    let now = server.state.auth.now();
    let id = uuid::Uuid::new_v4().to_string();
    server
        .state
        .auth
        .store()
        .insert_user(&UserRecord {
            id: id.clone(),
            username: name.to_owned(),
            username_key: name.to_owned(),
            username_skeleton: Some(name.to_owned()),
            email: None,
            password_hash: None,
            roles: Vec::new(),
            disabled_at: None,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    id
}
