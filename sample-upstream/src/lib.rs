//! Simulated agency systems for the demo, the tests and the benchmarks.
//!
//! One deterministic [`World`] feeds every simulated source so that the same
//! citizens appear everywhere. Each source exposes the kind of API a real national
//! database would; the `/_sim` routes (counters, faults) are for tests only and are
//! never used by connectors.

pub mod dan_cu;
mod sim;
mod world;

pub use sim::{Fault, LoggedRequest, Sim, StatsSnapshot};
pub use world::{Citizen, Date, Sex, World, WorldConfig};

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Where and how to serve the simulated population API.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The `X-API-Key` value the API requires.
    pub api_key: String,
    /// Requests per second beyond which the API answers 429 (none: unlimited).
    pub rate_limit_per_second: Option<u32>,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: "demo-dan-cu-key".to_owned(),
            rate_limit_per_second: None,
        }
    }
}

/// A running simulated upstream.
#[derive(Debug)]
pub struct RunningUpstream {
    addr: SocketAddr,
    sim: Arc<Sim>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningUpstream {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://addr`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Counters, log and fault injection.
    pub fn sim(&self) -> &Arc<Sim> {
        &self.sim
    }
}

impl Drop for RunningUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the population API over `world`.
///
/// # Errors
/// Fails when the address cannot be bound.
pub async fn serve(world: Arc<World>, config: &UpstreamConfig) -> std::io::Result<RunningUpstream> {
    let sim = Arc::new(Sim::with_rate_limit(config.rate_limit_per_second));
    let app = dan_cu::routes(world, &config.api_key, sim.clone()).merge(sim::routes(sim.clone()));
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "sample upstream stopped");
        }
    });
    Ok(RunningUpstream { addr, sim, task })
}
