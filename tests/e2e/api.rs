//! The HTTP surface: catalog, health, OpenAPI, and the error envelope for
//! malformed requests.

use crate::common::platform;
use serde_json::Value;

async fn get(path: &str) -> (u16, Value) {
    let r = platform().consumer.get(path).await;
    assert!(
        r.headers().contains_key("x-request-id"),
        "{path} lacks x-request-id"
    );
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post_raw(body: impl Into<Vec<u8>>, content_type: Option<&str>) -> (u16, Value) {
    let headers = content_type
        .map(|ct| vec![("content-type", ct.to_owned())])
        .unwrap_or_default();
    let r = platform()
        .consumer
        .send_bytes("POST", "/v1/query", headers, body.into(), true)
        .await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn tables_describe_columns_keys_and_personal_data() {
    let (status, body) = get("/v1/tables").await;
    assert_eq!(status, 200);
    let schemas = body["schemas"].as_array().expect("schemas");
    let dan_cu = schemas
        .iter()
        .find(|s| s["name"] == "dan_cu")
        .expect("dan_cu");
    assert_eq!(dan_cu["sha256"].as_str().map(str::len), Some(64));
    let table = &dan_cu["tables"][0];
    assert_eq!(table["name"], "cong_dan");
    let column = |name: &str| {
        table["columns"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    assert_eq!(column("so_dinh_danh")["personal_data"], "identifier");
    assert_eq!(column("ho_ten")["personal_data"], "basic");
    assert_eq!(column("so_dinh_danh")["nullable"], false);
    assert_eq!(column("ma_dan_toc")["personal_data"], "sensitive");
    assert_eq!(column("ma_dan_toc")["catalog"], "dan_toc");
    assert_eq!(column("ma_xa")["catalog"], "dvhc_xa");
    assert_eq!(column("ngay_sinh")["sql_type"], "DATE");
    assert_eq!(column("ngay_sinh")["arrow_type"], "Date32");
    assert_eq!(
        table["access_paths"],
        serde_json::json!([
            [{ "column": "so_dinh_danh", "operators": ["=", "IN"] }],
            [{ "column": "ma_xa", "operators": ["="] }]
        ])
    );
}

#[tokio::test]
async fn level_one_health_answers_without_checking() {
    let (status, body) = get("/v1/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "up");
}

#[tokio::test]
async fn level_two_health_checks_each_connector_and_its_upstream() {
    let (status, body) = get("/v1/health/services").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "up");
    let services = body["services"].as_array().expect("services");
    let dan_cu = services
        .iter()
        .find(|s| s["name"] == "dan_cu")
        .expect("dan_cu");
    assert_eq!(dan_cu["status"], "up");
    assert_eq!(dan_cu["dependencies"][0]["name"], "csdl-dan-cu");
    assert_eq!(dan_cu["dependencies"][0]["status"], "up");
    assert!(
        body["checked_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(body["load_failures"], serde_json::json!([]));
}

#[tokio::test]
async fn unknown_routes_and_methods_use_the_error_envelope() {
    let (status, body) = get("/v1/nothing").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "route_not_found");
    assert_eq!(body["type"], "invalid_request");
    assert!(body["request_id"].as_str().is_some());
    let r = platform().consumer.get("/v1/query").await;
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "method_not_allowed");
}

#[tokio::test]
async fn malformed_request_bodies_are_explained() {
    let (status, body) = post_raw("{\"sql\": ", Some("application/json")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (status, body) = post_raw(
        "{\"sql\": \"SELECT 1\", \"sqll\": 1}",
        Some("application/json"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("sqll")),
        "{body}"
    );
    let (status, body) = post_raw("{\"query\": \"SELECT 1\"}", Some("application/json")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (status, body) = post_raw("{\"sql\": \"SELECT 1\"}", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("unsupported_media_type")),
        "{body}"
    );
    let huge = format!("{{\"sql\": \"{}\"}}", "x".repeat(300_000));
    let (status, body) = post_raw(huge, Some("application/json")).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let (status, body) = get("/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    for path in [
        "/v1/query",
        "/v1/tables",
        "/v1/health",
        "/v1/health/services",
        "/v1/openapi.json",
    ] {
        assert!(
            body["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    // The checked-in copy in docs/ must match what the server serves.
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"))
            .expect("docs/openapi.json exists");
    let checked_in: Value = serde_json::from_str(&checked_in).expect("valid JSON");
    assert_eq!(
        checked_in, body,
        "docs/openapi.json is stale: regenerate it with scripts/openapi.sh"
    );
}
