//! Health-monitoring routes (`/v1/monitor/...`): the current status and
//! uptime of every watched service, and one service's status changes. Public,
//! like the level-2 health route: they reveal no data.

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::{AppState, period_bound};
use crate::monitor::{Monitor, MonitorError, ServiceStatus, StatusChangeRecord};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// How far back a history request reaches when it names no `from`.
const DEFAULT_HISTORY: TimeDelta = TimeDelta::days(7);

/// Every watched service.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MonitoredServices {
    /// When this answer was computed (uptime windows end here).
    pub(crate) generated_at: DateTime<Utc>,
    /// One entry per service ever watched, by name.
    pub(crate) services: Vec<ServiceStatus>,
}

/// The status changes of one service in a period.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ServiceHistory {
    /// The service.
    pub(crate) service: String,
    /// Start of the period.
    pub(crate) from: DateTime<Utc>,
    /// End of the period.
    pub(crate) to: DateTime<Utc>,
    /// Oldest first.
    pub(crate) changes: Vec<StatusChangeRecord>,
}

/// The period of a history request.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryParams {
    /// Start: RFC 3339 (e.g. `2025-07-01T00:00:00Z`) or a day (`YYYY-MM-DD`,
    /// Vietnam time); default: 7 days before `to`.
    #[serde(default)]
    from: Option<String>,
    /// End: RFC 3339 or a day (included); default: now.
    #[serde(default)]
    to: Option<String>,
}

/// The monitoring routes, with their own state, ready to merge into
/// [`super::router`].
// Until `super::router` merges these (issue 6 wiring); remove then.
pub(crate) fn routes(monitor: Arc<Monitor>) -> Router<AppState> {
    router(monitor)
}

/// The routes for any outer state (tests use `()`).
fn router<S: Clone + Send + Sync + 'static>(monitor: Arc<Monitor>) -> Router<S> {
    Router::new()
        .route("/v1/monitor/services", get(services))
        .route("/v1/monitor/services/{name}/history", get(history))
        .with_state(monitor)
}

fn monitor_error(e: MonitorError) -> ApiError {
    match e {
        MonitorError::UnknownService(_) => ApiError::not_found("unknown_service", e.to_string()),
        other => ApiError::internal(other),
    }
}

/// Current status, last change, last check and uptime over 24 h / 7 d / 90 d
/// of every service the platform watches.
#[utoipa::path(get, path = "/v1/monitor/services",
    responses((status = 200, body = MonitoredServices)),
    tag = "health")]
pub(crate) async fn services(
    State(monitor): State<Arc<Monitor>>,
) -> Result<Json<MonitoredServices>, ApiError> {
    let now = Utc::now();
    let services = monitor.services(now).await.map_err(monitor_error)?;
    Ok(Json(MonitoredServices {
        generated_at: now,
        services,
    }))
}

/// The online/offline changes of one service in a period (kept ≥ 90 days).
#[utoipa::path(get, path = "/v1/monitor/services/{name}/history",
    params(("name" = String, Path, description = "Service (connector) name"), HistoryParams),
    responses(
        (status = 200, body = ServiceHistory),
        (status = 400, description = "bad_parameter (from or to neither RFC 3339 nor a day, from after to)", body = ErrorBody),
        (status = 404, description = "unknown_service (never monitored)", body = ErrorBody),
    ),
    tag = "health")]
pub(crate) async fn history(
    State(monitor): State<Arc<Monitor>>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(p): ApiQuery<HistoryParams>,
) -> Result<Json<ServiceHistory>, ApiError> {
    // The same bounds as the audit and report routes take.
    let to = period_bound("to", p.to.as_deref(), true)?.unwrap_or_else(Utc::now);
    let from = period_bound("from", p.from.as_deref(), false)?
        .unwrap_or_else(|| to.checked_sub_signed(DEFAULT_HISTORY).unwrap_or(to));
    if from > to {
        return Err(ApiError::bad_parameter(format!(
            "from ({from}) is after to ({to})"
        )));
    }
    let changes = monitor
        .history(&name, from, to)
        .await
        .map_err(monitor_error)?;
    Ok(Json(ServiceHistory {
        service: name,
        from,
        to,
        changes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::{Check, CheckOutcome, MonitorSettings, Probe, Target};
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    /// One service that always answers `up`.
    struct AlwaysUp;

    #[async_trait::async_trait]
    impl Probe for AlwaysUp {
        fn targets(&self) -> Vec<Target> {
            vec![Target::new("dan_cu").with_provider(Some("000.00.01.H49".into()))]
        }
        async fn check(&self, _: &Target) -> Check {
            Check {
                outcome: CheckOutcome::Up,
                latency_ms: 3,
                detail: None,
            }
        }
    }

    async fn get_json(app: Router, uri: &str) -> (StatusCode, serde_json::Value) {
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, serde_json::from_slice(&bytes).expect("JSON"))
    }

    #[tokio::test]
    async fn serves_status_history_and_errors() {
        let path =
            std::env::temp_dir().join(format!("lgsp-api-monitor-{}.db", uuid::Uuid::now_v7()));
        let pool = crate::db::open(&path).await.expect("database");
        let monitor = Monitor::open(
            pool,
            MonitorSettings::default(),
            Arc::new(|_: &[u8]| String::new()),
            Arc::new(|_: &crate::monitor::StatusChange| {}),
        )
        .await
        .expect("monitor");
        let t0 = Utc::now() - TimeDelta::hours(1);
        monitor.poll(&AlwaysUp, t0).await.expect("poll");
        monitor
            .poll(&AlwaysUp, t0 + TimeDelta::seconds(30))
            .await
            .expect("poll");
        let app = router::<()>(monitor);

        let (status, body) = get_json(app.clone(), "/v1/monitor/services").await;
        assert_eq!(status, StatusCode::OK);
        let service = &body["services"][0];
        assert_eq!(service["name"], "dan_cu");
        assert_eq!(service["provider"], "000.00.01.H49");
        assert_eq!(service["status"], "online");
        assert_eq!(service["last_result"], "up");
        assert_eq!(service["last_change"]["from"], "unknown");
        assert_eq!(service["uptime"]["last_24h"], 100.0);

        let (status, body) = get_json(app.clone(), "/v1/monitor/services/dan_cu/history").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["changes"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["changes"][0]["to"], "online");

        let (status, body) = get_json(app.clone(), "/v1/monitor/services/nope/history").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["code"], "unknown_service");

        let (status, body) = get_json(
            app.clone(),
            "/v1/monitor/services/dan_cu/history?from=yesterday",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "bad_parameter");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("RFC 3339"))
        );

        let (status, _) = get_json(
            app,
            "/v1/monitor/services/dan_cu/history?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
