//! Rate-limit stores: where the counters behind the credential limits live
//! (failed logins per account, attempts per client IP).
//!
//! [`RateLimitStore`] is the seam; the start-up code
//! ([`crate::app::build_state`]) creates one store per limit and the HTTP
//! handlers only see the trait:
//! - [`WindowLimiter`]: fixed windows in this process's memory (one
//!   instance, or limits per instance);
//! - [`RedisLimiter`]: the same windows in Redis (`REDIS_URL`), the
//!   check-and-count of [`RateLimitStore::acquire`] as one Lua script, so
//!   instances share one limit and concurrent requests still cannot outrun
//!   it; in memory while Redis is down.

mod memory;
mod redis;

pub use memory::WindowLimiter;
pub use redis::RedisLimiter;

use crate::boxed::BoxFuture;

/// How long a refused caller should wait before trying again, in seconds
/// (at least 1); becomes the `Retry-After` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfterSeconds(pub u64);

/// Counts events per key and refuses a key that is over its limit.
pub trait RateLimitStore: Send + Sync + std::fmt::Debug {
    /// Checks and records in one step: `Err` when `key` is at its limit at
    /// `now` (Unix seconds), else counts one event. Must be atomic, so that
    /// parallel requests cannot all pass the check before any is counted.
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<(), RetryAfterSeconds>>;

    /// Forgets `key` (after a successful login, say), giving it a fresh
    /// allowance.
    fn clear<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()>;
}
