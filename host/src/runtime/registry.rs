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
    /// Loaded connectors by schema name: for a published connector, the
    /// newest serving version of its highest major.
    pub connectors: BTreeMap<String, Arc<LoadedConnector>>,
    /// A published connector's newest serving version of each major, as
    /// schema `name@major` (e.g. `dan_cu@1`), for consumers who pin one.
    pub pinned: BTreeMap<String, Arc<LoadedConnector>>,
    /// Every version ever published, by connector name, oldest first: grants
    /// are checked against the version they were approved on.
    pub history: BTreeMap<String, Vec<PublishedVersion>>,
    /// Grants the provider approved again after a new major: the version
    /// each was confirmed on, by grant id.
    pub bindings: BTreeMap<String, semver::Version>,
    /// Connectors that failed to load.
    pub failures: Vec<LoadFailure>,
}

/// What the grant rules need to know of one published version.
#[derive(Debug, Clone)]
pub struct PublishedVersion {
    /// Its version.
    pub version: semver::Version,
    /// When it was published.
    pub published_at: chrono::DateTime<chrono::Utc>,
    /// Each table's columns, as it described them.
    pub columns: Arc<Columns>,
}

/// Each table's columns: name, SQL type and personal-data class.
pub type Columns = BTreeMap<String, Vec<ColumnSignature>>;

/// One column as far as a grant is concerned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnSignature {
    /// Column name.
    pub name: String,
    /// SQL type (`sql_type`).
    pub sql_type: String,
    /// Personal-data class.
    pub personal_data: String,
}

impl Snapshot {
    /// The connector serving `schema`: a name (its default version) or a
    /// pinned `name@major`.
    pub fn serving(&self, schema: &str) -> Option<&Arc<LoadedConnector>> {
        self.connectors
            .get(schema)
            .or_else(|| self.pinned.get(schema))
    }

    /// The pinned schemas of connector `name` (`name@1`, `name@2`, ...).
    pub fn pinned_of<'s, 'n>(
        &'s self,
        name: &'n str,
    ) -> impl Iterator<Item = (&'s str, &'s Arc<LoadedConnector>)> + use<'s, 'n> {
        self.pinned
            .iter()
            .filter(move |(k, _)| {
                k.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('@'))
            })
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// The column signature of a description.
pub fn columns_of(info: &super::ConnectorInfo) -> Columns {
    info.tables
        .iter()
        .map(|t| {
            let columns = t
                .columns
                .iter()
                .map(|c| ColumnSignature {
                    name: c.name.clone(),
                    sql_type: super::sql_type(&c.data_type),
                    personal_data: format!("{:?}", c.personal_data).to_lowercase(),
                })
                .collect();
            (t.name.clone(), columns)
        })
        .collect()
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
