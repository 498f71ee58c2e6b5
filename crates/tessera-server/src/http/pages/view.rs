//! Rendering a page: a template to an HTML response, the error page, and
//! the small formatting helpers the templates use.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::domain::AccountError;
use crate::http::StoreOutage;

/// Renders `page` with `status`; a template that fails to render (it
/// cannot fail on any value these pages pass) is a 500 page.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => PageError::internal("render a page", &err).into_response(),
    }
}

/// The page shown when a page cannot be served.
#[derive(Debug, Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage<'a> {
    /// The heading.
    pub title: &'a str,
    /// What happened, in a sentence.
    pub message: &'a str,
    /// Where to go from here.
    pub link: &'a str,
    /// The link's text.
    pub link_text: &'a str,
}

/// A page request that failed for a reason the person cannot fix by
/// editing the form.
#[derive(Debug)]
pub enum PageError {
    /// The database is unreachable (503 with `Retry-After`); the cause goes
    /// to the outage log.
    Unavailable(String),
    /// The session is busy (a refresh raced another); reloading helps.
    Busy,
    /// The request could not be read (400).
    BadRequest,
    /// Anything else (500); logged.
    Internal,
}

impl PageError {
    /// Logs `err` under `context` and gives the 500 page.
    pub fn internal(context: &str, err: &dyn std::fmt::Display) -> Self {
        tracing::error!(%context, error = %err, "internal error on a page");
        PageError::Internal
    }
}

impl From<AccountError> for PageError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Store(store) if store.is_unavailable() => {
                PageError::Unavailable(store.to_string())
            }
            AccountError::Refresh(crate::domain::RefreshError::Contended) => PageError::Busy,
            other => PageError::internal("account operation", &other),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            PageError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The sign-in service cannot reach its database right now. Try again in a few seconds.",
            ),
            PageError::Busy => (
                StatusCode::CONFLICT,
                "Please try again",
                "Your session was busy with another request. Reload the page.",
            ),
            PageError::BadRequest => (
                StatusCode::BAD_REQUEST,
                "That did not work",
                "The form could not be read. Go back and try again.",
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server failed to handle this request. Try again later.",
            ),
        };
        let page = MessagePage {
            title,
            message,
            link: "/login",
            link_text: "Go to sign in",
        };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        };
        if let PageError::Unavailable(cause) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(5u32));
            response.extensions_mut().insert(StoreOutage(cause));
        }
        response
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
pub fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (the
/// well-known era arithmetic: 400-year eras of 146 097 days).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn unix_seconds_read_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_796_341_200), "2026-12-03 23:40 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59 UTC");
    }
}
