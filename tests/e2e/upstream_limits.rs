//! The limits an agency states for its system, enforced by the host across all
//! requests: calls per second, calls in flight, and a ceiling of upstream calls
//! per query. Runs its own platform, whose population connector's manifest
//! declares tight limits, and measures at the upstream itself.

use crate::common::{Answer, query_on};
use lgsp_host::runtime::{ConnectorSource, UpstreamLimits};
use lgsp_sample_upstream::{Fault, Source};
use lgsp_tests::{Platform, Upstreams, connector_source};
use serde_json::Value;
use std::sync::OnceLock;

const CEILING: u32 = 3;
const PER_SECOND: f64 = 10.0;
const IN_FLIGHT: u32 = 2;

fn limited() -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        fn sources(u: &Upstreams) -> Vec<Result<ConnectorSource, String>> {
            let mut dan_cu = connector_source(Source::DanCu, &u.dan_cu);
            dan_cu.manifest.upstream.limits = UpstreamLimits {
                max_concurrent: Some(IN_FLIGHT),
                requests_per_second: Some(PER_SECOND),
                burst: Some(1),
                lookup_batch: Some(100),
                max_calls_per_query: Some(CEILING),
            };
            vec![Ok(dan_cu)]
        }
        let platform = Platform::start_with(
            10_000,
            lgsp_tests::official_communes(),
            lgsp_host::Config::default(),
            sources,
        );
        assert!(
            platform.load_failures.is_empty(),
            "{:?}",
            platform.load_failures
        );
        platform
    })
}

/// Runs `sql` on `platform`: status, JSON body and request ID.
async fn query_at(platform: &'static Platform, sql: &str) -> (u16, Value, String) {
    let Answer {
        status,
        body,
        request_id,
        ..
    } = query_on(platform, sql, "application/json").await;
    (status, body, request_id)
}

async fn query(sql: &str) -> (u16, Value, String) {
    query_at(limited(), sql).await
}

#[tokio::test]
async fn a_join_that_would_exceed_the_ceiling_fails_before_the_lookups() {
    let platform = limited();
    let (ma_xa, residents) = platform
        .world
        .communes_by_population()
        .into_iter()
        .find(|(_, n)| *n > 300 && *n < 1000)
        .expect("a commune of 300 to 1000 residents");
    let (status, body, id) = query(&format!(
        "SELECT b.ho_ten FROM dan_cu.cong_dan a JOIN dan_cu.cong_dan b USING (so_dinh_danh) \
         WHERE a.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "upstream_call_limit");
    assert!(
        body["message"].as_str().is_some_and(
            |m| m.contains(&format!("more than {CEILING} calls")) && m.contains("dan_cu")
        ),
        "{body}"
    );
    // Only the listing page went out; the {} lookups were never started.
    let calls = platform.upstream.sim().requests_for(&id);
    assert_eq!(calls.len(), 1, "{residents} residents: {calls:?}");
    assert_eq!(calls[0].method, "GET");
}

#[tokio::test]
async fn a_query_that_reaches_the_ceiling_mid_scan_stops_there() {
    let platform = limited();
    // 350 IDs: the connector needs four batch lookups of 100; the fourth is refused.
    let ids: Vec<String> = platform.world.citizens()[..350]
        .iter()
        .map(|c| format!("'{}'", c.so_dinh_danh))
        .collect();
    let (status, body, id) = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh IN ({})",
        ids.join(", ")
    ))
    .await;
    // The first batches were already streamed when the fourth call was
    // refused, so the answer ends with the error instead of starting with it.
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["error"]["code"], "upstream_call_limit", "{body}");
    assert_eq!(body["rows"].as_array().map(Vec::len), Some(300));
    assert_eq!(
        platform.upstream.sim().requests_for(&id).len(),
        CEILING as usize
    );
}

