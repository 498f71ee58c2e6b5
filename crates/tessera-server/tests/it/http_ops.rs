//! Operations and discovery: health, readiness, metrics, JWKS, the
//! OpenID configuration, and the API description (`/openapi.json`, `/docs`)
//! checked against the router itself.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::Method;
use serde_json::{Value, json};
use tessera::{Algorithm, GeneratedKeyPair, Jwk, Key};
use tessera_server::http::docs::documented_routes;

use crate::http_support::{Call, PASSWORD, PUBLIC_URL, Reply, Server, Tokens, claims, setup};
use crate::store_support::backend_tests;

/// The router's source, to list the paths it routes.
const ROUTER_SOURCE: &str = include_str!("../../src/http/mod.rs");

const ANY_ID: &str = "00000000-0000-0000-0000-000000000000";

/// Every path literal given to `.route(…)` in the router.
fn routed_paths() -> BTreeSet<String> {
    ROUTER_SOURCE
        .split(".route(")
        .skip(1)
        .map(|rest| {
            let rest = rest.trim_start();
            let rest = rest.strip_prefix('"').expect("a path literal");
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

fn is_fallback(reply: &Reply) -> bool {
    reply.status == 405
        || (reply.status == 404
            && reply.json()["message"]
                .as_str()
                .is_some_and(|message| message.contains("no such endpoint")))
}

/// The Prometheus samples, by name (with labels).
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

async fn metrics(server: &Server) -> BTreeMap<String, f64> {
    let reply = server.get("/metrics").send().await;
    reply.expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    samples(&reply.text())
}

backend_tests! {
    async fn healthz_answers_ok(db) {
        let server = Server::start(&db).await;
        let reply = server.get("/healthz").send().await;
        reply.expect(200);
        assert_eq!(reply.text(), "ok");
    }

    async fn readyz_answers_200_while_the_store_is_reachable_and_503_after(db) {
        let server = Server::start(&db).await;
        let body = server.get("/readyz").send().await.expect(200);
        assert_eq!(body, json!({ "status": "ready" }));
        server.state.auth.store().close().await;
        server.get("/readyz").send().await.expect_error(503, "store_unavailable");
        // The process itself is still up.
        server.get("/healthz").send().await.expect(200);
    }

    async fn metrics_counters_move_with_what_happens(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "1").start(&db).await;
        let before = metrics(&server).await;
        assert_eq!(before["tessera_logins_total{result=\"ok\"}"], 0.0);

        let login = server.signed_up("ada").await;
        let wrong = json!({ "username": "ada", "password": "not-the-password" });
        server.post("/auth/login").json(wrong.clone()).send().await.expect(401);
        server.post("/auth/login").json(wrong).send().await.expect(429);
        server.refresh(&login.refresh).await.expect(200);
        server.clock.advance(11);
        server.refresh(&login.refresh).await.expect(401);
        server.get("/auth/verify").bearer(&login.access).send().await.expect(401);
        server.signed_up("bob").await;
        let bob = server.login("bob").await;
        server.get("/auth/verify").bearer(&bob.access).send().await.expect(200);

        let after = metrics(&server).await;
        let delta = |name: &str| after[name] - before[name];
        assert_eq!(delta("tessera_registrations_total"), 2.0);
        assert_eq!(delta("tessera_logins_total{result=\"ok\"}"), 3.0);
        assert_eq!(delta("tessera_logins_total{result=\"failed\"}"), 1.0);
        assert_eq!(delta("tessera_rate_limited_total"), 1.0);
        assert_eq!(delta("tessera_refreshes_total{result=\"ok\"}"), 1.0);
        assert_eq!(delta("tessera_refreshes_total{result=\"failed\"}"), 1.0);
        assert_eq!(delta("tessera_refresh_reuse_total"), 1.0);
        assert_eq!(delta("tessera_verify_total{result=\"ok\"}"), 1.0);
        assert_eq!(delta("tessera_verify_total{result=\"denied\"}"), 1.0);
        // The reused session is held in the revoked set.
        assert!(after["tessera_revoked_entries"] >= 1.0);
    }

    async fn jwks_is_empty_for_an_hmac_secret(db) {
        let server = Server::start(&db).await;
        let reply = server.get("/.well-known/jwks.json").send().await;
        assert_eq!(reply.expect(200), json!({ "keys": [] }));
        assert!(reply.header("cache-control").unwrap().contains("max-age"));
    }

    async fn jwks_publishes_the_public_ec_key_that_verifies_the_servers_tokens(db) {
        let pair = GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
        let server = setup()
            .var("JWT_ALGORITHM", "ES256")
            .var("JWT_PRIVATE_KEY", pair.private_pem.clone())
            .var("JWT_PUBLIC_KEY", pair.public_pem.clone())
            .start(&db)
            .await;
        let body = server.get("/.well-known/jwks.json").send().await.expect(200);
        let keys = body["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{body}");
        let key = &keys[0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert_eq!(key["alg"], "ES256");
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none(), "private part published: {key}");

        // A token the server issues names that key and verifies with it.
        let tokens = server.signed_up("ada").await;
        let header: Value = serde_json::from_slice(
            &tessera::b64::decode(tokens.access.split('.').next().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], key["kid"]);
        let jwk: Jwk = serde_json::from_value(key.clone()).unwrap();
        let public = Key::from_jwk(&jwk, None).unwrap();
        let (signing_input, signature) = tokens.access.rsplit_once('.').unwrap();
        assert!(public.verify(signing_input.as_bytes(), &tessera::b64::decode(signature).unwrap()));

        let discovery = server.get("/.well-known/openid-configuration").send().await.expect(200);
        assert_eq!(discovery["jwks_uri"], format!("{PUBLIC_URL}/.well-known/jwks.json"));
    }

    async fn openid_configuration_names_the_issuer_keys_and_endpoints_and_claims_nothing_untrue(db) {
        let server = Server::start(&db).await;
        let mut body = server.get("/.well-known/openid-configuration").send().await.expect(200);
        // The claim names, built from the configuration, have a test of their own.
        let claims_supported = body.as_object_mut().unwrap().remove("claims_supported");
        assert!(claims_supported.is_some_and(|names| names.is_array()));
        // What a verifying client needs (issuer, jwks_uri) and Tessera's own
        // endpoints under names of their own: no id_token algorithms (no
        // id_tokens are issued), and none of the OAuth/OIDC endpoint names
        // (token, revocation, userinfo, registration) whose protocols these
        // endpoints do not speak.
        assert_eq!(
            body,
            json!({
                "issuer": PUBLIC_URL,
                "jwks_uri": format!("{PUBLIC_URL}/.well-known/jwks.json"),
                "login_endpoint": format!("{PUBLIC_URL}/auth/login"),
                "refresh_endpoint": format!("{PUBLIC_URL}/auth/refresh"),
                "logout_endpoint": format!("{PUBLIC_URL}/auth/logout"),
                "user_endpoint": format!("{PUBLIC_URL}/auth/me"),
                "register_endpoint": format!("{PUBLIC_URL}/auth/register"),
                "forward_auth_endpoint": format!("{PUBLIC_URL}/auth/verify"),
            })
        );
        // The issuer it announces is the one its tokens carry.
        let tokens = server.signed_up("ada").await;
        assert_eq!(claims(&tokens.access)["iss"], body["issuer"]);
    }

    async fn openid_configuration_lists_the_claim_names_the_tokens_carry(db) {
        let server = setup()
            .var("JWT_IDENTITY_CLAIM", "uid")
            .var("JWT_ROLES_CLAIM", "perms")
            .start(&db)
            .await;
        let body = server.get("/.well-known/openid-configuration").send().await.expect(200);
        let listed = body["claims_supported"].as_array().unwrap().clone();
        let tokens = server.signed_up("ada").await;
        let access = claims(&tokens.access);
        for name in ["uid", "perms", "sid", "jti", "type", "fresh", "exp", "iat", "iss"] {
            assert!(access.get(name).is_some(), "{name} not in {access}");
            assert!(listed.contains(&json!(name)), "{name} not in {body}");
        }
        // Not the default names the configured ones replace, and no `aud`
        // while none is written.
        for name in ["sub", "roles", "aud"] {
            assert!(access.get(name).is_none(), "{name} in {access}");
            assert!(!listed.contains(&json!(name)), "{name} in {body}");
        }
    }

    async fn every_routed_endpoint_is_documented_and_every_documented_one_is_routed(db) {
        let server = Server::start(&db).await;
        let documented: BTreeSet<(String, String)> = documented_routes().into_iter().collect();
        let paths: BTreeSet<String> = routed_paths();
        let documented_paths: BTreeSet<String> =
            documented.iter().map(|(_, path)| path.clone()).collect();
        assert_eq!(paths, documented_paths, "router paths vs /openapi.json paths");

        let mut routed = BTreeSet::new();
        for path in &paths {
            let concrete = path.replace("{id}", ANY_ID).replace("{provider}", "none");
            for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
                let reply = server.request(method.clone(), &concrete).send().await;
                if !is_fallback(&reply) {
                    routed.insert((method.as_str().to_owned(), path.clone()));
                }
            }
        }
        assert_eq!(routed, documented, "routed (method, path) vs /openapi.json");

        let served: Value = server.get("/openapi.json").send().await.expect(200);
        assert_eq!(served["openapi"], "3.1.0");
    }

    async fn documented_statuses_and_parameters_match_what_the_handlers_answer(db) {
        statuses_and_parameters_match(Server::start(&db).await).await;
    }

    async fn docs_is_html_that_works_offline(db) {
        let server = Server::start(&db).await;
        let reply = server.get("/docs").send().await;
        reply.expect(200);
        assert!(reply.header("content-type").unwrap().starts_with("text/html"));
        let html = reply.text();
        assert!(html.starts_with("<!doctype html>"));
        for (_, path) in documented_routes() {
            assert!(html.contains(&path), "{path} missing from /docs");
        }
        for external in ["http://", "https://", "//cdn", "<script", "@import", "<style"] {
            assert!(!html.contains(external), "{external} in /docs");
        }
        // Its one stylesheet is the portal's, from this server.
        assert_eq!(html.matches("<link").count(), 1);
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/portal.css\">"));
    }
}

