//! Isolation benchmark: a healthy connector's latency while hostile queries
//! run beside it. Prints figures, asserts nothing.
//!
//! Run: `cargo bench -p lgsp-tests --bench isolation` (after
//! scripts/build-wasm.sh). Options (environment): `LGSP_BENCH_ROUNDS`
//! (default 3), `LGSP_BENCH_SLICE_SECS` per phase and round (default 3),
//! `LGSP_BENCH_HOSTILE` hostile clients (default 2, one per core here).
//!
//! One client looks up citizens by `so_dinh_danh` through `POST /v1/query`
//! (signed, the population connector) without pause. Each phase runs that
//! client alone, beside the same number of clients sending well-behaved
//! queries (what any load costs on these cores), or beside hostile clients
//! that keep sending one kind of breach to the hostile test connector
//! (endless loop, memory bomb, output past the cap, an upstream answering
//! gigabytes, a redirect to a forbidden host). Phases alternate in slices, round after round, so the machine's
//! noise falls on all of them alike; the healthy client's p50 and p99 are
//! compared with the alone phase of the same run. The simulated agency
//! systems run in the platform's process, on its runtime: in the 4 GiB
//! phase the land system's generating and sending its answer (up to the cap)
//! is part of the load beside the healthy client. A phase whose hostile
//! queries ended with any other code than the expected one is marked `!`:
//! it did not measure what it says.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use lgsp_tests::{Platform, env_or};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A phase: what the hostile clients send (nothing for the baseline), and
/// the error code each of their queries should end with.
struct Phase {
    name: &'static str,
    sql: Option<&'static str>,
    expect: &'static str,
}

const PHASES: &[Phase] = &[
    Phase {
        name: "alone (baseline)",
        sql: None,
        expect: "",
    },
    Phase {
        name: "well-behaved queries (load)",
        sql: Some("SELECT n FROM hostile.ok"),
        expect: "HTTP 200",
    },
    Phase {
        name: "endless loop in scan()",
        sql: Some("SELECT n FROM hostile.spin"),
        expect: "connector_timeout",
    },
    Phase {
        name: "memory bomb",
        sql: Some("SELECT n FROM hostile.memory"),
        expect: "connector_memory_limit",
    },
    Phase {
        name: "output past the cap",
        sql: Some("SELECT COUNT(*) FROM hostile.big_output"),
        expect: "connector_output_limit",
    },
    Phase {
        name: "upstream answering 4 GiB",
        sql: Some("SELECT n FROM hostile.huge_http"),
        expect: "upstream_response_too_large",
    },
    Phase {
        name: "redirect to a forbidden host",
        sql: Some("SELECT n FROM hostile.redirect_http"),
        expect: "connector_network_denied",
    },
];

/// What one phase gathered over all rounds.
#[derive(Default)]
struct Gathered {
    healthy: Vec<Duration>,
    healthy_failed: u64,
    hostile: BTreeMap<String, u64>,
}

fn main() {
    let rounds = env_or("LGSP_BENCH_ROUNDS", 3);
    let slice = Duration::from_secs(env_or("LGSP_BENCH_SLICE_SECS", 3) as u64);
    let hostile_clients = env_or("LGSP_BENCH_HOSTILE", 2);
    let started = Instant::now();
    let config = lgsp_host::Config {
        max_instances: Some(64),
        ..lgsp_host::Config::default()
    };
    let platform = Platform::start_with(20_000, lgsp_tests::official_communes(), config, |u| {
        vec![
            Ok(lgsp_tests::dan_cu_source(&u.dan_cu)),
            Ok(lgsp_tests::hostile_source_allowed(&u.dan_cu, &u.dat_dai)),
        ]
    });
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "platform up in {:.1?}; {cores} cores; {rounds} rounds of {} s per phase; 1 healthy client, {hostile_clients} hostile clients\n",
        started.elapsed(),
        slice.as_secs()
    );
    // The land system answers every hostile probe as the phase needs: a
    // redirect to the population system (not on the hostile allowlist) or
    // an endless body.
    let land = platform.upstreams.dat_dai.sim();
    land.inject(lgsp_sample_upstream::Fault {
        count: u32::MAX,
        redirect_to: Some(format!(
            "{}/api/v1/cong-dan",
            platform.upstreams.dan_cu.base_url()
        )),
        uri_contains: Some("probe=redirect".into()),
        ..lgsp_sample_upstream::Fault::default()
    });
    land.inject(lgsp_sample_upstream::Fault {
        count: u32::MAX,
        stream_bytes: Some(4 << 30),
        uri_contains: Some("probe=huge".into()),
        ..lgsp_sample_upstream::Fault::default()
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let platform = Arc::new(platform);
        let ids: Arc<Vec<String>> = Arc::new(
            platform
                .world
                .citizens()
                .iter()
                .step_by(11)
                .take(2_000)
                .map(|c| c.so_dinh_danh.clone())
                .collect(),
        );
        // Warm-up: sessions, connections, the first instances.
        let _ = healthy_slice(&platform, &ids, Duration::from_secs(1)).await;
        let mut gathered: Vec<Gathered> = PHASES.iter().map(|_| Gathered::default()).collect();
        for _ in 0..rounds {
            for (phase, into) in PHASES.iter().zip(gathered.iter_mut()) {
                run_phase(&platform, &ids, phase, hostile_clients, slice, into).await;
            }
        }
        report(&gathered);
    });
}

