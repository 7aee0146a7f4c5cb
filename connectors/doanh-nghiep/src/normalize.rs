//! Registry values → LGSP's normalized model: catalog codes from names, 2025
//! province codes, dates as `DATE`, amounts as integers.
//!
//! Until the host offers a catalog lookup capability, the mappings live here,
//! backed by the code lists in `lgsp-catalogs`.

use lgsp_catalogs::{CodeList, business_statuses, business_types, provinces_2008, provinces_2025};
use lgsp_guest::{Date, Error, Result};

/// `yyyy-mm-dd` → date.
pub(crate) fn date(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Date::parse_iso(v).map(Some).ok_or_else(|| {
            Error::upstream_error(format!("the registry sent an unreadable date in {field}"))
        }),
    }
}

/// Business type name (e.g. `Công ty cổ phần`) → `loai_hinh_doanh_nghiep` code.
pub(crate) fn business_type(value: Option<&str>) -> Result<Option<String>> {
    by_name(business_types(), "loaiHinhDN", value)
}

/// Status name (e.g. `Đang hoạt động`) → `trang_thai_doanh_nghiep` code.
pub(crate) fn status(value: Option<&str>) -> Result<Option<String>> {
    by_name(business_statuses(), "tinhTrangHoatDong", value)
}

/// The 2025 province code from the registry's head-office record: `maTinh`
/// (a 2025 code, for businesses registered from 2025-07-01) or `maTinhCu` (the
/// pre-2025 code, mapped to its successor).
pub(crate) fn province(ma_tinh: Option<&str>, ma_tinh_cu: Option<&str>) -> Result<Option<String>> {
    if let Some(code) = present(ma_tinh) {
        return provinces_2025()
            .get(code)
            .map(|p| Some(p.code.clone()))
            .ok_or_else(|| Error::upstream_error("the registry sent an unknown maTinh code"));
    }
    let Some(old) = present(ma_tinh_cu) else {
        return Ok(None);
    };
    // Only a pre-2025 code belongs in maTinhCu.
    provinces_2008()
        .get(old)
        .and_then(|_| lgsp_catalogs::province_code_2025(old))
        .map(|c| Some(c.to_owned()))
        .ok_or_else(|| Error::upstream_error("the registry sent an unknown maTinhCu code"))
}

fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// `"1.500.000.000"` → 1500000000 (VND; the registry prints dots between
/// thousands and never decimals).
pub(crate) fn amount(field: &str, value: Option<&str>) -> Result<Option<i128>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
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

fn by_name(list: &CodeList, field: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    list.code_for(v).map(|c| Some(c.to_owned())).ok_or_else(|| {
        Error::upstream_error(format!(
            "the registry sent a {field} value that is not in the {} catalog",
            list.id()
        ))
    })
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
        assert!(status(Some("Đang ngủ đông")).is_err());
        assert_eq!(status(None).ok().flatten(), None);
    }

    #[test]
    fn maps_old_province_codes() {
        assert_eq!(
            province(None, Some("02")).ok().flatten().as_deref(),
            Some("08")
        );
        assert_eq!(
            province(None, Some("30")).ok().flatten().as_deref(),
            Some("31")
        );
        assert_eq!(
            province(None, Some("01")).ok().flatten().as_deref(),
            Some("01")
        );
        assert_eq!(
            province(Some("24"), None).ok().flatten().as_deref(),
            Some("24")
        );
        assert!(
            province(Some("02"), None).is_err(),
            "maTinh holds 2025 codes"
        );
        assert!(province(None, Some("99")).is_err());
        assert_eq!(province(None, None).ok().flatten(), None);
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
