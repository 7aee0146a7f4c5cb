//! The rules a grant request, decision or stated purpose must follow, without the database.

use crate::db::is_identifier;
use crate::error::AccessError;
use crate::grants::GrantRequest;
use std::collections::BTreeSet;
use unicode_normalization::UnicodeNormalization;

/// Shortest and longest stated purpose, in characters.
const PURPOSE_CHARS: std::ops::RangeInclusive<usize> = 3..=500;
/// Longest rejection or revocation reason, in characters.
const MAX_REASON_CHARS: usize = 1000;
/// Longest row filter, in bytes (the host validates its SQL).
const MAX_ROW_FILTER_LEN: usize = 4000;

/// Whether a request's stated purpose is the purpose a grant was given for.
///
/// Both are compared after trimming, collapsing runs of white space to one
/// space, Unicode lower-casing and NFC normalization (so Vietnamese typed with
/// combining accents matches the precomposed form). Nothing else is forgiven:
/// different words or accents are a different purpose.
///
/// # Examples
/// ```
/// use lgsp_access::purpose_matches;
/// assert!(purpose_matches("Giải quyết thủ tục hành chính", "  GIẢI QUYẾT   thủ tục hành chính "));
/// assert!(!purpose_matches("Giải quyết thủ tục hành chính", "Giai quyet thu tuc hanh chinh"));
/// ```
pub fn purpose_matches(granted: &str, stated: &str) -> bool {
    normalize_purpose(granted) == normalize_purpose(stated)
}

fn normalize_purpose(s: &str) -> String {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.to_lowercase().nfc().collect()
}

fn check_identifiers(what: &str, names: &[String]) -> Result<(), AccessError> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !is_identifier(name) {
            return Err(AccessError::InvalidIdentifier(format!(
                "{what} {name:?} is not a column name: names are lower-case snake_case, 1 to 63 \
                 characters, starting with a letter"
            )));
        }
        if !seen.insert(name) {
            return Err(AccessError::InvalidGrant(format!(
                "{what} {name:?} is listed twice"
            )));
        }
    }
    Ok(())
}

pub(crate) fn check_one_identifier(what: &str, name: &str) -> Result<(), AccessError> {
    if is_identifier(name) {
        Ok(())
    } else {
        Err(AccessError::InvalidIdentifier(format!(
            "{what} {name:?} is not valid: names are lower-case snake_case, 1 to 63 characters, \
             starting with a letter"
        )))
    }
}

/// Checks a request and returns its purpose trimmed.
pub(crate) fn check_request(req: &GrantRequest) -> Result<String, AccessError> {
    check_one_identifier("schema", &req.schema)?;
    if let Some(table) = &req.table {
        check_one_identifier("table", table)?;
    }
    check_identifiers("column", &req.columns)?;
    check_identifiers("clear column", &req.clear_columns)?;
    if !req.columns.is_empty()
        && let Some(c) = req.clear_columns.iter().find(|c| !req.columns.contains(c))
    {
        return Err(AccessError::InvalidGrant(format!(
            "clear column {c:?} is not among the columns asked for; add it to the columns or \
             leave the columns empty"
        )));
    }
    let purpose = req.purpose.trim();
    let chars = purpose.chars().count();
    if !PURPOSE_CHARS.contains(&chars) {
        return Err(AccessError::InvalidGrant(format!(
            "the purpose has {chars} characters; state it in {} to {} characters",
            PURPOSE_CHARS.start(),
            PURPOSE_CHARS.end()
        )));
    }
    if purpose.chars().any(char::is_control) {
        return Err(AccessError::InvalidGrant(
            "the purpose contains control characters (line breaks, tabs); it is sent in a \
             header, so write it on one line"
                .into(),
        ));
    }
    if req.valid_from > req.valid_to {
        return Err(AccessError::InvalidGrant(format!(
            "the period starts on {} after it ends on {}",
            req.valid_from, req.valid_to
        )));
    }
    Ok(purpose.to_owned())
}

/// A reason for a rejection or revocation, trimmed.
pub(crate) fn check_reason(reason: &str) -> Result<String, AccessError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AccessError::InvalidGrant(
            "give a reason; the consumer sees it".into(),
        ));
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(AccessError::InvalidGrant(format!(
            "the reason has {chars} characters; at most {MAX_REASON_CHARS} are allowed"
        )));
    }
    Ok(reason.to_owned())
}

