//! `lgsp demo`: the four simulated national databases (population, business
//! registration, social insurance, land) over one synthetic world, their
//! connectors, and the platform, all on localhost with no other set-up.

use crate::config::Config;
use crate::runtime::{ConnectorSource, Manifest, UpstreamLimits, UpstreamPolicy};
use anyhow::{Context, bail};
use lgsp_sample_upstream::{RunningUpstream, Source, UpstreamConfig, World, WorldConfig};
use std::collections::BTreeMap;
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
    /// Address of the simulated population database; the business,
    /// insurance and land systems listen on the next three ports.
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

/// The manifest an administrator would write for `source`'s connector in
/// the demo: its upstream, credential, and the limits the agency states.
fn demo_manifest(source: Source, upstream: &RunningUpstream) -> Manifest {
    let config: BTreeMap<String, String> = source
        .connector_config(&upstream.base_url(), source.demo_credential())
        .into_iter()
        .collect();
    Manifest {
        name: source.name().into(),
        version: None,
        component: format!("lgsp_connector_{}.wasm", source.name()).into(),
        provider: None,
        upstream: UpstreamPolicy {
            allowed_hosts: vec![upstream.addr().to_string()],
            allow_private_addresses: false,
            limits: UpstreamLimits {
                max_concurrent: Some(8),
                requests_per_second: Some(200.0),
                burst: Some(20),
                // Each upstream has its own batch-lookup size; one scan is one call.
                lookup_batch: Some(source.batch_size()),
                max_calls_per_query: None,
            },
        },
        config,
        limits: Default::default(),
        monitor: Default::default(),
    }
}

/// Starts everything and serves until Ctrl-C.
///
/// # Errors
/// When the components are missing or a port is taken.
pub(super) async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let wasm_dir = args.wasm_dir.clone().unwrap_or_else(default_wasm_dir);
    for source in Source::ALL {
        let wasm_path = wasm_dir.join(format!("lgsp_connector_{}.wasm", source.name()));
        if !wasm_path.exists() {
            bail!(
                "{} is missing; build the connectors first with scripts/build-wasm.sh (or pass --wasm-dir)",
                wasm_path.display()
            );
        }
    }
    let communes = match &args.communes {
        Some(path) => Some(read_communes(path)?),
        None => None,
    };
    let started = Instant::now();
    let world = Arc::new(World::generate(&WorldConfig::scaled(
        args.seed,
        args.citizens,
        communes,
    )));
    println!(
        "Generated {} citizens in {:.1?}",
        world.citizens().len(),
        started.elapsed()
    );
    let mut sources = Vec::new();
    let mut upstreams = Vec::new();
    // The simulated systems stop when these are dropped, at the end of the demo.
    let mut running = Vec::new();
    for (i, source) in Source::ALL.into_iter().enumerate() {
        let listen = SocketAddr::new(
            args.upstream_listen.ip(),
            args.upstream_listen.port().saturating_add(i as u16),
        );
        let upstream = lgsp_sample_upstream::serve_source(
            source,
            world.clone(),
            &UpstreamConfig {
                listen,
                api_key: source.demo_credential().into(),
                rate_limit_per_second: None,
            },
        )
        .await
        .with_context(|| {
            format!(
                "starting the simulated {} system on {listen}",
                source.name()
            )
        })?;
        let wasm_path = wasm_dir.join(format!("lgsp_connector_{}.wasm", source.name()));
        sources.push(Ok(ConnectorSource {
            manifest: demo_manifest(source, &upstream),
            wasm_path,
        }));
        upstreams.push((source, upstream.base_url()));
        running.push(upstream);
    }
    // The demo starts from a fresh database each run, so that its commune
    // catalog always matches the world it generated.
    let database = args.data_dir.join("demo.db");
    // The audit log goes too: its checkpoints are signed with a key derived
    // from the master key, which is new each run.
    let audit = args.data_dir.join("demo-audit.db");
    let files = ["", "-wal", "-shm", ".key"]
        .iter()
        .map(|suffix| format!("{}{suffix}", database.display()))
        .chain(
            ["", "-wal", "-shm"]
                .iter()
                .map(|suffix| format!("{}{suffix}", audit.display())),
        );
    for file in files {
        let file = PathBuf::from(file);
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| {
                format!("removing the previous demo database {}", file.display())
            })?;
        }
    }
    let config = Config {
        listen: Some(args.listen),
        data_dir: Some(args.data_dir.clone()),
        master_key_file: Some(PathBuf::from(format!("{}.key", database.display()))),
        database: Some(database),
        ..Config::default()
    };
    let server = crate::server::start(&config, sources).await?;
    import_world_communes(server.catalogs(), &world, args.communes.is_some()).await?;
    if let Some(failure) = server.registry().snapshot().failures.first() {
        bail!(
            "the {} connector did not load: {}",
            failure.name,
            failure.error
        );
    }
    let access = provision_access(&server, &args.data_dir).await?;
    print_examples(&server.base_url(), &upstreams, &world, &access);
    server.wait_for_signal().await;
    drop(running);
    Ok(())
}

