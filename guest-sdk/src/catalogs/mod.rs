//! The platform's shared catalogs (danh mục dùng chung): look codes up, map
//! upstream names to codes and old codes to today's, so that every connector
//! normalizes the same way.
//!
//! Inside the platform the answers come from the host (the `catalogs` import
//! of the contract), which holds every published catalog version with its
//! validity dates and crosswalks. In native builds (`cargo test` of a
//! connector) there is no host: the same calls are answered by [`Shipped`],
//! from the small lists `lgsp-catalogs` ships, and a test can substitute its
//! own [`Catalogs`] with [`crate::testing::with_catalogs`].
//!
//! A scan maps each record's values with [`map_value`] (a code or a name) and
//! [`map_recorded`] (a code as of the record's date): a missing value and a
//! split unit become NULL, and a value the catalog does not know is
//! [`NotInCatalog`], which the connector reports in its own words.
//!
//! # Examples
//! ```
//! use lgsp_guest::{Date, catalogs};
//! // A name, without accents or unit-type prefix, stands for its code.
//! assert_eq!(catalogs::code_for("dvhc_tinh", "ha noi", None).as_deref(), Some("01"));
//! // Hà Giang (02) became part of Tuyên Quang (08) on 2025-07-01.
//! let before = Date::from_ymd(2025, 6, 30).unwrap();
//! assert_eq!(
//!     catalogs::current_code("dvhc_tinh", "02", before),
//!     catalogs::CurrentCode::One("08".into())
//! );
//! ```

#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(not(target_arch = "wasm32"))]
mod shipped;

#[cfg(target_arch = "wasm32")]
pub use host::Host;
#[cfg(not(target_arch = "wasm32"))]
pub use shipped::Shipped;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use shipped::with_catalogs;

use crate::date::Date;

// The `expect`s run at compile time: a day that does not exist fails the build.
/// The first day of the 63 provinces (Hà Tây joined Hà Nội): upstreams that
/// re-coded their records then hold codes of that list for older records too.
pub const PROVINCES_2008_FROM: Date = Date::from_ymd(2008, 8, 1).expect("a calendar day");
/// The last day of the 63 provinces.
pub const PROVINCES_2008_TO: Date = Date::from_ymd(2025, 6, 30).expect("a calendar day");
/// The first day of the 34 provinces and of today's communes (QĐ
/// 19/2025/QĐ-TTg).
pub const PROVINCES_2025_FROM: Date = Date::from_ymd(2025, 7, 1).expect("a calendar day");

/// One item of a catalog version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The code, e.g. `01`.
    pub code: String,
    /// The name, e.g. `Thành phố Hà Nội`.
    pub name: String,
    /// The parent's code (a commune's province), if any.
    pub parent: Option<String>,
    /// The level (e.g. `tinh`, `xa`), if the catalog has levels.
    pub level: Option<String>,
}

/// Whether an old unit went wholly or partly into a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// The whole old unit became (part of) the new one.
    Full,
    /// Only part of the old unit went into the new one.
    Partial,
}

/// A code valid today that an old code leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Successor {
    /// The code valid today.
    pub code: String,
    /// Its name today.
    pub name: String,
    /// `Partial` if any step from the old code to this one was partial.
    pub mapping: Mapping,
}

/// Where catalog lookups are answered.
///
/// The SDK's free functions ([`item`], [`code_for`], [`current_codes`]) use
/// the host inside the platform and [`Shipped`] natively. Implement it in a
/// test to give a connector catalogs the shipped lists lack (communes, say)
/// and install it with [`crate::testing::with_catalogs`]; delegate what you
/// do not override to [`Shipped`]. Implementations must follow the host's
/// semantics, documented on each method.
pub trait Catalogs {
    /// The item with `code` in the version of `catalog` valid on `as_of`
    /// (today when `None`); `None` if the catalog, the version or the code
    /// is unknown.
    fn item(&self, catalog: &str, code: &str, as_of: Option<Date>) -> Option<Item>;

