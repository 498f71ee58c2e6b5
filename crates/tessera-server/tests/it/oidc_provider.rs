//! The OpenID provider fixture on its own (no Tessera code): discovery, a
//! whole authorization-code + PKCE flow to a stand-in client, id_tokens in
//! both algorithms verified through the published JWKS, key rotation, and
//! the misbehaviour the sign-in tests will lean on.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::Query;
use axum::http::Method;
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};
use tessera::{Jwk, Key};

use crate::oidc_support::{
    Browser, OidcClient, OidcProvider, PROVIDER_PASSWORD, Pkce, ProviderOptions, account, fetch,
    form_body, jws_parts, query_param,
};

const CLIENT_ID: &str = "tessera-test";
const CLIENT_SECRET: &str = "client-secret-for-tests-only";

/// A stand-in relying party on 127.0.0.1: its `/callback` answers with the
/// query it was given, as JSON.
async fn callback_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/callback",
        get(|Query(query): Query<BTreeMap<String, String>>| async move { axum::Json(query) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/callback")
}

/// A provider with one client whose redirect URI is a fresh callback server.
async fn provider_for(alg: &str, options: ProviderOptions) -> Option<(OidcProvider, String)> {
    provider_with(options, |client| client.id_token_alg(alg)).await
}

/// The same, with the client changed by `change`.
async fn provider_with(
    options: ProviderOptions,
    change: impl FnOnce(OidcClient) -> OidcClient,
) -> Option<(OidcProvider, String)> {
    let redirect_uri = callback_server().await;
    let client = change(OidcClient::new(CLIENT_ID, CLIENT_SECRET, &redirect_uri));
    let provider = OidcProvider::start(options.client(client)).await?;
    Some((provider, redirect_uri))
}

/// What one authorization request sent.
struct Request {
    url: String,
    state: String,
    nonce: String,
    pkce: Pkce,
}

async fn authorization_request(provider: &OidcProvider, redirect_uri: &str) -> Request {
    let discovery = provider.discovery().await;
    let pkce = Pkce::new();
    let state = uuid::Uuid::new_v4().simple().to_string();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let query = String::from_utf8(form_body(&[
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", redirect_uri),
        ("scope", "openid email profile"),
        ("state", &state),
        ("nonce", &nonce),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]))
    .unwrap();
    Request {
        url: format!(
            "{}?{query}",
            discovery["authorization_endpoint"].as_str().unwrap()
        ),
        state,
        nonce,
        pkce,
    }
}

/// The token endpoint's answer for `code`, the client authenticating with
/// HTTP Basic.
async fn exchange(
    provider: &OidcProvider,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Value {
    let token_endpoint = provider.discovery().await["token_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    fetch(
        Method::POST,
        &token_endpoint,
        &[
            ("authorization", &format!("Basic {basic}")),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        form_body(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ]),
    )
    .await
    .expect_json(200)
}

/// Signs `ada` in through the browser to the callback server and exchanges
/// the code; the token response.
async fn sign_in_and_exchange(
    provider: &OidcProvider,
    redirect_uri: &str,
    browser: &mut Browser,
) -> Value {
    let request = authorization_request(provider, redirect_uri).await;
    let page = browser
        .sign_in(&request.url, "ada", PROVIDER_PASSWORD, None)
        .await;
    let callback = page.expect_json(200);
    assert_eq!(callback["state"], request.state.as_str(), "{callback}");
    assert_eq!(
        callback["iss"],
        provider.issuer(),
        "RFC 9207 iss: {callback}"
    );
    let code = callback["code"].as_str().unwrap();
    let tokens = exchange(provider, code, &request.pkce.verifier, redirect_uri).await;
    let (_, claims) = jws_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["nonce"], request.nonce.as_str(), "{claims}");
    tokens
}

/// Whether `token`'s signature verifies under the JWKS key its `kid` names
/// (through the library's JWK parsing and key API).
fn verifies_with(token: &str, jwks: &Value) -> bool {
    let (header, _) = jws_parts(token);
    let Some(published) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == header["kid"])
    else {
        return false;
    };
    let jwk: Jwk = serde_json::from_value(published.clone()).unwrap();
    let key = Key::from_jwk(&jwk, None).unwrap();
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    key.verify(
        signing_input.as_bytes(),
        &tessera::b64::decode(signature).unwrap(),
    )
}

#[tokio::test]
async fn oidc_discovery_names_the_issuer_endpoints_and_both_signing_algorithms() {
    let Some((provider, _)) = provider_for("ES256", ProviderOptions::new()).await else {
        return;
    };
    let discovery = provider.discovery().await;
    assert!(provider.issuer().starts_with("http://127.0.0.1:"));
    assert_eq!(discovery["issuer"], provider.issuer());
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        let url = discovery[endpoint].as_str().unwrap();
        assert!(url.starts_with(provider.issuer()), "{endpoint}: {url}");
    }
    let jwks = provider.jwks().await;
    let algs: Vec<&Value> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| &key["alg"])
        .collect();
    assert_eq!(algs, [&json!("ES256"), &json!("RS256")]);
}

