//! Shared set-up for the end-to-end tests and the benchmark: the built WASM
//! components, a simulated upstream over a synthetic world, and a real platform
//! server on loopback.

pub mod publishing;
mod signed;

pub use signed::{Call, SignedClient};

use lgsp_host::auth::AuthService;
use lgsp_host::auth::sample::SampleAccess;
use lgsp_host::runtime::{ConnectorSource, LimitOverrides, Manifest, UpstreamPolicy};
use lgsp_sample_upstream::{RunningUpstream, Source, UpstreamConfig, World, WorldConfig};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// API key of the simulated population database in tests.
pub const API_KEY: &str = "test-dan-cu-key";

/// The credential each simulated upstream requires in tests.
pub fn credential(source: Source) -> &'static str {
    match source {
        Source::DanCu => API_KEY,
        Source::DoanhNghiep => "test-doanh-nghiep-key",
        Source::Bhxh => "test-bhxh-password",
        Source::DatDai => "test-dat-dai-token",
    }
}

/// The four simulated agency systems, each on its own port with its own counters.
#[derive(Debug, Clone)]
pub struct Upstreams {
    /// Population database (REST/JSON).
    pub dan_cu: Arc<RunningUpstream>,
    /// Business registration (REST/JSON).
    pub doanh_nghiep: Arc<RunningUpstream>,
    /// Social insurance (SOAP/XML).
    pub bhxh: Arc<RunningUpstream>,
    /// Land (REST/JSON).
    pub dat_dai: Arc<RunningUpstream>,
}

impl Upstreams {
    /// Starts all four over `world` on free loopback ports.
    ///
    /// # Panics
    /// When a port cannot be bound.
    pub async fn start(world: &Arc<World>) -> Self {
        let start = |source: Source| {
            let world = world.clone();
            async move {
                Arc::new(
                    lgsp_sample_upstream::serve_source(
                        source,
                        world,
                        &UpstreamConfig {
                            api_key: credential(source).into(),
                            ..UpstreamConfig::default()
                        },
                    )
                    .await
                    .expect("upstream starts"),
                )
            }
        };
        Self {
            dan_cu: start(Source::DanCu).await,
            doanh_nghiep: start(Source::DoanhNghiep).await,
            bhxh: start(Source::Bhxh).await,
            dat_dai: start(Source::DatDai).await,
        }
    }

    /// The upstream of `source`.
    pub fn get(&self, source: Source) -> &Arc<RunningUpstream> {
        match source {
            Source::DanCu => &self.dan_cu,
            Source::DoanhNghiep => &self.doanh_nghiep,
            Source::Bhxh => &self.bhxh,
            Source::DatDai => &self.dat_dai,
        }
    }
}

/// The manifest of the connector for `source`, pointing at `upstream`
/// (component `lgsp_connector_<name>.wasm`, configuration keys as each
/// connector documents them).
pub fn connector_source(source: Source, upstream: &RunningUpstream) -> ConnectorSource {
    let mut config: std::collections::BTreeMap<String, String> = source
        .connector_config(&upstream.base_url(), credential(source))
        .into_iter()
        .collect();
    config.insert("timeout_ms".into(), "3000".into());
    let component = format!("lgsp_connector_{}.wasm", source.name());
    ConnectorSource {
        manifest: Manifest {
            name: source.name().into(),
            version: Some("0.1.0".into()),
            component: component.clone().into(),
            provider: None,
            upstream: UpstreamPolicy {
                allowed_hosts: vec![upstream.addr().to_string()],
                allow_private_addresses: false,
                limits: Default::default(),
            },
            config: config.into_iter().collect(),
            limits: LimitOverrides::default(),
            monitor: Default::default(),
        },
        wasm_path: wasm_dir().join(component),
    }
}

