//! SQL for apps uploaded at run time: their components and assets (base64 text), their
//! versions with manifests, reports and states, and the runs of failed events of their
//! installations.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, now};
use crate::error::AppError;

/// One stored version of an uploaded app.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    pub app: String,
    pub version: String,
    /// JSON.
    pub manifest: String,
    /// The component's SHA-256.
    pub component: String,
    /// JSON (`VerificationReport`).
    pub report: String,
    pub state: String,
    pub reason: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const VERSION_COLUMNS: &str =
    "app, version, manifest, component, report, state, reason, created_at, decided_at";

fn version_row(row: &AnyRow) -> Result<VersionRow, AppError> {
    Ok(VersionRow {
        app: row.try_get("app")?,
        version: row.try_get("version")?,
        manifest: row.try_get("manifest")?,
        component: row.try_get("component")?,
        report: row.try_get("report")?,
        state: row.try_get("state")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
        decided_at: row.try_get("decided_at")?,
    })
}

/// Keeps a component (if not kept already): its bytes and what they compiled to, base64.
pub async fn put_component(db: &Db, sha256: &str, wasm: &str, compiled: &str) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO app_components (sha256, wasm, compiled, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(wasm)
    .bind(compiled)
    .bind(now())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A component's bytes and compiled form, base64.
pub async fn component(db: &Db, sha256: &str) -> Result<Option<(String, String)>, AppError> {
    let row = sqlx::query("SELECT wasm, compiled FROM app_components WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get("wasm")?, r.try_get("compiled")?))).transpose()
}

pub async fn set_compiled(db: &Db, sha256: &str, compiled: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE app_components SET compiled = $1 WHERE sha256 = $2")
        .bind(compiled)
        .bind(sha256)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Keeps an asset (a logo, a screenshot), base64, if not kept already.
pub async fn put_asset(db: &Db, sha256: &str, content_type: &str, bytes: &str) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO app_assets (sha256, content_type, bytes, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(content_type)
    .bind(bytes)
    .bind(now())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// An asset's content type and bytes (base64).
pub async fn asset(db: &Db, sha256: &str) -> Result<Option<(String, String)>, AppError> {
    let row = sqlx::query("SELECT content_type, bytes FROM app_assets WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get("content_type")?, r.try_get("bytes")?))).transpose()
}

/// Lists an uploaded app under `slug`, published by `publisher_id`, if it is not listed.
pub async fn ensure_uploaded(db: &Db, slug: &str, publisher_id: i64) -> Result<(), AppError> {
    let at = now();
    sqlx::query(
        "INSERT INTO apps (slug, source, state, publisher_id, created_at, updated_at) \
         VALUES ($1, 'uploaded', 'draft', $2, $3, $3) ON CONFLICT (slug) DO NOTHING",
    )
    .bind(slug)
    .bind(publisher_id)
    .bind(at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The source (`builtin`, `uploaded`) and publisher of a listed app.
pub async fn publisher(db: &Db, slug: &str) -> Result<Option<(String, Option<i64>)>, AppError> {
    let row = sqlx::query("SELECT source, publisher_id FROM apps WHERE slug = $1")
        .bind(slug)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get("source")?, r.try_get("publisher_id")?))).transpose()
}

pub async fn insert_version(db: &Db, row: &VersionRow) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO app_versions (app, version, manifest, component, report, state, reason, created_at, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&row.app)
    .bind(&row.version)
    .bind(&row.manifest)
    .bind(&row.component)
    .bind(&row.report)
    .bind(&row.state)
    .bind(&row.reason)
    .bind(row.created_at)
    .bind(row.decided_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn version(db: &Db, app: &str, version: &str) -> Result<Option<VersionRow>, AppError> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM app_versions WHERE app = $1 AND version = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app)
        .bind(version)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(version_row).transpose()
}

/// Every version of `app`, or of every uploaded app when `None`, oldest first.
pub async fn versions(db: &Db, app: Option<&str>) -> Result<Vec<VersionRow>, AppError> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM app_versions WHERE ($1 IS NULL OR app = $1) ORDER BY app, created_at"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(version_row).collect()
}

/// Moves a version to `state` (`reason` for a rejection); `decided` stamps the time of an
/// approval, rejection or withdrawal. Only from one of `from`; false when it was not there.
pub async fn set_version_state(
    db: &Db,
    app: &str,
    version: &str,
    from: &[&str],
    state: &str,
    reason: &str,
    decided: bool,
) -> Result<bool, AppError> {
    let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 6)).collect();
    let sql = format!(
        "UPDATE app_versions SET state = $1, reason = $2, decided_at = CASE WHEN $3 = 1 THEN $4 ELSE decided_at END \
         WHERE app = $5 AND version = ${} AND state IN ({})",
        from.len() + 6,
        placeholders.join(", ")
    );
    // Only placeholders: every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(state)
        .bind(reason)
        .bind(i64::from(decided))
        .bind(now())
        .bind(app);
    for state in from {
        query = query.bind(*state);
    }
    let done = query.bind(version).execute(db.pool()).await?;
    Ok(done.rows_affected() > 0)
}

/// What the catalog of uploaded apps was built from: changes whenever a version is
/// approved, withdrawn or leaves the catalog, on any server.
pub async fn catalog_revision(db: &Db) -> Result<String, AppError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(MAX(decided_at), 0) AS latest FROM app_versions \
         WHERE state IN ('approved', 'withdrawn')",
    )
    .fetch_one(db.pool())
    .await?;
    let (n, latest): (i64, i64) = (row.try_get("n")?, row.try_get("latest")?);
    Ok(format!("{n}:{latest}"))
}

/// Counts one more failed event of an installation; returns the run so far.
pub async fn count_failure(db: &Db, installation_id: &str) -> Result<i64, AppError> {
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE installations SET failures = failures + 1 WHERE id = $1")
        .bind(installation_id)
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query("SELECT failures FROM installations WHERE id = $1")
        .bind(installation_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    row.map(|r| r.try_get("failures")).transpose().map(|n| n.unwrap_or(0)).map_err(AppError::from)
}

/// Ends an installation's run of failures.
pub async fn clear_failures(db: &Db, installation_id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE installations SET failures = 0 WHERE id = $1 AND failures <> 0")
        .bind(installation_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Switches an installation off after its failures (the caller audits it).
pub async fn switch_off(db: &Db, installation_id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE installations SET active = 0, failures = 0, updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(installation_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
