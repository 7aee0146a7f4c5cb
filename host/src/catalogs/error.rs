//! What can go wrong with catalogs, each case with what the caller can do about it.

use chrono::NaiveDate;
use lgsp_catalogs::Problem;

/// A catalog operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No catalog with this code.
    #[error("there is no catalog {0:?}; GET /v1/catalogs lists them")]
    UnknownCatalog(String),
    /// The catalog has no version with this label.
    #[error("catalog {catalog} has no version {version:?}")]
    UnknownVersion {
        /// The catalog.
        catalog: String,
        /// The label asked for.
        version: String,
    },
    /// No published version holds on the date asked for.
    #[error("catalog {catalog} has no published version valid on {day}")]
    NoVersionOn {
        /// The catalog.
        catalog: String,
        /// The date.
        day: NaiveDate,
    },
    /// The version has no item with this code.
    #[error("catalog {catalog} has no item {code:?} in version {version}")]
    UnknownItem {
        /// The catalog.
        catalog: String,
        /// The version searched.
        version: String,
        /// The code asked for.
        code: String,
    },
    /// The input was rejected; nothing was written.
    #[error("the import was rejected with {} problem(s); nothing was written", .0.len())]
    Invalid(Vec<Problem>),
    /// The operation conflicts with the current state (existing code,
    /// version no longer a draft...).
    #[error("{0}")]
    Conflict(String),
    /// A request parameter is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The database cannot be opened or migrated.
    #[error("catalog database: {0}")]
    Open(String),
    /// The database holds something this version cannot read.
    #[error("catalog database holds unreadable data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("catalog database error: {0}")]
    Database(#[from] sqlx::Error),
}
