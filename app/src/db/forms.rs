//! SQL for forms, their responses and uploaded files.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, now};
use crate::error::AppError;
use crate::forms::{FormDefinition, FormRecord, FormSummary, LinkedRoutes, ResponseRecord, new_id};

fn definition_of(row: &AnyRow) -> Result<FormDefinition, AppError> {
    let json: String = row.try_get("definition")?;
    serde_json::from_str(&json).map_err(AppError::internal)
}

fn record_of(row: &AnyRow) -> Result<FormRecord, AppError> {
    Ok(FormRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        definition: definition_of(row)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}

fn json_of(def: &FormDefinition) -> Result<String, AppError> {
    serde_json::to_string(def).map_err(AppError::internal)
}

pub async fn insert<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    owner_id: i64,
    def: &FormDefinition,
) -> Result<FormRecord, AppError> {
    let id = new_id();
    let at = now();
    sqlx::query(
        "INSERT INTO forms (id, owner_id, name, enabled, definition, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(owner_id)
    .bind(&def.name)
    .bind(i64::from(def.settings.enabled))
    .bind(json_of(def)?)
    .bind(at)
    .execute(ex)
    .await?;
    Ok(FormRecord {
        id,
        owner_id,
        definition: def.clone(),
        created_at: at,
        updated_at: at,
        revision: 0,
    })
}

/// Any form by id (for the public page).
pub async fn find(db: &Db, id: &str) -> Result<Option<FormRecord>, AppError> {
    let row = sqlx::query(
        "SELECT id, owner_id, definition, created_at, updated_at, revision FROM forms WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(record_of).transpose()
}

/// A form of `owner_id`; someone else's form is "not found", never "forbidden", so ids
/// reveal nothing.
pub async fn find_owned(db: &Db, id: &str, owner_id: i64) -> Result<FormRecord, AppError> {
    match find(db, id).await? {
        Some(record) if record.owner_id == owner_id => Ok(record),
        _ => Err(AppError::NotFound("That form".into())),
    }
}

/// `(owner_id, revision)` of form `id`, without reading its definition.
pub async fn owner_and_revision(db: &Db, id: &str) -> Result<Option<(i64, i64)>, AppError> {
    let row = sqlx::query("SELECT owner_id, revision FROM forms WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| Ok((row.try_get("owner_id")?, row.try_get("revision")?)))
        .transpose()
}

/// `(id, revision)` of those of the forms `ids` that belong to `owner_id`.
pub async fn revisions(
    db: &Db,
    ids: &[String],
    owner_id: i64,
) -> Result<Vec<(String, i64)>, AppError> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query("SELECT revision FROM forms WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner_id)
            .fetch_optional(db.pool())
            .await?;
        if let Some(row) = row {
            found.push((id.clone(), row.try_get("revision")?));
        }
    }
    Ok(found)
}

/// The routes of the forms `def` reuses that belong to `owner_id` (others are left out, as
/// if deleted).
pub async fn linked_routes(
    db: &Db,
    def: &FormDefinition,
    owner_id: i64,
) -> Result<LinkedRoutes, AppError> {
    routes_of(db, def.reused_forms(), owner_id).await
}

/// The routes of the forms named by `ids` that belong to `owner_id`, by form id.
pub async fn routes_of(
    db: &Db,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
    owner_id: i64,
) -> Result<LinkedRoutes, AppError> {
    let mut linked = LinkedRoutes::new();
    for id in ids {
        if let Some(record) = find(db, id.as_ref())
            .await?
            .filter(|r| r.owner_id == owner_id)
        {
            linked.insert(record.id, record.definition.routes);
        }
    }
    Ok(linked)
}

pub async fn list(db: &Db, owner_id: i64) -> Result<Vec<FormSummary>, AppError> {
    let rows = sqlx::query(
        "SELECT f.id, f.name, f.enabled, f.updated_at, \
                (SELECT COUNT(*) FROM responses r WHERE r.form_id = f.id) AS responses \
         FROM forms f WHERE f.owner_id = $1 ORDER BY f.updated_at DESC, f.id",
    )
    .bind(owner_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let enabled: i64 = row.try_get("enabled")?;
            Ok(FormSummary {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                enabled: enabled != 0,
                updated_at: row.try_get("updated_at")?,
                responses: row.try_get("responses")?,
            })
        })
        .collect()
}

pub async fn update(
    db: &Db,
    id: &str,
    owner_id: i64,
    def: &FormDefinition,
) -> Result<FormRecord, AppError> {
    update_if_revision(db, id, owner_id, None, def)
        .await?
        .ok_or_else(|| AppError::NotFound("That form".into()))
}

/// Saves `def` only if the form is still at `revision` (any revision for `None`); `None`
/// when another save came first, or when the owner has no such form.
pub async fn update_if_revision(
    db: &Db,
    id: &str,
    owner_id: i64,
    revision: Option<i64>,
    def: &FormDefinition,
) -> Result<Option<FormRecord>, AppError> {
    let mut conn = db.pool().acquire().await?;
    if !write_if_revision(&mut conn, id, owner_id, revision, def).await? {
        return Ok(None);
    }
    drop(conn);
    find_owned(db, id, owner_id).await.map(Some)
}

/// `update_if_revision` on `conn` (a transaction, say): whether it wrote.
pub async fn write_if_revision(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    owner_id: i64,
    revision: Option<i64>,
    def: &FormDefinition,
) -> Result<bool, AppError> {
    let updated = sqlx::query(
        "UPDATE forms SET name = $1, enabled = $2, definition = $3, updated_at = $4, \
         revision = revision + 1 WHERE id = $5 AND owner_id = $6 AND ($7 IS NULL OR revision = $7)",
    )
    .bind(&def.name)
    .bind(i64::from(def.settings.enabled))
    .bind(json_of(def)?)
    .bind(now())
    .bind(id)
    .bind(owner_id)
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() > 0)
}

