//! The catalog routes through the real router on a socket, over a fresh
//! database holding the shipped catalogs.

use crate::api::{AppState, REQUEST_ID_HEADER, router};
use crate::query::{QueryService, QuerySettings};
use crate::runtime::Registry;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// A platform serving the API over a temporary database.
struct Api {
    base: String,
    client: reqwest::Client,
    db: PathBuf,
    server: tokio::task::JoinHandle<()>,
    /// An admin session token.
    token: String,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.abort();
        for suffix in ["", "-wal", "-shm", ".key"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db.display()));
        }
    }
}

async fn api() -> Api {
    let db = std::env::temp_dir().join(format!("lgsp-api-catalogs-{}.db", uuid::Uuid::now_v7()));
    let config = crate::Config {
        database: Some(db.clone()),
        master_key_file: Some(PathBuf::from(format!("{}.key", db.display()))),
        ..crate::Config::default()
    };
    let platform = crate::server::open_platform(&config)
        .await
        .expect("open the database");
    let catalogs = platform.catalogs;
    let auth = platform.auth;
    auth.access()
        .create_admin("admin", "Thu-nghiem-1!")
        .await
        .expect("admin");
    let token = auth
        .login_admin("admin", "Thu-nghiem-1!", chrono::Utc::now())
        .await
        .expect("login")
        .token;
    let registry = Arc::new(Registry::new());
    let query = Arc::new(QueryService::new(
        registry.clone(),
        catalogs.clone(),
        QuerySettings::default(),
    ));
    let app = router(AppState {
        query,
        registry,
        catalogs,
        auth,
        audit: platform.audit,
        metrics: Default::default(),
        monitor: None,
        connectors: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Api {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        db,
        server,
        token,
    }
}

/// A response: status, headers, body (JSON when it parses).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    /// Asserts an error answer in the envelope.
    fn error(&self, status: u16, code: &str) -> Value {
        let body = self.json();
        assert_eq!(self.status.as_u16(), status, "{body}");
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["request_id"], self.header(REQUEST_ID_HEADER));
        body
    }
}

impl Api {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        assert!(
            headers.contains_key(REQUEST_ID_HEADER),
            "{path}: no x-request-id"
        );
        Answer {
            status,
            headers,
            text,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, &[], None).await
    }

    async fn admin(&self, method: Method, path: &str, body: impl Into<Vec<u8>>) -> Answer {
        let auth = format!("Bearer {}", self.token);
        self.send(method, path, &[("authorization", &auth)], Some(body.into()))
            .await
    }

    /// Creates a small catalog `test_list` with attribute `nhom`.
    async fn create_test_list(&self) {
        let def = json!({
            "code": "test_list", "name": "Danh mục thử", "owner_agency": "000.00.00.H49",
            "description": "for tests", "attributes": ["nhom"],
        });
        let a = self
            .send(
                Method::POST,
                "/v1/catalogs",
                &[
                    ("authorization", &format!("Bearer {}", self.token)),
                    ("content-type", "application/json"),
                ],
                Some(def.to_string().into_bytes()),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        assert_eq!(a.json()["code"], "test_list");
    }
}

fn codes(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["code"].as_str().expect("code"))
        .collect()
}

