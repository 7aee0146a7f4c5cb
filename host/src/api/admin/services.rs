//! Admin routes for services: which agency provides (and decides grants on)
//! each schema.

use super::agencies::body_code;
use super::{Admin, rfc3339};
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiJson;
use crate::api::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A schema and who provides it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceDoc {
    /// The SQL schema (a connector's name).
    pub schema: String,
    /// The provider agency's code; absent for a loaded connector nobody was
    /// named provider of yet (nobody can approve grants on it).
    pub provider: Option<String>,
    /// When the provider was last set (RFC 3339).
    pub updated_at: Option<String>,
    /// Whether a connector serving this schema is loaded now.
    pub loaded: bool,
}

/// Services listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServicesResponse {
    /// Registered services and loaded connectors, by schema.
    pub services: Vec<ServiceDoc>,
}

/// Who provides a schema.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetServiceBody {
    /// The provider agency's code; it must be active.
    pub agency: String,
}

/// Lists the registered services and the loaded connectors, with their
/// providers.
#[utoipa::path(get, path = "/v1/admin/services",
    security(("admin_session" = [])),
    responses((status = 200, body = ServicesResponse),
        (status = 401, description = "admin_unauthorized", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn list(
    _admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<ServicesResponse>, ApiError> {
    let snapshot = state.registry.snapshot();
    let mut services: BTreeMap<String, ServiceDoc> = snapshot
        .connectors
        .keys()
        .map(|name| {
            let doc = ServiceDoc {
                schema: name.clone(),
                provider: None,
                updated_at: None,
                loaded: true,
            };
            (name.clone(), doc)
        })
        .collect();
    for s in state.auth.access().services().await? {
        services.insert(
            s.schema.clone(),
            ServiceDoc {
                loaded: snapshot.connectors.contains_key(&s.schema),
                schema: s.schema,
                provider: Some(s.provider.to_string()),
                updated_at: Some(rfc3339(s.updated_at)),
            },
        );
    }
    Ok(Json(ServicesResponse {
        services: services.into_values().collect(),
    }))
}

/// Names the agency that provides a schema. Requests still waiting for a
/// decision move to it; decided grants keep their record.
#[utoipa::path(put, path = "/v1/admin/services/{schema}", request_body = SetServiceBody,
    params(("schema" = String, Path, description = "SQL schema, e.g. dan_cu")),
    security(("admin_session" = [])),
    responses((status = 200, body = ServiceDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_agency", body = ErrorBody),
        (status = 409, description = "agency_not_active", body = ErrorBody),
        (status = 422, description = "invalid_identifier, invalid_agency_code", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn set(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(schema): ApiPath<String>,
    ApiJson(body): ApiJson<SetServiceBody>,
) -> Result<Json<ServiceDoc>, ApiError> {
    let agency = body_code("agency", &body.agency)?;
    let access = state.auth.access();
    access.set_service_provider(&schema, &agency).await?;
    state.auth.providers_changed();
    let service = access
        .services()
        .await?
        .into_iter()
        .find(|s| s.schema == schema);
    Ok(Json(ServiceDoc {
        loaded: state.registry.snapshot().connectors.contains_key(&schema),
        provider: Some(agency.to_string()),
        updated_at: service.map(|s| rfc3339(s.updated_at)),
        schema,
    }))
}