pub async fn delete<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    owner_id: i64,
) -> Result<(), AppError> {
    let deleted = sqlx::query("DELETE FROM forms WHERE id = $1 AND owner_id = $2")
        .bind(id)
        .bind(owner_id)
        .execute(ex)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound("That form".into()));
    }
    Ok(())
}

/// A response id that sorts by creation time (microseconds, then randomness), so "newest
/// first" is exact even within one second.
pub fn sortable_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{micros:014x}{}", &new_id()[..18])
}

/// A response to write with [`insert_responses`].
pub struct NewResponseRow<'a> {
    /// A [`sortable_id`].
    pub id: &'a str,
    pub form_id: &'a str,
    pub answers: &'a str,
    pub route_id: Option<&'a str>,
    pub data: &'a str,
}

/// The most rows one statement writes (six placeholders each, far below the databases'
/// limits).
const ROWS_PER_STATEMENT: usize = 256;

/// Writes `rows` with as few statements as the limit allows: one for a batch of responses.
pub async fn insert_responses(conn: &mut sqlx::AnyConnection, rows: &[NewResponseRow<'_>]) -> Result<(), AppError> {
    let at = now();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = super::values_list(chunk.len(), 6, |k| super::placeholders(k, 6));
        let sql = format!("INSERT INTO responses (id, form_id, answers, route_id, created_at, data) VALUES {values}");
        // Only placeholders and constants: every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            query = query.bind(row.id).bind(row.form_id).bind(row.answers).bind(row.route_id).bind(at).bind(row.data);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Which responses a listing shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseFilter {
    /// Only this route; `Some("")` means the fallback.
    pub route: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

impl ResponseFilter {
    /// From a listing's parameters: a route id (`"fallback"` for the fallback) and the first
    /// and last day (`YYYY-MM-DD`, UTC, inclusive); empty ones are ignored.
    pub fn parse(
        route: Option<String>,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<ResponseFilter, AppError> {
        let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let day_start = |key: &str, date: String| {
            crate::dates::unix_from_iso_date(date.trim()).ok_or_else(|| {
                AppError::field(key, format!("\"{date}\" is not a date as YYYY-MM-DD."))
            })
        };
        Ok(ResponseFilter {
            route: nonempty(route).map(|r| if r == "fallback" { String::new() } else { r }),
            from: nonempty(from).map(|d| day_start("from", d)).transpose()?,
            until: nonempty(to)
                .map(|d| day_start("to", d).map(|t| t + 86_400))
                .transpose()?,
        })
    }

    fn route_param(&self) -> Option<&str> {
        self.route.as_deref().filter(|r| !r.is_empty())
    }

    fn fallback_only(&self) -> i64 {
        i64::from(self.route.as_deref() == Some(""))
    }
}

/// Binds `$1`–`$5` of a query over [`FILTERED`].
fn bind_filter<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    form_id: &'q str,
    filter: &'q ResponseFilter,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(form_id)
        .bind(filter.route_param())
        .bind(filter.fallback_only())
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.until.unwrap_or(i64::MAX))
}

const FILTERED: &str = "FROM responses WHERE form_id = $1 \
     AND ($2 IS NULL OR route_id = $2 OR route_id LIKE $2 || '/%') \
     AND ($3 = 0 OR route_id IS NULL) \
     AND created_at >= $4 AND created_at < $5";

/// Newest first, `limit` rows after skipping `offset`.
pub async fn list_responses(
    db: &Db,
    form_id: &str,
    filter: &ResponseFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ResponseRecord>, AppError> {
    let sql = format!(
        "SELECT id, answers, route_id, created_at, data {FILTERED} ORDER BY id DESC LIMIT $6 OFFSET $7"
    );
    let rows = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), form_id, filter)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(response_of).collect()
}

