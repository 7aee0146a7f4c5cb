//! What a connector describes (tables, columns, key columns), checked and turned
//! into host types with Arrow schemas. A connector is untrusted: every rule here
//! is enforced before any of its tables become visible.

use super::bindings::lgsp::connector::types as wit;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;

/// A comparison operator in filters and key columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FilterOp {
    /// `=`
    #[serde(rename = "=")]
    Eq,
    /// `<>`
    #[serde(rename = "<>")]
    NotEq,
    /// `IN`
    #[serde(rename = "IN")]
    InList,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    LtEq,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    GtEq,
    /// `LIKE`
    #[serde(rename = "LIKE")]
    Like,
    /// `IS NULL`
    #[serde(rename = "IS NULL")]
    IsNull,
    /// `IS NOT NULL`
    #[serde(rename = "IS NOT NULL")]
    IsNotNull,
}

impl FilterOp {
    /// SQL spelling, for messages.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::NotEq => "<>",
            Self::InList => "IN",
            Self::Lt => "<",
            Self::LtEq => "<=",
            Self::Gt => ">",
            Self::GtEq => ">=",
            Self::Like => "LIKE",
            Self::IsNull => "IS NULL",
            Self::IsNotNull => "IS NOT NULL",
        }
    }

    pub(crate) fn from_wit(op: wit::FilterOp) -> Self {
        match op {
            wit::FilterOp::Eq => Self::Eq,
            wit::FilterOp::NotEq => Self::NotEq,
            wit::FilterOp::InList => Self::InList,
            wit::FilterOp::Lt => Self::Lt,
            wit::FilterOp::LtEq => Self::LtEq,
            wit::FilterOp::Gt => Self::Gt,
            wit::FilterOp::GtEq => Self::GtEq,
            wit::FilterOp::Like => Self::Like,
            wit::FilterOp::IsNull => Self::IsNull,
            wit::FilterOp::IsNotNull => Self::IsNotNull,
        }
    }

    pub(crate) fn to_wit(self) -> wit::FilterOp {
        match self {
            Self::Eq => wit::FilterOp::Eq,
            Self::NotEq => wit::FilterOp::NotEq,
            Self::InList => wit::FilterOp::InList,
            Self::Lt => wit::FilterOp::Lt,
            Self::LtEq => wit::FilterOp::LtEq,
            Self::Gt => wit::FilterOp::Gt,
            Self::GtEq => wit::FilterOp::GtEq,
            Self::Like => wit::FilterOp::Like,
            Self::IsNull => wit::FilterOp::IsNull,
            Self::IsNotNull => wit::FilterOp::IsNotNull,
        }
    }
}

/// Personal-data class of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalData {
    /// Not personal data.
    None,
    /// Basic personal data.
    Basic,
    /// Basic personal data that identifies a person on its own (ID numbers):
    /// masked unless granted in the clear.
    Identifier,
    /// Sensitive personal data: served only to grants that name the column.
    Sensitive,
}

/// One column of a connector table.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    /// Name.
    pub name: String,
    /// Arrow type.
    pub data_type: DataType,
    /// Whether nulls may appear.
    pub nullable: bool,
    /// Description.
    pub description: String,
    /// Personal-data class.
    pub personal_data: PersonalData,
    /// Shared catalog the codes come from.
    pub catalog: Option<String>,
    /// Operators the connector applies exactly.
    pub filter_ops: Vec<FilterOp>,
}

/// A key column of an access path.
#[derive(Debug, Clone, Serialize)]
pub struct KeyColumn {
    /// Column name.
    pub column: String,
    /// Operators the upstream accepts on it.
    pub operators: Vec<FilterOp>,
}

/// One table of a connector.
#[derive(Debug, Clone)]
pub struct TableInfo {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Columns in order.
    pub columns: Vec<ColumnInfo>,
    /// Ways to ask the upstream; empty means listable without filters.
    pub access_paths: Vec<Vec<KeyColumn>>,
    /// The table's full Arrow schema.
    pub schema: SchemaRef,
}

impl TableInfo {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether some scan could have `op` on `column` applied exactly by the
    /// connector: declared in `filter-ops`, or an operator of a key column.
    pub fn is_exact_capable(&self, column: &str, op: FilterOp) -> bool {
        self.is_declared_exact(column, op)
            || (0..self.access_paths.len()).any(|p| self.path_guarantees(p, column, op))
    }

    /// Whether the connector applies `op` on `column` exactly in every scan
    /// (declared in `filter-ops`).
    pub fn is_declared_exact(&self, column: &str, op: FilterOp) -> bool {
        self.column(column)
            .is_some_and(|c| c.filter_ops.contains(&op))
    }

