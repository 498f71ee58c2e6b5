//! Social sign-in against a real OpenID provider (tests/oidc-provider): the
//! browser flow, native id_tokens, linking, and every refusal of the spec's
//! sections 3 and 6. The provider redirects to `PUBLIC_URL`, which is not
//! reachable: the browser stops there and the test hands the callback (with
//! the flow cookie) to the in-process router.

use axum::http::Method;
use base64::Engine as _;
use serde_json::{Value, json};
use tessera::{Clock, ManualClock, SystemClock};

use crate::http_support::{PASSWORD, PUBLIC_URL, Reply, Server, Tokens, setup};
use crate::oidc_support::{
    Browser, OidcClient, OidcProvider, PROVIDER_PASSWORD, ProviderOptions, account, fetch,
    form_body, query_param,
};
use crate::store_support::{Kind, TestDb, backend_tests, run};

const CLIENT_ID: &str = "tessera-web";
const CLIENT_SECRET: &str = "client-secret-for-social-tests";
pub const RETURN_TO: &str = "http://auth.test/app";
pub const FLOW_COOKIE: &str = "tessera_oauth_flow";

fn callback_url() -> String {
    format!("{PUBLIC_URL}/auth/oauth/corp/callback")
}

/// A Tessera server with provider `corp`, the provider, and a browser.
struct Social {
    server: Server,
    provider: OidcProvider,
    browser: Browser,
}

/// A flow started at Tessera: the provider URL and the flow cookie.
struct Started {
    url: String,
    cookie: String,
}

async fn social(db: &TestDb, alg: &str) -> Option<Social> {
    social_with(db, ProviderOptions::new(), alg).await
}

async fn social_with(db: &TestDb, options: ProviderOptions, alg: &str) -> Option<Social> {
    social_with_vars(db, options, alg, &[]).await
}

async fn social_with_vars(
    db: &TestDb,
    options: ProviderOptions,
    alg: &str,
    vars: &[(&str, &str)],
) -> Option<Social> {
    let client = OidcClient::new(CLIENT_ID, CLIENT_SECRET, &callback_url()).id_token_alg(alg);
    let provider = OidcProvider::start(options.client(client)).await?;
    let mut setup = setup();
    for (name, value) in vars {
        setup = setup.var(name, *value);
    }
    let server = setup
        .var("TESSERA_OIDC_PROVIDERS", "corp")
        .var("TESSERA_OIDC_CORP_ISSUER", provider.issuer())
        .var("TESSERA_OIDC_CORP_CLIENT_ID", CLIENT_ID)
        .var("TESSERA_OIDC_CORP_CLIENT_SECRET", CLIENT_SECRET)
        .var("TESSERA_OIDC_CORP_LABEL", "Corp")
        .var("TESSERA_OIDC_ALLOW_LOOPBACK_HTTP", "true")
        .start_with_clock(db, ManualClock::new(SystemClock.now()))
        .await;
    Some(Social {
        server,
        provider,
        browser: Browser::new(),
    })
}

impl Social {
    async fn start(&self) -> Started {
        let reply = self
            .server
            .get(&format!("/auth/oauth/corp/start?return_to={RETURN_TO}"))
            .send()
            .await;
        reply.expect(302);
        let cookie = reply.set_cookie(FLOW_COOKIE);
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        Started {
            url: reply.header("location").unwrap().to_owned(),
            cookie: format!("{FLOW_COOKIE}={}", reply.cookie_value(FLOW_COOKIE)),
        }
    }

    /// Signs `user` in at the provider; the callback path Tessera gets.
    async fn authorize(&mut self, url: &str, user: &str) -> String {
        let page = self
            .browser
            .sign_in(url, user, PROVIDER_PASSWORD, Some(PUBLIC_URL))
            .await;
        let location = page.location().unwrap_or_else(|| panic!("{page:#?}"));
        location.strip_prefix(PUBLIC_URL).unwrap().to_owned()
    }

    async fn callback(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut call = self.server.get(path);
        if let Some(cookie) = cookie {
            call = call.header("cookie", cookie);
        }
        call.send().await
    }

    /// The whole browser flow for `user`; Tessera's last answer.
    async fn sign_in(&mut self, user: &str) -> Reply {
        let started = self.start().await;
        let path = self.authorize(&started.url, user).await;
        self.callback(&path, Some(&started.cookie)).await
    }

