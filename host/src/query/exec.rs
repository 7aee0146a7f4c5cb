//! The physical scan of a connector table: pulls batches from the sandbox one
//! call at a time as DataFusion asks for them, so nothing is fetched ahead of need
//! and a `LIMIT` stops the upstream paging.

use super::lookup::Lookup;
use crate::runtime::{CallContext, LoadedConnector, ScanRequest, ScanStream};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::config::ConfigOptions;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{ColumnStatistics, Statistics};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::filter_pushdown::{
    ChildPushdownResult, FilterPushdownPhase, FilterPushdownPropagation, PushedDown,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

/// Row estimates that steer DataFusion's join ordering: a scan with its own
/// keys is small, one waiting for keys from a join is "huge", so the join
/// builds on the keyed side and hands its keys to the waiting one.
const KEYED_ROWS_ESTIMATE: usize = 1_000;
const LOOKUP_ROWS_ESTIMATE: usize = 1 << 40;

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
    /// Set when the keys come from a join rather than from the query.
    lookup: Option<Lookup>,
}

impl ConnectorScanExec {
    /// The connector's schema name and what this scan asks of it.
    pub(crate) fn scanned(&self) -> (&str, &ScanRequest) {
        (&self.connector.info().name, &self.request)
    }

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
            lookup: None,
        }
    }

    /// This scan takes its keys from a join (see `lookup.rs`).
    pub(crate) fn with_lookup(mut self, lookup: Lookup) -> Self {
        self.lookup = Some(lookup);
        self
    }

    /// A copy of this scan whose `lookup` waits on the join filter `dynamic`
    /// (`None`: on no join yet).
    fn with_join_filter(&self, lookup: &Lookup, dynamic: Option<Arc<dyn PhysicalExpr>>) -> Self {
        let mut lookup = lookup.clone();
        lookup.dynamic = dynamic;
        Self {
            connector: self.connector.clone(),
            request: self.request.clone(),
            ctx: self.ctx.clone(),
            properties: self.properties.clone(),
            predicate: self.predicate.clone(),
            lookup: Some(lookup),
        }
    }

    /// The key filter a query still lacks: a lookup scan that no join feeds.
    pub(crate) fn missing_keys(&self) -> Option<&super::MissingKeyFilter> {
        self.lookup
            .as_ref()
            .filter(|l| l.dynamic.is_none())
            .map(|l| &l.missing)
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
        if let Some(lookup) = &self.lookup {
            let keys: Vec<&str> = lookup.candidates.iter().map(|(_, c)| c.as_str()).collect();
            write!(f, " keys_from_join=[{}]", keys.join(", "))?;
            if let Some(d) = &lookup.dynamic {
                write!(f, " join_filter=[{d}]")?;
            }
        }
        if let Some(p) = &self.predicate {
            write!(f, " host_filter=[{p}]")?;
        }
        Ok(())
    }
}

enum State {
    /// Waiting for a join's keys, to look them up with this request.
    Lookup(Lookup, ScanRequest),
    /// Requests still to run, one after another.
    Next(VecDeque<ScanRequest>),
    Running(Box<ScanStream>, VecDeque<ScanRequest>),
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
        if let Some(p) = &self.predicate
            && f(p)? == TreeNodeRecursion::Stop
        {
            return Ok(TreeNodeRecursion::Stop);
        }
        match &self.lookup {
            Some(lookup) => lookup.apply(f),
            None => Ok(TreeNodeRecursion::Continue),
        }
    }

    fn handle_child_pushdown_result(
        &self,
        phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        _config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        // Filters are used to choose keys, never to drop rows: the join (or
        // the filter above) still applies each, so all are reported unapplied.
        let unapplied = vec![PushedDown::No; child_pushdown_result.parent_filters.len()];
        let mut propagation = FilterPushdownPropagation::with_parent_pushdown_result(unapplied);
        if phase != FilterPushdownPhase::Post {
            return Ok(propagation);
        }
        let Some(lookup) = self.lookup.as_ref().filter(|l| l.dynamic.is_none()) else {
            return Ok(propagation);
        };
        let dynamic = child_pushdown_result
            .parent_filters
            .iter()
            .map(|f| &f.filter)
            .find(|f| lookup.accepts(f));
        if let Some(dynamic) = dynamic {
            let node = self.with_join_filter(lookup, Some(dynamic.clone()));
            propagation = propagation.with_updated_node(Arc::new(node) as Arc<dyn ExecutionPlan>);
        }
        Ok(propagation)
    }

    /// A re-run plan (a recursive query's next iteration) gets a fresh join
    /// without a dynamic filter; the old one would never complete again, so
    /// it is dropped, and a scan that gets no new one refuses to run.
    fn reset_state(self: Arc<Self>) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(lookup) = &self.lookup else {
            return Ok(self);
        };
        Ok(Arc::new(self.with_join_filter(lookup, None)))
    }

    fn partition_statistics(&self, _partition: Option<usize>) -> Result<Arc<Statistics>> {
        let rows = if self.lookup.is_some() {
            LOOKUP_ROWS_ESTIMATE
        } else {
            KEYED_ROWS_ESTIMATE
        };
        let columns = self.schema().fields().len();
        Ok(Arc::new(Statistics {
            num_rows: Precision::Inexact(rows),
            total_byte_size: Precision::Absent,
            column_statistics: vec![ColumnStatistics::new_unknown(); columns],
        }))
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
        let start = match &self.lookup {
            Some(lookup) => State::Lookup(lookup.clone(), self.request.clone()),
            None => State::Next(VecDeque::from([self.request.clone()])),
        };
        // What every poll needs, behind one Arc: cloned once per batch.
        let shared = Arc::new((
            self.connector.clone(),
            self.ctx.clone(),
            self.predicate.clone(),
            self.schema().fields().len(),
        ));
        let stream = futures::stream::unfold(start, move |mut state| {
            let shared = shared.clone();
            async move {
                let (connector, ctx, predicate, width) = &*shared;
                loop {
                    let (mut scan, rest) = match state {
                        State::Done => return None,
                        State::Lookup(lookup, base) => {
                            match lookup.requests(&base, connector, ctx).await {
                                Ok(requests) => {
                                    state = State::Next(requests);
                                    continue;
                                }
                                Err(e) => return Some((Err(e), State::Done)),
                            }
                        }
                        State::Next(mut requests) => {
                            let request = requests.pop_front()?;
                            match begin(connector.clone(), request, ctx.clone()).await {
                                Ok(scan) => (scan, requests),
                                Err(e) => return Some((Err(e), State::Done)),
                            }
                        }
                        State::Running(scan, rest) => (scan, rest),
                    };
                    let next = scan
                        .next()
                        .await
                        .map_err(|e| DataFusionError::External(Box::new(e)));
                    match next {
                        Ok(Some(batch)) => {
                            return Some((
                                finish(batch, predicate.as_ref(), *width),
                                State::Running(scan, rest),
                            ));
                        }
                        // This request is done: its instance is dropped
                        // before the next one starts.
                        Ok(None) => state = State::Next(rest),
                        Err(e) => return Some((Err(e), State::Done)),
                    }
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            stream,
        )))
    }
}
