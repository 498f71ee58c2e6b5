//! The boxed future that the seams' async trait methods return
//! ([`fanout`](crate::fanout), [`limits`](crate::limits), …), so each trait
//! stays object-safe (`Arc<dyn Trait>`) without a macro crate.

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future borrowing from `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