/// The purpose of the demo consumer's grants.
const DEMO_PURPOSE: &str = "Giải quyết thủ tục hành chính";

/// What the demo registered for people to try.
struct DemoAccess {
    sample: crate::auth::sample::SampleAccess,
    credentials_file: PathBuf,
    admin_password: String,
    admin_token: String,
}

/// Registers a provider agency per service, the consumer agency with its
/// key and grants (rate tier: standard, 1,000 requests a minute), an admin
/// account, and writes the consumer's credentials profile.
async fn provision_access(
    server: &crate::server::RunningServer,
    data_dir: &Path,
) -> anyhow::Result<DemoAccess> {
    let auth = server.auth();
    let snapshot = server.registry().snapshot();
    let now = chrono::Utc::now();
    let (today, _) = crate::auth::local_day(now);
    let sample = crate::auth::sample::provision(
        auth.access(),
        &snapshot,
        DEMO_PURPOSE,
        today,
        lgsp_access::Tier::STANDARD,
    )
    .await
    .context("registering the demo agencies, keys and grants")?;
    // Random, and meeting the password policy (upper, lower, digit, special).
    let admin_password = format!(
        "Lgsp-{}-7x",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    auth.access()
        .create_admin("admin", &admin_password)
        .await
        .context("creating the demo admin")?;
    let admin_token = auth
        .login_admin("admin", &admin_password, now)
        .await
        .context("logging the demo admin in")?
        .token;
    let credentials_file = data_dir.join("credentials.toml");
    super::credentials::save(
        &credentials_file,
        "default",
        &super::credentials::Profile {
            server: server.base_url(),
            access_key: sample.consumer.access_key.clone(),
            secret_key: Some(sample.consumer.secret_key.clone()),
            rsa_private_key_file: None,
            algorithm: None,
            purpose: Some(DEMO_PURPOSE.into()),
            destinations: Vec::new(),
        },
    )
    .context("writing the demo credentials profile")?;
    Ok(DemoAccess {
        sample,
        credentials_file,
        admin_password,
        admin_token,
    })
}

/// Writes the world's communes into the `dvhc_xa` catalog as the version
/// valid from 2025-07-01, so connectors normalize against the same list the
/// simulated systems use.
async fn import_world_communes(
    catalogs: &crate::catalogs::CatalogService,
    world: &World,
    official: bool,
) -> anyhow::Result<()> {
    let items = world.communes().iter().map(|c| c.to_item()).collect();
    let started = Instant::now();
    let version = catalogs
        .import_items(
            "dvhc_xa",
            &crate::catalogs::ImportSpec {
                version: "2025-07-01".into(),
                valid_from: chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
                    .context("the 2025 reorganization date")?,
                valid_to: None,
                source: if official {
                    "GSO list given to lgsp demo --communes".into()
                } else {
                    "synthetic communes of the demo world (codes 9PPNN)".into()
                },
                publish: true,
            },
            items,
            None,
        )
        .await
        .context("importing the demo communes into dvhc_xa")?;
    println!(
        "Catalogs: shipped lists loaded; dvhc_xa has {} communes ({:.1?})",
        version.items,
        started.elapsed()
    );
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

fn print_examples(api: &str, upstreams: &[(Source, String)], world: &World, access: &DemoAccess) {
    let systems: String = upstreams
        .iter()
        .map(|(s, url)| format!("  {:<19} {url}   (simulated)\n", s.name()))
        .collect();
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
    let consumer = &access.sample.consumer;
    let providers: String = access
        .sample
        .providers
        .keys()
        .map(|code| format!("{code} "))
        .collect();
    println!(
        r#"
LGSP demo is running.
  platform API        {api}   (OpenAPI: {api}/v1/openapi.json)
{systems}  (each connector reaches its system only through the sandbox)

Registered: provider agencies {providers}(one per service, sample codes),
consumer agency {consumer_agency} (UBND tỉnh Quảng Ninh), application {app},
granted every table for the purpose "{purpose}" (identifiers in the clear).
Its access key and secret key are in {creds} (readable by you only).

Try (from another terminal; `lgsp` is target/debug/lgsp, or target/release/lgsp):

  export LGSP_CREDENTIALS={creds}
  lgsp query "SELECT ho_ten, ngay_sinh, gioi_tinh, ma_dan_toc, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh = '{someone}'"
  lgsp query "SELECT so_dinh_danh, ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IN ('{someone}', {others})"
  lgsp query "SELECT gioi_tinh, COUNT(*) AS so_nguoi FROM dan_cu.cong_dan WHERE ma_xa = '{big_commune}' GROUP BY gioi_tinh"   # {residents} residents
  lgsp query "SELECT c.ho_ten, q.tu_thang, q.ma_so_doanh_nghiep, q.muc_luong FROM dan_cu.cong_dan c JOIN bhxh.qua_trinh_dong q USING (so_dinh_danh) WHERE c.ma_xa = '{big_commune}' LIMIT 20"
  lgsp query "SELECT d.ten, r.ho_ten, c.ngay_sinh FROM doanh_nghiep.doanh_nghiep d JOIN doanh_nghiep.nguoi_dai_dien r USING (ma_so_doanh_nghiep) JOIN dan_cu.cong_dan c USING (so_dinh_danh) WHERE d.ma_xa = '{big_commune}'"
  lgsp query "SELECT q.so_to_ban_do, q.so_thua, q.so_giay_chung_nhan, c.ho_ten FROM dat_dai.quyen_su_dung q JOIN dan_cu.cong_dan c USING (so_dinh_danh) WHERE q.ma_xa = '{big_commune}' LIMIT 20"
  lgsp query "SELECT t.ten AS tinh, COUNT(*) AS so_nguoi FROM dan_cu.cong_dan c JOIN danh_muc.dvhc_tinh t ON t.ma = c.ma_tinh WHERE c.ma_xa = '{big_commune}' GROUP BY t.ten"
  lgsp query "SELECT ma, ten FROM danh_muc_ngay('dvhc_tinh', '2024-06-01') WHERE ten LIKE '%Giang%'"
  lgsp query "SELECT ho_ten FROM dan_cu.cong_dan"                     # refused: no key filter, no upstream call
  lgsp query --purpose "tò mò" "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{someone}'"   # refused: purpose_not_granted

The same from Python, standard library only (docs/authentication.md):

  python3 examples/python/lgsp_client.py --server {api} --access-key {ak} --secret-key '{sk}' \
      --purpose '{purpose}' query "SELECT ho_ten, ngay_sinh FROM dan_cu.cong_dan WHERE so_dinh_danh = '{someone}'"

Shared catalogs are public reference data (no signature needed):

  curl -s '{api}/v1/catalogs/dvhc_tinh/items?q=ha%20noi'
  curl -s '{api}/v1/catalogs/dvhc_tinh/successors/02?as_of=2024-06-01'
  curl -s {api}/v1/health/services

Admin: user "admin", password {password} (this run only). A session token:

  curl -s -H 'authorization: Bearer {admin_token}' {api}/v1/admin/grants
  curl -s -X POST -H 'authorization: Bearer {admin_token}' --data-binary @my-list.csv \
       '{api}/v1/catalogs/dan_toc/versions?version=2&valid_from=2027-01-01&format=csv'   # import a draft

Press Ctrl-C to stop."#,
        others = others.join(", "),
        consumer_agency = consumer.agency,
        app = consumer.application,
        purpose = access.sample.purpose,
        creds = access.credentials_file.display(),
        ak = consumer.access_key,
        sk = consumer.secret_key,
        password = access.admin_password,
        admin_token = access.admin_token,
    );
}
