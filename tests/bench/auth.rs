//! Authentication benchmark. Prints figures, asserts nothing; every figure has
//! a baseline measured in the same process.
//!
//! Run: `cargo bench -p lgsp-tests --bench auth` (after scripts/build-wasm.sh).
//! Options (environment): `LGSP_BENCH_SECONDS` per throughput slice
//! (default 2), `LGSP_BENCH_CONCURRENCY` (default 16).
//!
//! (a) signature verification per request, for each algorithm: parse the
//!     `Authorization` header, build the canonical request, verify — against
//!     hashing the body alone, the least any integrity check costs;
//! (b) the whole check the platform makes (a), plus the registry read, the
//!     replay cache and the rate limit) per request;
//! (c) throughput of a signed point lookup (signature, session, grants,
//!     policy inside SQL) vs the same lookup without any of it (the query
//!     service served as before authentication existed), in alternating
//!     slices of the same run.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::extract::State;
use axum::response::Response;
use lgsp_auth::{Authorization, Credentials, RequestToSign};
use lgsp_host::auth::SignedRequest;
use lgsp_host::policy::Policy;
use lgsp_host::runtime::CallContext;
use lgsp_tests::{Platform, env_or, throughput};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let seconds = env_or("LGSP_BENCH_SECONDS", 2) as u64;
    let concurrency = env_or("LGSP_BENCH_CONCURRENCY", 16);
    let platform = Platform::for_signed_benchmarks();
    verification_cost();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        full_check(&platform).await;
        signed_vs_unsigned(&platform, concurrency, Duration::from_secs(seconds)).await;
    });
}

/// Mean time of `f` over `n` runs, after a warm-up.
fn per_call(n: usize, mut f: impl FnMut(usize)) -> Duration {
    for i in 0..(n / 10).max(1) {
        f(i);
    }
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    t.elapsed() / n as u32
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

const BODY: &[u8] =
    br#"{"sql": "SELECT ho_ten, ngay_sinh FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345'"}"#;

/// Headers and Authorization of one signed query, as a server receives them.
fn signed_headers(creds: &Credentials) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-purpose",
        http::HeaderValue::from_static("Giai quyet thu tuc hanh chinh"),
    );
    headers.insert(
        "x-lgsp-session",
        http::HeaderValue::from_static("lgsp1.abc.def"),
    );
    lgsp_auth::sign_request(
        creds,
        "POST",
        "/v1/query",
        &mut headers,
        BODY,
        chrono::Utc::now(),
        &lgsp_auth::new_nonce(),
    )
    .expect("signs");
    headers
}

fn verification_cost() {
    println!(
        "(a) signature verification per request (parse Authorization, canonical request, verify)"
    );
    let baseline = per_call(200_000, |_| {
        black_box(lgsp_auth::body_sha256_hex(black_box(BODY)));
    });
    println!(
        "    baseline: SHA-256 of the body          {:>9.2} µs",
        us(baseline)
    );
    let rsa_pem = lgsp_auth::vectors::TEST_RSA_PRIVATE_KEY_PEM;
    let cases = [
        (
            Credentials::hmac(
                "LGSPBENCH0000000001",
                "bench-secret-key-0123456789abcdefghijklm",
            ),
            100_000,
        ),
        (
            Credentials::hmac_sha1(
                "LGSPBENCH0000000001",
                "bench-secret-key-0123456789abcdefghijklm",
            ),
            100_000,
        ),
        (
            Credentials::rsa("LGSPBENCH0000000001", rsa_pem).expect("test key"),
            2_000,
        ),
    ];
    for (creds, n) in cases {
        let headers = signed_headers(&creds);
        let verifying = creds.key.verifying_key();
        let value = headers["authorization"].to_str().expect("ascii").to_owned();
        let cost = per_call(n, |_| {
            let auth = Authorization::parse(black_box(&value)).expect("parses");
            let canonical = lgsp_auth::canonical_request(
                auth.algorithm,
                &auth.access_key,
                &RequestToSign {
                    method: "POST",
                    path: "/v1/query",
                    query: None,
                    headers: &headers,
                },
                &auth.signed_headers,
            )
            .expect("canonical");
            lgsp_auth::verify(auth.algorithm, &verifying, &canonical, &auth.signature)
                .expect("verifies");
        });
        println!(
            "    {:<18}                     {:>9.2} µs   ({:.1}x the body hash)",
            creds.algorithm.name(),
            us(cost),
            cost.as_secs_f64() / baseline.as_secs_f64()
        );
    }
    println!();
}

