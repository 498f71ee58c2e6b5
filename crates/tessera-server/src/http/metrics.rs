//! Counters exposed at `/metrics` in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counters for what an operator watches on an auth service.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Successful logins.
    pub logins_ok: AtomicU64,
    /// Refused logins (bad credentials, disabled).
    pub logins_failed: AtomicU64,
    /// Registrations.
    pub registrations: AtomicU64,
    /// Successful refresh rotations (including grace replays).
    pub refreshes_ok: AtomicU64,
    /// Refused refreshes.
    pub refreshes_failed: AtomicU64,
    /// Refresh-token reuse detections (each revoked a session).
    pub refresh_reuse: AtomicU64,
    /// Forward-auth checks that passed.
    pub verify_ok: AtomicU64,
    /// Forward-auth checks that were refused.
    pub verify_denied: AtomicU64,
    /// Requests refused by rate limiting.
    pub rate_limited: AtomicU64,
    /// Sign-ins through a provider (browser or native).
    pub social_logins_ok: AtomicU64,
    /// Refused sign-ins or links through a provider.
    pub social_logins_failed: AtomicU64,
    /// Identities linked.
    pub identities_linked: AtomicU64,
    /// Identities unlinked.
    pub identities_unlinked: AtomicU64,
    /// Redis's up/down state when `REDIS_URL` is set (`tessera_redis_up`).
    pub redis: Option<crate::redis::RedisHealth>,
}

impl Metrics {
    /// Adds one to `counter`.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let rows: [(&str, &str, &AtomicU64); 13] = [
            (
                "tessera_logins_total{result=\"ok\"}",
                "Login attempts.",
                &self.logins_ok,
            ),
            (
                "tessera_logins_total{result=\"failed\"}",
                "",
                &self.logins_failed,
            ),
            (
                "tessera_registrations_total",
                "Accounts created.",
                &self.registrations,
            ),
            (
                "tessera_refreshes_total{result=\"ok\"}",
                "Refresh attempts.",
                &self.refreshes_ok,
            ),
            (
                "tessera_refreshes_total{result=\"failed\"}",
                "",
                &self.refreshes_failed,
            ),
            (
                "tessera_refresh_reuse_total",
                "Spent refresh tokens presented again; each revoked its session.",
                &self.refresh_reuse,
            ),
            (
                "tessera_verify_total{result=\"ok\"}",
                "Forward-auth checks.",
                &self.verify_ok,
            ),
            (
                "tessera_verify_total{result=\"denied\"}",
                "",
                &self.verify_denied,
            ),
            (
                "tessera_rate_limited_total",
                "Requests refused by rate limiting.",
                &self.rate_limited,
            ),
            (
                "tessera_social_logins_total{result=\"ok\"}",
                "Sign-ins and links through a provider (Google, OpenID).",
                &self.social_logins_ok,
            ),
            (
                "tessera_social_logins_total{result=\"failed\"}",
                "",
                &self.social_logins_failed,
            ),
            (
                "tessera_identities_linked_total",
                "Provider identities linked to an account.",
                &self.identities_linked,
            ),
            (
                "tessera_identities_unlinked_total",
                "Provider identities unlinked.",
                &self.identities_unlinked,
            ),
        ];
        let mut text = String::new();
        for (name, help, counter) in rows {
            let family = name.split('{').next().unwrap_or(name);
            if !help.is_empty() {
                let _ = writeln!(text, "# HELP {family} {help}\n# TYPE {family} counter");
            }
            let _ = writeln!(text, "{name} {}", counter.load(Ordering::Relaxed));
        }
        if let Some(redis) = &self.redis {
            let _ = writeln!(
                text,
                "# HELP tessera_redis_up Whether Redis answers (1) or not (0).\n# TYPE tessera_redis_up gauge\ntessera_redis_up {}",
                redis.gauge()
            );
        }
        text
    }
}