#[tokio::test]
async fn the_list_shows_the_shipped_catalogs_with_their_versions() {
    let api = api().await;
    let a = api.get("/v1/catalogs").await;
    assert_eq!(a.status, StatusCode::OK);
    let body = a.json();
    let find = |code: &str| {
        body["catalogs"]
            .as_array()
            .expect("catalogs")
            .iter()
            .find(|c| c["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code} is listed"))
    };
    let tinh = find("dvhc_tinh");
    let labels: Vec<&str> = tinh["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["version"].as_str().expect("label"))
        .collect();
    assert_eq!(labels, ["2008-08-01", "2025-07-01"]);
    assert_eq!(tinh["current_version"], "2025-07-01");
    assert_eq!(tinh["versions"][0]["items"], 63);
    assert_eq!(tinh["versions"][0]["valid_to"], "2025-06-30");
    assert_eq!(tinh["versions"][1]["status"], "published");
    assert_eq!(
        tinh["versions"][1]["digest"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(tinh["owner_agency"], "Cục Thống kê (Bộ Tài chính)");
    assert_eq!(find("gioi_tinh")["versions"][0]["items"], 2);
    let xa = find("dvhc_xa");
    assert_eq!(xa["parent_catalog"], "dvhc_tinh");
    assert_eq!(
        xa["current_version"],
        Value::Null,
        "no commune list is shipped"
    );
    assert_eq!(find("loai_dat")["attributes"], json!(["nhom"]));
}

#[tokio::test]
async fn items_are_those_of_the_version_valid_on_the_date() {
    let api = api().await;
    let old = api
        .get("/v1/catalogs/dvhc_tinh/items?as_of=2024-06-01")
        .await
        .json();
    assert_eq!(old["total"], 63);
    assert_eq!(old["version"]["version"], "2008-08-01");
    assert_eq!(old["items"].as_array().map(Vec::len), Some(63));
    let now = api.get("/v1/catalogs/dvhc_tinh/items").await.json();
    assert_eq!(now["total"], 34);
    assert_eq!(now["version"]["version"], "2025-07-01");
    assert_eq!(now["limit"], 100);
    for q in ["ha%20noi", "H%C3%A0%20N%E1%BB%99i", "HA++NOI"] {
        let hits = api
            .get(&format!("/v1/catalogs/dvhc_tinh/items?q={q}"))
            .await
            .json();
        assert_eq!(codes(&hits["items"]), ["01"], "q={q}");
    }
    let page = api
        .get("/v1/catalogs/dvhc_tinh/items?as_of=2024-06-01&limit=5&offset=60")
        .await
        .json();
    assert_eq!(page["total"], 63);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(3));
    let one = api.get("/v1/catalogs/dvhc_tinh/items/01").await.json();
    assert_eq!(one["item"]["name"], "Thành phố Hà Nội");
    let ha_giang = api
        .get("/v1/catalogs/dvhc_tinh/items/02?as_of=2024-06-01")
        .await
        .json();
    assert_eq!(ha_giang["item"]["name"], "Tỉnh Hà Giang");
    let gone = api.get("/v1/catalogs/dvhc_tinh/items/02").await;
    let body = gone.error(404, "unknown_item");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("version 2025-07-01")),
        "{body}"
    );
}

#[tokio::test]
async fn etags_let_clients_revalidate() {
    let api = api().await;
    let path = "/v1/catalogs/dvhc_tinh/items?as_of=2024-06-01&q=ha";
    let first = api.get(path).await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first.header("etag").to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"),
        "{tag}"
    );
    assert_eq!(first.header("cache-control"), "no-cache");
    let again = api
        .send(Method::GET, path, &[("if-none-match", &tag)], None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.text, "");
    assert_eq!(again.header("etag"), tag);
    let weak = format!("\"other\", W/{tag}");
    let listed = api
        .send(Method::GET, path, &[("if-none-match", &weak)], None)
        .await;
    assert_eq!(listed.status, StatusCode::NOT_MODIFIED);
    // Another date with the same version, same parameters: same body, same tag.
    let same = api
        .get("/v1/catalogs/dvhc_tinh/items?as_of=2010-01-01&q=HA")
        .await;
    assert_eq!(same.header("etag"), tag);
    assert_eq!(same.text, first.text);
    // Anything that shapes the body changes the tag.
    for other in [
        "/v1/catalogs/dvhc_tinh/items?q=ha",
        "/v1/catalogs/dvhc_tinh/items?as_of=2024-06-01&q=ha&limit=1",
        "/v1/catalogs/dvhc_tinh/items?as_of=2024-06-01",
    ] {
        let a = api
            .send(Method::GET, other, &[("if-none-match", &tag)], None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{other}");
        assert_ne!(a.header("etag"), tag, "{other}");
    }
    let item = api.get("/v1/catalogs/dvhc_tinh/items/01").await;
    let item_tag = item.header("etag").to_owned();
    let item_again = api
        .send(
            Method::GET,
            "/v1/catalogs/dvhc_tinh/items/01",
            &[("if-none-match", &item_tag)],
            None,
        )
        .await;
    assert_eq!(item_again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn malformed_parameters_are_bad_parameter_and_unknown_things_404() {
    let api = api().await;
    let body = api
        .get("/v1/catalogs/dvhc_tinh/items?as_of=01/06/2024")
        .await
        .error(400, "bad_parameter");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("YYYY-MM-DD")),
        "{body}"
    );
    api.get("/v1/catalogs/dvhc_tinh/items?limit=5001")
        .await
        .error(400, "bad_parameter");
    api.get("/v1/catalogs/dvhc_tinh/items?limit=many")
        .await
        .error(400, "bad_parameter");
    api.get("/v1/catalogs/dvhc_tinh/items?asof=2024-06-01")
        .await
        .error(400, "bad_parameter");
    api.get("/v1/catalogs/nope/items")
        .await
        .error(404, "unknown_catalog");
    api.get("/v1/catalogs/dvhc_xa/items")
        .await
        .error(404, "no_version_on_date");
    api.get("/v1/catalogs/dvhc_tinh/items?as_of=1999-01-01")
        .await
        .error(404, "no_version_on_date");
    api.get("/v1/catalogs/dvhc_tinh/changes?since=v0")
        .await
        .error(404, "unknown_version");
    api.get("/v1/catalogs/dvhc_tinh/changes")
        .await
        .error(400, "bad_parameter");
    api.get("/v1/catalogs/dvhc_tinh/versions/v0/export")
        .await
        .error(404, "unknown_version");
    api.get("/v1/catalogs/dvhc_tinh/versions/2025-07-01/export?format=xml")
        .await
        .error(400, "bad_parameter");
}

