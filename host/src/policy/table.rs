//! A granted table as DataFusion sees it: only the visible columns (masked
//! ones as text), filters on masked columns kept away from the source, and every
//! scan wrapped in a [`PolicyExec`] that applies the row filter and the masks.

use super::TableAccess;
use super::exec::{PolicyColumn, PolicyExec};
use super::row_filter;
use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::DFSchema;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The row filter of one table, as parsed when the session was built.
#[derive(Debug, Clone)]
enum RowFilter {
    /// Every row is visible.
    None,
    /// Only rows where this holds are visible.
    Rows(Expr),
    /// The grant's filter no longer parses against the table (a column it
    /// names was dropped, say): the table gives no rows at all, it errors.
    Unusable(String),
}

/// One granted table over the table that holds the data (`inner`).
#[derive(Debug)]
pub(crate) struct PolicyTable {
    /// `schema.table`, for messages.
    name: String,
    inner: Arc<dyn TableProvider>,
    /// What callers see: the visible columns, masked ones as text.
    schema: SchemaRef,
    /// Per visible column: its index in the inner schema and whether it is masked.
    columns: Vec<(usize, bool)>,
    row_filter: RowFilter,
}

impl PolicyTable {
    /// Wraps `inner` (whose schema is the table's full schema) with what
    /// `access` grants. Columns of `access` that `inner` lacks are left out;
    /// the row filter is parsed now, with the functions of `state`.
    pub(crate) fn new(
        name: String,
        inner: Arc<dyn TableProvider>,
        access: &TableAccess,
        state: &SessionState,
    ) -> Self {
        let full = inner.schema();
        let mut fields = Vec::with_capacity(access.columns.len());
        let mut columns = Vec::with_capacity(access.columns.len());
        for column in &access.columns {
            let Ok(index) = full.index_of(&column.name) else {
                continue;
            };
            let field = full.field(index);
            fields.push(if column.masked {
                Field::new(field.name(), DataType::Utf8, field.is_nullable())
            } else {
                field.clone()
            });
            columns.push((index, column.masked));
        }
        let row_filter = match &access.row_filter {
            None => RowFilter::None,
            Some(sql) => match row_filter::parse(state, sql, &full) {
                Ok(expr) => RowFilter::Rows(expr),
                Err(reason) => RowFilter::Unusable(reason),
            },
        };
        Self {
            name,
            inner,
            schema: Arc::new(Schema::new(fields)),
            columns,
            row_filter,
        }
    }

    /// Whether `expr` reads anything but clear visible columns (by name: the
    /// visible schema has unique names). A name this table does not show
    /// counts as masked, so nothing unexpected reaches the source.
    fn reads_masked(&self, expr: &Expr) -> bool {
        expr.column_refs().iter().any(|c| {
            self.schema
                .index_of(&c.name)
                .ok()
                .is_none_or(|i| self.columns.get(i).is_none_or(|(_, masked)| *masked))
        })
    }
}

#[async_trait]
impl TableProvider for PolicyTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        exprs: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // A filter on a masked column is evaluated above the scan, against the
        // masked value; the source never sees it (it would compare the real one).
        let clear: Vec<&Expr> = exprs
            .iter()
            .copied()
            .filter(|e| !self.reads_masked(e))
            .collect();
        let mut inner = self.inner.supports_filters_pushdown(&clear)?.into_iter();
        exprs
            .iter()
            .map(|e| {
                if self.reads_masked(e) {
                    return Ok(TableProviderFilterPushDown::Unsupported);
                }
                inner.next().ok_or_else(|| {
                    DataFusionError::Internal(format!(
                        "{} answered fewer filter pushdowns than it was asked",
                        self.name
                    ))
                })
            })
            .collect()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let row_filter = match &self.row_filter {
            RowFilter::None => None,
            RowFilter::Rows(expr) => Some(expr),
            RowFilter::Unusable(reason) => {
                // The reason may name columns the caller is not granted
                // (DataFusion lists the valid fields): it goes to the log only.
                tracing::warn!(table = %self.name, %reason, "row filter no longer applies");
                return Err(DataFusionError::Plan(format!(
                    "{} cannot be read: the row filter of your grant no longer applies to the table; ask its provider to review the grant",
                    self.name
                )));
            }
        };
        let chosen: Vec<(usize, bool)> = match projection {
            Some(p) => p
                .iter()
                .map(|&i| {
                    self.columns.get(i).copied().ok_or_else(|| {
                        DataFusionError::Internal(format!("{} has no column {i}", self.name))
                    })
                })
                .collect::<Result<_>>()?,
            None => self.columns.clone(),
        };
        // Ask the inner table for the visible columns, then for those the row
        // filter reads.
        let mut fetch: Vec<usize> = Vec::with_capacity(chosen.len());
        for (index, _) in &chosen {
            if !fetch.contains(index) {
                fetch.push(*index);
            }
        }
        let full = self.inner.schema();
        if let Some(expr) = row_filter {
            for c in expr.column_refs() {
                let index = full.index_of(&c.name)?;
                if !fetch.contains(&index) {
                    fetch.push(index);
                }
            }
        }
        // Filters on clear columns go down as the user wrote them; the row
        // filter goes down too, as a hint (PolicyExec applies it regardless).
        let mut inner_filters: Vec<Expr> = filters
            .iter()
            .filter(|e| !self.reads_masked(e))
            .cloned()
            .collect();
        let dropped = inner_filters.len() != filters.len();
        inner_filters.extend(row_filter.cloned());
        // Stopping the source early is only right when no row it returns can
        // still be dropped above it.
        let inner_limit = if row_filter.is_none() && !dropped {
            limit
        } else {
            None
        };
        let input = self
            .inner
            .scan(state, Some(&fetch), &inner_filters, inner_limit)
            .await?;
        let input_schema = input.schema();
        let columns = chosen
            .iter()
            .map(|&(index, masked)| {
                let name = full.field(index).name();
                Ok(PolicyColumn {
                    name: name.clone(),
                    input: input_schema.index_of(name)?,
                    masked,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let predicate = match row_filter {
            None => None,
            Some(expr) => {
                let df_schema = DFSchema::try_from(input_schema.as_ref().clone())?;
                Some(state.create_physical_expr(expr.clone(), &df_schema)?)
            }
        };
        Ok(Arc::new(PolicyExec::try_new(
            input,
            columns,
            predicate,
            state.config().options().clone(),
        )?))
    }
}

/// The granted tables of one schema, and nothing else: an ungranted table
/// does not exist here, so neither queries nor `information_schema` see it.
#[derive(Debug, Default)]
pub(crate) struct PolicySchema {
    tables: BTreeMap<String, Arc<PolicyTable>>,
}

impl PolicySchema {
    /// A schema of exactly `tables`.
    pub(crate) fn new(tables: impl IntoIterator<Item = (String, PolicyTable)>) -> Self {
        Self {
            tables: tables
                .into_iter()
                .map(|(name, table)| (name, Arc::new(table)))
                .collect(),
        }
    }
}

#[async_trait]
impl SchemaProvider for PolicySchema {
    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self
            .tables
            .get(name)
            .map(|t| t.clone() as Arc<dyn TableProvider>))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}
