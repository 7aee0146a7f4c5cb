//! Reading published catalogs: the list of catalogs, items valid on a date
//! (with search), one item, old code → today's codes, and the change feed.
//! Answers come from the in-memory index of published versions.

use super::{etag, not_modified, parse_day, parse_optional_day, tagged, version_key};
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{ApiPath, ApiQuery};
use crate::catalogs::{CatalogError, Changes, Index, VersionIdx, diff_items, today};
use crate::runtime::Successor;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use lgsp_catalogs::{CatalogDef, Item, MappingKind, VersionInfo};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Items per page unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;
/// The most items one page may hold.
pub(crate) const MAX_LIMIT: usize = 5000;

/// Every catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogsResponse {
    /// The day "current" refers to (today in Vietnam, UTC+7).
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
    /// The catalogs, by code.
    pub catalogs: Vec<CatalogDoc>,
}

/// A catalog, its current version and all its versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogDoc {
    /// What the catalog is.
    #[serde(flatten)]
    pub def: CatalogDef,
    /// Label of the published version valid today, if any.
    pub current_version: Option<String>,
    /// Every version, drafts included, oldest first.
    pub versions: Vec<VersionInfo>,
}

/// Lists every catalog with its versions.
#[utoipa::path(get, path = "/v1/catalogs",
    responses((status = 200, body = CatalogsResponse), (status = 500, description = "internal", body = ErrorBody)),
    tag = "catalogs")]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<Json<CatalogsResponse>, ApiError> {
    let day = today();
    let index = state.catalogs.index();
    let catalogs = state
        .catalogs
        .catalogs()
        .await?
        .into_iter()
        .map(|(def, versions)| {
            let current_version = index
                .catalog(&def.code)
                .and_then(|c| c.version_on(day))
                .map(|v| v.info.version.clone());
            CatalogDoc {
                def,
                current_version,
                versions,
            }
        })
        .collect();
    Ok(Json(CatalogsResponse {
        today: day,
        catalogs,
    }))
}

/// Parameters of `GET /v1/catalogs/{catalog}/items`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ItemsParams {
    /// The date the codes are read on, `YYYY-MM-DD` [default: today in Vietnam].
    #[param(value_type = Option<String>, format = Date, example = "2024-06-01")]
    as_of: Option<String>,
    /// Words of the name, without accents or case mattering (`ha noi` finds `Hà Nội`).
    q: Option<String>,
    /// Only the children of this parent code.
    parent: Option<String>,
    /// Items per page [default: 100, at most 5000].
    limit: Option<usize>,
    /// Matching items to skip [default: 0].
    offset: Option<usize>,
}

/// A page of items of the version valid on a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsResponse {
    /// The version the items come from.
    pub version: VersionInfo,
    /// How many items match, on every page.
    pub total: usize,
    /// Matching items skipped.
    pub offset: usize,
    /// Page size asked for.
    pub limit: usize,
    /// The items, in code order.
    pub items: Vec<Item>,
}

/// A search text reduced to what the search compares (`name_key`); `None`
/// when nothing is left.
fn normalized_query(q: Option<&str>) -> Option<String> {
    q.map(lgsp_catalogs::name_key).filter(|k| !k.is_empty())
}

/// The items of `catalog` valid on `day` whose name contains `q` (without
/// accents) and whose parent is `parent`: one page, with the total.
///
/// # Errors
/// `UnknownCatalog`, `NoVersionOn`.
pub(crate) fn items_page(
    index: &Index,
    catalog: &str,
    day: NaiveDate,
    q: Option<&str>,
    parent: Option<&str>,
    offset: usize,
    limit: usize,
) -> Result<ItemsResponse, CatalogError> {
    Ok(page_of(
        index.version_on(catalog, day)?,
        q,
        parent,
        offset,
        limit,
    ))
}

/// One page of `version`'s items matching `q` and `parent`, with the total.
fn page_of(
    version: &VersionIdx,
    q: Option<&str>,
    parent: Option<&str>,
    offset: usize,
    limit: usize,
) -> ItemsResponse {
    let mut total = 0;
    let mut items = Vec::new();
    for item in version.search(q, parent) {
        if total >= offset && items.len() < limit {
            items.push(item.clone());
        }
        total += 1;
    }
    ItemsResponse {
        version: version.info.clone(),
        total,
        offset,
        limit,
        items,
    }
}

