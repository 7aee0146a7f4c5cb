//! Catalog lookups in native builds, where there is no host: answered from the
//! lists `lgsp-catalogs` ships, with the host's matching rules, so that a
//! connector's unit tests exercise its real mappings.

use super::{
    Catalogs, Item, Mapping, PROVINCES_2008_FROM, PROVINCES_2008_TO, PROVINCES_2025_FROM, Successor,
};
use crate::date::Date;
use lgsp_catalogs::CodeList;
use std::cell::RefCell;
use std::rc::Rc;

/// The catalogs `lgsp-catalogs` ships: `dvhc_tinh` in two versions (the 63
/// provinces 2008-08-01 – 2025-06-30, whose crosswalk to the 34 provinces of
/// 2025-07-01 is full), and the single-version lists `gioi_tinh`, `dan_toc`,
/// `quoc_tich`, `loai_hinh_doanh_nghiep`, `trang_thai_doanh_nghiep`,
/// `loai_dat`, `loai_dong_bhxh` and `doi_tuong_bhyt`, valid on every date.
/// Any other catalog (`dvhc_xa` among them) is unknown: every lookup misses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shipped;

/// One version of a shipped catalog.
struct Version {
    list: &'static CodeList,
    from: Option<Date>,
    to: Option<Date>,
    level: Option<&'static str>,
    /// Whether each item's `extra` is its code in the next version.
    extra_is_successor: bool,
}

impl Version {
    fn always(list: &'static CodeList) -> Self {
        Self {
            list,
            from: None,
            to: None,
            level: None,
            extra_is_successor: false,
        }
    }

    fn holds_on(&self, day: Date) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t)
    }

    fn item(&self, code: &str) -> Option<Item> {
        self.list.get(code).map(|i| Item {
            code: i.code.clone(),
            name: i.name.clone(),
            parent: None,
            level: self.level.map(str::to_owned),
        })
    }

    /// The code `value` stands for, by code or by name, with the host's
    /// matching rules (see [`Catalogs::code_for`]).
    fn code_for(&self, value: &str) -> Option<String> {
        self.list.code_for(value).map(str::to_owned)
    }
}

/// The shipped versions of `catalog`, oldest first; empty when not shipped.
fn versions(catalog: &str) -> Vec<Version> {
    if catalog == "dvhc_tinh" {
        return vec![
            Version {
                list: lgsp_catalogs::provinces_2008(),
                from: Some(PROVINCES_2008_FROM),
                to: Some(PROVINCES_2008_TO),
                level: Some("tinh"),
                extra_is_successor: true,
            },
            Version {
                list: lgsp_catalogs::provinces_2025(),
                from: Some(PROVINCES_2025_FROM),
                to: None,
                level: Some("tinh"),
                extra_is_successor: false,
            },
        ];
    }
    [
        lgsp_catalogs::genders(),
        lgsp_catalogs::ethnic_groups(),
        lgsp_catalogs::nationalities(),
        lgsp_catalogs::business_types(),
        lgsp_catalogs::business_statuses(),
        lgsp_catalogs::land_use_types(),
        lgsp_catalogs::contribution_types(),
        lgsp_catalogs::health_card_beneficiaries(),
    ]
    .into_iter()
    .filter(|list| list.id() == catalog)
    .map(Version::always)
    .collect()
}

fn position_on(versions: &[Version], day: Date) -> Option<usize> {
    versions.iter().rposition(|v| v.holds_on(day))
}

impl Catalogs for Shipped {
    fn item(&self, catalog: &str, code: &str, as_of: Option<Date>) -> Option<Item> {
        let versions = versions(catalog);
        let at = position_on(&versions, as_of.unwrap_or_else(Date::today))?;
        versions[at].item(code.trim())
    }

    fn code_for(&self, catalog: &str, value: &str, as_of: Option<Date>) -> Option<String> {
        let versions = versions(catalog);
        let at = position_on(&versions, as_of.unwrap_or_else(Date::today))?;
        versions[at].code_for(value)
    }

