//! `tessera keys list | rotate | retire KID`: the signing keys kept in the
//! store (asymmetric `JWT_ALGORITHM` without `JWT_PRIVATE_KEY`), managed
//! from the shell. Every change is announced on the revocation feed, so
//! running instances reload the keys at once (the periodic resync is the
//! backstop).

use std::io::Write;
use std::sync::Arc;

use clap::{Args, Subcommand};
use tessera::{Clock as _, SystemClock};

use super::CliError;
use super::time_text::{relative, utc};
use crate::app;
use crate::keys::{Rotation, StoredKeys};
use crate::store::{KeyState, Store, StoreOptions};

/// `tessera keys` subcommands.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum KeysCommand {
    /// List the signing keys kept in the store and their states.
    List,
    /// Make the next key current (once it has been published for one JWKS
    /// cache period), keep the current one as previous, and make a fresh next key.
    Rotate,
    /// Retire a next or previous key: it leaves the JWKS and its tokens stop verifying.
    Retire(RetireArgs),
}

/// Arguments of `tessera keys retire`.
#[derive(Debug, Args)]
pub struct RetireArgs {
    /// The key id (as `tessera keys list` shows it).
    pub kid: String,
}

pub(super) fn run(command: KeysCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let settings = super::load_config()?;
    if !app::keys_in_store(&settings.jwt.token) {
        return Err(CliError::Usage(format!(
            "the signing keys are not kept in the store: that needs an asymmetric JWT_ALGORITHM (ES256, EdDSA, RS256, PS256, …) and no JWT_PRIVATE_KEY / JWT_PUBLIC_KEY (JWT_ALGORITHM is {})",
            settings.jwt.token.algorithm
        )));
    }
    super::runtime()?.block_on(async {
        let options = StoreOptions::from_database_url(settings.server.database_url.as_deref())
            .map_err(|err| CliError::Usage(err.to_string()))?;
        let store = Store::open(&options).await.map_err(|err| {
            CliError::Serve(crate::serve_error::ServeError::Store(err.to_string()))
        })?;
        let result = with_store(&command, &settings, &store, out).await;
        store.close().await;
        result
    })
}

async fn with_store(
    command: &KeysCommand,
    settings: &super::Settings,
    store: &Store,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let chosen = app::signing_keys(
        &settings.jwt.token,
        &settings.server,
        store,
        Arc::new(SystemClock),
    )?;
    let Some(keys) = chosen.stored else {
        return Err(CliError::Usage(
            "the signing keys are not kept in the store".to_owned(),
        ));
    };
    // Makes the first keys when there are none, and refuses a wrong
    // TESSERA_ENCRYPTION_KEY before anything changes.
    let created = keys.ensure().await?;
    keys.load().await?;
    let changed = match command {
        KeysCommand::List => {
            list(&keys, out).await?;
            created
        }
        KeysCommand::Rotate => rotate(&keys, out).await? || created,
        KeysCommand::Retire(args) => {
            keys.retire(&args.kid).await?;
            writeln!(
                out,
                "Retired {}: it has left the JWKS, and tokens it signed no longer verify.",
                args.kid
            )?;
            true
        }
    };
    if changed {
        announce(settings, store).await;
    }
    Ok(())
}

/// Tells the running instances on the feed they listen on: Redis pub/sub
/// with `REDIS_URL` (beside `NOTIFY` on PostgreSQL), else `NOTIFY`. A
/// failure is only a warning: the instances' periodic resync picks the
/// change up anyway.
async fn announce(settings: &super::Settings, store: &Store) {
    const LATER: &str = "could not tell running instances; they pick the change up within 15 s";
    let redis = app::redis_link(&settings.server, None)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!(error = %err, "{LATER}");
            None
        });
    if let Err(err) = app::revocation_feed_with(store, redis.as_ref())
        .announce()
        .await
    {
        tracing::warn!(error = %err, "{LATER}");
    }
}

async fn list(keys: &StoredKeys, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(
        out,
        "{:<44}  {:<8}  {:<5}  {:<23}  {:<23}  VERIFIES UNTIL",
        "KID", "STATE", "ALG", "CREATED", "SIGNS FROM"
    )?;
    for key in keys.list().await? {
        let until = match (key.state, key.verifies_until) {
            (KeyState::Previous, Some(until)) => utc(until),
            (KeyState::Retired, _) => "-".to_owned(),
            _ => "(while in use)".to_owned(),
        };
        writeln!(
            out,
            "{:<44}  {:<8}  {:<5}  {:<23}  {:<23}  {until}",
            key.kid,
            key.state.as_str(),
            key.alg,
            utc(key.created_at),
            utc(key.signs_from),
        )?;
    }
    Ok(())
}

/// Rotates; whether the keys changed.
async fn rotate(keys: &StoredKeys, out: &mut dyn Write) -> Result<bool, CliError> {
    match keys.rotate().await? {
        Rotation::Rotated {
            old,
            old_until,
            new,
            next,
        } => {
            writeln!(out, "Rotated: {new} signs from now on.")?;
            writeln!(
                out,
                "{old} is previous: it verifies the tokens it signed until {} (the refresh token lifetime plus leeway).",
                utc(old_until)
            )?;
            writeln!(
                out,
                "New next key {next}: published in the JWKS now, it can sign after {} s.",
                keys.policy().publish_for
            )?;
            Ok(true)
        }
        Rotation::NotYet { next, at } => Err(CliError::Usage(format!(
            "not rotated: the next key {next} has been published for less than one JWKS cache period ({} s), so resource servers may not know it yet; it can become current at {} ({})",
            keys.policy().publish_for,
            utc(at),
            relative(at, SystemClock.now())
        ))),
        Rotation::Lost => {
            writeln!(
                out,
                "Another instance changed the keys at the same moment; nothing was done here (see `tessera keys list`)."
            )?;
            Ok(false)
        }
    }
}