#[tokio::test]
async fn old_codes_lead_to_todays_codes() {
    let api = api().await;
    let a = api
        .get("/v1/catalogs/dvhc_tinh/successors/02?as_of=2024-06-01")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let body = a.json();
    assert_eq!(
        body["successors"],
        json!([{"code": "08", "name": "Tỉnh Tuyên Quang", "mapping": "full"}])
    );
    assert_eq!(body["from_version"]["version"], "2008-08-01");
    assert_eq!(body["current_version"]["version"], "2025-07-01");
    // A code that stayed is its own successor.
    let kept = api
        .get("/v1/catalogs/dvhc_tinh/successors/01?as_of=2024-06-01")
        .await
        .json();
    assert_eq!(codes(&kept["successors"]), ["01"]);
    let body = api
        .get("/v1/catalogs/dvhc_tinh/successors/02")
        .await
        .error(400, "bad_parameter");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("as_of is required"))
    );
    let today = crate::catalogs::today();
    api.get(&format!(
        "/v1/catalogs/dvhc_tinh/successors/02?as_of={today}"
    ))
    .await
    .error(404, "unknown_item");
}

#[tokio::test]
async fn admin_routes_need_an_admin_session() {
    let open = api().await;
    let path = "/v1/catalogs/gioi_tinh/versions/1";
    let none = open.send(Method::DELETE, path, &[], None).await;
    none.error(401, "admin_unauthorized");
    assert_eq!(none.header("www-authenticate"), "Bearer");
    let forged = format!("Bearer {}x", open.token);
    let bare = open.token.clone();
    for wrong in [
        "Bearer lgsp1.e30.AAAA",
        "Bearer ",
        "Basic dGVzdA==",
        &forged,
        &bare,
    ] {
        open.send(Method::DELETE, path, &[("authorization", wrong)], None)
            .await
            .error(401, "admin_unauthorized");
    }
    // The right token gets through to the service, which refuses to delete a
    // published version.
    open.admin(Method::DELETE, path, "")
        .await
        .error(409, "catalog_conflict");
}

#[tokio::test]
async fn a_rejected_import_lists_every_problem_and_writes_nothing() {
    let api = api().await;
    let csv = "ma,ten\n01,Thành phố Hà Nội\n01,Hà Nội again\n1X,Bad code\n";
    let a = api
        .admin(
            Method::POST,
            "/v1/catalogs/dvhc_tinh/versions?version=2030-01-01&valid_from=2030-01-01",
            csv,
        )
        .await;
    let body = a.error(422, "invalid_import");
    let problems = body["problems"].as_array().expect("problems");
    let has = |kind: &str, line: u64| {
        problems
            .iter()
            .any(|p| p["kind"] == kind && p["at"]["line"] == line)
    };
    assert!(has("duplicate_code", 3), "{body}");
    assert!(has("malformed_code", 4), "{body}");
    api.get("/v1/catalogs/dvhc_tinh/versions/2030-01-01/export")
        .await
        .error(404, "unknown_version");
    let bad_date = api
        .admin(
            Method::POST,
            "/v1/catalogs/dvhc_tinh/versions?version=x&valid_from=2030-13-01",
            csv,
        )
        .await;
    bad_date.error(400, "bad_parameter");
    api.admin(
        Method::POST,
        "/v1/catalogs/dvhc_tinh/versions?version=x&valid_from=2030-01-01&format=xml",
        csv,
    )
    .await
    .error(400, "bad_parameter");
}

