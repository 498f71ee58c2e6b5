//! `tessera keygen`: a secret for HS* or a PEM key pair for the asymmetric algorithms.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use tessera::keys::generate_secret;
use tessera::{Algorithm, GeneratedKeyPair};

use super::CliError;
use crate::private_file::create_private;

/// Arguments of `tessera keygen`.
#[derive(Debug, Args)]
#[command(long_about = "Generate key material for JWT_ALGORITHM.\n\n\
For HS256, HS384 and HS512 this prints a random secret (twice the hash size in random \
bytes, base64url-encoded) for JWT_SECRET_KEY; `tessera init` writes an HS256 one into \
.env for you.\n\n\
For RS*, PS*, ES256, ES384 and EdDSA it makes a key pair (RSA keys are 2048 bits) and \
prints both PEM keys, or with --out writes private.pem (mode 0600) and public.pem and \
prints the .env lines that use them.")]
pub struct KeygenArgs {
    /// The algorithm the key is for.
    #[arg(long, value_name = "ALG", default_value = "HS256", value_parser = algorithm_parser())]
    pub alg: Algorithm,
    /// Write private.pem (mode 0600) and public.pem into this directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite private.pem and public.pem if they already exist in --out.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Accepts exactly the supported algorithm names, listing them in `--help`.
fn algorithm_parser() -> impl clap::builder::TypedValueParser<Value = Algorithm> {
    PossibleValuesParser::new(Algorithm::ALL.map(Algorithm::as_str))
        .try_map(|name| name.parse::<Algorithm>())
}

pub(super) fn run(
    args: &KeygenArgs,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CliError> {
    let alg = args.alg;
    if let Some(hash_bytes) = alg.min_secret_len() {
        if args.out.is_some() {
            return Err(CliError::Usage(format!(
                "--out writes key pairs; an {alg} secret is printed instead (or run `tessera init` to write one into .env)"
            )));
        }
        let bytes = hash_bytes * 2;
        let secret = generate_secret(bytes)?;
        writeln!(out, "{secret}")?;
        writeln!(
            note,
            "A new {alg} secret: {bytes} random bytes, base64url-encoded. Keep it secret. To use it, put in .env:\n  JWT_ALGORITHM={alg}\n  JWT_SECRET_KEY=<the secret above>"
        )?;
        return Ok(());
    }
    let pair = GeneratedKeyPair::generate(alg)?;
    let Some(dir) = &args.out else {
        write!(out, "{}{}", pair.private_pem, pair.public_pem)?;
        writeln!(
            note,
            "A new {alg} key pair: the private key (keep it secret; it signs tokens) then the public key (it verifies them).\n\
             Save each to a file and put in .env:\n  JWT_ALGORITHM={alg}\n  JWT_PRIVATE_KEY=<path to the private key>\n  JWT_PUBLIC_KEY=<path to the public key>\n\
             Or run `tessera keygen --alg {alg} --out DIR` to have the files written for you."
        )?;
        return Ok(());
    };
    let (private, public) = write_pair(dir, &pair, args.force)?;
    writeln!(
        note,
        "Wrote a new {alg} key pair:\n  {}  private key, mode 0600: keep it secret, it signs tokens\n  {}  public key: give it to services that verify tokens\n\
         Use them with these lines in .env (printed on standard output):",
        private.display(),
        public.display()
    )?;
    writeln!(out, "JWT_ALGORITHM={alg}")?;
    writeln!(out, "JWT_PRIVATE_KEY={}", private.display())?;
    writeln!(out, "JWT_PUBLIC_KEY={}", public.display())?;
    Ok(())
}

/// Writes `private.pem` (owner-only) and `public.pem` into `dir`, returning
/// their absolute paths. Existing files are only replaced with `force`.
fn write_pair(
    dir: &Path,
    pair: &GeneratedKeyPair,
    force: bool,
) -> Result<(PathBuf, PathBuf), CliError> {
    fs::create_dir_all(dir).map_err(|source| CliError::File {
        what: "cannot create the directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let dir = fs::canonicalize(dir).map_err(|source| CliError::File {
        what: "cannot resolve the directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let private = dir.join("private.pem");
    let public = dir.join("public.pem");
    for path in [&private, &public] {
        if path.exists() {
            if !force {
                return Err(CliError::Usage(format!(
                    "{} already exists; pass --force to replace it (tokens signed with the old key stop verifying)",
                    path.display()
                )));
            }
            fs::remove_file(path).map_err(|source| CliError::File {
                what: "cannot replace",
                path: path.clone(),
                source,
            })?;
        }
    }
    write_new(&private, pair.private_pem.as_bytes(), true)?;
    write_new(&public, pair.public_pem.as_bytes(), false)?;
    Ok((private, public))
}

fn write_new(path: &Path, contents: &[u8], private: bool) -> Result<(), CliError> {
    let result = (|| -> io::Result<()> {
        let mut file = if private {
            create_private(path)?
        } else {
            OpenOptions::new().write(true).create_new(true).open(path)?
        };
        file.write_all(contents)?;
        file.sync_all()
    })();
    result.map_err(|source| CliError::File {
        what: "cannot write",
        path: path.to_path_buf(),
        source,
    })
}
