//! What can go wrong with the audit log.

use std::path::PathBuf;

/// An audit operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    /// The database's directory cannot be created.
    #[error("cannot create {dir}: {source}")]
    Directory {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    /// SQLite refused to open the file.
    #[error("cannot open the audit database {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::sync::Arc<sqlx::Error>,
    },
    /// A migration failed.
    #[error("cannot bring the audit database up to date: {0}")]
    Migrate(String),
    /// A read or write failed.
    #[error("audit database: {0}")]
    Database(std::sync::Arc<sqlx::Error>),
    /// The writer's connection failed.
    #[error("audit database (writer): {0}")]
    Write(std::sync::Arc<rusqlite::Error>),
    /// The writer thread could not start.
    #[error("{0}")]
    Writer(String),
    /// An entry could not be encoded.
    #[error("cannot encode an audit entry: {0}")]
    Encode(String),
    /// The writer task is gone (the platform is shutting down).
    #[error("the audit log is not accepting entries (shutting down)")]
    Stopped,
    /// A stored value is not what the platform writes.
    #[error("the audit database holds an unexpected value: {0}")]
    Corrupt(String),
    /// A key or signature is malformed.
    #[error("{0}")]
    Key(String),
}

impl From<sqlx::Error> for AuditError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(std::sync::Arc::new(e))
    }
}

impl From<rusqlite::Error> for AuditError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Write(std::sync::Arc::new(e))
    }
}
