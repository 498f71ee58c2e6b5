//! Whether Redis answers, as this instance last saw it: one log line when
//! it goes away, one when it comes back, and a gauge for `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Not known yet (before the first answer or failure).
const UNKNOWN: u8 = 0;
/// The last command or probe succeeded.
const UP: u8 = 1;
/// The last command or probe failed.
const DOWN: u8 = 2;

/// The up/down state of one Redis, shared by everything that talks to it.
/// Cheap to clone (one reference count).
#[derive(Debug, Clone, Default)]
pub struct RedisHealth(Arc<AtomicU8>);

impl RedisHealth {
    /// A state that is not known yet (counts as down).
    pub fn new() -> Self {
        RedisHealth::default()
    }

    /// Whether the last command or probe succeeded.
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed) == UP
    }

    /// Records a success; logs once when Redis comes back (or first answers).
    pub fn mark_up(&self) {
        match self.0.swap(UP, Ordering::Relaxed) {
            UNKNOWN => tracing::info!("Redis connected"),
            DOWN => tracing::info!("Redis is back; limits and fan-out go through it again"),
            _ => {}
        }
    }

    /// Records a failure; logs once when Redis goes away (or is unreachable
    /// from the start), not on every failed command while it stays away.
    pub fn mark_down(&self, error: &dyn std::fmt::Display) {
        if self.0.swap(DOWN, Ordering::Relaxed) != DOWN {
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
