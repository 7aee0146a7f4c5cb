//! `POST /v1/auth/sessions` (a signed application opens a session key for the
//! destinations it is granted) and `POST /v1/auth/verify` (a destination system
//! asks the platform whether a caller's session key, and optionally the
//! signature of a request it received, are genuine).

use super::AppState;
use super::caller::Signed;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::auth::{AuthError, SignedRequest, token_time};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A session request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// Schemas (`dan_cu`) or tables (`dan_cu.cong_dan`) the session is for;
    /// each must be covered by a grant in force.
    #[schema(example = json!(["dan_cu"]))]
    pub destinations: Vec<String>,
}

/// An open session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// Send as `x-lgsp-session` (signed) on data requests.
    pub session_token: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// What it covers.
    pub destinations: Vec<String>,
    /// The application it belongs to.
    pub application: String,
    /// Its agency's code.
    pub agency: String,
}

/// Opens a session key for destinations the application is granted.
#[utoipa::path(post, path = "/v1/auth/sessions", request_body = SessionRequest,
    params(("Authorization" = String, Header, description = "Signature (docs/authentication.md)")),
    responses(
        (status = 201, body = SessionResponse),
        (status = 401, description = "signature errors", body = ErrorBody),
        (status = 403, description = "session_destination: unknown or not granted", body = ErrorBody),
    ),
    tag = "auth")]
pub(crate) async fn open_session(
    State(state): State<AppState>,
    Signed(caller): Signed,
    audit: Option<axum::Extension<crate::audit::AuditScope>>,
    ApiJson(request): ApiJson<SessionRequest>,
) -> Result<(StatusCode, Json<SessionResponse>), ApiError> {
    let snapshot = state.registry.snapshot();
    let now = Utc::now();
    let session = state
        .auth
        .open_session(&caller, &request.destinations, &snapshot, now)
        .await?;
    // Connect and disconnect times, for the connection report.
    if let Some(axum::Extension(scope)) = audit {
        let opened = token_time(now.timestamp());
        let expires = token_time(session.claims.expires_at);
        let destinations = session.claims.destinations.join(" ");
        scope.update(|d| {
            d.detail.insert("session_opened_at".into(), opened);
            d.detail.insert("session_expires_at".into(), expires);
            d.detail.insert("destinations".into(), destinations);
        });
    }
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            session_token: session.token,
            expires_at: token_time(session.claims.expires_at),
            destinations: session.claims.destinations,
            application: caller.application.id.clone(),
            agency: caller.agency.code.to_string(),
        }),
    ))
}

/// A request a destination system received, to check its signature.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardedRequest {
    /// HTTP method.
    pub method: String,
    /// Path as received, without the query.
    pub path: String,
    /// Query string as received, without `?`.
    #[serde(default)]
    pub query: Option<String>,
    /// The request's headers (at least Authorization and the signed ones).
    pub headers: BTreeMap<String, String>,
    /// SHA-256 (hex) of the body received; the platform never sees the body.
    pub body_sha256: String,
}

/// What to verify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The session key the caller presented.
    pub session_token: String,
    /// The request it came with, to check its signature too.
    #[serde(default)]
    pub request: Option<ForwardedRequest>,
}

/// The verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    /// Whether the session (and signature, if sent) are genuine and in force.
    pub valid: bool,
    /// When not valid: the machine code (as in docs/authentication.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// When not valid: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The caller's application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    /// The caller's agency code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// The session's destinations that the asking agency provides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<String>>,
    /// When the session ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Whether a request signature was checked too.
    pub signature_checked: bool,
}

impl VerifyResponse {
    fn refused(e: &AuthError, signature_checked: bool) -> Self {
        Self {
            valid: false,
            code: Some(e.code()),
            message: Some(e.to_string()),
            application: None,
            agency: None,
            destinations: None,
            expires_at: None,
            signature_checked,
        }
    }
}