#[tokio::test]
async fn drafts_are_invisible_until_published_and_the_feed_shows_changes() {
    let api = api().await;
    api.create_test_list().await;
    let base = "/v1/catalogs/test_list";
    let v1 = "ma,ten,nhom\nA,Alpha,x\nB,Beta,y\n";
    let a = api
        .admin(
            Method::POST,
            &format!("{base}/versions?version=v1&valid_from=2000-01-01&source=test.csv"),
            v1,
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.json()["status"], "draft");
    assert_eq!(a.json()["source"], "test.csv");
    api.get(&format!("{base}/items"))
        .await
        .error(404, "no_version_on_date");
    let p = api
        .admin(Method::POST, &format!("{base}/versions/v1/publish"), "")
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(p.json()["status"], "published");
    api.admin(Method::POST, &format!("{base}/versions/v1/publish"), "")
        .await
        .error(409, "catalog_conflict");
    let items = api.get(&format!("{base}/items")).await.json();
    assert_eq!(codes(&items["items"]), ["A", "B"]);
    assert_eq!(items["items"][0]["attributes"], json!({"nhom": "x"}));

    let v2 = "ma,ten,nhom\nA,Alpha mới,x\nC,Gamma,z\n";
    let a = api
        .admin(
            Method::POST,
            &format!("{base}/versions?version=v2&valid_from=2020-01-01&publish=true"),
            v2,
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let items = api.get(&format!("{base}/items")).await.json();
    assert_eq!(codes(&items["items"]), ["A", "C"]);
    let older = api
        .get(&format!("{base}/items?as_of=2019-12-31"))
        .await
        .json();
    assert_eq!(
        older["version"]["valid_to"], "2019-12-31",
        "publishing v2 closed v1"
    );

    let feed = api.get(&format!("{base}/changes?since=v1")).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    let body = feed.json();
    assert_eq!(body["from"]["version"], "v1");
    assert_eq!(body["to"]["version"], "v2");
    assert_eq!(codes(&body["changes"]["added"]), ["C"]);
    assert_eq!(codes(&body["changes"]["removed"]), ["B"]);
    assert_eq!(
        body["changes"]["renamed"],
        json!([{"code": "A", "old_name": "Alpha", "new_name": "Alpha mới"}])
    );
    let tag = feed.header("etag").to_owned();
    let again = api
        .send(
            Method::GET,
            &format!("{base}/changes?since=v1"),
            &[("if-none-match", &tag)],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let current = api.get(&format!("{base}/changes?since=v2")).await.json();
    assert_eq!(current["changes"]["added"], json!([]));
    assert_eq!(current["changes"]["renamed"], json!([]));
    let diff = api.get(&format!("{base}/diff?from=v1&to=v2")).await.json();
    assert_eq!(diff["changes"], body["changes"]);

    // Crosswalk B → C, then the lookup follows it.
    let cw = api
        .admin(
            Method::POST,
            &format!("{base}/crosswalks?from=v1&to=v2"),
            "old_code,new_code,mapping\nB,C,full\n",
        )
        .await;
    assert_eq!(cw.status, StatusCode::OK, "{}", cw.text);
    assert_eq!(cw.json()["entries"], 1);
    let rows = api
        .get(&format!("{base}/crosswalks?from=v1&to=v2"))
        .await
        .json();
    assert_eq!(
        rows["entries"],
        json!([{"old_code": "B", "new_code": "C", "mapping": "full"}])
    );
    let next = api
        .get(&format!("{base}/successors/B?as_of=2010-01-01"))
        .await
        .json();
    assert_eq!(
        next["successors"],
        json!([{"code": "C", "name": "Gamma", "mapping": "full"}])
    );
    api.admin(
        Method::POST,
        &format!("{base}/crosswalks?from=v1&to=v2"),
        "old_code,new_code,mapping\nB,Z,full\n",
    )
    .await
    .error(422, "invalid_import");
}

#[tokio::test]
async fn exports_read_back_to_the_same_version() {
    let api = api().await;
    api.create_test_list().await;
    let base = "/v1/catalogs/test_list";
    let v1 = "ma,ten,nhom\nA,\"Alpha, the first\",x\nB,\"Beta \"\"quoted\"\"\",\n";
    let a = api
        .admin(
            Method::POST,
            &format!("{base}/versions?version=v1&valid_from=2000-01-01"),
            v1,
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    // A draft exports too.
    let csv = api.get(&format!("{base}/versions/v1/export")).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=\"test_list-v1.csv\""
    );
    assert!(
        csv.text.starts_with("ma,ten,ma_cha,cap,nhom\n"),
        "{}",
        csv.text
    );
    let json = api
        .get(&format!("{base}/versions/v1/export?format=json"))
        .await;
    assert_eq!(json.header("content-type"), "application/json");
    assert_eq!(
        json.header("content-disposition"),
        "attachment; filename=\"test_list-v1.json\""
    );
    for (label, format, text) in [("v2", "csv", &csv.text), ("v3", "json", &json.text)] {
        let a = api
            .admin(
                Method::POST,
                &format!("{base}/versions?version={label}&valid_from=2030-01-01&format={format}"),
                text.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        let v1_digest = api
            .get(&format!("{base}/diff?from=v1&to={label}"))
            .await
            .json();
        assert_eq!(
            v1_digest["from"]["digest"], v1_digest["to"]["digest"],
            "{format} round trip"
        );
        assert_eq!(v1_digest["changes"]["changed"], json!([]));
        let deleted = api
            .admin(Method::DELETE, &format!("{base}/versions/{label}"), "")
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    }
    api.admin(Method::DELETE, &format!("{base}/versions/v2"), "")
        .await
        .error(404, "unknown_version");
    api.send(
        Method::POST,
        "/v1/catalogs",
        &[
            ("authorization", &format!("Bearer {}", api.token)),
            ("content-type", "application/json"),
        ],
        Some(
            json!({"code": "test_list", "name": "x", "owner_agency": "y", "description": ""})
                .to_string()
                .into_bytes(),
        ),
    )
    .await
    .error(409, "catalog_conflict");
}

#[tokio::test]
async fn imports_take_files_far_larger_than_json_bodies_but_not_without_limit() {
    let api = api().await;
    api.create_test_list().await;
    // About 1 MiB: four times the limit of JSON bodies elsewhere.
    let mut csv = String::from("ma,ten\n");
    for i in 0..40_000 {
        csv.push_str(&format!("K{i:06},Mục số {i} của danh mục thử\n"));
    }
    assert!(csv.len() > 1 << 20);
    let a = api
        .admin(
            Method::POST,
            "/v1/catalogs/test_list/versions?version=big&valid_from=2000-01-01",
            csv,
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.json()["items"], 40_000);
    let huge = vec![b'a'; super::MAX_UPLOAD_BYTES + 1];
    api.admin(
        Method::POST,
        "/v1/catalogs/test_list/versions?version=huge&valid_from=2000-01-01",
        huge,
    )
    .await
    .error(413, "payload_too_large");
}

#[test]
fn the_openapi_document_describes_every_catalog_route() {
    use utoipa::OpenApi;
    let doc = crate::api::ApiDoc::openapi();
    for path in [
        "/v1/catalogs",
        "/v1/catalogs/{catalog}/items",
        "/v1/catalogs/{catalog}/items/{code}",
        "/v1/catalogs/{catalog}/successors/{code}",
        "/v1/catalogs/{catalog}/changes",
        "/v1/catalogs/{catalog}/versions",
        "/v1/catalogs/{catalog}/versions/{version}",
        "/v1/catalogs/{catalog}/versions/{version}/publish",
        "/v1/catalogs/{catalog}/versions/{version}/export",
        "/v1/catalogs/{catalog}/diff",
        "/v1/catalogs/{catalog}/crosswalks",
    ] {
        assert!(doc.paths.paths.contains_key(path), "{path} is documented");
    }
    let json = doc.to_json().expect("serializable");
    assert!(
        json.contains("\"admin_session\""),
        "the admin security scheme is declared"
    );
    assert!(
        json.contains("\"problems\""),
        "the error body documents problems"
    );
}

#[tokio::test]
async fn unknown_header_values_do_not_break_etag_matching() {
    let api = api().await;
    let a = api
        .send(
            Method::GET,
            "/v1/catalogs/gioi_tinh/items",
            &[(header::IF_NONE_MATCH.as_str(), "\"nope\"")],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(codes(&a.json()["items"]), ["1", "2"]);
    let star = api
        .send(
            Method::GET,
            "/v1/catalogs/gioi_tinh/items",
            &[(header::IF_NONE_MATCH.as_str(), "*")],
            None,
        )
        .await;
    assert_eq!(star.status, StatusCode::NOT_MODIFIED);
}
