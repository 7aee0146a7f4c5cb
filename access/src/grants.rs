//! Grants: a consumer application asks for data for a stated purpose and
//! period, the provider agency (or an admin) approves or rejects, and either
//! side may revoke.

use crate::AccessStore;
use crate::agency::{AgencyStatus, status_of, stored_code};
use crate::application::{AppStatus, load_application};
use crate::code::AgencyCode;
use crate::db::{
    self, begin_write, day_text, from_unix, from_unix_opt, parse_day, random_base32_16,
};
use crate::error::AccessError;
use crate::grant_checks::{check_reason, check_request, check_row_filter};
use crate::services::provider_of;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::fmt;

/// What a consumer asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    /// The schema.
    pub schema: String,
    /// One table, or `None` for every table of the schema.
    pub table: Option<String>,
    /// The columns wanted; empty means every column that is not sensitive
    /// personal data.
    pub columns: Vec<String>,
    /// Identifier columns wanted unmasked (otherwise they are masked).
    pub clear_columns: Vec<String>,
    /// Why the data is needed (3 to 500 characters); requests must state the same purpose.
    pub purpose: String,
    /// First day of access.
    pub valid_from: NaiveDate,
    /// Last day of access (inclusive).
    pub valid_to: NaiveDate,
}

/// Where a grant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    /// Waiting for the provider's decision.
    Requested,
    /// In force during its validity period.
    Approved,
    /// Refused by the provider; final.
    Rejected,
    /// Withdrawn; final.
    Revoked,
}

impl GrantStatus {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Revoked => "revoked",
        }
    }

    fn parse(s: &str) -> Result<Self, AccessError> {
        match s {
            "requested" => Ok(Self::Requested),
            "approved" => Ok(Self::Approved),
            "rejected" => Ok(Self::Rejected),
            "revoked" => Ok(Self::Revoked),
            other => Err(AccessError::Corrupt(format!("grant status {other:?}"))),
        }
    }
}

impl fmt::Display for GrantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A grant and its decision trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// `gr_` followed by 16 lower-case base32 characters.
    pub id: String,
    /// The application that asked.
    pub consumer_app: String,
    /// Its agency.
    pub consumer_agency: AgencyCode,
    /// The agency that decides.
    pub provider_agency: AgencyCode,
    /// The schema.
    pub schema: String,
    /// One table, or `None` for the whole schema.
    pub table: Option<String>,
    /// Columns; empty = every non-sensitive column.
    pub columns: Vec<String>,
    /// Identifier columns shown unmasked.
    pub clear_columns: Vec<String>,
    /// SQL condition on the table's columns limiting the rows, set at approval.
    pub row_filter: Option<String>,
    /// The stated purpose.
    pub purpose: String,
    /// First day of access.
    pub valid_from: NaiveDate,
    /// Last day of access (inclusive).
    pub valid_to: NaiveDate,
    /// Where it is in its life.
    pub status: GrantStatus,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// When it was approved or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// Who approved or rejected it ([`Actor`] as text).
    pub decided_by: Option<String>,
    /// Why it was rejected or revoked.
    pub reason: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it ([`Actor`] as text).
    pub revoked_by: Option<String>,
}

/// Who is deciding: an admin, or someone speaking for an agency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A platform administrator, by username.
    Admin(String),
    /// An agency (through one of its applications or its officer).
    Agency(AgencyCode),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Admin(name) => write!(f, "admin:{name}"),
            Self::Agency(code) => write!(f, "agency:{code}"),
        }
    }
}

/// A provider's answer to a grant request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Grant it, optionally only for rows matching a SQL condition (validated by the host).
    Approve {
        /// The condition, e.g. `ma_tinh = '22'`; `None` or blank for every row.
        row_filter: Option<String>,
    },
    /// Refuse it.
    Reject {
        /// Why (shown to the consumer).
        reason: String,
    },
}

