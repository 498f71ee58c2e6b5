//! How the domain's errors become HTTP answers.

use axum::http::StatusCode;

use super::error::ApiError;
use crate::domain::{AuthError, RefreshError};

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> ApiError {
        match &err {
            AuthError::Validation(invalid) => ApiError::validation(
                invalid.field,
                format!("{} {}", invalid.field, invalid.problem),
            ),
            AuthError::UsernameTaken => {
                ApiError::conflict("username_taken", "that username is already taken")
            }
            // The same answer for unknown user, wrong password and disabled
            // account, so the response says nothing about which it was.
            AuthError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "invalid username or password",
            ),
            AuthError::Refresh(RefreshError::Contended) => {
                ApiError::conflict("session_busy", "the session is busy; retry the refresh")
            }
            AuthError::Refresh(refused) => {
                ApiError::unauthorized(refused.code(), refused.to_string())
            }
            AuthError::NotFound(_) => {
                ApiError::new(StatusCode::NOT_FOUND, err.code(), err.to_string())
            }
            AuthError::Store(store) if store.is_unavailable() => ApiError::store_unavailable(store),
            AuthError::Store(store) => ApiError::internal("store", store),
            AuthError::Hashing(problem) => ApiError::internal("password hashing", problem),
        }
    }
}
