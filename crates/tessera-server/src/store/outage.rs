//! Logging a database outage once: a warning when it starts and a note
//! when it ends, not a line per failed request (a busy server would write
//! thousands while the database is down).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::Store;

/// How often a down database is pinged to notice that it is back.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Whether an outage has been reported and not yet seen to end.
#[derive(Debug, Default)]
pub(super) struct OutageWatch {
    down: AtomicBool,
    /// Outages logged as begun, and as ended.
    begun: AtomicU64,
    ended: AtomicU64,
}

/// How many database outages this process has logged: each is one warning
/// when it began and, once the database answered again, one note that it
/// ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutageCounts {
    /// Outages that began (one warning each).
    pub begun: u64,
    /// Outages seen to end (one note each).
    pub ended: u64,
}

impl Store {
    /// Records that an operation found the database unavailable
    /// ([`StoreError::Unavailable`](super::StoreError::Unavailable)). The
    /// first report of an outage logs a warning and starts a probe that
    /// pings the database every second until it answers, then logs that it
    /// is back; reports in between log nothing.
    pub fn report_outage(&self, cause: &dyn std::fmt::Display) {
        if self.outage.down.swap(true, Ordering::SeqCst) {
            return;
        }
        self.outage.begun.fetch_add(1, Ordering::SeqCst);
        tracing::warn!(
            error = %cause,
            "database unavailable; requests that need it answer 503 until it is back"
        );
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to probe from: let the next report try again.
            self.outage.down.store(false, Ordering::SeqCst);
            self.outage.ended.fetch_add(1, Ordering::SeqCst);
            return;
        };
        let store = self.clone();
        runtime.spawn(async move { store.probe_until_back().await });
    }

    /// Whether an outage was reported and the database has not answered
    /// since.
    pub fn outage_reported(&self) -> bool {
        self.outage.down.load(Ordering::SeqCst)
    }

    /// How many outages were logged as begun and as ended.
    pub fn outage_counts(&self) -> OutageCounts {
        OutageCounts {
            begun: self.outage.begun.load(Ordering::SeqCst),
            ended: self.outage.ended.load(Ordering::SeqCst),
        }
    }

    async fn probe_until_back(self) {
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            if self.pool.is_closed() {
                // Closed on purpose (shutdown): nothing to wait for.
                return;
            }
            if self.ping().await.is_ok() {
                self.outage.down.store(false, Ordering::SeqCst);
                self.outage.ended.fetch_add(1, Ordering::SeqCst);
                tracing::info!("database reachable again");
                return;
            }
        }
    }
}
