//! The audit log over HTTP: every kind of request leaves exactly one entry
//! with the right fields (answered, refused for each reason, admin actions,
//! key and grant changes, connector events), each agency reads what concerns
//! it, reports count a known workload exactly, and the chain verifies.

use crate::access::{UNLIMITED, Want, app, read};
use crate::common::{client, platform, request_id};
use lgsp_audit::{EntryFilter, EntryView, Kind, Outcome};
use lgsp_tests::{Call, SignedClient};
use reqwest::header::HeaderValue;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PURPOSE: &str = "xác minh nhân thân";

/// Every entry recorded for `request_id`.
async fn entries_of(request_id: &str) -> Vec<EntryView> {
    let all = lgsp_audit::entries(platform().audit.pool(), &EntryFilter::default())
        .await
        .expect("the audit log reads");
    all.into_iter()
        .filter(|e| e.entry.draft.request_id.as_deref() == Some(request_id))
        .collect()
}

/// The id of a response, once its body has been read to the end (the entry
/// is committed before the last bytes are sent).
async fn finished(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let id = request_id(&response);
    let _ = response.bytes().await.expect("body");
    (status, id)
}

/// The one entry of `request_id`.
async fn entry_of(request_id: &str) -> lgsp_audit::Draft {
    let mut found = entries_of(request_id).await;
    assert_eq!(found.len(), 1, "entries for {request_id}: {found:#?}");
    found.remove(0).entry.draft
}

fn population_reader() -> Vec<Want> {
    vec![Want {
        schema: "dan_cu",
        table: Some("cong_dan"),
        columns: vec!["so_dinh_danh", "ho_ten", "ngay_sinh"],
        clear: vec!["so_dinh_danh"],
        row_filter: None,
    }]
}

fn some_id(i: usize) -> String {
    platform().world.citizens()[i].so_dinh_danh.clone()
}

/// Looks up the `i`th citizen's `columns` through `client`: the status, the
/// request id, and the body read to its end.
async fn look_up(
    client: &SignedClient,
    columns: &str,
    i: usize,
) -> (u16, String, axum::body::Bytes) {
    let sql = format!(
        "SELECT {columns} FROM dan_cu.cong_dan WHERE so_dinh_danh = '{}'",
        some_id(i)
    );
    let response = client.query(&sql, "application/json").await;
    let status = response.status().as_u16();
    let id = request_id(&response);
    (status, id, response.bytes().await.expect("body"))
}

fn provider(code: &str) -> SignedClient {
    let p = &platform().sample.providers[code];
    SignedClient::new(
        &platform().url,
        lgsp_auth::Credentials::hmac(p.access_key.clone(), &p.secret_key),
        "",
        vec![],
    )
}

#[tokio::test]
async fn an_answered_data_request_records_who_what_why_and_a_digest_of_the_answer() {
    let test = app(&population_reader(), PURPOSE, UNLIMITED, false).await;
    let (status, id, body) = look_up(&test.client, "ho_ten, ngay_sinh", 0).await;
    assert_eq!(status, 200);
    let d = entry_of(&id).await;
    assert_eq!(d.kind, Kind::Data);
    assert_eq!(d.action, "POST /v1/query");
    assert_eq!(
        d.actor.agency.as_deref(),
        Some(test.agency.to_string().as_str())
    );
    assert_eq!(d.actor.key.as_deref(), Some(test.access_key.as_str()));
    assert!(d.actor.application.is_some());
    assert_eq!(d.purpose.as_deref(), Some(PURPOSE));
    assert_eq!(d.resource.services.len(), 1);
    assert_eq!(d.resource.services[0].name, "dan_cu");
    assert_eq!(
        d.resource.services[0].provider.as_deref(),
        Some("000.00.00.G09")
    );
    assert_eq!(d.resource.tables.len(), 1);
    assert_eq!(d.resource.tables[0].table, "dan_cu.cong_dan");
    for column in ["ho_ten", "ngay_sinh"] {
        assert!(
            d.resource.tables[0].columns.iter().any(|c| c == column),
            "{:?}",
            d.resource.tables[0].columns
        );
    }
    assert_eq!(d.resource.columns, vec!["ho_ten", "ngay_sinh"]);
    assert_eq!(
        (d.outcome, d.status, d.code.as_str()),
        (Outcome::Ok, Some(200), "ok")
    );
    assert_eq!(d.rows, Some(1));
    assert_eq!(d.bytes, body.len() as u64);
    assert_eq!(
        d.response_sha256.as_deref(),
        Some(hex::encode(Sha256::digest(&body)).as_str())
    );
    assert!(d.duration_us > 0);
    // Never the data itself.
    let text = serde_json::to_string(&d).expect("json");
    let name = platform().world.citizens()[0].ho_ten.clone();
    assert!(!text.contains(&name), "the entry holds the data: {text}");
}

