//! Building record batches row by row from upstream records, and encoding them as
//! Arrow IPC for the host.

use crate::date::Date;
use crate::error::{Error, Result};
use crate::schema::{Column, ColumnType};
use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder,
    Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::Schema;
use std::sync::Arc;

/// One cell value handed to [`Row::set`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// Boolean.
    Bool(bool),
    /// 64-bit integer (fits Int32 columns when in range).
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Text(&'a str),
    /// Date.
    Date(Date),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// Decimal as an unscaled integer at the column's scale (`1250.50` at
    /// scale 2 is `125050`).
    Decimal(i128),
    /// Bytes.
    Binary(&'a [u8]),
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(v: &'a str) -> Self {
        Cell::Text(v)
    }
}
impl<'a> From<&'a String> for Cell<'a> {
    fn from(v: &'a String) -> Self {
        Cell::Text(v)
    }
}
impl From<bool> for Cell<'_> {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}
impl From<i32> for Cell<'_> {
    fn from(v: i32) -> Self {
        Cell::Int(i64::from(v))
    }
}
impl From<i64> for Cell<'_> {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}
impl From<f64> for Cell<'_> {
    fn from(v: f64) -> Self {
        Cell::Float(v)
    }
}
impl From<Date> for Cell<'_> {
    fn from(v: Date) -> Self {
        Cell::Date(v)
    }
}
impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}

