//! The shared catalogs in SQL, schema `danh_muc`:
//!
//! - `danh_muc.<catalog>`: the items of the version valid today;
//! - `danh_muc.<catalog>_lich_su`: the items of every published version, with
//!   each version's validity, so a query can pick a date;
//! - `danh_muc.chuyen_doi`: every crosswalk row (old code → new code);
//! - `danh_muc_ngay('<catalog>', 'YYYY-MM-DD')`: the items valid on a date.
//!
//! Tables are built from the in-memory index the session started with, so a
//! query sees one consistent state even if a version is published meanwhile.

use crate::catalogs::{CatalogIdx, Index, VersionIdx, today};
use async_trait::async_trait;
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, Date32Builder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema, SchemaRef};
use datafusion::catalog::{SchemaProvider, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use std::sync::{Arc, LazyLock};

/// The SQL schema name.
pub(crate) const SCHEMA: &str = "danh_muc";
/// The table function name.
pub(crate) const AS_OF_FUNCTION: &str = "danh_muc_ngay";
const HISTORY_SUFFIX: &str = "_lich_su";
const CROSSWALK_TABLE: &str = "chuyen_doi";

static ITEM_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("ma", DataType::Utf8, false),
        Field::new("ten", DataType::Utf8, false),
        Field::new("ma_cha", DataType::Utf8, true),
        Field::new("cap", DataType::Utf8, true),
        Field::new("thuoc_tinh", DataType::Utf8, true),
        Field::new("phien_ban", DataType::Utf8, false),
        Field::new("hieu_luc_tu", DataType::Date32, false),
        Field::new("hieu_luc_den", DataType::Date32, true),
    ]))
});

static CROSSWALK_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("danh_muc", DataType::Utf8, false),
        Field::new("ma_cu", DataType::Utf8, false),
        Field::new("ma_moi", DataType::Utf8, false),
        Field::new("kieu", DataType::Utf8, false),
        Field::new("phien_ban_cu", DataType::Utf8, false),
        Field::new("phien_ban_moi", DataType::Utf8, false),
        Field::new("ngay_hieu_luc", DataType::Date32, false),
    ]))
});

fn item_batch<'a>(versions: impl IntoIterator<Item = &'a VersionIdx>) -> Result<RecordBatch> {
    let mut ma = StringBuilder::new();
    let mut ten = StringBuilder::new();
    let mut cha = StringBuilder::new();
    let mut cap = StringBuilder::new();
    let mut attrs = StringBuilder::new();
    let mut label = StringBuilder::new();
    let mut from = Date32Builder::new();
    let mut to = Date32Builder::new();
    for v in versions {
        for item in &v.items {
            ma.append_value(&item.code);
            ten.append_value(&item.name);
            cha.append_option(item.parent.as_deref());
            cap.append_option(item.level.as_deref());
            if item.attributes.is_empty() {
                attrs.append_null();
            } else {
                attrs.append_value(
                    serde_json::to_string(&item.attributes)
                        .map_err(|e| DataFusionError::External(Box::new(e)))?,
                );
            }
            label.append_value(&v.info.version);
            from.append_value(Date32Type::from_naive_date(v.info.valid_from));
            to.append_option(v.info.valid_to.map(Date32Type::from_naive_date));
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(ma.finish()),
        Arc::new(ten.finish()),
        Arc::new(cha.finish()),
        Arc::new(cap.finish()),
        Arc::new(attrs.finish()),
        Arc::new(label.finish()),
        Arc::new(from.finish()),
        Arc::new(to.finish()),
    ];
    Ok(RecordBatch::try_new(ITEM_SCHEMA.clone(), columns)?)
}

fn crosswalk_batch(index: &Index) -> Result<RecordBatch> {
    let mut cat = StringBuilder::new();
    let mut old = StringBuilder::new();
    let mut new = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut from_v = StringBuilder::new();
    let mut to_v = StringBuilder::new();
    let mut day = Date32Builder::new();
    for (code, c) in &index.catalogs {
        for v in &c.versions {
            let Some((to, rows)) = v.crosswalk() else {
                continue;
            };
            let target = &c.versions[to];
            let mut sorted: Vec<_> = rows.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            for (o, targets) in sorted {
                for (n, k) in targets {
                    cat.append_value(code);
                    old.append_value(o);
                    new.append_value(n);
                    kind.append_value(k.as_str());
                    from_v.append_value(&v.info.version);
                    to_v.append_value(&target.info.version);
                    day.append_value(Date32Type::from_naive_date(target.info.valid_from));
                }
            }
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(cat.finish()),
        Arc::new(old.finish()),
        Arc::new(new.finish()),
        Arc::new(kind.finish()),
        Arc::new(from_v.finish()),
        Arc::new(to_v.finish()),
        Arc::new(day.finish()),
    ];
    Ok(RecordBatch::try_new(CROSSWALK_SCHEMA.clone(), columns)?)
}

fn mem(batch: RecordBatch) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(MemTable::try_new(
        batch.schema(),
        vec![vec![batch]],
    )?))
}

