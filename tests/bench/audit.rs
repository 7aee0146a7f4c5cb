//! Audit benchmark. Prints figures, asserts nothing; every figure has a
//! baseline measured in the same process.
//!
//! Run: `cargo bench -p lgsp-tests --bench audit` (after scripts/build-wasm.sh).
//! Options (environment): `LGSP_BENCH_SECONDS` per slice (default 2),
//! `LGSP_BENCH_CONCURRENCY` (default 16), `LGSP_BENCH_ENTRIES` for the
//! verification run (default 200000).
//!
//! (a) signed point-lookup throughput with every request audited (entry
//!     committed, synced, before the response's last bytes) vs the same
//!     router with request auditing off, in alternating slices;
//! (b) audit entries committed per second by the group-commit writer with
//!     many concurrent callers, vs one caller at a time (one transaction and
//!     one sync per entry);
//! (c) `audit verify`: entries checked per second.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use lgsp_audit::{Actor, AuditLog, Draft, Kind, Resource, ServiceRef, TableRead};
use lgsp_host::api::AppState;
use lgsp_tests::{Platform, SignedClient, env_or, throughput};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let seconds = env_or("LGSP_BENCH_SECONDS", 2) as u64;
    let concurrency = env_or("LGSP_BENCH_CONCURRENCY", 16);
    let entries = env_or("LGSP_BENCH_ENTRIES", 200_000);
    let platform = Platform::for_signed_benchmarks();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        audited_vs_unaudited(&platform, concurrency, Duration::from_secs(seconds)).await;
        let db = writer_throughput(concurrency, Duration::from_secs(seconds), entries).await;
        verify_speed(&db).await;
    });
}

async fn serve(platform: &Platform, audit: Arc<lgsp_host::audit::Auditor>) -> String {
    let app = lgsp_host::api::router(AppState {
        query: platform.query.clone(),
        registry: platform.registry.clone(),
        catalogs: platform.catalogs.clone(),
        auth: platform.auth.clone(),
        audit,
        metrics: Default::default(),
        monitor: None,
        connectors: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        // As the server does (see `set_nodelay`).
        let listener = axum::serve::ListenerExt::tap_io(listener, lgsp_host::server::set_nodelay);
        let _ = axum::serve(listener, app).await;
    });
    url
}

async fn audited_vs_unaudited(platform: &Platform, concurrency: usize, slice: Duration) {
    println!(
        "(a) signed point lookup, {concurrency} concurrent clients, alternating {slice:?} slices"
    );
    // Both routers run on this runtime over the same services; only request
    // auditing differs.
    let audited = serve(platform, platform.audit.clone()).await;
    let unaudited = serve(platform, platform.audit.unaudited()).await;
    let client = |url: &str| {
        Arc::new(SignedClient::new(
            url,
            platform.consumer_credentials(),
            lgsp_tests::PURPOSE,
            vec!["dan_cu".into()],
        ))
    };
    let (audited_client, unaudited_client) = (client(&audited), client(&unaudited));
    let ids: Arc<Vec<String>> = Arc::new(
        platform
            .world
            .citizens()
            .iter()
            .step_by(7)
            .take(2_000)
            .map(|c| c.so_dinh_danh.clone())
            .collect(),
    );
    let run = |client: Arc<SignedClient>| {
        move |id: String| {
            let client = client.clone();
            async move {
                let sql = format!(
                    "SELECT ho_ten, ngay_sinh, gioi_tinh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"
                );
                let r = client.query(&sql, "application/json").await;
                assert!(r.status().is_success(), "{}", r.status());
                black_box(r.bytes().await.expect("body"));
            }
        }
    };
    let entries_before = platform
        .audit
        .log()
        .stats()
        .entries
        .load(std::sync::atomic::Ordering::Relaxed);
    let batches_before = platform
        .audit
        .log()
        .stats()
        .batches
        .load(std::sync::atomic::Ordering::Relaxed);
    let (mut with, mut without) = (0.0, 0.0);
    // Process CPU (user, system) per slice: the rate alone is noisy on two
    // shared cores, the CPU each request costs much less so.
    let (mut cpu_with, mut cpu_without) = ((0.0, 0.0), (0.0, 0.0));
    let slices = 3;
    for _ in 0..slices {
        let c0 = cpu_seconds();
        let rate = throughput(concurrency, slice, &ids, run(unaudited_client.clone())).await;
        let c1 = cpu_seconds();
        without += rate;
        cpu_without.0 += (c1.0 - c0.0) / (rate * slice.as_secs_f64());
        cpu_without.1 += (c1.1 - c0.1) / (rate * slice.as_secs_f64());
        let rate = throughput(concurrency, slice, &ids, run(audited_client.clone())).await;
        let c2 = cpu_seconds();
        with += rate;
        cpu_with.0 += (c2.0 - c1.0) / (rate * slice.as_secs_f64());
        cpu_with.1 += (c2.1 - c1.1) / (rate * slice.as_secs_f64());
    }
    let per = |v: f64| v / slices as f64 * 1e6;
    let stats = platform.audit.log().stats();
    let entries = stats.entries.load(std::sync::atomic::Ordering::Relaxed) - entries_before;
    let batches = stats.batches.load(std::sync::atomic::Ordering::Relaxed) - batches_before;
    let (with, without) = (with / slices as f64, without / slices as f64);
    println!("    unaudited (baseline)  {without:>9.0} req/s");
    println!("    audited               {with:>9.0} req/s");
    println!(
        "    ratio audited/unaudited: {:.3}  (audit cost {:.1}%)",
        with / without,
        100.0 * (1.0 - with / without)
    );
    println!(
        "    {entries} entries in {batches} transactions: {:.1} entries per commit",
        entries as f64 / batches.max(1) as f64
    );
    println!(
        "    CPU per request (clients included): unaudited {:.0} µs user + {:.0} µs system, audited {:.0} µs user + {:.0} µs system\n",
        per(cpu_without.0),
        per(cpu_without.1),
        per(cpu_with.0),
        per(cpu_with.1)
    );
}

