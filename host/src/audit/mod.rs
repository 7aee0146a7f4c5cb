//! The platform's audit log (crate `lgsp-audit`) as the server uses it: the
//! writer, the platform key that seals checkpoints, the periodic sealing and
//! retention, and the HTTP layer that records every request ([`http`]).

pub(crate) mod http;

use chrono::Utc;
use lgsp_access::MasterKey;
use lgsp_audit::{AuditError, AuditLog, Draft, PlatformKey, PublicKey};
use sqlx::SqlitePool;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use http::{AuditScope, ErrorCode};

/// How the log is kept.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Entries older than this are removed once a checkpoint seals them.
    pub retention: Duration,
    /// How often the head of the chain is sealed with a signed checkpoint.
    pub seal_every: Duration,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            // Two years: long enough for any inspection the regulations
            // foresee; operators may set more.
            retention: Duration::from_secs(730 * 86_400),
            seal_every: Duration::from_secs(60),
        }
    }
}

/// The platform's signing key, derived from the master key, so every node
/// seals and signs with the same key and there is no second secret to keep.
pub fn platform_key(master: &MasterKey) -> PlatformKey {
    PlatformKey::from_seed(&master.derive("lgsp audit and webhook signing key v1"))
}

/// The audit log of a running platform.
#[derive(Debug)]
pub struct Auditor {
    log: AuditLog,
    key: PlatformKey,
    settings: AuditSettings,
    /// When false, requests are not recorded: only for measuring the cost of
    /// auditing in benchmarks; no configuration turns it off.
    enabled: bool,
}

impl Auditor {
    /// Opens the audit database at `path` and starts its writer.
    ///
    /// # Errors
    /// When the database cannot be opened.
    pub async fn open(
        path: &Path,
        master: &MasterKey,
        settings: AuditSettings,
    ) -> Result<Arc<Self>, AuditError> {
        let pool = lgsp_audit::open(path).await?;
        Ok(Arc::new(Self {
            log: AuditLog::start(pool)?,
            key: platform_key(master),
            settings,
            enabled: true,
        }))
    }

    /// The same log with request recording turned off (benchmarks compare
    /// the two in one run).
    pub fn unaudited(&self) -> Arc<Self> {
        Arc::new(Self {
            log: self.log.clone(),
            key: self.key.clone(),
            settings: self.settings.clone(),
            enabled: false,
        })
    }

    /// Whether requests are recorded.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records an entry and waits until it is on disk.
    ///
    /// # Errors
    /// When it could not be committed.
    pub async fn record(&self, draft: Draft) -> Result<u64, AuditError> {
        self.log.record(draft).await
    }

    /// Records an event nobody waits for (a connector loaded, a service went
    /// offline); a failure is logged.
    pub fn record_event(&self, draft: Draft) {
        let log = self.log.clone();
        let action = draft.action.clone();
        tokio::spawn(async move {
            if let Err(e) = log.record(draft).await {
                tracing::error!(error = %e, action, "audit entry for an event could not be committed");
            }
        });
    }

    /// The writer (for its statistics).
    pub fn log(&self) -> &AuditLog {
        &self.log
    }

    /// The audit database.
    pub fn pool(&self) -> &SqlitePool {
        self.log.pool()
    }

    /// The platform's public key, which verifies checkpoints and webhooks.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The platform's signing key.
    pub fn key(&self) -> &PlatformKey {
        &self.key
    }

    /// Seals the head now (at shutdown, and in tests).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn seal_now(&self) -> Result<(), AuditError> {
        lgsp_audit::seal(self.pool(), &self.key, Utc::now()).await?;
        Ok(())
    }

    /// Seals the head every `seal_every` and applies retention once an hour,
    /// until the returned task is aborted.
    pub fn spawn_maintenance(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut seal = tokio::time::interval(this.settings.seal_every);
            seal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut prune = tokio::time::interval(Duration::from_secs(3600));
            prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = seal.tick() => {
                        if let Err(e) = this.seal_now().await {
                            tracing::error!(error = %e, "cannot seal the audit log");
                        }
                    }
                    _ = prune.tick() => this.apply_retention().await,
                }
            }
        })
    }

    async fn apply_retention(&self) {
        let Ok(retention) = chrono::Duration::from_std(self.settings.retention) else {
            return;
        };
        // The writer records the removal itself, in the same transaction.
        if let Err(e) = self.log.prune(Utc::now() - retention).await {
            tracing::error!(error = %e, "audit retention failed");
        }
    }
}
