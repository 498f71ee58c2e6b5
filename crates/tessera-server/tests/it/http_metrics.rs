//! `/metrics` beyond the counters (those are in `http_ops`): the request
//! durations by route template, store latency, and the hooks that Redis and
//! stored signing keys report through. Every server has its own registry,
//! so each test reads exactly its own counts.

use crate::http_support::{Server, setup};
use crate::store_support::backend_tests;

async fn metrics_text(server: &Server) -> String {
    let reply = server.get("/metrics").send().await;
    reply.expect(200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    reply.text()
}

/// The value of the sample written exactly as `sample` (name and labels).
fn value(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
}

backend_tests! {
    async fn the_earlier_samples_keep_their_names_and_labels(db) {
        let server = setup().start(&db).await;
        let text = metrics_text(&server).await;
        for sample in [
            "tessera_logins_total{result=\"ok\"}",
            "tessera_logins_total{result=\"failed\"}",
            "tessera_registrations_total",
            "tessera_refreshes_total{result=\"ok\"}",
            "tessera_refreshes_total{result=\"failed\"}",
            "tessera_refresh_reuse_total",
            "tessera_verify_total{result=\"ok\"}",
            "tessera_verify_total{result=\"denied\"}",
            "tessera_rate_limited_total",
            "tessera_social_logins_total{result=\"ok\"}",
            "tessera_social_logins_total{result=\"failed\"}",
            "tessera_identities_linked_total",
            "tessera_identities_unlinked_total",
            "tessera_revoked_entries",
        ] {
            assert_eq!(value(&text, sample), Some(0.0), "{sample} in\n{text}");
        }
        assert!(text.contains("# TYPE tessera_logins_total counter\n"), "{text}");
        assert!(text.contains("# TYPE tessera_revoked_entries gauge\n"), "{text}");
    }

    async fn request_durations_are_counted_by_method_route_template_and_status(db) {
        let server = setup().start(&db).await;
        let tokens = server.signed_up("ada").await;
        server.get("/auth/verify").bearer(&tokens.access).send().await.expect(200);
        server.get("/auth/verify").bearer(&tokens.access).send().await.expect(200);
        server.get("/auth/verify").send().await.expect(401);
        server
            .get("/admin/users/0f5e-secret-looking-id")
            .bearer(&tokens.access)
            .send()
            .await
            .expect(403);
        server.get("/wp-login.php").send().await.expect(404);
        server.get("/probe/12345").send().await.expect(404);

        let text = metrics_text(&server).await;
        let count = |labels: &str| {
            value(&text, &format!("tessera_http_request_duration_seconds_count{{{labels}}}"))
        };
        assert_eq!(count("method=\"GET\",route=\"/auth/verify\",status=\"200\""), Some(2.0), "{text}");
        assert_eq!(count("method=\"GET\",route=\"/auth/verify\",status=\"401\""), Some(1.0), "{text}");
        assert_eq!(count("method=\"POST\",route=\"/auth/register\",status=\"201\""), Some(1.0), "{text}");
        assert_eq!(count("method=\"POST\",route=\"/auth/login\",status=\"200\""), Some(1.0), "{text}");
        // The template, never the path with its id; unknown paths share one series.
        assert_eq!(count("method=\"GET\",route=\"/admin/users/{id}\",status=\"403\""), Some(1.0), "{text}");
        assert_eq!(count("method=\"GET\",route=\"unmatched\",status=\"404\""), Some(2.0), "{text}");
        for raw in ["0f5e-secret-looking-id", "wp-login", "12345"] {
            assert!(!text.contains(raw), "{raw} in\n{text}");
        }
        // A histogram: buckets up to +Inf that hold every observation.
        let inf = value(
            &text,
            "tessera_http_request_duration_seconds_bucket{le=\"+Inf\",method=\"GET\",route=\"/auth/verify\",status=\"200\"}",
        )
        .or_else(|| {
            value(
                &text,
                "tessera_http_request_duration_seconds_bucket{method=\"GET\",route=\"/auth/verify\",status=\"200\",le=\"+Inf\"}",
            )
        });
        assert_eq!(inf, Some(2.0), "{text}");
        assert!(text.contains("# TYPE tessera_http_request_duration_seconds histogram\n"), "{text}");
    }

    async fn store_calls_are_timed_by_operation(db) {
        let server = setup().start(&db).await;
        server.signed_up("ada").await;
        server.get("/readyz").send().await.expect(200);
        let text = metrics_text(&server).await;
        let count = |operation: &str| {
            value(
                &text,
                &format!("tessera_store_query_duration_seconds_count{{operation=\"{operation}\"}}"),
            )
            .unwrap_or(0.0)
        };
        assert!(count("insert_user") >= 1.0, "{text}");
        assert!(count("user_by_key") >= 1.0, "{text}");
        assert!(count("insert_session") >= 1.0, "{text}");
        assert!(count("ping") >= 1.0, "{text}");
    }

    async fn redis_and_signing_key_series_appear_once_reported(db) {
        let server = setup().start(&db).await;
        let text = metrics_text(&server).await;
        assert_eq!(value(&text, "tessera_redis_up"), None, "{text}");
        assert!(!text.contains("tessera_signing_keys{"), "{text}");

        let metrics = &server.state.metrics;
        metrics.redis_up(true);
        metrics.redis().observe(std::time::Duration::from_micros(300));
        metrics.set_keys_by_state([("current", 1), ("next", 1), ("previous", 2)]);
        let text = metrics_text(&server).await;
        assert_eq!(value(&text, "tessera_redis_up"), Some(1.0), "{text}");
        assert_eq!(value(&text, "tessera_redis_command_duration_seconds_count"), Some(1.0), "{text}");
        assert_eq!(value(&text, "tessera_signing_keys{state=\"current\"}"), Some(1.0), "{text}");
        assert_eq!(value(&text, "tessera_signing_keys{state=\"previous\"}"), Some(2.0), "{text}");

        metrics.redis_up(false);
        // A state no key is in any longer leaves the output.
        metrics.set_keys_by_state([("current", 1)]);
        let text = metrics_text(&server).await;
        assert_eq!(value(&text, "tessera_redis_up"), Some(0.0), "{text}");
        assert_eq!(value(&text, "tessera_signing_keys{state=\"current\"}"), Some(1.0), "{text}");
        assert_eq!(value(&text, "tessera_signing_keys{state=\"previous\"}"), None, "{text}");
    }
}
