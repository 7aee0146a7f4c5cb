//! The physical scan of a connector table: pulls batches from the sandbox one
//! call at a time as DataFusion asks for them, so nothing is fetched ahead of need
//! and a `LIMIT` stops the upstream paging.

use crate::runtime::{CallContext, LoadedConnector, ScanRequest, ScanStream};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
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

/// Scans one connector table. When the connector does not guarantee every
/// pushed filter, `predicate` holds the rest and is applied here, to columns
/// fetched for it and then dropped.
#[derive(Debug)]
pub(crate) struct ConnectorScanExec {
    connector: Arc<LoadedConnector>,
    request: ScanRequest,
    ctx: Arc<CallContext>,
    properties: Arc<PlanProperties>,
    predicate: Option<Arc<dyn PhysicalExpr>>,
}

impl ConnectorScanExec {
    /// `schema` is the output: a prefix of the fetched `request.columns`.
    pub(crate) fn new(
        connector: Arc<LoadedConnector>,
        request: ScanRequest,
        ctx: Arc<CallContext>,
        schema: SchemaRef,
        predicate: Option<Arc<dyn PhysicalExpr>>,
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
            predicate,
        }
    }
}

/// Starts the connector's scan.
async fn begin(
    connector: Arc<LoadedConnector>,
    request: ScanRequest,
    ctx: Arc<CallContext>,
) -> Result<Box<ScanStream>> {
    match connector.scan(request, &ctx).await {
        Ok(scan) => Ok(Box::new(scan)),
        Err(e) => Err(DataFusionError::External(Box::new(e))),
    }
}

/// Applies the host-side predicate, then keeps the output columns.
fn finish(
    batch: RecordBatch,
    predicate: Option<&Arc<dyn PhysicalExpr>>,
    width: usize,
) -> Result<RecordBatch> {
    let batch = match predicate {
        None => batch,
        Some(p) => {
            let mask = p.evaluate(&batch)?.into_array(batch.num_rows())?;
            let mask = mask.as_boolean_opt().ok_or_else(|| {
                DataFusionError::Internal("the residual filter is not boolean".into())
            })?;
            filter_record_batch(&batch, mask)?
        }
    };
    if batch.num_columns() == width {
        return Ok(batch);
    }
    let keep: Vec<usize> = (0..width).collect();
    Ok(batch.project(&keep)?)
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
        )?;
        if let Some(path) = self.request.access_path {
            write!(f, " access_path={path}")?;
        }
        if let Some(p) = &self.predicate {
            write!(f, " host_filter=[{p}]")?;
        }
        Ok(())
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
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        match &self.predicate {
            Some(p) => f(p),
            None => Ok(TreeNodeRecursion::Continue),
        }
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
        let predicate = self.predicate.clone();
        let width = self.schema().fields().len();
        let stream = futures::stream::unfold(start, move |state| {
            let predicate = predicate.clone();
            async move {
                let mut scan = match state {
                    State::Done => return None,
                    State::Running(scan) => scan,
                    State::Start(connector, request, ctx) => {
                        match begin(connector, request, ctx).await {
                            Ok(scan) => scan,
                            Err(e) => return Some((Err(e), State::Done)),
                        }
                    }
                };
                let next = scan
                    .next()
                    .await
                    .map_err(|e| DataFusionError::External(Box::new(e)));
                match next {
                    Ok(Some(batch)) => Some((
                        finish(batch, predicate.as_ref(), width),
                        State::Running(scan),
                    )),
                    Ok(None) => None,
                    Err(e) => Some((Err(e), State::Done)),
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            stream,
        )))
    }
}
