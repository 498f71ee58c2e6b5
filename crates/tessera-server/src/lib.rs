//! Tessera's auth service as a library, and its `tessera` command line:
//! accounts, sessions with refresh rotation, revocation and audit
//! ([`domain`]) over an SQLite or PostgreSQL [`store`], with HTTP and a CLI
//! on top.

pub mod app;
pub mod boxed;
pub mod cli;
pub mod domain;
pub mod env_file;
pub mod fanout;
pub mod http;
pub mod keys;
pub mod limits;
pub mod oauth;
pub mod serve;
pub mod serve_error;
pub mod server_config;
pub mod store;
