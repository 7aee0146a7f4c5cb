//! Identifier checks done before any upstream call (GUIDE §3), so malformed
//! input never reaches the registry. Messages give the position, never the
//! value (personal IDs are personal data).

use lgsp_catalogs::ids;
use lgsp_guest::catalogs::{self, CurrentCode, PROVINCES_2008_TO};
use lgsp_guest::{Error, Result};

/// Checks business codes: 10 digits with a valid check digit, or a branch
/// code `NNNNNNNNNN-NNN`.
///
/// # Errors
/// `bad-request` naming the first bad code's position and what is wrong.
pub(crate) fn business_codes(column: &str, codes: &[String]) -> Result<()> {
    ids::check_each(column, "a valid business code", codes, ids::business_code)
        .map_err(Error::bad_request)
}

/// Checks personal IDs.
///
/// # Errors
/// `bad-request` naming the first bad ID's position and what is wrong.
pub(crate) fn personal_ids(values: &[String]) -> Result<()> {
    ids::check_each(
        "so_dinh_danh",
        "a valid personal ID",
        values,
        ids::personal_id,
    )
    .map_err(Error::bad_request)
}

/// Checks a 5-digit commune code.
///
/// # Errors
/// `bad-request` saying what is wrong.
pub(crate) fn commune_code(code: &str) -> Result<()> {
    ids::commune_code(code)
        .map_err(|reason| Error::bad_request(format!("ma_xa is not a commune code: {reason}")))
}

/// Checks a province code valid since 2025-07-01. A pre-2025 code that no
/// longer exists is refused with its successor, because `ma_tinh` holds
/// 2025 codes only and the query would otherwise silently find nothing.
///
/// # Errors
/// `bad-request` saying what is wrong.
pub(crate) fn current_province_code(code: &str) -> Result<()> {
    ids::province_code(code).map_err(|reason| {
        Error::bad_request(format!("ma_tinh is not a province code: {reason}"))
    })?;
    if catalogs::item("dvhc_tinh", code, None).is_some() {
        return Ok(());
    }
    let successor = catalogs::current_code("dvhc_tinh", code, PROVINCES_2008_TO);
    Err(Error::bad_request(match successor {
        CurrentCode::One(new) => format!(
            "ma_tinh {code} is a province code from before 2025-07-01; ma_tinh holds the \
             2025 codes: use {new}"
        ),
        CurrentCode::Split(news) => format!(
            "ma_tinh {code} is a province code from before 2025-07-01; ma_tinh holds the \
             2025 codes: use one of {}",
            news.iter()
                .map(|s| s.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        CurrentCode::Unknown => {
            format!("ma_tinh {code} is not a province code valid since 2025-07-01")
        }
    }))
}

/// Checks a search keyword: at least two characters once accents and spaces
/// are ignored, as the registry requires.
///
/// # Errors
/// `bad-request` saying what is wrong.
pub(crate) fn keyword(value: &str) -> Result<()> {
    let letters = crate::like::fold(value)
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    if letters >= crate::like::MIN_KEYWORD_CHARS {
        Ok(())
    } else {
        Err(Error::bad_request(format!(
            "tu_khoa must have at least {} letters or digits",
            crate::like::MIN_KEYWORD_CHARS
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn business_codes_with_reason_and_position() {
        assert!(
            business_codes(
                "ma_so_doanh_nghiep",
                &codes(&["0100233488", "0100233488-001"])
            )
            .is_ok()
        );
        let e = business_codes("ma_so_doanh_nghiep", &codes(&["0100233488", "0100233487"]))
            .expect_err("bad check digit");
        assert!(e.message().contains("value 2 of 2"), "{e}");
        assert!(e.message().contains("check digit"), "{e}");
        assert!(!e.message().contains("0100233487"), "no value echoed: {e}");
        let e = business_codes("ma_so_doanh_nghiep", &codes(&["010023348"])).expect_err("short");
        assert!(e.message().contains("10 digits"), "{e}");
        let e =
            business_codes("ma_so_doanh_nghiep", &codes(&["0100233488-000"])).expect_err("branch");
        assert!(e.message().contains("branch"), "{e}");
    }

    #[test]
    fn personal_ids_and_places() {
        assert!(personal_ids(&codes(&["001085012345"])).is_ok());
        let e = personal_ids(&codes(&["00108501234"])).expect_err("short");
        assert!(!e.message().contains("00108501234"));
        assert!(commune_code("00004").is_ok());
        assert!(commune_code("0004").is_err());
        assert!(current_province_code("01").is_ok());
        assert!(current_province_code("08").is_ok());
        let e = current_province_code("02").expect_err("Hà Giang merged into Tuyên Quang");
        assert!(e.message().contains("use 08"), "{e}");
        assert!(current_province_code("99").is_err());
        assert!(keyword("an").is_ok());
        assert!(keyword(" a ").is_err());
    }
}