/// Answers seen, each under its documented path template.
struct Answers {
    spec: Value,
    seen: Vec<(Method, String, String, Reply)>,
}

impl Answers {
    /// Sends `call`, recording its answer under `template`.
    async fn add(&mut self, template: &str, call: Call) -> &Reply {
        let method = call.method().clone();
        let query = call
            .path()
            .split_once('?')
            .map(|(_, query)| query.to_owned());
        let reply = call.send().await;
        self.seen.push((
            method,
            template.to_owned(),
            query.unwrap_or_default(),
            reply,
        ));
        &self.seen.last().unwrap().3
    }

    /// Every status answered is listed for its operation, and every query
    /// parameter sent is documented.
    fn check(&self) {
        for (method, path, query, reply) in &self.seen {
            let method = method.as_str().to_ascii_lowercase();
            let op = &self.spec["paths"][path.as_str()][method.as_str()];
            assert!(op.is_object(), "{method} {path} is not documented");
            let status = reply.status.as_str();
            assert!(
                op["responses"].get(status).is_some(),
                "{method} {path} answered {status}, which /openapi.json does not list: {reply}"
            );
            let documented: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|parameter| parameter["in"] == "query")
                .map(|parameter| parameter["name"].as_str().unwrap())
                .collect();
            for (name, _) in form_urlencoded_pairs(query) {
                assert!(
                    documented.contains(&name),
                    "{method} {path}: query parameter {name} is not documented"
                );
            }
        }
    }
}

