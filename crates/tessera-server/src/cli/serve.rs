//! `tessera serve` and `tessera user add`: the commands that need the store.

use std::io::{self, BufRead, IsTerminal, Write};

use clap::{Args, Subcommand};

use super::CliError;
use crate::domain::{AuthService, NewAccount, Password, ServerSettings};
use crate::serve::ServeError;
use crate::store::{Store, StoreOptions};

/// Run the auth service (creates .env and the SQLite file on first run).
#[derive(Debug, Args)]
#[command(
    after_help = "Settings: TESSERA_BIND (127.0.0.1:8080), DATABASE_URL (sqlite://tessera.db), \
TESSERA_PUBLIC_URL, and the JWT_* token settings; see the README."
)]
pub struct ServeArgs {}

/// Manage accounts from the command line.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account, for example the first admin: `tessera user add alice --role admin`.
    Add(UserAddArgs),
}

/// `tessera user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The username.
    pub username: String,
    /// A role to grant (repeatable).
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// An e-mail address.
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from standard input (one line) instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Output)
}

/// Runs the server in the current directory until SIGINT/SIGTERM.
pub(super) fn run_serve(_args: &ServeArgs) -> Result<(), CliError> {
    init_logging();
    let dir = std::env::current_dir().map_err(CliError::Output)?;
    runtime()?
        .block_on(crate::serve::serve(&dir))
        .map_err(CliError::Serve)
}

/// Creates an account with the given roles.
pub(super) fn run_user(command: UserCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let UserCommand::Add(args) = command;
    let password = read_password(&args)?;
    let user = runtime()?.block_on(async {
        tessera::config::load_dotenv().map_err(ServeError::Config)?;
        let token = tessera::TokenConfig::from_env().ok();
        let mut settings = ServerSettings::from_env().map_err(ServeError::Config)?;
        if let Some(token) = &token {
            settings = settings.with_token_lifetimes(token);
        }
        let database_url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|url| !url.trim().is_empty());
        let options = StoreOptions::from_database_url(database_url.as_deref())
            .map_err(|err| ServeError::Store(err.to_string()))?;
        let store = Store::open(&options)
            .await
            .map_err(|err| ServeError::Store(err.to_string()))?;
        let feed = crate::app::revocation_feed(&store);
        let clock = std::sync::Arc::new(tessera::SystemClock);
        let auth = AuthService::new(store, feed, settings, clock)
            .await
            .map_err(|err| ServeError::Store(err.to_string()))?;
        auth.create_user(
            NewAccount {
                username: args.username.clone(),
                password,
                email: args.email.clone(),
                roles: args.roles.clone(),
            },
            None,
        )
        .await
        .map_err(|err| CliError::Usage(format!("cannot create the user: {err}")))
    })?;
    writeln!(
        out,
        "created user {} (id {}) with roles [{}]",
        user.username,
        user.id,
        user.roles.join(", ")
    )?;
    Ok(())
}

fn read_password(args: &UserAddArgs) -> Result<Password, CliError> {
    let text = if args.password_stdin || !io::stdin().is_terminal() {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(CliError::Stdin)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("password: ").map_err(CliError::Stdin)?;
        let again = rpassword::prompt_password("again: ").map_err(CliError::Stdin)?;
        if first != again {
            return Err(CliError::Usage("the passwords differ".to_owned()));
        }
        first
    };
    if text.is_empty() {
        return Err(CliError::Usage("the password is empty".to_owned()));
    }
    Ok(Password::new(text))
}

fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
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