#[tokio::test]
async fn oidc_provider_holds_keys_for_exactly_the_algorithms_it_is_given() {
    let options = ProviderOptions::new().algs(&["PS256", "ES384"]);
    let Some((provider, _)) = provider_for("PS256", options).await else {
        return;
    };
    let discovery = provider.discovery().await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["PS256", "ES384"]),
        "{}",
        provider.log()
    );
    let jwks = provider.jwks().await;
    let keys: Vec<(&Value, &Value)> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| (&key["kty"], &key["alg"]))
        .collect();
    assert_eq!(
        keys,
        [
            (&json!("RSA"), &json!("PS256")),
            (&json!("EC"), &json!("ES384"))
        ]
    );
}

async fn code_flow_gives_a_verifiable_id_token(alg: &str) {
    let Some((provider, redirect_uri)) = provider_for(alg, ProviderOptions::new()).await else {
        return;
    };
    let mut browser = Browser::new();
    let tokens = sign_in_and_exchange(&provider, &redirect_uri, &mut browser).await;

    let id_token = tokens["id_token"].as_str().unwrap();
    let (header, claims) = jws_parts(id_token);
    assert_eq!(header["alg"], alg, "{}", provider.log());
    let ada = account("ada");
    assert_eq!(claims["iss"], provider.issuer());
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["sub"], ada.sub);
    assert_eq!(claims["email"], ada.email);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], ada.name);
    assert!(verifies_with(id_token, &provider.jwks().await), "{header}");

    // Userinfo answers the same subject for the access token.
    let userinfo_endpoint = provider.discovery().await["userinfo_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let userinfo = fetch(
        Method::GET,
        &userinfo_endpoint,
        &[("authorization", &bearer)],
        Vec::new(),
    )
    .await
    .expect_json(200);
    assert_eq!(userinfo["sub"], ada.sub);
    assert_eq!(userinfo["email"], ada.email);
}

#[tokio::test]
async fn oidc_code_flow_with_pkce_gives_an_es256_id_token_signed_by_a_published_key() {
    code_flow_gives_a_verifiable_id_token("ES256").await;
}

#[tokio::test]
async fn oidc_code_flow_with_pkce_gives_an_rs256_id_token_signed_by_a_published_key() {
    code_flow_gives_a_verifiable_id_token("RS256").await;
}

#[tokio::test]
async fn oidc_code_exchange_without_the_right_verifier_is_refused() {
    let post = |client: OidcClient| client.auth_method("client_secret_post");
    let Some((provider, redirect_uri)) = provider_with(ProviderOptions::new(), post).await else {
        return;
    };
    let request = authorization_request(&provider, &redirect_uri).await;
    let page = Browser::new()
        .sign_in(&request.url, "ada", PROVIDER_PASSWORD, Some(&redirect_uri))
        .await;
    let code = query_param(&page.location().unwrap(), "code").unwrap();
    let token_endpoint = provider.discovery().await["token_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = fetch(
        Method::POST,
        &token_endpoint,
        &[("content-type", "application/x-www-form-urlencoded")],
        form_body(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &Pkce::new().verifier),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]),
    )
    .await;
    assert_eq!(reply.status, 400, "{reply:#?}");
    assert_eq!(reply.expect_json(400)["error"], "invalid_grant");
}

#[tokio::test]
async fn oidc_a_rotated_key_signs_new_id_tokens_under_a_new_kid_in_the_jwks() {
    let Some((provider, redirect_uri)) = provider_for("ES256", ProviderOptions::new()).await else {
        return;
    };
    let mut browser = Browser::new();
    let before = sign_in_and_exchange(&provider, &redirect_uri, &mut browser).await;
    let old_token = before["id_token"].as_str().unwrap().to_owned();
    let old_kid = jws_parts(&old_token).0["kid"].clone();

    let kids = provider.rotate_key(false).await;
    let new_kid = &kids["ES256"];
    assert_ne!(json!(new_kid), old_kid);

    // Same browser: the provider's session survives the rotation, so no
    // second login.
    let after = sign_in_and_exchange(&provider, &redirect_uri, &mut browser).await;
    let new_token = after["id_token"].as_str().unwrap();
    assert_eq!(jws_parts(new_token).0["kid"], json!(new_kid));
    let jwks = provider.jwks().await;
    assert!(verifies_with(new_token, &jwks));
    // The old key has left the JWKS.
    assert!(!verifies_with(&old_token, &jwks));
}

