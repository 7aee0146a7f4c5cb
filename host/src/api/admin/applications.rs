//! Admin routes for applications: the systems an agency connects, each with
//! its keys, its rate-limit tier and whether it may still sign with HMAC-SHA1.

use super::agencies::body_code;
use super::{Admin, rfc3339};
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiJson;
use crate::api::extract::{ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lgsp_access::{AccessError, AppStatus, Application, ApplicationUpdate, NewApplication, Tier};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Rate limits: requests per minute, and per day if capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierDoc {
    /// Requests per minute (at least 1).
    pub per_minute: u32,
    /// Requests per day (Vietnam time), if capped.
    #[serde(default)]
    pub per_day: Option<u64>,
}

impl From<Tier> for TierDoc {
    fn from(t: Tier) -> Self {
        Self {
            per_minute: t.per_minute,
            per_day: t.per_day,
        }
    }
}

/// A named tier, as API managers usually offer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TierPreset {
    /// 1,000 requests a minute.
    Standard,
    /// 2,000 requests a minute.
    Extended,
    /// 5,000 requests a minute.
    High,
}

impl TierPreset {
    /// The preset's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Extended => "extended",
            Self::High => "high",
        }
    }

    /// The preset named `s`, if any.
    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Standard, Self::Extended, Self::High]
            .into_iter()
            .find(|p| p.name() == s)
    }

    /// Its limits.
    pub fn tier(self) -> Tier {
        match self {
            Self::Standard => Tier::STANDARD,
            Self::Extended => Tier::EXTENDED,
            Self::High => Tier::HIGH,
        }
    }
}

/// A tier given by preset name (`"standard"`, `"extended"`, `"high"`) or as
/// `{"per_minute": n, "per_day": m}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TierSpec {
    /// A preset.
    Preset(TierPreset),
    /// Explicit limits.
    Custom(TierDoc),
}

impl TierSpec {
    /// The limits it stands for.
    pub fn tier(self) -> Tier {
        match self {
            Self::Preset(p) => p.tier(),
            Self::Custom(t) => Tier {
                per_minute: t.per_minute,
                per_day: t.per_day,
            },
        }
    }
}

// By hand rather than `untagged`, whose error ("did not match any variant")
// does not say what is accepted.
impl<'de> Deserialize<'de> for TierSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        const EXPECTED: &str = "a tier is \"standard\" (1000/min), \"extended\" (2000/min), \
             \"high\" (5000/min) or {\"per_minute\": n, \"per_day\": m}";
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => TierPreset::from_name(&s)
                .map(Self::Preset)
                .ok_or_else(|| D::Error::custom(format!("unknown tier {s:?}: {EXPECTED}"))),
            v @ serde_json::Value::Object(_) => serde_json::from_value(v)
                .map(Self::Custom)
                .map_err(|e| D::Error::custom(format!("{e}; {EXPECTED}"))),
            _ => Err(D::Error::custom(EXPECTED)),
        }
    }
}

/// An application as the admin API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationDoc {
    /// `app_` and 16 characters.
    pub id: String,
    /// The owning agency's code.
    pub agency: String,
    /// Its name.
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    /// Whether it may sign with HMAC-SHA1 (older systems only).
    pub legacy_sha1: bool,
    /// Its rate limits.
    pub tier: TierDoc,
    /// When it was registered (RFC 3339).
    pub created_at: String,
}

impl From<Application> for ApplicationDoc {
    fn from(a: Application) -> Self {
        Self {
            id: a.id,
            agency: a.agency.to_string(),
            name: a.name,
            status: a.status.as_str().to_owned(),
            legacy_sha1: a.legacy_sha1,
            tier: a.tier.into(),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// Applications listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationsResponse {
    /// By agency, then name.
    pub applications: Vec<ApplicationDoc>,
}

/// A new application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplicationBody {
    /// The owning agency's code; it must be active.
    pub agency: String,
    /// A name people recognize (1 to 300 characters).
    pub name: String,
    /// Accept HMAC-SHA1 signatures from it [default: false].
    #[serde(default)]
    pub legacy_sha1: bool,
    /// Its rate limits [default: "standard"].
    #[serde(default)]
    pub tier: Option<TierSpec>,
}

/// Whether an application may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettableAppStatus {
    /// May call.
    Active,
    /// Every call refused from the next request on; keys and grants kept.
    Suspended,
}

