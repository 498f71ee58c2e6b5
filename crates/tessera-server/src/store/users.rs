//! The `users` table.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::{Store, StoreError, UserRecord};

const USER_COLUMNS: &str = "id, username, username_key, username_skeleton, email, password_hash, roles, disabled_at, created_at, updated_at";

impl Store {
    /// Inserts a user; [`StoreError::Conflict`] when the username key or
    /// skeleton is taken.
    pub async fn insert_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        self.timed("insert_user", insert_user_in(self.pool(), user))
            .await
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let query = sqlx::query(&sql).bind(id).fetch_optional(self.pool());
        let row = self.timed("user_by_id", query).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user with this normalised username key.
    pub async fn user_by_key(&self, username_key: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username_key = $1");
        let query = sqlx::query(&sql)
            .bind(username_key)
            .fetch_optional(self.pool());
        let row = self.timed("user_by_key", query).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user whose username has this confusable skeleton.
    pub async fn user_by_skeleton(&self, skeleton: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username_skeleton = $1");
        let row = sqlx::query(&sql)
            .bind(skeleton)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The users with no skeleton yet, oldest first (so that of two
    /// look-alike names the older one gets the skeleton).
    pub async fn users_without_skeleton(&self) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username_skeleton IS NULL ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Sets a user's skeleton where it has none; whether it was set.
    /// [`StoreError::Conflict`] when another user has that skeleton.
    pub async fn set_username_skeleton(
        &self,
        id: &str,
        skeleton: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET username_skeleton = $2 WHERE id = $1 AND username_skeleton IS NULL",
        )
        .bind(id)
        .bind(skeleton)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A page of users in creation order, optionally only those whose
    /// username key or e-mail contains `search` (already lowercased), and
    /// the total that matched.
    pub async fn list_users(
        &self,
        search: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<UserRecord>, i64), StoreError> {
        let pattern = search.map(|text| format!("%{}%", escape_like(text)));
        let filter =
            "($1 IS NULL OR username_key LIKE $1 ESCAPE '\\' OR LOWER(email) LIKE $1 ESCAPE '\\')";
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {filter} ORDER BY created_at, id LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&sql)
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS total FROM users WHERE {filter}"
        ))
        .bind(&pattern)
        .fetch_one(self.pool())
        .await?
        .try_get("total")?;
        let users = rows.iter().map(user_from_row).collect::<Result<_, _>>()?;
        Ok((users, total))
    }

    /// Replaces a user's password hash; whether the user exists.
    pub async fn set_password_hash(
        &self,
        id: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(password_hash)
                .bind(now)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets a user's first password hash: only while it has none, decided
    /// in the one statement (two first passwords at once: one wins, the
    /// other finds a password set). `false` when it had one or is gone.
    pub async fn set_first_password_hash(
        &self,
        id: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1 AND password_hash IS NULL",
        )
        .bind(id)
        .bind(password_hash)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces a user's password hash only while it is still `expected`
    /// (so a re-hash on login cannot undo a concurrent password change).
    pub async fn replace_password_hash(
        &self,
        id: &str,
        expected: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $3, updated_at = $4 WHERE id = $1 AND password_hash = $2")
            .bind(id)
            .bind(expected)
            .bind(password_hash)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces a user's roles; the updated user, if it exists.
    pub async fn set_roles(
        &self,
        id: &str,
        roles: &[String],
        now: i64,
    ) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!(
            "UPDATE users SET roles = $2, updated_at = $3 WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(encode_roles(roles)?)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Disables (`Some(when)`) or enables (`None`) a user; the updated user.
    pub async fn set_disabled(
        &self,
        id: &str,
        disabled_at: Option<i64>,
        now: i64,
    ) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!(
            "UPDATE users SET disabled_at = $2, updated_at = $3 WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(disabled_at)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Deletes a user and (by cascade) their sessions; whether it existed.
    pub async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// How many users exist.
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS total FROM users")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("total")?)
    }
}

/// Inserts a user through `executor` (the pool, or a transaction).
pub(super) async fn insert_user_in<'e>(
    executor: impl Executor<'e, Database = Any>,
    user: &UserRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO users (id, username, username_key, username_skeleton, email, password_hash, roles, disabled_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.username_key)
    .bind(&user.username_skeleton)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(encode_roles(&user.roles)?)
    .bind(user.disabled_at)
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(executor)
    .await?;
    Ok(())
}

fn user_from_row(row: &AnyRow) -> Result<UserRecord, StoreError> {
    let roles: String = row.try_get("roles")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        username_key: row.try_get("username_key")?,
        username_skeleton: row.try_get("username_skeleton")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        roles: serde_json::from_str(&roles)
            .map_err(|err| StoreError::Corrupt(format!("users.roles: {err}")))?,
        disabled_at: row.try_get("disabled_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn encode_roles(roles: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(roles).map_err(|err| StoreError::Corrupt(format!("roles: {err}")))
}

/// Makes `%`, `_` and `\` match themselves in a `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