async fn run_phase(
    platform: &Arc<Platform>,
    ids: &Arc<Vec<String>>,
    phase: &Phase,
    hostile_clients: usize,
    slice: Duration,
    into: &mut Gathered,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let hostile: Vec<_> = phase
        .sql
        .into_iter()
        .flat_map(|sql| std::iter::repeat_n(sql, hostile_clients))
        .map(|sql| {
            let (platform, stop) = (platform.clone(), stop.clone());
            tokio::spawn(async move {
                let mut codes: BTreeMap<String, u64> = BTreeMap::new();
                while !stop.load(Ordering::Relaxed) {
                    let r = platform.consumer.query(sql, "application/json").await;
                    let status = r.status().as_u16();
                    let body: serde_json::Value = r.json().await.unwrap_or_default();
                    let code = body["code"]
                        .as_str()
                        .or(body["error"]["code"].as_str())
                        .map_or_else(|| format!("HTTP {status}"), str::to_owned);
                    *codes.entry(code).or_default() += 1;
                }
                codes
            })
        })
        .collect();
    // Let the hostile queries get going before measuring.
    if !hostile.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (samples, failed) = healthy_slice(platform, ids, slice).await;
    stop.store(true, Ordering::Relaxed);
    for h in hostile {
        for (code, n) in h.await.expect("hostile client") {
            *into.hostile.entry(code).or_default() += n;
        }
    }
    into.healthy.extend(samples);
    into.healthy_failed += failed;
}

/// One client's point lookups for `run_for`: latencies of the answered
/// ones, and how many failed.
async fn healthy_slice(
    platform: &Platform,
    ids: &Arc<Vec<String>>,
    run_for: Duration,
) -> (Vec<Duration>, u64) {
    let deadline = Instant::now() + run_for;
    let (mut samples, mut failed) = (Vec::new(), 0);
    let mut i = 0;
    while Instant::now() < deadline {
        let id = &ids[i % ids.len()];
        i += 1;
        let sql = format!(
            "SELECT ho_ten, ngay_sinh, gioi_tinh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"
        );
        let t = Instant::now();
        let r = platform.consumer.query(&sql, "application/json").await;
        let ok = r.status().is_success();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        if ok && body["rows"].as_array().is_some_and(|rows| rows.len() == 1) {
            samples.push(t.elapsed());
        } else {
            failed += 1;
        }
    }
    (samples, failed)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(gathered: &[Gathered]) {
    let mut rows = Vec::new();
    for (phase, g) in PHASES.iter().zip(gathered) {
        let s = lgsp_tests::summarize(g.healthy.clone());
        rows.push((phase, s.p50, s.p99, g.healthy.len(), g));
    }
    let (base_p50, base_p99) = (rows[0].1, rows[0].2);
    println!(
        "{:<30} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7}  hostile queries by answer code (expected)",
        "healthy lookups beside", "p50 ms", "p99 ms", "p50 ×", "p99 ×", "lookups", "failed"
    );
    for (phase, p50, p99, n, g) in rows {
        let hostile: Vec<String> = g.hostile.iter().map(|(c, n)| format!("{n} {c}")).collect();
        println!(
            "{:<30} {:>9.2} {:>9.2} {:>8.2} {:>8.2} {:>8} {:>7}  {}",
            phase.name,
            ms(p50),
            ms(p99),
            p50.as_secs_f64() / base_p50.as_secs_f64().max(1e-9),
            p99.as_secs_f64() / base_p99.as_secs_f64().max(1e-9),
            n,
            g.healthy_failed,
            if hostile.is_empty() {
                "-".to_owned()
            } else {
                let stray = g.hostile.keys().any(|c| c != phase.expect);
                format!(
                    "{}{} ({})",
                    if stray { "! " } else { "" },
                    hostile.join(", "),
                    phase.expect
                )
            }
        );
    }
}
