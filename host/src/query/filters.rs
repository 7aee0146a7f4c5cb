//! Translating DataFusion filter expressions into connector filters, and
//! checking that a scan satisfies one of the table's access paths.

use crate::runtime::{Filter, FilterOp, FilterValue, TableInfo};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Like, Operator, expr::InList};
use datafusion::scalar::ScalarValue;

/// The connector filters equivalent to `expr`, or `None` when it cannot be
/// expressed (then DataFusion evaluates it after the scan).
pub(crate) fn translate(expr: &Expr, table: &TableInfo) -> Option<Vec<Filter>> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            if *op == Operator::Or {
                return or_of_equalities(expr, table).map(|f| vec![f]);
            }
            comparison(left, *op, right, table).map(|f| vec![f])
        }
        Expr::InList(InList {
            expr,
            list,
            negated: false,
        }) => {
            let column = column_of(expr, table)?;
            let values = list.iter().map(literal_of).collect::<Option<Vec<_>>>()?;
            Some(vec![Filter {
                column,
                op: FilterOp::InList,
                values,
            }])
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            let column = column_of(expr, table)?;
            Some(vec![
                Filter {
                    column: column.clone(),
                    op: FilterOp::GtEq,
                    values: vec![literal_of(low)?],
                },
                Filter {
                    column,
                    op: FilterOp::LtEq,
                    values: vec![literal_of(high)?],
                },
            ])
        }
        Expr::Like(Like {
            negated: false,
            expr,
            pattern,
            escape_char: None,
            case_insensitive: false,
        }) => Some(vec![Filter {
            column: column_of(expr, table)?,
            op: FilterOp::Like,
            values: vec![literal_of(pattern)?],
        }]),
        Expr::IsNull(e) => Some(vec![Filter {
            column: column_of(e, table)?,
            op: FilterOp::IsNull,
            values: vec![],
        }]),
        Expr::IsNotNull(e) => Some(vec![Filter {
            column: column_of(e, table)?,
            op: FilterOp::IsNotNull,
            values: vec![],
        }]),
        _ => None,
    }
}

fn comparison(left: &Expr, op: Operator, right: &Expr, table: &TableInfo) -> Option<Filter> {
    let (column, value, op) = match (column_of(left, table), literal_of(right)) {
        (Some(c), Some(v)) => (c, v, op),
        _ => (column_of(right, table)?, literal_of(left)?, op.swap()?),
    };
    let op = match op {
        Operator::Eq => FilterOp::Eq,
        Operator::NotEq => FilterOp::NotEq,
        Operator::Lt => FilterOp::Lt,
        Operator::LtEq => FilterOp::LtEq,
        Operator::Gt => FilterOp::Gt,
        Operator::GtEq => FilterOp::GtEq,
        _ => return None,
    };
    Some(Filter {
        column,
        op,
        values: vec![value],
    })
}

/// `c = 'a' OR c = 'b' OR c IN ('d')` on one column is `c IN ('a', 'b', 'd')`.
fn or_of_equalities(expr: &Expr, table: &TableInfo) -> Option<Filter> {
    let mut column: Option<String> = None;
    let mut values = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        let leaf = match e {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Or,
                right,
            }) => {
                stack.push(right);
                stack.push(left);
                continue;
            }
            other => translate(other, table)?,
        };
        let [f] = leaf.as_slice() else { return None };
        if !matches!(f.op, FilterOp::Eq | FilterOp::InList) {
            return None;
        }
        match &column {
            None => column = Some(f.column.clone()),
            Some(c) if *c == f.column => {}
            Some(_) => return None,
        }
        values.extend(f.values.iter().cloned());
    }
    Some(Filter {
        column: column?,
        op: FilterOp::InList,
        values,
    })
}