    /// A browser sign-in whose id_token the provider spoils with `behaviour`.
    async fn sign_in_misbehaving(&mut self, behaviour: Value) -> Reply {
        self.provider.misbehave(behaviour).await;
        self.sign_in("ada").await
    }

    /// An id_token for our client from the provider, as a native SDK gets it.
    async fn native_id_token(&mut self, nonce: Option<&str>) -> String {
        let discovery = self.provider.discovery().await;
        let verifier = "a-pkce-verifier-of-enough-length-for-rfc-7636-xyz".to_owned();
        let challenge = tessera::b64::encode(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref(),
        );
        let callback = callback_url();
        let mut fields = vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", callback.as_str()),
            ("scope", "openid email profile"),
            ("state", "native-state"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if let Some(nonce) = nonce {
            fields.push(("nonce", nonce));
        }
        let url = format!(
            "{}?{}",
            discovery["authorization_endpoint"].as_str().unwrap(),
            String::from_utf8(form_body(&fields)).unwrap()
        );
        let path = self.authorize(&url, "ada").await;
        let code = query_param(&path, "code").unwrap();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        let answer = fetch(
            Method::POST,
            discovery["token_endpoint"].as_str().unwrap(),
            &[
                ("authorization", &format!("Basic {basic}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form_body(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &callback),
                ("code_verifier", &verifier),
            ]),
        )
        .await
        .expect_json(200);
        answer["id_token"].as_str().unwrap().to_owned()
    }

    async fn native(&self, body: Value) -> Reply {
        self.server
            .post("/auth/oauth/corp/id-token")
            .json(body)
            .send()
            .await
    }
}

/// The access cookie a sign-in set, as a `Cookie` header value.
pub fn session_cookies(reply: &Reply) -> String {
    ["access_token_cookie", "refresh_token_cookie"]
        .iter()
        .map(|name| format!("{name}={}", reply.cookie_value(name)))
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn me_by_cookie(server: &Server, reply: &Reply) -> Value {
    server
        .get("/auth/me")
        .header("cookie", &session_cookies(reply))
        .send()
        .await
        .expect(200)
}

/// Asserts a redirect to `return_to` with `?error=code` and no session.
#[track_caller]
pub fn assert_error_redirect(reply: &Reply, code: &str) {
    reply.expect(302);
    assert_eq!(
        reply.header("location"),
        Some(format!("{RETURN_TO}?error={code}").as_str()),
        "{reply}"
    );
    assert!(
        !reply
            .set_cookies()
            .iter()
            .any(|cookie| cookie.starts_with("access_token_cookie=")),
        "{reply}"
    );
}

async fn users(server: &Server) -> i64 {
    server.state.auth.store().count_users().await.unwrap()
}

/// Runs `test` on SQLite only (the provider tests start a Node process each;
/// the store paths they reach are covered on both backends below).
macro_rules! sqlite_tests {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                run(Kind::Sqlite, |$db| async move $body).await;
            }
        )*
    };
}

// ------------------------------------------------------------ configuration

sqlite_tests! {
    async fn providers_lists_only_the_configured_ones(db) {
        let server = Server::start(&db).await;
        let body = server.get("/auth/providers").send().await.expect(200);
        assert_eq!(body, json!({ "providers": [] }));
        let server = setup()
            .var("TESSERA_OIDC_PROVIDERS", "corp")
            .var("TESSERA_OIDC_CORP_ISSUER", "https://id.corp.example")
            .var("TESSERA_OIDC_CORP_CLIENT_ID", "id")
            .var("TESSERA_OIDC_CORP_CLIENT_SECRET", "secret")
            .var("TESSERA_OIDC_CORP_LABEL", "Corporate")
            .start(&db)
            .await;
        let body = server.get("/auth/providers").send().await.expect(200);
        assert_eq!(body, json!({ "providers": [{ "id": "corp", "name": "Corporate" }] }));
        server
            .get("/auth/oauth/google/start?return_to=http://auth.test/")
            .send()
            .await
            .expect_error(404, "unknown_provider");
    }

    async fn a_return_to_off_the_allowlist_is_a_400_never_a_redirect(db) {
        let server = setup()
            .var("TESSERA_OIDC_PROVIDERS", "corp")
            .var("TESSERA_OIDC_CORP_ISSUER", "https://id.corp.example")
            .var("TESSERA_OIDC_CORP_CLIENT_ID", "id")
            .var("TESSERA_OIDC_CORP_CLIENT_SECRET", "secret")
            .start(&db)
            .await;
        for query in [
            "?return_to=https://evil.example/",
            "?return_to=http://auth.test.evil.example/",
            "?return_to=//evil.example/",
            "",
        ] {
            let reply = server.get(&format!("/auth/oauth/corp/start{query}")).send().await;
            reply.expect_error(400, "invalid_return_to");
            assert!(reply.header("location").is_none());
        }
    }
}

