//! Listing by commune: paging through the upstream, projection and limit pushdown.

use crate::common::{commune_with_at_least, platform, query};
use std::collections::BTreeSet;

#[tokio::test]
async fn projection_and_limit_reach_the_upstream_as_one_small_page() {
    let (xa, _) = commune_with_at_least(100);
    let a = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '{xa}' LIMIT 5"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 5);
    for row in a.rows() {
        let keys: Vec<&String> = row
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["ho_ten"]);
    }
    let calls = a.upstream_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let uri = &calls[0].uri;
    for part in [
        format!("maXa={xa}"),
        "trang=1".into(),
        "soBanGhi=5".into(),
        "truong=hoVaTen".into(),
    ] {
        assert!(uri.contains(&part), "{uri} lacks {part}");
    }
}

#[tokio::test]
async fn a_full_listing_pages_through_the_upstream_once() {
    let (xa, residents) = commune_with_at_least(2001);
    let a = query(&format!(
        "SELECT so_dinh_danh FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let got: BTreeSet<&str> = a
        .rows()
        .iter()
        .filter_map(|r| r["so_dinh_danh"].as_str())
        .collect();
    let expected: BTreeSet<&str> = platform()
        .world
        .residents(&xa)
        .map(|c| c.so_dinh_danh.as_str())
        .collect();
    assert_eq!(got.len(), residents);
    assert_eq!(got, expected);
    let pages: Vec<String> = a.upstream_calls().into_iter().map(|c| c.uri).collect();
    assert_eq!(pages.len(), residents.div_ceil(1000), "{pages:?}");
    for (i, uri) in pages.iter().enumerate() {
        assert!(uri.contains(&format!("trang={}", i + 1)), "{uri}");
        assert!(uri.contains("soBanGhi=1000"), "{uri}");
    }
}

#[tokio::test]
async fn aggregates_match_the_source() {
    let (xa, residents) = commune_with_at_least(500);
    let a = query(&format!(
        "SELECT gioi_tinh, COUNT(*) AS n FROM dan_cu.cong_dan WHERE ma_xa = '{xa}' GROUP BY gioi_tinh ORDER BY gioi_tinh"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let women = platform()
        .world
        .residents(&xa)
        .filter(|c| c.gioi_tinh == lgsp_sample_upstream::Sex::Female)
        .count();
    assert_eq!(a.rows()[0]["gioi_tinh"], "1");
    assert_eq!(a.rows()[0]["n"], residents - women);
    assert_eq!(a.rows()[1]["gioi_tinh"], "2");
    assert_eq!(a.rows()[1]["n"], women);
    // COUNT needs only the gender column from the upstream.
    assert!(
        a.upstream_calls()
            .iter()
            .all(|c| c.uri.contains("truong=gioiTinh"))
    );
}

#[tokio::test]
async fn a_limit_is_not_pushed_past_a_filter_the_connector_does_not_apply() {
    let (xa, _) = commune_with_at_least(300);
    let a = query(&format!(
        "SELECT ho_ten, gioi_tinh FROM dan_cu.cong_dan WHERE ma_xa = '{xa}' AND gioi_tinh = '2' LIMIT 3"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 3);
    assert!(a.rows().iter().all(|r| r["gioi_tinh"] == "2"));
    let calls = a.upstream_calls();
    assert!(calls[0].uri.contains("soBanGhi=1000"), "{calls:?}");
}

#[tokio::test]
async fn count_star_asks_the_upstream_only_for_the_fields_its_filter_needs() {
    let (xa, residents) = commune_with_at_least(50);
    let a = query(&format!(
        "SELECT COUNT(*) AS n FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows()[0]["n"], residents);
    assert!(
        a.upstream_calls()
            .iter()
            .all(|c| c.uri.contains("truong=ngayCapNhat%2CthuongTru"))
    );
}

#[tokio::test]
async fn a_malformed_commune_code_is_refused_before_any_call() {
    let a = query("SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '123'").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.code(), "connector_rejected_request");
    assert!(a.message().contains("5 digits"), "{}", a.message());
    assert!(a.upstream_calls().is_empty());
}
