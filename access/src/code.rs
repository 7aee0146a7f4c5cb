//! Agency codes (mã định danh điện tử) as QĐ 20/2020/QĐ-TTg defines them, validated.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest agency code QĐ 20/2020 allows.
const MAX_CODE_LEN: usize = 35;

/// An agency's electronic identifier code (mã định danh điện tử, QĐ 20/2020/QĐ-TTg).
///
/// Dot-separated groups of `[0-9A-Z]`, at most 35 characters, read from the right:
/// level 1 is a letter and two digits (`H49`: the People's Committee of Quảng Ninh),
/// then level 2 (2 characters), level 3 (2) and level 4 (3); further groups may
/// precede them. A zero group means "no unit at this level".
///
/// # Examples
/// ```
/// use lgsp_access::AgencyCode;
/// let code: AgencyCode = "000.12.01.H26".parse()?;
/// assert_eq!(code.level(), 3);
/// assert!("000.00.00.h49".parse::<AgencyCode>().is_err());
/// # Ok::<(), lgsp_access::AgencyCodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

/// Why a text is not an agency code. Each message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyCodeError {
    /// The text is empty.
    #[error("the agency code is empty; codes look like 000.00.00.H49 (QĐ 20/2020)")]
    Empty,
    /// More than 35 characters.
    #[error("the agency code has {len} characters; QĐ 20/2020 allows at most 35")]
    TooLong {
        /// Characters found.
        len: usize,
    },
    /// Lower-case letters, which would be valid in upper case.
    #[error("agency codes are upper case: write {suggestion}")]
    Lowercase {
        /// The code in upper case.
        suggestion: String,
    },
    /// A character outside `[0-9A-Z.]`.
    #[error(
        "character {ch:?} at position {position} is not allowed in an agency code; use digits, \
         upper-case letters A-Z and dots"
    )]
    BadCharacter {
        /// The character.
        ch: char,
        /// Its 1-based position.
        position: usize,
    },
    /// A group between dots is empty.
    #[error(
        "group {position} of the agency code is empty (two dots in a row, or a dot at the start \
         or end); every group needs at least one character"
    )]
    EmptyGroup {
        /// 1-based position of the group, from the left.
        position: usize,
    },
    /// Fewer than four groups.
    #[error(
        "the agency code has {found} group(s); it needs at least 4, level 4 to level 1 from left \
         to right, e.g. 000.00.00.H49"
    )]
    TooFewGroups {
        /// Groups found.
        found: usize,
    },
    /// The last group is not a letter and two digits.
    #[error(
        "the last group {group:?} must be the level-1 code: one letter and two digits, e.g. H49 \
         (provincial People's Committee) or G22 (ministry level)"
    )]
    BadLevel1 {
        /// The group found.
        group: String,
    },
    /// A level 2–4 group has the wrong length.
    #[error(
        "the level-{level} group {group:?} must have {expected} characters (digits or A-Z; \
         zeros when there is no unit at that level)"
    )]
    BadGroupLength {
        /// 2, 3 or 4.
        level: u8,
        /// The group found.
        group: String,
        /// Characters required.
        expected: usize,
    },
}

impl FromStr for AgencyCode {
    type Err = AgencyCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_code(s)?;
        Ok(Self(s.to_owned()))
    }
}

fn check_code(s: &str) -> Result<(), AgencyCodeError> {
    if s.is_empty() {
        return Err(AgencyCodeError::Empty);
    }
    let len = s.chars().count();
    if len > MAX_CODE_LEN {
        return Err(AgencyCodeError::TooLong { len });
    }
    let allowed = |c: char| c == '.' || c.is_ascii_digit() || c.is_ascii_uppercase();
    if let Some((i, ch)) = s.chars().enumerate().find(|&(_, c)| !allowed(c)) {
        let upper = s.to_ascii_uppercase();
        if upper.chars().all(allowed) {
            return Err(AgencyCodeError::Lowercase { suggestion: upper });
        }
        return Err(AgencyCodeError::BadCharacter {
            ch,
            position: i + 1,
        });
    }
    let groups: Vec<&str> = s.split('.').collect();
    if let Some(i) = groups.iter().position(|g| g.is_empty()) {
        return Err(AgencyCodeError::EmptyGroup { position: i + 1 });
    }
    let n = groups.len();
    if n < 4 {
        return Err(AgencyCodeError::TooFewGroups { found: n });
    }
    let level1 = groups[n - 1].as_bytes();
    let level1_ok = level1.len() == 3
        && level1[0].is_ascii_uppercase()
        && level1[1..].iter().all(u8::is_ascii_digit);
    if !level1_ok {
        return Err(AgencyCodeError::BadLevel1 {
            group: groups[n - 1].to_owned(),
        });
    }
    for (level, expected) in [(2u8, 2usize), (3, 2), (4, 3)] {
        let group = groups[n - usize::from(level)];
        if group.len() != expected {
            return Err(AgencyCodeError::BadGroupLength {
                level,
                group: group.to_owned(),
                expected,
            });
        }
    }
    Ok(())
}

