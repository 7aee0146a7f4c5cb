//! A connector table as a DataFusion `TableProvider`: projection, filters and
//! limit are pushed into the connector's `scan`, and a query that satisfies none
//! of the table's access paths is refused while planning, before any call.

use super::error::MissingKeyFilter;
use super::exec::ConnectorScanExec;
use super::filters;
use super::lookup::Lookup;
use crate::runtime::{CallContext, Filter, FilterOp, LoadedConnector, ScanRequest, TableInfo};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use std::sync::Arc;

/// One connector table, bound to the request it serves.
#[derive(Debug)]
pub(crate) struct ConnectorTable {
    connector: Arc<LoadedConnector>,
    table: usize,
    ctx: Arc<CallContext>,
    max_lookup_keys: usize,
}

impl ConnectorTable {
    pub(crate) fn new(
        connector: Arc<LoadedConnector>,
        table: usize,
        ctx: Arc<CallContext>,
        max_lookup_keys: usize,
    ) -> Self {
        Self {
            connector,
            table,
            ctx,
            max_lookup_keys,
        }
    }

    /// Access paths a join can feed: one key column that takes `IN`, since
    /// the join's keys are sent as IN lists. A path that takes only `=` (a
    /// listing by commune, say) is not one: it would get one value per scan.
    fn lookup_candidates(&self) -> Vec<(u32, String)> {
        self.info()
            .access_paths
            .iter()
            .enumerate()
            .filter_map(|(i, path)| match path.as_slice() {
                [key] if key.operators.contains(&FilterOp::InList) => {
                    Some((u32::try_from(i).ok()?, key.column.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn info(&self) -> &TableInfo {
        &self.connector.info().tables[self.table]
    }
}

#[async_trait]
impl TableProvider for ConnectorTable {
    fn schema(&self) -> SchemaRef {
        self.info().schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        exprs: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        let table = self.info();
        Ok(exprs
            .iter()
            .map(|e| match filters::translate(e, table) {
                Some(f) if filters::is_exact_capable(&f, table) => {
                    TableProviderFilterPushDown::Exact
                }
                // Passed on as a hint; DataFusion filters the rows again.
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        exprs: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table = self.info();
        let translated: Vec<(&Expr, Option<Vec<Filter>>)> = exprs
            .iter()
            .map(|e| (e, filters::translate(e, table)))
            .collect();
        let pushed: Vec<Filter> = translated
            .iter()
            .filter_map(|(_, f)| f.clone())
            .flatten()
            .collect();
        // Without a key filter of its own, the scan may still get its keys
        // from a join (lookup.rs); whether one does is known only once the
        // physical plan is built, and checked then.
        let (path, lookup) = match filters::choose_access_path(&pushed, table) {
            Ok(path) => (path, None),
            Err(()) => {
                let missing = MissingKeyFilter {
                    schema: self.connector.info().name.clone(),
                    table: table.name.clone(),
                    needs: table.describe_access_paths(),
                };
                let candidates = self.lookup_candidates();
                if candidates.is_empty() {
                    return Err(DataFusionError::External(Box::new(missing)));
                }
                let batch = self
                    .connector
                    .upstream_limits()
                    .lookup_batch
                    .map_or(DEFAULT_LOOKUP_BATCH, |b| b.max(1) as usize);
                let lookup = Lookup {
                    candidates,
                    missing,
                    batch,
                    max_keys: self.max_lookup_keys,
                    dynamic: None,
                };
                (None, Some(lookup))
            }
        };
        // What the chosen path does not guarantee, the host applies itself:
        // DataFusion may have absorbed a filter as exact in an earlier pass
        // that, with the filters seen now, another access path serves.
        let residual: Vec<Expr> = translated
            .iter()
            .filter(|(_, f)| {
                f.as_ref()
                    .is_none_or(|fs| !fs.iter().all(|f| filters::is_guaranteed(f, path, table)))
            })
            .map(|(e, _)| unqualified((*e).clone()))
            .collect::<Result<_>>()?;

        let projected: Vec<usize> = match projection {
            Some(indices) => indices.clone(),
            None => (0..table.columns.len()).collect(),
        };
        // Fetch the projection first, then any column the residual filter reads.
        let mut fetch = projected.clone();
        for e in &residual {
            for c in e.column_refs() {
                let i = table.schema.index_of(&c.name)?;
                if !fetch.contains(&i) {
                    fetch.push(i);
                }
            }
        }
        let fetch_schema = Arc::new(table.schema.project(&fetch)?);
        let output_schema = Arc::new(table.schema.project(&projected)?);
        let predicate = match residual.into_iter().reduce(Expr::and) {
            None => None,
            Some(e) => {
                let df_schema = DFSchema::try_from(fetch_schema.as_ref().clone())?;
                Some(state.create_physical_expr(e, &df_schema)?)
            }
        };
        let request = ScanRequest {
            table: table.name.clone(),
            columns: fetch
                .iter()
                .map(|&i| table.schema.field(i).name().clone())
                .collect(),
            filters: pushed,
            // Stopping early is only correct when the connector applies every
            // filter itself.
            limit: if predicate.is_none() {
                limit.map(|l| l as u64)
            } else {
                None
            },
            access_path: path.and_then(|p| u32::try_from(p).ok()),
        };
        let exec = ConnectorScanExec::new(
            self.connector.clone(),
            request,
            self.ctx.clone(),
            output_schema,
            predicate,
        );
        Ok(Arc::new(match lookup {
            Some(lookup) => exec.with_lookup(lookup),
            None => exec,
        }))
    }
}

/// Keys per scan when a join drives lookups and the manifest gives no
/// `lookup_batch`.
const DEFAULT_LOOKUP_BATCH: usize = 100;

/// The expression with table qualifiers removed, to evaluate against a batch
/// of the table's own columns.
pub(crate) fn unqualified(expr: Expr) -> Result<Expr> {
    expr.transform_up(|e| match e {
        Expr::Column(c) => Ok(Transformed::yes(Expr::Column(Column::new_unqualified(
            c.name,
        )))),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}
