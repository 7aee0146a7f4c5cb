//! Shared-catalog benchmark (issue 4, item 7), each figure beside a baseline
//! measured in the same process:
//!
//! 1. importing the 3,321-commune version and the crosswalk from the official
//!    files (parse, validate, write, publish), against parsing alone;
//! 2. in-process lookups (code → item, old code + date → current codes),
//!    against a plain `HashMap` lookup of the same codes;
//! 3. REST item fetches per second, against `GET /v1/health` on the same
//!    server with the same client concurrency.
//!
//! Run: `cargo bench -p lgsp-tests --bench catalogs` (needs `../shared/data/dvhc`).

use lgsp_catalogs::{CrosswalkFormat, Item, ItemFormat, UnitLevel, import};
use lgsp_host::catalogs::{CatalogService, ImportSpec, NaiveDate};
use lgsp_host::runtime::CatalogLookup;
use lgsp_tests::dvhc_path;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn read(file: &str) -> String {
    std::fs::read_to_string(dvhc_path(file)).expect("CI provides ../shared/data/dvhc")
}

fn spec(version: &str, from: &str, to: Option<&str>) -> ImportSpec {
    ImportSpec {
        version: version.into(),
        valid_from: day(from),
        valid_to: to.map(day),
        source: "bench".into(),
        publish: true,
    }
}

/// Imports the official lists; returns (time for the 2025 communes plus the
/// crosswalk, time to only parse the same two files).
async fn import_all(service: &CatalogService) -> (Duration, Duration) {
    let splits = read("splits.json");
    let merges = read("merges.json");
    let gso = read("1027_CTK-CSCL.md");
    service
        .import(
            "dvhc_xa",
            &spec("2020-01-01", "2020-01-01", Some("2025-06-30")),
            ItemFormat::Json,
            Some(UnitLevel::Commune),
            &splits,
            None,
        )
        .await
        .expect("old communes");
    let parse_started = Instant::now();
    let parsed = import::parse_items(ItemFormat::Gso, &gso, UnitLevel::Commune).expect("gso");
    let crosswalk =
        import::parse_crosswalk(CrosswalkFormat::Json, &merges, UnitLevel::Commune).expect("cw");
    let parse_only = parse_started.elapsed();
    black_box((parsed, crosswalk));
    let started = Instant::now();
    service
        .import(
            "dvhc_xa",
            &spec("2025-07-01", "2025-07-01", None),
            ItemFormat::Gso,
            Some(UnitLevel::Commune),
            &gso,
            None,
        )
        .await
        .expect("2025 communes");
    service
        .import_crosswalk(
            "dvhc_xa",
            "2020-01-01",
            "2025-07-01",
            CrosswalkFormat::Json,
            Some(UnitLevel::Commune),
            &merges,
            "merges.json",
        )
        .await
        .expect("crosswalk");
    (started.elapsed(), parse_only)
}

fn per_op(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_nanos() as f64 / ops as f64
}

