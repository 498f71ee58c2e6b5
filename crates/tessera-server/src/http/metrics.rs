//! What `/metrics` shows, in the Prometheus text format (version 0.0.4).
//!
//! Built on [`prometheus_client`], the Prometheus project's own Rust client,
//! rather than `metrics` + `metrics-exporter-prometheus`, for two reasons:
//!
//! - **One registry per server, no global.** The `metrics` crate records
//!   through a process-wide recorder; the test suite runs dozens of servers
//!   in one process, each of which must show exactly its own counts. Here
//!   every [`AppState`](super::AppState) owns a [`Metrics`] with its own
//!   [`Registry`], and handlers increment handles they hold directly.
//! - **Histograms counted as they are observed.** A `prometheus_client`
//!   histogram adds to its buckets at once (a short uncontended lock); the
//!   exporter keeps raw samples until a scrape or an upkeep task drains them,
//!   which on an unscraped server grows without bound.
//!
//! The sample names and labels are those of the earlier hand-written text
//! (`tessera_logins_total{result="ok"}`, …), so dashboards keep working; the
//! `_total` suffix of counters is added by the encoder, so counters are
//! registered without it.

mod hooks;
mod labels;

pub use hooks::{RedisMetrics, StoreLatency};
pub use labels::{RequestLabels, UNMATCHED_ROUTE};

use std::fmt;
use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use labels::{KeyStateLabel, ResultLabel, key_state, result};

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Upper bounds (seconds) of the request-duration buckets: from a
/// forward-auth check (well under a millisecond) to an argon2id login under
/// load.
const REQUEST_BUCKETS: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Upper bounds (seconds) of the store and Redis latency buckets: a local
/// round trip is tens of microseconds, a synced commit milliseconds.
const BACKEND_BUCKETS: [f64; 13] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

fn request_histogram() -> Histogram {
    Histogram::new(REQUEST_BUCKETS)
}

fn backend_histogram() -> Histogram {
    Histogram::new(BACKEND_BUCKETS)
}

