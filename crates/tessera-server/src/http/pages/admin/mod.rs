//! `/admin` (role `admin`): the users (search, pages), one user's roles,
//! disable/enable, unlock and sessions (end one), and the audit log with
//! filters. The JSON API owns `/admin/users` and `/admin/audit`, so the
//! pages live at `/admin`, `/admin/people/{id}` and `/admin/log`.
//!
//! Every handler opens with the [`AdminPage`](super::gate::AdminPage)
//! extractor: a live session of an enabled user holding the role as
//! stored now (not the token's claims, which may predate a role change);
//! anyone else gets a 403 page, and a signed-out browser goes to `/login`
//! with `rd` back to the page it asked for. Every form carries the CSRF
//! token and every POST is checked as the account page's are; the actions
//! call the domain directly, with the admin as the audit's actor.
//!
//! - [`users`]: the user list.
//! - [`person`]: one user's page.
//! - [`actions`]: the forms on a user's page.
//! - [`log`]: the audit log.
//! - [`paging`]: list queries, page ranges and links.

pub mod actions;
pub mod log;
pub mod paging;
pub mod person;
pub mod users;
