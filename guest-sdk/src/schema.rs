//! Builders for what a connector describes: the connector, its tables and columns.

use crate::bindings::lgsp::connector::types as wit;
use crate::filter::FilterOp;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use std::sync::Arc;

/// The type of a column; each maps to one Arrow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Arrow `Boolean`.
    Boolean,
    /// Arrow `Int32`.
    Int32,
    /// Arrow `Int64`.
    Int64,
    /// Arrow `Float64`.
    Float64,
    /// Arrow `Utf8`.
    Text,
    /// Arrow `Date32`.
    Date,
    /// Arrow `Timestamp(Microsecond, "UTC")`.
    Timestamp,
    /// Arrow `Decimal128(precision, scale)`.
    Decimal {
        /// Total digits, 1..=38.
        precision: u8,
        /// Digits after the point.
        scale: i8,
    },
    /// Arrow `Binary`.
    Binary,
}

impl ColumnType {
    /// The Arrow type this column has in every batch.
    pub fn arrow_type(self) -> DataType {
        match self {
            Self::Boolean => DataType::Boolean,
            Self::Int32 => DataType::Int32,
            Self::Int64 => DataType::Int64,
            Self::Float64 => DataType::Float64,
            Self::Text => DataType::Utf8,
            Self::Date => DataType::Date32,
            Self::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Self::Decimal { precision, scale } => DataType::Decimal128(precision, scale),
            Self::Binary => DataType::Binary,
        }
    }

    fn into_wit(self) -> wit::DataType {
        match self {
            Self::Boolean => wit::DataType::Boolean,
            Self::Int32 => wit::DataType::Int32,
            Self::Int64 => wit::DataType::Int64,
            Self::Float64 => wit::DataType::Float64,
            Self::Text => wit::DataType::Text,
            Self::Date => wit::DataType::Date,
            Self::Timestamp => wit::DataType::Timestamp,
            Self::Decimal { precision, scale } => {
                wit::DataType::Decimal(wit::DecimalType { precision, scale })
            }
            Self::Binary => wit::DataType::Binary,
        }
    }
}

/// Personal-data class of a column (Law 91/2025/QH15, NĐ 356/2025).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalData {
    /// Not personal data.
    None,
    /// Basic personal data: name, birth date, address...
    Basic,
    /// Basic personal data that identifies a person on its own (ID,
    /// insurance, card, certificate numbers): the platform masks it
    /// (`001******345`) unless a grant names it in the clear.
    Identifier,
    /// Sensitive personal data: ethnicity, religion, health...
    Sensitive,
}

/// One column of a table.
///
/// # Examples
/// ```
/// use lgsp_guest::{Column, PersonalData};
/// let c = Column::text("ho_ten", "Họ và tên").personal(PersonalData::Basic);
/// assert_eq!(c.name(), "ho_ten");
/// ```
#[derive(Debug, Clone)]
pub struct Column {
    name: String,
    column_type: ColumnType,
    nullable: bool,
    description: String,
    personal: PersonalData,
    catalog: Option<String>,
    filter_ops: Vec<FilterOp>,
}

impl Column {
    /// A nullable column with no personal data; refine with the other methods.
    pub fn new(
        name: impl Into<String>,
        column_type: ColumnType,
        description: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            column_type,
            nullable: true,
            description: description.into(),
            personal: PersonalData::None,
            catalog: None,
            filter_ops: Vec::new(),
        }
    }

    /// A text column.
    pub fn text(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Text, description)
    }

    /// A date column.
    pub fn date(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Date, description)
    }

    /// A 64-bit integer column.
    pub fn int64(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Int64, description)
    }

    /// A decimal column (money: precision 18, scale 2 or 0).
    pub fn decimal(
        name: impl Into<String>,
        precision: u8,
        scale: i8,
        description: impl Into<String>,
    ) -> Self {
        Self::new(name, ColumnType::Decimal { precision, scale }, description)
    }

    /// Marks the column as never null; a batch with a null in it is rejected.
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// Sets the personal-data class.
    pub fn personal(mut self, class: PersonalData) -> Self {
        self.personal = class;
        self
    }

    /// Says the column holds codes of this shared catalog (e.g. `dvhc_xa`).
    pub fn catalog(mut self, catalog: impl Into<String>) -> Self {
        self.catalog = Some(catalog.into());
        self
    }

    /// Declares operators the connector applies exactly on this column.
    pub fn filterable(mut self, ops: &[FilterOp]) -> Self {
        self.filter_ops.extend_from_slice(ops);
        self
    }

    /// The column name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column type.
    pub fn column_type(&self) -> ColumnType {
        self.column_type
    }

    /// Whether nulls are allowed.
    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    pub(crate) fn arrow_field(&self) -> Field {
        Field::new(&self.name, self.column_type.arrow_type(), self.nullable)
    }

    fn into_wit(self) -> wit::Column {
        wit::Column {
            name: self.name,
            data_type: self.column_type.into_wit(),
            nullable: self.nullable,
            description: self.description,
            personal_data: match self.personal {
                PersonalData::None => wit::PersonalData::None,
                PersonalData::Basic => wit::PersonalData::Basic,
                PersonalData::Identifier => wit::PersonalData::Identifier,
                PersonalData::Sensitive => wit::PersonalData::Sensitive,
            },
            catalog: self.catalog,
            filter_ops: self
                .filter_ops
                .into_iter()
                .map(FilterOp::into_wit)
                .collect(),
        }
    }
}

