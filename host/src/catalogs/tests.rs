//! The catalog service against a real SQLite file: seeding, imports that
//! apply whole or not at all, publishing, lookups by date and crosswalk.

use super::*;
use lgsp_catalogs::{Location, MappingKind};

/// A fresh database file for one test.
pub(crate) fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("lgsp-catalog-tests");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn spec(version: &str, from: &str, to: Option<&str>, publish: bool) -> ImportSpec {
    ImportSpec {
        version: version.into(),
        valid_from: day(from),
        valid_to: to.map(day),
        source: "test".into(),
        publish,
    }
}

#[tokio::test]
async fn ships_provinces_with_their_history_and_the_flat_lists() {
    let service = CatalogService::open(&temp_db("seed")).await.expect("open");
    let index = service.index();
    let provinces = index.catalog("dvhc_tinh").expect("dvhc_tinh");
    assert_eq!(
        provinces
            .version_on(day("2024-06-01"))
            .map(|v| v.items.len()),
        Some(63)
    );
    assert_eq!(
        provinces
            .version_on(day("2025-07-01"))
            .map(|v| v.items.len()),
        Some(34)
    );
    assert_eq!(
        provinces
            .version_on(day("2008-07-31"))
            .map(|v| v.items.len()),
        None
    );
    let to_today = index.successors("dvhc_tinh", "02", day("2024-06-01"), day("2026-01-01"));
    assert_eq!(to_today.len(), 1);
    assert_eq!(to_today[0].code, "08");
    assert_eq!(to_today[0].mapping, MappingKind::Full);
    assert_eq!(
        index.code_for("dan_toc", "mông", today()).as_deref(),
        Some("08")
    );
    assert_eq!(
        index.code_for("gioi_tinh", "Nữ", today()).as_deref(),
        Some("2")
    );
    assert_eq!(
        index.code_for("dvhc_tinh", "Cà Mau", today()).as_deref(),
        Some("96")
    );
    let xa = index.catalog("dvhc_xa").expect("dvhc_xa exists, empty");
    assert!(xa.versions.is_empty());
    // Opening again does not seed twice.
    drop(service);
    let again = CatalogService::open(&temp_db_reuse("seed"))
        .await
        .expect("reopen");
    assert_eq!(
        again
            .catalogs()
            .await
            .expect("list")
            .iter()
            .find(|(c, _)| c.code == "dvhc_tinh")
            .map(|(_, v)| v.len()),
        Some(2)
    );
}

/// The path `temp_db(name)` gave, without deleting it.
fn temp_db_reuse(name: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join("lgsp-catalog-tests")
        .join(format!("{name}-{}.db", std::process::id()))
}

const COMMUNES: &str = "ma,ten,ma_cha\n00001,Phường Một,01\n00002,Xã Hai,01\n";

#[tokio::test]
async fn a_bad_import_writes_nothing_and_reports_each_problem_where_it_is() {
    let service = CatalogService::open(&temp_db("bad")).await.expect("open");
    let bad = "ma,ten,ma_cha\n00001,Phường Một,01\n00001,Phường Một bis,01\n00003,Xã Ba,77\n0004,Xã Bốn,01\n";
    let err = service
        .import(
            "dvhc_xa",
            &spec("v1", "2025-07-01", None, true),
            ItemFormat::Csv,
            None,
            bad,
            None,
        )
        .await
        .expect_err("invalid");
    let CatalogError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}");
    };
    let got: Vec<_> = problems.iter().map(|p| (p.kind, p.at.clone())).collect();
    assert_eq!(
        got,
        vec![
            (ProblemKind::DuplicateCode, Some(Location::Line(3))),
            (ProblemKind::DanglingParent, Some(Location::Line(4))),
            (ProblemKind::MalformedCode, Some(Location::Line(5))),
        ],
        "{problems:?}"
    );
    let (_, versions) = service
        .catalogs()
        .await
        .expect("list")
        .into_iter()
        .find(|(c, _)| c.code == "dvhc_xa")
        .expect("dvhc_xa");
    assert!(versions.is_empty(), "nothing written: {versions:?}");
}

