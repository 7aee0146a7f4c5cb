//! Simulated agency systems for the demo, the tests and the benchmarks.
//!
//! One deterministic [`World`] feeds every simulated source so that the same
//! citizens appear everywhere. Each source exposes the kind of API a real national
//! database would; the `/_sim` routes (counters, faults) are for tests only and are
//! never used by connectors.

pub mod bhxh;
pub mod dan_cu;
pub mod dat_dai;
pub mod doanh_nghiep;
mod sim;
mod wire;
mod world;

pub use sim::{Fault, LoggedRequest, Sim, StatsSnapshot};
pub use world::{
    Businesses, Citizen, Date, Insurance, Land, OldCommune, Sex, World, WorldConfig, business,
    insurance, land,
};

/// The simulated agency systems, one per national database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// National population database (REST/JSON).
    DanCu,
    /// National business registration database (REST/JSON).
    DoanhNghiep,
    /// Social insurance (SOAP/XML).
    Bhxh,
    /// Land database (REST/JSON).
    DatDai,
}

impl Source {
    /// Every source, in a fixed order.
    pub const ALL: [Source; 4] = [
        Source::DanCu,
        Source::DoanhNghiep,
        Source::Bhxh,
        Source::DatDai,
    ];

    /// The schema name of the connector that serves it (`dan_cu`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Source::DanCu => "dan_cu",
            Source::DoanhNghiep => "doanh_nghiep",
            Source::Bhxh => "bhxh",
            Source::DatDai => "dat_dai",
        }
    }

    /// The configuration its connector needs to reach this system at
    /// `base_url` with `credential` (how each system takes its credential:
    /// an API-key header, a WS-Security user and password, a bearer token).
    pub fn connector_config(self, base_url: &str, credential: &str) -> Vec<(String, String)> {
        let mut config = vec![("base_url".to_owned(), base_url.to_owned())];
        let secret = credential.to_owned();
        match self {
            Source::DanCu | Source::DoanhNghiep => config.push(("api_key".into(), secret)),
            Source::Bhxh => {
                config.push(("username".into(), bhxh::USERNAME.into()));
                config.push(("password".into(), secret));
            }
            Source::DatDai => config.push(("token".into(), secret)),
        }
        config
    }

    /// The most keys one batch lookup of this system takes: the manifest's
    /// `lookup_batch`, so that one scan is one call.
    pub fn batch_size(self) -> u32 {
        let size = match self {
            Source::DanCu => dan_cu::MAX_BATCH,
            Source::DoanhNghiep => doanh_nghiep::MAX_BATCH,
            Source::Bhxh => bhxh::MAX_KEYS,
            Source::DatDai => dat_dai::MAX_BATCH,
        };
        u32::try_from(size).unwrap_or(u32::MAX)
    }

    /// The credential the demo configures for it.
    pub fn demo_credential(self) -> &'static str {
        match self {
            Source::DanCu => "demo-dan-cu-key",
            Source::DoanhNghiep => "demo-doanh-nghiep-key",
            Source::Bhxh => "demo-bhxh-password",
            Source::DatDai => "demo-dat-dai-token",
        }
    }
}

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Where and how to serve the simulated population API.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The credential the API requires (how it is sent depends on the source:
    /// an `X-API-Key` header, a WS-Security password, a bearer token).
    pub api_key: String,
    /// Requests per second beyond which the API answers 429 (none: unlimited).
    pub rate_limit_per_second: Option<u32>,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: Source::DanCu.demo_credential().to_owned(),
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
    serve_source(Source::DanCu, world, config).await
}

/// Starts one simulated agency system over `world`, with its own counters.
///
/// # Errors
/// Fails when the address cannot be bound.
pub async fn serve_source(
    source: Source,
    world: Arc<World>,
    config: &UpstreamConfig,
) -> std::io::Result<RunningUpstream> {
    let sim = Arc::new(Sim::with_rate_limit(config.rate_limit_per_second));
    let api = match source {
        Source::DanCu => dan_cu::routes(world, &config.api_key, sim.clone()),
        Source::DoanhNghiep => doanh_nghiep::routes(world, &config.api_key, sim.clone()),
        Source::Bhxh => bhxh::routes(world, &config.api_key, sim.clone()),
        Source::DatDai => dat_dai::routes(world, &config.api_key, sim.clone()),
    };
    let app = api.merge(sim::routes(sim.clone()));
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "sample upstream stopped");
        }
    });
    Ok(RunningUpstream { addr, sim, task })
}
