//! Starting the platform: runtime, connectors, query service and HTTP server.

use crate::api::{self, AppState};
use crate::audit::Auditor;
use crate::auth::AuthService;
use crate::catalogs::{CatalogError, CatalogService};
use crate::config::Config;
use crate::monitor::Monitor;
use crate::publish::ConnectorService;
use crate::query::QueryService;
use crate::runtime::{ConnectorSource, LoadFailure, Registry, Runtime, RuntimeError, Snapshot};
use lgsp_access::AccessStore;
use lgsp_audit::{Draft, Kind, ServiceRef};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The WebAssembly runtime could not be set up.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The platform database cannot be opened.
    #[error(transparent)]
    Catalogs(#[from] CatalogError),
    /// The registry of agencies and keys cannot be opened.
    #[error("the registry cannot be opened: {0}")]
    Access(#[from] lgsp_access::AccessError),
    /// The master key cannot be read or created.
    #[error(transparent)]
    MasterKey(#[from] crate::auth::MasterKeyError),
    /// The database file cannot be opened.
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    /// The audit database cannot be opened.
    #[error(transparent)]
    Audit(#[from] lgsp_audit::AuditError),
    /// The monitoring tables cannot be opened.
    #[error(transparent)]
    Monitor(#[from] crate::monitor::MonitorError),
    /// The published connectors cannot be loaded.
    #[error("the published connectors cannot be opened: {0}")]
    Publish(#[from] crate::publish::PublishError),
    /// The connectors directory cannot be read.
    #[error("cannot read the connectors directory {dir}: {source}")]
    ConnectorsDir {
        /// The directory.
        dir: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A running platform.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    registry: Arc<Registry>,
    query: Arc<QueryService>,
    catalogs: Arc<CatalogService>,
    auth: Arc<AuthService>,
    audit: Arc<Auditor>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    maintenance: tokio::task::JoinHandle<()>,
    monitor: Arc<Monitor>,
    monitor_task: crate::monitor::MonitorTask,
    connectors: Arc<ConnectorService>,
    retirements: tokio::task::JoinHandle<()>,
    _runtime: Arc<Runtime>,
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://addr`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The loaded connectors.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The query service (for benchmarks that compare paths in one run).
    pub fn query(&self) -> &Arc<QueryService> {
        &self.query
    }

    /// Authentication and the registry of agencies, keys and grants.
    pub fn auth(&self) -> &Arc<AuthService> {
        &self.auth
    }

    /// The shared catalogs.
    pub fn catalogs(&self) -> &Arc<CatalogService> {
        &self.catalogs
    }

    /// The audit log.
    pub fn audit(&self) -> &Arc<Auditor> {
        &self.audit
    }

    /// The health monitor.
    pub fn monitor(&self) -> &Arc<Monitor> {
        &self.monitor
    }

    /// Published connectors and their lifecycle.
    pub fn connectors(&self) -> &Arc<ConnectorService> {
        &self.connectors
    }

    /// Stops accepting requests, finishes those in flight, seals the audit
    /// log, and returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        self.monitor_task.stop().await;
        self.maintenance.abort();
        self.retirements.abort();
        if let Err(e) = self.audit.seal_now().await {
            tracing::error!(error = %e, "cannot seal the audit log at shutdown");
        }
    }

    /// Runs until the process receives Ctrl-C (or SIGTERM), then shuts down.
    pub async fn wait_for_signal(self) {
        wait_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

async fn wait_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Loads every connector (a failure is logged and kept for the health report,
/// the others still load) and starts serving on `config.listen()`.
///
/// # Errors
/// When the runtime cannot be created or the address cannot be bound.
pub async fn start(
    config: &Config,
    sources: Vec<Result<ConnectorSource, String>>,
) -> Result<RunningServer, StartError> {
    start_with(config, sources, StartOptions::default()).await
}

/// What [`start_with`] can change that configuration cannot.
#[derive(Debug, Clone, Copy)]
pub struct StartOptions {
    /// Record every request in the audit log. Only benchmarks turn this off,
    /// to measure what auditing costs; no setting does.
    pub audit_requests: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            audit_requests: true,
        }
    }
}

/// [`start`] with options.
///
/// # Errors
/// As [`start`].
pub async fn start_with(
    config: &Config,
    sources: Vec<Result<ConnectorSource, String>>,
    options: StartOptions,
) -> Result<RunningServer, StartError> {
    let platform = open_platform(config).await?;
    let catalogs = platform.catalogs;
    let auth = platform.auth;
    let audit = platform.audit;
    let mut settings = config.runtime_settings();
    settings.upstream_signing = Some(auth.upstream_signing_base());
    settings.catalogs = crate::runtime::CatalogHandle(catalogs.clone());
    let runtime = Arc::new(Runtime::new(settings)?);
    // Stored configuration goes over each manifest's own values.
    let installed_config: HashMap<String, BTreeMap<String, String>> = sources
        .iter()
        .flatten()
        .map(|s| (s.manifest.name.clone(), s.manifest.config.clone()))
        .collect();
    let loads = sources.into_iter().map(|source| {
        let runtime = runtime.clone();
        async move {
            match source {
                Ok(source) => runtime.load(&source).await.map_err(|e| LoadFailure {
                    name: e.name.clone(),
                    error: e.to_string(),
                }),
                Err(error) => Err(LoadFailure {
                    name: "manifest".into(),
                    error,
                }),
            }
        }
    });
    let mut snapshot = Snapshot::default();
    for result in futures::future::join_all(loads).await {
        match result {
            Ok(c) => {
                let name = c.info().name.clone();
                if name == crate::query::CATALOG_SCHEMA {
                    snapshot.failures.push(LoadFailure {
                        error: format!(
                            "the schema name {name} is reserved for the shared catalogs"
                        ),
                        name,
                    });
                    continue;
                }
                match snapshot.connectors.entry(name) {
                    std::collections::btree_map::Entry::Occupied(e) => {
                        snapshot.failures.push(LoadFailure {
                            error: format!(
                                "a second connector is called {}; kept the first",
                                e.key()
                            ),
                            name: e.key().clone(),
                        });
                    }
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(Arc::new(c));
                    }
                }
            }
            Err(failure) => {
                tracing::error!(connector = %failure.name, error = %failure.error, "connector not loaded");
                snapshot.failures.push(failure);
            }
        }
    }
    register_providers(&auth, &snapshot).await;
    record_loads(&audit, &snapshot);
    let registry = Arc::new(Registry::new());
    // Opened first: connector notices go out through its outbox.
    let monitor = Monitor::open(
        audit.pool().clone(),
        config.monitor_settings(),
        monitor_signer(&audit),
        monitor_sink(&audit),
    )
    .await?;
    let connectors = Arc::new(
        ConnectorService::start(
            runtime.clone(),
            registry.clone(),
            auth.clone(),
            audit.clone(),
            monitor.outbox(),
            snapshot,
            installed_config,
        )
        .await?,
    );
    let retirements = spawn_retirements(connectors.clone());
    let query = Arc::new(QueryService::new(
        registry.clone(),
        catalogs.clone(),
        config.query_settings(),
    ));
    let maintenance = audit.spawn_maintenance();
    let monitor_task = monitor.spawn(registry.clone());
    let app = api::router(AppState {
        query: query.clone(),
        registry: registry.clone(),
        catalogs: catalogs.clone(),
        auth: auth.clone(),
        audit: if options.audit_requests {
            audit.clone()
        } else {
            audit.unaudited()
        },
        metrics: Arc::new(crate::metrics::Metrics::new()),
        monitor: Some(monitor.clone()),
        connectors: Some(connectors.clone()),
    });
    let addr = config.listen();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    let listener = axum::serve::ListenerExt::tap_io(listener, set_nodelay);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "HTTP server failed");
        }
    });
    tracing::info!(%addr, "LGSP listening");
    Ok(RunningServer {
        addr,
        registry,
        query,
        catalogs,
        auth,
        audit,
        shutdown: Some(tx),
        task,
        maintenance,
        monitor,
        monitor_task,
        connectors,
        retirements,
        _runtime: runtime,
    })
}

/// Retires published versions whose date has come, once a minute.
fn spawn_retirements(connectors: Arc<ConnectorService>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = connectors.retire_due(chrono::Utc::now()).await {
                tracing::error!(error = %e, "scheduled retirements could not run");
            }
        }
    })
}

