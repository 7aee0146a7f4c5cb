//! The one JSON error envelope of the API and the table that maps every error to
//! a stable machine code and an HTTP status.

use crate::auth::AuthError;
use crate::catalogs::CatalogError;
use crate::query::QueryError;
use crate::runtime::{ConnectorError, GuestErrorKind};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lgsp_catalogs::Problem;
use serde::Serialize;
use utoipa::ToSchema;

tokio::task_local! {
    /// The id of the request being served, so every error body can carry it.
    pub(crate) static REQUEST_ID: String;
}

/// Who is at fault, in broad terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The request is wrong; fix it and retry.
    InvalidRequest,
    /// The caller is not authenticated, not allowed, or over its limits.
    Access,
    /// A connector or the agency system behind it failed.
    Connector,
    /// The platform failed; report the request id.
    Internal,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `missing_key_filter`.
    pub code: &'static str,
    /// Broad category.
    #[serde(rename = "type")]
    pub kind: ErrorType,
    /// What went wrong and how to fix it, for people.
    pub message: String,
    /// The request id (also in the `x-request-id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// With `invalid_import`: every problem found in the file, each with its
    /// kind, its location (line or JSON path) and a message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<Problem>>,
    /// With `connector_rejected`: every reason the upload was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<String>>,
}

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    kind: ErrorType,
    message: String,
    retry_after: Option<u32>,
    problems: Option<Vec<Problem>>,
    reasons: Option<Vec<String>>,
}

/// Message of every 5xx that must not reveal internals.
const INTERNAL_MESSAGE: &str =
    "the platform failed to complete the request; quote the request id when reporting it";

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        kind: ErrorType,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            kind,
            message: message.into(),
            retry_after: None,
            problems: None,
            reasons: None,
        }
    }

    /// The same error listing `reasons` (`connector_rejected`).
    pub fn with_reasons(mut self, reasons: Vec<String>) -> Self {
        self.reasons = Some(reasons);
        self
    }

    /// `400 invalid_request`: the body or parameters are malformed.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `415 unsupported_media_type`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `406 not_acceptable`.
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `413 payload_too_large`.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `404 route_not_found`.
    pub fn route_not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "route_not_found",
            ErrorType::InvalidRequest,
            format!("no such endpoint: {path}"),
        )
    }

    /// `405 method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            ErrorType::InvalidRequest,
            "this endpoint does not accept that HTTP method",
        )
    }

    /// `400 bad_parameter`: a path or query parameter is malformed; the
    /// message says what form it takes.
    pub fn bad_parameter(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_parameter",
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `403 forbidden`: the caller is authenticated but may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            ErrorType::Access,
            message,
        )
    }

    /// `404 not_found` for a registry object (agency, application, key,
    /// grant).
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code,
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `409` for a registry conflict.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            code,
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `422` for a registry request that breaks a rule (password policy,
    /// malformed agency code...).
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            ErrorType::InvalidRequest,
            message,
        )
    }

    /// `500 internal`; `detail` goes to the log, never to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            ErrorType::Internal,
            INTERNAL_MESSAGE,
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The body, with the current request id.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            kind: self.kind,
            message: self.message.clone(),
            request_id: REQUEST_ID.try_with(Clone::clone).ok(),
            problems: self.problems.clone(),
            reasons: self.reasons.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        response
            .extensions_mut()
            .insert(crate::audit::ErrorCode(self.code));
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // Admin routes take a bearer session; everything else a signature.
            let scheme = if matches!(self.code, "admin_unauthorized" | "bad_login") {
                "Bearer"
            } else {
                "LGSP-HMAC-SHA256"
            };
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let status = match &e {
            AuthError::Store(detail) => return Self::internal(detail),
            AuthError::PurposeRequired => StatusCode::BAD_REQUEST,
            AuthError::ApplicationSuspended
            | AuthError::AgencyInactive(_)
            | AuthError::NotGranted(_)
            | AuthError::PurposeNotGranted(_)
            | AuthError::SessionDestination(_) => StatusCode::FORBIDDEN,
            AuthError::RateLimited { .. } | AuthError::QuotaExceeded { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            _ => StatusCode::UNAUTHORIZED,
        };
        let mut error = Self::new(status, e.code(), ErrorType::Access, e.to_string());
        // Retry-After is whole seconds; round up so a client that waits
        // exactly that long is admitted.
        error.retry_after = e.retry_after().map(|d| {
            u32::try_from(d.as_secs() + u64::from(d.subsec_nanos() > 0))
                .unwrap_or(u32::MAX)
                .max(1)
        });
        error
    }
}

