//! The per-request SQL catalog: one schema per connector, holding only what this
//! request may see (today every loaded table; grants narrow it later).

use super::table::ConnectorTable;
use crate::runtime::{CallContext, LoadedConnector};
use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::Result;
use std::sync::Arc;

/// The tables of one connector, as SQL schema `<connector name>`.
#[derive(Debug)]
pub(crate) struct ConnectorSchema {
    connector: Arc<LoadedConnector>,
    ctx: Arc<CallContext>,
    max_lookup_keys: usize,
}

impl ConnectorSchema {
    pub(crate) fn new(
        connector: Arc<LoadedConnector>,
        ctx: Arc<CallContext>,
        max_lookup_keys: usize,
    ) -> Self {
        Self {
            connector,
            ctx,
            max_lookup_keys,
        }
    }
}

#[async_trait]
impl SchemaProvider for ConnectorSchema {
    fn table_names(&self) -> Vec<String> {
        self.connector
            .info()
            .tables
            .iter()
            .map(|t| t.name.clone())
            .collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self
            .connector
            .info()
            .tables
            .iter()
            .position(|t| t.name == name)
            .map(|i| {
                Arc::new(ConnectorTable::new(
                    self.connector.clone(),
                    i,
                    self.ctx.clone(),
                    self.max_lookup_keys,
                )) as Arc<dyn TableProvider>
            }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.connector.info().table(name).is_some()
    }
}
