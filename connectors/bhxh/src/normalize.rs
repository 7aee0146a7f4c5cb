//! The insurance service's wire values → LGSP's normalized model: catalog
//! codes, `DATE`, 2025 province codes, whole VND amounts.
//!
//! Every mapping goes through the platform's catalogs
//! ([`lgsp_guest::catalogs`]), so this connector maps values exactly as the
//! others do; only the service's own spellings (gender as 1/0) are read here,
//! then looked up in the shared catalog.

use lgsp_guest::catalogs::{self, NotInCatalog, PROVINCES_2008_FROM};
use lgsp_guest::{Date, Error, Result};

fn bad(field: &str, what: &str) -> Error {
    Error::upstream_error(format!("the upstream sent {what} in {field}"))
}

/// `yyyyMMdd` → date.
pub(crate) fn date(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    let Some(v) = value else { return Ok(None) };
    let parsed = (v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| {
            let n = |r: std::ops::Range<usize>| v[r].parse::<u32>().ok();
            Date::from_ymd(i32::try_from(n(0..4)?).ok()?, n(4..6)?, n(6..8)?)
        })
        .flatten();
    parsed
        .map(Some)
        .ok_or_else(|| bad(field, "an unreadable date (expected yyyyMMdd)"))
}

/// `MM/yyyy` → the first day of that month.
pub(crate) fn month(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    let Some(v) = value else { return Ok(None) };
    let parsed = v.split_once('/').and_then(|(m, y)| {
        if m.len() != 2 || y.len() != 4 {
            return None;
        }
        Date::from_ymd(y.parse().ok()?, m.parse().ok()?, 1)
    });
    parsed
        .map(Some)
        .ok_or_else(|| bad(field, "an unreadable month (expected MM/yyyy)"))
}

/// The service's gender (`1` = Nam, `0` = Nữ) → `gioi_tinh` code.
pub(crate) fn gender(value: Option<&str>) -> Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    let name = match v {
        "1" => "Nam",
        "0" => "Nữ",
        _ => return Err(bad("GioiTinh", "a gender other than 1 or 0")),
    };
    catalogs::code_for("gioi_tinh", name, None)
        .map(Some)
        .ok_or_else(|| Error::internal("the gioi_tinh catalog lacks Nam/Nữ"))
}

/// A province code as recorded when the book was `issued` (today when
/// unknown) → today's code; pre-2025 codes map to their successor. The
/// service re-coded its records when Hà Tây joined Hà Nội (2008-08-01) but
/// not in 2025, so a book issued earlier carries a code of the 63 provinces.
pub(crate) fn province(value: Option<&str>, issued: Option<Date>) -> Result<Option<String>> {
    let as_of = issued.map_or_else(Date::today, |day| day.max(PROVINCES_2008_FROM));
    // Every province merged whole: one successor; several would leave the
    // province unknown.
    catalogs::map_recorded("dvhc_tinh", value, as_of)
        .map_err(|NotInCatalog| not_in("MaTinh", "dvhc_tinh"))
}

/// Contribution kind by name (or code) → `loai_dong_bhxh` code.
pub(crate) fn contribution_kind(value: Option<&str>) -> Result<Option<String>> {
    code_or_name("loai_dong_bhxh", "LoaiDong", value)
}

/// Beneficiary group code (or name) → `doi_tuong_bhyt` code.
pub(crate) fn beneficiary(value: Option<&str>) -> Result<Option<String>> {
    code_or_name("doi_tuong_bhyt", "MaDoiTuong", value)
}

/// A benefit level, `1` to `5`.
pub(crate) fn benefit_level(value: Option<&str>) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v @ ("1" | "2" | "3" | "4" | "5")) => Ok(Some(v.to_owned())),
        Some(_) => Err(bad("MucHuong", "a benefit level outside 1-5")),
    }
}

