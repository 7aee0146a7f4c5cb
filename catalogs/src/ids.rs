//! Structure checks for the national identifiers (GUIDE §3), shared by every
//! connector so that a malformed identifier is refused the same way everywhere,
//! before any upstream call. Each check returns the reason in plain words and
//! never echoes the value (it may be personal data).

use crate::{provinces_2008, provinces_2025};

/// Why an identifier is malformed.
pub type Reason = &'static str;

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn known_province(code: &str) -> bool {
    provinces_2008().get(code).is_some() || provinces_2025().get(code).is_some()
}

/// Personal ID (số định danh cá nhân / CCCD): 12 digits, `0` + a province
/// code (before or after 2025), a century/sex digit 0–5, two year digits and
/// six serial digits. There is no check digit.
///
/// # Errors
/// The reason the value is not a personal ID.
pub fn personal_id(id: &str) -> Result<(), Reason> {
    if id.len() != 12 || !all_digits(id) {
        return Err("it must be exactly 12 digits");
    }
    if !id.starts_with('0') || !known_province(&id[1..3]) {
        return Err("the first three digits are not a province code");
    }
    if id.as_bytes()[3] > b'5' {
        return Err("the fourth digit (century and sex) must be 0 to 5");
    }
    Ok(())
}

/// The check digit of a 10-digit business code from its first nine digits.
fn tax_check_digit(first_nine: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = first_nine
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    // 10 − (sum mod 11); a result of 10 means no valid code has this prefix.
    let check = 10 - (sum % 11);
    (check < 10).then_some(check as u8)
}

/// Completes a nine-digit prefix into a valid 10-digit business code, when
/// that prefix admits one.
pub fn tax_code_with_check_digit(first_nine: &str) -> Option<String> {
    if first_nine.len() != 9 || !all_digits(first_nine) {
        return None;
    }
    tax_check_digit(first_nine.as_bytes()).map(|c| format!("{first_nine}{c}"))
}

/// Business code (mã số doanh nghiệp, also the tax code): 10 digits whose last
/// is the check digit, or for a branch the parent's 10 digits, `-` and three
/// digits `001`–`999`.
///
/// # Errors
/// The reason the value is not a business code.
pub fn business_code(code: &str) -> Result<(), Reason> {
    let (main, branch) = match code.split_once('-') {
        Some((main, branch)) => (main, Some(branch)),
        None => (code, None),
    };
    if main.len() != 10 || !all_digits(main) {
        return Err("it must be 10 digits, or 10 digits, '-' and a 3-digit branch number");
    }
    if let Some(branch) = branch
        && (branch.len() != 3 || !all_digits(branch) || branch == "000")
    {
        return Err("the branch number after '-' must be 3 digits from 001 to 999");
    }
    let bytes = main.as_bytes();
    if tax_check_digit(&bytes[..9]) != Some(bytes[9] - b'0') {
        return Err("the check digit (10th digit) does not match the first nine");
    }
    Ok(())
}

/// Social insurance number (mã số BHXH): 10 digits.
///
/// # Errors
/// The reason the value is not a social insurance number.
pub fn social_insurance_number(number: &str) -> Result<(), Reason> {
    if number.len() == 10 && all_digits(number) {
        Ok(())
    } else {
        Err("it must be exactly 10 digits")
    }
}

/// Health-insurance card number (mã thẻ BHYT): 15 characters = 2-letter
/// beneficiary code, a benefit-level digit 1–5, a 2-digit province code and
/// the 10-digit social insurance number.
///
/// # Errors
/// The reason the value is not a health-insurance card number.
pub fn health_card_number(card: &str) -> Result<(), Reason> {
    let b = card.as_bytes();
    if b.len() != 15 || !card.is_ascii() {
        return Err("it must be exactly 15 characters");
    }
    if !b[..2].iter().all(u8::is_ascii_uppercase) {
        return Err("the first two characters must be the beneficiary code (capital letters)");
    }
    if !(b'1'..=b'5').contains(&b[2]) {
        return Err("the third character (benefit level) must be a digit from 1 to 5");
    }
    if !all_digits(&card[3..5]) || !known_province(&card[3..5]) {
        return Err("characters 4-5 must be a province code");
    }
    social_insurance_number(&card[5..]).map_err(|_| "the last 10 characters must be digits")
}

