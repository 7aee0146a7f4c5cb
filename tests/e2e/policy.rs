//! Grants enforced inside SQL, against the real connectors: ungranted tables
//! and columns do not exist for the caller, identifiers are masked before any
//! expression sees them (and never reach an upstream as a filter), and row
//! filters hold under joins, subqueries and UNION.

use crate::access::{UNLIMITED, Want, app, read};
use crate::common::platform;
use serde_json::Value;
use std::collections::BTreeSet;

const PURPOSE: &str = "xác minh nơi cư trú";

/// The two most populous communes of the shared world.
fn two_communes() -> (String, String) {
    let communes = platform().world.communes_by_population();
    (communes[0].0.clone(), communes[1].0.clone())
}

fn residents(commune: &str) -> Vec<String> {
    platform()
        .world
        .residents(commune)
        .map(|c| c.so_dinh_danh.clone())
        .collect()
}

async fn run(client: &lgsp_tests::SignedClient, sql: &str) -> (u16, Value) {
    read(client.query(sql, "application/json").await).await
}

fn rows(body: &Value) -> &Vec<Value> {
    body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {body}"))
}

fn is_masked(id: &str) -> bool {
    id.len() == 12
        && id[..3].bytes().all(|b| b.is_ascii_digit())
        && &id[3..9] == "******"
        && id[9..].bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn ungranted_tables_do_not_exist_for_the_caller() {
    let test = app(
        &[Want {
            schema: "bhxh",
            table: Some("the_bhyt"),
            ..Want::default()
        }],
        PURPOSE,
        UNLIMITED,
        false,
    )
    .await;
    let (status, body) = run(
        &test.client,
        "SELECT * FROM bhxh.qua_trinh_dong WHERE so_dinh_danh = '001085012345'",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("qua_trinh_dong"),
        "{body}"
    );
    let (status, body) = run(
        &test.client,
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = 'bhxh'",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let names: BTreeSet<&str> = rows(&body)
        .iter()
        .filter_map(|r| r["table_name"].as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["the_bhyt"]));
    // /v1/tables lists what the caller may query, and nothing else.
    let (status, body) = read(test.client.get("/v1/tables").await).await;
    assert_eq!(status, 200);
    let schemas = body["schemas"].as_array().expect("schemas");
    assert_eq!(schemas.len(), 1, "{body}");
    assert_eq!(schemas[0]["tables"].as_array().expect("tables").len(), 1);
}

#[tokio::test]
async fn ungranted_and_sensitive_columns_are_absent() {
    let (commune, _) = two_communes();
    let narrow = app(
        &[Want {
            schema: "dan_cu",
            table: Some("cong_dan"),
            columns: vec!["so_dinh_danh", "ho_ten", "ma_xa"],
            clear: vec!["so_dinh_danh"],
            ..Want::default()
        }],
        PURPOSE,
        UNLIMITED,
        false,
    )
    .await;
    let (status, body) = run(
        &narrow.client,
        &format!("SELECT * FROM dan_cu.cong_dan WHERE ma_xa = '{commune}' LIMIT 3"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let columns: BTreeSet<&str> = body["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(columns, BTreeSet::from(["so_dinh_danh", "ho_ten", "ma_xa"]));
    let (status, body) = run(
        &narrow.client,
        &format!("SELECT ngay_sinh FROM dan_cu.cong_dan WHERE ma_xa = '{commune}'"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ngay_sinh"),
        "{body}"
    );

    // Every non-sensitive column, but not ethnicity unless named.
    let broad = app(
        &[Want {
            schema: "dan_cu",
            ..Want::default()
        }],
        PURPOSE,
        UNLIMITED,
        false,
    )
    .await;
    let (status, body) = run(
        &broad.client,
        &format!("SELECT ma_dan_toc FROM dan_cu.cong_dan WHERE ma_xa = '{commune}'"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = run(
        &broad.client,
        &format!("SELECT ho_ten, ngay_sinh FROM dan_cu.cong_dan WHERE ma_xa = '{commune}' LIMIT 1"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_masked_identifier_cannot_be_recovered() {
    let (commune, _) = two_communes();
    let ids = residents(&commune);
    let real = ids[0].clone();
    let test = app(
        &[
            Want {
                schema: "dan_cu",
                table: Some("cong_dan"),
                ..Want::default()
            },
            Want {
                schema: "bhxh",
                table: Some("the_bhyt"),
                clear: vec!["so_dinh_danh", "ma_so_bhxh", "ma_the"],
                ..Want::default()
            },
        ],
        PURPOSE,
        UNLIMITED,
        false,
    )
    .await;
    let in_commune = format!("FROM dan_cu.cong_dan WHERE ma_xa = '{commune}'");
    // The values themselves are masked.
    let (status, body) = run(&test.client, &format!("SELECT so_dinh_danh {in_commune}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rows(&body).len(), ids.len());
    assert!(
        rows(&body)
            .iter()
            .all(|r| is_masked(r["so_dinh_danh"].as_str().unwrap_or_default())),
        "{body}"
    );
    // Filters see only the masked value.
    for predicate in [
        format!("so_dinh_danh = '{real}'"),
        format!("so_dinh_danh LIKE '{}%'", &real[..6]),
        format!("substr(so_dinh_danh, 4, 6) = '{}'", &real[3..9]),
        format!("CASE WHEN so_dinh_danh = '{real}' THEN true ELSE false END"),
        format!("so_dinh_danh IN ('{real}', '{}')", ids[1]),
    ] {
        let (status, body) = run(
            &test.client,
            &format!("SELECT ho_ten {in_commune} AND {predicate}"),
        )
        .await;
        assert_eq!(status, 200, "{predicate}: {body}");
        assert!(rows(&body).is_empty(), "{predicate} revealed rows: {body}");
    }
    // Sorting and grouping work on the masked text.
    let (_, body) = run(
        &test.client,
        &format!("SELECT so_dinh_danh {in_commune} ORDER BY so_dinh_danh"),
    )
    .await;
    let sorted: Vec<&str> = rows(&body)
        .iter()
        .filter_map(|r| r["so_dinh_danh"].as_str())
        .collect();
    let mut expected = sorted.clone();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    let (_, body) = run(
        &test.client,
        &format!("SELECT so_dinh_danh, count(*) AS n, count(DISTINCT so_dinh_danh) AS d {in_commune} GROUP BY so_dinh_danh"),
    )
    .await;
    assert!(
        rows(&body)
            .iter()
            .all(|r| is_masked(r["so_dinh_danh"].as_str().unwrap_or_default()))
    );
    // A key the caller only knows masked cannot be used to look anyone up:
    // the filter never reaches the connector, so no access path serves it.
    for sql in [
        format!("SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{real}'"),
        format!(
            "SELECT c.ho_ten FROM dan_cu.cong_dan c JOIN (VALUES ('{real}')) v(id) ON c.so_dinh_danh = v.id"
        ),
        format!(
            "SELECT c.ho_ten FROM bhxh.the_bhyt t JOIN dan_cu.cong_dan c ON c.so_dinh_danh = t.so_dinh_danh WHERE t.so_dinh_danh = '{real}'"
        ),
    ] {
        let answer = read(test.client.query(&sql, "application/json").await).await;
        assert!(
            answer.0 == 400 && answer.1["code"] == "missing_key_filter"
                || answer.0 == 200 && rows(&answer.1).is_empty(),
            "{sql}: {}",
            answer.1
        );
    }
    // And the real value never went upstream in any of these requests.
    let leaked = platform()
        .upstream
        .sim()
        .log()
        .iter()
        .filter(|r| r.lgsp_consumer.as_deref() == Some(test.agency.as_str()))
        .any(|r| r.uri.contains(&real));
    assert!(!leaked, "a masked identifier reached the upstream");
}

#[tokio::test]
async fn a_row_filter_holds_under_joins_subqueries_and_union() {
    let (mine, other) = two_communes();
    let mine_ids = residents(&mine);
    let other_ids = residents(&other);
    let test = app(
        &[Want {
            schema: "dan_cu",
            table: Some("cong_dan"),
            clear: vec!["so_dinh_danh"],
            row_filter: Some(Box::leak(format!("ma_xa = '{mine}'").into_boxed_str())),
            ..Want::default()
        }],
        PURPOSE,
        UNLIMITED,
        false,
    )
    .await;
    let both = format!(
        "'{}', '{}', '{}', '{}'",
        mine_ids[0], mine_ids[1], other_ids[0], other_ids[1]
    );
    let queries = [
        format!("SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE ma_xa = '{other}'"),
        format!("SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({both})"),
        format!(
            "SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({both}) OR true"
        ),
        format!(
            "SELECT a.so_dinh_danh, b.ma_xa FROM dan_cu.cong_dan a JOIN dan_cu.cong_dan b USING (so_dinh_danh) WHERE a.so_dinh_danh IN ({both})"
        ),
        format!(
            "SELECT c.so_dinh_danh, c.ma_xa FROM (VALUES ('{}'), ('{}')) v(id) JOIN dan_cu.cong_dan c ON c.so_dinh_danh = v.id",
            mine_ids[0], other_ids[0]
        ),
        format!(
            "SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE ma_xa = '{mine}' UNION ALL SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE ma_xa = '{other}'"
        ),
        format!(
            "SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({both}) UNION SELECT so_dinh_danh, ma_xa FROM dan_cu.cong_dan WHERE ma_xa = '{other}'"
        ),
        format!(
            "WITH t AS (SELECT * FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({both})) SELECT so_dinh_danh, ma_xa FROM t"
        ),
        format!(
            "SELECT so_dinh_danh, (SELECT max(ma_xa) FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({both})) AS ma_xa FROM dan_cu.cong_dan WHERE ma_xa = '{mine}' LIMIT 1"
        ),
    ];
    for sql in &queries {
        let (status, body) = run(&test.client, sql).await;
        assert!(
            status == 200 || body["code"] == "missing_key_filter",
            "{sql}: {body}"
        );
        if status != 200 {
            continue;
        }
        for row in rows(&body) {
            assert_eq!(
                row["ma_xa"],
                Value::String(mine.clone()),
                "{sql} leaked {row}"
            );
            if let Some(id) = row["so_dinh_danh"].as_str() {
                assert!(!other_ids.iter().any(|o| o == id), "{sql} leaked {id}");
            }
        }
    }
    // Rows of the granted commune are there.
    let (_, body) = run(&test.client, &queries[1]).await;
    assert_eq!(rows(&body).len(), 2, "{body}");
    // Outside the filter, a record that exists and one that does not give
    // the same answer: no rows (a "not found" would reveal which is which).
    for id in [other_ids[0].as_str(), "001099999999"] {
        let (status, body) = run(
            &test.client,
            &format!("SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"),
        )
        .await;
        assert_eq!(status, 200, "{id}: {body}");
        assert!(rows(&body).is_empty(), "{id}: {body}");
    }
}