/// Up to `limit` filtered responses older than `before` (a response id; `None` starts at the
/// newest), newest first. Keyset paging: API pages, exports and insights never skip or
/// repeat rows while answers keep arriving.
pub async fn responses_page(
    db: &Db,
    form_id: &str,
    filter: &ResponseFilter,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<ResponseRecord>, AppError> {
    let sql = format!(
        "SELECT id, answers, route_id, created_at, data {FILTERED} AND ($6 IS NULL OR id < $6) \
         ORDER BY id DESC LIMIT $7"
    );
    let rows = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), form_id, filter)
        .bind(before)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(response_of).collect()
}

pub async fn count_filtered(
    db: &Db,
    form_id: &str,
    filter: &ResponseFilter,
) -> Result<i64, AppError> {
    let sql = format!("SELECT COUNT(*) AS n {FILTERED}");
    let row = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), form_id, filter)
        .fetch_one(db.pool())
        .await?;
    row.try_get("n").map_err(AppError::from)
}

fn response_of(row: &AnyRow) -> Result<ResponseRecord, AppError> {
    let answers: String = row.try_get("answers")?;
    let data: String = row.try_get("data")?;
    Ok(ResponseRecord {
        id: row.try_get("id")?,
        answers: serde_json::from_str(&answers).map_err(AppError::internal)?,
        route_id: row.try_get("route_id")?,
        created_at: row.try_get("created_at")?,
        data: serde_json::from_str(&data).unwrap_or_default(),
    })
}

/// Records an upload under `id` (chosen by the caller, who has already named the file
/// on disk after it).
pub async fn insert_upload(
    db: &Db,
    id: &str,
    form_id: &str,
    name: &str,
    content_type: &str,
    size: i64,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO uploads (id, form_id, name, content_type, size, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(form_id)
        .bind(name)
        .bind(content_type)
        .bind(size)
        .bind(now())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// `(name, content_type)` of an upload belonging to `form_id`.
pub async fn find_upload(
    db: &Db,
    form_id: &str,
    id: &str,
) -> Result<Option<(String, String)>, AppError> {
    let row = sqlx::query("SELECT name, content_type FROM uploads WHERE id = $1 AND form_id = $2")
        .bind(id)
        .bind(form_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get("name")?, r.try_get("content_type")?)))
        .transpose()
}

/// Bytes of uploaded files a form holds.
pub async fn upload_usage(db: &Db, form_id: &str) -> Result<i64, AppError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS used FROM uploads WHERE form_id = $1",
    )
    .bind(form_id)
    .fetch_one(db.pool())
    .await?;
    row.try_get("used").map_err(AppError::from)
}

/// Forgets uploads of a submission that was not stored after all.
pub async fn delete_upload(db: &Db, form_id: &str, id: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM uploads WHERE id = $1 AND form_id = $2")
        .bind(id)
        .bind(form_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
