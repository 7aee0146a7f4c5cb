//! The background loops: one polls the registry's connectors as they come
//! and go, one delivers the outbox (so a slow webhook never delays a check).

use super::Monitor;
use crate::runtime::Registry;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the poller looks for due checks; intervals are rounded up to it.
const TICK: Duration = Duration::from_secs(1);

/// How often the deliverer looks for retries when nothing new is queued.
const RETRY_TICK: Duration = Duration::from_secs(5);

/// The running loops. Dropping it stops them after their current step;
/// [`MonitorTask::stop`] also waits for that.
#[derive(Debug)]
pub struct MonitorTask {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl MonitorTask {
    /// Stops both loops and waits until they have finished their step.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for handle in self.handles.drain(..) {
            let _ = handle.await;
        }
    }
}

impl Drop for MonitorTask {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Monitor {
    /// Starts polling `registry`'s connectors (each snapshot as it is then)
    /// and delivering notifications, on the current tokio runtime.
    ///
    /// Start it once the registry holds the loaded connectors: a service
    /// missing from the registry is marked unknown.
    pub fn spawn(self: &Arc<Self>, registry: Arc<Registry>) -> MonitorTask {
        let (stop, stopped) = watch::channel(false);
        let poller = tokio::spawn(poll_loop(self.clone(), registry, stopped.clone()));
        let deliverer = tokio::spawn(delivery_loop(self.clone(), stopped));
        MonitorTask {
            stop,
            handles: vec![poller, deliverer],
        }
    }
}

async fn poll_loop(
    monitor: Arc<Monitor>,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let snapshot = registry.snapshot();
        if let Err(e) = monitor.poll_once(&snapshot, Utc::now()).await {
            tracing::error!(error = %e, "health monitoring poll failed");
        }
    }
}

async fn delivery_loop(monitor: Arc<Monitor>, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = monitor.deliver_pending().await {
            tracing::error!(error = %e, "status notifications cannot be delivered");
        }
        tokio::select! {
            () = monitor.queued.notified() => {}
            () = tokio::time::sleep(RETRY_TICK) => {}
            _ = stop.changed() => return,
        }
    }
}
