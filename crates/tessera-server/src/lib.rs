//! Tessera's auth service and its `tessera` command line.

pub mod cli;
pub mod env_file;
