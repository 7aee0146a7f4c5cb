//! The shared-catalog model: catalogs, versions, items, crosswalks, and the
//! problems an import can report. The host stores these; this crate reads
//! and writes them in the file formats agencies exchange.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether an old unit went wholly or partly into a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MappingKind {
    /// The whole old unit became (part of) the new one.
    Full,
    /// Only part of the old unit went into the new one.
    Partial,
}

impl MappingKind {
    /// `full` or `partial`.
    pub fn as_str(self) -> &'static str {
        match self {
            MappingKind::Full => "full",
            MappingKind::Partial => "partial",
        }
    }

    /// `Partial` if either is.
    pub fn and(self, other: MappingKind) -> MappingKind {
        if self == MappingKind::Full && other == MappingKind::Full {
            MappingKind::Full
        } else {
            MappingKind::Partial
        }
    }
}

/// A catalog (danh mục), e.g. `dvhc_xa`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogDef {
    /// Lower-case snake_case identifier, e.g. `dvhc_xa`; also its SQL table name.
    pub code: String,
    /// Vietnamese title, e.g. `Đơn vị hành chính cấp xã`.
    pub name: String,
    /// Electronic code of the agency that owns the list (QĐ 20/2020/QĐ-TTg).
    pub owner_agency: String,
    /// What the list holds and where its facts come from.
    pub description: String,
    /// Names of the extra attributes its items may carry, e.g. `["nhom"]`.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// The catalog parent codes refer to (`dvhc_tinh` for `dvhc_xa`); the
    /// catalog itself for a hierarchy within one list; none without parents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_catalog: Option<String>,
}

/// Draft (being prepared, invisible to readers) or published (immutable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Imported and validated, not yet visible.
    Draft,
    /// Visible to every reader; never changes again.
    Published,
}

impl VersionStatus {
    /// `draft` or `published`.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Published => "published",
        }
    }
}

/// One version of a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    /// The catalog.
    pub catalog: String,
    /// Label unique in the catalog, e.g. `2025-07-01` or `v3`.
    pub version: String,
    /// First day the version holds.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_from: NaiveDate,
    /// Last day the version holds (inclusive); open-ended when absent.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<NaiveDate>,
    /// Draft or published.
    pub status: VersionStatus,
    /// Number of items.
    pub items: u64,
    /// SHA-256 over the version's items in code order (hex); names the
    /// content, so it is also the basis of ETags.
    pub digest: String,
    /// Where the items came from (file name, "shipped", ...).
    pub source: String,
}

impl VersionInfo {
    /// Whether `day` falls within the version's validity.
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// One item of a catalog version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    /// The code, unique in its version.
    pub code: String,
    /// The name.
    pub name: String,
    /// The code of its parent (in the parent catalog or the same one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Its level, e.g. `tinh`, `xa`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Further attributes, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// Where in an input file something was found: a line of a text file or a
/// path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// 1-based line number.
    Line(usize),
    /// JSON path, e.g. `data[3].level2s[5]`.
    Record(String),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Record(path) => write!(f, "record {path}"),
        }
    }
}

/// An item read from an input file, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedItem {
    /// The item.
    pub item: Item,
    /// Where.
    pub at: Location,
}

/// One crosswalk row: an old code leads (wholly or partly) to a new code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrosswalkEntry {
    /// Code in the older version.
    pub old_code: String,
    /// Code in the newer version.
    pub new_code: String,
    /// Full or partial.
    pub mapping: MappingKind,
}

/// A crosswalk row read from an input file, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEntry {
    /// The row.
    pub entry: CrosswalkEntry,
    /// Where.
    pub at: Location,
}

/// What kind of problem an import found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file cannot be read in the stated format at all.
    Unreadable,
    /// A required field (code, name) is missing or empty.
    MissingField,
    /// A code does not have the catalog's code format.
    MalformedCode,
    /// The same code appears twice in one version.
    DuplicateCode,
    /// A parent code names no item of the parent list.
    DanglingParent,
    /// A crosswalk code is not in the version it refers to.
    UnknownCode,
    /// The version's validity overlaps another published version's.
    OverlappingValidity,
    /// A value (date, mapping kind, ...) cannot be read.
    BadValue,
}

/// One problem an import found, with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// Where in the input, when it concerns one record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Location>,
    /// What is wrong, for the person fixing the file.
    pub message: String,
}

impl Problem {
    /// A problem at a location.
    pub fn at(kind: ProblemKind, at: Location, message: impl Into<String>) -> Self {
        Self {
            kind,
            at: Some(at),
            message: message.into(),
        }
    }

    /// A problem with the input as a whole.
    pub fn whole(kind: ProblemKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            at: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The input formats an item import accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemFormat {
    /// CSV with a header row: `ma`/`code`, `ten`/`name`, optional
    /// `ma_cha`/`parent`, `cap`/`level`; other columns become attributes.
    Csv,
    /// JSON: an array of items, or `{"items": [...]}`.
    Json,
    /// The GSO's published layouts for administrative units: the commune
    /// table of Công văn 1027/CTK-CSCL (Markdown), the province list of
    /// Công văn 915/CTK-CSCL (CSV `Stt,Mã số,Tên`), and the classic export
    /// of danhmuchanhchinh.gso.gov.vn (CSV with `Mã TP`, `Mã QH`, `Mã PX`).
    Gso,
}

/// Which units to take from a file that holds several levels (the dvhcvn
/// JSON layouts hold provinces and communes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    /// Provinces and centrally-run cities (cấp tỉnh).
    Province,
    /// Communes, wards and special zones (cấp xã).
    Commune,
}

/// The input formats a crosswalk import accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CrosswalkFormat {
    /// CSV with header `old_code,new_code,mapping` (or `ma_cu,ma_moi,kieu`).
    Csv,
    /// The dvhcvn layouts: `merges.json` (grouped by new unit, with
    /// `full`/`partial`) or `splits.json` (grouped by old unit).
    Json,
}
