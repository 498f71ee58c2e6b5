//! What the domain hands to its callers: users, sessions, grants, pages.
//! All `Serialize`, so the HTTP layer can answer with them as they are; none
//! carries a password hash.

use serde::Serialize;

use super::amr::Amr;
use crate::store::{SessionRecord, UserRecord};

/// A user as callers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// UUID; the `sub` claim.
    pub id: String,
    /// Display form of the username.
    pub username: String,
    /// Optional e-mail address.
    pub email: Option<String>,
    /// Role names; the `roles` claim.
    pub roles: Vec<String>,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl From<&UserRecord> for User {
    fn from(record: &UserRecord) -> Self {
        User {
            id: record.id.clone(),
            username: record.username.clone(),
            email: record.email.clone(),
            roles: record.roles.clone(),
            disabled: record.disabled_at.is_some(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A live session, as the token minting needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// UUID; the `sid` claim.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_used_at: i64,
    /// Absolute end, Unix seconds: no refresh token of this session may
    /// expire later, and no refresh succeeds after it.
    pub expires_at: i64,
    /// How the user signed in; the `amr` claim of every access token.
    pub amr: Amr,
}

impl From<&SessionRecord> for Session {
    fn from(record: &SessionRecord) -> Self {
        Session {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            created_at: record.created_at,
            last_used_at: record.last_used_at,
            expires_at: record.expires_at,
            amr: Amr::from_methods(record.amr.iter().cloned()),
        }
    }
}

/// A session in a listing (`GET /auth/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// The session id.
    pub id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_used_at: i64,
    /// Absolute end, Unix seconds.
    pub expires_at: i64,
    /// `User-Agent` at login.
    pub user_agent: Option<String>,
    /// Client address at login.
    pub ip: Option<String>,
    /// How the user signed in (`amr` values, e.g. `["pwd", "otp", "mfa"]`).
    pub amr: Vec<String>,
    /// Whether this is the session of the token that asked.
    pub current: bool,
}

impl SessionInfo {
    pub(crate) fn from_record(record: &SessionRecord, current_sid: Option<&str>) -> Self {
        SessionInfo {
            id: record.id.clone(),
            created_at: record.created_at,
            last_used_at: record.last_used_at,
            expires_at: record.expires_at,
            user_agent: record.user_agent.clone(),
            ip: record.ip.clone(),
            amr: record.amr.clone(),
            current: current_sid == Some(record.id.as_str()),
        }
    }
}

/// Where a login comes from; stored on the session. Both are cut to 512
/// characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
}

/// What a successful login or refresh gives the caller to mint tokens from:
/// access and refresh tokens for `user` (`sub` = `user.id`, `roles`), with
/// `sid` = `session.id`; the refresh token's `jti` must be `refresh_jti`
/// and its `exp` at most `session.expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The user, with current roles.
    pub user: User,
    /// The session.
    pub session: Session,
    /// The `jti` for the refresh token to issue.
    pub refresh_jti: String,
}

/// How a refresh was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationOutcome {
    /// The presented token was current; a new `jti` replaced it.
    Rotated,
    /// The presented token was the one just replaced, within the grace
    /// window: the answer is the current branch again (same `jti`), never a
    /// new one.
    GraceReplay,
}

/// A successful refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// What to mint tokens from.
    pub grant: Grant,
    /// Whether the chain moved on or the current link was handed out again.
    pub outcome: RotationOutcome,
}

/// Which sessions a logout ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogoutScope {
    /// Only the caller's session.
    #[default]
    Local,
    /// Every other session of the user; the caller's stays.
    Others,
    /// Every session of the user.
    Global,
}

impl std::str::FromStr for LogoutScope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "local" => Ok(LogoutScope::Local),
            "others" => Ok(LogoutScope::Others),
            "global" => Ok(LogoutScope::Global),
            _ => Err(format!("scope {text:?} must be local, others or global")),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// How many matched in all.
    pub total: i64,
    /// Items skipped.
    pub offset: i64,
    /// Most items per page.
    pub limit: i64,
}

/// Largest page a listing returns.
pub const MAX_PAGE_SIZE: i64 = 100;

/// Which users to list (admin).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Only users whose username or e-mail contains this (case-insensitive).
    pub search: Option<String>,
    /// Users to skip.
    pub offset: i64,
    /// Most users to return (1 to 100; 0 means 50).
    pub limit: i64,
}

/// Which audit events to list (admin), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this user.
    pub user_id: Option<String>,
    /// Only events of this kind (see [`AuditKind`](super::AuditKind)).
    pub kind: Option<String>,
    /// Events to skip.
    pub offset: i64,
    /// Most events to return (1 to 100; 0 means 50).
    pub limit: i64,
}

/// Clamps paging input: offset at least 0, limit 1 to 100 (0 → 50).
pub(crate) fn page_bounds(offset: i64, limit: i64) -> (i64, i64) {
    let limit = if limit <= 0 {
        50
    } else {
        limit.min(MAX_PAGE_SIZE)
    };
    (offset.max(0), limit)
}