enum ColumnBuilder {
    Boolean(BooleanBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Text(StringBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Decimal(Decimal128Builder),
    Binary(BinaryBuilder),
}

impl ColumnBuilder {
    fn new(t: ColumnType, capacity: usize) -> Self {
        match t {
            ColumnType::Boolean => Self::Boolean(BooleanBuilder::with_capacity(capacity)),
            ColumnType::Int32 => Self::Int32(Int32Builder::with_capacity(capacity)),
            ColumnType::Int64 => Self::Int64(Int64Builder::with_capacity(capacity)),
            ColumnType::Float64 => Self::Float64(Float64Builder::with_capacity(capacity)),
            ColumnType::Text => Self::Text(StringBuilder::with_capacity(capacity, capacity * 16)),
            ColumnType::Date => Self::Date(Date32Builder::with_capacity(capacity)),
            ColumnType::Timestamp => Self::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"),
            ),
            ColumnType::Decimal { precision, scale } => Self::Decimal(
                Decimal128Builder::with_capacity(capacity)
                    .with_precision_and_scale(precision, scale)
                    .unwrap_or_else(|_| Decimal128Builder::with_capacity(capacity)),
            ),
            ColumnType::Binary => {
                Self::Binary(BinaryBuilder::with_capacity(capacity, capacity * 16))
            }
        }
    }

    fn append_null(&mut self) {
        match self {
            Self::Boolean(b) => b.append_null(),
            Self::Int32(b) => b.append_null(),
            Self::Int64(b) => b.append_null(),
            Self::Float64(b) => b.append_null(),
            Self::Text(b) => b.append_null(),
            Self::Date(b) => b.append_null(),
            Self::Timestamp(b) => b.append_null(),
            Self::Decimal(b) => b.append_null(),
            Self::Binary(b) => b.append_null(),
        }
    }

    /// Appends `cell`; on a type mismatch appends nothing and says what it got.
    fn append(&mut self, cell: Cell<'_>) -> Result<(), &'static str> {
        match (self, cell) {
            (b, Cell::Null) => b.append_null(),
            (Self::Boolean(b), Cell::Bool(v)) => b.append_value(v),
            (Self::Int32(b), Cell::Int(v)) => {
                b.append_value(i32::try_from(v).map_err(|_| "an integer out of Int32 range")?)
            }
            (Self::Int64(b), Cell::Int(v)) => b.append_value(v),
            (Self::Float64(b), Cell::Float(v)) => b.append_value(v),
            (Self::Float64(b), Cell::Int(v)) => b.append_value(v as f64),
            (Self::Text(b), Cell::Text(v)) => b.append_value(v),
            (Self::Date(b), Cell::Date(v)) => b.append_value(v.days_since_epoch()),
            (Self::Timestamp(b), Cell::Timestamp(v)) => b.append_value(v),
            (Self::Decimal(b), Cell::Decimal(v)) => b.append_value(v),
            (Self::Decimal(b), Cell::Int(v)) => b.append_value(i128::from(v)),
            (Self::Binary(b), Cell::Binary(v)) => b.append_value(v),
            (_, other) => return Err(cell_kind(&other)),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Boolean(b) => ArrayBuilder::finish(b),
            Self::Int32(b) => ArrayBuilder::finish(b),
            Self::Int64(b) => ArrayBuilder::finish(b),
            Self::Float64(b) => ArrayBuilder::finish(b),
            Self::Text(b) => ArrayBuilder::finish(b),
            Self::Date(b) => ArrayBuilder::finish(b),
            Self::Timestamp(b) => ArrayBuilder::finish(b),
            Self::Decimal(b) => ArrayBuilder::finish(b),
            Self::Binary(b) => ArrayBuilder::finish(b),
        }
    }
}

fn cell_kind(cell: &Cell<'_>) -> &'static str {
    match cell {
        Cell::Null => "null",
        Cell::Bool(_) => "a boolean",
        Cell::Int(_) => "an integer",
        Cell::Float(_) => "a float",
        Cell::Text(_) => "text",
        Cell::Date(_) => "a date",
        Cell::Timestamp(_) => "a timestamp",
        Cell::Decimal(_) => "a decimal",
        Cell::Binary(_) => "bytes",
    }
}

/// Builds one record batch with exactly the requested columns.
///
/// Setting a column the query did not ask for is a cheap no-op, so mapping code
/// can set every column and let projection decide. A column left unset in a row
/// is null; a type mismatch or a null in a non-nullable column fails the batch.
///
/// # Examples
/// ```
/// use lgsp_guest::{Column, Table, testing};
/// let table = Table::new("t", "")
///     .column(Column::text("a", "").not_null())
///     .column(Column::int64("b", ""));
/// let request = testing::scan_request(&table, &["a"]);
/// let mut batch = request.batch_builder(2);
/// batch.row(|r| {
///     r.set("a", "x");
///     r.set("b", 1i64); // not requested: ignored
/// });
/// let batch = batch.finish().unwrap();
/// assert_eq!(batch.num_columns(), 1);
/// assert_eq!(batch.num_rows(), 1);
/// ```
pub struct BatchBuilder {
    schema: Arc<Schema>,
    names: Vec<String>,
    nullable: Vec<bool>,
    builders: Vec<ColumnBuilder>,
    set_in_row: Vec<bool>,
    cursor: usize,
    rows: usize,
    error: Option<Error>,
}

impl BatchBuilder {
    pub(crate) fn new(schema: Arc<Schema>, columns: &[&Column], capacity: usize) -> Self {
        Self {
            schema,
            names: columns.iter().map(|c| c.name().to_owned()).collect(),
            nullable: columns.iter().map(|c| c.is_nullable()).collect(),
            builders: columns
                .iter()
                .map(|c| ColumnBuilder::new(c.column_type(), capacity))
                .collect(),
            set_in_row: vec![false; columns.len()],
            cursor: 0,
            rows: 0,
            error: None,
        }
    }

    /// Appends one row; `fill` sets its cells.
    pub fn row(&mut self, fill: impl FnOnce(&mut Row<'_>)) {
        self.set_in_row.fill(false);
        fill(&mut Row { builder: self });
        for i in 0..self.builders.len() {
            if !self.set_in_row[i] {
                if !self.nullable[i] && self.error.is_none() {
                    self.error = Some(Error::internal(format!(
                        "column {} is not nullable but row {} has no value",
                        self.names[i], self.rows
                    )));
                }
                self.builders[i].append_null();
            }
        }
        self.rows += 1;
    }

    /// Rows appended so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was appended.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The finished batch.
    ///
    /// # Errors
    /// `internal` when a cell had the wrong type or a required value was missing.
    pub fn finish(mut self) -> Result<RecordBatch> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        // An explicit row count keeps `COUNT(*)`, which asks for no columns,
        // working.
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        RecordBatch::try_new_with_options(self.schema, arrays, &options)
            .map_err(|e| Error::internal(format!("building batch: {e}")))
    }

    fn position(&mut self, name: &str) -> Option<usize> {
        // Mapping code sets columns in a stable order, so the next column is
        // usually the one after the last: check it before searching.
        if self.names.get(self.cursor).is_some_and(|n| n == name) {
            let i = self.cursor;
            self.cursor = (i + 1) % self.names.len().max(1);
            return Some(i);
        }
        let i = self.names.iter().position(|n| n == name)?;
        self.cursor = (i + 1) % self.names.len();
        Some(i)
    }
}

/// The row being filled by [`BatchBuilder::row`].
pub struct Row<'a> {
    builder: &'a mut BatchBuilder,
}

impl Row<'_> {
    /// Sets `column` to `value`; ignored when the query did not ask for it.
    pub fn set<'v>(&mut self, column: &str, value: impl Into<Cell<'v>>) {
        let b = &mut *self.builder;
        let Some(i) = b.position(column) else {
            return;
        };
        if b.set_in_row[i] {
            if b.error.is_none() {
                b.error = Some(Error::internal(format!(
                    "column {column} set twice in one row"
                )));
            }
            return;
        }
        let cell = value.into();
        match b.builders[i].append(cell) {
            Ok(()) => {
                b.set_in_row[i] = true;
                if cell == Cell::Null && !b.nullable[i] && b.error.is_none() {
                    b.error = Some(Error::internal(format!("column {column} is not nullable")));
                }
            }
            Err(got) => {
                if b.error.is_none() {
                    b.error = Some(Error::internal(format!(
                        "column {column} is {:?} but the connector gave {got}",
                        b.schema.field(i).data_type()
                    )));
                }
            }
        }
    }
}

/// Encodes a batch as an Arrow IPC stream (schema + batch + end marker).
pub(crate) fn encode_ipc(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(batch.get_array_memory_size() + 1024);
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batch.schema())
        .map_err(|e| Error::internal(format!("encoding batch: {e}")))?;
    writer
        .write(batch)
        .and_then(|()| writer.finish())
        .map_err(|e| Error::internal(format!("encoding batch: {e}")))?;
    drop(writer);
    Ok(out)
}
