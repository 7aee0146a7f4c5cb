//! The published catalogs in memory, for lookups that run once per row: by
//! code, by name (accent-insensitive), as of a date, and along crosswalks to
//! today's codes. Rebuilt whole from the store after every publish; readers
//! keep the snapshot they started with.

use super::CatalogError;
use super::store::Published;
use crate::runtime::{LookupItem, Successor};
use chrono::NaiveDate;
use lgsp_catalogs::{Item, MappingKind, VersionInfo};
use std::collections::{BTreeMap, HashMap};

use lgsp_catalogs::NameIndex;
pub(crate) use lgsp_catalogs::name_key;

/// Old code → the new codes it leads to.
pub(crate) type CrosswalkMap = HashMap<String, Vec<(String, MappingKind)>>;

/// One published version, indexed.
#[derive(Debug)]
pub(crate) struct VersionIdx {
    pub(crate) id: i64,
    pub(crate) info: VersionInfo,
    /// In code order.
    pub(crate) items: Vec<Item>,
    /// `name_key` of each item's name, for search.
    folded: Vec<String>,
    by_code: HashMap<String, u32>,
    by_name: NameIndex,
    /// The crosswalk to a later version: index of that version in the
    /// catalog, and old code → new codes.
    next: Option<(usize, CrosswalkMap)>,
}

impl VersionIdx {
    fn new(id: i64, info: VersionInfo, mut items: Vec<Item>) -> Self {
        items.sort_by(|a, b| a.code.cmp(&b.code));
        let folded: Vec<String> = items.iter().map(|i| name_key(&i.name)).collect();
        let by_code = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.code.clone(), i as u32))
            .collect();
        let by_name = NameIndex::new(items.iter().map(|i| i.name.as_str()));
        Self {
            id,
            info,
            items,
            folded,
            by_code,
            by_name,
            next: None,
        }
    }

    /// The crosswalk to a later version: that version's position in the
    /// catalog, and old code → new codes.
    pub(crate) fn crosswalk(&self) -> Option<(usize, &CrosswalkMap)> {
        self.next.as_ref().map(|(to, map)| (*to, map))
    }

    /// The item with this code.
    pub(crate) fn get(&self, code: &str) -> Option<&Item> {
        self.by_code.get(code).map(|&i| &self.items[i as usize])
    }

    /// The code `value` stands for: itself if a code, else the one item
    /// whose name matches (ignoring case, accents, unit-type prefix).
    pub(crate) fn code_for(&self, value: &str) -> Option<&str> {
        let value = value.trim();
        if let Some(item) = self.get(value) {
            return Some(&item.code);
        }
        self.by_name
            .find(value)
            .map(|i| self.items[i].code.as_str())
    }

    /// Items whose folded name contains `query`'s and whose parent is
    /// `parent`, in code order.
    pub(crate) fn search<'a>(
        &'a self,
        query: Option<&str>,
        parent: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Item> + 'a {
        let needle = query.map(name_key).filter(|q| !q.is_empty());
        self.items
            .iter()
            .zip(&self.folded)
            .filter(move |(item, folded)| {
                parent.is_none_or(|p| item.parent.as_deref() == Some(p))
                    && needle.as_deref().is_none_or(|n| folded.contains(n))
            })
            .map(|(item, _)| item)
    }
}

/// One catalog's published versions, oldest first (none yet for a catalog
/// that was created but not filled).
#[derive(Debug)]
pub(crate) struct CatalogIdx {
    pub(crate) versions: Vec<VersionIdx>,
}

impl CatalogIdx {
    /// Position of the version that holds on `day`.
    fn position_on(&self, day: NaiveDate) -> Option<usize> {
        self.versions.iter().rposition(|v| v.info.holds_on(day))
    }

    /// The version that holds on `day`.
    pub(crate) fn version_on(&self, day: NaiveDate) -> Option<&VersionIdx> {
        self.position_on(day).map(|i| &self.versions[i])
    }

    /// The version with this label.
    pub(crate) fn version(&self, label: &str) -> Option<&VersionIdx> {
        self.versions.iter().find(|v| v.info.version == label)
    }

    /// Today's codes for `code` as it was on `as_of`, following crosswalks
    /// (or unchanged codes where a step has none) up to the version that
    /// holds on `today`.
    pub(crate) fn current_codes(
        &self,
        code: &str,
        as_of: NaiveDate,
        today: NaiveDate,
    ) -> Vec<(String, MappingKind)> {
        let Some(mut at) = self.position_on(as_of) else {
            return Vec::new();
        };
        if self.versions[at].get(code).is_none() {
            return Vec::new();
        }
        let mut codes: Vec<(String, MappingKind)> = vec![(code.to_owned(), MappingKind::Full)];
        let Some(target) = self.position_on(today) else {
            return codes;
        };
        while at < target {
            let here = &self.versions[at];
            let (to, map) = match &here.next {
                Some((to, map)) if *to > at && *to <= target => (*to, Some(map)),
                _ => (at + 1, None),
            };
            let there = &self.versions[to];
            let mut next: Vec<(String, MappingKind)> = Vec::new();
            for (c, kind) in &codes {
                match map.and_then(|m| m.get(c)) {
                    Some(targets) => {
                        for (n, k) in targets {
                            push_best(&mut next, n, kind.and(*k));
                        }
                    }
                    // No crosswalk row: the unit goes on unchanged if the
                    // next version still has its code.
                    None if there.get(c).is_some() => push_best(&mut next, c, *kind),
                    None => {}
                }
            }
            codes = next;
            at = to;
        }
        codes
    }
}

