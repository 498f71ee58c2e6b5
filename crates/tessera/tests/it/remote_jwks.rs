//! `RemoteJwks`: keys fetched from a real HTTP issuer on 127.0.0.1, the
//! cache rules (max-age, refetch interval, single flight, grace period),
//! the URL rule, which JWKS members are usable, and the kid-less rule.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tessera::remote::{FetchError, RemoteError, RemoteJwks};
use tessera::{
    Algorithm, Clock, DecodeOptions, ExtraClaims, GeneratedKeyPair, Key, ManualClock, Token,
    TokenError, TokenType, Validation,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use crate::support::{NOW, claims_with, clock, header_for, header_with, sign_raw, signing_key};

/// What the fake issuer answers at `/jwks`.
struct Reply {
    status: StatusCode,
    cache_control: Option<String>,
    body: String,
}

/// A fake issuer: `/jwks`, `/.well-known/openid-configuration` and a
/// `/redirect` to `/jwks`, counting the requests each receives.
struct Issuer {
    base: String,
    jwks: Mutex<Reply>,
    discovery: Mutex<Value>,
    jwks_hits: AtomicUsize,
    discovery_hits: AtomicUsize,
    /// `/jwks` answers only once this is `true`.
    open: watch::Sender<bool>,
}

impl Issuer {
    /// Starts an issuer publishing `keys` with `Cache-Control: max-age=300`.
    async fn start(keys: &[&Key]) -> Arc<Issuer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let issuer = Arc::new(Issuer {
            discovery: Mutex::new(json!({ "issuer": base, "jwks_uri": format!("{base}/jwks") })),
            base,
            jwks: Mutex::new(Reply {
                status: StatusCode::OK,
                cache_control: Some("public, max-age=300".to_owned()),
                body: String::new(),
            }),
            jwks_hits: AtomicUsize::new(0),
            discovery_hits: AtomicUsize::new(0),
            open: watch::Sender::new(true),
        });
        issuer.publish(keys);
        let app = Router::new()
            .route("/jwks", get(jwks))
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/redirect", get(|| async { Redirect::temporary("/jwks") }))
            .with_state(Arc::clone(&issuer));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        issuer
    }

    fn jwks_url(&self) -> String {
        format!("{}/jwks", self.base)
    }

    /// Publishes the public halves of `keys`.
    fn publish(&self, keys: &[&Key]) {
        let members: Vec<Value> = keys
            .iter()
            .map(|key| serde_json::to_value(key.public_jwk().unwrap()).unwrap())
            .collect();
        self.publish_members(members);
    }

    /// Publishes exactly these JWKS members.
    fn publish_members(&self, members: Vec<Value>) {
        self.jwks.lock().unwrap().body = json!({ "keys": members }).to_string();
    }

    fn set_cache_control(&self, value: &str) {
        self.jwks.lock().unwrap().cache_control = Some(value.to_owned());
    }

    fn set_status(&self, status: StatusCode) {
        self.jwks.lock().unwrap().status = status;
    }

    fn hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }
}

async fn jwks(State(issuer): State<Arc<Issuer>>) -> Response {
    issuer.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let mut open = issuer.open.subscribe();
    open.wait_for(|open| *open).await.unwrap();
    let reply = issuer.jwks.lock().unwrap();
    let mut response = (reply.status, reply.body.clone()).into_response();
    if let Some(value) = &reply.cache_control {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, value.parse().unwrap());
    }
    response
}

async fn discovery(State(issuer): State<Arc<Issuer>>) -> Response {
    issuer.discovery_hits.fetch_add(1, Ordering::SeqCst);
    axum::Json(issuer.discovery.lock().unwrap().clone()).into_response()
}

/// A `RemoteJwks` on `url`, loopback http allowed, on `clock`.
fn remote(url: &str, clock: &ManualClock) -> RemoteJwks {
    RemoteJwks::from_jwks_url(url)
        .allow_loopback_http(true)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

/// A valid access token signed by `key`, issued at `now`.
fn token_at(key: &Key, now: i64) -> String {
    sign_raw(key, &header_for(key), &timed_claims(now))
}

/// The same without a `kid` in the header.
fn kidless_token(key: &Key) -> String {
    let header = header_with(key, |header| {
        header.remove("kid");
    });
    sign_raw(key, &header, &timed_claims(NOW))
}

fn timed_claims(now: i64) -> String {
    claims_with(|claims| {
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), now.into());
        claims.insert("exp".into(), (now + 900).into());
    })
}

