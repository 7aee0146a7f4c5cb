//! The admin routes through the real router (no socket), over a fresh
//! platform database and master key in a temporary directory.

use crate::api::{AppState, router};
use crate::auth::AuthService;
use crate::query::{QueryService, QuerySettings};
use crate::runtime::Registry;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::NaiveDate;
use lgsp_access::GrantRequest;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

const ROOT_PASSWORD: &str = "Quản-trị-2025";

/// A platform with one admin, `root`.
struct Api {
    app: Router,
    auth: Arc<AuthService>,
    dir: PathBuf,
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An answer: status and JSON body (`Null` when empty).
struct Answer {
    status: StatusCode,
    body: Value,
    text: String,
}

impl Answer {
    /// Asserts an error answer in the envelope and returns its message.
    fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        self.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {}", self.text))
            .to_owned()
    }

    fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        &self.body
    }
}

async fn api() -> Api {
    let dir = std::env::temp_dir().join(format!("lgsp-api-admin-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = crate::Config {
        database: Some(dir.join("lgsp.db")),
        master_key_file: Some(dir.join("master.key")),
        ..crate::Config::default()
    };
    let platform = crate::server::open_platform(&config)
        .await
        .expect("open the platform");
    let registry = Arc::new(Registry::new());
    let query = Arc::new(QueryService::new(
        registry.clone(),
        platform.catalogs.clone(),
        QuerySettings::default(),
    ));
    platform
        .auth
        .access()
        .create_admin("root", ROOT_PASSWORD)
        .await
        .expect("first admin");
    let app = router(AppState {
        query,
        registry,
        catalogs: platform.catalogs,
        auth: platform.auth.clone(),
        audit: platform.audit.clone(),
        metrics: Default::default(),
        monitor: None,
        connectors: None,
    });
    Api {
        app,
        auth: platform.auth,
        dir,
    }
}

impl Api {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        Answer { status, body, text }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.expect("request")).await
    }

    async fn login(&self, username: &str, password: &str) -> Answer {
        let body = json!({ "username": username, "password": password });
        self.call(Method::POST, "/v1/admin/login", None, Some(body))
            .await
    }

    async fn token(&self) -> String {
        let answer = self.login("root", ROOT_PASSWORD).await;
        answer.ok(200)["token"].as_str().expect("token").to_owned()
    }

    /// GET /v1/services signed with `creds` (a data route any valid key may call).
    async fn signed_services(&self, creds: &lgsp_auth::Credentials) -> Answer {
        let mut headers = http::HeaderMap::new();
        lgsp_auth::sign_request(
            creds,
            "GET",
            "/v1/services",
            &mut headers,
            b"",
            chrono::Utc::now(),
            &lgsp_auth::new_nonce(),
        )
        .expect("signed");
        let mut request = Request::builder().method(Method::GET).uri("/v1/services");
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }
}

/// Shorthands for an admin's calls.
struct Session<'a> {
    api: &'a Api,
    token: String,
}

impl Session<'_> {
    async fn get(&self, path: &str) -> Answer {
        self.api
            .call(Method::GET, path, Some(&self.token), None)
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.api
            .call(Method::POST, path, Some(&self.token), Some(body))
            .await
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> Answer {
        self.api
            .call(method, path, Some(&self.token), Some(body))
            .await
    }

    async fn agency(&self, code: &str, name: &str) {
        let body = json!({ "code": code, "name": name });
        self.post("/v1/admin/agencies", body).await.ok(201);
    }

    async fn application(&self, agency: &str, name: &str) -> String {
        let body = json!({ "agency": agency, "name": name });
        let answer = self.post("/v1/admin/applications", body).await;
        answer.ok(201)["id"].as_str().expect("id").to_owned()
    }
}

async fn session(api: &Api) -> Session<'_> {
    Session {
        token: api.token().await,
        api,
    }
}

