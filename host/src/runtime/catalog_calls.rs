//! The `catalogs` import: a connector's catalog lookups, answered from the
//! [`CatalogHandle`] the runtime was given. Input comes from an untrusted
//! guest, so oversized strings and impossible days are a miss, never a panic
//! and never a call into the catalog store.

use super::bindings::lgsp::connector::catalogs::{self as wit, Day};
use super::catalog_lookup::{CatalogHandle, LookupItem, MappingKind, Successor};
use super::store::StoreState;
use chrono::NaiveDate;
use datafusion::arrow::datatypes::Date32Type;

/// Longest catalog name, code or value looked up. Real ones are a few dozen
/// bytes; anything longer is a miss rather than work for the host.
const MAX_LOOKUP_BYTES: usize = 256;

/// The calendar day `day` days after 1970-01-01; `None` outside chrono's range.
/// A WIT `day` counts days like Arrow's `Date32`, so Arrow's conversion serves.
fn to_date(day: Day) -> Option<NaiveDate> {
    Date32Type::to_naive_date_opt(day)
}

/// Whether every string fits [`MAX_LOOKUP_BYTES`].
fn small(strings: &[&str]) -> bool {
    strings.iter().all(|s| s.len() <= MAX_LOOKUP_BYTES)
}

/// `Some(None)` for an absent day, `Some(Some(date))` for a valid one and
/// `None` for a day chrono cannot represent (which therefore matches nothing).
fn optional_date(day: Option<Day>) -> Option<Option<NaiveDate>> {
    match day {
        None => Some(None),
        Some(d) => to_date(d).map(Some),
    }
}

fn item_to_wit(item: LookupItem) -> wit::Item {
    wit::Item {
        code: item.code,
        name: item.name,
        parent: item.parent,
        level: item.level,
    }
}

fn successor_to_wit(s: Successor) -> wit::Successor {
    wit::Successor {
        code: s.code,
        name: s.name,
        mapping: match s.mapping {
            MappingKind::Full => wit::MappingKind::Full,
            MappingKind::Partial => wit::MappingKind::Partial,
        },
    }
}

/// The lookups behind the `catalogs` import, with the guards applied.
pub(crate) fn item(
    catalogs: &CatalogHandle,
    catalog: &str,
    code: &str,
    as_of: Option<Day>,
) -> Option<wit::Item> {
    if !small(&[catalog, code]) {
        return None;
    }
    let as_of = optional_date(as_of)?;
    catalogs.0.item(catalog, code, as_of).map(item_to_wit)
}

/// See [`item`].
pub(crate) fn code_for(
    catalogs: &CatalogHandle,
    catalog: &str,
    value: &str,
    as_of: Option<Day>,
) -> Option<String> {
    if !small(&[catalog, value]) {
        return None;
    }
    let as_of = optional_date(as_of)?;
    catalogs.0.code_for(catalog, value, as_of)
}

/// See [`item`].
pub(crate) fn current_codes(
    catalogs: &CatalogHandle,
    catalog: &str,
    code: &str,
    as_of: Day,
) -> Vec<wit::Successor> {
    if !small(&[catalog, code]) {
        return Vec::new();
    }
    let Some(as_of) = to_date(as_of) else {
        return Vec::new();
    };
    catalogs
        .0
        .current_codes(catalog, code, as_of)
        .into_iter()
        .map(successor_to_wit)
        .collect()
}

impl wit::Host for StoreState {
    fn lookup(&mut self, catalog: String, code: String, as_of: Option<Day>) -> Option<wit::Item> {
        item(self.catalogs(), &catalog, &code, as_of)
    }

    fn code_for(&mut self, catalog: String, value: String, as_of: Option<Day>) -> Option<String> {
        code_for(self.catalogs(), &catalog, &value, as_of)
    }

