//! Health: level 1 answers at once and checks nothing; level 2 asks every
//! connector to check its upstream.

use super::AppState;
use crate::runtime::{CallContext, DependencyHealth, LoadFailure};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::time::{Instant, SystemTime};
use utoipa::ToSchema;

/// Level-1 health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `up` when the process answers.
    pub status: &'static str,
    /// Platform version.
    pub version: &'static str,
}

/// Level 1: the platform process is up. Checks nothing.
#[utoipa::path(get, path = "/v1/health", responses((status = 200, body = Liveness)), tag = "health")]
pub(crate) async fn liveness() -> Json<Liveness> {
    Json(Liveness {
        status: "up",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Level-2 health of every connected service.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServicesHealth {
    /// Worst status of all services: `up`, `degraded` or `down`.
    pub status: &'static str,
    /// When the checks ran (RFC 3339, UTC).
    pub checked_at: String,
    /// One entry per loaded connector.
    pub services: Vec<ServiceHealth>,
    /// Connectors that failed to load, with the reason.
    #[schema(value_type = Vec<Object>)]
    pub load_failures: Vec<LoadFailure>,
}

/// Health of one connector and its dependencies.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceHealth {
    /// Connector name.
    pub name: String,
    /// Connector version.
    pub version: String,
    /// `up`, `degraded` or `down`.
    pub status: &'static str,
    /// How long the check took, in milliseconds.
    pub latency_ms: u64,
    /// What the connector checked.
    #[schema(value_type = Vec<Object>)]
    pub dependencies: Vec<DependencyHealth>,
    /// Why the check itself failed, if it did.
    pub error: Option<String>,
}

/// Level 2: runs every connector's `health()` (which checks its upstream) in
/// parallel. Answers 503 when any service is down or failed to load.
#[utoipa::path(get, path = "/v1/health/services",
    responses((status = 200, body = ServicesHealth), (status = 503, description = "A service is down", body = ServicesHealth)),
    tag = "health")]
pub(crate) async fn services(State(state): State<AppState>) -> (StatusCode, Json<ServicesHealth>) {
    let snapshot = state.registry.snapshot();
    let checks = snapshot.connectors.values().map(|c| async move {
        let started = Instant::now();
        let ctx = CallContext::platform(format!("health-{}", uuid::Uuid::now_v7()));
        let result = c.health(&ctx).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let info = c.info();
        match result {
            Ok(report) => ServiceHealth {
                name: info.name.clone(),
                version: info.version.clone(),
                status: report.status,
                latency_ms,
                dependencies: report.dependencies,
                error: None,
            },
            Err(e) => {
                tracing::warn!(connector = %info.name, error = %e, "health check failed");
                ServiceHealth {
                    name: info.name.clone(),
                    version: info.version.clone(),
                    status: "down",
                    latency_ms,
                    dependencies: Vec::new(),
                    error: Some(e.public_message()),
                }
            }
        }
    });
    let services = futures::future::join_all(checks).await;
    let rank = |s: &str| match s {
        "up" => 0,
        "degraded" => 1,
        _ => 2,
    };
    let mut worst = services.iter().map(|s| rank(s.status)).max().unwrap_or(0);
    if !snapshot.failures.is_empty() {
        worst = 2;
    }
    let status = ["up", "degraded", "down"][worst];
    let code = if worst == 2 {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        code,
        Json(ServicesHealth {
            status,
            checked_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            services,
            load_failures: snapshot.failures.clone(),
        }),
    )
}
