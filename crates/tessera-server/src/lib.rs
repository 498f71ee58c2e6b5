//! The Tessera auth service as a library: accounts, sessions with refresh
//! rotation, revocation and audit ([`domain`]) over an SQLite or PostgreSQL
//! [`store`]. The `tessera` binary puts HTTP and a CLI on top.

pub mod domain;
pub mod store;
