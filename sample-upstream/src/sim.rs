//! What a test or benchmark can see and steer in a simulated upstream: request
//! counters and a request log, and injected faults (errors, rate limits, delays).
//! None of this is visible to connectors, which only see the agency API.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const LOG_CAPACITY: usize = 10_000;

/// One request the upstream received.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query string.
    pub uri: String,
    /// Milliseconds since the upstream started.
    pub at_ms: u64,
    /// The platform request this call serves (`x-lgsp-request-id`), if sent.
    pub lgsp_request_id: Option<String>,
    /// The consumer agency named in `x-lgsp-consumer`, if sent.
    pub lgsp_consumer: Option<String>,
    /// Every `x-lgsp-*` header as received (purpose, date, signature...),
    /// so a test can check the platform's signature as a provider would.
    pub lgsp_headers: Vec<(String, String)>,
}

/// A fault to answer the next matching requests with.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// Status to answer with (e.g. 503, 429); `None` to only delay.
    pub status: Option<u16>,
    /// How many requests to affect.
    pub count: u32,
    /// `Retry-After` seconds to send with the error.
    pub retry_after: Option<u32>,
    /// Delay before answering, in milliseconds.
    pub delay_ms: Option<u64>,
    /// Body to answer with instead of the real answer (e.g. a SOAP fault or
    /// malformed XML); sent with `status`, or 200 when no status is given.
    pub body: Option<String>,
    /// `Content-Type` of `body` (default `text/xml; charset=utf-8`).
    pub content_type: Option<String>,
    /// Only requests whose path and query contain this text are affected
    /// (lets tests that share an upstream inject faults without disturbing
    /// each other).
    pub uri_contains: Option<String>,
    /// Only requests whose body contains this text are affected (for APIs
    /// such as SOAP where every call has the same URI).
    pub body_contains: Option<String>,
    /// Answers `302 Found` with this `Location` (a redirect to elsewhere).
    pub redirect_to: Option<String>,
    /// Answers 200 with a body of this many bytes, generated as it is sent
    /// (an upstream answering gigabytes); how much actually left is
    /// [`Sim::bytes_streamed`].
    pub stream_bytes: Option<u64>,
}

/// Counters, log, fault queue and rate limit shared by every route of one upstream.
#[derive(Debug)]
pub struct Sim {
    started: Instant,
    requests: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    log: Mutex<VecDeque<LoggedRequest>>,
    faults: Mutex<VecDeque<Fault>>,
    rate_limit: Option<Mutex<RateWindow>>,
    streamed: Arc<AtomicU64>,
}

/// A fixed one-second window, as many agency gateways count.
#[derive(Debug)]
struct RateWindow {
    per_second: u32,
    window: u64,
    count: u32,
}

impl Default for Sim {
    fn default() -> Self {
        Self::with_rate_limit(None)
    }
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// Agency-API requests received (faulted ones included).
    pub requests: u64,
    /// The most requests it was ever serving at once.
    pub max_in_flight: u64,
    /// The most recent requests, oldest first.
    pub log: Vec<LoggedRequest>,
}

impl Sim {
    /// A simulator that answers 429 with `Retry-After: 1` beyond
    /// `per_second` agency-API requests in any one-second window.
    pub fn with_rate_limit(per_second: Option<u32>) -> Self {
        Self {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            log: Mutex::new(VecDeque::new()),
            faults: Mutex::new(VecDeque::new()),
            rate_limit: per_second.map(|per_second| {
                Mutex::new(RateWindow {
                    per_second,
                    window: 0,
                    count: 0,
                })
            }),
            streamed: Arc::default(),
        }
    }

    /// Bytes of `stream_bytes` bodies handed to the network so far: what a
    /// reader that stopped early made the upstream send.
    pub fn bytes_streamed(&self) -> u64 {
        self.streamed.load(Ordering::SeqCst)
    }

    /// Whether a request arriving now is over the rate limit.
    fn over_limit(&self) -> bool {
        let Some(limit) = &self.rate_limit else {
            return false;
        };
        let mut w = lock(limit);
        let window = self.started.elapsed().as_secs();
        if window != w.window {
            w.window = window;
            w.count = 0;
        }
        w.count += 1;
        w.count > w.per_second
    }

