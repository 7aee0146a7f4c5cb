//! Loading connectors from a directory of manifests, with bad ones reported and
//! the good ones served; and a platform with tight query limits.

use lgsp_tests::{Platform, Upstreams, dan_cu_source, wasm_dir};
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

/// The tests that need this platform's sandbox slots (to fill them, or to
/// run health checks, which take slots too) must not overlap.
static SLOTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Writes manifests into a fresh directory: the population connector, one with
/// an unknown key, one whose component is missing, one that is not a component,
/// one whose `describe()` never returns.
fn manifests(upstreams: &Upstreams) -> Vec<Result<lgsp_host::runtime::ConnectorSource, String>> {
    let upstream = &upstreams.dan_cu;
    let dir = lgsp_tests::target_dir().join(format!("lgsp-test-manifests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("manifest directory");
    let dan_cu = dan_cu_source(upstream);
    let config: String = dan_cu
        .manifest
        .config
        .iter()
        .map(|(k, v)| format!("{k} = {v:?}\n"))
        .collect();
    let write =
        |name: &str, text: String| std::fs::write(dir.join(name), text).expect("write manifest");
    write(
        "dan_cu.toml",
        format!(
            "name = \"dan_cu\"\ncomponent = {:?}\n[upstream]\nallowed_hosts = [\"{}\"]\n[config]\n{config}",
            wasm_dir()
                .join("lgsp_connector_dan_cu.wasm")
                .display()
                .to_string(),
            upstream.addr()
        ),
    );
    write(
        "old.toml",
        format!(
            "name = \"dan_cu\"\nversion = \"9.9.9\"\ncomponent = {:?}\n",
            wasm_dir()
                .join("lgsp_connector_dan_cu.wasm")
                .display()
                .to_string()
        ),
    );
    write(
        "typo.toml",
        "name = \"typo\"\ncomponent = \"x.wasm\"\nallowed_hosts = []\n".into(),
    );
    write(
        "missing.toml",
        "name = \"missing\"\ncomponent = \"does-not-exist.wasm\"\n".into(),
    );
    std::fs::write(dir.join("garbage.wasm"), b"\0asm not really").expect("write");
    let hostile = lgsp_tests::hostile_source(upstream);
    let limits = lgsp_tests::hostile_limits();
    write(
        "hostile.toml",
        format!(
            "name = \"hostile\"\ncomponent = {:?}\n[limits]\ncall_timeout_ms = {}\nmemory_mib = {}\n",
            hostile.wasm_path.display().to_string(),
            limits.call_timeout_ms.unwrap_or(1000),
            limits.memory_mib.unwrap_or(32)
        ),
    );
    write(
        "garbage.toml",
        "name = \"garbage\"\ncomponent = \"garbage.wasm\"\n".into(),
    );
    write(
        "spinner.toml",
        format!(
            "name = \"spinner\"\ncomponent = {:?}\n[limits]\ncall_timeout_ms = 1000\n[config]\nmode = \"spin-describe\"\n",
            hostile.wasm_path.display().to_string(),
        ),
    );
    let config = lgsp_host::Config {
        connectors_dir: Some(dir),
        ..lgsp_host::Config::default()
    };
    lgsp_host::server::sources_from_dir(&config).expect("directory readable")
}

fn constrained() -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        let config = lgsp_host::Config {
            query_memory_mib: Some(16),
            query_timeout_secs: Some(2),
            max_instances: Some(8),
            ..lgsp_host::Config::default()
        };
        Platform::start_with(2_000, None, config, manifests)
    })
}

async fn get(path: &str) -> (u16, Value) {
    let r = constrained().consumer.get(path).await;
    (r.status().as_u16(), r.json().await.expect("json"))
}

async fn query(sql: &str) -> (u16, Value) {
    let r = constrained().consumer.query(sql, "application/json").await;
    (r.status().as_u16(), r.json().await.expect("json"))
}

