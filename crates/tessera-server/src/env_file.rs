//! Writing a strong `JWT_SECRET_KEY` into the `.env` file of a directory.
//!
//! `tessera init` uses this to set a project up, and `tessera serve` reuses
//! [`ensure_secret`] to start with zero configuration. Other lines of an
//! existing `.env` are kept as they are; the file is replaced atomically by a
//! new one created with mode `0600`, so the secret is never readable by other
//! users, not even for an instant.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tessera::KeyError;
use tessera::keys::generate_secret;

use crate::private_file::create_private;

/// The file name, in the directory given.
pub const ENV_FILE: &str = ".env";

/// The variable holding the HMAC secret, under Flask-JWT-Extended's name.
pub const SECRET_VAR: &str = "JWT_SECRET_KEY";

/// Random bytes in a generated secret: 64, the HS512 minimum, so the same
/// secret also serves HS384 and HS512. As base64url text it is 86 characters.
pub const SECRET_BYTES: usize = 64;

/// What to do when `.env` already sets a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingSecret {
    /// Leave it as it is (zero-config start).
    Keep,
    /// Fail with [`EnvFileError::SecretExists`] (`tessera init`).
    Refuse,
    /// Write a new one over it (`tessera init --force`).
    Replace,
}

/// What [`write_secret`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnsureOutcome {
    /// `.env` already set a secret; nothing was written.
    Kept,
    /// There was no `.env`; it was created holding a new secret.
    Created,
    /// `.env` existed without a secret; one was added and every other line kept.
    Added,
    /// The existing secret was replaced; every other line was kept.
    Replaced,
}

/// Why `.env` could not be read or written. Never contains the secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvFileError {
    /// `.env` already sets a secret and the caller asked not to replace it.
    #[error(
        "{} already sets {SECRET_VAR}; replacing it makes every token signed with it invalid, so pass --force if that is what you want",
        path.display()
    )]
    SecretExists {
        /// The `.env` file.
        path: PathBuf,
    },
    /// The file exists but could not be read (or is not UTF-8 text).
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The new file could not be written or moved into place.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("cannot generate a secret: {0}")]
    Generate(#[from] KeyError),
}

/// Makes sure `dir/.env` sets a `JWT_SECRET_KEY`, generating and writing one
/// when it does not; an existing secret is kept.
pub fn ensure_secret(dir: &Path) -> Result<EnsureOutcome, EnvFileError> {
    write_secret(dir, ExistingSecret::Keep)
}

/// Writes a fresh [`SECRET_BYTES`]-byte secret into `dir/.env`, creating the
/// file if needed and keeping every line that does not set the secret.
/// `existing` says what happens when the file already sets one.
pub fn write_secret(dir: &Path, existing: ExistingSecret) -> Result<EnsureOutcome, EnvFileError> {
    let path = dir.join(ENV_FILE);
    let current = match fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(source) => return Err(EnvFileError::Read { path, source }),
    };
    let has_secret = current
        .as_deref()
        .is_some_and(|text| text.lines().any(|line| sets_secret(line) == Some(true)));
    match (has_secret, existing) {
        (true, ExistingSecret::Keep) => return Ok(EnsureOutcome::Kept),
        (true, ExistingSecret::Refuse) => return Err(EnvFileError::SecretExists { path }),
        _ => {}
    }
    let secret = generate_secret(SECRET_BYTES)?;
    let assignment = format!("{SECRET_VAR}={secret}");
    let (text, outcome) = match current {
        None => (
            format!(
                "# Written by `tessera init`. This secret signs and verifies your tokens:\n\
                 # keep it out of version control and never share it.\n{assignment}\n"
            ),
            EnsureOutcome::Created,
        ),
        Some(current) => {
            let text = with_assignment(&current, &assignment);
            let outcome = if has_secret {
                EnsureOutcome::Replaced
            } else {
                EnsureOutcome::Added
            };
            (text, outcome)
        }
    };
    replace_file(&path, text.as_bytes()).map_err(|source| EnvFileError::Write { path, source })?;
    Ok(outcome)
}

/// Whether `line` assigns the secret: `None` when it does not name it,
/// `Some(false)` when it assigns an empty value, `Some(true)` otherwise.
/// Accepts `export ` and spaces around `=`, as dotenv files do.
fn sets_secret(line: &str) -> Option<bool> {
    sets_var(line, SECRET_VAR)
}

/// [`sets_secret`] for any variable `name`.
fn sets_var(line: &str, name: &str) -> Option<bool> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let value = line.strip_prefix(name)?.trim_start().strip_prefix('=')?;
    let value = value.trim();
    let unquoted = value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .or_else(|| {
            value
                .strip_prefix('\'')
                .and_then(|inner| inner.strip_suffix('\''))
        })
        .unwrap_or(value);
    Some(!unquoted.trim().is_empty())
}

