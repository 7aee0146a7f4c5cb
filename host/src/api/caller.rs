//! Who is calling: the request id every request gets, and the caller identity a
//! data route requires. Today the caller is anonymous with a stated purpose; the
//! authentication issue replaces [`Caller`]'s extractor with signature checks,
//! and every data route already takes a `Caller`, so none can skip it.

use super::error::{ApiError, REQUEST_ID};
use crate::runtime::CallContext;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
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

/// The caller of a data route.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Agency code of the consumer (`anonymous` until authentication exists).
    pub consumer: String,
    /// The purpose stated in `x-purpose`.
    pub purpose: String,
    /// The request id.
    pub request_id: String,
}

impl Caller {
    /// The context passed to connectors.
    pub fn call_context(&self) -> CallContext {
        CallContext::request(
            self.request_id.clone(),
            self.consumer.clone(),
            self.purpose.clone(),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
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
        Ok(Self {
            consumer: "anonymous".into(),
            purpose,
            request_id,
        })
    }
}

/// `Json<T>` whose rejections use the API's error envelope.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::unsupported_media_type(
                "send the request body as JSON with Content-Type: application/json",
            )),
            Err(JsonRejection::BytesRejection(r))
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::payload_too_large("the request body is too large"))
            }
            Err(e) => Err(ApiError::invalid_request(e.body_text())),
        }
    }
}

/// Answers unknown routes with the error envelope.
pub(crate) async fn not_found(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    ApiError::route_not_found(&path).into_response()
}