// ------------------------------------------------------------ browser flow

backend_tests! {
    async fn a_first_browser_sign_in_creates_a_passwordless_user_and_sets_session_cookies(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let before = users(&social.server).await;
        let reply = social.sign_in("ada").await;
        reply.expect(302);
        let location = reply.header("location").unwrap();
        assert_eq!(location, RETURN_TO);
        for name in ["access_token_cookie", "refresh_token_cookie", "csrf_access_token"] {
            reply.set_cookie(name);
        }
        assert!(reply.set_cookie(FLOW_COOKIE).contains("Max-Age=0"));
        let me = me_by_cookie(&social.server, &reply).await;
        assert_eq!(me["username"], "Ada.Lovelace");
        assert_eq!(users(&social.server).await, before + 1);

        // Its identity is keyed by the provider's subject, not the e-mail.
        let tokens = Tokens {
            access: reply.cookie_value("access_token_cookie"),
            refresh: reply.cookie_value("refresh_token_cookie"),
            body: Value::Null,
        };
        let listed = social.server.get("/auth/identities").bearer(&tokens.access).send().await.expect(200);
        let identity = &listed["identities"][0];
        assert_eq!(identity["provider"], "corp");
        assert_eq!(identity["issuer"], social.provider.issuer());
        assert_eq!(identity["subject"], account("ada").sub);

        // A password login with the new account fails like a wrong password.
        social.server
            .post("/auth/login")
            .json(json!({ "username": "Ada.Lovelace", "password": PASSWORD }))
            .send()
            .await
            .expect_error(401, "invalid_credentials");

        // Signing in again finds the same user.
        let again = social.sign_in("ada").await;
        assert_eq!(me_by_cookie(&social.server, &again).await["id"], me["id"]);
        assert_eq!(users(&social.server).await, before + 1);
    }

    async fn a_local_account_with_the_same_email_is_never_linked_automatically(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        social.server
            .post("/auth/register")
            .json(json!({ "username": "ada", "password": PASSWORD, "email": account("ada").email }))
            .send()
            .await
            .expect(201);
        let local = social.server.login("ada").await;
        let reply = social.sign_in("ada").await;
        let me = me_by_cookie(&social.server, &reply).await;
        assert_ne!(me["username"], "ada");
        let listed = social.server.get("/auth/identities").bearer(&local.access).send().await.expect(200);
        assert_eq!(listed["identities"], json!([]));
    }

    async fn a_replayed_state_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let started = social.start().await;
        let path = social.authorize(&started.url, "ada").await;
        social.callback(&path, Some(&started.cookie)).await.expect(302);
        let replay = social.callback(&path, Some(&started.cookie)).await;
        replay.expect_error(400, "invalid_state");
        assert!(replay.header("location").is_none());
    }

    async fn linking_attaches_the_identity_and_unlinking_keeps_a_way_to_sign_in(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let local = social.server.signed_up("grace_h").await;
        let reply = social.server
            .post(&format!("/auth/oauth/corp/link?return_to={RETURN_TO}"))
            .bearer(&local.access)
            .send()
            .await;
        let url = reply.expect(200)["authorization_url"].as_str().unwrap().to_owned();
        let cookie = format!("{FLOW_COOKIE}={}", reply.cookie_value(FLOW_COOKIE));
        let path = social.authorize(&url, "grace").await;
        let linked = social.callback(&path, Some(&cookie)).await;
        linked.expect(302);
        assert_eq!(linked.header("location"), Some(RETURN_TO));
        let listed = social.server.get("/auth/identities").bearer(&local.access).send().await.expect(200);
        let id = listed["identities"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(listed["identities"][0]["subject"], account("grace").sub);

        // Signing in with it now reaches the local account.
        let signed_in = social.sign_in("grace").await;
        assert_eq!(me_by_cookie(&social.server, &signed_in).await["username"], "grace_h");

        // The local account has a password: unlinking is allowed.
        social.server.delete(&format!("/auth/identities/{id}")).bearer(&local.access).send().await.expect(204);
        social.server
            .delete(&format!("/auth/identities/{id}"))
            .bearer(&local.access)
            .send()
            .await
            .expect_error(404, "identity_not_found");
    }

    async fn the_last_way_to_sign_in_cannot_be_unlinked(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in("ada").await;
        let access = reply.cookie_value("access_token_cookie");
        let listed = social.server.get("/auth/identities").bearer(&access).send().await.expect(200);
        let id = listed["identities"][0]["id"].as_str().unwrap().to_owned();
        social.server
            .delete(&format!("/auth/identities/{id}"))
            .bearer(&access)
            .send()
            .await
            .expect_error(409, "last_sign_in_method");
    }
}

