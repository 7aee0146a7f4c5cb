//! Upstream values → LGSP's normalized model: codes from the shared catalogs,
//! dates as `DATE`, 2025 administrative codes.
//!
//! Until the host offers a catalog lookup capability, the mappings live here,
//! backed by the code lists in `lgsp-catalogs`.

use lgsp_catalogs::{ethnic_groups, genders, nationalities};
use lgsp_guest::{Date, Error, Result};

/// `dd/mm/yyyy` → date.
pub(crate) fn date(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Date::parse_dmy(v).map(Some).ok_or_else(|| {
            Error::upstream_error(format!("the upstream sent an unreadable date in {field}"))
        }),
    }
}

/// "Nam"/"Nữ" (or a code) → `gioi_tinh` code.
pub(crate) fn gender(value: Option<&str>) -> Result<Option<String>> {
    code_or_name(genders(), "gioiTinh", value)
}

/// Ethnic group name (or code) → `dan_toc` code.
pub(crate) fn ethnicity(value: Option<&str>) -> Result<Option<String>> {
    code_or_name(ethnic_groups(), "danToc", value)
}

/// Nationality name (or ISO code) → ISO 3166-1 alpha-2.
pub(crate) fn nationality(value: Option<&str>) -> Result<Option<String>> {
    code_or_name(nationalities(), "quocTich", value)
}

/// A province code, old (pre-2025) codes mapped to the current one.
pub(crate) fn province(value: Option<&str>) -> Result<Option<String>> {
    let Some(code) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    lgsp_catalogs::province_code_2025(code)
        .map(|c| Some(c.to_owned()))
        .ok_or_else(|| Error::upstream_error("the upstream sent an unknown province code"))
}

fn code_or_name(
    list: &lgsp_catalogs::CodeList,
    field: &str,
    value: Option<&str>,
) -> Result<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    list.code_for(v).map(|c| Some(c.to_owned())).ok_or_else(|| {
        Error::upstream_error(format!(
            "the upstream sent a {field} value that is not in the {} catalog",
            list.id()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(ethnicity(Some("Atlantean")).is_err());
        assert_eq!(ethnicity(None).ok().flatten(), None);
    }

    #[test]
    fn maps_old_province_codes() {
        assert_eq!(province(Some("02")).ok().flatten().as_deref(), Some("08"));
        assert_eq!(province(Some("01")).ok().flatten().as_deref(), Some("01"));
        assert!(province(Some("99")).is_err());
    }

    #[test]
    fn parses_dates() {
        assert_eq!(
            date("ngaySinh", Some("15/03/1985")).ok().flatten(),
            Date::from_ymd(1985, 3, 15)
        );
        assert!(date("ngaySinh", Some("1985-03-15")).is_err());
    }
}
