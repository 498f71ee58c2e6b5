//! The `sessions` table, and the atomic refresh-token swap.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::group_commit::Swap;
use super::{NewAuditEvent, RevocationKind, RevokedSession, SessionRecord, Store, StoreError};

const SESSION_COLUMNS: &str = "id, user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, \
     refresh_jti, previous_jti, rotated_at, user_agent, ip, amr";

/// Which live sessions a revocation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSelector<'a> {
    /// One session, optionally only if it belongs to `user_id`.
    One {
        /// The session id.
        id: &'a str,
        /// The owner it must have, when given.
        user_id: Option<&'a str>,
    },
    /// Every session of a user, optionally except one.
    User {
        /// The owner.
        user_id: &'a str,
        /// A session to leave alone (the caller's own).
        except: Option<&'a str>,
    },
}

/// How to record a revocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Revocation<'a> {
    /// Why (`logout`, `refresh_reuse`, `user_disabled`, …); stored on the session.
    pub reason: &'a str,
    /// Now, Unix seconds.
    pub now: i64,
    /// Seconds past a session's absolute end during which its last access
    /// tokens may still be presented (the access-token lifetime); the
    /// revocation entry is kept that long.
    pub access_token_lifetime: i64,
    /// An audit event written in the same transaction, when any session was ended.
    pub audit: Option<NewAuditEvent>,
}

impl Store {
    /// Inserts a new session; `false` (nothing stored) when its user no
    /// longer exists, e.g. deleted while the login was checking the password.
    pub async fn insert_session(&self, session: &SessionRecord) -> Result<bool, StoreError> {
        let insert = sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, \
             refresh_jti, previous_jti, rotated_at, user_agent, ip, amr) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&session.id)
        .bind(&session.user_id)
        .bind(session.created_at)
        .bind(session.last_used_at)
        .bind(session.expires_at)
        .bind(session.revoked_at)
        .bind(&session.revoked_reason)
        .bind(&session.refresh_jti)
        .bind(&session.previous_jti)
        .bind(session.rotated_at)
        .bind(&session.user_agent)
        .bind(&session.ip)
        .bind(encode_amr(&session.amr)?)
        .execute(self.pool());
        match self.timed("insert_session", insert).await {
            Ok(_) => Ok(true),
            // The only foreign key is the owner (`sessions.user_id`).
            Err(sqlx::Error::Database(err)) if err.is_foreign_key_violation() => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// The session with this id, live or not.
    pub async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Rotates the session's refresh `jti` from `presented` to `new_jti` —
    /// only if `presented` is the current one, the session is live at `now`,
    /// was last used after `idle_cutoff`, and its user is enabled. One conditional `UPDATE`, so of two
    /// concurrent swaps of the same `jti` exactly one matches; the other gets
    /// `None`. The absolute expiry is not touched.
    ///
    /// On SQLite concurrent swaps are committed together, one fsync for
    /// many (see `store/group_commit.rs`); the answer still comes only once
    /// the swap is committed, and each swap is decided as on its own.
    pub async fn swap_refresh_jti(
        &self,
        id: &str,
        presented: &str,
        new_jti: &str,
        now: i64,
        idle_cutoff: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let answer = async {
            let swap = Swap {
                id: id.to_owned(),
                presented: presented.to_owned(),
                new_jti: new_jti.to_owned(),
                now,
                idle_cutoff,
            };
            let swap = match self.swap_writer() {
                Some(writer) => match writer.swap(swap).await {
                    Ok(answer) => return answer,
                    // The writer's runtime is gone: commit this one alone.
                    Err(swap) => swap,
                },
                None => swap,
            };
            swap_refresh_jti_in(self.pool(), &swap).await
        };
        self.timed("swap_refresh_jti", answer).await
    }

    /// Ends the selected live sessions, records each id in `revocations`
    /// (until its end plus the access-token lifetime) and the audit event,
    /// all in one transaction. Returns the sessions it ended.
    pub async fn revoke_sessions(
        &self,
        selector: SessionSelector<'_>,
        revocation: &Revocation<'_>,
    ) -> Result<Vec<RevokedSession>, StoreError> {
        // The transaction starts with a write: SQLite then waits for the
        // writer lock (busy timeout) instead of failing a read→write upgrade.
        let mut tx = self.pool().begin().await?;
        let (filter, target, other) = match selector {
            SessionSelector::One { id, user_id } => {
                ("id = $3 AND ($4 IS NULL OR user_id = $4)", id, user_id)
            }
            SessionSelector::User { user_id, except } => {
                ("user_id = $3 AND ($4 IS NULL OR id <> $4)", user_id, except)
            }
        };
        let sql = format!(
            "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 \
             WHERE {filter} AND revoked_at IS NULL RETURNING id, expires_at"
        );
        let query = sqlx::query_as::<_, (String, i64)>(&sql)
            .bind(revocation.now)
            .bind(revocation.reason)
            .bind(target)
            .bind(other);
        let ended = query.fetch_all(&mut *tx).await?;
        if !ended.is_empty() {
            self.order_revocations(&mut tx).await?;
        }
        let mut revoked = Vec::with_capacity(ended.len());
        for (id, expires_at) in ended {
            let keep_until = expires_at.saturating_add(revocation.access_token_lifetime);
            insert_revocation(
                &mut *tx,
                RevocationKind::Session,
                &id,
                keep_until,
                revocation.now,
            )
            .await?;
            revoked.push(RevokedSession { id, expires_at });
        }
        if let (false, Some(audit)) = (revoked.is_empty(), &revocation.audit) {
            super::audit::insert_audit_in(&mut *tx, audit).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// A user's live sessions at `now`, most recently used first.
    pub async fn live_sessions(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY last_used_at DESC, id"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind(now)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Deletes sessions that ended (expired or revoked) before `before`;
    /// how many went.
    pub async fn delete_sessions_ended_before(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

/// The swap's conditional `UPDATE` through `executor` (the pool, or the
/// group commit's transaction).
pub(super) async fn swap_refresh_jti_in<'e>(
    executor: impl Executor<'e, Database = Any>,
    swap: &Swap,
) -> Result<Option<SessionRecord>, StoreError> {
    let sql = format!(
        "UPDATE sessions SET previous_jti = refresh_jti, refresh_jti = $3, rotated_at = $4, last_used_at = $4 \
         WHERE id = $1 AND refresh_jti = $2 AND revoked_at IS NULL AND expires_at > $4 AND last_used_at > $5 \
         AND EXISTS (SELECT 1 FROM users WHERE users.id = sessions.user_id AND users.disabled_at IS NULL) \
         RETURNING {SESSION_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(&swap.id)
        .bind(&swap.presented)
        .bind(&swap.new_jti)
        .bind(swap.now)
        .bind(swap.idle_cutoff)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(session_from_row).transpose()
}

pub(super) async fn insert_revocation<'e>(
    executor: impl Executor<'e, Database = Any>,
    kind: RevocationKind,
    token_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO revocations (kind, token_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, token_id) DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(token_id)
    .bind(expires_at)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_reason: row.try_get("revoked_reason")?,
        refresh_jti: row.try_get("refresh_jti")?,
        previous_jti: row.try_get("previous_jti")?,
        rotated_at: row.try_get("rotated_at")?,
        user_agent: row.try_get("user_agent")?,
        ip: row.try_get("ip")?,
        amr: decode_amr(&row.try_get::<String, _>("amr")?)?,
    })
}

fn encode_amr(amr: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(amr).map_err(|err| StoreError::Corrupt(format!("amr: {err}")))
}

fn decode_amr(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt(format!("session amr: {err}")))
}