#[tokio::test]
async fn concurrent_queries_share_the_rate_and_concurrency_limits() {
    let platform = limited();
    let sim = platform.upstream.sim();
    // Slow answers, so that without the cap more than two would overlap.
    let needle = "/api/v1/cong-dan/0";
    sim.inject(Fault {
        delay_ms: Some(300),
        count: 8,
        uri_contains: Some(needle.into()),
        ..Fault::default()
    });
    let ids: Vec<String> = platform.world.citizens()[1000..1008]
        .iter()
        .map(|c| c.so_dinh_danh.clone())
        .collect();
    let queries = ids.iter().map(|id| {
        let sql = format!("SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'");
        async move { query(&sql).await }
    });
    let answers = futures::future::join_all(queries).await;
    let mut request_ids = Vec::new();
    for (status, body, id) in answers {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rows"].as_array().map(Vec::len), Some(1));
        request_ids.push(id);
    }
    let mut at: Vec<u64> = sim
        .snapshot()
        .log
        .iter()
        .filter(|r| {
            r.lgsp_request_id
                .as_ref()
                .is_some_and(|id| request_ids.contains(id))
        })
        .map(|r| r.at_ms)
        .collect();
    at.sort_unstable();
    assert_eq!(at.len(), 8);
    // The token bucket spaces calls 100 ms apart (a few ms of timer slack).
    let spacing = (1000.0 / PER_SECOND) as u64;
    for pair in at.windows(2) {
        assert!(
            pair[1] - pair[0] + 5 >= spacing,
            "calls {} ms apart: {at:?}",
            pair[1] - pair[0]
        );
    }
    assert!(
        sim.max_in_flight() <= u64::from(IN_FLIGHT),
        "{} calls were in flight at once",
        sim.max_in_flight()
    );
    assert!(
        sim.max_in_flight() >= 2,
        "the delay should make calls overlap"
    );
}

/// A platform that lets a join hand at most 20 keys to a table.
fn few_keys() -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        fn sources(u: &Upstreams) -> Vec<Result<ConnectorSource, String>> {
            vec![Ok(connector_source(Source::DanCu, &u.dan_cu))]
        }
        let config = lgsp_host::Config {
            max_lookup_keys: Some(20),
            ..lgsp_host::Config::default()
        };
        Platform::start_with(2_000, None, config, sources)
    })
}

#[tokio::test]
async fn a_join_with_more_keys_than_allowed_is_refused_before_any_lookup() {
    let platform = few_keys();
    let (ma_xa, residents) = platform
        .world
        .communes_by_population()
        .into_iter()
        .find(|(_, n)| *n > 20)
        .expect("a commune of more than 20 residents");
    let (status, body, id) = query_at(
        platform,
        &format!(
            "SELECT b.ho_ten FROM dan_cu.cong_dan a JOIN dan_cu.cong_dan b USING (so_dinh_danh) \
             WHERE a.ma_xa = '{ma_xa}'"
        ),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "too_many_lookup_keys");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("more than 20 keys in dan_cu.cong_dan")),
        "{body}"
    );
    let calls = platform.upstream.sim().requests_for(&id);
    assert_eq!(
        calls.len(),
        residents.div_ceil(1000),
        "listing only: {calls:?}"
    );
}

/// A platform whose ceiling is three upstream calls per query, with the
/// hostile connector.
fn three_calls() -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        fn sources(u: &Upstreams) -> Vec<Result<ConnectorSource, String>> {
            vec![Ok(lgsp_tests::hostile_source(&u.dan_cu))]
        }
        let config = lgsp_host::Config {
            max_upstream_calls_per_query: Some(3),
            ..lgsp_host::Config::default()
        };
        Platform::start_with(100, None, config, sources)
    })
}

#[tokio::test]
async fn a_connector_that_ignores_the_ceiling_cannot_return_a_partial_answer() {
    let (status, body, _) = query_at(three_calls(), "SELECT n FROM hostile.swallow_http").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "upstream_call_limit", "{body}");
}