/// Adds `code` once; a full mapping wins over a partial one.
fn push_best(codes: &mut Vec<(String, MappingKind)>, code: &str, kind: MappingKind) {
    match codes.iter_mut().find(|(c, _)| c == code) {
        Some((_, k)) => {
            if kind == MappingKind::Full {
                *k = MappingKind::Full;
            }
        }
        None => codes.push((code.to_owned(), kind)),
    }
}

/// Every published catalog.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) catalogs: BTreeMap<String, CatalogIdx>,
}

impl Index {
    /// Builds the index from what the store holds.
    pub(crate) fn build(published: Published) -> Self {
        let mut catalogs: BTreeMap<String, CatalogIdx> = published
            .catalogs
            .into_iter()
            .map(|def| {
                (
                    def.code,
                    CatalogIdx {
                        versions: Vec::new(),
                    },
                )
            })
            .collect();
        let mut where_is: HashMap<i64, (String, usize)> = HashMap::new();
        for (stored, items) in published.versions {
            if let Some(cat) = catalogs.get_mut(&stored.info.catalog) {
                cat.versions
                    .push(VersionIdx::new(stored.id, stored.info, items));
            }
        }
        for (code, cat) in &mut catalogs {
            cat.versions.sort_by_key(|v| v.info.valid_from);
            for (i, v) in cat.versions.iter().enumerate() {
                where_is.insert(v.id, (code.clone(), i));
            }
        }
        for cw in published.crosswalks {
            let (Some((cat_from, from)), Some((cat_to, to))) =
                (where_is.get(&cw.from_version), where_is.get(&cw.to_version))
            else {
                continue;
            };
            if cat_from != cat_to || to <= from {
                continue;
            }
            let mut map = CrosswalkMap::new();
            for e in cw.entries {
                map.entry(e.old_code)
                    .or_default()
                    .push((e.new_code, e.mapping));
            }
            if let Some(cat) = catalogs.get_mut(cat_from) {
                // The crosswalk to the nearest later version wins.
                let slot = &mut cat.versions[*from].next;
                if slot.as_ref().is_none_or(|(t, _)| *to < *t) {
                    *slot = Some((*to, map));
                }
            }
        }
        Self { catalogs }
    }

    /// The catalog with this code.
    pub(crate) fn catalog(&self, code: &str) -> Option<&CatalogIdx> {
        self.catalogs.get(code)
    }

    /// The published version of `catalog` valid on `day`, or the error that
    /// says which of the two is missing.
    pub(crate) fn version_on(
        &self,
        catalog: &str,
        day: NaiveDate,
    ) -> Result<&VersionIdx, CatalogError> {
        self.catalog(catalog)
            .ok_or_else(|| CatalogError::UnknownCatalog(catalog.to_owned()))?
            .version_on(day)
            .ok_or_else(|| CatalogError::NoVersionOn {
                catalog: catalog.to_owned(),
                day,
            })
    }

    /// See [`crate::runtime::CatalogLookup::item`].
    pub(crate) fn lookup_item(
        &self,
        catalog: &str,
        code: &str,
        day: NaiveDate,
    ) -> Option<LookupItem> {
        let item = self.catalog(catalog)?.version_on(day)?.get(code.trim())?;
        Some(LookupItem {
            code: item.code.clone(),
            name: item.name.clone(),
            parent: item.parent.clone(),
            level: item.level.clone(),
        })
    }

    /// See [`crate::runtime::CatalogLookup::code_for`].
    pub(crate) fn code_for(&self, catalog: &str, value: &str, day: NaiveDate) -> Option<String> {
        self.catalog(catalog)?
            .version_on(day)?
            .code_for(value)
            .map(str::to_owned)
    }

