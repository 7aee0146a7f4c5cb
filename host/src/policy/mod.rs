//! What one request may see, and its enforcement inside SQL: grants resolve to
//! a [`Policy`] (tables, columns, masks, row filters); the per-request catalog
//! holds only what the policy grants, each table wrapped so its masks and row
//! filter apply below anything a query can write.
//!
//! The rules ([`resolve`]): a grant on a whole schema covers each of its tables;
//! a grant naming no columns covers every column that is not sensitive; a
//! sensitive column only when a grant names it; an identifier column is masked
//! unless a grant names it in `clear_columns`; several grants add up, a column
//! being clear if any grant clears it; a table's row filter is none if any
//! grant covering it has none, else the `OR` of all of them.

mod exec;
mod mask;
mod row_filter;
mod table;
#[cfg(test)]
mod tests;
pub mod versions;

pub use mask::mask;
pub use row_filter::{MAX_ROW_FILTER_BYTES, validate_row_filter};
pub(crate) use table::{PolicySchema, PolicyTable};

use crate::query::CATALOG_SCHEMA;
use crate::runtime::{ConnectorInfo, PersonalData, Snapshot, TableInfo};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one request may see: the granted schemas. A schema or table that is
/// not here does not exist for the request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Granted schemas by name.
    pub schemas: BTreeMap<String, SchemaAccess>,
}

/// The granted tables of one schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaAccess {
    /// Granted tables by name.
    pub tables: BTreeMap<String, TableAccess>,
}

/// What may be seen of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableAccess {
    /// The visible columns, in the table's order.
    pub columns: Vec<ColumnAccess>,
    /// SQL condition a row must meet to be visible; `None`: every row.
    pub row_filter: Option<String>,
}

/// One visible column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnAccess {
    /// Column name.
    pub name: String,
    /// Whether values are shown masked (`001******345`) rather than in the clear.
    pub masked: bool,
}

/// One approved, current grant, as [`resolve`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct GrantView<'a> {
    /// The schema (connector) granted.
    pub schema: &'a str,
    /// One table, or `None` for every table of the schema.
    pub table: Option<&'a str>,
    /// Columns granted; empty: every column that is not sensitive.
    pub columns: &'a [String],
    /// Identifier columns granted unmasked.
    pub clear_columns: &'a [String],
    /// Condition on the rows, set by the provider at approval.
    pub row_filter: Option<&'a str>,
}

/// Where [`resolve`] finds the tables and columns a schema has.
pub trait Connectors {
    /// The connector serving `schema`, if one is loaded.
    fn connector(&self, schema: &str) -> Option<&ConnectorInfo>;
}

impl Connectors for Snapshot {
    fn connector(&self, schema: &str) -> Option<&ConnectorInfo> {
        self.serving(schema).map(|c| c.info())
    }
}

impl Connectors for [ConnectorInfo] {
    fn connector(&self, schema: &str) -> Option<&ConnectorInfo> {
        self.iter().find(|c| c.name == schema)
    }
}

impl Policy {
    /// Every loaded table, every column in the clear, every row: for the
    /// platform's own calls and tests; never for a consumer.
    pub fn unrestricted(snapshot: &Snapshot) -> Self {
        let schemas = snapshot
            .connectors
            .iter()
            .chain(&snapshot.pinned)
            .filter(|(name, _)| name.as_str() != CATALOG_SCHEMA)
            .map(|(name, connector)| {
                let tables = connector
                    .info()
                    .tables
                    .iter()
                    .map(|t| {
                        let columns = t
                            .columns
                            .iter()
                            .map(|c| ColumnAccess {
                                name: c.name.clone(),
                                masked: false,
                            })
                            .collect();
                        let access = TableAccess {
                            columns,
                            row_filter: None,
                        };
                        (t.name.clone(), access)
                    })
                    .collect();
                (name.clone(), SchemaAccess { tables })
            })
            .collect();
        Self { schemas }
    }

    /// What may be seen of `schema.table`, if anything.
    pub fn table(&self, schema: &str, table: &str) -> Option<&TableAccess> {
        self.schemas.get(schema)?.tables.get(table)
    }
}

/// What the grants so far give on one table.
#[derive(Default)]
struct Granted {
    /// By column index: whether some grant gives it in the clear.
    columns: BTreeMap<usize, bool>,
    /// What each grant gives, with its row filter, to combine them safely
    /// when their row filters differ.
    each: Vec<(Option<String>, BTreeMap<usize, bool>)>,
    /// Row filters of the grants covering the table, in order, without repeats.
    filters: Vec<String>,
    /// Some grant covering the table has no row filter.
    unfiltered: bool,
}

