//! Whether Redis answers, as this instance last saw it: one log line when
//! it goes away, one when it comes back, and a gauge for `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// Told whether Redis answers and how long its commands take. The server's
/// metrics implement it (`tessera_redis_up`, the command-latency
/// histogram); Redis works the same with none.
pub trait RedisObserver: Send + Sync + std::fmt::Debug + 'static {
    /// Redis now answers (`true`) or does not (`false`); called once at
    /// the start (down until the first answer) and on every change.
    fn up(&self, up: bool);

    /// One command (or script) took `elapsed`, whether it failed or not.
    fn command(&self, elapsed: Duration);
}

/// Not known yet (before the first answer or failure).
const UNKNOWN: u8 = 0;
/// The last command or probe succeeded.
const UP: u8 = 1;
/// The last command or probe failed.
const DOWN: u8 = 2;

/// The up/down state of one Redis, shared by everything that talks to it.
/// Cheap to clone (one reference count).
#[derive(Debug, Clone, Default)]
pub struct RedisHealth {
    state: Arc<AtomicU8>,
    observer: Option<Arc<dyn RedisObserver>>,
}

impl RedisHealth {
    /// A state that is not known yet (counts as down).
    pub fn new() -> Self {
        RedisHealth::default()
    }

    /// A state that is not known yet, reported to `observer` (as down
    /// now, and on every change).
    pub fn observed_by(observer: Arc<dyn RedisObserver>) -> Self {
        observer.up(false);
        RedisHealth {
            state: Arc::default(),
            observer: Some(observer),
        }
    }

    /// Whether the last command or probe succeeded.
    pub fn is_up(&self) -> bool {
        self.state.load(Ordering::Relaxed) == UP
    }

    /// Reports one command's duration to the observer, if any.
    pub fn command_took(&self, elapsed: Duration) {
        if let Some(observer) = &self.observer {
            observer.command(elapsed);
        }
    }

    /// Records a success; logs once when Redis comes back (or first answers).
    pub fn mark_up(&self) {
        let before = self.state.swap(UP, Ordering::Relaxed);
        if before != UP
            && let Some(observer) = &self.observer
        {
            observer.up(true);
        }
        match before {
            UNKNOWN => tracing::info!("Redis connected"),
            DOWN => tracing::info!("Redis is back; limits and fan-out go through it again"),
            _ => {}
        }
    }

    /// Records a failure; logs once when Redis goes away (or is unreachable
    /// from the start), not on every failed command while it stays away.
    pub fn mark_down(&self, error: &dyn std::fmt::Display) {
        if self.state.swap(DOWN, Ordering::Relaxed) != DOWN {
            if let Some(observer) = &self.observer {
                observer.up(false);
            }
            tracing::warn!(
                error = %error,
                "Redis unavailable; rate limits fall back to this instance's memory and fan-out to the resync (and NOTIFY on PostgreSQL) until it returns"
            );
        }
    }

    /// `1` when up, else `0` (the `tessera_redis_up` gauge).
    pub fn gauge(&self) -> u8 {
        u8::from(self.is_up())
    }
}

#[cfg(test)]
mod tests {
    use super::RedisHealth;

    #[test]
    fn starts_down_and_follows_the_last_outcome() {
        let health = RedisHealth::new();
        assert!(!health.is_up());
        health.mark_up();
        assert_eq!(health.gauge(), 1);
        health.mark_down(&"connection refused");
        health.mark_down(&"connection refused");
        assert_eq!(health.gauge(), 0);
        let shared = health.clone();
        shared.mark_up();
        assert!(health.is_up());
    }
}