/// `current` with its first secret assignment replaced by `assignment` (or
/// `assignment` appended), and any later assignments dropped so the file
/// says one thing only.
fn with_assignment(current: &str, assignment: &str) -> String {
    let mut out = String::with_capacity(current.len() + assignment.len() + 1);
    let mut written = false;
    for line in current.split_inclusive('\n') {
        if sets_secret(line.trim_end_matches(['\n', '\r'])).is_some() {
            if !written {
                out.push_str(assignment);
                out.push('\n');
                written = true;
            }
        } else {
            out.push_str(line);
        }
    }
    if !written {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(assignment);
        out.push('\n');
    }
    out
}

/// Makes sure `dir/.env` sets a `TESSERA_ENCRYPTION_KEY` (32 random bytes,
/// base64url: the key that encrypts the signing keys kept in the store),
/// adding a fresh one when it does not; an existing one is always kept
/// (replacing it would make the stored keys unreadable). `Created` when
/// there was no `.env`.
pub fn ensure_encryption_key(dir: &Path) -> Result<EnsureOutcome, EnvFileError> {
    let name = crate::keys::ENCRYPTION_KEY_VAR;
    let path = dir.join(ENV_FILE);
    let current = match fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(source) => return Err(EnvFileError::Read { path, source }),
    };
    if current
        .as_deref()
        .is_some_and(|text| text.lines().any(|line| sets_var(line, name) == Some(true)))
    {
        return Ok(EnsureOutcome::Kept);
    }
    let key = crate::keys::EncryptionKey::generate_text().map_err(|err| EnvFileError::Write {
        path: path.clone(),
        source: io::Error::other(err.to_string()),
    })?;
    let note = "# Encrypts the signing keys kept in the database: back it up with the database, never beside it.\n";
    let (text, outcome) = match current {
        None => (format!("{note}{name}={key}\n"), EnsureOutcome::Created),
        Some(mut text) => {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(note);
            text.push_str(&format!("{name}={key}\n"));
            (text, EnsureOutcome::Added)
        }
    };
    replace_file(&path, text.as_bytes()).map_err(|source| EnvFileError::Write { path, source })?;
    Ok(outcome)
}

/// Replaces `path` with `contents` atomically: a sibling file is created
/// with mode 0600 (never widened then narrowed), synced, and renamed over
/// `path`. A symlinked `.env` keeps its link; its target is replaced.
fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let target = match fs::canonicalize(path) {
        Ok(resolved) => resolved,
        Err(err) if err.kind() == io::ErrorKind::NotFound => path.to_path_buf(),
        Err(err) => return Err(err),
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(
        ".env.tessera-{}.tmp",
        generate_secret(9).map_err(io::Error::other)?
    ));
    let result = (|| {
        let mut file = create_private(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, &target)
    })();
    if result.is_err() {
        // Best effort: do not leave a half-written copy of a secret behind.
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recognises_assignments_in_dotenv_spellings() {
        assert_eq!(sets_secret("JWT_SECRET_KEY=abc"), Some(true));
        assert_eq!(sets_secret("  export JWT_SECRET_KEY = \"abc\""), Some(true));
        assert_eq!(sets_secret("JWT_SECRET_KEY="), Some(false));
        assert_eq!(sets_secret("JWT_SECRET_KEY=''"), Some(false));
        assert_eq!(sets_secret("JWT_SECRET_KEY_OLD=abc"), None);
        assert_eq!(sets_secret("# JWT_SECRET_KEY=abc"), None);
    }

    #[test]
    fn replaces_first_assignment_in_place_and_drops_the_rest() {
        let current = "A=1\nJWT_SECRET_KEY=old\nB=2\nJWT_SECRET_KEY=older\n";
        assert_eq!(
            with_assignment(current, "JWT_SECRET_KEY=new"),
            "A=1\nJWT_SECRET_KEY=new\nB=2\n"
        );
    }

    #[test]
    fn the_encryption_key_is_added_once_and_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        write_secret(dir.path(), ExistingSecret::Keep).unwrap();
        assert_eq!(
            ensure_encryption_key(dir.path()).unwrap(),
            EnsureOutcome::Added
        );
        let first = fs::read_to_string(dir.path().join(ENV_FILE)).unwrap();
        assert_eq!(
            ensure_encryption_key(dir.path()).unwrap(),
            EnsureOutcome::Kept
        );
        assert_eq!(
            fs::read_to_string(dir.path().join(ENV_FILE)).unwrap(),
            first
        );
        let line = first
            .lines()
            .find(|line| line.starts_with("TESSERA_ENCRYPTION_KEY="))
            .unwrap();
        assert!(
            crate::keys::EncryptionKey::from_text(&line["TESSERA_ENCRYPTION_KEY=".len()..]).is_ok()
        );
        assert!(first.contains("JWT_SECRET_KEY="));
    }

    #[test]
    fn appends_after_a_last_line_without_newline() {
        assert_eq!(
            with_assignment("A=1", "JWT_SECRET_KEY=new"),
            "A=1\nJWT_SECRET_KEY=new\n"
        );
    }
}