/// Drives every endpoint through its success and its usual refusals.
async fn statuses_and_parameters_match(server: Server) {
    let spec = server.get("/openapi.json").send().await.expect(200);
    let mut answers = Answers {
        spec,
        seen: Vec::new(),
    };
    let credentials = json!({ "username": "ada", "password": PASSWORD });
    let register = "/auth/register";
    answers
        .add(register, server.post(register).json(credentials.clone()))
        .await;
    answers
        .add(register, server.post(register).json(credentials.clone()))
        .await;
    answers
        .add(register, server.post(register).body("text/plain", "x"))
        .await;
    answers
        .add(
            register,
            server.post(register).body("application/json", "{"),
        )
        .await;
    answers
        .add(register, server.post(register).json(json!({})))
        .await;

    let login = "/auth/login";
    let reply = answers
        .add(login, server.post(login).json(credentials.clone()))
        .await;
    let ada = Tokens::from_body(reply.json());
    let with_cookies = server
        .post("/auth/login?cookies=true")
        .json(credentials.clone());
    answers.add(login, with_cookies).await;
    let wrong = json!({ "username": "ada", "password": "wrong-password" });
    answers.add(login, server.post(login).json(wrong)).await;

    let other = server.login("ada").await;
    let refresh = "/auth/refresh";
    let reply = answers
        .add(refresh, server.post(refresh).bearer(&ada.refresh))
        .await;
    let ada = Tokens::from_body(reply.json());
    answers.add(refresh, server.post(refresh)).await;
    let cookie = format!("refresh_token_cookie={}", other.refresh);
    answers
        .add(refresh, server.post(refresh).header("cookie", &cookie))
        .await;

    for path in ["/auth/me", "/auth/verify", "/auth/sessions"] {
        answers
            .add(path, server.get(path).bearer(&ada.access))
            .await;
        answers.add(path, server.get(path)).await;
    }
    let session = "/auth/sessions/{id}";
    for id in [other.sid().as_str(), ANY_ID, "%FF"] {
        let call = server
            .delete(&format!("/auth/sessions/{id}"))
            .bearer(&ada.access);
        answers.add(session, call).await;
    }

    let password = "/auth/password";
    let fresh = server.login("ada").await;
    let change = json!({ "current_password": PASSWORD, "new_password": "a-brand-new-passphrase" });
    let weak = json!({ "current_password": PASSWORD, "new_password": "short" });
    for (token, body) in [(&ada, &change), (&fresh, &weak), (&fresh, &change)] {
        let call = server
            .post(password)
            .bearer(&token.access)
            .json(body.clone());
        answers.add(password, call).await;
    }

    let admin = server.admin("root").await;
    let users = "/admin/users";
    for query in ["?q=a&limit=5&offset=0", "?limit=lots"] {
        let call = server.get(&format!("{users}{query}")).bearer(&admin.access);
        answers.add(users, call).await;
    }
    answers
        .add(users, server.get(users).bearer(&fresh.access))
        .await;
    answers.add(users, server.get(users)).await;

    let ada_id = claims(&fresh.access)["sub"].as_str().unwrap().to_owned();
    for id in [ada_id.as_str(), ANY_ID, "%FF"] {
        let user = format!("/admin/users/{id}");
        answers
            .add("/admin/users/{id}", server.get(&user).bearer(&admin.access))
            .await;
        for roles in [json!(["editor"]), json!([""])] {
            let call = server
                .put(&format!("{user}/roles"))
                .bearer(&admin.access)
                .json(json!({ "roles": roles }));
            answers.add("/admin/users/{id}/roles", call).await;
        }
        let call = server
            .get(&format!("{user}/sessions"))
            .bearer(&admin.access);
        answers.add("/admin/users/{id}/sessions", call).await;
        for action in ["disable", "enable"] {
            let call = server
                .post(&format!("{user}/{action}"))
                .bearer(&admin.access);
            answers
                .add(&format!("/admin/users/{{id}}/{action}"), call)
                .await;
        }
    }
    let audit = "/admin/audit";
    for query in ["?user_id=x&kind=login&limit=5&offset=0", "?offset=far"] {
        let call = server.get(&format!("{audit}{query}")).bearer(&admin.access);
        answers.add(audit, call).await;
    }
    for id in [ada_id.as_str(), ada_id.as_str(), "%FF"] {
        let call = server
            .delete(&format!("/admin/users/{id}"))
            .bearer(&admin.access);
        answers.add("/admin/users/{id}", call).await;
    }

    let bob = server.signed_up("bob").await;
    let logout = "/auth/logout";
    for query in ["?scope=bogus", "?scope=local"] {
        let call = server.post(&format!("{logout}{query}")).bearer(&bob.access);
        answers.add(logout, call).await;
    }
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
    ] {
        answers.add(path, server.get(path)).await;
    }
    answers.check();
}

fn form_urlencoded_pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}
