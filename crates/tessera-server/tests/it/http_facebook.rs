//! Sign in with Facebook: the OpenID provider fixture plays the login
//! dialog (and, for Limited Login, the id_token issuer), the fake Graph of
//! `facebook_graph` plays Graph. The web flow, the native access-token and
//! Limited Login sign-ins, and Graph's refusals and failures.

use serde_json::{Value, json};
use tessera::{Clock, ManualClock, SystemClock};

use crate::facebook_graph::FakeGraph;
use crate::http_social::{FLOW_COOKIE, RETURN_TO, assert_error_redirect, me_by_cookie};
use crate::http_support::{PUBLIC_URL, Reply, Server, Tokens, setup};
use crate::oidc_support::{
    Browser, OidcClient, OidcProvider, PROVIDER_PASSWORD, ProviderOptions, account, query_param,
    sdk_id_token,
};
use crate::store_support::{Kind, TestDb, backend_tests, run};

const APP_ID: &str = "1234567890123456";
const APP_SECRET: &str = "facebook-app-secret-for-tests";

fn callback_url() -> String {
    format!("{PUBLIC_URL}/auth/oauth/facebook/callback")
}

/// Tessera with Facebook, the dialog (fixture), the fake Graph, a browser.
struct Facebook {
    server: Server,
    provider: OidcProvider,
    graph: FakeGraph,
    browser: Browser,
}

fn app_client() -> OidcClient {
    OidcClient::new(APP_ID, APP_SECRET, &callback_url())
}

async fn facebook(db: &TestDb) -> Option<Facebook> {
    let provider = OidcProvider::start(ProviderOptions::new().client(app_client())).await?;
    let graph = FakeGraph::start(APP_ID, APP_SECRET, &provider).await;
    let server = facebook_server(db, &provider, graph.url()).await;
    Some(Facebook {
        server,
        provider,
        graph,
        browser: Browser::new(),
    })
}

async fn facebook_server(db: &TestDb, provider: &OidcProvider, graph_url: &str) -> Server {
    setup()
        .var("FACEBOOK_APP_ID", APP_ID)
        .var("FACEBOOK_APP_SECRET", APP_SECRET)
        .var("TESSERA_FACEBOOK_DIALOG_URL", provider.url("/auth"))
        .var("TESSERA_FACEBOOK_GRAPH_URL", graph_url)
        .var("TESSERA_FACEBOOK_ISSUER", provider.issuer())
        .var("TESSERA_OIDC_ALLOW_LOOPBACK_HTTP", "true")
        .start_with_clock(db, ManualClock::new(SystemClock.now()))
        .await
}

impl Facebook {
    /// The whole web flow for `user`; Tessera's answer to the callback.
    async fn sign_in(&mut self, user: &str) -> Reply {
        let (path, cookie) = self.authorize(user).await;
        self.server
            .get(&path)
            .header("cookie", &cookie)
            .send()
            .await
    }

    /// Starts at Tessera and signs `user` in at the dialog: the callback
    /// path and the flow cookie.
    async fn authorize(&mut self, user: &str) -> (String, String) {
        let reply = self
            .server
            .get(&format!("/auth/oauth/facebook/start?return_to={RETURN_TO}"))
            .send()
            .await;
        reply.expect(302);
        let cookie = format!("{FLOW_COOKIE}={}", reply.cookie_value(FLOW_COOKIE));
        let url = reply.header("location").unwrap().to_owned();
        let page = self
            .browser
            .sign_in(&url, user, PROVIDER_PASSWORD, Some(PUBLIC_URL))
            .await;
        let location = page.location().unwrap_or_else(|| panic!("{page:#?}"));
        (
            location.strip_prefix(PUBLIC_URL).unwrap().to_owned(),
            cookie,
        )
    }

    async fn access_token(&self, token: &str) -> Reply {
        self.server
            .post("/auth/oauth/facebook/access-token")
            .json(json!({ "access_token": token }))
            .send()
            .await
    }

    /// A token for `user` from the fake Graph, valid for an hour.
    fn user_token(&self, user: &str) -> String {
        self.graph
            .issue(account(user), APP_ID, SystemClock.now() + 3600)
    }
}

async fn identities(server: &Server, access: &str) -> Value {
    server
        .get("/auth/identities")
        .bearer(access)
        .send()
        .await
        .expect(200)["identities"]
        .clone()
}

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

