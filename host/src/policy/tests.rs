//! Policy resolution, and its enforcement in a real DataFusion session over
//! in-memory tables wrapped exactly as connector tables are (PolicyTable over
//! the inner table, PolicyExec over its scan), with the session settings of
//! `QueryService`.

use super::mask::mask_array;
use super::*;
use crate::query::{CATALOG, QuerySettings, base_state};
use crate::runtime::ColumnInfo;
use async_trait::async_trait;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::array::{
    Array, ArrayRef, Int64Array, RecordBatch, StringArray, as_string_array,
};
use datafusion::arrow::compute::{max_string, min_string};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::catalog::{
    CatalogProvider, MemTable, MemoryCatalogProvider, Session, TableProvider,
};
use datafusion::common::DFSchema;
use datafusion::common::config::ConfigOptions;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{ScalarValue, Statistics};
use datafusion::datasource::TableType;
use datafusion::error::Result as DfResult;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::filter_pushdown::{
    ChildPushdownResult, FilterDescription, FilterPushdownPhase, FilterPushdownPropagation,
};
use datafusion::physical_plan::limit::GlobalLimitExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, StatisticsArgs,
};
use datafusion::prelude::SessionContext;
use std::sync::{Arc, Mutex};

mod catalog;
mod mask_fn;
mod masks;
mod resolve;
mod row_filters;

fn column(name: &str, data_type: DataType, class: PersonalData) -> ColumnInfo {
    ColumnInfo {
        name: name.into(),
        data_type,
        nullable: true,
        description: String::new(),
        personal_data: class,
        catalog: None,
        filter_ops: vec![],
    }
}

fn table(name: &str, columns: Vec<ColumnInfo>) -> TableInfo {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, c.data_type.clone(), c.nullable))
            .collect::<Vec<_>>(),
    ));
    TableInfo {
        name: name.into(),
        description: String::new(),
        columns,
        access_paths: vec![],
        schema,
    }
}

fn connector(name: &str, tables: Vec<TableInfo>) -> ConnectorInfo {
    ConnectorInfo {
        name: name.into(),
        version: "0.1.0".into(),
        description: String::new(),
        tables,
    }
}

/// dan_cu.cong_dan, dan_cu.ho_khau, bhxh.the_bhyt.
fn connectors() -> Vec<ConnectorInfo> {
    use DataType::{Int64, Utf8};
    use PersonalData::{Basic, Identifier, None as Plain, Sensitive};
    vec![
        connector(
            "dan_cu",
            vec![
                table(
                    "cong_dan",
                    vec![
                        column("so_dinh_danh", Utf8, Identifier),
                        column("ho_ten", Utf8, Basic),
                        column("ma_tinh", Utf8, Plain),
                        column("ton_giao", Utf8, Sensitive),
                        column("so_bhxh", Int64, Identifier),
                    ],
                ),
                table(
                    "ho_khau",
                    vec![
                        column("ma_ho", Utf8, Plain),
                        column("chu_ho", Utf8, Identifier),
                    ],
                ),
            ],
        ),
        connector(
            "bhxh",
            vec![table(
                "the_bhyt",
                vec![
                    column("so_the", Utf8, Identifier),
                    column("so_dinh_danh", Utf8, Plain),
                ],
            )],
        ),
    ]
}

