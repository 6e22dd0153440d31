//! SQL for durable delivery: webhook endpoints, the outbox (one row per event and
//! receiver) and the attempts at each row.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbKind, now};
use crate::error::AppError;

/// A webhook endpoint as stored; its secrets are sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointRow {
    pub id: String,
    pub user_id: i64,
    pub url: String,
    /// JSON array of hook names.
    pub events: String,
    pub form_id: Option<String>,
    pub active: bool,
    pub secret: String,
    pub old_secret: Option<String>,
    pub old_until: Option<i64>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

impl EndpointRow {
    pub fn event_names(&self) -> Vec<String> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }
}

fn endpoint(row: &AnyRow) -> Result<EndpointRow, AppError> {
    Ok(EndpointRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        url: row.try_get("url")?,
        events: row.try_get("events")?,
        form_id: row.try_get("form_id")?,
        active: row.try_get::<i64, _>("active")? != 0,
        secret: row.try_get("secret")?,
        old_secret: row.try_get("old_secret")?,
        old_until: row.try_get("old_until")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: row.try_get("created_at")?,
    })
}

const ENDPOINT_COLUMNS: &str = "id, user_id, url, events, form_id, active, secret, old_secret, \
    old_until, disabled_reason, created_at";

pub async fn insert_endpoint(db: &Db, row: &EndpointRow) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, user_id, url, events, form_id, active, secret, old_secret, \
         old_until, disabled_reason, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&row.id)
    .bind(row.user_id)
    .bind(&row.url)
    .bind(&row.events)
    .bind(&row.form_id)
    .bind(row.active as i64)
    .bind(&row.secret)
    .bind(&row.old_secret)
    .bind(row.old_until)
    .bind(&row.disabled_reason)
    .bind(row.created_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Writes back everything but the owner and creation time.
pub async fn update_endpoint(db: &Db, row: &EndpointRow) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE webhook_endpoints SET url = $1, events = $2, form_id = $3, active = $4, secret = $5, \
         old_secret = $6, old_until = $7, disabled_reason = $8, updated_at = $9 \
         WHERE id = $10 AND user_id = $11",
    )
    .bind(&row.url)
    .bind(&row.events)
    .bind(&row.form_id)
    .bind(row.active as i64)
    .bind(&row.secret)
    .bind(&row.old_secret)
    .bind(row.old_until)
    .bind(&row.disabled_reason)
    .bind(now())
    .bind(&row.id)
    .bind(row.user_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// `user_id`'s endpoint `id`; another user's is not found.
pub async fn find_endpoint(db: &Db, id: &str, user_id: i64) -> Result<Option<EndpointRow>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND user_id = $2"
    )))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(endpoint).transpose()
}

/// The endpoint `id`, whoever owns it (for the worker).
pub async fn endpoint_by_id(db: &Db, id: &str) -> Result<Option<EndpointRow>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(endpoint).transpose()
}

/// `user_id`'s endpoints, oldest first.
pub async fn endpoints_of(db: &Db, user_id: i64) -> Result<Vec<EndpointRow>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE user_id = $1 ORDER BY created_at, id"
    )))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(endpoint).collect()
}

/// The endpoints that receive `user_id`'s events now: switched on, not disabled by a 410,
/// with the Webhooks app installed and active. The scopes are the installation's grant.
pub async fn receiving_endpoints<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: i64,
    app: &str,
) -> Result<Vec<(EndpointRow, String)>, AppError> {
    let rows = sqlx::query(
        "SELECT e.id AS id, e.user_id AS user_id, e.url AS url, e.events AS events, e.form_id AS form_id, \
         e.active AS active, e.secret AS secret, e.old_secret AS old_secret, e.old_until AS old_until, \
         e.disabled_reason AS disabled_reason, e.created_at AS created_at, i.scopes AS scopes \
         FROM webhook_endpoints e JOIN installations i ON i.user_id = e.user_id AND i.app = $2 AND i.active = 1 \
         WHERE e.user_id = $1 AND e.active = 1 AND e.disabled_reason IS NULL ORDER BY e.created_at, e.id",
    )
    .bind(user_id)
    .bind(app)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| Ok((endpoint(row)?, row.try_get("scopes")?)))
        .collect()
}