/// Which grants to list; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    /// Grants asked for by this agency's applications.
    pub consumer_agency: Option<AgencyCode>,
    /// Grants this agency decides.
    pub provider_agency: Option<AgencyCode>,
    /// Grants of this application.
    pub application: Option<String>,
    /// Grants in this state.
    pub status: Option<GrantStatus>,
    /// Grants on this schema.
    pub schema: Option<String>,
}

/// Refuses `actor` unless it is an admin or `grant`'s provider agency: only
/// they decide on a grant.
fn provider_or_admin(actor: &Actor, grant: &Grant, action: &str) -> Result<(), AccessError> {
    match actor {
        Actor::Admin(_) => Ok(()),
        Actor::Agency(code) if *code == grant.provider_agency => Ok(()),
        Actor::Agency(_) => Err(AccessError::NotAllowed(format!(
            "{actor} cannot {action} grant {}: only its provider agency {} or an admin can",
            grant.id, grant.provider_agency
        ))),
    }
}

fn json_list(names: &[String]) -> Result<String, AccessError> {
    serde_json::to_string(names).map_err(|e| AccessError::Corrupt(format!("column list: {e}")))
}

fn grant_from_row(row: &SqliteRow) -> Result<Grant, AccessError> {
    let list = |col: &str| -> Result<Vec<String>, AccessError> {
        let text: String = row.try_get(col)?;
        serde_json::from_str(&text).map_err(|e| AccessError::Corrupt(format!("grant {col}: {e}")))
    };
    let status: String = row.try_get("status")?;
    let valid_from: String = row.try_get("valid_from")?;
    let valid_to: String = row.try_get("valid_to")?;
    Ok(Grant {
        id: row.try_get("id")?,
        consumer_app: row.try_get("consumer_app")?,
        consumer_agency: stored_code(row.try_get("consumer_agency")?)?,
        provider_agency: stored_code(row.try_get("provider_agency")?)?,
        schema: row.try_get("schema_name")?,
        table: row.try_get("table_name")?,
        columns: list("columns")?,
        clear_columns: list("clear_columns")?,
        row_filter: row.try_get("row_filter")?,
        purpose: row.try_get("purpose")?,
        valid_from: parse_day(&valid_from)?,
        valid_to: parse_day(&valid_to)?,
        status: GrantStatus::parse(&status)?,
        requested_at: from_unix(row.try_get("requested_at")?)?,
        decided_at: from_unix_opt(row.try_get("decided_at")?)?,
        decided_by: row.try_get("decided_by")?,
        reason: row.try_get("reason")?,
        revoked_at: from_unix_opt(row.try_get("revoked_at")?)?,
        revoked_by: row.try_get("revoked_by")?,
    })
}

/// The grant columns `grant_from_row` reads, then `$tail`.
macro_rules! select_grants {
    ($tail:literal) => {
        concat!(
            "SELECT id, consumer_app, consumer_agency, provider_agency, schema_name, table_name, \
             columns, clear_columns, row_filter, purpose, valid_from, valid_to, status, \
             requested_at, decided_at, decided_by, reason, revoked_at, revoked_by \
             FROM access_grant ",
            $tail
        )
    };
}

async fn load_grant(conn: &mut SqliteConnection, id: &str) -> Result<Grant, AccessError> {
    let row = sqlx::query(select_grants!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AccessError::UnknownGrant(id.to_owned()))?;
    grant_from_row(&row)
}

