//! Where catalogs live: the platform's SQL database (SQLite by default), through
//! sqlx. Every write is one transaction, so an import applies whole or not at
//! all. Validation happens before (validate.rs); this layer only stores.

use super::error::CatalogError;
use chrono::NaiveDate;
use lgsp_catalogs::{CatalogDef, CrosswalkEntry, Item, MappingKind, VersionInfo, VersionStatus};
use sha2::{Digest, Sha256};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Row, SqlitePool, Transaction};
use std::collections::BTreeMap;

/// The version columns `version_row` reads, then `$tail`.
macro_rules! select_versions {
    ($tail:literal) => {
        concat!(
            "SELECT id, catalog, version, valid_from, valid_to, status, item_count, digest, source \
             FROM catalog_version ",
            $tail
        )
    };
}

/// A version with its row id.
#[derive(Debug, Clone)]
pub(crate) struct StoredVersion {
    pub(crate) id: i64,
    pub(crate) info: VersionInfo,
}

/// A crosswalk with its entries.
#[derive(Debug, Clone)]
pub(crate) struct StoredCrosswalk {
    pub(crate) from_version: i64,
    pub(crate) to_version: i64,
    pub(crate) entries: Vec<CrosswalkEntry>,
}

/// Everything readers need, as of one moment.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) catalogs: Vec<CatalogDef>,
    /// Published versions with their items.
    pub(crate) versions: Vec<(StoredVersion, Vec<Item>)>,
    /// Crosswalks between published versions.
    pub(crate) crosswalks: Vec<StoredCrosswalk>,
}

/// The metadata of a version about to be written.
#[derive(Debug, Clone)]
pub(crate) struct NewVersion {
    pub(crate) version: String,
    pub(crate) valid_from: NaiveDate,
    pub(crate) valid_to: Option<NaiveDate>,
    pub(crate) source: String,
}

/// The catalog tables of the platform database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pool: SqlitePool,
}

fn migrator() -> Migrator {
    let mut migrator = Migrator::with_migrations(vec![Migration::new(
        1,
        "catalogs".into(),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!("migrations/0001_catalogs.sql")),
        false,
    )]);
    // The registry's migrations (lgsp-access) share the migration table.
    migrator.set_ignore_missing(true);
    migrator
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn day(text: &str) -> Result<NaiveDate, CatalogError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| CatalogError::Corrupt(format!("stored date {text:?} is not YYYY-MM-DD")))
}

fn opt_day(text: Option<String>) -> Result<Option<NaiveDate>, CatalogError> {
    text.as_deref().map(day).transpose()
}

/// SHA-256 over the items in code order: names the content of a version.
pub(crate) fn digest(items: &[Item]) -> String {
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    let mut h = Sha256::new();
    for item in sorted {
        for field in [
            item.code.as_str(),
            item.name.as_str(),
            item.parent.as_deref().unwrap_or(""),
            item.level.as_deref().unwrap_or(""),
        ] {
            h.update(field.as_bytes());
            h.update([0x1f]);
        }
        for (k, v) in &item.attributes {
            h.update(k.as_bytes());
            h.update([0x1d]);
            h.update(v.as_bytes());
            h.update([0x1f]);
        }
        h.update([0x1e]);
    }
    hex::encode(h.finalize())
}

impl Store {
    /// The catalog tables in `pool`'s database, migrated to this version.
    pub(crate) async fn open(pool: SqlitePool) -> Result<Self, CatalogError> {
        migrator()
            .run(&pool)
            .await
            .map_err(|e| CatalogError::Open(format!("cannot migrate the catalog tables: {e}")))?;
        Ok(Self { pool })
    }

