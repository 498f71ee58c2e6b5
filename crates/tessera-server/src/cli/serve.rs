//! `tessera serve`: run the auth service in the current directory.

use clap::Args;

use super::{CliError, logging, runtime};

/// Run the auth service (creates .env and the SQLite file on first run).
#[derive(Debug, Args)]
#[command(
    after_help = "Settings: TESSERA_BIND (127.0.0.1:8080), DATABASE_URL (sqlite://tessera.db), \
TESSERA_PUBLIC_URL, and the JWT_* token settings; see the README."
)]
pub struct ServeArgs {}

/// Runs the server in the current directory until SIGINT/SIGTERM.
pub(super) fn run(_args: &ServeArgs) -> Result<(), CliError> {
    logging::init()?;
    let dir = std::env::current_dir().map_err(CliError::Output)?;
    runtime()?
        .block_on(crate::serve::serve(&dir))
        .map_err(CliError::Serve)
}