/// A table a connector serves.
///
/// # Examples
/// ```
/// use lgsp_guest::{Column, FilterOp, Table};
/// let t = Table::new("cong_dan", "Công dân")
///     .column(Column::text("so_dinh_danh", "Số định danh cá nhân").not_null())
///     .access_path(&[("so_dinh_danh", &[FilterOp::Eq, FilterOp::InList])]);
/// assert_eq!(t.columns().len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    name: String,
    description: String,
    columns: Vec<Column>,
    access_paths: Vec<Vec<(String, Vec<FilterOp>)>>,
}

impl Table {
    /// An empty table; add columns and access paths.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            columns: Vec::new(),
            access_paths: Vec::new(),
        }
    }

    /// Adds a column.
    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    /// Adds a way to ask the upstream: every listed key column needs a filter
    /// with one of its operators. Without any access path the table can be
    /// listed unfiltered.
    pub fn access_path(mut self, key_columns: &[(&str, &[FilterOp])]) -> Self {
        self.access_paths.push(
            key_columns
                .iter()
                .map(|(name, ops)| ((*name).to_owned(), ops.to_vec()))
                .collect(),
        );
        self
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The columns, in declaration order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column called `name`.
    pub fn find_column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The first access path `filters` satisfy, as the host chooses it.
    pub(crate) fn first_satisfied_path(&self, filters: &[crate::Filter]) -> Option<usize> {
        self.access_paths.iter().position(|path| {
            path.iter().all(|(column, ops)| {
                filters
                    .iter()
                    .any(|f| &f.column == column && ops.contains(&f.op))
            })
        })
    }

    /// The Arrow schema of the given columns, in that order.
    pub(crate) fn arrow_schema(&self, columns: &[&Column]) -> Arc<Schema> {
        Arc::new(Schema::new(
            columns.iter().map(|c| c.arrow_field()).collect::<Vec<_>>(),
        ))
    }

    fn into_wit(self) -> wit::Table {
        wit::Table {
            name: self.name,
            description: self.description,
            columns: self.columns.into_iter().map(Column::into_wit).collect(),
            access_paths: self
                .access_paths
                .into_iter()
                .map(|path| wit::AccessPath {
                    key_columns: path
                        .into_iter()
                        .map(|(name, ops)| wit::KeyColumn {
                            name,
                            operators: ops.into_iter().map(FilterOp::into_wit).collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// What a connector says about itself.
#[derive(Debug, Clone)]
pub struct Description {
    name: String,
    version: String,
    description: String,
    tables: Vec<Table>,
}

impl Description {
    /// A connector called `name` (becomes the SQL schema) at `version`
    /// (use `env!("CARGO_PKG_VERSION")`).
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            description: description.into(),
            tables: Vec::new(),
        }
    }

    /// Adds a table.
    pub fn table(mut self, table: Table) -> Self {
        self.tables.push(table);
        self
    }

    /// The table called `name`.
    pub fn find_table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub(crate) fn into_wit(self) -> wit::ConnectorInfo {
        wit::ConnectorInfo {
            name: self.name,
            version: self.version,
            description: self.description,
            tables: self.tables.into_iter().map(Table::into_wit).collect(),
        }
    }
}
