//! Whole versions, drafts included: export as CSV or JSON, the diff between
//! two versions, and the crosswalk rows between two versions. These read the
//! database, not the index, because drafts are not in the index.

use super::read::ChangesResponse;
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lgsp_catalogs::CrosswalkEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::catalogs::ExportFormat;

/// Parameters of the export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportParams {
    /// `csv` or `json` [default: csv].
    format: Option<ExportFormat>,
}

/// The items of any version, drafts included, as a file to download.
#[utoipa::path(get, path = "/v1/catalogs/{catalog}/versions/{version}/export",
    params(
        ("catalog" = String, Path, description = "Catalog code"),
        ("version" = String, Path, description = "Version label"),
        ExportParams,
    ),
    responses(
        (status = 200, description = "The file, with Content-Disposition: attachment",
            content((String = "text/csv"), (String = "application/json"))),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 404, description = "unknown_catalog, unknown_version", body = ErrorBody),
    ),
    tag = "catalogs")]
pub(crate) async fn export(
    State(state): State<AppState>,
    ApiPath((catalog, version)): ApiPath<(String, String)>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let format = p.format.unwrap_or_default();
    let file = state.catalogs.export(&catalog, &version, format).await?;
    let (name, body) = (file.name, file.body);
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Json => "application/json",
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Labels and catalog codes are restricted to [A-Za-z0-9._-], so the
    // name needs no quoting beyond the quotes.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Two versions of a catalog.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PairParams {
    /// Label of the older version.
    from: String,
    /// Label of the newer version.
    to: String,
}

/// What changed between two versions, drafts included: added, removed,
/// renamed, reparented and otherwise changed items.
#[utoipa::path(get, path = "/v1/catalogs/{catalog}/diff",
    params(("catalog" = String, Path, description = "Catalog code"), PairParams),
    responses(
        (status = 200, body = ChangesResponse),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 404, description = "unknown_catalog, unknown_version", body = ErrorBody),
    ),
    tag = "catalogs")]
pub(crate) async fn diff(
    State(state): State<AppState>,
    ApiPath(catalog): ApiPath<String>,
    ApiQuery(p): ApiQuery<PairParams>,
) -> Result<Json<ChangesResponse>, ApiError> {
    let (from, to, changes) = state.catalogs.diff(&catalog, &p.from, &p.to).await?;
    Ok(Json(ChangesResponse { from, to, changes }))
}

/// The crosswalk rows between two versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrosswalksResponse {
    /// The catalog.
    pub catalog: String,
    /// Label of the older version.
    pub from: String,
    /// Label of the newer version.
    pub to: String,
    /// Old code → new code, `full` or `partial`; empty when no crosswalk
    /// was imported between these versions.
    pub entries: Vec<CrosswalkEntry>,
}

/// The crosswalk rows from version `from` to version `to`.
#[utoipa::path(get, path = "/v1/catalogs/{catalog}/crosswalks",
    params(("catalog" = String, Path, description = "Catalog code"), PairParams),
    responses(
        (status = 200, body = CrosswalksResponse),
        (status = 400, description = "bad_parameter (also when `to` does not start after `from`)", body = ErrorBody),
        (status = 404, description = "unknown_catalog, unknown_version", body = ErrorBody),
    ),
    tag = "catalogs")]
pub(crate) async fn crosswalks(
    State(state): State<AppState>,
    ApiPath(catalog): ApiPath<String>,
    ApiQuery(p): ApiQuery<PairParams>,
) -> Result<Json<CrosswalksResponse>, ApiError> {
    let entries = state
        .catalogs
        .crosswalk_entries(&catalog, &p.from, &p.to)
        .await?;
    Ok(Json(CrosswalksResponse {
        catalog,
        from: p.from,
        to: p.to,
        entries,
    }))
}
