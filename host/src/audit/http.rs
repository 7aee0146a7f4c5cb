//! One audit entry per HTTP request, committed before the response's last
//! bytes leave: the layer opens a draft when the request arrives, the parts
//! of the platform that learn something fill it in (the signature layer: who;
//! the data route: purpose, services, tables, columns; the encoder: rows),
//! and the response body is wrapped so that its size and SHA-256 are counted
//! as it streams, and its last chunk is held back until the entry is on disk.
//! A client that received a whole response therefore always has an entry; a
//! failed commit cuts the response short rather than letting it complete
//! unrecorded.

use super::Auditor;
use crate::api::{AppState, RequestId};
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use http_body::{Frame, SizeHint};
use lgsp_audit::{Draft, Kind, Outcome};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Instant;

/// The draft entry of the current request, shared by whatever fills it in.
#[derive(Debug, Clone)]
pub(crate) struct AuditScope(Arc<Mutex<Draft>>);

impl AuditScope {
    /// Changes the draft.
    pub(crate) fn update(&self, f: impl FnOnce(&mut Draft)) {
        let mut draft = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut draft);
    }

    fn take(&self) -> Draft {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The machine code of an error response, set by `ApiError` so the layer
/// records it without parsing the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorCode(pub(crate) &'static str);

/// Paths that are polled (health, metrics, the API description) and carry no
/// one's data: recording them would drown the log.
fn unaudited(path: &str) -> bool {
    matches!(
        path,
        "/v1/health" | "/v1/health/services" | "/v1/openapi.json" | "/metrics"
    ) || path.starts_with("/v1/monitor/")
}

fn kind_of(path: &str) -> Kind {
    if path == "/v1/query" {
        Kind::Data
    } else if path.starts_with("/v1/admin/") {
        Kind::Admin
    } else {
        Kind::Api
    }
}

/// The layer: opens the draft, runs the request, wraps the response body.
pub(crate) async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !state.audit.enabled() || unaudited(&path) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let mut draft = Draft::new(
        Utc::now(),
        kind_of(&path),
        format!("{} {path}", req.method()),
    );
    draft.request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    draft.resource.path = Some(path);
    let scope = AuditScope(Arc::new(Mutex::new(draft)));
    req.extensions_mut().insert(scope.clone());
    let is_head = req.method() == axum::http::Method::HEAD;
    // Until the body wrapper takes over, a guard records the request if the
    // client goes away while the handler runs (hyper then drops this
    // future): the provider's data may already have been read.
    let mut guard = Pending(Some(Finish {
        scope: scope.clone(),
        auditor: state.audit.clone(),
        metrics: state.metrics.clone(),
        started,
    }));
    let response = next.run(req).await;
    let Some(finish) = guard.0.take() else {
        return response;
    };
    let status = response.status().as_u16();
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
    scope.update(|d| {
        d.status = Some(status);
        d.outcome = Outcome::from_status(status);
        if let Some(code) = code {
            d.code = code.to_owned();
        }
    });
    let (parts, body) = response.into_parts();
    let hint = http_body::Body::size_hint(&body);
    // Hyper never polls a body it knows to be empty (HEAD, 204, 304, a zero
    // length), so there is no last chunk to hold back: commit now, before
    // the response goes out.
    let empty = is_head
        || matches!(status, 204 | 304)
        || http_body::Body::is_end_stream(&body)
        || hint.exact() == Some(0);
    if empty {
        let draft = finish.draft(0, hex::encode(Sha256::digest(b"")));
        finish.observe(&draft);
        if let Err(e) = finish.auditor.record(draft).await {
            tracing::error!(error = %e, "audit entry not committed; the response is withheld");
            return crate::api::ApiError::internal(e.to_string()).into_response();
        }
        return Response::from_parts(parts, body);
    }
    Response::from_parts(
        parts,
        Body::new(AuditedBody {
            inner: body,
            hint,
            held: None,
            trailers: None,
            hasher: Sha256::new(),
            bytes: 0,
            finish: Some(finish),
            commit: None,
            failure: None,
        }),
    )
}

/// The request's entry while the handler runs.
struct Pending(Option<Finish>);

impl Drop for Pending {
    fn drop(&mut self) {
        let Some(finish) = self.0.take() else {
            return;
        };
        let mut draft = finish.draft(0, hex::encode(Sha256::digest(b"")));
        draft.outcome = Outcome::Failed;
        "client_disconnected".clone_into(&mut draft.code);
        finish.observe(&draft);
        if tokio::runtime::Handle::try_current().is_ok() {
            finish.auditor.record_event(draft);
        }
    }
}

/// Records the matched route's template as the action (`POST
/// /v1/grants/{id}/approve`), so entries group by operation; the concrete
/// path stays in the resource. Runs inside routing, where the template is
/// known.
pub(crate) async fn mark_route(req: Request, next: Next) -> Response {
    if let (Some(scope), Some(route)) = (
        req.extensions().get::<AuditScope>(),
        req.extensions().get::<MatchedPath>(),
    ) {
        let action = format!("{} {}", req.method(), route.as_str());
        scope.update(|d| d.action = action);
    }
    next.run(req).await
}

struct Finish {
    scope: AuditScope,
    auditor: Arc<Auditor>,
    metrics: Arc<crate::metrics::Metrics>,
    started: Instant,
}

impl Finish {
    fn draft(&self, bytes: u64, sha256: String) -> Draft {
        let mut draft = self.scope.take();
        draft.bytes = bytes;
        draft.response_sha256 = Some(sha256);
        draft.duration_us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        draft
    }

    fn observe(&self, draft: &Draft) {
        self.metrics.observe(draft);
    }
}