fn text(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// The rows behind each table. Two IDs share a mask (`001******345`).
fn data(schema: &str, table: &str, full: &SchemaRef) -> RecordBatch {
    let columns: Vec<ArrayRef> = match (schema, table) {
        ("dan_cu", "cong_dan") => vec![
            text(&[
                Some("001085012345"),
                Some("001190054321"),
                Some("079085000111"),
                Some("001999999345"),
                None,
            ]),
            text(&[
                Some("Nguyễn Văn An"),
                Some("Trần Thị Bình"),
                Some("Lê Văn Cường"),
                Some("Phạm Thị Dung"),
                Some("Vô Danh"),
            ]),
            text(&[Some("01"), Some("01"), Some("79"), Some("01"), Some("79")]),
            text(&[Some("Phật giáo"), None, Some("Không"), Some("Không"), None]),
            Arc::new(Int64Array::from(vec![
                Some(1_234_567_890),
                None,
                Some(7_900_000_111),
                Some(1_111_111_111),
                None,
            ])),
        ],
        ("dan_cu", "ho_khau") => vec![text(&[Some("HK1")]), text(&[Some("001085012345")])],
        ("bhxh", "the_bhyt") => vec![
            text(&[Some("HS4010012345678"), Some("GD4790000111000")]),
            text(&[Some("001085012345"), Some("079085000111")]),
        ],
        other => panic!("no data for {other:?}"),
    };
    RecordBatch::try_new(full.clone(), columns).expect("fixture batch")
}

/// One logical scan of an inner table.
#[derive(Debug)]
struct ScanRecord {
    table: String,
    /// The filters handed down, as displayed.
    filters: Vec<String>,
    /// The columns they read.
    columns: Vec<String>,
    limit: Option<usize>,
}

/// One physical filter pushed to an inner table's plan.
#[derive(Debug)]
struct PushRecord {
    table: String,
    filter: String,
    columns: Vec<String>,
    /// Every column's index is its index in the scan's schema.
    indices_right: bool,
}

/// What the inner tables were asked for.
#[derive(Debug, Default)]
struct Log {
    scans: Vec<ScanRecord>,
    pushed: Vec<PushRecord>,
}

type SharedLog = Arc<Mutex<Log>>;

/// A MemTable that takes every filter as exact and applies it itself, as a
/// connector does for its key columns (the strongest claim a source can make:
/// DataFusion then drops its own copy of the filter), and that records the
/// filters and limit it is handed; its plan records the physical filters
/// pushed to it, as a connector scan's would.
#[derive(Debug)]
struct RecordingTable {
    name: String,
    inner: MemTable,
    log: SharedLog,
}

#[async_trait]
impl TableProvider for RecordingTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Exact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let columns = filters
            .iter()
            .flat_map(|f| f.column_refs())
            .map(|c| c.name.clone())
            .collect();
        let shown = filters.iter().map(ToString::to_string).collect();
        self.log.lock().expect("log").scans.push(ScanRecord {
            table: self.name.clone(),
            filters: shown,
            columns,
            limit,
        });
        let full = self.inner.schema();
        let wanted: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..full.fields().len()).collect(),
        };
        let mut fetch = wanted.clone();
        for c in filters.iter().flat_map(|f| f.column_refs()) {
            let i = full.index_of(&c.name)?;
            if !fetch.contains(&i) {
                fetch.push(i);
            }
        }
        let mut plan = self.inner.scan(state, Some(&fetch), &[], None).await?;
        if let Some(predicate) = conjunction(filters.to_vec()) {
            let schema = DFSchema::try_from(plan.schema().as_ref().clone())?;
            let predicate =
                state.create_physical_expr(crate::query::unqualified(predicate)?, &schema)?;
            plan = Arc::new(FilterExec::try_new(predicate, plan)?);
        }
        let outputs: Vec<(Arc<dyn PhysicalExpr>, String)> = wanted
            .iter()
            .enumerate()
            .map(|(i, &f)| {
                let name = full.field(f).name().clone();
                (
                    Arc::new(Column::new(&name, i)) as Arc<dyn PhysicalExpr>,
                    name,
                )
            })
            .collect();
        let mut input: Arc<dyn ExecutionPlan> = Arc::new(ProjectionExec::try_new(outputs, plan)?);
        if let Some(limit) = limit {
            input = Arc::new(GlobalLimitExec::new(input, 0, Some(limit)));
        }
        Ok(Arc::new(RecordingExec {
            name: self.name.clone(),
            properties: input.properties().clone(),
            input,
            log: self.log.clone(),
        }))
    }
}

#[derive(Debug)]
struct RecordingExec {
    name: String,
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
    log: SharedLog,
}