/// Items of the published version valid on `as_of`, searchable by name and
/// parent, paged.
///
/// The response carries a strong `ETag` (the version and the normalized
/// parameters) and `Cache-Control: no-cache`; send it back in
/// `If-None-Match` to get `304 Not Modified` while nothing changed.
#[utoipa::path(get, path = "/v1/catalogs/{catalog}/items",
    params(("catalog" = String, Path, description = "Catalog code, e.g. `dvhc_tinh`"), ItemsParams),
    responses(
        (status = 200, body = ItemsResponse, headers(("etag" = String), ("cache-control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 404, description = "unknown_catalog, no_version_on_date", body = ErrorBody),
    ),
    tag = "catalogs")]
pub(crate) async fn items(
    State(state): State<AppState>,
    ApiPath(catalog): ApiPath<String>,
    ApiQuery(p): ApiQuery<ItemsParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let day = parse_optional_day("as_of", p.as_of.as_deref())?.unwrap_or_else(today);
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ApiError::bad_parameter(format!(
            "limit is at most {MAX_LIMIT}; page with offset for more"
        )));
    }
    let offset = p.offset.unwrap_or(0);
    let q = normalized_query(p.q.as_deref());
    let parent = p.parent.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let index = state.catalogs.index();
    let version = index.version_on(&catalog, day)?;
    let tag = etag(&[
        "items",
        &version_key(&version.info),
        q.as_deref().unwrap_or(""),
        parent.unwrap_or(""),
        &limit.to_string(),
        &offset.to_string(),
    ]);
    if let Some(response) = not_modified(&headers, &tag) {
        return Ok(response);
    }
    Ok(tagged(
        page_of(version, q.as_deref(), parent, offset, limit),
        &tag,
    ))
}

/// Parameters that only carry a date.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AsOfParams {
    /// The date the code is read on, `YYYY-MM-DD` [default: today in Vietnam].
    #[param(value_type = Option<String>, format = Date, example = "2024-06-01")]
    as_of: Option<String>,
}

/// One item and the version it was found in.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResponse {
    /// The version searched.
    pub version: VersionInfo,
    /// The item.
    pub item: Item,
}

/// One item of the published version valid on `as_of`, with an `ETag`.
#[utoipa::path(get, path = "/v1/catalogs/{catalog}/items/{code}",
    params(
        ("catalog" = String, Path, description = "Catalog code"),
        ("code" = String, Path, description = "Item code, e.g. `01`"),
        AsOfParams,
    ),
    responses(
        (status = 200, body = ItemResponse, headers(("etag" = String), ("cache-control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 404, description = "unknown_catalog, no_version_on_date, unknown_item (names the version searched)", body = ErrorBody),
    ),
    tag = "catalogs")]
pub(crate) async fn item(
    State(state): State<AppState>,
    ApiPath((catalog, code)): ApiPath<(String, String)>,
    ApiQuery(p): ApiQuery<AsOfParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let day = parse_optional_day("as_of", p.as_of.as_deref())?.unwrap_or_else(today);
    let index = state.catalogs.index();
    let version = index.version_on(&catalog, day)?;
    let item = found(version, &catalog, &code)?;
    let tag = etag(&["item", &version_key(&version.info), &item.code]);
    if let Some(response) = not_modified(&headers, &tag) {
        return Ok(response);
    }
    Ok(tagged(
        ItemResponse {
            version: version.info.clone(),
            item: item.clone(),
        },
        &tag,
    ))
}

/// The item `code` of `version`, or `UnknownItem` naming the version.
fn found<'a>(version: &'a VersionIdx, catalog: &str, code: &str) -> Result<&'a Item, CatalogError> {
    version
        .get(code.trim())
        .ok_or_else(|| CatalogError::UnknownItem {
            catalog: catalog.to_owned(),
            version: version.info.version.clone(),
            code: code.to_owned(),
        })
}

/// Parameters of the successor lookup.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SuccessorParams {
    /// The date the old code was valid on, `YYYY-MM-DD` (required: a code
    /// alone is ambiguous across reorganizations).
    #[param(value_type = String, format = Date, example = "2024-06-01")]
    as_of: Option<String>,
}

/// A code valid today that an old code leads to.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessorDoc {
    /// The code valid today.
    pub code: String,
    /// Its name today.
    pub name: String,
    /// `partial` if only part of the old unit went into it.
    pub mapping: MappingKind,
}

impl From<Successor> for SuccessorDoc {
    fn from(s: Successor) -> Self {
        Self {
            code: s.code,
            name: s.name,
            mapping: s.mapping,
        }
    }
}

/// Where an old code leads today.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessorsResponse {
    /// The old code asked about.
    pub code: String,
    /// The date it was read on.
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    /// The version valid on `as_of`, where the code was found.
    pub from_version: VersionInfo,
    /// The version valid today, whose codes `successors` are.
    pub current_version: Option<VersionInfo>,
    /// Today's codes: one when the unit was kept or merged whole, several
    /// (`partial`) when it was split; empty when it was abolished.
    pub successors: Vec<SuccessorDoc>,
}

