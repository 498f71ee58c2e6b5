//! The `audit_events` table.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::{AuditFilter, AuditRecord, NewAuditEvent, Store, StoreError};

impl Store {
    /// Records an audit event.
    pub async fn insert_audit(&self, event: &NewAuditEvent) -> Result<(), StoreError> {
        self.timed("insert_audit", insert_audit_in(self.pool(), event))
            .await
    }

    /// A page of events, newest first, and how many matched in all.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
    ) -> Result<(Vec<AuditRecord>, i64), StoreError> {
        let condition = "($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR kind = $2)";
        let sql = format!(
            "SELECT id, at, user_id, session_id, kind, detail FROM audit_events WHERE {condition} \
             ORDER BY id DESC LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(&sql)
            .bind(&filter.user_id)
            .bind(&filter.kind)
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(self.pool())
            .await?;
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS total FROM audit_events WHERE {condition}"
        ))
        .bind(&filter.user_id)
        .bind(&filter.kind)
        .fetch_one(self.pool())
        .await?
        .try_get("total")?;
        let events = rows.iter().map(audit_from_row).collect::<Result<_, _>>()?;
        Ok((events, total))
    }
}

pub(super) async fn insert_audit_in<'e>(
    executor: impl Executor<'e, Database = Any>,
    event: &NewAuditEvent,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_events (at, user_id, session_id, kind, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(event.at)
        .bind(&event.user_id)
        .bind(&event.session_id)
        .bind(&event.kind)
        .bind(event.detail.to_string())
        .execute(executor)
        .await?;
    Ok(())
}

fn audit_from_row(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let detail: String = row.try_get("detail")?;
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        user_id: row.try_get("user_id")?,
        session_id: row.try_get("session_id")?,
        kind: row.try_get("kind")?,
        detail: serde_json::from_str(&detail)
            .map_err(|err| StoreError::Corrupt(format!("audit_events.detail: {err}")))?,
    })
}
