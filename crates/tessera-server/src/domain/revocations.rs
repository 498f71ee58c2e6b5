//! Revocation: recording it (store, in-memory set, feed) and following the
//! revocations other instances record.
//!
//! Every revocation the domain makes goes through [`AuthService::revoked_now`]
//! once committed: the entries join this instance's revoked set at once, and
//! the [`RevocationFeed`](crate::fanout::RevocationFeed) tells the other
//! instances to resync. The store only stores; whether and how others hear
//! of it is the feed's business.

use super::error::AccountError;
use super::{AuthService, whole_seconds};
use crate::fanout::FeedError;
use crate::store::{NewAuditEvent, Revocation, RevocationKind, RevocationRecord, SessionSelector};

/// Why [`AuthService::follow_revocations`] stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// The feed could not subscribe, or its subscription ended.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// Reading the revocations from the store failed.
    #[error(transparent)]
    Sync(#[from] AccountError),
}

impl AuthService {
    /// Ends the selected sessions, records them, and adds them to the
    /// revoked set; how many ended. `audit` is written with them when any did.
    pub(crate) async fn revoke_sessions(
        &self,
        selector: SessionSelector<'_>,
        reason: &str,
        audit: Option<NewAuditEvent>,
    ) -> Result<usize, AccountError> {
        let revocation = Revocation {
            reason,
            now: self.now(),
            access_token_lifetime: whole_seconds(self.settings().access_token_lifetime),
            audit,
        };
        let ended = self.store().revoke_sessions(selector, &revocation).await?;
        let keep_until =
            |expires_at: i64| expires_at.saturating_add(revocation.access_token_lifetime);
        self.revoked_now(ended.iter().map(|session| {
            (
                RevocationKind::Session,
                session.id.as_str(),
                keep_until(session.expires_at),
            )
        }))
        .await;
        Ok(ended.len())
    }

    /// Revokes one access token by `jti` until its `exp` (for tokens that
    /// carry no session, or to cut one token short).
    pub async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: i64,
    ) -> Result<(), AccountError> {
        let record = RevocationRecord {
            kind: RevocationKind::Access,
            token_id: jti.to_owned(),
            expires_at,
            revoked_at: self.now(),
        };
        self.store().insert_revocation(&record).await?;
        self.revoked_now([(RevocationKind::Access, jti, expires_at)])
            .await;
        Ok(())
    }

    /// The one step after every committed revocation: each `(kind, id,
    /// keep until)` joins the in-memory set, and, when there was any, the
    /// feed tells the other instances. A feed failure is logged, not
    /// returned: the revocation is stored, and the others' periodic resync
    /// will find it.
    async fn revoked_now<'a>(
        &self,
        entries: impl IntoIterator<Item = (RevocationKind, &'a str, i64)>,
    ) {
        let mut any = false;
        for (kind, id, keep_until) in entries {
            self.revoked().insert(kind, id, keep_until);
            any = true;
        }
        if !any {
            return;
        }
        if let Err(err) = self.feed().announce().await {
            tracing::warn!(error = %err, "could not announce a revocation to other instances");
        }
    }

    /// Pulls revocations other instances recorded into the revoked set;
    /// how many entries were read. Also empties the user cache (a resync
    /// follows an announcement: another instance may have changed a user;
    /// or it is the periodic backstop for announcements that were lost),
    /// then runs the after-sync hook (signing keys follow the same wakes).
    pub async fn sync_revocations(&self) -> Result<usize, AccountError> {
        self.forget_cached_users();
        let read = self.revoked().sync(self.store(), self.now()).await?;
        if let Some(hook) = self.inner.after_sync.get() {
            hook.after_sync().await;
        }
        Ok(read)
    }

    /// Follows other instances' revocations as they happen: subscribes to
    /// the feed, syncs once subscribed, then again on every change it
    /// reports. Returns at once when the feed has nobody to hear from (one
    /// process); returns an error when the subscription fails, for the
    /// caller to retry (revocations are still pulled by the periodic
    /// [`sync_revocations`](Self::sync_revocations) meanwhile).
    pub async fn follow_revocations(&self) -> Result<(), FollowError> {
        let Some(mut subscription) = self.feed().subscribe().await? else {
            return Ok(());
        };
        loop {
            // Anything revoked before the subscription was up, or while its
            // connection was down, is caught by this sync.
            self.sync_revocations().await?;
            subscription.changed().await?;
        }
    }
}
