//! The database layer (server only): one pool over SQLite or PostgreSQL, chosen at start-up
//! from the URL, and the SQL for each aggregate in its own file.
//!
//! Queries use `$1`-style placeholders, which both SQLite and PostgreSQL accept, and only
//! types the `Any` driver carries (integers, floats, text, blobs): times are Unix seconds,
//! structured values are JSON text.

use std::str::FromStr;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;

pub mod api_keys;
pub mod apps;
pub mod forms;
pub mod notifications;
pub mod outbox;
pub mod publishing;
pub mod sessions;
pub mod users;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Used when neither `--database-url` nor `DATABASE_URL` is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://junction.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A database URL that has been checked and completed (`mode=rwc` for SQLite files).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub kind: DbKind,
    url: String,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl DatabaseUrl {
    /// Accepts `sqlite://FILE`, `sqlite::memory:`, `postgres://…`, `postgresql://…`, or a bare
    /// file path (taken as SQLite).
    pub fn parse(raw: &str) -> Result<DatabaseUrl, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the database URL is empty".into());
        }
        let (kind, url) = if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            sqlx::postgres::PgConnectOptions::from_str(raw)
                .map_err(|e| format!("malformed PostgreSQL URL `{}`: {e}", redact(raw)))?;
            (DbKind::Postgres, raw.to_owned())
        } else if raw.starts_with("sqlite:") {
            (DbKind::Sqlite, with_create_mode(raw))
        } else if let Some((scheme, _)) = raw.split_once("://") {
            return Err(format!(
                "unsupported database `{scheme}://`; use sqlite://FILE or postgres://USER@HOST/DB"
            ));
        } else {
            (DbKind::Sqlite, with_create_mode(&format!("sqlite://{raw}")))
        };
        if kind == DbKind::Sqlite {
            sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                .map_err(|e| format!("malformed SQLite URL `{raw}`: {e}"))?;
        }
        Ok(DatabaseUrl { kind, url })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The URL with any password replaced, for logs and error messages.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }
}

fn with_create_mode(url: &str) -> String {
    if url.contains(":memory:") || url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

fn redact(url: &str) -> String {
    // scheme://user:password@host → scheme://user:***@host
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// The connection pool and which database is behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    kind: DbKind,
}

impl Db {
    /// Connects, failing within a few seconds with a one-line reason if the database does not
    /// answer.
    pub async fn connect(url: &DatabaseUrl) -> Result<Db, String> {
        install_default_drivers();
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
        let options = match url.kind {
            DbKind::Postgres => options.max_connections(16),
            // One writer at a time either way; a few readers help page loads under WAL.
            DbKind::Sqlite => options.max_connections(8).after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    // FULL: a commit is synced to the disk before it returns, so an
                    // acknowledged response survives a power cut, not only a crash (NORMAL
                    // in WAL mode may lose the last commits then). Responses are written
                    // many to a commit (`services::group_commit`), so the sync is shared.
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 5000")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            }),
        };
        let pool = options.connect(url.as_str()).await.map_err(|e| {
            format!(
                "cannot open the database at {}: {}",
                url.redacted(),
                one_line(&e)
            )
        })?;
        Ok(Db {
            pool,
            kind: url.kind,
        })
    }

    /// Applies the migrations this database has not seen yet.
    pub async fn migrate(&self) -> Result<(), String> {
        let migrator = match self.kind {
            DbKind::Sqlite => &SQLITE_MIGRATIONS,
            DbKind::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| format!("migrations failed: {}", one_line(&e)))
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn one_line(err: &dyn std::fmt::Display) -> String {
    err.to_string()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `VALUES` list of a statement that inserts `rows` rows at once, each written by `row`
/// from the number of its first placeholder (`$1`, `$7`, …), `per_row` placeholders apart:
/// one statement, and one round trip to the database, for a whole batch.
pub(crate) fn values_list(rows: usize, per_row: usize, row: impl Fn(usize) -> String) -> String {
    (0..rows).map(|i| row(i * per_row + 1)).collect::<Vec<_>>().join(", ")
}

/// `($first, $first + 1, …)` for `n` placeholders.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    let list: Vec<String> = (first..first + n).map(|k| format!("${k}")).collect();
    format!("({})", list.join(", "))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_classified_and_completed() {
        let url = DatabaseUrl::parse("sqlite://junction.db").unwrap();
        assert_eq!(
            (url.kind, url.as_str()),
            (DbKind::Sqlite, "sqlite://junction.db?mode=rwc")
        );
        let url = DatabaseUrl::parse("data/j.db").unwrap();
        assert_eq!(url.as_str(), "sqlite://data/j.db?mode=rwc");
        let url = DatabaseUrl::parse("sqlite://x.db?mode=ro").unwrap();
        assert_eq!(url.as_str(), "sqlite://x.db?mode=ro");
        let url = DatabaseUrl::parse("postgres://u@127.0.0.1:5432/test").unwrap();
        assert_eq!(url.kind, DbKind::Postgres);
    }

    #[test]
    fn bad_urls_get_one_line_reasons() {
        let err = DatabaseUrl::parse("mysql://root@localhost/db").unwrap_err();
        assert!(err.contains("unsupported database `mysql://`"), "{err}");
        let err = DatabaseUrl::parse("postgres://u@host:notaport/db").unwrap_err();
        assert!(err.starts_with("malformed PostgreSQL URL"), "{err}");
        assert!(DatabaseUrl::parse("  ").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://u:hunter2@db/x").unwrap();
        assert_eq!(url.redacted(), "postgres://u:***@db/x");
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
