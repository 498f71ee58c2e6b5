//! Keeping one instance's [`JwtManager`] on the keys kept in the store.

use std::sync::Arc;

use tessera::JwtManager;

use super::StoredKeys;
use crate::boxed::BoxFuture;
use crate::domain::AfterSync;
use crate::fanout::RevocationFeed;

/// Runs after every revocation resync (a feed wake or the periodic one):
/// makes the scheduled key changes that are due (announcing them on the
/// feed), then reloads the keys into the manager if the store's changed —
/// so a rotation anywhere reaches every instance without a restart.
#[derive(Debug)]
pub struct KeyFollower {
    keys: Arc<StoredKeys>,
    jwt: JwtManager,
    feed: Arc<dyn RevocationFeed>,
    counts: Option<Arc<dyn KeyCountObserver>>,
}

/// Told how many signing keys are in each state after every round (the
/// server's `tessera_signing_keys{state}` gauge).
pub trait KeyCountObserver: Send + Sync + std::fmt::Debug + 'static {
    /// `counts` names every state, with its number of keys.
    fn key_counts(&self, counts: &[(&'static str, usize)]);
}

impl KeyFollower {
    /// Follows `keys` into `jwt`, announcing changes on `feed`.
    pub fn new(keys: Arc<StoredKeys>, jwt: JwtManager, feed: Arc<dyn RevocationFeed>) -> Self {
        KeyFollower {
            keys,
            jwt,
            feed,
            counts: None,
        }
    }

    /// Also reports the keys per state to `observer` after every round.
    #[must_use]
    pub fn reporting_to(mut self, observer: Arc<dyn KeyCountObserver>) -> Self {
        self.counts = Some(observer);
        self
    }

    /// One round: due changes, then a reload if anything changed.
    pub async fn follow_once(&self) {
        match self.keys.maintain().await {
            Ok(true) => {
                tracing::info!("signing keys changed (scheduled rotation or expiry)");
                if let Err(err) = self.feed.announce().await {
                    tracing::warn!(error = %err, "could not announce a signing key change to other instances");
                }
            }
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "signing key maintenance failed"),
        }
        if let Err(err) = self.keys.reload_if_changed(&self.jwt).await {
            tracing::warn!(error = %err, "reloading the signing keys failed");
        }
        if let Some(observer) = &self.counts {
            match self.keys.counts_by_state().await {
                Ok(counts) => {
                    let counts: Vec<_> = counts
                        .into_iter()
                        .map(|(state, count)| (state.as_str(), count))
                        .collect();
                    observer.key_counts(&counts);
                }
                Err(err) => tracing::warn!(error = %err, "counting the signing keys failed"),
            }
        }
    }
}

impl AfterSync for KeyFollower {
    fn after_sync(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.follow_once())
    }
}