    fn current_codes(&self, catalog: &str, code: &str, as_of: Date) -> Vec<Successor> {
        let versions = versions(catalog);
        let code = code.trim();
        let Some(mut at) = position_on(&versions, as_of) else {
            return Vec::new();
        };
        if versions[at].list.get(code).is_none() {
            return Vec::new();
        }
        let mut current = code.to_owned();
        let target = position_on(&versions, Date::today()).unwrap_or(at);
        while at < target {
            let here = &versions[at];
            let next = if here.extra_is_successor {
                here.list.get(&current).and_then(|i| i.extra.clone())
            } else {
                Some(current.clone())
            };
            match next.filter(|c| versions[at + 1].list.get(c).is_some()) {
                Some(c) => current = c,
                None => return Vec::new(),
            }
            at += 1;
        }
        let name = versions[at]
            .list
            .get(&current)
            .map(|i| i.name.clone())
            .unwrap_or_default();
        vec![Successor {
            code: current,
            name,
            // Every shipped crosswalk step (province mergers) is full.
            mapping: Mapping::Full,
        }]
    }
}

thread_local! {
    /// The catalogs a test installed on this thread, if any.
    static INSTALLED: RefCell<Option<Rc<dyn Catalogs>>> = const { RefCell::new(None) };
}

/// Runs `f` against the installed catalogs, else [`Shipped`].
pub(super) fn active<R>(f: impl FnOnce(&dyn Catalogs) -> R) -> R {
    // Cloned out, so that `f` may itself install catalogs.
    let installed = INSTALLED.with(|c| c.borrow().clone());
    match installed {
        Some(c) => f(&*c),
        None => f(&Shipped),
    }
}

/// Restores the previously installed catalogs, even when the test panics.
struct Restore(Option<Rc<dyn Catalogs>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        INSTALLED.with(|c| *c.borrow_mut() = previous);
    }
}

