//! Rows as the store reads and writes them.

use serde_json::Value;

/// A user row. `Debug` never shows the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// UUID, as text.
    pub id: String,
    /// The username as the user chose it (trimmed, NFKC).
    pub username: String,
    /// NFKC + lowercase username: what uniqueness and look-ups use.
    pub username_key: String,
    /// The UTS #39 confusable skeleton of `username_key`, unique among
    /// users; `None` only for an account older than the column whose name
    /// looks like an older account's.
    pub username_skeleton: Option<String>,
    /// Optional e-mail address.
    pub email: Option<String>,
    /// PHC string, or `None` for an account without a password.
    pub password_hash: Option<String>,
    /// Role names.
    pub roles: Vec<String>,
    /// When the account was disabled; `None` while enabled.
    pub disabled_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("username_skeleton", &self.username_skeleton)
            .field("email", &self.email)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("roles", &self.roles)
            .field("disabled_at", &self.disabled_at)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A new user row; see [`UserRecord`] for the fields.
pub type NewUser = UserRecord;

/// A session row: one login, its refresh-token chain and its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// UUID, as text (the `sid` claim).
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Last login or refresh, Unix seconds.
    pub last_used_at: i64,
    /// Absolute end, Unix seconds; never moved.
    pub expires_at: i64,
    /// When it was ended; `None` while live.
    pub revoked_at: Option<i64>,
    /// Why it was ended (`logout`, `refresh_reuse`, …).
    pub revoked_reason: Option<String>,
    /// The `jti` of the only refresh token that may rotate it now.
    pub refresh_jti: String,
    /// The `jti` that `refresh_jti` replaced.
    pub previous_jti: Option<String>,
    /// When `previous_jti` was replaced, Unix seconds.
    pub rotated_at: Option<i64>,
    /// The client's `User-Agent` at login.
    pub user_agent: Option<String>,
    /// The client's address at login.
    pub ip: Option<String>,
    /// How the user signed in: RFC 8176 method names (JSON array in the row).
    pub amr: Vec<String>,
}

/// A new session row; see [`SessionRecord`] for the fields.
pub type NewSession = SessionRecord;

/// A session that a bulk revocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedSession {
    /// The session id.
    pub id: String,
    /// Its absolute end.
    pub expires_at: i64,
}

/// What a revocation entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationKind {
    /// A session id (`sid`): every token of the session.
    Session,
    /// One access token's `jti`.
    Access,
}

impl RevocationKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationKind::Session => "session",
            RevocationKind::Access => "access",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "session" => Some(RevocationKind::Session),
            "access" => Some(RevocationKind::Access),
            _ => None,
        }
    }
}

/// A revoked id that tokens may still carry until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRecord {
    /// Session or access token.
    pub kind: RevocationKind,
    /// The session id or `jti`.
    pub token_id: String,
    /// After this no token naming the id can be valid; the entry may go.
    pub expires_at: i64,
    /// When it was revoked, by the clock of the instance that revoked it
    /// (for the record only: resyncs follow the store's positions).
    pub revoked_at: i64,
}

/// Revocations as read from the store, with how far the read went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationBatch {
    /// The entries, in the order they were recorded.
    pub records: Vec<RevocationRecord>,
    /// The position of the last of them: the next incremental read asks
    /// for what came after it. Positions are assigned by the database in
    /// commit order, never from a clock.
    pub last_position: Option<i64>,
}

/// An audit event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    /// Unix seconds.
    pub at: i64,
    /// The user concerned, if any.
    pub user_id: Option<String>,
    /// The session concerned, if any.
    pub session_id: Option<String>,
    /// What happened (`login`, `refresh_reuse`, …).
    pub kind: String,
    /// Details as a JSON object; never secrets.
    pub detail: Value,
}

/// A recorded audit event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditRecord {
    /// Increasing sequence number.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// The user concerned, if any.
    pub user_id: Option<String>,
    /// The session concerned, if any.
    pub session_id: Option<String>,
    /// What happened.
    pub kind: String,
    /// Details.
    pub detail: Value,
}

/// Which audit events to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events about this user.
    pub user_id: Option<String>,
    /// Only events of this kind.
    pub kind: Option<String>,
    /// Events to skip.
    pub offset: i64,
    /// Most events to return.
    pub limit: i64,
}
