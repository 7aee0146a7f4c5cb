//! What the runtime needs from the shared catalogs to answer a connector's
//! `catalogs` imports. The runtime does not know where catalogs live; the
//! platform hands it an implementation (`crate::catalogs::CatalogService`).

use chrono::NaiveDate;
use std::sync::Arc;

/// One catalog item as a connector sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupItem {
    /// The code, e.g. `00004`.
    pub code: String,
    /// The name, e.g. `Phường Ba Đình`.
    pub name: String,
    /// The parent's code (a commune's province), if any.
    pub parent: Option<String>,
    /// The level, e.g. `tinh`, `xa`, if the catalog has levels.
    pub level: Option<String>,
}

pub use lgsp_catalogs::MappingKind;

/// A current code an old code leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Successor {
    /// The code valid today.
    pub code: String,
    /// Its name today.
    pub name: String,
    /// `Partial` if any step from the old code to this one was partial.
    pub mapping: MappingKind,
}

/// Catalog lookups offered to connectors. Implementations answer from memory:
/// these calls run inside a connector call, once per row or value.
pub trait CatalogLookup: Send + Sync + std::fmt::Debug {
    /// The item with `code` in the published version of `catalog` valid on
    /// `as_of` (today when `None`).
    fn item(&self, catalog: &str, code: &str, as_of: Option<NaiveDate>) -> Option<LookupItem>;

    /// The code `value` stands for in the version valid on `as_of`: `value`
    /// itself when it is a code, else the code of the one item whose name
    /// matches it ignoring case, accents and the unit-type prefix ("Tỉnh",
    /// "Phường"...). `None` when unknown or when several items match.
    fn code_for(&self, catalog: &str, value: &str, as_of: Option<NaiveDate>) -> Option<String>;

    /// The codes valid today for `code` as it was on `as_of`: itself when it
    /// did not change, its successors along the crosswalks otherwise; empty
    /// when `code` was not a code of the version valid on `as_of`.
    fn current_codes(&self, catalog: &str, code: &str, as_of: NaiveDate) -> Vec<Successor>;
}

/// The catalogs a runtime answers from; empty unless the platform sets it.
#[derive(Debug, Clone)]
pub struct CatalogHandle(pub Arc<dyn CatalogLookup>);

impl Default for CatalogHandle {
    fn default() -> Self {
        Self(Arc::new(NoCatalogs))
    }
}

/// Knows no catalog: every lookup misses.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCatalogs;

impl CatalogLookup for NoCatalogs {
    fn item(&self, _: &str, _: &str, _: Option<NaiveDate>) -> Option<LookupItem> {
        None
    }
    fn code_for(&self, _: &str, _: &str, _: Option<NaiveDate>) -> Option<String> {
        None
    }
    fn current_codes(&self, _: &str, _: &str, _: NaiveDate) -> Vec<Successor> {
        Vec::new()
    }
}
