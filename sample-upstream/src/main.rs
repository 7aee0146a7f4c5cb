//! `lgsp-sample-upstream`: runs the simulated agency systems on their own.

use anyhow::Context;
use clap::Parser;
use lgsp_sample_upstream::{Source, UpstreamConfig, World, WorldConfig, serve_source};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Serve the simulated national databases (population, business registration,
/// social insurance, land) over one synthetic world.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port of the population API; the business, insurance and land systems
    /// listen on the next three ports.
    #[arg(long, default_value_t = 8701)]
    first_port: u16,
    /// Number of citizens.
    #[arg(long, default_value_t = 100_000)]
    citizens: usize,
    /// Number of businesses.
    #[arg(long, default_value_t = 10_000)]
    businesses: usize,
    /// Number of land parcels.
    #[arg(long, default_value_t = 60_000)]
    parcels: usize,
    /// Seed of the synthetic world.
    #[arg(long, default_value_t = 2025)]
    seed: u64,
    /// Official GSO commune list (Markdown layout of CV 1027/CTK-CSCL); synthetic
    /// communes otherwise.
    #[arg(long)]
    communes: Option<std::path::PathBuf>,
    /// Answer 429 beyond this many requests per second (unlimited when absent).
    #[arg(long)]
    rate_limit: Option<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    let args = Args::parse();
    let communes = match &args.communes {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(lgsp_catalogs::parse_gso_communes(&text).map_err(|errs| {
                anyhow::anyhow!(
                    "{} problems in {}; first: {}",
                    errs.len(),
                    path.display(),
                    errs[0]
                )
            })?)
        }
        None => None,
    };
    let world = Arc::new(World::generate(&WorldConfig {
        seed: args.seed,
        citizens: args.citizens,
        communes,
        businesses: args.businesses,
        parcels: args.parcels,
        old_communes: None,
    }));
    let mut running = Vec::new();
    for (i, source) in Source::ALL.into_iter().enumerate() {
        let port = args.first_port + i as u16;
        let upstream = serve_source(
            source,
            world.clone(),
            &UpstreamConfig {
                listen: SocketAddr::new(args.host, port),
                api_key: source.demo_credential().to_owned(),
                rate_limit_per_second: args.rate_limit,
            },
        )
        .await
        .with_context(|| format!("starting {} on port {port}", source.name()))?;
        println!("{} on {}", source.name(), upstream.base_url());
        running.push(upstream);
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
