//! Services: which agency provides each SQL schema, and so decides who may read it.

use crate::AccessStore;
use crate::agency::{AgencyStatus, status_of, stored_code};
use crate::code::AgencyCode;
use crate::db::{self, begin_write, from_unix};
use crate::error::AccessError;
use crate::grant_checks::check_one_identifier;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection};

/// A schema and the agency that provides its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The SQL schema (a connector's schema name).
    pub schema: String,
    /// The agency that decides who may read it.
    pub provider: AgencyCode,
    /// When the provider was last set.
    pub updated_at: DateTime<Utc>,
}

/// The provider of `schema`, read on `conn` (inside a caller's transaction).
pub(crate) async fn provider_of(
    conn: &mut SqliteConnection,
    schema: &str,
) -> Result<Option<AgencyCode>, AccessError> {
    let row = sqlx::query("SELECT provider FROM service WHERE schema_name = $1")
        .bind(schema)
        .fetch_optional(conn)
        .await?;
    row.map(|r| stored_code(r.try_get("provider")?)).transpose()
}

impl AccessStore {
    /// Records which agency provides `schema`. Requests still waiting for a
    /// decision move to the new provider; decided grants keep their record.
    ///
    /// # Errors
    /// `InvalidIdentifier`, `UnknownAgency`, `AgencyNotActive`.
    pub async fn set_service_provider(
        &self,
        schema: &str,
        agency: &AgencyCode,
    ) -> Result<(), AccessError> {
        check_one_identifier("schema", schema)?;
        let now = db::now().timestamp();
        let mut tx = begin_write(&self.pool).await?;
        match status_of(&mut tx, agency).await? {
            None => return Err(AccessError::UnknownAgency(agency.clone())),
            Some(AgencyStatus::Active) => {}
            Some(status) => {
                return Err(AccessError::AgencyNotActive {
                    code: agency.clone(),
                    status,
                });
            }
        }
        sqlx::query(
            "INSERT INTO service (schema_name, provider, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (schema_name) DO UPDATE SET provider = excluded.provider, \
             updated_at = excluded.updated_at",
        )
        .bind(schema)
        .bind(agency.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE access_grant SET provider_agency = $1 \
             WHERE schema_name = $2 AND status = 'requested'",
        )
        .bind(agency.as_str())
        .bind(schema)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The agency that provides `schema`, if registered.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn service_provider(&self, schema: &str) -> Result<Option<AgencyCode>, AccessError> {
        let mut conn = self.pool.acquire().await?;
        provider_of(&mut conn, schema).await
    }

    /// Every registered service, by schema.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn services(&self) -> Result<Vec<Service>, AccessError> {
        let rows = sqlx::query(
            "SELECT schema_name, provider, updated_at FROM service ORDER BY schema_name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Service {
                    schema: r.try_get("schema_name")?,
                    provider: stored_code(r.try_get("provider")?)?,
                    updated_at: from_unix(r.try_get("updated_at")?)?,
                })
            })
            .collect()
    }
}
