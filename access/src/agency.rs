//! Agencies by their QĐ 20/2020 electronic identifier code, and the history of
//! each code (creation, renames, merges, splits, suspensions).

use crate::AccessStore;
use crate::code::AgencyCode;
use crate::db::{self, begin_write, check_name, day_text, from_unix, parse_day};
use crate::error::AccessError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeSet;
use std::fmt;

/// Whether an agency may act on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyStatus {
    /// Its applications may call and it may decide grants.
    Active,
    /// Temporarily barred; can be reactivated.
    Suspended,
    /// Merged into or split among other agencies; final. The code is never reused.
    Dissolved,
}

impl AgencyStatus {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Dissolved => "dissolved",
        }
    }

    fn parse(s: &str) -> Result<Self, AccessError> {
        match s {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            "dissolved" => Ok(Self::Dissolved),
            other => Err(AccessError::Corrupt(format!("agency status {other:?}"))),
        }
    }
}

impl fmt::Display for AgencyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An agency in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Its QĐ 20/2020 code.
    pub code: AgencyCode,
    /// Its current name.
    pub name: String,
    /// The agency it reports to, if registered.
    pub parent: Option<AgencyCode>,
    /// Whether it may act.
    pub status: AgencyStatus,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// What [`AccessStore::create_agency`] needs.
#[derive(Debug, Clone)]
pub struct NewAgency {
    /// The code; must never have been used.
    pub code: AgencyCode,
    /// The name (trimmed; 1 to 300 characters).
    pub name: String,
    /// The agency it reports to; must exist and not be dissolved.
    pub parent: Option<AgencyCode>,
}

/// One change in an agency's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "detail", rename_all = "snake_case")]
pub enum AgencyChange {
    /// Registered.
    Created,
    /// Renamed.
    Renamed {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Merged into this agency and dissolved.
    MergedInto(AgencyCode),
    /// Split among these agencies and dissolved.
    SplitInto(Vec<AgencyCode>),
    /// Took over these agencies, which were merged into it.
    Absorbed(Vec<AgencyCode>),
    /// Took over part of this agency, which was split.
    SplitFrom(AgencyCode),
    /// Suspended.
    Suspended,
    /// Reactivated after a suspension.
    Reactivated,
}

/// A recorded change, with the date it takes effect legally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyEvent {
    /// The agency concerned.
    pub code: AgencyCode,
    /// What changed.
    pub change: AgencyChange,
    /// The date the change takes effect (e.g. the date of the decision).
    pub effective: NaiveDate,
    /// When the registry recorded it.
    pub recorded_at: DateTime<Utc>,
    /// Free text from the operator, if any.
    pub note: Option<String>,
}

/// Reads an agency from columns named with `prefix` (`""` or e.g. `"g_"`).
pub(crate) fn agency_from_row(row: &SqliteRow, prefix: &str) -> Result<Agency, AccessError> {
    let col = |name: &str| format!("{prefix}{name}");
    let code: String = row.try_get(col("code").as_str())?;
    let parent: Option<String> = row.try_get(col("parent").as_str())?;
    let status: String = row.try_get(col("status").as_str())?;
    Ok(Agency {
        code: stored_code(code)?,
        name: row.try_get(col("name").as_str())?,
        parent: parent.map(stored_code).transpose()?,
        status: AgencyStatus::parse(&status)?,
        created_at: from_unix(row.try_get(col("created_at").as_str())?)?,
    })
}

/// An agency code read from the database.
pub(crate) fn stored_code(text: String) -> Result<AgencyCode, AccessError> {
    AgencyCode::try_from(text).map_err(|e| AccessError::Corrupt(format!("stored agency code: {e}")))
}

/// The status of `code`, if registered.
pub(crate) async fn status_of(
    conn: &mut SqliteConnection,
    code: &AgencyCode,
) -> Result<Option<AgencyStatus>, AccessError> {
    let row = sqlx::query("SELECT status FROM agency WHERE code = $1")
        .bind(code.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|r| AgencyStatus::parse(&r.try_get::<String, _>("status")?))
        .transpose()
}

/// The status of `code`, which must exist and not be dissolved.
async fn living_status(
    conn: &mut SqliteConnection,
    code: &AgencyCode,
) -> Result<AgencyStatus, AccessError> {
    match status_of(conn, code).await? {
        None => Err(AccessError::UnknownAgency(code.clone())),
        Some(AgencyStatus::Dissolved) => Err(AccessError::AgencyDissolved(code.clone())),
        Some(status) => Ok(status),
    }
}

