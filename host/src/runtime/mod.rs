//! The WebAssembly side of the platform: loads connector components and runs them
//! sandboxed (fresh instance per call, deadline, memory limit, output cap,
//! allowlisted outgoing HTTP, nothing else).

mod bindings;
mod cache;
mod catalog_calls;
mod catalog_lookup;
mod connector;
mod description;
mod engine;
mod error;
mod gate;
mod ipc;
mod loader;
mod manifest;
mod outbound;
mod registry;
mod store;
mod switch;

pub use catalog_lookup::{
    CatalogHandle, CatalogLookup, LookupItem, MappingKind, NoCatalogs, Successor,
};
pub use connector::{
    CallContext, DependencyHealth, Filter, FilterValue, HealthReport, LoadedConnector, ScanRequest,
    ScanStream,
};
pub use description::{
    ColumnInfo, ConnectorInfo, FilterOp, KeyColumn, PersonalData, TableInfo, sql_type,
};
pub use engine::EngineSettings;
pub use error::{ConnectorError, GuestErrorKind, LoadError};
pub use manifest::{
    ConnectorSource, LimitOverrides, Limits, Manifest, MonitorPolicy, UpstreamLimits,
    UpstreamPolicy,
};
pub(crate) use manifest::{toml_error, webhook_problem};
pub use registry::{
    ColumnSignature, Columns, LoadFailure, PublishedVersion, Registry, Snapshot, columns_of,
};
pub use switch::KillSwitch;

/// SHA-256 of a component, hex-encoded, as recorded and signed.
pub fn sha256_hex(bytes: &[u8]) -> String {
    cache::sha256_hex(bytes)
}
pub use loader::MAX_COMPONENT_BYTES;

use std::path::PathBuf;
use store::StoreState;
use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

/// Settings of the runtime as a whole.
#[derive(Debug, Clone, Default)]
pub struct RuntimeSettings {
    /// Engine and pool settings.
    pub engine: EngineSettings,
    /// Limits for connectors whose manifest does not override them.
    pub default_limits: Limits,
    /// Where compiled components are cached; `None` compiles on every start.
    pub cache_dir: Option<PathBuf>,
    /// Upstream calls one query may make to one connector's upstream, unless
    /// its manifest says otherwise (`None`: [`DEFAULT_MAX_UPSTREAM_CALLS`]).
    pub max_upstream_calls_per_query: Option<u32>,
    /// The shared catalogs connectors look codes up in (the `catalogs`
    /// import); [`NoCatalogs`] unless the platform sets it.
    pub catalogs: CatalogHandle,
    /// The key from which each connector's upstream signing secret is
    /// derived (`crate::auth::upstream_secret`); `None`: outgoing requests
    /// carry who and why, unsigned.
    pub upstream_signing: Option<[u8; 32]>,
}

/// The platform's default ceiling of upstream calls per query and connector.
pub const DEFAULT_MAX_UPSTREAM_CALLS: u32 = 200;

/// Failure to set up the runtime itself.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// wasmtime rejected the engine configuration.
    #[error("cannot configure the WebAssembly engine: {0}")]
    Engine(String),
    /// The epoch thread could not start.
    #[error("cannot start the epoch ticker: {0}")]
    Ticker(#[from] std::io::Error),
}

/// The engine, the linker with exactly the imports the contract allows, and the
/// epoch ticker.
pub struct Runtime {
    engine: Engine,
    linker: Linker<StoreState>,
    settings: RuntimeSettings,
    /// Compiled components by SHA-256, so that swapping a version back in or
    /// changing a configuration never compiles again.
    components: std::sync::Mutex<std::collections::HashMap<String, wasmtime::component::Component>>,
    switches: switch::Switches,
    _ticker: engine::EpochTicker,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Creates the engine and linker.
    ///
    /// # Errors
    /// When the engine configuration is rejected or the ticker cannot start.
    pub fn new(settings: RuntimeSettings) -> Result<Self, RuntimeError> {
        let engine =
            engine::build(&settings.engine).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::<StoreState>::new(&engine);
        let link = |r: wasmtime::Result<()>| r.map_err(|e| RuntimeError::Engine(format!("{e:#}")));
        // WASI as Rust's standard library needs it, backed by an empty context
        // (no preopens, no environment, no sockets), plus outgoing HTTP whose
        // sender enforces the allowlist, plus the contract's own interfaces
        // (`host` and `catalogs`).
        link(wasmtime_wasi::p2::add_to_linker_async(&mut linker))?;
        link(wasmtime_wasi_http::p2::add_only_http_to_linker_async(
            &mut linker,
        ))?;
        link(bindings::Connector::add_to_linker::<
            StoreState,
            HasSelf<StoreState>,
        >(&mut linker, |s| s))?;
        let ticker = engine::EpochTicker::start(engine.clone(), settings.engine.epoch_tick)?;
        Ok(Self {
            engine,
            linker,
            settings,
            components: std::sync::Mutex::default(),
            switches: switch::Switches::default(),
            _ticker: ticker,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &RuntimeSettings {
        &self.settings
    }
}
