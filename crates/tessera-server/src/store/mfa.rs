//! The second-factor tables: a user's TOTP authenticator, their recovery
//! codes, and sign-ins waiting for a second factor.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

/// A user's TOTP authenticator. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The owner.
    pub user_id: String,
    /// The secret, sealed under `TESSERA_ENCRYPTION_KEY`.
    pub secret: String,
    /// When the first code confirmed it; `None` while enrolment is pending.
    pub confirmed_at: Option<i64>,
    /// The newest time step accepted.
    pub last_step: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("user_id", &self.user_id)
            .field("secret", &"<sealed>")
            .field("confirmed_at", &self.confirmed_at)
            .field("last_step", &self.last_step)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A password sign-in waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Fingerprint of the `mfa_token`.
    pub token_hash: String,
    /// Who signed in.
    pub user_id: String,
    /// Fingerprint of the password hash the password matched.
    pub password_fingerprint: Option<String>,
    /// Methods already checked (JSON array).
    pub amr: Vec<String>,
    /// Wrong codes so far.
    pub failures: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; refused from then on.
    pub expires_at: i64,
}

impl Store {
    /// Stores a pending authenticator for `user_id`, replacing a pending
    /// one; `false` (nothing changed) when a confirmed one exists.
    pub async fn put_pending_totp(
        &self,
        user_id: &str,
        sealed_secret: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO mfa_totp (user_id, secret, confirmed_at, last_step, created_at) \
             VALUES ($1, $2, NULL, NULL, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
             created_at = excluded.created_at, last_step = NULL \
             WHERE mfa_totp.confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(sealed_secret)
        .bind(now)
        .execute(self.pool())
        .await;
        match done {
            Ok(done) => Ok(done.rows_affected() == 1),
            Err(sqlx::Error::Database(err)) if err.is_foreign_key_violation() => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// The user's authenticator, pending or confirmed.
    pub async fn totp(&self, user_id: &str) -> Result<Option<TotpRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, secret, confirmed_at, last_step, created_at FROM mfa_totp WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(totp_from_row).transpose()
    }

    /// Records `step` as used, only if it is later than the last one and
    /// the authenticator is confirmed (`confirmed`) or pending (`!confirmed`).
    /// A pending one becomes confirmed at `now`, with `recovery_hashes` as
    /// its recovery codes, in the same transaction. `false`: the step was
    /// used already (or the state changed), nothing stored.
    pub async fn accept_totp_step(
        &self,
        user_id: &str,
        step: i64,
        now: i64,
        confirm_with: Option<&[String]>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let state = if confirm_with.is_some() {
            "confirmed_at IS NULL"
        } else {
            "confirmed_at IS NOT NULL"
        };
        let sql = format!(
            "UPDATE mfa_totp SET last_step = $2, confirmed_at = COALESCE(confirmed_at, $3) \
             WHERE user_id = $1 AND {state} AND (last_step IS NULL OR last_step < $2)"
        );
        let done = sqlx::query(&sql)
            .bind(user_id)
            .bind(step)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(hashes) = confirm_with {
            replace_codes(&mut tx, user_id, hashes, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces the user's recovery codes with `hashes`.
    pub async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        replace_codes(&mut tx, user_id, hashes, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spends the unused recovery code with this hash; `false` when there
    /// is none (wrong, or used already).
    pub async fn use_recovery_code(
        &self,
        user_id: &str,
        hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many unused recovery codes the user has.
    pub async fn recovery_codes_left(&self, user_id: &str) -> Result<i64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

    /// Removes every second factor of the user and their pending sign-ins;
    /// whether they had an authenticator (pending or confirmed).
    pub async fn delete_mfa(&self, user_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for sql in [
            "DELETE FROM mfa_recovery_codes WHERE user_id = $1",
            "DELETE FROM mfa_challenges WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores a sign-in waiting for its second factor.
    pub async fn insert_challenge(&self, challenge: &ChallengeRecord) -> Result<(), StoreError> {
        let amr = serde_json::to_string(&challenge.amr)
            .map_err(|err| StoreError::Corrupt(format!("challenge amr: {err}")))?;
        sqlx::query(
            "INSERT INTO mfa_challenges (token_hash, user_id, password_fingerprint, amr, failures, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&challenge.token_hash)
        .bind(&challenge.user_id)
        .bind(&challenge.password_fingerprint)
        .bind(amr)
        .bind(challenge.failures)
        .bind(challenge.created_at)
        .bind(challenge.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The live challenge with this token fingerprint at `now`.
    pub async fn challenge(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, user_id, password_fingerprint, amr, failures, created_at, expires_at \
             FROM mfa_challenges WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(challenge_from_row).transpose()
    }

    /// Counts a wrong code against the challenge; the failures so far
    /// (`None`: it is gone). At `max_failures` the challenge is deleted.
    pub async fn fail_challenge(
        &self,
        token_hash: &str,
        max_failures: i64,
    ) -> Result<Option<i64>, StoreError> {
        let failures: Option<i64> = sqlx::query_scalar(
            "UPDATE mfa_challenges SET failures = failures + 1 WHERE token_hash = $1 RETURNING failures",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        if failures.is_some_and(|failures| failures >= max_failures) {
            self.take_challenge(token_hash).await?;
        }
        Ok(failures)
    }

    /// Deletes the challenge (its single use); `false` when it was gone.
    pub async fn take_challenge(&self, token_hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM mfa_challenges WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes challenges that expired before `now`; how many went.
    pub async fn delete_expired_challenges(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM mfa_challenges WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

async fn replace_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    hashes: &[String],
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO mfa_recovery_codes (user_id, code_hash, used_at, created_at) VALUES ($1, $2, NULL, $3)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn totp_from_row(row: &AnyRow) -> Result<TotpRecord, StoreError> {
    Ok(TotpRecord {
        user_id: row.try_get("user_id")?,
        secret: row.try_get("secret")?,
        confirmed_at: row.try_get("confirmed_at")?,
        last_step: row.try_get("last_step")?,
        created_at: row.try_get("created_at")?,
    })
}

fn challenge_from_row(row: &AnyRow) -> Result<ChallengeRecord, StoreError> {
    let amr: String = row.try_get("amr")?;
    Ok(ChallengeRecord {
        token_hash: row.try_get("token_hash")?,
        user_id: row.try_get("user_id")?,
        password_fingerprint: row.try_get("password_fingerprint")?,
        amr: serde_json::from_str(&amr)
            .map_err(|err| StoreError::Corrupt(format!("challenge amr: {err}")))?,
        failures: row.try_get("failures")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}