pub(crate) fn check_row_filter(filter: Option<String>) -> Result<Option<String>, AccessError> {
    let filter = filter
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    if let Some(f) = &filter
        && f.len() > MAX_ROW_FILTER_LEN
    {
        return Err(AccessError::InvalidGrant(format!(
            "the row filter has {} bytes; at most {MAX_ROW_FILTER_LEN} are allowed",
            f.len()
        )));
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn request() -> GrantRequest {
        GrantRequest {
            schema: "dan_cu".into(),
            table: Some("cong_dan".into()),
            columns: vec!["ho_ten".into(), "so_dinh_danh".into()],
            clear_columns: vec!["so_dinh_danh".into()],
            purpose: "  Giải quyết thủ tục hành chính ".into(),
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            valid_to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
        }
    }

    #[test]
    fn purposes_match_across_case_spaces_and_unicode_forms() {
        let granted = "Giải quyết thủ tục hành chính";
        assert!(purpose_matches(granted, "giải quyết thủ tục hành chính"));
        assert!(purpose_matches(
            granted,
            "  GIẢI   QUYẾT\tthủ tục\nhành chính  "
        ));
        // The same words typed with combining accents (NFD), as some keyboards send them.
        let nfd: String = granted.nfd().collect();
        assert_ne!(nfd, granted);
        assert!(purpose_matches(granted, &nfd));
        assert!(purpose_matches("ĐĂNG KÝ KINH DOANH", "đăng ký kinh doanh"));
    }

    #[test]
    fn different_words_or_accents_do_not_match() {
        let granted = "Giải quyết thủ tục hành chính";
        assert!(!purpose_matches(granted, "Giai quyet thu tuc hanh chinh"));
        assert!(!purpose_matches(granted, "Giải quyết thủ tục"));
        assert!(!purpose_matches(granted, "Giảiquyết thủ tục hành chính"));
        assert!(!purpose_matches(granted, ""));
    }

    #[test]
    fn a_good_request_keeps_its_purpose_trimmed() {
        assert_eq!(
            check_request(&request()).ok().as_deref(),
            Some("Giải quyết thủ tục hành chính")
        );
    }

    #[test]
    fn purpose_length_is_bounded_in_characters() {
        let mut req = request();
        req.purpose = " ab ".into();
        let e = check_request(&req)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("2 characters") && e.contains("3 to 500"), "{e}");
        req.purpose = "ả".repeat(500);
        assert!(
            check_request(&req).is_ok(),
            "500 multi-byte characters are fine"
        );
        req.purpose = "ả".repeat(501);
        assert!(check_request(&req).is_err());
        req.purpose = "một\nhai".into();
        assert!(check_request(&req).is_err());
    }

    #[test]
    fn period_and_names_are_checked() {
        let mut req = request();
        req.valid_to = req.valid_from;
        assert!(check_request(&req).is_ok(), "a one-day period is valid");
        req.valid_to = req.valid_from.pred_opt().unwrap_or_default();
        let e = check_request(&req).err().map(|e| e.kind());
        assert_eq!(e, Some("invalid_grant"));

        let mut req = request();
        req.schema = "Dan-Cu".into();
        assert_eq!(
            check_request(&req).err().map(|e| e.kind()),
            Some("invalid_identifier")
        );
        let mut req = request();
        req.columns.push("ho_ten".into());
        let e = check_request(&req)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("listed twice"), "{e}");
        let mut req = request();
        req.clear_columns = vec!["so_bhxh".into()];
        let e = check_request(&req)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("not among the columns"), "{e}");
        req.columns.clear();
        assert!(
            check_request(&req).is_ok(),
            "with every column, any identifier may be cleared"
        );
    }

    #[test]
    fn reasons_and_row_filters_are_trimmed() {
        assert!(check_reason("   ").is_err());
        assert_eq!(
            check_reason(" trùng lặp ").ok().as_deref(),
            Some("trùng lặp")
        );
        assert_eq!(check_row_filter(Some("  ".into())).ok(), Some(None));
        assert_eq!(
            check_row_filter(Some(" ma_tinh = '22' ".into())).ok(),
            Some(Some("ma_tinh = '22'".into()))
        );
        assert!(check_row_filter(Some("x".repeat(4001))).is_err());
    }
}
