//! Identifier checks done before any upstream call (GUIDE §3), so malformed input
//! never reaches the agency's system.

use lgsp_catalogs::ids;
use lgsp_guest::{Error, Result};

/// Checks personal IDs: 12 digits, a known province-of-registration code and a
/// valid century/sex digit. Messages give the position, never the value.
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
    ids::commune_code(code).map_err(|reason| {
        Error::bad_request(format!("ma_xa {code:?} is not a commune code: {reason}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ids() {
        assert!(personal_ids(&["001085012345".into(), "079303000001".into()]).is_ok());
    }

    #[test]
    fn rejects_with_reason_and_position() {
        let e = personal_ids(&["001085012345".into(), "00108501234".into()]).expect_err("short");
        assert!(e.message().contains("value 2 of 2"), "{e}");
        assert!(e.message().contains("12 digits"), "{e}");
        assert!(!e.message().contains("00108501234"), "no value echoed: {e}");
        let e = personal_ids(&["003085012345".into()]).expect_err("province 03 does not exist");
        assert!(e.message().contains("province"), "{e}");
        let e = personal_ids(&["001785012345".into()]).expect_err("century digit 7");
        assert!(e.message().contains("century"), "{e}");
        assert!(commune_code("0004").is_err());
        assert!(commune_code("00004").is_ok());
    }
}
