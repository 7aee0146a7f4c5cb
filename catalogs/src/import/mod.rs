//! Readers for the files catalog versions and crosswalks arrive in: CSV, JSON
//! (LGSP's own and the dvhcvn layouts) and the GSO's published layouts.
//!
//! The readers check syntax only: every record that cannot be read is
//! reported with where it is, and nothing is returned when anything is wrong.
//! Whether codes are well formed, unique, or name existing parents is for the
//! host to judge against the catalog, so duplicates come back as separate
//! items.

mod crosswalk;
mod csv;
mod gso;
mod json;

#[cfg(test)]
mod dvhc_tests;

use crate::{
    CrosswalkFormat, Item, ItemFormat, Location, ParsedEntry, ParsedItem, Problem, ProblemKind,
    UnitLevel,
};
use std::collections::BTreeMap;

/// The `level` given to provinces read from a file that names levels by
/// structure (the GSO and dvhcvn layouts).
pub const PROVINCE_LEVEL: &str = "tinh";

/// The `level` given to communes, wards and special zones read from such files.
pub const COMMUNE_LEVEL: &str = "xa";

/// The crosswalk rows read from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedCrosswalk {
    /// The rows, in file order.
    pub entries: Vec<ParsedEntry>,
    /// Rows left out on purpose, each with why: in a commune crosswalk, the
    /// island districts that had no communes (code of three digits) and
    /// became special zones. They are reported, not errors.
    pub skipped: Vec<Problem>,
}

/// Reads the items of one catalog version.
///
/// `level` picks the units of files that hold several levels (the dvhcvn
/// JSON layouts, the GSO files); it is ignored for CSV and for JSON arrays
/// of items, whose rows say their own level. Items read from a structured
/// layout get the level [`PROVINCE_LEVEL`] or [`COMMUNE_LEVEL`].
///
/// Formats:
/// - [`ItemFormat::Csv`]: a header row with `ma`/`code`, `ten`/`name`, and
///   optionally `ma_cha`/`parent`, `cap`/`level` (names compared without case
///   or accents); every other named column is an attribute named by its
///   header in lower case, and an empty cell means the attribute is absent.
///   Blank lines and rows of empty cells are skipped, a leading UTF-8 BOM is
///   ignored, and quoted fields may hold commas, `""` and line breaks.
/// - [`ItemFormat::Json`]: an array of items, `{"items": [...]}` (what
///   [`crate::export::items_json`] writes), or the dvhcvn `merges.json` /
///   `splits.json` layouts. From `splits.json` at the commune level only the
///   `level3s` are read: its `level2s` are island districts, not communes.
/// - [`ItemFormat::Gso`]: the commune table of Công văn 1027/CTK-CSCL
///   (parents found by province name among the 2025 provinces), the province
///   list of Công văn 915/CTK-CSCL, or the classic danhmuchanhchinh.gso.gov.vn
///   CSV export (`Mã TP`, `Mã QH`, `Mã PX`).
///
/// Codes, names, parents and levels are trimmed; an empty parent or level is
/// absent.
///
/// # Errors
/// Every problem found, each with its line (text files) or JSON path
/// (`data[3].level2s[5]`): [`ProblemKind::Unreadable`] when the file is not
/// in the format at all, [`ProblemKind::MissingField`] for an empty code or
/// name, [`ProblemKind::BadValue`] for a record of the wrong shape.
///
/// # Examples
/// ```
/// use lgsp_catalogs::import::parse_items;
/// use lgsp_catalogs::{ItemFormat, UnitLevel};
///
/// let items = parse_items(ItemFormat::Csv, "ma,ten\n01,Thành phố Hà Nội\n", UnitLevel::Province)
///     .expect("valid");
/// assert_eq!(items[0].item.name, "Thành phố Hà Nội");
/// ```
pub fn parse_items(
    format: ItemFormat,
    text: &str,
    level: UnitLevel,
) -> Result<Vec<ParsedItem>, Vec<Problem>> {
    let text = strip_bom(text);
    let mut out = Collected::default();
    match format {
        ItemFormat::Csv => csv::items(text, &mut out),
        ItemFormat::Json => json::items(text, level, &mut out),
        ItemFormat::Gso => gso::items(text, level, &mut out),
    }
    out.finish()
}

