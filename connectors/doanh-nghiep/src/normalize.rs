//! Registry values → LGSP's normalized model: catalog codes from names, 2025
//! province codes, dates as `DATE`, amounts as integers.
//!
//! Every mapping goes through the platform's catalogs
//! ([`lgsp_guest::catalogs`]), so this connector maps values exactly as the
//! others do; only the registry's own spellings are read here.

use lgsp_guest::catalogs::{
    self, NotInCatalog, PROVINCES_2008_FROM, PROVINCES_2008_TO, PROVINCES_2025_FROM,
};
use lgsp_guest::{Date, Error, Result};

/// `yyyy-mm-dd` → date.
pub(crate) fn date(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    match present(value) {
        None => Ok(None),
        Some(v) => Date::parse_iso(v).map(Some).ok_or_else(|| {
            Error::upstream_error(format!("the registry sent an unreadable date in {field}"))
        }),
    }
}

/// Business type name (e.g. `Công ty cổ phần`) → `loai_hinh_doanh_nghiep` code.
pub(crate) fn business_type(value: Option<&str>) -> Result<Option<String>> {
    by_name("loai_hinh_doanh_nghiep", "loaiHinhDN", value)
}

/// Status name (e.g. `Đang hoạt động`) → `trang_thai_doanh_nghiep` code.
pub(crate) fn status(value: Option<&str>) -> Result<Option<String>> {
    by_name("trang_thai_doanh_nghiep", "tinhTrangHoatDong", value)
}

/// Today's province code from the registry's head-office record: `maTinh`
/// (a 2025 code, for businesses registered from 2025-07-01, read as of the
/// registration) or `maTinhCu` (the pre-2025 code, read as of the
/// registration within the years the 63-province list was in force, and
/// mapped to its successor). The registry re-coded its records when Hà Tây
/// joined Hà Nội (2008-08-01) but not in 2025, so `maTinhCu` always holds a
/// code of the list in force between these two days.
pub(crate) fn province(
    ma_tinh: Option<&str>,
    ma_tinh_cu: Option<&str>,
    registered: Option<Date>,
) -> Result<Option<String>> {
    if let Some(code) = present(ma_tinh) {
        let as_of = registered
            .unwrap_or_else(Date::today)
            .max(PROVINCES_2025_FROM);
        return current_province("maTinh", code, as_of);
    }
    let Some(old) = present(ma_tinh_cu) else {
        return Ok(None);
    };
    let as_of = registered
        .unwrap_or(PROVINCES_2008_TO)
        .clamp(PROVINCES_2008_FROM, PROVINCES_2008_TO);
    current_province("maTinhCu", old, as_of)
}

/// A province code as of `as_of` → today's; exactly one is expected, since
/// every province merged whole.
fn current_province(field: &str, code: &str, as_of: Date) -> Result<Option<String>> {
    catalogs::map_recorded("dvhc_tinh", Some(code), as_of)
        .map_err(|NotInCatalog| not_in(field, "dvhc_tinh"))
}

fn not_in(field: &str, catalog: &str) -> Error {
    Error::upstream_error(format!(
        "the registry sent a {field} value that is not in the {catalog} catalog"
    ))
}

fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// `"1.500.000.000"` → 1500000000 (VND; the registry prints dots between
/// thousands and never decimals).
pub(crate) fn amount(field: &str, value: Option<&str>) -> Result<Option<i128>> {
    let Some(v) = present(value) else {
        return Ok(None);
    };
    let unreadable =
        || Error::upstream_error(format!("the registry sent an unreadable amount in {field}"));
    let groups: Vec<&str> = v.split('.').collect();
    let well_grouped = groups.iter().enumerate().all(|(i, g)| {
        !g.is_empty()
            && g.bytes().all(|b| b.is_ascii_digit())
            && if i == 0 {
                g.len() <= 3 || groups.len() == 1
            } else {
                g.len() == 3
            }
    });
    if !well_grouped || v.len() > 30 {
        return Err(unreadable());
    }
    groups
        .concat()
        .parse::<i128>()
        .map(Some)
        .map_err(|_| unreadable())
}

fn by_name(catalog: &str, field: &str, value: Option<&str>) -> Result<Option<String>> {
    catalogs::map_value(catalog, value).map_err(|NotInCatalog| not_in(field, catalog))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_names_to_codes() {
        assert_eq!(
            business_type(Some("Công ty cổ phần"))
                .ok()
                .flatten()
                .as_deref(),
            Some("04")
        );
        assert_eq!(
            business_type(Some("CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN"))
                .ok()
                .flatten()
                .as_deref(),
            Some("02")
        );
        assert_eq!(
            status(Some("Đang hoạt động")).ok().flatten().as_deref(),
            Some("01")
        );
        assert_eq!(
            status(Some("Đã giải thể")).ok().flatten().as_deref(),
            Some("04")
        );
        let unknown = status(Some("Đang ngủ đông")).expect_err("no such status");
        assert_eq!(
            unknown.message(),
            "the registry sent a tinhTrangHoatDong value that is not in the \
             trang_thai_doanh_nghiep catalog"
        );
        assert_eq!(status(None).ok().flatten(), None);
    }

    #[test]
    fn maps_old_province_codes() {
        let p = |new, old, registered| province(new, old, registered).ok().flatten();
        let in_2010 = Date::from_ymd(2010, 5, 12);
        // Founded before the 63-province list: read as of its first day.
        let in_1996 = Date::from_ymd(1996, 1, 2);
        let in_2025 = Date::from_ymd(2025, 9, 1);
        assert_eq!(p(None, Some("02"), in_2010).as_deref(), Some("08"));
        assert_eq!(p(None, Some("30"), in_1996).as_deref(), Some("31"));
        assert_eq!(p(None, Some("01"), None).as_deref(), Some("01"));
        assert_eq!(p(None, Some("27"), in_2025).as_deref(), Some("24"));
        assert_eq!(p(Some("24"), None, in_2025).as_deref(), Some("24"));
        assert_eq!(p(Some("24"), None, in_2010).as_deref(), Some("24"));
        assert_eq!(p(Some("08"), None, None).as_deref(), Some("08"));
        let stale = province(Some("02"), None, in_2025).expect_err("maTinh holds 2025 codes");
        assert_eq!(
            stale.message(),
            "the registry sent a maTinh value that is not in the dvhc_tinh catalog"
        );
        assert!(province(None, Some("99"), in_2010).is_err());
        assert_eq!(province(None, None, in_2010).ok().flatten(), None);
    }

    #[test]
    fn parses_amounts_and_dates() {
        assert_eq!(
            amount("v", Some("1.500.000.000")).ok().flatten(),
            Some(1_500_000_000)
        );
        assert_eq!(
            amount("v", Some("100.000.000")).ok().flatten(),
            Some(100_000_000)
        );
        assert_eq!(amount("v", Some("999")).ok().flatten(), Some(999));
        assert_eq!(amount("v", None).ok().flatten(), None);
        assert!(amount("v", Some("1,500,000")).is_err());
        assert!(amount("v", Some("1.50.000")).is_err());
        assert!(amount("v", Some("1500.000")).is_err());
        assert!(amount("v", Some("-1.000")).is_err());
        assert_eq!(
            date("d", Some("2010-05-12")).ok().flatten(),
            Date::from_ymd(2010, 5, 12)
        );
        assert!(date("d", Some("12/05/2010")).is_err());
    }
}
