//! How long the synthetic world takes to generate, part by part. Prints
//! figures, asserts nothing; the baseline is the citizens (with their
//! insurance records, which every world has) generated in the same process.
//!
//! Run: `cargo bench -p lgsp-sample-upstream --bench world`.
//! Options (environment): `LGSP_BENCH_CITIZENS` (default 100000),
//! `LGSP_BENCH_ROUNDS` (default 3).

use lgsp_sample_upstream::{World, WorldConfig};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn official_communes() -> Option<Vec<lgsp_catalogs::Commune>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/dvhc/1027_CTK-CSCL.md"
    );
    lgsp_catalogs::parse_gso_communes(&std::fs::read_to_string(path).ok()?).ok()
}

fn main() {
    let citizens = env_or("LGSP_BENCH_CITIZENS", 100_000);
    let rounds = env_or("LGSP_BENCH_ROUNDS", 3).max(1);
    let full = WorldConfig::scaled(2025, citizens, official_communes());
    let variants = [
        (
            "citizens + insurance (baseline)",
            WorldConfig {
                businesses: 0,
                parcels: 0,
                ..full.clone()
            },
        ),
        (
            "+ businesses",
            WorldConfig {
                parcels: 0,
                ..full.clone()
            },
        ),
        ("+ parcels (full world)", full.clone()),
    ];
    // Interleaved rounds, so that the machine's noise falls on every variant.
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (i, (_, config)) in variants.iter().enumerate() {
            let started = Instant::now();
            let world = World::generate(config);
            times[i].push(started.elapsed());
            drop(world);
        }
    }
    println!(
        "world generation, {citizens} citizens, {} businesses, {} parcels, median of {rounds}\n",
        full.businesses, full.parcels
    );
    let median = |v: &mut Vec<Duration>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let medians: Vec<Duration> = times.iter_mut().map(median).collect();
    for ((name, _), m) in variants.iter().zip(&medians) {
        println!(
            "{name:<34} {:>8.0} ms   {:.2}x baseline",
            m.as_secs_f64() * 1e3,
            m.as_secs_f64() / medians[0].as_secs_f64()
        );
    }
}
