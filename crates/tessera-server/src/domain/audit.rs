//! The kinds of audit event the domain records.

/// What an audit event records. Stored as its snake_case name, which is what
/// listings filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditKind {
    /// A user registered themselves.
    UserRegistered,
    /// An operator or admin created a user (e.g. `tessera user add`).
    UserCreated,
    /// A password login succeeded (a session began).
    Login,
    /// A password login failed (unknown user, wrong password, disabled).
    LoginFailed,
    /// An old refresh token was presented; the session was revoked.
    RefreshReuse,
    /// A logout ended one or more sessions.
    Logout,
    /// A user ended one of their sessions from the session list.
    SessionEnded,
    /// A password was changed; the user's other sessions ended.
    PasswordChanged,
    /// An admin changed a user's roles.
    RolesChanged,
    /// An admin disabled a user; all their sessions ended.
    UserDisabled,
    /// An admin enabled a user.
    UserEnabled,
    /// An admin deleted a user; all their sessions ended.
    UserDeleted,
    /// An admin lifted the failed-login limit on a user's account.
    UserUnlocked,
    /// A sign-in through a provider succeeded (a session began).
    SocialLogin,
    /// A sign-in or link through a provider failed (detail: provider, reason).
    SocialLoginFailed,
    /// A user linked a provider identity.
    IdentityLinked,
    /// A user unlinked a provider identity.
    IdentityUnlinked,
    /// A user started enrolling a TOTP authenticator.
    MfaEnrolmentStarted,
    /// A user confirmed a TOTP authenticator (recovery codes issued).
    MfaEnabled,
    /// A user turned their second factor off.
    MfaDisabled,
    /// A user replaced their recovery codes.
    MfaRecoveryCodesRegenerated,
    /// An admin removed a user's second factors.
    MfaReset,
    /// A password was right and a second factor is now due (an `mfa_token`).
    MfaChallenged,
    /// A second factor completed a sign-in (detail: method).
    MfaVerified,
    /// A second factor was refused (detail: reason, e.g. a replayed code).
    MfaFailed,
    /// A user registered a passkey.
    PasskeyRegistered,
    /// A passkey registration failed (detail: reason).
    PasskeyRegistrationFailed,
    /// A sign-in with a passkey succeeded (a session began).
    PasskeyLogin,
    /// A sign-in with a passkey failed (detail: reason, passkey when known).
    PasskeyLoginFailed,
    /// A passkey's signature counter did not move forward: the sign-in was
    /// refused, the passkey may have been cloned.
    PasskeyCloneDetected,
    /// A user renamed a passkey.
    PasskeyRenamed,
    /// A user deleted a passkey.
    PasskeyDeleted,
}

impl AuditKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::UserRegistered => "user_registered",
            AuditKind::UserCreated => "user_created",
            AuditKind::Login => "login",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::RefreshReuse => "refresh_reuse",
            AuditKind::Logout => "logout",
            AuditKind::SessionEnded => "session_ended",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::RolesChanged => "roles_changed",
            AuditKind::UserDisabled => "user_disabled",
            AuditKind::UserEnabled => "user_enabled",
            AuditKind::UserDeleted => "user_deleted",
            AuditKind::UserUnlocked => "user_unlocked",
            AuditKind::SocialLogin => "social_login",
            AuditKind::SocialLoginFailed => "social_login_failed",
            AuditKind::IdentityLinked => "identity_linked",
            AuditKind::IdentityUnlinked => "identity_unlinked",
            AuditKind::MfaEnrolmentStarted => "mfa_enrolment_started",
            AuditKind::MfaEnabled => "mfa_enabled",
            AuditKind::MfaDisabled => "mfa_disabled",
            AuditKind::MfaRecoveryCodesRegenerated => "mfa_recovery_codes_regenerated",
            AuditKind::MfaReset => "mfa_reset",
            AuditKind::MfaChallenged => "mfa_challenged",
            AuditKind::MfaVerified => "mfa_verified",
            AuditKind::MfaFailed => "mfa_failed",
            AuditKind::PasskeyRegistered => "passkey_registered",
            AuditKind::PasskeyRegistrationFailed => "passkey_registration_failed",
            AuditKind::PasskeyLogin => "passkey_login",
            AuditKind::PasskeyLoginFailed => "passkey_login_failed",
            AuditKind::PasskeyCloneDetected => "passkey_clone_detected",
            AuditKind::PasskeyRenamed => "passkey_renamed",
            AuditKind::PasskeyDeleted => "passkey_deleted",
        }
    }
}

impl std::fmt::Display for AuditKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