#[tokio::test]
async fn refused_requests_are_recorded_with_their_machine_code() {
    // A bad signature: the key it claims is kept, unverified.
    let consumer = &platform().consumer;
    let (mut headers, body) = consumer.prepare(&Call {
        method: "GET",
        path: "/v1/tables",
        ..Call::default()
    });
    let a = headers["authorization"].to_str().expect("ascii").to_owned();
    let (head, sig) = a.rsplit_once("Signature=").expect("signature");
    let flipped = format!(
        "{head}Signature={}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    headers.insert(
        "authorization",
        HeaderValue::from_str(&flipped).expect("value"),
    );
    let response = consumer
        .send_prepared("GET", "/v1/tables", headers, body)
        .await;
    let (status, id) = finished(response).await;
    assert_eq!(status, 401);
    let d = entry_of(&id).await;
    assert_eq!(
        (d.outcome, d.code.as_str()),
        (Outcome::Refused, "bad_signature")
    );
    assert_eq!(d.actor.agency, None);
    assert_eq!(
        d.detail.get("claimed_access_key").map(String::as_str),
        Some(consumer.access_key())
    );

    // Unsigned.
    let response = client()
        .get(format!("{}/v1/tables", platform().url))
        .send()
        .await
        .expect("answers");
    let (status, id) = finished(response).await;
    assert_eq!(status, 401);
    let d = entry_of(&id).await;
    assert_eq!(d.code, "unsigned_request");

    // A purpose no grant covers: the services it tried are on record.
    let test = app(&population_reader(), PURPOSE, UNLIMITED, false).await;
    let other = SignedClient::new(
        &platform().url,
        lgsp_auth::Credentials::hmac(test.access_key.clone(), &test.secret_key),
        "một mục đích khác",
        vec!["dan_cu".into()],
    );
    let response = other
        .query(
            "SELECT ho_ten FROM dan_cu.cong_dan LIMIT 1",
            "application/json",
        )
        .await;
    let (status, id) = finished(response).await;
    assert_eq!(status, 403);
    let d = entry_of(&id).await;
    assert_eq!(
        (d.kind, d.code.as_str()),
        (Kind::Data, "purpose_not_granted")
    );
    assert_eq!(
        d.actor.agency.as_deref(),
        Some(test.agency.to_string().as_str())
    );
    assert_eq!(d.purpose.as_deref(), Some("một mục đích khác"));
    assert_eq!(d.resource.services[0].name, "dan_cu");

    // Rate limited.
    let slow = app(
        &population_reader(),
        PURPOSE,
        lgsp_access::Tier {
            per_minute: 2,
            per_day: None,
        },
        false,
    )
    .await;
    let mut limited = None;
    for _ in 0..5 {
        let (status, id) = finished(slow.client.get("/v1/tables").await).await;
        if status == 429 {
            limited = Some(id);
            break;
        }
    }
    let d = entry_of(&limited.expect("a 429")).await;
    assert_eq!((d.status, d.code.as_str()), (Some(429), "rate_limited"));
    assert_eq!(
        d.actor.agency.as_deref(),
        Some(slow.agency.to_string().as_str())
    );
}

