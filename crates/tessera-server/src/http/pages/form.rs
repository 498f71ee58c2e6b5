//! Reading a posted form (`application/x-www-form-urlencoded`): unknown
//! fields are ignored and missing ones are empty, so a hand-made request
//! gets the page's own messages, never a parser's.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::view::PageError;

/// The form in `body`; a body that is not a form is a 400 page.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(body).map_err(|_| PageError::BadRequest)
}
