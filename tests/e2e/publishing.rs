//! Agencies publish connectors: signed uploads through the API, versions
//! served side by side (`thu_nghiem`, `"thu_nghiem@1"`), grants across a
//! major version, retirement on its date, rollback, the kill switch and
//! sealed configuration, with queries running throughout. Each platform
//! here is its own, so one test's versions do not meet another's.

use chrono::{Days, Utc};
use lgsp_tests::publishing::{
    NAME, column, component, first_provider, grant_consumer, manifest, publish, publisher, rows,
    send, sha256, sign, upload,
};
use lgsp_tests::{Platform, SignedClient, connector_source, dan_cu_source};
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

fn start() -> Platform {
    let config = lgsp_host::Config {
        max_instances: Some(32),
        ..lgsp_host::Config::default()
    };
    // Two providers: one publishes, the other tries to interfere.
    Platform::start_with(300, None, config, |u| {
        vec![
            Ok(dan_cu_source(&u.dan_cu)),
            Ok(connector_source(
                lgsp_sample_upstream::Source::Bhxh,
                u.get(lgsp_sample_upstream::Source::Bhxh),
            )),
        ]
    })
}

fn versions_platform() -> &'static Platform {
    static P: OnceLock<Platform> = OnceLock::new();
    P.get_or_init(start)
}

fn swap_platform() -> &'static Platform {
    static P: OnceLock<Platform> = OnceLock::new();
    P.get_or_init(start)
}

fn rejections_platform() -> &'static Platform {
    static P: OnceLock<Platform> = OnceLock::new();
    P.get_or_init(start)
}

async fn connector_actions(platform: &Platform) -> Vec<(String, Value)> {
    lgsp_audit::entries(platform.audit.pool(), &lgsp_audit::EntryFilter::default())
        .await
        .expect("audit reads")
        .into_iter()
        .filter(|e| e.entry.draft.kind == lgsp_audit::Kind::Connector)
        .map(|e| {
            let detail = serde_json::to_value(&e.entry.draft.detail).expect("detail");
            (e.entry.draft.action.clone(), detail)
        })
        .collect()
}

