//! Removing one of a user's ways to sign in (a linked identity or a
//! passkey), never the last one: one mechanism for both, so the rule and
//! its locking cannot drift apart.

use super::identities::Unlinked;
use super::{Backend, Store, StoreError};

/// A way to sign in that a user may remove; a password is the third way,
/// which is never removed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SignInWay {
    /// A provider identity (`identities`).
    Identity,
    /// A passkey (`passkeys`).
    Passkey,
}

impl SignInWay {
    /// The table holding this way, and the table holding the other kind.
    fn tables(self) -> (&'static str, &'static str) {
        match self {
            SignInWay::Identity => ("identities", "passkeys"),
            SignInWay::Passkey => ("passkeys", "identities"),
        }
    }
}

impl Store {
    /// Deletes row `id` of `user_id` from `way`'s table, unless it is the
    /// user's last way to sign in (no password, no other row of the same
    /// kind, none of the other kind).
    ///
    /// The condition is read by the statement that deletes, but on
    /// PostgreSQL that alone is not enough: under READ COMMITTED two such
    /// DELETEs of a user's last two ways each count from a snapshot in
    /// which the other row still exists, and both pass. So, in one
    /// transaction, the user's row is locked first (`FOR UPDATE`): a second
    /// removal for the same user waits for the first to commit, and its
    /// DELETE, a new statement with a new snapshot, then counts what is
    /// really left. SQLite has one writer at a time, and the DELETE is the
    /// transaction's first statement, so its count already sees every
    /// committed removal.
    pub(super) async fn delete_sign_in_way(
        &self,
        way: SignInWay,
        user_id: &str,
        id: &str,
    ) -> Result<Unlinked, StoreError> {
        let (table, other) = way.tables();
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        }
        // Both names are the constants above, never input.
        let delete = format!(
            "DELETE FROM {table} WHERE id = $1 AND user_id = $2 AND ( \
                 (SELECT COUNT(*) FROM {table} WHERE user_id = $2) > 1 \
                 OR EXISTS (SELECT 1 FROM {other} WHERE user_id = $2) \
                 OR EXISTS (SELECT 1 FROM users WHERE id = $2 AND password_hash IS NOT NULL))"
        );
        let done = sqlx::query(&delete)
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let outcome = if done.rows_affected() > 0 {
            Unlinked::Deleted
        } else {
            let exists = format!("SELECT 1 AS one FROM {table} WHERE id = $1 AND user_id = $2");
            let found = sqlx::query(&exists)
                .bind(id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_some() {
                Unlinked::LastWay
            } else {
                Unlinked::NotFound
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}