async fn record(
    conn: &mut SqliteConnection,
    code: &AgencyCode,
    change: &AgencyChange,
    effective: NaiveDate,
    recorded_at: i64,
) -> Result<(), AccessError> {
    let change = serde_json::to_string(change)
        .map_err(|e| AccessError::Corrupt(format!("agency change: {e}")))?;
    sqlx::query(
        "INSERT INTO agency_event (code, change, effective, recorded_at, note) \
         VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(code.as_str())
    .bind(change)
    .bind(day_text(effective))
    .bind(recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn set_status(
    conn: &mut SqliteConnection,
    code: &AgencyCode,
    status: AgencyStatus,
) -> Result<(), AccessError> {
    sqlx::query("UPDATE agency SET status = $1 WHERE code = $2")
        .bind(status.as_str())
        .bind(code.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Refuses duplicates in a list of agencies given for a merge or split.
fn distinct(what: &str, codes: &[AgencyCode]) -> Result<(), AccessError> {
    let mut seen = BTreeSet::new();
    match codes.iter().find(|c| !seen.insert(*c)) {
        Some(dup) => Err(AccessError::InvalidAgencyChange(format!(
            "agency {dup} is listed twice among the {what}"
        ))),
        None => Ok(()),
    }
}

impl AccessStore {
    /// Registers an agency and records its creation.
    ///
    /// # Errors
    /// `CodeInUse` if a current agency has the code, `CodeRetired` if a dissolved
    /// one had it (codes are never reused), `UnknownParent` / `AgencyDissolved`
    /// for the parent, `InvalidName`.
    pub async fn create_agency(&self, new: NewAgency) -> Result<Agency, AccessError> {
        let name = check_name("agency", &new.name)?;
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        match status_of(&mut tx, &new.code).await? {
            Some(AgencyStatus::Dissolved) => return Err(AccessError::CodeRetired(new.code)),
            Some(_) => return Err(AccessError::CodeInUse(new.code)),
            None => {}
        }
        if let Some(parent) = &new.parent {
            match status_of(&mut tx, parent).await? {
                None => return Err(AccessError::UnknownParent(parent.clone())),
                Some(AgencyStatus::Dissolved) => {
                    return Err(AccessError::AgencyDissolved(parent.clone()));
                }
                Some(_) => {}
            }
        }
        sqlx::query(
            "INSERT INTO agency (code, name, parent, status, created_at) \
             VALUES ($1, $2, $3, 'active', $4)",
        )
        .bind(new.code.as_str())
        .bind(&name)
        .bind(new.parent.as_ref().map(AgencyCode::as_str))
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await?;
        let today = now.date_naive();
        record(
            &mut tx,
            &new.code,
            &AgencyChange::Created,
            today,
            now.timestamp(),
        )
        .await?;
        tx.commit().await?;
        Ok(Agency {
            code: new.code,
            name,
            parent: new.parent,
            status: AgencyStatus::Active,
            created_at: now,
        })
    }

    /// Renames an agency, recording the old and new names with the date the
    /// new name takes effect. The new name is current from now on.
    ///
    /// # Errors
    /// `UnknownAgency`, `AgencyDissolved`, `InvalidName`, or `InvalidAgencyChange`
    /// when the name is unchanged.
    pub async fn rename_agency(
        &self,
        code: &AgencyCode,
        new_name: &str,
        effective: NaiveDate,
    ) -> Result<(), AccessError> {
        let name = check_name("agency", new_name)?;
        let now = db::now().timestamp();
        let mut tx = begin_write(&self.pool).await?;
        living_status(&mut tx, code).await?;
        let old: String = sqlx::query("SELECT name FROM agency WHERE code = $1")
            .bind(code.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get("name")?;
        if old == name {
            return Err(AccessError::InvalidAgencyChange(format!(
                "agency {code} is already named {name:?}"
            )));
        }
        sqlx::query("UPDATE agency SET name = $1 WHERE code = $2")
            .bind(&name)
            .bind(code.as_str())
            .execute(&mut *tx)
            .await?;
        let change = AgencyChange::Renamed {
            from: old,
            to: name,
        };
        record(&mut tx, code, &change, effective, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Merges agencies into another one: each of `from` is dissolved with a
    /// `MergedInto` event, and `into` records an `Absorbed` event listing them.
    ///
    /// `into` keeps its code (as merged provinces keep the code of one of the
    /// old provinces). Agencies under a dissolved one keep their parent; move
    /// or merge them separately.
    ///
    /// # Errors
    /// `InvalidAgencyChange` for an empty or repeated list or `into` among
    /// `from`; `UnknownAgency` / `AgencyDissolved` for any agency involved.
    pub async fn merge_agencies(
        &self,
        from: &[AgencyCode],
        into: &AgencyCode,
        effective: NaiveDate,
    ) -> Result<(), AccessError> {
        if from.is_empty() {
            return Err(AccessError::InvalidAgencyChange(
                "a merge needs at least one agency to merge".into(),
            ));
        }
        distinct("agencies to merge", from)?;
        if from.contains(into) {
            return Err(AccessError::InvalidAgencyChange(format!(
                "agency {into} cannot be merged into itself"
            )));
        }
        let now = db::now().timestamp();
        let mut tx = begin_write(&self.pool).await?;
        living_status(&mut tx, into).await?;
        for code in from {
            living_status(&mut tx, code).await?;
        }
        for code in from {
            set_status(&mut tx, code, AgencyStatus::Dissolved).await?;
            let change = AgencyChange::MergedInto(into.clone());
            record(&mut tx, code, &change, effective, now).await?;
        }
        let change = AgencyChange::Absorbed(from.to_vec());
        record(&mut tx, into, &change, effective, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Splits an agency among others, which must already be registered (new
    /// ones with [`AccessStore::create_agency`]): `from` is dissolved with a
    /// `SplitInto` event and each of `into` records `SplitFrom`.
    ///
    /// # Errors
    /// `InvalidAgencyChange` for fewer than two distinct targets or `from`
    /// among them; `UnknownAgency` / `AgencyDissolved` for any agency involved.
    pub async fn split_agency(
        &self,
        from: &AgencyCode,
        into: &[AgencyCode],
        effective: NaiveDate,
    ) -> Result<(), AccessError> {
        if into.len() < 2 {
            return Err(AccessError::InvalidAgencyChange(format!(
                "a split needs at least two agencies to split {from} into; to hand everything to \
                 one agency, merge it instead"
            )));
        }
        distinct("agencies to split into", into)?;
        if into.contains(from) {
            return Err(AccessError::InvalidAgencyChange(format!(
                "agency {from} cannot be split into itself; its code is retired by the split"
            )));
        }
        let now = db::now().timestamp();
        let mut tx = begin_write(&self.pool).await?;
        living_status(&mut tx, from).await?;
        for code in into {
            living_status(&mut tx, code).await?;
        }
        set_status(&mut tx, from, AgencyStatus::Dissolved).await?;
        record(
            &mut tx,
            from,
            &AgencyChange::SplitInto(into.to_vec()),
            effective,
            now,
        )
        .await?;
        for code in into {
            let change = AgencyChange::SplitFrom(from.clone());
            record(&mut tx, code, &change, effective, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Suspends or reactivates an agency, effective today. Setting the status it
    /// already has changes nothing and records nothing.
    ///
    /// # Errors
    /// `UnknownAgency`, `AgencyDissolved`, or `InvalidAgencyChange` when asked
    /// for `Dissolved` (agencies are dissolved by a merge or a split).
    pub async fn set_agency_status(
        &self,
        code: &AgencyCode,
        status: AgencyStatus,
    ) -> Result<(), AccessError> {
        let change = match status {
            AgencyStatus::Active => AgencyChange::Reactivated,
            AgencyStatus::Suspended => AgencyChange::Suspended,
            AgencyStatus::Dissolved => {
                return Err(AccessError::InvalidAgencyChange(
                    "an agency is dissolved by merging it or splitting it, not by setting its \
                     status"
                        .into(),
                ));
            }
        };
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        if living_status(&mut tx, code).await? == status {
            return Ok(());
        }
        set_status(&mut tx, code, status).await?;
        record(&mut tx, code, &change, now.date_naive(), now.timestamp()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The agency with this code, dissolved ones included.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn agency(&self, code: &AgencyCode) -> Result<Option<Agency>, AccessError> {
        let row = sqlx::query(
            "SELECT code, name, parent, status, created_at FROM agency WHERE code = $1",
        )
        .bind(code.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| agency_from_row(&r, "")).transpose()
    }

    /// Every agency, dissolved ones included, by code.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn agencies(&self) -> Result<Vec<Agency>, AccessError> {
        let rows =
            sqlx::query("SELECT code, name, parent, status, created_at FROM agency ORDER BY code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| agency_from_row(r, "")).collect()
    }

    /// The recorded changes of an agency, in the order they were recorded.
    ///
    /// Effective dates need not follow that order: an agency registered today
    /// may have a merge recorded afterwards that took effect years ago.
    ///
    /// # Errors
    /// `UnknownAgency` if the code was never registered.
    pub async fn agency_history(&self, code: &AgencyCode) -> Result<Vec<AgencyEvent>, AccessError> {
        let mut conn = self.pool.acquire().await?;
        if status_of(&mut conn, code).await?.is_none() {
            return Err(AccessError::UnknownAgency(code.clone()));
        }
        let rows = sqlx::query(
            "SELECT change, effective, recorded_at, note FROM agency_event \
             WHERE code = $1 ORDER BY id",
        )
        .bind(code.as_str())
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let change: String = r.try_get("change")?;
                let effective: String = r.try_get("effective")?;
                Ok(AgencyEvent {
                    code: code.clone(),
                    change: serde_json::from_str(&change)
                        .map_err(|e| AccessError::Corrupt(format!("agency change: {e}")))?,
                    effective: parse_day(&effective)?,
                    recorded_at: from_unix(r.try_get("recorded_at")?)?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }
}
