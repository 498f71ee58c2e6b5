//! The `revocations` table: ids that tokens may still carry but that no
//! longer count (the source of the in-memory revoked set).

use sqlx::{Any, Row, Transaction};

use super::sessions::insert_revocation;
use super::{Backend, RevocationBatch, RevocationKind, RevocationRecord, Store, StoreError};

impl Store {
    /// Records one revoked id (idempotent). Telling other instances is the
    /// domain's job, once this returns.
    pub async fn insert_revocation(&self, record: &RevocationRecord) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        self.order_revocations(&mut tx).await?;
        insert_revocation(
            &mut *tx,
            record.kind,
            &record.token_id,
            record.expires_at,
            record.revoked_at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes the positions that `tx`'s revocation inserts get follow commit
    /// order: call it in the transaction before its first insert.
    ///
    /// A resync reads "positions after the last one I read", which is only
    /// sound if no smaller position can become visible later. SQLite has one
    /// writer at a time, so that holds already. PostgreSQL hands out
    /// sequence values at `INSERT`, and concurrent transactions may commit
    /// in another order; a transaction-level advisory lock, held until the
    /// transaction is visible, lets one revocation transaction at a time
    /// draw positions. Revocations are rare, so nothing waits in practice.
    /// (The alternative, remembering `pg_snapshot_xmin` with each row, needs
    /// a type the shared query layer does not read.) The key is the table's
    /// OID: one lock per schema, so deployments sharing a database do not
    /// wait on each other.
    pub(super) async fn order_revocations(
        &self,
        tx: &mut Transaction<'_, Any>,
    ) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock('revocations'::regclass::oid::bigint)")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Every entry still in force at `now`, or, for an incremental resync,
    /// only those recorded after position `after`, in position order.
    pub async fn revocations(
        &self,
        now: i64,
        after: Option<i64>,
    ) -> Result<RevocationBatch, StoreError> {
        let rows = sqlx::query(
            "SELECT position, kind, token_id, expires_at, revoked_at FROM revocations \
             WHERE expires_at > $1 AND position > $2 ORDER BY position",
        )
        .bind(now)
        .bind(after.unwrap_or(i64::MIN))
        .fetch_all(self.pool())
        .await?;
        let mut batch = RevocationBatch {
            records: Vec::with_capacity(rows.len()),
            last_position: None,
        };
        for row in rows {
            let kind: String = row.try_get("kind")?;
            batch.last_position = Some(row.try_get("position")?);
            batch.records.push(RevocationRecord {
                kind: RevocationKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("revocations.kind {kind:?}")))?,
                token_id: row.try_get("token_id")?,
                expires_at: row.try_get("expires_at")?,
                revoked_at: row.try_get("revoked_at")?,
            });
        }
        Ok(batch)
    }

    /// Deletes entries that no token can outlive any more; how many went.
    pub async fn delete_expired_revocations(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM revocations WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
