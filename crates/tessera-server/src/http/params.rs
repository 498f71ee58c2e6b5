//! `ApiQuery<T>` and `ApiPath<T>`: query-string and path extractors whose
//! failures are [`ApiError`]s in the `{error, message}` shape, like every
//! other answer (axum's own rejections are plain text).

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The query string, deserialized strictly: a value of the wrong type is a
/// 422 naming the parameter.
#[derive(Debug, Clone, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Parses a query string (`a=1&b=two`) into `T`. A NUL character is
/// refused outright: no parameter needs one, and PostgreSQL rejects it in
/// text, so it must not reach a query.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name.contains('\0') || value.contains('\0') {
            return Err(ApiError::validation(
                name.replace('\0', "\u{fffd}"),
                "a query parameter contains a NUL character",
            ));
        }
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = err.path().to_string();
        let message = format!("query parameter {field}: {}", err.inner());
        ApiError::validation(field, message)
    })
}

/// Path parameters; a segment that cannot be read (not UTF-8 once
/// percent-decoded, or holding a NUL) is a 400.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // A NUL can only arrive percent-encoded; no id contains one.
        if parts.uri.path().contains("%00") {
            return Err(ApiError::bad_request(
                "the URL path contains a NUL character",
            ));
        }
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            // A route declared with parameters its handler cannot take.
            Err(rejection) if rejection.status() == StatusCode::INTERNAL_SERVER_ERROR => Err(
                ApiError::internal("path parameters", &rejection.body_text()),
            ),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "the URL path cannot be read: {}",
                rejection.body_text()
            ))),
        }
    }
}
