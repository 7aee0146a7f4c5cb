//! Starting the platform: runtime, connectors, query service and HTTP server.

use crate::api::{self, AppState};
use crate::catalogs::{CatalogError, CatalogService};
use crate::config::Config;
use crate::query::QueryService;
use crate::runtime::{ConnectorSource, LoadFailure, Registry, Runtime, RuntimeError, Snapshot};
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
    catalogs: Arc<CatalogService>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
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

    /// The shared catalogs.
    pub fn catalogs(&self) -> &Arc<CatalogService> {
        &self.catalogs
    }

    /// Stops accepting requests, finishes those in flight, and returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
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
    let catalogs = CatalogService::open(&config.database()).await?;
    let mut settings = config.runtime_settings();
    settings.catalogs = crate::runtime::CatalogHandle(catalogs.clone());
    let runtime = Arc::new(Runtime::new(settings)?);
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
    let registry = Arc::new(Registry::new());
    registry.replace(snapshot);
    let query = Arc::new(QueryService::new(
        registry.clone(),
        catalogs.clone(),
        config.query_settings(),
    ));
    let app = api::router(AppState {
        query,
        registry: registry.clone(),
        catalogs: catalogs.clone(),
        admin_token: config.admin_token.clone().map(Arc::from),
    });
    let addr = config.listen();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    // Results stream as several chunks; without TCP_NODELAY, Nagle's
    // algorithm holds each small chunk back until the previous one is acked.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
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
        catalogs,
        shutdown: Some(tx),
        task,
        _runtime: runtime,
    })
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