impl AccessStore {
    /// Asks the provider of `req.schema` for access on behalf of an application.
    ///
    /// # Errors
    /// `InvalidIdentifier` / `InvalidGrant` for a malformed request (purpose
    /// length, period, columns), `UnknownApplication`, `ApplicationSuspended`,
    /// `AgencyNotActive`, `UnknownService`.
    pub async fn request_grant(
        &self,
        app_id: &str,
        req: GrantRequest,
    ) -> Result<Grant, AccessError> {
        let purpose = check_request(&req)?;
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        let app = load_application(&mut tx, app_id).await?;
        if app.status != AppStatus::Active {
            return Err(AccessError::ApplicationSuspended(app.id));
        }
        match status_of(&mut tx, &app.agency).await? {
            Some(AgencyStatus::Active) => {}
            Some(status) => {
                return Err(AccessError::AgencyNotActive {
                    code: app.agency,
                    status,
                });
            }
            None => return Err(AccessError::UnknownAgency(app.agency)),
        }
        let provider = provider_of(&mut tx, &req.schema)
            .await?
            .ok_or_else(|| AccessError::UnknownService(req.schema.clone()))?;
        let grant = Grant {
            id: format!("gr_{}", random_base32_16().to_ascii_lowercase()),
            consumer_app: app.id,
            consumer_agency: app.agency,
            provider_agency: provider,
            schema: req.schema,
            table: req.table,
            columns: req.columns,
            clear_columns: req.clear_columns,
            row_filter: None,
            purpose,
            valid_from: req.valid_from,
            valid_to: req.valid_to,
            status: GrantStatus::Requested,
            requested_at: now,
            decided_at: None,
            decided_by: None,
            reason: None,
            revoked_at: None,
            revoked_by: None,
        };
        sqlx::query(
            "INSERT INTO access_grant (id, consumer_app, consumer_agency, provider_agency, \
             schema_name, table_name, columns, clear_columns, purpose, valid_from, valid_to, \
             status, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'requested', $12)",
        )
        .bind(&grant.id)
        .bind(&grant.consumer_app)
        .bind(grant.consumer_agency.as_str())
        .bind(grant.provider_agency.as_str())
        .bind(&grant.schema)
        .bind(&grant.table)
        .bind(json_list(&grant.columns)?)
        .bind(json_list(&grant.clear_columns)?)
        .bind(&grant.purpose)
        .bind(day_text(grant.valid_from))
        .bind(day_text(grant.valid_to))
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(grant)
    }

