//! Timing store calls for `/metrics`, without the store knowing about
//! metrics: whoever wants the figures hands the store a [`StoreObserver`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Store;

/// Told how long each timed store call took. The server's metrics
/// implement it; the store works the same with none.
pub trait StoreObserver: Send + Sync + std::fmt::Debug + 'static {
    /// One call of `operation` (a store method's name) took `elapsed`,
    /// whether it succeeded or failed.
    fn observe(&self, operation: &'static str, elapsed: Duration);
}

impl Store {
    /// This store, reporting the duration of its timed calls to
    /// `observer` (and so do the clones made of it from now on).
    pub fn observed_by(mut self, observer: Arc<dyn StoreObserver>) -> Store {
        self.observer = Some(observer);
        self
    }

    /// Runs `call`, reporting its duration as `operation` when an observer
    /// is set. Used on the calls requests make, not on maintenance.
    pub(super) async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = T>,
    ) -> T {
        let Some(observer) = &self.observer else {
            return call.await;
        };
        let started = Instant::now();
        let output = call.await;
        observer.observe(operation, started.elapsed());
        output
    }
}
