//! Sessions: creation, refresh-token rotation with reuse detection, logout,
//! listing, and revocation housekeeping.
//!
//! The rotation rules (RFC 9700 §4.14.2: rotation with reuse detection):
//! - the presented `jti` is the current one → one conditional `UPDATE`
//!   swaps it for a new one, so of concurrent refreshes exactly one wins;
//! - it is the one just replaced, within `refresh_reuse_grace` →
//!   the current branch is handed out again (a lost response, or the losers
//!   of a race), never a second branch;
//! - any older `jti`, or the previous one after the grace → reuse: the whole
//!   session is revoked, audited, and refused;
//! - revoked or expired session, disabled or deleted user → refused.
//!
//! The absolute expiry is set at login and never moved.

use serde_json::json;

use super::amr::Amr;
use super::error::{AccountError, RefreshError, Resource};
use super::fingerprint::fingerprint;
use super::model::{
    ClientInfo, Grant, LogoutScope, Rotation, RotationOutcome, Session, SessionInfo, User,
};
use super::{AuditKind, AuthService, whole_seconds};
use crate::store::{NewAuditEvent, SessionRecord, SessionSelector};

/// Longest `User-Agent` or address kept on a session, in characters.
const CLIENT_FIELD_MAX_CHARS: usize = 512;

/// How often a refresh retries when its swap lost to a concurrent change
/// that left the presented token current (practically never).
const ROTATION_ATTEMPTS: usize = 3;

/// What [`AuthService::housekeeping`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Housekeeping {
    /// Entries dropped from the in-memory revoked set.
    pub revoked_pruned: usize,
    /// Revocation rows deleted.
    pub revocations_deleted: u64,
    /// Ended sessions deleted.
    pub sessions_deleted: u64,
}

impl AuthService {
    /// Starts a session for `user`, who signed in by `amr` (a social
    /// sign-in, a passkey, …), and returns the grant to mint the first
    /// tokens from, with the user as stored now (current roles). A user
    /// disabled or deleted meanwhile gets [`AccountError::InvalidCredentials`].
    pub async fn create_session(
        &self,
        user: &User,
        client: ClientInfo,
        amr: Amr,
    ) -> Result<Grant, AccountError> {
        self.start_session(user, client, amr, None).await
    }

    /// [`create_session`](Self::create_session) after a password was
    /// checked (alone, or followed by a second factor): the new session
    /// also ends at once, with [`AccountError::InvalidCredentials`], when
    /// the user's stored password hash is no longer `password_hash`, the one
    /// the password matched (a password change committed while the hash was
    /// being checked; its "end every other session" must cover this one too).
    pub async fn create_session_for_password(
        &self,
        user: &User,
        client: ClientInfo,
        amr: Amr,
        password_hash: &str,
    ) -> Result<Grant, AccountError> {
        self.start_session(user, client, amr, Some(&fingerprint(password_hash)))
            .await
    }

    /// Starts a session; `password_fingerprint`, when given, must still be
    /// the [`fingerprint`] of the user's stored password hash.
    pub(super) async fn start_session(
        &self,
        user: &User,
        client: ClientInfo,
        amr: Amr,
        password_fingerprint: Option<&str>,
    ) -> Result<Grant, AccountError> {
        if user.disabled {
            return Err(AccountError::InvalidCredentials);
        }
        let now = self.now();
        let record = SessionRecord {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            created_at: now,
            last_used_at: now,
            expires_at: now.saturating_add(whole_seconds(self.settings().session_lifetime)),
            revoked_at: None,
            revoked_reason: None,
            refresh_jti: uuid::Uuid::new_v4().to_string(),
            previous_jti: None,
            rotated_at: None,
            user_agent: client.user_agent.map(|text| cut(&text)),
            ip: client.ip.map(|text| cut(&text)),
            amr: amr.methods().to_vec(),
        };
        if !self.store().insert_session(&record).await? {
            // Deleted since it was read: the same answer as an unknown user.
            return Err(AccountError::InvalidCredentials);
        }
        // `user` was read before the password check, which takes a while; a
        // disable, delete or role change that committed since must win. One
        // that commits after this read revokes the session (it is stored).
        let current = match self.store().user_by_id(&user.id).await? {
            None => Err("user_deleted"),
            Some(current) if current.disabled_at.is_some() => Err("user_disabled"),
            Some(current)
                if password_fingerprint.is_some_and(|expected| {
                    current.password_hash.as_deref().map(fingerprint).as_deref() != Some(expected)
                }) =>
            {
                Err("password_changed")
            }
            Some(current) => Ok(current),
        };
        let current = match current {
            Ok(current) => current,
            Err(reason) => {
                self.end_session_now(&record.id, reason, None).await?;
                return Err(AccountError::InvalidCredentials);
            }
        };
        Ok(Grant {
            user: User::from(&current),
            session: Session::from(&record),
            refresh_jti: record.refresh_jti,
        })
    }

