//! Shared code lists (danh mục dùng chung) shipped with LGSP, and a reader for the
//! official GSO commune list.
//!
//! The lists are small, written by the project from public facts (see `README.md`),
//! embedded in the binary and parsed once on first use.

mod code_list;
pub mod export;
mod gso;
pub mod ids;
pub mod import;
mod model;
mod text;

pub use code_list::{CodeList, Item as ListItem};
pub use gso::{Commune, GsoParseError, parse_gso_communes};
pub use model::{
    CatalogDef, CrosswalkEntry, CrosswalkFormat, Item, ItemFormat, Location, MappingKind,
    ParsedEntry, ParsedItem, Problem, ProblemKind, UnitLevel, VersionInfo, VersionStatus,
};
pub use text::{NameIndex, fold, name_key, strip_unit_prefix};

use std::sync::OnceLock;

macro_rules! embedded_list {
    ($fn_name:ident, $id:literal, $title:literal, $file:literal) => {
        #[doc = concat!("The `", $id, "` catalog: ", $title, ".")]
        pub fn $fn_name() -> &'static CodeList {
            static LIST: OnceLock<CodeList> = OnceLock::new();
            LIST.get_or_init(|| {
                CodeList::parse_embedded($id, $title, include_str!(concat!("../data/", $file)))
            })
        }
    };
}

embedded_list!(
    provinces_2025,
    "dvhc_tinh",
    "provinces and centrally-run cities from 2025-07-01 (34)",
    "dvhc_tinh_2025.csv"
);
embedded_list!(
    provinces_2008,
    "dvhc_tinh_2008",
    "provinces 2008-08-01 to 2025-06-30 (63); `extra` is the code from 2025-07-01",
    "dvhc_tinh_2008.csv"
);
embedded_list!(genders, "gioi_tinh", "gender", "gioi_tinh.csv");
embedded_list!(
    ethnic_groups,
    "dan_toc",
    "the 54 ethnic groups",
    "dan_toc.csv"
);
embedded_list!(
    nationalities,
    "quoc_tich",
    "nationalities (ISO 3166-1 alpha-2)",
    "quoc_tich.csv"
);
embedded_list!(
    business_types,
    "loai_hinh_doanh_nghiep",
    "business types under the Law on Enterprises 2020",
    "loai_hinh_doanh_nghiep.csv"
);
embedded_list!(
    business_statuses,
    "trang_thai_doanh_nghiep",
    "legal status of a business",
    "trang_thai_doanh_nghiep.csv"
);
embedded_list!(
    land_use_types,
    "loai_dat",
    "land-use types (Thông tư 08/2024/TT-BTNMT)",
    "loai_dat.csv"
);
embedded_list!(
    contribution_types,
    "loai_dong_bhxh",
    "kinds of social insurance contribution",
    "loai_dong_bhxh.csv"
);
embedded_list!(
    health_card_beneficiaries,
    "doi_tuong_bhyt",
    "health-insurance beneficiary groups (mã đối tượng on the card); `extra` is the usual benefit level 1-5",
    "doi_tuong_bhyt.csv"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_have_the_official_sizes() {
        assert_eq!(provinces_2025().len(), 34);
        assert_eq!(provinces_2008().len(), 63);
        assert_eq!(ethnic_groups().len(), 54);
        assert_eq!(genders().len(), 2);
        assert!(nationalities().get("VN").is_some());
    }

    #[test]
    fn every_old_province_maps_to_a_current_one() {
        for old in provinces_2008().items() {
            let new = old.extra.as_deref().expect("successor code");
            assert!(
                provinces_2025().get(new).is_some(),
                "{} maps to unknown {new}",
                old.code
            );
        }
        // GUIDE §3: merged provinces reuse one of the old codes.
        assert_eq!(
            provinces_2008().get("02").and_then(|p| p.extra.as_deref()),
            Some("08")
        );
        assert_eq!(
            provinces_2008().get("30").and_then(|p| p.extra.as_deref()),
            Some("31")
        );
        assert_eq!(
            provinces_2008().get("27").and_then(|p| p.extra.as_deref()),
            Some("24")
        );
        assert_eq!(
            provinces_2008().get("62").and_then(|p| p.extra.as_deref()),
            Some("51")
        );
    }

    #[test]
    fn values_map_to_codes_the_same_way_everywhere() {
        assert_eq!(genders().code_for("Nữ"), Some("2"));
        assert_eq!(genders().code_for(" nam "), Some("1"));
        assert_eq!(genders().code_for("1"), Some("1"));
        assert_eq!(ethnic_groups().code_for("Atlantean"), None);
    }

    #[test]
    fn codes_are_two_digit_and_unique() {
        for list in [provinces_2025(), provinces_2008(), ethnic_groups()] {
            let mut seen = std::collections::HashSet::new();
            for item in list.items() {
                assert_eq!(item.code.len(), 2, "{}", item.code);
                assert!(seen.insert(item.code.clone()), "duplicate {}", item.code);
            }
        }
    }

    /// The shipped province list agrees with the official GSO file (CTK 915/2025).
    #[test]
    fn provinces_match_the_official_2025_list() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/dvhc/915_CTK-CSCL.csv"
        );
        let text = std::fs::read_to_string(path).expect("CI provides ../shared/data");
        let mut official: Vec<String> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1).map(str::to_owned))
            .collect();
        official.sort();
        let mut ours: Vec<String> = provinces_2025()
            .items()
            .iter()
            .map(|i| i.code.clone())
            .collect();
        ours.sort();
        assert_eq!(ours, official);
    }
}
