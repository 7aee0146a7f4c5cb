//! Per-instance state: an empty WASI context (no files, sockets, environment),
//! the outgoing-HTTP hooks, the memory limiter, the call deadline, and the
//! host functions a connector may call (`log`, `config`; the `catalogs`
//! lookups are in `catalog_calls.rs`).

use super::bindings::lgsp::connector::host::{self, LogLevel};
use super::catalog_lookup::CatalogHandle;
use super::outbound::OutboundHooks;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Log lines a single instance may write; the rest are dropped with one notice.
const MAX_LOG_LINES: u32 = 200;
/// Longest log line kept.
const MAX_LOG_LINE: usize = 2048;
/// Host-side resources (streams, requests, fields...) one instance may hold.
const MAX_RESOURCES: usize = 10_000;
/// In-memory size of one set of HTTP header fields a guest may build.
const MAX_HTTP_FIELDS_BYTES: usize = 64 << 10;

/// Raised by the epoch callback when a call passes its deadline.
#[derive(Debug, thiserror::Error)]
#[error("deadline exceeded")]
pub(crate) struct DeadlineExceeded;

/// Who this instance runs for.
#[derive(Debug, Clone)]
pub(crate) struct InstanceIdentity {
    pub(crate) connector: Arc<str>,
    pub(crate) request_id: Arc<str>,
    pub(crate) config: Arc<BTreeMap<String, String>>,
}

/// Refuses memory growth past the connector's limit and remembers that it did,
/// so the resulting trap can be reported as a memory-limit breach.
pub(crate) struct Limiter {
    memory_limit: usize,
    pub(crate) memory_exceeded: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.memory_exceeded = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes exceeded (asked for {desired})",
                self.memory_limit
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a connector needs a few thousand.
        Ok(desired <= 1_000_000)
    }
}

/// The `T` of every connector `Store<T>`.
pub(crate) struct StoreState {
    wasi: WasiCtx,
    table: ResourceTable,
    http: WasiHttpCtx,
    pub(crate) outbound: OutboundHooks,
    pub(crate) limiter: Limiter,
    identity: InstanceIdentity,
    catalogs: CatalogHandle,
    pub(crate) deadline: Instant,
    log_lines: u32,
    pub(crate) panic_message: Option<String>,
}

impl StoreState {
    pub(crate) fn new(
        identity: InstanceIdentity,
        outbound: OutboundHooks,
        catalogs: CatalogHandle,
        memory_limit: usize,
    ) -> Self {
        let wasi = WasiCtxBuilder::new()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(MAX_HTTP_FIELDS_BYTES);
        Self {
            wasi,
            table,
            http,
            outbound,
            limiter: Limiter {
                memory_limit,
                memory_exceeded: false,
            },
            identity,
            catalogs,
            deadline: Instant::now(),
            log_lines: 0,
            panic_message: None,
        }
    }

    /// The catalogs this instance's lookups are answered from.
    pub(crate) fn catalogs(&self) -> &CatalogHandle {
        &self.catalogs
    }
}

/// Configures a new store: limiter, host-side allocation caps and the
/// cooperative deadline. `max_transfer` bounds the bytes one call may move from
/// the guest to the host.
pub(crate) fn prepare(store: &mut Store<StoreState>, max_transfer: usize) {
    store.limiter(|s| &mut s.limiter);
    store.set_hostcall_fuel(max_transfer);
    store.set_max_component_handles(MAX_RESOURCES);
    // Each epoch tick yields to the executor (so a busy guest cannot hog a
    // worker thread) and checks the current call's deadline.
    store.epoch_deadline_callback(|ctx| {
        if Instant::now() >= ctx.data().deadline {
            return Err(wasmtime::Error::new(DeadlineExceeded));
        }
        Ok(UpdateDeadline::Yield(1))
    });
    store.set_epoch_deadline(1);
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

impl host::Host for StoreState {
    fn log(&mut self, level: LogLevel, message: String) {
        if let Some(rest) = message.strip_prefix("connector panicked: ") {
            self.panic_message = Some(truncate(rest, MAX_LOG_LINE).to_owned());
        }
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            if self.log_lines == MAX_LOG_LINES + 1 {
                tracing::warn!(connector = %self.identity.connector, request_id = %self.identity.request_id,
                    "connector log limit reached; further lines from this call are dropped");
            }
            return;
        }
        // Escaped, so that a connector cannot forge log lines with newlines
        // or terminal escapes.
        let message: String = truncate(&message, MAX_LOG_LINE).escape_debug().collect();
        let connector = &*self.identity.connector;
        let request_id = &*self.identity.request_id;
        match level {
            LogLevel::Trace => {
                tracing::trace!(target: "lgsp::connector", connector, request_id, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "lgsp::connector", connector, request_id, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: "lgsp::connector", connector, request_id, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "lgsp::connector", connector, request_id, "{message}")
            }
            LogLevel::Error => {
                tracing::error!(target: "lgsp::connector", connector, request_id, "{message}")
            }
        }
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.identity.config.get(&key).cloned()
    }
}

impl super::bindings::lgsp::connector::types::Host for StoreState {}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
