//! Admin routes for grants: every grant between agencies, and the admin's
//! decisions on them (approve with an optional row filter, reject, revoke).

use super::Admin;
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiJson;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::api::grants::{ApproveBody, GrantDoc, GrantsResponse, ReasonBody, parse_status};
use axum::Json;
use axum::extract::State;
use lgsp_access::{Actor, AgencyCode, GrantFilter};
use serde::Deserialize;
use utoipa::IntoParams;

/// Which grants to list; absent parameters do not filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminGrantsQuery {
    /// `requested`, `approved`, `rejected` or `revoked`.
    #[serde(default)]
    pub status: Option<String>,
    /// Grants held by this agency's applications.
    #[serde(default)]
    pub consumer_agency: Option<String>,
    /// Grants on this agency's services.
    #[serde(default)]
    pub provider_agency: Option<String>,
    /// Grants of this application.
    #[serde(default)]
    pub application: Option<String>,
}

fn query_code(name: &str, value: Option<&str>) -> Result<Option<AgencyCode>, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse()
                .map_err(|e| ApiError::bad_parameter(format!("{name} {v:?}: {e}")))
        })
        .transpose()
}

/// Lists grants, newest request first.
#[utoipa::path(get, path = "/v1/admin/grants", params(AdminGrantsQuery),
    security(("admin_session" = [])),
    responses((status = 200, body = GrantsResponse),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn list(
    _admin: Admin,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AdminGrantsQuery>,
) -> Result<Json<GrantsResponse>, ApiError> {
    let filter = GrantFilter {
        consumer_agency: query_code("consumer_agency", q.consumer_agency.as_deref())?,
        provider_agency: query_code("provider_agency", q.provider_agency.as_deref())?,
        application: q.application.filter(|a| !a.is_empty()),
        status: parse_status(q.status.as_deref())?,
        schema: None,
    };
    let grants = state.auth.access().grants(&filter).await?;
    Ok(Json(GrantsResponse {
        grants: grants.into_iter().map(GrantDoc::from).collect(),
    }))
}

/// Approves a requested grant, optionally only for rows matching a SQL
/// condition, checked against the loaded tables it covers.
#[utoipa::path(post, path = "/v1/admin/grants/{id}/approve", request_body = ApproveBody,
    params(("id" = String, Path, description = "Grant id")),
    security(("admin_session" = [])),
    responses((status = 200, body = GrantDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_grant", body = ErrorBody),
        (status = 409, description = "grant_state (already decided)", body = ErrorBody),
        (status = 422, description = "invalid_row_filter", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn approve(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> Result<Json<GrantDoc>, ApiError> {
    crate::api::grants::approve_as(&state, &id, &Actor::Admin(admin.username), body).await
}

/// Rejects a requested grant, with the reason the consumer will read.
#[utoipa::path(post, path = "/v1/admin/grants/{id}/reject", request_body = ReasonBody,
    params(("id" = String, Path, description = "Grant id")),
    security(("admin_session" = [])),
    responses((status = 200, body = GrantDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_grant", body = ErrorBody),
        (status = 409, description = "grant_state (already decided)", body = ErrorBody),
        (status = 422, description = "invalid_grant (blank reason)", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn reject(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<GrantDoc>, ApiError> {
    crate::api::grants::reject_as(&state, &id, &Actor::Admin(admin.username), body).await
}

/// Revokes an approved (or still requested) grant; it stops applying at the
/// consumer's next request.
#[utoipa::path(post, path = "/v1/admin/grants/{id}/revoke", request_body = ReasonBody,
    params(("id" = String, Path, description = "Grant id")),
    security(("admin_session" = [])),
    responses((status = 200, body = GrantDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_grant", body = ErrorBody),
        (status = 409, description = "grant_state (rejected or revoked)", body = ErrorBody),
        (status = 422, description = "invalid_grant (blank reason)", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn revoke(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<GrantDoc>, ApiError> {
    crate::api::grants::revoke_as(&state, &id, &Actor::Admin(admin.username), body).await
}
