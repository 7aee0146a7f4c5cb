//! Shared catalogs (danh mục dùng chung): versioned, date-aware code lists that
//! admins manage and everyone reads.
//!
//! - [`store`]: the SQL tables (sqlx); every write is one transaction;
//! - [`validate`]: every problem of an import, with its line or record, before
//!   anything is written;
//! - [`index`]: the published versions in memory, for lookups by code, name,
//!   date and crosswalk (REST, SQL and the connectors' `catalogs` import);
//! - [`diff`]: changes between versions (diff and change feed);
//! - [`seed`]: the lists the project ships, written on first start.
//!
//! File formats (CSV, JSON, GSO layouts, crosswalk files) are read and written
//! by the `lgsp-catalogs` crate.

mod diff;
mod error;
mod index;
mod seed;
mod store;
#[cfg(test)]
mod tests;
mod validate;

pub use chrono::NaiveDate;
pub(crate) use diff::diff as diff_items;
pub use diff::{Changes, Renamed, Reparented};
pub use error::CatalogError;
pub(crate) use index::{CatalogIdx, Index, VersionIdx};

use crate::runtime::{CatalogLookup, LookupItem, Successor};
use lgsp_catalogs::{
    CatalogDef, CrosswalkEntry, CrosswalkFormat, Item, ItemFormat, ParsedItem, Problem,
    ProblemKind, UnitLevel, VersionInfo, VersionStatus,
};
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, RwLock};
use store::{NewVersion, Store, StoredVersion};

/// Today in Vietnam (UTC+7): the day "current" means.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

/// How a new version is labelled and when it holds.
#[derive(Debug, Clone)]
pub struct ImportSpec {
    /// Label unique in the catalog, e.g. `2025-07-01`.
    pub version: String,
    /// First day it holds.
    pub valid_from: NaiveDate,
    /// Last day it holds; open-ended when `None`.
    pub valid_to: Option<NaiveDate>,
    /// Where the items came from (file name...), kept with the version.
    pub source: String,
    /// Publish at once instead of leaving a draft.
    pub publish: bool,
}

/// Steps of an import, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStep {
    /// The file was read: this many records.
    Parsed(u64),
    /// Checks passed.
    Validated,
    /// Written to the database.
    Written,
    /// Published and visible to readers.
    Published,
}

/// The file formats a version exports to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// `ma,ten,ma_cha,cap` then the attribute columns (what the CSV import reads).
    #[default]
    Csv,
    /// `{"items": [...]}` (what the JSON import reads).
    Json,
}

/// A version written out as a file.
#[derive(Debug, Clone)]
pub struct ExportedFile {
    /// The version.
    pub info: VersionInfo,
    /// A file name, e.g. `dvhc_tinh-2025-07-01.csv`.
    pub name: String,
    /// Items written.
    pub items: usize,
    /// The file.
    pub body: String,
}

/// The attribute columns of a CSV export: the catalog's declared attributes,
/// then any other attribute the items carry, by name.
fn attribute_columns(declared: &[String], items: &[Item]) -> Vec<String> {
    let mut columns = declared.to_vec();
    let extra: std::collections::BTreeSet<&String> = items
        .iter()
        .flat_map(|i| i.attributes.keys())
        .filter(|k| !declared.contains(k))
        .collect();
    columns.extend(extra.into_iter().cloned());
    columns
}

/// A progress callback.
pub type Progress<'a> = Option<&'a (dyn Fn(ImportStep) + Send + Sync)>;

/// The result of a crosswalk import.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CrosswalkReport {
    /// Rows written.
    pub entries: u64,
    /// Distinct old codes mapped.
    pub old_codes: u64,
    /// Records of the file that were left out, and why (e.g. district-level
    /// units in a commune crosswalk).
    pub skipped: Vec<Problem>,
}

/// The catalog store and its in-memory index.
#[derive(Debug)]
pub struct CatalogService {
    store: Store,
    index: RwLock<Arc<Index>>,
    /// Imports and publishes run one at a time, so that each validates
    /// against the state it writes into.
    writes: tokio::sync::Mutex<()>,
    /// False while `open` seeds an empty database: nobody reads yet, so the
    /// index is built once at the end instead of after every seeded list.
    serving: std::sync::atomic::AtomicBool,
}

