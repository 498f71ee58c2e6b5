//! `X-Request-Id`: made fresh unless a trusted proxy sent a sound one,
//! returned on every response whatever its status.

use serde_json::json;

use crate::http_support::{Reply, Server, setup};
use crate::store_support::backend_tests;

/// The id a response carries (it must carry one).
fn id_of(reply: &Reply) -> String {
    reply
        .header("x-request-id")
        .unwrap_or_else(|| panic!("no X-Request-Id on {reply}"))
        .to_owned()
}

/// A UUID v4 in its hyphenated form, as the server makes them.
fn assert_fresh(id: &str) {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
    assert!(
        id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(groups[2].starts_with('4'), "not a v4 UUID: {id}");
}

async fn healthz_with_id(server: &Server, id: &str) -> Reply {
    let reply = server
        .get("/healthz")
        .header("x-request-id", id)
        .send()
        .await;
    reply.expect(200);
    reply
}

backend_tests! {
    async fn a_request_without_an_id_gets_a_fresh_uuid(db) {
        let server = setup().start(&db).await;
        let first = id_of(&server.get("/healthz").send().await);
        let second = id_of(&server.get("/healthz").send().await);
        assert_fresh(&first);
        assert_fresh(&second);
        assert_ne!(first, second);
    }

    async fn a_client_sent_id_is_replaced_when_no_proxy_is_trusted(db) {
        let server = setup().start(&db).await;
        let reply = healthz_with_id(&server, "chosen-by-the-client").await;
        let id = id_of(&reply);
        assert_ne!(id, "chosen-by-the-client");
        assert_fresh(&id);
    }

    async fn a_trusted_proxy_id_is_kept(db) {
        let server = setup().var("TESSERA_TRUST_FORWARDED", "true").start(&db).await;
        let reply = healthz_with_id(&server, "nginx-4f2a9c").await;
        assert_eq!(id_of(&reply), "nginx-4f2a9c");
        // The longest id kept: 128 visible characters.
        let longest = "a".repeat(128);
        assert_eq!(id_of(&healthz_with_id(&server, &longest).await), longest);
    }

    async fn a_bad_id_from_a_trusted_proxy_is_replaced_never_refused(db) {
        let server = setup().var("TESSERA_TRUST_FORWARDED", "true").start(&db).await;
        for bad in ["a".repeat(129), "two words".to_owned(), "tab\there".to_owned(), String::new()] {
            let id = id_of(&healthz_with_id(&server, &bad).await);
            assert_fresh(&id);
        }
        // Two ids in one request: neither is believed.
        let reply = server
            .get("/healthz")
            .header("x-request-id", "first")
            .header("x-request-id", "second")
            .send()
            .await;
        reply.expect(200);
        assert_fresh(&id_of(&reply));
    }

    async fn every_answer_carries_an_id_errors_included(db) {
        let server = setup()
            .var("TESSERA_IP_MAX_ATTEMPTS", "1")
            .var("TESSERA_TRUST_FORWARDED", "true")
            .start(&db)
            .await;
        let nobody = json!({ "username": "nobody", "password": "not-the-password" });
        let answers = [
            ("404", server.get("/no/such/endpoint").send().await),
            ("405", server.delete("/auth/login").send().await),
            ("401", server.get("/auth/verify").send().await),
            ("400", server.post("/auth/login").body("application/json", "{").send().await),
            ("413", server.post("/auth/login").body("application/json", vec![b' '; 70 * 1024]).send().await),
            ("401", server.post("/auth/login").json(nobody.clone()).send().await),
            ("429", server.post("/auth/login").json(nobody).send().await),
        ];
        for (status, reply) in &answers {
            assert_eq!(reply.status.as_str(), *status, "{reply}");
            assert_fresh(&id_of(reply));
        }
        // A trusted id comes back on an error too.
        let reply = server.get("/no/such/endpoint").header("x-request-id", "lb-7").send().await;
        reply.expect_error(404, "not_found");
        assert_eq!(id_of(&reply), "lb-7");
        // And on a store outage's 503.
        server.state.auth.store().close().await;
        let reply = server.get("/readyz").header("x-request-id", "lb-8").send().await;
        reply.expect_error(503, "store_unavailable");
        assert_eq!(id_of(&reply), "lb-8");
    }
}
