//! `tessera serve`: from an empty directory to a running auth service.
//!
//! Creates `.env` with a fresh secret if there is none, opens (or creates)
//! the store and runs its migrations, binds, logs one line with the URL, and
//! shuts down gracefully on SIGINT/SIGTERM (in-flight requests finish).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tessera::{Clock, SystemClock};
use tokio::net::TcpListener;

use crate::domain::{AccountError, AuthService, FollowError, ServerSettings};
use crate::env_file::{self, EnsureOutcome};
use crate::http::{self, AppState};
use crate::oauth::SocialSettings;
pub use crate::serve_error::ServeError;
use crate::server_config::ServerConfig;
use crate::store::{Store, StoreOptions};
use crate::{accept, app};

/// How often revocations made by other instances are pulled in (the
/// backstop behind the revocation feed).
pub const SYNC_EVERY: Duration = Duration::from_secs(15);
/// How long to wait before subscribing to the revocation feed again after a failure.
const FOLLOW_RETRY: Duration = Duration::from_secs(5);
/// How often expired sessions and revocations are swept.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);

/// Everything a running server is made of, built from the environment.
#[derive(Debug)]
pub struct Assembled {
    /// The router's state.
    pub state: AppState,
    /// The service settings.
    pub config: ServerConfig,
    /// Which store, for the start-up line (never a password).
    pub store_label: String,
}

/// Reads the remaining settings (after `.env`), opens the store and builds
/// the state for `config`.
pub async fn assemble(
    clock: Arc<dyn Clock>,
    config: ServerConfig,
) -> Result<Assembled, ServeError> {
    let jwt_config = app::server_jwt_config(tessera::env::process_lookup, &config)?;
    let settings = ServerSettings::from_env()?;
    let social = SocialSettings::from_env(&tessera::env::Env::process(), &config.public_url)?;
    let options = StoreOptions::from_database_url(config.database_url.as_deref())
        .map_err(|err| ServeError::Store(err.to_string()))?;
    let store = Store::open(&options)
        .await
        .map_err(|err| ServeError::Store(err.to_string()))?;
    let store_label = match (options.sqlite_path(), store.postgres_tls().await) {
        (Some(path), _) => format!("SQLite {}", path.display()),
        (None, Ok(Some(true))) => "PostgreSQL over TLS".to_owned(),
        (None, _) => "PostgreSQL, not encrypted (sslmode in DATABASE_URL)".to_owned(),
    };
    let state = app::build_state(jwt_config, settings, &config, social, store, clock).await?;
    Ok(Assembled {
        state,
        config,
        store_label,
    })
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(dir: &Path) -> Result<(), ServeError> {
    match env_file::ensure_secret(dir)? {
        EnsureOutcome::Created => {
            tracing::info!("created .env with a fresh JWT_SECRET_KEY (mode 0600)");
        }
        EnsureOutcome::Added => tracing::info!("added a fresh JWT_SECRET_KEY to .env"),
        EnsureOutcome::Kept | EnsureOutcome::Replaced => {}
    }
    if env_file::ensure_encryption_key(dir)? != EnsureOutcome::Kept {
        tracing::info!(
            "added a fresh TESSERA_ENCRYPTION_KEY to .env (it encrypts signing keys kept in the store)"
        );
    }
    tessera::config::load_dotenv()?;
    let mut config = ServerConfig::from_env()?;
    // Bind before anything names the public URL, so that port 0 (any free
    // port) is known by the time it becomes the issuer and discovery URLs.
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.bind,
            source,
        })?;
    let local = listener.local_addr()?;
    config.adopt_bound_address(local);
    if config.bind.ip().is_unspecified() && !config.public_url_is_explicit {
        tracing::warn!(
            "TESSERA_PUBLIC_URL is not set, so tokens name {} as their issuer; set it to the URL clients use",
            config.public_url
        );
    }
    let Assembled {
        state,
        config,
        store_label,
    } = assemble(Arc::new(SystemClock), config).await?;
    spawn_maintenance(&state, SYNC_EVERY);
    if let Some(metrics_bind) = state.edge.metrics_bind {
        let metrics_listener =
            TcpListener::bind(metrics_bind)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: metrics_bind,
                    source,
                })?;
        tracing::info!(
            "metrics on http://{}/metrics (TESSERA_METRICS_BIND; not on the public listener)",
            metrics_listener.local_addr()?
        );
        // Ends with the process; scrapes need no graceful shutdown.
        tokio::spawn(run_metrics(
            metrics_listener,
            state.clone(),
            std::future::pending(),
        ));
    }
    tracing::info!(
        "tessera listening on http://{local} (store: {}, public URL {})",
        store_label,
        config.public_url
    );
    run(listener, state, shutdown_signal()).await?;
    tracing::info!("tessera stopped");
    Ok(())
}

/// Serves the API on `listener` until `shutdown` completes; then stops
/// accepting connections, lets in-flight requests finish, and returns.
/// Handlers see the client's address (`ConnectInfo<SocketAddr>`). The
/// connections are bounded as [`accept`](crate::accept) describes.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let edge = Arc::clone(&state.edge);
    let busy = http::edge::busy(&edge);
    accept::serve_connections(listener, http::router(state), busy, &edge, shutdown).await
}

/// Serves `/metrics` alone on `listener` (`TESSERA_METRICS_BIND`) until
/// `shutdown` completes.
pub async fn run_metrics(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let edge = Arc::clone(&state.edge);
    let busy = http::edge::busy(&edge);
    accept::serve_connections(listener, http::metrics_router(state), busy, &edge, shutdown).await
}

/// Starts the background tasks of a running server: following the
/// revocation feed, the periodic resync every `sync_every` ([`SYNC_EVERY`]
/// in `tessera serve`; tests shorten it) and housekeeping.
pub fn spawn_maintenance(state: &AppState, sync_every: Duration) {
    let follower = state.auth.clone();
    tokio::spawn(async move {
        // Through the revocation feed, other instances' revocations arrive
        // within milliseconds. On failure, retry; the periodic sync covers
        // the gap.
        while let Err(err) = follower.follow_revocations().await {
            match &err {
                FollowError::Sync(err) => {
                    log_failure(&follower, err, "revocation sync failed; retrying in 5 s");
                }
                // While the store is known to be down, the outage has been
                // logged once already; the feed's own failure adds nothing.
                FollowError::Feed(_) if follower.store().outage_reported() => {}
                FollowError::Feed(_) => {
                    tracing::warn!(error = %err, "revocation feed failed; retrying in 5 s");
                }
            }
            tokio::time::sleep(FOLLOW_RETRY).await;
        }
    });
    let auth = state.auth.clone();
    tokio::spawn(async move {
        let mut sync = tokio::time::interval(sync_every);
        let mut sweep = tokio::time::interval(HOUSEKEEPING_EVERY);
        loop {
            tokio::select! {
                _ = sync.tick() => {
                    if let Err(err) = auth.sync_revocations().await {
                        log_failure(&auth, &err, "revocation sync failed");
                    }
                }
                _ = sweep.tick() => {
                    if let Err(err) = auth.housekeeping().await {
                        log_failure(&auth, &err, "housekeeping failed");
                    }
                }
            }
        }
    });
}

/// Logs a background task's failure. A database outage goes to the store's
/// outage log (one warning per outage, shared with the requests), so a
/// retry loop does not add a line every few seconds while it lasts.
fn log_failure(auth: &AuthService, err: &AccountError, what: &str) {
    match err {
        AccountError::Store(store) if store.is_unavailable() => auth.store().report_outage(store),
        _ => tracing::warn!(error = %err, "{what}"),
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down; finishing in-flight requests");
}
