//! Identifier checks done before any upstream call (GUIDE §3), so malformed input
//! never reaches the agency's system.

use lgsp_guest::{Error, Result};

/// Checks personal IDs: 12 digits, a known province-of-registration code and a
/// valid century/sex digit. Messages give the position, never the value.
///
/// # Errors
/// `bad-request` naming the first bad ID's position and what is wrong.
pub(crate) fn personal_ids(ids: &[String]) -> Result<()> {
    for (i, id) in ids.iter().enumerate() {
        if let Err(reason) = personal_id(id) {
            let which = if ids.len() == 1 {
                String::new()
            } else {
                format!(" (value {} of {})", i + 1, ids.len())
            };
            return Err(Error::bad_request(format!(
                "so_dinh_danh{which} is not a valid personal ID: {reason}"
            )));
        }
    }
    Ok(())
}

fn personal_id(id: &str) -> std::result::Result<(), &'static str> {
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err("it must be exactly 12 digits");
    }
    let province = &id[1..3];
    let known = id.starts_with('0')
        && (lgsp_catalogs::provinces_2008().get(province).is_some()
            || lgsp_catalogs::provinces_2025().get(province).is_some());
    if !known {
        return Err("the first three digits are not a province code");
    }
    if id.as_bytes()[3] > b'5' {
        return Err("the fourth digit (century and sex) must be 0 to 5");
    }
    Ok(())
}

/// Checks a 5-digit commune code.
///
/// # Errors
/// `bad-request` saying what is wrong.
pub(crate) fn commune_code(code: &str) -> Result<()> {
    if code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::bad_request(format!(
            "ma_xa {code:?} is not a commune code: it must be exactly 5 digits"
        )))
    }
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
