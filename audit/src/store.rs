//! The audit database: its own SQLite file, so that a long write elsewhere
//! (a catalog import) never holds up the commit a response is waiting for,
//! and so that it can be kept and backed up on its own schedule.

use crate::entry::StoredEntry;
use crate::error::AuditError;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::time::Duration;

/// The audit log's migrations. Versions start at 2001: other parts of the
/// platform (the health monitor) keep their tables in the same file and share
/// sqlx's migration table; each ignores the others' versions.
fn migrator() -> Migrator {
    let mut migrator = Migrator::with_migrations(vec![Migration::new(
        2001,
        "audit log".into(),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!("migrations/2001_audit.sql")),
        false,
    )]);
    migrator.set_ignore_missing(true);
    migrator
}

/// Opens (creating if needed) the audit database at `path` and brings its
/// tables up to date.
///
/// Every commit is synced to disk (`synchronous=FULL`): the record of a
/// request must survive a power cut, not just a crash of the process. Group
/// commit makes that affordable, since many entries share one sync.
///
/// # Errors
/// When the file cannot be created or opened, or a migration fails.
pub async fn open(path: &Path) -> Result<SqlitePool, AuditError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| AuditError::Directory {
            dir: dir.to_owned(),
            source: source.into(),
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|source| AuditError::Open {
            path: path.to_owned(),
            source: source.into(),
        })?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Brings the audit tables of `pool` up to date (for a pool opened elsewhere,
/// such as an in-memory database in tests).
///
/// # Errors
/// When a migration fails.
pub async fn migrate(pool: &SqlitePool) -> Result<(), AuditError> {
    migrator()
        .run(pool)
        .await
        .map_err(|e| AuditError::Migrate(e.to_string()))
}

/// The head of the chain: the last entry written, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Its number (0 before the first entry).
    pub seq: u64,
    /// Its hash ([`crate::GENESIS_HASH`] before the first entry).
    pub hash: String,
}

/// Reads the head.
///
/// # Errors
/// When the database cannot be read.
pub async fn head<'c, E>(db: E) -> Result<Head, AuditError>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(db)
        .await?;
    Ok(match row {
        Some(row) => Head {
            seq: to_u64(row.try_get("seq")?),
            hash: row.try_get("hash")?,
        },
        None => Head {
            seq: 0,
            hash: crate::GENESIS_HASH.into(),
        },
    })
}

/// Up to `limit` stored entries with `seq > after`, in order.
///
/// # Errors
/// When the database cannot be read.
pub async fn rows_after<'c, E>(
    db: E,
    after: u64,
    limit: u32,
) -> Result<Vec<StoredEntry>, AuditError>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let rows = sqlx::query(
        "SELECT seq, body, prev_hash, hash, at_us, kind, actor_agency FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(to_i64(after))
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    rows.iter().map(stored).collect()
}

pub(crate) fn stored(row: &sqlx::sqlite::SqliteRow) -> Result<StoredEntry, AuditError> {
    Ok(StoredEntry {
        seq: to_u64(row.try_get("seq")?),
        body: row.try_get("body")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
        at_us: row.try_get("at_us")?,
        kind: row.try_get("kind")?,
        actor_agency: row.try_get("actor_agency")?,
    })
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
