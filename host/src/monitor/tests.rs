//! The monitor against a real SQLite file, a scripted probe, an explicit
//! clock and local webhook receivers: thresholds, hysteresis, notifications
//! (retried, delivered once, in order), history, uptime, retention, restarts.

use super::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const PROVIDER: &str = "000.00.01.H49";

fn t0() -> DateTime<Utc> {
    "2025-07-01T00:00:00Z".parse().expect("time")
}

fn secs(s: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(s)
}

fn mins(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

fn days(d: i64) -> DateTime<Utc> {
    t0() + TimeDelta::days(d)
}

fn all_time() -> (DateTime<Utc>, DateTime<Utc>) {
    (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)
}

/// A database file removed at the end of the test.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("lgsp-monitor-{}.db", uuid::Uuid::now_v7())))
    }

    async fn pool(&self) -> SqlitePool {
        crate::db::open(&self.0).await.expect("database")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// The tests' signer: a digest of the body the receiver can recompute.
fn sign(body: &[u8]) -> String {
    format!("test-sha256={}", hex::encode(Sha256::digest(body)))
}

/// A monitor and what its change sink received.
struct Opened {
    monitor: Arc<Monitor>,
    sunk: Arc<Mutex<Vec<StatusChange>>>,
}

impl Opened {
    fn sunk(&self) -> Vec<(Status, Status)> {
        self.sunk
            .lock()
            .expect("sink")
            .iter()
            .map(|c| (c.from, c.to))
            .collect()
    }
}

async fn open(db: &TempDb, settings: MonitorSettings) -> Opened {
    let sunk = Arc::new(Mutex::new(Vec::new()));
    let sink_copy = sunk.clone();
    let monitor = Monitor::open(
        db.pool().await,
        settings,
        Arc::new(sign),
        Arc::new(move |c: &StatusChange| sink_copy.lock().expect("sink").push(c.clone())),
    )
    .await
    .expect("open the monitor");
    Opened { monitor, sunk }
}

/// Settings that decide on every check (thresholds of 1).
fn decisive() -> MonitorSettings {
    MonitorSettings {
        failures_to_offline: 1,
        successes_to_online: 1,
        ..MonitorSettings::default()
    }
}

/// A decisive monitor whose one admin webhook is a receiver that fails its
/// first `fail_first` deliveries.
async fn decisive_with_receiver(db: &TempDb, fail_first: usize) -> (Opened, Inbox) {
    let (url, inbox) = receiver(fail_first).await;
    let opened = open(
        db,
        MonitorSettings {
            admin_webhooks: vec![url],
            ..decisive()
        },
    )
    .await;
    (opened, inbox)
}

/// A probe whose answers the test sets, counting checks.
#[derive(Default)]
struct Script {
    targets: Mutex<Vec<Target>>,
    outcomes: Mutex<HashMap<String, CheckOutcome>>,
    checks: Mutex<HashMap<String, u32>>,
}

impl Script {
    fn new(targets: Vec<Target>) -> Self {
        Self {
            targets: Mutex::new(targets),
            ..Self::default()
        }
    }

    fn one(name: &str) -> Self {
        Self::new(vec![Target::new(name).with_provider(Some(PROVIDER.into()))])
    }

    fn set(&self, name: &str, outcome: CheckOutcome) {
        self.outcomes
            .lock()
            .expect("outcomes")
            .insert(name.into(), outcome);
    }

    fn checks(&self, name: &str) -> u32 {
        self.checks
            .lock()
            .expect("checks")
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

#[async_trait::async_trait]
impl Probe for Script {
    fn targets(&self) -> Vec<Target> {
        self.targets.lock().expect("targets").clone()
    }

    async fn check(&self, target: &Target) -> Check {
        *self
            .checks
            .lock()
            .expect("checks")
            .entry(target.name.clone())
            .or_default() += 1;
        let outcome = self
            .outcomes
            .lock()
            .expect("outcomes")
            .get(&target.name)
            .copied()
            .unwrap_or(CheckOutcome::Up);
        Check {
            outcome,
            latency_ms: 7,
            detail: (!outcome.is_good()).then(|| "upstream refused the connection".into()),
        }
    }
}

/// Polls `probe` at each time in turn.
async fn poll_at(
    monitor: &Monitor,
    probe: &Script,
    times: impl IntoIterator<Item = DateTime<Utc>>,
) {
    for t in times {
        monitor.poll(probe, t).await.expect("poll");
    }
}

/// What a webhook receiver accepted.
#[derive(Clone, Default)]
struct Inbox {
    accepted: Arc<Mutex<Vec<StatusChangeRecord>>>,
    attempts: Arc<AtomicUsize>,
    /// Attempts answered 503 before the receiver starts accepting.
    fail_first: usize,
}

impl Inbox {
    fn accepted(&self) -> Vec<StatusChangeRecord> {
        self.accepted.lock().expect("inbox").clone()
    }

    fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }
}

/// Accepts a notification only with the right signature and event id.
async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let attempt = inbox.attempts.fetch_add(1, Ordering::SeqCst) + 1;
    if attempt <= inbox.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("x-lgsp-signature") != Some(sign(&body).as_str()) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(record) = serde_json::from_slice::<StatusChangeRecord>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if header("x-lgsp-event-id") != Some(record.event_id.as_str()) {
        return StatusCode::BAD_REQUEST;
    }
    inbox.accepted.lock().expect("inbox").push(record);
    StatusCode::NO_CONTENT
}

/// A webhook receiver on a local port; returns its URL and inbox.
async fn receiver(fail_first: usize) -> (String, Inbox) {
    let inbox = Inbox {
        fail_first,
        ..Inbox::default()
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), inbox)
}

