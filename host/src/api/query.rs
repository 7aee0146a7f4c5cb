//! `POST /v1/query`: SQL in, a streamed result out.

use super::AppState;
use super::caller::Caller;
use super::encode::{Format, audited_stream_response};
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::audit::AuditScope;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use lgsp_audit::{ServiceRef, TableRead};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// A query.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// One read-only SQL statement (`SELECT ...` or `EXPLAIN ...`). Tables are
    /// `<connector>.<table>`, e.g. `dan_cu.cong_dan`.
    #[schema(
        example = "SELECT ho_ten, ngay_sinh FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345'"
    )]
    pub sql: String,
}

/// Runs a read-only SQL query over the connectors' tables.
///
/// The result streams in the format chosen by `Accept`. Errors found before the
/// first row (bad SQL, a missing key filter, an upstream that is down) get their
/// own status; a failure after rows have been sent ends the JSON body with an
/// `error` member, NDJSON with an `{"error": ...}` line, and cuts CSV and Arrow
/// responses short.
#[utoipa::path(
    post,
    path = "/v1/query",
    request_body = QueryRequest,
    params(
        ("x-purpose" = String, Header, description = "Why the data is needed; must match the purpose of one of the caller's grants, and is recorded with the request"),
        ("x-lgsp-session" = String, Header, description = "Session key from POST /v1/auth/sessions"),
        ("Authorization" = String, Header, description = "Signature (docs/authentication.md)"),
    ),
    responses(
        (status = 200, description = "The result. JSON: `{\"columns\":[{\"name\",\"type\"}],\"rows\":[{...}],\"row_count\":n}`",
            content(
                (serde_json::Value = "application/json"),
                (String = "application/x-ndjson"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.apache.arrow.stream"),
            )),
        (status = 400, description = "invalid_request, invalid_sql, statement_not_allowed, query_error, missing_key_filter, connector_rejected_request, purpose_required", body = ErrorBody),
        (status = 401, description = "unsigned_request, malformed_authorization, unsupported_algorithm, algorithm_not_allowed, unknown_access_key, bad_signature, clock_skew, nonce_reused, body_hash_mismatch, missing_signed_header, key_revoked, key_expired, invalid_session, session_expired", body = ErrorBody),
        (status = 403, description = "purpose_not_granted, application_suspended, agency_inactive", body = ErrorBody),
        (status = 429, description = "rate_limited, quota_exceeded (with Retry-After)", body = ErrorBody),
        (status = 404, description = "record_not_found", body = ErrorBody),
        (status = 406, description = "not_acceptable", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "query_too_large", body = ErrorBody),
        (status = 502, description = "upstream_error, connector_error and connector limit breaches", body = ErrorBody),
        (status = 503, description = "upstream_unavailable (with Retry-After), connector_busy, connector_unavailable", body = ErrorBody),
        (status = 504, description = "query_timeout, connector_timeout, upstream_timeout", body = ErrorBody),
    ),
    tag = "query"
)]
pub(crate) async fn query(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    audit: Option<Extension<AuditScope>>,
    ApiJson(request): ApiJson<QueryRequest>,
) -> Result<Response, ApiError> {
    let audit = audit.map(|Extension(scope)| scope);
    let format = Format::from_headers(&headers)?;
    let now = chrono::Utc::now();
    let session = state.auth.check_session(
        headers
            .get(lgsp_auth::SESSION_HEADER)
            .and_then(|v| v.to_str().ok()),
        &caller.identity,
        now,
    )?;
    let snapshot = state.registry.snapshot();
    // The registry says who provides each service (an admin may have set it
    // after the manifest); needed only when the request is audited.
    let registered = match &audit {
        Some(_) => state.auth.providers().await?,
        None => Default::default(),
    };
    let provider_of = |schema: &str| {
        registered.get(schema).cloned().or_else(|| {
            snapshot
                .connectors
                .get(schema)
                .and_then(|c| c.provider().map(str::to_owned))
        })
    };
    // What was asked for, until the plan shows what is read: a refused
    // request is recorded against the services it tried to reach.
    if let Some(scope) = &audit {
        let services = session
            .destinations
            .iter()
            .map(|d| ServiceRef {
                provider: provider_of(d),
                name: d.clone(),
            })
            .collect();
        scope.update(|d| d.resource.services = services);
    }
    // A session without destinations reaches only the shared catalogs, which
    // are public: no grant, so no purpose to match.
    let policy = if session.destinations.is_empty() {
        crate::policy::Policy::default()
    } else {
        state
            .auth
            .policy(
                &caller.identity,
                Some(&caller.purpose),
                Some(&session.destinations),
                &snapshot,
                now,
            )
            .await?
    };
    let mut stream = state
        .query
        .execute(&request.sql, caller.call_context(), Arc::new(policy))
        .await?;
    if let Some(scope) = &audit {
        record_reads(scope, &stream, provider_of);
    }
    let first = stream.next().await?;
    Ok(audited_stream_response(format, stream, first, audit))
}

/// Puts what the plan reads into the audit entry: the services and tables,
/// the columns fetched from each, and the result's columns.
fn record_reads(
    scope: &AuditScope,
    stream: &crate::query::QueryStream,
    provider_of: impl Fn(&str) -> Option<String>,
) {
    let mut services: Vec<ServiceRef> = Vec::new();
    let mut tables = Vec::new();
    for scan in stream.scans() {
        if !services.iter().any(|s| s.name == scan.schema) {
            services.push(ServiceRef {
                name: scan.schema.clone(),
                provider: provider_of(&scan.schema),
            });
        }
        tables.push(TableRead {
            table: format!("{}.{}", scan.schema, scan.table),
            columns: scan.columns.clone(),
        });
    }
    let columns = stream
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    scope.update(|d| {
        // Only the shared catalogs: nothing of a provider's was read.
        d.resource.services = services;
        d.resource.tables = tables;
        d.resource.columns = columns;
    });
}