    /// Whether a scan on access path `path` applies `op` on `column` exactly.
    pub fn path_guarantees(&self, path: usize, column: &str, op: FilterOp) -> bool {
        self.access_paths.get(path).is_some_and(|keys| {
            keys.iter()
                .any(|k| k.column == column && k.operators.contains(&op))
        })
    }

    /// "so_dinh_danh (=, IN) or ma_xa (=)", for messages.
    pub fn describe_access_paths(&self) -> String {
        self.access_paths
            .iter()
            .map(|path| {
                path.iter()
                    .map(|k| {
                        let ops: Vec<&str> = k.operators.iter().map(|o| o.sql()).collect();
                        format!("{} ({})", k.column, ops.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// A connector's validated description.
#[derive(Debug, Clone)]
pub struct ConnectorInfo {
    /// Name (the SQL schema).
    pub name: String,
    /// Semantic version.
    pub version: String,
    /// Description.
    pub description: String,
    /// Tables.
    pub tables: Vec<TableInfo>,
}

impl ConnectorInfo {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables.iter().find(|t| t.name == name)
    }
}

const MAX_TABLES: usize = 256;
const MAX_COLUMNS: usize = 512;
const MAX_TEXT: usize = 4096;

/// Checks a description and converts it. Returns every problem found.
pub(crate) fn validate(info: wit::ConnectorInfo) -> Result<ConnectorInfo, Vec<String>> {
    let mut problems = Vec::new();
    check_identifier(&mut problems, "connector name", &info.name);
    if !is_semver(&info.version) {
        problems.push(format!(
            "version {:?} is not a semantic version (x.y.z)",
            info.version
        ));
    }
    if info.tables.is_empty() {
        problems.push("describes no tables".into());
    }
    if info.tables.len() > MAX_TABLES {
        problems.push(format!(
            "describes {} tables; the limit is {MAX_TABLES}",
            info.tables.len()
        ));
    }
    check_text(&mut problems, "connector description", &info.description);
    let mut names = HashSet::new();
    let mut tables = Vec::new();
    for table in info.tables.into_iter().take(MAX_TABLES) {
        if !names.insert(table.name.clone()) {
            problems.push(format!("table {} is described twice", table.name));
        }
        if let Some(t) = validate_table(&mut problems, table) {
            tables.push(t);
        }
    }
    if problems.is_empty() {
        Ok(ConnectorInfo {
            name: info.name,
            version: info.version,
            description: info.description,
            tables,
        })
    } else {
        Err(problems)
    }
}

fn validate_table(problems: &mut Vec<String>, table: wit::Table) -> Option<TableInfo> {
    let before = problems.len();
    let t = table.name.clone();
    check_identifier(problems, &format!("table name {t:?}"), &t);
    check_text(
        problems,
        &format!("description of table {t}"),
        &table.description,
    );
    if table.columns.is_empty() {
        problems.push(format!("table {t} has no columns"));
    }
    if table.columns.len() > MAX_COLUMNS {
        problems.push(format!(
            "table {t} has {} columns; the limit is {MAX_COLUMNS}",
            table.columns.len()
        ));
    }
    let mut seen = HashSet::new();
    let mut columns = Vec::new();
    for c in table.columns.into_iter().take(MAX_COLUMNS) {
        check_identifier(problems, &format!("column name {t}.{:?}", c.name), &c.name);
        check_text(
            problems,
            &format!("description of {t}.{}", c.name),
            &c.description,
        );
        if !seen.insert(c.name.clone()) {
            problems.push(format!("column {t}.{} is described twice", c.name));
        }
        let data_type = match arrow_type(&c.data_type) {
            Ok(dt) => dt,
            Err(reason) => {
                problems.push(format!("column {t}.{}: {reason}", c.name));
                DataType::Null
            }
        };
        columns.push(ColumnInfo {
            name: c.name,
            data_type,
            nullable: c.nullable,
            description: c.description,
            personal_data: match c.personal_data {
                wit::PersonalData::None => PersonalData::None,
                wit::PersonalData::Basic => PersonalData::Basic,
                wit::PersonalData::Identifier => PersonalData::Identifier,
                wit::PersonalData::Sensitive => PersonalData::Sensitive,
            },
            catalog: c.catalog,
            filter_ops: c.filter_ops.into_iter().map(FilterOp::from_wit).collect(),
        });
    }
    let mut access_paths = Vec::new();
    for path in table.access_paths {
        if path.key_columns.is_empty() {
            problems.push(format!("table {t} has an access path with no key columns"));
        }
        let mut keys = Vec::new();
        for k in path.key_columns {
            if !seen.contains(&k.name) {
                problems.push(format!("table {t}: key column {} is not a column", k.name));
            }
            if k.operators.is_empty() {
                problems.push(format!(
                    "table {t}: key column {} accepts no operator",
                    k.name
                ));
            }
            keys.push(KeyColumn {
                column: k.name,
                operators: k.operators.into_iter().map(FilterOp::from_wit).collect(),
            });
        }
        access_paths.push(keys);
    }
    if problems.len() > before {
        return None;
    }
    let schema: SchemaRef = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, c.data_type.clone(), c.nullable))
            .collect::<Vec<_>>(),
    ));
    Some(TableInfo {
        name: t,
        description: table.description,
        columns,
        access_paths,
        schema,
    })
}

/// The Arrow type of a WIT column type. The guest SDK uses the same mapping; the
/// host checks every batch against it.
pub(crate) fn arrow_type(t: &wit::DataType) -> Result<DataType, String> {
    Ok(match t {
        wit::DataType::Boolean => DataType::Boolean,
        wit::DataType::Int32 => DataType::Int32,
        wit::DataType::Int64 => DataType::Int64,
        wit::DataType::Float64 => DataType::Float64,
        wit::DataType::Text => DataType::Utf8,
        wit::DataType::Date => DataType::Date32,
        wit::DataType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        wit::DataType::Binary => DataType::Binary,
        wit::DataType::Decimal(d) => {
            if d.precision == 0
                || d.precision > 38
                || i16::from(d.scale).unsigned_abs() > u16::from(d.precision)
            {
                return Err(format!(
                    "decimal({}, {}) is out of range",
                    d.precision, d.scale
                ));
            }
            DataType::Decimal128(d.precision, d.scale)
        }
    })
}

fn check_identifier(problems: &mut Vec<String>, what: &str, s: &str) {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        problems.push(format!(
            "{what} must be lower-case snake_case, 1 to 63 characters"
        ));
    }
}

fn check_text(problems: &mut Vec<String>, what: &str, s: &str) {
    if s.len() > MAX_TEXT {
        problems.push(format!("{what} is longer than {MAX_TEXT} bytes"));
    }
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// SQL spelling of an Arrow type, for the table catalog.
pub fn sql_type(t: &DataType) -> String {
    match t {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Utf8 => "VARCHAR".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Timestamp(_, _) => "TIMESTAMP WITH TIME ZONE".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Binary => "BYTEA".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str) -> wit::Column {
        wit::Column {
            name: name.into(),
            data_type: wit::DataType::Text,
            nullable: true,
            description: String::new(),
            personal_data: wit::PersonalData::None,
            catalog: None,
            filter_ops: vec![],
        }
    }

    fn info(tables: Vec<wit::Table>) -> wit::ConnectorInfo {
        wit::ConnectorInfo {
            name: "dan_cu".into(),
            version: "0.1.0".into(),
            description: String::new(),
            tables,
        }
    }

    #[test]
    fn accepts_a_good_description() {
        let t = wit::Table {
            name: "cong_dan".into(),
            description: String::new(),
            columns: vec![column("so_dinh_danh"), column("ma_xa")],
            access_paths: vec![wit::AccessPath {
                key_columns: vec![wit::KeyColumn {
                    name: "ma_xa".into(),
                    operators: vec![wit::FilterOp::Eq],
                }],
            }],
        };
        let ok = validate(info(vec![t])).expect("valid");
        assert_eq!(ok.tables[0].schema.fields().len(), 2);
        assert!(ok.tables[0].is_exact_capable("ma_xa", FilterOp::Eq));
        assert!(ok.tables[0].path_guarantees(0, "ma_xa", FilterOp::Eq));
        assert!(!ok.tables[0].is_exact_capable("ma_xa", FilterOp::Lt));
        assert!(!ok.tables[0].is_declared_exact("ma_xa", FilterOp::Eq));
        assert_eq!(ok.tables[0].describe_access_paths(), "ma_xa (=)");
    }

    #[test]
    fn reports_every_problem() {
        let t = wit::Table {
            name: "Bad Name".into(),
            description: String::new(),
            columns: vec![column("a"), column("a")],
            access_paths: vec![wit::AccessPath {
                key_columns: vec![wit::KeyColumn {
                    name: "nope".into(),
                    operators: vec![],
                }],
            }],
        };
        let mut i = info(vec![t]);
        i.version = "one".into();
        let problems = validate(i).expect_err("invalid");
        let all = problems.join("\n");
        for needle in [
            "semantic version",
            "snake_case",
            "described twice",
            "nope is not a column",
            "accepts no operator",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in {all}");
        }
    }
}
