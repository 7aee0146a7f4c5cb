//! Agencies publish connectors: signed uploads through the API, versions
//! served side by side (`thu_nghiem`, `"thu_nghiem@1"`), grants across a
//! major version, retirement on its date, rollback, the kill switch and
//! sealed configuration, with queries running throughout. Each platform
//! here is its own, so one test's versions do not meet another's.

use base64::Engine as _;
use chrono::{Days, Utc};
use lgsp_tests::{Call, Platform, SignedClient, connector_source, dan_cu_source, wasm_dir};
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const PURPOSE: &str = "kiểm thử xuất bản";
const NAME: &str = "thu_nghiem";

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

fn component(version: &str) -> Vec<u8> {
    std::fs::read(wasm_dir().join(format!("lgsp_test_evolving-{version}.wasm"))).expect("component")
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn manifest(version: &str) -> String {
    format!("name = \"{NAME}\"\nversion = \"{version}\"\n")
}

/// A provider agency's application with its HMAC key (to sign requests)
/// and an RSA key (to sign components).
struct Publisher {
    agency: String,
    client: SignedClient,
    rsa_key: String,
}

const RSA_PRIVATE: &str = lgsp_auth::vectors::TEST_RSA_PRIVATE_KEY_PEM;

async fn publisher(platform: &Platform, agency: &str) -> Publisher {
    let app = &platform.sample.providers[agency];
    let rsa = platform
        .auth
        .access()
        .create_key(
            &app.application,
            lgsp_access::KeyMaterial::Rsa {
                public_key_pem: lgsp_auth::vectors::TEST_RSA_PUBLIC_KEY_PEM.into(),
            },
            None,
        )
        .await
        .expect("RSA key registered");
    Publisher {
        agency: agency.to_owned(),
        client: SignedClient::new(
            &platform.url,
            lgsp_auth::Credentials::hmac(app.access_key.clone(), &app.secret_key),
            "",
            vec![],
        ),
        rsa_key: rsa.info.access_key,
    }
}

fn sign(key: &str, name: &str, version: &str, wasm: &[u8]) -> Value {
    let signing = lgsp_auth::SigningKey::rsa_from_pem(RSA_PRIVATE).expect("key");
    let value = lgsp_auth::sign_connector(&signing, name, version, &sha256(wasm)).expect("signs");
    json!({ "key": key, "value": value })
}

async fn upload(p: &Publisher, manifest: &str, wasm: &[u8], signature: Value) -> (u16, Value) {
    let body = json!({
        "manifest": manifest,
        "component": base64::engine::general_purpose::STANDARD.encode(wasm),
        "signature": signature,
    });
    send(&p.client, "POST", "/v1/connectors", Some(body)).await
}

async fn publish(p: &Publisher, version: &str) -> (u16, Value) {
    let wasm = component(version);
    let signature = sign(&p.rsa_key, NAME, version, &wasm);
    upload(p, &manifest(version), &wasm, signature).await
}

async fn send(
    client: &SignedClient,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let r = client
        .send(Call {
            method,
            path,
            body,
            ..Call::default()
        })
        .await;
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Grants the platform's sample consumer `ho_so` for [`PURPOSE`] and
/// returns the grant id and a client whose sessions reach the connector.
async fn grant_consumer(
    platform: &Platform,
    provider: &str,
    columns: &[&str],
) -> (String, SignedClient) {
    let access = platform.auth.access();
    let today = Utc::now().date_naive();
    let grant = access
        .request_grant(
            &platform.sample.consumer.application,
            lgsp_access::GrantRequest {
                schema: NAME.into(),
                table: Some("ho_so".into()),
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                clear_columns: vec![],
                purpose: PURPOSE.into(),
                valid_from: today,
                valid_to: today + Days::new(3650),
            },
        )
        .await
        .expect("grant requested");
    access
        .decide_grant(
            &grant.id,
            &lgsp_access::Actor::Agency(provider.parse().expect("code")),
            lgsp_access::Decision::Approve { row_filter: None },
        )
        .await
        .expect("grant approved");
    let client = SignedClient::new(
        &platform.url,
        platform.consumer_credentials(),
        PURPOSE,
        vec![NAME.into()],
    );
    (grant.id, client)
}

async fn rows(client: &SignedClient, sql: &str) -> (u16, Value) {
    let r = client.query(sql, "application/json").await;
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

fn column(body: &Value, name: &str) -> Vec<String> {
    body["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r[name].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
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

fn first_provider(platform: &Platform) -> String {
    platform
        .sample
        .providers
        .keys()
        .next()
        .expect("a provider")
        .clone()
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

    // 2.0.0 renames ho_ten, which the grant names.
    let (status, v2) = publish(&p, "2.0.0").await;
    assert_eq!(status, 201, "{v2}");
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

/// Runs queries on `thu_nghiem` and on `dan_cu` until `stop`, counting
/// answers by kind.
#[derive(Default)]
struct Load {
    ok: AtomicU64,
    failed: AtomicU64,
    suspended: AtomicU64,
    population_failed: AtomicU64,
}

#[tokio::test]
async fn publish_rollback_suspend_and_configure_under_load_drop_nothing() {
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
}

fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