sqlite_tests! {
    async fn facebook_is_listed_and_its_dialog_asks_for_a_code_with_pkce(db) {
        let Some(fb) = facebook(&db).await else { return };
        let body = fb.server.get("/auth/providers").send().await.expect(200);
        assert_eq!(body, json!({ "providers": [{ "id": "facebook", "name": "Facebook" }] }));
        let reply = fb.server.get(&format!("/auth/oauth/facebook/start?return_to={RETURN_TO}")).send().await;
        reply.expect(302);
        let url = reply.header("location").unwrap();
        assert!(url.starts_with(&fb.provider.url("/auth?")), "{url}");
        assert_eq!(query_param(url, "client_id").as_deref(), Some(APP_ID));
        assert_eq!(query_param(url, "redirect_uri"), Some(callback_url()));
        assert_eq!(query_param(url, "response_type").as_deref(), Some("code"));
        assert_eq!(query_param(url, "code_challenge_method").as_deref(), Some("S256"));
        assert!(query_param(url, "code_challenge").is_some());
        assert!(query_param(url, "state").is_some());
    }

    async fn a_facebook_web_sign_in_creates_a_user_keyed_by_the_graph_id(db) {
        let Some(mut fb) = facebook(&db).await else { return };
        let reply = fb.sign_in("ada").await;
        reply.expect(302);
        assert_eq!(reply.header("location"), Some(RETURN_TO));
        let me = me_by_cookie(&fb.server, &reply).await;
        assert_eq!(me["username"], "Ada.Lovelace");
        let listed = identities(&fb.server, &reply.cookie_value("access_token_cookie")).await;
        assert_eq!(listed[0]["provider"], "facebook");
        assert_eq!(listed[0]["issuer"], fb.provider.issuer());
        assert_eq!(listed[0]["subject"], account("ada").sub);
        assert_eq!(listed[0]["email"], account("ada").email);
        // Again: the same user.
        let again = fb.sign_in("ada").await;
        assert_eq!(me_by_cookie(&fb.server, &again).await["id"], me["id"]);
    }

    async fn a_profile_call_with_a_wrong_appsecret_proof_is_refused_by_graph(db) {
        // Graph checks the proof against the app secret; here it expects
        // another secret, so the proof Tessera sends (right for its secret)
        // is refused, and nobody is signed in.
        let Some(mut fb) = facebook(&db).await else { return };
        fb.graph.expect_proof_secret("not-the-app-secret");
        let reply = fb.sign_in("ada").await;
        assert_error_redirect(&reply, "provider_unavailable");
    }

    async fn a_graph_error_at_the_code_exchange_returns_with_provider_unavailable(db) {
        let Some(mut fb) = facebook(&db).await else { return };
        fb.graph.fail(
            "/oauth/access_token",
            500,
            FakeGraph::error(2, "OAuthException", "An unexpected error has occurred. Please retry your request later."),
        );
        assert_error_redirect(&fb.sign_in("ada").await, "provider_unavailable");
    }

    async fn a_graph_error_at_the_profile_returns_with_provider_unavailable(db) {
        let Some(mut fb) = facebook(&db).await else { return };
        fb.graph.fail("/me", 500, FakeGraph::error(1, "OAuthException", "An unknown error occurred"));
        assert_error_redirect(&fb.sign_in("ada").await, "provider_unavailable");
    }

    async fn a_replayed_facebook_code_is_refused_by_graph(db) {
        let Some(mut fb) = facebook(&db).await else { return };
        let (path, cookie) = fb.authorize("ada").await;
        fb.server.get(&path).header("cookie", &cookie).send().await.expect(302);
        // The used code, in a new flow of this browser.
        let (second, cookie) = fb.authorize("ada").await;
        let replay = format!(
            "/auth/oauth/facebook/callback?code={}&state={}",
            query_param(&path, "code").unwrap(),
            query_param(&second, "state").unwrap()
        );
        let reply = fb.server.get(&replay).header("cookie", &cookie).send().await;
        assert_error_redirect(&reply, "invalid_grant");
    }

    // ------------------------------------------------------- access token

    async fn a_facebook_access_token_signs_in_with_json_tokens(db) {
        let Some(fb) = facebook(&db).await else { return };
        let token = fb.user_token("grace");
        let tokens = Tokens::from_body(fb.access_token(&token).await.expect(200));
        let me = fb.server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        assert_eq!(me["username"], "Grace.Hopper");
        let listed = identities(&fb.server, &tokens.access).await;
        assert_eq!(listed[0]["subject"], account("grace").sub);
    }

    async fn a_web_sign_in_and_an_access_token_of_one_user_reach_one_account(db) {
        let Some(mut fb) = facebook(&db).await else { return };
        let web = fb.sign_in("ada").await;
        let web_me = me_by_cookie(&fb.server, &web).await;
        let token = fb.user_token("ada");
        let tokens = Tokens::from_body(fb.access_token(&token).await.expect(200));
        let me = fb.server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        assert_eq!(me["id"], web_me["id"]);
    }

    async fn an_access_token_of_another_app_is_refused(db) {
        let Some(fb) = facebook(&db).await else { return };
        let token = fb.graph.issue(account("ada"), "999999999", SystemClock.now() + 3600);
        fb.access_token(&token).await.expect_error(401, "invalid_access_token");
    }

    async fn an_expired_access_token_is_refused(db) {
        let Some(fb) = facebook(&db).await else { return };
        let token = fb.graph.issue(account("ada"), APP_ID, SystemClock.now() - 10);
        fb.access_token(&token).await.expect_error(401, "invalid_access_token");
    }

    async fn an_access_token_past_its_expiry_by_our_clock_is_refused(db) {
        // Graph still calls it valid; its expires_at has passed for Tessera.
        let Some(fb) = facebook(&db).await else { return };
        let token = fb.user_token("ada");
        fb.server.clock.advance(3601);
        fb.access_token(&token).await.expect_error(401, "invalid_access_token");
    }

    async fn an_invalid_access_token_is_refused(db) {
        let Some(fb) = facebook(&db).await else { return };
        let reply = fb.access_token("EAAG-not-a-token").await;
        reply.expect_error(401, "invalid_access_token");
        assert!(!reply.text().contains("EAAG-not-a-token"), "{reply}");
    }

    async fn an_access_token_graph_refuses_at_the_profile_is_refused(db) {
        // Valid at debug_token, revoked by the time of /me: Graph's 190.
        let Some(fb) = facebook(&db).await else { return };
        let token = fb.user_token("ada");
        fb.graph.fail("/me", 400, FakeGraph::error(190, "OAuthException", "Error validating access token: The user has not authorized application."));
        fb.access_token(&token).await.expect_error(401, "invalid_access_token");
    }

    async fn a_graph_error_at_debug_token_is_a_502(db) {
        let Some(fb) = facebook(&db).await else { return };
        let token = fb.user_token("ada");
        fb.graph.fail("/debug_token", 500, FakeGraph::error(2, "OAuthException", "Service temporarily unavailable"));
        fb.access_token(&token).await.expect_error(502, "provider_unavailable");
    }

    async fn an_access_token_sign_in_with_graph_down_is_a_502(db) {
        let Some(provider) = OidcProvider::start(ProviderOptions::new().client(app_client())).await else { return };
        // A port that was free a moment ago: nothing answers there.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let server = facebook_server(&db, &provider, &closed).await;
        server
            .post("/auth/oauth/facebook/access-token")
            .json(json!({ "access_token": "EAAG-some-token" }))
            .send()
            .await
            .expect_error(502, "provider_unavailable");
    }

    async fn the_access_token_endpoint_is_a_404_without_facebook(db) {
        let server = Server::start(&db).await;
        server
            .post("/auth/oauth/facebook/access-token")
            .json(json!({ "access_token": "EAAG-some-token" }))
            .send()
            .await
            .expect_error(404, "unknown_provider");
    }

    // ------------------------------------------------------- Limited Login

    async fn a_limited_login_id_token_signs_in_the_same_facebook_user(db) {
        let Some(mut fb) = facebook(&db).await else { return };
        let web = fb.sign_in("ada").await;
        let web_me = me_by_cookie(&fb.server, &web).await;
        let mut sdk = Browser::new();
        let id_token = sdk_id_token(&fb.provider, &mut sdk, &app_client(), "ada", Some("ios-nonce")).await;
        let body = fb.server
            .post("/auth/oauth/facebook/id-token")
            .json(json!({ "id_token": id_token, "nonce": "ios-nonce" }))
            .send()
            .await
            .expect(200);
        let tokens = Tokens::from_body(body);
        let me = fb.server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        assert_eq!(me["id"], web_me["id"]);
    }

    async fn a_limited_login_id_token_for_another_app_or_nonce_is_refused(db) {
        let Some(fb) = facebook(&db).await else { return };
        let mut sdk = Browser::new();
        let id_token = sdk_id_token(&fb.provider, &mut sdk, &app_client(), "ada", Some("ios-nonce")).await;
        fb.server
            .post("/auth/oauth/facebook/id-token")
            .json(json!({ "id_token": id_token, "nonce": "another-nonce" }))
            .send()
            .await
            .expect_error(401, "invalid_id_token");
        fb.provider.misbehave(json!({ "id_token_claims": { "aud": "999999999" } })).await;
        let id_token = sdk_id_token(&fb.provider, &mut sdk, &app_client(), "ada", None).await;
        fb.server
            .post("/auth/oauth/facebook/id-token")
            .json(json!({ "id_token": id_token }))
            .send()
            .await
            .expect_error(401, "invalid_id_token");
    }
}

