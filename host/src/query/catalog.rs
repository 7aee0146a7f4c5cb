//! The per-request SQL catalog: one schema per granted connector, holding only
//! the tables the request's policy grants, each a `PolicyTable` over the
//! connector's table.

use super::table::ConnectorTable;
use crate::policy::{PolicySchema, PolicyTable, SchemaAccess};
use crate::runtime::{CallContext, LoadedConnector};
use datafusion::catalog::TableProvider;
use datafusion::execution::session_state::SessionState;
use std::sync::Arc;

/// The granted tables of `connector`, as SQL schema `<connector name>`. A
/// table the policy names that the connector no longer has is left out.
pub(crate) fn connector_schema(
    connector: &Arc<LoadedConnector>,
    access: &SchemaAccess,
    ctx: &Arc<CallContext>,
    max_lookup_keys: usize,
    state: &SessionState,
) -> PolicySchema {
    let info = connector.info();
    PolicySchema::new(access.tables.iter().filter_map(|(name, table)| {
        let index = info.tables.iter().position(|t| t.name == *name)?;
        let inner: Arc<dyn TableProvider> = Arc::new(ConnectorTable::new(
            connector.clone(),
            index,
            ctx.clone(),
            max_lookup_keys,
        ));
        let qualified = format!("{}.{name}", info.name);
        Some((
            name.clone(),
            PolicyTable::new(qualified, inner, table, state),
        ))
    }))
}
