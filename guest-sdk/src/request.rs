//! A scan request as a connector sees it, with helpers to read key filters.

use crate::batch::BatchBuilder;
use crate::bindings::lgsp::connector::types as wit;
use crate::error::{Error, Result};
use crate::filter::{Filter, FilterOp, Value};
use crate::schema::{Column, Table};

/// Who is asking and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// Unique per data request; appears in the platform's audit log.
    pub request_id: String,
    /// Electronic code of the consumer agency.
    pub consumer: String,
    /// The purpose the consumer stated.
    pub purpose: String,
}

/// A request for rows of one of the connector's tables.
///
/// The SDK has already checked that the table exists and that every requested
/// column is declared.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    table: Table,
    columns: Vec<String>,
    filters: Vec<Filter>,
    limit: Option<u64>,
    context: RequestContext,
}

impl ScanRequest {
    pub(crate) fn from_wit(table: Table, req: wit::ScanRequest) -> Result<Self> {
        for name in &req.columns {
            if table.find_column(name).is_none() {
                return Err(Error::bad_request(format!(
                    "table {} has no column {name}",
                    table.name()
                )));
            }
        }
        Ok(Self {
            table,
            columns: req.columns,
            filters: req.filters.into_iter().map(Filter::from_wit).collect(),
            limit: req.limit,
            context: RequestContext {
                request_id: req.context.request_id,
                consumer: req.context.consumer,
                purpose: req.context.purpose,
            },
        })
    }

    /// The table's definition, as [`crate::Connector::describe`] gave it.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        self.table.name()
    }

    /// The columns to return, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Whether the query needs `column`; skip fetching what nobody reads.
    pub fn wants(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// All pushed-down filters.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// At most this many rows are needed (set only when every filter is exact).
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Who is asking and why.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The values the query pins `column` to with `=` or `IN`, intersected when
    /// there are several such filters; `None` when there is none.
    pub fn equal_values(&self, column: &str) -> Option<Vec<&Value>> {
        let mut result: Option<Vec<&Value>> = None;
        for f in self.filters.iter().filter(|f| f.column == column) {
            if !matches!(f.op, FilterOp::Eq | FilterOp::InList) {
                continue;
            }
            let values: Vec<&Value> = f.values.iter().collect();
            result = Some(match result {
                None => dedup(values),
                Some(prev) => prev.into_iter().filter(|v| values.contains(v)).collect(),
            });
        }
        result
    }

    /// Like [`Self::equal_values`] for a text column.
    ///
    /// # Errors
    /// `bad-request` when a value is not text.
    pub fn text_values(&self, column: &str) -> Result<Option<Vec<String>>> {
        let Some(values) = self.equal_values(column) else {
            return Ok(None);
        };
        values
            .into_iter()
            .map(|v| {
                v.as_text().map(str::to_owned).ok_or_else(|| {
                    Error::bad_request(format!("{column} must be compared with text, got {v:?}"))
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// The single text value the query pins `column` to.
    ///
    /// # Errors
    /// `bad-request` when the query gives several values for `column`.
    pub fn text_value(&self, column: &str) -> Result<Option<String>> {
        match self.text_values(column)? {
            None => Ok(None),
            Some(mut v) if v.len() <= 1 => Ok(v.pop()),
            Some(v) => Err(Error::bad_request(format!(
                "{column} takes one value per query, got {}",
                v.len()
            ))),
        }
    }

    /// A builder for batches with exactly the requested columns.
    pub fn batch_builder(&self, capacity: usize) -> BatchBuilder {
        let columns: Vec<&Column> = self
            .columns
            .iter()
            .filter_map(|name| self.table.find_column(name))
            .collect();
        BatchBuilder::new(self.table.arrow_schema(&columns), &columns, capacity)
    }
}

fn dedup(values: Vec<&Value>) -> Vec<&Value> {
    let mut out: Vec<&Value> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

impl ScanRequest {
    /// Replaces the filters (for [`crate::testing`]).
    pub(crate) fn set_filters(&mut self, filters: Vec<Filter>) {
        self.filters = filters;
    }
}