/// Schema `danh_muc` over one index snapshot.
#[derive(Debug)]
pub(crate) struct CatalogSchema {
    index: Arc<Index>,
    today: NaiveDate,
}

impl CatalogSchema {
    pub(crate) fn new(index: Arc<Index>) -> Self {
        Self {
            index,
            today: today(),
        }
    }

    fn resolve(&self, name: &str) -> Option<Table<'_>> {
        if name == CROSSWALK_TABLE {
            return Some(Table::Crosswalk);
        }
        if let Some(c) = self.index.catalog(name) {
            return Some(Table::Current(c));
        }
        let base = name.strip_suffix(HISTORY_SUFFIX)?;
        self.index.catalog(base).map(Table::History)
    }
}

enum Table<'a> {
    Current(&'a CatalogIdx),
    History(&'a CatalogIdx),
    Crosswalk,
}

#[async_trait]
impl SchemaProvider for CatalogSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .index
            .catalogs
            .keys()
            .flat_map(|c| [c.clone(), format!("{c}{HISTORY_SUFFIX}")])
            .collect();
        names.push(CROSSWALK_TABLE.to_owned());
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let batch = match self.resolve(name) {
            None => return Ok(None),
            Some(Table::Current(c)) => item_batch(c.version_on(self.today))?,
            Some(Table::History(c)) => item_batch(&c.versions)?,
            Some(Table::Crosswalk) => crosswalk_batch(&self.index)?,
        };
        mem(batch).map(Some)
    }

    fn table_exist(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }
}

/// `danh_muc_ngay('<catalog>', 'YYYY-MM-DD')`: the items valid on a date.
#[derive(Debug)]
pub(crate) struct AsOf {
    index: Arc<Index>,
}

impl AsOf {
    pub(crate) fn new(index: Arc<Index>) -> Self {
        Self { index }
    }
}

fn text_arg(expr: &Expr, what: &str) -> Result<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Ok(s.clone()),
        Expr::Literal(ScalarValue::Date32(Some(d)), _) => Ok(Date32Type::to_naive_date_opt(*d)
            .map(|d| d.to_string())
            .unwrap_or_default()),
        _ => Err(DataFusionError::Plan(format!(
            "{AS_OF_FUNCTION}: {what} must be a literal, e.g. {AS_OF_FUNCTION}('dvhc_xa', '2024-06-01')"
        ))),
    }
}

impl TableFunctionImpl for AsOf {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let [catalog, day] = args.exprs() else {
            return Err(DataFusionError::Plan(format!(
                "{AS_OF_FUNCTION} takes two arguments: a catalog code and a date, e.g. {AS_OF_FUNCTION}('dvhc_xa', '2024-06-01')"
            )));
        };
        let catalog = text_arg(catalog, "the catalog")?;
        let day_text = text_arg(day, "the date")?;
        let day = NaiveDate::parse_from_str(&day_text, "%Y-%m-%d").map_err(|_| {
            DataFusionError::Plan(format!(
                "{AS_OF_FUNCTION}: {day_text:?} is not a date (YYYY-MM-DD)"
            ))
        })?;
        let c = self.index.catalog(&catalog).ok_or_else(|| {
            DataFusionError::Plan(format!("{AS_OF_FUNCTION}: there is no catalog {catalog:?}"))
        })?;
        mem(item_batch(c.version_on(day))?)
    }
}