async fn verify(remote: &RemoteJwks, token: &str) -> Result<Token<ExtraClaims>, RemoteError> {
    remote
        .verify::<ExtraClaims>(token, DecodeOptions::expect(TokenType::Access))
        .await
}

/// The error `remote` refuses `token` with.
async fn refusal(remote: &RemoteJwks, token: &str) -> RemoteError {
    match verify(remote, token).await {
        Ok(verified) => panic!("token was accepted: {verified:?}"),
        Err(err) => err,
    }
}

/// A JWKS member: `key`'s public JWK with `edit` applied.
fn member(key: &Key, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let Value::Object(mut map) = serde_json::to_value(key.public_jwk().unwrap()).unwrap() else {
        unreachable!()
    };
    edit(&mut map);
    Value::Object(map)
}

#[tokio::test]
async fn verifies_es256_rs256_and_eddsa_tokens_with_one_fetch() {
    let keys = [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA].map(signing_key);
    let issuer = Issuer::start(&keys.iter().collect::<Vec<_>>()).await;
    let remote = remote(&issuer.jwks_url(), &clock());

    for key in &keys {
        let verified = verify(&remote, &token_at(key, NOW)).await.unwrap();
        assert_eq!(verified.claims.sub, "42");
        assert_eq!(verified.header.alg, key.algorithm());
    }
    assert_eq!(issuer.hits(), 1);
    assert_eq!(remote.status().keys, 3);
}

#[tokio::test]
async fn a_token_from_another_key_with_a_published_kid_is_refused() {
    let published = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&published]).await;
    let remote = remote(&issuer.jwks_url(), &clock());
    let forger = signing_key(Algorithm::ES256).with_kid(published.kid().unwrap());

    let err = refusal(&remote, &token_at(&forger, NOW)).await;
    assert!(
        matches!(err, RemoteError::Token(TokenError::InvalidSignature)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_token_carrying_its_own_key_is_refused_without_fetching() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    let remote = remote(&issuer.jwks_url(), &clock());
    let jwk = serde_json::to_value(key.public_jwk().unwrap()).unwrap();
    let header = header_with(&key, |header| {
        header.insert("jwk".into(), jwk);
    });

    let err = refusal(&remote, &sign_raw(&key, &header, &timed_claims(NOW))).await;
    assert!(
        matches!(err, RemoteError::Token(TokenError::ForbiddenHeader("jwk"))),
        "{err:?}"
    );
    assert_eq!(issuer.hits(), 0);
}

#[tokio::test]
async fn keys_are_kept_for_max_age_then_refetched() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    issuer.set_cache_control("public, max-age=120");
    let clock = clock();
    let remote = remote(&issuer.jwks_url(), &clock);

    verify(&remote, &token_at(&key, NOW)).await.unwrap();
    clock.advance(119);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 1);

    clock.advance(1);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 2);
    assert_eq!(remote.status().expires_at, Some(NOW + 120 + 120));
}

#[tokio::test]
async fn max_age_under_a_minute_counts_as_a_minute() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    issuer.set_cache_control("max-age=5");
    let clock = clock();
    let remote = remote(&issuer.jwks_url(), &clock);

    verify(&remote, &token_at(&key, NOW)).await.unwrap();
    clock.advance(59);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 1);

    clock.advance(1);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 2);
}

#[tokio::test]
async fn max_age_over_a_day_counts_as_a_day() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    issuer.set_cache_control("max-age=31536000");
    let clock = clock();
    let remote = remote(&issuer.jwks_url(), &clock);

    verify(&remote, &token_at(&key, NOW)).await.unwrap();
    assert_eq!(remote.status().expires_at, Some(NOW + 86_400));
    clock.advance(86_399);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 1);

    clock.advance(1);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 2);
}

