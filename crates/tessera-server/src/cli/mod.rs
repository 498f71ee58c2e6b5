//! The `tessera` command line: set up a secret, make keys, and issue,
//! verify, decode and explain tokens with the project's own configuration.
//!
//! Every command reads its settings the way the server does
//! ([`crate::app::server_jwt_config`]: the environment, then `.env`, with
//! the server's own defaults such as its issuer), writes
//! results to standard output and notes for people to standard error, and
//! fails with a [`CliError`] that `main` prints as one line.

mod error;
mod explain;
mod init;
mod keygen;
mod keys;
mod logging;
mod revocation;
mod serve;
mod time_text;
mod token;
mod user;

use std::env;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};
use tessera::{ConfigError, JwtConfig};

use crate::app;
use crate::server_config::ServerConfig;

pub use error::CliError;
pub use explain::ExplainArgs;
pub use init::InitArgs;
pub use keygen::KeygenArgs;
pub use keys::{KeysCommand, RetireArgs};
pub use serve::ServeArgs;
pub use token::{DecodeArgs, IssueArgs, TokenCommand, TokenTypeArg, VerifyArgs};
pub use user::{UserAddArgs, UserCommand};

/// JWT authentication you can run: a strong secret in one command, and tokens
/// you can issue, verify and take apart from the shell.
#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    arg_required_else_help = true,
    after_help = "Getting started:\n  \
tessera init                                           write a strong JWT_SECRET_KEY into .env\n  \
tessera token issue --sub 42 | tessera token verify -  sign a token and check it\n  \
tessera token explain <TOKEN>                          see how a token is checked, step by step\n\n\
Settings come from the environment and .env, under Flask-JWT-Extended's names\n\
(JWT_SECRET_KEY, JWT_ALGORITHM, JWT_PRIVATE_KEY, JWT_ACCESS_TOKEN_EXPIRES, ...)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `tessera` subcommands.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Write a strong, random JWT_SECRET_KEY into .env in the current directory.
    Init(InitArgs),
    /// Generate an HMAC secret or an asymmetric key pair (PEM) for JWT_ALGORITHM.
    Keygen(KeygenArgs),
    /// Issue, verify, decode or explain tokens with the configured keys.
    #[command(subcommand, arg_required_else_help = true)]
    Token(TokenCommand),
    /// Run the auth service (zero config: creates .env and tessera.db on first run).
    Serve(ServeArgs),
    /// Manage accounts (e.g. bootstrap an admin).
    #[command(subcommand, arg_required_else_help = true)]
    User(UserCommand),
    /// List, rotate or retire the signing keys kept in the store.
    #[command(subcommand, arg_required_else_help = true)]
    Keys(KeysCommand),
}

/// Parses the process arguments. `--help` and `--version` print and return
/// the exit code to use; a usage error is printed as one `error:` line.
pub fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|err| match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            ExitCode::FAILURE
        }
        _ => {
            let message = usage_error_line(&err.render().to_string());
            let _ = writeln!(io::stderr(), "error: {message}");
            ExitCode::FAILURE
        }
    })
}

/// Folds clap's multi-line usage error into one line: the problem, any tip,
/// and where to look next.
fn usage_error_line(rendered: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("Usage:") || line.starts_with("For more information")
        {
            continue;
        }
        parts.push(line.strip_prefix("error: ").unwrap_or(line));
    }
    parts.push("run with --help for usage");
    parts.join("; ")
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    // The server logs from many threads; it must not run while this thread
    // holds the stdout or stderr lock, or every log line would wait forever.
    let command = match cli.command {
        Command::Serve(args) => return serve::run(&args),
        other => other,
    };
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = stdout.lock();
    let mut note = stderr.lock();
    match command {
        Command::Init(args) => init::run(&args, &mut out, &mut note)?,
        Command::Keygen(args) => keygen::run(&args, &mut out, &mut note)?,
        Command::Token(command) => token::run(command, &mut out, &mut note)?,
        Command::User(command) => user::run(command, &mut out)?,
        Command::Keys(command) => keys::run(command, &mut out)?,
        Command::Serve(args) => serve::run(&args)?,
    }
    out.flush()?;
    Ok(())
}

/// A multi-threaded runtime for the commands that talk to the store.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Output)
}

/// Makes `message` a single line, so an error is always exactly one line.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The settings `tessera serve` runs with, read the same way.
pub(crate) struct Settings {
    /// The token settings, with the server's defaults (issuer, locations).
    pub(crate) jwt: JwtConfig,
    /// The service settings (which store holds the revocations).
    pub(crate) server: ServerConfig,
}

/// Loads the settings from the environment and `.env` exactly as `serve`
/// does (so a token the server refuses is refused here too), turning "no
/// secret and no `.env`" into advice to run `tessera init`.
pub(crate) fn load_config() -> Result<Settings, CliError> {
    let loaded = tessera::config::load_dotenv()
        .and_then(|()| ServerConfig::from_env())
        .and_then(|server| {
            let jwt = app::server_jwt_config(tessera::env::process_lookup, &server)?;
            Ok(Settings { jwt, server })
        });
    match loaded {
        Ok(settings) => Ok(settings),
        Err(ConfigError::Missing {
            name: "JWT_SECRET_KEY",
            ..
        }) if !Path::new(crate::env_file::ENV_FILE).exists() => Err(CliError::NoEnvFile {
            dir: env::current_dir().unwrap_or_default(),
        }),
        Err(err) => Err(err.into()),
    }
}

/// Longest input read from standard input; far above any acceptable token,
/// so the codec's own size check reports the real problem.
const MAX_STDIN_BYTES: u64 = 1024 * 1024;

/// The token named by a `TOKEN` argument: the argument itself, or standard
/// input when it is `-` (surrounding whitespace, such as the newline a pipe
/// leaves, removed).
pub(crate) fn read_token(arg: &str) -> Result<String, CliError> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(MAX_STDIN_BYTES)
        .read_to_end(&mut bytes)
        .map_err(CliError::Stdin)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::Usage("standard input is not text; expected a token".to_owned()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CliError::Usage(
            "standard input is empty; expected a token (for example from `tessera token issue`)"
                .to_owned(),
        ));
    }
    Ok(token.to_owned())
}
