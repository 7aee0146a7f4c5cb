//! Platform benchmarks. Prints figures, asserts nothing. Every figure is paired
//! with a baseline measured in the same process on the same machine.
//!
//! Run: `cargo bench -p lgsp-tests --bench platform` (after scripts/build-wasm.sh).
//! Options (environment): `LGSP_BENCH_CITIZENS` (default 100000),
//! `LGSP_BENCH_SECONDS` per throughput run (default 5).
//!
//! (a) connector call overhead: fresh instance + call, per call;
//! (b) point lookup through `POST /v1/query` vs the upstream directly;
//! (c) commune listing of >= 10,000 rows through SQL vs the upstream's raw JSON.

use lgsp_host::runtime::{CallContext, LoadedConnector, Runtime, RuntimeSettings, ScanRequest};
use lgsp_tests::{API_KEY, Platform};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let citizens = env_or("LGSP_BENCH_CITIZENS", 100_000);
    let seconds = env_or("LGSP_BENCH_SECONDS", 5) as u64;
    print_machine();
    let started = Instant::now();
    let platform = Platform::start(citizens, lgsp_tests::official_communes());
    println!(
        "world: {citizens} citizens, platform up in {:.1?}\n",
        started.elapsed()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        call_overhead().await;
        point_lookup(&platform, Duration::from_secs(seconds)).await;
        commune_scan(&platform).await;
    });
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!("machine: {cpu}, {cores} cores available");
}