fn to_statuses(records: &[StatusChangeRecord]) -> Vec<(Status, Status)> {
    records.iter().map(|r| (r.from, r.to)).collect()
}

async fn service(monitor: &Monitor, name: &str, now: DateTime<Utc>) -> ServiceStatus {
    monitor
        .services(now)
        .await
        .expect("services")
        .into_iter()
        .find(|s| s.name == name)
        .expect("service listed")
}

#[test]
fn hysteresis_needs_a_run_of_agreeing_checks() {
    let t = Thresholds {
        failures_to_offline: 3,
        successes_to_online: 2,
    };
    let mut s = ServiceState::default();
    assert_eq!(s.observe(true, t), None);
    assert_eq!(s.observe(true, t), Some(Status::Online));
    // Two failures, a success, two failures: never three in a row.
    for good in [false, false, true, false, false] {
        assert_eq!(s.observe(good, t), None);
    }
    assert_eq!(s.observe(false, t), Some(Status::Offline));
    assert_eq!(s.observe(false, t), None, "already offline");
    assert_eq!(s.observe(true, t), None);
    assert_eq!(s.observe(false, t), None);
    assert_eq!(s.observe(true, t), None);
    assert_eq!(s.observe(true, t), Some(Status::Online));
}

#[tokio::test]
async fn goes_offline_after_the_threshold_and_notifies_each_recipient_once() {
    let db = TempDb::new();
    let (admin_url, admin) = receiver(0).await;
    let (provider_url, provider) = receiver(0).await;
    let opened = open(
        &db,
        MonitorSettings {
            admin_webhooks: vec![admin_url],
            ..MonitorSettings::default()
        },
    )
    .await;
    let m = &opened.monitor;
    let probe = Script::new(vec![Target {
        name: "dan_cu".into(),
        provider: Some(PROVIDER.into()),
        interval: None,
        webhook: Some(provider_url),
    }]);

    // Two good checks: online; a first sighting is recorded, not notified.
    poll_at(m, &probe, [secs(0), secs(30)]).await;
    assert_eq!(service(m, "dan_cu", secs(30)).await.status, Status::Online);
    assert_eq!(opened.sunk(), [(Status::Unknown, Status::Online)]);
    assert_eq!(m.undelivered().await.expect("outbox"), 0);

    // The upstream stops: two failed checks (N − 1) keep it online...
    probe.set("dan_cu", CheckOutcome::Failed);
    poll_at(m, &probe, [secs(60), secs(90)]).await;
    assert_eq!(service(m, "dan_cu", secs(90)).await.status, Status::Online);
    // ...the third takes it offline, once.
    poll_at(m, &probe, [secs(120), secs(150)]).await;
    let now = service(m, "dan_cu", secs(150)).await;
    assert_eq!(now.status, Status::Offline);
    assert_eq!(now.since, Some(secs(120)));
    assert_eq!(now.last_result, Some(CheckOutcome::Failed));
    assert_eq!(opened.sunk().len(), 2);
    assert_eq!(
        m.undelivered().await.expect("outbox"),
        2,
        "admin + provider"
    );

    assert_eq!(m.deliver_due(secs(150)).await.expect("deliver"), 2);
    assert_eq!(m.deliver_due(secs(150)).await.expect("deliver"), 0);
    for inbox in [&admin, &provider] {
        let got = inbox.accepted();
        assert_eq!(to_statuses(&got), [(Status::Online, Status::Offline)]);
        assert_eq!(got[0].service, "dan_cu");
        assert_eq!(got[0].provider.as_deref(), Some(PROVIDER));
        assert_eq!(got[0].at, secs(120));
        assert!(
            got[0].reason.contains("3 consecutive failed checks")
                && got[0].reason.contains("upstream refused the connection"),
            "{}",
            got[0].reason
        );
    }

    // Back: one good check is not enough, a failure restarts the count, two
    // good ones in a row bring it online, announced once.
    probe.set("dan_cu", CheckOutcome::Up);
    poll_at(m, &probe, [secs(180)]).await;
    probe.set("dan_cu", CheckOutcome::Down);
    poll_at(m, &probe, [secs(210)]).await;
    probe.set("dan_cu", CheckOutcome::Degraded);
    poll_at(m, &probe, [secs(240)]).await;
    assert_eq!(
        service(m, "dan_cu", secs(240)).await.status,
        Status::Offline
    );
    poll_at(m, &probe, [secs(270), secs(300)]).await;
    assert_eq!(service(m, "dan_cu", secs(300)).await.status, Status::Online);

    assert_eq!(m.deliver_due(secs(300)).await.expect("deliver"), 2);
    for inbox in [&admin, &provider] {
        let got = inbox.accepted();
        assert_eq!(
            to_statuses(&got),
            [
                (Status::Online, Status::Offline),
                (Status::Offline, Status::Online)
            ]
        );
        assert_eq!(got[1].at, secs(270));
        assert_eq!(got[1].reason, "2 consecutive good checks");
        assert_eq!(inbox.attempts(), 2, "no repeated delivery");
    }
    assert_eq!(
        opened.sunk(),
        [
            (Status::Unknown, Status::Online),
            (Status::Online, Status::Offline),
            (Status::Offline, Status::Online)
        ]
    );

    let (from, to) = all_time();
    let history = m.history("dan_cu", from, to).await.expect("history");
    assert_eq!(
        history.iter().map(|c| (c.to, c.at)).collect::<Vec<_>>(),
        [
            (Status::Online, secs(30)),
            (Status::Offline, secs(120)),
            (Status::Online, secs(270))
        ]
    );
    // Observed from 30 s to 300 s; online 30–120 and 270–300: 120 of 270 s.
    let uptime = service(m, "dan_cu", secs(300)).await.uptime;
    assert_eq!(uptime.last_24h, Some(44.444));
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_backoff_and_order_is_kept() {
    let db = TempDb::new();
    let (opened, inbox) = decisive_with_receiver(&db, 1).await;
    let m = &opened.monitor;
    let probe = Script::one("bhxh");
    poll_at(m, &probe, [secs(0)]).await;
    probe.set("bhxh", CheckOutcome::Down);
    poll_at(m, &probe, [secs(30)]).await;
    probe.set("bhxh", CheckOutcome::Up);
    poll_at(m, &probe, [secs(60)]).await;
    assert_eq!(m.undelivered().await.expect("outbox"), 2);

    // The receiver refuses the first attempt; the second event waits behind
    // the first instead of arriving before it.
    assert_eq!(m.deliver_due(secs(60)).await.expect("deliver"), 0);
    assert_eq!(inbox.attempts(), 1);
    // Not due again until 5 s later.
    assert_eq!(m.deliver_due(secs(64)).await.expect("deliver"), 0);
    assert_eq!(inbox.attempts(), 1);
    assert_eq!(m.deliver_due(secs(65)).await.expect("deliver"), 2);
    assert_eq!(
        to_statuses(&inbox.accepted()),
        [
            (Status::Online, Status::Offline),
            (Status::Offline, Status::Online)
        ]
    );
    assert_eq!(m.deliver_due(days(1)).await.expect("deliver"), 0);
    assert_eq!(inbox.attempts(), 3);
    assert_eq!(inbox.accepted().len(), 2);
    assert_eq!(m.undelivered().await.expect("outbox"), 0);
}

#[tokio::test]
async fn each_service_is_checked_at_its_own_interval() {
    let db = TempDb::new();
    let opened = open(&db, MonitorSettings::default()).await;
    let mut slow = Target::new("dat_dai");
    slow.interval = Some(Duration::from_secs(60));
    let probe = Script::new(vec![Target::new("dan_cu"), slow]);
    poll_at(
        &opened.monitor,
        &probe,
        [secs(0), secs(10), secs(30), secs(59), secs(60), secs(90)],
    )
    .await;
    // Default 30 s: 0, 30, 60, 90. Manifest's 60 s: 0, 60.
    assert_eq!(probe.checks("dan_cu"), 4);
    assert_eq!(probe.checks("dat_dai"), 2);
}

#[tokio::test]
async fn history_uptime_and_samples_follow_a_scripted_timeline() {
    let db = TempDb::new();
    let opened = open(
        &db,
        MonitorSettings {
            sample_every: Duration::from_secs(30 * 60),
            ..decisive()
        },
    )
    .await;
    let m = &opened.monitor;
    let probe = Script::one("doanh_nghiep");
    // 1 h online, 30 min offline, 30 min online, checked every 10 min.
    for minute in (0..=120).step_by(10) {
        let outcome = if (60..90).contains(&minute) {
            CheckOutcome::Down
        } else {
            CheckOutcome::Up
        };
        probe.set("doanh_nghiep", outcome);
        poll_at(m, &probe, [mins(minute)]).await;
    }

    let history = m
        .history("doanh_nghiep", mins(0), mins(120))
        .await
        .expect("history");
    assert_eq!(
        history
            .iter()
            .map(|c| (c.from, c.to, c.at))
            .collect::<Vec<_>>(),
        [
            (Status::Unknown, Status::Online, mins(0)),
            (Status::Online, Status::Offline, mins(60)),
            (Status::Offline, Status::Online, mins(90))
        ]
    );
    assert_eq!(
        m.history("doanh_nghiep", mins(1), mins(89))
            .await
            .expect("history")
            .len(),
        1
    );

    // Observed 2 h (the time before the first check does not count), 1.5 h online.
    let now = service(m, "doanh_nghiep", mins(120)).await;
    assert_eq!(now.status, Status::Online);
    assert_eq!(now.since, Some(mins(90)));
    assert_eq!(now.last_check, Some(mins(120)));
    assert_eq!(
        now.uptime,
        Uptime {
            last_24h: Some(75.0),
            last_7d: Some(75.0),
            last_90d: Some(75.0)
        }
    );
    // A day later, with no further check: the 24 h window has slid past the
    // first hour and holds 30 min offline out of 24 h.
    let later = service(m, "doanh_nghiep", mins(25 * 60)).await.uptime;
    assert_eq!(later.last_24h, Some(97.917));
    assert_eq!(later.last_7d, Some(98.0));

    // Kept: the first check, then one per 30 min, plus every deciding check.
    let samples = opened
        .monitor
        .store
        .samples("doanh_nghiep")
        .await
        .expect("samples");
    assert_eq!(
        samples,
        [
            (mins(0), "up".to_owned()),
            (mins(30), "up".to_owned()),
            (mins(60), "down".to_owned()),
            (mins(90), "up".to_owned()),
            (mins(120), "up".to_owned())
        ]
    );
}

#[tokio::test]
async fn retention_prunes_old_rows_and_keeps_the_status_they_lead_to() {
    let db = TempDb::new();
    // Never delivered: nobody listens on the discard port.
    let opened = open(
        &db,
        MonitorSettings {
            admin_webhooks: vec!["http://127.0.0.1:9/hook".into()],
            ..decisive()
        },
    )
    .await;
    let m = &opened.monitor;
    let probe = Script::one("dan_cu");
    let timeline = [
        (days(0), CheckOutcome::Up),
        (days(1), CheckOutcome::Down),
        (days(2), CheckOutcome::Up),
        (days(95), CheckOutcome::Up),
        (days(95) + TimeDelta::hours(1), CheckOutcome::Down),
    ];
    for (t, outcome) in timeline {
        probe.set("dan_cu", outcome);
        poll_at(m, &probe, [t]).await;
    }
    // Polling pruned with the default 90 days: the day-0 and day-1 changes
    // went, the day-2 one stays (it set the status on day 5, where the kept
    // history starts), as does everything recent.
    let (from, to) = all_time();
    let history = m.history("dan_cu", from, to).await.expect("history");
    assert_eq!(
        history.iter().map(|c| (c.to, c.at)).collect::<Vec<_>>(),
        [
            (Status::Online, days(2)),
            (Status::Offline, days(95) + TimeDelta::hours(1))
        ]
    );
    let samples = m.store.samples("dan_cu").await.expect("samples");
    assert_eq!(
        samples.iter().map(|s| s.0).collect::<Vec<_>>(),
        [days(95), days(95) + TimeDelta::hours(1)]
    );
    assert_eq!(m.undelivered().await.expect("outbox"), 1);
    // Online from day 6 (the window's start) to day 95 + 1 h, of 90 days.
    let uptime = service(m, "dan_cu", days(96)).await.uptime;
    assert_eq!(uptime.last_90d, Some(98.935));

    let pruned = m.prune(days(200)).await.expect("prune");
    assert_eq!(
        pruned,
        Pruned {
            samples: 2,
            changes: 1,
            notifications: 1
        }
    );
    let history = m.history("dan_cu", from, to).await.expect("history");
    assert_eq!(to_statuses(&history), [(Status::Online, Status::Offline)]);
    let now = service(m, "dan_cu", days(200)).await;
    assert_eq!(now.status, Status::Offline);
    assert_eq!(now.uptime.last_90d, Some(0.0));
}

#[tokio::test]
async fn state_and_outbox_survive_reopening_the_database() {
    let db = TempDb::new();
    let (url, inbox) = receiver(0).await;
    let settings = MonitorSettings {
        admin_webhooks: vec![url],
        ..MonitorSettings::default()
    };
    // The registry's migrations share the table; each side ignores the other's.
    lgsp_access::AccessStore::open(db.pool().await, lgsp_access::MasterKey::generate())
        .await
        .expect("registry");
    let probe = Script::one("dan_cu");
    {
        let first = open(&db, settings.clone()).await;
        poll_at(&first.monitor, &probe, [secs(0), secs(30)]).await;
        probe.set("dan_cu", CheckOutcome::Failed);
        poll_at(&first.monitor, &probe, [secs(60), secs(90)]).await;
    }
    {
        // Two failures were counted before the restart: one more is the third.
        let second = open(&db, settings.clone()).await;
        poll_at(&second.monitor, &probe, [secs(120)]).await;
        assert_eq!(second.sunk(), [(Status::Online, Status::Offline)]);
    }
    // The notification queued before this restart is still delivered, once.
    let third = open(&db, settings).await;
    assert_eq!(
        third.monitor.deliver_due(secs(120)).await.expect("deliver"),
        1
    );
    assert_eq!(
        to_statuses(&inbox.accepted()),
        [(Status::Online, Status::Offline)]
    );
    let now = service(&third.monitor, "dan_cu", secs(120)).await;
    assert_eq!(now.status, Status::Offline);
    assert_eq!(now.provider.as_deref(), Some(PROVIDER));
    assert_eq!(now.last_check, Some(secs(120)));
    assert_eq!(now.since, Some(secs(120)));
}

#[tokio::test]
async fn an_unloaded_connector_becomes_unknown_without_notification() {
    let db = TempDb::new();
    let (opened, inbox) = decisive_with_receiver(&db, 0).await;
    let m = &opened.monitor;
    let probe = Script::one("dan_cu");
    poll_at(m, &probe, [mins(0)]).await;
    probe.targets.lock().expect("targets").clear();
    poll_at(m, &probe, [mins(60), mins(90)]).await;
    let now = service(m, "dan_cu", mins(120)).await;
    assert_eq!(now.status, Status::Unknown);
    assert_eq!(now.provider.as_deref(), Some(PROVIDER));
    // Online for the hour it was watched; the unwatched time does not count.
    assert_eq!(now.uptime.last_24h, Some(100.0));
    assert_eq!(
        opened.sunk(),
        [
            (Status::Unknown, Status::Online),
            (Status::Online, Status::Unknown)
        ]
    );
    assert_eq!(m.deliver_due(mins(120)).await.expect("deliver"), 0);
    assert!(inbox.accepted().is_empty());
}

#[tokio::test]
async fn the_background_loop_delivers_queued_notifications_and_stops() {
    let db = TempDb::new();
    let (opened, inbox) = decisive_with_receiver(&db, 0).await;
    let probe = Script::one("dan_cu");
    poll_at(&opened.monitor, &probe, [secs(0)]).await;
    probe.set("dan_cu", CheckOutcome::Down);
    poll_at(&opened.monitor, &probe, [secs(30)]).await;

    let task = opened
        .monitor
        .spawn(Arc::new(crate::runtime::Registry::new()));
    // A bound on waiting, not a timing assertion: delivery starts at once.
    let delivered = tokio::time::timeout(Duration::from_secs(30), async {
        while inbox.accepted().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    task.stop().await;
    assert!(delivered.is_ok(), "the loop did not deliver");
    assert_eq!(
        to_statuses(&inbox.accepted()),
        [(Status::Online, Status::Offline)]
    );
    assert_eq!(opened.monitor.undelivered().await.expect("outbox"), 0);
}

#[tokio::test]
async fn an_unusable_admin_webhook_is_refused_at_open() {
    let db = TempDb::new();
    let err = Monitor::open(
        db.pool().await,
        MonitorSettings {
            admin_webhooks: vec!["https://10.0.0.1/hook".into()],
            ..MonitorSettings::default()
        },
        Arc::new(sign),
        Arc::new(|_: &StatusChange| {}),
    )
    .await
    .expect_err("https is refused");
    assert!(matches!(err, MonitorError::Webhook(_)), "{err}");
    assert!(err.to_string().contains("use an http:// URL"), "{err}");
}
