//! Filters the host pushes into a scan, and the values they carry.

use crate::bindings::lgsp::connector::types as wit;
use crate::date::Date;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `IN (...)`
    InList,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `LIKE`
    Like,
    /// `IS NULL`
    IsNull,
    /// `IS NOT NULL`
    IsNotNull,
}

impl FilterOp {
    pub(crate) fn into_wit(self) -> wit::FilterOp {
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
}

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Boolean(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(String),
    /// A date.
    Date(Date),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// A decimal in plain notation.
    Decimal(String),
    /// Bytes.
    Binary(Vec<u8>),
}

impl Value {
    /// The text, if this is a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn from_wit(v: wit::Value) -> Self {
        match v {
            wit::Value::Null => Self::Null,
            wit::Value::Boolean(b) => Self::Boolean(b),
            wit::Value::Int(i) => Self::Int(i),
            wit::Value::Float(f) => Self::Float(f),
            wit::Value::Text(s) => Self::Text(s),
            wit::Value::Date(d) => Self::Date(Date::from_days_since_epoch(d)),
            wit::Value::Timestamp(t) => Self::Timestamp(t),
            wit::Value::Decimal(s) => Self::Decimal(s),
            wit::Value::Binary(b) => Self::Binary(b),
        }
    }
}

/// One conjunct of the query's `WHERE` clause on this table.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The column filtered.
    pub column: String,
    /// The comparison.
    pub op: FilterOp,
    /// One value, several for `InList`, none for the null tests.
    pub values: Vec<Value>,
}

impl Filter {
    pub(crate) fn from_wit(f: wit::Filter) -> Self {
        Self {
            column: f.column,
            op: FilterOp::from_wit(f.op),
            values: f.values.into_iter().map(Value::from_wit).collect(),
        }
    }
}
