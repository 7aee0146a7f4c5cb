//! `lgsp catalog` on temporary databases.

use super::args::day;
use super::*;

#[test]
fn formats_follow_the_file_name_unless_given() {
    assert!(matches!(
        InputFormat::for_file(Path::new("a/merges.JSON")),
        InputFormat::Json
    ));
    assert!(matches!(
        InputFormat::for_file(Path::new("1027_CTK-CSCL.md")),
        InputFormat::Gso
    ));
    assert!(matches!(
        InputFormat::for_file(Path::new("list.csv")),
        InputFormat::Csv
    ));
    assert_eq!(
        day("2025-07-01"),
        Ok(NaiveDate::from_ymd_opt(2025, 7, 1).expect("date"))
    );
    assert!(day("01/07/2025").is_err_and(|e| e.contains("YYYY-MM-DD")));
}

#[test]
fn non_utf8_files_are_refused_with_their_line() {
    let path = std::env::temp_dir().join(format!("lgsp-cli-{}.csv", uuid::Uuid::now_v7()));
    std::fs::write(&path, b"ma,ten\n01,ok\n02,H\xe0\n").expect("write");
    let err = read_text(&path).expect_err("not UTF-8").to_string();
    let _ = std::fs::remove_file(&path);
    assert!(err.contains("line 3"), "{err}");
}

fn args(database: &Path, command: CatalogCommand) -> CatalogArgs {
    CatalogArgs {
        place: crate::cli::DatabaseArgs {
            config: None,
            database: Some(database.to_owned()),
            data_dir: None,
            master_key_file: None,
        },
        command,
    }
}

#[tokio::test]
async fn import_refuses_a_bad_file_and_publishes_a_good_one() {
    let dir = std::env::temp_dir().join(format!("lgsp-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("lgsp.db");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "ma,ten\nA,Alpha\nA,Again\nB C,Space\n").expect("write");
    let good = dir.join("good.csv");
    std::fs::write(&good, "ma,ten\nA,Alpha\nB,Beta\n").expect("write");
    let import = |file: &Path, version: &str| CatalogCommand::Import {
        catalog: "thu".into(),
        file: file.to_owned(),
        version: version.into(),
        valid_from: NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
        valid_to: None,
        format: None,
        level: None,
        publish: true,
    };
    let create = CatalogCommand::Create {
        code: "thu".into(),
        name: "Thử".into(),
        owner: "test".into(),
        description: String::new(),
        parent_catalog: None,
        attributes: Vec::new(),
    };
    run(args(&db, create)).await.expect("created");
    let err = run(args(&db, import(&bad, "v1")))
        .await
        .expect_err("refused");
    assert!(
        format!("{err:#}").contains("rejected with 2 problem(s)"),
        "{err:#}"
    );
    run(args(&db, import(&good, "v1"))).await.expect("imported");
    let service = CatalogService::open(&db).await.expect("open");
    let (info, items) = service.version_items("thu", "v1").await.expect("v1");
    assert_eq!(info.status.as_str(), "published");
    assert_eq!(items.len(), 2);
    drop(service);
    let missing = run(args(
        &db,
        CatalogCommand::Items {
            catalog: "nope".into(),
            as_of: None,
            q: None,
            parent: None,
            limit: 5,
        },
    ))
    .await
    .expect_err("no such catalog");
    assert!(
        missing.to_string().contains("lgsp catalog list"),
        "{missing}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_database_opened_by_the_cli_holds_the_shipped_catalogs() {
    let path = std::env::temp_dir().join(format!("lgsp-cli-{}.db", uuid::Uuid::now_v7()));
    let service = CatalogService::open(&path).await.expect("open");
    let page = crate::api::items_page(
        &service.index(),
        "dvhc_tinh",
        NaiveDate::from_ymd_opt(2024, 6, 1).expect("date"),
        Some("ha noi"),
        None,
        0,
        10,
    )
    .expect("items");
    assert_eq!(page.items[0].code, "01");
    let found = crate::api::successors_of(
        &service.index(),
        "dvhc_tinh",
        "02",
        NaiveDate::from_ymd_opt(2024, 6, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
    )
    .expect("successors");
    assert_eq!(found.successors[0].code, "08");
    drop(service);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
