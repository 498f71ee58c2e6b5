//! `tessera user add`: create an account (the first admin, say) straight
//! in the store, with the server's own settings.

use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::{CliError, runtime};
use crate::app;
use crate::domain::{AuthService, NewAccount, Password, ServerSettings};
use crate::serve_error::ServeError;
use crate::store::{Store, StoreOptions};

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

/// Creates an account with the given roles.
pub(super) fn run(command: UserCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let UserCommand::Add(args) = command;
    let password = read_password(&args)?;
    let user = runtime()?.block_on(async {
        tessera::config::load_dotenv().map_err(ServeError::Config)?;
        let token = tessera::TokenConfig::from_env().ok();
        let mut settings = ServerSettings::from_env().map_err(ServeError::Config)?;
        if let Some(token) = &token {
            settings = settings.with_token_lifetimes(token);
        }
        let database_url = tessera::env::Env::process().text("DATABASE_URL");
        let options = StoreOptions::from_database_url(database_url.as_deref())
            .map_err(|err| ServeError::Store(err.to_string()))?;
        let store = Store::open(&options)
            .await
            .map_err(|err| ServeError::Store(err.to_string()))?;
        let feed = app::revocation_feed(&store);
        let clock = Arc::new(tessera::SystemClock);
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