#[tokio::test]
async fn an_unknown_kid_refetches_once_then_waits_ten_seconds() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    let clock = clock();
    let remote = remote(&issuer.jwks_url(), &clock);
    verify(&remote, &token_at(&key, NOW)).await.unwrap();
    clock.advance(10);
    let stranger = |n: u32| signing_key(Algorithm::ES256).with_kid(format!("random-{n}"));

    let err = refusal(&remote, &token_at(&stranger(1), clock.now())).await;
    assert!(
        matches!(err, RemoteError::Token(TokenError::UnknownKeyId)),
        "{err:?}"
    );
    assert_eq!(issuer.hits(), 2);

    for n in 2..6 {
        clock.advance(2);
        refusal(&remote, &token_at(&stranger(n), clock.now())).await;
    }
    assert_eq!(issuer.hits(), 2, "no refetch within 10 s of the last");

    clock.advance(2);
    refusal(&remote, &token_at(&stranger(6), clock.now())).await;
    assert_eq!(issuer.hits(), 3);
}

#[tokio::test]
async fn concurrent_misses_share_one_fetch() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    let remote = remote(&issuer.jwks_url(), &clock());
    issuer.open.send_replace(false);

    let token = token_at(&key, NOW);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (remote, token) = (remote.clone(), token.clone());
            tokio::spawn(async move { verify(&remote, &token).await.map(|_| ()) })
        })
        .collect();
    // Every task has run up to the fetch (or the wait for it) once the
    // issuer has seen a request: they were all queued before it.
    while issuer.hits() == 0 {
        tokio::task::yield_now().await;
    }
    issuer.open.send_replace(true);
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(issuer.hits(), 1);
}

#[tokio::test]
async fn a_failing_refetch_keeps_the_last_good_keys_for_a_day() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    issuer.set_cache_control("max-age=60");
    let clock = clock();
    let remote = remote(&issuer.jwks_url(), &clock);
    verify(&remote, &token_at(&key, NOW)).await.unwrap();

    issuer.set_status(StatusCode::INTERNAL_SERVER_ERROR);
    clock.advance(60);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 2);
    let status = remote.status();
    assert!(status.stale);
    assert!(
        matches!(
            status.last_error,
            Some(FetchError::Status { status: 500, .. })
        ),
        "{status:?}"
    );

    // Retried no more than every 10 s, still verifying meanwhile.
    clock.advance(5);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 2);

    // Up to 24 h past expiry, and not beyond.
    clock.set(NOW + 60 + 86_400 - 1);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    clock.advance(1);
    let err = refusal(&remote, &token_at(&key, clock.now())).await;
    assert!(
        matches!(
            err,
            RemoteError::Unavailable(FetchError::Status { status: 500, .. })
        ),
        "{err:?}"
    );
    assert_eq!(remote.status().keys, 0);
}

#[tokio::test]
async fn the_issuer_recovering_ends_the_grace_period() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    issuer.set_cache_control("max-age=60");
    let clock = clock();
    let remote = remote(&issuer.jwks_url(), &clock);
    verify(&remote, &token_at(&key, NOW)).await.unwrap();
    issuer.set_status(StatusCode::SERVICE_UNAVAILABLE);
    clock.advance(60);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();

    issuer.set_status(StatusCode::OK);
    clock.advance(10);
    verify(&remote, &token_at(&key, clock.now())).await.unwrap();
    let status = remote.status();
    assert_eq!(issuer.hits(), 3);
    assert!(!status.stale);
    assert_eq!(status.last_error, None);
}