/// Reads crosswalk rows, old code → new code, `full` or `partial`.
///
/// Formats:
/// - [`CrosswalkFormat::Csv`]: a header with `old_code`/`ma_cu`,
///   `new_code`/`ma_moi` and optionally `mapping`/`kieu` (`full`/`toan_bo`
///   or `partial`/`mot_phan`); other columns are ignored. Without a mapping
///   column the kind is inferred as for `splits.json`.
/// - [`CrosswalkFormat::Json`]: dvhcvn `merges.json` (grouped by new unit,
///   each old unit with its `type`) or `splits.json` (grouped by old unit).
///   `splits.json` states no kind: an old unit with one distinct target is
///   `full`, one with several is `partial` (each part went to a different
///   new unit). On the 2025 data this agrees with `merges.json` on every row.
///
/// At [`UnitLevel::Commune`], an old code of three digits is a district: the
/// five island districts without communes (e.g. `318` Huyện Bạch Long Vĩ)
/// that became special zones. Their rows, and the `level2s` of
/// `splits.json`, go to [`ParsedCrosswalk::skipped`] as
/// [`ProblemKind::UnknownCode`] rather than failing the import.
///
/// # Errors
/// Every problem found, with its line or JSON path: an unreadable file, an
/// empty code ([`ProblemKind::MissingField`]), or a mapping kind that is
/// neither full nor partial ([`ProblemKind::BadValue`]).
pub fn parse_crosswalk(
    format: CrosswalkFormat,
    text: &str,
    level: UnitLevel,
) -> Result<ParsedCrosswalk, Vec<Problem>> {
    let text = strip_bom(text);
    let mut out = Collected::default();
    let mut skipped = Vec::new();
    match format {
        CrosswalkFormat::Csv => crosswalk::csv(text, level, &mut out, &mut skipped),
        CrosswalkFormat::Json => crosswalk::json(text, level, &mut out, &mut skipped),
    }
    out.finish()
        .map(|entries| ParsedCrosswalk { entries, skipped })
}

/// What a reader found: the records read and the problems, in file order.
struct Collected<T> {
    found: Vec<T>,
    problems: Vec<Problem>,
}

impl<T> Default for Collected<T> {
    fn default() -> Self {
        Self {
            found: Vec::new(),
            problems: Vec::new(),
        }
    }
}

impl<T> Collected<T> {
    fn push(&mut self, record: T) {
        self.found.push(record);
    }

    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// All records, or every problem when there is any.
    fn finish(self) -> Result<Vec<T>, Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(self.found)
        } else {
            Err(self.problems)
        }
    }
}

impl Collected<ParsedItem> {
    fn item(&mut self, item: Item, at: Location) {
        self.push(ParsedItem { item, at });
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A column name reduced to what identifies it: lower case, no accents, no
/// spaces or punctuation, so `Mã TP`, `ma_tp` and `MÃ TP` all read `matp`.
fn header_key(name: &str) -> String {
    crate::fold(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// An item from raw values, trimmed; an empty parent or level is absent.
fn item(
    code: &str,
    name: &str,
    parent: Option<&str>,
    level: Option<&str>,
    attributes: BTreeMap<String, String>,
) -> Item {
    Item {
        code: code.trim().to_owned(),
        name: name.trim().to_owned(),
        parent: non_empty(parent),
        level: non_empty(level),
        attributes,
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A district code (three digits) where a commune code is expected.
fn is_district_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The problem for a crosswalk row of an island district, which is left out
/// of a commune crosswalk.
fn district_skipped(old: &str, name: Option<&str>, new: &str, at: Location) -> Problem {
    let named = name.map(|n| format!(" ({n})")).unwrap_or_default();
    Problem::at(
        ProblemKind::UnknownCode,
        at,
        format!(
            "`{old}`{named} is a district-level unit without communes, so it is not in \
             the commune catalog; it became `{new}`"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_ignore_case_accents_and_punctuation() {
        assert_eq!(header_key("Mã TP"), "matp");
        assert_eq!(header_key("ma_cha"), "macha");
        assert_eq!(header_key(" TÊN "), "ten");
        assert_eq!(header_key("Tỉnh / Thành Phố"), "tinhthanhpho");
    }

    #[test]
    fn items_are_trimmed_and_empty_optionals_dropped() {
        let i = item(" 01 ", " Hà Nội ", Some(" "), Some("tinh"), BTreeMap::new());
        assert_eq!(i.code, "01");
        assert_eq!(i.name, "Hà Nội");
        assert_eq!(i.parent, None);
        assert_eq!(i.level.as_deref(), Some("tinh"));
    }

    #[test]
    fn only_three_digit_codes_are_districts() {
        assert!(is_district_code("318"));
        assert!(!is_district_code("00318"));
        assert!(!is_district_code("31"));
        assert!(!is_district_code("3a8"));
    }
}