    /// The most agency-API requests it was ever serving at once (since the
    /// last reset).
    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Agency-API requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The most recent requests (up to the log's capacity).
    pub fn log(&self) -> Vec<LoggedRequest> {
        lock(&self.log).iter().cloned().collect()
    }

    /// The logged requests made on behalf of one platform request.
    pub fn requests_for(&self, lgsp_request_id: &str) -> Vec<LoggedRequest> {
        lock(&self.log)
            .iter()
            .filter(|r| r.lgsp_request_id.as_deref() == Some(lgsp_request_id))
            .cloned()
            .collect()
    }

    /// Counters and the recent request log.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests(),
            max_in_flight: self.max_in_flight(),
            log: lock(&self.log).iter().cloned().collect(),
        }
    }

    /// Clears counters, log and pending faults.
    pub fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
        self.max_in_flight.store(0, Ordering::SeqCst);
        self.streamed.store(0, Ordering::SeqCst);
        lock(&self.log).clear();
        lock(&self.faults).clear();
    }

    /// Queues a fault for the next `fault.count` requests.
    pub fn inject(&self, fault: Fault) {
        lock(&self.faults).push_back(fault);
    }

    fn record(&self, method: &str, uri: &str, headers: &axum::http::HeaderMap) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut log = lock(&self.log);
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(LoggedRequest {
            method: method.to_owned(),
            uri: uri.to_owned(),
            at_ms: self.started.elapsed().as_millis() as u64,
            lgsp_request_id: header("x-lgsp-request-id"),
            lgsp_consumer: header("x-lgsp-consumer"),
            lgsp_headers: headers
                .iter()
                .filter(|(name, _)| name.as_str().starts_with("x-lgsp-"))
                .filter_map(|(name, v)| {
                    Some((name.as_str().to_owned(), v.to_str().ok()?.to_owned()))
                })
                .collect(),
        });
    }

    /// Whether a queued fault needs the request body to decide if it applies.
    fn matches_bodies(&self) -> bool {
        lock(&self.faults).iter().any(|f| f.body_contains.is_some())
    }

    fn take_fault(&self, uri: &str, body: Option<&str>) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|f| {
            f.uri_contains
                .as_deref()
                .is_none_or(|needle| uri.contains(needle))
                && f.body_contains
                    .as_deref()
                    .is_none_or(|needle| body.is_some_and(|b| b.contains(needle)))
        })?;
        let entry = &mut faults[index];
        let fault = entry.clone();
        entry.count = entry.count.saturating_sub(1);
        if entry.count == 0 {
            faults.remove(index);
        }
        Some(fault)
    }
}

/// Counts a request as in flight until its answer is ready.
struct InFlight<'a>(&'a Sim);

impl<'a> InFlight<'a> {
    fn enter(sim: &'a Sim) -> Self {
        let now = sim.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        sim.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(sim)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave them inconsistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Middleware for the agency API: counts and logs, then applies a queued fault.
pub(crate) async fn observe(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let uri = req.uri().to_string();
    sim.record(req.method().as_str(), &uri, req.headers());
    let _in_flight = InFlight::enter(&sim);
    if sim.over_limit() {
        return fault_response(429, Some(1));
    }
    // Bodies are buffered only while a fault needs them, so the usual path
    // keeps streaming.
    let (req, body) = if sim.matches_bodies() {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 16 << 20).await else {
            return fault_response(413, None);
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (
            Request::from_parts(parts, axum::body::Body::from(bytes)),
            Some(text),
        )
    } else {
        (req, None)
    };
    if let Some(fault) = sim.take_fault(&uri, body.as_deref()) {
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(location) = fault.redirect_to {
            return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
        }
        if let Some(total) = fault.stream_bytes {
            return endless_body(total, sim.streamed.clone());
        }
        if let Some(body) = fault.body {
            let status = fault
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            let content_type = fault
                .content_type
                .unwrap_or_else(|| "text/xml; charset=utf-8".to_owned());
            return (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
        }
        if let Some(status) = fault.status {
            return fault_response(status, fault.retry_after);
        }
    }
    next.run(req).await
}

/// A 200 answer of `total` bytes made one chunk at a time as the reader
/// takes them, so that gigabytes cost nothing unless they are read.
fn endless_body(total: u64, streamed: Arc<AtomicU64>) -> Response {
    const CHUNK: usize = 64 << 10;
    let chunk = axum::body::Bytes::from(vec![b'x'; CHUNK]);
    let chunks = futures::stream::unfold(total, move |left| {
        let chunk = chunk.clone();
        let streamed = streamed.clone();
        async move {
            if left == 0 {
                return None;
            }
            let n = usize::try_from(left).map_or(CHUNK, |l| l.min(CHUNK));
            streamed.fetch_add(n as u64, Ordering::SeqCst);
            Some((
                Ok::<_, std::convert::Infallible>(chunk.slice(..n)),
                left - n as u64,
            ))
        }
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

fn fault_response(status: u16, retry_after: Option<u32>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let message = match status {
        StatusCode::TOO_MANY_REQUESTS => "Vượt quá số lượng yêu cầu cho phép",
        StatusCode::SERVICE_UNAVAILABLE => "Hệ thống đang bảo trì",
        _ => "Lỗi hệ thống",
    };
    let body = serde_json::json!({ "maKetQua": "99", "thongDiep": message });
    let mut response = (status, Json(body)).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Routes under `/_sim` for tests and benchmarks.
pub(crate) fn routes(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/_sim/stats", routing::get(stats))
        .route("/_sim/reset", routing::post(reset))
        .route("/_sim/faults", routing::post(inject))
        .with_state(sim)
}

async fn stats(State(sim): State<Arc<Sim>>) -> Json<StatsSnapshot> {
    Json(sim.snapshot())
}

async fn reset(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.reset();
    StatusCode::NO_CONTENT
}

async fn inject(State(sim): State<Arc<Sim>>, Json(fault): Json<Fault>) -> StatusCode {
    sim.inject(fault);
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::Sim;

    #[test]
    fn the_rate_limit_counts_per_second() {
        let sim = Sim::with_rate_limit(Some(3));
        let over: Vec<bool> = (0..5).map(|_| sim.over_limit()).collect();
        assert_eq!(over, [false, false, false, true, true]);
        assert!(!Sim::default().over_limit());
    }
}