    /// Every catalog, by code.
    pub(crate) async fn catalogs(&self) -> Result<Vec<CatalogDef>, CatalogError> {
        let rows = sqlx::query(
            "SELECT code, name, owner_agency, description, attributes, parent_catalog \
             FROM catalog ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let attributes: String = r.try_get("attributes")?;
                Ok(CatalogDef {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    owner_agency: r.try_get("owner_agency")?,
                    description: r.try_get("description")?,
                    attributes: serde_json::from_str(&attributes)
                        .map_err(|e| CatalogError::Corrupt(format!("catalog attributes: {e}")))?,
                    parent_catalog: r.try_get("parent_catalog")?,
                })
            })
            .collect()
    }

    /// Creates a catalog; `Conflict` if the code is taken.
    pub(crate) async fn create_catalog(&self, def: &CatalogDef) -> Result<(), CatalogError> {
        let attributes = serde_json::to_string(&def.attributes)
            .map_err(|e| CatalogError::Corrupt(e.to_string()))?;
        let result = sqlx::query(
            "INSERT INTO catalog (code, name, owner_agency, description, attributes, parent_catalog, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&def.code)
        .bind(&def.name)
        .bind(&def.owner_agency)
        .bind(&def.description)
        .bind(attributes)
        .bind(&def.parent_catalog)
        .bind(now())
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(CatalogError::Conflict(format!(
                "catalog {} already exists",
                def.code
            )));
        }
        Ok(())
    }

    /// Every version of `catalog`, oldest validity first.
    pub(crate) async fn versions(&self, catalog: &str) -> Result<Vec<StoredVersion>, CatalogError> {
        let rows = sqlx::query(select_versions!(
            "WHERE catalog = $1 ORDER BY valid_from, id"
        ))
        .bind(catalog)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_row).collect()
    }

    /// Every version of every catalog, by catalog and oldest validity first.
    pub(crate) async fn all_versions(&self) -> Result<Vec<StoredVersion>, CatalogError> {
        let rows = sqlx::query(select_versions!("ORDER BY catalog, valid_from, id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(version_row).collect()
    }

    /// The codes of one version.
    pub(crate) async fn codes(
        &self,
        version_id: i64,
    ) -> Result<std::collections::HashSet<String>, CatalogError> {
        Ok(
            sqlx::query_scalar("SELECT code FROM catalog_item WHERE version_id = $1")
                .bind(version_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect(),
        )
    }

    /// The items of one version, in code order.
    pub(crate) async fn items(&self, version_id: i64) -> Result<Vec<Item>, CatalogError> {
        let rows = sqlx::query(
            "SELECT code, name, parent, level, attributes FROM catalog_item \
             WHERE version_id = $1 ORDER BY code",
        )
        .bind(version_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_row).collect()
    }

    /// Writes a draft version and its items in one transaction.
    pub(crate) async fn insert_version(
        &self,
        catalog: &str,
        meta: &NewVersion,
        items: &[Item],
    ) -> Result<StoredVersion, CatalogError> {
        let digest = digest(items);
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO catalog_version (catalog, version, valid_from, valid_to, status, item_count, digest, source, created_at) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8) \
             ON CONFLICT (catalog, version) DO NOTHING RETURNING id",
        )
        .bind(catalog)
        .bind(&meta.version)
        .bind(meta.valid_from.to_string())
        .bind(meta.valid_to.map(|d| d.to_string()))
        .bind(items.len() as i64)
        .bind(&digest)
        .bind(&meta.source)
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            CatalogError::Conflict(format!(
                "catalog {catalog} already has a version {}",
                meta.version
            ))
        })?;
        insert_items(&mut tx, id, items).await?;
        tx.commit().await?;
        Ok(StoredVersion {
            id,
            info: VersionInfo {
                catalog: catalog.to_owned(),
                version: meta.version.clone(),
                valid_from: meta.valid_from,
                valid_to: meta.valid_to,
                status: VersionStatus::Draft,
                items: items.len() as u64,
                digest,
                source: meta.source.clone(),
            },
        })
    }

    /// Publishes a draft: closes the open-ended version it follows (its
    /// `valid_to` becomes the day before) and marks it published, atomically.
    pub(crate) async fn publish(
        &self,
        version_id: i64,
        close: Option<(i64, NaiveDate)>,
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        if let Some((id, last_day)) = close {
            sqlx::query(
                "UPDATE catalog_version SET valid_to = $1 WHERE id = $2 AND valid_to IS NULL",
            )
            .bind(last_day.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query(
            "UPDATE catalog_version SET status = 'published', published_at = $1 \
             WHERE id = $2 AND status = 'draft'",
        )
        .bind(now())
        .bind(version_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(CatalogError::Conflict(
                "the version is no longer a draft".into(),
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a draft and its items (a published version is never deleted).
    pub(crate) async fn delete_draft(&self, version_id: i64) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM crosswalk WHERE from_version = $1 OR to_version = $1")
            .bind(version_id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM catalog_version WHERE id = $1 AND status = 'draft'")
            .bind(version_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(CatalogError::Conflict("only a draft can be deleted".into()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes a crosswalk between two versions, replacing an earlier one
    /// between the same versions, in one transaction.
    pub(crate) async fn insert_crosswalk(
        &self,
        catalog: &str,
        from_version: i64,
        to_version: i64,
        source: &str,
        entries: &[CrosswalkEntry],
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM crosswalk WHERE from_version = $1 AND to_version = $2")
            .bind(from_version)
            .bind(to_version)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO crosswalk (catalog, from_version, to_version, source, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(catalog)
        .bind(from_version)
        .bind(to_version)
        .bind(source)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        for chunk in entries.chunks(ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR IGNORE INTO crosswalk_entry (crosswalk_id, old_code, new_code, mapping) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(id)
                    .push_bind(e.old_code.clone())
                    .push_bind(e.new_code.clone())
                    .push_bind(e.mapping.as_str());
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every crosswalk, with its rows.
    pub(crate) async fn crosswalks(&self) -> Result<Vec<StoredCrosswalk>, CatalogError> {
        let heads = sqlx::query("SELECT id, from_version, to_version FROM crosswalk ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(heads.len());
        for head in heads {
            out.push(StoredCrosswalk {
                from_version: head.try_get("from_version")?,
                to_version: head.try_get("to_version")?,
                entries: self.crosswalk_entries(head.try_get("id")?).await?,
            });
        }
        Ok(out)
    }

    /// The rows of the crosswalk from one version to another; empty when
    /// none was imported.
    pub(crate) async fn crosswalk_between(
        &self,
        from_version: i64,
        to_version: i64,
    ) -> Result<Vec<CrosswalkEntry>, CatalogError> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM crosswalk WHERE from_version = $1 AND to_version = $2",
        )
        .bind(from_version)
        .bind(to_version)
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => self.crosswalk_entries(id).await,
            None => Ok(Vec::new()),
        }
    }

    async fn crosswalk_entries(&self, id: i64) -> Result<Vec<CrosswalkEntry>, CatalogError> {
        let rows = sqlx::query(
            "SELECT old_code, new_code, mapping FROM crosswalk_entry \
             WHERE crosswalk_id = $1 ORDER BY old_code, new_code",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let mapping: String = r.try_get("mapping")?;
                Ok(CrosswalkEntry {
                    old_code: r.try_get("old_code")?,
                    new_code: r.try_get("new_code")?,
                    mapping: if mapping == "partial" {
                        MappingKind::Partial
                    } else {
                        MappingKind::Full
                    },
                })
            })
            .collect()
    }

    /// Everything published, for the in-memory index.
    pub(crate) async fn published(&self) -> Result<Published, CatalogError> {
        let catalogs = self.catalogs().await?;
        let mut versions = Vec::new();
        for v in self.all_versions().await? {
            if v.info.status == VersionStatus::Published {
                let items = self.items(v.id).await?;
                versions.push((v, items));
            }
        }
        let published: std::collections::HashSet<i64> =
            versions.iter().map(|(v, _)| v.id).collect();
        let crosswalks = self
            .crosswalks()
            .await?
            .into_iter()
            .filter(|c| published.contains(&c.from_version) && published.contains(&c.to_version))
            .collect();
        Ok(Published {
            catalogs,
            versions,
            crosswalks,
        })
    }
}

/// Rows per multi-row INSERT: 6 parameters each stays far below SQLite's
/// limit on bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

async fn insert_items(
    tx: &mut Transaction<'_, sqlx::Sqlite>,
    version_id: i64,
    items: &[Item],
) -> Result<(), CatalogError> {
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO catalog_item (version_id, code, name, parent, level, attributes) ",
        );
        let mut encoded = Vec::with_capacity(chunk.len());
        for item in chunk {
            encoded.push(if item.attributes.is_empty() {
                None
            } else {
                Some(
                    serde_json::to_string(&item.attributes)
                        .map_err(|e| CatalogError::Corrupt(e.to_string()))?,
                )
            });
        }
        q.push_values(chunk.iter().zip(encoded), |mut row, (item, attrs)| {
            row.push_bind(version_id)
                .push_bind(item.code.clone())
                .push_bind(item.name.clone())
                .push_bind(item.parent.clone())
                .push_bind(item.level.clone())
                .push_bind(attrs);
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn version_row(r: &sqlx::sqlite::SqliteRow) -> Result<StoredVersion, CatalogError> {
    let status: String = r.try_get("status")?;
    let valid_from: String = r.try_get("valid_from")?;
    let count: i64 = r.try_get("item_count")?;
    Ok(StoredVersion {
        id: r.try_get("id")?,
        info: VersionInfo {
            catalog: r.try_get("catalog")?,
            version: r.try_get("version")?,
            valid_from: day(&valid_from)?,
            valid_to: opt_day(r.try_get("valid_to")?)?,
            status: if status == "published" {
                VersionStatus::Published
            } else {
                VersionStatus::Draft
            },
            items: u64::try_from(count).unwrap_or(0),
            digest: r.try_get("digest")?,
            source: r.try_get("source")?,
        },
    })
}

fn item_row(r: &sqlx::sqlite::SqliteRow) -> Result<Item, CatalogError> {
    let attributes: Option<String> = r.try_get("attributes")?;
    Ok(Item {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent: r.try_get("parent")?,
        level: r.try_get("level")?,
        attributes: match attributes {
            None => BTreeMap::new(),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| CatalogError::Corrupt(format!("item attributes: {e}")))?,
        },
    })
}
