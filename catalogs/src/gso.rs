//! Reader for the official GSO commune list layout (Công văn 1027/CTK-CSCL, 2025):
//! a Markdown table `| Stt | Mã số | Tên đơn vị hành chính | Tỉnh (thành phố) |`
//! with a header row per province.

use crate::provinces_2025;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One commune-level unit (xã, phường, đặc khu).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    /// Five-digit GSO code, unique nationwide.
    pub code: String,
    /// Full name, e.g. `Phường Ba Đình`.
    pub name: String,
    /// Two-digit code of the province it belongs to.
    pub province_code: String,
}

impl Commune {
    /// The commune as an item of the `dvhc_xa` catalog (parent: its province).
    pub fn to_item(&self) -> crate::Item {
        crate::Item {
            code: self.code.clone(),
            name: self.name.clone(),
            parent: Some(self.province_code.clone()),
            level: Some(crate::import::COMMUNE_LEVEL.to_owned()),
            attributes: Default::default(),
        }
    }
}

/// A line of the GSO file that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GsoParseError {
    /// The code column is not five digits.
    #[error("line {line}: commune code {code:?} is not five digits")]
    BadCode {
        /// 1-based line number.
        line: usize,
        /// The value found.
        code: String,
    },
    /// The province column names no province of the 2025 list.
    #[error("line {line}: unknown province {name:?}")]
    UnknownProvince {
        /// 1-based line number.
        line: usize,
        /// The value found.
        name: String,
    },
    /// The same code appears twice.
    #[error("line {line}: duplicate commune code {code}")]
    Duplicate {
        /// 1-based line number.
        line: usize,
        /// The repeated code.
        code: String,
    },
    /// No commune rows at all.
    #[error("no commune rows found; expected the GSO table layout")]
    Empty,
}

/// Reads every commune row of a GSO commune list, reporting all bad lines.
///
/// # Errors
/// Returns every problem found (bad codes, unknown provinces, duplicates), each
/// with its line number; nothing is returned partially.
pub fn parse_gso_communes(text: &str) -> Result<Vec<Commune>, Vec<GsoParseError>> {
    let mut communes = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let Some(cells) = table_cells(line) else {
            continue;
        };
        let [stt, code, name, province] = cells.as_slice() else {
            continue;
        };
        if stt.parse::<u32>().is_err() {
            continue; // header, separator or province heading
        }
        if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(GsoParseError::BadCode {
                line: line_no,
                code: code.clone(),
            });
            continue;
        }
        let Some(p) = province_by_name(province) else {
            errors.push(GsoParseError::UnknownProvince {
                line: line_no,
                name: province.clone(),
            });
            continue;
        };
        if !seen.insert(code.clone()) {
            errors.push(GsoParseError::Duplicate {
                line: line_no,
                code: code.clone(),
            });
            continue;
        }
        communes.push(Commune {
            code: code.clone(),
            name: name.clone(),
            province_code: p.to_owned(),
        });
    }
    if communes.is_empty() && errors.is_empty() {
        errors.push(GsoParseError::Empty);
    }
    if errors.is_empty() {
        Ok(communes)
    } else {
        Err(errors)
    }
}

/// The cells of a Markdown table row (`| a | b |`), with `<br>` line breaks
/// and runs of white space turned into single spaces; `None` for a line that
/// is not a table row.
pub(crate) fn table_cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(
        inner
            .split('|')
            .map(|c| {
                c.replace("<br>", " ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect(),
    )
}

/// The 2025 province code for "Thành phố Hà Nội", "Tp Hà Nội", "Tỉnh Cà Mau"
/// or a bare "Cà Mau".
pub(crate) fn province_by_name(name: &str) -> Option<&'static str> {
    // Built once: files name the province on every one of their 3,321 rows.
    static BY_NAME: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut map = HashMap::new();
        for p in provinces_2025().items() {
            // The first province of a name wins, as a search in list order would.
            map.entry(bare_province_name(&p.name))
                .or_insert(p.code.as_str());
        }
        map
    });
    by_name.get(&bare_province_name(name)).copied()
}

fn bare_province_name(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut rest = lower.as_str();
    for prefix in ["thành phố ", "tp. ", "tp ", "tỉnh "] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
            break;
        }
    }
    rest.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_skips_headings() {
        let text = "| Stt | Mã số | Tên | Tỉnh |\n| --- | --- | --- | --- |\n|  |  | THÀNH PHỐ HÀ NỘI |  |\n| 1 | 00070 | Phường Hoàn Kiếm | Thành phố Hà Nội |\n| 2 | 00226 | Phường Văn Miếu -<br>Quốc Tử Giám | Thành phố Hà Nội |\n";
        let communes = parse_gso_communes(text).expect("valid");
        assert_eq!(communes.len(), 2);
        assert_eq!(communes[1].name, "Phường Văn Miếu - Quốc Tử Giám");
        assert_eq!(communes[1].province_code, "01");
    }

    #[test]
    fn reports_every_bad_line() {
        let text = "| 1 | 0007 | X | Thành phố Hà Nội |\n| 2 | 00070 | Y | Atlantis |\n| 3 | 00071 | Z | Tỉnh Cà Mau |\n| 4 | 00071 | W | Tỉnh Cà Mau |\n";
        let errors = parse_gso_communes(text).expect_err("invalid");
        assert_eq!(
            errors,
            vec![
                GsoParseError::BadCode {
                    line: 1,
                    code: "0007".into()
                },
                GsoParseError::UnknownProvince {
                    line: 2,
                    name: "Atlantis".into()
                },
                GsoParseError::Duplicate {
                    line: 4,
                    code: "00071".into()
                },
            ]
        );
    }

    #[test]
    fn reads_the_official_2025_list() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/dvhc/1027_CTK-CSCL.md"
        );
        let text = std::fs::read_to_string(path).expect("CI provides ../shared/data");
        let communes = parse_gso_communes(&text).expect("official list parses");
        assert_eq!(communes.len(), 3321);
        let provinces: std::collections::HashSet<_> =
            communes.iter().map(|c| c.province_code.as_str()).collect();
        assert_eq!(provinces.len(), 34);
    }
}