/// Everything `/metrics` reports for one server.
///
/// The counters are public handles: `Metrics::inc(&state.metrics.logins_ok)`.
/// Each is a cheap clone of the sample the registry encodes.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Successful logins.
    pub logins_ok: Counter,
    /// Refused logins (bad credentials, disabled).
    pub logins_failed: Counter,
    /// Registrations.
    pub registrations: Counter,
    /// Successful refresh rotations (including grace replays).
    pub refreshes_ok: Counter,
    /// Refused refreshes.
    pub refreshes_failed: Counter,
    /// Refresh-token reuse detections (each revoked a session).
    pub refresh_reuse: Counter,
    /// Forward-auth checks that passed.
    pub verify_ok: Counter,
    /// Forward-auth checks that were refused.
    pub verify_denied: Counter,
    /// Requests refused by rate limiting.
    pub rate_limited: Counter,
    /// Sign-ins through a provider (browser or native).
    pub social_logins_ok: Counter,
    /// Refused sign-ins or links through a provider.
    pub social_logins_failed: Counter,
    /// Identities linked.
    pub identities_linked: Counter,
    /// Identities unlinked.
    pub identities_unlinked: Counter,
    /// Second factors that completed a sign-in (TOTP or recovery code).
    pub mfa_verified: Counter,
    /// Refused second factors (wrong, replayed or on a dead `mfa_token`).
    pub mfa_failed: Counter,
    /// Sign-ins with a passkey (passwordless).
    pub passkey_logins_ok: Counter,
    /// Refused passkey sign-ins (bad assertion, unknown passkey, disabled,
    /// used or expired ceremony).
    pub passkey_logins_failed: Counter,
    /// Passkey sign-ins refused because the signature counter went back
    /// (a possible clone); also counted as failed.
    pub passkey_clones: Counter,
    /// Passkeys registered.
    pub passkeys_registered: Counter,
    /// Passkeys deleted.
    pub passkeys_deleted: Counter,
    revoked_entries: Gauge,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
    store: StoreLatency,
    redis: RedisMetrics,
    signing_keys: Family<KeyStateLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every Tessera metric, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let logins = result_family(&mut registry, "tessera_logins", "Login attempts");
        let registrations = counter(&mut registry, "tessera_registrations", "Accounts created");
        let refreshes = result_family(&mut registry, "tessera_refreshes", "Refresh attempts");
        let refresh_reuse = counter(
            &mut registry,
            "tessera_refresh_reuse",
            "Spent refresh tokens presented again; each revoked its session",
        );
        let verify = result_family(&mut registry, "tessera_verify", "Forward-auth checks");
        let rate_limited = counter(
            &mut registry,
            "tessera_rate_limited",
            "Requests refused by rate limiting",
        );
        let social = result_family(
            &mut registry,
            "tessera_social_logins",
            "Sign-ins and links through a provider (Google, OpenID)",
        );
        let mfa = result_family(
            &mut registry,
            "tessera_mfa_verifications",
            "Second factors presented at sign-in (TOTP or recovery code)",
        );
        let identities_linked = counter(
            &mut registry,
            "tessera_identities_linked",
            "Provider identities linked to an account",
        );
        let identities_unlinked = counter(
            &mut registry,
            "tessera_identities_unlinked",
            "Provider identities unlinked",
        );
        let passkey_logins = result_family(
            &mut registry,
            "tessera_passkey_logins",
            "Passwordless sign-ins with a passkey",
        );
        let passkey_clones = counter(
            &mut registry,
            "tessera_passkey_clones",
            "Passkey sign-ins refused because the signature counter went back (possible clone)",
        );
        let passkeys_registered = counter(
            &mut registry,
            "tessera_passkeys_registered",
            "Passkeys registered",
        );
        let passkeys_deleted = counter(
            &mut registry,
            "tessera_passkeys_deleted",
            "Passkeys deleted",
        );
        let revoked_entries = Gauge::default();
        registry.register(
            "tessera_revoked_entries",
            "Revoked sessions and tokens held in memory",
            revoked_entries.clone(),
        );
        let requests = Family::new_with_constructor(request_histogram as fn() -> Histogram);
        registry.register(
            "tessera_http_request_duration_seconds",
            "Time to answer a request (to the response head), by method, route template and status",
            requests.clone(),
        );
        let store = StoreLatency::new(Family::new_with_constructor(
            backend_histogram as fn() -> Histogram,
        ));
        registry.register(
            "tessera_store_query_duration_seconds",
            "Time of a store call (a query or a transaction), by operation",
            store.family(),
        );
        let redis = RedisMetrics::new(
            Family::default(),
            Family::new_with_constructor(backend_histogram as fn() -> Histogram),
        );
        registry.register(
            "tessera_redis_up",
            "1 while Redis answers, 0 while it does not (absent without REDIS_URL)",
            redis.up_family(),
        );
        registry.register(
            "tessera_redis_command_duration_seconds",
            "Time of a Redis command (absent without REDIS_URL)",
            redis.latency_family(),
        );
        let signing_keys = Family::<KeyStateLabel, Gauge>::default();
        registry.register(
            "tessera_signing_keys",
            "Signing keys kept in the store, by state (absent with fixed keys)",
            signing_keys.clone(),
        );
        let ok = |family: &Family<ResultLabel, Counter>| family.get_or_create_owned(&result("ok"));
        let not_ok = |family: &Family<ResultLabel, Counter>, value: &'static str| {
            family.get_or_create_owned(&result(value))
        };
        Metrics {
            logins_ok: ok(&logins),
            logins_failed: not_ok(&logins, "failed"),
            registrations,
            refreshes_ok: ok(&refreshes),
            refreshes_failed: not_ok(&refreshes, "failed"),
            refresh_reuse,
            verify_ok: ok(&verify),
            verify_denied: not_ok(&verify, "denied"),
            rate_limited,
            social_logins_ok: ok(&social),
            social_logins_failed: not_ok(&social, "failed"),
            identities_linked,
            identities_unlinked,
            mfa_verified: ok(&mfa),
            mfa_failed: not_ok(&mfa, "failed"),
            passkey_logins_ok: ok(&passkey_logins),
            passkey_logins_failed: not_ok(&passkey_logins, "failed"),
            passkey_clones,
            passkeys_registered,
            passkeys_deleted,
            registry,
            revoked_entries,
            requests,
            store,
            redis,
            signing_keys,
        }
    }

    /// Adds one to `counter`.
    pub fn inc(counter: &Counter) {
        counter.inc();
    }

    /// Records one answered request: its method, the route template it
    /// matched (`/admin/users/{id}`, never the raw path), its status and how
    /// long it took.
    pub fn observe_request(&self, labels: &RequestLabels, elapsed: Duration) {
        self.requests
            .get_or_create(labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The store-latency hook (handed to the [`Store`](crate::store::Store)).
    pub fn store_latency(&self) -> StoreLatency {
        self.store.clone()
    }

    /// The Redis hooks: a cheap handle for whatever talks to Redis.
    pub fn redis(&self) -> RedisMetrics {
        self.redis.clone()
    }

    /// Sets `tessera_redis_up` (shorthand for `self.redis().set_up(up)`).
    pub fn redis_up(&self, up: bool) {
        self.redis.set_up(up);
    }

    /// Records one Redis command's latency (shorthand for
    /// `self.redis().observe(elapsed)`).
    pub fn observe_redis(&self, elapsed: Duration) {
        self.redis.observe(elapsed);
    }

    /// Sets `tessera_signing_keys{state=…}` to these counts; states not
    /// named are dropped from the output (so a state that no key is in any
    /// longer does not linger with its old count).
    pub fn set_keys_by_state<'a>(&self, counts: impl IntoIterator<Item = (&'a str, i64)>) {
        self.signing_keys.clear();
        for (state, count) in counts {
            self.signing_keys
                .get_or_create(&key_state(state))
                .set(count);
        }
    }

    /// The Prometheus exposition text, with `revoked_entries` (read by the
    /// caller from the revoked set) as the current gauge value.
    pub fn render(&self, revoked_entries: usize) -> Result<String, fmt::Error> {
        self.revoked_entries
            .set(i64::try_from(revoked_entries).unwrap_or(i64::MAX));
        let mut text = String::with_capacity(4096);
        prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

fn counter(registry: &mut Registry, name: &str, help: &str) -> Counter {
    let counter = Counter::default();
    registry.register(name, help, counter.clone());
    counter
}

fn result_family(registry: &mut Registry, name: &str, help: &str) -> Family<ResultLabel, Counter> {
    let family = Family::<ResultLabel, Counter>::default();
    registry.register(name, help, family.clone());
    family
}

impl crate::keys::KeyCountObserver for Metrics {
    fn key_counts(&self, counts: &[(&'static str, usize)]) {
        self.set_keys_by_state(
            counts
                .iter()
                .map(|&(state, count)| (state, i64::try_from(count).unwrap_or(i64::MAX))),
        );
    }
}