/// Province code: two digits of a province before or after 2025.
///
/// # Errors
/// The reason the value is not a province code.
pub fn province_code(code: &str) -> Result<(), Reason> {
    if code.len() == 2 && all_digits(code) && known_province(code) {
        Ok(())
    } else {
        Err("it must be the 2-digit code of a province")
    }
}

/// Commune code: five digits.
///
/// # Errors
/// The reason the value is not a commune code.
pub fn commune_code(code: &str) -> Result<(), Reason> {
    if code.len() == 5 && all_digits(code) {
        Ok(())
    } else {
        Err("it must be exactly 5 digits")
    }
}

/// Checks each value a query gave key `column` with `check`, so that a
/// connector refuses a malformed key before any upstream call, in the same
/// words as every other connector.
///
/// # Errors
/// For the first value refused: a message naming the column, the value's
/// position when there are several, `what` it should be and the reason
/// (`so_dinh_danh (value 2 of 3) is not a valid personal ID: it must be
/// exactly 12 digits`), never the value itself, which may be personal data.
pub fn check_each(
    column: &str,
    what: &str,
    values: &[String],
    check: impl Fn(&str) -> Result<(), Reason>,
) -> Result<(), String> {
    for (i, value) in values.iter().enumerate() {
        if let Err(reason) = check(value) {
            let which = if values.len() == 1 {
                String::new()
            } else {
                format!(" (value {} of {})", i + 1, values.len())
            };
            return Err(format!("{column}{which} is not {what}: {reason}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_each_value_and_names_its_position_only() {
        let values = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let check = |v: &[&str]| check_each("ma_xa", "a commune code", &values(v), commune_code);
        assert_eq!(check(&["00004", "00008"]), Ok(()));
        assert_eq!(check(&[]), Ok(()));
        assert_eq!(
            check(&["0004"]),
            Err("ma_xa is not a commune code: it must be exactly 5 digits".into())
        );
        assert_eq!(
            check(&["00004", "0008", "x"]),
            Err("ma_xa (value 2 of 3) is not a commune code: it must be exactly 5 digits".into())
        );
    }

    #[test]
    fn personal_ids() {
        assert!(personal_id("001085012345").is_ok());
        assert!(personal_id("079303000001").is_ok());
        assert!(personal_id("00108501234").is_err());
        assert!(
            personal_id("003085012345").is_err(),
            "province 03 does not exist"
        );
        assert!(personal_id("001785012345").is_err(), "century digit 7");
    }

    #[test]
    fn business_codes_follow_the_check_digit() {
        // GUIDE §3's example.
        assert!(business_code("0100233488").is_ok());
        assert!(business_code("0100233488-001").is_ok());
        assert!(business_code("0100233487").is_err());
        assert!(business_code("0100233488-000").is_err());
        assert!(business_code("0100233488-01").is_err());
        assert!(business_code("010023348").is_err());
        assert_eq!(
            tax_code_with_check_digit("010023348").as_deref(),
            Some("0100233488")
        );
        for prefix in 100_000_000u32..100_000_200 {
            if let Some(code) = tax_code_with_check_digit(&format!("{prefix:09}")) {
                assert!(business_code(&code).is_ok(), "{code}");
            }
        }
    }

    #[test]
    fn insurance_numbers_and_cards() {
        assert!(social_insurance_number("0123456789").is_ok());
        assert!(social_insurance_number("012345678").is_err());
        assert!(health_card_number("DN4010123456789").is_ok());
        assert!(health_card_number("DN401012345678").is_err());
        assert!(health_card_number("dn4010123456789").is_err());
        assert!(health_card_number("DN9010123456789").is_err());
        assert!(
            health_card_number("DN4030123456789").is_err(),
            "province 03"
        );
        assert!(commune_code("00004").is_ok());
        assert!(commune_code("0004").is_err());
        assert!(province_code("08").is_ok());
        assert!(province_code("03").is_err());
    }
}