impl AgencyCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative level: 1 plus the number of levels 2–4 that name a
    /// unit (are not all zeros). `000.00.00.H49` is 1, `000.12.01.H26` is 3.
    pub fn level(&self) -> u8 {
        let groups: Vec<&str> = self.0.split('.').collect();
        let n = groups.len();
        let named = (2..=4)
            .filter(|&level| groups[n - level].bytes().any(|b| b != b'0'))
            .count();
        1 + named as u8
    }
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = AgencyCodeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        check_code(&s)?;
        Ok(Self(s))
    }
}

impl From<AgencyCode> for String {
    fn from(code: AgencyCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> AgencyCodeError {
        match s.parse::<AgencyCode>() {
            Ok(code) => panic!("{code} should be invalid"),
            Err(e) => e,
        }
    }

    #[test]
    fn guide_examples_are_valid_with_their_levels() {
        for (text, level) in [
            ("000.00.00.H49", 1),
            ("000.00.00.G22", 1),
            ("000.12.01.H26", 3),
            ("000.00.05.K01", 2),
            ("001.02.03.H01", 4),
            ("A1.000.00.00.H49", 1),
        ] {
            let code: AgencyCode = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(code.as_str(), text);
            assert_eq!(code.to_string(), text);
            assert_eq!(code.level(), level, "{text}");
        }
    }

    #[test]
    fn lowercase_is_refused_with_the_upper_case_form() {
        let e = err("000.00.00.h49");
        assert_eq!(
            e,
            AgencyCodeError::Lowercase {
                suggestion: "000.00.00.H49".into()
            }
        );
        assert!(e.to_string().contains("write 000.00.00.H49"), "{e}");
    }

    #[test]
    fn too_long_says_the_limit() {
        let text = format!("{}.000.00.00.H49", "1".repeat(22));
        assert_eq!(text.len(), 36);
        let e = err(&text);
        assert_eq!(e, AgencyCodeError::TooLong { len: 36 });
        assert!(e.to_string().contains("at most 35"), "{e}");
        let ok = format!("{}.000.00.00.H49", "1".repeat(21));
        assert!(ok.parse::<AgencyCode>().is_ok());
    }

    #[test]
    fn bad_level_1_groups_are_named() {
        for group in ["49H", "HH9", "H4", "H490", "149"] {
            let e = err(&format!("000.00.00.{group}"));
            assert_eq!(
                e,
                AgencyCodeError::BadLevel1 {
                    group: group.into()
                }
            );
            assert!(e.to_string().contains("one letter and two digits"), "{e}");
        }
    }

    #[test]
    fn missing_and_empty_groups_are_explained() {
        let e = err("00.00.H49");
        assert_eq!(e, AgencyCodeError::TooFewGroups { found: 3 });
        assert!(e.to_string().contains("at least 4"), "{e}");
        assert_eq!(err("H49"), AgencyCodeError::TooFewGroups { found: 1 });
        let e = err("000..00.H49");
        assert_eq!(e, AgencyCodeError::EmptyGroup { position: 2 });
        assert!(e.to_string().contains("group 2"), "{e}");
        assert_eq!(
            err(".000.00.00.H49"),
            AgencyCodeError::EmptyGroup { position: 1 }
        );
        assert_eq!(
            err("000.00.00.H49."),
            AgencyCodeError::EmptyGroup { position: 5 }
        );
        assert_eq!(err(""), AgencyCodeError::Empty);
    }

    #[test]
    fn wrong_group_lengths_name_the_level() {
        let e = err("000.00.0.H49");
        assert_eq!(
            e,
            AgencyCodeError::BadGroupLength {
                level: 2,
                group: "0".into(),
                expected: 2
            }
        );
        assert!(
            e.to_string().contains("level-2 group \"0\" must have 2"),
            "{e}"
        );
        assert!(matches!(
            err("000.000.00.H49"),
            AgencyCodeError::BadGroupLength { level: 3, .. }
        ));
        assert!(matches!(
            err("0000.00.00.H49"),
            AgencyCodeError::BadGroupLength { level: 4, .. }
        ));
    }

    #[test]
    fn foreign_characters_are_located() {
        let e = err("000.00.00 H49");
        assert_eq!(
            e,
            AgencyCodeError::BadCharacter {
                ch: ' ',
                position: 10
            }
        );
        assert!(e.to_string().contains("position 10"), "{e}");
        assert!(matches!(
            err("000.00.00.Đ49"),
            AgencyCodeError::BadCharacter { ch: 'Đ', .. }
        ));
    }

    #[test]
    fn serde_validates() {
        let code: Result<AgencyCode, _> = serde_json::from_str("\"000.00.00.H49\"");
        assert_eq!(
            code.as_ref().map(AgencyCode::as_str).ok(),
            Some("000.00.00.H49")
        );
        assert_eq!(
            serde_json::to_string(&code.ok()).ok().as_deref(),
            Some("\"000.00.00.H49\"")
        );
        let bad: Result<AgencyCode, _> = serde_json::from_str("\"000.00.00.h49\"");
        assert!(bad.is_err());
    }
}
