//! The `signing_keys` table: the server's own signing keys, private halves
//! encrypted (the store never sees them in clear), and their life cycle.
//! Every change is one transaction whose first statement is conditional on
//! the state it changes, so two instances doing the same change at once
//! make one.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyState {
    /// Published in the JWKS, not signing yet.
    Next,
    /// Signs new tokens.
    Current,
    /// Verifies the tokens it signed until they have expired.
    Previous,
    /// No longer used; its private key is wiped.
    Retired,
}

impl KeyState {
    /// Every state, in life-cycle order.
    pub const ALL: [KeyState; 4] = [
        KeyState::Next,
        KeyState::Current,
        KeyState::Previous,
        KeyState::Retired,
    ];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Current => "current",
            KeyState::Previous => "previous",
            KeyState::Retired => "retired",
        }
    }

    fn parse(text: &str) -> Result<KeyState, StoreError> {
        KeyState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown signing key state {text:?}")))
    }
}

/// One row of `signing_keys`. `Debug` leaves the sealed private key out.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// Key id (the RFC 7638 thumbprint of the public key).
    pub kid: String,
    /// The JWS algorithm it is pinned to.
    pub alg: String,
    /// Its state.
    pub state: KeyState,
    /// The encrypted private key (empty once retired).
    pub sealed_private_key: String,
    /// The public JWK, as JSON.
    pub public_jwk: String,
    /// When it was made.
    pub created_at: i64,
    /// When it may start signing; once current, when it did.
    pub signs_from: i64,
    /// For a previous key: when its last token can have expired.
    pub verifies_until: Option<i64>,
    /// When the row last changed.
    pub updated_at: i64,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .field("created_at", &self.created_at)
            .field("signs_from", &self.signs_from)
            .field("verifies_until", &self.verifies_until)
            .finish_non_exhaustive()
    }
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationOutcome {
    /// The next key became current, the current one previous, and a fresh
    /// next key was added.
    Rotated,
    /// Another instance changed the keys first; nothing was done.
    Lost,
}

const COLUMNS: &str =
    "kid, alg, state, private_key, public_jwk, created_at, signs_from, verifies_until, updated_at";

fn record(row: &AnyRow) -> Result<SigningKeyRecord, StoreError> {
    Ok(SigningKeyRecord {
        kid: row.try_get("kid")?,
        alg: row.try_get("alg")?,
        state: KeyState::parse(&row.try_get::<String, _>("state")?)?,
        sealed_private_key: row.try_get("private_key")?,
        public_jwk: row.try_get("public_jwk")?,
        created_at: row.try_get("created_at")?,
        signs_from: row.try_get("signs_from")?,
        verifies_until: row.try_get("verifies_until")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    key: &SigningKeyRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, state, private_key, public_jwk, created_at, signs_from, verifies_until, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&key.kid)
    .bind(&key.alg)
    .bind(key.state.as_str())
    .bind(&key.sealed_private_key)
    .bind(&key.public_jwk)
    .bind(key.created_at)
    .bind(key.signs_from)
    .bind(key.verifies_until)
    .bind(key.updated_at)
    .execute(executor)
    .await?;
    Ok(())
}

impl Store {
    /// Every signing key, retired ones included, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signing_keys ORDER BY created_at, kid"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(record).collect()
    }

    /// The keys in use (not retired) as `(kid, state)`, sorted: a cheap
    /// fingerprint to tell whether the keys changed since they were loaded.
    pub async fn signing_key_states(&self) -> Result<Vec<(String, KeyState)>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, state FROM signing_keys WHERE state <> 'retired' ORDER BY kid",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("kid")?,
                    KeyState::parse(&row.try_get::<String, _>("state")?)?,
                ))
            })
            .collect()
    }

    /// Adds `keys` in one transaction. [`StoreError::Conflict`] when that
    /// would make a second current or next key (another instance added
    /// one first).
    pub async fn insert_signing_keys(&self, keys: &[SigningKeyRecord]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for key in keys {
            insert(&mut *tx, key).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rotates in one transaction: `current_kid` (still current) becomes
    /// previous until `previous_until`, `next_kid` (still next, and
    /// published since `publishable_before` or earlier) becomes current at
    /// `now`, and `fresh_next` is added. When either condition no longer
    /// holds (another instance rotated first), nothing changes.
    pub async fn rotate_signing_keys(
        &self,
        current_kid: &str,
        next_kid: &str,
        now: i64,
        previous_until: i64,
        fresh_next: &SigningKeyRecord,
    ) -> Result<RotationOutcome, StoreError> {
        let mut tx = self.pool().begin().await?;
        // First, so that a concurrent rotation waits on this row and then
        // finds it no longer current.
        let demoted = sqlx::query(
            "UPDATE signing_keys SET state = 'previous', verifies_until = $2, updated_at = $3 \
             WHERE kid = $1 AND state = 'current'",
        )
        .bind(current_kid)
        .bind(previous_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if demoted.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(RotationOutcome::Lost);
        }
        let promoted = sqlx::query(
            "UPDATE signing_keys SET state = 'current', signs_from = $2, updated_at = $2 \
             WHERE kid = $1 AND state = 'next' AND signs_from <= $2",
        )
        .bind(next_kid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if promoted.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(RotationOutcome::Lost);
        }
        insert(&mut *tx, fresh_next).await?;
        tx.commit().await?;
        Ok(RotationOutcome::Rotated)
    }

    /// Retires `kid` at `now` when it is next or previous (never the
    /// current key), wiping its private key; whether it did.
    pub async fn retire_signing_key(&self, kid: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE signing_keys SET state = 'retired', private_key = '', verifies_until = NULL, updated_at = $2 \
             WHERE kid = $1 AND state IN ('next', 'previous')",
        )
        .bind(kid)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Retires the previous keys whose tokens have all expired by `now`;
    /// how many.
    pub async fn retire_expired_signing_keys(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE signing_keys SET state = 'retired', private_key = '', updated_at = $1 \
             WHERE state = 'previous' AND verifies_until <= $1",
        )
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
