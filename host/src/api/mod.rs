//! The HTTP API (axum). Handlers stay thin: extract, call one service, map the
//! result. This module does not touch wasmtime or DataFusion directly.

mod caller;
mod catalogs;
mod encode;
mod error;
mod health;
mod openapi;
mod query;
mod tables;

pub use caller::{Caller, PURPOSE_HEADER, REQUEST_ID_HEADER, RequestId};
pub use catalogs::{
    CatalogDoc, CatalogsResponse, ChangesResponse, CrosswalksResponse, ExportFormat, ItemResponse,
    ItemsResponse, SuccessorDoc, SuccessorsResponse,
};
// Catalog reads the `lgsp catalog` command shares with the routes.
pub(crate) use catalogs::{MAX_LIMIT, items_page, successors_of};
pub use encode::{ARROW_STREAM, Format};
pub use error::{ApiError, ErrorBody, ErrorType};
pub use health::{Liveness, ServiceHealth, ServicesHealth};
pub use openapi::ApiDoc;
pub use query::QueryRequest;
pub use tables::{ColumnDoc, SchemaDoc, TableDoc, TablesResponse};

use crate::query::{MAX_SQL_BYTES, QueryService};
use crate::runtime::Registry;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
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
    /// The bearer token admin routes require; admin routes are closed
    /// without one.
    pub admin_token: Option<Arc<str>>,
}

/// The whole API, ready to serve (or to call in tests without a socket).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/query", post(query::query))
        .route("/v1/tables", get(tables::tables))
        .route("/v1/health", get(health::liveness))
        .route("/v1/health/services", get(health::services))
        .route("/v1/openapi.json", get(openapi::document))
        .merge(catalogs::routes())
        .fallback(caller::not_found)
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        // Room for the longest SQL text plus its JSON envelope.
        .layer(DefaultBodyLimit::max(MAX_SQL_BYTES * 2))
        .layer(middleware::from_fn(caller::request_id))
        .with_state(state)
}
