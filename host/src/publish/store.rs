//! The publishing tables of the platform database (migration 4001).

use super::PublishError;
use crate::monitor::Outbox;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

/// Versions start at 4001: the catalogs (1...), the registry (1001...) and
/// the monitor (3001...) share sqlx's migration table.
fn migrator() -> Migrator {
    let mut migrator = Migrator::with_migrations(vec![Migration::new(
        4001,
        "connectors".into(),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!(
            "../../migrations/connectors/4001_connectors.sql"
        )),
        false,
    )]);
    migrator.set_ignore_missing(true);
    migrator
}

/// Where a version is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Serving (when it is the newest active version of its major).
    Active,
    /// Taken back by a rollback; kept for the record.
    RolledBack,
    /// Past its retirement date; its tables are gone.
    Retired,
}

impl VersionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::RolledBack => "rolled_back",
            Self::Retired => "retired",
        }
    }

    fn parse(s: &str) -> Result<Self, PublishError> {
        match s {
            "active" => Ok(Self::Active),
            "rolled_back" => Ok(Self::RolledBack),
            "retired" => Ok(Self::Retired),
            other => Err(PublishError::Corrupt(format!("version status {other:?}"))),
        }
    }
}

/// One published version as stored.
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Connector (schema) name.
    pub name: String,
    /// Semantic version.
    pub version: semver::Version,
    /// SHA-256 of the component (hex).
    pub sha256: String,
    /// Component size.
    pub size_bytes: u64,
    /// Provider agency.
    pub provider: String,
    /// Access key of the signing key.
    pub signer_key: String,
    /// Signature (base64).
    pub signature: String,
    /// Manifest as uploaded.
    pub manifest: String,
    /// Column signature (JSON, [`super::Columns`]).
    pub columns: String,
    /// Status.
    pub status: VersionStatus,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// The application that uploaded it.
    pub published_by: String,
    /// When it stops serving.
    pub retire_on: Option<NaiveDate>,
    /// Why.
    pub retire_reason: Option<String>,
    /// When it was retired.
    pub retired_at: Option<DateTime<Utc>>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> Result<DateTime<Utc>, PublishError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| PublishError::Corrupt(format!("time {ms} ms is out of range")))
}

fn version_row(r: &SqliteRow) -> Result<VersionRow, PublishError> {
    let version: String = r.try_get("version")?;
    let retire_on: Option<String> = r.try_get("retire_on")?;
    Ok(VersionRow {
        name: r.try_get("name")?,
        version: semver::Version::parse(&version)
            .map_err(|e| PublishError::Corrupt(format!("version {version:?}: {e}")))?,
        sha256: r.try_get("sha256")?,
        size_bytes: u64::try_from(r.try_get::<i64, _>("size_bytes")?).unwrap_or(0),
        provider: r.try_get("provider")?,
        signer_key: r.try_get("signer_key")?,
        signature: r.try_get("signature")?,
        manifest: r.try_get("manifest")?,
        columns: r.try_get("columns")?,
        status: VersionStatus::parse(&r.try_get::<String, _>("status")?)?,
        published_at: time(r.try_get("published_at")?)?,
        published_by: r.try_get("published_by")?,
        retire_on: retire_on
            .map(|d| {
                d.parse()
                    .map_err(|e| PublishError::Corrupt(format!("retire_on {d:?}: {e}")))
            })
            .transpose()?,
        retire_reason: r.try_get("retire_reason")?,
        retired_at: r
            .try_get::<Option<i64>, _>("retired_at")?
            .map(time)
            .transpose()?,
    })
}

/// A stored configuration value, sealed.
#[derive(Debug, Clone)]
pub(crate) struct SettingRow {
    pub(crate) key: String,
    pub(crate) sealed: Vec<u8>,
    pub(crate) secret: bool,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) updated_by: String,
}

/// A notice as stored.
#[derive(Debug, Clone)]
pub(crate) struct NoticeRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) kind: String,
    pub(crate) message: String,
    pub(crate) effective: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
}

/// A notice to write.
#[derive(Debug, Clone)]
pub(crate) struct NewNotice<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) message: String,
    pub(crate) effective: Option<NaiveDate>,
}

/// The publishing tables.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pool: SqlitePool,
    /// The monitor's outbox, which delivers webhooks.
    outbox: Outbox,
}

impl Store {
    pub(crate) async fn open(pool: SqlitePool, outbox: Outbox) -> Result<Self, PublishError> {
        migrator().run(&pool).await?;
        Ok(Self { pool, outbox })
    }

    pub(crate) async fn versions(&self) -> Result<Vec<VersionRow>, PublishError> {
        let rows =
            sqlx::query("SELECT * FROM connector_version ORDER BY name, major, published_at")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(version_row).collect()
    }