/// The column an expression reads, looking through lossless string casts that
/// type coercion inserts (e.g. `Utf8` to `Utf8View`).
fn column_of(expr: &Expr, table: &TableInfo) -> Option<String> {
    match expr {
        Expr::Column(c) if table.column(&c.name).is_some() => Some(c.name.clone()),
        Expr::Cast(cast) if is_string(cast.field.data_type()) => {
            let name = column_of(&cast.expr, table)?;
            table
                .column(&name)
                .is_some_and(|c| is_string(&c.data_type))
                .then_some(name)
        }
        _ => None,
    }
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn literal_of(expr: &Expr) -> Option<FilterValue> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    filter_value(value)
}

/// A literal as a connector filter value; `None` for NULL and types the
/// contract does not carry.
pub(crate) fn filter_value(value: &ScalarValue) -> Option<FilterValue> {
    Some(match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => FilterValue::Text(s.clone()),
        ScalarValue::Boolean(Some(b)) => FilterValue::Boolean(*b),
        ScalarValue::Int8(Some(v)) => FilterValue::Int(i64::from(*v)),
        ScalarValue::Int16(Some(v)) => FilterValue::Int(i64::from(*v)),
        ScalarValue::Int32(Some(v)) => FilterValue::Int(i64::from(*v)),
        ScalarValue::Int64(Some(v)) => FilterValue::Int(*v),
        ScalarValue::UInt8(Some(v)) => FilterValue::Int(i64::from(*v)),
        ScalarValue::UInt16(Some(v)) => FilterValue::Int(i64::from(*v)),
        ScalarValue::UInt32(Some(v)) => FilterValue::Int(i64::from(*v)),
        ScalarValue::UInt64(Some(v)) => FilterValue::Int(i64::try_from(*v).ok()?),
        ScalarValue::Float32(Some(v)) => FilterValue::Float(f64::from(*v)),
        ScalarValue::Float64(Some(v)) => FilterValue::Float(*v),
        ScalarValue::Date32(Some(d)) => FilterValue::Date(*d),
        ScalarValue::TimestampMicrosecond(Some(t), _) => FilterValue::Timestamp(*t),
        ScalarValue::TimestampMillisecond(Some(t), _) => {
            FilterValue::Timestamp(t.checked_mul(1000)?)
        }
        ScalarValue::TimestampSecond(Some(t), _) => {
            FilterValue::Timestamp(t.checked_mul(1_000_000)?)
        }
        ScalarValue::Decimal128(Some(_), _, _) => FilterValue::Decimal(value.to_string()),
        ScalarValue::Binary(Some(b)) | ScalarValue::LargeBinary(Some(b)) => {
            FilterValue::Binary(b.clone())
        }
        // NULL literals and anything else stay with DataFusion.
        _ => return None,
    })
}

/// Whether every filter from one expression can be applied exactly by the
/// connector in some scan. Such expressions are declared `Exact` to DataFusion;
/// where the chosen access path does not guarantee them, the host applies them
/// itself (see `table.rs`), because DataFusion never asks again about a filter it
/// has absorbed.
pub(crate) fn is_exact_capable(filters: &[Filter], table: &TableInfo) -> bool {
    filters
        .iter()
        .all(|f| table.is_exact_capable(&f.column, f.op))
}

/// The access path a scan uses: the first, in declaration order, whose key
/// columns all have a filter with one of their operators. `Ok(None)` for a
/// table without access paths; `Err(())` when none is satisfied.
pub(crate) fn choose_access_path(
    filters: &[Filter],
    table: &TableInfo,
) -> Result<Option<usize>, ()> {
    if table.access_paths.is_empty() {
        return Ok(None);
    }
    table
        .access_paths
        .iter()
        .position(|path| {
            path.iter().all(|key| {
                filters
                    .iter()
                    .any(|f| f.column == key.column && key.operators.contains(&f.op))
            })
        })
        .map(Some)
        .ok_or(())
}

/// Whether the connector applies `filter` exactly on a scan that uses `path`.
pub(crate) fn is_guaranteed(filter: &Filter, path: Option<usize>, table: &TableInfo) -> bool {
    table.is_declared_exact(&filter.column, filter.op)
        || path.is_some_and(|p| table.path_guarantees(p, &filter.column, filter.op))
}