#[tokio::test]
async fn admin_routes_need_a_valid_admin_session() {
    let api = api().await;
    let none = api
        .call(Method::GET, "/v1/admin/agencies", None, None)
        .await;
    let message = none.error(401, "admin_unauthorized");
    assert!(message.contains("POST /v1/admin/login"), "{message}");
    let forged = api
        .call(
            Method::GET,
            "/v1/admin/agencies",
            Some("lgsp1.e30.AAAA"),
            None,
        )
        .await;
    forged.error(401, "admin_unauthorized");
    api.login("root", "Wrong-password-1")
        .await
        .error(401, "bad_login");
    api.login("nobody", ROOT_PASSWORD)
        .await
        .error(401, "bad_login");

    let token = api.token().await;
    let listed = api
        .call(Method::GET, "/v1/admin/agencies", Some(&token), None)
        .await;
    assert_eq!(listed.ok(200)["agencies"], json!([]));
    // Every admin route is behind the same extractor.
    for (method, path) in [
        (Method::POST, "/v1/admin/agencies/merge"),
        (Method::GET, "/v1/admin/applications"),
        (Method::POST, "/v1/admin/keys/LGSPAAAAAAAAAAAAAAAA/revoke"),
        (Method::GET, "/v1/admin/services"),
        (Method::GET, "/v1/admin/grants"),
        (Method::POST, "/v1/admin/admins"),
    ] {
        let answer = api.call(method, path, None, Some(json!({}))).await;
        answer.error(401, "admin_unauthorized");
    }
}

#[tokio::test]
async fn agencies_keep_their_history_and_codes_are_never_reused() {
    let api = api().await;
    let s = session(&api).await;

    let bad = s
        .post(
            "/v1/admin/agencies",
            json!({ "code": "000.00.00.h49", "name": "UBND" }),
        )
        .await;
    let message = bad.error(422, "invalid_agency_code");
    assert!(message.contains("000.00.00.H49"), "{message}");
    let short = s
        .post(
            "/v1/admin/agencies",
            json!({ "code": "00.H49", "name": "X" }),
        )
        .await;
    assert!(
        short
            .error(422, "invalid_agency_code")
            .contains("at least 4")
    );
    let blank = s
        .post(
            "/v1/admin/agencies",
            json!({ "code": "000.00.00.H49", "name": " " }),
        )
        .await;
    blank.error(422, "invalid_name");
    let unknown_field = s
        .post(
            "/v1/admin/agencies",
            json!({ "code": "000.00.00.H49", "name": "X", "nam": "typo" }),
        )
        .await;
    unknown_field.error(400, "invalid_request");

    let created = s
        .post(
            "/v1/admin/agencies",
            json!({ "code": "000.00.00.H49", "name": "UBND tỉnh Quảng Ninh" }),
        )
        .await;
    let doc = created.ok(201);
    assert_eq!(doc["status"], "active");
    assert_eq!(doc["level"], 1);
    let again = s
        .post(
            "/v1/admin/agencies",
            json!({ "code": "000.00.00.H49", "name": "Y" }),
        )
        .await;
    again.error(409, "code_in_use");
    let orphan = s
        .post(
            "/v1/admin/agencies",
            json!({ "code": "000.01.00.H49", "name": "Sở", "parent": "000.00.00.H99" }),
        )
        .await;
    orphan.error(404, "unknown_parent");

    let renamed = s
        .post(
            "/v1/admin/agencies/000.00.00.H49/rename",
            json!({ "name": "UBND Quảng Ninh", "effective": "2025-07-01" }),
        )
        .await;
    let detail = renamed.ok(200);
    assert_eq!(detail["agency"]["name"], "UBND Quảng Ninh");
    assert_eq!(detail["history"][1]["change"], "renamed");
    assert_eq!(detail["history"][1]["old_name"], "UBND tỉnh Quảng Ninh");
    assert_eq!(detail["history"][1]["effective"], "2025-07-01");

    // Hà Giang (H02) merged into Tuyên Quang (H08), which keeps its code.
    s.agency("000.00.00.H02", "UBND tỉnh Hà Giang").await;
    s.agency("000.00.00.H08", "UBND tỉnh Tuyên Quang").await;
    let merged = s
        .post(
            "/v1/admin/agencies/merge",
            json!({ "from": ["000.00.00.H02"], "into": "000.00.00.H08", "effective": "2025-07-01" }),
        )
        .await;
    let into = merged.ok(200);
    assert_eq!(into["agency"]["status"], "active");
    let last = &into["history"][1];
    assert_eq!(last["change"], "absorbed");
    assert_eq!(last["agencies"], json!(["000.00.00.H02"]));
    let gone = s.get("/v1/admin/agencies/000.00.00.H02").await;
    let gone = gone.ok(200);
    assert_eq!(gone["agency"]["status"], "dissolved");
    assert_eq!(gone["history"][1]["change"], "merged_into");
    assert_eq!(gone["history"][1]["agencies"], json!(["000.00.00.H08"]));

    // A split: the source is dissolved, both targets record it.
    s.agency("000.00.00.H30", "UBND tỉnh A").await;
    s.agency("000.00.00.H31", "UBND tỉnh B").await;
    s.agency("000.00.00.H32", "UBND tỉnh C").await;
    let split = s
        .post(
            "/v1/admin/agencies/000.00.00.H30/split",
            json!({ "into": ["000.00.00.H31", "000.00.00.H32"], "effective": "2025-07-01" }),
        )
        .await;
    let split = split.ok(200);
    assert_eq!(split["agency"]["status"], "dissolved");
    assert_eq!(split["history"][1]["change"], "split_into");
    assert_eq!(
        split["history"][1]["agencies"],
        json!(["000.00.00.H31", "000.00.00.H32"])
    );
    let part = s.get("/v1/admin/agencies/000.00.00.H32").await;
    assert_eq!(part.ok(200)["history"][1]["change"], "split_from");
    let one = s
        .post(
            "/v1/admin/agencies/000.00.00.H31/split",
            json!({ "into": ["000.00.00.H32"], "effective": "2025-07-01" }),
        )
        .await;
    one.error(422, "invalid_agency_change");

    for retired in ["000.00.00.H02", "000.00.00.H30"] {
        let reuse = s
            .post(
                "/v1/admin/agencies",
                json!({ "code": retired, "name": "Mới" }),
            )
            .await;
        assert!(reuse.error(409, "code_retired").contains("never reused"));
    }
    let dead = s
        .post(
            "/v1/admin/agencies/000.00.00.H02/rename",
            json!({ "name": "X", "effective": "2025-08-01" }),
        )
        .await;
    dead.error(409, "agency_dissolved");

    let suspended = s
        .post(
            "/v1/admin/agencies/000.00.00.H08/status",
            json!({ "status": "suspended" }),
        )
        .await;
    let suspended = suspended.ok(200);
    assert_eq!(suspended["agency"]["status"], "suspended");
    let dissolve = s
        .post(
            "/v1/admin/agencies/000.00.00.H08/status",
            json!({ "status": "dissolved" }),
        )
        .await;
    dissolve.error(400, "invalid_request");

    s.get("/v1/admin/agencies/000.00.00.H77")
        .await
        .error(404, "unknown_agency");
    s.get("/v1/admin/agencies/nope")
        .await
        .error(400, "bad_parameter");
    let all = s.get("/v1/admin/agencies").await;
    assert_eq!(all.ok(200)["agencies"].as_array().map(Vec::len), Some(6));
}