/// Times the lookups; returns the 2025 commune codes it looked up.
fn lookups(service: &CatalogService) -> Vec<String> {
    let gso = read("1027_CTK-CSCL.md");
    let items: Vec<Item> = import::parse_items(ItemFormat::Gso, &gso, UnitLevel::Commune)
        .expect("gso")
        .into_iter()
        .map(|p| p.item)
        .collect();
    let codes: Vec<String> = items.iter().map(|i| i.code.clone()).collect();
    let baseline: HashMap<String, Item> = items.into_iter().map(|i| (i.code.clone(), i)).collect();
    let old_codes: Vec<String> =
        import::parse_items(ItemFormat::Json, &read("splits.json"), UnitLevel::Commune)
            .expect("splits")
            .into_iter()
            .map(|p| p.item.code)
            .collect();
    let rounds = 200;
    let n = codes.len() * rounds;

    let t = Instant::now();
    for _ in 0..rounds {
        for c in &codes {
            black_box(baseline.get(c.as_str()).cloned());
        }
    }
    let base = per_op(t.elapsed(), n);

    let t = Instant::now();
    for _ in 0..rounds {
        for c in &codes {
            black_box(service.item("dvhc_xa", c, None));
        }
    }
    let item = per_op(t.elapsed(), n);

    let as_of = Some(day("2024-06-01"));
    let t = Instant::now();
    for _ in 0..rounds {
        for c in &codes {
            black_box(service.item("dvhc_xa", c, as_of));
        }
    }
    let item_dated = per_op(t.elapsed(), n);

    let old_n = old_codes.len() * 50;
    let t = Instant::now();
    for _ in 0..50 {
        for c in &old_codes {
            black_box(service.current_codes("dvhc_xa", c, day("2024-06-01")));
        }
    }
    let successors = per_op(t.elapsed(), old_n);

    let t = Instant::now();
    for _ in 0..rounds {
        for c in &codes {
            black_box(service.code_for("dvhc_xa", c, None));
        }
    }
    let code_for = per_op(t.elapsed(), n);

    println!("in-process lookups over {} codes x {rounds}:", codes.len());
    println!("  baseline HashMap get + clone        {base:>8.0} ns/lookup");
    println!(
        "  item(code), today                   {item:>8.0} ns/lookup  ({:.1}x baseline)",
        item / base
    );
    println!(
        "  item(code, as of 2024-06-01)        {item_dated:>8.0} ns/lookup  ({:.1}x baseline)",
        item_dated / base
    );
    println!(
        "  code_for(code)                      {code_for:>8.0} ns/lookup  ({:.1}x baseline)",
        code_for / base
    );
    println!(
        "  current_codes(old code, 2024-06-01) {successors:>8.0} ns/lookup  ({:.1}x baseline)",
        successors / base
    );
    codes
}

async fn throughput(url: String, paths: Arc<Vec<String>>, clients: usize, window: Duration) -> f64 {
    let client = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + window;
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let (client, url, paths, done) =
                (client.clone(), url.clone(), paths.clone(), done.clone());
            tokio::spawn(async move {
                let mut k = i;
                while Instant::now() < deadline {
                    let path = &paths[k % paths.len()];
                    k += clients;
                    let r = client
                        .get(format!("{url}{path}"))
                        .send()
                        .await
                        .expect("answer");
                    assert!(r.status().is_success(), "{path}: {}", r.status());
                    black_box(r.bytes().await.expect("body"));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client task");
    }
    done.load(Ordering::Relaxed) as f64 / window.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let config = lgsp_host::Config {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        data_dir: Some(lgsp_tests::data_dir()),
        database: Some(lgsp_tests::fresh_database("bench-catalogs")),
        ..lgsp_host::Config::default()
    };
    let server = lgsp_host::start(&config, Vec::new())
        .await
        .expect("platform starts");
    let service = server.catalogs().clone();
    let (import, parse) = import_all(&service).await;
    println!(
        "import of the 2025 commune version (3,321 items, GSO layout) and the crosswalk (merges.json):"
    );
    println!(
        "  parse only (baseline)               {:>8.1} ms",
        parse.as_secs_f64() * 1e3
    );
    println!(
        "  parse + validate + write + publish  {:>8.1} ms  ({:.1}x baseline)",
        import.as_secs_f64() * 1e3,
        import.as_secs_f64() / parse.as_secs_f64()
    );
    let codes: Vec<String> = lookups(&service)
        .iter()
        .map(|code| format!("/v1/catalogs/dvhc_xa/items/{code}"))
        .collect();
    let window = Duration::from_secs(3);
    let clients = 16;
    let url = server.base_url();
    // Warm up connections and caches.
    throughput(
        url.clone(),
        Arc::new(vec!["/v1/health".into()]),
        clients,
        Duration::from_millis(300),
    )
    .await;
    let health = throughput(
        url.clone(),
        Arc::new(vec!["/v1/health".into()]),
        clients,
        window,
    )
    .await;
    let items = throughput(url.clone(), Arc::new(codes), clients, window).await;
    println!(
        "REST over loopback, {clients} concurrent clients, {}s each (client and server share the 2 cores):",
        window.as_secs()
    );
    println!("  GET /v1/health (baseline)           {health:>8.0} req/s");
    println!(
        "  GET /v1/catalogs/dvhc_xa/items/{{code}} {items:>6.0} req/s  ({:.2}x baseline)",
        items / health
    );
    server.shutdown().await;
}