    /// Answers a refresh token of session `session_id` carrying
    /// `presented_jti` (both from the verified token). See the module docs
    /// for the rules; reuse revokes the session before returning
    /// [`RefreshError::Reuse`].
    pub async fn rotate(
        &self,
        session_id: &str,
        presented_jti: &str,
    ) -> Result<Rotation, AccountError> {
        for _ in 0..ROTATION_ATTEMPTS {
            let now = self.now();
            let idle_cutoff = self.settings().idle_cutoff(now);
            let new_jti = uuid::Uuid::new_v4().to_string();
            if let Some(record) = self
                .store()
                .swap_refresh_jti(session_id, presented_jti, &new_jti, now, idle_cutoff)
                .await?
            {
                let user = self.session_owner(&record).await?;
                return Ok(Rotation {
                    grant: Grant {
                        user,
                        session: Session::from(&record),
                        refresh_jti: new_jti,
                    },
                    outcome: RotationOutcome::Rotated,
                });
            }
            // The swap did not match: find out why, on a fresh read.
            let record = self
                .store()
                .session(session_id)
                .await?
                .ok_or(RefreshError::UnknownSession)?;
            if record.revoked_at.is_some() {
                return Err(RefreshError::Revoked.into());
            }
            if record.expires_at <= now {
                return Err(RefreshError::Expired.into());
            }
            if record.last_used_at <= idle_cutoff {
                // Unused too long: end it for good, so it leaves the
                // session lists and no later refresh can revive it.
                self.end_session_now(&record.id, "idle", None).await?;
                return Err(RefreshError::Idle.into());
            }
            let user = self.session_owner(&record).await?;
            if user.disabled {
                return Err(RefreshError::UserDisabled.into());
            }
            if record.refresh_jti == presented_jti {
                // Current again (a concurrent change settled); try the swap again.
                continue;
            }
            if self.within_grace(&record, presented_jti, now) {
                return Ok(Rotation {
                    grant: Grant {
                        user,
                        session: Session::from(&record),
                        refresh_jti: record.refresh_jti,
                    },
                    outcome: RotationOutcome::GraceReplay,
                });
            }
            let replayed_previous = record.previous_jti.as_deref() == Some(presented_jti);
            let event = self.event(
                AuditKind::RefreshReuse,
                Some(&record.user_id),
                Some(&record.id),
                json!({ "presented": if replayed_previous { "previous" } else { "older" } }),
            );
            self.end_session_now(&record.id, "refresh_reuse", Some(event))
                .await?;
            tracing::warn!(session = %record.id, user = %record.user_id, "refresh token reuse: session revoked");
            return Err(RefreshError::Reuse.into());
        }
        Err(RefreshError::Contended.into())
    }

    /// Ends session `id` (whoever owns it) and its tokens at once.
    async fn end_session_now(
        &self,
        id: &str,
        reason: &str,
        audit: Option<NewAuditEvent>,
    ) -> Result<usize, AccountError> {
        self.revoke_sessions(SessionSelector::One { id, user_id: None }, reason, audit)
            .await
    }

