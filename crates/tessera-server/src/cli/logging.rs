//! Where the server's log lines go: standard error, filtered by
//! `TESSERA_LOG` (or `RUST_LOG`), coloured only for a person at a terminal.

use std::io::{self, IsTerminal};

use tracing_subscriber::EnvFilter;

/// Installs the log subscriber (once; a second call changes nothing).
pub(super) fn init() {
    let filter = EnvFilter::try_from_env("TESSERA_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        // sqlx relays PostgreSQL notices ("relation … already exists,
        // skipping" at every start) at info; they are not news to an operator.
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .try_init();
}
