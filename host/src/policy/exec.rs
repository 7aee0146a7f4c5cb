//! The physical boundary of a granted table: drops the rows its row filter
//! refuses, then outputs the visible columns with masks applied. Nothing a
//! query asks for above it may move below it unless it reads clear columns only.

use super::mask::mask_udf;
use datafusion::arrow::array::{AsArray, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{ColumnStatistics, Statistics};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_plan::filter_pushdown::{
    ChildFilterDescription, ChildPushdownResult, FilterDescription, FilterPushdownPhase,
    FilterPushdownPropagation,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildStats, DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties, StatisticsArgs,
};
use futures::StreamExt;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

/// One output column of a [`PolicyExec`].
#[derive(Debug, Clone)]
pub(crate) struct PolicyColumn {
    /// Its name (the same above and below).
    pub(crate) name: String,
    /// Its index in the input.
    pub(crate) input: usize,
    /// Whether it is masked.
    pub(crate) masked: bool,
}

/// Applies a table's row filter and masks to its scan.
///
/// What it refuses, on purpose: it claims no output ordering, keeps no input
/// order (`maintains_input_order` false, so no sort requirement is pushed
/// through it by index), takes no limit, never swaps with a projection, and
/// passes a parent filter down only when that filter reads clear columns.
#[derive(Debug)]
pub(crate) struct PolicyExec {
    input: Arc<dyn ExecutionPlan>,
    columns: Vec<PolicyColumn>,
    /// Compiled against the input's schema.
    row_filter: Option<Arc<dyn PhysicalExpr>>,
    /// One per output column: the input column, or the mask over it.
    outputs: Vec<Arc<dyn PhysicalExpr>>,
    config: Arc<ConfigOptions>,
    properties: Arc<PlanProperties>,
}

impl PolicyExec {
    /// Wraps `input`, outputting `columns` after keeping the rows where
    /// `row_filter` (compiled against `input`'s schema) is true.
    ///
    /// # Errors
    /// When a column is out of the input's range or the filter is not boolean.
    pub(crate) fn try_new(
        input: Arc<dyn ExecutionPlan>,
        columns: Vec<PolicyColumn>,
        row_filter: Option<Arc<dyn PhysicalExpr>>,
        config: Arc<ConfigOptions>,
    ) -> Result<Self> {
        let input_schema = input.schema();
        if let Some(filter) = &row_filter {
            let t = filter.data_type(&input_schema)?;
            if t != DataType::Boolean {
                return Err(DataFusionError::Internal(format!(
                    "a row filter gives {t}, not a boolean"
                )));
            }
        }
        let mut fields = Vec::with_capacity(columns.len());
        let mut outputs = Vec::with_capacity(columns.len());
        for c in &columns {
            if c.input >= input_schema.fields().len() {
                return Err(DataFusionError::Internal(format!(
                    "column {} is not in the scan below the policy",
                    c.name
                )));
            }
            let field = input_schema.field(c.input);
            let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(field.name(), c.input));
            if c.masked {
                fields.push(Field::new(&c.name, DataType::Utf8, field.is_nullable()));
                outputs.push(Arc::new(ScalarFunctionExpr::try_new(
                    mask_udf(),
                    vec![column],
                    &input_schema,
                    config.clone(),
                )?) as Arc<dyn PhysicalExpr>);
            } else {
                fields.push(field.as_ref().clone().with_name(&c.name));
                outputs.push(column);
            }
        }
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let properties = Arc::new(PlanProperties::new(
            // Deliberately empty: no ordering, no constants, no equivalences.
            // Claiming the input's order for a masked column would let a sort
            // on the masked value be skipped, showing rows in the real order.
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(input.output_partitioning().partition_count()),
            input.pipeline_behavior(),
            input.boundedness(),
        ));
        Ok(Self {
            input,
            columns,
            row_filter,
            outputs,
            config,
            properties,
        })
    }

    /// Output indices of the clear columns: the only ones a parent filter may
    /// read to be pushed below.
    fn clear_outputs(&self) -> HashSet<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.masked)
            .map(|(i, _)| i)
            .collect()
    }
}

