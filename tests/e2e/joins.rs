//! Joins that drive a connector with batched key lookups: the build side's
//! keys reach the other table as an IN list (DataFusion's dynamic filter), a
//! batch per upstream call, never a call per row and never a full scan.

use crate::common::{commune_with_at_least, pairs, platform, query};
use std::collections::BTreeSet;

#[tokio::test]
async fn a_join_on_a_key_column_looks_up_the_other_side_in_batches() {
    let (ma_xa, residents) = commune_with_at_least(150);
    let a = query(&format!(
        "SELECT a.so_dinh_danh, b.ho_ten, b.ngay_sinh \
         FROM dan_cu.cong_dan a JOIN dan_cu.cong_dan b USING (so_dinh_danh) \
         WHERE a.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let world = &platform().world;
    let expected: BTreeSet<(String, String)> = world
        .residents(&ma_xa)
        .map(|c| (c.so_dinh_danh.clone(), c.ho_ten.clone()))
        .collect();
    let got = pairs(a.rows(), "so_dinh_danh", "ho_ten");
    assert_eq!(got, expected);
    assert_eq!(a.rows().len(), residents);

    // One listing page for the commune, then the keys a hundred at a time.
    let calls = a.upstream_calls();
    let listing = calls.iter().filter(|c| c.method == "GET").count();
    let lookups: Vec<_> = calls.iter().filter(|c| c.method == "POST").collect();
    assert_eq!(listing, residents.div_ceil(1000), "{calls:?}");
    assert_eq!(lookups.len(), residents.div_ceil(100), "{calls:?}");
    assert!(lookups.iter().all(|c| c.uri == "/api/v1/cong-dan/tra-cuu"));
}

#[tokio::test]
async fn the_plan_shows_the_join_feeding_the_lookup() {
    let (ma_xa, _) = commune_with_at_least(10);
    let a = query(&format!(
        "EXPLAIN SELECT b.ho_ten FROM dan_cu.cong_dan a \
         JOIN dan_cu.cong_dan b USING (so_dinh_danh) WHERE a.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let plan = a.body.to_string();
    assert!(plan.contains("keys_from_join=[so_dinh_danh"), "{plan}");
    assert!(a.upstream_calls().is_empty(), "EXPLAIN calls nobody");
}

#[tokio::test]
async fn a_join_where_no_side_has_keys_is_refused_before_any_call() {
    let a =
        query("SELECT a.ho_ten FROM dan_cu.cong_dan a JOIN dan_cu.cong_dan b USING (so_dinh_danh)")
            .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.code(), "missing_key_filter");
    assert!(a.message().contains("so_dinh_danh"), "{}", a.message());
    assert!(a.upstream_calls().is_empty());
}

#[tokio::test]
async fn an_empty_build_side_calls_the_other_source_not_at_all() {
    // A well-formed commune code nobody lives in.
    let a = query(
        "SELECT b.ho_ten FROM dan_cu.cong_dan a JOIN dan_cu.cong_dan b USING (so_dinh_danh) \
         WHERE a.ma_xa = '99999'",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.rows().is_empty());
    let calls = a.upstream_calls();
    assert_eq!(calls.len(), 1, "only the listing: {calls:?}");
    assert_eq!(calls[0].method, "GET");
}

#[tokio::test]
async fn the_keyed_table_may_come_second() {
    let (ma_xa, residents) = commune_with_at_least(120);
    let a = query(&format!(
        "SELECT b.ho_ten FROM dan_cu.cong_dan b JOIN dan_cu.cong_dan a USING (so_dinh_danh) \
         WHERE a.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), residents);
    assert_eq!(
        a.upstream_calls().len(),
        residents.div_ceil(1000) + residents.div_ceil(100)
    );
}

#[tokio::test]
async fn a_key_that_takes_only_equality_is_not_fed_by_a_join() {
    // `ma_xa` lists a commune (= only); a join must not send it several.
    let a = query(
        "SELECT c.ho_ten FROM (VALUES ('00004'), ('00007')) AS v(m) \
         JOIN dan_cu.cong_dan c ON c.ma_xa = v.m",
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.code(), "missing_key_filter");
    assert!(a.upstream_calls().is_empty());
}

#[tokio::test]
async fn a_recursive_query_over_a_lookup_fails_clearly_instead_of_hanging() {
    let someone = &platform().world.citizens()[3];
    let started = std::time::Instant::now();
    let a = query(&format!(
        "WITH RECURSIVE r(id, depth) AS (SELECT '{}', 0 \
         UNION ALL SELECT n.so_dinh_danh, r.depth + 1 FROM r \
         JOIN dan_cu.cong_dan n ON n.so_dinh_danh = r.id WHERE r.depth < 2) \
         SELECT id FROM r",
        someone.so_dinh_danh
    ))
    .await;
    let code = if a.status == 200 {
        a.body["error"]["code"].as_str().unwrap_or("").to_owned()
    } else {
        a.code().to_owned()
    };
    // Each iteration re-runs the join, whose keys the lookup cannot take
    // over again: refused with the usual message rather than waiting forever.
    assert_eq!(code, "missing_key_filter", "{} {}", a.status, a.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
