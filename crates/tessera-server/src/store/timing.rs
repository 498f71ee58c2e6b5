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
    /// Reports the duration of the store's timed calls to `observer` (the
    /// first observer set stays; the clones of this store share it).
    pub fn observe_with(&self, observer: Arc<dyn StoreObserver>) {
        let _ = self.observer.set(observer);
    }

    /// Runs `call`, reporting its duration as `operation` when an observer
    /// is set. Used on the calls requests make, not on maintenance.
    pub(super) async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = T>,
    ) -> T {
        let Some(observer) = self.observer.get() else {
            return call.await;
        };
        let started = Instant::now();
        let output = call.await;
        observer.observe(operation, started.elapsed());
        output
    }
}
