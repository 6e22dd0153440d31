//! SQL for user accounts.

use sqlx::Row;

use super::{Db, now};
use crate::auth::{Role, SessionUser};
use crate::error::AppError;

/// A user row including the password hash; stays on the server.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user: SessionUser,
    pub password_hash: String,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<UserRecord, AppError> {
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        user: SessionUser {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            role: Role::parse(&role)
                .ok_or_else(|| AppError::internal(format!("unknown role {role:?} in users")))?,
            created_at: row.try_get("created_at")?,
        },
        password_hash: row.try_get("password_hash")?,
    })
}

/// Inserts a user; a taken email is a `Conflict` naming it.
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    email: &str,
    password_hash: &str,
    role: Role,
) -> Result<SessionUser, AppError> {
    let created_at = now();
    let result = sqlx::query(
        "INSERT INTO users (email, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(created_at)
    .fetch_one(conn)
    .await;
    match result {
        Ok(row) => Ok(SessionUser {
            id: row.try_get("id")?,
            email: email.to_owned(),
            role,
            created_at,
        }),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(AppError::field(
            "email",
            "An account with this email already exists.",
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The administrators' ids, oldest account first.
pub async fn admin_ids(db: &Db) -> Result<Vec<i64>, AppError> {
    let rows = sqlx::query("SELECT id FROM users WHERE role = $1 ORDER BY id")
        .bind(Role::Admin.as_str())
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRecord>, AppError> {
    let row = sqlx::query(
        "SELECT id, email, role, created_at, password_hash FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<UserRecord>, AppError> {
    let row =
        sqlx::query("SELECT id, email, role, created_at, password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn set_password_hash(db: &Db, id: i64, password_hash: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn set_role(db: &Db, id: i64, role: Role) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}
