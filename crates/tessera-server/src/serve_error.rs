//! Why the server could not start: the one error of start-up, shared by
//! [`crate::serve`] (settings, `.env`, binding) and [`crate::app`]
//! (building the state), and by the commands that open the store.

use std::net::SocketAddr;

/// Why the server could not start. One line each, naming what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// `.env` could not be created or read.
    #[error(transparent)]
    EnvFile(#[from] crate::env_file::EnvFileError),
    /// A setting is missing or invalid.
    #[error(transparent)]
    Config(#[from] tessera::ConfigError),
    /// A social sign-in setting is missing or invalid.
    #[error(transparent)]
    Social(#[from] crate::oauth::SocialConfigError),
    /// The signing keys could not be loaded.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeysError),
    /// `REDIS_URL` is not a Redis URL.
    #[error(transparent)]
    Redis(#[from] crate::redis::RedisUrlError),
    /// The store could not be opened or migrated.
    #[error("cannot open the database: {0}")]
    Store(String),
    /// The address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}
