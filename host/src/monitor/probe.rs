//! What the monitor watches and how one check runs: [`Probe`], with
//! [`RegistryProbe`] over the loaded connectors.

use crate::runtime::{CallContext, Snapshot};
use serde::Serialize;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// One service to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Connector (service) name.
    pub name: String,
    /// Provider agency code.
    pub provider: Option<String>,
    /// Time between checks; `None`: the monitor's default.
    pub interval: Option<Duration>,
    /// The provider's webhook for status changes.
    pub webhook: Option<String>,
}

impl Target {
    /// A target with the default interval, no provider and no webhook.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            provider: None,
            interval: None,
            webhook: None,
        }
    }

    /// With this provider.
    pub fn with_provider(mut self, provider: Option<String>) -> Self {
        self.provider = provider;
        self
    }
}

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckOutcome {
    /// `health()` answered `up`.
    Up,
    /// `health()` answered `degraded`: serving, with a dependency impaired.
    Degraded,
    /// `health()` answered `down`.
    Down,
    /// `health()` itself failed (trap, timeout, upstream unreachable...).
    Failed,
}

impl CheckOutcome {
    /// Whether the service counts as serving: `up` or `degraded`.
    pub fn is_good(self) -> bool {
        matches!(self, Self::Up | Self::Degraded)
    }

    /// The lowercase name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Degraded => "degraded",
            Self::Down => "down",
            Self::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [Self::Up, Self::Degraded, Self::Down, Self::Failed]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What it found.
    pub outcome: CheckOutcome,
    /// How long it took.
    pub latency_ms: u64,
    /// For a bad outcome: what failed, safe to show to anyone.
    pub detail: Option<String>,
}

/// The services to watch and the way to check one.
///
/// Implement it to watch something other than the loaded connectors (tests
/// script one). [`Probe::check`] must not panic and should return within the
/// service's own deadline: the monitor runs all due checks at once and waits
/// for all of them.
#[async_trait::async_trait]
pub trait Probe: Send + Sync {
    /// Every service that should be watched now.
    fn targets(&self) -> Vec<Target>;

    /// Runs one level-2 check of `target`.
    async fn check(&self, target: &Target) -> Check;
}

/// The loaded connectors of one registry snapshot, checked through their
/// `health()` (which checks their upstream).
#[derive(Debug, Clone, Copy)]
pub struct RegistryProbe<'a> {
    snapshot: &'a Snapshot,
}

impl<'a> RegistryProbe<'a> {
    /// Watches the connectors of `snapshot`.
    pub fn new(snapshot: &'a Snapshot) -> Self {
        Self { snapshot }
    }
}

#[async_trait::async_trait]
impl Probe for RegistryProbe<'_> {
    fn targets(&self) -> Vec<Target> {
        self.snapshot
            .connectors
            .iter()
            .map(|(name, c)| Target {
                name: name.clone(),
                provider: c.provider().map(str::to_owned),
                interval: c.monitor().interval_secs.map(Duration::from_secs),
                webhook: c.monitor().webhook.clone(),
            })
            .collect()
    }

    async fn check(&self, target: &Target) -> Check {
        let Some(connector) = self.snapshot.connectors.get(&target.name) else {
            return Check {
                outcome: CheckOutcome::Failed,
                latency_ms: 0,
                detail: Some("the connector is not loaded".into()),
            };
        };
        let started = Instant::now();
        let ctx = CallContext::platform(format!("monitor-{}", uuid::Uuid::now_v7()));
        // The sandbox bounds the call with the connector's own deadline.
        let result = connector.health(&ctx).await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok(report) => {
                let outcome = match report.status {
                    "up" => CheckOutcome::Up,
                    "degraded" => CheckOutcome::Degraded,
                    _ => CheckOutcome::Down,
                };
                // Name what is not up, so the notification says where to look.
                let impaired: Vec<String> = report
                    .dependencies
                    .iter()
                    .filter(|d| d.status != "up")
                    .map(|d| match &d.message {
                        Some(m) => format!("{} {} ({m})", d.name, d.status),
                        None => format!("{} {}", d.name, d.status),
                    })
                    .collect();
                Check {
                    outcome,
                    latency_ms,
                    detail: (!impaired.is_empty()).then(|| bounded(impaired.join("; "))),
                }
            }
            Err(e) => Check {
                outcome: CheckOutcome::Failed,
                latency_ms,
                detail: Some(bounded(e.public_message())),
            },
        }
    }
}

/// Longest detail kept: it is stored with every sample and sent in
/// notifications, and the connector chooses its dependencies' messages.
const MAX_DETAIL_BYTES: usize = 512;

fn bounded(mut text: String) -> String {
    if text.len() > MAX_DETAIL_BYTES {
        let mut end = MAX_DETAIL_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_bounded_on_a_char_boundary() {
        assert_eq!(bounded("short".into()), "short");
        let long = bounded("đ".repeat(400));
        assert!(
            long.len() <= MAX_DETAIL_BYTES + '…'.len_utf8(),
            "{}",
            long.len()
        );
        assert!(long.ends_with('…'));
    }
}
