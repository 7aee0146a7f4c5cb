//! Health monitoring: polls every connector's level-2 `health()` on its own
//! schedule, decides online/offline with hysteresis, keeps every change and
//! periodic samples for the retention period (≥ 90 days), serves uptime, and
//! tells the provider and the admins of each change through a signed-webhook
//! outbox.
//!
//! - [`probe`](Probe): what is watched and how one check runs (the registry in
//!   production, a script in tests);
//! - `state`: the hysteresis, pure;
//! - `store`: the SQLite tables (migration 3001);
//! - `uptime`: uptime from the stored changes, pure;
//! - `notify`: the outbox and its delivery;
//! - `task`: the background loops.

mod notify;
mod probe;
mod state;
mod store;
mod task;
#[cfg(test)]
mod tests;
mod uptime;

pub use probe::{Check, CheckOutcome, Probe, RegistryProbe, Target};
pub use task::MonitorTask;

use crate::runtime::Snapshot;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use state::{ServiceState, Thresholds};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use utoipa::ToSchema;

/// How the monitor polls, decides, keeps and notifies.
#[derive(Debug, Clone)]
pub struct MonitorSettings {
    /// Time between checks of a service whose manifest sets no
    /// `[monitor] interval_secs`.
    pub default_interval: Duration,
    /// Consecutive failed or `down` checks that take a service offline.
    pub failures_to_offline: u32,
    /// Consecutive good (`up` or `degraded`) checks that bring it online.
    pub successes_to_online: u32,
    /// A check result is kept at most this often per service; the checks
    /// that decide a change are always kept.
    pub sample_every: Duration,
    /// Samples, changes and notifications older than this are deleted. The
    /// regulations ask for at least [`Self::MIN_RETENTION`]; configuration
    /// should clamp to it (only tests set less).
    pub retention: Duration,
    /// URLs told of every online/offline change.
    pub admin_webhooks: Vec<String>,
}

impl MonitorSettings {
    /// The shortest history the regulations allow (3 months).
    pub const MIN_RETENTION: Duration = Duration::from_secs(90 * 86_400);
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            default_interval: Duration::from_secs(30),
            failures_to_offline: 3,
            successes_to_online: 2,
            sample_every: Duration::from_secs(300),
            retention: Self::MIN_RETENTION,
            admin_webhooks: Vec::new(),
        }
    }
}

/// Signs a webhook body; returns the value of the `x-lgsp-signature` header.
pub type BodySigner = Arc<dyn Fn(&[u8]) -> String + Send + Sync>;

/// Called once for every recorded status change (the platform writes it to
/// the audit log). Runs on the polling task: keep it quick.
pub type ChangeSink = Arc<dyn Fn(&StatusChange) + Send + Sync>;

/// What the platform believes about a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not yet decided, or no longer watched (the connector was unloaded).
    Unknown,
    /// Its level-2 health answers `up` or `degraded`.
    Online,
    /// Its level-2 health fails or answers `down`.
    Offline,
}

impl Status {
    /// The lowercase name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Online => "online",
            Self::Offline => "offline",
        }
    }

    fn parse(text: &str) -> Result<Self, MonitorError> {
        match text {
            "unknown" => Ok(Self::Unknown),
            "online" => Ok(Self::Online),
            "offline" => Ok(Self::Offline),
            other => Err(MonitorError::Corrupt(format!("unknown status {other:?}"))),
        }
    }

    /// Whether a change from `from` to `to` is announced by webhook: every
    /// loss, and every recovery from a loss. A first sighting (unknown →
    /// online) and an unloaded connector (→ unknown) are only recorded.
    fn notifies(from: Self, to: Self) -> bool {
        to == Self::Offline || (from == Self::Offline && to == Self::Online)
    }
}

/// A change as the [`ChangeSink`] receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// Connector (service) name.
    pub service: String,
    /// Provider agency code.
    pub provider: Option<String>,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// When the deciding check ran.
    pub at: DateTime<Utc>,
    /// Why, for people.
    pub reason: String,
}

/// A stored status change; also the JSON body of each webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatusChangeRecord {
    /// Unique id of the change (also the `x-lgsp-event-id` header), so a
    /// receiver can ignore a repeated delivery.
    pub event_id: String,
    /// Connector (service) name.
    pub service: String,
    /// Provider agency code.
    pub provider: Option<String>,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// When the deciding check ran (RFC 3339, UTC).
    pub at: DateTime<Utc>,
    /// Why, for people: how many checks failed and the last error.
    pub reason: String,
}

