//! SQL for the App Store: what admins decided about each app, installations, their audit
//! log, reviews, and the data apps attach to responses.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, now};
use crate::error::AppError;

/// What the `apps` table holds about one app.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub slug: String,
    pub source: String,
    pub state: String,
    pub reason: String,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

/// One installation as stored; `config` is JSON with its secrets sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallationRow {
    pub id: String,
    pub user_id: i64,
    pub app: String,
    pub name: String,
    pub version: String,
    pub scopes: String,
    pub config: String,
    pub active: bool,
    pub auto_update: bool,
    pub previous: Option<String>,
    pub created_at: i64,
}

fn listing(row: &AnyRow) -> Result<Listing, AppError> {
    Ok(Listing {
        slug: row.try_get("slug")?,
        source: row.try_get("source")?,
        state: row.try_get("state")?,
        reason: row.try_get("reason")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: row.try_get("created_at")?,
    })
}

fn installation(row: &AnyRow) -> Result<InstallationRow, AppError> {
    Ok(InstallationRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        app: row.try_get("app")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        scopes: row.try_get("scopes")?,
        config: row.try_get("config")?,
        active: row.try_get::<i64, _>("active")? != 0,
        auto_update: row.try_get::<i64, _>("auto_update")? != 0,
        previous: row.try_get("previous")?,
        created_at: row.try_get("created_at")?,
    })
}

const INSTALLATION_COLUMNS: &str = "i.id AS id, i.user_id AS user_id, i.app AS app, i.name AS name, \
    i.version AS version, i.scopes AS scopes, i.config AS config, i.active AS active, \
    i.auto_update AS auto_update, i.previous AS previous, i.created_at AS created_at";

/// Lists `slug` if it is not listed yet, in `state`.
pub async fn ensure_listed(db: &Db, slug: &str, source: &str, state: &str) -> Result<(), AppError> {
    let at = now();
    sqlx::query(
        "INSERT INTO apps (slug, source, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (slug) DO NOTHING",
    )
    .bind(slug)
    .bind(source)
    .bind(state)
    .bind(at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn listings(db: &Db) -> Result<Vec<Listing>, AppError> {
    let rows = sqlx::query(
        "SELECT slug, source, state, reason, disabled_reason, created_at FROM apps ORDER BY slug",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(listing).collect()
}

pub async fn set_state(db: &Db, slug: &str, state: &str, reason: &str) -> Result<bool, AppError> {
    let done = sqlx::query("UPDATE apps SET state = $1, reason = $2, updated_at = $3 WHERE slug = $4")
        .bind(state)
        .bind(reason)
        .bind(now())
        .bind(slug)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_disabled(db: &Db, slug: &str, reason: Option<&str>) -> Result<bool, AppError> {
    let done =
        sqlx::query("UPDATE apps SET disabled_reason = $1, updated_at = $2 WHERE slug = $3")
            .bind(reason)
            .bind(now())
            .bind(slug)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Installations per app.
pub async fn install_counts(db: &Db) -> Result<Vec<(String, i64)>, AppError> {
    let rows = sqlx::query("SELECT app, COUNT(*) AS n FROM installations GROUP BY app")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("app")?, r.try_get("n")?)))
        .collect()
}

/// The sum of stars and the number of visible reviews per app.
pub async fn ratings(db: &Db) -> Result<Vec<(String, i64, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT app, CAST(SUM(stars) AS BIGINT) AS total, COUNT(*) AS n FROM app_reviews WHERE hidden = 0 GROUP BY app",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("app")?, r.try_get("total")?, r.try_get("n")?)))
        .collect()
}

/// A user's installations, oldest first.
pub async fn installations_of(db: &Db, user_id: i64) -> Result<Vec<InstallationRow>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {INSTALLATION_COLUMNS} FROM installations i WHERE i.user_id = $1 ORDER BY i.created_at, i.id"
    )))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(installation).collect()
}

/// The user's active installations of apps that are approved and not disabled: the ones
/// that run.
pub async fn running_of(db: &Db, user_id: i64) -> Result<Vec<InstallationRow>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {INSTALLATION_COLUMNS} FROM installations i JOIN apps a ON a.slug = i.app \
         WHERE i.user_id = $1 AND i.active = 1 AND a.state = 'approved' AND a.disabled_reason IS NULL \
         ORDER BY i.created_at, i.id"
    )))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(installation).collect()
}

/// The installation `id` if it is `user_id`'s.
pub async fn find_installation(
    db: &Db,
    id: &str,
    user_id: i64,
) -> Result<Option<InstallationRow>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {INSTALLATION_COLUMNS} FROM installations i WHERE i.id = $1 AND i.user_id = $2"
    )))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(installation).transpose()
}

/// Every installation (for re-sealing secrets under a new key).
pub async fn all_installations(db: &Db) -> Result<Vec<InstallationRow>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {INSTALLATION_COLUMNS} FROM installations i ORDER BY i.id")))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(installation).collect()
}

