//! Lookups by personal ID: `=`, `IN`, batching, unknown and malformed IDs.

use crate::common::{platform, query};
use lgsp_sample_upstream::Sex;

#[tokio::test]
async fn point_lookup_returns_the_normalized_citizen_with_one_upstream_call() {
    let c = &platform().world.citizens()[42];
    let a = query(&format!(
        "SELECT so_dinh_danh, ho_ten, ngay_sinh, gioi_tinh, ma_dan_toc, ma_quoc_tich, \
         que_quan_ma_tinh, ma_tinh, ma_xa, dia_chi FROM dan_cu.cong_dan WHERE so_dinh_danh = '{}'",
        c.so_dinh_danh
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1);
    let row = &a.rows()[0];
    assert_eq!(row["so_dinh_danh"], c.so_dinh_danh.as_str());
    assert_eq!(row["ho_ten"], c.ho_ten.as_str());
    // The upstream sends dd/mm/yyyy, "Nam"/"Nữ" and ethnicity names; the
    // platform serves DATE and catalog codes.
    assert_eq!(row["ngay_sinh"], c.ngay_sinh.to_iso().as_str());
    assert_eq!(
        row["gioi_tinh"],
        if c.gioi_tinh == Sex::Male { "1" } else { "2" }
    );
    assert_eq!(row["ma_dan_toc"], c.ma_dan_toc);
    assert_eq!(row["ma_quoc_tich"], c.ma_quoc_tich);
    assert_eq!(row["que_quan_ma_tinh"], c.que_quan_ma_tinh.as_str());
    assert_eq!(row["ma_tinh"], c.ma_tinh.as_str());
    assert_eq!(row["ma_xa"], c.ma_xa.as_str());
    assert_eq!(row["dia_chi"], c.dia_chi.as_str());
    assert_eq!(a.body["columns"][2]["type"], "DATE");

    let calls = a.upstream_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].uri, format!("/api/v1/cong-dan/{}", c.so_dinh_danh));
    // The platform tells the upstream who is asking.
    assert_eq!(
        calls[0].lgsp_consumer.as_deref(),
        Some(lgsp_host::auth::sample::CONSUMER_AGENCY)
    );
}