impl DisplayAs for RecordingExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordingExec: {}", self.name)
    }
}

impl ExecutionPlan for RecordingExec {
    fn name(&self) -> &str {
        "RecordingExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self {
            name: self.name.clone(),
            input: children.remove(0),
            properties: self.properties.clone(),
            log: self.log.clone(),
        }))
    }

    fn gather_filters_for_pushdown(
        &self,
        _phase: FilterPushdownPhase,
        parent_filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> DfResult<FilterDescription> {
        let schema = self.input.schema();
        let mut log = self.log.lock().expect("log");
        for filter in &parent_filters {
            let columns: Vec<Column> = collect_columns(filter).into_iter().collect();
            let indices_right = columns
                .iter()
                .all(|c| schema.index_of(c.name()).is_ok_and(|i| i == c.index()));
            log.pushed.push(PushRecord {
                table: self.name.clone(),
                filter: filter.to_string(),
                columns: columns.iter().map(|c| c.name().to_owned()).collect(),
                indices_right,
            });
        }
        Ok(FilterDescription::all_unsupported(
            &parent_filters,
            &self.children(),
        ))
    }

    fn handle_child_pushdown_result(
        &self,
        _phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        _config: &ConfigOptions,
    ) -> DfResult<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        Ok(FilterPushdownPropagation::all_unsupported(
            child_pushdown_result,
        ))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }
}

/// A MemTable whose scans state exact statistics: the row count, and the
/// minimum and maximum of text columns (real values, as a source's would be).
#[derive(Debug)]
struct StatsTable {
    inner: MemTable,
}

#[async_trait]
impl TableProvider for StatsTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let input = self.inner.scan(state, projection, filters, limit).await?;
        let batches = datafusion::physical_plan::collect(input.clone(), state.task_ctx()).await?;
        let mut stats = Statistics::new_unknown(&input.schema());
        stats.num_rows = Precision::Exact(batches.iter().map(RecordBatch::num_rows).sum());
        if let [batch] = batches.as_slice() {
            for (i, column) in batch.columns().iter().enumerate() {
                if let Some(text) = column.as_string_opt::<i32>() {
                    let s = &mut stats.column_statistics[i];
                    s.max_value = Precision::Exact(ScalarValue::from(max_string(text)));
                    s.min_value = Precision::Exact(ScalarValue::from(min_string(text)));
                    s.null_count = Precision::Exact(text.null_count());
                }
            }
        }
        Ok(Arc::new(StatsExec {
            properties: input.properties().clone(),
            input,
            stats: Arc::new(stats),
        }))
    }
}

#[derive(Debug)]
struct StatsExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
    stats: Arc<Statistics>,
}

impl DisplayAs for StatsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StatsExec")
    }
}

impl ExecutionPlan for StatsExec {
    fn name(&self) -> &str {
        "StatsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> DfResult<Arc<Statistics>> {
        Ok(self.stats.clone())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }
}

/// A session as `QueryService` builds it, whose catalog holds what `policy`
/// grants over recording in-memory tables.
struct Fixture {
    ctx: SessionContext,
    log: SharedLog,
}

impl Fixture {
    fn new(policy: &Policy) -> Self {
        Self::build(policy, true)
    }

    /// Over MemTables that take no filter and give exact statistics (row
    /// count, text minimum and maximum).
    fn plain(policy: &Policy) -> Self {
        Self::build(policy, false)
    }