/// Filters `batch` by `row_filter`, then evaluates the outputs.
fn apply(
    batch: &RecordBatch,
    row_filter: Option<&Arc<dyn PhysicalExpr>>,
    outputs: &[Arc<dyn PhysicalExpr>],
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    let filtered;
    let batch = match row_filter {
        None => batch,
        Some(filter) => {
            let keep = filter.evaluate(batch)?.into_array(batch.num_rows())?;
            let keep = keep.as_boolean_opt().ok_or_else(|| {
                DataFusionError::Internal("a row filter did not give booleans".into())
            })?;
            // NULL counts as false: a row the filter cannot decide is not shown.
            filtered = filter_record_batch(batch, keep)?;
            &filtered
        }
    };
    let rows = batch.num_rows();
    let columns = outputs
        .iter()
        .map(|e| e.evaluate(batch)?.into_array(rows))
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

impl DisplayAs for PolicyExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masked: Vec<&str> = self
            .columns
            .iter()
            .filter(|c| c.masked)
            .map(|c| c.name.as_str())
            .collect();
        write!(f, "PolicyExec: masked=[{}] row_filter=[", masked.join(", "))?;
        if let Some(filter) = &self.row_filter {
            write!(f, "{filter}")?;
        }
        write!(f, "]")
    }
}

impl ExecutionPlan for PolicyExec {
    fn name(&self) -> &str {
        "PolicyExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for e in self.row_filter.iter().chain(&self.outputs) {
            if f(e)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    /// A new child must have the old one's schema: the row filter and the
    /// outputs are bound to its column indices.
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [child] = <[_; 1]>::try_from(children).map_err(|c| {
            DataFusionError::Internal(format!("PolicyExec has one child, got {}", c.len()))
        })?;
        if child.schema().fields() != self.input.schema().fields() {
            return Err(DataFusionError::Internal(
                "PolicyExec's new child has another schema".into(),
            ));
        }
        Ok(Arc::new(Self::try_new(
            child,
            self.columns.clone(),
            self.row_filter.clone(),
            self.config.clone(),
        )?))
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
    }

    /// The input's row count (an upper bound under a row filter), which join
    /// ordering and lookups depend on; column statistics only for clear
    /// columns, since a masked column's minimum or maximum is a real value.
    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        let Some(input) = input_stats.first() else {
            return Ok(Arc::new(Statistics::new_unknown(&self.schema())));
        };
        let filtered = self.row_filter.is_some();
        let column_statistics = self
            .columns
            .iter()
            .map(|c| match input.column_statistics.get(c.input) {
                Some(s) if !c.masked && !filtered => s.clone(),
                Some(s) if !c.masked => s.clone().to_inexact(),
                _ => ColumnStatistics::new_unknown(),
            })
            .collect();
        let num_rows = if filtered {
            input.num_rows.to_inexact()
        } else {
            input.num_rows
        };
        Ok(Arc::new(Statistics {
            num_rows,
            total_byte_size: datafusion::common::stats::Precision::Absent,
            column_statistics,
        }))
    }

    fn gather_filters_for_pushdown(
        &self,
        _phase: FilterPushdownPhase,
        parent_filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> Result<FilterDescription> {
        // Filters (a join's dynamic key filter among them) that read only
        // clear columns are renumbered for the input and go down; anything
        // reading a masked column stays above, to see the masked value.
        Ok(FilterDescription::new().with_child(
            ChildFilterDescription::from_child_with_allowed_indices(
                &parent_filters,
                self.clear_outputs(),
                &self.input,
            )?,
        ))
    }

    fn handle_child_pushdown_result(
        &self,
        _phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        _config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        // A filter the input applies on clear columns holds for our output
        // too: the row filter and masks only drop rows and rewrite other columns.
        Ok(FilterPushdownPropagation::if_all(child_pushdown_result))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let row_filter = self.row_filter.clone();
        let outputs = self.outputs.clone();
        let schema = self.schema();
        let out_schema = schema.clone();
        // Under a row filter, "no such record" from the source would tell the
        // caller whether a record outside its rows exists: end the rows
        // instead, as for a record that exists but is filtered out.
        let hide_absence = row_filter.is_some();
        let stream = input
            .take_while(move |batch| {
                std::future::ready(!(hide_absence && batch.as_ref().is_err_and(is_not_found)))
            })
            .map(move |batch| {
                batch.and_then(|b| apply(&b, row_filter.as_ref(), &outputs, &out_schema))
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

/// Whether `e` is a connector saying the record asked for does not exist.
fn is_not_found(e: &datafusion::error::DataFusionError) -> bool {
    match e.find_root() {
        datafusion::error::DataFusionError::External(inner) => inner
            .downcast_ref::<crate::runtime::ConnectorError>()
            .is_some_and(|c| {
                matches!(
                    c,
                    crate::runtime::ConnectorError::Guest {
                        kind: crate::runtime::GuestErrorKind::NotFound,
                        ..
                    }
                )
            }),
        _ => false,
    }
}
