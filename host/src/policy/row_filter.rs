//! Row filters: SQL boolean expressions over one table's own columns, written
//! by the provider when approving a grant and applied to every scan of that
//! table by a caller the grant covers.

use crate::runtime::TableInfo;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::DFSchema;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{Expr, ExprSchemable};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::sql::parser::DFParser;
use std::sync::Arc;

/// Longest row filter accepted, in bytes.
pub const MAX_ROW_FILTER_BYTES: usize = 2048;

/// Checks a row filter before a grant carrying it is approved: a boolean SQL
/// expression over `table`'s own columns (any class, masked or not), with no
/// subquery, aggregate or window function, at most [`MAX_ROW_FILTER_BYTES`].
///
/// # Errors
/// A message for the person approving the grant, saying what is wrong.
pub fn validate_row_filter(sql: &str, table: &TableInfo) -> Result<(), String> {
    if sql.len() > MAX_ROW_FILTER_BYTES {
        return Err(format!(
            "the row filter is {} bytes long; the limit is {MAX_ROW_FILTER_BYTES}",
            sql.len()
        ));
    }
    let state = SessionStateBuilder::new().with_default_features().build();
    parse(&state, sql, &table.schema).map(|_| ())
}

/// Parses and checks a row filter against a table's full schema, with the
/// functions of `state`; the result has its types coerced, ready to plan.
/// No length limit here: several grants' filters OR-ed may exceed one's.
pub(crate) fn parse(state: &SessionState, sql: &str, schema: &Schema) -> Result<Expr, String> {
    if sql.trim().is_empty() {
        return Err("the row filter is empty".into());
    }
    let df_schema = DFSchema::try_from(schema.clone())
        .map_err(|e| format!("the table's schema is unusable: {}", e.strip_backtrace()))?;
    let expr = state
        .create_logical_expr(sql, &df_schema)
        .map_err(|e| {
            format!(
                "the row filter is not an SQL expression over the table's columns: {}",
                e.strip_backtrace()
            )
        })?
        .unalias();
    check_shape(&expr)?;
    if expr.is_volatile() {
        return Err(
            "the row filter calls a function whose result changes from call to call (random, now...); a row filter must give the same answer for the same row".into(),
        );
    }
    let context = SimplifyContext::builder()
        .with_schema(Arc::new(df_schema.clone()))
        .build();
    let expr = ExprSimplifier::new(context)
        .coerce(expr, &df_schema)
        .map_err(|e| {
            format!(
                "the row filter's types do not match: {}",
                e.strip_backtrace()
            )
        })?;
    match expr.get_type(&df_schema) {
        Ok(DataType::Boolean) => Ok(expr),
        Ok(other) => Err(format!(
            "the row filter must be a condition (true or false for each row), but it gives {other}"
        )),
        Err(e) => Err(format!(
            "the row filter is not typed: {}",
            e.strip_backtrace()
        )),
    }
}

/// Allows only row-level expression forms: anything that reads other rows,
/// other tables or the query's parameters is refused by name.
fn check_shape(expr: &Expr) -> Result<(), String> {
    let mut problem = None;
    expr.apply(|e| {
        let refused = match e {
            // An alias only renames (SQL planning wraps some calls in one).
            Expr::Alias(_)
            | Expr::Column(_)
            | Expr::Literal(..)
            | Expr::BinaryExpr(_)
            | Expr::Like(_)
            | Expr::SimilarTo(_)
            | Expr::Not(_)
            | Expr::IsNotNull(_)
            | Expr::IsNull(_)
            | Expr::IsTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsUnknown(_)
            | Expr::IsNotTrue(_)
            | Expr::IsNotFalse(_)
            | Expr::IsNotUnknown(_)
            | Expr::Negative(_)
            | Expr::Between(_)
            | Expr::Case(_)
            | Expr::Cast(_)
            | Expr::TryCast(_)
            | Expr::ScalarFunction(_)
            | Expr::InList(_) => None,
            Expr::AggregateFunction(_) => Some("an aggregate function"),
            Expr::WindowFunction(_) => Some("a window function"),
            Expr::Exists(_)
            | Expr::InSubquery(_)
            | Expr::SetComparison(_)
            | Expr::ScalarSubquery(_)
            | Expr::OuterReferenceColumn(..) => Some("a subquery"),
            Expr::Placeholder(_) => Some("a parameter placeholder"),
            Expr::ScalarVariable(..) => Some("a variable"),
            _ => Some("an expression form row filters do not allow"),
        };
        if let Some(what) = refused {
            problem = Some(what);
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map_err(|e| e.strip_backtrace())?;
    match problem {
        None => Ok(()),
        Some(what) => Err(format!(
            "the row filter uses {what}; it may only compare this table's columns with values and call row-level functions"
        )),
    }
}

/// Whether `sql` is one complete SQL expression on its own (syntax only).
/// Filters are combined as text (`(f1\n) OR (f2\n)`), which keeps each one
/// whole only if each parses alone: `a = 1) OR (TRUE` does not, and must not
/// be combined into something that does.
pub(crate) fn parses_alone(sql: &str) -> bool {
    sql.len() <= MAX_ROW_FILTER_BYTES
        && !sql.trim().is_empty()
        && DFParser::parse_sql_into_expr(sql).is_ok()
}