impl StatusChangeRecord {
    fn change(&self) -> StatusChange {
        StatusChange {
            service: self.service.clone(),
            provider: self.provider.clone(),
            from: self.from,
            to: self.to,
            at: self.at,
            reason: self.reason.clone(),
        }
    }
}

/// Share of the observed time a service was online, in percent (three
/// decimals); `null` when it was not observed in the window.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Uptime {
    /// Over the last 24 hours.
    pub last_24h: Option<f64>,
    /// Over the last 7 days.
    pub last_7d: Option<f64>,
    /// Over the last 90 days.
    pub last_90d: Option<f64>,
}

/// The current status of one service, as `GET /v1/monitor/services` serves it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceStatus {
    /// Connector (service) name.
    pub name: String,
    /// Provider agency code.
    pub provider: Option<String>,
    /// Current status.
    pub status: Status,
    /// Since when (the last change); `null` before the first decision.
    pub since: Option<DateTime<Utc>>,
    /// The last change.
    pub last_change: Option<StatusChangeRecord>,
    /// When it was last checked.
    pub last_check: Option<DateTime<Utc>>,
    /// What the last check found.
    pub last_result: Option<CheckOutcome>,
    /// Why the last check failed, if it did.
    pub last_error: Option<String>,
    /// Uptime over 24 h, 7 d and 90 d.
    pub uptime: Uptime,
}

/// What [`Monitor::prune`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Check samples.
    pub samples: u64,
    /// Status changes (the last one before the cutoff is kept: it says what
    /// the status was when the retained history starts).
    pub changes: u64,
    /// Notifications, delivered or not.
    pub notifications: u64,
}

/// A monitoring failure.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The monitoring tables cannot be created or upgraded.
    #[error("cannot apply the monitoring migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database refused a read or write.
    #[error("the monitoring tables cannot be read or written: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value is not what this version writes.
    #[error("stored monitoring data is invalid: {0}")]
    Corrupt(String),
    /// An admin webhook URL in the configuration is unusable.
    #[error("admin webhook {0}")]
    Webhook(String),
    /// The HTTP client for webhooks cannot be built.
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// History was asked for a service never monitored.
    #[error("no service named {0:?} has been monitored")]
    UnknownService(String),
}

/// How often old rows are pruned during polling.
const PRUNE_EVERY: TimeDelta = TimeDelta::hours(1);

/// What the polling loop keeps between polls. The database has the same
/// service states; this copy saves a read per check.
#[derive(Debug, Default)]
struct PollState {
    services: HashMap<String, ServiceState>,
    /// When each service is next due.
    due: HashMap<String, DateTime<Utc>>,
    last_prune: Option<DateTime<Utc>>,
}

/// The health monitor. Cheap to share (`Arc`); polls are serialized.
pub struct Monitor {
    store: Store,
    settings: MonitorSettings,
    signer: BodySigner,
    sink: ChangeSink,
    http: reqwest::Client,
    poll: tokio::sync::Mutex<PollState>,
    /// One delivery run at a time, so no notification is sent twice at once.
    delivery: tokio::sync::Mutex<()>,
    /// Wakes the delivery loop when a notification is queued, here or
    /// through an [`Outbox`].
    queued: Arc<tokio::sync::Notify>,
    pool: SqlitePool,
}

/// Where other parts of the platform queue webhook notifications (connector
/// notices): the monitor's outbox, delivered signed and retried like the
/// monitor's own, the delivery loop woken by each one.
#[derive(Debug, Clone)]
pub struct Outbox {
    pool: SqlitePool,
    queued: Arc<tokio::sync::Notify>,
}

impl Outbox {
    /// Queues `body` for `url` under `event_id` (queued once per id).
    ///
    /// # Errors
    /// When the outbox cannot be written.
    pub(crate) async fn queue(
        &self,
        event_id: &str,
        url: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        store::queue(&self.pool, event_id, url, body, at).await?;
        self.queued.notify_one();
        Ok(())
    }