    pub(crate) async fn component(&self, sha256: &str) -> Result<Vec<u8>, PublishError> {
        sqlx::query_scalar("SELECT wasm FROM connector_component WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| PublishError::Corrupt(format!("component {sha256} is missing")))
    }

    /// Stores a new version and its component in one transaction.
    pub(crate) async fn insert(&self, row: &VersionRow, wasm: &[u8]) -> Result<(), PublishError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT OR IGNORE INTO connector_component (sha256, wasm) VALUES (?, ?)")
            .bind(&row.sha256)
            .bind(wasm)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(
            "INSERT OR IGNORE INTO connector_version (name, version, major, sha256, size_bytes, \
             provider, signer_key, signature, manifest, columns, status, published_at, published_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
        )
        .bind(&row.name)
        .bind(row.version.to_string())
        .bind(i64::try_from(row.version.major).unwrap_or(i64::MAX))
        .bind(&row.sha256)
        .bind(i64::try_from(row.size_bytes).unwrap_or(i64::MAX))
        .bind(&row.provider)
        .bind(&row.signer_key)
        .bind(&row.signature)
        .bind(&row.manifest)
        .bind(&row.columns)
        .bind(ms(row.published_at))
        .bind(&row.published_by)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(PublishError::VersionExists {
                name: row.name.clone(),
                version: row.version.to_string(),
            });
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn set_status(
        &self,
        name: &str,
        version: &semver::Version,
        status: VersionStatus,
        at: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        sqlx::query(
            "UPDATE connector_version SET status = ?, \
             retired_at = CASE WHEN ? = 'retired' THEN ? ELSE retired_at END \
             WHERE name = ? AND version = ?",
        )
        .bind(status.as_str())
        .bind(status.as_str())
        .bind(ms(at))
        .bind(name)
        .bind(version.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn schedule(
        &self,
        name: &str,
        version: &semver::Version,
        on: NaiveDate,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        sqlx::query(
            "UPDATE connector_version SET retire_on = ?, retire_reason = ?, retire_scheduled_at = ? \
             WHERE name = ? AND version = ?",
        )
        .bind(on.to_string())
        .bind(reason)
        .bind(ms(at))
        .bind(name)
        .bind(version.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The versions grants were approved again on, by grant id.
    pub(crate) async fn bindings(&self) -> Result<Vec<(String, String)>, PublishError> {
        let rows = sqlx::query("SELECT grant_id, version FROM grant_binding")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("grant_id")?, r.try_get("version")?)))
            .collect()
    }

    pub(crate) async fn bind(
        &self,
        grant_id: &str,
        name: &str,
        version: &semver::Version,
        at: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        sqlx::query(
            "INSERT INTO grant_binding (grant_id, name, version, bound_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (grant_id) DO UPDATE SET name = excluded.name, \
             version = excluded.version, bound_at = excluded.bound_at",
        )
        .bind(grant_id)
        .bind(name)
        .bind(version.to_string())
        .bind(ms(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn settings(&self, name: &str) -> Result<Vec<SettingRow>, PublishError> {
        let rows = sqlx::query(
            "SELECT key, sealed, secret, updated_at, updated_by FROM connector_setting \
             WHERE name = ? ORDER BY key",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SettingRow {
                    key: r.try_get("key")?,
                    sealed: r.try_get("sealed")?,
                    secret: r.try_get::<i64, _>("secret")? == 1,
                    updated_at: time(r.try_get("updated_at")?)?,
                    updated_by: r.try_get("updated_by")?,
                })
            })
            .collect()
    }

    /// Writes `set` and deletes `remove` in one transaction.
    pub(crate) async fn change_settings(
        &self,
        name: &str,
        set: &[(String, Vec<u8>, bool)],
        remove: &[String],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        let mut tx = self.pool.begin().await?;
        for (key, sealed, secret) in set {
            sqlx::query(
                "INSERT INTO connector_setting (name, key, sealed, secret, updated_at, updated_by) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, key) DO UPDATE SET \
                 sealed = excluded.sealed, secret = excluded.secret, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(name)
            .bind(key)
            .bind(sealed)
            .bind(i64::from(*secret))
            .bind(ms(at))
            .bind(actor)
            .execute(&mut *tx)
            .await?;
        }
        for key in remove {
            sqlx::query("DELETE FROM connector_setting WHERE name = ? AND key = ?")
                .bind(name)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn suspensions(&self) -> Result<Vec<String>, PublishError> {
        Ok(sqlx::query_scalar("SELECT name FROM connector_suspension")
            .fetch_all(&self.pool)
            .await?)
    }

    pub(crate) async fn suspend(
        &self,
        name: &str,
        actor: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        sqlx::query(
            "INSERT INTO connector_suspension (name, since, actor, reason) VALUES (?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET since = excluded.since, actor = excluded.actor, \
             reason = excluded.reason",
        )
        .bind(name)
        .bind(ms(at))
        .bind(actor)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn resume(&self, name: &str) -> Result<bool, PublishError> {
        let done = sqlx::query("DELETE FROM connector_suspension WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Writes one notice per agency, then queues it for each webhook those
    /// agencies' applications registered (the monitor's outbox delivers it,
    /// signed, retrying until it is taken). Returns how many were written.
    pub(crate) async fn notify(
        &self,
        agencies: &[String],
        notice: &NewNotice<'_>,
        at: DateTime<Utc>,
    ) -> Result<usize, PublishError> {
        let mut tx = self.pool.begin().await?;
        let mut deliveries = Vec::new();
        for agency in agencies {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO connector_notice (agency, name, version, kind, message, effective, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(agency)
            .bind(notice.name)
            .bind(notice.version)
            .bind(notice.kind)
            .bind(&notice.message)
            .bind(notice.effective.map(|d| d.to_string()))
            .bind(ms(at))
            .fetch_one(&mut *tx)
            .await?;
            let body = serde_json::json!({
                "event": "connector_notice",
                "id": id,
                "agency": agency,
                "connector": notice.name,
                "version": notice.version,
                "kind": notice.kind,
                "message": notice.message,
                "effective": notice.effective.map(|d| d.to_string()),
                "at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
            .to_string();
            let urls: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT url FROM notice_webhook WHERE agency = ?")
                    .bind(agency)
                    .fetch_all(&mut *tx)
                    .await?;
            for url in urls {
                deliveries.push((format!("notice-{id}"), url, body.clone()));
            }
        }
        tx.commit().await?;
        for (event_id, url, body) in deliveries {
            self.outbox.queue(&event_id, &url, &body, at).await?;
        }
        Ok(agencies.len())
    }

    pub(crate) async fn notices(&self, agency: &str) -> Result<Vec<NoticeRow>, PublishError> {
        let rows = sqlx::query(
            "SELECT id, name, version, kind, message, effective, created_at FROM connector_notice \
             WHERE agency = ? ORDER BY id DESC LIMIT 500",
        )
        .bind(agency)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NoticeRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    version: r.try_get("version")?,
                    kind: r.try_get("kind")?,
                    message: r.try_get("message")?,
                    effective: r.try_get("effective")?,
                    created_at: time(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    pub(crate) async fn set_webhook(
        &self,
        application: &str,
        agency: &str,
        url: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        match url {
            Some(url) => {
                sqlx::query(
                    "INSERT INTO notice_webhook (application, agency, url, updated_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (application) DO UPDATE SET agency = excluded.agency, \
                     url = excluded.url, updated_at = excluded.updated_at",
                )
                .bind(application)
                .bind(agency)
                .bind(url)
                .bind(ms(at))
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM notice_webhook WHERE application = ?")
                    .bind(application)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{NewNotice, Store};
    use std::sync::Arc;

    /// A notice queued for a webhook wakes the delivery loop at once rather
    /// than at its next retry tick; a notice nobody listens for does not.
    #[tokio::test]
    async fn a_notice_for_a_webhook_wakes_the_delivery_loop() {
        let path = std::env::temp_dir().join(format!("lgsp-notices-{}.db", uuid::Uuid::now_v7()));
        let pool = crate::db::open(&path).await.expect("database");
        // The monitor owns the outbox table.
        let monitor = crate::monitor::Monitor::open(
            pool.clone(),
            crate::monitor::MonitorSettings::default(),
            Arc::new(|_: &[u8]| String::new()),
            Arc::new(|_: &crate::monitor::StatusChange| {}),
        )
        .await
        .expect("monitor");
        let store = Store::open(pool, monitor.outbox()).await.expect("store");
        let wake = monitor.outbox();
        let now = chrono::Utc::now();
        let notice = NewNotice {
            name: "thu_nghiem",
            version: "2.0.0",
            kind: "new_major",
            message: "2.0.0".into(),
            effective: None,
        };

        store
            .notify(&["000.00.00.H49".into()], &notice, now)
            .await
            .expect("notice");
        assert!(!wake.woken(), "woken with no webhook to deliver to");

        store
            .set_webhook(
                "app-1",
                "000.00.00.H49",
                Some("http://127.0.0.1:9/hook"),
                now,
            )
            .await
            .expect("webhook");
        store
            .notify(&["000.00.00.H49".into()], &notice, now)
            .await
            .expect("notice");
        assert!(wake.woken(), "the delivery loop was not woken");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