    fn current_codes(&mut self, catalog: String, code: String, as_of: Day) -> Vec<wit::Successor> {
        current_codes(self.catalogs(), &catalog, &code, as_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::CatalogLookup;
    use std::sync::{Arc, Mutex};

    /// Answers every lookup and records what it was asked.
    #[derive(Debug, Default)]
    struct Recording(Mutex<Vec<(String, String, Option<NaiveDate>)>>);

    impl Recording {
        fn note(&self, catalog: &str, code: &str, day: Option<NaiveDate>) {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((catalog.into(), code.into(), day));
        }
        fn calls(&self) -> usize {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .len()
        }
    }

    impl CatalogLookup for Recording {
        fn item(&self, catalog: &str, code: &str, as_of: Option<NaiveDate>) -> Option<LookupItem> {
            self.note(catalog, code, as_of);
            Some(LookupItem {
                code: code.into(),
                name: "Tên".into(),
                parent: Some("01".into()),
                level: None,
            })
        }
        fn code_for(&self, catalog: &str, value: &str, as_of: Option<NaiveDate>) -> Option<String> {
            self.note(catalog, value, as_of);
            Some(format!("code of {value}"))
        }
        fn current_codes(&self, catalog: &str, code: &str, as_of: NaiveDate) -> Vec<Successor> {
            self.note(catalog, code, Some(as_of));
            vec![Successor {
                code: "00008".into(),
                name: "Phường Ngọc Hà".into(),
                mapping: MappingKind::Partial,
            }]
        }
    }

    fn handle() -> (Arc<Recording>, CatalogHandle) {
        let rec = Arc::new(Recording::default());
        (rec.clone(), CatalogHandle(rec))
    }

    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn days_count_from_1970() {
        assert_eq!(to_date(0), ymd(1970, 1, 1));
        assert_eq!(to_date(-1), ymd(1969, 12, 31));
        // 2025-07-01, the day the reorganization took effect.
        assert_eq!(to_date(20_270), ymd(2025, 7, 1));
        assert_eq!(to_date(i32::MAX), None);
        assert_eq!(to_date(i32::MIN), None);
    }

    #[test]
    fn lookups_reach_the_catalogs_with_dates() {
        let (rec, h) = handle();
        let item = item(&h, "dvhc_tinh", "01", Some(20_270)).expect("item");
        assert_eq!(
            (item.code.as_str(), item.parent.as_deref()),
            ("01", Some("01"))
        );
        assert_eq!(
            code_for(&h, "gioi_tinh", "Nữ", None).as_deref(),
            Some("code of Nữ")
        );
        let next = current_codes(&h, "dvhc_xa", "00016", 20_000);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].code, "00008");
        assert!(matches!(next[0].mapping, wit::MappingKind::Partial));
        let seen = rec.0.lock().expect("lock").clone();
        assert_eq!(
            seen,
            vec![
                ("dvhc_tinh".into(), "01".into(), ymd(2025, 7, 1)),
                ("gioi_tinh".into(), "Nữ".into(), None),
                ("dvhc_xa".into(), "00016".into(), to_date(20_000)),
            ]
        );
    }

    #[test]
    fn hostile_input_misses_without_reaching_the_catalogs() {
        let (rec, h) = handle();
        let long = "9".repeat(MAX_LOOKUP_BYTES + 1);
        assert!(item(&h, &long, "01", None).is_none());
        assert!(item(&h, "dvhc_tinh", &long, None).is_none());
        assert!(code_for(&h, "dvhc_tinh", &long, None).is_none());
        assert!(current_codes(&h, &long, "01", 0).is_empty());
        assert!(item(&h, "dvhc_tinh", "01", Some(i32::MAX)).is_none());
        assert!(code_for(&h, "dvhc_tinh", "01", Some(i32::MIN)).is_none());
        assert!(current_codes(&h, "dvhc_tinh", "01", i32::MAX).is_empty());
        assert_eq!(rec.calls(), 0);
        // The limit itself is allowed.
        let edge = "9".repeat(MAX_LOOKUP_BYTES);
        assert!(item(&h, "dvhc_tinh", &edge, None).is_some());
        assert_eq!(rec.calls(), 1);
    }

    #[test]
    fn no_catalogs_misses_everything() {
        let h = CatalogHandle::default();
        assert!(item(&h, "dvhc_tinh", "01", None).is_none());
        assert!(code_for(&h, "gioi_tinh", "Nam", None).is_none());
        assert!(current_codes(&h, "dvhc_tinh", "02", 20_000).is_empty());
    }
}
