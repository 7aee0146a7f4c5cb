//! Admin routes: create a catalog, import a version (the request body is the
//! file), publish or delete a draft, import a crosswalk. Each takes an
//! [`Admin`], the proof that the request carried an admin session, so none can
//! skip the check.

use super::{Upload, parse_day, parse_optional_day};
use crate::api::AppState;
use crate::api::admin::Admin;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiJson;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::catalogs::{CatalogError, CrosswalkReport, ImportSpec};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lgsp_catalogs::{
    CatalogDef, CrosswalkFormat, ItemFormat, Location, Problem, ProblemKind, UnitLevel, VersionInfo,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// Source recorded for files sent over HTTP without a `source` parameter.
const HTTP_SOURCE: &str = "HTTP upload";

/// Creates an empty catalog.
#[utoipa::path(post, path = "/v1/catalogs",
    request_body = CatalogDef,
    security(("admin_session" = [])),
    responses(
        (status = 201, body = CatalogDef),
        (status = 400, description = "bad_parameter (malformed code, empty name), invalid_request", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_catalog (the parent catalog)", body = ErrorBody),
        (status = 409, description = "catalog_conflict (the code exists)", body = ErrorBody),
    ),
    tag = "catalogs-admin")]
pub(crate) async fn create_catalog(
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(def): ApiJson<CatalogDef>,
) -> Result<(StatusCode, Json<CatalogDef>), ApiError> {
    state.catalogs.create_catalog(&def).await?;
    Ok((StatusCode::CREATED, Json(def)))
}

/// Parameters of a version import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportParams {
    /// Label of the new version, unique in the catalog (letters, digits, `-`, `_`, `.`).
    #[param(example = "2025-07-01")]
    version: String,
    /// First day it holds, `YYYY-MM-DD`.
    #[param(example = "2025-07-01")]
    valid_from: String,
    /// Last day it holds, `YYYY-MM-DD` [default: open-ended].
    valid_to: Option<String>,
    /// `csv`, `json` or `gso` [default: csv].
    format: Option<ItemFormat>,
    /// Units to take from files holding several levels (dvhcvn JSON, GSO):
    /// `province` or `commune` [default: province for `dvhc_tinh`, else commune].
    level: Option<UnitLevel>,
    /// Publish at once instead of leaving a draft [default: false].
    publish: Option<bool>,
    /// Where the file came from, kept with the version [default: "HTTP upload"].
    source: Option<String>,
}

/// The body as text, or `invalid_import` with the line of the first byte
/// that is not UTF-8.
fn utf8(body: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(body).map_err(|e| {
        let valid = &body[..e.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        CatalogError::Invalid(vec![Problem::at(
            ProblemKind::Unreadable,
            Location::Line(line),
            "the file is not UTF-8 text; convert it (e.g. from Windows-1258) and send it again",
        )])
        .into()
    })
}

/// Imports a version of a catalog: the request body is the file (raw bytes,
/// UTF-8). Every problem is checked before anything is written; a rejected
/// file answers `422 invalid_import` with all of them, each with its line or
/// JSON path.
#[utoipa::path(post, path = "/v1/catalogs/{catalog}/versions",
    params(("catalog" = String, Path, description = "Catalog code"), ImportParams),
    request_body(content = String, description = "The file: CSV, JSON or a GSO layout, at most 32 MiB",
        content_type = "application/octet-stream"),
    security(("admin_session" = [])),
    responses(
        (status = 201, body = VersionInfo),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_catalog", body = ErrorBody),
        (status = 409, description = "catalog_conflict (the label exists)", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "invalid_import, with `problems`", body = ErrorBody),
    ),
    tag = "catalogs-admin")]