/// Where `code`, as valid on `as_of`, leads on `today`.
///
/// # Errors
/// `UnknownCatalog`, `NoVersionOn` (`as_of`), `UnknownItem` (the code was
/// not valid on `as_of`).
pub(crate) fn successors_of(
    index: &Index,
    catalog: &str,
    code: &str,
    as_of: NaiveDate,
    today: NaiveDate,
) -> Result<SuccessorsResponse, CatalogError> {
    let from = index.version_on(catalog, as_of)?;
    let item = found(from, catalog, code)?;
    let current = index.catalog(catalog).and_then(|c| c.version_on(today));
    Ok(SuccessorsResponse {
        code: item.code.clone(),
        as_of,
        from_version: from.info.clone(),
        current_version: current.map(|v| v.info.clone()),
        successors: index
            .successors(catalog, &item.code, as_of, today)
            .into_iter()
            .map(SuccessorDoc::from)
            .collect(),
    })
}

/// Crosswalk lookup: the codes valid today for a code as it was on
/// `as_of`, each `full` or `partial`, following every crosswalk between.
#[utoipa::path(get, path = "/v1/catalogs/{catalog}/successors/{code}",
    params(
        ("catalog" = String, Path, description = "Catalog code"),
        ("code" = String, Path, description = "The old code, e.g. `02`"),
        SuccessorParams,
    ),
    responses(
        (status = 200, body = SuccessorsResponse),
        (status = 400, description = "bad_parameter (as_of missing or malformed)", body = ErrorBody),
        (status = 404, description = "unknown_catalog, no_version_on_date, unknown_item (not valid on as_of)", body = ErrorBody),
    ),
    tag = "catalogs")]
pub(crate) async fn successors(
    State(state): State<AppState>,
    ApiPath((catalog, code)): ApiPath<(String, String)>,
    ApiQuery(p): ApiQuery<SuccessorParams>,
) -> Result<Json<SuccessorsResponse>, ApiError> {
    let as_of = p.as_of.as_deref().ok_or_else(|| {
        ApiError::bad_parameter(
            "as_of is required: the date the code was valid on, YYYY-MM-DD, e.g. 2024-06-01",
        )
    })?;
    let as_of = parse_day("as_of", as_of)?;
    let index = state.catalogs.index();
    Ok(Json(successors_of(
        &index,
        &catalog,
        &code,
        as_of,
        today(),
    )?))
}

/// Parameters of the change feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangesParams {
    /// Label of the published version the client holds.
    #[param(value_type = String, example = "2008-08-01")]
    since: Option<String>,
}

/// What changed from one version to another.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesResponse {
    /// The older version.
    pub from: VersionInfo,
    /// The newer version.
    pub to: VersionInfo,
    /// The changes.
    pub changes: Changes,
}

/// The change feed: what changed from the published version `since` to
/// the version valid today (empty when `since` is current). With an `ETag`.
#[utoipa::path(get, path = "/v1/catalogs/{catalog}/changes",
    params(("catalog" = String, Path, description = "Catalog code"), ChangesParams),
    responses(
        (status = 200, body = ChangesResponse, headers(("etag" = String), ("cache-control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "bad_parameter (since missing)", body = ErrorBody),
        (status = 404, description = "unknown_catalog, unknown_version (not a published version), no_version_on_date", body = ErrorBody),
    ),
    tag = "catalogs")]
pub(crate) async fn changes(
    State(state): State<AppState>,
    ApiPath(catalog): ApiPath<String>,
    ApiQuery(p): ApiQuery<ChangesParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let since = p.since.ok_or_else(|| {
        ApiError::bad_parameter("since is required: the label of the version you hold")
    })?;
    // Both ends are published, so both are in the index: no database read.
    let index = state.catalogs.index();
    let current = index.version_on(&catalog, today())?;
    let older = index
        .catalog(&catalog)
        .and_then(|c| c.version(&since))
        .ok_or_else(|| CatalogError::UnknownVersion {
            catalog: catalog.clone(),
            version: since.clone(),
        })?;
    let tag = etag(&[
        "changes",
        &version_key(&older.info),
        &version_key(&current.info),
    ]);
    if let Some(response) = not_modified(&headers, &tag) {
        return Ok(response);
    }
    let changes = if older.id == current.id {
        Changes::default()
    } else {
        diff_items(&older.items, &current.items)
    };
    Ok(tagged(
        ChangesResponse {
            from: older.info.clone(),
            to: current.info.clone(),
            changes,
        },
        &tag,
    ))
}
