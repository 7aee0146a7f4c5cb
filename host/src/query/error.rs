//! Why a query failed, grouped by cause so that each maps to one HTTP status.

use crate::runtime::ConnectorError;
use datafusion::error::DataFusionError;
use std::time::Duration;

/// A query that lacks a usable key filter; raised while planning, before any
/// connector or upstream is called.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{schema}.{table} cannot be scanned without a key filter: add {needs} to the WHERE clause")]
pub struct MissingKeyFilter {
    /// Schema (connector).
    pub schema: String,
    /// Table.
    pub table: String,
    /// The access paths, spelled for people.
    pub needs: String,
}

/// A failed query.
#[derive(Debug, Clone, thiserror::Error)]
pub enum QueryError {
    /// The SQL does not parse, or is not exactly one statement.
    #[error("{0}")]
    InvalidSql(String),
    /// The statement is not a read.
    #[error("only SELECT and EXPLAIN are allowed; {0} statements are rejected")]
    NotAllowed(String),
    /// The query is wrong for the catalog (unknown table or column, bad types...).
    #[error("{0}")]
    Invalid(String),
    /// A connector table was queried without its key filter.
    #[error(transparent)]
    MissingKeyFilter(#[from] MissingKeyFilter),
    /// A join would hand a connector table too many keys to look up.
    #[error(transparent)]
    TooManyKeys(#[from] super::lookup::TooManyKeys),
    /// A connector failed.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// The query needs more memory than allowed.
    #[error(
        "the query needs more memory than the {limit_mib} MiB allowed; narrow it or add a LIMIT"
    )]
    ResourcesExhausted {
        /// The limit.
        limit_mib: u64,
    },
    /// The query ran past its time limit.
    #[error("the query did not finish within {} s", .0.as_secs())]
    Timeout(Duration),
    /// Our bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl QueryError {
    /// Classifies a DataFusion error, unwrapping our own errors carried inside it.
    pub(crate) fn from_datafusion(e: DataFusionError, memory_limit_mib: u64) -> Self {
        if let Some(found) = find_ours(&e) {
            return found;
        }
        match e.find_root() {
            DataFusionError::SQL(e, _) => Self::InvalidSql(e.to_string()),
            DataFusionError::ResourcesExhausted(_) => Self::ResourcesExhausted {
                limit_mib: memory_limit_mib,
            },
            DataFusionError::Plan(m)
            | DataFusionError::NotImplemented(m)
            | DataFusionError::Execution(m) => Self::Invalid(m.clone()),
            DataFusionError::SchemaError(e, _) => Self::Invalid(e.to_string()),
            DataFusionError::ArrowError(e, _) => Self::Invalid(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Looks through DataFusion's and Arrow's wrappers for an error of ours.
fn find_ours(e: &DataFusionError) -> Option<QueryError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(c) = err.downcast_ref::<ConnectorError>() {
            return Some(QueryError::Connector(c.clone()));
        }
        if let Some(m) = err.downcast_ref::<MissingKeyFilter>() {
            return Some(QueryError::MissingKeyFilter(m.clone()));
        }
        if let Some(t) = err.downcast_ref::<super::lookup::TooManyKeys>() {
            return Some(QueryError::TooManyKeys(t.clone()));
        }
        current = err.source();
    }
    None
}
