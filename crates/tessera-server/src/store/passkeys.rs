//! The `passkeys` table (a user's WebAuthn credentials) and
//! `passkey_ceremonies` (registrations and sign-ins between start and
//! finish).
//!
//! The store keeps the credential as opaque JSON text: what is in it is the
//! WebAuthn library's business, and the store stays free of that library
//! (it builds without the `passkeys` feature).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::identities::Unlinked;
use super::sign_in_ways::SignInWay;
use super::{Store, StoreError};

/// A passkey registered to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// UUID, as text: what the API names it by.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// The authenticator's credential id, base64url without padding.
    pub credential_id: String,
    /// The credential as the WebAuthn library serialises it (public key,
    /// algorithm, counter, flags); no secret in it.
    pub credential: String,
    /// The owner's label.
    pub name: String,
    /// The last signature counter accepted.
    pub sign_count: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: the last sign-in with it, if any.
    pub last_used_at: Option<i64>,
}

/// What a ceremony in progress is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// A signed-in user registering a passkey.
    Register,
    /// A passwordless sign-in (no user known until it finishes).
    SignIn,
    /// A passkey as the second step after a password.
    SecondFactor,
}

impl CeremonyPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyPurpose::Register => "register",
            CeremonyPurpose::SignIn => "sign_in",
            CeremonyPurpose::SecondFactor => "second_factor",
        }
    }
}

/// A ceremony between its start and its finish. `Debug` leaves the state
/// (which holds the challenge) out.
#[derive(Clone, PartialEq, Eq)]
pub struct CeremonyRecord {
    /// A random id handed to the client with the options.
    pub id: String,
    /// What it is for.
    pub purpose: CeremonyPurpose,
    /// The user registering or proving a second factor; `None` for a
    /// passwordless sign-in.
    pub user_id: Option<String>,
    /// The WebAuthn library's serialised state.
    pub state: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; refused afterwards.
    pub expires_at: i64,
}

impl std::fmt::Debug for CeremonyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CeremonyRecord")
            .field("purpose", &self.purpose)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What a sign-in's counter update found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterUpdate {
    /// Stored: the counter moved forward from the value read.
    Advanced,
    /// Refused: another sign-in moved the counter first (the same
    /// assertion twice, or a clone racing the original).
    Stale,
}

const PASSKEY_COLUMNS: &str =
    "id, user_id, credential_id, credential, name, sign_count, created_at, last_used_at";

impl Store {
    /// Stores a new passkey; [`StoreError::Conflict`] when its credential
    /// id is registered already (to anyone) or the user is gone.
    pub async fn insert_passkey(&self, passkey: &PasskeyRecord) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO passkeys (id, user_id, credential_id, credential, name, sign_count, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&passkey.id)
        .bind(&passkey.user_id)
        .bind(&passkey.credential_id)
        .bind(&passkey.credential)
        .bind(&passkey.name)
        .bind(passkey.sign_count)
        .bind(passkey.created_at)
        .bind(passkey.last_used_at)
        .execute(self.pool())
        .await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                Err(StoreError::Conflict)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// A user's passkeys, oldest first.
    pub async fn passkeys_of(&self, user_id: &str) -> Result<Vec<PasskeyRecord>, StoreError> {
        let sql = format!(
            "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(passkey_from_row).collect()
    }

    /// The passkey with this credential id.
    pub async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRecord>, StoreError> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1");
        let row = sqlx::query(&sql)
            .bind(credential_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(passkey_from_row).transpose()
    }

    /// Records a sign-in: the new credential JSON and counter, only if the
    /// counter is still the one read before (`previous`), so two sign-ins
    /// never both advance from the same value.
    pub async fn advance_passkey(
        &self,
        id: &str,
        previous: i64,
        sign_count: i64,
        credential: &str,
        now: i64,
    ) -> Result<CounterUpdate, StoreError> {
        let done = sqlx::query(
            "UPDATE passkeys SET sign_count = $3, credential = $4, last_used_at = $5 \
             WHERE id = $1 AND sign_count = $2",
        )
        .bind(id)
        .bind(previous)
        .bind(sign_count)
        .bind(credential)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(if done.rows_affected() > 0 {
            CounterUpdate::Advanced
        } else {
            CounterUpdate::Stale
        })
    }

    /// Renames passkey `id` of `user_id`; `false` when there is none.
    pub async fn rename_passkey(
        &self,
        user_id: &str,
        id: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes passkey `id` of `user_id`, unless it is the user's last way
    /// to sign in (no password, no identity, no other passkey); see
    /// [`Store::delete_sign_in_way`] for how two racing deletions are kept
    /// from both passing.
    pub async fn delete_passkey(&self, user_id: &str, id: &str) -> Result<Unlinked, StoreError> {
        self.delete_sign_in_way(SignInWay::Passkey, user_id, id)
            .await
    }

    /// Stores a ceremony in progress, sweeping expired ones on the way.
    pub async fn insert_ceremony(&self, ceremony: &CeremonyRecord) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at < $1")
            .bind(ceremony.created_at)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO passkey_ceremonies (id, purpose, user_id, state, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&ceremony.id)
        .bind(ceremony.purpose.as_str())
        .bind(&ceremony.user_id)
        .bind(&ceremony.state)
        .bind(ceremony.created_at)
        .bind(ceremony.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes and returns the ceremony `id` if it is for `purpose`: of two
    /// finishes with one id, exactly one gets it (single use). A ceremony
    /// of another purpose is left alone.
    pub async fn take_ceremony(
        &self,
        id: &str,
        purpose: CeremonyPurpose,
    ) -> Result<Option<CeremonyRecord>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM passkey_ceremonies WHERE id = $1 AND purpose = $2 \
             RETURNING id, user_id, state, created_at, expires_at",
        )
        .bind(id)
        .bind(purpose.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| -> Result<CeremonyRecord, StoreError> {
            Ok(CeremonyRecord {
                id: row.try_get("id")?,
                purpose,
                user_id: row.try_get("user_id")?,
                state: row.try_get("state")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }
}

fn passkey_from_row(row: &AnyRow) -> Result<PasskeyRecord, StoreError> {
    Ok(PasskeyRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        credential_id: row.try_get("credential_id")?,
        credential: row.try_get("credential")?,
        name: row.try_get("name")?,
        sign_count: row.try_get("sign_count")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}