#[tokio::test]
async fn good_manifests_load_and_bad_ones_are_reported_with_their_reason() {
    // Health checks need sandbox slots too.
    let _slots = SLOTS.lock().await;
    let (_, tables) = get("/v1/tables").await;
    let names: Vec<&str> = tables["schemas"]
        .as_array()
        .expect("schemas")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["dan_cu", "hostile"]);

    let (status, health) = get("/v1/health/services").await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "down");
    assert_eq!(health["services"][0]["status"], "up");
    assert_eq!(health["services"][1]["status"], "up");
    let failures: Vec<String> = health["load_failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["error"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(failures.len(), 5, "{failures:?}");
    let all = failures.join("\n");
    assert!(
        all.contains("typo.toml") && all.contains("unknown field `allowed_hosts`"),
        "{all}"
    );
    assert!(
        all.contains("cannot load connector missing: cannot read component"),
        "{all}"
    );
    assert!(
        all.contains("cannot load connector garbage: not a valid WebAssembly component"),
        "{all}"
    );
    let spinning = "cannot load connector spinner: describe() failed: connector spinner did not finish within its 1000 ms deadline";
    assert!(all.contains(spinning), "{all}");
    // Each failure is in the audit log with its reason.
    let entries = lgsp_audit::entries(
        constrained().audit.pool(),
        &lgsp_audit::EntryFilter::default(),
    )
    .await
    .expect("the audit log reads");
    let failed: Vec<String> = entries
        .iter()
        .filter(|e| e.entry.draft.action == "connector load failed")
        .map(|e| {
            assert_eq!(e.entry.draft.code, "connector_load_failed");
            e.entry.draft.detail["error"].clone()
        })
        .collect();
    assert_eq!(failed.len(), 5, "{failed:?}");
    assert!(failed.iter().any(|e| e == spinning), "{failed:?}");
}

#[tokio::test]
async fn a_query_past_its_memory_pool_is_refused() {
    let (status, body) = query("SELECT value FROM range(20000000) ORDER BY value DESC").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "query_too_large");
    assert_eq!(
        body["message"],
        "the query needs more memory than the 16 MiB allowed; narrow it or add a LIMIT"
    );
}

#[tokio::test]
async fn a_query_past_its_time_limit_is_stopped() {
    let (status, body) = query("SELECT SUM(value) FROM range(100000000000)").await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["code"], "query_timeout");
    assert_eq!(body["message"], "the query did not finish within 2 s");
    // The platform still answers.
    let (status, _) = query("SELECT 1").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn when_every_sandbox_slot_is_taken_requests_are_refused_not_queued() {
    let _slots = SLOTS.lock().await;
    // This platform has 8 instance slots; 12 endless loops need 12.
    let spins: Vec<_> = (0..12)
        .map(|_| tokio::spawn(async { query("SELECT n FROM hostile.spin").await }))
        .collect();
    let mut codes = Vec::new();
    for s in spins {
        let (_, body) = s.await.expect("task");
        codes.push(body["code"].as_str().unwrap_or("").to_owned());
    }
    let busy = codes.iter().filter(|c| *c == "connector_busy").count();
    let timed_out = codes.iter().filter(|c| *c == "connector_timeout").count();
    assert!(busy >= 1, "{codes:?}");
    assert_eq!(busy + timed_out, 12, "{codes:?}");
    // Slots come back once the loops are stopped.
    let (status, body) = query("SELECT n FROM hostile.ok").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn clients_that_stop_reading_do_not_keep_sandbox_slots() {
    let _slots = SLOTS.lock().await;
    // Eight streaming queries (this platform's slot count) whose clients
    // read the headers and then nothing: far more rows than socket buffers hold.
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let response = constrained()
            .consumer
            .query(
                "SELECT n, payload FROM hostile.numbers LIMIT 5000000",
                "application/json",
            )
            .await;
        assert_eq!(response.status(), 200);
        stalled.push(response);
    }
    // The 2 s query deadline frees the slots although nobody reads.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, body) = query("SELECT n FROM hostile.ok").await;
    assert_eq!(status, 200, "{body}");
    drop(stalled);
}
