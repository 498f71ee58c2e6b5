//! Rate limits shared by every instance, in Redis: the same fixed windows
//! as [`WindowLimiter`], checked and counted by one Lua script so parallel
//! requests on any number of instances cannot outrun the limit.
//!
//! Each key is a hash `{s: window start, c: events}` under
//! `{prefix}limit:{name}:{key}`, expiring when its window ends. When Redis
//! fails (or is known to be down) the check falls back to this instance's
//! own [`WindowLimiter`]: limits then hold per instance, and a request
//! never fails because of Redis.

use std::time::Duration;

use ::redis::Script;

use super::{RateLimitStore, RetryAfterSeconds, WindowLimiter};
use crate::boxed::BoxFuture;
use crate::redis::RedisLink;

/// Check and count in one step. `KEYS[1]`: the counter; `ARGV`: now (Unix
/// seconds), the window (seconds), the limit. Returns 0 when counted, else
/// the seconds until the window ends (at least 1). The key expires with its
/// window, measured from Redis's own clock by the time left.
const ACQUIRE: &str = r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local start = tonumber(redis.call('HGET', KEYS[1], 's'))
local count = tonumber(redis.call('HGET', KEYS[1], 'c')) or 0
if start == nil or now >= start + window then
  start = now
  count = 0
end
if count >= limit then
  return math.max(start + window - now, 1)
end
redis.call('HSET', KEYS[1], 's', start, 'c', count + 1)
redis.call('EXPIRE', KEYS[1], math.max(start + window - now, 1))
return 0
";

/// At most `limit` events per window for each key, counted in Redis, with
/// this instance's memory as the fallback.
#[derive(Debug)]
pub struct RedisLimiter {
    link: RedisLink,
    /// `{prefix}limit:{name}:`.
    namespace: String,
    limit: u32,
    window: i64,
    script: Script,
    fallback: WindowLimiter,
}

impl RedisLimiter {
    /// The limit called `name` (e.g. `login`, `ip`; keys of different
    /// limits never meet): at most `limit` events per `window` (whole
    /// seconds, at least one) for each key.
    pub fn new(link: RedisLink, name: &str, limit: u32, window: Duration) -> Self {
        RedisLimiter {
            namespace: link.key(&format!("limit:{name}:")),
            link,
            limit,
            window: i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1),
            script: Script::new(ACQUIRE),
            fallback: WindowLimiter::new(limit, window),
        }
    }

    async fn acquire_in_redis(&self, key: &str, now: i64) -> Result<u64, ::redis::RedisError> {
        let mut commands = self.link.commands();
        let mut invocation = self.script.key(format!("{}{key}", self.namespace));
        invocation.arg(now).arg(self.window).arg(self.limit);
        self.link
            .run(invocation.invoke_async::<u64>(&mut commands))
            .await
    }
}

impl RateLimitStore for RedisLimiter {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<(), RetryAfterSeconds>> {
        Box::pin(async move {
            if self.link.is_up()
                && let Ok(wait) = self.acquire_in_redis(key, now).await
            {
                return match wait {
                    0 => Ok(()),
                    wait => Err(RetryAfterSeconds(wait)),
                };
            }
            WindowLimiter::acquire(&self.fallback, key, now).map_err(RetryAfterSeconds)
        })
    }

    /// Clears the key in Redis (when it answers) and in the fallback.
    fn clear<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            WindowLimiter::clear(&self.fallback, key);
            if self.link.is_up() {
                let mut commands = self.link.commands();
                let mut delete = ::redis::cmd("DEL");
                delete.arg(format!("{}{key}", self.namespace));
                let _ = self
                    .link
                    .run(delete.query_async::<i64>(&mut commands))
                    .await;
            }
        })
    }
}
