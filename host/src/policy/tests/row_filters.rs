//! Row filters hold wherever the table appears in a query, and are validated.

use super::*;

fn filtered_fixture() -> Fixture {
    Fixture::new(&policy(&[
        grant("dan_cu", Some("cong_dan"))
            .columns(&["ho_ten", "ma_tinh", "so_dinh_danh"])
            .filter("ma_tinh = '01'"),
        grant("bhxh", Some("the_bhyt")),
    ]))
}

const IN_01: [&str; 3] = ["Nguyễn Văn An", "Phạm Thị Dung", "Trần Thị Bình"];

#[tokio::test]
async fn a_row_filter_holds_for_a_plain_select() {
    let f = filtered_fixture();
    assert_eq!(f.sorted("SELECT ho_ten FROM dan_cu.cong_dan").await, IN_01);
    assert_eq!(
        f.sorted("SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_tinh = '79' OR TRUE")
            .await,
        IN_01
    );
    assert!(
        f.ok("SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_tinh = '79'")
            .await
            .is_empty()
    );
    assert_eq!(f.ok("SELECT count(*) FROM dan_cu.cong_dan").await, ["3"]);
}

#[tokio::test]
async fn statistics_never_answer_for_masked_or_filtered_rows() {
    // A MemTable knows its exact row count and ignores the row filter hint:
    // DataFusion would answer count(*) from that count if PolicyExec passed
    // it on as exact.
    let f = Fixture::plain(&policy(&[
        grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '01'")
    ]));
    assert_eq!(f.ok("SELECT count(*) FROM dan_cu.cong_dan").await, ["3"]);
    assert_eq!(
        f.ok("SELECT count(*), max(ma_tinh), min(ma_tinh) FROM dan_cu.cong_dan")
            .await,
        ["3|01|01"]
    );
    let open = Fixture::plain(&policy(&[grant("dan_cu", Some("cong_dan"))]));
    assert_eq!(open.ok("SELECT count(*) FROM dan_cu.cong_dan").await, ["5"]);
    assert_eq!(
        open.ok("SELECT max(so_dinh_danh) FROM dan_cu.cong_dan")
            .await,
        ["079******111"]
    );
}

#[tokio::test]
async fn a_row_filter_holds_through_joins() {
    let f = filtered_fixture();
    assert_eq!(
        f.ok(
            "SELECT DISTINCT a.ma_tinh, b.ma_tinh FROM dan_cu.cong_dan a \
              JOIN dan_cu.cong_dan b ON a.ma_tinh = b.ma_tinh OR TRUE"
        )
        .await,
        ["01|01"]
    );
    assert_eq!(
        f.ok("SELECT count(*) FROM dan_cu.cong_dan a CROSS JOIN dan_cu.cong_dan b")
            .await,
        ["9"]
    );
    assert_eq!(
        f.sorted(
            "SELECT c.ho_ten FROM (VALUES ('79'), ('01')) v(t) \
                  JOIN dan_cu.cong_dan c ON c.ma_tinh = v.t"
        )
        .await,
        IN_01
    );
    assert!(
        f.ok("SELECT c.ho_ten FROM (VALUES ('79')) v(t) \
              LEFT JOIN dan_cu.cong_dan c ON c.ma_tinh = v.t")
            .await
            .iter()
            .all(|r| r == "NULL")
    );
}

#[tokio::test]
async fn a_row_filter_holds_in_subqueries() {
    let f = filtered_fixture();
    for sql in [
        "SELECT t FROM (VALUES ('79')) v(t) WHERE t IN (SELECT ma_tinh FROM dan_cu.cong_dan)",
        "SELECT t FROM (VALUES ('79')) v(t) \
         WHERE EXISTS (SELECT 1 FROM dan_cu.cong_dan c WHERE c.ma_tinh = v.t)",
        "SELECT ho_ten FROM (SELECT * FROM dan_cu.cong_dan) s WHERE s.ma_tinh = '79'",
    ] {
        assert!(f.ok(sql).await.is_empty(), "{sql}");
    }
    assert_eq!(
        f.ok(
            "SELECT (SELECT count(*) FROM dan_cu.cong_dan WHERE ma_tinh = '79') AS a, \
                     (SELECT count(*) FROM dan_cu.cong_dan) AS b"
        )
        .await,
        ["0|3"]
    );
    assert_eq!(
        f.ok("SELECT t FROM (VALUES ('79'), ('01')) v(t) \
              WHERE t NOT IN (SELECT ma_tinh FROM dan_cu.cong_dan)")
            .await,
        ["79"]
    );
}

#[tokio::test]
async fn a_row_filter_holds_in_unions_and_ctes() {
    let f = filtered_fixture();
    assert_eq!(
        f.ok("SELECT ma_tinh FROM dan_cu.cong_dan UNION SELECT ma_tinh FROM dan_cu.cong_dan")
            .await,
        ["01"]
    );
    assert_eq!(
        f.ok("SELECT count(*) FROM (SELECT ho_ten FROM dan_cu.cong_dan \
              UNION ALL SELECT ho_ten FROM dan_cu.cong_dan)")
            .await,
        ["6"]
    );
    assert_eq!(
        f.ok("WITH x AS (SELECT * FROM dan_cu.cong_dan) \
              SELECT count(*) FROM x WHERE ma_tinh = '79' OR ma_tinh IS NULL")
            .await,
        ["0"]
    );
    assert_eq!(
        f.ok(
            "WITH RECURSIVE r(n, m) AS (SELECT 1, (SELECT count(*) FROM dan_cu.cong_dan) \
              UNION ALL SELECT n + 1, m FROM r WHERE n < 2) SELECT max(m) FROM r"
        )
        .await,
        ["3"]
    );
}

