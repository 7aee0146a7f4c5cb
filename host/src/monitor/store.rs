//! The monitoring tables of the platform database (migration 3001): service
//! states, status changes, samples and the notification outbox. Times are
//! stored as milliseconds since the epoch.

use super::state::ServiceState;
use super::{Check, CheckOutcome, MonitorError, Pruned, Status, StatusChangeRecord, Target};
use chrono::{DateTime, Utc};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;

/// The monitor's migrations. Versions start at 3001: the catalogs (1, ...)
/// and the registry (1001, ...) share sqlx's migration table, and each side
/// ignores the others' versions.
fn migrator() -> Migrator {
    let mut migrator = Migrator::with_migrations(vec![Migration::new(
        3001,
        "monitor".into(),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!("../../migrations/monitor/3001_monitor.sql")),
        false,
    )]);
    migrator.set_ignore_missing(true);
    migrator
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> Result<DateTime<Utc>, MonitorError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| MonitorError::Corrupt(format!("time {ms} ms is out of range")))
}

fn opt_time(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, MonitorError> {
    ms.map(time).transpose()
}

/// Counts that fit SQLite's integers back into Rust's.
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Queues `body` for delivery to `url` (once per event and recipient): the
/// outbox is shared by status changes and by the notices of published
/// connectors (`crate::publish`).
pub(crate) async fn queue<'e, E>(
    executor: E,
    event_id: &str,
    url: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    sqlx::query(
        "INSERT OR IGNORE INTO monitor_outbox (event_id, url, body, created_ms, next_attempt_ms) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(event_id)
    .bind(url)
    .bind(body)
    .bind(ms(at))
    .bind(ms(at))
    .execute(executor)
    .await?;
    Ok(())
}

/// One check and everything it leads to, written together.
pub(crate) struct CheckRecord<'a> {
    pub(crate) target: &'a Target,
    /// The state after the check.
    pub(crate) state: &'a ServiceState,
    pub(crate) check: &'a Check,
    pub(crate) at: DateTime<Utc>,
    /// Whether to keep the check as a sample.
    pub(crate) sample: bool,
    pub(crate) change: Option<&'a StatusChangeRecord>,
    /// Who to notify of the change.
    pub(crate) recipients: &'a [String],
}

/// A row of `monitor_service`, as `services()` reads it.
#[derive(Debug)]
pub(crate) struct ServiceRow {
    pub(crate) name: String,
    pub(crate) provider: Option<String>,
    pub(crate) status: Status,
    pub(crate) last_check: Option<DateTime<Utc>>,
    pub(crate) last_result: Option<CheckOutcome>,
    pub(crate) last_error: Option<String>,
}

/// A queued notification.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) id: i64,
    pub(crate) event_id: String,
    pub(crate) url: String,
    pub(crate) body: String,
    pub(crate) attempts: u32,
}

/// The monitoring tables.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pool: SqlitePool,
}

/// The change columns `change_row` reads, from `monitor_change`, then `$tail`.
macro_rules! select_changes {
    ($tail:literal) => {
        concat!(
            "SELECT event_id, service, provider, from_status, to_status, at_ms, reason \
             FROM monitor_change ",
            $tail
        )
    };
}

fn change_row(row: &SqliteRow) -> Result<StatusChangeRecord, MonitorError> {
    Ok(StatusChangeRecord {
        event_id: row.try_get("event_id")?,
        service: row.try_get("service")?,
        provider: row.try_get("provider")?,
        from: Status::parse(row.try_get("from_status")?)?,
        to: Status::parse(row.try_get("to_status")?)?,
        at: time(row.try_get("at_ms")?)?,
        reason: row.try_get("reason")?,
    })
}