/// Directory with the built components (`scripts/build-wasm.sh`).
///
/// # Panics
/// When a component is missing: the tests cannot run without them, and must
/// not pass by skipping.
pub fn wasm_dir() -> PathBuf {
    let dir = std::env::var_os("LGSP_WASM_DIR").map_or_else(
        || target_dir().join("wasm32-wasip2").join("wasm"),
        PathBuf::from,
    );
    for name in [
        "lgsp_connector_dan_cu.wasm",
        "lgsp_connector_doanh_nghiep.wasm",
        "lgsp_connector_bhxh.wasm",
        "lgsp_connector_dat_dai.wasm",
        "lgsp_test_hostile.wasm",
        "lgsp_test_evolving-1.0.0.wasm",
        "lgsp_test_evolving-1.1.0.wasm",
        "lgsp_test_evolving-2.0.0.wasm",
    ] {
        assert!(
            dir.join(name).exists(),
            "{} is missing: build the components with scripts/build-wasm.sh (or set LGSP_WASM_DIR)",
            dir.join(name).display()
        );
    }
    dir
}

/// The official 2025 commune list, when the shared data folder is present
/// (tests always have it; benchmarks fall back to synthetic communes).
pub fn official_communes() -> Option<Vec<lgsp_catalogs::Commune>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/dvhc/1027_CTK-CSCL.md"
    );
    let text = std::fs::read_to_string(path).ok()?;
    lgsp_catalogs::parse_gso_communes(&text).ok()
}

/// The manifest of the population connector pointing at `upstream`.
pub fn dan_cu_source(upstream: &RunningUpstream) -> ConnectorSource {
    connector_source(Source::DanCu, upstream)
}

/// Limits of the hostile connector in tests: tight, so breaches are quick.
pub fn hostile_limits() -> LimitOverrides {
    LimitOverrides {
        call_timeout_ms: Some(1_000),
        memory_mib: Some(32),
        max_output_mib: Some(4),
        max_response_mib: Some(1),
    }
}

/// The manifest of the hostile test connector. Its allowlist holds the
/// upstream's port under the name `localhost`, which resolves to loopback and
/// must therefore be refused.
pub fn hostile_source(upstream: &RunningUpstream) -> ConnectorSource {
    let port = upstream.addr().port();
    ConnectorSource {
        manifest: Manifest {
            name: "hostile".into(),
            version: None,
            component: "lgsp_test_hostile.wasm".into(),
            provider: None,
            upstream: UpstreamPolicy {
                allowed_hosts: vec![format!("localhost:{port}")],
                allow_private_addresses: false,
                limits: Default::default(),
            },
            config: [
                ("forbidden_url".to_owned(), upstream.base_url()),
                (
                    "private_name_url".to_owned(),
                    format!("http://localhost:{port}"),
                ),
            ]
            .into(),
            limits: hostile_limits(),
            monitor: Default::default(),
        },
        wasm_path: wasm_dir().join("lgsp_test_hostile.wasm"),
    }
}

/// The hostile test connector as [`hostile_source`], also allowed to reach
/// the simulated land database `land` (by address, so it connects): its
/// `allowed_url` is that system's health route, which the tests make answer
/// with a redirect or with gigabytes.
pub fn hostile_source_allowed(
    upstream: &RunningUpstream,
    land: &RunningUpstream,
) -> ConnectorSource {
    let mut source = hostile_source(upstream);
    source
        .manifest
        .upstream
        .allowed_hosts
        .push(land.addr().to_string());
    source.manifest.config.insert(
        "allowed_url".to_owned(),
        format!(
            "{}{}/trang-thai",
            land.base_url(),
            lgsp_sample_upstream::dat_dai::PREFIX
        ),
    );
    source
}

