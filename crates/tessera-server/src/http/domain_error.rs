//! How the domain's errors become HTTP answers.

use axum::http::StatusCode;

use super::error::ApiError;
use crate::domain::{AccountError, RefreshError};

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> ApiError {
        match &err {
            AccountError::Validation(invalid) => ApiError::validation(
                invalid.field,
                format!("{} {}", invalid.field, invalid.problem),
            ),
            AccountError::UsernameTaken => {
                ApiError::conflict("username_taken", "that username is already taken")
            }
            // The same answer for unknown user, wrong password and disabled
            // account, so the response says nothing about which it was.
            AccountError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "invalid username or password",
            ),
            AccountError::Refresh(RefreshError::Contended) => {
                ApiError::conflict("session_busy", "the session is busy; retry the refresh")
            }
            AccountError::Refresh(refused) => {
                ApiError::unauthorized(refused.code(), refused.to_string())
            }
            AccountError::NotFound(_) => {
                ApiError::new(StatusCode::NOT_FOUND, err.code(), err.to_string())
            }
            AccountError::Store(store) if store.is_unavailable() => {
                ApiError::store_unavailable(store)
            }
            AccountError::Store(store) => ApiError::internal("store", store),
            AccountError::RegistrationClosed => ApiError::new(
                StatusCode::FORBIDDEN,
                "registration_closed",
                "registration is closed on this server (TESSERA_REGISTRATION=closed); an administrator creates accounts",
            ),
            AccountError::Hashing(problem) => ApiError::internal("password hashing", problem),
            AccountError::HashingBusy => ApiError::server_busy(),
            AccountError::SecondFactorRequired => {
                ApiError::unauthorized("mfa_required", "this account signs in with a second factor")
            }
        }
    }
}
