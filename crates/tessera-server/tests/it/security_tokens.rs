//! The token attack catalogue against the running server: each forged or
//! misused token is sent to `GET /auth/me` and `GET /auth/verify` and must
//! get a 401, and each must also fool [`WeakVerifier`] (a verifier with the
//! classic bugs, defined in the tests only), which proves that the case
//! really carries the attack and could fail.
//!
//! The attacker's goal in most cases is the admin's identity: a forged
//! token claims `sub` = the admin while the attacker holds only a user
//! account (and, for the misuse cases, that user's own tokens).

use axum::Router;
use axum::routing::get;
use serde_json::{Map, Value, json};
use tessera::{Algorithm, GeneratedKeyPair, Key};

use crate::http_support::{SECRET, Server, Tokens, assert_error_shape, claims, setup};
use crate::store_support::START;
use crate::store_support::backend_tests;
use crate::weak_verifier::{WeakKeys, WeakVerifier, hmac_sha};

/// One attack: a name for failure messages, the token, and the `sub` the
/// weak verifier ends up believing.
struct Attack {
    name: String,
    token: String,
    believed: String,
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    tessera::b64::encode(bytes)
}

fn header_of(token: &str) -> Map<String, Value> {
    let segment = token.split('.').next().unwrap();
    serde_json::from_slice(&tessera::b64::decode(segment).unwrap()).unwrap()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// `header.payload` from JSON text taken byte for byte.
fn signing_input(header: &str, payload: &str) -> String {
    format!("{}.{}", b64(header), b64(payload))
}

/// A token whose HMAC is keyed with `key` (the right secret, or a wrong one).
fn hmac_token(key: &[u8], header: &Map<String, Value>, payload: &str) -> String {
    let alg = header["alg"].as_str().unwrap();
    let input = signing_input(&Value::Object(header.clone()).to_string(), payload);
    format!("{input}.{}", b64(hmac_sha(alg, key, input.as_bytes())))
}

/// A token signed by `key` (the server's own, or the attacker's).
fn signed_token(key: &Key, header: &Map<String, Value>, payload: &str) -> String {
    let input = signing_input(&Value::Object(header.clone()).to_string(), payload);
    format!("{input}.{}", b64(key.sign(input.as_bytes()).unwrap()))
}

/// A token with an arbitrary signature segment.
fn token_with_signature(header: &Map<String, Value>, payload: &str, signature: &str) -> String {
    let input = signing_input(&Value::Object(header.clone()).to_string(), payload);
    format!("{input}.{signature}")
}

/// `claims` with `edit` applied, as JSON text.
fn edited(claims: &Map<String, Value>, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut claims = claims.clone();
    edit(&mut claims);
    Value::Object(claims).to_string()
}

/// The same token with one more, non-canonical spelling of its signature:
/// the unused low bits of the last base64url character set.
fn with_trailing_bits(token: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (input, signature) = token.rsplit_once('.').unwrap();
    let unused_bits = match signature.len() % 4 {
        2 => 4,
        3 => 2,
        _ => panic!(
            "no unused bits in a signature of {} characters",
            signature.len()
        ),
    };
    let last = *signature.as_bytes().last().unwrap();
    let value = ALPHABET.iter().position(|&c| c == last).unwrap();
    let changed = char::from(ALPHABET[value | ((1 << unused_bits) - 1)]);
    format!("{input}.{}{changed}", &signature[..signature.len() - 1])
}

/// An attacker's ES256 key pair and a plain-HTTP server publishing its
/// public half as a JWKS (the target of `jku` / `x5u`).
struct AttackerKeys {
    key: Key,
    jwk: Value,
    jwks_url: String,
}

impl AttackerKeys {
    async fn start() -> AttackerKeys {
        let pair = GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
        let key = Key::from_pem(Algorithm::ES256, &pair.private_pem).unwrap();
        let jwk = serde_json::to_value(key.public_jwk().unwrap()).unwrap();
        let jwks = json!({ "keys": [jwk.clone()] });
        let app = Router::new().route(
            "/jwks.json",
            get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let jwks_url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        AttackerKeys { key, jwk, jwks_url }
    }

    /// A token in the attacker's name: `header` plus `alg: ES256`, signed
    /// with the attacker's key.
    fn sign(&self, mut header: Map<String, Value>, payload: &str) -> String {
        header.insert("alg".into(), "ES256".into());
        signed_token(&self.key, &header, payload)
    }
}

fn attack(name: &str, token: String, believed: &str) -> Attack {
    Attack {
        name: name.to_owned(),
        token,
        believed: believed.to_owned(),
    }
}

/// What every case starts from: a server, the admin the attacker wants to
/// be, and the attacker's own account and tokens.
struct Scene {
    server: Server,
    admin_id: String,
    user: Tokens,
    user_id: String,
    /// The user's access claims, re-signed by the cases that hold the key.
    claims: Map<String, Value>,
    /// The header the server writes.
    header: Map<String, Value>,
}

impl Scene {
    async fn on(server: Server) -> Scene {
        let admin = server.admin("root").await;
        let user = server.signed_up("mallory").await;
        Scene {
            admin_id: claims(&admin.access)["sub"].as_str().unwrap().to_owned(),
            user_id: claims(&user.access)["sub"].as_str().unwrap().to_owned(),
            claims: object(claims(&user.access)),
            header: header_of(&user.access),
            server,
            user,
        }
    }

    /// The user's claims, but naming the admin.
    fn as_admin(&self) -> String {
        let admin = self.admin_id.clone();
        edited(&self.claims, |claims| {
            claims.insert("sub".into(), admin.into());
        })
    }

    /// Checks the control (an honest token passes both verifiers, so the
    /// forging here is right), then every attack: the weak verifier is
    /// fooled, Tessera answers 401.
    async fn run(&self, weak: &WeakVerifier, control: &str, attacks: Vec<Attack>) {
        assert_eq!(weak.verify(control).await.unwrap(), self.user_id);
        self.server
            .get("/auth/me")
            .bearer(control)
            .send()
            .await
            .expect(200);
        self.server
            .get("/auth/verify")
            .bearer(control)
            .send()
            .await
            .expect(200);
        for attack in &attacks {
            let believed = weak.verify(&attack.token).await.unwrap_or_else(|why| {
                panic!(
                    "{}: the weak verifier refused it ({why}); the case proves nothing",
                    attack.name
                )
            });
            assert_eq!(believed, attack.believed, "{}", attack.name);
            for path in ["/auth/me", "/auth/verify"] {
                let reply = self.server.get(path).bearer(&attack.token).send().await;
                assert_eq!(
                    reply.status.as_u16(),
                    401,
                    "{} at {path}: {reply}",
                    attack.name
                );
                assert!(
                    reply
                        .header("www-authenticate")
                        .is_some_and(|value| value.starts_with("Bearer")),
                    "{} at {path}: no challenge: {reply}",
                    attack.name
                );
                if path == "/auth/me" {
                    assert_error_shape(&reply.json());
                }
            }
        }
    }
}

fn with(
    header: &Map<String, Value>,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Map<String, Value> {
    let mut header = header.clone();
    edit(&mut header);
    header
}

/// The attacks on an HS256 server that need no key (forgeries), and the
/// ones that misuse tokens the server did sign (the user's own, or ones
/// re-signed with the secret to isolate one claim).
async fn hs256_attacks(scene: &Scene, attacker: &AttackerKeys) -> Vec<Attack> {
    let secret = SECRET.as_bytes();
    let admin = scene.admin_id.as_str();
    let user = scene.user_id.as_str();
    let mut attacks = Vec::new();
    // Unsigned tokens, `alg: none` in every casing.
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = object(json!({ "alg": alg, "typ": "JWT" }));
        attacks.push(attack(
            &format!("alg {alg}"),
            token_with_signature(&header, &scene.as_admin(), ""),
            admin,
        ));
    }
    attacks.push(attack(
        "stripped signature",
        token_with_signature(&scene.header, &scene.as_admin(), ""),
        admin,
    ));
    attacks.push(attack(
        "embedded jwk",
        attacker.sign(
            object(json!({ "typ": "JWT", "jwk": attacker.jwk.clone() })),
            &scene.as_admin(),
        ),
        admin,
    ));
    for member in ["jku", "x5u"] {
        attacks.push(attack(
            member,
            attacker.sign(
                object(json!({ "typ": "JWT", member: attacker.jwks_url.clone() })),
                &scene.as_admin(),
            ),
            admin,
        ));
    }
    attacks.push(attack(
        "kid path traversal to an empty file",
        hmac_token(
            b"",
            &object(json!({ "alg": "HS256", "typ": "JWT", "kid": "../../../../../../../../../../dev/null" })),
            &scene.as_admin(),
        ),
        admin,
    ));
    attacks.push(attack(
        "kid SQL injection",
        hmac_token(
            b"attacker-chosen",
            &object(json!({ "alg": "HS256", "typ": "JWT", "kid": "x' UNION SELECT 'attacker-chosen'--" })),
            &scene.as_admin(),
        ),
        admin,
    ));
    // The user's own claims, re-signed with the real secret, one rule broken.
    let resigned = |name: &str, edit: &dyn Fn(&mut Map<String, Value>)| {
        attack(
            name,
            hmac_token(secret, &scene.header, &edited(&scene.claims, edit)),
            user,
        )
    };
    attacks.push(resigned("expired", &|claims| {
        claims.insert("iat".into(), json!(START - 960));
        claims.insert("nbf".into(), json!(START - 960));
        claims.insert("exp".into(), json!(START - 60));
    }));
    attacks.push(resigned("not yet valid (nbf)", &|claims| {
        claims.insert("nbf".into(), json!(START + 3600));
    }));
    attacks.push(resigned("issued in the future (iat)", &|claims| {
        claims.insert("iat".into(), json!(START + 3600));
    }));
    attacks.push(resigned("no exp", &|claims| {
        claims.remove("exp");
    }));
    attacks.push(resigned("another issuer", &|claims| {
        claims.insert("iss".into(), json!("http://evil.test"));
    }));
    attacks.push(resigned("no issuer", &|claims| {
        claims.remove("iss");
    }));
    attacks.push(resigned("exp as a string", &|claims| {
        claims.insert("exp".into(), json!("9999999999"));
    }));
    attacks.push(resigned("an oversized token (64 KiB claim)", &|claims| {
        claims.insert("pad".into(), json!("x".repeat(64 * 1024)));
    }));
    // serde_json's own Value stops at 128 levels, so the 2000-level one is
    // spliced in as text (the weak verifier skips it without a limit).
    let deep = edited(&scene.claims, |_| {});
    let deep = format!(
        "{},\"nest\":{}{}}}",
        &deep[..deep.len() - 1],
        "[".repeat(2000),
        "]".repeat(2000)
    );
    attacks.push(attack(
        "deeply nested claim (2000 levels)",
        hmac_token(secret, &scene.header, &deep),
        user,
    ));
    // A duplicate `sub`: the last one names the admin.
    let claims_text = edited(&scene.claims, |_| {});
    let duplicated = format!(
        "{},\"sub\":\"{admin}\"}}",
        &claims_text[..claims_text.len() - 1]
    );
    attacks.push(attack(
        "duplicate sub",
        hmac_token(secret, &scene.header, &duplicated),
        admin,
    ));
    attacks.push(attack(
        "unknown crit extension",
        hmac_token(
            secret,
            &with(&scene.header, |header| {
                header.insert("crit".into(), json!(["x"]));
                header.insert("x".into(), json!(1));
            }),
            &edited(&scene.claims, |_| {}),
        ),
        user,
    ));
    attacks.push(attack(
        "unencoded payload (b64: false)",
        hmac_token(
            secret,
            &with(&scene.header, |header| {
                header.insert("crit".into(), json!(["b64"]));
                header.insert("b64".into(), json!(false));
            }),
            &edited(&scene.claims, |_| {}),
        ),
        user,
    ));
    let honest = hmac_token(secret, &scene.header, &edited(&scene.claims, |_| {}));
    attacks.push(attack("padded signature", format!("{honest}="), user));
    attacks.push(attack(
        "non-canonical trailing bits",
        with_trailing_bits(&honest),
        user,
    ));
    // Tokens the server issued, used where they do not belong.
    attacks.push(attack(
        "refresh token as an access token",
        scene.user.refresh.clone(),
        user,
    ));
    let ended = scene.server.login("mallory").await;
    scene
        .server
        .post("/auth/logout")
        .bearer(&ended.access)
        .send()
        .await
        .expect(200);
    attacks.push(attack(
        "access token replayed after logout",
        ended.access,
        user,
    ));
    attacks
}

backend_tests! {
    async fn every_token_attack_on_an_hs256_server_fools_the_weak_verifier_and_gets_a_401(db) {
        let scene = Scene::on(setup().start(&db).await).await;
        let attacker = AttackerKeys::start().await;
        let weak = WeakVerifier { keys: WeakKeys::Hmac(SECRET.as_bytes().to_vec()) };
        let control = hmac_token(SECRET.as_bytes(), &scene.header, &edited(&scene.claims, |_| {}));
        let attacks = hs256_attacks(&scene, &attacker).await;
        assert_eq!(attacks.len(), 26, "the catalogue above");
        scene.run(&weak, &control, attacks).await;
    }

    async fn every_key_confusion_on_an_es256_server_fools_the_weak_verifier_and_gets_a_401(db) {
        let pair = GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
        let server = setup()
            .var("JWT_ALGORITHM", "ES256")
            .var("JWT_PRIVATE_KEY", pair.private_pem.clone())
            .var("JWT_PUBLIC_KEY", pair.public_pem.clone())
            .start(&db)
            .await;
        let scene = Scene::on(server).await;
        let attacker = AttackerKeys::start().await;
        let signing = Key::from_pem(Algorithm::ES256, &pair.private_pem).unwrap();
        let weak = WeakVerifier {
            keys: WeakKeys::Public {
                key: Box::new(Key::from_pem(Algorithm::ES256, &pair.public_pem).unwrap()),
                pem: pair.public_pem.clone(),
            },
        };
        let control = signed_token(&signing, &scene.header, &edited(&scene.claims, |_| {}));
        let admin = scene.admin_id.clone();
        let attacks = vec![
            // HS256 keyed with the public key as published (PEM text).
            attack(
                "HS256 keyed with the public PEM",
                hmac_token(pair.public_pem.as_bytes(), &object(json!({ "alg": "HS256", "typ": "JWT" })), &scene.as_admin()),
                &admin,
            ),
            attack(
                "psychic signature (r = s = 0)",
                token_with_signature(&scene.header, &scene.as_admin(), &b64([0u8; 64])),
                &admin,
            ),
            attack(
                "embedded jwk",
                attacker.sign(
                    object(json!({ "typ": "JWT", "jwk": attacker.jwk.clone() })),
                    &scene.as_admin(),
                ),
                &admin,
            ),
            attack(
                "alg none",
                token_with_signature(&object(json!({ "alg": "none" })), &scene.as_admin(), ""),
                &admin,
            ),
            attack(
                "jku",
                attacker.sign(object(json!({ "jku": attacker.jwks_url.clone() })), &scene.as_admin()),
                &admin,
            ),
        ];
        scene.run(&weak, &control, attacks).await;
    }
}
