//! Lookups driven by a join: when a connector table has no key filter of its
//! own but sits on the probe side of a hash join on one of its key columns,
//! DataFusion's dynamic filter hands it the join's build-side keys as an
//! `IN` list once the build side is complete. The scan then asks its upstream
//! for exactly those keys, a batch at a time, instead of refusing the query
//! or calling the upstream once per row.

use crate::runtime::{
    CallContext, ConnectorError, Filter, FilterOp, FilterValue, LoadedConnector, ScanRequest,
};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{
    BinaryExpr, Column, DynamicFilterPhysicalExpr, InListExpr, Literal,
};
use datafusion::physical_plan::joins::HashTableLookupExpr;
use datafusion::scalar::ScalarValue;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use super::error::MissingKeyFilter;
use super::filters::filter_value;

/// A scan that waits for its keys from a join.
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    /// Access paths with a single key column that takes `=` or `IN`:
    /// `(path index, column)`.
    pub(crate) candidates: Vec<(u32, String)>,
    /// The error to give when no join supplies keys.
    pub(crate) missing: MissingKeyFilter,
    /// Keys per scan call (the manifest's `lookup_batch`).
    pub(crate) batch: usize,
    /// Distinct keys a join may hand over.
    pub(crate) max_keys: usize,
    /// The join's dynamic filter, once pushed down to this scan.
    pub(crate) dynamic: Option<Arc<dyn PhysicalExpr>>,
}

impl Lookup {
    /// Whether `filter` is a join's dynamic filter on one of our key columns.
    pub(crate) fn accepts(&self, filter: &Arc<dyn PhysicalExpr>) -> bool {
        let Some(dynamic) = filter.downcast_ref::<DynamicFilterPhysicalExpr>() else {
            return false;
        };
        dynamic.children().iter().any(|c| {
            c.downcast_ref::<Column>()
                .is_some_and(|c| self.candidates.iter().any(|(_, k)| k == c.name()))
        })
    }

    /// Visits the dynamic filter (so the join knows a scan consumes it).
    pub(crate) fn apply(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        match &self.dynamic {
            Some(d) => f(d),
            None => Ok(TreeNodeRecursion::Continue),
        }
    }

    /// Waits for the join's build side, then turns its keys into scan
    /// requests of at most `batch` keys each, checked against the ceilings
    /// before any call is made.
    pub(crate) async fn requests(
        &self,
        base: &ScanRequest,
        connector: &LoadedConnector,
        ctx: &CallContext,
    ) -> Result<VecDeque<ScanRequest>> {
        let Some(filter) = &self.dynamic else {
            return Err(DataFusionError::External(Box::new(self.missing.clone())));
        };
        let Some(dynamic) = filter.downcast_ref::<DynamicFilterPhysicalExpr>() else {
            return Err(DataFusionError::Internal(
                "a lookup scan holds a filter that is not dynamic".into(),
            ));
        };
        dynamic.wait_complete().await;
        let current = dynamic.current()?;
        let too_many = || {
            DataFusionError::External(Box::new(TooManyKeys {
                table: format!("{}.{}", connector.info().name, base.table),
                max_keys: self.max_keys,
            }))
        };
        let found = self.candidates.iter().find_map(|(path, column)| {
            keys_for(&current, column).map(|keys| (*path, column, keys))
        });
        let Some((path, column, keys)) = found else {
            // A build side too large for an IN list becomes a hash-table
            // filter; anything else is a join shape the lookup cannot serve.
            if contains_hash_lookup(&current) {
                return Err(too_many());
            }
            return Err(DataFusionError::External(Box::new(self.missing.clone())));
        };
        if keys.len() > self.max_keys {
            return Err(too_many());
        }
        let batch = self.batch.max(1);
        // Calls this query already made to the same upstream count too.
        let calls =
            keys.len().div_ceil(batch) + ctx.upstream_calls(&connector.info().name) as usize;
        let ceiling = connector.max_calls_per_query();
        if calls > ceiling as usize {
            return Err(DataFusionError::External(Box::new(
                ConnectorError::UpstreamCallLimit {
                    connector: connector.info().name.clone(),
                    limit: ceiling,
                },
            )));
        }
        Ok(keys
            .chunks(batch)
            .map(|chunk| {
                let mut request = base.clone();
                request.filters.push(Filter {
                    column: column.clone(),
                    op: FilterOp::InList,
                    values: chunk.to_vec(),
                });
                request.access_path = Some(path);
                request
            })
            .collect())
    }
}

