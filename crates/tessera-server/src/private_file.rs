//! Files only their owner may read: `.env`, PEM keys, the SQLite database.
//! A leaf module, so the store and the `.env` writer can both use it.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates a new file readable and writable by its owner only (mode 0600
/// on Unix); fails if it exists.
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
