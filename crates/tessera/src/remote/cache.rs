//! When fetched keys expire, when they may be fetched again, and how long
//! the last good ones outlive a failing issuer.

use std::sync::Arc;

use super::discovery::Discovery;
use super::error::FetchError;
use super::keys::KeySnapshot;

/// Shortest lifetime given to fetched keys, whatever `max-age` says: a
/// `max-age=0` (or `no-store`) must not turn every request into a fetch.
pub const MIN_TTL_SECS: i64 = 60;
/// Longest lifetime given to fetched keys: a day-old key set is re-read even
/// when the issuer says it may be kept for a year.
pub const MAX_TTL_SECS: i64 = 24 * 60 * 60;
/// Lifetime of a key set sent without `Cache-Control: max-age`.
pub const DEFAULT_TTL_SECS: i64 = 5 * 60;
/// Least time between two fetches. A token naming a `kid` the cached set
/// lacks triggers a refetch (a rotation has perhaps happened), but at most
/// once per this interval, so a flood of random `kid`s cannot hammer the
/// issuer; an expired set is likewise retried no faster than this while the
/// issuer fails.
pub const REFETCH_INTERVAL_SECS: i64 = 10;
/// Default time the last good keys keep verifying after they expired when
/// every refetch fails (see [`RemoteJwksBuilder::grace_period`](super::RemoteJwksBuilder::grace_period)).
pub const DEFAULT_GRACE_SECS: i64 = 24 * 60 * 60;

/// The lifetime `Cache-Control` grants, clamped to
/// [[`MIN_TTL_SECS`], [`MAX_TTL_SECS`]]. `no-store`/`no-cache` count as the
/// minimum; no readable `max-age` gives [`DEFAULT_TTL_SECS`].
pub(crate) fn ttl(cache_control: Option<&str>) -> i64 {
    let Some(header) = cache_control else {
        return DEFAULT_TTL_SECS;
    };
    let mut ttl = None;
    for directive in header.split(',').map(str::trim) {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "no-store" | "no-cache" => return MIN_TTL_SECS,
            "max-age" => {
                // Out-of-range numbers saturate rather than falling back.
                let digits = value.trim().trim_matches('"');
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    ttl = Some(digits.parse::<i64>().unwrap_or(i64::MAX));
                }
            }
            _ => {}
        }
    }
    ttl.map_or(DEFAULT_TTL_SECS, |ttl| {
        ttl.clamp(MIN_TTL_SECS, MAX_TTL_SECS)
    })
}

/// What a [`RemoteJwks`](super::RemoteJwks) currently holds.
#[derive(Debug, Default)]
pub(crate) struct CacheState {
    /// The last good key set, if any (dropped once past its grace period).
    pub(crate) keys: Option<Arc<KeySnapshot>>,
    /// When `keys` was fetched.
    pub(crate) fetched_at: i64,
    /// When `keys` expire and a request triggers a refetch.
    pub(crate) expires_at: i64,
    /// When the last fetch attempt (good or bad) completed.
    pub(crate) last_attempt: Option<i64>,
    /// Completed attempts; a caller that waited for another's fetch sees it
    /// changed and uses that result instead of fetching again.
    pub(crate) attempts: u64,
    /// Why the last attempt failed, cleared by a success.
    pub(crate) last_error: Option<FetchError>,
    /// The discovery document, for an issuer source; forgotten when a fetch
    /// fails, so the next attempt reads it again.
    pub(crate) discovery: Option<Arc<Discovery>>,
    /// Whether the current outage has been logged.
    pub(crate) outage_logged: bool,
}

impl CacheState {
    /// Whether the keys are within their lifetime.
    pub(crate) fn is_fresh(&self, now: i64) -> bool {
        self.keys.is_some() && now < self.expires_at
    }

    /// The keys, while fresh or within `grace` seconds past expiry.
    pub(crate) fn usable(&self, now: i64, grace: i64) -> Option<&Arc<KeySnapshot>> {
        self.keys
            .as_ref()
            .filter(|_| now < self.expires_at.saturating_add(grace))
    }

    /// Whether enough time has passed since the last attempt to fetch again.
    pub(crate) fn may_fetch(&self, now: i64) -> bool {
        self.last_attempt
            .is_none_or(|last| now.saturating_sub(last) >= REFETCH_INTERVAL_SECS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_honoured_within_bounds() {
        assert_eq!(ttl(Some("public, max-age=300")), 300);
        assert_eq!(ttl(Some("max-age=3600, must-revalidate")), 3600);
        assert_eq!(ttl(Some("Max-Age=120")), 120);
    }

    #[test]
    fn max_age_is_clamped() {
        assert_eq!(ttl(Some("max-age=0")), MIN_TTL_SECS);
        assert_eq!(ttl(Some("max-age=5")), MIN_TTL_SECS);
        assert_eq!(ttl(Some("max-age=31536000")), MAX_TTL_SECS);
        assert_eq!(ttl(Some("max-age=99999999999999999999999")), MAX_TTL_SECS);
        assert_eq!(ttl(Some("no-store")), MIN_TTL_SECS);
        assert_eq!(ttl(Some("max-age=600, no-cache")), MIN_TTL_SECS);
    }

    #[test]
    fn missing_or_unreadable_max_age_gives_the_default() {
        assert_eq!(ttl(None), DEFAULT_TTL_SECS);
        assert_eq!(ttl(Some("public")), DEFAULT_TTL_SECS);
        assert_eq!(ttl(Some("max-age=-5")), DEFAULT_TTL_SECS);
        assert_eq!(ttl(Some("max-age=ten")), DEFAULT_TTL_SECS);
    }

    #[test]
    fn refetch_waits_the_interval() {
        let mut state = CacheState::default();
        assert!(state.may_fetch(100));
        state.last_attempt = Some(100);
        assert!(!state.may_fetch(109));
        assert!(state.may_fetch(110));
    }
}
