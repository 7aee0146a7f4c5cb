//! A loaded connector and the calls into it: each call gets a fresh instance from
//! the pre-instantiated template, a deadline, a memory limit and (for scans) an
//! output cap; every failure becomes a [`ConnectorError`] naming what was hit.

use super::bindings::exports::lgsp::connector::source::Guest;
use super::bindings::lgsp::connector::types as wit;
use super::bindings::{Connector, ConnectorPre};
use super::catalog_lookup::CatalogHandle;
use super::description::{ConnectorInfo, FilterOp};
use super::error::{ConnectorError, GuestErrorKind};
use super::gate::{CallBudget, UpstreamGate};
use super::ipc;
use super::manifest::{Limits, MonitorPolicy, UpstreamLimits};
use super::outbound::{Denial, DenialKind, Forwarded, OutboundHooks, OutboundPolicy};
use super::store::{self, DeadlineExceeded, InstanceIdentity, StoreState};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use futures::future::BoxFuture;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceAny;
use wasmtime::{Store, Trap};

/// Who a call is made for.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// Platform request id.
    pub request_id: String,
    /// Consumer agency code.
    pub consumer: String,
    /// Stated purpose.
    pub purpose: String,
    /// Upstream calls made so far per connector, against each one's ceiling;
    /// `None` for the platform's own calls, which have no ceiling.
    pub(crate) budgets: Option<Arc<CallBudgets>>,
}

impl CallContext {
    /// A context for the platform's own calls (loading, health checks).
    pub fn platform(request_id: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            consumer: "lgsp".into(),
            purpose: "platform operation".into(),
            budgets: None,
        }
    }

    /// A context for a consumer's request, with a ceiling on upstream calls.
    pub fn request(
        request_id: impl Into<String>,
        consumer: impl Into<String>,
        purpose: impl Into<String>,
    ) -> Self {
        Self {
            request_id: request_id.into(),
            consumer: consumer.into(),
            purpose: purpose.into(),
            budgets: Some(Arc::default()),
        }
    }

    /// Upstream calls this request has made to `connector` so far.
    pub fn upstream_calls(&self, connector: &str) -> u32 {
        self.budgets
            .as_ref()
            .and_then(|b| b.peek(connector))
            .map_or(0, |b| b.used())
    }
}

/// The call budgets of one request, one per connector it touches.
#[derive(Debug, Default)]
pub(crate) struct CallBudgets(std::sync::Mutex<std::collections::HashMap<String, Arc<CallBudget>>>);

impl CallBudgets {
    fn get(&self, connector: &str, max: u32) -> Arc<CallBudget> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(connector.to_owned())
            .or_insert_with(|| Arc::new(CallBudget::new(max)))
            .clone()
    }

    fn peek(&self, connector: &str) -> Option<Arc<CallBudget>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(connector)
            .cloned()
    }
}

/// A literal in a pushed-down filter.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// NULL.
    Null,
    /// Boolean.
    Boolean(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Text(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since the epoch, UTC.
    Timestamp(i64),
    /// Decimal in plain notation.
    Decimal(String),
    /// Bytes.
    Binary(Vec<u8>),
}

/// A filter pushed into a scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Column.
    pub column: String,
    /// Operator.
    pub op: FilterOp,
    /// Values (several for `IN`, none for null tests).
    pub values: Vec<FilterValue>,
}

/// A scan of one table.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Table name.
    pub table: String,
    /// Columns to return, in order.
    pub columns: Vec<String>,
    /// Conjunctive filters.
    pub filters: Vec<Filter>,
    /// Row limit, only when the connector applies every filter exactly.
    pub limit: Option<u64>,
    /// The access path chosen for this scan (index into the table's paths).
    pub access_path: Option<u32>,
}

/// Level-2 health of a connector as it reported it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HealthReport {
    /// `up`, `degraded` or `down`.
    pub status: &'static str,
    /// One entry per dependency checked.
    pub dependencies: Vec<DependencyHealth>,
}

/// One dependency in a [`HealthReport`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct DependencyHealth {
    /// Name.
    pub name: String,
    /// `up`, `degraded` or `down`.
    pub status: &'static str,
    /// Check latency.
    pub latency_ms: Option<u32>,
    /// What the check found.
    pub message: Option<String>,
}

