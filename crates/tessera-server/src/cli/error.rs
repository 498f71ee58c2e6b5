//! Why a `tessera` command failed, as one line a person can act on.

use std::io;
use std::path::PathBuf;

use tessera::{ConfigError, EncodeError, KeyError, TokenError};

use crate::env_file::EnvFileError;

/// A failed command. Its `Display` is the whole message (no source chain to
/// walk) and never contains key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The token was refused; carries the precise rule it broke.
    #[error("token rejected: {0} ({code})", code = .0.code())]
    Rejected(TokenError),
    /// The token is valid, but the store lists its session or its `jti` as
    /// revoked (the server answers 401 `token_revoked`).
    #[error("token rejected: the token has been revoked (token_revoked)")]
    Revoked,
    /// The store that holds the revocations could not be read.
    #[error("cannot check revocation: {0}")]
    Revocation(String),
    /// The token could not even be taken apart (for `decode`, which checks nothing else).
    #[error("cannot decode the token: {0} ({code})", code = .0.code())]
    Malformed(TokenError),
    /// The token settings could not be loaded.
    #[error("{0}")]
    Config(ConfigError),
    /// No secret is configured and there is no `.env` to read one from.
    #[error("JWT_SECRET_KEY is not set and there is no .env in {}: run `tessera init` to create one", dir.display())]
    NoEnvFile {
        /// The working directory.
        dir: PathBuf,
    },
    /// Writing the secret into `.env` failed.
    #[error(transparent)]
    EnvFile(#[from] EnvFileError),
    /// A token could not be signed.
    #[error("cannot issue the token: {0}")]
    Encode(#[from] EncodeError),
    /// A key could not be generated.
    #[error("cannot generate the key: {0}")]
    Key(#[from] KeyError),
    /// An argument has a value that cannot be used.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    File {
        /// What was being done (`cannot write`, …).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Reading standard input failed.
    #[error("cannot read the token from standard input: {0}")]
    Stdin(io::Error),
    /// The server could not start or stopped with an error.
    #[error(transparent)]
    Serve(#[from] crate::serve_error::ServeError),
    /// The signing keys kept in the store could not be read or changed.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeysError),
    /// Writing to standard output or standard error failed.
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
}

impl CliError {
    /// Whether this is only the reader of our output going away (`| head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(err) if err.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<TokenError> for CliError {
    fn from(err: TokenError) -> Self {
        CliError::Rejected(err)
    }
}

impl From<ConfigError> for CliError {
    fn from(err: ConfigError) -> Self {
        CliError::Config(err)
    }
}
