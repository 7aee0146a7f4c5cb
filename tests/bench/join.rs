//! Join benchmark: citizens × their social-insurance history, driven by batched
//! key lookups, against the same join with one lookup per key (what a platform
//! without IN-list pushdown does: Steampipe users' "unbounded upstream calls").
//! Prints figures, asserts nothing; both variants run interleaved in the same
//! process over identical worlds.
//!
//! Run: `cargo bench -p lgsp-tests --bench join` (after scripts/build-wasm.sh).
//! Options (environment): `LGSP_BENCH_CITIZENS` (world size, default 100000),
//! `LGSP_BENCH_JOIN_KEYS` (citizens joined: the commune closest to it, default 1000), `LGSP_BENCH_ROUNDS`
//! (default 5).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use lgsp_host::runtime::{ConnectorSource, UpstreamLimits};
use lgsp_sample_upstream::Source;
use lgsp_tests::{Platform, Upstreams, connector_source, env_or};
use std::time::{Duration, Instant};

fn sources(u: &Upstreams, bhxh_batch: u32) -> Vec<Result<ConnectorSource, String>> {
    let mut dan_cu = connector_source(Source::DanCu, &u.dan_cu);
    dan_cu.manifest.upstream.limits = UpstreamLimits {
        lookup_batch: Some(100),
        ..UpstreamLimits::default()
    };
    let mut bhxh = connector_source(Source::Bhxh, &u.bhxh);
    bhxh.manifest.upstream.limits = UpstreamLimits {
        lookup_batch: Some(bhxh_batch),
        ..UpstreamLimits::default()
    };
    vec![Ok(dan_cu), Ok(bhxh)]
}

fn batched(u: &Upstreams) -> Vec<Result<ConnectorSource, String>> {
    sources(u, Source::Bhxh.batch_size())
}

fn per_key(u: &Upstreams) -> Vec<Result<ConnectorSource, String>> {
    sources(u, 1)
}

struct Run {
    wall: Duration,
    rows: u64,
    bhxh_calls: usize,
    dan_cu_calls: usize,
}

async fn run(platform: &Platform, sql: &str) -> Run {
    let started = Instant::now();
    let response = platform.consumer.query(sql, "application/json").await;
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("JSON");
    let wall = started.elapsed();
    if let Some(error) = body
        .get("error")
        .or_else(|| body.get("code").map(|_| &body))
    {
        panic!("the join failed: {error}");
    }
    Run {
        wall,
        rows: body["row_count"].as_u64().unwrap_or(0),
        bhxh_calls: platform.upstreams.bhxh.sim().requests_for(&id).len(),
        dan_cu_calls: platform.upstreams.dan_cu.sim().requests_for(&id).len(),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let citizens = env_or("LGSP_BENCH_CITIZENS", 100_000);
    let keys = env_or("LGSP_BENCH_JOIN_KEYS", 1_000);
    let rounds = env_or("LGSP_BENCH_ROUNDS", 5);
    let communes = lgsp_tests::official_communes();
    let config = || lgsp_host::Config {
        max_instances: Some(64),
        // Room for the per-key variant's thousand calls.
        max_upstream_calls_per_query: Some(100_000),
        ..lgsp_host::Config::default()
    };
    let with_batches = Platform::start_with(citizens, communes.clone(), config(), batched);
    let one_by_one = Platform::start_with(citizens, communes, config(), per_key);
    // The commune whose population is closest to `keys`: the join's keys
    // come from the population listing, so only the join can hand them to
    // the insurance table (a literal IN list would reach it as a static filter).
    let (ma_xa, residents) = with_batches
        .world
        .communes_by_population()
        .into_iter()
        .min_by_key(|(xa, n)| (n.abs_diff(keys), xa.clone()))
        .expect("communes");
    let sql = format!(
        "SELECT c.so_dinh_danh, c.ho_ten, q.tu_thang, q.den_thang, q.ma_so_doanh_nghiep, q.muc_luong \
         FROM dan_cu.cong_dan c JOIN bhxh.qua_trinh_dong q USING (so_dinh_danh) \
         WHERE c.ma_xa = '{ma_xa}'"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        // Warm-up: compiled code, connections, caches.
        run(&with_batches, &sql).await;
        run(&one_by_one, &sql).await;
        let mut batched_runs = Vec::new();
        let mut per_key_runs = Vec::new();
        for _ in 0..rounds {
            batched_runs.push(run(&with_batches, &sql).await);
            per_key_runs.push(run(&one_by_one, &sql).await);
        }
        println!(
            "citizens x insurance history join: the {residents} citizens of commune {ma_xa}, world of {citizens}, {rounds} interleaved rounds\n"
        );
        println!(
            "{:<28} {:>10} {:>8} {:>12} {:>12} {:>12}",
            "variant", "wall p50", "rows", "rows/s", "bhxh calls", "dan_cu calls"
        );
        let mut walls = Vec::new();
        for (name, runs) in [
            (
                format!("batched ({} keys/call)", Source::Bhxh.batch_size()),
                &batched_runs,
            ),
            ("one lookup per key".to_owned(), &per_key_runs),
        ] {
            let wall = median(runs.iter().map(|r| r.wall).collect());
            let r = &runs[0];
            println!(
                "{name:<28} {:>8.1}ms {:>8} {:>12.0} {:>12} {:>12}",
                wall.as_secs_f64() * 1e3,
                r.rows,
                r.rows as f64 / wall.as_secs_f64(),
                r.bhxh_calls,
                r.dan_cu_calls
            );
            walls.push(wall);
        }
        println!(
            "\nbatching: {:.1}x less wall time, {:.0}x fewer calls to the insurance system",
            walls[1].as_secs_f64() / walls[0].as_secs_f64(),
            per_key_runs[0].bhxh_calls as f64 / batched_runs[0].bhxh_calls.max(1) as f64
        );
    });
}
