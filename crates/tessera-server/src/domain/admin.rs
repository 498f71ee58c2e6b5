//! Admin operations: list and search users, roles, disable/enable, delete,
//! a user's sessions, the audit trail. Authorisation (the `admin` role) is
//! the caller's job; `actor` is the admin's user id, for the record.

use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use super::account_fields::parse_roles;
use super::error::{AccountError, Resource};
use super::model::{AuditQuery, Page, SessionInfo, User, UserQuery, page_bounds};
use super::{AuditKind, AuthService};
use crate::store::{AuditFilter, AuditRecord, SessionSelector};

impl AuthService {
    /// A page of users in creation order; `search` matches part of the
    /// username (case-insensitively, after NFKC) or of the e-mail address.
    pub async fn list_users(&self, query: &UserQuery) -> Result<Page<User>, AccountError> {
        let (offset, limit) = page_bounds(query.offset, query.limit);
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| text.nfkc().collect::<String>().to_lowercase());
        let (records, total) = self
            .store()
            .list_users(search.as_deref(), offset, limit)
            .await?;
        Ok(Page {
            items: records.iter().map(User::from).collect(),
            total,
            offset,
            limit,
        })
    }

    /// Replaces a user's roles. When any role is taken away, the user's
    /// sessions end too, so tokens carrying the old roles stop working now
    /// rather than when they expire.
    pub async fn set_roles<S: AsRef<str>>(
        &self,
        actor: Option<&str>,
        user_id: &str,
        roles: &[S],
    ) -> Result<User, AccountError> {
        let roles = parse_roles(roles)?;
        let before = self
            .store()
            .user_by_id(user_id)
            .await?
            .ok_or(AccountError::NotFound(Resource::User))?;
        let after = self.store().set_roles(user_id, &roles, self.now()).await;
        self.users_changed().await;
        let after = after?.ok_or(AccountError::NotFound(Resource::User))?;
        let reduced = before.roles.iter().any(|role| !after.roles.contains(role));
        let detail = json!({ "from": before.roles, "to": after.roles, "by": actor });
        if reduced {
            self.revoke_sessions(
                SessionSelector::User {
                    user_id,
                    except: None,
                },
                "roles_changed",
                None,
            )
            .await?;
        }
        self.audit(AuditKind::RolesChanged, Some(user_id), None, detail)
            .await;
        Ok(User::from(&after))
    }

    /// Disables (ending all the user's sessions) or enables a user.
    pub async fn set_disabled(
        &self,
        actor: Option<&str>,
        user_id: &str,
        disabled: bool,
    ) -> Result<User, AccountError> {
        let now = self.now();
        let updated = self
            .store()
            .set_disabled(user_id, disabled.then_some(now), now)
            .await;
        self.users_changed().await;
        let updated = updated?.ok_or(AccountError::NotFound(Resource::User))?;
        if disabled {
            // Disabled first: a refresh racing with this fails its swap on
            // the user check, and the revocation catches every session.
            let event = self.event(
                AuditKind::UserDisabled,
                Some(user_id),
                None,
                json!({ "by": actor }),
            );
            let ended = self
                .revoke_sessions(
                    SessionSelector::User {
                        user_id,
                        except: None,
                    },
                    "user_disabled",
                    Some(event),
                )
                .await?;
            if ended == 0 {
                self.audit(
                    AuditKind::UserDisabled,
                    Some(user_id),
                    None,
                    json!({ "by": actor }),
                )
                .await;
            }
        } else {
            self.audit(
                AuditKind::UserEnabled,
                Some(user_id),
                None,
                json!({ "by": actor }),
            )
            .await;
        }
        Ok(User::from(&updated))
    }

    /// Records that `actor` lifted the failed-login limit on `user_id` (the
    /// limiter itself lives with the HTTP layer) and returns the user.
    pub async fn record_unlock(
        &self,
        actor: Option<&str>,
        user_id: &str,
    ) -> Result<User, AccountError> {
        let user = self.user(user_id).await?;
        self.audit(
            AuditKind::UserUnlocked,
            Some(user_id),
            None,
            json!({ "by": actor }),
        )
        .await;
        Ok(user)
    }

    /// Deletes a user after ending all their sessions (their ids stay in
    /// the revoked set until their tokens expire).
    ///
    /// The user is disabled first, and only then are the sessions ended and
    /// the row deleted. A login racing with this stores its session and then
    /// re-reads the user: if that read comes before the disable, the session
    /// was stored before the revocation below and is ended by it; if after,
    /// the login sees the user disabled (or gone) and ends its own session.
    /// Either way no session of a deleted user survives; without the disable,
    /// a session stored between the revocation and the delete was removed
    /// with the user but never revoked, and its access token kept working.
    /// A login whose session comes after the delete is refused by the
    /// foreign key, as an unknown user.
    pub async fn delete_user(
        &self,
        actor: Option<&str>,
        user_id: &str,
    ) -> Result<(), AccountError> {
        let now = self.now();
        let record = self.store().set_disabled(user_id, Some(now), now).await;
        self.users_changed().await;
        let record = record?.ok_or(AccountError::NotFound(Resource::User))?;
        self.revoke_sessions(
            SessionSelector::User {
                user_id,
                except: None,
            },
            "user_deleted",
            None,
        )
        .await?;
        let deleted = self.store().delete_user(user_id).await;
        self.users_changed().await;
        if !deleted? {
            return Err(AccountError::NotFound(Resource::User));
        }
        self.audit(
            AuditKind::UserDeleted,
            Some(user_id),
            None,
            json!({ "username": record.username, "by": actor }),
        )
        .await;
        Ok(())
    }

    /// A user's live sessions (admin view; none is marked current).
    pub async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionInfo>, AccountError> {
        if self.store().user_by_id(user_id).await?.is_none() {
            return Err(AccountError::NotFound(Resource::User));
        }
        self.list_sessions(user_id, None).await
    }

    /// A page of audit events, newest first.
    pub async fn audit_events(
        &self,
        query: &AuditQuery,
    ) -> Result<Page<AuditRecord>, AccountError> {
        let (offset, limit) = page_bounds(query.offset, query.limit);
        let filter = AuditFilter {
            user_id: query.user_id.clone(),
            kind: query.kind.clone(),
            offset,
            limit,
        };
        let (items, total) = self.store().list_audit(&filter).await?;
        Ok(Page {
            items,
            total,
            offset,
            limit,
        })
    }
}