/// Turns a caller's current grants into what it may see, against the tables
/// and columns loaded now. Names a grant holds that no longer exist (a table
/// or column removed since approval) are ignored; a grant that gives no
/// existing column gives nothing, not even its lack of a row filter.
pub fn resolve<C: Connectors + ?Sized>(grants: &[GrantView<'_>], connectors: &C) -> Policy {
    let mut granted: BTreeMap<(&str, &str), Granted> = BTreeMap::new();
    for grant in grants {
        // The shared catalogs are everyone's; no grant changes them.
        if grant.schema == CATALOG_SCHEMA {
            continue;
        }
        let Some(connector) = connectors.connector(grant.schema) else {
            continue;
        };
        let tables: Vec<&TableInfo> = match grant.table {
            Some(name) => connector.table(name).into_iter().collect(),
            None => connector.tables.iter().collect(),
        };
        for table in tables {
            let columns = granted_columns(grant, table);
            if columns.is_empty() {
                continue;
            }
            let entry = granted
                .entry((grant.schema, table.name.as_str()))
                .or_default();
            entry.each.push((
                grant.row_filter.map(str::to_owned),
                columns.iter().copied().collect(),
            ));
            for (index, clear) in columns {
                *entry.columns.entry(index).or_insert(false) |= clear;
            }
            match grant.row_filter {
                None => entry.unfiltered = true,
                Some(f) => {
                    if !entry.filters.iter().any(|g| g == f) {
                        entry.filters.push(f.to_owned());
                    }
                }
            }
        }
    }
    let mut policy = Policy::default();
    for ((schema, table_name), g) in granted {
        let Some(table) = connectors
            .connector(schema)
            .and_then(|c| c.table(table_name))
        else {
            continue;
        };
        let columns = combined_columns(&g)
            .into_iter()
            .filter_map(|(i, clear)| {
                let c = table.columns.get(i)?;
                Some(ColumnAccess {
                    name: c.name.clone(),
                    masked: c.personal_data == PersonalData::Identifier && !clear,
                })
            })
            .collect();
        let row_filter = if g.unfiltered {
            None
        } else {
            combine_filters(&g.filters)
        };
        policy
            .schemas
            .entry(schema.to_owned())
            .or_default()
            .tables
            .insert(
                table_name.to_owned(),
                TableAccess {
                    columns,
                    row_filter,
                },
            );
    }
    policy
}

/// The columns the grants on one table give together. Grants with the same
/// row filter add up: they cover the same rows. Grants whose row filters
/// differ must not: the union would show one grant's columns (or its clear
/// identifiers) on the rows only another grant allows. Until visibility is
/// tracked per column and row, such grants give only what every one of them
/// gives (a column clear only if every one clears it) — never more than the
/// provider approved, possibly less.
fn combined_columns(g: &Granted) -> BTreeMap<usize, bool> {
    let mut filters = g.each.iter().map(|(f, _)| f);
    let first = filters.next();
    if filters.all(|f| Some(f) == first) {
        return g.columns.clone();
    }
    g.columns
        .keys()
        .filter_map(|i| {
            let mut clear = true;
            for (_, cols) in &g.each {
                clear &= *cols.get(i)?;
            }
            Some((*i, clear))
        })
        .collect()
}

/// The columns one grant gives on one table: `(index, in the clear)`.
fn granted_columns(grant: &GrantView<'_>, table: &TableInfo) -> Vec<(usize, bool)> {
    table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            if grant.columns.is_empty() {
                c.personal_data != PersonalData::Sensitive
            } else {
                grant.columns.contains(&c.name)
            }
        })
        .map(|(i, c)| {
            let clear = c.personal_data != PersonalData::Identifier
                || grant.clear_columns.contains(&c.name);
            (i, clear)
        })
        .collect()
}

/// `(f1) OR (f2) ...`; a single filter as written. A filter that is not a
/// whole expression on its own is returned alone, so the table it guards
/// fails to open instead of the filters running into each other.
fn combine_filters(filters: &[String]) -> Option<String> {
    if let Some(broken) = filters.iter().find(|f| !row_filter::parses_alone(f)) {
        return Some(broken.clone());
    }
    match filters {
        [] => None,
        [one] => Some(one.clone()),
        // The newline ends a trailing `--` comment inside a filter.
        many => Some(
            many.iter()
                .map(|f| format!("({f}\n)"))
                .collect::<Vec<_>>()
                .join(" OR "),
        ),
    }
}