async fn full_check(platform: &Platform) {
    println!(
        "(b) the platform's whole check per request (HMAC-SHA256): (a) + registry read + replay cache + rate limit"
    );
    let consumer = &platform.sample.consumer;
    let creds = Credentials::hmac(consumer.access_key.clone(), &consumer.secret_key);
    let n = 5_000;
    let requests: Vec<http::HeaderMap> = (0..n + n / 10).map(|_| signed_headers(&creds)).collect();
    let auth = &platform.auth;
    for h in requests.iter().take(n / 10) {
        check(auth, h).await;
    }
    let t = Instant::now();
    for h in requests.iter().skip(n / 10) {
        check(auth, h).await;
    }
    let whole = t.elapsed() / n as u32;
    let lookup_started = Instant::now();
    for _ in 0..n {
        black_box(
            auth.access()
                .caller_by_key(&consumer.access_key, chrono::Utc::now())
                .await
                .expect("key"),
        );
    }
    let lookup = lookup_started.elapsed() / n as u32;
    println!(
        "    whole check                             {:>9.2} µs",
        us(whole)
    );
    println!(
        "    of which the registry read (baseline)    {:>9.2} µs   ({:.0}% of the check)\n",
        us(lookup),
        100.0 * lookup.as_secs_f64() / whole.as_secs_f64()
    );
}

async fn check(auth: &lgsp_host::auth::AuthService, headers: &http::HeaderMap) {
    let request = SignedRequest {
        method: "POST",
        path: "/v1/query",
        query: None,
        headers,
        body: BODY,
    };
    auth.authenticate(&request, chrono::Utc::now())
        .await
        .expect("authenticates");
}

/// The query path as it was before authentication: no signature, session,
/// grants or policy; every table in the clear.
async fn unsigned_query(
    State(platform): State<
        Arc<(
            Arc<lgsp_host::query::QueryService>,
            Arc<lgsp_host::runtime::Registry>,
        )>,
    >,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> Response {
    let (query, registry) = &*platform;
    let sql = body["sql"].as_str().unwrap_or_default();
    let ctx = CallContext::request(uuid_like(), "bench", "bench");
    let policy = Arc::new(Policy::unrestricted(&registry.snapshot()));
    let mut stream = query.execute(sql, ctx, policy).await.expect("query");
    let first = stream.next().await.expect("first batch");
    lgsp_host::api::stream_response(lgsp_host::api::Format::Json, stream, first)
}

fn uuid_like() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("bench-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// The point lookup both paths run.
fn lookup_sql(id: &str) -> String {
    format!(
        "SELECT ho_ten, ngay_sinh, gioi_tinh, ma_xa FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"
    )
}

async fn signed_vs_unsigned(platform: &Platform, concurrency: usize, slice: Duration) {
    println!(
        "(c) point lookup throughput, {concurrency} concurrent clients, alternating {slice:?} slices"
    );
    let state = Arc::new((platform.query.clone(), platform.registry.clone()));
    let app = axum::Router::new()
        .route("/v1/query", axum::routing::post(unsigned_query))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let unsigned_url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        // As the server does (see `set_nodelay`).
        let listener = axum::serve::ListenerExt::tap_io(listener, lgsp_host::server::set_nodelay);
        let _ = axum::serve(listener, app).await;
    });
    let ids: Arc<Vec<String>> = Arc::new(
        platform
            .world
            .citizens()
            .iter()
            .step_by(7)
            .take(2_000)
            .map(|c| c.so_dinh_danh.clone())
            .collect(),
    );
    let http = reqwest::Client::new();
    let (mut signed_total, mut unsigned_total) = (0.0, 0.0);
    let slices = 3;
    for _ in 0..slices {
        unsigned_total += throughput(concurrency, slice, &ids, {
            let (http, url) = (http.clone(), unsigned_url.clone());
            move |id| {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    let sql = lookup_sql(&id);
                    let r = http
                        .post(format!("{url}/v1/query"))
                        .json(&serde_json::json!({ "sql": sql }))
                        .send()
                        .await
                        .expect("answers");
                    assert!(r.status().is_success());
                    black_box(r.bytes().await.expect("body"));
                }
            }
        })
        .await;
        signed_total += throughput(concurrency, slice, &ids, {
            let consumer = platform.consumer.clone();
            move |id| {
                let consumer = consumer.clone();
                async move {
                    let sql = lookup_sql(&id);
                    let r = consumer.query(&sql, "application/json").await;
                    assert!(r.status().is_success(), "{}", r.status());
                    black_box(r.bytes().await.expect("body"));
                }
            }
        })
        .await;
    }
    let (signed, unsigned) = (signed_total / slices as f64, unsigned_total / slices as f64);
    println!("    unsigned (baseline)  {unsigned:>9.0} req/s");
    println!("    signed               {signed:>9.0} req/s");
    println!("    ratio signed/unsigned: {:.3}", signed / unsigned);
    println!(
        "    (the signed client also signs each request: ~{:.0} µs of client CPU on the same 2 cores)",
        us(per_call(20_000, |_| {
            black_box(signed_headers(&platform.consumer_credentials()));
        }))
    );
}