#[tokio::test]
async fn drafts_are_invisible_until_published_and_publishing_closes_the_predecessor() {
    let service = CatalogService::open(&temp_db("publish"))
        .await
        .expect("open");
    service
        .import(
            "dvhc_xa",
            &spec("a", "2025-07-01", None, true),
            ItemFormat::Csv,
            None,
            COMMUNES,
            None,
        )
        .await
        .expect("first version");
    let next = "ma,ten,ma_cha\n00001,Phường Một Mới,01\n00003,Xã Ba,01\n";
    let draft = service
        .import(
            "dvhc_xa",
            &spec("b", "2026-01-01", None, false),
            ItemFormat::Csv,
            None,
            next,
            None,
        )
        .await
        .expect("draft");
    assert_eq!(draft.status, VersionStatus::Draft);
    let index = service.index();
    let xa = index.catalog("dvhc_xa").expect("catalog");
    assert_eq!(xa.versions.len(), 1, "the draft is not visible");
    let (_, _, changes) = service.diff("dvhc_xa", "a", "b").await.expect("diff");
    assert_eq!(changes.added.len(), 1);
    assert_eq!(changes.removed.len(), 1);
    assert_eq!(changes.renamed.len(), 1);
    service.publish("dvhc_xa", "b").await.expect("publish");
    let index = service.index();
    let xa = index.catalog("dvhc_xa").expect("catalog");
    assert_eq!(xa.versions[0].info.valid_to, Some(day("2025-12-31")));
    assert_eq!(
        xa.version_on(day("2026-02-01"))
            .and_then(|v| v.get("00001"))
            .map(|i| i.name.as_str()),
        Some("Phường Một Mới")
    );
    // A version overlapping both is refused, naming each.
    let err = service
        .import(
            "dvhc_xa",
            &spec("c", "2025-09-01", Some("2026-03-01"), true),
            ItemFormat::Csv,
            None,
            COMMUNES,
            None,
        )
        .await
        .expect_err("overlap");
    let CatalogError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}");
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.kind == ProblemKind::OverlappingValidity)
    );
    assert!(matches!(
        service.publish("dvhc_xa", "b").await,
        Err(CatalogError::Conflict(_))
    ));
}

#[tokio::test]
async fn crosswalk_codes_must_exist_in_their_versions() {
    let service = CatalogService::open(&temp_db("crosswalk"))
        .await
        .expect("open");
    service
        .import(
            "dvhc_xa",
            &spec("a", "2020-01-01", Some("2025-06-30"), true),
            ItemFormat::Csv,
            None,
            COMMUNES,
            None,
        )
        .await
        .expect("old");
    let new = "ma,ten,ma_cha\n00010,Phường Mười,01\n00011,Xã Mười Một,01\n";
    service
        .import(
            "dvhc_xa",
            &spec("b", "2025-07-01", None, true),
            ItemFormat::Csv,
            None,
            new,
            None,
        )
        .await
        .expect("new");
    let bad =
        "old_code,new_code,mapping\n00001,00010,full\n00009,00010,full\n00002,00099,partial\n";
    let err = service
        .import_crosswalk("dvhc_xa", "a", "b", CrosswalkFormat::Csv, None, bad, "test")
        .await
        .expect_err("unknown codes");
    let CatalogError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}");
    };
    let lines: Vec<_> = problems.iter().map(|p| p.at.clone()).collect();
    assert_eq!(
        lines,
        vec![Some(Location::Line(3)), Some(Location::Line(4))]
    );
    let good =
        "old_code,new_code,mapping\n00001,00010,full\n00002,00010,partial\n00002,00011,partial\n";
    let report = service
        .import_crosswalk(
            "dvhc_xa",
            "a",
            "b",
            CrosswalkFormat::Csv,
            None,
            good,
            "test",
        )
        .await
        .expect("crosswalk");
    assert_eq!((report.entries, report.old_codes), (3, 2));
    let today = day("2026-01-01");
    let codes: Vec<_> = service
        .index()
        .successors("dvhc_xa", "00002", day("2024-06-01"), today)
        .into_iter()
        .map(|s| (s.code, s.mapping))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("00010".to_owned(), MappingKind::Partial),
            ("00011".to_owned(), MappingKind::Partial)
        ]
    );
}