/// A platform with its upstream and world, running on its own thread so that
/// every test (each on its own tokio runtime) can use it over HTTP.
#[derive(Debug)]
pub struct Platform {
    /// `http://127.0.0.1:port` of the platform.
    pub url: String,
    /// The simulated population database (counters, log, faults).
    pub upstream: Arc<RunningUpstream>,
    /// All four simulated agency systems.
    pub upstreams: Upstreams,
    /// The synthetic world behind the upstream.
    pub world: Arc<World>,
    /// Connectors that failed to load.
    pub load_failures: Vec<lgsp_host::runtime::LoadFailure>,
    /// Authentication and the registry (to add agencies, keys and grants).
    pub auth: Arc<AuthService>,
    /// The sample agencies: a consumer granted every table for
    /// [`PURPOSE`], and one application per provider.
    pub sample: SampleAccess,
    /// The sample consumer's signed client.
    pub consumer: Arc<SignedClient>,
    /// An admin session token (admin `ADMIN_USER`).
    pub admin_token: String,
    /// The query service behind `/v1/query` (benchmarks compare paths).
    pub query: Arc<lgsp_host::query::QueryService>,
    /// The loaded connectors.
    pub registry: Arc<lgsp_host::runtime::Registry>,
    /// The audit log (to read entries and verify the chain).
    pub audit: Arc<lgsp_host::audit::Auditor>,
    /// The shared catalogs (benchmarks build routers over the same state).
    pub catalogs: Arc<lgsp_host::catalogs::CatalogService>,
    /// Published connectors (to run retirements at a chosen date).
    pub connectors: Arc<lgsp_host::publish::ConnectorService>,
    /// Stops the platform's thread when the platform is dropped (the tests'
    /// platforms live in statics and run until the process ends; a
    /// benchmark that starts one per round stops each).
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The purpose of the sample consumer's grants, sent by the tests.
pub const PURPOSE: &str = "kiểm thử tự động";
/// Username of the test platforms' admin.
pub const ADMIN_USER: &str = "admin";
/// Its password (meets the policy).
pub const ADMIN_PASSWORD: &str = "Kiem-thu-2026!";

impl Platform {
    /// The sample consumer's signing credentials.
    pub fn consumer_credentials(&self) -> lgsp_auth::Credentials {
        lgsp_auth::Credentials::hmac(
            self.sample.consumer.access_key.clone(),
            &self.sample.consumer.secret_key,
        )
    }

    /// Starts a platform serving the four national-database connectors and the
    /// hostile test connector, on a background thread with its own runtime.
    ///
    /// # Panics
    /// When it cannot start; the tests cannot run without it.
    pub fn start(citizens: usize, communes: Option<Vec<lgsp_catalogs::Commune>>) -> Self {
        let config = lgsp_host::Config {
            max_instances: Some(64),
            ..lgsp_host::Config::default()
        };
        Self::start_with(citizens, communes, config, |upstreams| {
            let mut sources: Vec<_> = Source::ALL
                .into_iter()
                .map(|s| Ok(connector_source(s, upstreams.get(s))))
                .collect();
            sources.push(Ok(hostile_source_allowed(
                &upstreams.dan_cu,
                &upstreams.dat_dai,
            )));
            sources
        })
    }

    /// Starts a platform with `config` (listen address and data directory are
    /// filled in) and the connectors `sources` gives for the upstreams. Load
    /// failures are allowed here; see `/v1/health/services`.
    ///
    /// # Panics
    /// When it cannot start.
    pub fn start_with(
        citizens: usize,
        communes: Option<Vec<lgsp_catalogs::Commune>>,
        config: lgsp_host::Config,
        sources: fn(&Upstreams) -> Vec<Result<ConnectorSource, String>>,
    ) -> Self {
        Self::start_full(citizens, communes, None, config, sources)
    }

    /// The platform the signed-path benchmarks measure: 30,000 citizens on
    /// the official communes, the population connector only, room for 64
    /// connector instances. Prints how long it took to start.
    ///
    /// # Panics
    /// When it cannot start.
    pub fn for_signed_benchmarks() -> Self {
        let started = std::time::Instant::now();
        let config = lgsp_host::Config {
            max_instances: Some(64),
            ..lgsp_host::Config::default()
        };
        let platform = Self::start_with(30_000, official_communes(), config, |u| {
            vec![Ok(dan_cu_source(&u.dan_cu))]
        });
        println!("platform up in {:.1?}\n", started.elapsed());
        platform
    }

