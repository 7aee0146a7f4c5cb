//! Grants between agencies, for signed applications: a consumer requests
//! access to a provider's table or schema for a purpose, the provider approves
//! (optionally with a row filter) or rejects, either side (or an admin) revokes.
//! Admins see and decide every grant through `/v1/admin/grants`.

use super::AppState;
use super::caller::Signed;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::extract::{ApiPath, ApiQuery};
use crate::runtime::{PersonalData, Snapshot};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use lgsp_access::{Actor, Decision, Grant, GrantFilter, GrantRequest, GrantStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A grant as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantDoc {
    /// Grant id.
    pub id: String,
    /// `requested`, `approved`, `rejected` or `revoked`.
    pub status: String,
    /// The consumer application.
    pub consumer_application: String,
    /// The consumer's agency code.
    pub consumer_agency: String,
    /// The provider's agency code (who approves).
    pub provider_agency: String,
    /// The schema.
    pub schema: String,
    /// The table; absent for a whole-schema grant.
    pub table: Option<String>,
    /// Columns asked for; empty means every column that is not sensitive.
    pub columns: Vec<String>,
    /// Identifier columns granted in the clear (others are masked).
    pub clear_columns: Vec<String>,
    /// Rows the consumer may see (SQL condition set by the provider).
    pub row_filter: Option<String>,
    /// The stated purpose; data requests must state it in `x-purpose`.
    pub purpose: String,
    /// First day in force.
    #[schema(value_type = String, format = Date)]
    pub valid_from: NaiveDate,
    /// Last day in force.
    #[schema(value_type = String, format = Date)]
    pub valid_to: NaiveDate,
    /// When it was requested (RFC 3339).
    pub requested_at: String,
    /// When it was decided or revoked.
    pub decided_at: Option<String>,
    /// Who decided (`agency:<code>` or `admin:<name>`).
    pub decided_by: Option<String>,
    /// Why it was rejected or revoked.
    pub reason: Option<String>,
}

impl From<Grant> for GrantDoc {
    fn from(g: Grant) -> Self {
        Self {
            id: g.id,
            status: format!("{:?}", g.status).to_lowercase(),
            consumer_application: g.consumer_app,
            consumer_agency: g.consumer_agency.to_string(),
            provider_agency: g.provider_agency.to_string(),
            schema: g.schema,
            table: g.table,
            columns: g.columns,
            clear_columns: g.clear_columns,
            row_filter: g.row_filter,
            purpose: g.purpose,
            valid_from: g.valid_from,
            valid_to: g.valid_to,
            requested_at: g.requested_at.to_rfc3339(),
            decided_at: g.decided_at.map(|t| t.to_rfc3339()),
            decided_by: g.decided_by,
            reason: g.reason,
        }
    }
}

/// Grants listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantsResponse {
    /// The grants, newest first.
    pub grants: Vec<GrantDoc>,
}

/// A grant request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequestBody {
    /// The provider's schema, e.g. `dan_cu`.
    pub schema: String,
    /// One table; omit for the whole schema.
    #[serde(default)]
    pub table: Option<String>,
    /// Columns needed; empty means every column that is not sensitive.
    /// Sensitive columns (ethnicity, religion, health...) must be named.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Identifier columns needed in the clear (otherwise masked).
    #[serde(default)]
    pub clear_columns: Vec<String>,
    /// Why the data is needed (3–500 characters).
    pub purpose: String,
    /// First day in force.
    #[schema(value_type = String, format = Date)]
    pub valid_from: NaiveDate,
    /// Last day in force.
    #[schema(value_type = String, format = Date)]
    pub valid_to: NaiveDate,
}

/// Approval, with an optional row filter.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// A SQL condition over the table's columns that every row served must
    /// meet, e.g. `ma_tinh_thuong_tru = '01'`.
    #[serde(default)]
    pub row_filter: Option<String>,
}

/// Rejection or revocation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why.
    pub reason: String,
}

/// Which grants to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantsQuery {
    /// `consumer` (grants the caller's agency holds, the default) or
    /// `provider` (grants on its services).
    #[serde(default)]
    pub role: Option<String>,
    /// Only this status.
    #[serde(default)]
    pub status: Option<String>,
}

pub(crate) fn parse_status(s: Option<&str>) -> Result<Option<GrantStatus>, ApiError> {
    Ok(match s {
        None | Some("") => None,
        Some("requested") => Some(GrantStatus::Requested),
        Some("approved") => Some(GrantStatus::Approved),
        Some("rejected") => Some(GrantStatus::Rejected),
        Some("revoked") => Some(GrantStatus::Revoked),
        Some(other) => {
            return Err(ApiError::bad_parameter(format!(
                "status must be requested, approved, rejected or revoked; got {other:?}"
            )));
        }
    })
}

