//! Revocation fan-out between instances sharing one PostgreSQL database:
//! every revocation write is followed by a `NOTIFY`, and each instance
//! `LISTEN`s and pulls the new entries into its in-memory revoked set at
//! once (the periodic resync stays as the safety net for anything missed).
//!
//! The notification carries no data: it only says "look again", so a
//! forged or lost one can do no harm beyond an extra or a later resync.
//! SQLite has no such channel; one process owns the file.

use sqlx::postgres::PgListener;

use super::{Backend, Store, StoreError};

/// The channel name: one per schema, so deployments (and test runs) sharing
/// a database do not wake each other. Cut to PostgreSQL's 63-byte limit
/// for identifiers (schema names are plain ASCII).
pub(super) fn channel(schema: Option<&str>) -> String {
    let mut name = match schema {
        Some(schema) => format!("tessera_revoked_{schema}"),
        None => "tessera_revoked".to_owned(),
    };
    name.truncate(63);
    name
}

/// Wakes when another store on the same database (or this one) records a
/// revocation.
pub struct RevocationListener {
    listener: PgListener,
}

impl std::fmt::Debug for RevocationListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationListener").finish_non_exhaustive()
    }
}

impl RevocationListener {
    /// Waits until revocations may have changed: a notification arrived, or
    /// the connection dropped and was re-established (notifications sent
    /// meanwhile are lost, so the caller should resync either way).
    pub async fn changed(&mut self) -> Result<(), StoreError> {
        self.listener
            .try_recv()
            .await
            .map(|_| ())
            .map_err(|err| StoreError::Unavailable(format!("listening for revocations: {err}")))
    }
}

impl Store {
    /// A listener for revocations made by any instance on this PostgreSQL
    /// database; `None` on SQLite.
    pub async fn revocation_listener(&self) -> Result<Option<RevocationListener>, StoreError> {
        let Some(url) = &self.listen_url else {
            return Ok(None);
        };
        let connect_error =
            |err: sqlx::Error| StoreError::Unavailable(format!("listening for revocations: {err}"));
        let mut listener = PgListener::connect(url).await.map_err(connect_error)?;
        listener
            .listen(&self.channel)
            .await
            .map_err(connect_error)?;
        Ok(Some(RevocationListener { listener }))
    }

    /// Tells the listeners to look again (PostgreSQL; nothing on SQLite).
    /// Called after the revocation is committed, so a woken instance reads
    /// it. A failure here is logged, not returned: the revocation itself is
    /// stored, and the other instances' periodic resync will find it.
    pub(super) async fn announce_revocations(&self) {
        if self.backend != Backend::Postgres {
            return;
        }
        let sent = sqlx::query("SELECT pg_notify($1, '')")
            .bind(&self.channel)
            .execute(&self.pool)
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, "could not announce a revocation to other instances");
        }
    }
}