    /// Approves or rejects a requested grant. Only an admin or the provider
    /// agency may decide; a consumer cannot approve its own request.
    ///
    /// # Errors
    /// `UnknownGrant`, `NotAllowed`, `GrantState` (already decided),
    /// `InvalidGrant` (blank reason, oversized row filter).
    pub async fn decide_grant(
        &self,
        id: &str,
        actor: &Actor,
        decision: Decision,
    ) -> Result<Grant, AccessError> {
        let (status, row_filter, reason) = match decision {
            Decision::Approve { row_filter } => {
                (GrantStatus::Approved, check_row_filter(row_filter)?, None)
            }
            Decision::Reject { reason } => {
                (GrantStatus::Rejected, None, Some(check_reason(&reason)?))
            }
        };
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        let mut grant = load_grant(&mut tx, id).await?;
        provider_or_admin(actor, &grant, "decide")?;
        if grant.status != GrantStatus::Requested {
            return Err(AccessError::GrantState {
                id: grant.id,
                status: grant.status,
                action: "approved or rejected",
                allowed: "requested",
            });
        }
        sqlx::query(
            "UPDATE access_grant SET status = $1, row_filter = $2, reason = $3, decided_at = $4, \
             decided_by = $5 WHERE id = $6",
        )
        .bind(status.as_str())
        .bind(&row_filter)
        .bind(&reason)
        .bind(now.timestamp())
        .bind(actor.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        grant.status = status;
        grant.row_filter = row_filter;
        grant.reason = reason;
        grant.decided_at = Some(now);
        grant.decided_by = Some(actor.to_string());
        Ok(grant)
    }

    /// Approves an approved grant again: the provider (or an admin) confirms
    /// it for the connector version serving now, so that it reaches a new
    /// major that changed columns it covers. Its terms do not change; its
    /// decision time does.
    ///
    /// # Errors
    /// `UnknownGrant`, `NotAllowed`, `GrantState` (not approved).
    pub async fn reapprove_grant(&self, id: &str, actor: &Actor) -> Result<Grant, AccessError> {
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        let mut grant = load_grant(&mut tx, id).await?;
        provider_or_admin(actor, &grant, "approve again")?;
        if grant.status != GrantStatus::Approved {
            return Err(AccessError::GrantState {
                id: grant.id,
                status: grant.status,
                action: "approved again",
                allowed: "approved",
            });
        }
        sqlx::query("UPDATE access_grant SET decided_at = $1, decided_by = $2 WHERE id = $3")
            .bind(now.timestamp())
            .bind(actor.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        grant.decided_at = Some(now);
        grant.decided_by = Some(actor.to_string());
        Ok(grant)
    }

    /// Revokes a grant that is approved or still requested (the consumer
    /// withdrawing its request). An admin, the provider or the consumer agency may.
    ///
    /// # Errors
    /// `UnknownGrant`, `NotAllowed`, `GrantState`, `InvalidGrant` (blank reason).
    pub async fn revoke_grant(
        &self,
        id: &str,
        actor: &Actor,
        reason: &str,
    ) -> Result<Grant, AccessError> {
        let reason = check_reason(reason)?;
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        let mut grant = load_grant(&mut tx, id).await?;
        let allowed = match actor {
            Actor::Admin(_) => true,
            Actor::Agency(code) => *code == grant.provider_agency || *code == grant.consumer_agency,
        };
        if !allowed {
            return Err(AccessError::NotAllowed(format!(
                "{actor} cannot revoke grant {id}: only its provider agency {}, its consumer \
                 agency {} or an admin can",
                grant.provider_agency, grant.consumer_agency
            )));
        }
        if !matches!(grant.status, GrantStatus::Approved | GrantStatus::Requested) {
            return Err(AccessError::GrantState {
                id: grant.id,
                status: grant.status,
                action: "revoked",
                allowed: "approved or requested",
            });
        }
        sqlx::query(
            "UPDATE access_grant SET status = 'revoked', reason = $1, revoked_at = $2, \
             revoked_by = $3 WHERE id = $4",
        )
        .bind(&reason)
        .bind(now.timestamp())
        .bind(actor.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        grant.status = GrantStatus::Revoked;
        grant.reason = Some(reason);
        grant.revoked_at = Some(now);
        grant.revoked_by = Some(actor.to_string());
        Ok(grant)
    }

    /// The grant with this id.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn grant(&self, id: &str) -> Result<Option<Grant>, AccessError> {
        let row = sqlx::query(select_grants!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| grant_from_row(&r)).transpose()
    }

    /// Grants matching every field set in `filter`, newest request first.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn grants(&self, filter: &GrantFilter) -> Result<Vec<Grant>, AccessError> {
        let rows = sqlx::query(select_grants!(
            "WHERE ($1 IS NULL OR consumer_agency = $1) AND ($2 IS NULL OR provider_agency = $2) \
             AND ($3 IS NULL OR consumer_app = $3) AND ($4 IS NULL OR status = $4) \
             AND ($5 IS NULL OR schema_name = $5) \
             ORDER BY requested_at DESC, id"
        ))
        .bind(filter.consumer_agency.as_ref().map(AgencyCode::as_str))
        .bind(filter.provider_agency.as_ref().map(AgencyCode::as_str))
        .bind(filter.application.as_deref())
        .bind(filter.status.map(GrantStatus::as_str))
        .bind(filter.schema.as_deref())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grant_from_row).collect()
    }

    /// The grants in force for an application on `today`: approved, with
    /// `valid_from <= today <= valid_to`.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn active_grants(
        &self,
        app_id: &str,
        today: NaiveDate,
    ) -> Result<Vec<Grant>, AccessError> {
        let rows = sqlx::query(select_grants!(
            "WHERE consumer_app = $1 AND status = 'approved' \
             AND valid_from <= $2 AND valid_to >= $2 ORDER BY schema_name, table_name, id"
        ))
        .bind(app_id)
        .bind(day_text(today))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grant_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_display_with_their_kind() {
        assert_eq!(Actor::Admin("root".into()).to_string(), "admin:root");
        let code: AgencyCode = "000.00.00.H49".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Actor::Agency(code).to_string(), "agency:000.00.00.H49");
    }
}
