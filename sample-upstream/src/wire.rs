//! Small pieces the simulated APIs share when reading requests and writing
//! answers in their own wire formats.

use lgsp_catalogs::CodeList;

/// The name a catalog gives `code`, or the code itself when the catalog does
/// not know it (agency systems print names, and fall back to what they hold).
pub(crate) fn name_or_code<'a>(list: &'a CodeList, code: &'a str) -> &'a str {
    list.get(code).map_or(code, |item| item.name.as_str())
}

/// Whether `s` is exactly `n` ASCII digits (how the simulated systems check
/// identifiers: by shape only, as many real ones do).
pub(crate) fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}
