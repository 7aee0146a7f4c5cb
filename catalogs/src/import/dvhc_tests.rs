//! The importers against the official 2025 files in `../shared/data/dvhc/`.

use super::{parse_crosswalk, parse_items};
use crate::{
    CrosswalkFormat, ItemFormat, MappingKind, ParsedItem, ProblemKind, UnitLevel, provinces_2008,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

fn read(file: &str) -> String {
    let path = format!(
        "{}/../../shared/data/dvhc/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("CI provides {path}: {e}"))
}

fn items(format: ItemFormat, file: &str, level: UnitLevel) -> Vec<ParsedItem> {
    parse_items(format, &read(file), level)
        .unwrap_or_else(|problems| panic!("{file}: {:?}", &problems[..problems.len().min(5)]))
}

fn parents(items: &[ParsedItem]) -> HashSet<&str> {
    items
        .iter()
        .filter_map(|i| i.item.parent.as_deref())
        .collect()
}

/// (old, new) → kind.
type Walk = BTreeMap<(String, String), MappingKind>;

fn crosswalk(file: &str, level: UnitLevel) -> (Walk, usize) {
    let read = parse_crosswalk(CrosswalkFormat::Json, &read(file), level)
        .unwrap_or_else(|problems| panic!("{file}: {:?}", &problems[..problems.len().min(5)]));
    let rows = read.entries.len();
    let walk: Walk = read
        .entries
        .into_iter()
        .map(|e| ((e.entry.old_code, e.entry.new_code), e.entry.mapping))
        .collect();
    assert_eq!(walk.len(), rows, "{file}: no (old, new) pair twice");
    (walk, read.skipped.len())
}

#[test]
fn the_1027_table_holds_3321_communes_in_34_provinces() {
    let communes = items(ItemFormat::Gso, "1027_CTK-CSCL.md", UnitLevel::Commune);
    assert_eq!(communes.len(), 3321);
    assert_eq!(parents(&communes).len(), 34);
    assert!(
        communes
            .iter()
            .all(|c| c.item.level.as_deref() == Some("xa"))
    );
    // The parents found by province name are the ones dvhcvn lists them under.
    let from_json = items(ItemFormat::Json, "merges.json", UnitLevel::Commune);
    let by_code = |items: &[ParsedItem]| -> BTreeMap<String, Option<String>> {
        items
            .iter()
            .map(|i| (i.item.code.clone(), i.item.parent.clone()))
            .collect()
    };
    assert_eq!(by_code(&communes), by_code(&from_json));
}

#[test]
fn the_915_list_holds_34_provinces() {
    let provinces = items(ItemFormat::Gso, "915_CTK-CSCL.csv", UnitLevel::Province);
    assert_eq!(provinces.len(), 34);
    assert!(provinces.iter().all(|p| p.item.parent.is_none()));
    assert_eq!(provinces[0].item.code, "01");
    assert_eq!(provinces[0].item.name, "Thành phố Hà Nội");
    assert_eq!(provinces[0].at, crate::Location::Line(2));
}

#[test]
fn merges_json_holds_the_new_units() {
    let provinces = items(ItemFormat::Json, "merges.json", UnitLevel::Province);
    assert_eq!(provinces.len(), 34);
    assert!(
        provinces
            .iter()
            .all(|p| p.item.level.as_deref() == Some("tinh"))
    );
    let communes = items(ItemFormat::Json, "merges.json", UnitLevel::Commune);
    assert_eq!(communes.len(), 3321);
    let codes: HashSet<&str> = provinces.iter().map(|p| p.item.code.as_str()).collect();
    assert_eq!(parents(&communes), codes);
    assert_eq!(
        communes[0].at,
        crate::Location::Record("data[0].level2s[0]".into())
    );
}

#[test]
fn splits_json_holds_the_old_units_without_the_island_districts() {
    let provinces = items(ItemFormat::Json, "splits.json", UnitLevel::Province);
    assert_eq!(provinces.len(), 63);
    let communes = items(ItemFormat::Json, "splits.json", UnitLevel::Commune);
    assert_eq!(communes.len(), 10_047);
    assert!(communes.iter().all(|c| c.item.code.len() == 5));
    assert_eq!(parents(&communes).len(), 63);
}

#[test]
fn the_commune_crosswalk_covers_every_old_commune() {
    let (merges, skipped) = crosswalk("merges.json", UnitLevel::Commune);
    // The five island districts (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn,
    // Côn Đảo) that became special zones.
    assert_eq!(skipped, 5);
    let old_communes: BTreeSet<String> = items(ItemFormat::Json, "splits.json", UnitLevel::Commune)
        .into_iter()
        .map(|c| c.item.code)
        .collect();
    let old_codes: BTreeSet<String> = merges.keys().map(|(old, _)| old.clone()).collect();
    assert_eq!(old_codes.len(), 10_047);
    assert_eq!(old_codes, old_communes);
    let new_communes: BTreeSet<String> = items(ItemFormat::Json, "merges.json", UnitLevel::Commune)
        .into_iter()
        .map(|c| c.item.code)
        .collect();
    let new_codes: BTreeSet<String> = merges.keys().map(|(_, new)| new.clone()).collect();
    // Every new commune takes in at least one old one, except the five
    // special zones made from a district alone.
    assert_eq!(new_communes.difference(&new_codes).count(), 5);
}

#[test]
fn splits_json_and_merges_json_tell_the_same_crosswalk() {
    let (merges, _) = crosswalk("merges.json", UnitLevel::Commune);
    let (splits, skipped) = crosswalk("splits.json", UnitLevel::Commune);
    assert_eq!(skipped, 5);
    // Same (old, new) pairs, and the kind inferred from splits.json (one
    // target: full, several: partial) is the kind merges.json states, on
    // every one of the 10,599 rows.
    assert_eq!(splits, merges);
    assert_eq!(merges.len(), 10_599);
    let partial = merges
        .values()
        .filter(|k| **k == MappingKind::Partial)
        .count();
    assert_eq!(partial, 1_012);
    let mut targets: HashMap<&str, usize> = HashMap::new();
    for (old, _) in merges.keys() {
        *targets.entry(old).or_default() += 1;
    }
    assert_eq!(targets.values().filter(|n| **n > 1).count(), 460);
}

#[test]
fn the_province_crosswalk_maps_63_provinces_to_34() {
    let (merges, skipped) = crosswalk("merges.json", UnitLevel::Province);
    let (splits, _) = crosswalk("splits.json", UnitLevel::Province);
    assert_eq!(skipped, 0);
    assert_eq!(splits, merges);
    let old: HashSet<&str> = merges.keys().map(|(old, _)| old.as_str()).collect();
    assert_eq!(old.len(), 63);
    let new: HashSet<&str> = merges.keys().map(|(_, new)| new.as_str()).collect();
    assert_eq!(new.len(), 34);
    // The shipped list of the 63 provinces names the same successors.
    for ((old, new), kind) in &merges {
        assert_eq!(*kind, MappingKind::Full, "{old}");
        let shipped = provinces_2008().get(old).and_then(|p| p.extra.as_deref());
        assert_eq!(shipped, Some(new.as_str()), "{old}");
    }
}

#[test]
fn skipped_districts_say_why() {
    let read = parse_crosswalk(
        CrosswalkFormat::Json,
        &read("merges.json"),
        UnitLevel::Commune,
    )
    .expect("valid");
    let first = &read.skipped[0];
    assert_eq!(first.kind, ProblemKind::UnknownCode);
    assert!(first.message.contains("318"), "{first}");
    assert!(first.message.contains("district"), "{first}");
    assert!(
        matches!(&first.at, Some(crate::Location::Record(p)) if p.contains(".merges[")),
        "{first}"
    );
}