/// Whether the filter holds a hash-table lookup (DataFusion's form for a
/// build side beyond the IN-list limits).
fn contains_hash_lookup(expr: &Arc<dyn PhysicalExpr>) -> bool {
    expr.downcast_ref::<HashTableLookupExpr>().is_some()
        || expr.children().into_iter().any(contains_hash_lookup)
}

/// A join handed a table more keys than the platform looks up at once.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error(
    "the join would look up more than {max_keys} keys in {table}; narrow the other side of the join (e.g. a smaller area) or split the query"
)]
pub struct TooManyKeys {
    /// `schema.table`.
    pub table: String,
    /// The limit.
    pub max_keys: usize,
}

/// The distinct keys the completed filter allows for `column`: `Some(empty)`
/// when it allows nothing, `None` when it is not an `IN` list on that column
/// (a build side too large for a list becomes a hash lookup).
fn keys_for(expr: &Arc<dyn PhysicalExpr>, column: &str) -> Option<Vec<FilterValue>> {
    if let Some(lit) = expr.downcast_ref::<Literal>() {
        // A completed join filter is a bare literal only when the build side
        // was empty: left at `true`, or `false` when no partition had rows.
        return matches!(lit.value(), ScalarValue::Boolean(Some(_))).then(Vec::new);
    }
    in_list_keys(expr, column)
}

/// The keys of an `IN` list on `column`, possibly under `AND`s with bounds.
fn in_list_keys(expr: &Arc<dyn PhysicalExpr>, column: &str) -> Option<Vec<FilterValue>> {
    if let Some(b) = expr.downcast_ref::<BinaryExpr>()
        && *b.op() == Operator::And
    {
        return in_list_keys(b.left(), column).or_else(|| in_list_keys(b.right(), column));
    }
    let list = expr.downcast_ref::<InListExpr>()?;
    let on = list.expr().downcast_ref::<Column>()?;
    if list.negated() || on.name() != column {
        return None;
    }
    let mut seen = HashSet::new();
    let mut keys = Vec::with_capacity(list.len());
    for item in list.list() {
        let value = item.downcast_ref::<Literal>()?.value();
        if value.is_null() {
            // NULL never joins.
            continue;
        }
        let key = filter_value(value)?;
        if seen.insert(format!("{key:?}")) {
            keys.push(key);
        }
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_expr::expressions::lit;

    fn col(name: &str) -> Arc<dyn PhysicalExpr> {
        Arc::new(Column::new(name, 0))
    }

    fn in_list(name: &str, values: &[&str]) -> Arc<dyn PhysicalExpr> {
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        let schema = Schema::new(vec![Field::new(name, DataType::Utf8, true)]);
        let list = values.iter().map(|v| lit(*v)).collect();
        Arc::new(InListExpr::try_new(col(name), list, false, &schema).expect("valid IN list"))
    }

    #[test]
    fn finds_the_keys_behind_the_bounds() {
        let bounds = Arc::new(BinaryExpr::new(
            Arc::new(BinaryExpr::new(col("k"), Operator::GtEq, lit("a"))),
            Operator::And,
            Arc::new(BinaryExpr::new(col("k"), Operator::LtEq, lit("c"))),
        ));
        let expr: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(
            bounds,
            Operator::And,
            in_list("k", &["a", "c", "a"]),
        ));
        assert_eq!(
            keys_for(&expr, "k"),
            Some(vec![
                FilterValue::Text("a".into()),
                FilterValue::Text("c".into())
            ])
        );
        assert_eq!(keys_for(&expr, "other"), None);
        assert_eq!(keys_for(&lit(true), "k"), Some(vec![]));
        let bounds_only: Arc<dyn PhysicalExpr> =
            Arc::new(BinaryExpr::new(col("k"), Operator::GtEq, lit("a")));
        assert_eq!(keys_for(&bounds_only, "k"), None);
    }
}
