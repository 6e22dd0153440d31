//! SQL for owners' notifications: new responses, and notices their apps leave them.

use sqlx::Row;

use super::{Db, now};
use crate::error::AppError;
use crate::forms::{AppNotice, Notice};
use crate::forms::new_id;

/// Leaves each `(owner, form, response)` of `notices` a notice of the new response, in one
/// statement.
pub async fn insert_all(conn: &mut sqlx::AnyConnection, notices: &[(i64, &str, &str)]) -> Result<(), AppError> {
    let at = now();
    for chunk in notices.chunks(256) {
        let values = super::values_list(chunk.len(), 5, |k| super::placeholders(k, 5));
        let sql = format!("INSERT INTO notifications (id, user_id, form_id, response_id, created_at) VALUES {values}");
        // Only placeholders and constants: every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (user_id, form_id, response_id) in chunk {
            query = query.bind(new_id()).bind(*user_id).bind(*form_id).bind(*response_id).bind(at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Unread notices grouped by form, newest first.
pub async fn unread(db: &Db, user_id: i64) -> Result<Vec<Notice>, AppError> {
    let rows = sqlx::query(
        "SELECT n.form_id AS form_id, f.name AS form_name, COUNT(*) AS n, MAX(n.created_at) AS latest \
         FROM notifications n JOIN forms f ON f.id = n.form_id \
         WHERE n.user_id = $1 AND n.read_at IS NULL \
         GROUP BY n.form_id, f.name ORDER BY latest DESC",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notice {
                form_id: r.try_get("form_id")?,
                form_name: r.try_get("form_name")?,
                count: r.try_get("n")?,
                latest: r.try_get("latest")?,
            })
        })
        .collect()
}

/// Marks every notice of the user read: responses' and apps'.
pub async fn mark_read(db: &Db, user_id: i64) -> Result<(), AppError> {
    let at = now();
    let mut tx = db.pool().begin().await?;
    for table in ["notifications", "app_notices"] {
        let sql = format!("UPDATE {table} SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL");
        // The table name is one of the two constants above.
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).bind(user_id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A notice from the installation `installation_id` of `app` to its owner.
pub async fn insert_app_notice(
    db: &Db,
    user_id: i64,
    installation_id: &str,
    app: &str,
    text: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO app_notices (id, user_id, installation_id, app, text, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(installation_id)
    .bind(app)
    .bind(text)
    .bind(now())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The user's unread notices from apps, newest first (at most 50).
pub async fn unread_app_notices(db: &Db, user_id: i64) -> Result<Vec<AppNotice>, AppError> {
    let rows = sqlx::query(
        "SELECT installation_id, app, text, created_at FROM app_notices \
         WHERE user_id = $1 AND read_at IS NULL ORDER BY created_at DESC LIMIT 50",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let app: String = r.try_get("app")?;
            Ok(AppNotice {
                installation_id: r.try_get("installation_id")?,
                app_name: app.clone(),
                app,
                text: r.try_get("text")?,
                at: r.try_get("created_at")?,
            })
        })
        .collect()
}