#[tokio::test]
async fn applications_take_tiers_and_updates() {
    let api = api().await;
    let s = session(&api).await;
    s.agency("000.00.00.H26", "UBND tỉnh Thái Bình").await;
    s.agency("000.00.00.H27", "UBND tỉnh B").await;

    let high = s
        .post(
            "/v1/admin/applications",
            json!({ "agency": "000.00.00.H26", "name": "Một cửa", "tier": "high" }),
        )
        .await;
    let high = high.ok(201);
    assert_eq!(high["tier"], json!({ "per_minute": 5000, "per_day": null }));
    assert_eq!(high["status"], "active");
    let id = high["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("app_"), "{id}");
    let custom = s
        .post(
            "/v1/admin/applications",
            json!({ "agency": "000.00.00.H27", "name": "B", "legacy_sha1": true,
                    "tier": { "per_minute": 30, "per_day": 1000 } }),
        )
        .await;
    let custom = custom.ok(201);
    assert_eq!(custom["tier"], json!({ "per_minute": 30, "per_day": 1000 }));
    assert_eq!(custom["legacy_sha1"], true);
    let unknown_tier = s
        .post(
            "/v1/admin/applications",
            json!({ "agency": "000.00.00.H26", "name": "X", "tier": "gold" }),
        )
        .await;
    let message = unknown_tier.error(400, "invalid_request");
    assert!(message.contains("standard"), "{message}");
    let zero = s
        .post(
            "/v1/admin/applications",
            json!({ "agency": "000.00.00.H26", "name": "X", "tier": { "per_minute": 0 } }),
        )
        .await;
    zero.error(422, "invalid_tier");
    let orphan = s
        .post(
            "/v1/admin/applications",
            json!({ "agency": "000.00.00.H99", "name": "X" }),
        )
        .await;
    orphan.error(404, "unknown_agency");

    let path = format!("/v1/admin/applications/{id}");
    let patched = s
        .send(
            Method::PATCH,
            &path,
            json!({ "name": "Một cửa điện tử", "tier": "standard", "status": "suspended" }),
        )
        .await;
    let patched = patched.ok(200);
    assert_eq!(patched["name"], "Một cửa điện tử");
    assert_eq!(patched["tier"]["per_minute"], 1000);
    assert_eq!(patched["status"], "suspended");
    assert_eq!(s.get(&path).await.ok(200)["status"], "suspended");
    let listed = s.get("/v1/admin/applications?agency=000.00.00.H27").await;
    let listed = listed.ok(200)["applications"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["name"], "B");
    s.get("/v1/admin/applications?agency=h27")
        .await
        .error(400, "bad_parameter");
    s.get("/v1/admin/applications/app_nope")
        .await
        .error(404, "unknown_application");
}

#[tokio::test]
async fn keys_show_their_secret_once_and_rotate_and_revoke() {
    let api = api().await;
    let s = session(&api).await;
    s.agency("000.00.00.H26", "UBND tỉnh Thái Bình").await;
    let app = s.application("000.00.00.H26", "Một cửa").await;
    let keys = format!("/v1/admin/applications/{app}/keys");

    let issued = s.post(&keys, json!({ "kind": "hmac" })).await;
    let issued = issued.ok(201).clone();
    let access_key = issued["access_key"]
        .as_str()
        .expect("access key")
        .to_owned();
    let secret = issued["secret_key"].as_str().expect("secret").to_owned();
    assert_eq!(secret.len(), 40);
    assert_eq!(issued["kind"], "hmac");
    assert!(access_key.starts_with("LGSP"), "{access_key}");

    let hmac = lgsp_auth::Credentials::hmac(access_key.clone(), &secret);
    api.signed_services(&hmac).await.ok(200);

    let rsa = s
        .post(
            &keys,
            json!({ "kind": "rsa", "public_key_pem": lgsp_auth::vectors::TEST_RSA_PUBLIC_KEY_PEM,
                    "expires_at": "2999-01-01T00:00:00Z" }),
        )
        .await;
    let rsa = rsa.ok(201).clone();
    assert!(rsa.get("secret_key").is_none(), "{rsa}");
    assert_eq!(rsa["kind"], "rsa");
    assert_eq!(rsa["expires_at"], "2999-01-01T00:00:00Z");
    let rsa_key = rsa["access_key"].as_str().expect("access key").to_owned();
    let rsa_creds =
        lgsp_auth::Credentials::rsa(rsa_key, lgsp_auth::vectors::TEST_RSA_PRIVATE_KEY_PEM)
            .expect("test key");
    api.signed_services(&rsa_creds).await.ok(200);

    let listed = s.get(&keys).await;
    assert_eq!(listed.ok(200)["keys"].as_array().map(Vec::len), Some(2));
    assert!(!listed.text.contains(&secret), "{}", listed.text);
    assert!(!listed.text.contains("secret_key"), "{}", listed.text);

    s.post(&keys, json!({ "kind": "rsa" }))
        .await
        .error(422, "invalid_public_key");
    s.post(&keys, json!({ "kind": "rsa", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }))
        .await
        .error(422, "invalid_public_key");
    s.post(&keys, json!({ "kind": "hmac", "public_key_pem": "x" }))
        .await
        .error(422, "invalid_public_key");
    s.post(
        &keys,
        json!({ "kind": "hmac", "expires_at": "2001-01-01T00:00:00Z" }),
    )
    .await
    .error(422, "invalid_expiry");
    s.post(
        "/v1/admin/applications/app_nope/keys",
        json!({ "kind": "hmac" }),
    )
    .await
    .error(404, "unknown_application");

    let rotate = format!("/v1/admin/keys/{access_key}/rotate");
    let rotated = s.post(&rotate, json!({ "grace_secs": 3600 })).await;
    let rotated = rotated.ok(200).clone();
    let new_key = rotated["access_key"].as_str().expect("new key").to_owned();
    let new_secret = rotated["secret_key"]
        .as_str()
        .expect("new secret")
        .to_owned();
    assert_ne!(new_secret, secret);
    let listed = s.get(&keys).await;
    assert!(!listed.text.contains(&new_secret));
    let old = listed.ok(200)["keys"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["access_key"] == access_key.as_str()))
        .cloned()
        .expect("old key listed");
    assert_eq!(old["replaced_by"], new_key.as_str());
    assert!(old["expires_at"].is_string(), "{old}");
    // Within the grace period both keys work.
    api.signed_services(&hmac).await.ok(200);
    let fresh = lgsp_auth::Credentials::hmac(new_key.clone(), &new_secret);
    api.signed_services(&fresh).await.ok(200);
    s.post(&rotate, json!({})).await.error(409, "key_replaced");

    let revoked = s.call_revoke(&new_key).await;
    assert_eq!(revoked.ok(200)["status"], "revoked");
    api.signed_services(&fresh).await.error(401, "key_revoked");
    s.post(&format!("/v1/admin/keys/{new_key}/rotate"), json!({}))
        .await
        .error(409, "key_revoked");
    s.call_revoke("LGSPAAAAAAAAAAAAAAAA")
        .await
        .error(404, "unknown_key");
}

