//! Where the server's log lines go: standard error, filtered by
//! `TESSERA_LOG` (or `RUST_LOG`), as text for a person (coloured only at a
//! terminal) or, with `TESSERA_LOG_FORMAT=json`, one JSON object per line
//! for a log collector.
//!
//! A JSON line has `timestamp` (RFC 3339, UTC), `level`, `message`, the
//! event's own fields at the top level and, for the lines of a request,
//! its span under `"span"`: `request_id`, `method`, `route` (the template)
//! and `user_id` once known. The request's last line also has `status` and
//! `latency_ms` (see [`crate::http::request_log`]).

use std::io::{self, IsTerminal};

use tracing_subscriber::EnvFilter;

use super::CliError;

/// The variable that chooses the format.
const FORMAT_VAR: &str = "TESSERA_LOG_FORMAT";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogFormat {
    /// tracing's human-readable lines (the default).
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// Reads `TESSERA_LOG_FORMAT`: `text` (or unset, or empty) or `json`,
    /// in any case.
    fn from_env() -> Result<Self, CliError> {
        let Some(value) = std::env::var_os(FORMAT_VAR) else {
            return Ok(LogFormat::Text);
        };
        let value = value.to_string_lossy();
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(CliError::Usage(format!(
                "{FORMAT_VAR} must be `text` or `json`, not {value:?}"
            ))),
        }
    }
}

/// Installs the log subscriber (once; a second call changes nothing).
/// Fails only on an unknown `TESSERA_LOG_FORMAT`.
pub(super) fn init() -> Result<(), CliError> {
    let format = LogFormat::from_env()?;
    let filter = EnvFilter::try_from_env("TESSERA_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        // sqlx relays PostgreSQL notices ("relation … already exists,
        // skipping" at every start) at info; they are not news to an operator.
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(io::stderr);
    let _ = match format {
        // Colour codes only for a person at a terminal, not in log files.
        LogFormat::Text => builder.with_ansi(io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder
            .json()
            // The event's fields beside `message`, not under `fields`.
            .flatten_event(true)
            // The request's span (the innermost) under `span`; the full
            // list would repeat it on every line.
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    Ok(())
}