impl From<lgsp_access::AccessError> for ApiError {
    fn from(e: lgsp_access::AccessError) -> Self {
        use lgsp_access::AccessError as E;
        if e.is_internal() {
            return Self::internal(e);
        }
        let code = e.kind();
        let message = e.to_string();
        match e {
            E::NotAllowed(_) => Self::new(StatusCode::FORBIDDEN, code, ErrorType::Access, message),
            E::UnknownAgency(_)
            | E::UnknownParent(_)
            | E::UnknownApplication(_)
            | E::UnknownKey(_)
            | E::UnknownService(_)
            | E::UnknownGrant(_)
            | E::UnknownAdmin(_) => Self::not_found(code, message),
            E::CodeInUse(_)
            | E::CodeRetired(_)
            | E::AgencyDissolved(_)
            | E::AgencyNotActive { .. }
            | E::ApplicationSuspended(_)
            | E::KeyRevoked(_)
            | E::KeyReplaced { .. }
            | E::GrantState { .. }
            | E::AdminExists(_) => Self::conflict(code, message),
            _ => Self::unprocessable(code, message),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        use ErrorType::InvalidRequest as Req;
        let message = e.to_string();
        let (status, code) = match e {
            CatalogError::UnknownCatalog(_) => (StatusCode::NOT_FOUND, "unknown_catalog"),
            CatalogError::UnknownVersion { .. } => (StatusCode::NOT_FOUND, "unknown_version"),
            CatalogError::UnknownItem { .. } => (StatusCode::NOT_FOUND, "unknown_item"),
            CatalogError::NoVersionOn { .. } => (StatusCode::NOT_FOUND, "no_version_on_date"),
            CatalogError::Conflict(_) => (StatusCode::CONFLICT, "catalog_conflict"),
            CatalogError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_parameter"),
            CatalogError::Invalid(problems) => {
                let mut err = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_import",
                    Req,
                    message,
                );
                err.problems = Some(problems);
                return err;
            }
            // Paths and SQL text stay in the log.
            CatalogError::Open(_) | CatalogError::Corrupt(_) | CatalogError::Database(_) => {
                return Self::internal(message);
            }
        };
        Self::new(status, code, Req, message)
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        use ErrorType::InvalidRequest as Req;
        let (status, code) = match e {
            QueryError::InvalidSql(_) => (StatusCode::BAD_REQUEST, "invalid_sql"),
            QueryError::NotAllowed(_) => (StatusCode::BAD_REQUEST, "statement_not_allowed"),
            QueryError::Invalid(_) => (StatusCode::BAD_REQUEST, "query_error"),
            QueryError::MissingKeyFilter(_) => (StatusCode::BAD_REQUEST, "missing_key_filter"),
            QueryError::TooManyKeys(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "too_many_lookup_keys")
            }
            QueryError::ResourcesExhausted { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "query_too_large")
            }
            QueryError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "query_timeout"),
            QueryError::Connector(c) => return c.into(),
            QueryError::Internal(detail) => return Self::internal(detail),
        };
        Self::new(status, code, Req, e.to_string())
    }
}

impl From<crate::publish::PublishError> for ApiError {
    fn from(e: crate::publish::PublishError) -> Self {
        use crate::publish::PublishError as P;
        let message = e.to_string();
        match e {
            P::Rejected { problems, .. } => {
                Self::unprocessable("connector_rejected", message).with_reasons(problems)
            }
            P::VersionExists { .. } => Self::conflict("version_exists", message),
            P::NotFound(_) => Self::not_found("unknown_connector", message),
            P::NotAllowed(_) => Self::forbidden(message),
            P::Conflict(_) => Self::conflict("connector_state", message),
            P::Invalid(_) => Self::unprocessable("invalid_connector_request", message),
            P::Access(a) => a.into(),
            P::Database(_) | P::Migrate(_) | P::Corrupt(_) => Self::internal(message),
        }
    }
}

