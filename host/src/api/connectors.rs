//! Connector publishing: provider agencies upload signed components, list
//! versions, schedule retirements, roll back and configure; consumers read
//! their notices; administrators suspend and resume. Handlers call
//! [`ConnectorService`] and map its answer.

use super::AppState;
use super::admin::Admin;
use super::caller::Signed;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::publish::{
    ConfigChange, ConnectorService, NoticeDoc, Requester, SettingDoc, Upload, VersionRow,
    VersionStatus,
};
use crate::runtime::Snapshot;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// The largest publish request body: the component in base64 plus the
/// manifest and signature.
pub(crate) const MAX_PUBLISH_BODY: usize =
    (crate::runtime::MAX_COMPONENT_BYTES as usize / 3 + 1) * 4 + (256 << 10);

/// A signed upload.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// The manifest, TOML (`name`, `version`, `[upstream]`, `[limits]`,
    /// `[monitor]`; no `[config]`).
    pub manifest: String,
    /// The `.wasm` component, base64.
    pub component: String,
    /// The publisher's detached signature.
    pub signature: SignatureBody,
}

/// A detached signature.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureBody {
    /// Access key of the agency's RSA key that signed.
    pub key: String,
    /// RSA-SHA256 signature, base64, over
    /// `LGSP-CONNECTOR-1\n<name>\n<version>\n<sha256 hex>\n`.
    pub value: String,
}

/// One published version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDoc {
    /// Connector (schema) name.
    pub name: String,
    /// Semantic version.
    pub version: String,
    /// `active`, `rolled_back` or `retired`.
    pub status: VersionStatus,
    /// Whether it serves queries now (as `name` or `name@major`).
    pub serving: bool,
    /// The pinned schema that reaches it, e.g. `dan_cu@1`.
    pub pinned_schema: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Provider agency.
    pub provider: String,
    /// Access key of the signing key.
    pub signer_key: String,
    /// When it was published (RFC 3339).
    pub published_at: String,
    /// The application that uploaded it.
    pub published_by: String,
    /// The day it stops serving, if scheduled.
    pub retire_on: Option<String>,
    /// Why.
    pub retire_reason: Option<String>,
}

/// The published versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionsResponse {
    /// Every version, by connector then version.
    pub versions: Vec<VersionDoc>,
    /// Suspended connectors.
    pub suspended: Vec<String>,
}

/// A retirement to schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireBody {
    /// The first day it no longer serves (ISO date, Vietnam time).
    #[schema(value_type = String, example = "2027-06-30")]
    pub on: NaiveDate,
    /// Why, for consumers.
    pub reason: String,
}

/// A rollback.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// The major to roll back; the highest when absent.
    #[serde(default)]
    pub major: Option<u64>,
}

/// A rollback's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollbackResponse {
    /// The version taken back.
    pub from: VersionDoc,
    /// The version serving again.
    pub to: VersionDoc,
}

/// Configuration changes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigBody {
    /// Plain values (an upstream URL, a timeout).
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Secret values (credentials); stored sealed, never shown.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Keys to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A connector's configuration keys (never values).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigResponse {
    /// The keys.
    pub settings: Vec<SettingDoc>,
}

/// Notices to the caller's agency.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticesResponse {
    /// Newest first.
    pub notices: Vec<NoticeDoc>,
}

/// Where to post notices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// An `http://` URL; `null` stops the notifications.
    pub url: Option<String>,
}

/// A suspension.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    /// Why; recorded in the audit log.
    pub reason: String,
}

fn service(state: &AppState) -> Result<&Arc<ConnectorService>, ApiError> {
    state
        .connectors
        .as_ref()
        .ok_or_else(|| ApiError::internal("the connector service is not running"))
}

fn requester(caller: &crate::auth::Caller) -> Requester {
    Requester::Agency {
        code: caller.agency.code.to_string(),
        application: caller.application.id.clone(),
    }
}

fn doc(row: &VersionRow, snapshot: &Snapshot) -> VersionDoc {
    let pinned_schema = format!("{}@{}", row.name, row.version.major);
    let serving = snapshot
        .pinned
        .get(&pinned_schema)
        .is_some_and(|c| c.info().version == row.version.to_string());
    VersionDoc {
        name: row.name.clone(),
        version: row.version.to_string(),
        status: row.status,
        serving,
        pinned_schema,
        sha256: row.sha256.clone(),
        size_bytes: row.size_bytes,
        provider: row.provider.clone(),
        signer_key: row.signer_key.clone(),
        published_at: super::admin_rfc3339(row.published_at),
        published_by: row.published_by.clone(),
        retire_on: row.retire_on.map(|d| d.to_string()),
        retire_reason: row.retire_reason.clone(),
    }
}

/// Publishes a connector version: the provider agency uploads the component
/// with its manifest and detached signature. It is checked (signature and
/// signer's agency, contract imports and exports, size, `describe()` under
/// limits, tables well formed) and serves at once when every check passes;
/// otherwise every problem is listed in `reasons`.
#[utoipa::path(post, path = "/v1/connectors", request_body = PublishBody,
    params(("Authorization" = String, Header, description = "Signature of an application of the provider agency")),
    responses((status = 201, body = VersionDoc),
        (status = 400, description = "invalid_request (component not base64)", body = ErrorBody),
        (status = 409, description = "version_exists", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "connector_rejected, with every reason", body = ErrorBody)),
    tag = "connectors")]
