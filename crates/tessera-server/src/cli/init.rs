//! `tessera init`: a strong `JWT_SECRET_KEY` in `.env`, without ever showing it.

use std::env;
use std::io::Write;

use clap::Args;

use super::CliError;
use crate::env_file::{
    ENV_FILE, EnsureOutcome, ExistingSecret, SECRET_BYTES, SECRET_VAR, ensure_encryption_key,
    write_secret,
};

/// Arguments of `tessera init`.
#[derive(Debug, Args)]
#[command(
    long_about = "Write a strong, random JWT_SECRET_KEY into .env in the current directory.\n\n\
The secret is 64 bytes from the operating system's random number generator, \
base64url-encoded (86 characters); its text is the HMAC key, exactly as \
Flask-JWT-Extended and PyJWT use JWT_SECRET_KEY, so one .env serves both. \
The file is created with mode 0600 and other lines in it are kept. \
The secret is never printed."
)]
pub struct InitArgs {
    /// Replace an existing JWT_SECRET_KEY (every token signed with it stops verifying).
    #[arg(long)]
    pub force: bool,
}

pub(super) fn run(
    args: &InitArgs,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CliError> {
    let dir = env::current_dir().map_err(|source| CliError::File {
        what: "cannot find the current directory",
        path: ".".into(),
        source,
    })?;
    let policy = if args.force {
        ExistingSecret::Replace
    } else {
        ExistingSecret::Refuse
    };
    let outcome = write_secret(&dir, policy)?;
    let path = dir.join(ENV_FILE);
    let path = path.display();
    match outcome {
        EnsureOutcome::Created => writeln!(out, "Created {path} with a new {SECRET_VAR}.")?,
        EnsureOutcome::Added => {
            writeln!(
                out,
                "Added a new {SECRET_VAR} to {path} (its other lines are unchanged)."
            )?;
        }
        EnsureOutcome::Replaced => writeln!(
            out,
            "Replaced {SECRET_VAR} in {path} (its other lines are unchanged); tokens signed with the old secret no longer verify."
        )?,
        EnsureOutcome::Kept => writeln!(out, "{path} already sets {SECRET_VAR}; nothing changed.")?,
    }
    if ensure_encryption_key(&dir)? != EnsureOutcome::Kept {
        writeln!(
            out,
            "Added a new TESSERA_ENCRYPTION_KEY to {path}: it encrypts the signing keys kept in the store (asymmetric JWT_ALGORITHM); keep it with your backups, never beside them."
        )?;
    }
    writeln!(
        out,
        "The secret is {SECRET_BYTES} random bytes from the operating system, base64url-encoded; the file is readable by you only (mode 0600)."
    )?;
    writeln!(
        out,
        "It is not shown here. Keep .env out of version control."
    )?;
    writeln!(
        out,
        "Try it: tessera token issue --sub 42 | tessera token verify -"
    )?;
    if env::var_os(SECRET_VAR).is_some_and(|value| !value.is_empty()) {
        writeln!(
            note,
            "warning: {SECRET_VAR} is also set in this shell's environment, and that value wins over .env"
        )?;
    }
    Ok(())
}