/// Checks a request against what the provider serves: the schema, table and
/// columns exist, and clear columns are identifiers among those asked for.
fn check_request(body: &GrantRequestBody, snapshot: &Snapshot) -> Result<(), ApiError> {
    let bad = |m: String| ApiError::unprocessable("invalid_grant_request", m);
    let connector = snapshot.connectors.get(&body.schema).ok_or_else(|| {
        bad(format!(
            "no service is called {}; see GET /v1/services",
            body.schema
        ))
    })?;
    let info = connector.info();
    let tables: Vec<_> = match &body.table {
        Some(t) => vec![info.table(t).ok_or_else(|| {
            bad(format!(
                "{} has no table {t}; see GET /v1/services",
                body.schema
            ))
        })?],
        None => info.tables.iter().collect(),
    };
    let find = |name: &str| {
        tables
            .iter()
            .find_map(|t| t.columns.iter().find(|c| c.name == name))
    };
    for c in &body.columns {
        if find(c).is_none() {
            return Err(bad(format!("no column {c} in what is asked for")));
        }
    }
    for c in &body.clear_columns {
        match find(c) {
            None => return Err(bad(format!("no column {c} in what is asked for"))),
            Some(col) if col.personal_data != PersonalData::Identifier => {
                return Err(bad(format!(
                    "{c} is not an identifier column; only identifiers are masked, so only they can be asked for in the clear"
                )));
            }
            Some(_) if !body.columns.is_empty() && !body.columns.contains(c) => {
                return Err(bad(format!(
                    "{c} is asked for in the clear but not among columns"
                )));
            }
            Some(_) => {}
        }
    }
    if body.valid_to < body.valid_from {
        return Err(bad("valid_to is before valid_from".into()));
    }
    Ok(())
}

/// Checks a row filter against every table a grant covers.
pub(crate) fn check_row_filter(
    grant: &Grant,
    row_filter: Option<&str>,
    snapshot: &Snapshot,
) -> Result<(), ApiError> {
    let Some(filter) = row_filter else {
        return Ok(());
    };
    let Some(connector) = snapshot.connectors.get(&grant.schema) else {
        return Err(ApiError::unprocessable(
            "invalid_row_filter",
            format!(
                "the service {} is not loaded; its row filter cannot be checked",
                grant.schema
            ),
        ));
    };
    for table in &connector.info().tables {
        if grant.table.as_ref().is_some_and(|t| *t != table.name) {
            continue;
        }
        crate::policy::validate_row_filter(filter, table).map_err(|e| {
            ApiError::unprocessable("invalid_row_filter", format!("{}: {e}", table.name))
        })?;
    }
    Ok(())
}

/// Requests a grant for the calling application.
#[utoipa::path(post, path = "/v1/grants", request_body = GrantRequestBody,
    params(("Authorization" = String, Header, description = "Signature of the consumer application")),
    responses((status = 201, body = GrantDoc), (status = 422, description = "invalid_grant_request", body = ErrorBody)),
    tag = "grants")]
pub(crate) async fn request(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiJson(body): ApiJson<GrantRequestBody>,
) -> Result<(StatusCode, Json<GrantDoc>), ApiError> {
    check_request(&body, &state.registry.snapshot())?;
    let grant = state
        .auth
        .access()
        .request_grant(
            &caller.application.id,
            GrantRequest {
                schema: body.schema,
                table: body.table,
                columns: body.columns,
                clear_columns: body.clear_columns,
                purpose: body.purpose,
                valid_from: body.valid_from,
                valid_to: body.valid_to,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(grant.into())))
}

/// Lists the grants the caller's agency holds (`role=consumer`) or has to
/// decide on (`role=provider`).
#[utoipa::path(get, path = "/v1/grants", params(GrantsQuery,
        ("Authorization" = String, Header, description = "Signature")),
    responses((status = 200, body = GrantsResponse)), tag = "grants")]
pub(crate) async fn list(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(q): ApiQuery<GrantsQuery>,
) -> Result<Json<GrantsResponse>, ApiError> {
    let status = parse_status(q.status.as_deref())?;
    let code = caller.agency.code.clone();
    let filter = match q.role.as_deref() {
        None | Some("consumer") => GrantFilter {
            consumer_agency: Some(code),
            status,
            ..GrantFilter::default()
        },
        Some("provider") => GrantFilter {
            provider_agency: Some(code),
            status,
            ..GrantFilter::default()
        },
        Some(other) => {
            return Err(ApiError::bad_parameter(format!(
                "role must be consumer or provider; got {other:?}"
            )));
        }
    };
    let grants = state.auth.access().grants(&filter).await?;
    Ok(Json(GrantsResponse {
        grants: grants.into_iter().map(GrantDoc::from).collect(),
    }))
}

