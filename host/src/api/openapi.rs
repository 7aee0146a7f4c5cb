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
            Data, session and grant routes take signed requests (docs/authentication.md: LGSP-HMAC-SHA256, \
            LGSP-HMAC-SHA1 for legacy applications, LGSP-RSA-SHA256); admin routes an admin session. \
            Every response carries `x-request-id`; every error body is `{code, type, message, request_id}` \
            (plus `problems` for `invalid_import`).",
    ),
    modifiers(&AdminToken),
    paths(
        super::query::query,
        super::tables::tables,
        super::tables::services,
        super::auth::open_session,
        super::auth::verify,
        super::grants::request,
        super::grants::list,
        super::grants::approve,
        super::grants::reject,
        super::grants::revoke,
        super::grants::reapprove,
        super::connectors::publish,
        super::connectors::list,
        super::connectors::retire,
        super::connectors::rollback,
        super::connectors::config,
        super::connectors::configure,
        super::connectors::notices,
        super::connectors::set_webhook,
        super::connectors::admin_list,
        super::connectors::suspend,
        super::connectors::resume,
        super::connectors::admin_configure,
        super::connectors::admin_rollback,
        super::connectors::admin_retire,
        super::admin::login,
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
        super::admin::agencies::list,
        super::admin::agencies::create,
        super::admin::agencies::show,
        super::admin::agencies::rename,
        super::admin::agencies::split,
        super::admin::agencies::merge,
        super::admin::agencies::set_status,
        super::admin::applications::list,
        super::admin::applications::create,
        super::admin::applications::show,
        super::admin::applications::update,
        super::admin::keys::list,
        super::admin::keys::create,
        super::admin::keys::rotate,
        super::admin::keys::revoke,
        super::admin::services::list,
        super::admin::services::set,
        super::admin::grants::list,
        super::admin::grants::approve,
        super::admin::grants::reject,
        super::admin::grants::revoke,
        super::admin::admins::create,
        super::audit::agency_entries,
        super::audit::admin_entries,
        super::audit::public_key,
        super::reports::agency_report,
        super::reports::admin_report,
        super::monitor::services,
        super::monitor::history,
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
        super::admin::AgencyDoc,
        super::admin::AgencyEventDoc,
        super::admin::AgencyDetail,
        super::admin::AgenciesResponse,
        super::admin::NewAgencyBody,
        super::admin::RenameBody,
        super::admin::SplitBody,
        super::admin::MergeBody,
        super::admin::AgencyStatusBody,
        super::admin::SettableAgencyStatus,
        super::admin::TierDoc,
        super::admin::TierPreset,
        super::admin::TierSpec,
        super::admin::ApplicationDoc,
        super::admin::ApplicationsResponse,
        super::admin::NewApplicationBody,
        super::admin::ApplicationPatch,
        super::admin::SettableAppStatus,
        super::admin::KeyDoc,
        super::admin::IssuedKeyDoc,
        super::admin::KeysResponse,
        super::admin::NewKeyBody,
        super::admin::KeyKindValue,
        super::admin::RotateBody,
        super::admin::ServiceDoc,
        super::admin::ServicesResponse,
        super::admin::SetServiceBody,
        super::admin::NewAdminBody,
        super::admin::AdminDoc,
        super::grants::GrantDoc,
        super::grants::GrantsResponse,
        super::grants::ApproveBody,
        super::grants::ReasonBody,
        super::grants::GrantRequestBody,
        super::auth::SessionRequest,
        super::auth::SessionResponse,
        super::auth::ForwardedRequest,
        super::auth::VerifyRequest,
        super::auth::VerifyResponse,
        super::admin::LoginRequest,
        super::admin::LoginResponse,
    )),
    tags(
        (name = "query", description = "SQL over connector tables"),
        (name = "catalog", description = "What can be queried (signed)"),
        (name = "auth", description = "Session keys and their verification by destination systems (signed; docs/authentication.md)"),
        (name = "connectors", description = "Connectors published by their provider agencies: signed uploads, versions, retirement, rollback, configuration, notices (signed; docs/connector-guide.md)"),
        (name = "grants", description = "Access requested by consumers and decided by providers, with a purpose (signed)"),
        (name = "health", description = "Level-1 and level-2 health"),
        (name = "catalogs", description = "Shared catalogs (danh mục dùng chung): versioned, date-aware code lists and crosswalks"),
        (name = "catalogs-admin", description = "Importing and publishing catalog versions; requires an admin session"),
        (name = "admin", description = "Agencies, applications, keys, services, grants and admin accounts; requires an admin session (POST /v1/admin/login)"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer token the admin routes name in their `security`.
struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An admin session token from POST /v1/admin/login"))
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
