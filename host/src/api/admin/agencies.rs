//! Admin routes for agencies (QĐ 20/2020 codes): register, list, show with
//! history, rename, merge, split, suspend and reactivate.

use super::{Admin, rfc3339};
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiJson;
use crate::api::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use lgsp_access::{AccessError, Agency, AgencyChange, AgencyCode, AgencyEvent, AgencyStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An agency as the admin API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyDoc {
    /// Its QĐ 20/2020 code, e.g. `000.00.00.H49`.
    pub code: String,
    /// Its current name.
    pub name: String,
    /// The agency it reports to, if registered.
    pub parent: Option<String>,
    /// `active`, `suspended` or `dissolved` (merged or split; final).
    pub status: String,
    /// Administrative level: 1 (ministry, province) to 4.
    pub level: u8,
    /// When it was registered (RFC 3339).
    pub created_at: String,
}

impl From<Agency> for AgencyDoc {
    fn from(a: Agency) -> Self {
        Self {
            level: a.code.level(),
            code: a.code.to_string(),
            name: a.name,
            parent: a.parent.map(|p| p.to_string()),
            status: a.status.as_str().to_owned(),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// One recorded change of an agency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyEventDoc {
    /// `created`, `renamed`, `merged_into`, `split_into`, `absorbed`,
    /// `split_from`, `suspended` or `reactivated`.
    pub change: String,
    /// With `renamed`: the name before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_name: Option<String>,
    /// With `renamed`: the name after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
    /// The other agencies involved: the one merged into (`merged_into`), those
    /// split into (`split_into`), those absorbed (`absorbed`), the one split
    /// from (`split_from`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agencies: Vec<String>,
    /// The date the change takes effect legally.
    #[schema(value_type = String, format = Date)]
    pub effective: NaiveDate,
    /// When the registry recorded it (RFC 3339).
    pub recorded_at: String,
    /// Free text recorded with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn codes(list: &[AgencyCode]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

impl From<AgencyEvent> for AgencyEventDoc {
    fn from(e: AgencyEvent) -> Self {
        let (change, old_name, new_name, agencies) = match e.change {
            AgencyChange::Created => ("created", None, None, Vec::new()),
            AgencyChange::Renamed { from, to } => ("renamed", Some(from), Some(to), Vec::new()),
            AgencyChange::MergedInto(into) => ("merged_into", None, None, vec![into.to_string()]),
            AgencyChange::SplitInto(into) => ("split_into", None, None, codes(&into)),
            AgencyChange::Absorbed(from) => ("absorbed", None, None, codes(&from)),
            AgencyChange::SplitFrom(from) => ("split_from", None, None, vec![from.to_string()]),
            AgencyChange::Suspended => ("suspended", None, None, Vec::new()),
            AgencyChange::Reactivated => ("reactivated", None, None, Vec::new()),
        };
        Self {
            change: change.to_owned(),
            old_name,
            new_name,
            agencies,
            effective: e.effective,
            recorded_at: rfc3339(e.recorded_at),
            note: e.note,
        }
    }
}

/// An agency and everything recorded about it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyDetail {
    /// The agency.
    pub agency: AgencyDoc,
    /// Its changes, in the order they were recorded.
    pub history: Vec<AgencyEventDoc>,
}

/// Agencies listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgenciesResponse {
    /// Every agency, dissolved ones included, by code.
    pub agencies: Vec<AgencyDoc>,
}

/// A new agency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgencyBody {
    /// Its QĐ 20/2020 code; never used before (codes of dissolved agencies
    /// are never reused).
    #[schema(example = "000.00.00.H49")]
    pub code: String,
    /// Its name (1 to 300 characters).
    #[schema(example = "UBND tỉnh Quảng Ninh")]
    pub name: String,
    /// The code of the agency it reports to, which must be registered.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A rename.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    /// The new name.
    pub name: String,
    /// The date the new name takes effect (e.g. the decision's date).
    #[schema(value_type = String, format = Date)]
    pub effective: NaiveDate,
}

/// A split: the agency is dissolved and its duties go to `into`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBody {
    /// At least two registered agencies (register new ones first).
    pub into: Vec<String>,
    /// The date the split takes effect.
    #[schema(value_type = String, format = Date)]
    pub effective: NaiveDate,
}

/// A merge: each of `from` is dissolved into `into`, which keeps its code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The agencies merged (dissolved).
    pub from: Vec<String>,
    /// The agency that absorbs them.
    pub into: String,
    /// The date the merge takes effect.
    #[schema(value_type = String, format = Date)]
    pub effective: NaiveDate,
}

/// A status an admin may set (agencies are dissolved only by merge or split).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettableAgencyStatus {
    /// May act again.
    Active,
    /// Barred until reactivated: its keys stop working at the next request.
    Suspended,
}