pub(crate) async fn publish(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiJson(body): ApiJson<PublishBody>,
) -> Result<(StatusCode, Json<VersionDoc>), ApiError> {
    let component = base64::engine::general_purpose::STANDARD
        .decode(body.component.trim())
        .map_err(|e| ApiError::invalid_request(format!("component is not base64: {e}")))?;
    let upload = Upload {
        manifest: body.manifest,
        component,
        signer_key: body.signature.key,
        signature: body.signature.value,
    };
    let row = service(&state)?
        .publish(upload, &requester(&caller), chrono::Utc::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(doc(&row, &state.registry.snapshot())),
    ))
}

/// Every published version and the suspended connectors.
#[utoipa::path(get, path = "/v1/connectors",
    params(("Authorization" = String, Header, description = "Signature")),
    responses((status = 200, body = VersionsResponse)),
    tag = "connectors")]
pub(crate) async fn list(
    State(state): State<AppState>,
    Signed(_caller): Signed,
) -> Result<Json<VersionsResponse>, ApiError> {
    versions(&state).await
}

async fn versions(state: &AppState) -> Result<Json<VersionsResponse>, ApiError> {
    let service = service(state)?;
    let rows = service.versions().await?;
    let snapshot = state.registry.snapshot();
    let suspended: Vec<String> = snapshot
        .connectors
        .keys()
        .filter(|n| service.is_suspended(n))
        .cloned()
        .collect();
    Ok(Json(VersionsResponse {
        versions: rows.iter().map(|r| doc(r, &snapshot)).collect(),
        suspended,
    }))
}

/// Schedules a version's retirement (provider agency): at least 60 days
/// ahead, and for an old major at least 180 days after its successor.
/// Consumers holding grants are notified; on the date it stops serving.
#[utoipa::path(post, path = "/v1/connectors/{name}/versions/{version}/retire", request_body = RetireBody,
    params(("name" = String, Path), ("version" = String, Path), ("Authorization" = String, Header, description = "Signature of the provider")),
    responses((status = 200, body = VersionDoc),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "unknown_connector", body = ErrorBody),
        (status = 409, description = "connector_state", body = ErrorBody),
        (status = 422, description = "invalid_connector_request (date too early)", body = ErrorBody)),
    tag = "connectors")]
pub(crate) async fn retire(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath((name, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RetireBody>,
) -> Result<Json<VersionDoc>, ApiError> {
    retire_as(&state, &name, &version, body, &requester(&caller)).await
}

async fn retire_as(
    state: &AppState,
    name: &str,
    version: &str,
    body: RetireBody,
    who: &Requester,
) -> Result<Json<VersionDoc>, ApiError> {
    let row = service(state)?
        .schedule_retirement(
            name,
            version,
            body.on,
            &body.reason,
            who,
            chrono::Utc::now(),
        )
        .await?;
    Ok(Json(doc(&row, &state.registry.snapshot())))
}

/// Rolls a connector back (provider agency): the serving version of a major
/// is taken back and the one before it serves again, without dropping a
/// request.
#[utoipa::path(post, path = "/v1/connectors/{name}/rollback", request_body = RollbackBody,
    params(("name" = String, Path), ("Authorization" = String, Header, description = "Signature of the provider")),
    responses((status = 200, body = RollbackResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 409, description = "connector_state (nothing to roll back to)", body = ErrorBody)),
    tag = "connectors")]
pub(crate) async fn rollback(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<RollbackBody>,
) -> Result<Json<RollbackResponse>, ApiError> {
    rollback_as(&state, &name, body, &requester(&caller)).await
}

async fn rollback_as(
    state: &AppState,
    name: &str,
    body: RollbackBody,
    who: &Requester,
) -> Result<Json<RollbackResponse>, ApiError> {
    let (from, to) = service(state)?
        .rollback(name, body.major, who, chrono::Utc::now())
        .await?;
    let snapshot = state.registry.snapshot();
    Ok(Json(RollbackResponse {
        from: doc(&from, &snapshot),
        to: doc(&to, &snapshot),
    }))
}

/// A connector's configuration keys (provider agency); values are never shown.
#[utoipa::path(get, path = "/v1/connectors/{name}/config",
    params(("name" = String, Path), ("Authorization" = String, Header, description = "Signature of the provider")),
    responses((status = 200, body = ConfigResponse), (status = 403, description = "forbidden", body = ErrorBody)),
    tag = "connectors")]
