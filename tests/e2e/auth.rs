//! Signed requests end to end: each rejection with its own code, replay,
//! revocation taking effect on the next request, session scoping, the purpose
//! check, rate limits, session verification by a provider, the host's
//! signature on upstream calls, and the Python client of `examples/`.

use crate::access::{UNLIMITED, Want, app, read};
use crate::common::platform;
use lgsp_access::Tier;
use lgsp_tests::Call;
use reqwest::header::HeaderValue;

fn everything_in(schema: &'static str) -> Want {
    Want {
        schema,
        ..Want::default()
    }
}

/// The population table with the personal ID in the clear, so that it can
/// be looked up by ID.
fn citizens_by_id() -> Want {
    Want {
        schema: "dan_cu",
        table: Some("cong_dan"),
        clear: vec!["so_dinh_danh"],
        ..Want::default()
    }
}

/// A citizen of the shared world.
fn someone() -> String {
    platform()
        .world
        .citizens()
        .first()
        .expect("a citizen")
        .so_dinh_danh
        .clone()
}

fn lookup_sql() -> String {
    format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{}'",
        someone()
    )
}

async fn code_of(response: reqwest::Response) -> (u16, String) {
    let (status, body) = read(response).await;
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_sample_consumer_reads_data_signed() {
    let response = platform()
        .consumer
        .query(&lookup_sql(), "application/json")
        .await;
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["row_count"], 1);
}

#[tokio::test]
async fn an_unsigned_request_is_refused_and_reaches_no_connector() {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/query", platform().url))
        .header("x-purpose", lgsp_tests::PURPOSE)
        .json(&serde_json::json!({ "sql": lookup_sql() }))
        .send()
        .await
        .expect("answer");
    let request_id = crate::common::request_id(&response);
    let (status, code) = code_of(response).await;
    assert_eq!((status, code.as_str()), (401, "unsigned_request"));
    // Counted by request id: other tests query the same upstream meanwhile.
    assert!(
        platform()
            .upstream
            .sim()
            .requests_for(&request_id)
            .is_empty(),
        "the refused request reached the upstream"
    );
}

/// A change made to a signed request just before it is sent.
type Tamper = Box<dyn FnOnce(&mut reqwest::header::HeaderMap, &mut Vec<u8>)>;

/// Sends the consumer's signed query with `tamper` applied to the signed
/// headers and body just before sending.
async fn tampered(
    tamper: impl FnOnce(&mut reqwest::header::HeaderMap, &mut Vec<u8>),
) -> (u16, String) {
    let client = &platform().consumer;
    let call = client.query_call(&lookup_sql(), "application/json").await;
    let (mut headers, mut body) = client.prepare(&call);
    tamper(&mut headers, &mut body);
    code_of(
        client
            .send_prepared("POST", "/v1/query", headers, body)
            .await,
    )
    .await
}

fn authorization(headers: &reqwest::header::HeaderMap) -> String {
    headers["authorization"].to_str().expect("ascii").to_owned()
}