/// The parts needed to run calls into one connector.
#[derive(Clone)]
pub(crate) struct Sandbox {
    pub(crate) name: Arc<str>,
    pub(crate) pre: ConnectorPre<StoreState>,
    pub(crate) limits: Limits,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    pub(crate) policy: Arc<OutboundPolicy>,
    /// Rate and concurrency limits shared by every request to this connector.
    pub(crate) gate: Arc<UpstreamGate>,
    /// What the manifest says about the upstream's limits.
    pub(crate) upstream_limits: UpstreamLimits,
    /// Upstream calls one query may make.
    pub(crate) max_calls_per_query: u32,
    /// What the connector's `catalogs` lookups are answered from.
    pub(crate) catalogs: CatalogHandle,
    /// The secret that signs what this connector sends upstream.
    pub(crate) upstream_secret: Option<Arc<str>>,
    /// The provider agency the manifest names.
    pub(crate) provider: Option<String>,
    /// How the platform watches its health (`[monitor]`).
    pub(crate) monitor: MonitorPolicy,
    /// The administrator's kill switch for this connector name.
    pub(crate) switch: Arc<super::switch::KillSwitch>,
}

/// A live instance of a connector.
struct Instance {
    store: Store<StoreState>,
    bindings: Connector,
    /// Refused outgoing requests before the current call started.
    denials_before_call: usize,
}