    /// Whether the delivery loop has been woken since it last looked.
    #[cfg(test)]
    pub(crate) fn woken(&self) -> bool {
        use futures::FutureExt as _;
        self.queued.notified().now_or_never().is_some()
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Monitor {
    /// Opens the monitor on the platform database: applies its migrations
    /// (versions 3001 and up) and restores every service's last known state.
    ///
    /// # Errors
    /// [`MonitorError::Webhook`] for an unusable admin webhook URL; otherwise
    /// when the migrations cannot be applied or the state cannot be read.
    pub async fn open(
        pool: SqlitePool,
        settings: MonitorSettings,
        signer: BodySigner,
        sink: ChangeSink,
    ) -> Result<Arc<Self>, MonitorError> {
        if let Some(problem) = settings
            .admin_webhooks
            .iter()
            .find_map(|url| crate::runtime::webhook_problem(url))
        {
            return Err(MonitorError::Webhook(problem));
        }
        let store = Store::open(pool.clone()).await?;
        let services = store.states().await?;
        Ok(Arc::new(Self {
            store,
            settings,
            signer,
            sink,
            http: notify::client()?,
            poll: tokio::sync::Mutex::new(PollState {
                services,
                ..PollState::default()
            }),
            delivery: tokio::sync::Mutex::new(()),
            queued: Arc::default(),
            pool,
        }))
    }

    /// The settings in force.
    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// Checks every loaded connector that is due at `now`.
    ///
    /// # Errors
    /// As [`Self::poll`].
    pub async fn poll_once(
        &self,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> Result<(), MonitorError> {
        self.poll(&RegistryProbe::new(snapshot), now).await
    }

    /// Checks every target of `probe` that is due at `now` (all at once),
    /// records the results, marks targets that disappeared as unknown, and
    /// prunes old rows once an hour.
    ///
    /// # Errors
    /// When the database refuses a write; the checks whose results were not
    /// stored count as not having run.
    pub async fn poll(&self, probe: &dyn Probe, now: DateTime<Utc>) -> Result<(), MonitorError> {
        let mut poll = self.poll.lock().await;
        let targets = probe.targets();
        self.forget_unloaded(&mut poll, &targets, now).await?;
        let due: Vec<&Target> = targets
            .iter()
            .filter(|t| poll.due.get(&t.name).is_none_or(|at| *at <= now))
            .collect();
        let checks = futures::future::join_all(due.iter().map(|t| probe.check(t))).await;
        for (target, check) in due.into_iter().zip(checks) {
            self.record(&mut poll, target, &check, now).await?;
            let interval = target.interval.unwrap_or(self.settings.default_interval);
            poll.due
                .insert(target.name.clone(), shift(now, delta(interval)));
        }
        if poll.last_prune.is_none_or(|at| now - at >= PRUNE_EVERY) {
            self.prune(now).await?;
            poll.last_prune = Some(now);
        }
        Ok(())
    }

    /// Counts one check, stores it (sample, state, change and its
    /// notifications in one transaction) and announces a change.
    async fn record(
        &self,
        poll: &mut PollState,
        target: &Target,
        check: &Check,
        now: DateTime<Utc>,
    ) -> Result<(), MonitorError> {
        let mut state = poll.services.get(&target.name).cloned().unwrap_or_default();
        let from = state.status;
        let thresholds = Thresholds {
            failures_to_offline: self.settings.failures_to_offline,
            successes_to_online: self.settings.successes_to_online,
        };
        let change = state
            .observe(check.outcome.is_good(), thresholds)
            .map(|to| self.change_record(target, from, to, now, state.reason(to, check)));
        let sample = change.is_some()
            || state
                .last_sample
                .is_none_or(|at| now - at >= delta(self.settings.sample_every));
        if sample {
            state.last_sample = Some(now);
        }
        let recipients = change
            .as_ref()
            .filter(|c| Status::notifies(c.from, c.to))
            .map(|_| self.recipients(target))
            .unwrap_or_default();
        self.store
            .record_check(&store::CheckRecord {
                target,
                state: &state,
                check,
                at: now,
                sample,
                change: change.as_ref(),
                recipients: &recipients,
            })
            .await?;
        poll.services.insert(target.name.clone(), state);
        if let Some(change) = change {
            self.announce(&change, !recipients.is_empty());
        }
        Ok(())
    }

    /// Services watched before but absent from `targets` become unknown:
    /// nothing is checking them, so their time must not count as up or down.
    async fn forget_unloaded(
        &self,
        poll: &mut PollState,
        targets: &[Target],
        now: DateTime<Utc>,
    ) -> Result<(), MonitorError> {
        let loaded: BTreeSet<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        let gone: Vec<(String, Status)> = poll
            .services
            .iter()
            .filter(|(name, s)| s.status != Status::Unknown && !loaded.contains(name.as_str()))
            .map(|(name, s)| (name.clone(), s.status))
            .collect();
        for (name, from) in gone {
            let provider = self.store.provider_of(&name).await?;
            let target = Target::new(name.clone()).with_provider(provider);
            let change = self.change_record(
                &target,
                from,
                Status::Unknown,
                now,
                "the connector is no longer loaded".into(),
            );
            self.store.record_unloaded(&change).await?;
            poll.services.insert(name.clone(), ServiceState::default());
            poll.due.remove(&name);
            self.announce(&change, false);
        }
        Ok(())
    }

    fn change_record(
        &self,
        target: &Target,
        from: Status,
        to: Status,
        at: DateTime<Utc>,
        reason: String,
    ) -> StatusChangeRecord {
        StatusChangeRecord {
            event_id: uuid::Uuid::now_v7().to_string(),
            service: target.name.clone(),
            provider: target.provider.clone(),
            from,
            to,
            at,
            reason,
        }
    }

    /// The admin webhooks and the provider's, each once.
    fn recipients(&self, target: &Target) -> Vec<String> {
        let mut urls = self.settings.admin_webhooks.clone();
        urls.extend(target.webhook.clone());
        let mut seen = BTreeSet::new();
        urls.retain(|u| seen.insert(u.clone()));
        urls
    }

    /// The outbox, for other parts of the platform to queue into.
    pub fn outbox(&self) -> Outbox {
        Outbox {
            pool: self.pool.clone(),
            queued: self.queued.clone(),
        }
    }

    /// The log line, the sink, and a nudge to the delivery loop.
    fn announce(&self, change: &StatusChangeRecord, queued: bool) {
        let (service, from, to, reason) = (&change.service, change.from, change.to, &change.reason);
        if to == Status::Offline {
            tracing::warn!(%service, from = from.as_str(), provider = ?change.provider, %reason, "service offline");
        } else {
            tracing::info!(%service, from = from.as_str(), to = to.as_str(), %reason, "service status changed");
        }
        (self.sink)(&change.change());
        if queued {
            self.queued.notify_one();
        }
    }

    /// Every service ever watched: current status, last change, last check
    /// and uptime over 24 h, 7 d and 90 d ending at `now`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn services(&self, now: DateTime<Utc>) -> Result<Vec<ServiceStatus>, MonitorError> {
        let mut out = Vec::new();
        for row in self.store.service_rows().await? {
            let starts = [
                TimeDelta::hours(24),
                TimeDelta::days(7),
                TimeDelta::days(90),
            ]
            .map(|w| shift(now, -w));
            let changes = self.store.timeline(&row.name, starts[2], now).await?;
            let [h24, d7, d90] = starts.map(|start| uptime::percent(&changes, start, now));
            let last_change = self.store.last_change(&row.name).await?;
            out.push(ServiceStatus {
                since: last_change.as_ref().map(|c| c.at),
                last_change,
                uptime: Uptime {
                    last_24h: h24,
                    last_7d: d7,
                    last_90d: d90,
                },
                name: row.name,
                provider: row.provider,
                status: row.status,
                last_check: row.last_check,
                last_result: row.last_result,
                last_error: row.last_error,
            });
        }
        Ok(out)
    }

    /// The status changes of `service` between `from` and `to` (inclusive),
    /// oldest first.
    ///
    /// # Errors
    /// [`MonitorError::UnknownService`] when `service` was never watched;
    /// otherwise when the database cannot be read.
    pub async fn history(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatusChangeRecord>, MonitorError> {
        if !self.store.knows(service).await? {
            return Err(MonitorError::UnknownService(service.to_owned()));
        }
        self.store.changes(service, from, to).await
    }

    /// Deletes samples, changes and notifications older than the retention
    /// period before `now`, except the last change of each service before
    /// the cutoff (the status at the start of the kept history).
    ///
    /// # Errors
    /// When the database refuses the deletes.
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<Pruned, MonitorError> {
        let cutoff = shift(now, -delta(self.settings.retention));
        let pruned = self.store.prune(cutoff).await?;
        if pruned != Pruned::default() {
            tracing::info!(?pruned, "monitoring history pruned");
        }
        Ok(pruned)
    }

    /// Sends every queued notification that is due now; see
    /// [`Self::deliver_due`].
    ///
    /// # Errors
    /// As [`Self::deliver_due`].
    pub async fn deliver_pending(&self) -> Result<usize, MonitorError> {
        self.deliver_due(Utc::now()).await
    }
}

/// A `std` duration as a chrono one, saturating: a huge configured value
/// means "never", not a panic.
fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// `t + d`, saturating at the ends of chrono's range.
fn shift(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}