#[tokio::test]
async fn oidc_a_rotation_can_keep_the_old_key_published() {
    let Some((provider, _)) = provider_for("ES256", ProviderOptions::new()).await else {
        return;
    };
    let old_kids: Vec<Value> = provider.jwks().await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].clone())
        .collect();
    let kids = provider.rotate_key(true).await;
    let published: Vec<Value> = provider.jwks().await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].clone())
        .collect();
    let mut expected = vec![json!(kids["ES256"]), json!(kids["RS256"])];
    expected.extend(old_kids);
    assert_eq!(published, expected);
}

#[tokio::test]
async fn oidc_a_wrong_password_gets_the_login_page_again() {
    let Some((provider, redirect_uri)) = provider_for("ES256", ProviderOptions::new()).await else {
        return;
    };
    let request = authorization_request(&provider, &redirect_uri).await;
    let page = Browser::new()
        .sign_in(&request.url, "ada", "not-the-password", Some(&redirect_uri))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.form("login").is_some(), "{page:#?}");
    assert!(
        page.body.contains("Wrong username or password"),
        "{page:#?}"
    );
}

#[tokio::test]
async fn oidc_cancel_and_deny_send_the_client_access_denied() {
    let options = ProviderOptions::new().consent_page();
    let Some((provider, redirect_uri)) = provider_for("ES256", options).await else {
        return;
    };
    let request = authorization_request(&provider, &redirect_uri).await;
    let cancelled = Browser::new()
        .cancel_login(&request.url, Some(&redirect_uri))
        .await;
    let location = cancelled.location().unwrap();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state"), Some(request.state));

    let request = authorization_request(&provider, &redirect_uri).await;
    let denied = Browser::new()
        .sign_in_and_deny(&request.url, "ada", PROVIDER_PASSWORD, Some(&redirect_uri))
        .await;
    let location = denied.location().unwrap();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert!(query_param(&location, "code").is_none());

    // Allowing on the consent page gives a code.
    let request = authorization_request(&provider, &redirect_uri).await;
    let allowed = Browser::new()
        .sign_in(&request.url, "ada", PROVIDER_PASSWORD, Some(&redirect_uri))
        .await;
    assert!(query_param(&allowed.location().unwrap(), "code").is_some());
}

#[tokio::test]
async fn oidc_misbehaviour_tampers_id_tokens_userinfo_and_responses() {
    let Some((provider, redirect_uri)) = provider_for("ES256", ProviderOptions::new()).await else {
        return;
    };
    let mut browser = Browser::new();

    // Claims changed and re-signed with the published key.
    provider
        .misbehave(json!({
            "id_token_claims": { "aud": "someone-else", "email": null },
            "userinfo_claims": { "sub": "another-subject" },
        }))
        .await;
    let request = authorization_request(&provider, &redirect_uri).await;
    let page = browser
        .sign_in(&request.url, "ada", PROVIDER_PASSWORD, None)
        .await;
    let code = page.expect_json(200)["code"].as_str().unwrap().to_owned();
    let tokens = exchange(&provider, &code, &request.pkce.verifier, &redirect_uri).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let (_, claims) = jws_parts(id_token);
    assert_eq!(claims["aud"], "someone-else");
    assert!(claims.get("email").is_none(), "{claims}");
    assert!(verifies_with(id_token, &provider.jwks().await));
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let userinfo = fetch(
        Method::GET,
        &provider.url("/me"),
        &[("authorization", &bearer)],
        Vec::new(),
    )
    .await
    .expect_json(200);
    assert_eq!(userinfo["sub"], "another-subject");

    // A key outside the JWKS, and no signature at all.
    for (behaviour, alg) in [
        (json!({ "id_token_foreign_key": true }), "ES256"),
        (json!({ "id_token_header": { "alg": "none" } }), "none"),
        (json!({ "id_token_header": { "alg": "HS256" } }), "HS256"),
    ] {
        provider.misbehave(behaviour).await;
        let tokens = sign_in_and_exchange(&provider, &redirect_uri, &mut browser).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(jws_parts(id_token).0["alg"], alg);
        assert!(!verifies_with(id_token, &provider.jwks().await), "{alg}");
    }

    // A canned answer in place of the token endpoint.
    provider
        .misbehave(json!({ "responses": { "/token": { "status": 200, "body": "<html>oops" } } }))
        .await;
    let request = authorization_request(&provider, &redirect_uri).await;
    let page = browser
        .sign_in(&request.url, "ada", PROVIDER_PASSWORD, Some(&redirect_uri))
        .await;
    let code = query_param(&page.location().unwrap(), "code").unwrap();
    let reply = fetch(
        Method::POST,
        provider.discovery().await["token_endpoint"]
            .as_str()
            .unwrap(),
        &[("content-type", "application/x-www-form-urlencoded")],
        form_body(&[("code", &code)]),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "<html>oops"));
}
