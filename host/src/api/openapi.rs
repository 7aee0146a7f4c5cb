//! The OpenAPI 3.1 document of the API, generated from the handlers' annotations
//! and served at `/v1/openapi.json` (also written to `docs/openapi.json`).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "LGSP — Nền tảng tích hợp, chia sẻ dữ liệu",
        description = "SQL and REST access to agency databases served by sandboxed WebAssembly connectors. \
            Every response carries `x-request-id`; every error body is `{code, type, message, request_id}` \
            (plus `problems` for `invalid_import`).",
    ),
    modifiers(&AdminToken),
    paths(
        super::query::query,
        super::tables::tables,
        super::health::liveness,
        super::health::services,
        document,
        super::catalogs::read::list,
        super::catalogs::read::items,
        super::catalogs::read::item,
        super::catalogs::read::successors,
        super::catalogs::read::changes,
        super::catalogs::files::export,
        super::catalogs::files::diff,
        super::catalogs::files::crosswalks,
        super::catalogs::admin::create_catalog,
        super::catalogs::admin::import_version,
        super::catalogs::admin::publish,
        super::catalogs::admin::delete_draft,
        super::catalogs::admin::import_crosswalk,
    ),
    components(schemas(
        super::error::ErrorBody,
        super::error::ErrorType,
        lgsp_catalogs::Problem,
        lgsp_catalogs::ProblemKind,
        lgsp_catalogs::Location,
        lgsp_catalogs::ItemFormat,
        lgsp_catalogs::CrosswalkFormat,
        lgsp_catalogs::UnitLevel,
        super::catalogs::ExportFormat,
    )),
    tags(
        (name = "query", description = "SQL over connector tables"),
        (name = "catalog", description = "What can be queried"),
        (name = "health", description = "Level-1 and level-2 health"),
        (name = "catalogs", description = "Shared catalogs (danh mục dùng chung): versioned, date-aware code lists and crosswalks"),
        (name = "catalogs-admin", description = "Importing and publishing catalog versions; requires the admin token"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer token the admin routes name in their `security`.
struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The platform's admin token (--admin-token / LGSP_ADMIN_TOKEN)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1 JSON")), tag = "catalog")]
pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