    /// The code `value` stands for in the version valid on `as_of` (today
    /// when `None`): `value` itself (trimmed) when it is a code, else the code
    /// of the one item whose name matches ignoring case, accents, spacing and
    /// the unit-type prefix ("Tỉnh", "Thành phố", "Phường", "Xã", "Đặc
    /// khu"...). `None` when unknown or when several items match.
    fn code_for(&self, catalog: &str, value: &str, as_of: Option<Date>) -> Option<String>;

    /// The codes valid today for `code` as it was on `as_of`: the code itself
    /// when the unit did not change, its successors along the crosswalks
    /// otherwise (several when an old unit was split). Empty when `code` was
    /// not a code of the version valid on `as_of`, or the catalog is unknown.
    fn current_codes(&self, catalog: &str, code: &str, as_of: Date) -> Vec<Successor>;
}

/// What an old code leads to today, as [`current_code`] sums it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrentCode {
    /// Exactly one code valid today (the code itself if it did not change).
    One(String),
    /// Several: the old unit was split, and the code alone cannot tell which
    /// of these the record belongs to.
    Split(Vec<Successor>),
    /// The code was not a code of the catalog on that date.
    Unknown,
}

/// The item with `code` in `catalog` as of `as_of` (today when `None`).
/// See [`Catalogs::item`].
pub fn item(catalog: &str, code: &str, as_of: Option<Date>) -> Option<Item> {
    active(|c| c.item(catalog, code, as_of))
}

/// The code an upstream value (a code or a name) stands for in `catalog`.
/// See [`Catalogs::code_for`].
pub fn code_for(catalog: &str, value: &str, as_of: Option<Date>) -> Option<String> {
    active(|c| c.code_for(catalog, value, as_of))
}

/// Today's codes for `code` as it was on `as_of`.
/// See [`Catalogs::current_codes`].
pub fn current_codes(catalog: &str, code: &str, as_of: Date) -> Vec<Successor> {
    active(|c| c.current_codes(catalog, code, as_of))
}

/// [`current_codes`], summed up: one code, a split, or unknown.
pub fn current_code(catalog: &str, code: &str, as_of: Date) -> CurrentCode {
    let mut codes = current_codes(catalog, code, as_of);
    match codes.len() {
        0 => CurrentCode::Unknown,
        1 => CurrentCode::One(codes.swap_remove(0).code),
        _ => CurrentCode::Split(codes),
    }
}

/// A value an upstream record holds that the catalog does not know: the
/// upstream's error, which the connector reports as an `upstream-error`
/// naming the field and the catalog (see [`map_value`], [`map_recorded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotInCatalog;

/// The code a value read from an upstream record (a code or a name) stands
/// for in `catalog` today ([`code_for`]); `None` when the record has no
/// value (missing or blank).
///
/// # Errors
/// [`NotInCatalog`] when the catalog has no such code or name, or several
/// items with that name.
pub fn map_value(catalog: &str, value: Option<&str>) -> Result<Option<String>, NotInCatalog> {
    let Some(value) = present(value) else {
        return Ok(None);
    };
    code_for(catalog, value, None).map(Some).ok_or(NotInCatalog)
}

/// Today's code for a code a record held on `as_of` ([`current_code`]);
/// `None` when the record has no code (missing or blank), and when the unit
/// was split, since the old code alone cannot tell which of the new units
/// the record belongs to.
///
/// # Errors
/// [`NotInCatalog`] when `code` was not a code of the catalog on `as_of`.
pub fn map_recorded(
    catalog: &str,
    code: Option<&str>,
    as_of: Date,
) -> Result<Option<String>, NotInCatalog> {
    let Some(code) = present(code) else {
        return Ok(None);
    };
    match current_code(catalog, code, as_of) {
        CurrentCode::One(code) => Ok(Some(code)),
        CurrentCode::Split(_) => Ok(None),
        CurrentCode::Unknown => Err(NotInCatalog),
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Runs `f` against the catalogs in force: the host's in a component.
#[cfg(target_arch = "wasm32")]
fn active<R>(f: impl FnOnce(&dyn Catalogs) -> R) -> R {
    f(&Host)
}

/// Runs `f` against the catalogs in force: a test's own, else [`Shipped`].
#[cfg(not(target_arch = "wasm32"))]
fn active<R>(f: impl FnOnce(&dyn Catalogs) -> R) -> R {
    shipped::active(f)
}
