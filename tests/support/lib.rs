//! Shared set-up for the end-to-end tests and the benchmark: the built WASM
//! components, a simulated upstream over a synthetic world, and a real platform
//! server on loopback.

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
            upstream: UpstreamPolicy {
                allowed_hosts: vec![upstream.addr().to_string()],
                allow_private_addresses: false,
                limits: Default::default(),
            },
            config: config.into_iter().collect(),
            limits: LimitOverrides::default(),
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
        },
        wasm_path: wasm_dir().join("lgsp_test_hostile.wasm"),
    }
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
}

impl Platform {
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
            sources.push(Ok(hostile_source(&upstreams.dan_cu)));
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
            admin_token: Some(ADMIN_TOKEN.into()),
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
                    let config = lgsp_host::Config {
                        listen: Some("127.0.0.1:0".parse().expect("address")),
                        data_dir: Some(data_dir()),
                        database: Some(fresh_database("platform")),
                        ..config
                    };
                    let server = lgsp_host::start(&config, sources(&upstreams))
                        .await
                        .expect("platform starts");
                    import_communes(server.catalogs(), &world, history.as_ref()).await;
                    tx.send(Platform {
                        url: server.base_url(),
                        load_failures: server.registry().snapshot().failures.clone(),
                        upstream: upstreams.dan_cu.clone(),
                        upstreams,
                        world,
                    })
                    .expect("test thread waits");
                    // Serve until the test process exits.
                    std::future::pending::<()>().await;
                    drop(server);
                });
            })
            .expect("platform thread");
        rx.recv().expect("platform started")
    }
}

/// The admin token of platforms started by [`Platform::start_with_history`].
pub const ADMIN_TOKEN: &str = "test-admin-token";

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
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
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
