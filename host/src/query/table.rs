//! A connector table as a DataFusion `TableProvider`: projection, filters and
//! limit are pushed into the connector's `scan`, and a query that satisfies none
//! of the table's access paths is refused while planning, before any call.

use super::error::MissingKeyFilter;
use super::exec::ConnectorScanExec;
use super::filters;
use crate::runtime::{CallContext, Filter, LoadedConnector, ScanRequest, TableInfo};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
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
}

impl ConnectorTable {
    pub(crate) fn new(
        connector: Arc<LoadedConnector>,
        table: usize,
        ctx: Arc<CallContext>,
    ) -> Self {
        Self {
            connector,
            table,
            ctx,
        }
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
                Some(f) if filters::is_exact(&f, table) => TableProviderFilterPushDown::Exact,
                // Passed on as a hint; DataFusion filters the rows again.
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        exprs: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table = self.info();
        let mut pushed: Vec<Filter> = Vec::new();
        let mut all_exact = true;
        for e in exprs {
            if let Some(f) = filters::translate(e, table) {
                all_exact &= filters::is_exact(&f, table);
                pushed.extend(f);
            } else {
                all_exact = false;
            }
        }
        if !filters::satisfies_access_path(&pushed, table) {
            return Err(DataFusionError::External(Box::new(MissingKeyFilter {
                schema: self.connector.info().name.clone(),
                table: table.name.clone(),
                needs: table.describe_access_paths(),
            })));
        }
        let columns: Vec<String> = match projection {
            Some(indices) => indices
                .iter()
                .map(|&i| table.schema.field(i).name().clone())
                .collect(),
            None => table.columns.iter().map(|c| c.name.clone()).collect(),
        };
        let projected = match projection {
            Some(indices) => Arc::new(table.schema.project(indices)?),
            None => table.schema.clone(),
        };
        let request = ScanRequest {
            table: table.name.clone(),
            columns,
            filters: pushed,
            // The contract promises a limit only when the connector applies
            // every filter, so that stopping early is correct.
            limit: if all_exact {
                limit.map(|l| l as u64)
            } else {
                None
            },
        };
        Ok(Arc::new(ConnectorScanExec::new(
            self.connector.clone(),
            request,
            self.ctx.clone(),
            projected,
        )))
    }
}
