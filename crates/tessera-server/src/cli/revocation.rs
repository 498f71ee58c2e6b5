//! Whether a verified token has been revoked, asked of the store `tessera
//! serve` uses (`DATABASE_URL`, or `tessera.db` in the working directory).
//!
//! The server refuses a token whose session (`sid`) or own `jti` it has
//! revoked, so `verify` and `explain` must not call such a token valid.
//! Without a store there is nothing to ask, and the commands say so rather
//! than let "valid" read as "the server accepts it".

use std::path::Path;

use tessera::Token;

use super::CliError;
use crate::domain::RevokedSet;
use crate::server_config::ServerConfig;
use crate::store::{Store, StoreOptions};

/// What the store said about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// Its session or its `jti` is revoked: the server refuses it.
    Revoked,
    /// Not revoked in the named store.
    NotRevoked {
        /// Which store was asked, for people ("SQLite tessera.db").
        store: String,
    },
    /// Nothing was asked; why, for people.
    NotChecked(String),
}

/// Asks the configured store whether `token` is revoked at `now`. A
/// configured store that cannot be read is an error: the server would not
/// start on it either, so no verdict can be given.
pub(crate) fn check(
    server: &ServerConfig,
    token: &Token,
    now: i64,
) -> Result<Revocation, CliError> {
    let options = StoreOptions::from_database_url(server.database_url.as_deref())
        .map_err(|err| CliError::Revocation(err.to_string()))?;
    let label = match options.sqlite_path() {
        // Opening a missing SQLite file would create an empty store: that
        // proves nothing, and leaves a file behind.
        Some(path) if !path.exists() => return Ok(not_checked(path)),
        Some(path) => format!("SQLite {}", path.display()),
        None => "PostgreSQL (DATABASE_URL)".to_owned(),
    };
    let sid = token
        .claims
        .extra
        .get(tessera::SESSION_ID_CLAIM)
        .and_then(|sid| sid.as_str());
    let jti = token.claims.jti.as_deref().unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Output)?;
    let revoked = runtime
        .block_on(async {
            let store = Store::open(&options).await?;
            let revoked = RevokedSet::load(&store, now).await;
            store.close().await;
            revoked
        })
        .map_err(|err| CliError::Revocation(err.to_string()))?;
    if revoked.is_revoked(sid, jti) {
        Ok(Revocation::Revoked)
    } else {
        Ok(Revocation::NotRevoked { store: label })
    }
}

fn not_checked(path: &Path) -> Revocation {
    Revocation::NotChecked(format!(
        "no store ({} does not exist here; set DATABASE_URL to the server's store)",
        path.display()
    ))
}