    fn build(policy: &Policy, recording: bool) -> Self {
        let state = base_state(&QuerySettings::default()).expect("session state");
        let log = SharedLog::default();
        let all = connectors();
        let catalog = MemoryCatalogProvider::new();
        for (schema_name, access) in &policy.schemas {
            let info = all.connector(schema_name).expect("fixture schema");
            let tables = access.tables.iter().map(|(name, granted)| {
                let full = info.table(name).expect("fixture table").schema.clone();
                let batch = data(schema_name, name, &full);
                let memory = MemTable::try_new(full, vec![vec![batch]]).expect("memtable");
                let inner: Arc<dyn TableProvider> = if recording {
                    Arc::new(RecordingTable {
                        name: name.clone(),
                        inner: memory,
                        log: log.clone(),
                    })
                } else {
                    Arc::new(StatsTable { inner: memory })
                };
                let qualified = format!("{schema_name}.{name}");
                let table = PolicyTable::new(qualified, inner, granted, &state);
                (name.clone(), table)
            });
            catalog
                .register_schema(schema_name, Arc::new(PolicySchema::new(tables)))
                .expect("register schema");
        }
        let ctx = SessionContext::new_with_state(state);
        ctx.register_catalog(CATALOG, Arc::new(catalog));
        Self { ctx, log }
    }

    /// Rows as `a|b|c`, NULL as `NULL`, in result order.
    async fn rows(&self, sql: &str) -> Result<Vec<String>, String> {
        let frame = self.ctx.sql(sql).await.map_err(|e| e.strip_backtrace())?;
        let batches = frame.collect().await.map_err(|e| e.strip_backtrace())?;
        let options = FormatOptions::default().with_null("NULL");
        let mut out = Vec::new();
        for batch in &batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            for row in 0..batch.num_rows() {
                let cells: Vec<String> = formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect();
                out.push(cells.join("|"));
            }
        }
        Ok(out)
    }

    async fn ok(&self, sql: &str) -> Vec<String> {
        match self.rows(sql).await {
            Ok(rows) => rows,
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    async fn err(&self, sql: &str) -> String {
        match self.rows(sql).await {
            Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
            Err(e) => e,
        }
    }

    async fn sorted(&self, sql: &str) -> Vec<String> {
        let mut rows = self.ok(sql).await;
        rows.sort();
        rows
    }

    async fn columns(&self, sql: &str) -> Vec<String> {
        let frame = self.ctx.sql(sql).await.expect("plans");
        frame
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Every column name any filter handed to `table`'s source read.
    fn columns_reaching(&self, table: &str) -> Vec<String> {
        let log = self.log.lock().expect("log");
        let logical = log
            .scans
            .iter()
            .filter(|s| s.table == table)
            .flat_map(|s| s.columns.clone());
        let physical = log
            .pushed
            .iter()
            .filter(|p| p.table == table)
            .flat_map(|p| p.columns.clone());
        logical.chain(physical).collect()
    }
}

struct Grant {
    schema: &'static str,
    table: Option<&'static str>,
    columns: Vec<String>,
    clear: Vec<String>,
    row_filter: Option<&'static str>,
}

fn grant(schema: &'static str, table: Option<&'static str>) -> Grant {
    Grant {
        schema,
        table,
        columns: vec![],
        clear: vec![],
        row_filter: None,
    }
}

impl Grant {
    fn columns(mut self, names: &[&str]) -> Self {
        self.columns = names.iter().map(|s| (*s).to_owned()).collect();
        self
    }
    fn clear(mut self, names: &[&str]) -> Self {
        self.clear = names.iter().map(|s| (*s).to_owned()).collect();
        self
    }
    fn filter(mut self, sql: &'static str) -> Self {
        self.row_filter = Some(sql);
        self
    }
    fn view(&self) -> GrantView<'_> {
        GrantView {
            schema: self.schema,
            table: self.table,
            columns: &self.columns,
            clear_columns: &self.clear,
            row_filter: self.row_filter,
        }
    }
}

fn policy(grants: &[Grant]) -> Policy {
    let views: Vec<GrantView<'_>> = grants.iter().map(Grant::view).collect();
    resolve(&views, connectors().as_slice())
}

/// `name` or `name*` (masked) per visible column of `schema.table`.
fn shown(policy: &Policy, schema: &str, table: &str) -> Vec<String> {
    policy
        .table(schema, table)
        .map(|t| {
            t.columns
                .iter()
                .map(|c| format!("{}{}", c.name, if c.masked { "*" } else { "" }))
                .collect()
        })
        .unwrap_or_default()
}