sqlite_tests! {
    async fn an_rs256_provider_signs_in_too(db) {
        let Some(mut social) = social(&db, "RS256").await else { return };
        let reply = social.sign_in("grace").await;
        reply.expect(302);
        assert_eq!(me_by_cookie(&social.server, &reply).await["username"], "Grace.Hopper");
    }

    async fn a_key_rotation_at_the_provider_is_followed(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        social.sign_in("ada").await.expect(302);
        social.provider.rotate_key(false).await;
        // Past the refetch interval for unknown kids (10 s).
        social.server.clock.advance(11);
        let reply = social.sign_in("ada").await;
        reply.expect(302);
        assert_eq!(reply.header("location"), Some(RETURN_TO));
    }

    async fn a_denial_at_the_provider_returns_with_the_error_and_signs_nobody_in(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let before = users(&social.server).await;
        let started = social.start().await;
        let page = social.browser.cancel_login(&started.url, Some(PUBLIC_URL)).await;
        let path = page.location().unwrap().strip_prefix(PUBLIC_URL).unwrap().to_owned();
        let reply = social.callback(&path, Some(&started.cookie)).await;
        assert_error_redirect(&reply, "access_denied");
        assert_eq!(users(&social.server).await, before);
    }

    async fn a_callback_without_state_or_without_the_cookie_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let started = social.start().await;
        let path = social.authorize(&started.url, "ada").await;
        let code = query_param(&path, "code").unwrap();
        social
            .callback(&format!("/auth/oauth/corp/callback?code={code}"), Some(&started.cookie))
            .await
            .expect_error(400, "invalid_state");
        social.callback(&path, None).await.expect_error(400, "invalid_state");
    }

    async fn a_callback_from_another_browser_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let mine = social.start().await;
        let other = social.start().await;
        let path = social.authorize(&mine.url, "ada").await;
        social.callback(&path, Some(&other.cookie)).await.expect_error(400, "invalid_state");
    }

    async fn a_state_older_than_ten_minutes_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let started = social.start().await;
        let path = social.authorize(&started.url, "ada").await;
        social.server.clock.advance(601);
        social.callback(&path, Some(&started.cookie)).await.expect_error(400, "invalid_state");
    }

    async fn a_replayed_code_is_refused_by_the_provider(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let first = social.start().await;
        let path = social.authorize(&first.url, "ada").await;
        social.callback(&path, Some(&first.cookie)).await.expect(302);
        // The used code again, in a new flow of this browser.
        let second = social.start().await;
        let state = query_param(&second.url, "state").unwrap();
        let code = query_param(&path, "code").unwrap();
        let iss = query_param(&path, "iss").unwrap();
        let replay = format!(
            "/auth/oauth/corp/callback?{}",
            String::from_utf8(form_body(&[("code", &code), ("state", &state), ("iss", &iss)])).unwrap()
        );
        assert_error_redirect(&social.callback(&replay, Some(&second.cookie)).await, "invalid_grant");
    }

    async fn a_code_exchanged_with_another_flows_verifier_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let first = social.start().await;
        let second = social.start().await;
        // The first flow's code (its challenge), with the second flow's state
        // and so the second flow's verifier.
        let path = social.authorize(&first.url, "ada").await;
        let code = query_param(&path, "code").unwrap();
        let iss = query_param(&path, "iss").unwrap();
        let state = query_param(&second.url, "state").unwrap();
        let swapped = format!(
            "/auth/oauth/corp/callback?{}",
            String::from_utf8(form_body(&[("code", &code), ("state", &state), ("iss", &iss)])).unwrap()
        );
        assert_error_redirect(&social.callback(&swapped, Some(&second.cookie)).await, "invalid_grant");
    }

    async fn an_iss_parameter_naming_another_issuer_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let started = social.start().await;
        let path = social.authorize(&started.url, "ada").await;
        let code = query_param(&path, "code").unwrap();
        let state = query_param(&path, "state").unwrap();
        let mixed_up = |iss: Option<&str>| {
            let mut fields = vec![("code", code.as_str()), ("state", state.as_str())];
            if let Some(iss) = iss {
                fields.push(("iss", iss));
            }
            format!("/auth/oauth/corp/callback?{}", String::from_utf8(form_body(&fields)).unwrap())
        };
        let reply = social.callback(&mixed_up(Some("https://other-issuer.example")), Some(&started.cookie)).await;
        assert_error_redirect(&reply, "invalid_id_token");
        // The provider advertises RFC 9207 support: an answer without iss is refused too.
        let again = social.start().await;
        let path = social.authorize(&again.url, "ada").await;
        let without = format!(
            "/auth/oauth/corp/callback?{}",
            String::from_utf8(form_body(&[
                ("code", &query_param(&path, "code").unwrap()),
                ("state", &query_param(&path, "state").unwrap()),
            ])).unwrap()
        );
        assert_error_redirect(&social.callback(&without, Some(&again.cookie)).await, "invalid_id_token");
    }

    async fn a_provider_that_is_down_is_provider_unavailable(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let started = social.start().await;
        let path = social.authorize(&started.url, "ada").await;
        let Social { server, provider, .. } = social;
        drop(provider);
        let reply = server.get(&path).header("cookie", &started.cookie).send().await;
        assert_error_redirect(&reply, "provider_unavailable");
    }

    async fn a_token_endpoint_answering_garbage_is_provider_unavailable(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social
            .sign_in_misbehaving(json!({ "responses": { "/token": { "status": 200, "body": "<html>oops", "content_type": "text/html" } } }))
            .await;
        assert_error_redirect(&reply, "provider_unavailable");
    }

    async fn a_token_endpoint_slower_than_the_total_timeout_is_provider_unavailable(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        // Waits out the 10 s total timeout: the one way to see it end.
        let reply = social.sign_in_misbehaving(json!({ "delays": { "/token": 12_000 } })).await;
        assert_error_redirect(&reply, "provider_unavailable");
    }

    async fn an_id_token_with_another_nonce_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_claims": { "nonce": "not-ours" } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_id_token_without_nonce_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_claims": { "nonce": null } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_id_token_for_another_audience_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_claims": { "aud": "another-client" } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_id_token_authorized_for_another_party_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social
            .sign_in_misbehaving(json!({ "id_token_claims": { "aud": [CLIENT_ID, "another-client"], "azp": "another-client" } }))
            .await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_id_token_from_another_issuer_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_claims": { "iss": "https://evil.example" } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_expired_id_token_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_claims": { "exp": 1_000_000_000 } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_id_token_issued_in_the_future_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let later = SystemClock.now() + 3600;
        let reply = social
            .sign_in_misbehaving(json!({ "id_token_claims": { "iat": later, "exp": later + 3600 } }))
            .await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_unsigned_id_token_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_header": { "alg": "none" } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_hmac_id_token_signed_with_the_client_secret_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_header": { "alg": "HS256" } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_foreign_key": true })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn an_id_token_in_an_algorithm_the_provider_does_not_advertise_is_refused(db) {
        // The provider holds only an ES256 key and advertises only ES256; an
        // RS256 header on its token names an algorithm it never announced.
        let Some(mut social) = social_with(&db, ProviderOptions::new().algs(&["ES256"]), "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "id_token_header": { "alg": "RS256" } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn a_userinfo_answer_about_someone_else_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let reply = social.sign_in_misbehaving(json!({ "userinfo_claims": { "sub": "someone-else" } })).await;
        assert_error_redirect(&reply, "invalid_id_token");
    }

    async fn sign_ins_and_failures_are_audited_and_counted(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        social.sign_in("ada").await.expect(302);
        social.sign_in_misbehaving(json!({ "id_token_claims": { "nonce": "x" } })).await;
        let admin = social.server.admin("root").await;
        let ok = social.server.audit(&admin, "social_login").await;
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0]["detail"]["provider"], "corp");
        let failed = social.server.audit(&admin, "social_login_failed").await;
        assert_eq!(failed[0]["detail"]["reason"], "invalid_id_token");
        let metrics = social.server.get("/metrics").send().await.text();
        assert!(metrics.contains("tessera_social_logins_total{result=\"ok\"} 1"), "{metrics}");
        assert!(metrics.contains("tessera_social_logins_total{result=\"failed\"} 1"), "{metrics}");
    }

    async fn an_identity_linked_to_another_user_cannot_be_linked_again(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        social.sign_in("ada").await.expect(302);
        let local = social.server.signed_up("someone").await;
        let reply = social.server
            .post(&format!("/auth/oauth/corp/link?return_to={RETURN_TO}"))
            .bearer(&local.access)
            .send()
            .await;
        let url = reply.expect(200)["authorization_url"].as_str().unwrap().to_owned();
        let cookie = format!("{FLOW_COOKIE}={}", reply.cookie_value(FLOW_COOKIE));
        let path = social.authorize(&url, "ada").await;
        assert_error_redirect(&social.callback(&path, Some(&cookie)).await, "identity_taken");
    }

    // -------------------------------------------------------------- native

    async fn a_native_id_token_signs_in_with_json_tokens(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let id_token = social.native_id_token(Some("app-nonce")).await;
        let body = social.native(json!({ "id_token": id_token, "nonce": "app-nonce" })).await.expect(200);
        let tokens = Tokens::from_body(body);
        let me = social.server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        assert_eq!(me["username"], "Ada.Lovelace");
        // The provider vouched for the user: federated, not a password.
        assert_eq!(crate::http_support::claims(&tokens.access)["amr"], json!(["fed"]));
    }

    async fn a_native_id_token_needs_the_nonce_it_carries(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let id_token = social.native_id_token(Some("app-nonce")).await;
        social.native(json!({ "id_token": id_token })).await.expect_error(401, "invalid_id_token");
        social.native(json!({ "id_token": id_token, "nonce": "other" })).await.expect_error(401, "invalid_id_token");
    }

    async fn a_native_id_token_without_nonce_is_refused_when_one_is_sent(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        let id_token = social.native_id_token(None).await;
        social.native(json!({ "id_token": id_token, "nonce": "app-nonce" })).await.expect_error(401, "invalid_id_token");
        social.native(json!({ "id_token": id_token })).await.expect(200);
    }

    async fn a_native_id_token_for_another_audience_is_refused(db) {
        let Some(mut social) = social(&db, "ES256").await else { return };
        social.provider.misbehave(json!({ "id_token_claims": { "aud": "another-app" } })).await;
        let id_token = social.native_id_token(None).await;
        social.native(json!({ "id_token": id_token })).await.expect_error(401, "invalid_id_token");
        social.native(json!({ "id_token": "not.a.token" })).await.expect_error(401, "invalid_id_token");
    }

    async fn native_sign_ins_and_flow_starts_count_toward_the_per_ip_limit(db) {
        let vars = [("TESSERA_IP_MAX_ATTEMPTS", "2")];
        let Some(social) = social_with_vars(&db, ProviderOptions::new(), "ES256", &vars).await else {
            return;
        };
        // Each try costs a provider round trip or a stored flow, so an
        // address gets as many as it gets password logins.
        social.native(json!({ "id_token": "not.a.token" })).await.expect_error(401, "invalid_id_token");
        social.start().await;
        social.native(json!({ "id_token": "not.a.token" })).await.expect_error(429, "too_many_requests");
        social
            .server
            .get(&format!("/auth/oauth/corp/start?return_to={RETURN_TO}"))
            .send()
            .await
            .expect_error(429, "too_many_requests");
    }

    async fn a_native_sign_in_with_the_provider_down_is_a_502(db) {
        let Some(social) = social(&db, "ES256").await else { return };
        let Social { server, provider, .. } = social;
        drop(provider);
        server
            .post("/auth/oauth/corp/id-token")
            .json(json!({ "id_token": "a.b.c" }))
            .send()
            .await
            .expect_error(502, "provider_unavailable");
    }
}
