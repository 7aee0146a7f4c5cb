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
    /// Only requests whose path and query contain this text are affected
    /// (lets tests that share an upstream inject faults without disturbing
    /// each other).
    pub uri_contains: Option<String>,
}

/// Counters, log, fault queue and rate limit shared by every route of one upstream.
#[derive(Debug)]
pub struct Sim {
    started: Instant,
    requests: AtomicU64,
    log: Mutex<VecDeque<LoggedRequest>>,
    faults: Mutex<VecDeque<Fault>>,
    rate_limit: Option<Mutex<RateWindow>>,
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
            log: Mutex::new(VecDeque::new()),
            faults: Mutex::new(VecDeque::new()),
            rate_limit: per_second.map(|per_second| {
                Mutex::new(RateWindow {
                    per_second,
                    window: 0,
                    count: 0,
                })
            }),
        }
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

    /// Agency-API requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
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
            log: lock(&self.log).iter().cloned().collect(),
        }
    }

    /// Clears counters, log and pending faults.
    pub fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
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
        });
    }

    fn take_fault(&self, uri: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|f| {
            f.uri_contains
                .as_deref()
                .is_none_or(|needle| uri.contains(needle))
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave them inconsistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Middleware for the agency API: counts and logs, then applies a queued fault.
pub(crate) async fn observe(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let uri = req.uri().to_string();
    sim.record(req.method().as_str(), &uri, req.headers());
    if sim.over_limit() {
        return fault_response(429, Some(1));
    }
    if let Some(fault) = sim.take_fault(&uri) {
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(status) = fault.status {
            return fault_response(status, fault.retry_after);
        }
    }
    next.run(req).await
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
