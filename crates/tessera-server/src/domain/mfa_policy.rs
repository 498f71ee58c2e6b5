//! `TESSERA_MFA_REQUIRED_ROLES`: roles that a token carries only when its
//! session signed in with more than one factor.

use super::AuthService;
use super::error::AccountError;
use super::model::Grant;

impl AuthService {
    /// Applies the policy to a grant about to be minted: a session without
    /// a second factor (`amr` lacks `mfa`) loses the required roles, and
    /// the grant says whether the user must enrol to get them.
    pub(super) async fn apply_mfa_policy(&self, mut grant: Grant) -> Result<Grant, AccountError> {
        let required = &self.settings().mfa_required_roles;
        if required.is_empty() || grant.session.amr.is_multi_factor() {
            return Ok(grant);
        }
        let before = grant.user.roles.len();
        grant.user.roles.retain(|role| !required.contains(role));
        if grant.user.roles.len() != before {
            let enrolled = self
                .store()
                .totp(&grant.user.id)
                .await?
                .is_some_and(|totp| totp.confirmed_at.is_some());
            grant.mfa_enrollment_required = !enrolled;
        }
        Ok(grant)
    }
}