async fn insert_change(
    tx: &mut Transaction<'static, Sqlite>,
    c: &StatusChangeRecord,
) -> Result<(), MonitorError> {
    sqlx::query(
        "INSERT INTO monitor_change (event_id, service, provider, from_status, to_status, at_ms, reason) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&c.event_id)
    .bind(&c.service)
    .bind(&c.provider)
    .bind(c.from.as_str())
    .bind(c.to.as_str())
    .bind(ms(c.at))
    .bind(&c.reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The tables in `pool`'s database, migrated to this version.
    pub(crate) async fn open(pool: SqlitePool) -> Result<Self, MonitorError> {
        migrator().run(&pool).await?;
        Ok(Self { pool })
    }

    /// Takes the write lock at once, so a concurrent writer waits instead
    /// of failing with SQLITE_BUSY halfway.
    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, MonitorError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Every service's hysteresis state, as last stored.
    pub(crate) async fn states(&self) -> Result<HashMap<String, ServiceState>, MonitorError> {
        let rows = sqlx::query(
            "SELECT name, status, failures, successes, last_sample_ms FROM monitor_service",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let state = ServiceState {
                    status: Status::parse(r.try_get("status")?)?,
                    failures: count(r.try_get("failures")?),
                    successes: count(r.try_get("successes")?),
                    last_sample: opt_time(r.try_get("last_sample_ms")?)?,
                };
                Ok((r.try_get("name")?, state))
            })
            .collect()
    }

    /// Stores one check: the service's new state, the sample, the change and
    /// one outbox row per recipient, in one transaction.
    pub(crate) async fn record_check(&self, r: &CheckRecord<'_>) -> Result<(), MonitorError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO monitor_service \
               (name, provider, status, failures, successes, last_check_ms, last_result, last_error, last_sample_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET provider = excluded.provider, status = excluded.status, \
               failures = excluded.failures, successes = excluded.successes, \
               last_check_ms = excluded.last_check_ms, last_result = excluded.last_result, \
               last_error = excluded.last_error, last_sample_ms = excluded.last_sample_ms",
        )
        .bind(&r.target.name)
        .bind(&r.target.provider)
        .bind(r.state.status.as_str())
        .bind(i64::from(r.state.failures))
        .bind(i64::from(r.state.successes))
        .bind(ms(r.at))
        .bind(r.check.outcome.as_str())
        .bind(&r.check.detail)
        .bind(r.state.last_sample.map(ms))
        .execute(&mut *tx)
        .await?;
        if r.sample {
            sqlx::query(
                "INSERT OR REPLACE INTO monitor_sample (service, at_ms, status, result, latency_ms, error) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&r.target.name)
            .bind(ms(r.at))
            .bind(r.state.status.as_str())
            .bind(r.check.outcome.as_str())
            .bind(i64::try_from(r.check.latency_ms).unwrap_or(i64::MAX))
            .bind(&r.check.detail)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(change) = r.change {
            insert_change(&mut tx, change).await?;
            let body = serde_json::to_string(change)
                .map_err(|e| MonitorError::Corrupt(format!("cannot encode a change: {e}")))?;
            for url in r.recipients {
                queue(&mut *tx, &change.event_id, url, &body, r.at).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores a service's change to unknown, its counters reset.
    pub(crate) async fn record_unloaded(&self, c: &StatusChangeRecord) -> Result<(), MonitorError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE monitor_service SET status = 'unknown', failures = 0, successes = 0 WHERE name = ?",
        )
        .bind(&c.service)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The provider last stored for `service`.
    pub(crate) async fn provider_of(&self, service: &str) -> Result<Option<String>, MonitorError> {
        Ok(
            sqlx::query_scalar("SELECT provider FROM monitor_service WHERE name = ?")
                .bind(service)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Whether `service` was ever watched.
    pub(crate) async fn knows(&self, service: &str) -> Result<bool, MonitorError> {
        Ok(sqlx::query("SELECT 1 FROM monitor_service WHERE name = ?")
            .bind(service)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Every service ever watched, by name.
    pub(crate) async fn service_rows(&self) -> Result<Vec<ServiceRow>, MonitorError> {
        let rows = sqlx::query(
            "SELECT name, provider, status, last_check_ms, last_result, last_error \
             FROM monitor_service ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let result: Option<String> = r.try_get("last_result")?;
                Ok(ServiceRow {
                    name: r.try_get("name")?,
                    provider: r.try_get("provider")?,
                    status: Status::parse(r.try_get("status")?)?,
                    last_check: opt_time(r.try_get("last_check_ms")?)?,
                    last_result: result.as_deref().and_then(CheckOutcome::parse),
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }

    /// The changes of `service` from `from` to `to` (inclusive), oldest first.
    pub(crate) async fn changes(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatusChangeRecord>, MonitorError> {
        let rows = sqlx::query(select_changes!(
            "WHERE service = ? AND at_ms >= ? AND at_ms <= ? ORDER BY at_ms, id"
        ))
        .bind(service)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(change_row).collect()
    }

    /// The last change of `service`.
    pub(crate) async fn last_change(
        &self,
        service: &str,
    ) -> Result<Option<StatusChangeRecord>, MonitorError> {
        let row = sqlx::query(select_changes!(
            "WHERE service = ? ORDER BY at_ms DESC, id DESC LIMIT 1"
        ))
        .bind(service)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(change_row).transpose()
    }

    /// `(time, new status)` of every change of `service` up to `end`, from
    /// the last one at or before `start` (the status the window opens with).
    pub(crate) async fn timeline(
        &self,
        service: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Status)>, MonitorError> {
        let rows = sqlx::query(
            "SELECT at_ms, to_status FROM monitor_change WHERE service = ?1 AND at_ms <= ?3 \
               AND at_ms >= COALESCE((SELECT MAX(at_ms) FROM monitor_change \
                                      WHERE service = ?1 AND at_ms <= ?2), ?2) \
             ORDER BY at_ms, id",
        )
        .bind(service)
        .bind(ms(start))
        .bind(ms(end))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    time(r.try_get("at_ms")?)?,
                    Status::parse(r.try_get("to_status")?)?,
                ))
            })
            .collect()
    }

    /// Deletes what is older than `cutoff`, keeping each service's last
    /// change before it.
    pub(crate) async fn prune(&self, cutoff: DateTime<Utc>) -> Result<Pruned, MonitorError> {
        let cutoff = ms(cutoff);
        let mut tx = self.begin().await?;
        let samples = sqlx::query("DELETE FROM monitor_sample WHERE at_ms < ?")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let changes = sqlx::query(
            "DELETE FROM monitor_change WHERE at_ms < ?1 AND id <> \
               (SELECT k.id FROM monitor_change k WHERE k.service = monitor_change.service \
                  AND k.at_ms < ?1 ORDER BY k.at_ms DESC, k.id DESC LIMIT 1)",
        )
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let notifications = sqlx::query("DELETE FROM monitor_outbox WHERE created_ms < ?")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Pruned {
            samples,
            changes,
            notifications,
        })
    }

    /// The oldest undelivered notification of each recipient, if it is due
    /// at `now`. Only the oldest: a recipient must not hear "online" before
    /// the "offline" that is still being retried.
    pub(crate) async fn due(&self, now: DateTime<Utc>) -> Result<Vec<Pending>, MonitorError> {
        let rows = sqlx::query(
            "SELECT o.id, o.event_id, o.url, o.body, o.attempts FROM monitor_outbox o \
             WHERE o.delivered_ms IS NULL AND o.next_attempt_ms <= ? \
               AND NOT EXISTS (SELECT 1 FROM monitor_outbox e WHERE e.url = o.url \
                               AND e.delivered_ms IS NULL AND e.id < o.id) \
             ORDER BY o.id",
        )
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Pending {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    url: r.try_get("url")?,
                    body: r.try_get("body")?,
                    attempts: count(r.try_get("attempts")?),
                })
            })
            .collect()
    }

    /// Marks a notification delivered.
    pub(crate) async fn delivered(&self, id: i64, at: DateTime<Utc>) -> Result<(), MonitorError> {
        sqlx::query(
            "UPDATE monitor_outbox SET delivered_ms = ?, attempts = attempts + 1 WHERE id = ?",
        )
        .bind(ms(at))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub(crate) async fn failed(
        &self,
        id: i64,
        next: DateTime<Utc>,
        error: &str,
    ) -> Result<(), MonitorError> {
        sqlx::query(
            "UPDATE monitor_outbox SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? \
             WHERE id = ?",
        )
        .bind(ms(next))
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `(time, result)` of the samples of `service`, oldest first.
    #[cfg(test)]
    pub(crate) async fn samples(
        &self,
        service: &str,
    ) -> Result<Vec<(DateTime<Utc>, String)>, MonitorError> {
        let rows = sqlx::query(
            "SELECT at_ms, result FROM monitor_sample WHERE service = ? ORDER BY at_ms",
        )
        .bind(service)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((time(r.try_get("at_ms")?)?, r.try_get("result")?)))
            .collect()
    }

    /// How many notifications are still undelivered.
    pub(crate) async fn undelivered(&self) -> Result<u64, MonitorError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM monitor_outbox WHERE delivered_ms IS NULL")
                .fetch_one(&self.pool)
                .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
