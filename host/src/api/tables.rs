//! `GET /v1/services`: every table the platform offers (what an application
//! can ask to be granted), and `GET /v1/tables`: what the caller's grants let
//! it query, with masked columns marked. Both give types, key columns and
//! personal-data classes; neither holds data.

use super::AppState;
use super::caller::{Caller, Signed};
use super::error::ApiError;
use crate::policy::Policy;
use crate::runtime::{KeyColumn, PersonalData, Snapshot, sql_type};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The catalog of connector tables.
#[derive(Debug, Serialize, ToSchema)]
pub struct TablesResponse {
    /// One schema per connector.
    pub schemas: Vec<SchemaDoc>,
}

/// A connector's schema.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaDoc {
    /// SQL schema name.
    pub name: String,
    /// Code of the agency that provides it (approves its grants), when
    /// registered.
    pub provider: Option<String>,
    /// Connector version.
    pub version: String,
    /// Description.
    pub description: String,
    /// SHA-256 of the component serving it.
    pub sha256: String,
    /// Tables.
    pub tables: Vec<TableDoc>,
}

/// A table.
#[derive(Debug, Serialize, ToSchema)]
pub struct TableDoc {
    /// Table name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Columns.
    pub columns: Vec<ColumnDoc>,
    /// Each entry is one way to query the table: filter every listed key
    /// column with one of its operators. Empty: no filter needed.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub access_paths: Vec<Vec<KeyColumn>>,
}

/// A column.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnDoc {
    /// Name.
    pub name: String,
    /// SQL type, e.g. `VARCHAR`, `DATE`, `DECIMAL(18,2)`.
    pub sql_type: String,
    /// Arrow type, e.g. `Utf8`, `Date32`.
    pub arrow_type: String,
    /// Whether it may be null.
    pub nullable: bool,
    /// Description.
    pub description: String,
    /// `none`, `basic`, `identifier` or `sensitive`. Identifiers are masked
    /// unless a grant names them in the clear; sensitive columns are served
    /// only to grants that name them.
    #[schema(value_type = String)]
    pub personal_data: PersonalData,
    /// Shared catalog of its codes.
    pub catalog: Option<String>,
    /// In `/v1/tables`: the caller sees this column masked (`001******345`).
    pub masked: bool,
}

/// Lists every table the platform offers, with its provider: what an
/// application can request access to with `POST /v1/grants`.
#[utoipa::path(get, path = "/v1/services",
    params(("Authorization" = String, Header, description = "Signature (docs/authentication.md)")),
    responses((status = 200, body = TablesResponse), (status = 401, description = "signature errors", body = super::ErrorBody)),
    tag = "catalog")]
pub(crate) async fn services(
    State(state): State<AppState>,
    _caller: Signed,
) -> Result<Json<TablesResponse>, ApiError> {
    let snapshot = state.registry.snapshot();
    let providers = providers(&state).await?;
    Ok(Json(TablesResponse {
        schemas: describe(&snapshot, &providers, None),
    }))
}

/// Lists the tables and columns the caller may query: for the purpose in
/// `x-purpose`, or for any of its purposes when none is stated.
#[utoipa::path(get, path = "/v1/tables",
    params(
        ("Authorization" = String, Header, description = "Signature (docs/authentication.md)"),
        ("x-purpose" = Option<String>, Header, description = "Only the grants with this purpose"),
    ),
    responses((status = 200, body = TablesResponse), (status = 401, description = "signature errors", body = super::ErrorBody)),
    tag = "catalog")]
pub(crate) async fn tables(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TablesResponse>, ApiError> {
    let snapshot = state.registry.snapshot();
    let purpose = Some(caller.purpose.as_str()).filter(|p| !p.is_empty());
    let policy = state
        .auth
        .policy(
            &caller.identity,
            purpose,
            None,
            &snapshot,
            chrono::Utc::now(),
        )
        .await?;
    let providers = providers(&state).await?;
    Ok(Json(TablesResponse {
        schemas: describe(&snapshot, &providers, Some(&policy)),
    }))
}

/// Schema → provider agency code.
async fn providers(state: &AppState) -> Result<BTreeMap<String, String>, ApiError> {
    Ok(state
        .auth
        .access()
        .services()
        .await?
        .into_iter()
        .map(|s| (s.schema, s.provider.to_string()))
        .collect())
}

/// The schemas of `snapshot`, narrowed to `policy` when given.
fn describe(
    snapshot: &Snapshot,
    providers: &BTreeMap<String, String>,
    policy: Option<&Policy>,
) -> Vec<SchemaDoc> {
    snapshot
        .connectors
        .values()
        .filter_map(|c| {
            let info = c.info();
            let granted = match policy {
                Some(p) => Some(p.schemas.get(&info.name)?),
                None => None,
            };
            let tables: Vec<TableDoc> = info
                .tables
                .iter()
                .filter_map(|t| {
                    let access = match granted {
                        Some(g) => Some(g.tables.get(&t.name)?),
                        None => None,
                    };
                    let columns = t
                        .columns
                        .iter()
                        .filter_map(|col| {
                            let masked = match access {
                                Some(a) => a.columns.iter().find(|c| c.name == col.name)?.masked,
                                None => false,
                            };
                            Some(ColumnDoc {
                                name: col.name.clone(),
                                sql_type: if masked {
                                    "VARCHAR".into()
                                } else {
                                    sql_type(&col.data_type)
                                },
                                arrow_type: if masked {
                                    "Utf8".into()
                                } else {
                                    col.data_type.to_string()
                                },
                                nullable: col.nullable,
                                description: col.description.clone(),
                                personal_data: col.personal_data,
                                catalog: col.catalog.clone(),
                                masked,
                            })
                        })
                        .collect();
                    Some(TableDoc {
                        name: t.name.clone(),
                        description: t.description.clone(),
                        columns,
                        access_paths: t.access_paths.clone(),
                    })
                })
                .collect();
            Some(SchemaDoc {
                name: info.name.clone(),
                provider: providers.get(&info.name).cloned(),
                version: info.version.clone(),
                description: info.description.clone(),
                sha256: c.sha256().to_owned(),
                tables,
            })
        })
        .collect()
}