impl From<SettableAppStatus> for AppStatus {
    fn from(s: SettableAppStatus) -> Self {
        match s {
            SettableAppStatus::Active => AppStatus::Active,
            SettableAppStatus::Suspended => AppStatus::Suspended,
        }
    }
}

/// Changes to an application; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New rate limits.
    #[serde(default)]
    pub tier: Option<TierSpec>,
    /// Accept HMAC-SHA1 or not.
    #[serde(default)]
    pub legacy_sha1: Option<bool>,
    /// `active` or `suspended`.
    #[serde(default)]
    pub status: Option<SettableAppStatus>,
}

/// Which applications to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ApplicationsQuery {
    /// Only this agency's applications.
    #[serde(default)]
    agency: Option<String>,
}

/// The application, or `404 unknown_application`.
pub(super) async fn application(state: &AppState, id: &str) -> Result<Application, ApiError> {
    Ok(state
        .auth
        .access()
        .application(id)
        .await?
        .ok_or_else(|| AccessError::UnknownApplication(id.to_owned()))?)
}

/// Lists applications, optionally of one agency.
#[utoipa::path(get, path = "/v1/admin/applications", params(ApplicationsQuery),
    security(("admin_session" = [])),
    responses((status = 200, body = ApplicationsResponse),
        (status = 400, description = "bad_parameter (malformed agency code)", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn list(
    _admin: Admin,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ApplicationsQuery>,
) -> Result<Json<ApplicationsResponse>, ApiError> {
    let agency = q
        .agency
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse()
                .map_err(|e| ApiError::bad_parameter(format!("agency {a:?}: {e}")))
        })
        .transpose()?;
    let apps = state.auth.access().applications(agency.as_ref()).await?;
    Ok(Json(ApplicationsResponse {
        applications: apps.into_iter().map(ApplicationDoc::from).collect(),
    }))
}

/// Registers an application for an active agency.
#[utoipa::path(post, path = "/v1/admin/applications", request_body = NewApplicationBody,
    security(("admin_session" = [])),
    responses((status = 201, body = ApplicationDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_agency", body = ErrorBody),
        (status = 409, description = "agency_not_active", body = ErrorBody),
        (status = 422, description = "invalid_agency_code, invalid_name, invalid_tier", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn create(
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewApplicationBody>,
) -> Result<(StatusCode, Json<ApplicationDoc>), ApiError> {
    let new = NewApplication {
        agency: body_code("agency", &body.agency)?,
        name: body.name,
        legacy_sha1: body.legacy_sha1,
        tier: body.tier.map_or(Tier::STANDARD, TierSpec::tier),
    };
    let app = state.auth.access().create_application(new).await?;
    Ok((StatusCode::CREATED, Json(app.into())))
}

/// Shows an application.
#[utoipa::path(get, path = "/v1/admin/applications/{id}",
    params(("id" = String, Path, description = "Application id")),
    security(("admin_session" = [])),
    responses((status = 200, body = ApplicationDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_application", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn show(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApplicationDoc>, ApiError> {
    Ok(Json(application(&state, &id).await?.into()))
}

/// Changes an application's name, tier, HMAC-SHA1 permission or status.
/// Changes apply from the application's next request.
#[utoipa::path(patch, path = "/v1/admin/applications/{id}", request_body = ApplicationPatch,
    params(("id" = String, Path, description = "Application id")),
    security(("admin_session" = [])),
    responses((status = 200, body = ApplicationDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_application", body = ErrorBody),
        (status = 422, description = "invalid_name, invalid_tier", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn update(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<ApplicationPatch>,
) -> Result<Json<ApplicationDoc>, ApiError> {
    let access = state.auth.access();
    let mut app = application(&state, &id).await?;
    if patch.name.is_some() || patch.tier.is_some() || patch.legacy_sha1.is_some() {
        let update = ApplicationUpdate {
            tier: patch.tier.map(TierSpec::tier),
            legacy_sha1: patch.legacy_sha1,
            name: patch.name,
        };
        app = access.update_application(&id, update).await?;
    }
    if let Some(status) = patch.status {
        app = access.set_application_status(&id, status.into()).await?;
    }
    Ok(Json(app.into()))
}
