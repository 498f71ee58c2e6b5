//! The `revocations` table: ids that tokens may still carry but that no
//! longer count (the source of the in-memory revoked set).

use sqlx::Row;

use super::sessions::insert_revocation;
use super::{RevocationKind, RevocationRecord, Store, StoreError};

impl Store {
    /// Records one revoked id (idempotent).
    pub async fn insert_revocation(&self, record: &RevocationRecord) -> Result<(), StoreError> {
        insert_revocation(
            self.pool(),
            record.kind,
            &record.token_id,
            record.expires_at,
            record.revoked_at,
        )
        .await?;
        self.announce_revocations().await;
        Ok(())
    }

    /// Every entry still in force at `now`, and those revoked at or after
    /// `since` when given (for an incremental resync).
    pub async fn revocations(
        &self,
        now: i64,
        since: Option<i64>,
    ) -> Result<Vec<RevocationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, token_id, expires_at, revoked_at FROM revocations \
             WHERE expires_at > $1 AND revoked_at >= $2",
        )
        .bind(now)
        .bind(since.unwrap_or(i64::MIN))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get("kind")?;
            out.push(RevocationRecord {
                kind: RevocationKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("revocations.kind {kind:?}")))?,
                token_id: row.try_get("token_id")?,
                expires_at: row.try_get("expires_at")?,
                revoked_at: row.try_get("revoked_at")?,
            });
        }
        Ok(out)
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