/// See [`crate::testing::with_catalogs`].
pub(crate) fn with_catalogs<R>(catalogs: impl Catalogs + 'static, f: impl FnOnce() -> R) -> R {
    let previous = INSTALLED.with(|c| c.borrow_mut().replace(Rc::new(catalogs)));
    let _restore = Restore(previous);
    f()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogs::{
        CurrentCode, NotInCatalog, code_for, current_code, current_codes, item, map_recorded,
        map_value,
    };

    fn ymd(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).expect("valid date")
    }

    #[test]
    fn version_boundaries_are_the_official_dates() {
        assert_eq!(PROVINCES_2008_FROM, ymd(2008, 8, 1));
        assert_eq!(PROVINCES_2008_TO, ymd(2025, 6, 30));
        assert_eq!(PROVINCES_2025_FROM, ymd(2025, 7, 1));
    }

    #[test]
    fn names_match_like_the_host() {
        let code = |c: &str, v: &str| code_for(c, v, None);
        assert_eq!(code("gioi_tinh", "Nữ").as_deref(), Some("2"));
        assert_eq!(code("gioi_tinh", " NAM ").as_deref(), Some("1"));
        assert_eq!(code("gioi_tinh", "2").as_deref(), Some("2"));
        assert_eq!(code("dan_toc", "kinh").as_deref(), Some("01"));
        assert_eq!(code("quoc_tich", "Viet Nam").as_deref(), Some("VN"));
        assert_eq!(code("dvhc_tinh", "Thành phố Hà Nội").as_deref(), Some("01"));
        assert_eq!(code("dvhc_tinh", "Hà  Nội").as_deref(), Some("01"));
        assert_eq!(code("dvhc_tinh", "TP Hà Nội").as_deref(), Some("01"));
        assert_eq!(code("dvhc_tinh", "tỉnh tuyên quang").as_deref(), Some("08"));
        assert_eq!(
            code("loai_dat", "dat thuong mai, dich vu").as_deref(),
            Some("TMD")
        );
        assert_eq!(code("dan_toc", "Atlantean"), None);
        assert_eq!(code("dvhc_xa", "Phường Ba Đình"), None, "not shipped");
        assert_eq!(code("khong_co", "1"), None);
    }

    #[test]
    fn a_province_code_means_what_it_meant_on_the_date() {
        let before = ymd(2025, 6, 30);
        assert_eq!(
            item("dvhc_tinh", "02", Some(before)).map(|i| i.name),
            Some("Tỉnh Hà Giang".into())
        );
        assert_eq!(item("dvhc_tinh", "02", None), None, "gone since 2025-07-01");
        assert_eq!(
            item("dvhc_tinh", "01", Some(ymd(2000, 1, 1))),
            None,
            "no list"
        );
        assert_eq!(
            code_for("dvhc_tinh", "Hà Giang", Some(before)).as_deref(),
            Some("02")
        );
        assert_eq!(code_for("dvhc_tinh", "Hà Giang", None), None);
    }

    #[test]
    fn old_province_codes_lead_to_todays() {
        let before = ymd(2020, 1, 1);
        let s = current_codes("dvhc_tinh", "02", before);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].code.as_str(), s[0].mapping), ("08", Mapping::Full));
        assert_eq!(s[0].name, "Tỉnh Tuyên Quang");
        assert_eq!(
            current_code("dvhc_tinh", "30", before),
            CurrentCode::One("31".into())
        );
        assert_eq!(
            current_code("dvhc_tinh", "01", Date::today()),
            CurrentCode::One("01".into())
        );
        assert_eq!(
            current_code("dvhc_tinh", "02", Date::today()),
            CurrentCode::Unknown
        );
        assert_eq!(
            current_code("dvhc_tinh", "99", before),
            CurrentCode::Unknown
        );
        assert_eq!(
            current_code("gioi_tinh", "1", before),
            CurrentCode::One("1".into())
        );
        assert_eq!(
            current_code("dvhc_xa", "00004", before),
            CurrentCode::Unknown
        );
    }

    /// Knows one commune split, and nothing else.
    struct OneSplit;

    impl Catalogs for OneSplit {
        fn item(&self, _: &str, _: &str, _: Option<Date>) -> Option<Item> {
            None
        }
        fn code_for(&self, _: &str, _: &str, _: Option<Date>) -> Option<String> {
            None
        }
        fn current_codes(&self, catalog: &str, code: &str, _: Date) -> Vec<Successor> {
            if catalog != "dvhc_xa" || code != "00016" {
                return Vec::new();
            }
            ["00004", "00008"]
                .map(|c| Successor {
                    code: c.into(),
                    name: String::new(),
                    mapping: Mapping::Partial,
                })
                .into()
        }
    }

    #[test]
    fn record_values_map_to_codes_or_null() {
        assert_eq!(map_value("gioi_tinh", Some(" Nữ ")), Ok(Some("2".into())));
        assert_eq!(map_value("gioi_tinh", Some("  ")), Ok(None));
        assert_eq!(map_value("gioi_tinh", None), Ok(None));
        assert_eq!(map_value("gioi_tinh", Some("Khác")), Err(NotInCatalog));
        let before = ymd(2020, 1, 1);
        assert_eq!(
            map_recorded("dvhc_tinh", Some("02"), before),
            Ok(Some("08".into()))
        );
        assert_eq!(map_recorded("dvhc_tinh", Some(" "), before), Ok(None));
        assert_eq!(
            map_recorded("dvhc_tinh", Some("99"), before),
            Err(NotInCatalog)
        );
        let split = crate::testing::with_catalogs(OneSplit, || {
            map_recorded("dvhc_xa", Some("00016"), before)
        });
        assert_eq!(split, Ok(None), "split: the code alone cannot tell");
    }

    #[test]
    fn tests_can_install_their_own_catalogs() {
        let day = ymd(2025, 3, 1);
        let inside = crate::testing::with_catalogs(OneSplit, || {
            (
                current_code("dvhc_xa", "00016", day),
                code_for("gioi_tinh", "Nam", None),
            )
        });
        assert!(matches!(inside.0, CurrentCode::Split(ref s) if s.len() == 2));
        assert_eq!(inside.1, None, "the installed catalogs answer alone");
        // Uninstalled afterwards, even after a panic inside.
        assert_eq!(code_for("gioi_tinh", "Nam", None).as_deref(), Some("1"));
        let panicked = std::panic::catch_unwind(|| {
            crate::testing::with_catalogs(OneSplit, || panic!("inside"))
        });
        assert!(panicked.is_err());
        assert_eq!(current_code("dvhc_xa", "00016", day), CurrentCode::Unknown);
    }
}
