//! `GET /v1/tables`: what can be queried, with types, key columns and
//! personal-data classes.

use super::AppState;
use super::caller::Caller;
use crate::runtime::{KeyColumn, PersonalData, sql_type};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
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
    /// `none`, `basic` or `sensitive`.
    #[schema(value_type = String)]
    pub personal_data: PersonalData,
    /// Shared catalog of its codes.
    pub catalog: Option<String>,
}

/// Lists every table a caller can query.
#[utoipa::path(get, path = "/v1/tables", responses((status = 200, body = TablesResponse)), tag = "catalog")]
pub(crate) async fn tables(State(state): State<AppState>, _caller: Caller) -> Json<TablesResponse> {
    let snapshot = state.registry.snapshot();
    let schemas = snapshot
        .connectors
        .values()
        .map(|c| {
            let info = c.info();
            SchemaDoc {
                name: info.name.clone(),
                version: info.version.clone(),
                description: info.description.clone(),
                sha256: c.sha256().to_owned(),
                tables: info
                    .tables
                    .iter()
                    .map(|t| TableDoc {
                        name: t.name.clone(),
                        description: t.description.clone(),
                        columns: t
                            .columns
                            .iter()
                            .map(|col| ColumnDoc {
                                name: col.name.clone(),
                                sql_type: sql_type(&col.data_type),
                                arrow_type: col.data_type.to_string(),
                                nullable: col.nullable,
                                description: col.description.clone(),
                                personal_data: col.personal_data,
                                catalog: col.catalog.clone(),
                            })
                            .collect(),
                        access_paths: t.access_paths.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    Json(TablesResponse { schemas })
}
