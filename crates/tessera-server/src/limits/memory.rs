//! Fixed-window counters in memory that slow down credential stuffing and
//! spraying (ASVS 2.2.1: at most 100 failed attempts per hour per account).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{RateLimitStore, RetryAfterSeconds};
use crate::boxed::BoxFuture;

/// Counts events per key in fixed windows and says when a key is over its limit.
#[derive(Debug)]
pub struct WindowLimiter {
    limit: u32,
    window: i64,
    counts: Mutex<Counts>,
}

#[derive(Debug)]
struct Counts {
    /// Key → (window start, events in it).
    map: HashMap<String, (i64, u32)>,
    /// Size at which ended windows are next swept: at least [`SWEEP_AT`],
    /// and twice what survived the last sweep, so a flood of live keys costs
    /// each insert amortised O(1) rather than a full scan every time.
    sweep_at: usize,
}

/// Fewest keys tracked before ended windows are swept.
const SWEEP_AT: usize = 50_000;

impl WindowLimiter {
    /// At most `limit` events per `window` for each key (counted in whole
    /// seconds, at least one).
    pub fn new(limit: u32, window: Duration) -> Self {
        WindowLimiter {
            limit,
            window: i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1),
            counts: Mutex::new(Counts {
                map: HashMap::new(),
                sweep_at: SWEEP_AT,
            }),
        }
    }

    /// Checks and records in one step: `Err(seconds until the window
    /// resets)` when `key` is at its limit, else counts one event now.
    /// Concurrent callers cannot all pass a check before any records, so
    /// parallel requests cannot outrun the limit.
    pub fn acquire(&self, key: &str, now: i64) -> Result<(), u64> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(&(start, count)) = counts.map.get(key)
            && now < start + self.window
            && count >= self.limit
        {
            return Err(u64::try_from(start + self.window - now).unwrap_or(1).max(1));
        }
        self.record_in(&mut counts, key, now);
        Ok(())
    }

    fn record_in(&self, counts: &mut Counts, key: &str, now: i64) {
        if counts.map.len() >= counts.sweep_at {
            let window = self.window;
            counts.map.retain(|_, (start, _)| now < *start + window);
            counts.sweep_at = SWEEP_AT.max(counts.map.len().saturating_mul(2));
        }
        let entry = counts.map.entry(key.to_owned()).or_insert((now, 0));
        if now >= entry.0 + self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forgets `key` (after a successful login, say).
    pub fn clear(&self, key: &str) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.map.remove(key);
    }
}

impl RateLimitStore for WindowLimiter {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<(), RetryAfterSeconds>> {
        let outcome = WindowLimiter::acquire(self, key, now).map_err(RetryAfterSeconds);
        Box::pin(std::future::ready(outcome))
    }

    fn clear<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        WindowLimiter::clear(self, key);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn refuses_at_the_limit_until_the_window_passes() {
        let limiter = WindowLimiter::new(2, MINUTE);
        assert_eq!(limiter.acquire("alice", 1_000), Ok(()));
        assert_eq!(limiter.acquire("alice", 1_001), Ok(()));
        assert_eq!(limiter.acquire("alice", 1_010), Err(50));
        assert_eq!(limiter.acquire("bob", 1_010), Ok(()));
        assert_eq!(limiter.acquire("alice", 1_060), Ok(()));
    }

    #[tokio::test]
    async fn through_the_store_trait_a_refusal_carries_the_wait_and_clear_resets() {
        let limiter: Box<dyn RateLimitStore> = Box::new(WindowLimiter::new(1, MINUTE));
        assert_eq!(limiter.acquire("alice", 1_000).await, Ok(()));
        assert_eq!(
            limiter.acquire("alice", 1_015).await,
            Err(RetryAfterSeconds(45))
        );
        limiter.clear("alice").await;
        assert_eq!(limiter.acquire("alice", 1_016).await, Ok(()));
    }

    #[test]
    fn clearing_a_key_gives_it_a_fresh_allowance() {
        let limiter = WindowLimiter::new(1, MINUTE);
        assert_eq!(limiter.acquire("alice", 1_000), Ok(()));
        assert_eq!(limiter.acquire("alice", 1_001), Err(59));
        limiter.clear("alice");
        assert_eq!(limiter.acquire("alice", 1_002), Ok(()));
    }

    #[test]
    fn a_flood_of_live_keys_is_swept_rarely_and_ended_windows_are_dropped() {
        let limiter = WindowLimiter::new(5, MINUTE);
        for n in 0..SWEEP_AT + 10 {
            limiter.acquire(&format!("user{n}"), 1_000).unwrap();
        }
        {
            let counts = limiter.counts.lock().unwrap();
            // Every key was live at the sweep, so the next one waits for twice as many.
            assert_eq!(counts.map.len(), SWEEP_AT + 10);
            assert_eq!(counts.sweep_at, SWEEP_AT * 2);
        }
        for n in 0..SWEEP_AT {
            limiter.acquire(&format!("later{n}"), 2_000).unwrap();
        }
        let counts = limiter.counts.lock().unwrap();
        // The second sweep dropped the ended windows from time 1 000.
        assert!(counts.map.len() <= SWEEP_AT, "{}", counts.map.len());
        assert!(counts.map.keys().all(|key| key.starts_with("later")));
    }
}
