//! SQL for owners' notifications about new responses.

use sqlx::Row;

use super::{Db, now};
use crate::error::AppError;
use crate::forms::Notice;
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

pub async fn mark_read(db: &Db, user_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(now())
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