impl From<ConnectorError> for ApiError {
    fn from(e: ConnectorError) -> Self {
        use ErrorType::{Connector as Conn, InvalidRequest as Req};
        let message = e.to_string();
        let (status, code, kind) = match &e {
            ConnectorError::Timeout { .. } => {
                (StatusCode::GATEWAY_TIMEOUT, "connector_timeout", Conn)
            }
            ConnectorError::MemoryLimit { .. } => {
                (StatusCode::BAD_GATEWAY, "connector_memory_limit", Conn)
            }
            ConnectorError::OutputLimit { .. } => {
                (StatusCode::BAD_GATEWAY, "connector_output_limit", Conn)
            }
            ConnectorError::StackOverflow { .. } => {
                (StatusCode::BAD_GATEWAY, "connector_stack_overflow", Conn)
            }
            ConnectorError::NetworkDenied { .. } => {
                (StatusCode::BAD_GATEWAY, "connector_network_denied", Conn)
            }
            ConnectorError::UpstreamResponseTooLarge { .. } => {
                (StatusCode::BAD_GATEWAY, "upstream_response_too_large", Conn)
            }
            ConnectorError::UpstreamCallLimit { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "upstream_call_limit", Req)
            }
            ConnectorError::UpstreamThrottled { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "upstream_throttled", Conn)
            }
            ConnectorError::BadOutput { .. } => {
                (StatusCode::BAD_GATEWAY, "connector_bad_output", Conn)
            }
            ConnectorError::Busy { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "connector_busy", Conn)
            }
            ConnectorError::Unavailable { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "connector_unavailable",
                Conn,
            ),
            ConnectorError::Suspended { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "connector_suspended", Conn)
            }
            ConnectorError::Crashed {
                connector,
                reason,
                detail,
            } => {
                // The panic message may hold data; it stays in the log.
                tracing::warn!(
                    connector,
                    reason,
                    detail = detail.as_deref().unwrap_or(""),
                    "connector crashed"
                );
                (StatusCode::BAD_GATEWAY, "connector_crashed", Conn)
            }
            ConnectorError::Internal { .. } => return Self::internal(message),
            ConnectorError::Guest {
                connector,
                kind,
                message: guest_message,
                retry_after,
            } => {
                let (status, code, category) = match kind {
                    GuestErrorKind::BadRequest => {
                        (StatusCode::BAD_REQUEST, "connector_rejected_request", Req)
                    }
                    GuestErrorKind::NotFound => (StatusCode::NOT_FOUND, "record_not_found", Req),
                    GuestErrorKind::UpstreamUnavailable => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "upstream_unavailable",
                        Conn,
                    ),
                    GuestErrorKind::UpstreamError => {
                        (StatusCode::BAD_GATEWAY, "upstream_error", Conn)
                    }
                    GuestErrorKind::Timeout => {
                        (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout", Conn)
                    }
                    GuestErrorKind::Internal => {
                        tracing::warn!(
                            connector,
                            message = guest_message,
                            "connector reported an internal error"
                        );
                        let mut err = Self::new(
                            StatusCode::BAD_GATEWAY,
                            "connector_error",
                            Conn,
                            format!(
                                "connector {connector} failed; quote the request id when reporting it"
                            ),
                        );
                        err.retry_after = None;
                        return err;
                    }
                };
                let mut err = Self::new(
                    status,
                    code,
                    category,
                    format!("{connector}: {guest_message}"),
                );
                err.retry_after = *retry_after;
                return err;
            }
        };
        Self::new(status, code, kind, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::MissingKeyFilter;
    use std::time::Duration;

    fn json(e: ApiError) -> (u16, serde_json::Value) {
        let status = e.status().as_u16();
        (
            status,
            serde_json::to_value(e.body()).expect("serializable"),
        )
    }

    fn conn(connector: &str) -> String {
        connector.to_owned()
    }

    /// Asserts one row of a code table: the exact status and body.
    fn assert_answer(error: ApiError, status: u16, code: &str, kind: &str, message: &str) {
        let (s, body) = json(error);
        assert_eq!(
            body,
            serde_json::json!({ "code": code, "type": kind, "message": message }),
            "{code}"
        );
        assert_eq!(s, status, "{code}");
    }

    /// One row per code: the error, then the exact status and body expected.
    #[test]
    fn every_code_has_its_status_and_body() {
        let guest = |kind, message: &str, retry| ConnectorError::Guest {
            connector: conn("dan_cu"),
            kind,
            message: message.into(),
            retry_after: retry,
        };
        let cases: Vec<(ApiError, u16, &str, &str, &str)> = vec![
            (
                ApiError::invalid_request("body is not JSON"),
                400,
                "invalid_request",
                "invalid_request",
                "body is not JSON",
            ),
            (
                ApiError::unsupported_media_type("send JSON"),
                415,
                "unsupported_media_type",
                "invalid_request",
                "send JSON",
            ),
            (
                ApiError::not_acceptable("no format"),
                406,
                "not_acceptable",
                "invalid_request",
                "no format",
            ),
            (
                ApiError::payload_too_large("too big"),
                413,
                "payload_too_large",
                "invalid_request",
                "too big",
            ),
            (
                ApiError::route_not_found("/x"),
                404,
                "route_not_found",
                "invalid_request",
                "no such endpoint: /x",
            ),
            (
                ApiError::method_not_allowed(),
                405,
                "method_not_allowed",
                "invalid_request",
                "this endpoint does not accept that HTTP method",
            ),
            (
                ApiError::internal("disk on fire"),
                500,
                "internal",
                "internal",
                INTERNAL_MESSAGE,
            ),
            (
                QueryError::InvalidSql("bad".into()).into(),
                400,
                "invalid_sql",
                "invalid_request",
                "bad",
            ),
            (
                QueryError::NotAllowed("INSERT".into()).into(),
                400,
                "statement_not_allowed",
                "invalid_request",
                "only SELECT and EXPLAIN are allowed; INSERT statements are rejected",
            ),
            (
                QueryError::Invalid("table 'x' not found".into()).into(),
                400,
                "query_error",
                "invalid_request",
                "table 'x' not found",
            ),
            (
                QueryError::MissingKeyFilter(MissingKeyFilter {
                    schema: "dan_cu".into(),
                    table: "cong_dan".into(),
                    needs: "ma_xa (=)".into(),
                })
                .into(),
                400,
                "missing_key_filter",
                "invalid_request",
                "dan_cu.cong_dan cannot be scanned without a key filter: add ma_xa (=) to the WHERE clause",
            ),
            (
                QueryError::ResourcesExhausted { limit_mib: 256 }.into(),
                422,
                "query_too_large",
                "invalid_request",
                "the query needs more memory than the 256 MiB allowed; narrow it or add a LIMIT",
            ),
            (
                QueryError::Timeout(Duration::from_secs(30)).into(),
                504,
                "query_timeout",
                "invalid_request",
                "the query did not finish within 30 s",
            ),
            (
                QueryError::Internal("oops".into()).into(),
                500,
                "internal",
                "internal",
                INTERNAL_MESSAGE,
            ),
            (
                ConnectorError::Timeout {
                    connector: conn("h"),
                    limit_ms: 500,
                }
                .into(),
                504,
                "connector_timeout",
                "connector",
                "connector h did not finish within its 500 ms deadline",
            ),
            (
                ConnectorError::MemoryLimit {
                    connector: conn("h"),
                    limit_mib: 16,
                }
                .into(),
                502,
                "connector_memory_limit",
                "connector",
                "connector h exceeded its memory limit of 16 MiB",
            ),
            (
                ConnectorError::OutputLimit {
                    connector: conn("h"),
                    limit_mib: 4,
                }
                .into(),
                502,
                "connector_output_limit",
                "connector",
                "connector h returned more than its output cap of 4 MiB",
            ),
            (
                ConnectorError::StackOverflow {
                    connector: conn("h"),
                }
                .into(),
                502,
                "connector_stack_overflow",
                "connector",
                "connector h ran out of stack (unbounded recursion)",
            ),
            (
                ConnectorError::UpstreamThrottled {
                    connector: conn("bhxh"),
                    reason:
                        "every call the agency allows at once stayed busy until the call deadline"
                            .into(),
                }
                .into(),
                503,
                "upstream_throttled",
                "connector",
                "calls to the upstream of bhxh are held to the limits its agency set, and this one could not go out in time (every call the agency allows at once stayed busy until the call deadline); try again shortly",
            ),
            (
                ConnectorError::UpstreamCallLimit {
                    connector: conn("bhxh"),
                    limit: 50,
                }
                .into(),
                422,
                "upstream_call_limit",
                "invalid_request",
                "the query needs more than 50 calls to the upstream of bhxh, the ceiling for one query; narrow it (fewer keys, a smaller area) or split it",
            ),
            (
                ConnectorError::NetworkDenied {
                    connector: conn("h"),
                    target: "10.0.0.1:80".into(),
                    reason: "it is not allowed".into(),
                }
                .into(),
                502,
                "connector_network_denied",
                "connector",
                "connector h tried to reach 10.0.0.1:80: it is not allowed",
            ),
            (
                ConnectorError::UpstreamResponseTooLarge {
                    connector: conn("h"),
                    target: "10.0.0.1:80".into(),
                    limit_bytes: 64 << 20,
                }
                .into(),
                502,
                "upstream_response_too_large",
                "connector",
                "the upstream 10.0.0.1:80 of connector h answered more than the response cap of 64 MiB; the platform stopped reading there",
            ),
            (
                ConnectorError::Crashed {
                    connector: conn("h"),
                    reason: "panic".into(),
                    detail: Some("secret 001085012345".into()),
                }
                .into(),
                502,
                "connector_crashed",
                "connector",
                "connector h crashed (panic)",
            ),
            (
                ConnectorError::BadOutput {
                    connector: conn("h"),
                    reason: "wrong type".into(),
                }
                .into(),
                502,
                "connector_bad_output",
                "connector",
                "connector h sent an invalid batch: wrong type",
            ),
            (
                ConnectorError::Busy {
                    connector: conn("h"),
                }
                .into(),
                503,
                "connector_busy",
                "connector",
                "connector h is busy: every sandbox slot is in use, try again shortly",
            ),
            (
                ConnectorError::Unavailable {
                    connector: conn("h"),
                    reason: "not loaded".into(),
                }
                .into(),
                503,
                "connector_unavailable",
                "connector",
                "connector h is not available: not loaded",
            ),
            (
                ConnectorError::Internal {
                    connector: conn("h"),
                    message: "linker".into(),
                }
                .into(),
                500,
                "internal",
                "internal",
                INTERNAL_MESSAGE,
            ),
            (
                guest(
                    GuestErrorKind::BadRequest,
                    "so_dinh_danh is not valid",
                    None,
                )
                .into(),
                400,
                "connector_rejected_request",
                "invalid_request",
                "dan_cu: so_dinh_danh is not valid",
            ),
            (
                guest(GuestErrorKind::NotFound, "no such parcel", None).into(),
                404,
                "record_not_found",
                "invalid_request",
                "dan_cu: no such parcel",
            ),
            (
                guest(GuestErrorKind::UpstreamUnavailable, "HTTP 503", Some(7)).into(),
                503,
                "upstream_unavailable",
                "connector",
                "dan_cu: HTTP 503",
            ),
            (
                guest(GuestErrorKind::UpstreamError, "HTTP 500", None).into(),
                502,
                "upstream_error",
                "connector",
                "dan_cu: HTTP 500",
            ),
            (
                guest(GuestErrorKind::Timeout, "slow", None).into(),
                504,
                "upstream_timeout",
                "connector",
                "dan_cu: slow",
            ),
            (
                guest(
                    GuestErrorKind::Internal,
                    "index out of bounds at src/x.rs",
                    None,
                )
                .into(),
                502,
                "connector_error",
                "connector",
                "connector dan_cu failed; quote the request id when reporting it",
            ),
        ];
        for (error, status, code, kind, message) in cases {
            assert_answer(error, status, code, kind, message);
        }
    }

    /// The catalog codes, one row each, like the table above.
    #[test]
    fn access_codes_have_their_status_and_body() {
        let cases: Vec<(ApiError, u16, &str, &str)> = vec![
            (
                AuthError::AdminUnauthorized("log in with POST /v1/admin/login".into()).into(),
                401,
                "admin_unauthorized",
                "log in with POST /v1/admin/login",
            ),
            (
                AuthError::NonceReused.into(),
                401,
                "nonce_reused",
                "this nonce was already used: every request needs a fresh x-lgsp-nonce (a replayed request is refused)",
            ),
            (
                AuthError::PurposeNotGranted("no grant has that purpose".into()).into(),
                403,
                "purpose_not_granted",
                "no grant has that purpose",
            ),
            (
                AuthError::PurposeRequired.into(),
                400,
                "purpose_required",
                "state the purpose of the request in the x-purpose header (it must match the purpose of one of your grants)",
            ),
        ];
        for (e, status, code, message) in cases {
            assert_answer(e, status, code, "access", message);
        }
        let limited: ApiError = AuthError::RateLimited {
            limit: 1000,
            retry_after: std::time::Duration::from_millis(1500),
        }
        .into();
        let response = limited.into_response();
        assert_eq!(response.status(), 429);
        // Rounded up, so a client that waits that long is admitted.
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }

    #[test]
    fn every_catalog_code_has_its_status_and_body() {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 6, 1).expect("date");
        let cases: Vec<(ApiError, u16, &str, &str)> = vec![
            (
                CatalogError::UnknownCatalog("x".into()).into(),
                404,
                "unknown_catalog",
                "there is no catalog \"x\"; GET /v1/catalogs lists them",
            ),
            (
                CatalogError::UnknownVersion {
                    catalog: "dvhc_tinh".into(),
                    version: "v9".into(),
                }
                .into(),
                404,
                "unknown_version",
                "catalog dvhc_tinh has no version \"v9\"",
            ),
            (
                CatalogError::UnknownItem {
                    catalog: "dvhc_tinh".into(),
                    version: "2025-07-01".into(),
                    code: "02".into(),
                }
                .into(),
                404,
                "unknown_item",
                "catalog dvhc_tinh has no item \"02\" in version 2025-07-01",
            ),
            (
                CatalogError::NoVersionOn {
                    catalog: "dvhc_xa".into(),
                    day,
                }
                .into(),
                404,
                "no_version_on_date",
                "catalog dvhc_xa has no published version valid on 2024-06-01",
            ),
            (
                CatalogError::Conflict("catalog x already exists".into()).into(),
                409,
                "catalog_conflict",
                "catalog x already exists",
            ),
            (
                CatalogError::BadRequest("version label \"a b\" is bad".into()).into(),
                400,
                "bad_parameter",
                "version label \"a b\" is bad",
            ),
            (
                ApiError::bad_parameter("as_of must be YYYY-MM-DD"),
                400,
                "bad_parameter",
                "as_of must be YYYY-MM-DD",
            ),
            (
                CatalogError::Open("/secret/path/lgsp.db: permission denied".into()).into(),
                500,
                "internal",
                INTERNAL_MESSAGE,
            ),
            (
                CatalogError::Corrupt("bad date in row 7".into()).into(),
                500,
                "internal",
                INTERNAL_MESSAGE,
            ),
            (
                CatalogError::Database(sqlx::Error::PoolTimedOut).into(),
                500,
                "internal",
                INTERNAL_MESSAGE,
            ),
        ];
        for (error, status, code, message) in cases {
            let kind = if status == 500 {
                "internal"
            } else {
                "invalid_request"
            };
            assert_answer(error, status, code, kind, message);
        }
    }

    #[test]
    fn invalid_import_lists_every_problem() {
        use lgsp_catalogs::{Location, ProblemKind};
        let e: ApiError = CatalogError::Invalid(vec![
            Problem::at(
                ProblemKind::DuplicateCode,
                Location::Line(3),
                "code 01 appears again",
            ),
            Problem::whole(ProblemKind::OverlappingValidity, "overlaps 2025-07-01"),
        ])
        .into();
        let (status, body) = json(e);
        assert_eq!(status, 422);
        assert_eq!(
            body,
            serde_json::json!({
                "code": "invalid_import",
                "type": "invalid_request",
                "message": "the import was rejected with 2 problem(s); nothing was written",
                "problems": [
                    {"kind": "duplicate_code", "at": {"line": 3}, "message": "code 01 appears again"},
                    {"kind": "overlapping_validity", "message": "overlaps 2025-07-01"},
                ],
            })
        );
    }

    #[test]
    fn unauthorized_names_the_scheme() {
        let response = ApiError::from(AuthError::Unsigned).into_response();
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "LGSP-HMAC-SHA256"
        );
        let response = ApiError::from(AuthError::AdminUnauthorized("x".into())).into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn retry_after_header_is_forwarded() {
        let e: ApiError = ConnectorError::Guest {
            connector: conn("dan_cu"),
            kind: GuestErrorKind::UpstreamUnavailable,
            message: "rate limited".into(),
            retry_after: Some(7),
        }
        .into();
        let response = e.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
