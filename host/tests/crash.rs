//! The audit log survives SIGKILL: a real `lgsp demo` process serves a burst
//! of signed requests and is killed in the middle of it; every request whose
//! whole response reached the client has its entry, and the chain verifies
//! after the platform starts again on the same files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const LGSP: &str = env!("CARGO_BIN_EXE_lgsp");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Profile {
    server: String,
    creds: lgsp_auth::Credentials,
    purpose: String,
}

fn read_profile(path: &Path) -> Profile {
    let text = std::fs::read_to_string(path).expect("credentials file");
    let doc: toml::Table = toml::from_str(&text).expect("credentials TOML");
    let default = doc["default"].as_table().expect("[default]");
    let get = |k: &str| default[k].as_str().expect(k).to_owned();
    Profile {
        server: get("server"),
        creds: lgsp_auth::Credentials::hmac(get("access_key"), &get("secret_key")),
        purpose: get("purpose"),
    }
}

async fn signed(
    client: &reqwest::Client,
    p: &Profile,
    path: &str,
    extra: &[(&'static str, String)],
    body: &serde_json::Value,
) -> reqwest::Result<reqwest::Response> {
    let body = serde_json::to_vec(body).expect("json");
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().expect("value"));
    for (k, v) in extra {
        headers.insert(*k, v.parse().expect("header value"));
    }
    lgsp_auth::sign_request(
        &p.creds,
        "POST",
        path,
        &mut headers,
        &body,
        chrono::Utc::now(),
        &lgsp_auth::new_nonce(),
    )
    .expect("signs");
    client
        .post(format!("{}{path}", p.server))
        .headers(headers)
        .body(body)
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_sigkill_every_answered_request_has_its_entry_and_the_chain_verifies() {
    let dir: PathBuf = std::env::temp_dir().join(format!("lgsp-crash-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test directory");
    let api = free_port();
    let upstream = free_port();
    let mut child = Command::new(LGSP)
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{api}"),
            "--upstream-listen",
            &format!("127.0.0.1:{upstream}"),
            "--citizens",
            "2000",
            "--data-dir",
        ])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lgsp demo starts");
    let client = reqwest::Client::new();
    let credentials = dir.join("credentials.toml");
    let mut ready = false;
    for _ in 0..600 {
        if credentials.exists()
            && client
                .get(format!("http://127.0.0.1:{api}/v1/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !ready {
        let _ = child.kill();
        panic!("lgsp demo did not come up within 120 s");
    }
    // The demo writes the profile before it starts serving; give it the
    // moment it needs to finish the file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let profile = Arc::new(read_profile(&credentials));
    let session = signed(
        &client,
        &profile,
        "/v1/auth/sessions",
        &[],
        &serde_json::json!({"destinations": ["dan_cu"]}),
    )
    .await
    .expect("session request");
    assert_eq!(session.status(), 201);
    let session: serde_json::Value = session.json().await.expect("session JSON");
    let token = session["session_token"].as_str().expect("token").to_owned();

    // The burst: streamed results and small fixed-length answers alike.
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, profile, token, stop, received) = (
            client.clone(),
            profile.clone(),
            token.clone(),
            stop.clone(),
            received.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let sql = if (i + worker).is_multiple_of(2) {
                    "SELECT ma, ten FROM danh_muc.dvhc_xa ORDER BY ma LIMIT 50".to_owned()
                } else {
                    format!("SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '0010990{worker:02}{i:03}'")
                };
                let Ok(response) = signed(
                    &client,
                    &profile,
                    "/v1/query",
                    &[
                        ("x-purpose", profile.purpose.clone()),
                        ("x-lgsp-session", token.clone()),
                    ],
                    &serde_json::json!({ "sql": sql }),
                )
                .await
                else {
                    break;
                };
                let id = response
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                // Only a response read to its end counts as received.
                if let (Some(id), Ok(_)) = (id, response.bytes().await) {
                    received.lock().expect("lock").push(id);
                }
            }
        }));
    }
    // Kill once the burst is well under way.
    for _ in 0..200 {
        if received.lock().expect("lock").len() >= 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let received: Vec<String> = received.lock().expect("lock").clone();
    assert!(
        received.len() >= 50,
        "only {} responses before the kill",
        received.len()
    );

    // Start the platform again on the same files; it reopens the log.
    let database = dir.join("demo.db");
    let config = lgsp_host::Config {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        data_dir: Some(dir.clone()),
        master_key_file: Some(dir.join("demo.db.key")),
        database: Some(database.clone()),
        ..lgsp_host::Config::default()
    };
    let server = lgsp_host::start(&config, Vec::new())
        .await
        .expect("the platform starts again after the kill");
    let health = client
        .get(format!("{}/v1/audit/public-key", server.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(health.status(), 200);
    let audit = server.audit().clone();
    let entries = lgsp_audit::entries(audit.pool(), &lgsp_audit::EntryFilter::default())
        .await
        .expect("entries");
    let mut ids: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.entry.draft.request_id.as_deref())
        .collect();
    let recorded: HashSet<&str> = ids.iter().copied().collect();
    let missing: Vec<&String> = received
        .iter()
        .filter(|id| !recorded.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} answered requests have no audit entry, e.g. {:?}",
        missing.len(),
        received.len(),
        missing.first()
    );
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "a request id appears twice");
    server.shutdown().await;
    let report = lgsp_audit::verify(audit.pool(), &audit.public_key())
        .await
        .expect("verifies");
    assert!(report.ok(), "{:?}", report.problem);
    assert!(report.checkpoints >= 1);

    // The documented command agrees.
    let out = Command::new(LGSP)
        .args(["audit", "verify", "--database"])
        .arg(&database)
        .arg("--master-key-file")
        .arg(dir.join("demo.db.key"))
        .output()
        .expect("lgsp audit verify runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("the audit log is intact"), "{stdout}");

    // Export and report from the same files.
    let out = Command::new(LGSP)
        .args(["audit", "export", "--format", "csv", "--database"])
        .arg(&database)
        .output()
        .expect("lgsp audit export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        csv.lines().count() as u64,
        report.entries + 1,
        "header + one line per entry"
    );
    for id in received.iter().take(20) {
        assert!(csv.contains(id.as_str()), "{id} not exported");
    }
    let out = Command::new(LGSP)
        .args(["report", "usage", "--format", "json", "--database"])
        .arg(&database)
        .output()
        .expect("lgsp report runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let consumer_requests: u64 = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["role"] == "consumer")
        .filter_map(|r| r["requests"].as_u64())
        .sum();
    assert!(
        consumer_requests >= received.len() as u64,
        "{consumer_requests} requests reported, {} answered",
        received.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