#[tokio::test]
async fn a_row_filter_may_read_columns_the_caller_cannot() {
    let f = Fixture::new(&policy(&[grant("dan_cu", Some("cong_dan"))
        .columns(&["ho_ten"])
        .filter("ma_tinh = '79' AND ton_giao IS NOT NULL")]));
    assert_eq!(
        f.ok("SELECT * FROM dan_cu.cong_dan").await,
        ["Lê Văn Cường"]
    );
    let e = f.err("SELECT ton_giao FROM dan_cu.cong_dan").await;
    assert!(e.contains("ton_giao"), "{e}");
}

#[tokio::test]
async fn row_filters_of_several_grants_let_either_through() {
    let f = Fixture::new(&policy(&[
        grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '01'"),
        grant("dan_cu", Some("cong_dan")).filter("ho_ten = 'Lê Văn Cường' -- one more"),
    ]));
    assert_eq!(f.ok("SELECT count(*) FROM dan_cu.cong_dan").await, ["4"]);
}

#[tokio::test]
async fn the_row_filter_goes_down_as_a_hint_and_the_limit_does_not() {
    let f = filtered_fixture();
    let rows = f.ok("SELECT ho_ten FROM dan_cu.cong_dan LIMIT 1").await;
    assert_eq!(rows.len(), 1);
    assert!(IN_01.contains(&rows[0].as_str()), "{rows:?}");
    {
        let log = f.log.lock().expect("log");
        let scan = log.scans.last().expect("a scan");
        assert_eq!(scan.limit, None);
        assert!(
            scan.filters.iter().any(|s| s.contains("ma_tinh")),
            "{scan:?}"
        );
    }
    // Without a row filter the limit does go down.
    let open = Fixture::new(&policy(&[grant("bhxh", Some("the_bhyt"))]));
    open.ok("SELECT so_the FROM bhxh.the_bhyt LIMIT 1").await;
    let log = open.log.lock().expect("log");
    assert_eq!(log.scans.last().map(|s| s.limit), Some(Some(1)));
}

#[tokio::test]
async fn a_row_filter_that_no_longer_applies_closes_the_table() {
    let mut p = policy(&[grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '01'")]);
    if let Some(t) = p
        .schemas
        .get_mut("dan_cu")
        .and_then(|s| s.tables.get_mut("cong_dan"))
    {
        t.row_filter = Some("cot_da_xoa = '01'".into());
    }
    let f = Fixture::new(&p);
    let e = f.err("SELECT ho_ten FROM dan_cu.cong_dan").await;
    assert!(
        e.contains("row filter") && e.contains("dan_cu.cong_dan"),
        "{e}"
    );
    // The parser's reason lists the table's fields, granted or not: not shown.
    assert!(!e.contains("ton_giao"), "{e}");
}

#[tokio::test]
async fn explain_shows_the_policy() {
    let f = filtered_fixture();
    let plan = f
        .ok("EXPLAIN SELECT so_dinh_danh, ho_ten FROM dan_cu.cong_dan")
        .await
        .join("\n");
    assert!(
        plan.contains("PolicyExec: masked=[so_dinh_danh] row_filter=[ma_tinh@"),
        "{plan}"
    );
    assert!(plan.contains("RecordingExec: cong_dan"), "{plan}");
}

#[test]
fn row_filters_are_validated() {
    let all = connectors();
    let cong_dan = all.connector("dan_cu").and_then(|c| c.table("cong_dan"));
    let cong_dan = cong_dan.expect("fixture");
    for ok in [
        "ma_tinh = '01'",
        "ma_tinh IN ('01', '79') AND ton_giao IS NULL",
        "upper(ho_ten) LIKE 'NGUY%' OR so_bhxh > 100",
        "CASE WHEN ma_tinh = '01' THEN true ELSE false END",
    ] {
        assert_eq!(validate_row_filter(ok, cong_dan), Ok(()), "{ok}");
    }
    let refused = |sql: &str| validate_row_filter(sql, cong_dan).expect_err(sql);
    assert!(refused("").contains("empty"));
    assert!(refused("ma_tinh").contains("condition"));
    assert!(refused("so_bhxh + 1").contains("condition"));
    assert!(refused("khong_co = 1").contains("khong_co"));
    let e = refused("count(*) > 1");
    assert!(e.contains("aggregate"), "{e}");
    assert!(refused("row_number() OVER () = 1").contains("window"));
    assert!(refused("EXISTS (SELECT 1)").contains("subquery"));
    assert!(refused("ma_tinh IN (SELECT ma_tinh FROM dan_cu.cong_dan)").contains("row filter"));
    assert!(refused("ma_tinh = '01'; DROP TABLE x").contains("row filter"));
    assert!(refused("ma_tinh = $1").contains("placeholder"));
    assert!(refused("random() < 0.5").contains("changes"));
    let long = format!("ma_tinh IN ({})", vec!["'01'"; 600].join(", "));
    assert!(refused(&long).contains("2048"));
}
