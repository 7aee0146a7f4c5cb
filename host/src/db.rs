//! The platform database: one SQLite file (through sqlx) that the shared
//! catalogs and the registry of agencies, keys and grants share. Each part
//! brings its own embedded migrations; they share sqlx's migration table, so
//! each migrator ignores the others' versions.

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Its directory cannot be created.
    #[error("cannot create {dir}: {source}")]
    Directory {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused to open it.
    #[error("cannot open the platform database {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: sqlx::Error,
    },
}

/// Opens (creating if needed) the SQLite database at `path`.
///
/// # Errors
/// When the directory or the file cannot be created or opened.
pub async fn open(path: &Path) -> Result<SqlitePool, DbError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::Directory {
            dir: dir.to_owned(),
            source,
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true)
        // WAL lets readers go on while an import writes; NORMAL is durable
        // at every checkpoint and loses at most the last transactions on
        // power loss, never corrupts.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        // Every signed request reads its key; readers do not block each
        // other under WAL, so a few more connections than cores help.
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|source| DbError::Open {
            path: path.to_owned(),
            source,
        })
}
