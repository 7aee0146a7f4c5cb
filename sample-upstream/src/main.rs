//! `lgsp-sample-upstream`: runs the simulated population database on its own.

use anyhow::Context;
use clap::Parser;
use lgsp_sample_upstream::{UpstreamConfig, World, WorldConfig, serve};
use std::net::SocketAddr;
use std::sync::Arc;

/// Serve a simulated national population database API with synthetic data.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8701")]
    listen: SocketAddr,
    /// Number of citizens.
    #[arg(long, default_value_t = 100_000)]
    citizens: usize,
    /// Seed of the synthetic world.
    #[arg(long, default_value_t = 2025)]
    seed: u64,
    /// Official GSO commune list (Markdown layout of CV 1027/CTK-CSCL); synthetic
    /// communes otherwise.
    #[arg(long)]
    communes: Option<std::path::PathBuf>,
    /// API key the upstream requires in `X-API-Key`.
    #[arg(long, default_value = "demo-dan-cu-key")]
    api_key: String,
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
    }));
    let upstream = serve(
        world,
        &UpstreamConfig {
            listen: args.listen,
            api_key: args.api_key,
            rate_limit_per_second: args.rate_limit,
        },
    )
    .await?;
    println!("population API on {}", upstream.base_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
