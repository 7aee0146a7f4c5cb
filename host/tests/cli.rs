//! The `lgsp` command line against a real server: `query` in every output
//! format and its errors, `connector` publishing a signed component,
//! `openapi`, and clear failures for bad input.

use std::process::{Command, Output};

const LGSP: &str = env!("CARGO_BIN_EXE_lgsp");

/// A running platform and a credentials file for an application of it.
struct Served {
    server: lgsp_host::RunningServer,
    credentials: std::path::PathBuf,
    /// The application the credentials belong to.
    application: String,
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
        application: app.id,
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
        ..
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
        ..
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

/// The test components' directory (`scripts/build-wasm.sh`, or
/// `LGSP_WASM_DIR`): `<target>/wasm32-wasip2/wasm`.
fn wasm_dir() -> std::path::PathBuf {
    std::env::var_os("LGSP_WASM_DIR").map_or_else(
        || {
            std::env::current_exe()
                .expect("test executable")
                .ancestors()
                .nth(3)
                .expect("the test executable sits in <target>/<profile>/deps")
                .join("wasm32-wasip2")
                .join("wasm")
        },
        std::path::PathBuf::from,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn connector_publish_signs_uploads_and_lists_and_a_refusal_gives_every_reason() {
    let Served {
        server,
        credentials,
        application,
    } = server().await;
    let rsa = server
        .auth()
        .access()
        .create_key(
            &application,
            lgsp_access::KeyMaterial::Rsa {
                public_key_pem: lgsp_auth::vectors::TEST_RSA_PUBLIC_KEY_PEM.into(),
            },
            None,
        )
        .await
        .expect("RSA key registered");
    let dir = credentials.parent().expect("directory").to_path_buf();
    let key_file = dir.join(format!("signing-{}.pem", rsa.info.access_key));
    std::fs::write(&key_file, lgsp_auth::vectors::TEST_RSA_PRIVATE_KEY_PEM).expect("key file");
    let component = wasm_dir().join("lgsp_test_evolving-1.0.0.wasm");
    assert!(
        component.exists(),
        "{} is missing: run scripts/build-wasm.sh",
        component.display()
    );
    let manifest = |version: &str| {
        let path = dir.join(format!("thu_nghiem-{version}-{}.toml", rsa.info.access_key));
        std::fs::write(
            &path,
            format!("name = \"thu_nghiem\"\nversion = \"{version}\"\n"),
        )
        .expect("manifest");
        path.display().to_string()
    };
    let with_profile = |mut args: Vec<String>| {
        args.extend([
            "--credentials".to_owned(),
            credentials.display().to_string(),
        ]);
        args
    };
    let publish = |version: &str| {
        with_profile(vec![
            "connector".into(),
            "publish".into(),
            "--manifest".into(),
            manifest(version),
            "--component".into(),
            component.display().to_string(),
            "--signing-key".into(),
            key_file.display().to_string(),
            "--signing-key-id".into(),
            rsa.info.access_key.clone(),
        ])
    };
    let wasm = std::fs::read(&component).expect("component");
    let sha256 = lgsp_host::runtime::sha256_hex(&wasm);

    // Signed offline, the signature is the one the library makes.
    let out = lgsp(vec![
        "connector".into(),
        "sign".into(),
        "--manifest".into(),
        manifest("1.0.0"),
        "--component".into(),
        component.display().to_string(),
        "--signing-key".into(),
        key_file.display().to_string(),
        "--signing-key-id".into(),
        rsa.info.access_key.clone(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let signature: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let key = lgsp_auth::SigningKey::rsa_from_pem(lgsp_auth::vectors::TEST_RSA_PRIVATE_KEY_PEM)
        .expect("key");
    assert_eq!(signature["key"], rsa.info.access_key.as_str());
    assert_eq!(
        signature["value"],
        lgsp_auth::sign_connector(&key, "thu_nghiem", "1.0.0", &sha256)
            .expect("signs")
            .as_str()
    );

    // A manifest that names another version than the component's: refused,
    // with the reason, and nothing published.
    let out = lgsp(publish("1.1.0")).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("[connector_rejected] (HTTP 422"), "{err}");
    assert!(
        err.contains("- the component is version 1.0.0 but its manifest expects 1.1.0"),
        "{err}"
    );

    let out = lgsp(publish("1.0.0")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains(&format!(
            "published thu_nghiem 1.0.0 ({} bytes, sha256 {sha256}, signed with {})",
            wasm.len(),
            rsa.info.access_key
        )),
        "{said}"
    );
    assert!(said.contains("serving now as \"thu_nghiem@1\""), "{said}");

    let out = lgsp(with_profile(vec!["connector".into(), "list".into()])).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let line = listed
        .lines()
        .find(|l| l.starts_with("thu_nghiem"))
        .unwrap_or_else(|| panic!("not listed: {listed}"));
    assert!(
        line.contains("1.0.0") && line.contains("active") && line.contains("serving"),
        "{line}"
    );
    assert!(line.contains(&sha256[..12]), "{line}");

    // A profile that signs with RSA signs the component with the same key:
    // no --signing-* flags.
    let rsa_profile = dir.join(format!("credentials-rsa-{}.toml", rsa.info.access_key));
    std::fs::write(
        &rsa_profile,
        format!(
            "[default]\nserver = \"{}\"\naccess_key = \"{}\"\nrsa_private_key_file = {:?}\n",
            server.base_url(),
            rsa.info.access_key,
            key_file.display().to_string()
        ),
    )
    .expect("RSA profile");
    let out = lgsp(vec![
        "connector".into(),
        "publish".into(),
        "--manifest".into(),
        manifest("1.1.0"),
        "--component".into(),
        wasm_dir()
            .join("lgsp_test_evolving-1.1.0.wasm")
            .display()
            .to_string(),
        "--credentials".into(),
        rsa_profile.display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("published thu_nghiem 1.1.0"),
        "{}",
        text(&out.stdout)
    );

    let out = lgsp(with_profile(vec![
        "connector".into(),
        "rollback".into(),
        "thu_nghiem".into(),
    ]))
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "thu_nghiem: 1.1.0 taken back, 1.0.0 serves again\n"
    );

    // Retirement: too early for the rules, the platform's reason verbatim;
    // 61 days ahead, scheduled.
    let retire = |days: u64| {
        with_profile(vec![
            "connector".into(),
            "retire".into(),
            "thu_nghiem".into(),
            "1.0.0".into(),
            "--on".into(),
            (chrono::Utc::now().date_naive() + chrono::Days::new(days)).to_string(),
            "--reason".into(),
            "thử".into(),
        ])
    };
    let out = lgsp(retire(10)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("[invalid_connector_request] (HTTP 422"),
        "{}",
        text(&out.stderr)
    );
    let out = lgsp(retire(61)).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("thu_nghiem 1.0.0 stops serving on "),
        "{}",
        text(&out.stdout)
    );

    // No consumer holds a grant, so no one was notified, this agency included.
    let out = lgsp(with_profile(vec!["connector".into(), "notices".into()])).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "no notices\n");

    // A name that cannot be a path segment is refused before anything is sent.
    let out = lgsp(with_profile(vec![
        "connector".into(),
        "rollback".into(),
        "../admin".into(),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("name \"../admin\" is not a connector name"),
        "{}",
        text(&out.stderr)
    );
    server.shutdown().await;
}