pub async fn insert_installation<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    row: &InstallationRow,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO installations (id, user_id, app, name, version, scopes, config, active, auto_update, previous, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&row.id)
    .bind(row.user_id)
    .bind(&row.app)
    .bind(&row.name)
    .bind(&row.version)
    .bind(&row.scopes)
    .bind(&row.config)
    .bind(row.active as i64)
    .bind(row.auto_update as i64)
    .bind(&row.previous)
    .bind(row.created_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// Writes back everything but the owner, app and creation time.
pub async fn update_installation<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    row: &InstallationRow,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE installations SET name = $1, version = $2, scopes = $3, config = $4, active = $5, \
         auto_update = $6, previous = $7, updated_at = $8 WHERE id = $9 AND user_id = $10",
    )
    .bind(&row.name)
    .bind(&row.version)
    .bind(&row.scopes)
    .bind(&row.config)
    .bind(row.active as i64)
    .bind(row.auto_update as i64)
    .bind(&row.previous)
    .bind(now())
    .bind(&row.id)
    .bind(row.user_id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Replaces only the stored configuration (re-sealed secrets), if it is still `old`.
pub async fn reseal_config(db: &Db, id: &str, old: &str, new: &str) -> Result<bool, AppError> {
    let done = sqlx::query("UPDATE installations SET config = $1 WHERE id = $2 AND config = $3")
        .bind(new)
        .bind(id)
        .bind(old)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes `user_id`'s installation `id` with what it had queued in the outbox (an app
/// that delivers through it, such as Email notifications, queues under its installation),
/// in the caller's transaction.
pub async fn delete_installation(conn: &mut sqlx::AnyConnection, id: &str, user_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM installations WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM outbox WHERE channel = 'email' AND target = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn audit<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: i64,
    installation_id: &str,
    app: &str,
    event: &str,
    detail: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO app_audit (user_id, installation_id, app, event, detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(installation_id)
    .bind(app)
    .bind(event)
    .bind(detail)
    .bind(now())
    .execute(ex)
    .await?;
    Ok(())
}

/// An installation's audit log, newest first; `(event, detail, at)`.
pub async fn audit_log(
    db: &Db,
    installation_id: &str,
    user_id: i64,
    limit: i64,
) -> Result<Vec<(String, String, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT event, detail, at FROM app_audit WHERE installation_id = $1 AND user_id = $2 \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(installation_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("event")?, r.try_get("detail")?, r.try_get("at")?)))
        .collect()
}

/// One stored review: `(user_id, email, stars, body, hidden, created_at, updated_at)`.
pub type ReviewRow = (i64, String, i64, String, bool, i64, i64);

pub async fn reviews(db: &Db, app: &str) -> Result<Vec<ReviewRow>, AppError> {
    let rows = sqlx::query(
        "SELECT r.user_id AS user_id, u.email AS author_email, r.stars AS stars, r.body AS body, \
         r.hidden AS is_hidden, r.created_at AS created_at, r.updated_at AS updated_at \
         FROM app_reviews r JOIN users u ON u.id = r.user_id WHERE r.app = $1 \
         ORDER BY r.updated_at DESC, r.user_id",
    )
    .bind(app)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("user_id")?,
                r.try_get("author_email")?,
                r.try_get("stars")?,
                r.try_get("body")?,
                r.try_get::<i64, _>("is_hidden")? != 0,
                r.try_get("created_at")?,
                r.try_get("updated_at")?,
            ))
        })
        .collect()
}

/// Writes the user's review of `app`, replacing their earlier one (an edit keeps an
/// admin's hiding).
pub async fn put_review(db: &Db, app: &str, user_id: i64, stars: i64, body: &str) -> Result<(), AppError> {
    let at = now();
    sqlx::query(
        "INSERT INTO app_reviews (app, user_id, stars, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (app, user_id) DO UPDATE SET stars = excluded.stars, body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(app)
    .bind(user_id)
    .bind(stars)
    .bind(body)
    .bind(at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn delete_review(db: &Db, app: &str, user_id: i64) -> Result<bool, AppError> {
    let done = sqlx::query("DELETE FROM app_reviews WHERE app = $1 AND user_id = $2")
        .bind(app)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_review_hidden(db: &Db, app: &str, user_id: i64, hidden: bool) -> Result<bool, AppError> {
    let done = sqlx::query("UPDATE app_reviews SET hidden = $1 WHERE app = $2 AND user_id = $3")
        .bind(hidden as i64)
        .bind(app)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The data apps attached to the owner's response `response_id`, if it is the owner's.
pub async fn response_data(db: &Db, response_id: &str, owner_id: i64) -> Result<Option<String>, AppError> {
    let row = sqlx::query(
        "SELECT r.data AS data FROM responses r JOIN forms f ON f.id = r.form_id \
         WHERE r.id = $1 AND f.owner_id = $2",
    )
    .bind(response_id)
    .bind(owner_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| r.try_get("data")).transpose().map_err(Into::into)
}

/// Replaces a response's data if it is still `old` (a compare and swap, so two apps
/// annotating at once both keep their keys after a retry).
pub async fn swap_response_data(db: &Db, response_id: &str, old: &str, new: &str) -> Result<bool, AppError> {
    let done = sqlx::query("UPDATE responses SET data = $1 WHERE id = $2 AND data = $3")
        .bind(new)
        .bind(response_id)
        .bind(old)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}
