//! Upstream values → LGSP's normalized model: codes from the shared catalogs,
//! dates as `DATE`, 2025 administrative codes.
//!
//! Every mapping goes through the platform's catalogs
//! ([`lgsp_guest::catalogs`]), so this connector maps values exactly as the
//! others do; only the upstream's own spellings are read here.

use lgsp_guest::catalogs::{self, NotInCatalog};
use lgsp_guest::{Date, Error, Result};

/// `dd/mm/yyyy` → date.
pub(crate) fn date(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    match present(value) {
        None => Ok(None),
        Some(v) => Date::parse_dmy(v).map(Some).ok_or_else(|| {
            Error::upstream_error(format!("the upstream sent an unreadable date in {field}"))
        }),
    }
}

/// "Nam"/"Nữ" (or a code) → `gioi_tinh` code.
pub(crate) fn gender(value: Option<&str>) -> Result<Option<String>> {
    code_or_name("gioi_tinh", "gioiTinh", value)
}

/// Ethnic group name (or code) → `dan_toc` code.
pub(crate) fn ethnicity(value: Option<&str>) -> Result<Option<String>> {
    code_or_name("dan_toc", "danToc", value)
}

/// Nationality name (or ISO code) → ISO 3166-1 alpha-2.
pub(crate) fn nationality(value: Option<&str>) -> Result<Option<String>> {
    code_or_name("quoc_tich", "quocTich", value)
}

/// A province code as the record held it on `as_of` → today's code.
pub(crate) fn province(field: &str, value: Option<&str>, as_of: Date) -> Result<Option<String>> {
    current("dvhc_tinh", field, value, as_of)
}

/// A commune code as the record held it on `as_of` → today's code, or NULL
/// when that commune was split: the code alone cannot tell which of the new
/// communes the address lies in.
pub(crate) fn commune(field: &str, value: Option<&str>, as_of: Date) -> Result<Option<String>> {
    current("dvhc_xa", field, value, as_of)
}

/// The date a record's codes are read as of: its last update, else today.
pub(crate) fn as_of(updated: Option<Date>) -> Date {
    updated.unwrap_or_else(Date::today)
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn not_in(field: &str, catalog: &str) -> Error {
    Error::upstream_error(format!(
        "the upstream sent a {field} value that is not in the {catalog} catalog"
    ))
}

fn code_or_name(catalog: &str, field: &str, value: Option<&str>) -> Result<Option<String>> {
    catalogs::map_value(catalog, value).map_err(|NotInCatalog| not_in(field, catalog))
}

fn current(catalog: &str, field: &str, value: Option<&str>, as_of: Date) -> Result<Option<String>> {
    catalogs::map_recorded(catalog, value, as_of).map_err(|NotInCatalog| not_in(field, catalog))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use lgsp_guest::catalogs::{Catalogs, Item, Mapping, Shipped, Successor};

    pub(crate) fn ymd(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).expect("valid date")
    }

    /// The shipped catalogs plus a few communes of Hà Nội before and after
    /// 2025-07-01 (codes and splits as in the official crosswalk).
    pub(crate) struct WithCommunes;

    impl Catalogs for WithCommunes {
        fn item(&self, catalog: &str, code: &str, as_of: Option<Date>) -> Option<Item> {
            Shipped.item(catalog, code, as_of)
        }

        fn code_for(&self, catalog: &str, value: &str, as_of: Option<Date>) -> Option<String> {
            Shipped.code_for(catalog, value, as_of)
        }

        fn current_codes(&self, catalog: &str, code: &str, as_of: Date) -> Vec<Successor> {
            if catalog != "dvhc_xa" {
                return Shipped.current_codes(catalog, code, as_of);
            }
            let to = |codes: &[&str], mapping| -> Vec<Successor> {
                codes
                    .iter()
                    .map(|c| Successor {
                        code: (*c).into(),
                        name: String::new(),
                        mapping,
                    })
                    .collect()
            };
            let before = as_of < ymd(2025, 7, 1);
            match (code, before) {
                // Phúc Xá went whole into Hồng Hà.
                ("00001", true) => to(&["00097"], Mapping::Full),
                // Trúc Bạch went whole into Ba Đình, which took its code.
                ("00004", true) => to(&["00004"], Mapping::Full),
                // Ngọc Hà was split between Ba Đình and Ngọc Hà.
                ("00016", true) => to(&["00004", "00008"], Mapping::Partial),
                ("00004" | "00008" | "00097", false) => to(&[code], Mapping::Full),
                _ => Vec::new(),
            }
        }
    }

    #[test]
    fn maps_names_to_codes() {
        assert_eq!(gender(Some("Nữ")).ok().flatten().as_deref(), Some("2"));
        assert_eq!(gender(Some("1")).ok().flatten().as_deref(), Some("1"));
        assert_eq!(
            ethnicity(Some("Kinh")).ok().flatten().as_deref(),
            Some("01")
        );
        assert_eq!(
            ethnicity(Some("mông")).ok().flatten().as_deref(),
            Some("08")
        );
        assert_eq!(
            nationality(Some("Việt Nam")).ok().flatten().as_deref(),
            Some("VN")
        );
        let unknown = ethnicity(Some("Atlantean")).expect_err("not an ethnic group");
        assert_eq!(
            unknown.message(),
            "the upstream sent a danToc value that is not in the dan_toc catalog"
        );
        assert_eq!(ethnicity(None).ok().flatten(), None);
    }

    #[test]
    fn maps_province_codes_as_of_the_record_date() {
        let old = ymd(2024, 3, 9);
        let today = Date::today();
        let p = |code, day| province("thuongTru.maTinh", Some(code), day);
        assert_eq!(p("02", old).ok().flatten().as_deref(), Some("08"));
        assert_eq!(p("01", old).ok().flatten().as_deref(), Some("01"));
        assert_eq!(p("08", today).ok().flatten().as_deref(), Some("08"));
        let gone = p("02", today).expect_err("02 is no code since 2025-07-01");
        assert_eq!(
            gone.message(),
            "the upstream sent a thuongTru.maTinh value that is not in the dvhc_tinh catalog"
        );
        assert!(p("99", old).is_err());
        assert_eq!(province("x", None, old).ok().flatten(), None);
    }

    #[test]
    fn maps_commune_codes_and_splits_become_null() {
        lgsp_guest::testing::with_catalogs(WithCommunes, || {
            let old = ymd(2025, 3, 1);
            let c = |code, day| commune("thuongTru.maXa", Some(code), day);
            assert_eq!(c("00001", old).ok().flatten().as_deref(), Some("00097"));
            assert_eq!(c("00004", old).ok().flatten().as_deref(), Some("00004"));
            assert_eq!(c("00016", old).ok(), Some(None), "split: cannot tell");
            assert_eq!(
                c("00008", ymd(2025, 9, 1)).ok().flatten().as_deref(),
                Some("00008")
            );
            let unknown = c("00008", old).expect_err("00008 was no code before");
            assert_eq!(
                unknown.message(),
                "the upstream sent a thuongTru.maXa value that is not in the dvhc_xa catalog"
            );
        });
    }

    #[test]
    fn parses_dates() {
        assert_eq!(
            date("ngaySinh", Some("15/03/1985")).ok().flatten(),
            Date::from_ymd(1985, 3, 15)
        );
        assert!(date("ngaySinh", Some("1985-03-15")).is_err());
        assert_eq!(as_of(Some(ymd(2024, 1, 2))), ymd(2024, 1, 2));
        assert_eq!(as_of(None), Date::today());
    }
}