#[tokio::test]
async fn a_body_over_256_kib_is_refused() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    let mut padded = member(&key, |_| {});
    padded["padding"] = "x".repeat(256 * 1024).into();
    issuer.publish_members(vec![padded]);
    let remote = remote(&issuer.jwks_url(), &clock());

    let err = refusal(&remote, &token_at(&key, NOW)).await;
    assert!(
        matches!(
            err,
            RemoteError::Unavailable(FetchError::TooLarge { max: 262_144, .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_cap() {
    // A server that sends chunks until the client hangs up: reading the
    // whole body before checking its size would never end.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 1024];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
        while socket.write_all(chunk.as_bytes()).await.is_ok() {}
    });
    let remote = remote(&url, &clock());

    let err = refusal(&remote, &token_at(&signing_key(Algorithm::ES256), NOW)).await;
    assert!(
        matches!(err, RemoteError::Unavailable(FetchError::TooLarge { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_unless_loopback_is_allowed() {
    let refused = |result: Result<RemoteJwks, RemoteError>| {
        matches!(result, Err(RemoteError::Config(FetchError::InsecureUrl(_))))
    };
    assert!(refused(
        RemoteJwks::from_jwks_url("http://127.0.0.1:8080/jwks").build()
    ));
    assert!(refused(
        RemoteJwks::from_issuer("http://localhost:8080").build()
    ));
    assert!(refused(
        RemoteJwks::from_jwks_url("http://issuer.example/jwks")
            .allow_loopback_http(true)
            .build()
    ));
    assert!(
        RemoteJwks::from_jwks_url("https://issuer.example/jwks")
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn a_discovered_jwks_uri_obeys_the_same_rule() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    issuer.discovery.lock().unwrap()["jwks_uri"] = "http://issuer.example/jwks".into();
    let remote = RemoteJwks::from_issuer(issuer.base.clone())
        .allow_loopback_http(true)
        .clock(Arc::new(clock()))
        .build()
        .unwrap();

    let err = refusal(&remote, &token_at(&key, NOW)).await;
    assert!(
        matches!(err, RemoteError::Unavailable(FetchError::InsecureUrl(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    let remote = remote(&format!("{}/redirect", issuer.base), &clock());

    let err = refusal(&remote, &token_at(&key, NOW)).await;
    assert!(
        matches!(
            err,
            RemoteError::Unavailable(FetchError::Redirect { status: 307, .. })
        ),
        "{err:?}"
    );
    assert_eq!(issuer.hits(), 0);
}

#[tokio::test]
async fn unusable_members_are_skipped_not_fatal() {
    let good = signing_key(Algorithm::ES256);
    let other = signing_key(Algorithm::ES256);
    let secret = crate::support::SECRET;
    let hmac = Key::hmac(Algorithm::HS256, secret.as_bytes())
        .unwrap()
        .with_kid("shared");
    let issuer = Issuer::start(&[]).await;
    issuer.publish_members(vec![
        member(&other, |m| {
            m.insert("use".into(), "enc".into());
            m.insert("kid".into(), "enc-key".into());
        }),
        json!({ "kty": "oct", "kid": "shared", "alg": "HS256", "k": crate::support::b64(secret) }),
        json!({ "kty": "XYZ", "kid": "odd" }),
        member(&other, |m| {
            m.insert("crv".into(), "P-521".into());
            m.remove("alg");
            m.insert("kid".into(), "p521".into());
        }),
        json!({ "kty": "OKP", "crv": "X25519", "x": "AAAA", "kid": "x25519" }),
        member(&other, |m| {
            m.insert("x".into(), 42.into());
        }),
        member(&other, |m| {
            m.insert("x".into(), "not base64!".into());
            m.insert("kid".into(), "bad-x".into());
        }),
        member(&other, |m| {
            m.insert("alg".into(), "HS256".into());
            m.insert("kid".into(), "ec-as-hmac".into());
        }),
        member(&other, |m| {
            m.insert("alg".into(), "none".into());
            m.insert("kid".into(), "ec-none".into());
        }),
        json!("not an object"),
        member(&good, |_| {}),
    ]);
    let remote = remote(&issuer.jwks_url(), &clock());

    verify(&remote, &token_at(&good, NOW)).await.unwrap();
    let status = remote.status();
    assert_eq!((status.keys, status.skipped), (1, 10));
    let err = refusal(&remote, &token_at(&hmac, NOW)).await;
    assert!(
        matches!(err, RemoteError::Token(TokenError::UnknownKeyId)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_set_without_usable_keys_is_unavailable() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[]).await;
    issuer.publish_members(vec![member(&key, |m| {
        m.insert("use".into(), "enc".into());
    })]);
    let remote = remote(&issuer.jwks_url(), &clock());

    let err = refusal(&remote, &token_at(&key, NOW)).await;
    assert!(
        matches!(err, RemoteError::Unavailable(FetchError::NoUsableKeys(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_rsa_key_without_alg_verifies_rs256_only_unless_configured() {
    let pem = GeneratedKeyPair::generate(Algorithm::RS256)
        .unwrap()
        .private_pem;
    let rs256 = Key::from_pem(Algorithm::RS256, &pem).unwrap();
    let ps256 = Key::from_pem(Algorithm::PS256, &pem).unwrap();
    let issuer = Issuer::start(&[]).await;
    issuer.publish_members(vec![member(&rs256, |m| {
        m.remove("alg");
    })]);
    let clock = clock();

    let default = remote(&issuer.jwks_url(), &clock);
    verify(&default, &token_at(&rs256, NOW)).await.unwrap();
    let err = refusal(&default, &token_at(&ps256, NOW)).await;
    assert!(
        matches!(
            err,
            RemoteError::Token(TokenError::AlgorithmMismatch {
                expected: Algorithm::RS256,
                found: Algorithm::PS256
            })
        ),
        "{err:?}"
    );

    let both = RemoteJwks::from_jwks_url(issuer.jwks_url())
        .allow_loopback_http(true)
        .clock(Arc::new(clock.clone()))
        .rsa_algorithms([Algorithm::RS256, Algorithm::PS256])
        .build()
        .unwrap();
    verify(&both, &token_at(&ps256, NOW)).await.unwrap();
    verify(&both, &token_at(&rs256, NOW)).await.unwrap();
}

#[tokio::test]
async fn a_kidless_token_needs_exactly_one_key_for_its_algorithm() {
    let es256 = signing_key(Algorithm::ES256);
    let rs256 = signing_key(Algorithm::RS256);
    let issuer = Issuer::start(&[&es256, &rs256]).await;
    let remote_one = remote(&issuer.jwks_url(), &clock());
    verify(&remote_one, &kidless_token(&es256)).await.unwrap();

    let second = signing_key(Algorithm::ES256);
    issuer.publish(&[&es256, &second, &rs256]);
    let remote_two = remote(&issuer.jwks_url(), &clock());
    let err = refusal(&remote_two, &kidless_token(&es256)).await;
    assert!(
        matches!(err, RemoteError::Token(TokenError::UnknownKeyId)),
        "{err:?}"
    );
    verify(&remote_two, &kidless_token(&rs256)).await.unwrap();
}

#[tokio::test]
async fn discovery_leads_to_the_keys_and_requires_the_issuer() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    issuer.discovery.lock().unwrap()["id_token_signing_alg_values_supported"] =
        json!(["ES256", "none", "HS256"]);
    let remote = RemoteJwks::from_issuer(issuer.base.clone())
        .allow_loopback_http(true)
        .clock(Arc::new(clock()))
        .build()
        .unwrap();

    let claims = claims_with(|claims| {
        claims.insert("iss".into(), issuer.base.clone().into());
    });
    let verified = verify(&remote, &sign_raw(&key, &header_for(&key), &claims))
        .await
        .unwrap();
    assert_eq!(verified.claims.iss.as_deref(), Some(issuer.base.as_str()));
    let discovery = remote.discovery().unwrap();
    assert_eq!(
        discovery.id_token_signing_algorithms(),
        Some(vec![Algorithm::ES256])
    );

    // The issuer is required as `iss` unless the validation says otherwise.
    let err = refusal(&remote, &token_at(&key, NOW)).await;
    assert!(
        matches!(err, RemoteError::Token(TokenError::MissingClaim(ref name)) if name == "iss"),
        "{err:?}"
    );
    assert_eq!(issuer.discovery_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let key = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&key]).await;
    let other = format!("{}/other", issuer.base);
    issuer.discovery.lock().unwrap()["issuer"] = other.clone().into();
    let remote = RemoteJwks::from_issuer(issuer.base.clone())
        .allow_loopback_http(true)
        .clock(Arc::new(clock()))
        .validation(Validation::default())
        .build()
        .unwrap();

    let err = refusal(&remote, &token_at(&key, NOW)).await;
    assert!(
        matches!(err, RemoteError::Unavailable(FetchError::IssuerMismatch { ref found, .. }) if *found == other),
        "{err:?}"
    );
    assert_eq!(issuer.hits(), 0, "no keys fetched for a mismatched issuer");
}

#[tokio::test]
async fn a_rotated_key_is_picked_up() {
    let old = signing_key(Algorithm::ES256);
    let issuer = Issuer::start(&[&old]).await;
    let clock = clock();
    let remote = remote(&issuer.jwks_url(), &clock);
    verify(&remote, &token_at(&old, NOW)).await.unwrap();

    let new = signing_key(Algorithm::EdDSA);
    issuer.publish(&[&new]);
    clock.advance(10);
    verify(&remote, &token_at(&new, clock.now())).await.unwrap();
    assert_eq!(issuer.hits(), 2);
    let err = refusal(&remote, &token_at(&old, clock.now())).await;
    assert!(
        matches!(err, RemoteError::Token(TokenError::UnknownKeyId)),
        "{err:?}"
    );
}