#[tokio::test]
async fn each_signature_fault_has_its_own_code() {
    let cases: Vec<(&str, u16, Tamper)> = vec![
        (
            "malformed_authorization",
            401,
            Box::new(|h, _| {
                h.insert(
                    "authorization",
                    HeaderValue::from_static("LGSP-HMAC-SHA256 Credential=AK"),
                );
            }),
        ),
        (
            "unsupported_algorithm",
            401,
            Box::new(|h, _| {
                let a = authorization(h).replacen("LGSP-HMAC-SHA256", "LGSP-HMAC-MD5", 1);
                h.insert("authorization", HeaderValue::from_str(&a).expect("value"));
            }),
        ),
        (
            "unknown_access_key",
            401,
            Box::new(|h, _| {
                let a = authorization(h);
                let key = platform().consumer.access_key().to_owned();
                let a = a.replacen(&key, "LGSPAAAAAAAAAAAAAAAA", 1);
                h.insert("authorization", HeaderValue::from_str(&a).expect("value"));
            }),
        ),
        (
            "bad_signature",
            401,
            Box::new(|h, _| {
                let a = authorization(h);
                let (head, sig) = a.rsplit_once("Signature=").expect("signature");
                let flipped: String = sig
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i == 0 {
                            if c == '0' { '1' } else { '0' }
                        } else {
                            c
                        }
                    })
                    .collect();
                h.insert(
                    "authorization",
                    HeaderValue::from_str(&format!("{head}Signature={flipped}")).expect("value"),
                );
            }),
        ),
        (
            "clock_skew",
            401,
            Box::new(|h, _| {
                let old = chrono::Utc::now() - chrono::Duration::minutes(10);
                h.insert(
                    "x-lgsp-date",
                    HeaderValue::from_str(&lgsp_auth::format_date(old)).expect("value"),
                );
            }),
        ),
        (
            "invalid_nonce",
            401,
            Box::new(|h, _| {
                h.insert("x-lgsp-nonce", HeaderValue::from_static("short"));
            }),
        ),
        (
            "body_hash_mismatch",
            401,
            Box::new(|_, b| {
                b.extend_from_slice(b" ");
            }),
        ),
        (
            "missing_signed_header",
            401,
            Box::new(|h, _| {
                h.remove("x-lgsp-nonce");
            }),
        ),
        (
            "missing_signed_header",
            401,
            Box::new(|h, _| {
                // The purpose is sent but was not signed: it could have been changed.
                let a = authorization(h).replacen(";x-purpose", "", 1);
                h.insert("authorization", HeaderValue::from_str(&a).expect("value"));
            }),
        ),
        (
            "invalid_signed_header",
            401,
            Box::new(|h, _| {
                // A second purpose value would be signed joined with the
                // first but read alone; refused outright.
                h.append("x-purpose", HeaderValue::from_static("another purpose"));
            }),
        ),
        (
            "bad_signature",
            401,
            Box::new(|h, _| {
                // A changed purpose breaks the signature.
                h.insert("x-purpose", HeaderValue::from_static("something else"));
            }),
        ),
    ];
    for (expected, status, tamper) in cases {
        let got = tampered(tamper).await;
        assert_eq!(got, (status, expected.to_owned()), "expected {expected}");
    }
}