type Commit = Pin<Box<dyn Future<Output = Result<u64, lgsp_audit::AuditError>> + Send>>;

struct AuditedBody {
    inner: Body,
    hint: SizeHint,
    /// The latest data frame, sent only once the next one (or the end) is
    /// known, so the end can wait for the commit.
    held: Option<Bytes>,
    /// Trailers come last, so they wait behind the held frame.
    trailers: Option<Frame<Bytes>>,
    hasher: Sha256,
    bytes: u64,
    /// Present until the entry is submitted.
    finish: Option<Finish>,
    commit: Option<Commit>,
    /// The body's own error, passed on after the entry is committed.
    failure: Option<axum::Error>,
}

impl AuditedBody {
    fn submit(&mut self) {
        if let Some(finish) = self.finish.take() {
            let hasher = std::mem::take(&mut self.hasher);
            let mut draft = finish.draft(self.bytes, hex::encode(hasher.finalize()));
            if self.failure.is_some() && draft.outcome == Outcome::Ok {
                // Cut short after the status was sent: the client did not
                // get a whole answer.
                draft.outcome = Outcome::Failed;
                if draft.code == "ok" {
                    "response_incomplete".clone_into(&mut draft.code);
                }
            }
            finish.observe(&draft);
            let auditor = finish.auditor;
            self.commit = Some(Box::pin(async move { auditor.record(draft).await }));
        }
    }
}

impl http_body::Body for AuditedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        loop {
            if let Some(commit) = this.commit.as_mut() {
                let result = ready!(commit.as_mut().poll(cx));
                this.commit = None;
                if let Err(e) = result {
                    this.held = None;
                    this.trailers = None;
                    return Poll::Ready(Some(Err(axum::Error::new(e))));
                }
            }
            if this.finish.is_none() {
                // Committed: release what was held, then the body's own error.
                if let Some(last) = this.held.take() {
                    return Poll::Ready(Some(Ok(Frame::data(last))));
                }
                if let Some(trailers) = this.trailers.take() {
                    return Poll::Ready(Some(Ok(trailers)));
                }
                return Poll::Ready(this.failure.take().map(Err));
            }
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        if data.is_empty() {
                            continue;
                        }
                        this.hasher.update(&data);
                        this.bytes += data.len() as u64;
                        if let Some(previous) = this.held.replace(data) {
                            return Poll::Ready(Some(Ok(Frame::data(previous))));
                        }
                    }
                    Err(trailers) => this.trailers = Some(trailers),
                },
                Some(Err(e)) => {
                    this.failure = Some(e);
                    this.submit();
                }
                None => this.submit(),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finish.is_none()
            && self.commit.is_none()
            && self.held.is_none()
            && self.trailers.is_none()
            && self.failure.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        self.hint
    }
}

impl Drop for AuditedBody {
    /// A client that goes away mid-response still leaves an entry.
    fn drop(&mut self) {
        let runtime = tokio::runtime::Handle::try_current();
        if let (Some(commit), Ok(runtime)) = (self.commit.take(), &runtime) {
            // Submitted but not yet confirmed: finish it anyway.
            runtime.spawn(commit);
        }
        let Some(finish) = self.finish.take() else {
            return;
        };
        let hasher = std::mem::take(&mut self.hasher);
        let mut draft = finish.draft(self.bytes, hex::encode(hasher.finalize()));
        draft.outcome = Outcome::Failed;
        "client_disconnected".clone_into(&mut draft.code);
        finish.observe(&draft);
        if runtime.is_ok() {
            finish.auditor.record_event(draft);
        } else {
            tracing::error!(action = %draft.action, "a response was dropped outside the runtime; its audit entry is lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::collections::VecDeque;

    /// A body that yields the given frames.
    struct Frames(VecDeque<Frame<Bytes>>);

    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = axum::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
    }

    #[tokio::test]
    async fn trailers_wait_behind_the_held_frame_and_the_commit() {
        let dir = std::env::temp_dir().join(format!("lgsp-audit-body-{}", uuid::Uuid::now_v7()));
        let auditor = Auditor::open(
            &dir.join("audit.db"),
            &lgsp_access::MasterKey::generate(),
            super::super::AuditSettings::default(),
        )
        .await
        .expect("auditor");
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x-checksum", http::HeaderValue::from_static("abc"));
        let inner = Frames(VecDeque::from([
            Frame::data(Bytes::from_static(b"first ")),
            Frame::data(Bytes::from_static(b"last")),
            Frame::trailers(trailers),
        ]));
        let scope = AuditScope(Arc::new(Mutex::new(Draft::new(
            Utc::now(),
            Kind::Api,
            "GET /test",
        ))));
        let mut body = AuditedBody {
            inner: Body::new(inner),
            hint: SizeHint::default(),
            held: None,
            trailers: None,
            hasher: Sha256::new(),
            bytes: 0,
            finish: Some(Finish {
                scope,
                auditor: auditor.clone(),
                metrics: Arc::default(),
                started: Instant::now(),
            }),
            commit: None,
            failure: None,
        };
        let mut order = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.expect("frame");
            let committed = auditor
                .log()
                .stats()
                .entries
                .load(std::sync::atomic::Ordering::Relaxed);
            match frame.into_data() {
                Ok(data) => order.push(format!("data {:?} committed={committed}", data)),
                Err(frame) => {
                    assert!(frame.is_trailers());
                    order.push(format!("trailers committed={committed}"));
                }
            }
        }
        assert_eq!(
            order,
            [
                "data b\"first \" committed=0",
                "data b\"last\" committed=1",
                "trailers committed=1",
            ]
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
