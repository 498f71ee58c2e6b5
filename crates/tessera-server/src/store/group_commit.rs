//! Group commit of refresh-token swaps on SQLite.
//!
//! Every refresh is one conditional `UPDATE` whose commit must be on disk
//! (`synchronous = FULL`) before the new tokens are sent. Committed one by
//! one, concurrent refreshes queue on SQLite's single writer lock, and a
//! waiting connection sleeps in the busy handler's growing steps (up to
//! 100 ms at a time): a few clients already gave a p99 of half a second.
//!
//! Here one task owns the writing. Swaps are queued to it; it takes every
//! swap waiting (up to [`MAX_BATCH`]), runs each one's `UPDATE` in order in
//! one transaction, commits once (one fsync for the batch), and only then
//! answers each waiter with its own result. While a batch commits, the next
//! one gathers, so no delay is added to wait for company.
//!
//! Each swap is still the same single conditional `UPDATE` as on its own:
//! within the transaction the statements run one after another, so of two
//! swaps of the same `jti` in one batch the first matches and the second
//! finds the token already replaced, exactly as two separate transactions
//! would. No waiter is answered before the commit has returned, and when
//! the batch fails (any statement, or the commit) every waiter gets the
//! error and nothing of the batch is kept: never a 2xx for a rotation that
//! is not stored.

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use super::sessions::swap_refresh_jti_in;
use super::{SessionRecord, StoreError};

/// Most swaps committed together.
pub(super) const MAX_BATCH: usize = 256;
/// Most swaps waiting for the writer before callers wait to queue.
const QUEUE: usize = 4096;

/// One refresh-token swap (see [`Store::swap_refresh_jti`](super::Store::swap_refresh_jti)).
#[derive(Debug, Clone)]
pub(super) struct Swap {
    pub(super) id: String,
    pub(super) presented: String,
    pub(super) new_jti: String,
    pub(super) now: i64,
    pub(super) idle_cutoff: i64,
}

type Answer = Result<Option<SessionRecord>, StoreError>;

struct Job {
    swap: Swap,
    reply: oneshot::Sender<Answer>,
}

/// The queue to the writer task.
#[derive(Debug)]
pub(super) struct SwapWriter {
    jobs: mpsc::Sender<Job>,
}

impl SwapWriter {
    /// Starts the writer task on the current tokio runtime. It ends when
    /// every handle on the writer is gone.
    pub(super) fn spawn(pool: AnyPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write(pool, queue));
        SwapWriter { jobs }
    }

    /// Queues `swap` and waits for its committed result. `Err(swap)` back
    /// when the writer is gone before it took the swap (its runtime ended),
    /// for the caller to run it on its own.
    pub(super) async fn swap(&self, swap: Swap) -> Result<Answer, Swap> {
        let (reply, answer) = oneshot::channel();
        if let Err(refused) = self.jobs.send(Job { swap, reply }).await {
            return Err(refused.0.swap);
        }
        Ok(answer.await.unwrap_or_else(|_| {
            // Taken, then dropped unanswered: the task ended mid-batch, so
            // whether it committed is unknown; answer as an outage.
            Err(StoreError::Unavailable(
                "the refresh writer stopped before answering".to_owned(),
            ))
        }))
    }
}

/// The writer task: batch, commit, answer, until the queue closes.
async fn write(pool: AnyPool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match commit(&pool, &batch).await {
            Ok(answers) => {
                for (job, answer) in batch.drain(..).zip(answers) {
                    // A waiter that gave up (its request was dropped) is
                    // not there to answer; its rotation is stored all the same.
                    let _ = job.reply.send(Ok(answer));
                }
            }
            Err(err) => {
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(err.copy_for_waiter()));
                }
            }
        }
    }
}

/// Runs every swap of `batch` in one transaction and commits it; each
/// swap's result, in order. On any error nothing is committed (dropping an
/// unfinished transaction rolls it back).
async fn commit(pool: &AnyPool, batch: &[Job]) -> Result<Vec<Option<SessionRecord>>, StoreError> {
    // The first statement is a write, so SQLite waits for the writer lock
    // (busy timeout) instead of failing a read-to-write upgrade.
    let mut tx = pool.begin().await?;
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        answers.push(swap_refresh_jti_in(&mut *tx, &job.swap).await?);
    }
    tx.commit().await?;
    Ok(answers)
}
