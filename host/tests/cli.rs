//! The `lgsp` command line against a real server: `query` in every output
//! format and its errors, `openapi`, and clear failures for bad input.

use std::process::{Command, Output};

const LGSP: &str = env!("CARGO_BIN_EXE_lgsp");

/// A running platform and a credentials file for an application of it.
struct Served {
    server: lgsp_host::RunningServer,
    credentials: std::path::PathBuf,
}

async fn server() -> Served {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!("lgsp-cli-test-{}", std::process::id()));
    // Each server its own database: the tests run at the same time.
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let database = dir.join(format!("lgsp-{n}.db"));
    for file in [
        format!("lgsp-{n}.db"),
        format!("lgsp-{n}.db-wal"),
        format!("lgsp-{n}.db-shm"),
        format!("lgsp-{n}.db.key"),
        format!("lgsp-{n}-audit.db"),
        format!("lgsp-{n}-audit.db-wal"),
        format!("lgsp-{n}-audit.db-shm"),
    ] {
        let _ = std::fs::remove_file(dir.join(file));
    }
    let config = lgsp_host::Config {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        data_dir: Some(dir.clone()),
        master_key_file: Some(format!("{}.key", database.display()).into()),
        database: Some(database),
        max_instances: Some(4),
        ..lgsp_host::Config::default()
    };
    let server = lgsp_host::start(&config, Vec::new())
        .await
        .expect("server starts");
    let access = server.auth().access();
    let agency: lgsp_access::AgencyCode = "000.00.00.H49".parse().expect("code");
    access
        .create_agency(lgsp_access::NewAgency {
            code: agency.clone(),
            name: "UBND tỉnh Quảng Ninh".into(),
            parent: None,
        })
        .await
        .expect("agency");
    let app = access
        .create_application(lgsp_access::NewApplication {
            agency,
            name: "Thử dòng lệnh".into(),
            legacy_sha1: false,
            tier: lgsp_access::Tier::STANDARD,
        })
        .await
        .expect("application");
    let key = access
        .create_key(&app.id, lgsp_access::KeyMaterial::Hmac, None)
        .await
        .expect("key");
    let credentials = dir.join(format!("credentials-{n}.toml"));
    std::fs::write(
        &credentials,
        format!(
            "[default]\nserver = \"{}\"\naccess_key = \"{}\"\nsecret_key = \"{}\"\n",
            server.base_url(),
            key.info.access_key,
            key.secret_key.expect("HMAC secret")
        ),
    )
    .expect("credentials file");
    Served {
        server,
        credentials,
    }
}

async fn lgsp(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::new(LGSP).args(args).output().expect("lgsp runs"))
        .await
        .expect("join")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn query_prints_a_table_csv_and_json() {
    let Served {
        server,
        credentials,
    } = server().await;
    let url = server.base_url();
    let sql = "SELECT 1 + 1 AS two, 'Hà Nội' AS ten";
    let out = lgsp(vec![
        "query".into(),
        "--credentials".into(),
        credentials.display().to_string(),
        "--server".into(),
        url.clone(),
        sql.into(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("| two | ten    |"), "{table}");
    assert!(table.contains("| 2   | Hà Nội |"), "{table}");
    assert!(table.trim_end().ends_with("(1 row)"), "{table}");

    let out = lgsp(vec![
        "query".into(),
        "--credentials".into(),
        credentials.display().to_string(),
        "--server".into(),
        url.clone(),
        "--format".into(),
        "csv".into(),
        sql.into(),
    ])
    .await;
    assert_eq!(text(&out.stdout), "two,ten\n2,Hà Nội\n");

    let out = lgsp(vec![
        "query".into(),
        "--credentials".into(),
        credentials.display().to_string(),
        "--server".into(),
        url.clone(),
        "--format".into(),
        "json".into(),
        sql.into(),
    ])
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["rows"][0]["ten"], "Hà Nội");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn query_errors_exit_non_zero_with_the_code_and_request_id() {
    let Served {
        server,
        credentials,
    } = server().await;
    let out = lgsp(vec![
        "query".into(),
        "--credentials".into(),
        credentials.display().to_string(),
        "DROP TABLE x".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "DROP TABLE statements are rejected [statement_not_allowed] (HTTP 400, request "
        ),
        "{err}"
    );
    server.shutdown().await;

    let out = lgsp(vec![
        "query".into(),
        "--credentials".into(),
        credentials.display().to_string(),
        "--server".into(),
        "http://127.0.0.1:9".into(),
        "SELECT 1".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot reach the platform at http://127.0.0.1:9"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_prints_the_document() {
    let out = lgsp(vec!["openapi".into()]).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["paths"]["/v1/query"]["post"].is_object());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configuration_and_missing_components_are_explained() {
    let path = std::env::temp_dir().join(format!("lgsp-bad-config-{}.toml", std::process::id()));
    std::fs::write(&path, "listen = '127.0.0.1:0'\nquery_timout_secs = 5\n").expect("write");
    let out = lgsp(vec![
        "serve".into(),
        "--config".into(),
        path.display().to_string(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("unknown field `query_timout_secs`"), "{err}");

    let out = lgsp(vec![
        "demo".into(),
        "--wasm-dir".into(),
        "/nonexistent".into(),
        "--citizens".into(),
        "10".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "/nonexistent/lgsp_connector_dan_cu.wasm is missing; build the connectors first"
        ),
        "{err}"
    );
}
