//! The same result as JSON, NDJSON, CSV and Arrow IPC, chosen by `Accept`.

use crate::common::{commune_with_at_least, platform, query, query_with};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Date32Type;
use datafusion::arrow::ipc::reader::StreamReader;

async fn raw(sql: &str, accept: &str) -> (u16, String, Vec<u8>) {
    let response = platform().consumer.query(sql, accept).await;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (
        status,
        content_type,
        response.bytes().await.expect("body").to_vec(),
    )
}

#[tokio::test]
async fn every_format_carries_the_same_rows() {
    let (xa, _) = commune_with_at_least(20);
    let sql = format!(
        "SELECT so_dinh_danh, ho_ten, ngay_sinh FROM dan_cu.cong_dan WHERE ma_xa = '{xa}' ORDER BY so_dinh_danh LIMIT 10"
    );
    let json = query(&sql).await;
    assert_eq!(json.status, 200, "{}", json.body);
    let expected: Vec<(String, String, String)> = json
        .rows()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            (s("so_dinh_danh"), s("ho_ten"), s("ngay_sinh"))
        })
        .collect();
    assert_eq!(expected.len(), 10);

    let (status, ct, body) = raw(&sql, "application/x-ndjson").await;
    assert_eq!((status, ct.as_str()), (200, "application/x-ndjson"));
    let ndjson: Vec<(String, String, String)> = String::from_utf8(body)
        .expect("utf-8")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one object per line");
            let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            (s("so_dinh_danh"), s("ho_ten"), s("ngay_sinh"))
        })
        .collect();
    assert_eq!(ndjson, expected);

    let (status, ct, body) = raw(&sql, "text/csv").await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    let text = String::from_utf8(body).expect("utf-8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("so_dinh_danh,ho_ten,ngay_sinh"));
    let csv: Vec<(String, String, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect();
    assert_eq!(csv, expected);

    let (status, ct, body) = raw(&sql, "application/vnd.apache.arrow.stream").await;
    assert_eq!(
        (status, ct.as_str()),
        (200, "application/vnd.apache.arrow.stream")
    );
    let reader = StreamReader::try_new(std::io::Cursor::new(body), None).expect("arrow stream");
    let mut arrow = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let ids = batch.column(0).as_string::<i32>();
        let names = batch.column(1).as_string::<i32>();
        let dates = batch.column(2).as_primitive::<Date32Type>();
        for i in 0..batch.num_rows() {
            let date = dates
                .value_as_date(i)
                .map(|d| d.to_string())
                .unwrap_or_default();
            arrow.push((ids.value(i).to_owned(), names.value(i).to_owned(), date));
        }
        assert!(!batch.column(0).is_nullable() || batch.column(0).null_count() == 0);
    }
    assert_eq!(arrow, expected);
}

#[tokio::test]
async fn an_empty_result_still_has_its_header_or_schema() {
    let sql =
        "SELECT so_dinh_danh, ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001099999997'";
    let (_, _, csv) = raw(sql, "text/csv").await;
    assert_eq!(
        String::from_utf8(csv).expect("utf-8"),
        "so_dinh_danh,ho_ten\n"
    );
    let (_, _, arrow) = raw(sql, "application/vnd.apache.arrow.stream").await;
    let reader = StreamReader::try_new(std::io::Cursor::new(arrow), None).expect("arrow stream");
    assert_eq!(reader.schema().fields().len(), 2);
    let json = query(sql).await;
    assert_eq!(json.body["columns"][1]["name"], "ho_ten");
    assert_eq!(json.body["row_count"], 0);
}

#[tokio::test]
async fn an_unsupported_accept_is_406_and_wildcards_get_json() {
    let a = query_with("SELECT 1", "application/xml").await;
    assert_eq!(a.status, 406);
    assert_eq!(a.code(), "not_acceptable");
    let a = query_with("SELECT 1 AS x", "application/xml, */*;q=0.1").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.rows()[0]["x"], 1);
}

#[tokio::test]
async fn a_csv_stream_that_fails_midway_is_cut_short() {
    // big_output exceeds the hostile connector's 4 MiB cap after a few batches.
    let response = platform()
        .consumer
        .query("SELECT n, payload FROM hostile.big_output", "text/csv")
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.is_err(),
        "the client must see an incomplete transfer"
    );
}