impl Session<'_> {
    async fn call_revoke(&self, access_key: &str) -> Answer {
        let path = format!("/v1/admin/keys/{access_key}/revoke");
        self.api
            .call(Method::POST, &path, Some(&self.token), None)
            .await
    }
}

#[tokio::test]
async fn admins_decide_and_revoke_grants() {
    let api = api().await;
    let s = session(&api).await;
    s.agency("000.00.00.H01", "Bộ Công an").await;
    s.agency("000.00.00.H26", "UBND tỉnh Thái Bình").await;
    let app = s.application("000.00.00.H26", "Một cửa").await;

    let set = s
        .send(
            Method::PUT,
            "/v1/admin/services/dan_cu",
            json!({ "agency": "000.00.00.H01" }),
        )
        .await;
    let set = set.ok(200);
    assert_eq!(set["provider"], "000.00.00.H01");
    assert_eq!(set["loaded"], false);
    let services = s.get("/v1/admin/services").await;
    assert_eq!(services.ok(200)["services"][0]["schema"], "dan_cu");
    s.send(
        Method::PUT,
        "/v1/admin/services/Dan-Cu",
        json!({ "agency": "000.00.00.H01" }),
    )
    .await
    .error(422, "invalid_identifier");

    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let mut ids = Vec::new();
    for purpose in ["Giải quyết thủ tục", "Thống kê dân số", "Kiểm tra hồ sơ"] {
        let grant = api
            .auth
            .access()
            .request_grant(
                &app,
                GrantRequest {
                    schema: "dan_cu".into(),
                    table: Some("cong_dan".into()),
                    columns: Vec::new(),
                    clear_columns: Vec::new(),
                    purpose: purpose.into(),
                    valid_from: day("2025-01-01"),
                    valid_to: day("2030-12-31"),
                },
            )
            .await
            .expect("requested");
        ids.push(grant.id);
    }
    let requested = s.get("/v1/admin/grants?status=requested").await;
    assert_eq!(
        requested.ok(200)["grants"].as_array().map(Vec::len),
        Some(3)
    );
    s.get("/v1/admin/grants?status=maybe")
        .await
        .error(400, "bad_parameter");

    // The row filter is checked against the loaded tables; none is loaded here.
    let filtered = s
        .post(
            &format!("/v1/admin/grants/{}/approve", ids[0]),
            json!({ "row_filter": "ma_tinh = '26'" }),
        )
        .await;
    filtered.error(422, "invalid_row_filter");
    let approved = s
        .post(&format!("/v1/admin/grants/{}/approve", ids[0]), json!({}))
        .await;
    let approved = approved.ok(200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], "admin:root");
    s.post(&format!("/v1/admin/grants/{}/approve", ids[0]), json!({}))
        .await
        .error(409, "grant_state");

    let rejected = s
        .post(
            &format!("/v1/admin/grants/{}/reject", ids[1]),
            json!({ "reason": "Mục đích chưa rõ" }),
        )
        .await;
    let rejected = rejected.ok(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "Mục đích chưa rõ");
    s.post(
        &format!("/v1/admin/grants/{}/reject", ids[2]),
        json!({ "reason": "  " }),
    )
    .await
    .error(422, "invalid_grant");

    let revoked = s
        .post(
            &format!("/v1/admin/grants/{}/revoke", ids[0]),
            json!({ "reason": "Hết nhu cầu" }),
        )
        .await;
    assert_eq!(revoked.ok(200)["status"], "revoked");
    s.post(
        &format!("/v1/admin/grants/{}/revoke", ids[1]),
        json!({ "reason": "x" }),
    )
    .await
    .error(409, "grant_state");
    s.post("/v1/admin/grants/gr_nope/reject", json!({ "reason": "x" }))
        .await
        .error(404, "unknown_grant");

    let by_consumer = s
        .get("/v1/admin/grants?consumer_agency=000.00.00.H26&status=revoked")
        .await;
    let by_consumer = by_consumer.ok(200)["grants"].clone();
    assert_eq!(by_consumer.as_array().map(Vec::len), Some(1));
    assert_eq!(by_consumer[0]["id"], ids[0].as_str());
    let by_provider = s
        .get("/v1/admin/grants?provider_agency=000.00.00.H26")
        .await;
    assert_eq!(by_provider.ok(200)["grants"], json!([]));
}