/// The platform database's services, opened once for the server and the
/// admin commands.
#[derive(Debug, Clone)]
pub struct Platform {
    /// Shared catalogs.
    pub catalogs: Arc<CatalogService>,
    /// Authentication over the registry.
    pub auth: Arc<AuthService>,
    /// The audit log.
    pub audit: Arc<Auditor>,
}

/// Opens the platform database (catalogs and registry) and the master key.
///
/// # Errors
/// When either cannot be opened.
pub async fn open_platform(config: &Config) -> Result<Platform, StartError> {
    let pool = crate::db::open(&config.database()).await?;
    let catalogs = CatalogService::open_pool(pool.clone()).await?;
    let master = crate::auth::load_master_key(&config.master_key_file())?;
    let access = Arc::new(AccessStore::open(pool, master.clone()).await?);
    let audit = Auditor::open(&config.audit_database(), &master, config.audit_settings()).await?;
    let auth = Arc::new(AuthService::new(access, master, config.auth_settings()));
    Ok(Platform {
        catalogs,
        auth,
        audit,
    })
}

/// Webhook bodies are signed with the platform key (Ed25519, base64), which
/// anyone can check with GET /v1/audit/public-key.
fn monitor_signer(audit: &Arc<Auditor>) -> crate::monitor::BodySigner {
    let key = audit.key().clone();
    Arc::new(move |body: &[u8]| key.sign(body))
}