/// `user_id`'s running installations of `app` (switched on, of an approved app no
/// administrator disabled), with their grants: the receivers of an app that delivers
/// through the outbox.
pub async fn receiving_installations<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: i64,
    app: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query(
        "SELECT i.id AS id, i.scopes AS scopes FROM installations i JOIN apps a ON a.slug = i.app \
         WHERE i.user_id = $1 AND i.app = $2 AND i.active = 1 AND a.state = 'approved' AND a.disabled_reason IS NULL \
         ORDER BY i.created_at, i.id",
    )
    .bind(user_id)
    .bind(app)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("scopes")?)))
        .collect()
}

/// Deletes `user_id`'s endpoint `id` and its deliveries; false if there was none.
pub async fn delete_endpoint(db: &Db, id: &str, user_id: i64) -> Result<bool, AppError> {
    let mut tx = db.pool().begin().await?;
    let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted > 0 {
        sqlx::query("DELETE FROM outbox WHERE channel = 'webhook' AND target = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(deleted > 0)
}

/// One event for one receiver, to be written to the outbox.
/// The `channel` of a delivery to a webhook endpoint (`target`: the endpoint's id).
pub const WEBHOOK: &str = "webhook";
/// The `channel` of an e-mail (`target`: the sending app's installation id).
pub const EMAIL: &str = "email";

#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub event_id: String,
    pub user_id: i64,
    pub channel: &'static str,
    pub target: String,
    pub event: &'static str,
    pub body: String,
    pub created_at: i64,
}

pub async fn insert_delivery<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    row: &NewDelivery,
) -> Result<String, AppError> {
    let id = super::forms::sortable_id();
    sqlx::query(
        "INSERT INTO outbox (id, event_id, user_id, channel, target, event, body, created_at, state, attempts, next_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $8, $8)",
    )
    .bind(&id)
    .bind(&row.event_id)
    .bind(row.user_id)
    .bind(row.channel)
    .bind(&row.target)
    .bind(row.event)
    .bind(&row.body)
    .bind(row.created_at)
    .execute(ex)
    .await?;
    Ok(id)
}