async fn admin(method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let mut request = client()
        .request(method, format!("{}{path}", platform().url))
        .bearer_auth(&platform().admin_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("answers")
}

#[tokio::test]
async fn admin_actions_logins_and_key_and_grant_changes_are_recorded() {
    let response = admin(
        reqwest::Method::POST,
        "/v1/admin/agencies",
        Some(json!({"code": "000.00.97.H49", "name": "Đơn vị thử nhật ký"})),
    )
    .await;
    let (status, id) = finished(response).await;
    assert_eq!(status, 201);
    let d = entry_of(&id).await;
    assert_eq!(d.kind, Kind::Admin);
    assert_eq!(d.action, "POST /v1/admin/agencies");
    assert_eq!(d.actor.admin.as_deref(), Some(lgsp_tests::ADMIN_USER));
    assert_eq!((d.status, d.outcome), (Some(201), Outcome::Ok));

    // A key rotation.
    let test = app(&[], PURPOSE, UNLIMITED, false).await;
    let path = format!("/v1/admin/keys/{}/rotate", test.access_key);
    let response = admin(reqwest::Method::POST, &path, Some(json!({}))).await;
    let (status, id) = finished(response).await;
    assert_eq!(status, 200);
    let d = entry_of(&id).await;
    assert_eq!(d.action, "POST /v1/admin/keys/{access_key}/rotate");
    assert_eq!(d.resource.path.as_deref(), Some(path.as_str()));
    // The new secret is in the answer, never in the entry.
    assert_eq!(d.detail.len(), 0, "{:?}", d.detail);

    // A grant decision by its provider, over the signed API.
    let consumer = SignedClient::new(
        &platform().url,
        lgsp_auth::Credentials::hmac(test.access_key.clone(), &test.secret_key),
        PURPOSE,
        vec![],
    );
    let (status, grant) = read(
        consumer
            .send(Call {
                method: "POST",
                path: "/v1/grants",
                body: Some(json!({
                    "schema": "dan_cu", "table": "cong_dan", "columns": ["ho_ten"],
                    "purpose": PURPOSE, "valid_from": "2026-01-01", "valid_to": "2030-12-31",
                })),
                ..Call::default()
            })
            .await,
    )
    .await;
    assert_eq!(status, 201, "{grant}");
    let grant_id = grant["id"].as_str().expect("grant id").to_owned();
    let approve = format!("/v1/grants/{grant_id}/approve");
    let response = provider("000.00.00.G09")
        .send(Call {
            method: "POST",
            path: &approve,
            body: Some(json!({})),
            ..Call::default()
        })
        .await;
    let (status, id) = finished(response).await;
    assert_eq!(status, 200);
    let d = entry_of(&id).await;
    assert_eq!(
        (d.kind, d.action.as_str()),
        (Kind::Api, "POST /v1/grants/{id}/approve")
    );
    assert_eq!(d.actor.agency.as_deref(), Some("000.00.00.G09"));
    assert_eq!(d.resource.path.as_deref(), Some(approve.as_str()));

    // A failed login names who tried.
    let response = client()
        .post(format!("{}/v1/admin/login", platform().url))
        .json(&json!({"username": "mallory", "password": "Sai-mat-khau-1!"}))
        .send()
        .await
        .expect("answers");
    let (status, id) = finished(response).await;
    assert_eq!(status, 401);
    let d = entry_of(&id).await;
    assert_eq!((d.kind, d.code.as_str()), (Kind::Admin, "bad_login"));
    assert_eq!(d.actor.admin.as_deref(), Some("mallory"));
}

#[tokio::test]
async fn an_answer_without_a_body_is_recorded_as_answered() {
    // Hyper never polls the body of a HEAD answer; the entry must not wait
    // for it.
    let response = client()
        .head(format!("{}/v1/catalogs", platform().url))
        .send()
        .await
        .expect("answers");
    let (status, id) = finished(response).await;
    assert_eq!(status, 200);
    let d = entry_of(&id).await;
    assert_eq!(
        (d.outcome, d.code.as_str(), d.bytes),
        (Outcome::Ok, "ok", 0)
    );
}

#[tokio::test]
async fn connector_loads_are_recorded() {
    let all = lgsp_audit::entries(platform().audit.pool(), &EntryFilter::default())
        .await
        .expect("reads");
    let loaded: Vec<&str> = all
        .iter()
        .filter(|e| {
            e.entry.draft.kind == Kind::Connector && e.entry.draft.action == "connector loaded"
        })
        .filter_map(|e| {
            e.entry
                .draft
                .resource
                .services
                .first()
                .map(|s| s.name.as_str())
        })
        .collect();
    for name in platform().registry.snapshot().connectors.keys() {
        assert_eq!(
            loaded.iter().filter(|l| **l == name.as_str()).count(),
            1,
            "{name}: {loaded:?}"
        );
    }
}

#[tokio::test]
async fn each_agency_reads_what_concerns_it_and_admins_read_all() {
    let test = app(&population_reader(), PURPOSE, UNLIMITED, false).await;
    let (status, id, _) = look_up(&test.client, "ho_ten", 1).await;
    assert_eq!(status, 200);
    let ids = |body: &Value| -> Vec<String> {
        body["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(|e| e["request_id"].as_str().map(str::to_owned))
            .collect()
    };
    // The consumer sees its own request, and only its own.
    let (status, mine) = read(test.client.get("/v1/audit/entries?role=consumer").await).await;
    assert_eq!(status, 200, "{mine}");
    assert!(ids(&mine).contains(&id));
    let agency = test.agency.to_string();
    assert!(
        mine["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["actor"]["agency"] == agency.as_str())
    );
    // The provider sees who read its data and why.
    let mut found = None;
    let mut after = 0u64;
    loop {
        let (status, page) = read(
            provider("000.00.00.G09")
                .get(&format!("/v1/audit/entries?role=provider&after={after}"))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        if let Some(e) = page["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["request_id"] == id.as_str())
        {
            found = Some(e.clone());
            break;
        }
        match page["next_after"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    let found = found.expect("the provider sees the request");
    assert_eq!(found["purpose"], PURPOSE);
    assert_eq!(found["actor"]["agency"], agency.as_str());
    // ...but not the consumer's key or a digest of the answer.
    assert!(found["actor"]["key"].is_null(), "{found}");
    assert!(found["response_sha256"].is_null(), "{found}");
    assert_eq!(found["resource"]["tables"][0]["table"], "dan_cu.cong_dan");
    // Another provider does not.
    let (_, other) = read(
        provider("000.00.00.G12")
            .get("/v1/audit/entries?role=provider&limit=1000")
            .await,
    )
    .await;
    assert!(!ids(&other).contains(&id));
    // An agency cannot ask for another's entries.
    let (status, body) = read(
        test.client
            .get("/v1/audit/entries?agency=000.00.00.G09")
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_parameter"))
    );
    // Admins read any agency's.
    let response = admin(
        reqwest::Method::GET,
        &format!("/v1/admin/audit/entries?agency={agency}&role=consumer"),
        None,
    )
    .await;
    let (status, all) = read(response).await;
    assert_eq!(status, 200, "{all}");
    assert!(ids(&all).contains(&id));
}

#[tokio::test]
async fn usage_and_reconciliation_reports_count_a_known_workload() {
    let test = app(&population_reader(), PURPOSE, UNLIMITED, false).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (status, id, _) = look_up(&test.client, "ho_ten", 10 + i).await;
        assert_eq!(status, 200);
        ids.push(id);
    }
    // Two refusals: a column that is not granted does not exist for it.
    for _ in 0..2 {
        let response = test
            .client
            .query(
                "SELECT dan_toc FROM dan_cu.cong_dan WHERE so_dinh_danh = '001000000000'",
                "application/json",
            )
            .await;
        assert_eq!(response.status(), 400);
        ids.push(request_id(&response));
        let _ = response.bytes().await;
    }
    let (status, usage) = read(test.client.get("/v1/reports/usage").await).await;
    assert_eq!(status, 200, "{usage}");
    let rows = usage["rows"].as_array().expect("rows");
    let row = rows
        .iter()
        .find(|r| r["role"] == "consumer" && r["service"] == "dan_cu")
        .unwrap_or_else(|| panic!("no dan_cu row: {usage}"));
    assert_eq!(row["requests"], 5, "{row}");
    assert_eq!(row["ok"], 3);
    assert_eq!(row["refused"], 2);
    assert_eq!(row["rows"], 3);
    assert_eq!(
        row["errors"]["query_error"]
            .as_u64()
            .or(row["errors"]["invalid_sql"].as_u64()),
        Some(2),
        "{row}"
    );
    assert!(
        rows.iter()
            .all(|r| r["agency"] == test.agency.to_string().as_str())
    );

    let (status, rec) = read(test.client.get("/v1/reports/reconciliation").await).await;
    assert_eq!(status, 200, "{rec}");
    let line = rec["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["provider"] == "000.00.00.G09")
        .unwrap_or_else(|| panic!("no line: {rec}"));
    assert_eq!(
        (line["requests"].as_u64(), line["ok"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(
        line["request_ids_sha256"],
        lgsp_audit::report::request_ids_digest(ids.clone()).as_str()
    );

    // The session the client opened, and the requests made through it.
    let (status, connections) = read(test.client.get("/v1/reports/connections").await).await;
    assert_eq!(status, 200, "{connections}");
    let sessions = connections["rows"].as_array().expect("rows");
    assert_eq!(sessions.len(), 1, "{connections}");
    assert_eq!(sessions[0]["destinations"], "dan_cu");
    assert_eq!(sessions[0]["requests"], 5, "{connections}");
    assert!(
        sessions[0]["expires_at"]
            .as_str()
            .is_some_and(|e| e > sessions[0]["opened_at"].as_str().unwrap_or_default())
    );

    // The same as CSV, and the admin's view of the agency agrees.
    let response = test.client.get("/v1/reports/usage?format=csv").await;
    assert_eq!(response.status(), 200);
    let csv = response.text().await.expect("csv");
    assert!(
        csv.lines().next().is_some_and(|h| h.contains("requests")),
        "{csv}"
    );
    let response = admin(
        reqwest::Method::GET,
        &format!("/v1/admin/reports/reconciliation?agency={}", test.agency),
        None,
    )
    .await;
    let (status, admin_rec) = read(response).await;
    assert_eq!(status, 200, "{admin_rec}");
    assert_eq!(admin_rec["rows"], rec["rows"]);
}

#[tokio::test]
async fn the_running_platforms_log_verifies_against_its_published_key() {
    let (status, key) = read(
        client()
            .get(format!("{}/v1/audit/public-key", platform().url))
            .send()
            .await
            .expect("answers"),
    )
    .await;
    assert_eq!(status, 200);
    let key = lgsp_audit::PublicKey::from_base64(key["public_key"].as_str().expect("key"))
        .expect("an Ed25519 key");
    platform().audit.seal_now().await.expect("seals");
    let report = lgsp_audit::verify(platform().audit.pool(), &key)
        .await
        .expect("verifies");
    assert!(report.ok(), "{:?}", report.problem);
    assert!(report.entries > 0 && report.checkpoints > 0);
}

#[tokio::test]
async fn metrics_count_requests_and_audit_commits() {
    let response = client()
        .get(format!("{}/metrics", platform().url))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    for name in [
        "lgsp_requests_total",
        "lgsp_request_duration_seconds_bucket",
        "lgsp_audit_entries_committed",
        "lgsp_connectors_loaded",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    // No agency codes in labels: those figures are access-controlled.
    assert!(!text.contains(".H49"), "{text}");
}
