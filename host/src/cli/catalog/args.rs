//! The arguments of `lgsp catalog` and its subcommands.

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use lgsp_catalogs::{CrosswalkFormat, ItemFormat, UnitLevel};
use std::path::{Path, PathBuf};

/// Arguments of `lgsp catalog`.
#[derive(Debug, clap::Args)]
pub struct CatalogArgs {
    /// Where the platform database is.
    #[command(flatten)]
    pub place: super::super::DatabaseArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: CatalogCommand,
}

/// Input formats of a version file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputFormat {
    /// CSV with a header row (`ma,ten[,ma_cha,cap,...]`).
    Csv,
    /// JSON: an array of items, `{"items": [...]}`, or the dvhcvn layouts.
    Json,
    /// The GSO's layouts: the 1027/CTK-CSCL commune table (Markdown), the
    /// 915/CTK-CSCL province CSV, the danhmuchanhchinh export.
    Gso,
}

/// Input formats of a crosswalk file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CrosswalkInput {
    /// CSV `old_code,new_code,mapping`.
    Csv,
    /// dvhcvn `merges.json` or `splits.json`.
    Json,
}

/// Units to take from a file holding several levels.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Level {
    /// Provinces (cấp tỉnh).
    Province,
    /// Communes, wards, special zones (cấp xã).
    Commune,
}

/// Output formats of an export.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum OutputFile {
    /// CSV `ma,ten,ma_cha,cap` and attribute columns.
    #[default]
    Csv,
    /// `{"items": [...]}`.
    Json,
}

/// `lgsp catalog` subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List every catalog with its versions.
    List,
    /// Create an empty catalog.
    Create {
        /// Code, lower-case snake_case (also its SQL table name).
        #[arg(long)]
        code: String,
        /// Vietnamese title.
        #[arg(long)]
        name: String,
        /// Agency that owns the list.
        #[arg(long)]
        owner: String,
        /// What the list holds and where its facts come from.
        #[arg(long, default_value = "")]
        description: String,
        /// The catalog parent codes refer to (itself for a hierarchy).
        #[arg(long)]
        parent_catalog: Option<String>,
        /// An attribute items may carry; repeat for several.
        #[arg(long = "attribute")]
        attributes: Vec<String>,
    },
    /// Import a version from a file, checking everything before writing.
    Import {
        /// Catalog code.
        catalog: String,
        /// The file.
        file: PathBuf,
        /// Label of the new version, e.g. 2025-07-01.
        #[arg(long)]
        version: String,
        /// First day it holds (YYYY-MM-DD).
        #[arg(long, value_parser = day)]
        valid_from: NaiveDate,
        /// Last day it holds (YYYY-MM-DD) [default: open-ended].
        #[arg(long, value_parser = day)]
        valid_to: Option<NaiveDate>,
        /// File format [default: json for .json, gso for .md, else csv].
        #[arg(long, value_enum)]
        format: Option<InputFormat>,
        /// Units to take [default: province for dvhc_tinh, else commune].
        #[arg(long, value_enum)]
        level: Option<Level>,
        /// Publish at once instead of leaving a draft.
        #[arg(long)]
        publish: bool,
    },
    /// Publish a draft version.
    Publish {
        /// Catalog code.
        catalog: String,
        /// Label of the draft.
        version: String,
    },
    /// Delete a draft version.
    Delete {
        /// Catalog code.
        catalog: String,
        /// Label of the draft.
        version: String,
    },
    /// Import the crosswalk (old code → new codes) between two versions.
    Crosswalk {
        /// Catalog code.
        catalog: String,
        /// The file.
        file: PathBuf,
        /// Label of the older version.
        #[arg(long)]
        from: String,
        /// Label of the newer version.
        #[arg(long)]
        to: String,
        /// File format [default: json for .json, else csv].
        #[arg(long, value_enum)]
        format: Option<CrosswalkInput>,
        /// Units to take [default: province for dvhc_tinh, else commune].
        #[arg(long, value_enum)]
        level: Option<Level>,
    },
    /// What changed between two versions.
    Diff {
        /// Catalog code.
        catalog: String,
        /// Label of the older version.
        from: String,
        /// Label of the newer version.
        to: String,
        /// Lines shown per kind of change.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print every change as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a version's items to a file (or stdout).
    Export {
        /// Catalog code.
        catalog: String,
        /// Version label.
        version: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFile,
        /// Output file [default: stdout].
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Items of the published version valid on a date.
    Items {
        /// Catalog code.
        catalog: String,
        /// The date (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = day)]
        as_of: Option<NaiveDate>,
        /// Words of the name, accents optional.
        #[arg(long)]
        q: Option<String>,
        /// Only the children of this parent code.
        #[arg(long)]
        parent: Option<String>,
        /// Items shown.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Today's codes for a code as it was on a date.
    Successors {
        /// Catalog code.
        catalog: String,
        /// The old code.
        code: String,
        /// The date the code was valid on (YYYY-MM-DD).
        #[arg(long, value_parser = day)]
        as_of: NaiveDate,
    },
}

/// Reads a `YYYY-MM-DD` argument.
pub(super) fn day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date written YYYY-MM-DD, e.g. 2025-07-01; got {s:?}"))
}

impl InputFormat {
    /// The format a file name suggests.
    pub(super) fn for_file(path: &Path) -> Self {
        match extension(path).as_deref() {
            Some("json") => Self::Json,
            Some("md") => Self::Gso,
            _ => Self::Csv,
        }
    }
}

impl From<InputFormat> for ItemFormat {
    fn from(f: InputFormat) -> Self {
        match f {
            InputFormat::Csv => ItemFormat::Csv,
            InputFormat::Json => ItemFormat::Json,
            InputFormat::Gso => ItemFormat::Gso,
        }
    }
}

impl From<CrosswalkInput> for CrosswalkFormat {
    fn from(f: CrosswalkInput) -> Self {
        match f {
            CrosswalkInput::Csv => CrosswalkFormat::Csv,
            CrosswalkInput::Json => CrosswalkFormat::Json,
        }
    }
}

impl From<Level> for UnitLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Province => UnitLevel::Province,
            Level::Commune => UnitLevel::Commune,
        }
    }
}

pub(super) fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}