    /// Starts the standard platform on the official 2025 communes, with the
    /// commune list before 2025-07-01 and its crosswalk imported into
    /// `dvhc_xa`, and a world in which some citizens' records still carry
    /// pre-2025 commune codes.
    ///
    /// # Panics
    /// When `../shared/data/dvhc` is missing or it cannot start.
    pub fn start_with_history(citizens: usize) -> Self {
        let history = CommuneHistory::load().expect("CI provides ../shared/data/dvhc");
        let config = lgsp_host::Config {
            max_instances: Some(64),
            ..lgsp_host::Config::default()
        };
        Self::start_full(
            citizens,
            official_communes(),
            Some(history),
            config,
            |upstreams| {
                Source::ALL
                    .into_iter()
                    .map(|s| Ok(connector_source(s, upstreams.get(s))))
                    .collect()
            },
        )
    }

    fn start_full(
        citizens: usize,
        communes: Option<Vec<lgsp_catalogs::Commune>>,
        history: Option<CommuneHistory>,
        config: lgsp_host::Config,
        sources: fn(&Upstreams) -> Vec<Result<ConnectorSource, String>>,
    ) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("lgsp-test-platform".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(4)
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                rt.block_on(async move {
                    let mut world_config = WorldConfig::scaled(7, citizens, communes);
                    world_config.old_communes = history.as_ref().map(CommuneHistory::old_communes);
                    let world = Arc::new(World::generate(&world_config));
                    let upstreams = Upstreams::start(&world).await;
                    let database = fresh_database("platform");
                    let config = lgsp_host::Config {
                        listen: Some("127.0.0.1:0".parse().expect("address")),
                        data_dir: Some(data_dir()),
                        master_key_file: Some(PathBuf::from(format!("{}.key", database.display()))),
                        database: Some(database),
                        ..config
                    };
                    let server = lgsp_host::start(&config, sources(&upstreams))
                        .await
                        .expect("platform starts");
                    import_communes(server.catalogs(), &world, history.as_ref()).await;
                    let auth = server.auth().clone();
                    let snapshot = server.registry().snapshot();
                    let sample = lgsp_host::auth::sample::provision(
                        auth.access(),
                        &snapshot,
                        PURPOSE,
                        chrono::Utc::now().date_naive(),
                        // The benchmarks measure the platform, not the tier.
                        lgsp_access::Tier {
                            per_minute: 100_000_000,
                            per_day: None,
                        },
                    )
                    .await
                    .expect("sample agencies and grants");
                    auth.access()
                        .create_admin(ADMIN_USER, ADMIN_PASSWORD)
                        .await
                        .expect("admin account");
                    let admin_token = auth
                        .login_admin(ADMIN_USER, ADMIN_PASSWORD, chrono::Utc::now())
                        .await
                        .expect("admin login")
                        .token;
                    let consumer = Arc::new(SignedClient::new(
                        &server.base_url(),
                        lgsp_auth::Credentials::hmac(
                            sample.consumer.access_key.clone(),
                            &sample.consumer.secret_key,
                        ),
                        PURPOSE,
                        snapshot.connectors.keys().cloned().collect(),
                    ));
                    tx.send(Platform {
                        url: server.base_url(),
                        load_failures: snapshot.failures.clone(),
                        upstream: upstreams.dan_cu.clone(),
                        upstreams,
                        world,
                        auth,
                        sample,
                        consumer,
                        admin_token,
                        query: server.query().clone(),
                        registry: server.registry().clone(),
                        audit: server.audit().clone(),
                        catalogs: server.catalogs().clone(),
                        connectors: server.connectors().clone(),
                        stop: Some(stop),
                    })
                    .expect("test thread waits");
                    // Serve until the platform is dropped or the process exits.
                    let _ = stopped.await;
                    let _ =
                        tokio::time::timeout(std::time::Duration::from_secs(5), server.shutdown())
                            .await;
                });
                rt.shutdown_timeout(std::time::Duration::from_secs(5));
            })
            .expect("platform thread");
        rx.recv().expect("platform started")
    }
}