pub(crate) async fn config(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<ConfigResponse>, ApiError> {
    let service = service(&state)?;
    service.check_manager(&name, &requester(&caller)).await?;
    Ok(Json(ConfigResponse {
        settings: service.settings(&name).await?,
    }))
}

/// Sets configuration values and secrets (provider agency). They are stored
/// sealed, handed to the connector through `config()`, and take effect for
/// the next request without a restart.
#[utoipa::path(put, path = "/v1/connectors/{name}/config", request_body = ConfigBody,
    params(("name" = String, Path), ("Authorization" = String, Header, description = "Signature of the provider")),
    responses((status = 200, body = ConfigResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 422, description = "invalid_connector_request (bad key)", body = ErrorBody)),
    tag = "connectors")]
pub(crate) async fn configure(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<ConfigBody>,
) -> Result<Json<ConfigResponse>, ApiError> {
    configure_as(&state, &name, body, &requester(&caller)).await
}

async fn configure_as(
    state: &AppState,
    name: &str,
    body: ConfigBody,
    who: &Requester,
) -> Result<Json<ConfigResponse>, ApiError> {
    let change = ConfigChange {
        values: body.values,
        secrets: body.secrets,
        remove: body.remove,
    };
    let settings = service(state)?
        .configure(name, change, who, chrono::Utc::now())
        .await?;
    Ok(Json(ConfigResponse { settings }))
}

/// Notices to the caller's agency: new majors, scheduled and done
/// retirements, grants that need approving again.
#[utoipa::path(get, path = "/v1/notices",
    params(("Authorization" = String, Header, description = "Signature")),
    responses((status = 200, body = NoticesResponse)),
    tag = "connectors")]
pub(crate) async fn notices(
    State(state): State<AppState>,
    Signed(caller): Signed,
) -> Result<Json<NoticesResponse>, ApiError> {
    let notices = service(&state)?
        .notices(caller.agency.code.as_str())
        .await?;
    Ok(Json(NoticesResponse { notices }))
}

/// Where the caller's agency hears of notices: each is POSTed there as JSON,
/// signed with the platform key (`x-lgsp-signature`).
#[utoipa::path(put, path = "/v1/notices/webhook", request_body = WebhookBody,
    params(("Authorization" = String, Header, description = "Signature")),
    responses((status = 204), (status = 422, description = "invalid_connector_request", body = ErrorBody)),
    tag = "connectors")]
pub(crate) async fn set_webhook(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .set_webhook(
            &caller.application.id,
            caller.agency.code.as_str(),
            body.url.as_deref(),
            chrono::Utc::now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every published version (admin).
#[utoipa::path(get, path = "/v1/admin/connectors",
    security(("admin_session" = [])),
    responses((status = 200, body = VersionsResponse)),
    tag = "admin")]
pub(crate) async fn admin_list(
    _admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<VersionsResponse>, ApiError> {
    versions(&state).await
}

/// The kill switch: new scans of the connector are refused at once, in
/// every version, until it is resumed; scans under way finish.
#[utoipa::path(post, path = "/v1/admin/connectors/{name}/suspend", request_body = SuspendBody,
    params(("name" = String, Path)),
    security(("admin_session" = [])),
    responses((status = 204), (status = 404, description = "unknown_connector", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn suspend(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<SuspendBody>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .suspend(&name, &body.reason, &admin.username, chrono::Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a suspension.
#[utoipa::path(post, path = "/v1/admin/connectors/{name}/resume",
    params(("name" = String, Path)),
    security(("admin_session" = [])),
    responses((status = 204), (status = 409, description = "connector_state (not suspended)", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn resume(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    service(&state)?
        .resume(&name, &admin.username, chrono::Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets configuration values and secrets of any connector (admin).
#[utoipa::path(put, path = "/v1/admin/connectors/{name}/config", request_body = ConfigBody,
    params(("name" = String, Path)),
    security(("admin_session" = [])),
    responses((status = 200, body = ConfigResponse)),
    tag = "admin")]
pub(crate) async fn admin_configure(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<ConfigBody>,
) -> Result<Json<ConfigResponse>, ApiError> {
    configure_as(&state, &name, body, &Requester::Admin(admin.username)).await
}

/// Rolls a connector back (admin).
#[utoipa::path(post, path = "/v1/admin/connectors/{name}/rollback", request_body = RollbackBody,
    params(("name" = String, Path)),
    security(("admin_session" = [])),
    responses((status = 200, body = RollbackResponse)),
    tag = "admin")]
pub(crate) async fn admin_rollback(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<RollbackBody>,
) -> Result<Json<RollbackResponse>, ApiError> {
    rollback_as(&state, &name, body, &Requester::Admin(admin.username)).await
}

/// Schedules a version's retirement (admin); the same notice rules apply.
#[utoipa::path(post, path = "/v1/admin/connectors/{name}/versions/{version}/retire", request_body = RetireBody,
    params(("name" = String, Path), ("version" = String, Path)),
    security(("admin_session" = [])),
    responses((status = 200, body = VersionDoc)),
    tag = "admin")]
pub(crate) async fn admin_retire(
    admin: Admin,
    State(state): State<AppState>,
    ApiPath((name, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RetireBody>,
) -> Result<Json<VersionDoc>, ApiError> {
    retire_as(
        &state,
        &name,
        &version,
        body,
        &Requester::Admin(admin.username),
    )
    .await
}
