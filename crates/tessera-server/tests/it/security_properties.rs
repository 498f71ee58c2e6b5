//! The request-body fuzz target's entry point (fuzz/fuzz_targets/
//! request_bodies.rs) on generated inputs: arbitrary bytes and arbitrary
//! JSON with the field names the endpoints read, posted to every endpoint
//! that reads a body (with a token where one is needed). Each is answered
//! with a 2xx or a 4xx `{error, message}` body, never a 5xx.

use std::sync::LazyLock;

use axum::http::Method;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::http_support::{Server, Tokens, assert_error_shape, claims, setup};
use crate::store_support::TestDb;

/// One server for all cases, on a SQLite file, with a user and an admin.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: Server,
    user: Tokens,
    admin: Tokens,
    user_id: String,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "tessera-it-props-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (server, user, admin) = runtime.block_on(async {
        let server = setup()
            .var("TESSERA_IP_MAX_ATTEMPTS", "100000000")
            .var("TESSERA_LOGIN_MAX_FAILURES", "100000000")
            .start(&TestDb::Sqlite(dir.join("tessera.db")))
            .await;
        let admin = server.admin("root").await;
        let user = server.signed_up("ada").await;
        (server, user, admin)
    });
    let user_id = claims(&user.access)["sub"].as_str().unwrap().to_owned();
    Fixture {
        runtime,
        server,
        user,
        admin,
        user_id,
    }
});

/// Who calls an endpoint.
#[derive(Debug, Clone, Copy)]
enum Caller {
    Anyone,
    User,
    Admin,
}

/// Every endpoint that reads a JSON body.
fn endpoints() -> Vec<(Method, String, Caller)> {
    let user = &FIXTURE.user_id;
    vec![
        (Method::POST, "/auth/register".into(), Caller::Anyone),
        (Method::POST, "/auth/login".into(), Caller::Anyone),
        (
            Method::POST,
            "/auth/login?cookies=true".into(),
            Caller::Anyone,
        ),
        (Method::POST, "/auth/refresh".into(), Caller::Anyone),
        (Method::POST, "/auth/password".into(), Caller::User),
        (
            Method::POST,
            "/auth/oauth/google/id-token".into(),
            Caller::Anyone,
        ),
        (
            Method::PUT,
            format!("/admin/users/{user}/roles"),
            Caller::Admin,
        ),
    ]
}

/// Posts `body` to endpoint `index` and checks the answer's class and shape.
fn check(index: usize, body: Vec<u8>) -> Result<(), TestCaseError> {
    let fixture = &*FIXTURE;
    let endpoints = endpoints();
    let (method, path, caller) = &endpoints[index % endpoints.len()];
    let mut call = fixture.server.request(method.clone(), path);
    match caller {
        Caller::Anyone => {}
        Caller::User => call = call.bearer(&fixture.user.access),
        Caller::Admin => call = call.bearer(&fixture.admin.access),
    }
    let reply = fixture
        .runtime
        .block_on(call.body("application/json", body).send());
    prop_assert!(!reply.status.is_server_error(), "{method} {path}: {reply}");
    if reply.status.is_client_error() {
        assert_error_shape(&reply.json());
    }
    Ok(())
}

/// JSON values up to a few levels deep, strings that include the awkward
/// characters (NUL, controls, look-alike letters, long runs).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(
            |float| serde_json::Number::from_f64(float).map_or(Value::Null, Value::Number)
        ),
        "\\PC{0,40}".prop_map(Value::String),
        "[\\x00-\\x1f a-zａ-ｚ]{0,20}".prop_map(Value::String),
        (0usize..5000).prop_map(|len| Value::String("a".repeat(len))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("\\PC{0,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// An object with the members the endpoints read, each possibly present,
/// each any JSON value.
fn body_object() -> impl Strategy<Value = Value> {
    const NAMES: [&str; 8] = [
        "username",
        "password",
        "email",
        "refresh_token",
        "current_password",
        "new_password",
        "roles",
        "id_token",
    ];
    proptest::collection::vec((prop::sample::select(NAMES.to_vec()), json_value()), 0..5).prop_map(
        |members| {
            let mut map = Map::new();
            for (name, value) in members {
                map.insert(name.to_owned(), value);
            }
            Value::Object(map)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_as_a_json_body_are_answered_with_a_4xx_json_error_never_a_5xx(
        endpoint in any::<usize>(),
        body in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        check(endpoint, body)?;
    }

    #[test]
    fn arbitrary_json_with_the_endpoints_field_names_is_answered_never_a_5xx(
        endpoint in any::<usize>(),
        body in body_object(),
    ) {
        check(endpoint, serde_json::to_vec(&body).unwrap())?;
    }
}