/// A SQLite database file (under `<target>/lgsp-test-db`) that nothing else
/// in any running test or benchmark process uses, with whatever an earlier
/// process left there (the file and its `-wal` and `-shm`) removed.
///
/// # Panics
/// When the directory cannot be created.
pub fn fresh_database(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = target_dir().join("lgsp-test-db");
    std::fs::create_dir_all(&dir).expect("test database directory");
    let path = dir.join(format!("{name}-{}-{n}.db", std::process::id()));
    for suffix in [
        ".db",
        ".db-wal",
        ".db-shm",
        ".db.key",
        "-audit.db",
        "-audit.db-wal",
        "-audit.db-shm",
    ] {
        let _ =
            std::fs::remove_file(dir.join(format!("{name}-{}-{n}{suffix}", std::process::id())));
    }
    path
}

/// The official files about communes before and after 2025-07-01.
#[derive(Debug, Clone)]
pub struct CommuneHistory {
    /// `splits.json`: old communes, grouped by old unit.
    pub splits: String,
    /// `merges.json`: the crosswalk, grouped by new unit.
    pub merges: String,
}

/// Where the shared data lives.
pub fn dvhc_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/dvhc")
        .join(file)
}

impl CommuneHistory {
    /// Reads both files from `../shared/data/dvhc`.
    pub fn load() -> Option<Self> {
        Some(Self {
            splits: std::fs::read_to_string(dvhc_path("splits.json")).ok()?,
            merges: std::fs::read_to_string(dvhc_path("merges.json")).ok()?,
        })
    }

    /// The old communes with their pre-2025 province and their successors,
    /// for the synthetic world.
    pub fn old_communes(&self) -> Vec<lgsp_sample_upstream::OldCommune> {
        use lgsp_catalogs::{CrosswalkFormat, ItemFormat, UnitLevel, import};
        let items = import::parse_items(ItemFormat::Json, &self.splits, UnitLevel::Commune)
            .expect("splits.json communes");
        let crosswalk =
            import::parse_crosswalk(CrosswalkFormat::Json, &self.merges, UnitLevel::Commune)
                .expect("merges.json crosswalk");
        let mut successors: std::collections::HashMap<String, Vec<String>> = Default::default();
        for e in crosswalk.entries {
            successors
                .entry(e.entry.old_code)
                .or_default()
                .push(e.entry.new_code);
        }
        items
            .into_iter()
            .map(|p| lgsp_sample_upstream::OldCommune {
                successors: successors.remove(&p.item.code).unwrap_or_default(),
                province_code: p.item.parent.unwrap_or_default(),
                code: p.item.code,
            })
            .collect()
    }
}

/// Label and first day of the commune list before the 2025 reorganization, as
/// the tests import it. The dataset is the list in force on 2025-06-30;
/// earlier lists are not imported, so the version is taken to hold from
/// 2020-01-01.
pub const OLD_COMMUNES_VERSION: &str = "2020-01-01";
/// Label of the commune list from 2025-07-01.
pub const NEW_COMMUNES_VERSION: &str = "2025-07-01";

