//! Who is calling: the request id every request gets, the signature layer in
//! front of data, session and grant routes, and the [`Caller`] every data route
//! takes (a signed application with a stated purpose), so none can skip them.

use super::AppState;
use super::error::{ApiError, REQUEST_ID};
use crate::audit::AuditScope;
use crate::auth::{self, SignedRequest};
use crate::runtime::CallContext;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// Header carrying the request id on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Header in which a consumer states the purpose of a data request.
pub const PURPOSE_HEADER: &str = "x-purpose";
/// Longest purpose accepted, in characters.
const MAX_PURPOSE_CHARS: usize = 500;

/// The id of the current request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives every request an id (UUIDv7: sortable by time), makes it available to
/// handlers and error bodies, sets `x-request-id`, and logs the outcome.
pub(crate) async fn request_id(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    tracing::info!(request_id = %id, %method, path, status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64, "request");
    response
}

/// The most a signed request's body may hold; the signature covers its hash,
/// so the body is read whole before the handler runs.
pub(crate) const MAX_SIGNED_BODY: usize = 1 << 20;

/// Checks the signature of every request to the routes it wraps (data,
/// sessions, grants) and hands the handler the [`Signed`] application. The
/// body is buffered because its SHA-256 is part of what is signed.
pub(crate) async fn signed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    // A component upload is the one signed body larger than a query.
    let limit = if parts.method == axum::http::Method::POST && parts.uri.path() == "/v1/connectors"
    {
        super::connectors::MAX_PUBLISH_BODY
    } else {
        MAX_SIGNED_BODY
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::payload_too_large(format!(
                "a signed request's body may hold at most {limit} bytes"
            ))
            .into_response();
        }
    };
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let signed = SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &bytes,
    };
    let scope = parts.extensions.get::<AuditScope>().cloned();
    match state.auth.authenticate(&signed, chrono::Utc::now()).await {
        Ok(caller) => {
            tracing::info!(request_id, agency = %caller.agency.code, application = %caller.application.id,
                access_key = %caller.access_key, "signed request");
            if let Some(scope) = &scope {
                scope.update(|d| {
                    d.actor.agency = Some(caller.agency.code.to_string());
                    d.actor.application = Some(caller.application.id.clone());
                    d.actor.key = Some(caller.access_key.clone());
                });
            }
            parts.extensions.insert(Signed(Arc::new(caller)));
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            tracing::warn!(request_id, code = e.code(), method = %parts.method, path = parts.uri.path(), "request refused");
            // The key the request claims, unverified: it tells the auditor
            // whose client is failing (or who is being impersonated).
            let claimed = parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| lgsp_auth::Authorization::parse(v).ok());
            if let (Some(scope), Some(claimed)) = (&scope, claimed) {
                // These come after the signature checked out: the key is
                // the caller's, so the entry names who was refused.
                let verified = matches!(
                    e,
                    auth::AuthError::NonceReused
                        | auth::AuthError::RateLimited { .. }
                        | auth::AuthError::QuotaExceeded { .. }
                );
                let holder = if verified {
                    state
                        .auth
                        .key_holder(&claimed.access_key, chrono::Utc::now())
                        .await
                        .ok()
                } else {
                    None
                };
                scope.update(|d| match holder {
                    Some(caller) => {
                        d.actor.agency = Some(caller.agency.code.to_string());
                        d.actor.application = Some(caller.application.id.clone());
                        d.actor.key = Some(caller.access_key.clone());
                    }
                    None => {
                        d.detail
                            .insert("claimed_access_key".into(), claimed.access_key);
                    }
                });
            }
            ApiError::from(e).into_response()
        }
    }
}

/// The application whose signature the `signed` layer checked.
#[derive(Debug, Clone)]
pub(crate) struct Signed(pub(crate) Arc<auth::Caller>);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Signed>()
            .cloned()
            // A route that takes `Signed` but is not behind the layer is a
            // wiring mistake; refuse rather than serve it unsigned.
            .ok_or_else(|| ApiError::internal("a signed route is not behind the signature layer"))
    }
}

/// The caller of a data route: a signed application with a stated purpose.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The application, its agency and the key that signed.
    pub identity: Arc<auth::Caller>,
    /// The purpose stated in `x-purpose`.
    pub purpose: String,
    /// The request id.
    pub request_id: String,
}

impl Caller {
    /// The context passed to connectors: who asks and why, forwarded
    /// upstream.
    pub fn call_context(&self) -> CallContext {
        CallContext::request(
            self.request_id.clone(),
            self.identity.agency.code.to_string(),
            self.purpose.clone(),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Signed(identity) = Signed::from_request_parts(parts, state).await?;
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let purpose = match parts.headers.get(PURPOSE_HEADER) {
            None => String::new(),
            Some(v) => std::str::from_utf8(v.as_bytes())
                .map_err(|_| {
                    ApiError::invalid_request(format!("{PURPOSE_HEADER} must be UTF-8 text"))
                })?
                .trim()
                .to_owned(),
        };
        if purpose.chars().count() > MAX_PURPOSE_CHARS {
            return Err(ApiError::invalid_request(format!(
                "{PURPOSE_HEADER} is longer than {MAX_PURPOSE_CHARS} characters"
            )));
        }
        if let Some(scope) = parts.extensions.get::<AuditScope>()
            && !purpose.is_empty()
        {
            scope.update(|d| d.purpose = Some(purpose.clone()));
        }
        Ok(Self {
            identity,
            purpose,
            request_id,
        })
    }
}

/// Answers unknown routes with the error envelope.
pub(crate) async fn not_found(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    ApiError::route_not_found(&path).into_response()
}