/// Lets a destination system check a caller's session key and signature.
/// Only a provider of one of the session's destinations may ask.
#[utoipa::path(post, path = "/v1/auth/verify", request_body = VerifyRequest,
    params(("Authorization" = String, Header, description = "Signature of the asking (destination) system")),
    responses(
        (status = 200, body = VerifyResponse, description = "The verdict; `valid: false` with a code when refused"),
        (status = 401, description = "the asking system's own signature is wrong", body = ErrorBody),
        (status = 403, description = "forbidden: the asking agency provides none of the session's destinations", body = ErrorBody),
    ),
    tag = "auth")]
pub(crate) async fn verify(
    State(state): State<AppState>,
    Signed(asker): Signed,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let now = Utc::now();
    let claims = match state.auth.read_session(&request.session_token, now) {
        Ok(c) => c,
        // Nothing about the token can be trusted, so nothing is told but why.
        Err(e) => return Ok(Json(VerifyResponse::refused(&e, false))),
    };
    let services = state.auth.access().services().await?;
    let schema_of = |d: &str| d.split_once('.').map_or(d, |(s, _)| s).to_owned();
    let provided: Vec<String> = services
        .iter()
        .filter(|s| s.provider == asker.agency.code)
        .map(|s| s.schema.clone())
        .collect();
    // The asker learns only about its own services among the destinations.
    let mine: Vec<String> = claims
        .destinations
        .iter()
        .filter(|d| provided.contains(&schema_of(d)))
        .cloned()
        .collect();
    if mine.is_empty() {
        return Err(ApiError::forbidden(
            "only the provider of one of the session's destinations may verify it",
        ));
    }
    let signature_checked = request.request.is_some();
    let holder = match claims.key_id.as_deref() {
        Some(key) => state.auth.key_holder(key, now).await,
        None => Err(AuthError::InvalidSession("the session names no key".into())),
    };
    let holder = match holder {
        Ok(h) => h,
        Err(e) => return Ok(Json(VerifyResponse::refused(&e, signature_checked))),
    };
    // A grant revoked since the session opened ends it for the provider too.
    let grants = state.auth.active_grants(&holder, now).await?;
    if !grants.iter().any(|g| provided.contains(&g.schema)) {
        return Ok(Json(VerifyResponse::refused(
            &AuthError::SessionDestination(
                "the caller no longer holds a grant in force for your services".into(),
            ),
            signature_checked,
        )));
    }
    if let Some(forwarded) = &request.request {
        let mut headers = HeaderMap::new();
        for (name, value) in &forwarded.headers {
            let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_str(value),
            ) else {
                return Err(ApiError::invalid_request(format!(
                    "request.headers: {name} is not a valid header"
                )));
            };
            headers.append(name, value);
        }
        // The request must carry the very session being asked about.
        if headers
            .get(lgsp_auth::SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            != Some(request.session_token.as_str())
        {
            return Ok(Json(VerifyResponse::refused(
                &AuthError::InvalidSession(
                    "the request does not carry this session token in x-lgsp-session".into(),
                ),
                true,
            )));
        }
        // The platform never sees the body; the declared hash stands in for
        // it, and must be what the signed header says.
        let declared = headers
            .get(lgsp_auth::CONTENT_SHA256_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !declared.eq_ignore_ascii_case(&forwarded.body_sha256) {
            return Ok(Json(VerifyResponse::refused(
                &AuthError::BodyHashMismatch,
                true,
            )));
        }
        let signed = SignedRequest {
            method: &forwarded.method,
            path: &forwarded.path,
            query: forwarded.query.as_deref(),
            headers: &headers,
            body: &[],
        };
        let result = state
            .auth
            .verify_forwarded(&signed, &forwarded.body_sha256, now)
            .await;
        match result {
            Ok(signer) if signer.access_key == holder.access_key => {}
            Ok(_) => {
                return Ok(Json(VerifyResponse::refused(
                    &AuthError::InvalidSession(
                        "the request was signed with another key than the one that opened the session".into(),
                    ),
                    true,
                )));
            }
            Err(e) => return Ok(Json(VerifyResponse::refused(&e, true))),
        }
    }
    Ok(Json(VerifyResponse {
        valid: true,
        code: None,
        message: None,
        application: Some(holder.application.id.clone()),
        agency: Some(holder.agency.code.to_string()),
        destinations: Some(mine),
        expires_at: Some(token_time(claims.expires_at)),
        signature_checked,
    }))
}
