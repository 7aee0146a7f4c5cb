//! Upstream failures (503, 429, 500) become clear errors, and the next query works.

use crate::common::{commune_ranked, inject, query};

#[tokio::test]
async fn an_upstream_503_is_reported_as_unavailable_and_the_next_query_works() {
    let (xa, _) = commune_ranked(20);
    inject(503, 1, None, &format!("maXa={xa}"));
    let sql = format!("SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'");
    let a = query(&sql).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.code(), "upstream_unavailable");
    assert_eq!(
        a.message(),
        "dan_cu: the upstream is unavailable (HTTP 503)"
    );
    assert_eq!(a.body["type"], "connector");
    assert_eq!(a.body["request_id"], a.request_id.as_str());
    let b = query(&sql).await;
    assert_eq!(b.status, 200, "{}", b.body);
}

#[tokio::test]
async fn an_upstream_429_is_reported_with_its_retry_after() {
    let (xa, _) = commune_ranked(21);
    inject(429, 1, Some(17), &format!("maXa={xa}"));
    let a = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.code(), "upstream_unavailable");
    assert!(a.message().contains("rate limiting"), "{}", a.message());
    assert_eq!(
        a.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("17")
    );
}

#[tokio::test]
async fn an_upstream_500_is_an_upstream_error() {
    let (xa, _) = commune_ranked(22);
    inject(500, 1, None, &format!("maXa={xa}"));
    let a = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_error");
    assert!(a.message().contains("HTTP 500"), "{}", a.message());
}

#[tokio::test]
async fn a_failure_after_rows_were_sent_ends_the_json_with_the_error() {
    // The largest commune needs several pages; the second one fails.
    let (xa, residents) = commune_ranked(0);
    assert!(residents > 1000);
    inject(503, 1, None, &format!("maXa={xa}&trang=2"));
    let a = query(&format!(
        "SELECT so_dinh_danh FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "the first page had already gone out");
    assert_eq!(a.body["row_count"], 1000);
    assert_eq!(a.rows().len(), 1000);
    assert_eq!(a.body["error"]["code"], "upstream_unavailable");
    assert_eq!(a.body["error"]["request_id"], a.request_id.as_str());
}

#[tokio::test]
async fn a_slow_upstream_is_an_upstream_timeout() {
    let (xa, _) = crate::common::commune_ranked(23);
    crate::common::platform()
        .upstream
        .sim()
        .inject(lgsp_sample_upstream::Fault {
            status: None,
            count: 1,
            retry_after: None,
            delay_ms: Some(4_000),
            uri_contains: Some(format!("maXa={xa}")),
            ..lgsp_sample_upstream::Fault::default()
        });
    // The connector's HTTP timeout is 3 s (its manifest), under its 5 s deadline.
    let a = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 504, "{}", a.body);
    assert_eq!(a.code(), "upstream_timeout");
    assert!(
        a.message().contains("did not answer in time"),
        "{}",
        a.message()
    );
    a.assert_audited("dan_cu", "upstream_timeout").await;
    let b = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
}