#[tokio::test]
async fn publish_query_new_major_pin_reapprove_and_retire() {
    let platform = versions_platform();
    let provider = first_provider(platform);
    let p = publisher(platform, &provider).await;

    let (status, v1) = publish(&p, "1.0.0").await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(v1["sha256"], sha256(&component("1.0.0")));
    assert_eq!(v1["signer_key"], p.rsa_key);
    assert_eq!(v1["serving"], true);
    assert_eq!(v1["pinned_schema"], "thu_nghiem@1");

    let (grant, consumer) =
        grant_consumer(platform, &p.agency, &["ma", "ho_ten", "phien_ban"]).await;
    let (status, body) = rows(
        &consumer,
        "SELECT ma, ho_ten, phien_ban FROM thu_nghiem.ho_so ORDER BY ma",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(column(&body, "ma"), ["HS1", "HS2", "HS3"]);
    assert_eq!(column(&body, "phien_ban"), ["1.0.0"; 3]);

    // The consumer asks to hear of changes at a webhook as well.
    let (hook, received) = crate::monitor::receiver().await;
    let (status, body) = send(
        &consumer,
        "PUT",
        "/v1/notices/webhook",
        Some(json!({ "url": hook })),
    )
    .await;
    assert_eq!(status, 204, "{body}");

    // 2.0.0 renames ho_ten, which the grant names.
    let (status, v2) = publish(&p, "2.0.0").await;
    assert_eq!(status, 201, "{v2}");
    let key = crate::monitor::platform_key(platform).await;
    let delivered = webhook_kinds(&received, &key, &["new_major", "reapproval_needed"]).await;
    assert!(
        delivered.iter().all(|n| n["connector"] == NAME
            && n["version"] == "2.0.0"
            && n["agency"] == platform.sample.consumer.agency.as_str()),
        "{delivered:?}"
    );
    let (status, notices) = send(&consumer, "GET", "/v1/notices", None).await;
    assert_eq!(status, 200, "{notices}");
    let kinds: Vec<&str> = notices["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| n["kind"].as_str().unwrap_or_default())
        .collect();
    assert!(kinds.contains(&"new_major"), "{notices}");
    assert!(kinds.contains(&"reapproval_needed"), "{notices}");
    assert!(
        notices.to_string().contains("ho_so.ho_ten was removed"),
        "{notices}"
    );

    // The pinned major still serves the grant; the new one does not, yet.
    let (status, body) = rows(
        &consumer,
        "SELECT ma, phien_ban FROM \"thu_nghiem@1\".ho_so ORDER BY ma",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(column(&body, "phien_ban"), ["1.0.0"; 3]);
    let (status, body) = rows(&consumer, "SELECT ma, phien_ban FROM thu_nghiem.ho_so").await;
    assert_ne!(status, 200, "{body}");

    // The provider approves it again: the default schema reaches 2.0.0.
    let path = format!("/v1/grants/{grant}/reapprove");
    let (status, body) = send(&p.client, "POST", &path, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = rows(
        &consumer,
        "SELECT ma, phien_ban FROM thu_nghiem.ho_so ORDER BY ma",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(column(&body, "phien_ban"), ["2.0.0"; 3]);
    let (status, body) = rows(&consumer, "SELECT phien_ban FROM \"thu_nghiem@2\".ho_so").await;
    assert_eq!(
        (status, column(&body, "phien_ban")),
        (200, vec!["2.0.0".to_owned(); 3])
    );

    // Retirement: 60 days' notice, and 1.x stays 180 days after 2.0.0.
    let today = lgsp_host::auth::local_today(Utc::now());
    let retire = |days: u64| json!({ "on": (today + Days::new(days)).to_string(), "reason": "thay bằng 2.0.0" });
    let path = format!("/v1/connectors/{NAME}/versions/1.0.0/retire");
    let (status, body) = send(&p.client, "POST", &path, Some(retire(30))).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("180 days after its successor 2.0.0"),
        "{body}"
    );
    let (status, body) = send(&p.client, "POST", &path, Some(retire(179))).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = send(&p.client, "POST", &path, Some(retire(200))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["retire_on"], (today + Days::new(200)).to_string());
    let (_, notices) = send(&consumer, "GET", "/v1/notices", None).await;
    assert!(
        notices.to_string().contains("retirement_scheduled"),
        "{notices}"
    );
    // Another agency cannot retire it.
    let other = platform
        .sample
        .providers
        .keys()
        .nth(1)
        .expect("second provider")
        .clone();
    let intruder = publisher(platform, &other).await;
    let (status, body) = send(&intruder.client, "POST", &path, Some(retire(300))).await;
    assert_eq!(status, 403, "{body}");

    // Nothing happens before the date; on the date 1.x and its tables go.
    let before = platform
        .connectors
        .retire_due(Utc::now() + chrono::Duration::days(199))
        .await
        .expect("runs");
    assert!(before.is_empty());
    let due = platform
        .connectors
        .retire_due(Utc::now() + chrono::Duration::days(201))
        .await
        .expect("runs");
    assert_eq!(due.len(), 1);
    let (status, body) = rows(&consumer, "SELECT ma FROM \"thu_nghiem@1\".ho_so").await;
    assert_ne!(status, 200, "{body}");
    let (status, body) = rows(&consumer, "SELECT ma FROM thu_nghiem.ho_so").await;
    assert_eq!(status, 200, "{body}");

    let actions = connector_actions(platform).await;
    let published: Vec<&Value> = actions
        .iter()
        .filter(|(a, _)| a == "connector published")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(published.len(), 2, "{actions:?}");
    assert_eq!(published[0]["sha256"], sha256(&component("1.0.0")));
    assert_eq!(published[0]["signer_key"], p.rsa_key);
    for action in ["connector retirement scheduled", "connector retired"] {
        assert!(
            actions.iter().any(|(a, _)| a == action),
            "{action} missing: {actions:?}"
        );
    }
}

#[tokio::test]
async fn bad_uploads_are_refused_with_every_reason_and_audited() {
    let platform = rejections_platform();
    let mut providers = platform.sample.providers.keys();
    let own = providers.next().expect("provider").clone();
    let other = providers.next().expect("second provider").clone();
    let p = publisher(platform, &own).await;
    let stranger = publisher(platform, &other).await;
    let wasm = component("1.0.0");
    let reasons = |body: &Value| body["reasons"].to_string();

    // Signed over another version: the signature does not verify.
    let (status, body) = upload(
        &p,
        &manifest("1.0.0"),
        &wasm,
        sign(&p.rsa_key, NAME, "9.9.9", &wasm),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("connector_rejected")),
        "{body}"
    );
    assert!(
        reasons(&body).contains("the signature does not verify"),
        "{body}"
    );

    // Signed with another agency's key.
    let (status, body) = upload(
        &p,
        &manifest("1.0.0"),
        &wasm,
        sign(&stranger.rsa_key, NAME, "1.0.0", &wasm),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        reasons(&body).contains(&format!(
            "belongs to agency {other}, not to the publishing agency {own}"
        )),
        "{body}"
    );

    // Under another agency's name, with configuration in the manifest:
    // both reasons at once.
    let m = format!(
        "{}provider = \"{other}\"\n[config]\napi_key = \"x\"\n",
        manifest("1.0.0")
    );
    let (status, body) = upload(&p, &m, &wasm, sign(&p.rsa_key, NAME, "1.0.0", &wasm)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        reasons(&body).contains("an agency publishes only under its own name"),
        "{body}"
    );
    assert!(reasons(&body).contains("[config]"), "{body}");

    // Not the connector world, and an import the contract does not allow.
    let empty = wat::parse_str("(component)").expect("wat");
    let (status, body) = upload(
        &p,
        &manifest("1.0.0"),
        &empty,
        sign(&p.rsa_key, NAME, "1.0.0", &empty),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        reasons(&body).contains("does not implement the lgsp:connector world"),
        "{body}"
    );
    let evil = wat::parse_str(r#"(component (import "evil:backdoor/exec" (func)))"#).expect("wat");
    let (status, body) = upload(
        &p,
        &manifest("1.0.0"),
        &evil,
        sign(&p.rsa_key, NAME, "1.0.0", &evil),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        reasons(&body).contains("imports evil:backdoor/exec"),
        "{body}"
    );

    // Past the size cap, though well signed and otherwise the real thing
    // (padded with a custom section, which any reader may skip).
    let max = lgsp_host::runtime::MAX_COMPONENT_BYTES as usize;
    let big = padded(&wasm, max + 1024);
    let (status, body) = upload(
        &p,
        &manifest("1.0.0"),
        &big,
        sign(&p.rsa_key, NAME, "1.0.0", &big),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        reasons(&body).contains(&format!(
            "the component is {} bytes; the limit is {max}",
            big.len()
        )),
        "{body}"
    );

    // Not a component at all; not base64.
    let (status, body) = upload(
        &p,
        &manifest("1.0.0"),
        b"\0asm junk",
        sign(&p.rsa_key, NAME, "1.0.0", b"\0asm junk"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = send(&p.client, "POST", "/v1/connectors", Some(json!({
        "manifest": manifest("1.0.0"), "component": "%%%", "signature": {"key": p.rsa_key, "value": ""}
    }))).await;
    assert_eq!(status, 400, "{body}");

    // Nothing was published; each refusal is in the audit log.
    let (status, list) = send(&p.client, "GET", "/v1/connectors", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["versions"], json!([]));
    let refused = connector_actions(platform)
        .await
        .into_iter()
        .filter(|(a, _)| a == "connector publish refused")
        .count();
    assert!(refused >= 6, "{refused}");

    // The right upload then goes through, once.
    let (status, body) = publish(&p, "1.0.0").await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = publish(&p, "1.0.0").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("version_exists")),
        "{body}"
    );
}

/// `wasm` with a custom section appended that brings it to at least `size`
/// bytes.
fn padded(wasm: &[u8], size: usize) -> Vec<u8> {
    fn leb128(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = b"lgsp-padding";
    let payload = size.saturating_sub(wasm.len());
    let mut out = wasm.to_vec();
    out.push(0); // custom section
    let mut content = Vec::with_capacity(payload + 16);
    leb128(name.len(), &mut content);
    content.extend_from_slice(name);
    content.resize(content.len() + payload, 0);
    leb128(content.len(), &mut out);
    out.extend_from_slice(&content);
    out
}

/// Runs queries on `thu_nghiem` and on `dan_cu` until `stop`, counting
/// answers by kind.
#[derive(Default)]
struct Load {
    ok: AtomicU64,
    failed: AtomicU64,
    suspended: AtomicU64,
    population_failed: AtomicU64,
}

/// Everything the platform logs while a test captures it (its own crates
/// at every level, others from `info`): a secret must appear in none of it.
/// The subscriber is the whole test process's; it keeps what it is given
/// only between [`LogCapture::start`] and the capture's drop, so other tests
/// pay for formatting, not for a buffer that keeps growing.
struct LogCapture;

static CAPTURING: AtomicBool = AtomicBool::new(false);
static CAPTURED: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

impl LogCapture {
    fn start() -> Self {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            let filter = tracing_subscriber::EnvFilter::new(
                "info,lgsp_host=trace,lgsp::connector=trace,lgsp_access=trace,lgsp_auth=trace,lgsp_audit=trace",
            );
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(|| LogSink)
                .try_init()
                .expect("no other test installs a log subscriber");
        });
        CAPTURING.store(true, Ordering::SeqCst);
        Self
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&CAPTURED.lock().expect("log buffer")).into_owned()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        CAPTURING.store(false, Ordering::SeqCst);
        CAPTURED.lock().expect("log buffer").clear();
    }
}

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if CAPTURING.load(Ordering::Relaxed) {
            CAPTURED.lock().expect("log buffer").extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn publish_rollback_suspend_and_configure_under_load_drop_nothing() {
    let logs = LogCapture::start();
    let platform = swap_platform();
    let provider = first_provider(platform);
    let p = publisher(platform, &provider).await;
    assert_eq!(publish(&p, "1.0.0").await.0, 201);
    let (_, consumer) = grant_consumer(platform, &p.agency, &[]).await;
    let consumer = std::sync::Arc::new(consumer);
    let population = std::sync::Arc::new(SignedClient::new(
        &platform.url,
        platform.consumer_credentials(),
        lgsp_tests::PURPOSE,
        vec!["dan_cu".into()],
    ));
    let id = platform.world.citizens()[3].so_dinh_danh.clone();
    let load = std::sync::Arc::new(Load::default());
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..3 {
        let (consumer, population, load, stop, id) = (
            consumer.clone(),
            population.clone(),
            load.clone(),
            stop.clone(),
            id.clone(),
        );
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let (status, body) =
                    rows(&consumer, "SELECT ma, phien_ban FROM thu_nghiem.ho_so").await;
                match (status, body["code"].as_str()) {
                    (200, _) if column(&body, "ma").len() == 3 => {
                        load.ok.fetch_add(1, Ordering::SeqCst)
                    }
                    (503, Some("connector_suspended")) => {
                        load.suspended.fetch_add(1, Ordering::SeqCst)
                    }
                    _ => load.failed.fetch_add(1, Ordering::SeqCst),
                };
                let (status, _) = rows(
                    &population,
                    &format!("SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"),
                )
                .await;
                if status != 200 {
                    load.population_failed.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(300));
    pause().await;

    // Publish 1.1.0 while queries run; then roll back to 1.0.0.
    let (status, body) = publish(&p, "1.1.0").await;
    assert_eq!(status, 201, "{body}");
    pause().await;
    let (_, body) = rows(&consumer, "SELECT DISTINCT phien_ban FROM thu_nghiem.ho_so").await;
    assert_eq!(column(&body, "phien_ban"), ["1.1.0"]);
    let path = format!("/v1/connectors/{NAME}/rollback");
    let (status, body) = send(&p.client, "POST", &path, Some(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["from"]["version"].as_str(),
            body["to"]["version"].as_str()
        ),
        (Some("1.1.0"), Some("1.0.0"))
    );
    pause().await;
    let (_, body) = rows(&consumer, "SELECT DISTINCT phien_ban FROM thu_nghiem.ho_so").await;
    assert_eq!(column(&body, "phien_ban"), ["1.0.0"]);
    // Nothing left to roll back to.
    let (status, body) = send(&p.client, "POST", &path, Some(json!({}))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("connector_state")),
        "{body}"
    );

    // A secret set by the provider reaches the connector at once and is
    // shown nowhere.
    let secret = "khoa-bi-mat-9f2c41";
    let config_path = format!("/v1/connectors/{NAME}/config");
    let (status, body) = send(
        &p.client,
        "PUT",
        &config_path,
        Some(json!({
            "values": {"base_url": "http://10.0.0.1:8080"}, "secrets": {"api_key": secret}
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains(secret), "{body}");
    let (status, body) = send(&p.client, "GET", &config_path, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains(secret), "{body}");
    assert_eq!(body["settings"][0]["key"], "api_key");
    assert_eq!(body["settings"][0]["secret"], true);
    let (_, body) = rows(&consumer, "SELECT DISTINCT cau_hinh FROM thu_nghiem.ho_so").await;
    assert_eq!(column(&body, "cau_hinh"), [fnv(secret)]);
    let (status, _) = send(&consumer, "GET", &config_path, None).await;
    assert_eq!(status, 403);

    // The kill switch: refused at once with its own code, then back.
    let admin = reqwest::Client::new();
    let suspend = admin
        .post(format!(
            "{}/v1/admin/connectors/{NAME}/suspend",
            platform.url
        ))
        .bearer_auth(&platform.admin_token)
        .json(&json!({"reason": "kiểm thử công tắc"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(suspend.status().as_u16(), 204);
    let (status, body) = rows(&consumer, "SELECT ma FROM thu_nghiem.ho_so").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("connector_suspended")),
        "{body}"
    );
    pause().await;
    let resume = admin
        .post(format!(
            "{}/v1/admin/connectors/{NAME}/resume",
            platform.url
        ))
        .bearer_auth(&platform.admin_token)
        .send()
        .await
        .expect("answers");
    assert_eq!(resume.status().as_u16(), 204);
    pause().await;

    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.expect("worker");
    }
    let (ok, failed, suspended, population_failed) = (
        load.ok.load(Ordering::SeqCst),
        load.failed.load(Ordering::SeqCst),
        load.suspended.load(Ordering::SeqCst),
        load.population_failed.load(Ordering::SeqCst),
    );
    println!(
        "during publish/rollback/configure/suspend: {ok} answered, {suspended} refused as suspended, {failed} failed; population failures {population_failed}"
    );
    assert_eq!(failed, 0);
    assert_eq!(population_failed, 0);
    assert!(ok > 0 && suspended > 0, "{ok} {suspended}");
    let (status, _) = rows(&consumer, "SELECT ma FROM thu_nghiem.ho_so").await;
    assert_eq!(status, 200);

    // Every step is in the audit log; the secret is not.
    let actions = connector_actions(platform).await;
    for action in [
        "connector published",
        "connector rolled back",
        "connector configuration changed",
        "connector suspended",
        "connector resumed",
    ] {
        assert!(
            actions.iter().any(|(a, _)| a == action),
            "{action} missing: {actions:?}"
        );
    }
    let all = lgsp_audit::entries(platform.audit.pool(), &lgsp_audit::EntryFilter::default())
        .await
        .expect("audit reads");
    assert!(!serde_json::to_string(&all).expect("json").contains(secret));
    // Nor is it in any log line, although the logs saw the connector's
    // whole life (loads, swaps, queries): 1.1.0 is published by this test
    // alone in this process.
    let logs = logs.text();
    assert!(
        logs.contains("connector loaded") && logs.contains(&sha256(&component("1.1.0"))),
        "the log capture did not see this test's publication of 1.1.0"
    );
    assert!(!logs.contains(secret), "the secret reached the log");
}

/// Waits (up to 30 s) until the webhook has received a notice of each of
/// `kinds`, each body signed by the platform key; returns those notices.
async fn webhook_kinds(
    received: &crate::monitor::Received,
    key: &lgsp_audit::PublicKey,
    kinds: &[&str],
) -> Vec<Value> {
    for _ in 0..300 {
        let notices = crate::monitor::signed_bodies(received, key)
            .into_iter()
            .map(|(id, notice)| {
                assert_eq!(notice["event"], "connector_notice");
                assert_eq!(format!("notice-{}", notice["id"]), id);
                notice
            });
        let found: Vec<Value> = notices
            .filter(|n| kinds.iter().any(|k| n["kind"] == *k))
            .collect();
        if kinds.iter().all(|k| found.iter().any(|n| n["kind"] == *k)) {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the webhook never received {kinds:?}");
}

fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