/// Writes `rows` with as few statements as bind limits allow (one for a batch's events).
pub async fn insert_deliveries(conn: &mut sqlx::AnyConnection, rows: &[NewDelivery]) -> Result<(), AppError> {
    // Eight placeholders a row.
    for chunk in rows.chunks(256) {
        let values = super::values_list(chunk.len(), 8, |k| {
            format!(
                "(${k}, ${}, ${}, ${}, ${}, ${}, ${}, ${at}, 'pending', 0, ${at}, ${at})",
                k + 1,
                k + 2,
                k + 3,
                k + 4,
                k + 5,
                k + 6,
                at = k + 7
            )
        });
        let sql = format!(
            "INSERT INTO outbox (id, event_id, user_id, channel, target, event, body, created_at, state, attempts, next_at, updated_at) VALUES {values}"
        );
        // Only placeholders and constants: every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            query = query
                .bind(super::forms::sortable_id())
                .bind(&row.event_id)
                .bind(row.user_id)
                .bind(row.channel)
                .bind(&row.target)
                .bind(row.event)
                .bind(&row.body)
                .bind(row.created_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// An outbox row as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub user_id: i64,
    pub channel: String,
    pub target: String,
    pub event: String,
    pub body: String,
    pub created_at: i64,
    pub state: String,
    pub attempts: i64,
    pub next_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub updated_at: i64,
}

const DELIVERY_COLUMNS: &str = "id, event_id, user_id, channel, target, event, body, created_at, \
    state, attempts, next_at, last_status, last_error, last_duration_ms, updated_at";

fn delivery(row: &AnyRow) -> Result<DeliveryRow, AppError> {
    Ok(DeliveryRow {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        user_id: row.try_get("user_id")?,
        channel: row.try_get("channel")?,
        target: row.try_get("target")?,
        event: row.try_get("event")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        next_at: row.try_get("next_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        last_duration_ms: row.try_get("last_duration_ms")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Claims up to `limit` deliveries due at `now` for this worker until `lease_until`.
/// On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so workers in several
/// servers claim disjoint rows; SQLite has one writer, so its `UPDATE … RETURNING` is
/// atomic already.
pub async fn claim(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<DeliveryRow>, AppError> {
    let lock = match db.kind() {
        DbKind::Postgres => " FOR UPDATE SKIP LOCKED",
        DbKind::Sqlite => "",
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE outbox SET locked_until = $1 WHERE id IN (\
            SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $2 \
            AND (locked_until IS NULL OR locked_until <= $2) ORDER BY next_at, id LIMIT $3{lock}) \
         RETURNING {DELIVERY_COLUMNS}"
    )))
    .bind(lease_until)
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(delivery).collect()
}

/// What became of one attempt, to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub id: String,
    pub at: i64,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// `delivered`, `pending` (with `next_at`) or `failed`.
    pub state: &'static str,
    pub next_at: Option<i64>,
}

/// Records attempts and releases their rows, in one transaction.
pub async fn record_attempts(db: &Db, attempts: &[AttemptRecord]) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    for a in attempts {
        sqlx::query(
            "UPDATE outbox SET state = $1, attempts = attempts + 1, next_at = $2, locked_until = NULL, \
             last_status = $3, last_error = $4, last_duration_ms = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(a.state)
        .bind(a.next_at)
        .bind(a.status)
        .bind(&a.error)
        .bind(a.duration_ms)
        .bind(a.at)
        .bind(&a.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO delivery_attempts (outbox_id, at, status, duration_ms, error) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&a.id)
        .bind(a.at)
        .bind(a.status)
        .bind(a.duration_ms)
        .bind(&a.error)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A page of `user_id`'s deliveries to `target`, newest first, older than the cursor
/// `before` (a delivery id) when given.
pub async fn deliveries_to(
    db: &Db,
    user_id: i64,
    target: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM outbox WHERE user_id = $1 AND target = $2 AND ($3 IS NULL OR id < $3) \
         ORDER BY id DESC LIMIT $4"
    )))
    .bind(user_id)
    .bind(target)
    .bind(before)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(delivery).collect()
}

/// `user_id`'s delivery `id` to `target`.
pub async fn find_delivery(db: &Db, user_id: i64, target: &str, id: &str) -> Result<Option<DeliveryRow>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM outbox WHERE user_id = $1 AND target = $2 AND id = $3"
    )))
    .bind(user_id)
    .bind(target)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(delivery).transpose()
}

/// One attempt at a delivery, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub at: i64,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// The attempts at delivery `id`, oldest first.
pub async fn attempts_of(db: &Db, id: &str) -> Result<Vec<AttemptRow>, AppError> {
    let rows = sqlx::query(
        "SELECT at, status, duration_ms, error FROM delivery_attempts WHERE outbox_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AttemptRow {
                at: row.try_get("at")?,
                status: row.try_get("status")?,
                duration_ms: row.try_get("duration_ms")?,
                error: row.try_get("error")?,
            })
        })
        .collect()
}

/// Puts delivery `id` back in the queue, due at once, with a fresh set of attempts (the
/// attempts so far stay in its log).
pub async fn redeliver(db: &Db, id: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_at = $1, locked_until = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Ends every pending delivery to `target` with `why` (its endpoint is gone or disabled).
pub async fn fail_pending(db: &Db, target: &str, why: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE outbox SET state = 'failed', next_at = NULL, locked_until = NULL, last_error = $1, updated_at = $2 \
         WHERE target = $3 AND state = 'pending'",
    )
    .bind(why)
    .bind(now())
    .bind(target)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Deletes finished deliveries (delivered or failed) last changed before `before`, with
/// their attempts; returns how many.
pub async fn prune(db: &Db, before: i64) -> Result<u64, AppError> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "DELETE FROM delivery_attempts WHERE outbox_id IN \
         (SELECT id FROM outbox WHERE state <> 'pending' AND updated_at < $1)",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query("DELETE FROM outbox WHERE state <> 'pending' AND updated_at < $1")
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(deleted)
}