#[tokio::test]
async fn in_lookup_is_one_batched_upstream_call() {
    let world = &platform().world;
    let ids: Vec<&str> = [100, 200, 300]
        .iter()
        .map(|&i| world.citizens()[i].so_dinh_danh.as_str())
        .collect();
    // A well-formed ID that nobody holds is simply absent from the result.
    let unknown = "001099999999";
    assert!(world.citizen(unknown).is_none());
    let a = query(&format!(
        "SELECT so_dinh_danh, ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IN ('{}', '{}', '{}', '{unknown}') ORDER BY so_dinh_danh",
        ids[0], ids[1], ids[2]
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut expected: Vec<&str> = ids.clone();
    expected.sort_unstable();
    let got: Vec<&str> = a
        .rows()
        .iter()
        .map(|r| r["so_dinh_danh"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(got, expected);
    let calls = a.upstream_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].method, "POST");
    assert_eq!(calls[0].uri, "/api/v1/cong-dan/tra-cuu");
}

#[tokio::test]
async fn or_of_equalities_is_pushed_as_one_in_list() {
    let world = &platform().world;
    let (a_id, b_id) = (
        &world.citizens()[7].so_dinh_danh,
        &world.citizens()[8].so_dinh_danh,
    );
    let a = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{a_id}' OR so_dinh_danh = '{b_id}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 2);
    assert_eq!(a.upstream_calls().len(), 1);
}

#[tokio::test]
async fn a_long_in_list_is_split_into_batches_of_one_hundred() {
    let ids: Vec<String> = platform().world.citizens()[1000..1150]
        .iter()
        .map(|c| format!("'{}'", c.so_dinh_danh))
        .collect();
    let a = query(&format!(
        "SELECT COUNT(*) AS n FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({})",
        ids.join(",")
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows()[0]["n"], 150);
    assert_eq!(a.upstream_calls().len(), 2);
}

#[tokio::test]
async fn an_unknown_id_gives_no_rows() {
    let a = query("SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001099999998'").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.rows().is_empty());
    assert_eq!(a.body["row_count"], 0);
}

#[tokio::test]
async fn malformed_ids_are_refused_before_any_upstream_call() {
    for (id, reason) in [
        ("12345", "12 digits"),
        ("00108501234X", "12 digits"),
        ("003085012345", "province"),
        ("001785012345", "century"),
    ] {
        let a = query(&format!(
            "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"
        ))
        .await;
        assert_eq!(a.status, 400, "{id}: {}", a.body);
        assert_eq!(a.code(), "connector_rejected_request", "{id}");
        assert!(a.message().contains(reason), "{id}: {}", a.message());
        assert!(
            !a.message().contains(id),
            "the message must not echo the ID: {}",
            a.message()
        );
        assert!(a.upstream_calls().is_empty(), "{id} reached the upstream");
    }
}

#[tokio::test]
async fn a_query_without_a_key_filter_fails_before_any_call() {
    for sql in [
        "SELECT ho_ten FROM dan_cu.cong_dan",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ho_ten = 'Nguyễn Văn An'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa > '00004'",
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345' OR ho_ten = 'x'",
    ] {
        let a = query(sql).await;
        assert_eq!(a.status, 400, "{sql}: {}", a.body);
        assert_eq!(a.code(), "missing_key_filter", "{sql}");
        let m = a.message();
        for needle in ["dan_cu.cong_dan", "so_dinh_danh (=, IN)", "ma_xa (=)"] {
            assert!(m.contains(needle), "{sql}: {m}");
        }
        assert!(a.upstream_calls().is_empty(), "{sql} reached the upstream");
    }
}

#[tokio::test]
async fn a_key_filter_of_another_access_path_is_still_applied() {
    let world = &platform().world;
    let c = &world.citizens()[321];
    let elsewhere = world
        .communes_by_population()
        .into_iter()
        .map(|(code, _)| code)
        .find(|code| *code != c.ma_xa)
        .expect("another commune");
    let id = &c.so_dinh_danh;
    for (sql, rows) in [
        // The lookup path serves the ID; the commune filter must still hold.
        (
            format!(
                "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}' AND ma_xa = '{elsewhere}'"
            ),
            0,
        ),
        (
            format!(
                "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}' AND ma_xa = '{}'",
                c.ma_xa
            ),
            1,
        ),
        // DataFusion pushes these two filters in separate optimizer passes.
        (
            format!(
                "SELECT ho_ten FROM (SELECT * FROM dan_cu.cong_dan WHERE ma_xa = '{elsewhere}') t WHERE so_dinh_danh = '{id}'"
            ),
            0,
        ),
        (
            format!(
                "SELECT t.ho_ten FROM (SELECT * FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}') t WHERE t.ma_xa = '{elsewhere}' LIMIT 1"
            ),
            0,
        ),
    ] {
        let a = query(&sql).await;
        assert_eq!(a.status, 200, "{sql}: {}", a.body);
        assert_eq!(a.rows().len(), rows, "{sql}");
        assert_eq!(a.upstream_calls().len(), 1, "{sql}: one lookup, no listing");
    }
}

#[tokio::test]
async fn contradictory_key_filters_give_no_rows_and_no_calls() {
    let a =
        query("SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '00004' AND ma_xa = '00008'").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.rows().is_empty());
    assert!(a.upstream_calls().is_empty());
}

#[tokio::test]
async fn a_batch_that_finds_nobody_does_not_end_the_lookup() {
    let world = &platform().world;
    // A full first batch of well-formed IDs nobody holds, then a real one.
    let mut ids: Vec<String> = (0..2_000)
        .map(|i| format!("001099{i:06}"))
        .filter(|id| world.citizen(id).is_none())
        .take(100)
        .collect();
    assert_eq!(ids.len(), 100);
    let known = &world.citizens()[7];
    ids.push(known.so_dinh_danh.clone());
    let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    let a = query(&format!(
        "SELECT so_dinh_danh, ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({})",
        list.join(", ")
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1, "{}", a.body);
    assert_eq!(a.rows()[0]["ho_ten"], known.ho_ten.as_str());
    assert_eq!(a.upstream_calls().len(), 2);
}
