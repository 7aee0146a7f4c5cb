//! Publishing benchmark: the time from a provider's upload of a new version
//! to the first request that version serves. Prints figures, asserts
//! nothing.
//!
//! Run: `cargo bench -p lgsp-tests --bench publish` (after
//! scripts/build-wasm.sh). Option (environment): `LGSP_BENCH_ROUNDS`
//! (default 5).
//!
//! Each round starts a platform of its own (stopped at the end of the round)
//! with `thu_nghiem` 1.0.0 published and granted to a consumer, removes any
//! compiled copy of 1.1.0 from the cache (so the upload is compiled from
//! scratch, as new code always is), then times a signed `POST
//! /v1/connectors` of 1.1.0 and the consumer's first query answered by
//! 1.1.0. The component's signature is made before the clock starts (an
//! agency signs once, ahead); the request's base64 and HMAC are inside it.
//! Baselines from the same round: what installing the same component by
//! hand costs (a runtime compiling it into an empty cache directory and
//! running `describe()`, as `lgsp serve` does at start-up for a component
//! it has not seen) plus one query once it serves.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use lgsp_host::runtime::{ConnectorSource, Manifest, Runtime, RuntimeSettings};
use lgsp_tests::publishing::{
    NAME, column, component, first_provider, grant_consumer, manifest, publish, publisher, rows,
    sha256, sign, upload,
};
use lgsp_tests::{Platform, env_or, wasm_dir};
use std::time::{Duration, Instant};

/// One round's figures.
struct Round {
    install: Duration,
    upload: Duration,
    first_query: Duration,
    steady_query: Duration,
}

impl Round {
    fn served_after(&self) -> Duration {
        self.upload + self.first_query
    }

    fn baseline(&self) -> Duration {
        self.install + self.steady_query
    }
}

fn main() {
    let rounds = env_or("LGSP_BENCH_ROUNDS", 5);
    let size = component("1.1.0").len();
    println!(
        "{NAME} 1.1.0: {size} bytes; {rounds} rounds, each on a platform of its own, compiled cache emptied\n"
    );
    println!(
        "{:>5} {:>12} {:>12} {:>12} {:>14} {:>12} {:>12} {:>7}",
        "round",
        "upload ms",
        "1st query ms",
        "served ms",
        "install ms",
        "query ms",
        "baseline ms",
        "ratio"
    );
    let mut all = Vec::new();
    for i in 0..rounds {
        let r = round();
        println!(
            "{:>5} {:>12.1} {:>12.1} {:>12.1} {:>14.1} {:>12.1} {:>12.1} {:>7.2}",
            i + 1,
            ms(r.upload),
            ms(r.first_query),
            ms(r.served_after()),
            ms(r.install),
            ms(r.steady_query),
            ms(r.baseline()),
            r.served_after().as_secs_f64() / r.baseline().as_secs_f64()
        );
        all.push(r);
    }
    let median = |f: &dyn Fn(&Round) -> Duration| {
        let mut v: Vec<Duration> = all.iter().map(f).collect();
        v.sort_unstable();
        v[v.len() / 2]
    };
    let served = median(&|r| r.served_after());
    let baseline = median(&|r| r.baseline());
    println!(
        "\nmedian: upload {:.1} ms + first query {:.1} ms = served after {:.1} ms; \
         installing by hand {:.1} ms + a query {:.1} ms = {:.1} ms; ratio {:.2}",
        ms(median(&|r| r.upload)),
        ms(median(&|r| r.first_query)),
        ms(served),
        ms(median(&|r| r.install)),
        ms(median(&|r| r.steady_query)),
        ms(baseline),
        served.as_secs_f64() / baseline.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn round() -> Round {
    let config = lgsp_host::Config {
        max_instances: Some(16),
        ..lgsp_host::Config::default()
    };
    let platform = Platform::start_with(300, None, config, |u| {
        vec![Ok(lgsp_tests::dan_cu_source(&u.dan_cu))]
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let p = publisher(&platform, &first_provider(&platform)).await;
        let (status, body) = publish(&p, "1.0.0").await;
        assert_eq!(status, 201, "1.0.0 not published: {body}");
        let (_, consumer) = grant_consumer(&platform, &p.agency, &[]).await;
        let sql = format!("SELECT ma, phien_ban FROM {NAME}.ho_so");
        let (status, body) = rows(&consumer, &sql).await;
        assert_eq!(status, 200, "1.0.0 does not serve: {body}");
        forget_compiled(&sha256(&component("1.1.0")));

        let install = install_by_hand().await;

        let wasm = component("1.1.0");
        let signature = sign(&p.rsa_key, NAME, "1.1.0", &wasm);
        let started = Instant::now();
        let (status, body) = upload(&p, &manifest("1.1.0"), &wasm, signature).await;
        let uploaded = started.elapsed();
        assert_eq!(status, 201, "1.1.0 not published: {body}");
        let answered = Instant::now();
        loop {
            let (status, body) = rows(&consumer, &sql).await;
            let versions = column(&body, "phien_ban");
            if status == 200 && versions.len() == 3 && versions.iter().all(|v| v == "1.1.0") {
                break;
            }
            assert!(
                answered.elapsed() < Duration::from_secs(30),
                "1.1.0 never served: {status} {body}"
            );
        }
        let first_query = answered.elapsed();

        let mut steady: Vec<Duration> = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            let (status, _) = rows(&consumer, &sql).await;
            assert_eq!(status, 200);
            steady.push(t.elapsed());
        }
        steady.sort_unstable();
        Round {
            install,
            upload: uploaded,
            first_query,
            steady_query: steady[steady.len() / 2],
        }
    })
}

/// Removes the compiled copies of component `sha256` from the test cache.
fn forget_compiled(sha256: &str) {
    let dir = lgsp_tests::data_dir().join("compiled");
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(sha256) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Compiling 1.1.0 into an empty cache directory and running `describe()`,
/// as `lgsp serve` does for a new connector installed in its directory.
async fn install_by_hand() -> Duration {
    // Emptied before and removed after each round.
    let cache = lgsp_tests::data_dir().join(format!("bench-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    std::fs::create_dir_all(&cache).expect("cache directory");
    let runtime = Runtime::new(RuntimeSettings {
        cache_dir: Some(cache.clone()),
        ..RuntimeSettings::default()
    })
    .expect("runtime");
    let source = ConnectorSource {
        manifest: hand_manifest(),
        wasm_path: wasm_dir().join("lgsp_test_evolving-1.1.0.wasm"),
    };
    let started = Instant::now();
    let loaded = runtime.load(&source).await.expect("1.1.0 loads");
    let took = started.elapsed();
    assert_eq!(loaded.info().version, "1.1.0");
    let _ = std::fs::remove_dir_all(&cache);
    took
}

fn hand_manifest() -> Manifest {
    Manifest {
        name: NAME.into(),
        version: Some("1.1.0".into()),
        component: "lgsp_test_evolving-1.1.0.wasm".into(),
        provider: None,
        upstream: Default::default(),
        config: Default::default(),
        limits: Default::default(),
        monitor: Default::default(),
    }
}