/// Latency summary of a sample.
struct Summary {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort_unstable();
    let n = samples.len().max(1);
    let total: Duration = samples.iter().sum();
    Summary {
        p50: samples[n / 2],
        p99: samples[(n * 99 / 100).min(n - 1)],
        mean: total / n as u32,
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

// (a) -----------------------------------------------------------------------

async fn call_overhead() {
    println!("(a) connector call overhead (fresh instance per call, pooling allocator)");
    let runtime = Runtime::new(RuntimeSettings {
        cache_dir: Some(lgsp_tests::data_dir().join("compiled")),
        ..RuntimeSettings::default()
    })
    .expect("runtime");
    let upstream_stub = lgsp_sample_upstream::serve(
        Arc::new(lgsp_sample_upstream::World::generate(
            &lgsp_sample_upstream::WorldConfig {
                citizens: 10,
                ..Default::default()
            },
        )),
        &lgsp_sample_upstream::UpstreamConfig::default(),
    )
    .await
    .expect("upstream");
    let hostile = Arc::new(
        runtime
            .load(&lgsp_tests::hostile_source(&upstream_stub))
            .await
            .expect("hostile connector loads"),
    );
    let ctx = CallContext::platform("bench");
    let iterations = 5_000;

    // Baseline: the same async call path with no WebAssembly at all.
    let baseline = measure(iterations, || async {
        std::hint::black_box(noop(std::hint::black_box(1)).await);
    })
    .await;
    let empty = measure(iterations, || scan_empty(&hostile, &ctx)).await;
    let health = measure(iterations, || async {
        hostile.health(&ctx).await.expect("health");
    })
    .await;
    println!(
        "    baseline (no-op async call)            p50 {:>8.1} µs  p99 {:>8.1} µs",
        us(baseline.p50),
        us(baseline.p99)
    );
    println!(
        "    instantiate + health()                 p50 {:>8.1} µs  p99 {:>8.1} µs  mean {:>8.1} µs",
        us(health.p50),
        us(health.p99),
        us(health.mean)
    );
    println!(
        "    instantiate + scan() + next() (empty)  p50 {:>8.1} µs  p99 {:>8.1} µs  mean {:>8.1} µs",
        us(empty.p50),
        us(empty.p99),
        us(empty.mean)
    );
    println!(
        "    target ≤ 50 µs p50 (Spin no-op with pooling): empty scan is {:.2}× the target\n",
        us(empty.p50) / 50.0
    );
}

async fn noop(x: u64) -> u64 {
    x
}

async fn scan_empty(connector: &Arc<LoadedConnector>, ctx: &CallContext) {
    let mut stream = connector
        .scan(
            ScanRequest {
                table: "empty".into(),
                columns: vec!["n".into()],
                filters: vec![],
                limit: None,
            },
            ctx,
        )
        .await
        .expect("scan");
    assert!(stream.next().await.expect("next").is_none());
}

async fn measure<F, Fut>(n: usize, mut f: F) -> Summary
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..n / 10 {
        f().await;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        samples.push(t.elapsed());
    }
    summarize(samples)
}

// (b) -----------------------------------------------------------------------

async fn point_lookup(platform: &Platform, run_for: Duration) {
    println!("(b) point lookup by so_dinh_danh: POST /v1/query vs the upstream directly");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let ids: Arc<Vec<String>> = Arc::new(
        platform
            .world
            .citizens()
            .iter()
            .step_by(7)
            .take(5_000)
            .map(|c| c.so_dinh_danh.clone())
            .collect(),
    );
    let direct = Target::Direct {
        base: platform.upstream.base_url(),
    };
    let via = Target::Platform {
        base: platform.url.clone(),
    };

    let n = 1_000;
    let d = sequential(&client, &direct, &ids, n).await;
    let p = sequential(&client, &via, &ids, n).await;
    println!("    latency, one client, {n} lookups each:");
    println!(
        "      upstream direct      p50 {:>8.1} µs  p99 {:>8.1} µs",
        us(d.p50),
        us(d.p99)
    );
    println!(
        "      through the platform p50 {:>8.1} µs  p99 {:>8.1} µs",
        us(p.p50),
        us(p.p99)
    );
    println!(
        "      added by the platform: p50 +{:.1} µs, p99 +{:.1} µs",
        us(p.p50.saturating_sub(d.p50)),
        us(p.p99.saturating_sub(d.p99))
    );
    let concurrency = 16;
    let direct_rps = throughput(&client, &direct, &ids, concurrency, run_for).await;
    let platform_rps = throughput(&client, &via, &ids, concurrency, run_for).await;
    println!(
        "    throughput, {concurrency} concurrent clients, {}s each:",
        run_for.as_secs()
    );
    println!("      upstream direct      {direct_rps:>9.0} req/s");
    println!("      through the platform {platform_rps:>9.0} req/s");
    println!(
        "      ratio platform/direct: {:.3}\n",
        platform_rps / direct_rps
    );
}

#[derive(Clone)]
enum Target {
    Direct { base: String },
    Platform { base: String },
}

impl Target {
    async fn lookup(&self, client: &reqwest::Client, id: &str) {
        match self {
            Target::Direct { base } => {
                let r = client
                    .get(format!("{base}/api/v1/cong-dan/{id}"))
                    .header("x-api-key", API_KEY)
                    .send()
                    .await
                    .expect("upstream answers");
                assert!(r.status().is_success());
                let v: serde_json::Value = r.json().await.expect("json");
                std::hint::black_box(v);
            }
            Target::Platform { base } => {
                let sql = format!(
                    "SELECT ho_ten, ngay_sinh, gioi_tinh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"
                );
                let r = client
                    .post(format!("{base}/v1/query"))
                    .json(&serde_json::json!({ "sql": sql }))
                    .send()
                    .await
                    .expect("platform answers");
                assert!(r.status().is_success(), "{}", r.status());
                let v: serde_json::Value = r.json().await.expect("json");
                assert_eq!(v["row_count"], 1);
            }
        }
    }
}

async fn sequential(
    client: &reqwest::Client,
    target: &Target,
    ids: &[String],
    n: usize,
) -> Summary {
    for id in ids.iter().take(50) {
        target.lookup(client, id).await;
    }
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        target.lookup(client, &ids[i % ids.len()]).await;
        samples.push(t.elapsed());
    }
    summarize(samples)
}