/// Every online/offline change goes into the audit log.
fn monitor_sink(audit: &Arc<Auditor>) -> crate::monitor::ChangeSink {
    let audit = audit.clone();
    Arc::new(move |c: &crate::monitor::StatusChange| {
        let mut draft = Draft::new(c.at, Kind::Monitor, format!("service {}", c.to.as_str()));
        draft.resource.path = Some(format!("connector {}", c.service));
        draft.resource.services = vec![ServiceRef {
            name: c.service.clone(),
            provider: c.provider.clone(),
        }];
        if c.to == crate::monitor::Status::Offline {
            draft.outcome = lgsp_audit::Outcome::Failed;
            "service_offline".clone_into(&mut draft.code);
        }
        draft.detail.insert("from".into(), c.from.as_str().into());
        draft.detail.insert("reason".into(), c.reason.clone());
        audit.record_event(draft);
    })
}

/// One audit entry per connector loaded or refused at start.
fn record_loads(audit: &Auditor, snapshot: &Snapshot) {
    let now = chrono::Utc::now();
    for (name, connector) in &snapshot.connectors {
        let mut draft = Draft::new(now, Kind::Connector, "connector loaded");
        draft.resource.path = Some(format!("connector {name}"));
        draft.resource.services = vec![ServiceRef {
            name: name.clone(),
            provider: connector.provider().map(str::to_owned),
        }];
        draft
            .detail
            .insert("version".into(), connector.info().version.clone());
        audit.record_event(draft);
    }
    for failure in &snapshot.failures {
        let mut draft = Draft::new(now, Kind::Connector, "connector load failed");
        draft.resource.path = Some(format!("connector {}", failure.name));
        draft.outcome = lgsp_audit::Outcome::Failed;
        "connector_load_failed".clone_into(&mut draft.code);
        draft.detail.insert("error".into(), failure.error.clone());
        audit.record_event(draft);
    }
}

/// Records, for each loaded connector whose manifest names its provider
/// agency, that the agency provides that schema (and approves its grants).
async fn register_providers(auth: &AuthService, snapshot: &Snapshot) {
    for (name, connector) in &snapshot.connectors {
        let Some(code) = connector.provider() else {
            continue;
        };
        let result = match code.parse::<lgsp_access::AgencyCode>() {
            Ok(code) => auth
                .access()
                .set_service_provider(name, &code)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = result {
            tracing::warn!(connector = %name, provider = %code, %error, "the manifest's provider agency is not registered; set it with `lgsp admin service set`");
        }
    }
}

/// Manifests from the configured directory.
///
/// # Errors
/// When the directory cannot be read.
pub fn sources_from_dir(
    config: &Config,
) -> Result<Vec<Result<ConnectorSource, String>>, StartError> {
    let dir = config.connectors_dir();
    ConnectorSource::scan_dir(&dir).map_err(|source| StartError::ConnectorsDir { dir, source })
}

/// Sets TCP_NODELAY on an accepted connection. Results stream as several
/// chunks, and the audit layer holds the last one back until its entry is
/// committed; with Nagle's algorithm a chunk written after such a wait sits
/// until the previous one is acknowledged, which a client may delay by up to
/// 40 ms.
pub fn set_nodelay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY");
    }
}