/// Approves a requested grant: only the provider agency (or an admin).
#[utoipa::path(post, path = "/v1/grants/{id}/approve", request_body = ApproveBody,
    params(("id" = String, Path), ("Authorization" = String, Header, description = "Signature of a provider application")),
    responses((status = 200, body = GrantDoc), (status = 403, description = "not_allowed", body = ErrorBody),
        (status = 422, description = "invalid_row_filter", body = ErrorBody)),
    tag = "grants")]
pub(crate) async fn approve(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> Result<Json<GrantDoc>, ApiError> {
    approve_as(
        &state,
        &id,
        &Actor::Agency(caller.agency.code.clone()),
        body,
    )
    .await
}

/// Approves grant `id` as `actor` (a provider agency or an admin), after
/// checking the row filter against every loaded table the grant covers.
pub(crate) async fn approve_as(
    state: &AppState,
    id: &str,
    actor: &Actor,
    body: ApproveBody,
) -> Result<Json<GrantDoc>, ApiError> {
    let access = state.auth.access();
    let grant = access
        .grant(id)
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_grant", format!("no grant {id}")))?;
    let row_filter = body.row_filter.filter(|f| !f.trim().is_empty());
    check_row_filter(&grant, row_filter.as_deref(), &state.registry.snapshot())?;
    let grant = access
        .decide_grant(id, actor, Decision::Approve { row_filter })
        .await?;
    Ok(Json(grant.into()))
}

/// Rejects a requested grant: only the provider agency (or an admin).
#[utoipa::path(post, path = "/v1/grants/{id}/reject", request_body = ReasonBody,
    params(("id" = String, Path), ("Authorization" = String, Header, description = "Signature of a provider application")),
    responses((status = 200, body = GrantDoc), (status = 403, description = "not_allowed", body = ErrorBody)),
    tag = "grants")]
pub(crate) async fn reject(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<GrantDoc>, ApiError> {
    reject_as(
        &state,
        &id,
        &Actor::Agency(caller.agency.code.clone()),
        body,
    )
    .await
}

/// Rejects grant `id` as `actor`.
pub(crate) async fn reject_as(
    state: &AppState,
    id: &str,
    actor: &Actor,
    body: ReasonBody,
) -> Result<Json<GrantDoc>, ApiError> {
    let decision = Decision::Reject {
        reason: body.reason,
    };
    let grant = state
        .auth
        .access()
        .decide_grant(id, actor, decision)
        .await?;
    Ok(Json(grant.into()))
}

/// Approves a grant again (provider): binds it to the connector version
/// serving now, so it reaches a new major that removed or changed columns
/// it covers (see `GET /v1/notices`, kind `reapproval_needed`).
#[utoipa::path(post, path = "/v1/grants/{id}/reapprove",
    params(("id" = String, Path), ("Authorization" = String, Header, description = "Signature of a provider application")),
    responses((status = 200, body = GrantDoc), (status = 403, description = "not_allowed", body = ErrorBody),
        (status = 409, description = "grant_state (not approved)", body = ErrorBody)),
    tag = "grants")]
pub(crate) async fn reapprove(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<GrantDoc>, ApiError> {
    let grant = state
        .auth
        .access()
        .reapprove_grant(&id, &Actor::Agency(caller.agency.code.clone()))
        .await?;
    if let Some(connectors) = &state.connectors {
        connectors.bind_grant(&grant, chrono::Utc::now()).await?;
    }
    Ok(Json(grant.into()))
}

/// Revokes a grant: the provider, the consumer or an admin. Takes effect on
/// the next request.
#[utoipa::path(post, path = "/v1/grants/{id}/revoke", request_body = ReasonBody,
    params(("id" = String, Path), ("Authorization" = String, Header, description = "Signature")),
    responses((status = 200, body = GrantDoc), (status = 403, description = "not_allowed", body = ErrorBody)),
    tag = "grants")]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<GrantDoc>, ApiError> {
    revoke_as(
        &state,
        &id,
        &Actor::Agency(caller.agency.code.clone()),
        body,
    )
    .await
}

/// Revokes grant `id` as `actor`.
pub(crate) async fn revoke_as(
    state: &AppState,
    id: &str,
    actor: &Actor,
    body: ReasonBody,
) -> Result<Json<GrantDoc>, ApiError> {
    let grant = state
        .auth
        .access()
        .revoke_grant(id, actor, &body.reason)
        .await?;
    Ok(Json(grant.into()))
}
