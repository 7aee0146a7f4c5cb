//! The HTTP API (axum). Handlers stay thin: extract, call one service, map the
//! result. This module does not touch wasmtime or DataFusion directly.

mod admin;
mod audit;
mod auth;
mod caller;
mod catalogs;
mod connectors;
mod encode;
mod error;
mod extract;
mod grants;
mod health;
mod monitor;
mod openapi;
mod query;
mod reports;
mod tables;

pub(crate) use admin::rfc3339 as admin_rfc3339;
pub use admin::{LoginRequest, LoginResponse};
// The admin API's documents, shared with `lgsp admin --json`.
pub use admin::{
    AdminDoc, AdminGrantsQuery, AgenciesResponse, AgencyDetail, AgencyDoc, AgencyEventDoc,
    AgencyStatusBody, ApplicationDoc, ApplicationPatch, ApplicationsResponse, IssuedKeyDoc, KeyDoc,
    KeyKindValue, KeysResponse, MergeBody, NewAdminBody, NewAgencyBody, NewApplicationBody,
    NewKeyBody, RenameBody, RotateBody, ServiceDoc, ServicesResponse, SetServiceBody,
    SettableAgencyStatus, SettableAppStatus, SplitBody, TierDoc, TierPreset, TierSpec,
};
pub use audit::{AuditEntriesResponse, AuditQuery, PublicKeyResponse};
pub use auth::{ForwardedRequest, SessionRequest, SessionResponse, VerifyRequest, VerifyResponse};
pub use caller::{Caller, PURPOSE_HEADER, REQUEST_ID_HEADER, RequestId};
pub use catalogs::{
    CatalogDoc, CatalogsResponse, ChangesResponse, CrosswalksResponse, ExportFormat, ItemResponse,
    ItemsResponse, SuccessorDoc, SuccessorsResponse,
};
pub use connectors::{
    ConfigBody, ConfigResponse, NoticesResponse, PublishBody, RetireBody, RollbackBody,
    RollbackResponse, SignatureBody, SuspendBody, VersionDoc, VersionsResponse, WebhookBody,
};
pub use grants::{ApproveBody, GrantDoc, GrantRequestBody, GrantsResponse, ReasonBody};
pub use reports::{ReportParams, ReportResponse};
// Shared with `lgsp audit` and `lgsp report`.
pub(crate) use audit::bound as period_bound;
pub(crate) use reports::{ReportKind, rows as report_rows, to_csv as report_csv};
// Catalog reads the `lgsp catalog` command shares with the routes.
pub(crate) use catalogs::{MAX_LIMIT, items_page, successors_of};
pub use encode::{ARROW_STREAM, Format, stream_response};
pub use error::{ApiError, ErrorBody, ErrorType};
pub use health::{Liveness, ServiceHealth, ServicesHealth};
pub use openapi::ApiDoc;
pub use query::QueryRequest;
pub use tables::{ColumnDoc, SchemaDoc, TableDoc, TablesResponse};

use crate::query::{MAX_SQL_BYTES, QueryService};
use crate::runtime::Registry;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Router, middleware};
use std::sync::Arc;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// SQL execution.
    pub query: Arc<QueryService>,
    /// Loaded connectors.
    pub registry: Arc<Registry>,
    /// Shared catalogs.
    pub catalogs: Arc<crate::catalogs::CatalogService>,
    /// Signatures, sessions, grants and admin sessions.
    pub auth: Arc<crate::auth::AuthService>,
    /// The audit log.
    pub audit: Arc<crate::audit::Auditor>,
    /// Prometheus metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Health monitoring of the connected services (absent in tests of
    /// other parts).
    pub monitor: Option<Arc<crate::monitor::Monitor>>,
    /// Published connectors (absent in tests of other parts).
    pub connectors: Option<Arc<crate::publish::ConnectorService>>,
}

/// The whole API, ready to serve (or to call in tests without a socket).
pub fn router(state: AppState) -> Router {
    // Everything that reaches data or changes who may reach it is signed.
    let signed = Router::new()
        .route("/v1/query", post(query::query))
        .route("/v1/tables", get(tables::tables))
        .route("/v1/services", get(tables::services))
        .route("/v1/auth/sessions", post(auth::open_session))
        .route("/v1/auth/verify", post(auth::verify))
        .route("/v1/grants", get(grants::list).post(grants::request))
        .route("/v1/grants/{id}/approve", post(grants::approve))
        .route("/v1/grants/{id}/reject", post(grants::reject))
        .route("/v1/grants/{id}/revoke", post(grants::revoke))
        .route("/v1/grants/{id}/reapprove", post(grants::reapprove))
        .route(
            "/v1/connectors",
            get(connectors::list)
                .post(connectors::publish)
                .layer(DefaultBodyLimit::max(connectors::MAX_PUBLISH_BODY)),
        )
        .route(
            "/v1/connectors/{name}/versions/{version}/retire",
            post(connectors::retire),
        )
        .route("/v1/connectors/{name}/rollback", post(connectors::rollback))
        .route(
            "/v1/connectors/{name}/config",
            get(connectors::config).put(connectors::configure),
        )
        .route("/v1/notices", get(connectors::notices))
        .route("/v1/notices/webhook", put(connectors::set_webhook))
        .route("/v1/audit/entries", get(audit::agency_entries))
        .route("/v1/reports/{report}", get(reports::agency_report))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            caller::signed,
        ));
    let monitored = match &state.monitor {
        Some(m) => monitor::routes(m.clone()),
        None => Router::new(),
    };
    Router::new()
        .merge(signed)
        .merge(monitored)
        .route("/v1/admin/login", post(admin::login))
        .merge(admin::routes())
        .route("/v1/admin/audit/entries", get(audit::admin_entries))
        .route("/v1/admin/connectors", get(connectors::admin_list))
        .route(
            "/v1/admin/connectors/{name}/suspend",
            post(connectors::suspend),
        )
        .route(
            "/v1/admin/connectors/{name}/resume",
            post(connectors::resume),
        )
        .route(
            "/v1/admin/connectors/{name}/config",
            put(connectors::admin_configure),
        )
        .route(
            "/v1/admin/connectors/{name}/rollback",
            post(connectors::admin_rollback),
        )
        .route(
            "/v1/admin/connectors/{name}/versions/{version}/retire",
            post(connectors::admin_retire),
        )
        .route("/v1/admin/reports/{report}", get(reports::admin_report))
        .route("/v1/audit/public-key", get(audit::public_key))
        .route("/v1/health", get(health::liveness))
        .route("/v1/health/services", get(health::services))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/metrics", get(metrics))
        .merge(catalogs::routes())
        .route_layer(middleware::from_fn(crate::audit::http::mark_route))
        .fallback(caller::not_found)
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        // Room for the longest SQL text plus its JSON envelope.
        .layer(DefaultBodyLimit::max(MAX_SQL_BYTES * 2))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::audit::http::layer,
        ))
        .layer(middleware::from_fn(caller::request_id))
        .with_state(state)
}

/// Prometheus metrics, text format.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    let snapshot = state.registry.snapshot();
    let mut text = state.metrics.render(
        state.audit.log().stats(),
        snapshot.connectors.len(),
        snapshot.failures.len(),
    );
    if let Some(monitor) = &state.monitor
        && let Ok(services) = monitor.services(chrono::Utc::now()).await
    {
        text = crate::metrics::with_service_status(text, &services);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
