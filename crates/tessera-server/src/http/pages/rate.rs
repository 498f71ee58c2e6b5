//! The credential rate limits, as the JSON API applies them, answered with
//! the wait in seconds so a page can say it.

use crate::http::auth::failure_key;
use crate::http::client::Client;
use crate::http::metrics::Metrics;
use crate::http::state::AppState;

/// A limit was hit: retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub u64);

impl Wait {
    /// The sentence a page shows.
    pub fn message(self) -> String {
        format!(
            "Too many attempts. Please wait {} before trying again.",
            seconds_text(self.0)
        )
    }
}

fn seconds_text(seconds: u64) -> String {
    match seconds {
        1 => "1 second".to_owned(),
        0..60 => format!("{seconds} seconds"),
        _ => {
            let minutes = seconds.div_ceil(60);
            if minutes == 1 {
                "1 minute".to_owned()
            } else {
                format!("{minutes} minutes")
            }
        }
    }
}

/// The per-IP limit on logins and registrations.
pub async fn per_ip(state: &AppState, client: &Client) -> Result<(), Wait> {
    let now = state.auth.now();
    state
        .limits
        .per_ip
        .acquire(&client.ip_key(), now)
        .await
        .map_err(|retry| limited(state, retry.0))
}

/// The failed-login limit of the account `username` names (existing or
/// not). Counts as a failure until [`clear_failures`] says otherwise.
pub async fn account_failures(state: &AppState, username: &str) -> Result<(), Wait> {
    let now = state.auth.now();
    state
        .limits
        .login_failures
        .acquire(&failure_key(username), now)
        .await
        .map_err(|retry| limited(state, retry.0))
}

/// Forgets the failures of `username` after a success.
pub async fn clear_failures(state: &AppState, username: &str) {
    state
        .limits
        .login_failures
        .clear(&failure_key(username))
        .await;
}

fn limited(state: &AppState, seconds: u64) -> Wait {
    Metrics::inc(&state.metrics.rate_limited);
    Wait(seconds)
}

#[cfg(test)]
mod tests {
    use super::Wait;

    #[test]
    fn waits_read_in_seconds_or_minutes() {
        assert!(Wait(1).message().contains("1 second "));
        assert!(Wait(42).message().contains("42 seconds"));
        assert!(Wait(61).message().contains("2 minutes"));
    }
}