    /// The presented token is the one the current replaced, not long ago.
    fn within_grace(&self, record: &SessionRecord, presented_jti: &str, now: i64) -> bool {
        let Some(grace) = self.settings().refresh_reuse_grace else {
            return false;
        };
        record.previous_jti.as_deref() == Some(presented_jti)
            && record
                .rotated_at
                .is_some_and(|rotated_at| now.saturating_sub(rotated_at) <= whole_seconds(grace))
    }

    async fn session_owner(&self, record: &SessionRecord) -> Result<User, AccountError> {
        let user = self
            .store()
            .user_by_id(&record.user_id)
            .await?
            .ok_or(RefreshError::UnknownSession)?;
        Ok(User::from(&user))
    }

    /// Ends sessions of `user_id` by `scope`, relative to the caller's
    /// session `session_id` (the token's `sid`): `Local` ends that one,
    /// `Others` all but that one, `Global` all. Returns how many ended.
    pub async fn logout(
        &self,
        user_id: &str,
        session_id: Option<&str>,
        scope: LogoutScope,
    ) -> Result<usize, AccountError> {
        let selector = match (scope, session_id) {
            (LogoutScope::Local, Some(id)) => SessionSelector::One {
                id,
                user_id: Some(user_id),
            },
            (LogoutScope::Local, None) => return Ok(0),
            (LogoutScope::Others, except) => SessionSelector::User { user_id, except },
            (LogoutScope::Global, _) => SessionSelector::User {
                user_id,
                except: None,
            },
        };
        let scope_name = match scope {
            LogoutScope::Local => "local",
            LogoutScope::Others => "others",
            LogoutScope::Global => "global",
        };
        let event = self.event(
            AuditKind::Logout,
            Some(user_id),
            session_id,
            json!({ "scope": scope_name }),
        );
        self.revoke_sessions(selector, "logout", Some(event)).await
    }

    /// The user's live sessions, most recently used first, the caller's
    /// (`current_sid`) marked.
    pub async fn list_sessions(
        &self,
        user_id: &str,
        current_sid: Option<&str>,
    ) -> Result<Vec<SessionInfo>, AccountError> {
        let records = self.store().live_sessions(user_id, self.now()).await?;
        Ok(records
            .iter()
            .map(|record| SessionInfo::from_record(record, current_sid))
            .collect())
    }

    /// Ends one of the user's own sessions. A session that does not exist
    /// and one of another user get the same [`AccountError::NotFound`], so ids
    /// cannot be probed; ending an already ended one of one's own succeeds.
    pub async fn end_session(&self, user_id: &str, session_id: &str) -> Result<(), AccountError> {
        let record = self
            .store()
            .session(session_id)
            .await?
            .filter(|record| record.user_id == user_id)
            .ok_or(AccountError::NotFound(Resource::Session))?;
        if record.revoked_at.is_some() {
            return Ok(());
        }
        let event = self.event(
            AuditKind::SessionEnded,
            Some(user_id),
            Some(session_id),
            json!({}),
        );
        self.revoke_sessions(
            SessionSelector::One {
                id: session_id,
                user_id: Some(user_id),
            },
            "session_ended",
            Some(event),
        )
        .await?;
        Ok(())
    }

    /// Drops what can no longer matter: expired revoked-set entries and
    /// revocation rows, and sessions that ended more than a session lifetime
    /// ago (kept that long for the record). Run it now and then.
    pub async fn housekeeping(&self) -> Result<Housekeeping, AccountError> {
        let now = self.now();
        let retention = whole_seconds(self.settings().session_lifetime);
        Ok(Housekeeping {
            revoked_pruned: self.revoked().prune(now),
            revocations_deleted: self.store().delete_expired_revocations(now).await?,
            sessions_deleted: self
                .store()
                .delete_sessions_ended_before(now.saturating_sub(retention))
                .await?,
        })
    }
}

fn cut(text: &str) -> String {
    text.chars().take(CLIENT_FIELD_MAX_CHARS).collect()
}