#[tokio::test]
async fn new_admins_must_meet_every_password_rule() {
    let api = api().await;
    let s = session(&api).await;
    let long = format!("Aa1!{}", "x".repeat(125));
    let cases = [
        ("Ab1!", "at least 8 characters"),
        (long.as_str(), "at most 128 characters"),
        ("abcdefg1!", "an upper-case letter"),
        ("ABCDEFG1!", "a lower-case letter"),
        ("Abcdefgh!", "a digit"),
        ("Abcdefgh1", "a special character"),
    ];
    for (password, rule) in cases {
        let answer = s
            .post(
                "/v1/admin/admins",
                json!({ "username": "lan.nguyen", "password": password }),
            )
            .await;
        let message = answer.error(422, "weak_password");
        assert!(message.contains(rule), "{password}: {message}");
        assert!(
            !message.contains(password),
            "the message echoes the password"
        );
    }
    let all = s
        .post(
            "/v1/admin/admins",
            json!({ "username": "lan.nguyen", "password": "abc" }),
        )
        .await;
    let message = all.error(422, "weak_password");
    for rule in ["at least 8", "upper-case", "digit", "special"] {
        assert!(message.contains(rule), "{message}");
    }
    s.post(
        "/v1/admin/admins",
        json!({ "username": "Lan Nguyen", "password": "Mật-khẩu-2025" }),
    )
    .await
    .error(422, "invalid_username");

    let created = s
        .post(
            "/v1/admin/admins",
            json!({ "username": "lan.nguyen", "password": "Mật-khẩu-2025" }),
        )
        .await;
    let created = created.ok(201);
    assert_eq!(created["username"], "lan.nguyen");
    assert!(created.get("password").is_none());
    s.post(
        "/v1/admin/admins",
        json!({ "username": "lan.nguyen", "password": "Mật-khẩu-2026" }),
    )
    .await
    .error(409, "admin_exists");
    api.login("lan.nguyen", "Mật-khẩu-2025").await.ok(200);
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let issued = super::IssuedKeyDoc {
        key: super::KeyDoc {
            access_key: "LGSPAAAAAAAAAAAAAAAA".into(),
            application: "app_x".into(),
            kind: "hmac".into(),
            status: "active".into(),
            created_at: "2025-07-01T00:00:00Z".into(),
            expires_at: None,
            revoked_at: None,
            replaced_by: None,
        },
        secret_key: Some("the-secret-value".into()),
    };
    let text = format!("{issued:?}");
    assert!(
        !text.contains("the-secret-value") && text.contains("LGSPAAAA"),
        "{text}"
    );
    let body: super::NewAdminBody =
        serde_json::from_value(json!({ "username": "u.ser", "password": "P4ss-word!" }))
            .expect("body");
    assert!(!format!("{body:?}").contains("P4ss-word!"));
}

#[test]
fn the_openapi_document_lists_the_admin_routes() {
    use utoipa::OpenApi;
    let doc = serde_json::to_value(crate::api::ApiDoc::openapi()).expect("json");
    for path in [
        "/v1/admin/agencies",
        "/v1/admin/agencies/{code}",
        "/v1/admin/agencies/{code}/rename",
        "/v1/admin/agencies/{code}/split",
        "/v1/admin/agencies/merge",
        "/v1/admin/agencies/{code}/status",
        "/v1/admin/applications",
        "/v1/admin/applications/{id}",
        "/v1/admin/applications/{id}/keys",
        "/v1/admin/keys/{access_key}/rotate",
        "/v1/admin/keys/{access_key}/revoke",
        "/v1/admin/services",
        "/v1/admin/services/{schema}",
        "/v1/admin/grants",
        "/v1/admin/grants/{id}/approve",
        "/v1/admin/grants/{id}/reject",
        "/v1/admin/grants/{id}/revoke",
        "/v1/admin/admins",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["securitySchemes"]["admin_session"].is_object());
    assert!(doc["components"]["schemas"]["IssuedKeyDoc"].is_object());
}
