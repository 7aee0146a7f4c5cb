//! SQL over connectors with Apache DataFusion: a per-request catalog, read-only
//! statements, a memory pool and a time limit per query, and results streamed as
//! they are produced.

mod catalog;
mod danh_muc;
mod error;
mod exec;
mod filters;
mod guard;
mod lookup;
mod table;

pub use error::{MissingKeyFilter, QueryError};
pub use guard::MAX_SQL_BYTES;
pub use lookup::TooManyKeys;
#[cfg(test)]
pub(crate) use table::unqualified;

use crate::catalogs::CatalogService;
use crate::policy::Policy;
use crate::runtime::{CallContext, Registry};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::registry::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// The SQL schema of the shared catalogs; no connector may take this name.
pub const CATALOG_SCHEMA: &str = danh_muc::SCHEMA;

/// The SQL catalog every connector schema lives in.
pub const CATALOG: &str = "lgsp";

/// Scalar functions that build a value as large as a number argument asks
/// (`repeat('x', 2000000000)`) in one allocation that the memory pool does
/// not see. They are not offered until they can be capped.
const AMPLIFYING_FUNCTIONS: &[&str] = &[
    "repeat",
    "lpad",
    "rpad",
    "array_repeat",
    "array_resize",
    "range",
    "generate_series",
];

/// Limits and tuning of the query engine.
#[derive(Debug, Clone, Copy)]
pub struct QuerySettings {
    /// Wall-clock limit of one query, planning and streaming included.
    pub timeout: Duration,
    /// Memory one query may use for joins, sorts and aggregates, in bytes.
    pub memory_limit_bytes: usize,
    /// Rows per batch inside DataFusion.
    pub batch_size: usize,
    /// Parallelism inside one query. One by default: queries here wait on
    /// agency systems far more than they compute, and concurrent requests
    /// already use every core; a second partition costs more than it saves
    /// (docs/performance.md).
    pub target_partitions: usize,
    /// Distinct keys a join may hand to one connector table as a lookup
    /// list (DataFusion's IN-list dynamic filter); more is refused.
    pub max_lookup_keys: usize,
}

impl Default for QuerySettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            memory_limit_bytes: 256 << 20,
            batch_size: 8192,
            target_partitions: 1,
            max_lookup_keys: 10_000,
        }
    }
}

/// Runs SQL for callers.
#[derive(Debug)]
pub struct QueryService {
    registry: Arc<Registry>,
    catalogs: Arc<CatalogService>,
    settings: QuerySettings,
}

