//! Argon2id hashing on a bounded blocking pool.
//!
//! Each hash takes tens of milliseconds and `m` KiB of memory, so it never
//! runs on an async worker: jobs go to `spawn_blocking`, and a semaphore
//! sized to the cores lets only that many run at once. A login flood
//! therefore waits in line instead of starving the runtime or exhausting
//! memory — and the line is bounded: at most [`QUEUE_PER_SLOT`] waiters
//! per running hash, each waiting at most [`MAX_WAIT`]. Beyond either, the
//! request is refused at once with [`AccountError::HashingBusy`] (`503`
//! with `Retry-After`), so requests that need no hashing (health checks,
//! forward auth, refreshes) never queue behind a flood.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use super::error::AccountError;
use super::password::Password;
use super::settings::Argon2Params;

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password is right.
    pub matches: bool,
    /// The hash uses other parameters than the configured ones; store a new
    /// hash of the (correct) password.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords with argon2id. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

/// Waiters allowed per hash that may run at once.
pub(crate) const QUEUE_PER_SLOT: usize = 64;
/// The longest a request waits for a hashing slot.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(20);

struct Inner {
    params: Params,
    permits: Arc<Permits>,
    /// A hash of a random password with the configured parameters, verified
    /// against when the user is unknown so that case costs the same work.
    dummy_hash: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("m_cost", &self.inner.params.m_cost())
            .field("t_cost", &self.inner.params.t_cost())
            .field("p_cost", &self.inner.params.p_cost())
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with these costs, running at most `concurrency` hashes at
    /// once. Computes the dummy hash (one hash's worth of work).
    pub async fn new(params: Argon2Params, concurrency: usize) -> Result<Self, AccountError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|err| AccountError::Hashing(format!("argon2 parameters: {err}")))?;
        let permits = Arc::new(Permits::new(concurrency.max(1)));
        let mut random = [0_u8; 32];
        aws_lc_rs::rand::fill(&mut random)
            .map_err(|_| AccountError::Hashing("no randomness".to_owned()))?;
        let dummy_password: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        let dummy_hash = {
            let params = params.clone();
            run_limited(&permits, move || hash_with(&params, &dummy_password)).await??
        };
        Ok(PasswordHasher {
            inner: Arc::new(Inner {
                params,
                permits,
                dummy_hash,
            }),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for `password`.
    pub async fn hash(&self, password: &Password) -> Result<String, AccountError> {
        let params = self.inner.params.clone();
        let password = password.normalised();
        run_limited(&self.inner.permits, move || hash_with(&params, &password)).await?
    }

    /// Checks `password` against `stored` (a PHC string). With `None` — no
    /// such user, or no password on the account — it checks against the
    /// dummy hash instead and reports no match, after the same work.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verified, AccountError> {
        let inner = Arc::clone(&self.inner);
        let password = password.normalised();
        let stored = stored.map(str::to_owned);
        run_limited(&self.inner.permits, move || {
            let parsed = stored
                .as_deref()
                .and_then(|phc| PasswordHash::new(phc).ok());
            match parsed {
                Some(hash) => Verified {
                    matches: Argon2::default()
                        .verify_password(password.as_bytes(), &hash)
                        .is_ok(),
                    needs_rehash: differs(&hash, &inner.params),
                },
                None => {
                    // Same work as a real check; the answer is always no.
                    if let Ok(hash) = PasswordHash::new(&inner.dummy_hash) {
                        let _ = Argon2::default().verify_password(password.as_bytes(), &hash);
                    }
                    Verified {
                        matches: false,
                        needs_rehash: false,
                    }
                }
            }
        })
        .await
    }

    /// Whether `stored` was made with other parameters than the configured ones.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        PasswordHash::new(stored).map_or(true, |hash| differs(&hash, &self.inner.params))
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, AccountError> {
    let mut salt = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut salt)
        .map_err(|_| AccountError::Hashing("no randomness".to_owned()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|err| AccountError::Hashing(err.to_string()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AccountError::Hashing(err.to_string()))
}

/// Not argon2id v1.3 with exactly these m, t, p (and the default length).
fn differs(hash: &PasswordHash<'_>, params: &Params) -> bool {
    if hash.algorithm != argon2::ARGON2ID_IDENT || hash.version != Some(Version::V0x13.into()) {
        return true;
    }
    match Params::try_from(hash) {
        Ok(found) => {
            found.m_cost() != params.m_cost()
                || found.t_cost() != params.t_cost()
                || found.p_cost() != params.p_cost()
                || hash.hash.map(|output| output.len()) != Some(Params::DEFAULT_OUTPUT_LEN)
        }
        Err(_) => true,
    }
}

/// The hashing slots and the bounded line in front of them.
struct Permits {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl Permits {
    fn new(concurrency: usize) -> Self {
        Permits {
            running: Arc::new(Semaphore::new(concurrency)),
            waiting: AtomicUsize::new(0),
            max_waiting: concurrency.saturating_mul(QUEUE_PER_SLOT),
        }
    }

    /// A slot now, or after waiting in a line that has room, for at most
    /// [`MAX_WAIT`].
    async fn acquire(&self) -> Result<OwnedSemaphorePermit, AccountError> {
        let closed = || AccountError::Hashing("the hashing pool is closed".to_owned());
        match Arc::clone(&self.running).try_acquire_owned() {
            Ok(permit) => return Ok(permit),
            Err(TryAcquireError::Closed) => return Err(closed()),
            Err(TryAcquireError::NoPermits) => {}
        }
        let _place = Place::take(&self.waiting, self.max_waiting)?;
        match tokio::time::timeout(MAX_WAIT, Arc::clone(&self.running).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(closed()),
            Err(_) => Err(AccountError::HashingBusy),
        }
    }
}

/// A place in the line; given back when dropped (served, timed out or
/// abandoned by a client that went away).
struct Place<'a>(&'a AtomicUsize);

impl<'a> Place<'a> {
    fn take(waiting: &'a AtomicUsize, max: usize) -> Result<Self, AccountError> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < max).then_some(now + 1)
            })
            .map(|_| Place(waiting))
            .map_err(|_| AccountError::HashingBusy)
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `job` on the blocking pool once a permit is free; the permit is held
/// until the job ends, even if the caller stops waiting.
async fn run_limited<T: Send + 'static>(
    permits: &Permits,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AccountError> {
    let permit = permits.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let out = job();
        drop(permit);
        out
    })
    .await
    .map_err(|err| AccountError::Hashing(format!("hashing task failed: {err}")))
}