/// The unit level a dvhc file is read at, from the catalog it goes into.
fn default_level(catalog: &str) -> UnitLevel {
    if catalog == "dvhc_tinh" {
        UnitLevel::Province
    } else {
        UnitLevel::Commune
    }
}

fn check_label(label: &str) -> Result<(), CatalogError> {
    let ok = !label.is_empty()
        && label.len() <= 64
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(CatalogError::BadRequest(format!(
            "version label {label:?} must be 1 to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

impl CatalogService {
    /// Opens the database at `path`, writes the shipped catalogs it lacks and
    /// loads the published ones.
    ///
    /// # Errors
    /// When the database cannot be opened, migrated or read.
    pub async fn open(path: &Path) -> Result<Arc<Self>, CatalogError> {
        let pool = crate::db::open(path)
            .await
            .map_err(|e| CatalogError::Open(e.to_string()))?;
        Self::open_pool(pool).await
    }

    /// Like [`open`](Self::open), on an open platform database.
    ///
    /// # Errors
    /// When the database cannot be migrated or read.
    pub async fn open_pool(pool: sqlx::SqlitePool) -> Result<Arc<Self>, CatalogError> {
        let service = Arc::new(Self {
            store: Store::open(pool).await?,
            index: RwLock::new(Arc::new(Index::default())),
            writes: tokio::sync::Mutex::new(()),
            serving: std::sync::atomic::AtomicBool::new(false),
        });
        seed::seed(&service).await?;
        service
            .serving
            .store(true, std::sync::atomic::Ordering::Release);
        service.reload().await?;
        Ok(service)
    }

    /// The published catalogs as of now; cheap (one `Arc` clone).
    pub(crate) fn index(&self) -> Arc<Index> {
        match self.index.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn reload(&self) -> Result<(), CatalogError> {
        if !self.serving.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(());
        }
        let fresh = Arc::new(Index::build(self.store.published().await?));
        match self.index.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// Every catalog, with its versions (drafts included).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn catalogs(&self) -> Result<Vec<(CatalogDef, Vec<VersionInfo>)>, CatalogError> {
        let mut versions: std::collections::HashMap<String, Vec<VersionInfo>> =
            std::collections::HashMap::new();
        for v in self.store.all_versions().await? {
            versions
                .entry(v.info.catalog.clone())
                .or_default()
                .push(v.info);
        }
        Ok(self
            .store
            .catalogs()
            .await?
            .into_iter()
            .map(|def| {
                let of_it = versions.remove(&def.code).unwrap_or_default();
                (def, of_it)
            })
            .collect())
    }

    async fn def(&self, catalog: &str) -> Result<CatalogDef, CatalogError> {
        self.store
            .catalogs()
            .await?
            .into_iter()
            .find(|c| c.code == catalog)
            .ok_or_else(|| CatalogError::UnknownCatalog(catalog.to_owned()))
    }

    async fn stored_version(
        &self,
        catalog: &str,
        label: &str,
    ) -> Result<StoredVersion, CatalogError> {
        self.store
            .versions(catalog)
            .await?
            .into_iter()
            .find(|v| v.info.version == label)
            .ok_or_else(|| CatalogError::UnknownVersion {
                catalog: catalog.to_owned(),
                version: label.to_owned(),
            })
    }

    /// Creates an empty catalog.
    ///
    /// # Errors
    /// `BadRequest` for a malformed code, `Conflict` if it exists.
    pub async fn create_catalog(&self, def: &CatalogDef) -> Result<(), CatalogError> {
        let ok = !def.code.is_empty()
            && def.code.len() <= 48
            && def.code.starts_with(|c: char| c.is_ascii_lowercase())
            && def
                .code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(CatalogError::BadRequest(format!(
                "catalog code {:?} must be lower-case snake_case (a-z, 0-9, _), starting with a letter, at most 48 characters",
                def.code
            )));
        }
        if def.name.trim().is_empty() {
            return Err(CatalogError::BadRequest("a catalog needs a name".into()));
        }
        if let Some(parent) = &def.parent_catalog
            && parent != &def.code
        {
            self.def(parent).await?;
        }
        let _w = self.writes.lock().await;
        self.store.create_catalog(def).await?;
        self.reload().await
    }

    /// Reads `text` in `format`, validates it and writes a version (a draft,
    /// or published if `spec.publish`). Nothing is written if any problem is
    /// found; every problem is reported with its location.
    ///
    /// # Errors
    /// `Invalid` with the problems, or another [`CatalogError`].
    pub async fn import(
        &self,
        catalog: &str,
        spec: &ImportSpec,
        format: ItemFormat,
        level: Option<UnitLevel>,
        text: &str,
        progress: Progress<'_>,
    ) -> Result<VersionInfo, CatalogError> {
        let level = level.unwrap_or_else(|| default_level(catalog));
        let parsed = lgsp_catalogs::import::parse_items(format, text, level)
            .map_err(CatalogError::Invalid)?;
        self.import_parsed(catalog, spec, parsed, progress).await
    }

    /// Writes items the caller built (the shipped lists, a program's own
    /// import), with the same checks as [`CatalogService::import`].
    ///
    /// # Errors
    /// `Invalid` with the problems, or another [`CatalogError`].
    pub async fn import_items(
        &self,
        catalog: &str,
        spec: &ImportSpec,
        items: Vec<Item>,
        progress: Progress<'_>,
    ) -> Result<VersionInfo, CatalogError> {
        let parsed = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| ParsedItem {
                item,
                at: lgsp_catalogs::Location::Record(format!("[{i}]")),
            })
            .collect();
        self.import_parsed(catalog, spec, parsed, progress).await
    }

    async fn import_parsed(
        &self,
        catalog: &str,
        spec: &ImportSpec,
        parsed: Vec<ParsedItem>,
        progress: Progress<'_>,
    ) -> Result<VersionInfo, CatalogError> {
        let report = |step| {
            if let Some(p) = progress {
                p(step);
            }
        };
        report(ImportStep::Parsed(parsed.len() as u64));
        check_label(&spec.version)?;
        let _w = self.writes.lock().await;
        let def = self.def(catalog).await?;
        let others: Vec<VersionInfo> = self
            .store
            .versions(catalog)
            .await?
            .into_iter()
            .map(|v| v.info)
            .collect();
        if others.iter().any(|v| v.version == spec.version) {
            return Err(CatalogError::Conflict(format!(
                "catalog {catalog} already has a version {}",
                spec.version
            )));
        }
        let index = self.index();
        let parent_codes: HashSet<String>;
        let parents = match def.parent_catalog.as_deref() {
            None => validate::Parents::Unchecked,
            Some(p) if p == catalog => validate::Parents::SameVersion,
            Some(p) => {
                let version = index
                    .catalog(p)
                    .and_then(|c| c.version_on(spec.valid_from))
                    .ok_or_else(|| {
                        CatalogError::Invalid(vec![Problem::whole(
                            ProblemKind::DanglingParent,
                            format!(
                                "parent catalog {p} has no published version valid on {}; import and publish it first",
                                spec.valid_from
                            ),
                        )])
                    })?;
                parent_codes = version.items.iter().map(|i| i.code.clone()).collect();
                validate::Parents::Other {
                    catalog: p,
                    codes: &parent_codes,
                }
            }
        };
        let mut problems = validate::items(&def, &parsed, &parents);
        problems.extend(validate::validity(
            &spec.version,
            spec.valid_from,
            spec.valid_to,
            &others,
        ));
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        report(ImportStep::Validated);
        let items: Vec<Item> = parsed.into_iter().map(|p| p.item).collect();
        let stored = self
            .store
            .insert_version(
                catalog,
                &NewVersion {
                    version: spec.version.clone(),
                    valid_from: spec.valid_from,
                    valid_to: spec.valid_to,
                    source: spec.source.clone(),
                },
                &items,
            )
            .await?;
        report(ImportStep::Written);
        if !spec.publish {
            return Ok(stored.info);
        }
        let info = self.publish_locked(catalog, stored).await?;
        report(ImportStep::Published);
        Ok(info)
    }

    /// Publishes a draft: it becomes visible to every reader, and the
    /// open-ended version before it now ends the day before it starts.
    ///
    /// # Errors
    /// `UnknownVersion`, `Conflict` if it is not a draft, `Invalid` if its
    /// validity now overlaps a published version.
    pub async fn publish(&self, catalog: &str, label: &str) -> Result<VersionInfo, CatalogError> {
        let _w = self.writes.lock().await;
        let stored = self.stored_version(catalog, label).await?;
        if stored.info.status != VersionStatus::Draft {
            return Err(CatalogError::Conflict(format!(
                "version {label} of {catalog} is already published"
            )));
        }
        self.publish_locked(catalog, stored).await
    }

    async fn publish_locked(
        &self,
        catalog: &str,
        stored: StoredVersion,
    ) -> Result<VersionInfo, CatalogError> {
        let versions = self.store.versions(catalog).await?;
        let others: Vec<VersionInfo> = versions.iter().map(|v| v.info.clone()).collect();
        let problems = validate::validity(
            &stored.info.version,
            stored.info.valid_from,
            stored.info.valid_to,
            &others,
        );
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        let close = versions
            .into_iter()
            .filter(|v| {
                v.info.status == VersionStatus::Published
                    && v.info.valid_to.is_none()
                    && v.info.valid_from < stored.info.valid_from
            })
            .map(|v| {
                (
                    v.id,
                    stored.info.valid_from.pred_opt().unwrap_or(NaiveDate::MIN),
                )
            })
            .next();
        self.store.publish(stored.id, close).await?;
        self.reload().await?;
        Ok(VersionInfo {
            status: VersionStatus::Published,
            ..stored.info
        })
    }

    /// Deletes a draft.
    ///
    /// # Errors
    /// `UnknownVersion`, or `Conflict` for a published version.
    pub async fn delete_draft(&self, catalog: &str, label: &str) -> Result<(), CatalogError> {
        let _w = self.writes.lock().await;
        let stored = self.stored_version(catalog, label).await?;
        self.store.delete_draft(stored.id).await
    }

    /// Reads a crosswalk file from version `from` to version `to` of
    /// `catalog`, checks that every code exists in its version, and writes it
    /// (replacing an earlier crosswalk between the same versions).
    ///
    /// # Errors
    /// `Invalid` with every problem, or another [`CatalogError`].
    #[allow(clippy::too_many_arguments)]
    pub async fn import_crosswalk(
        &self,
        catalog: &str,
        from: &str,
        to: &str,
        format: CrosswalkFormat,
        level: Option<UnitLevel>,
        text: &str,
        source: &str,
    ) -> Result<CrosswalkReport, CatalogError> {
        let level = level.unwrap_or_else(|| default_level(catalog));
        let parsed = lgsp_catalogs::import::parse_crosswalk(format, text, level)
            .map_err(CatalogError::Invalid)?;
        let _w = self.writes.lock().await;
        let (old, new) = self.crosswalk_ends(catalog, from, to).await?;
        let old_codes = self.store.codes(old.id).await?;
        let new_codes = self.store.codes(new.id).await?;
        let problems = validate::crosswalk(&parsed.entries, (from, &old_codes), (to, &new_codes));
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        let entries: Vec<CrosswalkEntry> = parsed.entries.into_iter().map(|e| e.entry).collect();
        let distinct: HashSet<&str> = entries.iter().map(|e| e.old_code.as_str()).collect();
        let report = CrosswalkReport {
            entries: entries.len() as u64,
            old_codes: distinct.len() as u64,
            skipped: parsed.skipped,
        };
        self.store
            .insert_crosswalk(catalog, old.id, new.id, source, &entries)
            .await?;
        self.reload().await?;
        Ok(report)
    }

    /// Writes crosswalk rows the caller built (the shipped province merges).
    pub(crate) async fn write_crosswalk(
        &self,
        catalog: &str,
        from: &str,
        to: &str,
        source: &str,
        entries: Vec<CrosswalkEntry>,
    ) -> Result<(), CatalogError> {
        let _w = self.writes.lock().await;
        let (old, new) = self.crosswalk_ends(catalog, from, to).await?;
        self.store
            .insert_crosswalk(catalog, old.id, new.id, source, &entries)
            .await?;
        self.reload().await
    }

    async fn crosswalk_ends(
        &self,
        catalog: &str,
        from: &str,
        to: &str,
    ) -> Result<(StoredVersion, StoredVersion), CatalogError> {
        self.def(catalog).await?;
        let old = self.stored_version(catalog, from).await?;
        let new = self.stored_version(catalog, to).await?;
        if new.info.valid_from <= old.info.valid_from {
            return Err(CatalogError::BadRequest(format!(
                "a crosswalk leads from an older version to a newer one; {to} does not start after {from}"
            )));
        }
        Ok((old, new))
    }

    /// A version (drafts included) and its items in code order.
    ///
    /// # Errors
    /// `UnknownCatalog`, `UnknownVersion`.
    pub async fn version_items(
        &self,
        catalog: &str,
        label: &str,
    ) -> Result<(VersionInfo, Vec<Item>), CatalogError> {
        self.def(catalog).await?;
        let stored = self.stored_version(catalog, label).await?;
        let items = self.store.items(stored.id).await?;
        Ok((stored.info, items))
    }

    /// A version (drafts included) as a CSV or JSON file that the import
    /// reads back.
    ///
    /// # Errors
    /// `UnknownCatalog`, `UnknownVersion`.
    pub async fn export(
        &self,
        catalog: &str,
        label: &str,
        format: ExportFormat,
    ) -> Result<ExportedFile, CatalogError> {
        let def = self.def(catalog).await?;
        let stored = self.stored_version(catalog, label).await?;
        let items = self.store.items(stored.id).await?;
        let (extension, body) = match format {
            ExportFormat::Csv => (
                "csv",
                lgsp_catalogs::export::items_csv(
                    &items,
                    &attribute_columns(&def.attributes, &items),
                ),
            ),
            ExportFormat::Json => ("json", lgsp_catalogs::export::items_json(&items)),
        };
        Ok(ExportedFile {
            name: format!("{catalog}-{label}.{extension}"),
            items: items.len(),
            info: stored.info,
            body,
        })
    }

    /// The changes from version `from` to version `to` (drafts included).
    ///
    /// # Errors
    /// `UnknownCatalog`, `UnknownVersion`.
    pub async fn diff(
        &self,
        catalog: &str,
        from: &str,
        to: &str,
    ) -> Result<(VersionInfo, VersionInfo, Changes), CatalogError> {
        let (a, old) = self.version_items(catalog, from).await?;
        let (b, new) = self.version_items(catalog, to).await?;
        Ok((a, b, diff::diff(&old, &new)))
    }

    /// The crosswalk rows between two versions.
    ///
    /// # Errors
    /// `UnknownCatalog`, `UnknownVersion`.
    pub async fn crosswalk_entries(
        &self,
        catalog: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<CrosswalkEntry>, CatalogError> {
        let (old, new) = self.crosswalk_ends(catalog, from, to).await?;
        self.store.crosswalk_between(old.id, new.id).await
    }
}

impl CatalogLookup for CatalogService {
    fn item(&self, catalog: &str, code: &str, as_of: Option<NaiveDate>) -> Option<LookupItem> {
        self.index()
            .lookup_item(catalog, code, as_of.unwrap_or_else(today))
    }

    fn code_for(&self, catalog: &str, value: &str, as_of: Option<NaiveDate>) -> Option<String> {
        self.index()
            .code_for(catalog, value, as_of.unwrap_or_else(today))
    }

    fn current_codes(&self, catalog: &str, code: &str, as_of: NaiveDate) -> Vec<Successor> {
        self.index().successors(catalog, code, as_of, today())
    }
}
