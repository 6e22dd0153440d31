//! SQL for API keys. Only a key's SHA-256 is stored.

use sqlx::Row;

use super::{Db, now};
use crate::auth::ApiKeyInfo;
use crate::auth::{Role, SessionUser};
use crate::error::AppError;
use crate::forms::new_id;

fn info_of(row: &sqlx::any::AnyRow) -> Result<ApiKeyInfo, AppError> {
    Ok(ApiKeyInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

pub async fn insert(
    db: &Db,
    user_id: i64,
    name: &str,
    prefix: &str,
    hash: &str,
) -> Result<ApiKeyInfo, AppError> {
    let info = ApiKeyInfo {
        id: new_id(),
        name: name.to_owned(),
        prefix: prefix.to_owned(),
        created_at: now(),
        last_used_at: None,
    };
    sqlx::query(
        "INSERT INTO api_keys (id, user_id, name, prefix, hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&info.id)
    .bind(user_id)
    .bind(name)
    .bind(prefix)
    .bind(hash)
    .bind(info.created_at)
    .execute(db.pool())
    .await?;
    Ok(info)
}

/// A user's keys, newest first.
pub async fn list(db: &Db, user_id: i64) -> Result<Vec<ApiKeyInfo>, AppError> {
    let rows = sqlx::query(
        "SELECT id, name, prefix, created_at, last_used_at FROM api_keys \
         WHERE user_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(info_of).collect()
}

/// Deletes one of the user's keys; `false` when they have no such key.
pub async fn delete(db: &Db, user_id: i64, id: &str) -> Result<bool, AppError> {
    let done = sqlx::query("DELETE FROM api_keys WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes every key of the user; returns how many there were.
pub async fn delete_all(db: &Db, user_id: i64) -> Result<u64, AppError> {
    let done = sqlx::query("DELETE FROM api_keys WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// The user a key hash belongs to, and the key's id.
pub async fn find_user(db: &Db, hash: &str) -> Result<Option<(String, SessionUser)>, AppError> {
    let row = sqlx::query(
        "SELECT k.id AS key_id, u.id AS id, u.email AS email, u.role AS role, \
                u.created_at AS created_at \
         FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = $1",
    )
    .bind(hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get("role")?;
    Ok(Some((
        row.try_get("key_id")?,
        SessionUser {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            role: Role::parse(&role).unwrap_or(Role::User),
            created_at: row.try_get("created_at")?,
        },
    )))
}

/// Records a use, at most once a minute per key (a busy key does not write on every call).
pub async fn touch(db: &Db, id: &str) -> Result<(), AppError> {
    let now = now();
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - 60)
    .execute(db.pool())
    .await?;
    Ok(())
}
