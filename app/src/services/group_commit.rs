//! Responses are written by one task per server, many to a transaction (group commit).
//!
//! Each submission is checked, routed and filtered by the apps on its own request, as
//! before; only the write is shared. [`ResponseWriter::store`] queues the response and
//! waits: the writer takes everything queued (up to [`MAX_BATCH`]), writes each response
//! with its outbox rows and its owner's notice in one transaction, commits once, and
//! answers each caller. A caller is answered only after the commit that holds its
//! response, so an acknowledged response survives the process being killed.
//!
//! Writing one response at a time, concurrent requests queued on SQLite's write lock,
//! whose busy handler sleeps (1 ms, 2 ms, 5 ms, … up to 100 ms), so a load of 32
//! connections had a p99 of 120 ms. One writer never waits on the lock for another
//! submission, and one commit (and one sync of the log) serves the whole batch. The batch
//! is written in three statements, whatever its size ([`write`]): a statement is a round
//! trip to the driver's thread, and a chain of one per response held the writer back as
//! much as the lock had (BENCHMARKS.md, "Respondent speed").
//!
//! A batch is all or nothing; when it fails (a form deleted in the meantime, say), each of
//! its responses is written again in a transaction of its own, so one bad response never
//! costs the others theirs.

use std::sync::{Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot};

use crate::db::{Db, forms as db, notifications};
use crate::error::AppError;
use crate::hooks::{FallbackPayload, FormSubmitted, RoutingFallbackHit, SubmittedPayload};
use crate::services::outbox::{self, Receivers};
use crate::state::AppState;

/// The most responses one transaction writes.
pub const MAX_BATCH: usize = 128;
/// How many responses may wait for the writer before callers wait to queue.
const QUEUE: usize = 4096;

/// One checked, routed response, ready to be written.
pub struct NewResponse {
    /// A `db::forms::sortable_id`.
    pub id: String,
    pub form_id: String,
    pub owner_id: i64,
    /// The stored answers, as JSON.
    pub answers: String,
    pub route_id: Option<String>,
    /// What apps attached, as a JSON object.
    pub data: String,
    /// Whether the owner gets a notice of it.
    pub notify_owner: bool,
    /// The `form.submitted` event.
    pub submitted: SubmittedPayload,
    /// The `routing.fallbackHit` event, when no route matched.
    pub fallback: Option<FallbackPayload>,
}

/// A response that is committed, with how many outbox rows each of its events wrote.
pub struct Committed {
    pub response: NewResponse,
    pub submitted_rows: usize,
    pub fallback_rows: usize,
}

struct Job {
    response: NewResponse,
    reply: oneshot::Sender<Result<Committed, AppError>>,
}

/// The writer of one server's responses. Its task starts with the first response and is
/// started again if it ever stopped (its runtime ended, in tests).
pub struct ResponseWriter {
    db: Db,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for ResponseWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseWriter").finish_non_exhaustive()
    }
}

impl ResponseWriter {
    pub fn new(db: Db) -> ResponseWriter {
        ResponseWriter {
            db,
            queue: Mutex::new(None),
        }
    }

    /// The writer of `state` (its `responses`).
    pub fn of(state: &AppState) -> Result<&ResponseWriter, AppError> {
        state
            .responses
            .downcast_ref()
            .ok_or_else(|| AppError::internal("the server's response writer is not a ResponseWriter"))
    }

    /// Writes `response` and returns once it is committed. An error means nothing of it
    /// was stored.
    pub async fn store(&self, response: NewResponse) -> Result<Committed, AppError> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { response, reply };
        // A queue whose writer stopped gives the job back; the second writer takes it.
        for _ in 0..2 {
            match self.queue().send(job).await {
                Ok(()) => {
                    return answer
                        .await
                        .unwrap_or_else(|_| Err(AppError::internal("the response writer stopped")));
                }
                Err(mpsc::error::SendError(returned)) => job = returned,
            }
        }
        Err(AppError::internal("the response writer does not start"))
    }

    fn queue(&self) -> mpsc::Sender<Job> {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        match &*queue {
            Some(sender) if !sender.is_closed() => sender.clone(),
            _ => {
                let (sender, receiver) = mpsc::channel(QUEUE);
                tokio::spawn(run(self.db.clone(), receiver));
                *queue = Some(sender.clone());
                sender
            }
        }
    }
}

async fn run(db: Db, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit(&db, std::mem::take(&mut batch)).await;
    }
}

/// Writes `batch` in one transaction, or, if that fails, each job in its own.
async fn commit(db_: &Db, batch: Vec<Job>) {
    let together = {
        let responses: Vec<&NewResponse> = batch.iter().map(|job| &job.response).collect();
        commit_all(db_, &responses).await
    };
    match together {
        Ok(rows) => {
            for (job, (submitted_rows, fallback_rows)) in batch.into_iter().zip(rows) {
                let committed = Committed { response: job.response, submitted_rows, fallback_rows };
                let _ = job.reply.send(Ok(committed));
            }
        }
        Err(_) if batch.len() > 1 => {
            for job in batch {
                let alone = commit_all(db_, &[&job.response]).await;
                let _ = job.reply.send(alone.map(|rows| Committed {
                    response: job.response,
                    submitted_rows: rows[0].0,
                    fallback_rows: rows[0].1,
                }));
            }
        }
        Err(e) => {
            for job in batch {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
    }
}

/// Writes `responses` in one transaction and commits it.
async fn commit_all(db_: &Db, responses: &[&NewResponse]) -> Result<Vec<(usize, usize)>, AppError> {
    let mut tx = db_.pool().begin().await?;
    let rows = write(&mut tx, responses).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The responses, their events' outbox rows and the owners' notices, in the caller's
/// transaction and in three statements however many responses there are: a statement is a
/// round trip to the database, and a long chain of them, each waiting for the runtime to
/// come back to this task under load, is what limited the writer. Returns the rows each
/// response's two events wrote.
async fn write(conn: &mut sqlx::AnyConnection, responses: &[&NewResponse]) -> Result<Vec<(usize, usize)>, AppError> {
    let rows: Vec<db::NewResponseRow<'_>> = responses
        .iter()
        .map(|r| db::NewResponseRow {
            id: &r.id,
            form_id: &r.form_id,
            answers: &r.answers,
            route_id: r.route_id.as_deref(),
            data: &r.data,
        })
        .collect();
    db::insert_responses(&mut *conn, &rows).await?;
    let mut receivers = Receivers::default();
    let mut deliveries = Vec::new();
    let mut counts = Vec::with_capacity(responses.len());
    for r in responses {
        let (owner, form) = (r.owner_id, Some(r.form_id.as_str()));
        let submitted = outbox::deliveries::<FormSubmitted>(conn, &mut receivers, owner, form, &r.submitted).await?;
        let fallback = match &r.fallback {
            Some(payload) => outbox::deliveries::<RoutingFallbackHit>(conn, &mut receivers, owner, form, payload).await?,
            None => Vec::new(),
        };
        counts.push((submitted.len(), fallback.len()));
        deliveries.extend(submitted);
        deliveries.extend(fallback);
    }
    crate::db::outbox::insert_deliveries(&mut *conn, &deliveries).await?;
    let notices: Vec<(i64, &str, &str)> = responses
        .iter()
        .filter(|r| r.notify_owner)
        .map(|r| (r.owner_id, r.form_id.as_str(), r.id.as_str()))
        .collect();
    notifications::insert_all(&mut *conn, &notices).await?;
    Ok(counts)
}
