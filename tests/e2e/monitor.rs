//! Health monitoring end to end: a platform of its own (checks every second,
//! offline after 2 failures, online after 2 successes) whose population
//! upstream stops answering its health check, then recovers. The admin
//! webhook hears each change once, with a body signed by the platform key;
//! history, uptime and the audit log agree.

use axum::body::Bytes;
use axum::http::HeaderMap;
use lgsp_tests::Platform;
use serde_json::Value;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// What a webhook received: (event id header, signature header, body).
pub(crate) type Received = Arc<Mutex<Vec<(String, String, Bytes)>>>;

/// A webhook receiver on loopback: its URL and what it received.
pub(crate) async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                let get = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                store.lock().expect("lock").push((
                    get("x-lgsp-event-id"),
                    get("x-lgsp-signature"),
                    body,
                ));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), received)
}

fn monitored(url: String) -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        Platform::start_with(
            300,
            None,
            lgsp_host::Config {
                monitor_interval_secs: Some(1),
                monitor_failures_to_offline: Some(2),
                monitor_successes_to_online: Some(2),
                monitor_webhooks: Some(vec![url]),
                ..lgsp_host::Config::default()
            },
            |upstreams| {
                vec![Ok(lgsp_tests::connector_source(
                    lgsp_sample_upstream::Source::DanCu,
                    &upstreams.dan_cu,
                ))]
            },
        )
    })
}

async fn status_of(platform: &Platform, name: &str) -> Value {
    let body: Value = reqwest::get(format!("{}/v1/monitor/services", platform.url))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    body["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Waits (up to 60 s) until `dan_cu` has `status`.
async fn wait_for(platform: &Platform, status: &str) -> Value {
    for _ in 0..600 {
        let s = status_of(platform, "dan_cu").await;
        if s["status"] == status {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "dan_cu never became {status}: {}",
        status_of(platform, "dan_cu").await
    );
}

/// Every body received, as (event id header, JSON body) in arrival order,
/// each checked against the platform's public key.
pub(crate) fn signed_bodies(
    received: &Received,
    key: &lgsp_audit::PublicKey,
) -> Vec<(String, Value)> {
    received
        .lock()
        .expect("lock")
        .iter()
        .map(|(id, signature, body)| {
            assert!(
                key.verifies(body, signature),
                "a webhook body is not signed by the platform key"
            );
            (id.clone(), serde_json::from_slice(body).expect("JSON body"))
        })
        .collect()
}

/// The platform's public key, as anyone can fetch it.
pub(crate) async fn platform_key(platform: &Platform) -> lgsp_audit::PublicKey {
    let key: Value = reqwest::get(format!("{}/v1/audit/public-key", platform.url))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    lgsp_audit::PublicKey::from_base64(key["public_key"].as_str().expect("key"))
        .expect("public key")
}

/// The events received for dan_cu, as (event id, to) in arrival order, each
/// checked against the platform's public key.
fn events(received: &Received, key: &lgsp_audit::PublicKey) -> Vec<(String, String)> {
    signed_bodies(received, key)
        .into_iter()
        .filter_map(|(id, event)| {
            assert_eq!(event["event_id"].as_str(), Some(id.as_str()));
            (event["service"] == "dan_cu")
                .then(|| (id, event["to"].as_str().unwrap_or_default().to_owned()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_service_goes_offline_once_and_comes_back_once() {
    let (url, received) = receiver().await;
    let platform = monitored(url);
    let key = platform_key(platform).await;
    wait_for(platform, "online").await;

    // The upstream's health endpoint fails until told otherwise.
    platform.upstream.sim().inject(lgsp_sample_upstream::Fault {
        status: Some(503),
        count: 1_000_000,
        uri_contains: Some("suc-khoe".into()),
        ..lgsp_sample_upstream::Fault::default()
    });
    let offline = wait_for(platform, "offline").await;
    assert!(
        offline["last_error"].is_string() || offline["last_result"].is_string(),
        "{offline}"
    );
    platform.upstream.sim().reset();
    let online = wait_for(platform, "online").await;

    // Notifications are delivered by their own loop: wait for both.
    for _ in 0..100 {
        if events(&received, &key).len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more checks must not repeat them.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = events(&received, &key);
    let changes: Vec<&str> = got.iter().map(|(_, to)| to.as_str()).collect();
    assert_eq!(changes, vec!["offline", "online"], "{got:?}");
    assert_ne!(got[0].0, got[1].0);

    // History: first sighting, lost, back.
    let history: Value = reqwest::get(format!(
        "{}/v1/monitor/services/dan_cu/history",
        platform.url
    ))
    .await
    .expect("answers")
    .json()
    .await
    .expect("json");
    let tos: Vec<&str> = history["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["to"].as_str())
        .collect();
    assert_eq!(tos, vec!["online", "offline", "online"], "{history}");
    let uptime = online["uptime"]["last_24h"].as_f64().expect("uptime");
    assert!(uptime > 0.0 && uptime < 100.0, "{online}");

    // The audit log has both changes.
    let entries = lgsp_audit::entries(platform.audit.pool(), &lgsp_audit::EntryFilter::default())
        .await
        .expect("entries");
    let actions: Vec<&str> = entries
        .iter()
        .filter(|e| {
            e.entry.draft.kind == lgsp_audit::Kind::Monitor
                && e.entry
                    .draft
                    .resource
                    .services
                    .first()
                    .map(|s| s.name.as_str())
                    == Some("dan_cu")
        })
        .map(|e| e.entry.draft.action.as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["service online", "service offline", "service online"]
    );
    // And /metrics says it is up.
    let metrics = reqwest::get(format!("{}/metrics", platform.url))
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("lgsp_service_up{service=\"dan_cu\"} 1"),
        "{metrics}"
    );
}
