//! `lgsp demo`: a simulated national population database, the `dan_cu`
//! connector, and the platform, all on localhost with no other set-up.

use crate::config::Config;
use crate::runtime::{ConnectorSource, Manifest, UpstreamPolicy};
use anyhow::{Context, bail};
use lgsp_sample_upstream::{UpstreamConfig, World, WorldConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `lgsp demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address of the platform's API.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the simulated population database.
    #[arg(long, default_value = "127.0.0.1:8701")]
    pub upstream_listen: SocketAddr,
    /// Citizens in the synthetic population.
    #[arg(long, default_value_t = 100_000)]
    pub citizens: usize,
    /// Seed of the synthetic world (same seed, same data).
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Official GSO commune list (Markdown layout of CV 1027/CTK-CSCL);
    /// clearly labelled synthetic communes otherwise.
    #[arg(long)]
    pub communes: Option<PathBuf>,
    /// Directory with the built connector components
    /// [default: ../wasm32-wasip2/wasm next to this executable].
    #[arg(long, env = "LGSP_WASM_DIR")]
    pub wasm_dir: Option<PathBuf>,
    /// Directory for the platform's own data.
    #[arg(long, default_value = ".lgsp-data")]
    pub data_dir: PathBuf,
}

const DAN_CU_WASM: &str = "lgsp_connector_dan_cu.wasm";
const DEMO_API_KEY: &str = "demo-dan-cu-key";

/// Starts everything and serves until Ctrl-C.
///
/// # Errors
/// When the components are missing or a port is taken.
pub(super) async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let wasm_dir = args.wasm_dir.clone().unwrap_or_else(default_wasm_dir);
    let component = wasm_dir.join(DAN_CU_WASM);
    if !component.exists() {
        bail!(
            "{} is missing; build the connectors first with scripts/build-wasm.sh (or pass --wasm-dir)",
            component.display()
        );
    }
    let communes = match &args.communes {
        Some(path) => Some(read_communes(path)?),
        None => None,
    };
    let started = Instant::now();
    let world = Arc::new(World::generate(&WorldConfig {
        seed: args.seed,
        citizens: args.citizens,
        communes,
    }));
    println!(
        "Generated {} citizens in {:.1?}",
        world.citizens().len(),
        started.elapsed()
    );
    let upstream = lgsp_sample_upstream::serve(
        world.clone(),
        &UpstreamConfig {
            listen: args.upstream_listen,
            api_key: DEMO_API_KEY.into(),
            rate_limit_per_second: None,
        },
    )
    .await
    .with_context(|| {
        format!(
            "starting the simulated population database on {}",
            args.upstream_listen
        )
    })?;

    let manifest = Manifest {
        name: "dan_cu".into(),
        version: None,
        component: DAN_CU_WASM.into(),
        upstream: UpstreamPolicy {
            allowed_hosts: vec![upstream.addr().to_string()],
            allow_private_addresses: false,
        },
        config: [
            ("base_url".to_owned(), upstream.base_url()),
            ("api_key".to_owned(), DEMO_API_KEY.to_owned()),
        ]
        .into(),
        limits: Default::default(),
    };
    let config = Config {
        listen: Some(args.listen),
        data_dir: Some(args.data_dir.clone()),
        ..Config::default()
    };
    let source = ConnectorSource {
        manifest,
        wasm_path: component,
    };
    let server = crate::server::start(&config, vec![Ok(source)]).await?;
    if let Some(failure) = server.registry().snapshot().failures.first() {
        bail!("the dan_cu connector did not load: {}", failure.error);
    }
    print_examples(&server.base_url(), &upstream.base_url(), &world);
    server.wait_for_signal().await;
    Ok(())
}

fn default_wasm_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("../wasm32-wasip2/wasm")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("target/wasm32-wasip2/wasm"))
}

fn read_communes(path: &Path) -> anyhow::Result<Vec<lgsp_catalogs::Commune>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    lgsp_catalogs::parse_gso_communes(&text).map_err(|errors| {
        let first: Vec<String> = errors.iter().take(5).map(ToString::to_string).collect();
        anyhow::anyhow!(
            "{} problems in {}: {}",
            errors.len(),
            path.display(),
            first.join("; ")
        )
    })
}

fn print_examples(api: &str, upstream: &str, world: &World) {
    let (big_commune, residents) = world
        .communes_by_population()
        .first()
        .cloned()
        .unwrap_or_default();
    let someone = world
        .residents(&big_commune)
        .next()
        .map(|c| c.so_dinh_danh.clone())
        .unwrap_or_default();
    let others: Vec<String> = world
        .residents(&big_commune)
        .skip(1)
        .take(2)
        .map(|c| format!("'{}'", c.so_dinh_danh))
        .collect();
    println!(
        r#"
LGSP demo is running.
  platform API        {api}   (OpenAPI: {api}/v1/openapi.json)
  population database {upstream}   (simulated; the connector reaches it through the sandbox)

Try (from another terminal; `lgsp` is target/debug/lgsp, or target/release/lgsp):

  lgsp query "SELECT ho_ten, ngay_sinh, gioi_tinh, ma_dan_toc, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh = '{someone}'"
  lgsp query "SELECT so_dinh_danh, ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IN ('{someone}', {others})"
  lgsp query "SELECT gioi_tinh, COUNT(*) AS so_nguoi FROM dan_cu.cong_dan WHERE ma_xa = '{big_commune}' GROUP BY gioi_tinh"   # {residents} residents
  lgsp query "SELECT ho_ten FROM dan_cu.cong_dan"      # refused: no key filter, no upstream call
  lgsp query "DROP TABLE dan_cu.cong_dan"              # refused: read-only

  curl -s {api}/v1/tables
  curl -s {api}/v1/health/services
  curl -s {api}/v1/query -H 'content-type: application/json' -H 'accept: text/csv' \
       -d '{{"sql": "SELECT ho_ten, ngay_sinh FROM dan_cu.cong_dan WHERE ma_xa = '\''{big_commune}'\'' LIMIT 5"}}'

Press Ctrl-C to stop."#,
        others = others.join(", ")
    );
}