async fn throughput(
    client: &reqwest::Client,
    target: &Target,
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    run_for: Duration,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + run_for;
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (client, target, ids, done) =
                (client.clone(), target.clone(), ids.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = w * 131;
                while Instant::now() < deadline {
                    target.lookup(&client, &ids[i % ids.len()]).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    i += concurrency;
                }
            })
        })
        .collect();
    let started = Instant::now();
    for w in workers {
        w.await.expect("worker");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

// (c) -----------------------------------------------------------------------

async fn commune_scan(platform: &Platform) {
    let (xa, residents) = platform.world.communes_by_population()[0].clone();
    println!("(c) listing commune {xa} ({residents} residents), all 14 columns");
    if residents < 10_000 {
        println!("    note: fewer than 10,000 residents; raise LGSP_BENCH_CITIZENS");
    }
    let client = reqwest::Client::new();
    let runs = 5;

    let raw = best_of(runs, || raw_listing(&client, platform, &xa)).await;
    let sql = format!("SELECT * FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'");
    let arrow = best_of(runs, || {
        sql_listing(
            &client,
            platform,
            &sql,
            "application/vnd.apache.arrow.stream",
        )
    })
    .await;
    let json = best_of(runs, || {
        sql_listing(&client, platform, &sql, "application/json")
    })
    .await;
    let rate = |rows: usize, d: Duration| rows as f64 / d.as_secs_f64();
    println!(
        "    upstream raw JSON pages (fetch + parse)  {:>9.0} rows/s  ({:.1?} for {} rows)",
        rate(raw.0, raw.1),
        raw.1,
        raw.0
    );
    println!(
        "    SQL through the platform, Arrow result   {:>9.0} rows/s  ({:.1?})  ratio {:.2}",
        rate(arrow.0, arrow.1),
        arrow.1,
        rate(arrow.0, arrow.1) / rate(raw.0, raw.1)
    );
    println!(
        "    SQL through the platform, JSON result    {:>9.0} rows/s  ({:.1?})  ratio {:.2}",
        rate(json.0, json.1),
        json.1,
        rate(json.0, json.1) / rate(raw.0, raw.1)
    );
    println!("    (best of {runs} runs each; the platform also normalizes codes and dates)");
}

async fn best_of<F, Fut>(runs: usize, mut f: F) -> (usize, Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = usize>,
{
    let mut best = (0, Duration::MAX);
    for _ in 0..runs {
        let t = Instant::now();
        let rows = f().await;
        let d = t.elapsed();
        if d < best.1 {
            best = (rows, d);
        }
    }
    best
}

async fn raw_listing(client: &reqwest::Client, platform: &Platform, xa: &str) -> usize {
    let mut rows = 0;
    let mut page = 1;
    loop {
        let v: serde_json::Value = client
            .get(format!(
                "{}/api/v1/cong-dan?maXa={xa}&trang={page}&soBanGhi=1000",
                platform.upstream.base_url()
            ))
            .header("x-api-key", API_KEY)
            .send()
            .await
            .expect("upstream answers")
            .json()
            .await
            .expect("json");
        rows += v["duLieu"].as_array().map_or(0, Vec::len);
        let total_pages = v["phanTrang"]["tongSoTrang"].as_u64().unwrap_or(0);
        if page >= total_pages {
            return rows;
        }
        page += 1;
    }
}

async fn sql_listing(
    client: &reqwest::Client,
    platform: &Platform,
    sql: &str,
    accept: &str,
) -> usize {
    let r = client
        .post(format!("{}/v1/query", platform.url))
        .header("accept", accept)
        .json(&serde_json::json!({ "sql": sql }))
        .send()
        .await
        .expect("platform answers");
    assert!(r.status().is_success());
    let bytes = r.bytes().await.expect("body");
    if accept == "application/json" {
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        v["row_count"].as_u64().unwrap_or(0) as usize
    } else {
        let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(
            std::io::Cursor::new(bytes),
            None,
        )
        .expect("arrow");
        reader.map(|b| b.expect("batch").num_rows()).sum()
    }
}
