//! The grant workflow over the signed API: a consumer requests access, the
//! provider (and nobody else) approves it with a row filter, the consumer
//! reads within it, the provider revokes it, and the next request is refused.

use crate::access::{UNLIMITED, app, read};
use crate::common::platform;
use lgsp_tests::{Call, SignedClient};
use serde_json::{Value, json};

const PURPOSE: &str = "cấp phiếu lý lịch tư pháp";

fn post(path: &str, body: Value) -> Call<'_> {
    Call {
        method: "POST",
        path,
        body: Some(body),
        ..Call::default()
    }
}

/// The population provider's application.
fn provider() -> SignedClient {
    let p = &platform().sample.providers["000.00.00.G09"];
    SignedClient::new(
        &platform().url,
        lgsp_auth::Credentials::hmac(p.access_key.clone(), &p.secret_key),
        "",
        vec![],
    )
}

#[tokio::test]
async fn a_grant_is_requested_decided_by_its_provider_used_and_revoked() {
    let (commune, _) = platform().world.communes_by_population()[0].clone();
    let ids: Vec<String> = platform()
        .world
        .residents(&commune)
        .take(2)
        .map(|c| c.so_dinh_danh.clone())
        .collect();
    let outsider_id = platform().world.communes_by_population()[1].0.clone();
    let outsider_id = platform()
        .world
        .residents(&outsider_id)
        .next()
        .map(|c| c.so_dinh_danh.clone())
        .expect("a resident");
    let consumer = app(&[], PURPOSE, UNLIMITED, false).await;
    let data = SignedClient::new(
        &platform().url,
        lgsp_auth::Credentials::hmac(consumer.access_key.clone(), &consumer.secret_key),
        PURPOSE,
        vec!["dan_cu".into()],
    );
    let wanted = json!({
        "schema": "dan_cu", "table": "cong_dan",
        "columns": ["so_dinh_danh", "ho_ten", "ma_xa"], "clear_columns": ["so_dinh_danh"],
        "purpose": PURPOSE, "valid_from": "2026-01-01", "valid_to": "2030-12-31",
    });

    // Requests naming what the service does not have are refused whole.
    for (field, value) in [
        ("table", json!("khong_co")),
        ("columns", json!(["khong_co"])),
        ("clear_columns", json!(["ho_ten"])),
    ] {
        let mut bad = wanted.clone();
        bad[field] = value;
        let (status, body) = read(consumer.client.send(post("/v1/grants", bad)).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("invalid_grant_request")),
            "{field}: {body}"
        );
    }
    let (status, grant) = read(consumer.client.send(post("/v1/grants", wanted)).await).await;
    assert_eq!(status, 201, "{grant}");
    assert_eq!(grant["status"], "requested");
    assert_eq!(grant["provider_agency"], "000.00.00.G09");
    let id = grant["id"].as_str().expect("id").to_owned();

    // Not yet approved: no session for it.
    let (status, body) = read(
        consumer
            .client
            .send(post(
                "/v1/auth/sessions",
                json!({ "destinations": ["dan_cu"] }),
            ))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("session_destination")),
        "{body}"
    );

    // Neither the consumer nor another agency may decide it.
    let stranger = app(&[], PURPOSE, UNLIMITED, false).await;
    for who in [&consumer.client, &stranger.client] {
        let (status, body) = read(
            who.send(post(&format!("/v1/grants/{id}/approve"), json!({})))
                .await,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("not_allowed")),
            "{body}"
        );
    }

    // The provider sees it, refuses a filter that is not a condition on the
    // table, and approves with one that is.
    let provider = provider();
    let (status, listed) = read(
        provider
            .get("/v1/grants?role=provider&status=requested")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert!(
        listed["grants"]
            .as_array()
            .expect("grants")
            .iter()
            .any(|g| g["id"] == id.as_str()),
        "{listed}"
    );
    let approve = format!("/v1/grants/{id}/approve");
    let (status, body) = read(
        provider
            .send(post(&approve, json!({ "row_filter": "khong_co = 1" })))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_row_filter")),
        "{body}"
    );
    let (status, approved) = read(
        provider
            .send(post(
                &approve,
                json!({ "row_filter": format!("ma_xa = '{commune}'") }),
            ))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");

    // The consumer reads within the filter, and sees its grant.
    let (status, mine) = read(consumer.client.get("/v1/grants").await).await;
    assert_eq!(status, 200);
    assert_eq!(mine["grants"][0]["status"], "approved", "{mine}");
    let sql = format!(
        "SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh IN ('{}', '{}', '{outsider_id}')",
        ids[0], ids[1]
    );
    let (status, body) = read(data.query(&sql, "application/json").await).await;
    assert_eq!(status, 200, "{body}");
    let rows = body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{body}");
    assert!(
        rows.iter().all(|r| r["ma_xa"] == commune.as_str()),
        "{body}"
    );

    // Revoked by the provider: the next request is refused.
    let (status, body) = read(
        provider
            .send(post(
                &format!("/v1/grants/{id}/revoke"),
                json!({ "reason": "hồ sơ đã xong" }),
            ))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = read(data.query(&sql, "application/json").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("purpose_not_granted")),
        "{body}"
    );
}

#[tokio::test]
async fn a_suspended_application_is_refused_on_its_next_request() {
    let test = app(&[], PURPOSE, UNLIMITED, false).await;
    let (status, _) = read(test.client.get("/v1/services").await).await;
    assert_eq!(status, 200);
    let access = platform().auth.access();
    let apps = access.applications(Some(&test.agency)).await.expect("apps");
    access
        .set_application_status(&apps[0].id, lgsp_access::AppStatus::Suspended)
        .await
        .expect("suspend");
    let (status, body) = read(test.client.get("/v1/services").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("application_suspended")),
        "{body}"
    );
}
