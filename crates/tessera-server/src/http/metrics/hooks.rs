//! Handles for the parts of the server that report from outside a request:
//! the store's latency, Redis's health and latency.

use std::time::Duration;

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::labels::OperationLabel;
use crate::store::StoreObserver;

/// No labels: the sample is written bare (`tessera_redis_up 1`), and only
/// once something set it.
type Unlabelled = [(&'static str, &'static str); 0];

/// `tessera_store_query_duration_seconds{operation}`: the store reports
/// each timed call here (see [`StoreObserver`]). Cheap to clone.
#[derive(Debug, Clone)]
pub struct StoreLatency(Family<OperationLabel, Histogram, fn() -> Histogram>);

impl StoreLatency {
    pub(super) fn new(family: Family<OperationLabel, Histogram, fn() -> Histogram>) -> Self {
        StoreLatency(family)
    }

    pub(super) fn family(&self) -> Family<OperationLabel, Histogram, fn() -> Histogram> {
        self.0.clone()
    }
}

impl StoreObserver for StoreLatency {
    fn observe(&self, operation: &'static str, elapsed: Duration) {
        self.0
            .get_or_create(&[("operation", operation)])
            .observe(elapsed.as_secs_f64());
    }
}

/// `tessera_redis_up` and `tessera_redis_command_duration_seconds`, for
/// whatever talks to Redis. Both stay out of `/metrics` until first set, so
/// a server without `REDIS_URL` shows no Redis series at all (an alert on
/// `tessera_redis_up == 0` then never fires for it). Cheap to clone.
#[derive(Debug, Clone)]
pub struct RedisMetrics {
    up: Family<Unlabelled, Gauge>,
    latency: Family<Unlabelled, Histogram, fn() -> Histogram>,
}

impl RedisMetrics {
    pub(super) fn new(
        up: Family<Unlabelled, Gauge>,
        latency: Family<Unlabelled, Histogram, fn() -> Histogram>,
    ) -> Self {
        RedisMetrics { up, latency }
    }

    pub(super) fn up_family(&self) -> Family<Unlabelled, Gauge> {
        self.up.clone()
    }

    pub(super) fn latency_family(&self) -> Family<Unlabelled, Histogram, fn() -> Histogram> {
        self.latency.clone()
    }

    /// Sets `tessera_redis_up` to 1 (Redis answers) or 0 (it does not).
    pub fn set_up(&self, up: bool) {
        self.up.get_or_create(&[]).set(i64::from(up));
    }

    /// Records how long one Redis command (or pipeline) took.
    pub fn observe(&self, elapsed: Duration) {
        self.latency
            .get_or_create(&[])
            .observe(elapsed.as_secs_f64());
    }
}

impl crate::redis::RedisObserver for RedisMetrics {
    fn up(&self, up: bool) {
        self.set_up(up);
    }

    fn command(&self, elapsed: Duration) {
        self.observe(elapsed);
    }
}
