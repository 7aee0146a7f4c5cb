//! Identifier checks done before any upstream call (GUIDE §3), with the shared
//! validators of `lgsp_catalogs::ids`, so malformed input never reaches the
//! agency's system. Messages give the position, never the value.

use lgsp_catalogs::ids::{self, Reason};
use lgsp_guest::{Error, Result};

/// A shared identifier check.
type Check = fn(&str) -> std::result::Result<(), Reason>;

/// The validator for a key column, and what the column holds.
fn rule(column: &str) -> Option<(Check, &'static str)> {
    match column {
        "ma_so_bhxh" => Some((ids::social_insurance_number, "a social insurance number")),
        "so_dinh_danh" => Some((ids::personal_id, "a personal ID")),
        "ma_the" => Some((ids::health_card_number, "a health-insurance card number")),
        _ => None,
    }
}

/// Checks every value given for key `column`.
///
/// # Errors
/// `bad-request` naming the first bad value's position and what is wrong.
pub(crate) fn keys(column: &str, values: &[String]) -> Result<()> {
    let Some((check, what)) = rule(column) else {
        return Err(Error::internal(format!("no validator for {column}")));
    };
    ids::check_each(column, what, values, check).map_err(Error::bad_request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_keys() {
        assert!(keys("ma_so_bhxh", &["0123456789".into(), "7912345678".into()]).is_ok());
        assert!(keys("so_dinh_danh", &["001085012345".into()]).is_ok());
        assert!(keys("ma_the", &["DN4010123456789".into()]).is_ok());
    }

    #[test]
    fn rejects_with_reason_and_position_without_the_value() {
        let e =
            keys("ma_so_bhxh", &["0123456789".into(), "012345678".into()]).expect_err("9 digits");
        assert_eq!(e.kind(), lgsp_guest::ErrorKind::BadRequest);
        assert!(e.message().contains("value 2 of 2"), "{e}");
        assert!(e.message().contains("10 digits"), "{e}");
        assert!(!e.message().contains("012345678"), "{e}");
        let e = keys("ma_the", &["DN9010123456789".into()]).expect_err("level 9");
        assert!(e.message().contains("benefit level"), "{e}");
        assert!(!e.message().contains("DN9010123456789"), "{e}");
        let e = keys("so_dinh_danh", &["003085012345".into()]).expect_err("province 03");
        assert!(e.message().contains("province"), "{e}");
    }
}