    /// See [`crate::runtime::CatalogLookup::current_codes`].
    pub(crate) fn successors(
        &self,
        catalog: &str,
        code: &str,
        as_of: NaiveDate,
        today: NaiveDate,
    ) -> Vec<Successor> {
        let Some(cat) = self.catalog(catalog) else {
            return Vec::new();
        };
        let current = cat.version_on(today);
        cat.current_codes(code.trim(), as_of, today)
            .into_iter()
            .map(|(code, mapping)| Successor {
                name: current
                    .and_then(|v| v.get(&code))
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                code,
                mapping,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogs::store::{StoredCrosswalk, StoredVersion};
    use lgsp_catalogs::{CatalogDef, CrosswalkEntry, VersionStatus};

    fn item(code: &str, name: &str) -> Item {
        Item {
            code: code.into(),
            name: name.into(),
            parent: None,
            level: None,
            attributes: Default::default(),
        }
    }

    fn version(
        id: i64,
        label: &str,
        from: &str,
        to: Option<&str>,
        items: Vec<Item>,
    ) -> (StoredVersion, Vec<Item>) {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        (
            StoredVersion {
                id,
                info: VersionInfo {
                    catalog: "dvhc_xa".into(),
                    version: label.into(),
                    valid_from: day(from),
                    valid_to: to.map(day),
                    status: VersionStatus::Published,
                    items: items.len() as u64,
                    digest: String::new(),
                    source: "test".into(),
                },
            },
            items,
        )
    }

    fn index() -> Index {
        let def = CatalogDef {
            code: "dvhc_xa".into(),
            name: "xa".into(),
            owner_agency: "test".into(),
            description: String::new(),
            attributes: Vec::new(),
            parent_catalog: None,
        };
        let entry = |o: &str, n: &str, m| CrosswalkEntry {
            old_code: o.into(),
            new_code: n.into(),
            mapping: m,
        };
        Index::build(Published {
            catalogs: vec![def],
            versions: vec![
                version(
                    1,
                    "old",
                    "2020-01-01",
                    Some("2025-06-30"),
                    vec![
                        item("00001", "Phường Phúc Xá"),
                        item("00004", "Phường Trúc Bạch"),
                        item("00007", "Phường Cống Vị"),
                        item("00009", "Xã Tân Phú"),
                        item("00010", "Xã Tân Phú"),
                    ],
                ),
                version(
                    2,
                    "new",
                    "2025-07-01",
                    None,
                    vec![
                        item("00004", "Phường Ba Đình"),
                        item("00008", "Phường Ngọc Hà"),
                        item("00025", "Phường Giảng Võ"),
                        item("00097", "Phường Hồng Hà"),
                    ],
                ),
            ],
            crosswalks: vec![StoredCrosswalk {
                from_version: 1,
                to_version: 2,
                entries: vec![
                    entry("00001", "00097", MappingKind::Full),
                    entry("00004", "00004", MappingKind::Full),
                    entry("00007", "00008", MappingKind::Partial),
                    entry("00007", "00025", MappingKind::Partial),
                ],
            }],
        })
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_code_means_what_it_meant_on_the_date() {
        let idx = index();
        let today = day("2026-01-01");
        assert_eq!(
            idx.lookup_item("dvhc_xa", "00004", day("2024-06-01"))
                .map(|i| i.name),
            Some("Phường Trúc Bạch".into())
        );
        assert_eq!(
            idx.lookup_item("dvhc_xa", "00004", today).map(|i| i.name),
            Some("Phường Ba Đình".into())
        );
        assert_eq!(idx.lookup_item("dvhc_xa", "00001", today), None);
        assert_eq!(idx.lookup_item("dvhc_xa", "00001", day("2019-12-31")), None);
    }

    #[test]
    fn old_codes_follow_the_crosswalk_and_splits_give_every_target() {
        let idx = index();
        let today = day("2026-01-01");
        let codes = |c: &str, d: &str| {
            idx.successors("dvhc_xa", c, day(d), today)
                .into_iter()
                .map(|s| (s.code, s.mapping))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes("00001", "2024-06-01"),
            vec![("00097".into(), MappingKind::Full)]
        );
        assert_eq!(
            codes("00007", "2024-06-01"),
            vec![
                ("00008".into(), MappingKind::Partial),
                ("00025".into(), MappingKind::Partial)
            ]
        );
        // A current code as of today is itself.
        assert_eq!(
            codes("00008", "2026-01-01"),
            vec![("00008".into(), MappingKind::Full)]
        );
        // Unknown on that date.
        assert!(codes("00008", "2024-06-01").is_empty());
        assert!(
            idx.successors("nope", "00001", day("2024-06-01"), today)
                .is_empty()
        );
    }

    #[test]
    fn names_match_without_accents_or_unit_prefix_unless_ambiguous() {
        let idx = index();
        let today = day("2026-01-01");
        assert_eq!(
            idx.code_for("dvhc_xa", "phuong ba dinh", today).as_deref(),
            Some("00004")
        );
        assert_eq!(
            idx.code_for("dvhc_xa", "Ngọc Hà", today).as_deref(),
            Some("00008")
        );
        assert_eq!(
            idx.code_for("dvhc_xa", "00025", today).as_deref(),
            Some("00025")
        );
        let old = day("2024-01-01");
        assert_eq!(
            idx.code_for("dvhc_xa", "Tân Phú", old),
            None,
            "two communes share the name"
        );
        let cat = idx.catalog("dvhc_xa").expect("catalog");
        let hits: Vec<_> = cat
            .version_on(today)
            .expect("version")
            .search(Some("ha"), None)
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(hits, ["00008", "00097"]);
    }
}
