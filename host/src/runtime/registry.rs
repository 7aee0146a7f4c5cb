//! The set of loaded connectors. Readers take a snapshot (one `Arc` clone), so a
//! request sees one consistent set even while connectors are being swapped.

use super::connector::LoadedConnector;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// A connector that failed to load, kept so operators can see why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadFailure {
    /// Manifest name or file.
    pub name: String,
    /// What went wrong.
    pub error: String,
}

/// One consistent view of the loaded connectors.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Loaded connectors by schema name.
    pub connectors: BTreeMap<String, Arc<LoadedConnector>>,
    /// Connectors that failed to load.
    pub failures: Vec<LoadFailure>,
}

/// The live registry.
#[derive(Debug, Default)]
pub struct Registry {
    current: RwLock<Arc<Snapshot>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current set.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the whole set.
    pub fn replace(&self, snapshot: Snapshot) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(snapshot);
    }
}
