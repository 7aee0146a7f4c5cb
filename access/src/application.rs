//! Applications: the systems an agency connects, each with its own keys, grants
//! and rate-limit tier.

use crate::AccessStore;
use crate::agency::{AgencyStatus, status_of, stored_code};
use crate::code::AgencyCode;
use crate::db::{self, begin_write, check_name, from_unix, random_base32_16};
use crate::error::AccessError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::fmt;

/// How many requests an application may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Requests per minute (at least 1).
    pub per_minute: u32,
    /// Requests per day, if capped.
    pub per_day: Option<u64>,
}

impl Tier {
    /// The default: 1,000 requests a minute.
    pub const STANDARD: Tier = Tier {
        per_minute: 1000,
        per_day: None,
    };
    /// 2,000 requests a minute.
    pub const EXTENDED: Tier = Tier {
        per_minute: 2000,
        per_day: None,
    };
    /// 5,000 requests a minute.
    pub const HIGH: Tier = Tier {
        per_minute: 5000,
        per_day: None,
    };

    fn check(self) -> Result<(), AccessError> {
        if self.per_minute == 0 {
            return Err(AccessError::InvalidTier(
                "a tier needs at least 1 request per minute; suspend the application to stop it"
                    .into(),
            ));
        }
        match self.per_day {
            Some(0) => Err(AccessError::InvalidTier(
                "a daily cap of 0 requests is not allowed; leave it empty for no cap or suspend \
                 the application"
                    .into(),
            )),
            Some(n) if i64::try_from(n).is_err() => Err(AccessError::InvalidTier(format!(
                "a daily cap of {n} is too large; leave it empty for no cap"
            ))),
            _ => Ok(()),
        }
    }
}

impl Default for Tier {
    fn default() -> Self {
        Self::STANDARD
    }
}

/// Whether an application may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    /// May call.
    Active,
    /// Every call is refused; keys and grants are kept.
    Suspended,
}

impl AppStatus {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, AccessError> {
        match s {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            other => Err(AccessError::Corrupt(format!(
                "application status {other:?}"
            ))),
        }
    }
}

impl fmt::Display for AppStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A system of an agency that calls the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// `app_` followed by 16 lower-case base32 characters.
    pub id: String,
    /// The agency that owns it.
    pub agency: AgencyCode,
    /// A name people recognize.
    pub name: String,
    /// Whether it may call.
    pub status: AppStatus,
    /// Whether it may sign with HMAC-SHA1 (older systems only).
    pub legacy_sha1: bool,
    /// Its rate limits.
    pub tier: Tier,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// What [`AccessStore::create_application`] needs.
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// The owning agency; must be active.
    pub agency: AgencyCode,
    /// The name (trimmed; 1 to 300 characters).
    pub name: String,
    /// Whether HMAC-SHA1 signatures are accepted from it.
    pub legacy_sha1: bool,
    /// Its rate limits.
    pub tier: Tier,
}

/// Changes to an application; `None` fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ApplicationUpdate {
    /// New rate limits.
    pub tier: Option<Tier>,
    /// Accept HMAC-SHA1 or not.
    pub legacy_sha1: Option<bool>,
    /// New name.
    pub name: Option<String>,
}

/// Reads an application from columns named with `prefix` (`""` or e.g. `"a_"`).
pub(crate) fn application_from_row(
    row: &SqliteRow,
    prefix: &str,
) -> Result<Application, AccessError> {
    let col = |name: &str| format!("{prefix}{name}");
    let status: String = row.try_get(col("status").as_str())?;
    let per_minute: i64 = row.try_get(col("per_minute").as_str())?;
    let per_day: Option<i64> = row.try_get(col("per_day").as_str())?;
    let corrupt = |what: &str| AccessError::Corrupt(format!("application {what} out of range"));
    Ok(Application {
        id: row.try_get(col("id").as_str())?,
        agency: stored_code(row.try_get(col("agency").as_str())?)?,
        name: row.try_get(col("name").as_str())?,
        status: AppStatus::parse(&status)?,
        legacy_sha1: row.try_get(col("legacy_sha1").as_str())?,
        tier: Tier {
            per_minute: u32::try_from(per_minute).map_err(|_| corrupt("per_minute"))?,
            per_day: per_day
                .map(u64::try_from)
                .transpose()
                .map_err(|_| corrupt("per_day"))?,
        },
        created_at: from_unix(row.try_get(col("created_at").as_str())?)?,
    })
}