impl QueryService {
    /// A service over the connectors in `registry` and the shared catalogs.
    pub fn new(
        registry: Arc<Registry>,
        catalogs: Arc<CatalogService>,
        settings: QuerySettings,
    ) -> Self {
        Self {
            registry,
            catalogs,
            settings,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &QuerySettings {
        &self.settings
    }

    fn memory_limit_mib(&self) -> u64 {
        (self.settings.memory_limit_bytes >> 20) as u64
    }

    /// A session whose catalog holds what `policy` grants (plus the shared
    /// catalogs, which everyone sees), each table behind its masks and row filter.
    fn session(
        &self,
        ctx: Arc<CallContext>,
        policy: &Policy,
    ) -> Result<SessionContext, QueryError> {
        let state = base_state(&self.settings)?;
        let catalog = MemoryCatalogProvider::new();
        let index = self.catalogs.index();
        catalog
            .register_schema(
                danh_muc::SCHEMA,
                Arc::new(danh_muc::CatalogSchema::new(index.clone())),
            )
            .map_err(|e| QueryError::Internal(e.to_string()))?;
        let snapshot = self.registry.snapshot();
        for (name, access) in &policy.schemas {
            // Start-up refuses this name (server.rs); a schema must never
            // shadow the catalogs, whoever built the registry or the policy.
            if name == danh_muc::SCHEMA {
                continue;
            }
            let Some(connector) = snapshot.serving(name) else {
                continue;
            };
            let schema = catalog::connector_schema(
                connector,
                access,
                &ctx,
                self.settings.max_lookup_keys,
                &state,
            );
            catalog
                .register_schema(name, Arc::new(schema))
                .map_err(|e| QueryError::Internal(e.to_string()))?;
        }
        let session = SessionContext::new_with_state(state);
        session.register_udtf(
            danh_muc::AS_OF_FUNCTION,
            Arc::new(danh_muc::AsOf::new(index)),
        );
        session.register_catalog(CATALOG, Arc::new(catalog));
        Ok(session)
    }

    /// Plans and starts `sql` over what `policy` lets this caller see.
    /// Planning errors (including a missing key filter, or a table the policy
    /// does not grant: "not found") come back here, before any connector is called.
    ///
    /// # Errors
    /// Any [`QueryError`].
    pub async fn execute(
        &self,
        sql: &str,
        ctx: CallContext,
        policy: Arc<Policy>,
    ) -> Result<QueryStream, QueryError> {
        let deadline = tokio::time::Instant::now() + self.settings.timeout;
        let statement = guard::parse_read_only(sql)?;
        let session = self.session(Arc::new(ctx), &policy)?;
        let limit = self.memory_limit_mib();
        let df_err = |e| QueryError::from_datafusion(e, limit);
        let plan = async {
            let state = session.state();
            let plan = state.statement_to_plan(statement).await.map_err(df_err)?;
            guard::sql_options()
                .verify_plan(&plan)
                .map_err(|e| match e.find_root() {
                    datafusion::error::DataFusionError::Plan(m) => {
                        QueryError::NotAllowed(m.clone())
                    }
                    _ => df_err(e),
                })?;
            let frame = session.execute_logical_plan(plan).await.map_err(df_err)?;
            let task = frame.task_ctx();
            let physical = frame.create_physical_plan().await.map_err(df_err)?;
            // A scan that waits for keys from a join but that no join feeds
            // is refused now, before any connector is called.
            if let Some(missing) = missing_keys(&physical) {
                return Err(QueryError::MissingKeyFilter(missing));
            }
            let mut scans = Vec::new();
            table_scans(&physical, &mut scans);
            datafusion::physical_plan::execute_stream(physical, Arc::new(task))
                .map(|stream| (stream, scans))
                .map_err(df_err)
        };
        let (inner, scans) = tokio::time::timeout_at(deadline, plan)
            .await
            .map_err(|_| QueryError::Timeout(self.settings.timeout))??;
        let schema = inner.schema();
        let inner = Arc::new(tokio::sync::Mutex::new(Some(inner)));
        // The deadline must free connector instances even when nobody pulls
        // (a client that stops reading): at the deadline, drop the stream.
        let held = inner.clone();
        let watchdog = tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            held.lock().await.take();
        })
        .abort_handle();
        Ok(QueryStream {
            schema,
            scans,
            inner,
            watchdog,
            deadline,
            timeout: self.settings.timeout,
            memory_limit_mib: limit,
            done: false,
        })
    }
}

/// A session state with the engine's settings and limits and no catalog yet:
/// the functions a query may call, the memory pool, no disk.
pub(crate) fn base_state(settings: &QuerySettings) -> Result<SessionState, QueryError> {
    let mut config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, "public")
        .with_create_default_catalog_and_schema(false)
        .with_information_schema(true)
        .with_batch_size(settings.batch_size)
        .with_target_partitions(settings.target_partitions);
    let optimizer = &mut config.options_mut().optimizer;
    // Joins hand their build-side keys to connector scans as an IN list
    // (lookup.rs); up to the platform's key limit, that list must not
    // degrade to a hash-table filter a connector cannot read.
    optimizer.hash_join_inlist_pushdown_max_distinct_values = settings.max_lookup_keys;
    optimizer.hash_join_inlist_pushdown_max_size = settings.max_lookup_keys.saturating_mul(1024);
    // Only joins may feed a scan its keys: a TopK or aggregate filter is
    // never complete before the scan ends, so a scan waiting on it would wait forever.
    optimizer.enable_topk_dynamic_filter_pushdown = false;
    optimizer.enable_aggregate_dynamic_filter_pushdown = false;
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(GreedyMemoryPool::new(settings.memory_limit_bytes)))
        // Spilling would write query data to disk; a query that does not fit
        // in memory fails instead.
        .with_disk_manager_builder(
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
        )
        .build_arc()
        .map_err(|e| QueryError::Internal(e.to_string()))?;
    let mut state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_default_features()
        .build();
    for name in AMPLIFYING_FUNCTIONS {
        state
            .deregister_udf(name)
            .map_err(|e| QueryError::Internal(e.to_string()))?;
    }
    Ok(state)
}

