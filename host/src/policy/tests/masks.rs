//! A masked column cannot be recovered, and its filters never reach the source.

use super::*;

fn masked_fixture() -> Fixture {
    Fixture::new(&policy(&[
        grant("dan_cu", Some("cong_dan")),
        grant("bhxh", Some("the_bhyt")),
    ]))
}

#[tokio::test]
async fn a_masked_column_shows_the_mask() {
    let f = masked_fixture();
    assert_eq!(
        f.sorted("SELECT so_dinh_danh, ho_ten FROM dan_cu.cong_dan")
            .await,
        [
            "001******321|Trần Thị Bình",
            "001******345|Nguyễn Văn An",
            "001******345|Phạm Thị Dung",
            "079******111|Lê Văn Cường",
            "NULL|Vô Danh",
        ]
    );
}

#[tokio::test]
async fn comparing_with_the_real_value_finds_nothing() {
    let f = masked_fixture();
    for sql in [
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IN ('001085012345', '079085000111')",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh LIKE '001085%'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh > '001085012344' AND so_dinh_danh < '001085012346'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE starts_with(so_dinh_danh, '0010')",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_bhxh = '1234567890'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_tinh = '01' AND so_dinh_danh = '001085012345'",
    ] {
        assert!(f.ok(sql).await.is_empty(), "{sql}");
    }
    // Against the mask, the same comparisons work.
    assert_eq!(
        f.sorted("SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001******345'")
            .await,
        ["Nguyễn Văn An", "Phạm Thị Dung"]
    );
    assert_eq!(
        f.ok("SELECT count(*) FROM dan_cu.cong_dan WHERE so_dinh_danh LIKE '001%'")
            .await,
        ["3"]
    );
}

#[tokio::test]
async fn order_and_groups_follow_the_masked_text() {
    let f = masked_fixture();
    // Real order would put 001085012345 before 001190054321.
    assert_eq!(
        f.ok(
            "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IS NOT NULL \
              ORDER BY so_dinh_danh, ho_ten"
        )
        .await,
        [
            "Trần Thị Bình",
            "Nguyễn Văn An",
            "Phạm Thị Dung",
            "Lê Văn Cường"
        ]
    );
    assert_eq!(
        f.ok("SELECT so_dinh_danh, count(*) FROM dan_cu.cong_dan \
              WHERE so_dinh_danh IS NOT NULL GROUP BY so_dinh_danh ORDER BY so_dinh_danh")
            .await,
        ["001******321|1", "001******345|2", "079******111|1"]
    );
    assert_eq!(
        f.ok("SELECT count(DISTINCT so_dinh_danh) FROM dan_cu.cong_dan")
            .await,
        ["3"]
    );
    assert_eq!(
        f.ok("SELECT max(so_dinh_danh), min(so_dinh_danh) FROM dan_cu.cong_dan")
            .await,
        ["079******111|001******321"]
    );
}

#[tokio::test]
async fn joining_on_a_masked_column_matches_nothing_real() {
    let f = masked_fixture();
    for sql in [
        "SELECT c.ho_ten FROM dan_cu.cong_dan c JOIN bhxh.the_bhyt t ON c.so_dinh_danh = t.so_dinh_danh",
        "SELECT c.ho_ten FROM (VALUES ('001085012345'), ('079085000111')) v(id) \
         JOIN dan_cu.cong_dan c ON c.so_dinh_danh = v.id",
        "SELECT c.ho_ten FROM dan_cu.cong_dan c WHERE c.so_dinh_danh IN (SELECT so_dinh_danh FROM bhxh.the_bhyt)",
        "SELECT c.ho_ten FROM dan_cu.cong_dan c WHERE EXISTS \
         (SELECT 1 FROM bhxh.the_bhyt t WHERE t.so_dinh_danh = c.so_dinh_danh)",
    ] {
        assert!(f.ok(sql).await.is_empty(), "{sql}");
    }
}

#[tokio::test]
async fn functions_only_see_the_mask() {
    let f = masked_fixture();
    let rows = f
        .ok("SELECT substr(so_dinh_danh, 4, 6), length(so_dinh_danh), \
                    ascii(substr(so_dinh_danh, 5, 1)), right(so_dinh_danh, 4), \
                    CASE WHEN so_dinh_danh = '001085012345' THEN 'real' ELSE 'masked' END, \
                    CAST(regexp_like(so_dinh_danh, '^001085') AS VARCHAR), md5(so_dinh_danh) = md5('001085012345') \
             FROM dan_cu.cong_dan WHERE ho_ten = 'Nguyễn Văn An'")
        .await;
    assert_eq!(rows, ["******|12|42|*345|masked|false|false"]);
    assert_eq!(
        f.ok("SELECT count(*) FROM dan_cu.cong_dan \
              WHERE CASE WHEN so_dinh_danh = '001085012345' THEN true ELSE false END")
            .await,
        ["0"]
    );
    assert_eq!(
        f.ok("SELECT sum(CAST(so_dinh_danh = '001085012345' AS INT)) FROM dan_cu.cong_dan")
            .await,
        ["0"]
    );
}

#[tokio::test]
async fn filters_on_a_masked_column_never_reach_the_source() {
    let f = masked_fixture();
    for sql in [
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345' AND ma_tinh = '01'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh LIKE '001085%'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_bhxh = '1234567890' OR ma_tinh = '79'",
        "SELECT c.ho_ten FROM (VALUES ('001085012345')) v(id) JOIN dan_cu.cong_dan c ON c.so_dinh_danh = v.id",
        "SELECT c.ho_ten FROM dan_cu.cong_dan c JOIN bhxh.the_bhyt t ON c.so_dinh_danh = t.so_dinh_danh",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IN (SELECT so_dinh_danh FROM bhxh.the_bhyt)",
        "SELECT ho_ten FROM dan_cu.cong_dan ORDER BY so_dinh_danh LIMIT 1",
    ] {
        f.ok(sql).await;
    }
    let reached = f.columns_reaching("cong_dan");
    assert!(
        reached
            .iter()
            .all(|c| c != "so_dinh_danh" && c != "so_bhxh"),
        "{reached:?}"
    );
    // Not vacuous: filters on clear columns do reach it.
    assert!(reached.iter().any(|c| c == "ma_tinh"), "{reached:?}");
    let log = f.log.lock().expect("log");
    assert!(
        log.pushed.iter().all(|p| p.indices_right),
        "{:?}",
        log.pushed
    );
}

#[tokio::test]
async fn a_join_key_filter_passes_through_on_a_clear_column() {
    let f = masked_fixture();
    let rows = f
        .ok("SELECT t.so_the FROM (VALUES ('001085012345')) v(id) \
             JOIN bhxh.the_bhyt t ON t.so_dinh_danh = v.id")
        .await;
    assert_eq!(rows, ["HS4*********678"]);
    let log = f.log.lock().expect("log");
    let dynamic: Vec<_> = log
        .pushed
        .iter()
        .filter(|p| p.table == "the_bhyt" && p.filter.contains("DynamicFilter"))
        .collect();
    assert!(
        dynamic
            .iter()
            .any(|p| p.columns == ["so_dinh_danh"] && p.indices_right),
        "{:?}",
        log.pushed
    );
}
