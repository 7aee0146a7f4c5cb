//! Prometheus metrics (`GET /metrics`): requests by kind, outcome and code,
//! their latency, the audit writer's work, and connectors. Labels never name
//! an agency or a person: the per-agency figures are in the usage reports,
//! which are access-controlled.

use lgsp_audit::{Draft, LogStats};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    kind: String,
    outcome: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

/// The platform's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<KindLabel, Histogram>,
    audit_entries: Gauge,
    audit_batches: Gauge,
    audit_failures: Gauge,
    connectors: Gauge,
    load_failures: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("lgsp");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Audited HTTP requests by kind (data, api, admin), outcome and machine code",
            requests.clone(),
        );
        let duration = Family::<KindLabel, Histogram>::new_with_constructor(|| {
            // 1 ms .. ~16 s, doubling.
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.001, 2.0, 15,
            ))
        });
        registry.register(
            "request_duration_seconds",
            "From arrival to the last byte of the response, audit commit included",
            duration.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let audit_entries = gauge(
            &mut registry,
            "audit_entries_committed",
            "Audit entries this process committed since it started",
        );
        let audit_batches = gauge(
            &mut registry,
            "audit_commits",
            "Audit transactions (group commits) since start",
        );
        let audit_failures = gauge(
            &mut registry,
            "audit_commit_failures",
            "Audit transactions that failed since start (their requests failed)",
        );
        let connectors = gauge(&mut registry, "connectors_loaded", "Connectors serving");
        let load_failures = gauge(
            &mut registry,
            "connector_load_failures",
            "Connectors that failed to load",
        );
        Self {
            registry,
            requests,
            duration,
            audit_entries,
            audit_batches,
            audit_failures,
            connectors,
            load_failures,
        }
    }

    /// Counts a finished request from its audit draft.
    pub fn observe(&self, draft: &Draft) {
        let kind = draft.kind.as_str().to_owned();
        let outcome = draft.outcome.as_str().to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                kind: kind.clone(),
                outcome,
                code: draft.code.clone(),
            })
            .inc();
        self.duration
            .get_or_create(&KindLabel { kind })
            .observe(draft.duration_us as f64 / 1e6);
    }

    /// The text exposition, with the gauges read now.
    pub fn render(&self, audit: &LogStats, connectors: usize, load_failures: usize) -> String {
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.audit_entries
            .set(as_i64(audit.entries.load(Ordering::Relaxed)));
        self.audit_batches
            .set(as_i64(audit.batches.load(Ordering::Relaxed)));
        self.audit_failures
            .set(as_i64(audit.failures.load(Ordering::Relaxed)));
        self.connectors.set(as_i64(connectors as u64));
        self.load_failures.set(as_i64(load_failures as u64));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }
}

/// Adds `lgsp_service_up{service="…"}` (1 online, 0 offline or unknown) for
/// each monitored service, before the exposition's `# EOF`. Service names
/// are connector schema names ([a-z0-9_]), safe as label values.
pub fn with_service_status(text: String, services: &[crate::monitor::ServiceStatus]) -> String {
    let body = text.strip_suffix("# EOF\n").unwrap_or(&text);
    let mut out = String::with_capacity(body.len() + 64 * (services.len() + 2));
    out.push_str(body);
    out.push_str("# HELP lgsp_service_up Whether the health monitor sees the service online.\n");
    out.push_str("# TYPE lgsp_service_up gauge\n");
    for s in services {
        let up = u8::from(s.status == crate::monitor::Status::Online);
        let name: String = s
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        out.push_str(&format!("lgsp_service_up{{service=\"{name}\"}} {up}\n"));
    }
    out.push_str("# EOF\n");
    out
}
