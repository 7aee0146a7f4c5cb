//! The OpenAPI 3.1 document of the API, generated from the handlers' annotations
//! and served at `/v1/openapi.json` (also written to `docs/openapi.json`).

use axum::Json;
use utoipa::OpenApi;

/// The API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "LGSP — Nền tảng tích hợp, chia sẻ dữ liệu",
        description = "SQL and REST access to agency databases served by sandboxed WebAssembly connectors. \
            Every response carries `x-request-id`; every error body is `{code, type, message, request_id}`.",
    ),
    paths(
        super::query::query,
        super::tables::tables,
        super::health::liveness,
        super::health::services,
        document,
    ),
    components(schemas(super::error::ErrorBody, super::error::ErrorType)),
    tags(
        (name = "query", description = "SQL over connector tables"),
        (name = "catalog", description = "What can be queried"),
        (name = "health", description = "Level-1 and level-2 health"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1 JSON")), tag = "catalog")]
pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
