//! Usage, reconciliation (đối soát) and connection reports, as JSON or CSV.
//! An agency reads its own (signed routes); admins read any agency's or all
//! (`/v1/admin/reports/...`). All come from the audit log.

use super::AppState;
use super::admin::Admin;
use super::audit::bound;
use super::caller::Signed;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lgsp_audit::report::{self, ReportQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The period and format of a report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// From this time (RFC 3339) or day (`YYYY-MM-DD`, Vietnam time)
    /// [default: 7 days ago].
    #[serde(default)]
    pub from: Option<String>,
    /// Until this time, or through this day [default: now].
    #[serde(default)]
    pub to: Option<String>,
    /// Only this agency (admin routes; an agency always gets its own).
    #[serde(default)]
    pub agency: Option<String>,
    /// `json` (default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
}

/// A report: its period and its rows (see each report's row fields in
/// docs/operations.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    /// `usage`, `reconciliation` or `connections`.
    pub report: String,
    /// Period start (RFC 3339).
    pub from: String,
    /// Period end (RFC 3339, exclusive).
    pub to: String,
    /// The agency it is limited to.
    pub agency: Option<String>,
    /// The rows.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
}

/// The longest period one report request covers.
const MAX_REPORT_DAYS: i64 = 366;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ReportKind {
    /// Per day, agency, role, application and service.
    Usage,
    /// Per day, consumer and provider.
    Reconciliation,
    /// Sessions opened.
    Connections,
}

impl ReportKind {
    fn name(self) -> &'static str {
        match self {
            Self::Usage => "usage",
            Self::Reconciliation => "reconciliation",
            Self::Connections => "connections",
        }
    }
}

/// The rows of `kind` for `q`, as JSON values (their CSV columns in order).
///
/// # Errors
/// When the log cannot be read.
pub(crate) async fn rows(
    pool: &sqlx::SqlitePool,
    kind: ReportKind,
    q: &ReportQuery,
) -> Result<Vec<serde_json::Value>, lgsp_audit::AuditError> {
    fn values<T: Serialize>(rows: Vec<T>) -> Vec<serde_json::Value> {
        rows.into_iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect()
    }
    Ok(match kind {
        ReportKind::Usage => values(report::usage(pool, q).await?),
        ReportKind::Reconciliation => values(report::reconciliation(pool, q).await?),
        ReportKind::Connections => values(report::connections(pool, q).await?),
    })
}

/// Report rows as CSV: one column per field, in the rows' field order; an
/// object field (errors by code) as `code=n` pairs separated by spaces.
pub(crate) fn to_csv(rows: &[serde_json::Value]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = rows
        .first()
        .and_then(|r| r.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    if !header.is_empty() {
        w.write_record(&header)?;
    }
    for row in rows {
        let record: Vec<String> = header
            .iter()
            .map(|k| match row.get(k) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => lgsp_audit::csv_safe(s),
                Some(serde_json::Value::Object(o)) => o
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                Some(other) => other.to_string(),
            })
            .collect();
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

async fn answer(
    state: &AppState,
    kind: ReportKind,
    params: &ReportParams,
    agency: Option<String>,
) -> Result<Response, ApiError> {
    let to = bound("to", params.to.as_deref(), true)?.unwrap_or_else(Utc::now);
    let from = bound("from", params.from.as_deref(), false)?
        .unwrap_or_else(|| to - chrono::Duration::days(7));
    if from >= to {
        return Err(ApiError::bad_parameter("from must be before to"));
    }
    // A report reads every entry of its period; a year is the longest one
    // request may ask for (`lgsp report` on the server has no limit).
    if to - from > chrono::Duration::days(MAX_REPORT_DAYS) {
        return Err(ApiError::bad_parameter(format!(
            "a report covers at most {MAX_REPORT_DAYS} days; ask for several periods"
        )));
    }
    let q = ReportQuery {
        from,
        to,
        agency: agency.clone(),
    };
    let rows = rows(state.audit.pool(), kind, &q)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    match params.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(ReportResponse {
            report: kind.name().into(),
            from: lgsp_audit::time_text(from),
            to: lgsp_audit::time_text(to),
            agency,
            rows,
        })
        .into_response()),
        "csv" => {
            let body = to_csv(&rows).map_err(|e| ApiError::internal(e.to_string()))?;
            let mut response = body.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            Ok(response)
        }
        other => Err(ApiError::bad_parameter(format!(
            "format {other:?}: use json or csv"
        ))),
    }
}

/// A report on the calling agency: `usage` (requests as consumer and as
/// provider per day, application and service, with rows, bytes, errors by
/// code and latency percentiles), `reconciliation` (per day, consumer and
/// provider: counts and a digest of the request ids both sides can compute)
/// or `connections` (sessions opened and their requests).
#[utoipa::path(get, path = "/v1/reports/{report}", params(
        ("report" = String, Path, description = "usage, reconciliation or connections"),
        ReportParams),
    responses((status = 200, description = "The report; `format=csv` gives text/csv with one column per row field",
            content((ReportResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 401, description = "signature errors", body = ErrorBody)),
    tag = "reports")]
pub(crate) async fn agency_report(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(kind): ApiPath<ReportKind>,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    if params.agency.is_some() {
        return Err(ApiError::bad_parameter(
            "agency: an agency reads only its own reports; admins use /v1/admin/reports/...",
        ));
    }
    answer(&state, kind, &params, Some(caller.agency.code.to_string())).await
}

/// A report on any agency, or on all (admins).
#[utoipa::path(get, path = "/v1/admin/reports/{report}", params(
        ("report" = String, Path, description = "usage, reconciliation or connections"),
        ReportParams),
    security(("admin_session" = [])),
    responses((status = 200, description = "The report; `format=csv` gives text/csv with one column per row field",
            content((ReportResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn admin_report(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(kind): ApiPath<ReportKind>,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    let agency = params.agency.clone().filter(|a| !a.is_empty());
    answer(&state, kind, &params, agency).await
}