/// This process's (user, system) CPU seconds so far, from /proc/self/stat.
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

fn sample(i: usize) -> Draft {
    let mut d = Draft::new(chrono::Utc::now(), Kind::Data, "POST /v1/query");
    d.request_id = Some(format!("bench-{i}"));
    d.actor = Actor {
        agency: Some("000.00.00.H49".into()),
        application: Some("app-bench".into()),
        key: Some("LGSPBENCHKEY".into()),
        admin: None,
    };
    d.resource = Resource {
        path: Some("/v1/query".into()),
        services: vec![ServiceRef {
            name: "dan_cu".into(),
            provider: Some("000.00.00.G09".into()),
        }],
        tables: vec![TableRead {
            table: "dan_cu.cong_dan".into(),
            columns: vec!["so_dinh_danh".into(), "ho_ten".into(), "ngay_sinh".into()],
        }],
        columns: vec!["ho_ten".into(), "ngay_sinh".into()],
    };
    d.purpose = Some("Giải quyết thủ tục hành chính".into());
    d.status = Some(200);
    d.rows = Some(1);
    d.bytes = 180;
    d.duration_us = 2100;
    d.response_sha256 = Some("ab".repeat(32));
    d
}

/// Entries/s with `concurrency` callers vs one; then fills the log up to
/// `fill` entries for the verification run. Returns the database's pool.
async fn writer_throughput(concurrency: usize, slice: Duration, fill: usize) -> sqlx::SqlitePool {
    println!("(b) audit writer, entries committed per second (synchronous=FULL)");
    let path = lgsp_tests::fresh_database("bench-audit");
    let pool = lgsp_audit::open(&path).await.expect("audit database");
    let log = AuditLog::start(pool.clone()).expect("writer");
    let rate = |callers: usize| {
        let log = log.clone();
        async move {
            let started = Instant::now();
            let tasks: Vec<_> = (0..callers)
                .map(|c| {
                    let log = log.clone();
                    tokio::spawn(async move {
                        let mut n = 0usize;
                        while started.elapsed() < slice {
                            log.record(sample(c * 1_000_000 + n)).await.expect("commit");
                            n += 1;
                        }
                        n
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await.expect("task");
            }
            total as f64 / started.elapsed().as_secs_f64()
        }
    };
    let one = rate(1).await;
    let many = rate(concurrency * 8).await;
    println!("    one caller at a time (baseline)  {one:>9.0} entries/s");
    println!(
        "    {} concurrent callers          {many:>9.0} entries/s  ({:.1}x)",
        concurrency * 8,
        many / one
    );
    // Fill for (c) with as many callers as it takes.
    let have = lgsp_audit::head(&pool).await.expect("head").seq as usize;
    let started = Instant::now();
    let tasks: Vec<_> = (0..256)
        .map(|c| {
            let log = log.clone();
            let share = fill.saturating_sub(have) / 256;
            tokio::spawn(async move {
                for n in 0..share {
                    log.record(sample(c * 1_000_000 + n)).await.expect("commit");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    let head = lgsp_audit::head(&pool).await.expect("head").seq;
    println!(
        "    (filled the log to {head} entries in {:.1?})\n",
        started.elapsed()
    );
    pool
}

async fn verify_speed(pool: &sqlx::SqlitePool) {
    println!("(c) lgsp audit verify");
    let key = lgsp_audit::PlatformKey::from_seed(&[9; 32]);
    lgsp_audit::seal(pool, &key, chrono::Utc::now())
        .await
        .expect("seal");
    let started = Instant::now();
    let report = lgsp_audit::verify(pool, &key.public_key())
        .await
        .expect("verify");
    let secs = started.elapsed().as_secs_f64();
    assert!(report.ok(), "{:?}", report.problem);
    // Baseline: reading the same rows without checking anything.
    let started = Instant::now();
    let mut after = 0;
    let mut read = 0usize;
    loop {
        let rows = lgsp_audit::rows_after(pool, after, 20_000)
            .await
            .expect("rows");
        let Some(last) = rows.last() else { break };
        after = last.seq;
        read += rows.len();
        black_box(&rows);
    }
    let read_secs = started.elapsed().as_secs_f64();
    println!(
        "    reading the rows (baseline)  {:>9.0} entries/s",
        read as f64 / read_secs
    );
    println!(
        "    verify                       {:>9.0} entries/s  ({} entries, {:.2} s; {:.2}x the read time)",
        report.entries as f64 / secs,
        report.entries,
        secs,
        secs / read_secs
    );
}