/// The first connector scan in `plan` that needs keys no join supplies.
fn missing_keys(
    plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
) -> Option<MissingKeyFilter> {
    if let Some(scan) = plan.downcast_ref::<exec::ConnectorScanExec>()
        && let Some(missing) = scan.missing_keys()
    {
        return Some(missing.clone());
    }
    plan.children().into_iter().find_map(missing_keys)
}

/// A connector table a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableScan {
    /// The connector's schema.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The columns fetched, in first-seen order.
    pub columns: Vec<String>,
}

/// Every connector table `plan` scans; a table scanned twice (a self-join)
/// is listed once with the union of its columns.
fn table_scans(plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>, out: &mut Vec<TableScan>) {
    if let Some(scan) = plan.downcast_ref::<exec::ConnectorScanExec>() {
        let (schema, request) = scan.scanned();
        let at = out
            .iter()
            .position(|s| s.schema == schema && s.table == request.table);
        let entry = match at {
            Some(i) => &mut out[i],
            None => {
                out.push(TableScan {
                    schema: schema.to_owned(),
                    table: request.table.clone(),
                    columns: Vec::new(),
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        for column in &request.columns {
            if !entry.columns.contains(column) {
                entry.columns.push(column.clone());
            }
        }
    }
    for child in plan.children() {
        table_scans(child, out);
    }
}

/// The batches of a running query. Its deadline holds whether or not anyone
/// pulls: a watchdog drops the underlying stream (and the connector instances
/// it holds) when the time is up.
pub struct QueryStream {
    schema: SchemaRef,
    scans: Vec<TableScan>,
    inner: Arc<tokio::sync::Mutex<Option<SendableRecordBatchStream>>>,
    watchdog: tokio::task::AbortHandle,
    deadline: tokio::time::Instant,
    timeout: Duration,
    memory_limit_mib: u64,
    done: bool,
}

impl Drop for QueryStream {
    fn drop(&mut self) {
        self.watchdog.abort();
        // Release connector instances now rather than at the deadline.
        if let Ok(mut inner) = self.inner.try_lock() {
            inner.take();
        }
    }
}

impl std::fmt::Debug for QueryStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryStream")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl QueryStream {
    /// The result's schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The connector tables the query reads and the columns it fetches from
    /// each (after the policy: only granted columns), for the audit log.
    pub fn scans(&self) -> &[TableScan] {
        &self.scans
    }

    /// The next batch, or `None` at the end.
    ///
    /// # Errors
    /// Any [`QueryError`]; nothing follows an error.
    pub async fn next(&mut self) -> Result<Option<RecordBatch>, QueryError> {
        if self.done {
            return Ok(None);
        }
        let mut guard = self.inner.lock().await;
        let Some(inner) = guard.as_mut() else {
            self.done = true;
            return Err(QueryError::Timeout(self.timeout));
        };
        let result = match tokio::time::timeout_at(self.deadline, inner.next()).await {
            Err(_) => Err(QueryError::Timeout(self.timeout)),
            Ok(None) => Ok(None),
            Ok(Some(Ok(batch))) => Ok(Some(batch)),
            Ok(Some(Err(e))) => Err(QueryError::from_datafusion(e, self.memory_limit_mib)),
        };
        if result.is_err() {
            guard.take();
        }
        drop(guard);
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }
}