pub(crate) async fn import_version(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(catalog): ApiPath<String>,
    ApiQuery(p): ApiQuery<ImportParams>,
    Upload(body): Upload,
) -> Result<(StatusCode, Json<VersionInfo>), ApiError> {
    let spec = ImportSpec {
        version: p.version,
        valid_from: parse_day("valid_from", &p.valid_from)?,
        valid_to: parse_optional_day("valid_to", p.valid_to.as_deref())?,
        source: p.source.unwrap_or_else(|| HTTP_SOURCE.to_owned()),
        publish: p.publish.unwrap_or(false),
    };
    let text = utf8(&body)?;
    let format = p.format.unwrap_or(ItemFormat::Csv);
    let info = state
        .catalogs
        .import(&catalog, &spec, format, p.level, text, None)
        .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// Publishes a draft: readers see it from now on, and the open-ended version
/// before it now ends the day before it starts.
#[utoipa::path(post, path = "/v1/catalogs/{catalog}/versions/{version}/publish",
    params(
        ("catalog" = String, Path, description = "Catalog code"),
        ("version" = String, Path, description = "Label of the draft"),
    ),
    security(("admin_session" = [])),
    responses(
        (status = 200, body = VersionInfo),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_catalog, unknown_version", body = ErrorBody),
        (status = 409, description = "catalog_conflict (already published)", body = ErrorBody),
        (status = 422, description = "invalid_import (its validity overlaps a published version)", body = ErrorBody),
    ),
    tag = "catalogs-admin")]
pub(crate) async fn publish(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath((catalog, version)): ApiPath<(String, String)>,
) -> Result<Json<VersionInfo>, ApiError> {
    Ok(Json(state.catalogs.publish(&catalog, &version).await?))
}

/// Deletes a draft. Published versions are never deleted.
#[utoipa::path(delete, path = "/v1/catalogs/{catalog}/versions/{version}",
    params(
        ("catalog" = String, Path, description = "Catalog code"),
        ("version" = String, Path, description = "Label of the draft"),
    ),
    security(("admin_session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_catalog, unknown_version", body = ErrorBody),
        (status = 409, description = "catalog_conflict (published)", body = ErrorBody),
    ),
    tag = "catalogs-admin")]
pub(crate) async fn delete_draft(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath((catalog, version)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.catalogs.delete_draft(&catalog, &version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Parameters of a crosswalk import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CrosswalkParams {
    /// Label of the older version.
    #[param(example = "2008-08-01")]
    from: String,
    /// Label of the newer version.
    #[param(example = "2025-07-01")]
    to: String,
    /// `csv` (`old_code,new_code,mapping`) or `json` (dvhcvn `merges.json` /
    /// `splits.json`) [default: csv].
    format: Option<CrosswalkFormat>,
    /// `province` or `commune` [default: province for `dvhc_tinh`, else commune].
    level: Option<UnitLevel>,
    /// Where the file came from [default: "HTTP upload"].
    source: Option<String>,
}

/// Imports the crosswalk from version `from` to version `to` (the body is
/// the file), replacing an earlier one between the same versions. Every code
/// must exist in its version; rows left out on purpose (island districts in
/// a commune crosswalk) are listed in `skipped`.
#[utoipa::path(post, path = "/v1/catalogs/{catalog}/crosswalks",
    params(("catalog" = String, Path, description = "Catalog code"), CrosswalkParams),
    request_body(content = String, description = "The file, at most 32 MiB",
        content_type = "application/octet-stream"),
    security(("admin_session" = [])),
    responses(
        (status = 200, body = CrosswalkReport),
        (status = 400, description = "bad_parameter (also when `to` does not start after `from`)", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_catalog, unknown_version", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 422, description = "invalid_import, with `problems`", body = ErrorBody),
    ),
    tag = "catalogs-admin")]
pub(crate) async fn import_crosswalk(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(catalog): ApiPath<String>,
    ApiQuery(p): ApiQuery<CrosswalkParams>,
    Upload(body): Upload,
) -> Result<Json<CrosswalkReport>, ApiError> {
    let text = utf8(&body)?;
    let source = p.source.as_deref().unwrap_or(HTTP_SOURCE);
    let format = p.format.unwrap_or(CrosswalkFormat::Csv);
    let report = state
        .catalogs
        .import_crosswalk(&catalog, &p.from, &p.to, format, p.level, text, source)
        .await?;
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_files_are_rejected_with_the_line() {
        let body = b"ma,ten\n01,H\xe0 N\xf4i\n";
        let err = utf8(body).expect_err("not UTF-8");
        let body = serde_json::to_value(err.body()).expect("json");
        assert_eq!(body["code"], "invalid_import");
        assert_eq!(body["problems"][0]["at"]["line"], 2);
        assert_eq!(body["problems"][0]["kind"], "unreadable");
    }
}
