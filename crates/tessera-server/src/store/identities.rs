//! The `identities` table (social sign-in links) and `oauth_flows` (sign-ins
//! in progress).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sign_in_ways::SignInWay;
use super::users::insert_user_in;
use super::{Store, StoreError, UserRecord};

/// A provider identity linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    /// UUID, as text.
    pub id: String,
    /// The user it signs in.
    pub user_id: String,
    /// The provider's id (`google`, a configured name).
    pub provider: String,
    /// The provider's issuer.
    pub issuer: String,
    /// The provider's stable id for the user.
    pub subject: String,
    /// The e-mail the provider last reported (shown, never matched).
    pub email: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: the last sign-in with it.
    pub last_used_at: i64,
}

/// A sign-in in progress. `Debug` leaves the secrets out.
#[derive(Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// SHA-256 of the `state` (the key).
    pub state_hash: String,
    /// The provider's id.
    pub provider: String,
    /// SHA-256 of the browser-binding cookie.
    pub binding_hash: String,
    /// The nonce sent.
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
    /// Where the browser goes afterwards (already checked).
    pub return_to: String,
    /// The user linking an identity; `None` for a sign-in.
    pub link_user_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; the flow is refused afterwards.
    pub expires_at: i64,
}

impl std::fmt::Debug for FlowRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowRecord")
            .field("provider", &self.provider)
            .field("return_to", &self.return_to)
            .field("link_user_id", &self.link_user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What an unlink did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    /// The identity is gone.
    Deleted,
    /// No such identity of this user.
    NotFound,
    /// Refused: it is the user's last way to sign in (no password, no
    /// other identity, no passkey).
    LastWay,
}

const IDENTITY_COLUMNS: &str =
    "id, user_id, provider, issuer, subject, email, created_at, last_used_at";

impl Store {
    /// Creates a user and its first identity in one transaction: neither
    /// exists without the other. [`StoreError::Conflict`] when the username
    /// or the identity is taken.
    pub async fn insert_user_with_identity(
        &self,
        user: &UserRecord,
        identity: &IdentityRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert_user_in(&mut *tx, user).await?;
        insert_identity_in(&mut *tx, identity).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links an identity; [`StoreError::Conflict`] when it is linked
    /// already, [`StoreError::Conflict`] too when the user is gone (its
    /// foreign key).
    pub async fn insert_identity(&self, identity: &IdentityRecord) -> Result<(), StoreError> {
        insert_identity_in(self.pool(), identity).await
    }

    /// The identity with this (issuer, subject).
    pub async fn identity_by_subject(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<IdentityRecord>, StoreError> {
        let sql =
            format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE issuer = $1 AND subject = $2");
        let row = sqlx::query(&sql)
            .bind(issuer)
            .bind(subject)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    /// Notes a sign-in with an identity, and the e-mail it reported.
    pub async fn touch_identity(
        &self,
        id: &str,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE identities SET last_used_at = $2, email = $3 WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(email)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A user's identities, oldest first.
    pub async fn identities_of(&self, user_id: &str) -> Result<Vec<IdentityRecord>, StoreError> {
        let sql = format!(
            "SELECT {IDENTITY_COLUMNS} FROM identities WHERE user_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(identity_from_row).collect()
    }

    /// Unlinks identity `id` of `user_id`, unless it is the user's last way
    /// to sign in (no password, no passkey, no other identity); see
    /// [`Store::delete_sign_in_way`] for how two racing unlinks are kept
    /// from both passing.
    pub async fn delete_identity(&self, user_id: &str, id: &str) -> Result<Unlinked, StoreError> {
        self.delete_sign_in_way(SignInWay::Identity, user_id, id)
            .await
    }

    /// Stores a sign-in in progress, sweeping expired ones on the way.
    pub async fn insert_flow(&self, flow: &FlowRecord) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM oauth_flows WHERE expires_at < $1")
            .bind(flow.created_at)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO oauth_flows (state_hash, provider, binding_hash, nonce, pkce_verifier, return_to, purpose, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&flow.state_hash)
        .bind(&flow.provider)
        .bind(&flow.binding_hash)
        .bind(&flow.nonce)
        .bind(&flow.pkce_verifier)
        .bind(&flow.return_to)
        .bind(if flow.link_user_id.is_some() { "link" } else { "sign_in" })
        .bind(&flow.link_user_id)
        .bind(flow.created_at)
        .bind(flow.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes and returns the flow with this state fingerprint: of two
    /// callbacks with one state, exactly one gets it (single use).
    pub async fn take_flow(&self, state_hash: &str) -> Result<Option<FlowRecord>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM oauth_flows WHERE state_hash = $1 \
             RETURNING state_hash, provider, binding_hash, nonce, pkce_verifier, return_to, user_id, created_at, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| -> Result<FlowRecord, StoreError> {
            Ok(FlowRecord {
                state_hash: row.try_get("state_hash")?,
                provider: row.try_get("provider")?,
                binding_hash: row.try_get("binding_hash")?,
                nonce: row.try_get("nonce")?,
                pkce_verifier: row.try_get("pkce_verifier")?,
                return_to: row.try_get("return_to")?,
                link_user_id: row.try_get("user_id")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }
}

async fn insert_identity_in<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    identity: &IdentityRecord,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO identities (id, user_id, provider, issuer, subject, email, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&identity.id)
    .bind(&identity.user_id)
    .bind(&identity.provider)
    .bind(&identity.issuer)
    .bind(&identity.subject)
    .bind(&identity.email)
    .bind(identity.created_at)
    .bind(identity.last_used_at)
    .execute(executor)
    .await;
    match done {
        Ok(_) => Ok(()),
        // A user deleted meanwhile: the link has nothing to attach to.
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
            Err(StoreError::Conflict)
        }
        Err(err) => Err(err.into()),
    }
}

fn identity_from_row(row: &AnyRow) -> Result<IdentityRecord, StoreError> {
    Ok(IdentityRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        provider: row.try_get("provider")?,
        issuer: row.try_get("issuer")?,
        subject: row.try_get("subject")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}