#[tokio::test]
async fn a_replayed_request_is_refused() {
    let client = &platform().consumer;
    let call = client.query_call(&lookup_sql(), "application/json").await;
    let (headers, body) = client.prepare(&call);
    let first = client
        .send_prepared("POST", "/v1/query", headers.clone(), body.clone())
        .await;
    assert_eq!(first.status(), 200);
    let again = code_of(
        client
            .send_prepared("POST", "/v1/query", headers, body)
            .await,
    )
    .await;
    assert_eq!(again, (401, "nonce_reused".to_owned()));
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_next_request() {
    let test = app(&[citizens_by_id()], "tra cứu hồ sơ", UNLIMITED, false).await;
    let (status, body) = read(test.client.query(&lookup_sql(), "application/json").await).await;
    assert_eq!(status, 200, "{body}");
    platform()
        .auth
        .access()
        .revoke_key(&test.access_key)
        .await
        .expect("revoke");
    let (status, code) = code_of(test.client.query(&lookup_sql(), "application/json").await).await;
    assert_eq!((status, code.as_str()), (401, "key_revoked"));
}

#[tokio::test]
async fn hmac_sha1_is_accepted_only_from_legacy_applications() {
    let legacy = app(&[citizens_by_id()], "tra cứu hồ sơ", UNLIMITED, true).await;
    let (status, body) = read(legacy.client.query(&lookup_sql(), "application/json").await).await;
    assert_eq!(status, 200, "{body}");
    let modern = app(
        &[everything_in("dan_cu")],
        "tra cứu hồ sơ",
        UNLIMITED,
        false,
    )
    .await;
    let sha1 = lgsp_tests::SignedClient::new(
        &platform().url,
        lgsp_auth::Credentials::hmac_sha1(modern.access_key.clone(), &modern.secret_key),
        "tra cứu hồ sơ",
        vec!["dan_cu".into()],
    );
    let (status, code) = code_of(sha1.get("/v1/tables").await).await;
    assert_eq!((status, code.as_str()), (401, "algorithm_not_allowed"));
}

#[tokio::test]
async fn sessions_cover_only_granted_destinations() {
    let test = app(
        &[everything_in("dan_cu")],
        "tra cứu hồ sơ",
        UNLIMITED,
        false,
    )
    .await;
    for (destination, expected) in [
        ("bhxh", 403),
        ("khong_co", 403),
        ("dan_cu.khong_co", 403),
        ("dan_cu", 201),
    ] {
        let response = test
            .client
            .send(Call {
                method: "POST",
                path: "/v1/auth/sessions",
                body: Some(serde_json::json!({ "destinations": [destination] })),
                ..Call::default()
            })
            .await;
        let (status, body) = read(response).await;
        assert_eq!(status, expected, "{destination}: {body}");
        if expected == 403 {
            assert_eq!(body["code"], "session_destination", "{body}");
        }
    }
}

#[tokio::test]
async fn a_data_request_needs_a_session_and_a_granted_purpose() {
    let client = &platform().consumer;
    // No session.
    let (status, code) = code_of(
        client
            .send(Call {
                method: "POST",
                path: "/v1/query",
                headers: vec![("x-purpose", client.purpose.clone())],
                body: Some(serde_json::json!({ "sql": lookup_sql() })),
            })
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "invalid_session"));
    let session = client.session().await;
    for (purpose, expected) in [
        ("", (400, "purpose_required")),
        ("tò mò", (403, "purpose_not_granted")),
        // Case and spacing do not matter.
        ("  KIỂM THỬ   tự động ", (200, "")),
    ] {
        let mut headers = vec![("x-lgsp-session", session.clone())];
        if !purpose.is_empty() {
            headers.push(("x-purpose", purpose.to_owned()));
        }
        let got = code_of(
            client
                .send(Call {
                    method: "POST",
                    path: "/v1/query",
                    headers,
                    body: Some(serde_json::json!({ "sql": lookup_sql() })),
                })
                .await,
        )
        .await;
        assert_eq!((got.0, got.1.as_str()), expected, "purpose {purpose:?}");
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let test = app(
        &[everything_in("dan_cu")],
        "tra cứu hồ sơ",
        Tier {
            per_minute: 3,
            per_day: None,
        },
        false,
    )
    .await;
    let mut admitted = 0;
    let mut retry_after = None;
    for _ in 0..6 {
        let response = test.client.get("/v1/tables").await;
        if response.status() == 429 {
            retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let (_, code) = code_of(response).await;
            assert_eq!(code, "rate_limited");
            break;
        }
        assert_eq!(response.status(), 200);
        admitted += 1;
    }
    // The tier's minute allows a burst of its size, then one every 20 s.
    assert_eq!(admitted, 3);
    let retry_after = retry_after.expect("a 429 with Retry-After");
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
}

#[tokio::test]
async fn a_provider_verifies_a_consumers_session_and_others_cannot() {
    let consumer = &platform().consumer;
    let session = consumer.session().await;
    let provider_app = platform()
        .sample
        .providers
        .get("000.00.00.G09")
        .expect("the population provider");
    let provider = lgsp_tests::SignedClient::new(
        &platform().url,
        lgsp_auth::Credentials::hmac(provider_app.access_key.clone(), &provider_app.secret_key),
        "",
        vec![],
    );
    // The request the consumer would send the destination, signed.
    let call = Call {
        method: "POST",
        path: "/v1/ho-so",
        headers: vec![("x-lgsp-session", session.clone())],
        body: Some(serde_json::json!({ "ma_ho_so": "HS-1" })),
    };
    let (headers, body) = consumer.prepare(&call);
    let forwarded: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().expect("ascii").into()))
        .collect();
    let ask = |request: serde_json::Value| {
        provider.send(Call {
            method: "POST",
            path: "/v1/auth/verify",
            body: Some(request),
            ..Call::default()
        })
    };
    let (status, verdict) = read(
        ask(serde_json::json!({
            "session_token": session,
            "request": { "method": "POST", "path": "/v1/ho-so", "headers": forwarded,
                         "body_sha256": lgsp_auth::body_sha256_hex(&body) }
        }))
        .await,
    )
    .await;
    assert_eq!(status, 200, "{verdict}");
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["agency"], lgsp_host::auth::sample::CONSUMER_AGENCY);
    assert_eq!(verdict["signature_checked"], true);
    // A changed body is caught.
    let (_, verdict) = read(
        ask(serde_json::json!({
            "session_token": session,
            "request": { "method": "POST", "path": "/v1/ho-so", "headers": forwarded,
                         "body_sha256": lgsp_auth::body_sha256_hex(b"{}") }
        }))
        .await,
    )
    .await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["code"], "body_hash_mismatch");
    // The request must carry the session being asked about.
    let mut other_headers = forwarded.clone();
    other_headers.insert("x-lgsp-session".into(), "lgsp1.other".into());
    let (_, verdict) = read(
        ask(serde_json::json!({
            "session_token": session,
            "request": { "method": "POST", "path": "/v1/ho-so", "headers": other_headers,
                         "body_sha256": lgsp_auth::body_sha256_hex(&body) }
        }))
        .await,
    )
    .await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["code"], "invalid_session");
    // The provider learns only its own destinations.
    assert_eq!(
        verdict_destinations(&ask, &session).await,
        vec!["dan_cu".to_owned()]
    );
    // A forged token is refused.
    let (_, verdict) =
        read(ask(serde_json::json!({ "session_token": format!("{session}x") })).await).await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["code"], "invalid_session");
    // An agency that provides none of the destinations may not ask.
    let outsider = app(
        &[everything_in("dan_cu")],
        "tra cứu hồ sơ",
        UNLIMITED,
        false,
    )
    .await;
    let (status, _) = read(
        outsider
            .client
            .send(Call {
                method: "POST",
                path: "/v1/auth/verify",
                body: Some(serde_json::json!({ "session_token": session })),
                ..Call::default()
            })
            .await,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn upstream_calls_carry_the_platforms_signature_of_who_and_why() {
    let answer = crate::common::query(&lookup_sql()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let calls = answer.upstream_calls();
    assert!(!calls.is_empty());
    let secret = platform().auth.upstream_secret("dan_cu");
    for call in calls {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &call.lgsp_headers {
            headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                http::HeaderValue::from_str(value).expect("value"),
            );
        }
        let forwarded = lgsp_auth::outbound::verify_upstream(
            secret.as_bytes(),
            &call.method,
            &call.uri,
            &headers,
            chrono::Utc::now(),
        )
        .expect("the provider can verify the platform's signature");
        assert_eq!(forwarded.consumer, lgsp_host::auth::sample::CONSUMER_AGENCY);
        assert_eq!(forwarded.purpose, lgsp_tests::PURPOSE);
        assert_eq!(forwarded.request_id, answer.request_id);
        // With another connector's secret it does not verify.
        let other = platform().auth.upstream_secret("bhxh");
        assert!(
            lgsp_auth::outbound::verify_upstream(
                other.as_bytes(),
                &call.method,
                &call.uri,
                &headers,
                chrono::Utc::now()
            )
            .is_err()
        );
    }
}

#[tokio::test]
async fn the_python_client_of_examples_queries_the_platform() {
    let consumer = &platform().sample.consumer;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/python/lgsp_client.py"
    );
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .args(["--server", &platform().url])
        .args(["--access-key", &consumer.access_key])
        // The environment, as the client's README recommends: not visible in `ps`.
        .env("LGSP_SECRET_KEY", &consumer.secret_key)
        .args(["--purpose", lgsp_tests::PURPOSE])
        .args(["query", &lookup_sql()])
        .output()
        .await
        .expect("python3 runs (it is on every machine this project builds on)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python client failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON answer");
    assert_eq!(body["row_count"], 1, "{body}");
}

/// The destinations a valid verdict names.
async fn verdict_destinations<F, Fut>(ask: &F, session: &str) -> Vec<String>
where
    F: Fn(serde_json::Value) -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let (_, verdict) = read(ask(serde_json::json!({ "session_token": session })).await).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    verdict["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect()
}