/// A plain non-negative integer amount in VND → decimal(18, 0).
pub(crate) fn amount(field: &str, value: Option<&str>) -> Result<Option<i128>> {
    let Some(v) = value else { return Ok(None) };
    if v.is_empty() || v.len() > 18 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(field, "an amount that is not a whole number of VND"));
    }
    v.parse()
        .map(Some)
        .map_err(|_| bad(field, "an amount that is not a whole number of VND"))
}

fn not_in(field: &str, catalog: &str) -> Error {
    bad(
        field,
        &format!("a value that is not in the {catalog} catalog"),
    )
}

fn code_or_name(catalog: &str, field: &str, value: Option<&str>) -> Result<Option<String>> {
    catalogs::map_value(catalog, value).map_err(|NotInCatalog| not_in(field, catalog))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wire_formats() {
        assert_eq!(
            date("NgaySinh", Some("19850315")).ok().flatten(),
            Date::from_ymd(1985, 3, 15)
        );
        assert!(date("NgaySinh", Some("15/03/1985")).is_err());
        assert!(date("NgaySinh", Some("19851345")).is_err());
        assert_eq!(date("NgaySinh", None).ok().flatten(), None);
        assert_eq!(
            month("TuThang", Some("07/2019")).ok().flatten(),
            Date::from_ymd(2019, 7, 1)
        );
        assert!(month("TuThang", Some("7/2019")).is_err());
        assert!(month("TuThang", Some("13/2019")).is_err());
        assert_eq!(
            amount("MucLuong", Some("8500000")).ok().flatten(),
            Some(8_500_000)
        );
        assert!(amount("MucLuong", Some("8.500.000")).is_err());
        assert!(amount("MucLuong", Some("-1")).is_err());
    }

    #[test]
    fn maps_codes_through_the_catalogs() {
        assert_eq!(gender(Some("1")).ok().flatten().as_deref(), Some("1"));
        assert_eq!(gender(Some("0")).ok().flatten().as_deref(), Some("2"));
        assert!(gender(Some("2")).is_err());
        let issued = |y, m, d| Date::from_ymd(y, m, d);
        let p = |code, day| province(Some(code), day).ok().flatten();
        assert_eq!(p("02", issued(2019, 7, 1)).as_deref(), Some("08"));
        // Books issued before 2008 carry the codes of 2008 too.
        assert_eq!(p("30", issued(1998, 2, 3)).as_deref(), Some("31"));
        assert_eq!(p("79", issued(2025, 8, 1)).as_deref(), Some("79"));
        assert_eq!(p("79", None).as_deref(), Some("79"));
        let stale = province(Some("02"), issued(2025, 8, 1)).expect_err("02 is gone");
        assert_eq!(
            stale.message(),
            "the upstream sent a value that is not in the dvhc_tinh catalog in MaTinh"
        );
        assert!(province(Some("99"), issued(2019, 7, 1)).is_err());
        assert_eq!(province(None, None).ok().flatten(), None);
        assert_eq!(
            contribution_kind(Some("Bảo hiểm xã hội bắt buộc"))
                .ok()
                .flatten()
                .as_deref(),
            Some("01")
        );
        assert_eq!(
            contribution_kind(Some("bảo hiểm xã hội tự nguyện"))
                .ok()
                .flatten()
                .as_deref(),
            Some("02")
        );
        let unknown = contribution_kind(Some("Bảo hiểm nhân thọ")).expect_err("not a kind");
        assert_eq!(
            unknown.message(),
            "the upstream sent a value that is not in the loai_dong_bhxh catalog in LoaiDong"
        );
        assert_eq!(
            beneficiary(Some("TE")).ok().flatten().as_deref(),
            Some("TE")
        );
        assert!(beneficiary(Some("ZZ")).is_err());
        assert_eq!(
            benefit_level(Some("4")).ok().flatten().as_deref(),
            Some("4")
        );
        assert!(benefit_level(Some("6")).is_err());
    }
}
