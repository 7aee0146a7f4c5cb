//! `POST /v1/query`: SQL in, a streamed result out.

use super::AppState;
use super::caller::{ApiJson, Caller};
use super::encode::{Format, stream_response};
use super::error::{ApiError, ErrorBody};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
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
    params(("x-purpose" = Option<String>, Header, description = "Why the data is needed; recorded with the request")),
    responses(
        (status = 200, description = "The result. JSON: `{\"columns\":[{\"name\",\"type\"}],\"rows\":[{...}],\"row_count\":n}`",
            content(
                (serde_json::Value = "application/json"),
                (String = "application/x-ndjson"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.apache.arrow.stream"),
            )),
        (status = 400, description = "invalid_request, invalid_sql, statement_not_allowed, query_error, missing_key_filter, connector_rejected_request", body = ErrorBody),
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
    ApiJson(request): ApiJson<QueryRequest>,
) -> Result<Response, ApiError> {
    let format = Format::from_headers(&headers)?;
    let mut stream = state
        .query
        .execute(&request.sql, caller.call_context())
        .await?;
    let first = stream.next().await?;
    Ok(stream_response(format, stream, first))
}