impl Sandbox {
    async fn instantiate(&self, ctx: &CallContext) -> Result<Instance, ConnectorError> {
        let identity = InstanceIdentity {
            connector: self.name.clone(),
            request_id: ctx.request_id.as_str().into(),
            config: self.config.clone(),
        };
        let forwarded = Forwarded {
            request_id: ctx.request_id.clone(),
            consumer: ctx.consumer.clone(),
            purpose: ctx.purpose.clone(),
            secret: self.upstream_secret.clone(),
        };
        let budget = ctx
            .budgets
            .as_ref()
            .map(|b| b.get(&self.name, self.max_calls_per_query));
        let outbound = OutboundHooks::new(
            self.policy.clone(),
            Some(forwarded),
            self.gate.clone(),
            budget,
        );
        let state = StoreState::new(
            identity,
            outbound,
            self.catalogs.clone(),
            self.limits.memory_bytes,
        );
        let mut store = Store::new(self.pre.engine(), state);
        // One call returns at most one batch of the scan's output, plus room
        // for the request and headers of outgoing HTTP.
        let max_transfer = usize::try_from(self.limits.max_output_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(1 << 20);
        store::prepare(&mut store, max_transfer);
        store.data_mut().deadline = Instant::now() + self.limits.call_timeout;
        match self.pre.instantiate_async(&mut store).await {
            Ok(bindings) => Ok(Instance {
                store,
                bindings,
                denials_before_call: 0,
            }),
            Err(e) => Err(self.classify(e, store.data())),
        }
    }

    /// Runs one call under the deadline; `call` gets the store and the guest.
    async fn call<T>(
        &self,
        instance: &mut Instance,
        call: impl for<'s> FnOnce(
            &'s mut Store<StoreState>,
            &'s Guest,
        ) -> BoxFuture<'s, wasmtime::Result<T>>,
    ) -> Result<T, ConnectorError> {
        let limit = self.limits.call_timeout;
        instance.store.data_mut().deadline = Instant::now() + limit;
        instance.denials_before_call = instance.store.data().outbound.denial_count();
        let result = {
            let guest = instance.bindings.lgsp_connector_source();
            tokio::time::timeout(limit, call(&mut instance.store, guest)).await
        };
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                let error = self.classify(e, instance.store.data());
                // A connector that panicked on a refused call or a cut-off
                // answer (an `unwrap()` on it) was stopped by that limit.
                if matches!(error, ConnectorError::Crashed { .. })
                    && let Err(limit) = self.cut_short(instance)
                {
                    return Err(limit);
                }
                Err(error)
            }
            Err(_elapsed) => Err(self.timeout()),
        }
    }

    fn timeout(&self) -> ConnectorError {
        ConnectorError::Timeout {
            connector: self.name.to_string(),
            limit_ms: u64::try_from(self.limits.call_timeout.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Turns a trap or host error into the limit or failure it stands for.
    fn classify(&self, e: wasmtime::Error, state: &StoreState) -> ConnectorError {
        let connector = self.name.to_string();
        if state.limiter.memory_exceeded {
            return ConnectorError::MemoryLimit {
                connector,
                limit_mib: (self.limits.memory_bytes >> 20) as u64,
            };
        }
        if e.downcast_ref::<DeadlineExceeded>().is_some() {
            return self.timeout();
        }
        if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
            .is_some()
        {
            return ConnectorError::Busy { connector };
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::StackOverflow) => ConnectorError::StackOverflow { connector },
            Some(Trap::Interrupt) => self.timeout(),
            Some(trap) => {
                let panicked = state.panic_message.is_some();
                ConnectorError::Crashed {
                    connector,
                    reason: if panicked {
                        "panic".into()
                    } else {
                        trap.to_string()
                    },
                    detail: state.panic_message.clone(),
                }
            }
            // Not a trap, but the call failed: the guest broke the canonical
            // ABI or misused a host resource (our own failures surface as
            // traps too). Its fault, so a 502, with the detail in the log.
            None => {
                tracing::warn!(connector, error = %format!("{e:#}"), "connector call failed");
                ConnectorError::Crashed {
                    connector,
                    reason: "invalid use of the host interface".into(),
                    detail: None,
                }
            }
        }
    }

    /// Fails once the instance has run into the query's upstream-call ceiling
    /// or had an upstream answer cut off at the response cap, whatever the
    /// connector made of it: its answer cannot be complete.
    fn cut_short(&self, instance: &Instance) -> Result<(), ConnectorError> {
        let outbound = &instance.store.data().outbound;
        if let Some(limit) = outbound.ceiling_hit() {
            return Err(ConnectorError::UpstreamCallLimit {
                connector: self.name.to_string(),
                limit,
            });
        }
        outbound
            .response_cut()
            .map_or(Ok(()), |cut| Err(self.denial_error(cut)))
    }

    /// The error a refused or cut-off outgoing request stands for.
    fn denial_error(&self, denial: Denial) -> ConnectorError {
        let connector = self.name.to_string();
        match denial.kind {
            DenialKind::Ceiling(limit) => ConnectorError::UpstreamCallLimit { connector, limit },
            DenialKind::Throttled => ConnectorError::UpstreamThrottled {
                connector,
                reason: denial.reason,
            },
            DenialKind::Policy => ConnectorError::NetworkDenied {
                connector,
                target: denial.target,
                reason: denial.reason,
            },
            DenialKind::ResponseTooLarge(limit_bytes) => ConnectorError::UpstreamResponseTooLarge {
                connector,
                target: denial.target,
                limit_bytes,
            },
        }
    }

    /// A typed error the guest returned; a refused outgoing request the host
    /// saw during the call takes precedence over the guest's account of it.
    fn guest_error(&self, e: wit::ConnectorError, instance: &Instance) -> ConnectorError {
        let refused = instance
            .store
            .data()
            .outbound
            .denial_since(instance.denials_before_call);
        if let Some(denial) = refused {
            return self.denial_error(denial);
        }
        let kind = match e.kind {
            wit::ErrorKind::BadRequest => GuestErrorKind::BadRequest,
            wit::ErrorKind::NotFound => GuestErrorKind::NotFound,
            wit::ErrorKind::UpstreamUnavailable => GuestErrorKind::UpstreamUnavailable,
            wit::ErrorKind::UpstreamError => GuestErrorKind::UpstreamError,
            wit::ErrorKind::Timeout => GuestErrorKind::Timeout,
            wit::ErrorKind::Internal => GuestErrorKind::Internal,
        };
        let mut message = e.message;
        if message.len() > 1024 {
            let mut end = 1024;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        ConnectorError::Guest {
            connector: self.name.to_string(),
            kind,
            message,
            retry_after: e.retry_after_seconds,
        }
    }

    /// Calls `describe()` in a fresh instance.
    pub(crate) async fn describe(
        &self,
        ctx: &CallContext,
    ) -> Result<wit::ConnectorInfo, ConnectorError> {
        let mut instance = self.instantiate(ctx).await?;
        self.call(&mut instance, |store, guest| {
            Box::pin(guest.call_describe(store))
        })
        .await
    }

    /// Calls `health()` in a fresh instance.
    pub(crate) async fn health(&self, ctx: &CallContext) -> Result<HealthReport, ConnectorError> {
        let mut instance = self.instantiate(ctx).await?;
        let report = self
            .call(&mut instance, |store, guest| {
                Box::pin(guest.call_health(store))
            })
            .await?;
        Ok(HealthReport {
            status: status_name(report.status),
            dependencies: report
                .dependencies
                .into_iter()
                .map(|d| DependencyHealth {
                    name: d.name,
                    status: status_name(d.status),
                    latency_ms: d.latency_ms,
                    message: d.message,
                })
                .collect(),
        })
    }
}

fn status_name(s: wit::HealthStatus) -> &'static str {
    match s {
        wit::HealthStatus::Up => "up",
        wit::HealthStatus::Degraded => "degraded",
        wit::HealthStatus::Down => "down",
    }
}

/// A connector ready to serve: its sandbox and validated description.
pub struct LoadedConnector {
    pub(crate) sandbox: Sandbox,
    pub(crate) info: ConnectorInfo,
    pub(crate) sha256: String,
}

impl std::fmt::Debug for LoadedConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedConnector")
            .field("name", &self.info.name)
            .field("version", &self.info.version)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

impl LoadedConnector {
    /// What the connector described.
    pub fn info(&self) -> &ConnectorInfo {
        &self.info
    }

    /// The code of the agency the manifest names as provider.
    pub fn provider(&self) -> Option<&str> {
        self.sandbox.provider.as_deref()
    }

    /// How the platform watches its health (the manifest's `[monitor]`).
    pub fn monitor(&self) -> &MonitorPolicy {
        &self.sandbox.monitor
    }

    /// SHA-256 of the component.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The same component and description with other configuration values:
    /// what a configuration change swaps in, without compiling or describing
    /// again. Rate and concurrency limits stay shared with `self`, so
    /// requests in flight on either count against the same budget.
    pub fn with_config(&self, config: BTreeMap<String, String>) -> Self {
        let mut sandbox = self.sandbox.clone();
        sandbox.config = Arc::new(config);
        Self {
            sandbox,
            info: self.info.clone(),
            sha256: self.sha256.clone(),
        }
    }

    /// Whether the administrator has suspended this connector.
    pub fn is_suspended(&self) -> bool {
        self.sandbox.switch.is_suspended()
    }

    /// The limits it runs under.
    pub fn limits(&self) -> Limits {
        self.sandbox.limits
    }

    /// The limits its upstream stated in the manifest.
    pub fn upstream_limits(&self) -> &UpstreamLimits {
        &self.sandbox.upstream_limits
    }

    /// Upstream calls one query may make to this connector's upstream.
    pub fn max_calls_per_query(&self) -> u32 {
        self.sandbox.max_calls_per_query
    }

    /// Level-2 health.
    ///
    /// # Errors
    /// Any [`ConnectorError`] from running `health()`.
    pub async fn health(&self, ctx: &CallContext) -> Result<HealthReport, ConnectorError> {
        self.sandbox.health(ctx).await
    }

    /// Starts a scan. The table and columns must come from [`Self::info`].
    ///
    /// # Errors
    /// Any [`ConnectorError`] from instantiating or from `scan()`.
    pub async fn scan(
        self: &Arc<Self>,
        request: ScanRequest,
        ctx: &CallContext,
    ) -> Result<ScanStream, ConnectorError> {
        if self.sandbox.switch.is_suspended() {
            return Err(ConnectorError::Suspended {
                connector: self.sandbox.name.to_string(),
            });
        }
        let schema = projected_schema(&self.info, &request)?;
        let mut instance = self.sandbox.instantiate(ctx).await?;
        let wit_request = to_wit(request, ctx);
        let started = self
            .sandbox
            .call(&mut instance, move |store, guest| {
                Box::pin(async move { guest.call_scan(store, &wit_request).await })
            })
            .await?;
        let stream = match started {
            Ok(stream) => stream,
            Err(e) => return Err(self.sandbox.guest_error(e, &instance)),
        };
        self.sandbox.cut_short(&instance)?;
        Ok(ScanStream {
            connector: self.clone(),
            instance,
            stream,
            schema,
            bytes: 0,
            pending: VecDeque::new(),
            done: false,
        })
    }
}

fn projected_schema(
    info: &ConnectorInfo,
    request: &ScanRequest,
) -> Result<SchemaRef, ConnectorError> {
    let internal = |message: String| ConnectorError::Internal {
        connector: info.name.clone(),
        message,
    };
    let table = info
        .table(&request.table)
        .ok_or_else(|| internal(format!("no table {}", request.table)))?;
    let indices = request
        .columns
        .iter()
        .map(|c| {
            table
                .schema
                .index_of(c)
                .map_err(|e| internal(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    table
        .schema
        .project(&indices)
        .map(Arc::new)
        .map_err(|e| internal(e.to_string()))
}

fn to_wit(request: ScanRequest, ctx: &CallContext) -> wit::ScanRequest {
    wit::ScanRequest {
        table: request.table,
        columns: request.columns,
        filters: request
            .filters
            .into_iter()
            .map(|f| wit::Filter {
                column: f.column,
                op: f.op.to_wit(),
                values: f.values.into_iter().map(value_to_wit).collect(),
            })
            .collect(),
        limit: request.limit,
        access_path: request.access_path,
        context: wit::RequestContext {
            request_id: ctx.request_id.clone(),
            consumer: ctx.consumer.clone(),
            purpose: ctx.purpose.clone(),
        },
    }
}

fn value_to_wit(v: FilterValue) -> wit::Value {
    match v {
        FilterValue::Null => wit::Value::Null,
        FilterValue::Boolean(b) => wit::Value::Boolean(b),
        FilterValue::Int(i) => wit::Value::Int(i),
        FilterValue::Float(f) => wit::Value::Float(f),
        FilterValue::Text(s) => wit::Value::Text(s),
        FilterValue::Date(d) => wit::Value::Date(d),
        FilterValue::Timestamp(t) => wit::Value::Timestamp(t),
        FilterValue::Decimal(s) => wit::Value::Decimal(s),
        FilterValue::Binary(b) => wit::Value::Binary(b),
    }
}

/// The batches of a running scan, pulled one call at a time. Dropping it drops
/// the instance.
pub struct ScanStream {
    connector: Arc<LoadedConnector>,
    instance: Instance,
    stream: ResourceAny,
    schema: SchemaRef,
    bytes: u64,
    pending: VecDeque<RecordBatch>,
    done: bool,
}

impl ScanStream {
    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Arrow IPC bytes received so far.
    pub fn bytes_received(&self) -> u64 {
        self.bytes
    }

    /// The next batch, or `None` at the end.
    ///
    /// # Errors
    /// Any [`ConnectorError`]; the stream is finished after an error.
    pub async fn next(&mut self) -> Result<Option<RecordBatch>, ConnectorError> {
        if let Some(batch) = self.pending.pop_front() {
            return Ok(Some(batch));
        }
        if self.done {
            return Ok(None);
        }
        let result = self.pull().await;
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    async fn pull(&mut self) -> Result<Option<RecordBatch>, ConnectorError> {
        loop {
            let sandbox = &self.connector.sandbox;
            let stream = self.stream;
            let answer = sandbox
                .call(&mut self.instance, move |store, guest| {
                    Box::pin(async move { guest.batch_stream().call_next(store, stream).await })
                })
                .await?;
            let bytes = match answer {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    sandbox.cut_short(&self.instance)?;
                    return Ok(None);
                }
                Err(e) => return Err(sandbox.guest_error(e, &self.instance)),
            };
            // A connector that carried on after the ceiling refused a call
            // (skipping the keys, say) or after an answer was cut off would
            // answer with rows missing.
            sandbox.cut_short(&self.instance)?;
            self.bytes += bytes.len() as u64;
            if self.bytes > sandbox.limits.max_output_bytes {
                return Err(ConnectorError::OutputLimit {
                    connector: sandbox.name.to_string(),
                    limit_mib: sandbox.limits.max_output_bytes >> 20,
                });
            }
            let batches =
                ipc::decode(bytes, &self.schema).map_err(|reason| ConnectorError::BadOutput {
                    connector: sandbox.name.to_string(),
                    reason,
                })?;
            self.pending.extend(batches);
            // An IPC stream with no batch is legal; then ask again.
            if let Some(batch) = self.pending.pop_front() {
                return Ok(Some(batch));
            }
        }
    }
}
