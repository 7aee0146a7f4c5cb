//! The physical scan of a connector table: pulls batches from the sandbox one
//! call at a time as DataFusion asks for them, so nothing is fetched ahead of need
//! and a `LIMIT` stops the upstream paging.

use crate::runtime::{CallContext, LoadedConnector, ScanRequest, ScanStream};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use std::fmt;
use std::sync::Arc;

/// Scans one connector table.
#[derive(Debug)]
pub(crate) struct ConnectorScanExec {
    connector: Arc<LoadedConnector>,
    request: ScanRequest,
    ctx: Arc<CallContext>,
    properties: Arc<PlanProperties>,
}

impl ConnectorScanExec {
    pub(crate) fn new(
        connector: Arc<LoadedConnector>,
        request: ScanRequest,
        ctx: Arc<CallContext>,
        schema: SchemaRef,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            connector,
            request,
            ctx,
            properties,
        }
    }
}

impl DisplayAs for ConnectorScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let filters: Vec<String> = self
            .request
            .filters
            .iter()
            .map(|flt| format!("{} {} {:?}", flt.column, flt.op.sql(), flt.values))
            .collect();
        write!(
            f,
            "ConnectorScanExec: {}.{} columns=[{}] filters=[{}] limit={}",
            self.connector.info().name,
            self.request.table,
            self.request.columns.join(", "),
            filters.join(", "),
            self.request
                .limit
                .map_or_else(|| "none".to_owned(), |l| l.to_string())
        )
    }
}

enum State {
    Start(Arc<LoadedConnector>, ScanRequest, Arc<CallContext>),
    Running(Box<ScanStream>),
    Done,
}

impl ExecutionPlan for ConnectorScanExec {
    fn name(&self) -> &str {
        "ConnectorScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "ConnectorScanExec has one partition, asked for {partition}"
            )));
        }
        let start = State::Start(
            self.connector.clone(),
            self.request.clone(),
            self.ctx.clone(),
        );
        let stream = futures::stream::unfold(start, |state| async move {
            let mut scan = match state {
                State::Done => return None,
                State::Running(scan) => scan,
                State::Start(connector, request, ctx) => {
                    match connector.scan(request, &ctx).await {
                        Ok(scan) => Box::new(scan),
                        Err(e) => {
                            return Some((
                                Err(DataFusionError::External(Box::new(e))),
                                State::Done,
                            ));
                        }
                    }
                }
            };
            match scan.next().await {
                Ok(Some(batch)) => Some((Ok(batch), State::Running(scan))),
                Ok(None) => None,
                Err(e) => Some((Err(DataFusionError::External(Box::new(e))), State::Done)),
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            stream,
        )))
    }
}