impl From<SettableAgencyStatus> for AgencyStatus {
    fn from(s: SettableAgencyStatus) -> Self {
        match s {
            SettableAgencyStatus::Active => AgencyStatus::Active,
            SettableAgencyStatus::Suspended => AgencyStatus::Suspended,
        }
    }
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyStatusBody {
    /// `active` or `suspended`.
    pub status: SettableAgencyStatus,
}

/// An agency code from a path segment: malformed is `400 bad_parameter`.
fn path_code(s: &str) -> Result<AgencyCode, ApiError> {
    s.parse()
        .map_err(|e| ApiError::bad_parameter(format!("agency code {s:?} in the path: {e}")))
}

/// An agency code from a request body field: malformed is
/// `422 invalid_agency_code`, naming the field.
pub(super) fn body_code(field: &str, s: &str) -> Result<AgencyCode, ApiError> {
    s.parse()
        .map_err(|e| ApiError::unprocessable("invalid_agency_code", format!("{field} {s:?}: {e}")))
}

fn body_codes(field: &str, list: &[String]) -> Result<Vec<AgencyCode>, ApiError> {
    list.iter().map(|s| body_code(field, s)).collect()
}

/// The agency with its history, or `404 unknown_agency`.
async fn detail(state: &AppState, code: &AgencyCode) -> Result<Json<AgencyDetail>, ApiError> {
    let access = state.auth.access();
    let agency = access
        .agency(code)
        .await?
        .ok_or_else(|| AccessError::UnknownAgency(code.clone()))?;
    let history = access.agency_history(code).await?;
    Ok(Json(AgencyDetail {
        agency: agency.into(),
        history: history.into_iter().map(AgencyEventDoc::from).collect(),
    }))
}

/// Lists every agency, dissolved ones included.
#[utoipa::path(get, path = "/v1/admin/agencies",
    security(("admin_session" = [])),
    responses((status = 200, body = AgenciesResponse),
        (status = 401, description = "admin_unauthorized", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn list(
    _admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<AgenciesResponse>, ApiError> {
    let agencies = state.auth.access().agencies().await?;
    Ok(Json(AgenciesResponse {
        agencies: agencies.into_iter().map(AgencyDoc::from).collect(),
    }))
}

/// Registers an agency.
#[utoipa::path(post, path = "/v1/admin/agencies", request_body = NewAgencyBody,
    security(("admin_session" = [])),
    responses((status = 201, body = AgencyDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_parent", body = ErrorBody),
        (status = 409, description = "code_in_use, code_retired (a dissolved agency's code), agency_dissolved (the parent)", body = ErrorBody),
        (status = 422, description = "invalid_agency_code, invalid_name", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn create(
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewAgencyBody>,
) -> Result<(StatusCode, Json<AgencyDoc>), ApiError> {
    let new = lgsp_access::NewAgency {
        code: body_code("code", &body.code)?,
        name: body.name,
        parent: body
            .parent
            .as_deref()
            .map(|p| body_code("parent", p))
            .transpose()?,
    };
    let agency = state.auth.access().create_agency(new).await?;
    Ok((StatusCode::CREATED, Json(agency.into())))
}

/// Shows an agency and its history (creation, renames, merges, splits,
/// suspensions).
#[utoipa::path(get, path = "/v1/admin/agencies/{code}",
    params(("code" = String, Path, description = "Agency code")),
    security(("admin_session" = [])),
    responses((status = 200, body = AgencyDetail),
        (status = 400, description = "bad_parameter (malformed code)", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_agency", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn show(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<AgencyDetail>, ApiError> {
    detail(&state, &path_code(&code)?).await
}

/// Renames an agency from a date; the old name stays in its history.
#[utoipa::path(post, path = "/v1/admin/agencies/{code}/rename", request_body = RenameBody,
    params(("code" = String, Path, description = "Agency code")),
    security(("admin_session" = [])),
    responses((status = 200, body = AgencyDetail),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_agency", body = ErrorBody),
        (status = 409, description = "agency_dissolved", body = ErrorBody),
        (status = 422, description = "invalid_name, invalid_agency_change (same name)", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn rename(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<RenameBody>,
) -> Result<Json<AgencyDetail>, ApiError> {
    let code = path_code(&code)?;
    state
        .auth
        .access()
        .rename_agency(&code, &body.name, body.effective)
        .await?;
    detail(&state, &code).await
}

/// Splits an agency among registered agencies: it is dissolved, its code
/// retired, and the split recorded on every side.
#[utoipa::path(post, path = "/v1/admin/agencies/{code}/split", request_body = SplitBody,
    params(("code" = String, Path, description = "Agency code")),
    security(("admin_session" = [])),
    responses((status = 200, description = "The dissolved agency and its history", body = AgencyDetail),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_agency", body = ErrorBody),
        (status = 409, description = "agency_dissolved", body = ErrorBody),
        (status = 422, description = "invalid_agency_code, invalid_agency_change", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn split(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<SplitBody>,
) -> Result<Json<AgencyDetail>, ApiError> {
    let code = path_code(&code)?;
    let into = body_codes("into", &body.into)?;
    state
        .auth
        .access()
        .split_agency(&code, &into, body.effective)
        .await?;
    detail(&state, &code).await
}

/// Merges agencies into another, which keeps its code: the merged ones are
/// dissolved and their codes retired.
#[utoipa::path(post, path = "/v1/admin/agencies/merge", request_body = MergeBody,
    security(("admin_session" = [])),
    responses((status = 200, description = "The absorbing agency and its history", body = AgencyDetail),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_agency", body = ErrorBody),
        (status = 409, description = "agency_dissolved", body = ErrorBody),
        (status = 422, description = "invalid_agency_code, invalid_agency_change", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn merge(
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<AgencyDetail>, ApiError> {
    let from = body_codes("from", &body.from)?;
    let into = body_code("into", &body.into)?;
    state
        .auth
        .access()
        .merge_agencies(&from, &into, body.effective)
        .await?;
    detail(&state, &into).await
}

/// Suspends or reactivates an agency; its applications' keys follow at once.
#[utoipa::path(post, path = "/v1/admin/agencies/{code}/status", request_body = AgencyStatusBody,
    params(("code" = String, Path, description = "Agency code")),
    security(("admin_session" = [])),
    responses((status = 200, body = AgencyDetail),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_agency", body = ErrorBody),
        (status = 409, description = "agency_dissolved", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn set_status(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<AgencyStatusBody>,
) -> Result<Json<AgencyDetail>, ApiError> {
    let code = path_code(&code)?;
    state
        .auth
        .access()
        .set_agency_status(&code, body.status.into())
        .await?;
    detail(&state, &code).await
}