// ------------------------------------------------- a first password

/// A passwordless user created by a Facebook sign-in, with fresh tokens.
async fn passwordless(fb: &Facebook, user: &str) -> Tokens {
    let token = fb.user_token(user);
    Tokens::from_body(fb.access_token(&token).await.expect(200))
}

backend_tests! {
    async fn a_user_created_by_sign_in_sets_a_first_password_without_a_current_one(db) {
        let Some(fb) = facebook(&db).await else { return };
        let tokens = passwordless(&fb, "grace").await;
        let body = fb.server
            .post("/auth/password")
            .bearer(&tokens.access)
            .json(json!({ "new_password": "a first password of her own" }))
            .send()
            .await
            .expect(200);
        assert_eq!(body["ended_sessions"], 0);
        fb.server
            .post("/auth/login")
            .json(json!({ "username": "Grace.Hopper", "password": "a first password of her own" }))
            .send()
            .await
            .expect(200);
        let admin = fb.server.admin("root").await;
        let audited = fb.server.audit(&admin, "password_changed").await;
        assert_eq!(audited[0]["detail"]["first_password"], true, "{audited:?}");
        // From now on the current password is needed.
        let again = fb.server
            .post("/auth/password")
            .bearer(&tokens.access)
            .json(json!({ "new_password": "another password of hers" }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(again["field"], "current_password");
    }

    async fn a_first_password_follows_the_password_policy(db) {
        let Some(fb) = facebook(&db).await else { return };
        let tokens = passwordless(&fb, "grace").await;
        for weak in ["short", "password123", "Grace.Hopper-1906"] {
            let body = fb.server
                .post("/auth/password")
                .bearer(&tokens.access)
                .json(json!({ "new_password": weak }))
                .send()
                .await
                .expect_error(422, "validation_failed");
            assert_eq!(body["field"], "new_password", "{weak}: {body}");
        }
        fb.server
            .post("/auth/login")
            .json(json!({ "username": "Grace.Hopper", "password": "password123" }))
            .send()
            .await
            .expect_error(401, "invalid_credentials");
    }

    async fn a_first_password_needs_a_fresh_token(db) {
        let Some(fb) = facebook(&db).await else { return };
        let tokens = passwordless(&fb, "grace").await;
        let refreshed = Tokens::from_body(fb.server.refresh(&tokens.refresh).await.expect(200));
        fb.server
            .post("/auth/password")
            .bearer(&refreshed.access)
            .json(json!({ "new_password": "a first password of her own" }))
            .send()
            .await
            .expect(401);
    }

    async fn an_account_with_a_password_still_needs_the_current_one(db) {
        let Some(fb) = facebook(&db).await else { return };
        let local = fb.server.signed_up("ada").await;
        let body = fb.server
            .post("/auth/password")
            .bearer(&local.access)
            .json(json!({ "new_password": "a whole new password" }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "current_password");
        fb.server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": "a whole new password" }))
            .send()
            .await
            .expect_error(401, "invalid_credentials");
    }
}