fn ymd(s: &str) -> lgsp_host::catalogs::NaiveDate {
    lgsp_host::catalogs::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// Writes the world's communes into `dvhc_xa` (the 2025 version), and with
/// `history` the pre-2025 version and the crosswalk, as an admin would.
async fn import_communes(
    catalogs: &lgsp_host::catalogs::CatalogService,
    world: &World,
    history: Option<&CommuneHistory>,
) {
    use lgsp_catalogs::{CrosswalkFormat, ItemFormat, UnitLevel};
    use lgsp_host::catalogs::ImportSpec;
    if let Some(h) = history {
        catalogs
            .import(
                "dvhc_xa",
                &ImportSpec {
                    version: OLD_COMMUNES_VERSION.into(),
                    valid_from: ymd(OLD_COMMUNES_VERSION),
                    valid_to: Some(ymd("2025-06-30")),
                    source: "splits.json".into(),
                    publish: true,
                },
                ItemFormat::Json,
                Some(UnitLevel::Commune),
                &h.splits,
                None,
            )
            .await
            .expect("pre-2025 communes import");
    }
    let items = world.communes().iter().map(|c| c.to_item()).collect();
    catalogs
        .import_items(
            "dvhc_xa",
            &ImportSpec {
                version: NEW_COMMUNES_VERSION.into(),
                valid_from: ymd(NEW_COMMUNES_VERSION),
                valid_to: None,
                source: "test world".into(),
                publish: true,
            },
            items,
            None,
        )
        .await
        .expect("2025 communes import");
    if let Some(h) = history {
        catalogs
            .import_crosswalk(
                "dvhc_xa",
                OLD_COMMUNES_VERSION,
                NEW_COMMUNES_VERSION,
                CrosswalkFormat::Json,
                Some(UnitLevel::Commune),
                &h.merges,
                "merges.json",
            )
            .await
            .expect("commune crosswalk import");
    }
}

/// The platform most tests share: 30,000 citizens on the official commune list.
///
/// # Panics
/// When a connector fails to load.
pub fn shared() -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        let platform = Platform::start(30_000, official_communes());
        assert!(
            platform.load_failures.is_empty(),
            "connectors failed to load: {:?}",
            platform.load_failures
        );
        platform
    })
}

/// Cargo's target directory: test and bench executables live in
/// `<target>/<profile>/deps`.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.ancestors()
        .nth(3)
        .expect("test executable sits in <target>/<profile>/deps")
        .to_path_buf()
}

/// A benchmark option from the environment: `name` as a number, `default`
/// when it is unset or not a number.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Where test servers cache compiled components.
pub fn data_dir() -> PathBuf {
    target_dir().join("lgsp-test-data")
}

/// Latency summary of a sample, for the benchmarks.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Median.
    pub p50: std::time::Duration,
    /// 99th percentile.
    pub p99: std::time::Duration,
    /// Mean.
    pub mean: std::time::Duration,
}

/// The summary of `samples` (all zero when there are none).
pub fn summarize(mut samples: Vec<std::time::Duration>) -> Summary {
    samples.sort_unstable();
    let n = samples.len();
    if n == 0 {
        let zero = std::time::Duration::ZERO;
        return Summary {
            p50: zero,
            p99: zero,
            mean: zero,
        };
    }
    let total: std::time::Duration = samples.iter().sum();
    Summary {
        p50: samples[n / 2],
        p99: samples[(n * 99 / 100).min(n - 1)],
        mean: total / u32::try_from(n).unwrap_or(u32::MAX),
    }
}

/// Requests per second that `concurrency` clients complete in `run_for`, each
/// calling `call` with keys from `keys` in turn (every client its own stride).
///
/// # Panics
/// When a client task panics (a failed request in `call`).
pub async fn throughput<F, Fut>(
    concurrency: usize,
    run_for: std::time::Duration,
    keys: &Arc<Vec<String>>,
    call: F,
) -> f64
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    use std::sync::atomic::{AtomicU64, Ordering};
    let done = Arc::new(AtomicU64::new(0));
    let deadline = std::time::Instant::now() + run_for;
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (keys, done, call) = (keys.clone(), done.clone(), call.clone());
            tokio::spawn(async move {
                let mut i = w * 131;
                while std::time::Instant::now() < deadline {
                    call(keys[i % keys.len()].clone()).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    i += concurrency;
                }
            })
        })
        .collect();
    let started = std::time::Instant::now();
    for w in workers {
        w.await.expect("client task");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