const SELECT_APPLICATION: &str = "SELECT id, agency, name, status, legacy_sha1, per_minute, \
     per_day, created_at FROM application WHERE id = $1";

/// The application `id`, read inside a transaction.
pub(crate) async fn load_application(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Application, AccessError> {
    let row = sqlx::query(SELECT_APPLICATION)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AccessError::UnknownApplication(id.to_owned()))?;
    application_from_row(&row, "")
}

fn per_day_column(tier: Tier) -> Option<i64> {
    // Tier::check has refused values that do not fit.
    tier.per_day.and_then(|n| i64::try_from(n).ok())
}

impl AccessStore {
    /// Registers an application for an active agency.
    ///
    /// # Errors
    /// `UnknownAgency`, `AgencyNotActive`, `InvalidName`, `InvalidTier`.
    pub async fn create_application(
        &self,
        new: NewApplication,
    ) -> Result<Application, AccessError> {
        let name = check_name("application", &new.name)?;
        new.tier.check()?;
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        match status_of(&mut tx, &new.agency).await? {
            None => return Err(AccessError::UnknownAgency(new.agency)),
            Some(AgencyStatus::Active) => {}
            Some(status) => {
                return Err(AccessError::AgencyNotActive {
                    code: new.agency,
                    status,
                });
            }
        }
        let id = format!("app_{}", random_base32_16().to_ascii_lowercase());
        sqlx::query(
            "INSERT INTO application (id, agency, name, status, legacy_sha1, per_minute, per_day, \
             created_at) VALUES ($1, $2, $3, 'active', $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(new.agency.as_str())
        .bind(&name)
        .bind(new.legacy_sha1)
        .bind(i64::from(new.tier.per_minute))
        .bind(per_day_column(new.tier))
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Application {
            id,
            agency: new.agency,
            name,
            status: AppStatus::Active,
            legacy_sha1: new.legacy_sha1,
            tier: new.tier,
            created_at: now,
        })
    }

    /// Suspends or reactivates an application. A suspended application's keys
    /// stop working at its next request; its keys and grants are kept.
    ///
    /// # Errors
    /// `UnknownApplication`.
    pub async fn set_application_status(
        &self,
        id: &str,
        status: AppStatus,
    ) -> Result<Application, AccessError> {
        let mut tx = begin_write(&self.pool).await?;
        let mut app = load_application(&mut tx, id).await?;
        sqlx::query("UPDATE application SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        app.status = status;
        Ok(app)
    }

    /// Changes an application's name, tier or HMAC-SHA1 permission.
    ///
    /// # Errors
    /// `UnknownApplication`, `InvalidName`, `InvalidTier`.
    pub async fn update_application(
        &self,
        id: &str,
        update: ApplicationUpdate,
    ) -> Result<Application, AccessError> {
        let name = update
            .name
            .as_deref()
            .map(|n| check_name("application", n))
            .transpose()?;
        if let Some(tier) = update.tier {
            tier.check()?;
        }
        let mut tx = begin_write(&self.pool).await?;
        let mut app = load_application(&mut tx, id).await?;
        if let Some(name) = name {
            app.name = name;
        }
        if let Some(tier) = update.tier {
            app.tier = tier;
        }
        if let Some(legacy) = update.legacy_sha1 {
            app.legacy_sha1 = legacy;
        }
        sqlx::query(
            "UPDATE application SET name = $1, legacy_sha1 = $2, per_minute = $3, per_day = $4 \
             WHERE id = $5",
        )
        .bind(&app.name)
        .bind(app.legacy_sha1)
        .bind(i64::from(app.tier.per_minute))
        .bind(per_day_column(app.tier))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(app)
    }

    /// The application with this id.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn application(&self, id: &str) -> Result<Option<Application>, AccessError> {
        let row = sqlx::query(SELECT_APPLICATION)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| application_from_row(&r, "")).transpose()
    }

    /// Every application, or those of one agency, by agency then name.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn applications(
        &self,
        agency: Option<&AgencyCode>,
    ) -> Result<Vec<Application>, AccessError> {
        let rows = sqlx::query(
            "SELECT id, agency, name, status, legacy_sha1, per_minute, per_day, created_at \
             FROM application WHERE ($1 IS NULL OR agency = $1) ORDER BY agency, name, id",
        )
        .bind(agency.map(AgencyCode::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| application_from_row(r, "")).collect()
    }
}
